"""Runtime helpers for the scipy.linalg rules (see srcgrad/rules/numpy/scipy_linalg.py):
triangular, banded and Cholesky solves, the Sylvester equation, the matrix square root and the
matrix exponential.

SciPy is imported only when a helper that needs it runs, so srcgrad imports without it. Each
helper returns the gradient (or the tangent) of one argument, shaped like it, for the stacks of
matrices SciPy takes (its linalg functions broadcast over leading axes since SciPy 1.15). A
right-hand side `b` is one vector if it is 1-D, else a stack of matrices, as SciPy reads it.
These are real-valued rules: a complex value is refused, not given a wrong gradient.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

from ..errors import NoGradientError, UnsupportedArgumentsError
from .core import Parts, unbroadcast
from .decompositions import cholesky_adjoint, cholesky_jvp

__all__ = [
    "triangular_gb",
    "triangular_da",
    "triangular_jvp_a",
    "triangular_jvp_b",
    "banded_gb",
    "banded_dab",
    "banded_jvp_ab",
    "banded_jvp_b",
    "cho_factor_adjoint",
    "cho_factor_jvp",
    "cho_solve_gb",
    "cho_solve_dc",
    "cho_solve_jvp_c",
    "cho_solve_jvp_b",
    "sylvester",
    "sqrtm_adjoint",
    "sqrtm_jvp",
    "expm_frechet_block",
]

# The helpers above have no tangent rules yet (srcgrad/rules/helpers.py): a second derivative
# through one (hvp, hessian, grad of a grad) stops with a NoRuleError naming it.
FIRST_ORDER_ONLY = frozenset(__all__)


def _swap(a):
    return np.swapaxes(a, -1, -2)


def _real(*values, what: str) -> None:
    """Refuse complex operands: these rules are those of real matrices."""
    if any(np.iscomplexobj(v) for v in values):
        raise UnsupportedArgumentsError(
            f"srcgrad differentiates {what} of real matrices only; here a value is complex"
        )


def _outer(gb, x, vector: bool):
    """`gb x^T` for results laid out as a solve's: vectors (an outer product) or matrices."""
    if vector:
        return gb[..., :, None] * x[..., None, :]
    return gb @ _swap(x)


def _apply(m, x, vector: bool):
    """`m @ x`, with `x` laid out as a solve's result (vectors or matrices)."""
    if vector:
        return (m @ x[..., None])[..., 0]
    return m @ x


def _triangle(m, lower: bool, strict: bool = False):
    """The lower or upper triangle of `m` (without the diagonal if `strict`), 0 elsewhere."""
    k = 1 if strict else 0
    return np.tril(m, -k) if lower else np.triu(m, k)


# ---------------------------------------------------------------------------------------------
# scipy.linalg.solve_triangular


def _transposed(trans) -> bool:
    """Whether `solve_triangular`'s `trans` (0, 1, 2 or "N", "T", "C") solves with a's
    transpose; "C", the conjugate transpose, is the transpose of a real matrix."""
    if isinstance(trans, str):
        return trans.upper() != "N"
    return int(trans) != 0


def _solve_triangular(a, b, transposed, lower, unit_diagonal, vector):
    """`scipy.linalg.solve_triangular` of `b` laid out as its result: a stack of vectors is
    solved as a stack of one-column matrices (SciPy reads a 2-D `b` as one matrix)."""
    from scipy.linalg import solve_triangular

    column = vector and np.ndim(b) > 1
    x = solve_triangular(
        a, b[..., None] if column else b, trans=int(transposed), lower=lower, unit_diagonal=unit_diagonal
    )
    return x[..., 0] if column else x


