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


# polygamma and multigammaln have no weighted form: its `w` would be an array, moved to Dask in
# the backend pass, and Dask has no counterpart of them (they are no ufuncs). SciPy computes
# them in float64 whatever the input: the rows cast the value back to the input's dtype for the
# float32 pass.


def polygamma_s(x):
    return np.sum(special.polygamma(2, x).astype(np.asarray(x).dtype))


def polygamma_var_s(n, x):
    return np.sum(special.polygamma(n, x).astype(np.asarray(x).dtype))


def multigammaln_s(a):
    return np.sum(special.multigammaln(a, 3).astype(np.asarray(a).dtype))


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


# ---------------------------------------------------------------------------------------------
# The table.

AB = ("a", "b")
ABOVE_ONE = Domain(1.2, 4.0)  # multigammaln(a, 3): defined for a > 1
SHAPE = Domain(0.3, 3.0)  # the parameters of the incomplete gamma and beta functions, beta's
OPEN = Domain(0.3, 4.0)  # polygamma(2, x): away from the poles
INVERSE = Domain(-0.9, 0.9)  # erfinv: away from its poles at -1 and 1

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
    # polygamma and multigammaln are no ufuncs: Dask has no counterpart of them, so their rows
    # draw Python floats (an array of them is checked by test_polygamma_and_multigammaln_of_arrays)
    row("polygamma", "polygamma", "polygamma", lambda x: special.polygamma(2, x),
        args=unary(OPEN, pyfloat=True)),
    row("polygamma-order-drawn", "polygamma", "polygamma_var", special.polygamma,
        args=lambda dtype: st.tuples(st.integers(0, 3), scalars(0.3, 4.0))),
    row("multigammaln", "multigammaln", "multigammaln", lambda a: special.multigammaln(a, 3), ("a",),
        unary(ABOVE_ONE, pyfloat=True)),
    row("gammainc", "gammainc", "gammainc", special.gammainc, ("x",), broadcasting(SHAPE, POSITIVE)),
    row("gammaincc", "gammaincc", "gammaincc", special.gammaincc, ("x",), broadcasting(SHAPE, POSITIVE)),
    row("beta", "beta", "beta", special.beta, AB, broadcasting(SHAPE, SHAPE)),
    row("betaln", "betaln", "betaln", special.betaln, AB, broadcasting(SHAPE, SHAPE)),
    row("betainc", "betainc", "betainc", special.betainc, ("x",), broadcasting(SHAPE, SHAPE, UNIT)),
    row("erfinv", "erfinv", "erfinv", special.erfinv, args=unary(INVERSE)),
    row("erfcinv", "erfcinv", "erfcinv", special.erfcinv, args=unary(Domain(0.1, 1.9))),
    row("scipy.special.i0", "i0", "scipy_i0", special.i0, args=unary(Domain(-4.0, 4.0))),
    row("i1", "i1", "i1", special.i1, args=unary(Domain(-4.0, 4.0))),
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
    assert dx[0] == -np.inf and dx[1] == -np.inf  # gamma falls from +-inf on both sides of 0
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
    """Their rows draw Python floats (Dask has no counterpart of them): arrays here, with an
    order that broadcasts against x."""
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
