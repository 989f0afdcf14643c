"""Runtime helpers for the linalg rules of the decompositions (see srcgrad/rules/numpy/linalg.py):
np.linalg.cholesky, eigh, eigvalsh, pinv, svd and eig, and the triangle of a symmetric matrix
that those functions read.

Each returns the gradient (or tangent) of one argument, shaped like it, for stacks of matrices
too. A function that reads one triangle of its argument gets a gradient in that triangle, 0 in
the other.
"""

from __future__ import annotations

import operator

import numpy as np

from ..errors import NoGradientError
from .core import module_of
from .linalg import _swap

__all__ = [
    "cholesky_adjoint",
    "cholesky_jvp",
    "eigvalsh_adjoint",
    "eigvalsh_jvp",
    "eigh_adjoint",
    "eigh_jvp",
    "pinv_adjoint",
    "pinv_jvp",
    "symmetrized",
    "triangle_gradient",
    "swapped_if",
    "svd_adjoint",
    "svd_jvp",
    "svd_adjoint_jvp",
    "eig_adjoint",
    "eig_jvp",
    "eig_adjoint_jvp",
]

# Helpers with no tangent rule (srcgrad/rules/helpers.py): the tangents of svd's and eig's
# gradients (second derivatives through them, which Hessian-vector products take) have none,
# and the forward-mode helpers have none, which only forward mode over forward-mode code
# would need: such a derivative stops with a NoRuleError
FIRST_ORDER_ONLY = frozenset(["svd_adjoint_jvp", "svd_jvp", "eig_adjoint_jvp", "eig_jvp"])


def _one_triangle(s, lower=True):
    """The gradient `s` with respect to a symmetric matrix, as one with respect to the triangle
    of it a function reads: off-diagonal entries count twice, `s + s.T`, the other triangle 0."""
    full = s + _swap(s)
    diagonal = s * module_of(s).eye(np.shape(s)[-1], dtype=s.dtype)
    return (np.tril(full, -1) if lower else np.triu(full, 1)) + diagonal


def _from_triangle(t, lower=True):
    """The symmetric matrix a function that reads one triangle of `t` sees: that triangle
    mirrored onto the other."""
    if lower:
        return np.tril(t) + _swap(np.tril(t, -1))
    return np.triu(t) + _swap(np.triu(t, 1))


def cholesky_jvp(t, factor, upper=False):
    """The tangent of `np.linalg.cholesky(a, upper=upper)` in the direction `t` of `a`, given the
    factor it returned: `L phi(L^-1 S L^-T)`, where `S` is `t` read in the triangle NumPy reads
    and `phi` keeps the lower triangle with the diagonal halved.

    >>> cholesky_jvp(np.eye(2), 2 * np.eye(2))
    array([[0.25, 0.  ],
           [0.  , 0.25]])
    """
    if upper:
        return _swap(cholesky_jvp(_swap(t), _swap(factor)))
    s = _from_triangle(t, lower=True)
    m = np.linalg.solve(factor, _swap(np.linalg.solve(factor, s)))  # L^-1 S L^-T (S is symmetric)
    phi = np.tril(m, -1) + 0.5 * m * module_of(m).eye(np.shape(m)[-1], dtype=m.dtype)
    return factor @ phi


def cholesky_adjoint(g, factor, upper=False):
    """The gradient of `np.linalg.cholesky(a, upper=upper)`, given the factor it returned.

    NumPy reads only the lower triangle of `a` (the upper with `upper=True`), so the gradient
    is in that triangle and 0 in the other (Murray 2016, "Differentiation of the Cholesky
    decomposition", with off-diagonal entries counted for both triangles).

    >>> cholesky_adjoint(np.eye(2), 2 * np.eye(2))
    array([[0.25, 0.  ],
           [0.  , 0.25]])
    """
    if upper:
        return _swap(cholesky_adjoint(_swap(g), _swap(factor)))
    lt = _swap(factor)
    p = np.tril(lt @ g)
    p = p - 0.5 * p * module_of(p).eye(np.shape(p)[-1], dtype=p.dtype)  # the diagonal halved
    s = _swap(np.linalg.solve(lt, _swap(np.linalg.solve(lt, p))))  # L^-T P L^-1
    return _one_triangle(s, lower=True)


