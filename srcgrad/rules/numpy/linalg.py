"""Linear algebra: products, decompositions, solves, norms.

Each adjoint rule is followed by its tangent rule. Products are linear in each operand: a part
is the product with that operand's tangent in its place. The tangents of inverses, solves and
decompositions are the perturbation formulas (`-inv @ t @ inv`, ...), reading `t` in the triangle
NumPy reads of the matrix, as the adjoints do.
"""

# ruff: noqa: F821  (`fill` and the runtime helpers are names in generated code, not here)

import operator

import numpy as np

from ..registry import adjoint, linear, tangent

# ---------------------------------------------------------------------------------------------
# Linear algebra.


@adjoint(operator.matmul, np.matmul)
def matmul(g, x, y):
    dx = matmul_dx(g, x, y)
    dy = matmul_dy(g, x, y)


@tangent(operator.matmul, np.matmul)
def matmul_tangent(t, x, y):
    dx = t @ y
    dy = x @ t


@linear(np.dot)
def dot(g, x, y):
    dx = dot_dx(g, x, y)
    dy = dot_dy(g, x, y)


@linear(np.vdot)
def vdot(g, x, y):
    dx = g * np.reshape(y, np.shape(x))
    dy = g * np.reshape(x, np.shape(y))


@linear(np.inner)
def inner(g, x, y):
    dx = inner_dx(g, x, y)
    dy = inner_dy(g, x, y)


@linear(np.outer)
def outer(g, x, y):
    dx = np.reshape(g @ np.ravel(y), np.shape(x))
    dy = np.reshape(np.ravel(x) @ g, np.shape(y))


@linear(np.tensordot)
def tensordot(g, x, y, axes=2):
    dx = tensordot_dx(g, x, y, axes)
    dy = tensordot_dy(g, x, y, axes)


@adjoint(np.einsum)
def einsum(g, subscripts, x, y=None, z=None, u=None, *, optimize=False):
    # up to four operands; `subscripts` is an operand too in the form einsum(x, [0, 1], ...)
    dsubscripts = einsum_adjoint(g, (subscripts, x, y, z, u), 0)
    dx = einsum_adjoint(g, (subscripts, x, y, z, u), 1)
    dy = einsum_adjoint(g, (subscripts, x, y, z, u), 2)
    dz = einsum_adjoint(g, (subscripts, x, y, z, u), 3)
    du = einsum_adjoint(g, (subscripts, x, y, z, u), 4)


@tangent(np.einsum)
def einsum_tangent(t, subscripts, x, y=None, z=None, u=None, *, optimize=False):
    # each operand's tangent in its place (in einsum(x, [0, 1], ...), `subscripts` is x)
    if y is None:
        dsubscripts = np.einsum(t, x)
        dx = np.einsum(subscripts, t)
    elif z is None and optimize is False:
        dsubscripts = np.einsum(t, x, y)
        dx = np.einsum(subscripts, t, y)
        dy = np.einsum(subscripts, x, t)
    elif z is None:
        dsubscripts = np.einsum(t, x, y, optimize=optimize)
        dx = np.einsum(subscripts, t, y, optimize=optimize)
        dy = np.einsum(subscripts, x, t, optimize=optimize)
    elif u is None:
        dsubscripts = np.einsum(t, x, y, z, optimize=optimize)
        dx = np.einsum(subscripts, t, y, z, optimize=optimize)
        dy = np.einsum(subscripts, x, t, z, optimize=optimize)
        dz = np.einsum(subscripts, x, y, t, optimize=optimize)
    else:
        dsubscripts = np.einsum(t, x, y, z, u, optimize=optimize)
        dx = np.einsum(subscripts, t, y, z, u, optimize=optimize)
        dy = np.einsum(subscripts, x, t, z, u, optimize=optimize)
        dz = np.einsum(subscripts, x, y, t, u, optimize=optimize)
        du = np.einsum(subscripts, x, y, z, t, optimize=optimize)


@linear(np.kron)
def kron(g, x, y):
    dx = kron_dx(g, x, y)
    dy = kron_dy(g, x, y)


