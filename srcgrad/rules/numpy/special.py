"""Numerically careful special functions: sigmoid, softmax, logsumexp, Bessel's i0 and friends.

Rules here stay finite at large and infinite inputs where the math allows, the tangent rules
(each after its adjoint) as the adjoints. `np.i0`'s derivative, `scipy.special.i1`, is computed
by SciPy when a gradient needs it. Those for
`scipy.special` are registered once the user's program has imported it (importing SciPy here
would cost every user a fifth of a second), checked again whenever a lookup misses.
"""

# ruff: noqa: F821  (`fill` and the runtime helpers are names in generated code, not here)

import sys

import numpy as np

from ..registry import adjoint, tangent

registered = False

# ---------------------------------------------------------------------------------------------
# NumPy's own.


@adjoint(np.i0)
def i0(g, x):
    # i1, odd and smooth: 0 at 0; it overflows to inf, as i0 does, beyond |x| of about 713
    dx = g * bessel_i1(x)


@tangent(np.i0)
def i0_tangent(t, x):
    dx = t * bessel_i1(x)


# ---------------------------------------------------------------------------------------------
# scipy.special.


def register_scipy() -> None:
    """Register the rules for scipy.special's functions, each adjoint with its tangent."""
    global registered
    registered = True
    import scipy.special

    @adjoint(scipy.special.expit)
    def expit(g, ans, x):
        # from the result alone: 0, not nan, at x = +-inf
        dx = g * ans * (1 - ans)

    @tangent(scipy.special.expit)
    def expit_tangent(t, ans, x):
        dx = t * ans * (1 - ans)

    @adjoint(scipy.special.logit)
    def logit(g, x):
        # inf at 0 and 1, where logit is -inf and inf
        dx = g / (x * (1 - x))

    @tangent(scipy.special.logit)
    def logit_tangent(t, x):
        # inf at 0 and 1, where logit is -inf and inf
        dx = t / (x * (1 - x))

    @adjoint(scipy.special.logsumexp)
    def logsumexp(g, ans, a, axis=None, b=None, keepdims=False):
        # exp(a - ans) <= 1: finite for large a, 0 where a is -inf (nan if all of a is -inf)
        if b is None and axis is None and not keepdims:
            da = g * np.exp(a - ans)
        else:
            da = logsumexp_da(g, ans, a, axis, keepdims, b)
            db = logsumexp_db(g, ans, a, axis, keepdims, b)

    @tangent(scipy.special.logsumexp)
    def logsumexp_tangent(t, ans, a, axis=None, b=None, keepdims=False):
        # the mean of t weighted by b * exp(a - ans) <= 1: nan if all of a is -inf, as the adjoint
        if b is None and axis is None and not keepdims:
            da = np.sum(t * np.exp(a - ans))
        else:
            da = logsumexp_jvp_a(t, ans, a, axis, keepdims, b)
            db = logsumexp_jvp_b(t, ans, a, axis, keepdims, b)

    @adjoint(scipy.special.softmax)
    def softmax(g, ans, x, axis=None):
        # from the result alone: finite for large x, 0 where x is -inf
        dx = ans * (g - np.sum(g * ans, axis=axis, keepdims=True))

    @tangent(scipy.special.softmax)
    def softmax_tangent(t, ans, x, axis=None):
        # from the result alone: finite for large x, 0 where x is -inf
        if axis is None:
            dx = ans * (t - np.sum(t * ans))
        else:
            dx = ans * (t - np.sum(t * ans, axis=axis, keepdims=True))

    @adjoint(scipy.special.log_softmax)
    def log_softmax(g, ans, x, axis=None):
        # np.exp(ans) is the softmax: finite for large x
        dx = g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True)

    @tangent(scipy.special.log_softmax)
    def log_softmax_tangent(t, ans, x, axis=None):
        # np.exp(ans) is the softmax: finite for large x
        if axis is None:
            dx = t - np.sum(np.exp(ans) * t)
        else:
            dx = t - np.sum(np.exp(ans) * t, axis=axis, keepdims=True)

    @adjoint(scipy.special.erf)
    def erf(g, x):
        # 1.1283791670955126 is 2 / sqrt(pi); 0, not nan, at x = +-inf
        dx = g * 1.1283791670955126 * np.exp(-x * x)

    @tangent(scipy.special.erf)
    def erf_tangent(t, x):
        # 1.1283791670955126 is 2 / sqrt(pi); 0, not nan, at x = +-inf
        dx = t * 1.1283791670955126 * np.exp(-x * x)

    @adjoint(scipy.special.erfc)
    def erfc(g, x):
        dx = -g * 1.1283791670955126 * np.exp(-x * x)

    @tangent(scipy.special.erfc)
    def erfc_tangent(t, x):
        dx = -t * 1.1283791670955126 * np.exp(-x * x)

    @adjoint(scipy.special.gammaln)
    def gammaln(g, x):
        # digamma; at the poles of gamma (0, -1, -2, ...) it is nan or inf
        dx = g * digamma(x)

    @tangent(scipy.special.gammaln)
    def gammaln_tangent(t, x):
        # digamma; at the poles of gamma (0, -1, -2, ...) it is nan or inf
        dx = t * digamma(x)

    @adjoint(scipy.special.xlogy)
    def xlogy(g, x, y):
        # where x is 0 so is xlogy, for every y: y's gradient is 0 there, even at y = 0
        dx = unbroadcast(g * np.log(y), x)
        dy = unbroadcast(g * x / np.where(x == 0, 1, y), y)

    @tangent(scipy.special.xlogy)
    def xlogy_tangent(t, x, y):
        # where x is 0 so is xlogy, for every y: y's part is 0 there, even at y = 0
        dx = t * np.log(y)
        dy = t * x / np.where(x == 0, 1, y)


if "scipy.special" in sys.modules:
    register_scipy()