def eigvalsh_adjoint(g, a, UPLO="L"):
    """The gradient of `np.linalg.eigvalsh(a, UPLO)`: `V diag(g) V^T`, in the triangle of `a`
    that NumPy reads (`UPLO`) and 0 in the other.

    >>> eigvalsh_adjoint(np.array([1.0, 2.0]), np.diag([3.0, 5.0]))
    array([[1., 0.],
           [0., 2.]])
    """
    _, v = np.linalg.eigh(a, UPLO)
    return _one_triangle((v * g[..., None, :]) @ _swap(v), lower=UPLO in ("L", "l"))


def eigvalsh_jvp(t, a, UPLO="L"):
    """The tangent of `np.linalg.eigvalsh(a, UPLO)` in the direction `t` of `a`: the diagonal
    of `V^T S V`, with `S` the triangle of `t` NumPy reads (`UPLO`) mirrored.

    >>> eigvalsh_jvp(np.array([[1.0, 0.0], [5.0, 2.0]]), np.diag([3.0, 5.0]))
    array([1., 2.])
    """
    _, v = np.linalg.eigh(a, UPLO)
    s = _from_triangle(t, lower=UPLO in ("L", "l"))
    return np.sum(v * (s @ v), axis=-2)


def eigh_jvp(t, ans, UPLO="L"):
    """The tangents of `w, v = np.linalg.eigh(a, UPLO)` in the direction `t` of `a`, given
    `ans = (w, v)`: with `M = v^T S v` (`S` the triangle of `t` NumPy reads, mirrored), `w`'s is
    the diagonal of `M` and `v`'s is `v (F * M)`, `F[i, j] = 1 / (w[j] - w[i])` (0 where equal).

    >>> w, v = np.array([1.0, 3.0]), np.eye(2)
    >>> eigh_jvp(np.array([[1.0, 0.0], [4.0, 2.0]]), (w, v))
    (array([1., 2.]), array([[ 0.,  2.],
           [-2.,  0.]]))
    """
    w, v = ans
    s = _from_triangle(t, lower=UPLO in ("L", "l"))
    m = _swap(v) @ s @ v
    gap = w[..., None, :] - w[..., :, None]
    with np.errstate(divide="ignore"):
        f = np.where(gap == 0, 0, 1 / gap)
    return np.diagonal(m, axis1=-2, axis2=-1), v @ (f * m)


def eigh_adjoint(g, ans, UPLO="L"):
    """The gradient of `w, v = np.linalg.eigh(a, UPLO)`, given `g = (gw, gv)` and `ans = (w, v)`:
    `v (diag(gw) + F * (v^T gv)) v^T` with `F[i, j] = 1 / (w[j] - w[i])` (0 where they are
    equal), in the triangle of `a` that NumPy reads.

    >>> w, v = np.array([1.0, 3.0]), np.eye(2)
    >>> eigh_adjoint((np.array([1.0, 2.0]), np.array([[0.0, 2.0], [0.0, 0.0]])), (w, v))
    array([[1., 0.],
           [1., 2.]])
    """
    gw, gv = g
    w, v = ans
    gap = w[..., None, :] - w[..., :, None]
    with np.errstate(divide="ignore"):
        f = np.where(gap == 0, 0, 1 / gap)
    inner = f * (_swap(v) @ gv) + gw[..., None, :] * module_of(v).eye(np.shape(w)[-1], dtype=v.dtype)
    return _one_triangle(v @ inner @ _swap(v), lower=UPLO in ("L", "l"))


def _largest(a) -> float:
    """The largest element, 0 for an empty array (CuPy's max takes no `initial`)."""
    return float(a.max()) if a.size else 0.0


def _check_exact_pinv(a, ans):
    """Raise NoGradientError unless `ans` is the exact pseudo-inverse of `a`, where the formulas
    of `pinv_adjoint` and `pinv_jvp` hold: rcond cut only zero singular values."""
    tolerance = np.sqrt(np.finfo(np.result_type(a, ans)).eps) * _largest(np.abs(a))
    if _largest(np.abs(a @ ans @ a - a)) > tolerance:
        raise NoGradientError(
            "np.linalg.pinv has no gradient here: its rcond (or rtol) cut singular values that are "
            "not zero, so the result is not the pseudo-inverse's and jumps where they cross the cut"
        )