# ---------------------------------------------------------------------------------------------
# Diagonals.


@linear(np.diag)
def diag(g, x, k=0):
    dx = diag_adjoint(g, x, k)


@linear(np.diagonal)
def diagonal(g, x, offset=0, axis1=0, axis2=1):
    dx = diagonal_adjoint(g, x, offset, axis1, axis2)


# ---------------------------------------------------------------------------------------------
# Norms.


@adjoint(np.linalg.norm)
def norm(g, ans, x, ord=None, axis=None, keepdims=False):
    # 0 at x = 0; entries (columns, rows) tied for an inf- or -inf-norm (matrix 1-, inf-norm)
    # share g equally; the matrix 2-, -2- and nuclear norms use the singular vectors svd gives
    if ord is None and axis is None and not keepdims:
        dx = g * x / np.where(ans == 0, 1, ans)
    elif ord is None:
        dx = unreduce(g / np.where(ans == 0, 1, ans), x, axis, keepdims) * x
    else:
        dx = norm_adjoint(g, ans, x, ord, axis, keepdims)


@tangent(np.linalg.norm)
def norm_tangent(t, ans, x, ord=None, axis=None, keepdims=False):
    # as the adjoint: 0 at x = 0; tied entries (columns, rows) of an inf- or -inf-norm (matrix
    # 1-, inf-norm) count the mean of their tangents; the matrix 2-, -2- and nuclear norms use
    # the singular vectors svd gives
    if ord is None and axis is None and not keepdims:
        dx = np.sum(x * t) / np.where(ans == 0, 1, ans)
    elif ord is None:
        dx = np.sum(x * t, axis=axis, keepdims=keepdims) / np.where(ans == 0, 1, ans)
    elif axis is None and not keepdims:
        dx = np.sum(norm_adjoint(np.ones_like(ans), ans, x, ord) * t)
    else:
        slope = norm_adjoint(np.ones_like(ans), ans, x, ord, axis, keepdims)
        dx = np.sum(slope * t, axis=axis, keepdims=keepdims)


# ---------------------------------------------------------------------------------------------
# Inverses, solves, determinants, decompositions.


@adjoint(np.linalg.inv)
def inv(g, ans, x):
    invT = np.swapaxes(ans, -1, -2)
    dx = -(invT @ g @ invT)


@tangent(np.linalg.inv)
def inv_tangent(t, ans, x):
    dx = -(ans @ t @ ans)


@adjoint(np.linalg.solve)
def solve(g, ans, a, b):
    # b is a vector if 1-D (NumPy >= 2), else a stack of matrices; a and b broadcast
    gb = solve_transposed(a, g, b)
    da = solve_da(gb, ans, a, b)
    db = unbroadcast(gb, b)


@tangent(np.linalg.solve)
def solve_tangent(t, ans, a, b):
    # b is a vector if 1-D (NumPy >= 2), else a stack of matrices; a and b broadcast
    da = solve_jvp_a(t, ans, a, b)
    db = np.linalg.solve(a, t)


@adjoint(np.linalg.det)
def det(g, x):
    # the cofactor matrix, det(x) * inv(x).T, computed without an inverse: right at singular x too
    dx = np.expand_dims(g, (-2, -1)) * cofactor(x)


@tangent(np.linalg.det)
def det_tangent(t, x):
    # with the cofactor matrix, as the adjoint: no inverse, right at singular x too
    dx = np.sum(cofactor(x) * t, axis=(-2, -1))


@adjoint(np.linalg.slogdet)
def slogdet(g, ans, x):
    # g[0], the sign's, is 0 almost everywhere; at a singular x (logdet -inf) np.linalg.inv raises
    dx = np.expand_dims(g[1], (-2, -1)) * np.swapaxes(np.linalg.inv(x), -1, -2)


@tangent(np.linalg.slogdet)
def slogdet_tangent(t, ans, x):
    # the sign's tangent is 0 (it is constant almost everywhere); at a singular x solve raises
    dx = (np.zeros_like(ans[0]), np.trace(np.linalg.solve(x, t), axis1=-2, axis2=-1))


