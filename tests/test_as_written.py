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


def _code(source: str) -> str:
    """The generated code without its `# grad of:` comments (which quote the user's lines)."""
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("#"))


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


# ---------------------------------------------------------------------------------------------
# a nested function that adds to a list of the function around it, and recursion into the
# parts of a nested parameter


def packed_norm(tree):
    pieces = []

    def visit(node):
        if isinstance(node, dict):
            for key in sorted(node):
                visit(node[key])
        elif isinstance(node, (list, tuple)):
            for child in node:
                visit(child)
        else:
            pieces.append(np.reshape(node, -1))

    visit(tree)
    packed = np.concatenate(pieces)
    return np.sum(np.sin(packed) * packed)


def squares(node):
    if isinstance(node, dict):
        total = sum(squares(node[key]) for key in node)
    elif isinstance(node, (list, tuple)):
        total = 0.0
        for child in node:
            total = total + squares(child)
    else:
        total = np.sum(node**2)
    return total


def penalised(tree, x):
    h = x
    for layer in tree["layers"]:
        h = np.tanh(h @ layer["W"] + layer["b"])
    return np.sum(h) + 0.1 * squares(tree)


def rows_kept(x):
    kept = []

    def keep(row):
        kept.append(np.tanh(row) * 2.0)

    def keep_both(row):
        keep(row)
        keep(row**2)

    for i in range(x.shape[0]):
        keep_both(x[i])
    return np.sum(np.stack(kept) ** 2)


def TREE():
    rs = np.random.RandomState(3)
    layers = [{"W": rs.randn(3, 4), "b": rs.randn(4)}, {"W": rs.randn(4, 2), "b": rs.randn(2)}]
    return {"layers": layers, "scale": (rs.randn(2), rs.randn(1, 2))}


def test_a_recursive_walk_over_a_nested_parameter_is_written_out():
    tree = TREE()
    value, _ = check_grads(packed_norm, tree, wrt=("tree",))
    assert np.isclose(value, packed_norm(tree))
    gradient = srcgrad.grad(packed_norm)
    gradient(tree)
    source = gradient.source  # for the structure of the argument (before a call, it is unknown)
    code = _code(source)
    assert "isinstance" not in code  # the parameter's structure decides each branch
    assert "pieces" not in code and "np.concatenate([reshape, " in code


def test_a_recursive_helper_returning_values_is_written_out():
    tree, x = TREE(), RS.randn(5, 3)
    value, _ = check_grads(penalised, tree, x, wrt=("tree", "x"))
    assert np.isclose(value, penalised(tree, x))
    ones = {
        "layers": [{k: np.ones_like(v) for k, v in layer.items()} for layer in tree["layers"]],
        "scale": tuple(np.ones_like(v) for v in tree["scale"]),
    }
    _, tangent = srcgrad.jvp(penalised, wrt=("tree", "x"))(tree, x, ones, np.ones_like(x))
    _, (dtree, dx) = srcgrad.grad(penalised, wrt=("tree", "x"))(tree, x)
    total = np.sum(dx) + sum(np.sum(g) for layer in dtree["layers"] for g in layer.values())
    assert np.isclose(tangent, total + sum(np.sum(g) for g in dtree["scale"]))


def test_nested_functions_adding_to_a_list_in_a_loop():
    x = RS.randn(3, 2)
    value, _ = check_grads(rows_kept, x, wrt=("x",))
    assert np.isclose(value, rows_kept(x))
    assert "keep" not in _code(srcgrad.source(rows_kept)).split("\n", 1)[1]  # written out, not called


def keeps_with_map(x):
    kept = []

    def keep(row):
        kept.append(row * 2.0)

    list(map(keep, x))
    return np.sum(np.stack(kept))


def keeps_in_a_comprehension(x):
    kept = []

    def keep(row):
        kept.append(row * 2.0)
        return 1.0

    count = sum(keep(row) for row in x)
    return np.sum(np.stack(kept)) * count


def halving(x, n):
    out = x
    if n > 0:
        out = halving(x / 2.0, n - 1)
    return out


def uses_halving(x):
    return np.sum(halving(x, 3))


def spins(tree):
    return spins(tree)


def uses_spins(tree):
    return np.sum(spins(tree)["w"])


def test_what_stays_refused_says_why():
    message = _refused(keeps_with_map, RS.randn(3, 2))
    assert "'keep' is used other than by calling it" in message and "list(map(keep, x))" in message
    message = _refused(keeps_in_a_comprehension, RS.randn(3, 2))
    assert "called inside a comprehension or a lambda" in message
    message = _refused(uses_halving, RS.randn(3))
    assert "recursive call to 'halving'" in message and "known only when the code runs" in message
    assert "halving(x / 2.0, n - 1)" in message
    message = _refused(uses_spins, {"w": RS.randn(2)})
    assert "recursive call to 'spins'" in message and "deeper than 32 calls" in message