def triangular_gb(g, a, b, trans=0, lower=False, unit_diagonal=False):
    """The gradient of `scipy.linalg.solve_triangular(a, b, trans, lower, unit_diagonal)` with
    respect to its right-hand side before broadcasting: the solve with a's transpose of `g` (laid
    out as the result).

    >>> triangular_gb(np.array([1.0, 1.0]), np.array([[2.0, 0.0], [1.0, 1.0]]), np.ones(2), lower=True)
    array([0., 1.])
    """
    _real(g, a, what="scipy.linalg.solve_triangular")
    return _solve_triangular(a, g, not _transposed(trans), lower, unit_diagonal, np.ndim(b) == 1)


def triangular_da(gb, ans, a, b, trans=0, lower=False, unit_diagonal=False):
    """The gradient of `ans = scipy.linalg.solve_triangular(a, b, ...)` with respect to `a`,
    given `gb = triangular_gb(g, a, b, ...)`: `-gb ans^T` (its transpose where `trans` solves
    with a's transpose), in the triangle SciPy reads (without the diagonal if `unit_diagonal`),
    0 in the other.

    >>> triangular_da(np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.eye(2), np.ones(2), lower=True)
    array([[-3.,  0.],
           [-6., -8.]])
    """
    m = -_outer(gb, ans, np.ndim(b) == 1)
    if _transposed(trans):
        m = _swap(m)
    return unbroadcast(_triangle(m, lower, strict=unit_diagonal), a)


def triangular_jvp_a(t, ans, a, b, trans=0, lower=False, unit_diagonal=False):
    """The tangent of `ans = scipy.linalg.solve_triangular(a, b, ...)` in the direction `t` of
    `a`: `-op(a)^-1 op(T) ans`, with `T` the triangle of `t` SciPy reads and `op` the transpose
    where `trans` asks for it.

    >>> triangular_jvp_a(np.eye(2), np.array([3.0, 4.0]), 2 * np.eye(2), np.ones(2), lower=True)
    array([-1.5, -2. ])
    """
    _real(t, a, what="scipy.linalg.solve_triangular")
    s = _triangle(t, lower, strict=unit_diagonal)
    transposed = _transposed(trans)
    if transposed:
        s = _swap(s)
    vector = np.ndim(b) == 1
    return -_solve_triangular(a, _apply(s, ans, vector), transposed, lower, unit_diagonal, vector)


def triangular_jvp_b(t, a, b, trans=0, lower=False, unit_diagonal=False):
    """The tangent of `scipy.linalg.solve_triangular(a, b, ...)` in the direction `t` of `b`:
    the same solve of `t`.

    >>> triangular_jvp_b(np.array([2.0, 4.0]), 2 * np.eye(2), np.ones(2))
    array([1., 2.])
    """
    _real(t, a, what="scipy.linalg.solve_triangular")
    return _solve_triangular(a, t, _transposed(trans), lower, unit_diagonal, False)


# ---------------------------------------------------------------------------------------------
# scipy.linalg.solve_banded: `ab[u + i - j, j]` holds `A[i, j]` for the l sub- and u
# superdiagonals; the other entries of `ab` (its corners) are not read.


def _band_shifts(l_and_u):
    """`(k, s)` for each row `k` of the band storage: row k holds the entries `A[j + s, j]`."""
    lower, upper = (int(n) for n in l_and_u)
    return [(k, k - upper) for k in range(lower + upper + 1)]


def _band_transpose(l_and_u, ab):
    """The band storage of `A^T` (with `(u, l)` diagonals), given that of `A`."""
    lower, upper = (int(n) for n in l_and_u)
    n = np.shape(ab)[-1]
    out = np.zeros_like(ab)
    for k in range(lower + upper + 1):  # row k of A^T's storage is row l + u - k of A's, moved
        shift, row = k - lower, ab[lower + upper - k]
        if shift >= 0:
            out[k, : n - shift] = row[shift:]
        else:
            out[k, -shift:] = row[: n + shift]
    return out


def _columns(x):
    return x if np.ndim(x) == 2 else x[:, None]