def pinv_adjoint(g, ans, x, hermitian=False):
    """The gradient of `np.linalg.pinv(x)`, where the rank of `x` is locally constant.

    Raises ValueError when `rcond` cut singular values that are not zero: a truncated
    pseudo-inverse is another function, not differentiable where a value crosses the cut.

    With `X = pinv(A)`: `-X^T g X^T + (I - A X) g^T X X^T + X^T X g^T (I - X A)` (Golub and
    Pereyra 1973). With `hermitian=True`, NumPy reads only the lower triangle of `x`.

    >>> pinv_adjoint(np.eye(2), 0.5 * np.eye(2), 2 * np.eye(2))
    array([[-0.25,  0.  ],
           [ 0.  , -0.25]])
    """
    a = _from_triangle(x) if hermitian else x
    _check_exact_pinv(a, ans)
    xt = _swap(ans)
    gt = _swap(g)
    m2 = gt @ ans @ xt
    m3 = xt @ (ans @ gt)
    d = -(xt @ g @ xt) + m2 - a @ (ans @ m2) + m3 - (m3 @ ans) @ a
    return _one_triangle(d, lower=True) if hermitian else d


def pinv_jvp(t, ans, x, hermitian=False):
    """The tangent of `np.linalg.pinv(x)` in the direction `t` of `x`, where the rank of `x` is
    locally constant (refused, as by `pinv_adjoint`, when rcond cut singular values that are not
    zero). With `X = pinv(A)`: `-X t X + X X^T t^T (I - A X) + (I - X A) t^T X^T X` (Golub and
    Pereyra 1973). With `hermitian=True`, NumPy reads only the lower triangle of `x`, and of `t`.

    >>> pinv_jvp(np.eye(2), 0.5 * np.eye(2), 2 * np.eye(2))
    array([[-0.25,  0.  ],
           [ 0.  , -0.25]])
    """
    a = _from_triangle(x) if hermitian else x
    _check_exact_pinv(a, ans)
    if hermitian:
        t = _from_triangle(t)
    tt = _swap(t)
    xt = _swap(ans)
    d = -(ans @ t @ ans)
    d = d + (ans @ xt) @ tt - ((ans @ xt) @ tt @ a) @ ans
    return d + tt @ (xt @ ans) - ans @ (a @ (tt @ (xt @ ans)))


# ---------------------------------------------------------------------------------------------
# The singular value decomposition, `u, s, vh = np.linalg.svd(a)`, with k = min(m, n) singular
# values. Each formula is written once, on `_Jet`s (a value and its tangent along one direction),
# so that the gradient's own tangent, the second derivative through svd, is the same code.


class _Jet:
    """A value and its tangent along one direction (None: zero), under the arithmetic the svd
    formulas use; `_Jet(v)` is a constant."""

    __slots__ = ("v", "d")

    def __init__(self, v, d=None):
        self.v, self.d = v, d

    def __add__(self, other):
        other = _jet(other)
        return _Jet(self.v + other.v, _plus(self.d, other.d))

    __radd__ = __add__

    def __sub__(self, other):
        return self + -_jet(other)

    def __neg__(self):
        return _linear(operator.neg, self)

    def __mul__(self, other):
        return _bilinear(operator.mul, self, other)

    def __rmul__(self, other):
        return _bilinear(operator.mul, other, self)

    def __matmul__(self, other):
        return _bilinear(operator.matmul, self, other)

    def __getitem__(self, index):
        return _linear(operator.getitem, self, index)

    @property
    def mT(self):  # noqa: N802  (NumPy's name for the matrix transpose)
        return _linear(_swap, self)


def _jet(x) -> _Jet:
    return x if isinstance(x, _Jet) else _Jet(x)


def _plus(a, b):
    return b if a is None else a if b is None else a + b


def _linear(op, x, *args) -> _Jet:
    return _Jet(op(x.v, *args), None if x.d is None else op(x.d, *args))


def _bilinear(op, x, y) -> _Jet:
    x, y = _jet(x), _jet(y)
    d = None if x.d is None else op(x.d, y.v)
    return _Jet(op(x.v, y.v), _plus(d, None if y.d is None else op(x.v, y.d)))


def _reciprocal(x: _Jet, tolerance) -> _Jet:
    """`1 / x`, 0 where |x| is at most `tolerance` (its tangent too)."""
    zero = np.abs(x.v) <= tolerance
    r = np.where(zero, 0, 1 / np.where(zero, 1, x.v))
    return _Jet(r, None if x.d is None else -r * r * x.d)


