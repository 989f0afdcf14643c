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


def test_the_recursion_ends_at_once_on_an_array_differentiated():
    x = RS.randn(3)
    value, _ = check_grads(squares, x, wrt=("node",))
    assert np.isclose(value, np.sum(x**2))
    assert "isinstance" not in _code(srcgrad.source(squares))
    np.testing.assert_allclose(srcgrad.hessian(squares)(x), 2.0 * np.eye(3))


def mixed_entries(tree):
    total = 0.0
    for key in sorted(tree):
        if isinstance(tree[key], (list, tuple)):  # decided for each key of the dict passed in
            for a in tree[key]:
                total = total + np.sum(a**2)
        else:
            total = total + np.sum(np.sin(tree[key]))
        total = total * (2.0 if isinstance(tree[key], dict) else 1.0)
    return total


def test_isinstance_of_an_item_read_with_a_key_known_here_decides_the_branch():
    tree = {"b": RS.randn(2), "a": [RS.randn(2), RS.randn(3)]}
    value, _ = check_grads(mixed_entries, tree, wrt=("tree",))
    assert np.isclose(value, mixed_entries(tree))


def first_of_a_list(xs):
    assert isinstance(xs, list)  # autograd's test_list: an isinstance outside an `if`
    return np.sum(xs[0] ** 2) + float(isinstance(xs, tuple)) + float(isinstance(xs[1], dict))


def test_isinstance_outside_an_if_is_decided_as_in_one():
    xs = [RS.randn(3), RS.randn(2)]
    value, _ = check_grads(first_of_a_list, xs, wrt=("xs",))
    assert np.isclose(value, first_of_a_list(xs))
    gradient = srcgrad.grad(first_of_a_list)
    gradient(xs)
    assert "isinstance" not in _code(gradient.source)
    with pytest.raises(AssertionError):  # a tuple fails the assert, as in Python
        srcgrad.grad(first_of_a_list)(tuple(xs))


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


# ---------------------------------------------------------------------------------------------
# generators consumed by a `for` loop, `list(...)` or a comprehension


def make_mlp(sizes):
    pairs = list(zip(sizes[:-1], sizes[1:]))

    def layers(flat):
        for n_in, n_out in pairs:
            yield flat[: n_in * n_out].reshape(n_in, n_out), flat[n_in * n_out : (n_in + 1) * n_out]
            flat = flat[(n_in + 1) * n_out :]

    def mlp_loss(flat, x):
        h = x
        for W, b in layers(flat):
            h = np.tanh(h @ W + b)
        return np.sum(h**2)

    return mlp_loss


mlp_loss = make_mlp([3, 4, 2])


def windows(x, width):
    for start in range(x.shape[0] - width + 1):
        yield x[start : start + width]


def window_energy(x):
    energies = []
    for w in windows(x, 2):
        energies.append(np.sum(np.sin(w) * w))
    return np.sum(np.stack(energies) ** 2)


def listed_windows(x):
    return np.sum(np.stack(list(windows(x, 3))) ** 2)


def comprehended_windows(x):
    return np.sum(np.stack([np.tanh(w) for w in windows(x, 2)])) + sum(np.sum(w**3) for w in windows(x, 3))


def alternating(x):
    for i in range(x.shape[0]):
        if i % 2 == 0:
            yield x[i] * 2.0
        else:
            yield np.exp(x[i])


def alternating_total(x):
    total = 0.0
    for v in alternating(x):
        total = total + np.cos(v)
    return total


def chained(x):
    yield from windows(x, 2)
    for w in windows(x, 3):
        yield np.sum(w) * w


def chained_total(x):
    total = 0.0
    for v in chained(x):
        total = total + np.sum(v * v)
    return total


def arrays_of(tree):
    if isinstance(tree, dict):
        for key in sorted(tree):
            yield from arrays_of(tree[key])
    elif isinstance(tree, (list, tuple)):
        for child in tree:
            yield from arrays_of(child)
    else:
        yield tree


def tree_energy(tree):
    return sum(np.sum(np.tanh(a) * a) for a in arrays_of(tree))


def local_generator(x):
    def powers(v):
        yield v
        yield v * v
        yield v * v * v

    total = 0.0
    for p in powers(x):
        total = total + np.sum(np.sin(p))
    return total


class Unroller:
    def __init__(self, steps):
        self.steps = steps

    def states(self, h, W):
        for _ in range(self.steps):
            h = np.tanh(h @ W)
            yield h