def banded_gb(g, l_and_u, ab):
    """The gradient of `scipy.linalg.solve_banded(l_and_u, ab, b)` with respect to `b`: the
    solve of `g` with the transpose of the band matrix.

    >>> banded_gb(np.array([1.0, 1.0]), (1, 0), np.array([[2.0, 1.0], [1.0, 0.0]]))
    array([0., 1.])
    """
    from scipy.linalg import solve_banded

    _real(g, ab, what="scipy.linalg.solve_banded")
    lower, upper = (int(n) for n in l_and_u)
    return solve_banded((upper, lower), _band_transpose(l_and_u, ab), g)


def banded_dab(gb, ans, l_and_u, ab):
    """The gradient of `ans = scipy.linalg.solve_banded(l_and_u, ab, b)` with respect to `ab`,
    given `gb = banded_gb(g, l_and_u, ab)`: the entries of `-gb ans^T` on the band, in band
    storage, 0 in the corners SciPy does not read.

    >>> banded_dab(np.array([1.0, 2.0]), np.array([3.0, 4.0]), (1, 0), np.ones((2, 2)))
    array([[-3., -8.],
           [-6.,  0.]])
    """
    n = np.shape(ab)[-1]
    gb2, x2 = _columns(gb), _columns(ans)
    out = np.zeros(np.shape(ab), dtype=np.result_type(gb, ans, ab))
    for k, shift in _band_shifts(l_and_u):  # the entries (j + shift, j) of the outer product
        if shift >= 0:
            out[k, : n - shift] = -np.sum(gb2[shift:] * x2[: n - shift], axis=1)
        else:
            out[k, -shift:] = -np.sum(gb2[: n + shift] * x2[-shift:], axis=1)
    return out


def banded_jvp_ab(t, ans, l_and_u, ab):
    """The tangent of `ans = scipy.linalg.solve_banded(l_and_u, ab, b)` in the direction `t` of
    `ab`: `-A^-1 T ans`, with `T` the band matrix `t` stores (its corners not read).

    >>> banded_jvp_ab(np.array([[1.0, 0.0], [1.0, 0.0]]), np.array([1.0, 1.0]), (1, 0),
    ...               np.array([[1.0, 1.0], [0.0, 0.0]]))
    array([-1., -1.])
    """
    from scipy.linalg import solve_banded

    _real(t, ab, what="scipy.linalg.solve_banded")
    n = np.shape(ab)[-1]
    x2 = _columns(ans)
    product = np.zeros(np.shape(x2), dtype=np.result_type(t, ans))
    for k, shift in _band_shifts(l_and_u):  # T[j + shift, j] = t[k, j]
        if shift >= 0:
            product[shift:] += t[k, : n - shift, None] * x2[: n - shift]
        else:
            product[: n + shift] += t[k, -shift:, None] * x2[-shift:]
    return -solve_banded(l_and_u, ab, np.reshape(product, np.shape(ans)))


def banded_jvp_b(t, l_and_u, ab):
    """The tangent of `scipy.linalg.solve_banded(l_and_u, ab, b)` in the direction `t` of `b`:
    the same solve of `t`.

    >>> banded_jvp_b(np.array([2.0, 4.0]), (0, 0), np.array([[2.0, 4.0]]))
    array([1., 1.])
    """
    from scipy.linalg import solve_banded

    _real(t, ab, what="scipy.linalg.solve_banded")
    return solve_banded(l_and_u, ab, t)


# ---------------------------------------------------------------------------------------------
# scipy.linalg.cho_factor and cho_solve. cho_factor returns `(c, lower)`: the factor in one
# triangle of `c` (L with A = L L^T, or U with A = U^T U), and in the other triangle the
# entries of `a` there, which SciPy leaves as they were.


def _lower(flag) -> bool:
    """cho_factor's flag `lower`: a bool, or an array of them (one per matrix) for a stack."""
    if np.ndim(flag) == 0:
        return bool(flag)
    if np.any(flag) and not np.all(flag):
        raise UnsupportedArgumentsError(
            "srcgrad differentiates scipy.linalg.cho_solve of a stack of factors that are all lower "
            "or all upper triangular"
        )
    return bool(np.all(flag))


