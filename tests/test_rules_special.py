"""Rows for the special-function rules (srcgrad/rules/numpy/special.py); the machinery is in
tests/rulespec.py and the two forms each row is tested in are described in tests/test_rules.py.

The rows call SciPy's functions in the ways user code does (`scipy.special.expit`, a name
imported from it, `special.erf`). A second set of tests checks that the gradients stay finite
at large and infinite inputs, where a naive formula overflows or divides 0 by 0.
"""

from __future__ import annotations

import numpy as np
import scipy.special
from hypothesis import strategies as st
from rulespec import *  # noqa: F403  (domains and argument builders, used by the rows)
from rulespec import _array, check_both_modes, check_program, define_tests, rows
from scipy import special
from scipy.special import expit, log_softmax, logsumexp, softmax, xlogy

import srcgrad

row = rows(globals())

UNIT = Domain(0.05, 0.95)  # logit: away from its poles at 0 and 1
GAMMA = Domain(-2.9, 4.0, avoid=(-2.0, -1.0, 0.0), margin=0.15)  # gammaln: away from the poles


def axis_args(dtype):
    """x with 1-3 axes and one of them (maybe written negative) for softmax and log_softmax."""

    @st.composite
    def draw(draw):
        x = draw(_array(shapes(1, 3), dtype, REAL))
        return x, draw(st.integers(-x.ndim, x.ndim - 1))

    return draw()


def weighted_args(dtype):
    """a, and positive weights b that broadcast with it, for logsumexp(a, b=b)."""

    @st.composite
    def draw(draw):
        sa, sb = draw(broadcastable_shapes(2), label="shapes").input_shapes
        return draw(_array(sa, dtype, REAL)), draw(_array(sb, dtype, POSITIVE))

    return draw()


# ---------------------------------------------------------------------------------------------
# The functions under test: `<name>_s` is the seed form, `<name>_w` the weighted form.


def expit_s(x):
    return np.sum(scipy.special.expit(x))


def expit_w(x, w):
    return np.sum(w * scipy.special.expit(x))


def expit_name_s(x):
    return np.sum(expit(x) * 2.0)


def expit_name_w(x, w):
    return np.sum(w * (expit(x) * 2.0))


def logit_s(x):
    return np.sum(special.logit(x))


def logit_w(x, w):
    return np.sum(w * special.logit(x))


def logsumexp_s(x):
    return np.sum(logsumexp(x))


def logsumexp_w(x, w):
    return np.sum(w * logsumexp(x))


def logsumexp_axis_s(x):
    return np.sum(logsumexp(x, axis=-1))


def logsumexp_axis_w(x, w):
    return np.sum(w * logsumexp(x, axis=-1))


def logsumexp_keepdims_s(x):
    return np.sum(scipy.special.logsumexp(x, axis=(0, -1), keepdims=True))


def logsumexp_keepdims_w(x, w):
    return np.sum(w * scipy.special.logsumexp(x, axis=(0, -1), keepdims=True))


def logsumexp_var_s(x, axis, keepdims):
    return np.sum(logsumexp(x, axis=axis, keepdims=keepdims))


def logsumexp_var_w(x, axis, keepdims, w):
    return np.sum(w * logsumexp(x, axis=axis, keepdims=keepdims))


def logsumexp_b_s(a, b):
    return np.sum(logsumexp(a, b=b))


def logsumexp_b_w(a, b, w):
    return np.sum(w * logsumexp(a, b=b))


def logsumexp_b_axis_s(a, b):
    return np.sum(logsumexp(a, -1, b, True))


def logsumexp_b_axis_w(a, b, w):
    return np.sum(w * logsumexp(a, -1, b, True))


def softmax_s(x):
    return np.sum(softmax(x))


def softmax_w(x, w):
    return np.sum(w * softmax(x))


def softmax_axis_s(x, axis):
    return np.sum(softmax(x, axis=axis))


def softmax_axis_w(x, axis, w):
    return np.sum(w * softmax(x, axis=axis))


def log_softmax_s(x):
    return np.sum(log_softmax(x))


def log_softmax_w(x, w):
    return np.sum(w * log_softmax(x))


def log_softmax_axis_s(x, axis):
    return np.sum(scipy.special.log_softmax(x, axis))


def log_softmax_axis_w(x, axis, w):
    return np.sum(w * scipy.special.log_softmax(x, axis))


def erf_s(x):
    return np.sum(special.erf(x))


def erf_w(x, w):
    return np.sum(w * special.erf(x))


def erfc_s(x):
    return np.sum(special.erfc(x))


def erfc_w(x, w):
    return np.sum(w * special.erfc(x))


def gammaln_s(x):
    return np.sum(scipy.special.gammaln(x))


def gammaln_w(x, w):
    return np.sum(w * scipy.special.gammaln(x))


def xlogy_s(x, y):
    return np.sum(xlogy(x, y))


def xlogy_w(x, y, w):
    return np.sum(w * xlogy(x, y))


def entropy_s(p):
    return -np.sum(xlogy(p, p))


def entropy_w(p, w):
    return np.sum(w * -xlogy(p, p))


def i0_s(x):
    return np.sum(np.i0(x))


def i0_w(x, w):
    return np.sum(w * np.i0(x))


def gamma_s(x):
    return np.sum(special.gamma(x))


def gamma_w(x, w):
    return np.sum(w * special.gamma(x))


def rgamma_s(x):
    return np.sum(special.rgamma(x))


def rgamma_w(x, w):
    return np.sum(w * special.rgamma(x))


def psi_s(x):
    return np.sum(special.psi(x))


