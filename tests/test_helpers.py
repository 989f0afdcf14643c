"""Calls to the user's own functions: inlined, so the gradient sees through them."""

import numpy as np
import pytest

import srcgrad
from srcgrad.testing import check_grads

import programs as P


def dense(x, W, b, slope=0.2):
    z = x @ W + b
    return np.maximum(z, slope * z)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def split_heads(h):
    return np.tanh(h), h * 2.0


def block(x, W, b):
    return sigmoid(dense(x, W, b, slope=0.1))


def network(W1, b1, W2, b2, x, y):
    h = dense(x, W1, b1)
    h = block(h, W2, b2)
    a, c = split_heads(h)
    return np.sum((a + c - y) ** 2)


def factorial(n):
    return n * factorial(n - 1)


def uses_recursion(x):
    return np.sum(x) * factorial(3.0)


def from_another_module(x):
    return np.sum(P.bare_numpy(x))


def make_closure(scale):
    def scaled(x):
        return x * scale

    return scaled


scaled = make_closure(2.0)


def calls_a_closure(x):
    return np.sum(scaled(x))


def test_helpers_called_twice_nested_and_returning_tuples():
    rng = np.random.default_rng(4)
    shapes = [(3, 4), (4,), (4, 2), (2,), (5, 3), (5, 2)]
    args = [rng.standard_normal(s) for s in shapes]
    check_grads(network, *args, wrt=("W1", "b1", "W2", "b2"))
    source = srcgrad.source(network, wrt=("W1", "b1", "W2", "b2"))
    assert "def " not in source.split("\n", 1)[1], "helpers are inlined, not called"
    assert "# grad of: z = x @ W + b" in source


@pytest.mark.parametrize(
    "func, fragment",
    [
        (uses_recursion, "recursive call to 'factorial'"),
    ],
)
def test_helpers_that_cannot_be_inlined_are_named(func, fragment):
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=fragment):
        srcgrad.source(func)


unbroadcast = 3.0  # a user's global that happens to share a runtime helper's name


def shadows_a_runtime_helper(x, y):
    return np.sum((x + y) * unbroadcast)


def test_a_users_global_named_like_a_runtime_helper():
    x, y = np.ones((2, 3)), np.arange(3.0)
    value, (dx, dy) = srcgrad.grad(shadows_a_runtime_helper, wrt=("x", "y"))(x, y)
    assert value == 3.0 * np.sum(x + y)
    np.testing.assert_array_equal(dx, np.full((2, 3), 3.0))
    np.testing.assert_array_equal(dy, np.full(3, 6.0))
    assert "unbroadcast_2(" in srcgrad.source(shadows_a_runtime_helper, wrt=("x", "y"))
