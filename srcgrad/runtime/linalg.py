"""Runtime helpers for the linalg rules (see srcgrad/rules/numpy/linalg.py): products
(inner, tensordot, kron, einsum), diagonals, norms, determinants and solves. The helpers of the
decompositions (cholesky, eigh, eigvalsh, pinv) are in decompositions.py.

Each returns the gradient of one argument, shaped like it, for the shapes NumPy accepts
(stacks of matrices included where NumPy's function takes them).
"""

from __future__ import annotations

import itertools

import numpy as np

from ..errors import NoGradientError
from .core import _permutation, asarray, module_of, unbroadcast

# string.ascii_letters, spelt out: importing `string` (for its Template class) was a twentieth of
# the time of `import srcgrad`, which imports this module
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

__all__ = [
    "inner_dx",
    "inner_dy",
    "tensordot_dx",
    "tensordot_dy",
    "einsum_adjoint",
    "kron_dx",
    "kron_dy",
    "diag_adjoint",
    "diagonal_adjoint",
    "norm_adjoint",
    "cofactor",
    "solve_transposed",
    "solve_da",
    "solve_jvp_a",
    "solve_matmul",
    "einsum_adjoint_jet",
    "cofactor_tangent",
    "norm_coefficients",
    "norm_svd_tangent",
    "norm_svd_tangent_dx",
]


def _swap(a):
    return np.swapaxes(a, -1, -2)


def _dtype(*values):
    return np.result_type(*[v for v in values if v is not None])


# ---------------------------------------------------------------------------------------------
# Products.


def inner_dx(g, x, y):
    """The gradient of `np.inner(x, y)` with respect to `x`.

    >>> inner_dx(np.ones(2), np.ones((2, 3)), np.arange(3.0))
    array([[0., 1., 2.],
           [0., 1., 2.]])
    """
    xd, yd = np.ndim(x), np.ndim(y)
    if xd == 0 or yd == 0:
        return unbroadcast(g * y, x)
    # g's axes: x's leading axes, then y's; contract y's leading ones
    return np.tensordot(g, y, axes=(list(range(xd - 1, np.ndim(g))), list(range(yd - 1))))


def inner_dy(g, x, y):
    """The gradient of `np.inner(x, y)` with respect to `y`.

    >>> inner_dy(np.ones(2), np.ones((2, 3)), np.arange(3.0))
    array([2., 2., 2.])
    """
    xd, yd = np.ndim(x), np.ndim(y)
    if xd == 0 or yd == 0:
        return unbroadcast(g * x, y)
    lead = list(range(xd - 1))
    return np.tensordot(g, x, axes=(lead, lead))


def _tensordot_axes(axes, xd, yd):
    """`axes` of `np.tensordot` as two lists of non-negative axes, paired in order."""
    if isinstance(axes, (int, np.integer)):
        return list(range(xd - axes, xd)), list(range(axes))
    ax, ay = axes
    ax = [ax] if isinstance(ax, (int, np.integer)) else list(ax)
    ay = [ay] if isinstance(ay, (int, np.integer)) else list(ay)
    return [a % xd for a in ax], [a % yd for a in ay]


def tensordot_dx(g, x, y, axes=2):
    """The gradient of `np.tensordot(x, y, axes)` with respect to `x`.

    >>> tensordot_dx(np.ones((2, 4)), np.ones((2, 3)), np.ones((3, 4)), axes=([1], [0])).shape
    (2, 3)
    """
    xd, yd = np.ndim(x), np.ndim(y)
    ax, ay = _tensordot_axes(axes, xd, yd)
    free_x = [a for a in range(xd) if a not in ax]
    free_y = [b for b in range(yd) if b not in ay]
    d = np.tensordot(g, y, axes=(list(range(len(free_x), np.ndim(g))), free_y))
    # d's axes: x's free axes, then the axes of x paired with y's contracted ones, in y's order
    order = free_x + [ax[ay.index(b)] for b in sorted(ay)]
    return np.transpose(d, _permutation(np.argsort(order)))