def _diagonal_matrix(x: _Jet) -> _Jet:
    eye = module_of(x.v).eye(np.shape(x.v)[-1], dtype=x.v.dtype)
    return _linear(lambda v: v[..., :, None] * eye, x)


def _joined(first: _Jet, rest: _Jet, axis: int) -> _Jet:
    d = None
    if first.d is not None or rest.d is not None:
        parts = [np.zeros_like(j.v) if j.d is None else j.d for j in (first, rest)]
        d = np.concatenate(parts, axis=axis)
    return _Jet(np.concatenate([first.v, rest.v], axis=axis), d)


def _tangent_of(x: _Jet):
    return np.zeros_like(x.v) if x.d is None else x.d


def _decomposition(ans, a, compute_uv, hermitian, tans=None, ta=None):
    """`(u, s, vh)` as jets: `ans` itself, moving along `tans`; or, when `compute_uv` is False
    (`ans` is the singular values alone), the reduced decomposition of `a` computed again, moving
    as `a` moves along `ta`."""
    if compute_uv:
        tans = (None, None, None) if tans is None else tans
        return tuple(_Jet(value, d) for value, d in zip(ans, tans))
    # hermitian=True only where the program passed it (CuPy's svd takes no such keyword)
    u, s, vh = np.linalg.svd(a, False, hermitian=True) if hermitian else np.linalg.svd(a, False)
    if ta is None:
        return _Jet(u), _Jet(s), _Jet(vh)
    tu, ts, tvh = svd_jvp(ta, (u, s, vh), a, False, True, hermitian)
    return _Jet(u, tu), _Jet(s, ts), _Jet(vh, tvh)


def _gaps(s: _Jet, sides):
    """`1 / (s_j - s_i)` (0 where equal, on the diagonal too), `1 / (s_j + s_i)` (0 where both
    are 0) and `1 / s` (0 where s is 0), the divisions the derivatives of u and vh make, for a
    matrix of `sides` (m, n). Equal means within NumPy's rank tolerance, `eps max(m, n) s_max`:
    singular values the svd itself cannot tell apart (or from 0), as computed ones of a matrix
    with repeated (zero) singular values are."""
    eps = np.finfo(np.result_type(s.v.dtype, np.float32)).eps
    largest = np.max(s.v, axis=-1, keepdims=True) if np.shape(s.v)[-1] else 0.0
    tolerance = eps * max(sides) * largest
    si, sj = s[..., :, None], s[..., None, :]
    matrix = tolerance[..., None] if np.ndim(tolerance) else tolerance
    return _reciprocal(sj - si, matrix), _reciprocal(sj + si, matrix), _reciprocal(s, tolerance)


def _svd_adjoint(g, ans, a, compute_uv, hermitian, tans=None, ta=None) -> _Jet:
    """The gradient `svd_adjoint` computes, as a jet: moving as the decomposition moves along
    `tans` (or `a` along `ta`, when `compute_uv` is False)."""
    u, s, vh = _decomposition(ans, a, compute_uv, hermitian, tans, ta)
    gu, gs, gvh = (_jet(part) for part in g) if compute_uv else (None, _jet(g), None)
    k = np.shape(s.v)[-1]
    u1, vh1 = u[..., :, :k], vh[..., :k, :]
    inner = _diagonal_matrix(gs)
    if gu is None:
        return _folded(u1 @ inner @ vh1, hermitian)
    # full_matrices=True on a non-square matrix: the columns of u beyond the k-th (rows of vh)
    # turn only as much as they must to stay orthogonal to the first k (see `svd_jvp`)
    gu1, gvh1 = gu[..., :, :k], gvh[..., :k, :]
    if np.shape(u.v)[-1] > k:
        gu1 = gu1 - u[..., :, k:] @ gu[..., :, k:].mT @ u1
    if np.shape(vh.v)[-2] > k:
        gvh1 = gvh1 - vh1 @ gvh[..., k:, :].mT @ vh[..., k:, :]
    minus, plus, inverse = _gaps(s, (np.shape(u.v)[-2], np.shape(vh.v)[-1]))
    j = u1.mT @ gu1
    v = vh1 @ gvh1.mT
    left, right = j - j.mT, v - v.mT
    inner = inner + (left + right) * minus * 0.5 + (left - right) * plus * 0.5
    da = u1 @ inner @ vh1
    if np.shape(u.v)[-2] > k:  # the part of gu outside u's columns
        da = da + ((gu1 - u1 @ j) * inverse[..., None, :]) @ vh1
    if np.shape(vh.v)[-1] > k:  # the part of gvh outside vh's rows
        da = da + u1 @ (inverse[..., :, None] * (gvh1 - v.mT @ vh1))
    return _folded(da, hermitian)