def cho_factor_adjoint(g, ans):
    """The gradient of `(c, lower) = scipy.linalg.cho_factor(a, ...)` with respect to `a`,
    given `g = (gc, glower)`: the Cholesky factor's gradient in the triangle SciPy reads, and
    `gc` itself in the other where this SciPy copies `a`'s entries there (0 where it writes zeros).

    >>> cho_factor_adjoint((np.eye(2), 0.0), (2 * np.eye(2), True))
    array([[0.25, 0.  ],
           [0.  , 0.25]])
    """
    gc, (c, lower) = g[0], (ans[0], _lower(ans[1]))
    _real(gc, c, what="scipy.linalg.cho_factor")
    factor = _triangle(c, lower)
    inside = cholesky_adjoint(_triangle(gc, lower), factor, upper=not lower)
    return inside + _triangle(gc, not lower, strict=True) if _copies_other_triangle() else inside


@functools.cache
def _copies_other_triangle() -> bool:
    """Whether this SciPy's cho_factor leaves `a`'s own entries in the triangle its factor does
    not use (SciPy 1.13 to 1.17 do; 1.18 writes zeros there, which carry no gradient)."""
    from scipy.linalg import cho_factor

    c, _ = cho_factor(np.array([[4.0, 1.0], [1.0, 4.0]]), lower=True)
    return bool(c[0, 1] == 1.0)


def cho_factor_jvp(t, ans):
    """The tangents of `(c, lower) = scipy.linalg.cho_factor(a, ...)` in the direction `t` of
    `a`: the Cholesky factor's tangent in its triangle, `t` itself in the other (see
    `cho_factor_adjoint`), and 0 for the flag `lower`.

    >>> cho_factor_jvp(np.eye(2), (2 * np.eye(2), False))
    (array([[0.25, 0.  ],
           [0.  , 0.25]]), 0.0)
    """
    _real(t, ans[0], what="scipy.linalg.cho_factor")
    c, lower = ans[0], _lower(ans[1])
    inside = cholesky_jvp(t, _triangle(c, lower), upper=not lower)
    return (inside + _triangle(t, not lower, strict=True) if _copies_other_triangle() else inside), 0.0


def _cho_solve(c_and_lower, b, vector):
    """`scipy.linalg.cho_solve` of `b` laid out as its result (see `_solve_triangular`)."""
    from scipy.linalg import cho_solve

    column = vector and np.ndim(b) > 1
    x = cho_solve(c_and_lower, b[..., None] if column else b)
    return x[..., 0] if column else x


def cho_solve_gb(g, c_and_lower, b):
    """The gradient of `scipy.linalg.cho_solve(c_and_lower, b)` with respect to `b` before
    broadcasting: the same solve of `g` (laid out as the result), A being symmetric.

    >>> cho_solve_gb(np.array([2.0, 4.0]), (np.array([[1.0, 0.0], [0.0, 2.0]]), True), np.ones(2))
    array([2., 1.])
    """
    _real(g, c_and_lower[0], what="scipy.linalg.cho_solve")
    return _cho_solve(c_and_lower, g, np.ndim(b) == 1)


def cho_solve_dc(gb, ans, c_and_lower, b):
    """The gradient of `ans = scipy.linalg.cho_solve((c, lower), b)` with respect to
    `(c, lower)`, given `gb = cho_solve_gb(g, (c, lower), b)`: with `S = -(gb ans^T + ans gb^T)`,
    the gradient of A, `S L` in the lower triangle for `lower`, `U S` in the upper one otherwise,
    0 in the triangle SciPy does not read; and 0 for the flag.

    >>> cho_solve_dc(np.array([1.0, 0.0]), np.array([1.0, 0.0]), (np.eye(2), True), np.ones(2))
    (array([[-2.,  0.],
           [ 0.,  0.]]), 0.0)
    """
    c, lower = c_and_lower[0], _lower(c_and_lower[1])
    m = _outer(gb, ans, np.ndim(b) == 1)
    s = -(m + _swap(m))
    factor = _triangle(c, lower)
    dc = _triangle(s @ factor if lower else factor @ s, lower)
    return Parts((unbroadcast(dc, c), 0.0))