@adjoint(np.linalg.cholesky)
def cholesky(g, ans, a, upper=False):
    # NumPy reads only a's lower triangle (upper with upper=True): the gradient is in that
    # triangle, 0 in the other; (da + da.T) / 2 is the gradient for a symmetric a
    da = cholesky_adjoint(g, ans, upper)


@tangent(np.linalg.cholesky)
def cholesky_tangent(t, ans, a, upper=False):
    # NumPy reads only a's lower triangle (upper with upper=True): t is read the same way
    da = cholesky_jvp(t, ans, upper)


@adjoint(np.linalg.eigvalsh)
def eigvalsh(g, a, UPLO="L"):
    # in the triangle NumPy reads, as for cholesky; at repeated eigenvalues, eigh's eigenvectors
    da = eigvalsh_adjoint(g, a, UPLO)


@tangent(np.linalg.eigvalsh)
def eigvalsh_tangent(t, a, UPLO="L"):
    # t read in the triangle NumPy reads, as for cholesky; at repeated eigenvalues, eigh's eigenvectors
    da = eigvalsh_jvp(t, a, UPLO)


@adjoint(np.linalg.eigh)
def eigh(g, ans, a, UPLO="L"):
    # in the triangle NumPy reads; eigenvalues exactly equal add no eigenvector term (right when
    # the loss does not depend on the basis of their eigenspace), nearly equal ones a large one
    da = eigh_adjoint(g, ans, UPLO)


@tangent(np.linalg.eigh)
def eigh_tangent(t, ans, a, UPLO="L"):
    # t read in the triangle NumPy reads; eigenvalues exactly equal add no eigenvector term, as
    # in the adjoint, nearly equal ones a large one
    da = eigh_jvp(t, ans, UPLO)


@adjoint(np.linalg.pinv)
def pinv(g, ans, x, rcond=None, hermitian=False, rtol=None):
    # where the rank of x is locally constant (pinv jumps where it changes); refused at run time
    # if rcond cut singular values that are not zero
    dx = pinv_adjoint(g, ans, x, hermitian)


@tangent(np.linalg.pinv)
def pinv_tangent(t, ans, x, rcond=None, hermitian=False, rtol=None):
    # where the rank of x is locally constant, as the adjoint (refused at run time if rcond cut
    # singular values that are not zero); with hermitian=True t is read in x's lower triangle
    dx = pinv_jvp(t, ans, x, hermitian)


@adjoint(np.linalg.svd)
def svd(g, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    # singular values equal to rounding (within eps max(m, n) s_max, NumPy's rank tolerance), where
    # the singular vectors are not unique, add no singular-vector term for their pair (right when
    # the loss depends on their shared singular space through its span alone), nearly equal ones a
    # large one; 1 / s is read as 0 where s is 0 (to that tolerance); with full_matrices=True on a
    # non-square a, u's columns beyond min(m, n) (vh's rows), any basis NumPy picks, turn only as
    # they must to stay orthogonal to the first; with hermitian=True, in the lower triangle read
    da = svd_adjoint(g, ans, a, full_matrices, compute_uv, hermitian)


@tangent(np.linalg.svd)
def svd_tangent(t, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    # as the adjoint: equal singular values turn their vectors by nothing, 1 / s is 0 where s is,
    # columns beyond min(m, n) turn as little as they can, t is read in the lower triangle with
    # hermitian=True
    da = svd_jvp(t, ans, a, full_matrices, compute_uv, hermitian)


@adjoint(np.linalg.eig)
def eig(g, ans, a):
    # where the eigenvalues are real (complex ones are refused at run time: srcgrad differentiates
    # real values); eigenvalues equal to rounding add no eigenvector term for their pair, nearly
    # equal ones a large one; each eigenvector is NumPy's, of length 1, and stays so
    da = eig_adjoint(g, ans)


@tangent(np.linalg.eig)
def eig_tangent(t, ans, a):
    # as the adjoint: real eigenvalues only; equal ones turn their eigenvectors by nothing
    da = eig_jvp(t, ans)
