"""Programs as people write them (issue 17): a list of sizes or axes written item by item, a
generator helper whose yields a `for` loop or `list(...)` consumes, and a nested function that
adds to a list of the function around it, recursing into the parts of a nested parameter.

Each program here is differentiated against finite differences; the generated code is checked
to read as the program does, and what stays refused is refused at the user's line, saying why.
"""

import re

import numpy as np
import pytest

import srcgrad
from srcgrad import UnsupportedSyntaxError
from srcgrad.testing import check_grads

RS = np.random.RandomState(17)


def _refused(func, *args, **kwargs) -> str:
    with pytest.raises(UnsupportedSyntaxError) as info:
        srcgrad.grad(func, **kwargs)(*args)
    return str(info.value)


# ---------------------------------------------------------------------------------------------
# writing into an item of a list that carries no gradient


def centred_along(x, axis):
    shape = list(x.shape)
    shape[axis] = 1  # the mean, kept as an axis of length one
    centred = x - np.mean(x, axis=axis).reshape(shape)
    return np.sum(centred**2 * x)


def flipped_columns(x, w):
    index = [slice(None)] * x.ndim
    index[1] = slice(None, None, -1)
    return np.sum(x[tuple(index)] * w)


def widths_in_a_loop(x):
    widths = [1] * x.ndim
    for axis in range(x.ndim):
        widths[axis] = x.shape[axis]
    widths[-1] += 0  # an item read back and written again
    return np.sum(np.reshape(np.tanh(x), widths) ** 2)


def pair_with_a_known_item_replaced(x, w):
    pair = [x, x]
    pair[1] = x * w  # items known here: the list is [x, x * w]
    return np.sum(np.stack(pair) ** 2)


def items_written_at_run_time(x, k):
    parts = [x] * 2
    parts[k] = np.sin(x)  # a list of arrays that carry gradients, written at an index k
    return np.sum(np.stack(parts))


@pytest.mark.parametrize(
    "func, args, wrt",
    [
        (centred_along, (RS.randn(3, 4), 1), ("x",)),
        (centred_along, (RS.randn(3, 4), 0), ("x",)),
        (flipped_columns, (RS.randn(2, 3), RS.randn(2, 3)), ("x", "w")),
        (widths_in_a_loop, (RS.randn(2, 3),), ("x",)),
        (pair_with_a_known_item_replaced, (RS.randn(3), RS.randn(3)), ("x", "w")),
    ],
)
def test_writes_into_lists_are_differentiated(func, args, wrt):
    value, _ = check_grads(func, *args, wrt=wrt)
    assert np.isclose(value, func(*args))


def test_a_list_of_sizes_is_written_as_a_new_list_in_the_forward_pass():
    source = srcgrad.source(centred_along, wrt="x")
    assert re.search(r"shape_\d = list_with_item\(shape, axis, 1\)", source)
    assert "dshape" not in source  # no gradient code for it
    forward = srcgrad.jvp(centred_along, wrt="x")
    x = RS.randn(3, 4)
    value, tangent = forward(x, 1, np.ones_like(x))
    assert np.isclose(value, centred_along(x, 1))


def test_a_literal_index_into_known_items_needs_no_list_at_run_time():
    source = srcgrad.source(pair_with_a_known_item_replaced, wrt=("x", "w"))
    assert "list_with_item" not in source and "np.stack([x, mul])" in source


def test_writing_into_a_list_that_carries_gradients_is_refused_at_its_line():
    message = _refused(items_written_at_run_time, RS.randn(3), 1)
    assert "items_written_at_run_time" in message and "parts[k] = np.sin(x)" in message
    assert "assignment into an item of the list `parts`" in message and "carry a gradient" in message
    assert "`parts = parts + [item]`" in message


def test_the_list_is_refused_in_forward_mode_too():
    with pytest.raises(UnsupportedSyntaxError, match="item of the list `parts`"):
        srcgrad.jvp(items_written_at_run_time, wrt="x")(RS.randn(3), 1, np.ones(3))


def item_read_before_the_list_is_written(x):
    sizes = [x.shape[0], 1]
    first = sizes[0]
    sizes[0] = 1  # Python's list changes; `first` keeps the number it read
    sizes[1] = first
    return np.sum(x) * first + np.sum(np.reshape(x, sizes))


def test_an_item_read_before_a_write_keeps_its_value():
    x = RS.randn(3)
    value, _ = check_grads(item_read_before_the_list_is_written, x, wrt=("x",))
    assert np.isclose(value, item_read_before_the_list_is_written(x))


def array_added_to_a_list_then_written(x):
    h = x * 2.0
    parts = []
    parts.append(h)
    h[0] = 0.0  # in Python, parts[0] is h: it changes too
    return np.sum(np.stack(parts))


def test_writing_into_an_array_a_list_holds_is_refused():
    # srcgrad writes a new array: the list would keep the old one, and the value would differ
    message = _refused(array_added_to_a_list_then_written, RS.randn(3))
    assert "writing into `h` here while `parts` may hold the same array" in message
    assert "parts.append(h.copy())" in message