def psi_w(x, w):
    return np.sum(w * special.psi(x))


def digamma_s(x):
    return np.sum(scipy.special.digamma(x))


def digamma_w(x, w):
    return np.sum(w * scipy.special.digamma(x))


# SciPy computes polygamma and multigammaln (no ufuncs: Dask has no counterpart of them, see
# BACKEND_GAPS), and yn of an integer order, in float64 whatever the input: the rows cast the value
# back to the input's dtype for the float32 pass.


def polygamma_s(x):
    return np.sum(special.polygamma(2, x).astype(x.dtype))


def polygamma_w(x, w):
    return np.sum(w * special.polygamma(2, x).astype(x.dtype))


def polygamma_var_s(n, x):
    return np.sum(special.polygamma(n, x).astype(np.asarray(x).dtype))


def polygamma_var_w(n, x, w):
    return np.sum(w * special.polygamma(n, x).astype(x.dtype))


def multigammaln_s(a):
    return np.sum(special.multigammaln(a, 3).astype(a.dtype))


def multigammaln_w(a, w):
    return np.sum(w * special.multigammaln(a, 3).astype(a.dtype))


def gammainc_s(a, x):
    return np.sum(special.gammainc(a, x))


def gammainc_w(a, x, w):
    return np.sum(w * special.gammainc(a, x))


def gammaincc_s(a, x):
    return np.sum(special.gammaincc(a, x))


def gammaincc_w(a, x, w):
    return np.sum(w * special.gammaincc(a, x))


def beta_s(a, b):
    return np.sum(special.beta(a, b))


def beta_w(a, b, w):
    return np.sum(w * special.beta(a, b))


def betaln_s(a, b):
    return np.sum(special.betaln(a, b))


def betaln_w(a, b, w):
    return np.sum(w * special.betaln(a, b))


def betainc_s(a, b, x):
    return np.sum(special.betainc(a, b, x))


def betainc_w(a, b, x, w):
    return np.sum(w * special.betainc(a, b, x))


def erfinv_s(x):
    return np.sum(special.erfinv(x))


def erfinv_w(x, w):
    return np.sum(w * special.erfinv(x))


def erfcinv_s(x):
    return np.sum(special.erfcinv(x))


def erfcinv_w(x, w):
    return np.sum(w * special.erfcinv(x))


def scipy_i0_s(x):
    return np.sum(special.i0(x))


def scipy_i0_w(x, w):
    return np.sum(w * special.i0(x))


def i1_s(x):
    return np.sum(special.i1(x))


def i1_w(x, w):
    return np.sum(w * special.i1(x))


def j0_s(x):
    return np.sum(special.j0(x))


def j0_w(x, w):
    return np.sum(w * special.j0(x))


def j1_s(x):
    return np.sum(special.j1(x))


def j1_w(x, w):
    return np.sum(w * special.j1(x))


def jv_s(x):
    return np.sum(special.jv(2.5, x))


def jv_w(x, w):
    return np.sum(w * special.jv(2.5, x))


def jv_var_s(v, x):
    return np.sum(scipy.special.jv(v, x))


def jv_var_w(v, x, w):
    return np.sum(w * scipy.special.jv(v, x))


def jn_s(n, x):
    return np.sum(special.jn(n, x))


def jn_w(n, x, w):
    return np.sum(w * special.jn(n, x))


def y0_s(x):
    return np.sum(special.y0(x))


def y0_w(x, w):
    return np.sum(w * special.y0(x))


def y1_s(x):
    return np.sum(special.y1(x))


def y1_w(x, w):
    return np.sum(w * special.y1(x))


def yn_s(x):
    return np.sum(special.yn(2, x).astype(x.dtype))


def yn_w(x, w):
    return np.sum(w * special.yn(2, x).astype(x.dtype))


def yv_s(v, x):
    return np.sum(special.yv(v, x))


def yv_w(v, x, w):
    return np.sum(w * special.yv(v, x))


def iv_s(x):
    return np.sum(special.iv(1.5, x))


def iv_w(x, w):
    return np.sum(w * special.iv(1.5, x))


def ive_s(v, x):
    return np.sum(special.ive(v, x))


def ive_w(v, x, w):
    return np.sum(w * special.ive(v, x))


# ---------------------------------------------------------------------------------------------
# The table.

AB = ("a", "b")
ABOVE_ONE = Domain(1.2, 4.0)  # multigammaln(a, 3): defined for a > 1
SHAPE = Domain(0.3, 3.0)  # the parameters of the incomplete gamma and beta functions, beta's
OPEN = Domain(0.3, 4.0)  # polygamma(2, x): away from the poles; Bessel functions of orders not whole, Y
INVERSE = Domain(-0.9, 0.9)  # erfinv: away from its poles at -1 and 1
BESSEL = Domain(-6.0, 6.0)  # J and I of a whole order: a few of J's extrema and zeros either side of 0
AWAY = Domain(-4.0, 4.0, avoid=(0.0,), margin=0.2)  # ive(0, x): away from its kink at 0


def order_args(low, high, domain):
    """A whole order in [low, high] (a Python int) and an array in `domain`: polygamma(n, x),
    jn(n, x)."""
    return lambda dtype: st.tuples(st.integers(low, high), _array(shapes(), dtype, domain))


def real_order_args(domain):
    """An order from 0, 1/2, 1 and 5/2 (a Python float) and an array in `domain`: yv, ive."""
    return lambda dtype: st.tuples(st.sampled_from([0.0, 0.5, 1.0, 2.5]), _array(shapes(), dtype, domain))


