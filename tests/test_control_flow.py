"""Branches: `if`/`elif`/`else` and `a if c else b`, with value-dependent tests, in both directions."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import srcgrad
from srcgrad.testing import check_grads
from srcgrad.testing.strategies import arrays


def value_dependent(x, w):
    y = x * w
    if np.sum(y) > 0:
        y = np.tanh(y)
        z = y * 2.0
    else:
        z = y * y
    return np.sum(z + y)


def elif_chain(x):
    s = np.sum(x)
    if s > 1.0:
        out = x**2
    elif s > -1.0:
        out = np.sin(x)
    else:
        out = -x
    return np.sum(out * x)


def no_else(x, w):
    h = x * w
    if np.max(h) > 0.5:
        h = h - 0.5
    return np.sum(h**2)


def parameter_reassigned(x, w):
    if np.sum(w) < 0:
        w = -w
    return np.sum(np.exp(x * w))


def only_in_one_branch(x):
    total = np.sum(x)
    if total > 0:
        extra = np.exp(x)
        total = total + np.sum(extra)
    return total * 2.0


def nested(x, w):
    y = x * w
    if np.sum(x) > 0:
        if np.sum(w) > 0:
            y = y * 3.0
        else:
            y = np.tanh(y)
    else:
        y = y + w
    return np.sum(y * y)


def conditional_expression(x, w):
    scale = 2.0 if np.sum(w) > 0 else -1.0
    act = np.tanh(x) if np.sum(x) > 0 else x * 0.5
    return np.sum(act * scale * w)


def scalar_branch(w, x, y):
    pred = w * x
    err = pred - y
    if err > 0:
        loss = err**2
    else:
        loss = 0.5 * err**2
    return loss


CASES = [
    (value_dependent, ("x", "w"), [(5,), (5,)]),
    (elif_chain, ("x",), [(4,)]),
    (no_else, ("x", "w"), [(3,), (3,)]),
    (parameter_reassigned, ("x", "w"), [(3,), (3,)]),
    (only_in_one_branch, ("x",), [(3,)]),
    (nested, ("x", "w"), [(3,), (3,)]),
    (conditional_expression, ("x", "w"), [(4,), (4,)]),
]


@pytest.mark.parametrize("func, wrt, shapes", CASES, ids=lambda c: getattr(c, "__name__", None))
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_branches_against_finite_differences(func, wrt, shapes, data):
    args = [data.draw(arrays(s, np.float64, -1.5, 1.5), label=f"arg{i}") for i, s in enumerate(shapes)]
    # keep every test a small distance from its threshold, where the function jumps
    for threshold in (0.0, 1.0, -1.0, 0.5):
        for a in args:
            if abs(np.sum(a) - threshold) < 1e-3 or abs(np.max(a) - threshold) < 1e-3:
                return
    check_grads(func, *args, wrt=wrt)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_both_branches_taken(sign):
    x = np.array([0.3, 0.7, 0.2]) * sign
    w = np.array([1.0, 2.0, 0.5])
    check_grads(value_dependent, x, w, wrt=("x", "w"))
    check_grads(elif_chain, x * 3, wrt="x")
    check_grads(nested, x, w * sign, wrt=("x", "w"))


def test_scalar_branches_on_python_floats():
    value, dw = srcgrad.grad(scalar_branch)(0.5, 3.0, 6.0)
    assert value == 0.5 * (1.5 - 6.0) ** 2 and dw == pytest.approx((1.5 - 6.0) * 3.0)
    value, dw = srcgrad.grad(scalar_branch)(3.0, 3.0, 6.0)
    assert dw == pytest.approx(2 * (9.0 - 6.0) * 3.0) and type(dw) is float


def test_branch_code_reads_like_the_user_wrote_it():
    source = srcgrad.source(value_dependent, wrt=("x", "w"))
    assert "if cond:" in source and source.count("# grad of: if np.sum(y) > 0:") == 1
    assert "# grad of: y = np.tanh(y)" in source
    assert "copy" not in source


def test_an_adjoint_first_reached_in_one_branch_is_defined_on_both_paths():
    x = np.array([-1.0, -2.0])  # total < 0: the branch that uses `extra` is not taken
    value, dx = srcgrad.grad(only_in_one_branch)(x)
    np.testing.assert_array_equal(dx, [2.0, 2.0])