def tensordot_dy(g, x, y, axes=2):
    """The gradient of `np.tensordot(x, y, axes)` with respect to `y`.

    >>> tensordot_dy(np.ones((2, 4)), np.ones((2, 3)), np.ones((3, 4)), axes=1)
    array([[2., 2., 2., 2.],
           [2., 2., 2., 2.],
           [2., 2., 2., 2.]])
    """
    xd, yd = np.ndim(x), np.ndim(y)
    ax, ay = _tensordot_axes(axes, xd, yd)
    free_x = [a for a in range(xd) if a not in ax]
    free_y = [b for b in range(yd) if b not in ay]
    d = np.tensordot(x, g, axes=(free_x, list(range(len(free_x)))))
    order = [ay[ax.index(a)] for a in sorted(ax)] + free_y
    return np.transpose(d, _permutation(np.argsort(order)))


def kron_dx(g, x, y):
    """The gradient of `np.kron(x, y)` with respect to `x`.

    >>> kron_dx(np.ones((2, 6)), np.ones((1, 2)), np.arange(6.0).reshape(2, 3))
    array([[15., 15.]])
    """
    gr, xs, ys, n = _kron_blocks(g, x, y)
    d = np.tensordot(gr, np.reshape(y, ys), axes=(list(range(1, 2 * n, 2)), list(range(n))))
    return np.reshape(d, np.shape(x))


def kron_dy(g, x, y):
    """The gradient of `np.kron(x, y)` with respect to `y`.

    >>> kron_dy(np.ones((2, 6)), np.ones((1, 2)), np.ones((2, 3)))
    array([[2., 2., 2.],
           [2., 2., 2.]])
    """
    gr, xs, ys, n = _kron_blocks(g, x, y)
    d = np.tensordot(np.reshape(x, xs), gr, axes=(list(range(n)), list(range(0, 2 * n, 2))))
    return np.reshape(d, np.shape(y))


def _kron_blocks(g, x, y):
    """`g` with each axis split into (x's, y's), interleaved; both shapes padded to one rank."""
    xs, ys = np.shape(x), np.shape(y)
    n = max(len(xs), len(ys))
    xs, ys = (1,) * (n - len(xs)) + xs, (1,) * (n - len(ys)) + ys
    return np.reshape(g, [s for pair in zip(xs, ys) for s in pair]), xs, ys, n


# ---------------------------------------------------------------------------------------------
# einsum.