UNROLLER = Unroller(3)


def unrolled(W, h):
    total = 0.0
    for state in UNROLLER.states(h, W):
        total = total + np.sum(state)
    return total


@pytest.mark.parametrize(
    "func, args, wrt",
    [
        (mlp_loss, (RS.randn(3 * 4 + 4 + 4 * 2 + 2), RS.randn(5, 3)), ("flat", "x")),
        (window_energy, (RS.randn(5),), ("x",)),
        (listed_windows, (RS.randn(5),), ("x",)),
        (comprehended_windows, (RS.randn(5),), ("x",)),
        (alternating_total, (RS.randn(5),), ("x",)),
        (chained_total, (RS.randn(5),), ("x",)),
        (tree_energy, ({"b": [RS.randn(2), (RS.randn(3),)], "a": RS.randn(2, 2)},), ("tree",)),
        (local_generator, (RS.randn(4),), ("x",)),
        (unrolled, (RS.randn(3, 3) * 0.5, RS.randn(2, 3)), ("W", "h")),
    ],
)
def test_generators_are_differentiated(func, args, wrt):
    value, _ = check_grads(func, *args, wrt=wrt)
    assert np.isclose(value, func(*args))


def test_the_body_of_the_loop_is_written_out_at_each_yield():
    source = srcgrad.source(mlp_loss, wrt="flat")
    code = _code(source)
    assert "layers" not in code and "yield" not in code  # no generator, no list of its items
    assert "h = np.tanh(" in code and "flat_3 = flat_2[" in code
    assert "# grad of: yield flat[: n_in * n_out].reshape(n_in, n_out)" in source
    flat, x = RS.randn(26), RS.randn(5, 3)
    value, tangent = srcgrad.jvp(mlp_loss, wrt="flat")(flat, x, np.ones_like(flat))
    assert np.isclose(value, mlp_loss(flat, x))
    assert np.isclose(tangent, np.sum(srcgrad.grad(mlp_loss)(flat, x)[1]))


def counter(x):
    k = 0
    while True:
        yield x * k
        k += 1


def stops_early(x):
    total = 0.0
    for v in counter(x):
        total = total + np.sum(v)
        if total > 3.0:
            break
    return total


def with_next(x):
    return np.sum(next(windows(x, 2)))


def zipped(x):
    total = 0.0
    for a, b in zip(windows(x, 2), windows(x, 2)):
        total = total + np.sum(a * b)
    return total


def loop_changes_what_the_generator_reads(x):
    scale = 1.0

    def scaled(v):
        for row in v:
            yield row * scale

    total = 0.0
    for y in scaled(x):
        total = total + np.sum(y)
        scale = scale * 2.0  # Python's generator reads the new value at its next item
    return total


def returns_early(x):
    for row in x:
        if np.sum(row) > 0:
            return
        yield row


def uses_returns_early(x):
    return sum(np.sum(r) for r in returns_early(x))


def is_a_generator(x):
    yield np.sum(x)


@pytest.mark.parametrize(
    "func, fragments",
    [
        (stops_early, ["generator 'counter'", "may stop early", "for v in counter(x):"]),
        (with_next, ["generator 'windows'", "used another way", "next(windows(x, 2))"]),
        (zipped, ["generator 'windows'", "used another way"]),
        (loop_changes_what_the_generator_reads, ["changes 'scale', which the generator reads"]),
        (uses_returns_early, ["a `return` in a generator", "returns_early"]),
        (is_a_generator, ["a generator (a function with `yield`)", "returns the value"]),
    ],
)
def test_generators_srcgrad_cannot_write_out_are_refused_saying_why(func, fragments):
    message = _refused(func, RS.randn(3, 2))
    for fragment in fragments:
        assert fragment in message


def comprehension_values(x, ws):
    hs = [np.tanh(x * w) for w in (ws[0], ws[1], ws[2])]  # three items, written out
    sizes = [len(h) for h in hs]
    rows = [x[i] * 2.0 for i in range(x.shape[0])]  # a list a loop builds
    return np.sum(np.stack(hs) ** 2) * sizes[0] + np.sum(np.stack(rows)) + np.sum(hs[1])


def test_a_list_comprehension_is_a_value():
    x, ws = RS.randn(3), RS.randn(3)
    value, _ = check_grads(comprehension_values, x, ws, wrt=("x", "ws"))
    assert np.isclose(value, comprehension_values(x, ws))
