"""scipy.linalg: triangular, banded and Cholesky solves, the Sylvester equation, sqrtm and expm.

The rules are registered once the user's program has imported `scipy.linalg` (`scipy.linalg.
solve_triangular(...)`, `from scipy.linalg import sqrtm`, `from scipy import linalg`), as
scipy.special's are; importing SciPy here would cost every user of srcgrad its import time.

Solves are perturbation formulas, as NumPy's in the linalg section: for `x = A^-1 b` the
gradient of b is `A^-T g` and that of A is `-A^-T g x^T`, kept to the entries SciPy reads of
A's storage (one triangle, or the band), 0 in the others. The Sylvester equation A X + X B = Q
gives `X`'s tangent by the same equation with the right-hand side `dQ - dA X - X dB`, and its
gradient by the transposed equation; sqrtm's (X X = A) is a Sylvester equation in X, and
expm's is the Fréchet derivative, read off the exponential of a block matrix. A right-hand
side b is one vector if it is 1-D, else a stack of matrices; stacks of matrices broadcast as
SciPy (1.15 and later) broadcasts them.

The rules take no `overwrite_*` argument (SciPy may overwrite an input the derivatives read): a
call passing one is refused at its line. Their helpers are first-order only so far: a second
derivative (hvp, hessian) through one of these functions stops with an error naming the helper.
"""

# ruff: noqa: F821  (the runtime helpers are names in generated code, not here)

import sys

from ..registry import adjoint, tangent

registered = False


def register_scipy() -> None:
    """Register the rules for scipy.linalg's functions, each adjoint with its tangent."""
    global registered
    registered = True
    import scipy.linalg

    _triangular(scipy.linalg)
    _banded(scipy.linalg)
    _cholesky(scipy.linalg)
    _sylvester(scipy.linalg)
    _exponential(scipy.linalg)


def _triangular(linalg) -> None:
    @adjoint(linalg.solve_triangular)
    def solve_triangular(g, ans, a, b, trans=0, lower=False, unit_diagonal=False, check_finite=True):
        # SciPy reads one triangle of a (without the diagonal if unit_diagonal): the gradient is
        # 0 in the other; trans 1, 2, "T", "C" solve with a's transpose. At a singular a (a 0 on
        # the diagonal) SciPy raises: there is no solution to differentiate
        gb = triangular_gb(g, a, b, trans, lower, unit_diagonal)
        da = triangular_da(gb, ans, a, b, trans, lower, unit_diagonal)
        db = unbroadcast(gb, b)

    @tangent(linalg.solve_triangular)
    def solve_triangular_tangent(t, ans, a, b, trans=0, lower=False, unit_diagonal=False, check_finite=True):
        # t read in the triangle of a SciPy reads, as the adjoint
        da = triangular_jvp_a(t, ans, a, b, trans, lower, unit_diagonal)
        db = triangular_jvp_b(t, a, b, trans, lower, unit_diagonal)


def _banded(linalg) -> None:
    @adjoint(linalg.solve_banded)
    def solve_banded(g, ans, l_and_u, ab, b, check_finite=True):
        # ab stores the band (ab[u + i - j, j] = A[i, j]): its corners, which SciPy does not
        # read, get 0; l_and_u is a pair of counts, not differentiated. At a singular band matrix
        # SciPy raises
        gb = banded_gb(g, l_and_u, ab)
        dab = banded_dab(gb, ans, l_and_u, ab)
        db = gb

    @tangent(linalg.solve_banded)
    def solve_banded_tangent(t, ans, l_and_u, ab, b, check_finite=True):
        # t's corners are not read, as SciPy does not read ab's
        dab = banded_jvp_ab(t, ans, l_and_u, ab)
        db = banded_jvp_b(t, l_and_u, ab)


def _cholesky(linalg) -> None:
    @adjoint(linalg.cho_factor)
    def cho_factor(g, ans, a, lower=False, check_finite=True):
        # returns (c, lower): c holds the factor in the triangle SciPy reads of a, and in the
        # other a's own entries (SciPy to 1.17), which pass their gradient through, or zeros
        # (SciPy 1.18), which pass none; a must be positive definite (SciPy raises otherwise).
        # (da + da.T) / 2 is the gradient for a symmetric a
        da = cho_factor_adjoint(g, ans)

    @tangent(linalg.cho_factor)
    def cho_factor_tangent(t, ans, a, lower=False, check_finite=True):
        # t read in the triangle SciPy reads for the factor, passed through in the other where
        # SciPy copies a's entries there
        da = cho_factor_jvp(t, ans)

    @adjoint(linalg.cho_solve)
    def cho_solve(g, ans, c_and_lower, b, check_finite=True):
        # the gradient of (c, lower) is (dc, 0): dc in the triangle of c holding the factor, 0 in
        # the other, which SciPy does not read. A 0 on the factor's diagonal (a singular A)
        # gives inf and nan, as SciPy's result does
        gb = cho_solve_gb(g, c_and_lower, b)
        dc_and_lower = cho_solve_dc(gb, ans, c_and_lower, b)
        db = unbroadcast(gb, b)

    @tangent(linalg.cho_solve)
    def cho_solve_tangent(t, ans, c_and_lower, b, check_finite=True):
        # t[0], the tangent of c, read in the triangle of c holding the factor
        dc_and_lower = cho_solve_jvp_c(t, ans, c_and_lower, b)
        db = cho_solve_jvp_b(t, c_and_lower)


def _sylvester(linalg) -> None:
    @adjoint(linalg.solve_sylvester)
    def solve_sylvester(g, ans, a, b, q):
        # the transposed equation a^T Y + Y b^T = g gives q's gradient Y; where a and -b share an
        # eigenvalue the equation is singular, with no derivative: srcgrad raises NoGradientError
        gq = sylvester(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2), g)
        da = unbroadcast(-(gq @ np.swapaxes(ans, -1, -2)), a)
        db = unbroadcast(-(np.swapaxes(ans, -1, -2) @ gq), b)
        dq = unbroadcast(gq, q)

    @tangent(linalg.solve_sylvester)
    def solve_sylvester_tangent(t, ans, a, b, q):
        # the same equation, with -t X (a's part), -X t (b's) or t (q's) on the right;
        # NoGradientError where it is singular, as the adjoint
        da = sylvester(a, b, -(t @ ans))
        db = sylvester(a, b, -(ans @ t))
        dq = sylvester(a, b, t)

    @adjoint(linalg.sqrtm)
    def sqrtm(g, ans, A):
        # X^T Y + Y X^T = g for X = sqrtm(A). At a singular A (an eigenvalue 0) the slope is
        # infinite: NoGradientError; where the root is complex (A has a negative eigenvalue)
        # srcgrad refuses, as it does the arguments disp= and blocksize= (deprecated by SciPy)
        dA = sqrtm_adjoint(g, ans, A)

    @tangent(linalg.sqrtm)
    def sqrtm_tangent(t, ans, A):
        # X dX + dX X = t; refused where the adjoint is
        dA = sqrtm_jvp(t, ans, A)


def _exponential(linalg) -> None:
    @adjoint(linalg.expm)
    def expm(g, A):
        # the Fréchet derivative at A^T applied to g: smooth everywhere
        dA = expm_frechet_block(np.swapaxes(A, -1, -2), g)

    @tangent(linalg.expm)
    def expm_tangent(t, A):
        # the Fréchet derivative at A in the direction t, from expm([[A, t], [0, A]])
        dA = expm_frechet_block(A, t)


if "scipy.linalg" in sys.modules:
    register_scipy()