def einsum_adjoint(g, args, i):
    """The gradient of `np.einsum(*args)` with respect to `args[i]`, given the gradient `g`.

    `args` is the call's arguments, the subscripts string first (trailing Nones are ignored), or
    the interleaved form `(x, [0, 1], y, [1, 2], [0, 2])`. The gradient of an operand is the
    einsum of `g` with the other operands, producing that operand's labels; labels it sums alone
    are spread back, a label repeated in it (`'ii->i'`) puts the gradient on that diagonal,
    and axes it broadcast (length 1) are summed.

    >>> x, y = np.ones((2, 3)), np.ones((3, 4))
    >>> einsum_adjoint(np.ones((2, 4)), ("ij,jk->ik", x, y), 1)
    array([[4., 4., 4.],
           [4., 4., 4.]])
    >>> einsum_adjoint(np.arange(3.0), ("ii->i", np.ones((3, 3))), 1)
    array([[0., 0., 0.],
           [0., 1., 0.],
           [0., 0., 2.]])
    """
    args = list(args)
    while args and args[-1] is None:
        args.pop()
    if isinstance(args[0], str):
        operands, k = args[1:], i - 1
        inputs, output = _einsum_labels(args[0], operands)
    else:  # einsum(x, [0, 1], y, [1, 2], [0, 2])
        operands, k = args[0::2][: len(args) // 2], i // 2
        sublists = args[1::2]
        spec = ",".join(_sublist_labels(s) for s in sublists[: len(operands)])
        if len(args) % 2:
            spec += "->" + _sublist_labels(args[-1])
        inputs, output = _einsum_labels(spec, operands)
    x, labels = operands[k], inputs[k]
    sizes = {}
    for s, op in zip(inputs, operands):
        for c, n in zip(s, np.shape(op)):
            # a length-1 axis broadcasts to the other operand's length, 0 included
            sizes[c] = n if sizes.get(c, 1) == 1 else sizes[c]
    others = [(s, op) for j, (s, op) in enumerate(zip(inputs, operands)) if j != k]
    unique = "".join(dict.fromkeys(labels))
    available = set(output).union(*[set(s) for s, _ in others])
    kept = "".join(c for c in unique if c in available)
    spec = ",".join([output, *[s for s, _ in others]]) + "->" + kept
    d = np.einsum(spec, g, *[op for _, op in others], optimize=len(others) > 1)
    # labels only x has (summed inside x alone): the gradient is the same along them
    own = dict(zip(labels, np.shape(x)))
    d = np.expand_dims(d, tuple(p for p, c in enumerate(unique) if c not in available))
    d = np.broadcast_to(d, tuple(own[c] if c not in available else sizes[c] for c in unique))
    # axes that x broadcast (its length 1 against a longer one)
    summed = tuple(p for p, c in enumerate(unique) if own[c] == 1 and sizes[c] != 1)
    if summed:
        d = d.sum(axis=summed, keepdims=True)
    if len(unique) == len(labels):
        return d
    # a repeated label: the gradient lives on the diagonal those axes share
    xp = module_of(d)
    out = xp.zeros(np.shape(x), dtype=_dtype(d, x))
    shape = np.shape(d)  # an open grid of indices (CuPy's and Dask's indices() make only dense ones)
    grid = [
        xp.arange(n).reshape([n if i == axis else 1 for i in range(len(shape))])
        for axis, n in enumerate(shape)
    ]
    out[tuple(grid[unique.index(c)] for c in labels)] = d
    return out


def _sublist_labels(sublist) -> str:
    return "".join("..." if s is Ellipsis else _LETTERS[s] for s in sublist)


def _einsum_labels(subscripts: str, operands):
    """One label string per operand and the output's, with each `...` written as letters."""
    subscripts = subscripts.replace(" ", "")
    inputs_text, arrow, output = subscripts.partition("->")
    inputs = inputs_text.split(",")
    spare = [c for c in _LETTERS if c not in subscripts]
    width = max(
        [np.ndim(op) - len(s.replace("...", "")) for s, op in zip(inputs, operands) if "..." in s],
        default=0,
    )
    ellipsis = "".join(spare[:width])
    inputs = [
        s.replace("...", ellipsis[width - (np.ndim(op) - len(s) + 3) :]) if "..." in s else s
        for s, op in zip(inputs, operands)
    ]
    if arrow:
        output = output.replace("...", ellipsis)
    else:  # implicit: the broadcast axes, then the labels used once, in alphabetical order
        counts = {}
        for s in inputs:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        output = ellipsis + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ellipsis))
    return inputs, output


# ---------------------------------------------------------------------------------------------
# Diagonals.


def diagonal_adjoint(g, x, offset=0, axis1=0, axis2=1):
    """The gradient of `np.diagonal(x, offset, axis1, axis2)`: `g` on that diagonal, 0 elsewhere.

    >>> diagonal_adjoint(np.array([1.0, 2.0]), np.zeros((2, 3)), offset=1)
    array([[0., 1., 0.],
           [0., 0., 2.]])
    """
    shape = np.shape(x)
    xp = module_of(g)
    out = xp.zeros(shape, dtype=_dtype(g, x))
    view = np.moveaxis(out, (axis1 % len(shape), axis2 % len(shape)), (-2, -1))
    i = xp.arange(np.shape(g)[-1])
    view[..., i + max(-offset, 0), i + max(offset, 0)] = g
    return out


