"""Numerically careful special functions: sigmoid, softmax, logsumexp, gamma, Bessel functions.

Rules here stay finite at large and infinite inputs where the math allows, the tangent rules as
the adjoints; the elementwise ones state their derivatives once (`@elementwise`). `np.i0`'s
derivative, `scipy.special.i1`, is computed by SciPy when a gradient needs it. Those for
`scipy.special` are registered once the user's program has imported it (importing SciPy here
would cost every user a fifth of a second), checked again whenever a lookup misses.

Each rule says in one comment what it gives at the poles and edges of its function. Where a
function is infinite (gamma at 0, -1, -2, ...), its slope is the infinity or nan that its
formula gives there, as SciPy computes the function itself. An incomplete gamma or beta function
has a derivative in its last argument only (in its parameters it has no closed form): srcgrad
refuses a call whose parameters depend on the values being differentiated, as it does an order
(`polygamma`'s `n`, a Bessel function's `v`) or a dimension (`multigammaln`'s `d`). The Bessel
functions' derivatives are those of the orders next to their own, which the runtime helper
`bessel(kind, order, x)` computes (its tangent rule, for second derivatives, is in
rules/helpers.py).
"""

# ruff: noqa: F821  (`fill` and the runtime helpers are names in generated code, not here)

import sys

import numpy as np

from ... import runtime
from ..registry import adjoint, elementwise, nondifferentiable, tangent

registered = False

# ---------------------------------------------------------------------------------------------
# NumPy's own.


@elementwise(np.i0)
def i0(x):
    # i1, odd and smooth: 0 at 0; it overflows to inf, as i0 does, beyond |x| of about 713
    dx = bessel_i1(x)


# The helper rgamma's rule calls, constant but at isolated points, carries no gradient (the rules
# of the other helpers, for derivatives of higher order, are in rules/helpers.py).
nondifferentiable(runtime.rgamma_zero_slopes)

# ---------------------------------------------------------------------------------------------
# scipy.special.


