"""Runtime helpers for the linalg rules of the decompositions (see srcgrad/rules/numpy/linalg.py):
np.linalg.cholesky, eigh, eigvalsh and pinv, and the triangle of a symmetric matrix that those
functions read.

Each returns the gradient (or tangent) of one argument, shaped like it, for stacks of matrices
too. A function that reads one triangle of its argument gets a gradient in that triangle, 0 in
the other.
"""

from __future__ import annotations

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
]


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