def diag_adjoint(g, x, k=0):
    """The gradient of `np.diag(x, k)`: the k-th diagonal of `g` for a vector `x`, and `g` on
    the k-th diagonal of a matrix shaped like `x` for a matrix.

    >>> diag_adjoint(np.arange(9.0).reshape(3, 3), np.zeros(2), k=1)
    array([1., 5.])
    """
    if np.ndim(x) == 1:
        return np.diagonal(g, k)
    return diagonal_adjoint(g, x, k)


# ---------------------------------------------------------------------------------------------
# Norms.


def _safe(ans):
    return np.where(ans == 0, 1, ans)


def _shared(g, x, ties, axes):
    """`g * sign(x)`, shared equally among the entries in `ties` along `axes`."""
    return g * np.sign(x) * ties / np.sum(ties, axis=axes, keepdims=True)


def norm_adjoint(g, ans, x, ord=None, axis=None, keepdims=False):
    """The gradient of `np.linalg.norm(x, ord, axis, keepdims)`, vector or matrix norm.

    At x = 0 the gradient is 0; entries (or columns, rows) that tie for an inf-, 1- or
    -inf-norm share `g` equally; `ord=0` (a count) has gradient 0; the 2-, -2- and nuclear
    matrix norms use the singular vectors `np.linalg.svd` gives.

    >>> norm_adjoint(1.0, 5.0, np.array([3.0, -4.0]), ord=1)
    array([ 1., -1.])
    >>> norm_adjoint(1.0, 4.0, np.array([4.0, -4.0, 1.0]), ord=np.inf)
    array([ 0.5, -0.5,  0. ])
    """
    x = asarray(x)
    nd = x.ndim
    if axis is None:
        axes = tuple(range(nd))
    elif isinstance(axis, (int, np.integer)):
        axes = (axis % nd,)
    else:
        axes = tuple(a % nd for a in axis)
    if not keepdims:  # g and ans with the reduced axes kept, so that they broadcast against x
        g = np.expand_dims(g, axes) if axis is not None else np.reshape(g, (1,) * nd)
        ans = np.expand_dims(ans, axes) if axis is not None else np.reshape(ans, (1,) * nd)
    if ord is None or ord == "fro" or (ord == 2 and len(axes) == 1):
        return g * x / _safe(ans)
    if len(axes) == 1:
        if ord == 0:
            return np.zeros_like(g * x)
        a = np.abs(x)
        if ord in (np.inf, -np.inf):
            return _shared(g, x, a == ans, axes)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = g * np.sign(x) * (a / _safe(ans)) ** (ord - 1)
        return np.where((x == 0) | (ans == 0), 0, d)  # 0 at x = 0, also for p < 1
    # matrix norms over the two axes `axes`, moved last
    xm = np.moveaxis(x, axes, (-2, -1))
    gm = np.moveaxis(g, axes, (-2, -1))
    am = np.moveaxis(ans, axes, (-2, -1))
    if ord in ("nuc", 2, -2):
        u, _, vh = np.linalg.svd(xm, full_matrices=False)
        if ord == 2:
            u, vh = u[..., :, :1], vh[..., :1, :]
        elif ord == -2:
            u, vh = u[..., :, -1:], vh[..., -1:, :]
        d = gm * (u @ vh)
    elif ord in (1, -1):  # largest (smallest) column sum of |x|
        d = _shared(gm, xm, np.sum(np.abs(xm), axis=-2, keepdims=True) == am, (-1,))
    elif ord in (np.inf, -np.inf):  # largest (smallest) row sum of |x|
        d = _shared(gm, xm, np.sum(np.abs(xm), axis=-1, keepdims=True) == am, (-2,))
    else:
        raise ValueError(f"invalid norm order {ord!r} for matrices")
    return np.moveaxis(d, (-2, -1), axes)


# ---------------------------------------------------------------------------------------------
# Determinants and solves.