def register_scipy() -> None:
    """Register the rules for scipy.special's functions, each adjoint with its tangent."""
    global registered
    registered = True
    import scipy.special

    @elementwise(scipy.special.expit)
    def expit(ans, x):
        # from the result alone: 0, not nan, at x = +-inf
        dx = ans * (1 - ans)

    @elementwise(scipy.special.logit)
    def logit(x):
        # inf at 0 and 1, where logit is -inf and inf
        dx = 1 / (x * (1 - x))

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

    @elementwise(scipy.special.erf)
    def erf(x):
        # 1.1283791670955126 is 2 / sqrt(pi); 0, not nan, at x = +-inf
        dx = 1.1283791670955126 * np.exp(-x * x)

    @elementwise(scipy.special.erfc)
    def erfc(x):
        dx = -1.1283791670955126 * np.exp(-x * x)

    @elementwise(scipy.special.gammaln)
    def gammaln(x):
        # digamma; at the poles of gamma (0, -1, -2, ...) it is nan or inf
        dx = digamma(x)

    @elementwise(scipy.special.gamma)
    def gamma(ans, x):
        # at the poles, as gamma: -inf at 0 (gamma is inf there, digamma -inf), nan at -1, -2, ...
        # (where SciPy's gamma is nan); inf beyond x = 171.6, where gamma overflows
        dx = ans * digamma(x)

    @elementwise(scipy.special.rgamma)
    def rgamma(ans, x):
        # 1 / gamma is entire: at its zeros x = -n (0, -1, -2, ...), where -ans * digamma(x) is
        # 0 times an infinity, the slope is (-1)**n * n! (a second derivative there is 0)
        dx = np.where(ans == 0, rgamma_zero_slopes(x), -ans * digamma(x))

    nondifferentiable(scipy.special.gammasgn)  # +-1, or 0 or nan at the poles: a step function

    @elementwise(scipy.special.psi)  # scipy.special.digamma is psi
    def psi(x):
        # inf at the poles 0, -1, -2, ..., where digamma rises to inf and on from -inf
        dx = polygamma(1, x)

    @elementwise(scipy.special.polygamma, name="polygamma")
    def polygamma_n(n, x):
        # in x only (n is an order); SciPy's polygamma(n + 1, x) at the poles: +-inf
        dx = polygamma(n + 1, x)

    @elementwise(scipy.special.multigammaln)
    def multigammaln(a, d):
        # in a only (d is a dimension): the sum of digamma(a - j / 2) for j below d; SciPy refuses
        # a <= (d - 1) / 2, where the function has its poles
        da = np.sum(digamma(np.expand_dims(a, -1) - np.arange(d) / 2), axis=-1)

    @elementwise(scipy.special.gammainc)
    def gammainc(a, x):
        # in x only: the density of the gamma distribution of shape a. 0 for x < 0 (SciPy's
        # gammainc is nan there); at x = 0, inf for a < 1, 1 for a = 1 and 0 for a > 1. First
        # derivatives only: log_density has no tangent rule yet
        dx = np.exp(log_density("gamma", x, a))

    @elementwise(scipy.special.gammaincc)
    def gammaincc(a, x):
        # in x only: minus gammainc's (0 for x < 0; at x = 0, -inf for a < 1)
        dx = -np.exp(log_density("gamma", x, a))

    @elementwise(scipy.special.beta)
    def beta(ans, a, b):
        # at a pole of beta (a or b is 0, -1, -2, ...) an infinity or nan, as ans * digamma gives:
        # -inf in a at a = 0; nan at its zeros (a + b is 0, -1, ..., a and b are not), 0 * inf
        da = ans * (digamma(a) - digamma(a + b))
        db = ans * (digamma(b) - digamma(a + b))

    @elementwise(scipy.special.betaln)
    def betaln(a, b):
        # the log of |beta|: at its poles (a or b is 0, -1, -2, ...) an infinity or nan, as the
        # digammas give (-inf in a at a = 0); where a + b is 0 (a zero of beta) inf, where it is
        # -1, -2, ... nan, as digamma(a + b) is -inf and nan there
        da = digamma(a) - digamma(a + b)
        db = digamma(b) - digamma(a + b)

    @elementwise(scipy.special.betainc)
    def betainc(a, b, x):
        # in x only: the density of the beta distribution (a, b). 0 outside [0, 1]; at x = 0, inf
        # for a < 1 and 0 for a > 1 (b at x = 1 likewise). First derivatives only, as gammainc's
        dx = np.exp(log_density("beta", x, a, b))

    @elementwise(scipy.special.erfinv)
    def erfinv(ans, x):
        # 0.886226925452758 is sqrt(pi) / 2: inf at -1 and 1 (where erfinv is -inf and inf), nan
        # outside [-1, 1]
        dx = 0.886226925452758 * np.exp(ans * ans)

    @elementwise(scipy.special.erfcinv)
    def erfcinv(ans, x):
        # -inf at 0 and 2 (where erfcinv is inf and -inf), nan outside [0, 2]
        dx = -0.886226925452758 * np.exp(ans * ans)

    elementwise(scipy.special.i0, name="i0")(i0)  # np.i0's statement, for SciPy's ufunc

    @elementwise(scipy.special.i1)
    def i1(ans, x):
        # i0 - i1 / x: 1/2 at 0, even; it overflows to inf, as i1 does, beyond |x| of about 713
        dx = np.where(x == 0, 0.5, np.i0(x) - ans / np.where(x == 0, 1, x))

    # Bessel functions, in x only (v is an order): each derivative is made of the orders next to
    # v, computed by the helper `bessel(kind, order, x)` ("j", "y", "i" and "ie" for jv, yv, iv and
    # ive), whose tangent rule makes them twice differentiable

    @elementwise(scipy.special.j0)
    def j0(x):
        # -j1: 0 at 0, odd
        dx = -bessel("j", 1, x)

    @elementwise(scipy.special.j1)
    def j1(x):
        # (j0 - j2) / 2: 1/2 at 0, even
        dx = (bessel("j", 0, x) - bessel("j", 2, x)) / 2

    @elementwise(scipy.special.jv)  # scipy.special.jn is jv
    def jv(v, x):
        # (jv(v - 1) - jv(v + 1)) / 2, for jn too: at x = 0, 1/2 for v = 1, 0 for v = 0 and
        # v > 1, inf for 0 < v < 1 (where jv rises as x**v); nan where jv is (x < 0 and an order
        # not whole)
        dx = (bessel("j", v - 1, x) - bessel("j", v + 1, x)) / 2

    @elementwise(scipy.special.y0)
    def y0(x):
        # -y1: inf at 0, where y0 rises from -inf; nan for x < 0, where y0 is
        dx = -bessel("y", 1, x)

    @elementwise(scipy.special.y1)
    def y1(ans, x):
        # (y0 - y2) / 2, but inf (-ans) at 0, where y1 rises from -inf and the formula is
        # -inf + inf; nan for x < 0, where y1 is
        dx = np.where(x == 0, -ans, (bessel("y", 0, x) - bessel("y", 2, x)) / 2)

    @elementwise(scipy.special.yn, scipy.special.yv)
    def yn(ans, v, x):
        # (yn(v - 1) - yn(v + 1)) / 2, but at x = 0, where SciPy's yn is infinite, the infinity
        # of the other sign (-ans: inf for v >= 0); nan for x < 0, where yn is
        dx = np.where(x == 0, -ans, (bessel("y", v - 1, x) - bessel("y", v + 1, x)) / 2)

    @elementwise(scipy.special.iv)
    def iv(v, x):
        # (iv(v - 1) + iv(v + 1)) / 2: at x = 0 as jv's (1/2 for v = 1, inf for 0 < v < 1); nan
        # where iv is (x < 0 and an order not whole); inf where iv overflows (x beyond ~713)
        dx = (bessel("i", v - 1, x) + bessel("i", v + 1, x)) / 2

    @elementwise(scipy.special.ive)
    def ive(ans, v, x):
        # ive = iv * exp(-|x|): (ive(v - 1) + ive(v + 1)) / 2 - sign(x) * ans, finite where iv
        # overflows. At x = 0, where exp(-|x|) has a kink, the mean of the one-sided slopes
        # (np.sign(0) is 0): 0 for v = 0, whose slopes there are 1 and -1
        dx = (bessel("ie", v - 1, x) + bessel("ie", v + 1, x)) / 2 - np.sign(x) * ans

    @elementwise(scipy.special.xlogy)
    def xlogy(x, y):
        # where x is 0 so is xlogy, for every y: the derivative in y is 0 there, even at y = 0
        dx = np.log(y)
        dy = x / np.where(x == 0, 1, y)


if "scipy.special" in sys.modules:
    register_scipy()