def cho_solve_jvp_c(t, ans, c_and_lower, b):
    """The tangent of `ans = scipy.linalg.cho_solve((c, lower), b)` in the direction `t` of
    `(c, lower)` (`t[0]` that of `c`): `-A^-1 dA ans`, with `dA = T L^T + L T^T` for the lower
    triangles `T` and `L` of `t[0]` and `c` (`T^T U + U^T T` for the upper ones).

    >>> cho_solve_jvp_c((np.eye(2), 0.0), np.array([1.0, 1.0]), (np.eye(2), True), np.ones(2))
    array([-2., -2.])
    """
    _real(t[0], c_and_lower[0], what="scipy.linalg.cho_solve")
    c, lower = c_and_lower[0], _lower(c_and_lower[1])
    factor, tf = _triangle(c, lower), _triangle(t[0], lower)
    da = tf @ _swap(factor) if lower else _swap(tf) @ factor
    vector = np.ndim(b) == 1
    return -_cho_solve(c_and_lower, _apply(da + _swap(da), ans, vector), vector)


def cho_solve_jvp_b(t, c_and_lower):
    """The tangent of `scipy.linalg.cho_solve(c_and_lower, b)` in the direction `t` of `b`: the
    same solve of `t`.

    >>> cho_solve_jvp_b(np.array([2.0, 4.0]), (np.array([[1.0, 0.0], [0.0, 2.0]]), False))
    array([2., 1.])
    """
    from scipy.linalg import cho_solve

    _real(t, c_and_lower[0], what="scipy.linalg.cho_solve")
    return cho_solve(c_and_lower, t)


# ---------------------------------------------------------------------------------------------
# The Sylvester equation A X + X B = Q, and the matrix square root (X X = A: X dX + dX X = dA).


def _stacks(*matrices):
    """The matrices broadcast to one stack shape, and the indices of that stack's matrices."""
    batch = np.broadcast_shapes(*(np.shape(m)[:-2] for m in matrices))
    matrices = [np.broadcast_to(m, batch + np.shape(m)[-2:]) for m in matrices]
    return matrices, list(itertools.product(*map(range, batch)))


def _separated(a, b) -> bool:
    """Whether `a X + X b = q` has one solution for each matrix of the stacks: no eigenvalue of
    `a` is minus one of `b` (up to rounding relative to the largest of them)."""
    from scipy.linalg import eigvals

    (a, b), indices = _stacks(a, b)
    for i in indices:
        alpha, beta = eigvals(a[i]), eigvals(b[i])
        if alpha.size == 0 or beta.size == 0:
            continue
        gap = np.min(np.abs(alpha[:, None] + beta[None, :]))
        scale = np.max(np.abs(alpha)) + np.max(np.abs(beta))
        if not gap > 8 * (alpha.size + beta.size) * np.finfo(float).eps * scale:
            return False
    return True


def _solve_sylvester(a, b, q):
    """`scipy.linalg.solve_sylvester` for each matrix of the broadcast stacks (SciPy before 1.15
    solves one equation at a time)."""
    from scipy.linalg import solve_sylvester

    if np.ndim(a) == np.ndim(b) == np.ndim(q) == 2:
        return solve_sylvester(a, b, q)
    (a, b, q), indices = _stacks(a, b, q)
    out = np.zeros(q.shape, dtype=np.result_type(a, b, q, 1.0))
    for i in indices:
        out[i] = solve_sylvester(a[i], b[i], q[i])
    return out


