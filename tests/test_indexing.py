"""Reading parts of arrays: slices, integers, index arrays with repeats, masks, new axes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import srcgrad
from srcgrad.testing import check_grads


def slices(x):
    return np.sum(x[1:, ::2] ** 2) + np.sum(x[:-1, -1] * 3.0)


def integers(x):
    return x[0, 1] * x[-1, 0] + np.sum(np.tanh(x[1]))


def gather(x, idx):
    return np.sum(x[idx] ** 2)


def gather_rows(x, idx):
    return np.sum(np.sin(x[idx, :]))


def masked(x):
    return np.sum(x[x > 0] ** 3)


def new_axis(x):
    outer = x[:, None] * x[None, :]
    return np.sum(outer)


def rnn(Wx, Wh, b, xs):
    h = np.zeros((xs.shape[1], Wh.shape[0]))
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
    return np.sum(h**2)


def writes_into(y, v):
    y[0] = v
    return np.sum(y)


@pytest.fixture
def rng():
    return np.random.default_rng(11)


def test_slices_and_integers(rng):
    x = rng.standard_normal((4, 5))
    check_grads(slices, x)
    check_grads(integers, x)


@settings(max_examples=30, deadline=None)
@given(idx=st.lists(st.integers(-4, 3), min_size=1, max_size=8))
def test_index_arrays_add_up_repeats(idx):
    x = np.linspace(-1.0, 1.0, 4)
    _, dx = srcgrad.grad(gather)(x, np.array(idx))
    expected = np.zeros(4)
    for i in idx:
        expected[i] += 2 * x[i]
    np.testing.assert_allclose(dx, expected)


def test_gathering_rows_and_masks(rng):
    x = rng.standard_normal((5, 3))
    check_grads(gather_rows, x, np.array([4, 0, 4, 2]))
    check_grads(masked, rng.standard_normal(7) + 0.05)
    check_grads(new_axis, rng.standard_normal(4))


def test_sequence_read_step_by_step_in_a_loop(rng):
    args = [rng.standard_normal(s) * 0.5 for s in [(3, 4), (4, 4), (4,), (6, 2, 3)]]
    check_grads(rnn, *args, wrt=("Wx", "Wh", "b"))
    assert "xs[t]" in srcgrad.source(rnn, wrt=("Wx", "Wh", "b"))


def test_float32_indexing_keeps_float32(rng):
    x = rng.standard_normal((4, 5)).astype(np.float32)
    _, dx = srcgrad.grad(slices)(x)
    assert dx.dtype == np.float32


def test_assignment_into_an_array_differentiates():
    y = np.array([1.0, 2.0, 3.0])
    value, (dy, dv) = srcgrad.grad(writes_into, wrt=("y", "v"))(y, 5.0)
    assert value == 10.0 and dv == 1.0
    np.testing.assert_array_equal(dy, [0.0, 1.0, 1.0])  # y[0] was overwritten
    np.testing.assert_array_equal(y, [1.0, 2.0, 3.0])  # and the caller's array is unchanged


def eigenvalues_indexed(a, w):
    return np.sum(w * np.linalg.eigh(a)[0])


def parts_indexed(x):
    return np.sum(np.split(x, [1, 3], axis=1)[1] ** 2) + np.sum(np.split(x, 2)[-1])


def parts_of_unknown_count(x, n):
    return np.sum(np.split(x, n)[0])


def test_an_item_of_a_returned_tuple_by_index():
    # `np.linalg.eigh(a)[0]` once reached the generated code as ungetitem on a tuple: a crash
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 3))
    check_grads(eigenvalues_indexed, a + a.T, np.array([1.0, 2.0, 3.0]), wrt=("a", "w"), mode="both")
    check_grads(parts_indexed, rng.normal(size=(4, 5)), mode="both")


def test_an_item_of_a_tuple_of_unknown_length_is_refused_at_its_line():
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="by a literal index") as info:
        srcgrad.grad(parts_of_unknown_count)(np.ones((4, 2)), 2)
    assert "test_indexing.py" in str(info.value) and "np.split(x, n)[0]" in str(info.value)