# fmt: off
SPECS = [
    row("expit", "expit", "expit", scipy.special.expit),
    row("expit-pyfloat", "expit", "expit", scipy.special.expit, args=unary(pyfloat=True)),
    row("expit-imported-name", "expit", "expit_name", lambda x: expit(x) * 2.0),
    row("logit", "logit", "logit", special.logit, args=unary(UNIT)),
    row("logsumexp", "logsumexp", "logsumexp", logsumexp),
    row("logsumexp-pyfloat", "logsumexp", "logsumexp", logsumexp, args=unary(pyfloat=True)),
    row("logsumexp-axis=-1", "logsumexp", "logsumexp_axis", lambda x: logsumexp(x, axis=-1), args=ndim(1, 3)),
    row("logsumexp-axis=(0,-1)-keepdims", "logsumexp", "logsumexp_keepdims",
        lambda x: logsumexp(x, axis=(0, -1), keepdims=True), args=ndim(2, 3)),
    row("logsumexp-axis-drawn", "logsumexp", "logsumexp_var",
        lambda x, axis, keepdims: logsumexp(x, axis=axis, keepdims=keepdims), args=reduction_args),
    row("logsumexp-b", "logsumexp", "logsumexp_b", lambda a, b: logsumexp(a, b=b), AB, weighted_args),
    row("logsumexp-b-axis", "logsumexp", "logsumexp_b_axis", lambda a, b: logsumexp(a, -1, b, True), AB,
        lambda dtype: st.tuples(_array((2, 3), dtype, REAL), _array((3,), dtype, POSITIVE))),
    row("softmax", "softmax", "softmax", softmax),
    row("softmax-axis", "softmax", "softmax_axis", lambda x, axis: softmax(x, axis=axis), args=axis_args),
    row("log_softmax", "log_softmax", "log_softmax", log_softmax),
    row("log_softmax-axis", "log_softmax", "log_softmax_axis", log_softmax, args=axis_args),
    row("erf", "erf", "erf", special.erf),
    row("erf-pyfloat", "erf", "erf", special.erf, args=unary(pyfloat=True)),
    row("erfc", "erfc", "erfc", special.erfc),
    row("gammaln", "gammaln", "gammaln", special.gammaln, args=unary(GAMMA)),
    row("xlogy", "xlogy", "xlogy", xlogy, ("x", "y"), broadcasting(REAL, POSITIVE)),
    row("xlogy-pyfloat-x", "xlogy", "xlogy", xlogy, ("x", "y"), mixed(("float", REAL), ("array", POSITIVE))),
    row("xlogy-entropy", "xlogy", "entropy", lambda p: -xlogy(p, p), ("p",), unary(POSITIVE)),
    row("np.i0", "i0", "i0", np.i0, args=unary(Domain(-4.0, 4.0))),
    row("np.i0-pyfloat", "i0", "i0", np.i0, args=unary(pyfloat=True)),
    row("gamma", "gamma", "gamma", special.gamma, args=unary(GAMMA)),
    row("rgamma", "rgamma", "rgamma", special.rgamma, args=unary(GAMMA)),
    row("psi", "psi", "psi", special.psi, args=unary(GAMMA)),
    row("digamma", "psi", "digamma", special.digamma, args=unary(GAMMA)),
    row("polygamma", "polygamma", "polygamma", lambda x: special.polygamma(2, x), args=unary(OPEN)),
    row("polygamma-order-drawn", "polygamma", "polygamma_var", special.polygamma,
        args=order_args(0, 3, OPEN)),
    row("multigammaln", "multigammaln", "multigammaln", lambda a: special.multigammaln(a, 3), ("a",),
        unary(ABOVE_ONE)),
    row("gammainc", "gammainc", "gammainc", special.gammainc, ("x",), broadcasting(SHAPE, POSITIVE)),
    row("gammaincc", "gammaincc", "gammaincc", special.gammaincc, ("x",), broadcasting(SHAPE, POSITIVE)),
    row("beta", "beta", "beta", special.beta, AB, broadcasting(SHAPE, SHAPE)),
    row("betaln", "betaln", "betaln", special.betaln, AB, broadcasting(SHAPE, SHAPE)),
    row("betainc", "betainc", "betainc", special.betainc, ("x",), broadcasting(SHAPE, SHAPE, UNIT)),
    row("erfinv", "erfinv", "erfinv", special.erfinv, args=unary(INVERSE)),
    row("erfcinv", "erfcinv", "erfcinv", special.erfcinv, args=unary(Domain(0.1, 1.9))),
    row("scipy.special.i0", "i0", "scipy_i0", special.i0, args=unary(Domain(-4.0, 4.0))),
    row("i1", "i1", "i1", special.i1, args=unary(Domain(-4.0, 4.0))),
    row("j0", "j0", "j0", special.j0, args=unary(BESSEL)),
    row("j0-pyfloat", "j0", "j0", special.j0, args=unary(BESSEL, pyfloat=True)),
    row("j1", "j1", "j1", special.j1, args=unary(BESSEL)),
    row("jv", "jv", "jv", lambda x: special.jv(2.5, x), args=unary(OPEN)),
    row("jv-order-array", "jv", "jv_var", scipy.special.jv, ("x",), broadcasting(Domain(0.0, 3.0), OPEN)),
    row("jn-order-drawn", "jv", "jn", special.jn, ("x",), order_args(-2, 4, BESSEL)),
    row("y0", "y0", "y0", special.y0, args=unary(OPEN)),
    row("y1", "y1", "y1", special.y1, args=unary(OPEN)),
    row("yn", "yn", "yn", lambda x: special.yn(2, x), args=unary(Domain(0.5, 5.0))),
    row("yv-order-drawn", "yn", "yv", special.yv, ("x",), real_order_args(Domain(0.5, 5.0))),
    row("iv", "iv", "iv", lambda x: special.iv(1.5, x), args=unary(OPEN)),
    row("ive-order-drawn", "ive", "ive", special.ive, ("x",), real_order_args(OPEN)),
    row("ive(0,x)", "ive", "ive", special.ive, ("x",), order_args(0, 0, AWAY)),
]
# fmt: on