def cofactor(x):
    """The cofactor matrix of each square matrix in `x`: the gradient of `np.linalg.det`.

    It is the transposed adjugate, `det(x) * inv(x).T`, computed from the singular value
    decomposition without dividing, so it is right for singular matrices too.

    >>> cofactor(np.array([[1.0, 2.0], [3.0, 4.0]])).round(12)
    array([[ 4., -3.],
           [-2.,  1.]])
    """
    u, s, vh = np.linalg.svd(x)
    ones = np.ones_like(s[..., :1])
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    sign = np.linalg.det(u) * np.linalg.det(vh)  # each +1 or -1
    return sign[..., None, None] * ((u * (before * after)[..., None, :]) @ vh)


def _vector_b(a, b) -> bool:
    """Whether `np.linalg.solve(a, b)` takes `b` as a vector (else a stack of matrices)."""
    if np.lib.NumpyVersion(np.__version__) >= "2.0.0":
        return np.ndim(b) == 1
    return np.ndim(b) == np.ndim(a) - 1


def solve_transposed(a, g, b):
    """`a^-T g`, with `g` laid out as `np.linalg.solve(a, b)`'s result (vector or matrices).

    >>> solve_transposed(np.array([[2.0, 0.0], [1.0, 1.0]]), np.array([1.0, 1.0]), np.ones(2))
    array([0., 1.])
    """
    if _vector_b(a, b):
        return np.linalg.solve(_swap(a), g[..., None])[..., 0]
    return np.linalg.solve(_swap(a), g)


def solve_da(gb, ans, a, b):
    """The gradient of `np.linalg.solve(a, b)` with respect to `a`: `-gb @ ans.T`, where `gb`
    is `solve_transposed(a, g, b)`.

    >>> solve_da(np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.eye(2), np.ones(2))
    array([[-3., -4.],
           [-6., -8.]])
    """
    if _vector_b(a, b):
        return unbroadcast(-(gb[..., :, None] * ans[..., None, :]), a)
    return unbroadcast(-(gb @ _swap(ans)), a)


def solve_jvp_a(t, ans, a, b):
    """The tangent of `ans = np.linalg.solve(a, b)` in the direction `t` of `a`: `-a^-1 t ans`,
    with `ans` laid out as the result (vector or matrices).

    >>> solve_jvp_a(np.eye(2), np.array([3.0, 4.0]), 2 * np.eye(2), np.ones(2))
    array([-1.5, -2. ])
    """
    if _vector_b(a, b):
        return -np.linalg.solve(a, t @ ans[..., None])[..., 0]
    return -np.linalg.solve(a, t @ ans)


# ---------------------------------------------------------------------------------------------
# For the tangent rules of the helpers above (forward mode over generated gradient code).


def solve_matmul(m, v, a, b):
    """`m @ v`, with `v` laid out as `np.linalg.solve(a, b)`'s result (vector or matrices).

    >>> solve_matmul(2 * np.eye(2), np.array([1.0, 3.0]), np.eye(2), np.ones(2))
    array([2., 6.])
    """
    if _vector_b(a, b):
        return (m @ v[..., None])[..., 0]
    return m @ v