def _folded(da: _Jet, hermitian) -> _Jet:
    """The gradient in the lower triangle, which `hermitian=True` makes svd read."""
    return _linear(_one_triangle, da) if hermitian else da


def svd_adjoint(g, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    """The gradient of `np.linalg.svd(a, full_matrices, compute_uv, hermitian)`, given the
    gradient `g` arriving at its result `ans`: `(gu, gs, gvh)` and `(u, s, vh)`, or the singular
    values' alone when `compute_uv` is False (then u and vh are computed again, reduced).
    Whether `full_matrices` was passed is read off the shapes of u and vh.

    With `F-[i, j] = 1 / (s_j - s_i)` and `F+[i, j] = 1 / (s_j + s_i)` (0 where the divisor
    is, to NumPy's rank tolerance: see `_gaps`), `J = u^T gu` and `K = vh gvh^T`, it is
    `u (diag(gs) + F- * (A + B) / 2 + F+ * (A - B) / 2) vh` for `A = J - J^T` and `B = K - K^T`,
    plus `(I - u u^T) gu diag(1 / s) vh` and `u diag(1 / s) gvh (I - vh^T vh)` for a non-square
    `a` (1 / s read as 0 where s is 0); Townsend 2016, "Differentiating the singular value
    decomposition". With `hermitian=True`, NumPy reads `a`'s lower triangle, where the gradient
    is, and 0 in the other.

    >>> u, s, vh = np.eye(2), np.array([3.0, 1.0]), np.eye(2)
    >>> g = (np.array([[0.0, 4.0], [0.0, 0.0]]), np.array([1.0, 2.0]), np.zeros((2, 2)))
    >>> svd_adjoint(g, (u, s, vh), None)
    array([[ 1. , -0.5],
           [-1.5,  2. ]])
    """
    return _svd_adjoint(g, ans, a, compute_uv, hermitian).v


def _svd_jvp(t, ans, a, compute_uv, hermitian):
    """The tangents `svd_jvp` computes, as (constant) jets."""
    u, s, vh = _decomposition(ans, a, compute_uv, hermitian)
    direction = _Jet(_from_triangle(t) if hermitian else t)
    k = np.shape(s.v)[-1]
    u1, vh1 = u[..., :, :k], vh[..., :k, :]
    p = u1.mT @ direction @ vh1.mT  # the direction in the singular vectors' bases
    ds = _linear(np.diagonal, p, 0, -2, -1)
    if not compute_uv:
        return ds
    minus, plus, inverse = _gaps(s, (np.shape(u.v)[-2], np.shape(vh.v)[-1]))
    both, apart = (p + p.mT) * minus * 0.5, (p - p.mT) * plus * 0.5
    du = u1 @ (both + apart)
    if np.shape(u.v)[-2] > k:  # a tall a: u's columns turn outside their span too
        du = du + (direction @ vh1.mT - u1 @ p) * inverse[..., None, :]
    dvh = -((both - apart) @ vh1)
    if np.shape(vh.v)[-1] > k:  # a wide a
        dvh = dvh + inverse[..., :, None] * (u1.mT @ direction - p @ vh1)
    # full_matrices=True on a non-square a: NumPy's columns of u beyond the k-th (rows of vh)
    # are any orthonormal basis of what the first k leave; they turn as little as they can:
    # only as much as they must to stay orthogonal to the first k
    if np.shape(u.v)[-1] > k:
        du = _joined(du, -(u1 @ du.mT @ u[..., :, k:]), -1)
    if np.shape(vh.v)[-2] > k:
        dvh = _joined(dvh, -(vh[..., k:, :] @ dvh.mT @ vh1), -2)
    return du, ds, dvh


def svd_jvp(t, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    """The tangent of `np.linalg.svd(a, full_matrices, compute_uv, hermitian)` in the direction
    `t` of `a`, given its result `ans` (the singular values alone when `compute_uv` is False;
    then u and vh are computed again): `(du, ds, dvh)`, or `ds`.

    With `P = u^T t vh^T`, `ds = diag(P)`, `du = u (F- * (P + P^T) / 2 + F+ * (P - P^T) / 2)
    + (I - u u^T) t vh^T diag(1 / s)` and `dvh = -(F- * (P + P^T) / 2 - F+ * (P - P^T) / 2) vh
    + diag(1 / s) u^T t (I - vh^T vh)`, with `F-` and `F+` as in `svd_adjoint`. With
    `full_matrices=True` on a non-square `a`, the columns of u beyond the k-th (`u2`) move as
    `-u1 du1^T u2`, and vh's rows likewise. With `hermitian=True`, `t` is read in its lower
    triangle, as NumPy reads `a`.

    >>> u, s, vh = np.eye(2), np.array([3.0, 1.0]), np.eye(2)
    >>> du, ds, dvh = svd_jvp(np.array([[1.0, 4.0], [0.0, 2.0]]), (u, s, vh), None)
    >>> ds, du
    (array([1., 2.]), array([[ 0. , -0.5],
           [ 0.5,  0. ]]))
    """
    out = _svd_jvp(t, ans, a, compute_uv, hermitian)
    return tuple(part.v for part in out) if compute_uv else out.v


def svd_adjoint_jvp(g, ans, a, tans=None, ta=None, full_matrices=True, compute_uv=True, hermitian=False):
    """The tangent of `svd_adjoint(g, ans, a, ...)` as the decomposition `ans` moves along `tans`
    (or, when `compute_uv` is False, as `a` moves along `ta`); a second derivative through svd.

    >>> u, s, vh = np.eye(2), np.array([3.0, 1.0]), np.eye(2)
    >>> g = (np.zeros((2, 2)), np.array([1.0, 2.0]), np.zeros((2, 2)))
    >>> turn = (np.array([[0.0, -1.0], [1.0, 0.0]]), np.zeros(2), np.zeros((2, 2)))
    >>> svd_adjoint_jvp(g, (u, s, vh), None, turn)
    array([[ 0., -2.],
           [ 1.,  0.]])
    """
    return _tangent_of(_svd_adjoint(g, ans, a, compute_uv, hermitian, tans, ta))


# ---------------------------------------------------------------------------------------------
# The eigendecomposition of a general matrix, `w, v = np.linalg.eig(a)`, where its eigenvalues
# are real (NumPy then returns real arrays): `a = v diag(w) v^-1`, each column of v of length 1.


def _solve(a: _Jet, b: _Jet) -> _Jet:
    """`a^-1 b` on jets: its tangent is `a^-1 (db - da a^-1 b)`."""
    x = np.linalg.solve(a.v, b.v)
    d = b.d
    if a.d is not None:
        d = _plus(d, -(a.d @ x))
    return _Jet(x, None if d is None else np.linalg.solve(a.v, d))


def _real_eig(ans, tans=None):
    """`(w, v)` as jets, after refusing complex eigenvalues (UnsupportedArgumentsError)."""
    w, v = ans
    if np.iscomplexobj(w) or np.iscomplexobj(v):
        from ..errors import UnsupportedArgumentsError

        real = not np.any(np.imag(w)) and not np.any(np.imag(v))
        why = "this NumPy returns them complex (of imaginary part 0)" if real else "here some are complex"
        raise UnsupportedArgumentsError(
            f"srcgrad differentiates np.linalg.eig where it returns real eigenvalues; {why} (srcgrad "
            "does not differentiate complex eigenvalues). For a symmetric matrix, np.linalg.eigh has "
            "real ones"
        )
    tw, tv = (None, None) if tans is None else tans
    return _Jet(w, tw), _Jet(v, tv)


def _eig_gaps(w: _Jet) -> _Jet:
    """`F[i, j] = 1 / (w_j - w_i)`, 0 where the eigenvalues are equal to rounding (within
    `eps n max|w|`), on the diagonal too."""
    eps = np.finfo(np.result_type(w.v.dtype, np.float32)).eps
    n = np.shape(w.v)[-1]
    largest = np.max(np.abs(w.v), axis=-1, keepdims=True) if n else 0.0
    tolerance = eps * n * largest
    return _reciprocal(
        w[..., None, :] - w[..., :, None], tolerance[..., None] if np.ndim(tolerance) else tolerance
    )


def _eig_adjoint(g, ans, tans=None) -> _Jet:
    w, v = _real_eig(ans, tans)
    gw, gv = _jet(g[0]), _jet(g[1])
    # v's columns are kept of length 1: the part of gv along each column does not count
    vtg = v.mT @ gv
    kept = _linear(np.diagonal, vtg, 0, -2, -1)
    inner = _diagonal_matrix(gw) + _eig_gaps(w) * (vtg - (v.mT @ v) * kept[..., None, :])
    return _solve(v.mT, inner @ v.mT)


def eig_adjoint(g, ans):
    """The gradient of `w, v = np.linalg.eig(a)`, given `g = (gw, gv)` and `ans = (w, v)`, where
    the eigenvalues are real (complex ones are refused with UnsupportedArgumentsError):
    `v^-T (diag(gw) + F * (v^T gv - v^T v diag(v^T gv))) v^T`, `F[i, j] = 1 / (w_j - w_i)` (0
    where they are equal, to rounding); the last term is the columns of v kept of length 1.

    >>> w, v = np.array([1.0, 3.0]), np.eye(2)
    >>> eig_adjoint((np.array([1.0, 2.0]), np.array([[0.0, 2.0], [0.0, 0.0]])), (w, v))
    array([[1., 1.],
           [0., 2.]])
    """
    return _eig_adjoint(g, ans).v


def _eig_jvp(t, ans):
    w, v = _real_eig(ans)
    p = _solve(v, _jet(t) @ v)  # the direction in the eigenvectors' basis
    dw = _linear(np.diagonal, p, 0, -2, -1)
    raw = v @ (_eig_gaps(w) * p)
    # each column of v is of length 1: the part of its tangent along it is taken off
    along = _linear(lambda x: np.sum(x, axis=-2), v * raw)
    return dw, raw - v * along[..., None, :]


def eig_jvp(t, ans):
    """The tangents of `w, v = np.linalg.eig(a)` in the direction `t` of `a`, given `ans = (w, v)`
    with real eigenvalues (complex ones are refused, as by `eig_adjoint`): with `P = v^-1 t v`,
    `dw = diag(P)` and `dv = r - v diag(v^T r)` for `r = v (F * P)` (F as in `eig_adjoint`).

    >>> w, v = np.array([1.0, 3.0]), np.eye(2)
    >>> eig_jvp(np.array([[1.0, 4.0], [0.0, 2.0]]), (w, v))
    (array([1., 2.]), array([[0., 2.],
           [0., 0.]]))
    """
    dw, dv = _eig_jvp(t, ans)
    return dw.v, dv.v


def eig_adjoint_jvp(g, ans, tans):
    """The tangent of `eig_adjoint(g, ans)` as `ans = (w, v)` moves along `tans`; a second
    derivative through eig.

    >>> w, v = np.array([1.0, 3.0]), np.eye(2)
    >>> eig_adjoint_jvp((np.array([1.0, 2.0]), np.zeros((2, 2))), (w, v), (np.zeros(2), np.eye(2)))
    array([[0., 0.],
           [0., 0.]])
    """
    return _tangent_of(_eig_adjoint(g, ans, tans))


# ---------------------------------------------------------------------------------------------
# For the tangent rules of the helpers above (forward mode over generated gradient code).


def _is_lower(lower) -> bool:
    return lower in ("L", "l") if isinstance(lower, str) else bool(lower)


def symmetrized(x, lower=True, hermitian=True):
    """The symmetric matrix a function reading one triangle of `x` sees (`lower`: True or "L"
    for the lower one, False or "U" for the upper); `x` itself when `hermitian` is False.

    >>> symmetrized(np.array([[1.0, 5.0], [2.0, 3.0]]))
    array([[1., 2.],
           [2., 3.]])
    """
    if not hermitian:
        return x
    return _from_triangle(x, lower=_is_lower(lower))


def triangle_gradient(s, lower=True, hermitian=True):
    """A gradient `s` with respect to a symmetric matrix as one with respect to the triangle of
    it a function reads (`lower` as for `symmetrized`): off-diagonal entries count twice, the
    other triangle is 0. `s` itself when `hermitian` is False.

    >>> triangle_gradient(np.array([[1.0, 5.0], [2.0, 3.0]]))
    array([[1., 0.],
           [7., 3.]])
    """
    if not hermitian:
        return s
    return _one_triangle(s, lower=_is_lower(lower))


def swapped_if(x, flag):
    """`x` with its last two axes swapped if `flag`, else `x`.

    >>> swapped_if(np.array([[1.0, 2.0], [3.0, 4.0]]), True)
    array([[1., 3.],
           [2., 4.]])
    """
    return _swap(x) if flag else x