define_tests(SPECS, globals())


# ---------------------------------------------------------------------------------------------
# Large and infinite inputs: finite gradients where the math has them.

BIG = np.array([-np.inf, -1e3, -30.0, 0.0, 30.0, 1e3, np.inf])


def _grad(f, *args, wrt=None):
    return srcgrad.grad(f, wrt=wrt, with_value=False)(*args)


def test_expit_at_large_and_infinite_inputs():
    dx = _grad(expit_s, BIG)
    assert np.all(np.isfinite(dx)) and dx[3] == 0.25
    np.testing.assert_array_equal(dx[[0, 1, 5, 6]], 0.0)


def test_erf_and_erfc_at_large_and_infinite_inputs():
    for f, sign in ((erf_s, 1.0), (erfc_s, -1.0)):
        dx = _grad(f, BIG)
        np.testing.assert_array_equal(dx[[0, 1, 2, 4, 5, 6]], 0.0)
        assert dx[3] == sign * 2 / np.pi**0.5


def test_logsumexp_at_large_and_minus_infinite_inputs():
    x = np.array([1e3, 1e3, -1e3, -np.inf])
    np.testing.assert_allclose(_grad(logsumexp_s, x), [0.5, 0.5, 0.0, 0.0])
    rows = np.array([[1e3, 1e3 - np.log(3.0)], [-1e3, -np.inf]])
    np.testing.assert_allclose(_grad(logsumexp_axis_s, rows), [[0.75, 0.25], [1.0, 0.0]])
    w = np.array([[1.0], [2.0]])
    np.testing.assert_allclose(_grad(logsumexp_var_w, rows, 1, True, w), [[0.75, 0.25], [2.0, 0.0]])
    da, db = _grad(logsumexp_b_s, np.array([1e3, 1e3, -np.inf]), np.array([1.0, 3.0, 2.0]), wrt=("a", "b"))
    np.testing.assert_allclose(da, [0.25, 0.75, 0.0])
    np.testing.assert_allclose(db, [0.25, 0.25, 0.0])


def test_softmax_and_log_softmax_at_large_and_minus_infinite_inputs():
    x = np.array([1e3, 0.0, -1e3, -np.inf])
    w = np.array([1.0, 2.0, 3.0, 4.0])
    dx = _grad(softmax_w, x, w)
    assert np.all(np.isfinite(dx))
    np.testing.assert_allclose(dx, 0.0, atol=1e-300)  # the softmax is (1, 0, 0, 0): flat there
    dx = _grad(log_softmax_w, x, w)
    np.testing.assert_allclose(dx, w - np.array([1.0, 0.0, 0.0, 0.0]) * w.sum())
    dx = _grad(softmax_axis_w, np.array([[1e3, 1e3], [-1e3, -np.inf]]), 1, np.array([[1.0, 0.0], [1.0, 1.0]]))
    np.testing.assert_allclose(dx, [[0.25, -0.25], [0.0, 0.0]])


def test_gammaln_at_large_inputs():
    dx = _grad(gammaln_s, np.array([1e3, 1e10, 1e300]))
    np.testing.assert_allclose(dx, scipy.special.digamma([1e3, 1e10, 1e300]))
    assert np.all(np.isfinite(dx))


def test_xlogy_gradient_of_y_is_zero_where_x_is_zero():
    x, y = np.array([0.0, 0.0, 2.0, 0.0]), np.array([0.0, 1e3, 1e3, np.inf])
    with np.errstate(divide="ignore"):
        dx, dy = _grad(xlogy_s, x, y, wrt=("x", "y"))
    np.testing.assert_array_equal(dy, [0.0, 0.0, 2e-3, 0.0])
    assert dx[0] == -np.inf  # log(0): xlogy(x, 0) is -inf for every x > 0
    np.testing.assert_allclose(dx[1:], np.log(y[1:]))


def test_logit_and_expit_are_inverse_gradients():
    x = np.array([0.1, 0.5, 0.9])
    np.testing.assert_allclose(_grad(logit_s, x) * _grad(expit_s, special.logit(x)), 1.0)


def test_i0_is_flat_at_zero_and_odd():
    x = np.array([0.0, -0.0, 1.0, -1.0, 20.0, 1e3])
    with np.errstate(over="ignore"):
        check_both_modes(i0_s, (x[:5],), ("x",), [scipy.special.i1(x[:5])])
        dx = _grad(i0_s, x)
    assert dx[0] == 0.0 and dx[2] == -dx[3] and dx[5] == np.inf  # i0 itself overflows there


def program_i0(x, y):
    window = np.i0(2.0 * np.sqrt(1.0 - (x / 3.0) ** 2)) / np.i0(2.0)  # a Kaiser window's shape
    return np.sum(window * y**2)


def test_program_i0():
    check_program(program_i0, (np.array([-2.0, -0.5, 0.3, 1.8]), np.array([0.5, -1.0, 2.0, 1.5])), ("x", "y"))


