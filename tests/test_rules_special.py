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


# ---------------------------------------------------------------------------------------------
# The table.

AB = ("a", "b")

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
