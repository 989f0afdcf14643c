"""The conventions docs/rules.md states, at kinks, ties and singular branches."""

import numpy as np

import srcgrad
import srcgrad.extend
from srcgrad.testing import check_grads


def relu_sum(x):
    return np.sum(np.maximum(x, 0.0))


def tie(x, y):
    return np.sum(np.maximum(x, y) + np.minimum(x, y))


def abs_sum(x):
    return np.sum(np.abs(x))


def sqrt_sum(x):
    return np.sum(np.sqrt(x))


def unsafe_where(x):
    return np.sum(np.where(x > 0, np.sqrt(x), 0.0))


def safe_where(x):
    safe = np.where(x > 0, x, 1.0)
    return np.sum(np.where(x > 0, np.sqrt(safe), 0.0))


def softplus(x):
    return np.log(1 + np.exp(x))


def uses_softplus(x):
    return np.sum(softplus(x) * 2.0)


def test_maximum_and_minimum_send_ties_to_the_first_argument():
    np.testing.assert_array_equal(srcgrad.grad(relu_sum)(np.array([-1.0, 0.0, 2.0]))[1], [0.0, 1.0, 1.0])
    x = np.array([1.0, 2.0])
    _, (dx, dy) = srcgrad.grad(tie, wrt=("x", "y"))(x, x.copy())
    np.testing.assert_array_equal(dx, [2.0, 2.0])
    np.testing.assert_array_equal(dy, [0.0, 0.0])


def test_abs_has_zero_gradient_at_zero():
    np.testing.assert_array_equal(srcgrad.grad(abs_sum)(np.array([-2.0, 0.0, 3.0]))[1], [-1.0, 0.0, 1.0])


def test_sqrt_at_zero_is_infinite():
    with np.errstate(divide="ignore"):
        _, dx = srcgrad.grad(sqrt_sum)(np.array([0.0, 4.0]))
    assert dx[0] == np.inf and dx[1] == 0.25


def test_where_with_a_singular_branch_and_its_safe_form():
    x = np.array([-1.0, 0.0, 4.0])
    with np.errstate(invalid="ignore", divide="ignore"):
        _, dx = srcgrad.grad(unsafe_where)(x)
    assert np.isnan(dx[0]) and np.isnan(dx[1]) and dx[2] == 0.25
    _, dx = srcgrad.grad(safe_where)(x)
    np.testing.assert_array_equal(dx, [0.0, 0.0, 0.25])


def test_a_user_rule_is_used_and_checkable():
    @srcgrad.extend.adjoint(softplus)
    def softplus_rule(g, x):
        dx = g / (1 + np.exp(-x))

    source = srcgrad.source(uses_softplus)
    assert "np.exp(-x)" in source
    check_grads(uses_softplus, np.linspace(-2, 2, 5))