def test_second_derivative_of_i0():
    x = np.array([-1.5, 0.0, 0.7, 3.0])
    hessian = srcgrad.hessian(i0_s)(x)
    d2 = scipy.special.i0(x) - np.where(x == 0, 0.5, scipy.special.i1(x) / np.where(x == 0, 1.0, x))
    np.testing.assert_allclose(hessian, np.diag(np.where(x == 0, 0.5, d2)), rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------------------------------------
# The gamma and beta functions, Bessel's i1 and the inverse error functions at their poles and edges:
# the gradient each rule's comment states, and a tangent that is its dot product with a direction.


def _quiet_grad(f, *args, wrt=None):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _grad(f, *args, wrt=wrt)


def test_gamma_at_its_poles_and_overflow():
    dx = _quiet_grad(gamma_s, np.array([0.0, -0.0, -1.0, -2.0, 171.7, 2.0]))
    assert dx[0] == -np.inf  # gamma falls from +-inf on both sides of 0
    if special.gamma(-0.0) == -np.inf:  # SciPy's sign at -0.0 (SciPy 1.13 gives +inf there)
        assert dx[1] == -np.inf
    else:
        assert np.isinf(dx[1])
    assert np.isnan(dx[2]) and np.isnan(dx[3])  # SciPy's gamma is nan at -1, -2, ...
    assert dx[4] == np.inf
    assert dx[5] == pytest.approx(special.gamma(2.0) * special.digamma(2.0), rel=1e-14)


def test_rgamma_at_its_zeros_has_the_slopes_of_an_entire_function():
    x = np.array([0.0, -1.0, -2.0, -3.0, -4.0, 0.5])
    expected = np.array([1.0, -1.0, 2.0, -6.0, 24.0, -special.rgamma(0.5) * special.digamma(0.5)])
    with np.errstate(divide="ignore", invalid="ignore"):
        check_both_modes(rgamma_s, (x,), ("x",), [expected])
    # the slopes of (1 / gamma) against central differences across its zeros
    h = 1e-6
    np.testing.assert_allclose(
        expected[:5], (special.rgamma(x[:5] + h) - special.rgamma(x[:5] - h)) / (2 * h), rtol=1e-8
    )


def test_psi_and_polygamma_at_the_poles():
    dx = _quiet_grad(psi_s, np.array([0.0, -1.0, -2.0]))
    np.testing.assert_array_equal(dx, np.inf)
    dx = _quiet_grad(polygamma_s, np.array([0.0, -1.0]))
    np.testing.assert_array_equal(dx, special.polygamma(3, np.array([0.0, -1.0])))
    assert np.all(np.isinf(dx))


def test_gammasgn_carries_no_gradient():
    x = np.array([-2.5, -1.5, -0.5, 0.5, 3.0])
    np.testing.assert_array_equal(_grad(gammasgn_product_s, x), special.gammasgn(x))


def gammasgn_product_s(x):
    return np.sum(special.gammasgn(x) * x)


def test_incomplete_gamma_and_beta_at_the_edges_of_their_support():
    a = np.array([0.5, 1.0, 2.0])
    dx = _quiet_grad(gammainc_s, a, np.zeros(3), wrt="x")
    np.testing.assert_array_equal(dx, [np.inf, 1.0, 0.0])
    dx = _quiet_grad(gammaincc_s, a, np.zeros(3), wrt="x")
    np.testing.assert_array_equal(dx, [-np.inf, -1.0, 0.0])
    dx = _quiet_grad(gammainc_s, a, -np.ones(3), wrt="x")  # below the support: SciPy's value is nan
    np.testing.assert_array_equal(dx, 0.0)
    b = np.array([2.0, 3.0, 2.0])
    dx = _quiet_grad(betainc_s, a, b, np.zeros(3), wrt="x")
    np.testing.assert_allclose(dx, [np.inf, 3.0, 0.0], rtol=1e-15)  # beta(1, b)'s density at 0 is b
    dx = _quiet_grad(betainc_s, a, b, np.array([-0.5, 1.5, 1.0]), wrt="x")
    np.testing.assert_array_equal(dx, 0.0)  # outside [0, 1], and at 1 for b > 1


def test_incomplete_gamma_and_beta_refuse_a_differentiated_parameter():
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="no derivative in its argument 'a'"):
        _grad(gammainc_s, np.array([1.5]), np.array([0.5]), wrt="a")
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="no derivative in its argument 'b'"):
        _grad(betainc_s, np.array([1.5]), np.array([2.5]), np.array([0.5]), wrt="b")
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="no derivative in its argument 'n'"):
        _grad(polygamma_var_s, 1.0, 0.5, wrt="n")


def test_incomplete_gamma_and_beta_have_first_derivatives_only():
    """Their slope is a density, read through log_density, which has no tangent rule yet: a
    second derivative stops with an error naming it, not a wrong value."""
    with pytest.raises(srcgrad.NoRuleError, match="log_density"):
        srcgrad.hessian(gammainc_s, wrt="x")(np.array([1.5]), np.array([0.5]))


def test_beta_and_betaln_at_their_poles_and_zeros():
    a, b = np.array([0.0, 0.5]), np.array([2.0, -0.5])  # a pole of beta, then a zero (a + b = 0)
    da, db = _quiet_grad(beta_s, a, b, wrt=("a", "b"))
    assert da[0] == -np.inf  # beta(a, 2) = 1 / (a (a + 1)) falls from inf
    assert np.isnan(da[1]) and np.isnan(db[1])  # 0 * inf at a zero of beta
    da, db = _quiet_grad(betaln_s, a, b, wrt=("a", "b"))
    assert da[0] == -np.inf and da[1] == np.inf and db[1] == np.inf  # log|beta| falls to -inf at a zero