def _einsum_operand_places(args) -> list:
    """The places in `args` (an einsum call's arguments, trailing Nones removed) that hold operands."""
    if isinstance(args[0], str):
        return list(range(1, len(args)))
    return list(range(0, 2 * (len(args) // 2), 2))


def _layers(layers) -> list:
    """The argument tuples of a jet of einsum arguments (see `einsum_adjoint_jet`), as a list."""
    pair = (
        isinstance(layers, (tuple, list))
        and len(layers) == 2
        and all(isinstance(half, (tuple, list)) for half in layers)
    )
    if not pair:
        return [layers]
    low, high = _layers(layers[0]), _layers(layers[1])
    if len(low) != len(high):
        raise ValueError("the two halves of a jet of einsum arguments are jets of different orders")
    return low + high


def einsum_adjoint_jet(g, layers, i):
    """`einsum_adjoint` of a jet of einsum arguments (jets as in srcgrad/runtime/reductions.py):
    `layers` is the call's arguments, or a pair `(low, high)` of such jets, each operand of
    `high` the coefficient of one more infinitesimal. The result is the last coefficient of
    `einsum_adjoint(g, args, i)` with each operand a jet: the m-th derivative of `args[i]`'s
    gradient in the other operands. `einsum_adjoint_jet(g, (args, tangents), i)` is the tangent
    of `einsum_adjoint(g, args, i)` when the operands move along `tangents`.

    >>> x, y = np.ones((2, 3)), np.ones((3, 4))
    >>> einsum_adjoint_jet(np.ones((2, 4)), (("ij,jk->ik", x, y), ("", 0 * x, y)), 1)
    array([[4., 4., 4.],
           [4., 4., 4.]])
    """
    layers = _layers(layers)
    m = len(layers).bit_length() - 1
    base = list(layers[0])
    while base and base[-1] is None:
        base.pop()
    others = [j for j in _einsum_operand_places(base) if j != i]
    total = None
    for owners in itertools.product(others, repeat=m):  # the operand each infinitesimal is in
        parts = {}
        for bit, j in enumerate(owners):
            parts[j] = parts.get(j, 0) | 1 << bit
        args = list(base)
        for j, s in parts.items():
            args[j] = layers[s][j]
        d = einsum_adjoint(g, args, i)
        total = d if total is None else total + d
    return total if total is not None else 0 * einsum_adjoint(g, base, i)


def _products_without_two(s):
    """`p[..., i, j]`: the product of the entries of `s` (along its last axis) but the i-th and
    the j-th (but the i-th alone where i == j), without dividing, so exact with zeros."""
    n = np.shape(s)[-1]
    xp = module_of(s)
    eye = xp.eye(n, dtype=bool)
    rows = np.where(eye, 1, s[..., None, :])  # row i: s with its i-th entry 1
    ones = np.ones_like(rows[..., :1])
    before = np.cumprod(np.concatenate([ones, rows[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, rows[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return before * after


def cofactor_tangent(x, direction):
    """The tangent of `cofactor(x)` in the direction `direction` (the second derivative of
    `np.linalg.det`), exact for singular matrices too: with `x = U S V^T`, it is
    `sign U C V^T`, `C[i, j] = -T[j, i] prod(s but i, j)` and `C[i, i] = sum(T[k, k] prod(s but i,
    k) over k != i)`, for `T = U^T direction V`.

    >>> cofactor_tangent(np.eye(2), np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([[ 4., -3.],
           [-2.,  1.]])
    """
    u, s, vh = np.linalg.svd(x)
    sign = np.linalg.det(u) * np.linalg.det(vh)
    t = _swap(u) @ direction @ _swap(vh)
    p = _products_without_two(s)
    eye = module_of(p).eye(np.shape(s)[-1], dtype=bool)
    diagonal = np.sum(np.where(eye, 0, p) * np.diagonal(t, axis1=-2, axis2=-1)[..., None, :], axis=-1)
    c = np.where(eye, diagonal[..., None], -_swap(t) * p)
    return sign[..., None, None] * (u @ c @ vh)


def _norm_axes(x, axis) -> tuple:
    nd = np.ndim(x)
    if axis is None:
        return tuple(range(nd))
    if isinstance(axis, (int, np.integer)):
        return (axis % nd,)
    return tuple(a % nd for a in axis)


def _norm_kind(x, ord, axis) -> str:
    """Which formula `norm_adjoint` uses: "frobenius", "p" (a vector p-norm), "svd" (a matrix
    2-, -2- or nuclear norm), or "flat" (a gradient constant where it is defined)."""
    axes = _norm_axes(x, axis)
    if ord is None or ord == "fro" or (ord == 2 and len(axes) == 1):
        return "frobenius"
    if len(axes) == 1:
        return "flat" if ord in (0, np.inf, -np.inf) else "p"
    return "svd" if ord in ("nuc", 2, -2) else "flat"


def norm_coefficients(x, ord=None, axis=None):
    """`(a, b, c)`: the tangent of `norm_adjoint(g, ans, x, ...)`, the result `d`, is
    `a * g * tx / ans + b * d * tx / x + c * d * tans / ans` (with g and ans spread over x),
    plus `norm_svd_tangent` for the matrix 2-, -2- and nuclear norms.

    >>> norm_coefficients(np.zeros(3), 3)
    (0.0, 2.0, -2.0)
    """
    kind = _norm_kind(x, ord, axis)
    if kind == "frobenius":
        return 1.0, 0.0, -1.0
    if kind == "p":
        return 0.0, float(ord) - 1.0, 1.0 - float(ord)
    return 0.0, 0.0, 0.0


def _norm_kept(g, x, axis, keepdims):
    """`g` (shaped as the norm) with the reduced axes kept, broadcasting against `x`."""
    if keepdims:
        return g
    if axis is None:
        return np.reshape(g, (1,) * np.ndim(x))
    return np.expand_dims(g, _norm_axes(x, axis))


def norm_svd_tangent(g, x, direction, ord=None, axis=None, keepdims=False):
    """The tangent in x of `norm_adjoint(g, ans, x, ord, axis, keepdims)` for the matrix 2-,
    -2- and nuclear norms, `g` times the tangent of the singular vectors' `u v^T` in the direction
    `direction`; 0 for the other norms. Where the singular values that `u v^T` keeps equal ones it
    drops, or where a kept one is 0, those terms are 0 (the norm has no second derivative there).

    >>> norm_svd_tangent(1.0, np.diag([2.0, 1.0]), np.array([[0.0, 1.0], [0.0, 0.0]]), "nuc")
    array([[ 0.        ,  0.33333333],
           [-0.33333333,  0.        ]])
    """
    x = asarray(x)
    if _norm_kind(x, ord, axis) != "svd":
        return np.zeros_like(x * direction)
    axes = _norm_axes(x, axis)
    gm = np.moveaxis(_norm_kept(g, x, axis, keepdims), axes, (-2, -1))
    xm = np.moveaxis(x, axes, (-2, -1))
    tm = np.moveaxis(direction, axes, (-2, -1))
    u, s, vh = np.linalg.svd(xm, full_matrices=False)
    k = np.shape(s)[-1]
    p = np.zeros(k)
    if ord == "nuc":
        p[:] = 1
    else:
        p[0 if ord == 2 else k - 1] = 1
    t = _swap(u) @ tm @ _swap(vh)  # the direction in the singular vectors' bases
    pi, pj = p[:, None], p[None, :]
    si, sj = s[..., :, None], s[..., None, :]
    tji = _swap(t)
    with np.errstate(divide="ignore", invalid="ignore"):
        same = pi * (t - tji) / (si + sj)
        mixed = (pj * (sj * t + si * tji) - pi * (si * t + sj * tji)) / (sj * sj - si * si)
        inverse = np.where(s == 0, 0, p / s)
    inner = np.where(pi == pj, np.where(si + sj == 0, 0, same), np.where(sj == si, 0, mixed))
    d = u @ inner @ vh
    d = d + ((tm @ _swap(vh) - u @ t) * inverse[..., None, :]) @ vh  # x's columns outside v's
    d = d + u @ (inverse[..., :, None] * (_swap(u) @ tm - t @ vh))  # x's rows outside u's
    return np.moveaxis(gm * d, (-2, -1), axes)


def norm_svd_tangent_dx(g, x, direction, other, ord=None, axis=None, keepdims=False):
    """The tangent of `norm_svd_tangent` in x, in the direction `other`: 0 for the norms it is 0
    for; srcgrad has no third derivative of the matrix 2-, -2- and nuclear norms, and raises
    NoGradientError for them.

    >>> norm_svd_tangent_dx(1.0, np.ones(2), np.ones(2), np.ones(2), 2)
    array([0., 0.])
    """
    if _norm_kind(asarray(x), ord, axis) != "svd":
        return np.zeros_like(asarray(x) * direction * other)
    raise NoGradientError(
        f"srcgrad has no third derivative for np.linalg.norm with ord={ord!r} over a matrix "
        "(the tangent of its Hessian's singular vectors); its gradient and Hessian are supported"
    )
