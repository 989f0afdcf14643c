"""Linear algebra: products, decompositions, solves, norms."""

# ruff: noqa: F821  (`fill` and the runtime helpers are names in generated code, not here)

import operator

import numpy as np

from .. import adjoint

# ---------------------------------------------------------------------------------------------
# Linear algebra.


@adjoint(operator.matmul, np.matmul)
def matmul(g, x, y):
    dx = matmul_dx(g, x, y)
    dy = matmul_dy(g, x, y)


@adjoint(np.dot)
def dot(g, x, y):
    dx = dot_dx(g, x, y)
    dy = dot_dy(g, x, y)


@adjoint(np.vdot)
def vdot(g, x, y):
    dx = g * np.reshape(y, np.shape(x))
    dy = g * np.reshape(x, np.shape(y))


@adjoint(np.inner)
def inner(g, x, y):
    dx = inner_dx(g, x, y)
    dy = inner_dy(g, x, y)


@adjoint(np.outer)
def outer(g, x, y):
    dx = np.reshape(g @ np.ravel(y), np.shape(x))
    dy = np.reshape(np.ravel(x) @ g, np.shape(y))


@adjoint(np.tensordot)
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


@adjoint(np.kron)
def kron(g, x, y):
    dx = kron_dx(g, x, y)
    dy = kron_dy(g, x, y)


# ---------------------------------------------------------------------------------------------
# Diagonals.


@adjoint(np.diag)
def diag(g, x, k=0):
    dx = diag_adjoint(g, x, k)


@adjoint(np.diagonal)
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


# ---------------------------------------------------------------------------------------------
# Inverses, solves, determinants, decompositions.


@adjoint(np.linalg.inv)
def inv(g, ans, x):
    invT = np.swapaxes(ans, -1, -2)
    dx = -(invT @ g @ invT)


@adjoint(np.linalg.solve)
def solve(g, ans, a, b):
    # b is a vector if 1-D (NumPy >= 2), else a stack of matrices; a and b broadcast
    gb = solve_transposed(a, g, b)
    da = solve_da(gb, ans, a, b)
    db = unbroadcast(gb, b)


@adjoint(np.linalg.det)
def det(g, x):
    # the cofactor matrix, det(x) * inv(x).T, computed without an inverse: right at singular x too
    dx = np.expand_dims(g, (-2, -1)) * cofactor(x)


@adjoint(np.linalg.slogdet)
def slogdet(g, ans, x):
    # g[0], the sign's, is 0 almost everywhere; at a singular x (logdet -inf) np.linalg.inv raises
    dx = np.expand_dims(g[1], (-2, -1)) * np.swapaxes(np.linalg.inv(x), -1, -2)


@adjoint(np.linalg.cholesky)
def cholesky(g, ans, a, upper=False):
    # NumPy reads only a's lower triangle (upper with upper=True): the gradient is in that
    # triangle, 0 in the other; (da + da.T) / 2 is the gradient for a symmetric a
    da = cholesky_adjoint(g, ans, upper)


@adjoint(np.linalg.eigvalsh)
def eigvalsh(g, a, UPLO="L"):
    # in the triangle NumPy reads, as for cholesky; at repeated eigenvalues, eigh's eigenvectors
    da = eigvalsh_adjoint(g, a, UPLO)


@adjoint(np.linalg.eigh)
def eigh(g, ans, a, UPLO="L"):
    # in the triangle NumPy reads; eigenvalues exactly equal add no eigenvector term (right when
    # the loss does not depend on the basis of their eigenspace), nearly equal ones a large one
    da = eigh_adjoint(g, ans, UPLO)


@adjoint(np.linalg.pinv)
def pinv(g, ans, x, rcond=None, hermitian=False, rtol=None):
    # where the rank of x is locally constant (pinv jumps where it changes); refused at run time
    # if rcond cut singular values that are not zero
    dx = pinv_adjoint(g, ans, x, hermitian)