def test_erfinv_and_erfcinv_at_their_poles():
    dx = _quiet_grad(erfinv_s, np.array([-1.0, 1.0, 0.0, 1.5]))
    assert dx[0] == dx[1] == np.inf and dx[2] == pytest.approx(np.pi**0.5 / 2, rel=1e-15) and np.isnan(dx[3])
    dx = _quiet_grad(erfcinv_s, np.array([0.0, 2.0, 1.0, -0.5]))
    assert (
        dx[0] == dx[1] == -np.inf and dx[2] == pytest.approx(-(np.pi**0.5) / 2, rel=1e-15) and np.isnan(dx[3])
    )


def test_inverse_error_functions_invert_the_error_functions_gradients():
    x = np.array([-0.8, 0.1, 0.6])
    np.testing.assert_allclose(_grad(erfinv_s, x) * _grad(erf_s, special.erfinv(x)), 1.0, rtol=1e-13)


def test_i0_and_i1_at_zero():
    zero = np.zeros(1)
    assert _grad(i1_s, zero)[0] == 0.5 and _grad(scipy_i0_s, zero)[0] == 0.0
    x = np.array([0.0, -0.0, 1.5, -1.5])
    check_both_modes(i1_s, (x,), ("x",), [(special.i0(x) + special.iv(2, x)) / 2])


def test_polygamma_and_multigammaln_of_arrays():
    """An array of orders that broadcasts against x (the rows draw one order), a Python float, and
    multigammaln as the sum of its digammas."""
    assert _grad(polygamma_var_s, 2, 1.5, wrt="x") == pytest.approx(special.polygamma(3, 1.5), rel=1e-14)
    x = np.array([[0.4, 1.3, 2.7], [3.1, 0.8, 1.9]])
    check_program(polygamma_var_s, (np.array([0, 1, 2]), x), ("x",))
    np.testing.assert_allclose(
        _grad(polygamma_var_s, np.array([0, 1, 2]), x, wrt="x"),
        special.polygamma(np.array([1, 2, 3]), x),
        rtol=1e-14,
    )
    a = np.array([1.3, 2.0, 3.7])
    check_program(multigammaln_s, (a,), ("a",))
    expected = sum(special.digamma(a - j / 2) for j in range(3))
    np.testing.assert_allclose(_grad(multigammaln_s, a), expected, rtol=1e-14)


def test_gamma_family_against_autograd():
    autograd = pytest.importorskip("autograd")
    asp = pytest.importorskip("autograd.scipy.special")
    x = np.array([0.3, 1.7, 2.9, -0.5])
    for ours, theirs in (
        (gamma_s, asp.gamma),
        (rgamma_s, asp.rgamma),
        (psi_s, asp.psi),
        (erfinv_s, asp.erfinv),
    ):
        arg = x / 4 if ours is erfinv_s else x
        np.testing.assert_allclose(
            _grad(ours, arg), autograd.grad(lambda v, f=theirs: f(v).sum())(arg), rtol=1e-13
        )
    a = np.array([0.7, 1.5, 3.0, 2.2])
    theirs = autograd.grad(lambda v: asp.gammainc(a, v).sum())(np.abs(x))
    np.testing.assert_allclose(_grad(gammainc_s, a, np.abs(x), wrt="x"), theirs, rtol=1e-12)


def test_i0_and_i1_against_autograd():
    autograd = pytest.importorskip("autograd")
    asp = pytest.importorskip("autograd.scipy.special")
    x = np.array([-2.3, 0.3, 1.7, 4.9, 8.0])
    for ours, theirs in ((scipy_i0_s, asp.i0), (i1_s, asp.i1)):
        np.testing.assert_allclose(
            _grad(ours, x), autograd.grad(lambda v, f=theirs: f(v).sum())(x), rtol=1e-12
        )


def test_second_derivatives_of_the_gamma_family():
    """Forward mode over the gradients (the helpers the rules call, digamma and polygamma, have
    tangent rules), against central differences of the gradient."""
    x = np.array([0.7, 1.9, 3.3])
    h = 1e-5
    for f in (gamma_s, rgamma_s, psi_s, erfinv_s, erfcinv_s, i1_s, scipy_i0_s, beta_s):
        args = (
            (x / 4,)
            if f is erfinv_s
            else (x / 2,)
            if f is erfcinv_s
            else (x, x[::-1])
            if f is beta_s
            else (x,)
        )
        grad = srcgrad.grad(f, with_value=False)
        central = (grad(args[0] + h, *args[1:]) - grad(args[0] - h, *args[1:])) / (2 * h)
        np.testing.assert_allclose(np.diag(srcgrad.hessian(f)(*args)), central, rtol=1e-6, err_msg=f.__name__)


def program_gamma_family(x, nu):
    # a series term, a log density and a tail probability, as users write them
    term = (x / 2) ** nu * special.rgamma(x + 1.0) + special.i1(x) * special.beta(x, nu)
    log_density = (nu - 1) * np.log(x) - x - special.gammaln(nu) + special.betaln(x, nu)
    return np.sum(term + log_density + special.erfinv(x / 10.0) * special.gammainc(nu, x))


def test_program_gamma_family():
    check_program(program_gamma_family, (np.array([0.4, 1.3, 2.2, 3.5]), 1.5), ("x",))


# ---------------------------------------------------------------------------------------------
# The Bessel functions (j0, j1, jv/jn, y0, y1, yn/yv, iv, ive): at 0, where Y is infinite, at
# ive's kink, beyond iv's overflow; orders refused; second derivatives; a program.


