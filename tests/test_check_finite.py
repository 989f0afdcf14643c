"""`grad(..., check_finite=True)`: the first NaN or inf in a gradient names the user's line."""

import numpy as np
import pytest

import srcgrad

# Every test here makes a gradient infinite on purpose: NumPy's warning as it happens is expected.
pytestmark = pytest.mark.filterwarnings("ignore:divide by zero encountered:RuntimeWarning")


def log_loss(w, x):
    z = x * w
    h = np.log(z)  # z = 0 gives -inf here, and an infinite gradient
    return np.sum(h * 2.0)


def scaled(x, k):
    return x * k


def with_helper(x, k):
    y = scaled(x, k)
    return np.sum(np.sqrt(y))


def looped(x):
    acc = 0.0
    for t in range(3):
        acc = acc + np.sum(np.sqrt(x - t))
    return acc


def _line(func, text):
    import inspect

    lines, first = inspect.getsourcelines(func)
    return first + next(i for i, line in enumerate(lines) if text in line)


def test_an_infinite_gradient_names_the_statement_it_came_from():
    g = srcgrad.grad(log_loss, check_finite=True)
    value, dw = g(np.array([1.0, 2.0]), np.array([0.5, 1.5]))  # finite: no error, same result
    assert np.allclose(dw, srcgrad.grad(log_loss)(np.array([1.0, 2.0]), np.array([0.5, 1.5]))[1])
    with pytest.raises(srcgrad.NonFiniteGradientError) as info:
        g(np.array([0.0, 2.0]), np.array([0.5, 1.5]))
    text = str(info.value)
    assert f"line {_line(log_loss, 'np.log(z)')}" in text and "h = np.log(z)" in text
    assert "1 of 2 elements" in text


def test_a_helpers_statement_is_named_with_the_helpers_line():
    with pytest.raises(srcgrad.NonFiniteGradientError) as info:
        srcgrad.grad(with_helper, check_finite=True)(np.array([0.0, 1.0]), 2.0)
    assert f"line {_line(with_helper, 'np.sqrt(y)')}" in str(info.value)


def test_inside_a_loop_the_first_nonfinite_gradient_is_reported():
    # x - 2 is 0 at the third iteration: sqrt's gradient there is infinite
    with pytest.raises(srcgrad.NonFiniteGradientError, match="np.sqrt"):
        srcgrad.grad(looped, check_finite=True)(np.array([2.0, 3.0]))
    assert np.isinf(srcgrad.grad(looped)(np.array([2.0, 3.0]))[1]).any()  # unchecked: inf returned


def test_the_checks_are_in_the_generated_code_only_when_asked():
    assert "check_finite(" not in srcgrad.source(log_loss)
    source = srcgrad.grad(log_loss, check_finite=True).source
    assert "check_finite(dz" in source or "check_finite(dh" in source


def exp_of(x):
    return np.exp(x) * 3.0


def test_python_floats_are_checked_too():
    assert srcgrad.grad(exp_of, check_finite=True)(0.0)[1] == 3.0
    with np.errstate(over="ignore"), pytest.raises(srcgrad.NonFiniteGradientError, match="np.exp"):
        srcgrad.grad(exp_of, check_finite=True)(1000.0)
