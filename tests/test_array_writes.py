"""Writing into part of an array: `y[i] = v`, `y[a:b] = v`, `y[mask] = v`, `y[i] += v`, in
straight-line code and in loops (the hand-written RNN's `h[t + 1] = ...`). srcgrad writes a new
array (`with_item`), so every value the gradient reads keeps its contents; a write that Python
would also make through another name is refused at its line."""

import numpy as np
import pytest

import srcgrad
from srcgrad.testing import check_grads

rng = np.random.default_rng(5)


def rnn(W, U, xs):
    T = xs.shape[0]
    h = np.zeros((T + 1, U.shape[0]))
    for t in range(T):
        h[t + 1] = np.tanh(xs[t] @ W + h[t] @ U)
    return np.sum(h**2)


def writes(x):
    y = np.zeros(6)
    y[0] = x[1] * 2.0
    y[1:3] = x[:2] ** 2
    y[x > 0.5] = 1.0
    y[4] += np.sum(x)
    y[[5]] = x[2]
    return np.sum(y * np.arange(6.0))


def into_a_parameter(x):
    a = x[0]
    x[0] = a * x[1]
    return np.sum(x * x)


def columns(A):
    out = np.zeros_like(A)
    for j in range(A.shape[1]):
        out[:, j] = np.cumsum(A[:, j]) * (j + 1.0)
    return np.sum(np.sin(out))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_writes_into_an_array_in_a_loop(mode):
    W, U, xs = rng.standard_normal((3, 4)), 0.5 * rng.standard_normal((4, 4)), rng.standard_normal((6, 3))
    check_grads(rnn, W, U, xs, wrt=("W", "U"), mode=mode)


@pytest.mark.parametrize("f", [writes, columns])
def test_writes_by_integer_slice_mask_and_list(f):
    x = rng.standard_normal(6) if f is writes else rng.standard_normal((4, 3))
    check_grads(f, x)
    check_grads(f, x, mode="forward")


def test_a_write_into_a_parameter_leaves_the_callers_array_unchanged():
    x = rng.standard_normal(4)
    before = x.copy()
    value, dx = srcgrad.grad(into_a_parameter)(x)
    np.testing.assert_array_equal(x, before)
    check_grads(into_a_parameter, x)
    expected = 2 * x
    expected[0] = 2 * x[0] * x[1] ** 2
    expected[1] = 2 * x[1] + 2 * x[0] ** 2 * x[1]
    np.testing.assert_allclose(dx, expected)


def test_the_loop_saves_the_shape_of_the_written_array_not_the_array():
    source = srcgrad.source(rnn, wrt=("W", "U"))
    assert "with_item(h, " in source
    assert "shape_of(h)" in source, "the backward pass needs h only for its shape"
    assert "# grad of: h[t + 1] = np.tanh(xs[t] @ W + h[t] @ U)" in source


def aliased(x):
    y = x
    y[0] = 2.0
    return np.sum(x)


def view_read_after(A):
    r = A[0]
    A[0, 1] = 5.0
    return np.sum(r * A)


def through_a_helper(A):
    r = first_row(A)
    A[0, 1] = 5.0
    return np.sum(r)


def first_row(A):
    return A[0]


def into_a_helpers_parameter(A):
    return np.sum(zero_first(A))


def zero_first(v):
    v[0] = 0.0
    return v


def repeated(x):
    y = np.zeros(3)
    y[[0, 0]] = x[:2]
    return np.sum(y)


@pytest.mark.parametrize(
    "f, words",
    [
        (aliased, ["`y`", "`x`", "read after"]),
        (view_read_after, ["`A`", "`r`"]),
        (through_a_helper, ["`A`", "`r`"]),
        (into_a_helpers_parameter, ["parameter 'v'", "caller's array"]),
    ],
)
def test_a_write_another_name_would_see_is_refused_at_its_line(f, words):
    with pytest.raises(srcgrad.UnsupportedSyntaxError) as info:
        srcgrad.grad(f)(rng.standard_normal((3, 3)))
    message = str(info.value)
    assert "test_array_writes.py" in message
    for w in words:
        assert w in message, message


def test_a_view_read_before_the_write_is_fine():
    def reads_first(A):
        r = A[0]
        s = np.sum(r)
        A[0, 1] = 5.0
        return s + np.sum(A)

    check_grads(reads_first, rng.standard_normal((3, 3)))


def test_a_place_written_twice_by_one_assignment_is_refused():
    with pytest.raises(srcgrad.SrcgradError, match="writes one place twice"):
        srcgrad.grad(repeated)(np.ones(3))