def test_bessel_functions_at_zero():
    zero = np.array([0.0, -0.0])
    assert list(_grad(j0_s, zero)) == [0.0, 0.0] and list(_grad(j1_s, zero)) == [0.5, 0.5]
    assert _grad(jv_s, zero[:1])[0] == 0.0  # jv(2.5, x) is flat at 0
    assert _grad(jn_s, 1, zero[:1], wrt="x")[0] == 0.5 and _grad(jn_s, 3, zero[:1], wrt="x")[0] == 0.0
    # jv(1/2, x) rises as sqrt(x)
    assert _quiet_grad(jv_var_s, np.array([0.5]), zero[:1], wrt="x")[0] == np.inf
    assert _grad(iv_s, zero[:1])[0] == 0.0
    assert _grad(ive_s, 1, zero[:1], wrt="x")[0] == 0.5 and _grad(ive_s, 2, zero[:1], wrt="x")[0] == 0.0
    # Y is -inf at 0, rising from there: its slope is inf (y0, y1, yn, and yv of an order >= 0)
    for f, args in ((y0_s, (zero,)), (y1_s, (zero,)), (yn_s, (zero,)), (yv_s, (0.5, zero))):
        dx = _quiet_grad(f, *args, wrt="x")
        assert list(dx) == [np.inf, np.inf], f.__name__
    # SciPy's yv(-1.5, 0) is inf: the slope is the infinity of the other sign, -ans
    assert _quiet_grad(yv_s, -1.5, zero[:1], wrt="x")[0] == -np.inf
    x = np.array([0.0, -0.0, 1.5, -1.5, -4.0])
    check_both_modes(j0_s, (x,), ("x",), [-special.j1(x)])
    check_both_modes(j1_s, (x,), ("x",), [(special.j0(x) - special.jv(2, x)) / 2])
    check_both_modes(jn_s, (2, x), ("x",), [(special.jv(1, x) - special.jv(3, x)) / 2])


def test_bessel_functions_are_nan_where_scipy_s_are():
    """Y for x < 0, and J and I of an order that is not whole for x < 0: nan, as the function."""
    minus = -np.ones(1)
    for f, args in ((y0_s, (minus,)), (y1_s, (minus,)), (yn_s, (minus,)), (jv_s, (minus,)), (iv_s, (minus,))):
        assert np.isnan(_quiet_grad(f, *args)[0]), f.__name__
    assert np.isnan(_quiet_grad(ive_s, 0.5, minus, wrt="x")[0])
    # whole orders are defined for x < 0: J(n) and I(n) have the parity of n
    x = np.array([1.3, 2.8])
    np.testing.assert_allclose(_grad(jn_s, 3, -x, wrt="x"), _grad(jn_s, 3, x, wrt="x"), rtol=1e-14)
    np.testing.assert_allclose(_grad(ive_s, 2, -x, wrt="x"), -_grad(ive_s, 2, x, wrt="x"), rtol=1e-14)


def _ive_slope(v, x):
    return (special.ive(v - 1, x) + special.ive(v + 1, x)) / 2 - np.sign(x) * special.ive(v, x)


def test_ive_at_its_kink_is_the_mean_of_the_one_sided_slopes():
    h = 1e-7
    right = (special.ive(0, h) - special.ive(0, 0.0)) / h
    left = (special.ive(0, 0.0) - special.ive(0, -h)) / h
    assert right == pytest.approx(-1.0, abs=1e-6) and left == pytest.approx(1.0, abs=1e-6)
    x = np.array([0.0, 0.5, -0.5, 3.0])
    check_both_modes(ive_s, (0, x), ("x",), [_ive_slope(0, x)])
    assert _grad(ive_s, 0, x, wrt="x")[0] == 0.0


def test_ive_stays_finite_where_iv_overflows():
    x = np.array([800.0, 1e4])
    with np.errstate(over="ignore"):
        assert np.all(_grad(iv_s, x) == np.inf)  # iv itself overflows there
    dx = _grad(ive_s, 1.5, x, wrt="x")
    assert np.all(np.isfinite(dx))
    # ive(v, x) is about exp(0) / sqrt(2 pi x) (1 - (4 v**2 - 1) / (8 x)): its slope about
    # -1 / (2 x sqrt(2 pi x))
    np.testing.assert_allclose(dx, -1 / (2 * x * np.sqrt(2 * np.pi * x)), rtol=1e-2)
    np.testing.assert_allclose(dx, _ive_slope(1.5, x), rtol=1e-14)


def jv_order_of_x(x):
    return np.sum(special.jv(x / 2, x))


def test_bessel_orders_are_not_differentiated():
    x = np.array([0.5, 1.5])
    for f, args in ((jv_var_s, (x, x)), (jn_s, (2.0, x)), (yv_s, (1.5, x)), (ive_s, (0.5, x))):
        with pytest.raises(srcgrad.UnsupportedSyntaxError, match="no derivative in its argument 'v'"):
            _grad(f, *args, wrt=("v", "x") if f is jv_var_s else ("n" if f is jn_s else "v"))
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="no derivative in its argument 'v'"):
        _grad(jv_order_of_x, x)
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="no derivative in its argument 'v'"):
        srcgrad.jvp(jv_var_s, wrt="v")(x, x, np.ones(2))