def sylvester(a, b, q):
    """The solution `X` of `a X + X b = q` (`scipy.linalg.solve_sylvester`), refused with
    NoGradientError where the equation is singular (an eigenvalue of `a` is minus one of `b`):
    SciPy returns a meaningless X there without a word, and solve_sylvester has no derivative.

    >>> sylvester(np.eye(2), 2 * np.eye(2), np.array([[3.0, 6.0], [0.0, 3.0]]))
    array([[1., 2.],
           [0., 1.]])
    """
    _real(a, b, q, what="scipy.linalg.solve_sylvester")
    if not _separated(a, b):
        raise NoGradientError(
            "scipy.linalg.solve_sylvester(a, b, q) has no derivative where a and -b share an "
            "eigenvalue: the equation a X + X b = q is singular there"
        )
    return _solve_sylvester(a, b, q)


def _sqrtm_root(ans, A):
    """The square root `scipy.linalg.sqrtm(A)` returned, checked to be one srcgrad differentiates."""
    if np.iscomplexobj(ans) or np.iscomplexobj(A):
        raise UnsupportedArgumentsError(
            "srcgrad differentiates scipy.linalg.sqrtm of real matrices with a real square root; "
            "this one is complex (A has a negative eigenvalue, or is complex)"
        )
    if not _separated(ans, ans):
        raise NoGradientError(
            "scipy.linalg.sqrtm(A) has no derivative at a singular A (an eigenvalue 0): its "
            "slope is infinite there"
        )
    return ans


def sqrtm_adjoint(g, ans, A):
    """The gradient of `ans = scipy.linalg.sqrtm(A)`: the solution `Y` of `X^T Y + Y X^T = g`,
    with `X = ans`. Refused at a singular A, where the square root has no derivative, and where
    `ans` is complex (A has a negative eigenvalue).

    >>> sqrtm_adjoint(np.eye(2), 2 * np.eye(2), 4 * np.eye(2))
    array([[0.25, 0.  ],
           [0.  , 0.25]])
    """
    root = _swap(_sqrtm_root(ans, A))
    return _solve_sylvester(root, root, g)


def sqrtm_jvp(t, ans, A):
    """The tangent of `ans = scipy.linalg.sqrtm(A)` in the direction `t`: the solution `dX` of
    `X dX + dX X = t`, with `X = ans` (refused as for `sqrtm_adjoint`).

    >>> sqrtm_jvp(np.array([[4.0, 0.0], [0.0, 0.0]]), 2 * np.eye(2), 4 * np.eye(2))
    array([[1., 0.],
           [0., 0.]])
    """
    root = _sqrtm_root(ans, A)
    return _solve_sylvester(root, root, t)


# ---------------------------------------------------------------------------------------------
# The matrix exponential.


def expm_frechet_block(A, E):
    """The Fréchet derivative of the matrix exponential at `A` in the direction `E`, the
    upper-right block of `expm([[A, E], [0, A]])`. `expm`'s tangent is this at `A`, and its
    gradient this at `A^T` in the direction `g`. `E` is scaled to `A`'s size before, and back
    after, so that it does not change the scaling expm chooses.

    >>> expm_frechet_block(np.zeros((1, 1)), np.ones((1, 1)))
    array([[1.]])
    """
    from scipy.linalg import expm

    _real(A, E, what="scipy.linalg.expm")
    shape = np.broadcast_shapes(np.shape(A), np.shape(E))
    A, E = np.broadcast_to(A, shape), np.broadcast_to(E, shape)
    n = shape[-1]
    size_a = np.max(np.abs(A), axis=(-2, -1), keepdims=True)
    size_e = np.max(np.abs(E), axis=(-2, -1), keepdims=True)
    target = np.where(size_a == 0, 1.0, size_a)  # E is scaled to A's size, or to 1 at A = 0,
    scale = target / np.where(size_e == 0, target, size_e)  # and left as it is if it is 0
    block = np.zeros(shape[:-2] + (2 * n, 2 * n), dtype=np.result_type(A, E))
    block[..., :n, :n] = A
    block[..., n:, n:] = A
    block[..., :n, n:] = E * scale
    return expm(block)[..., :n, n:] / scale