def test_second_derivatives_of_the_bessel_functions():
    """Forward mode over the gradients (the helper `bessel` the rules call has a tangent rule),
    against central differences of the gradient."""
    x = np.array([0.7, 1.9, 3.3, 5.2])
    h = 1e-5
    cases = [
        (j0_s, (x,)),
        (j1_s, (-x,)),
        (jv_s, (x,)),
        (jn_s, (3, -x)),
        (jv_var_s, (np.array([0.0, 0.5, 1.0, 2.5]), x)),
        (y0_s, (x,)),
        (y1_s, (x,)),
        (yn_s, (x,)),
        (yv_s, (0.5, x)),
        (iv_s, (x,)),
        (ive_s, (0.5, x)),
        (ive_s, (0, -x)),
        (ive_s, (1, np.concatenate([-x[:2], x[2:]]))),
    ]
    for f, args in cases:
        grad = srcgrad.grad(f, wrt="x", with_value=False)
        central = (grad(*args[:-1], args[-1] + h) - grad(*args[:-1], args[-1] - h)) / (2 * h)
        hessian = srcgrad.hessian(f, wrt="x")(*args)
        np.testing.assert_allclose(np.diag(hessian), central, rtol=1e-6, atol=1e-9, err_msg=f.__name__)
        np.testing.assert_array_equal(hessian - np.diag(np.diag(hessian)), 0.0)


def test_bessel_functions_against_autograd():
    autograd = pytest.importorskip("autograd")
    asp = pytest.importorskip("autograd.scipy.special")
    x = np.array([0.3, 1.7, 4.9, 8.0, 13.5])
    for ours, theirs in ((j0_s, asp.j0), (j1_s, asp.j1), (y0_s, asp.y0), (y1_s, asp.y1)):
        theirs_dx = autograd.grad(lambda v, f=theirs: f(v).sum())(x)
        np.testing.assert_allclose(_grad(ours, x), theirs_dx, rtol=1e-12, err_msg=ours.__name__)
    pairs = [
        (jv_s, (x,), lambda v: asp.jn(2.5, v)),
        (jn_s, (3, -x), lambda v: asp.jn(3, v)),
        (yn_s, (x,), lambda v: asp.yn(2, v)),
        (iv_s, (x,), lambda v: asp.iv(1.5, v)),
        (ive_s, (1.5, x), lambda v: asp.ive(1.5, v)),
        (ive_s, (2, -x), lambda v: asp.ive(2, v)),
    ]
    for ours, args, theirs in pairs:
        np.testing.assert_allclose(
            _grad(ours, *args, wrt="x"),
            autograd.grad(lambda v, f=theirs: f(v).sum())(args[-1]),
            rtol=1e-12,
            err_msg=ours.__name__,
        )
        # second derivatives: autograd's rules are differentiable too
        second = autograd.elementwise_grad(autograd.elementwise_grad(lambda v, f=theirs: f(v)))(args[-1])
        np.testing.assert_allclose(
            np.diag(srcgrad.hessian(ours, wrt="x")(*args)), second, rtol=1e-10, err_msg=ours.__name__
        )


def test_bessel_helper_on_cupy_uses_the_functions_of_one_order_cupy_has():
    """cupyx.scipy.special has the Bessel functions of a few orders only: on CuPy arrays the helper
    computes the orders they cover with them (checked here on SciPy's functions of those names),
    and refuses the others naming the function CuPy lacks."""
    from types import SimpleNamespace

    from srcgrad.runtime.special import bessel_of_one_order

    names = ("j0", "j1", "y0", "y1", "yn", "i0", "i1", "i0e", "i1e")
    try:
        import cupyx.scipy.special as cupy_special
    except ImportError:
        cupy_special = None
    if cupy_special is not None:  # the names are CuPy's, and CuPy lacks the general functions
        assert all(hasattr(cupy_special, n) for n in names)
        assert not any(hasattr(cupy_special, n) for n in ("jv", "yv", "iv", "ive"))
    like_cupy = SimpleNamespace(**{n: getattr(special, n) for n in names})
    x = np.array([-2.5, 0.0, 0.7, 3.1])
    for kind, general, orders in (
        ("j", special.jv, (-1, 0, 1.0)),
        ("y", special.yv, (-3, -2, -1, 0, 1, 2, np.int64(5))),
        ("i", special.iv, (-1, 0, 1)),
        ("ie", special.ive, (-1, 0, np.float64(1.0))),
    ):
        for v in orders:
            with np.errstate(invalid="ignore", divide="ignore"):
                got, want = bessel_of_one_order(like_cupy, kind, v, x), general(v, x)
            np.testing.assert_allclose(got, want, rtol=1e-14, err_msg=f"{kind} {v}")
    refused = (("j", 2, "jv"), ("j", 0.5, "jv"), ("y", 1.5, "yv"), ("i", 2, "iv"), ("ie", -2, "ive"))
    for kind, v, name in refused:
        message = rf"scipy\.special\.{name} has no counterpart in CuPy"
        with pytest.raises(srcgrad.UnsupportedBackendError, match=message):
            bessel_of_one_order(like_cupy, kind, v, x)
    with pytest.raises(srcgrad.UnsupportedBackendError, match="an? .*array"):  # an array of orders
        bessel_of_one_order(like_cupy, "y", np.array([1, 2]), x)


def program_bessel(x, kappa):
    # a drum's first mode, a Bessel series term, and a von Mises log density (ive keeps the
    # normaliser finite for a large concentration kappa), as users write them
    mode = special.j0(2.404825557695773 * x) * special.y1(x + 1.0)
    series = special.jv(1.5, x) * (x / 2) ** 2 - special.yn(2, x + 1.0) + special.iv(0.5, x)
    log_density = kappa * np.cos(x - 0.3) - np.log(2 * np.pi * special.ive(0, kappa)) - kappa
    return np.sum(mode + series + log_density)


def test_program_bessel():
    check_program(program_bessel, (np.array([0.4, 1.3, 2.2, 3.5]), 2.5), ("x", "kappa"))
    check_program(program_bessel, (np.array([0.4, 1.3]), 700.0), ("kappa",))
