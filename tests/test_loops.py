"""`for` loops over range(...): values saved on a stack going forward, replayed in reverse."""

import tracemalloc

import numpy as np
import pytest

import srcgrad
from srcgrad.testing import check_grads


def spring(x, v, k):
    dt = 0.01
    for _ in range(200):
        v = v - dt * k * x
        x = x + dt * v
    return np.sum(x**2) + 0.5 * np.sum(v**2)


def recurrent(W, U, b, x, h):
    total = 0.0
    for t in range(6):
        h = np.tanh(x @ W + h @ U + b)
        total += np.sum(h) * (t + 1)
    return total + np.sum(h**2)


def with_branch(x, w):
    for i in range(4):
        if np.sum(x) > 0:
            x = x * w - 0.3
        else:
            x = np.tanh(x + w)
    return np.sum(x**2)


def nested(x, w, n):
    acc = x * 0.0
    for i in range(n):
        y = x
        for j in range(i + 1):
            y = np.sin(y * w)
        acc = acc + y
    return np.sum(acc)


def zero_trips(x, n):
    y = x * 2.0
    for _ in range(n):
        y = y * y
    return np.sum(y)


def newton_sqrt(a):
    x = a
    for _ in range(8):
        x = 0.5 * (x + a / x)
    return x


def unrolled(h, W, steps):
    for _ in range(steps):
        h = np.tanh(h @ W)
    return np.sum(h)


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def test_spring_stepped_200_times(rng):
    check_grads(spring, rng.standard_normal(3), rng.standard_normal(3), 2.0, wrt=("x", "v", "k"))


def test_recurrent_network(rng):
    args = [rng.standard_normal(s) * 0.5 for s in [(3, 4), (4, 4), (4,), (2, 3), (2, 4)]]
    check_grads(recurrent, *args, wrt=("W", "U", "b", "h"))


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_branch_inside_loop(rng, sign):
    check_grads(
        with_branch, sign * np.abs(rng.standard_normal(3)) + sign, rng.uniform(0.5, 1.0, 3), wrt=("x", "w")
    )


def test_nested_loops_with_bounds_from_arguments(rng):
    check_grads(nested, rng.standard_normal(3), rng.standard_normal(3), 3, wrt=("x", "w"))


def test_a_loop_that_runs_zero_times(rng):
    x = rng.standard_normal(3)
    _, dx = srcgrad.grad(zero_trips)(x, 0)
    np.testing.assert_allclose(dx, 2.0)
    check_grads(zero_trips, x, 2)


def test_scalar_loop_on_python_floats():
    value, da = srcgrad.grad(newton_sqrt)(2.0)
    assert value == pytest.approx(2**0.5) and da == pytest.approx(0.5 / 2**0.5)
    assert type(da) is float


def test_saved_values_are_visible_in_the_code():
    source = srcgrad.source(recurrent, wrt=("W", "U", "b", "h"))
    assert "saved = []" in source and "saved.append((" in source
    assert "while saved:" in source and "= saved.pop()" in source
    assert "# grad of: for t in range(6):" in source


def _peak(steps, W):
    g = srcgrad.grad(unrolled, wrt="W")
    h = np.ones((64, 64)) * 0.01
    g(h, W, 2)  # generate and compile outside the measurement,
    g(h, W, 2)  # and the entry for these shapes (written at the second call)
    tracemalloc.start()
    g(h, W, steps)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_memory_grows_linearly_with_the_number_of_steps():
    W = np.eye(64) * 0.5
    p10, p20, p40 = _peak(10, W), _peak(20, W), _peak(40, W)
    # peak = fixed + per_step * steps: 20 more steps cost twice what 10 more do
    assert 1.7 < (p40 - p20) / (p20 - p10) < 2.3, (p10, p20, p40)
    assert p40 - p10 > 30 * 64 * 64 * 8  # at least one saved 64x64 array per step


def newton_while(a):
    x = a
    while np.abs(x * x - a) > 1e-12:
        x = 0.5 * (x + a / x)
    return x


def shrink(x, rate):
    steps = 0.0
    while np.sum(x**2) > 0.1:
        x = x * rate
        steps = steps + 1.0
    return np.sum(x) * steps


def test_while_with_a_data_dependent_trip_count():
    value, da = srcgrad.grad(newton_while)(2.0)
    assert value == pytest.approx(2**0.5) and da == pytest.approx(0.5 / 2**0.5, rel=1e-6)
    check_grads(shrink, np.array([1.0, 2.0]), 0.7, wrt=("x", "rate"))
    source = srcgrad.source(newton_while)
    assert "while True:" in source and "if not again:" in source and "while saved:" in source


def test_while_that_never_runs():
    _, (dx, drate) = srcgrad.grad(shrink, wrt=("x", "rate"))(np.array([0.1, 0.1]), 0.5)
    np.testing.assert_array_equal(dx, 0.0)
    assert drate == 0.0


def over_rows(X, w):
    total = 0.0
    for x in X:
        total = total + np.tanh(x @ w)
    return total


def over_sequences(xs, ys, w):
    s = 0.0
    for i, a in enumerate(xs):
        s = s + np.sum(a * w) * (i + 1)
    for a, b in zip(xs, ys):
        s = s + np.sum((a - b * w) ** 2)
    for a, b in ((xs[0], w), (xs[1], w * 2.0)):
        s = s + np.sum(a * b)
    return s


def test_loops_over_rows_enumerate_zip_and_tuples(rng):
    check_grads(over_rows, rng.standard_normal((4, 3)), rng.standard_normal(3), wrt=("X", "w"))
    args = rng.standard_normal((3, 2)), rng.standard_normal((4, 2)), rng.standard_normal(2)
    check_grads(over_sequences, *args, wrt=("xs", "ys", "w"))
    assert "# grad of: for x in X:" in srcgrad.source(over_rows, wrt=("X", "w"))


def early_stop(x, w):
    h = x
    for i in range(10):
        h = np.tanh(h * w)
        if np.sum(h) < 0.5:
            break
    return np.sum(h**2)


def skip_odd(x):
    total = 0.0
    for i in range(6):
        if i % 2 == 1:
            continue
        total = total + np.sum(np.sin(x * i))
    return total


def halve_until_small(x):
    y = x
    while True:
        y = y * 0.5
        if np.sum(y**2) < 0.01:
            break
    return np.sum(y * x)


def loop_in_branch(x, n):
    if np.sum(x) > 0:
        for _ in range(n):
            x = np.sin(x)
    else:
        x = x * 2.0
    return np.sum(x)


def test_break_and_continue():
    check_grads(early_stop, np.array([1.0, 0.5]), 0.9, wrt=("x", "w"))
    check_grads(early_stop, np.array([0.1, 0.2]), 0.9, wrt=("x", "w"))  # breaks at once
    check_grads(skip_odd, np.array([0.3, 0.6]))
    check_grads(halve_until_small, np.array([1.0, 2.0]))
    assert "broke = False" in srcgrad.source(early_stop)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_loop_inside_a_branch(sign):
    check_grads(loop_in_branch, sign * np.array([0.4, 0.9]), 3)


def comprehensions(x, ws):
    total = sum(np.sum(np.tanh(x * w)) for w in ws)
    other = sum([x[i] * i for i in range(2)])
    return total + np.sum(other**2)


def dynamic_stack(x, n):
    return np.sum(np.stack([x * i for i in range(n)]))


def test_comprehensions_feeding_sum(rng):
    check_grads(comprehensions, rng.standard_normal(2), rng.standard_normal(3), wrt=("x", "ws"))


def stacked_and_joined(xs, w):
    hs = np.stack([np.tanh(x * w) for x in xs])
    cs = np.concatenate([x * w for x in xs], axis=0)
    return np.sum(hs**2) + np.sum(cs)


def test_comprehensions_of_any_length_feeding_stack_and_concatenate(rng):
    check_grads(stacked_and_joined, rng.standard_normal((3, 2)), rng.standard_normal(2), wrt=("xs", "w"))
    check_grads(dynamic_stack, rng.standard_normal(2), 3)
    assert "parts = []" in srcgrad.source(dynamic_stack)


def fibonacci(prev, cur):
    for _ in range(3):
        prev, cur = cur, cur + prev
    return cur


def last_only(w):
    for t in range(3):
        h = np.tanh(w * t)
    return np.sum(h)


def shared_test(a):
    x = 1.0
    while x - a > 0.5:
        x = (x - a) * 0.5 + a
    return x


def test_carried_values_swap_all_at_once():
    value, (dprev, dcur) = srcgrad.grad(fibonacci, wrt=("prev", "cur"))(1.0, 1.0)
    assert value == 5.0 and (dprev, dcur) == (2.0, 3.0)


def test_a_variable_first_assigned_inside_a_loop():
    check_grads(last_only, np.array([0.3, -0.2]))


def test_a_while_test_that_shares_work_with_the_body():
    value, da = srcgrad.grad(shared_test)(0.1)
    assert value == pytest.approx(0.55) and da == pytest.approx(0.5)


def over_a_local_list(a, b):
    xs = [a, b * 2.0]
    total = 0.0
    for x in xs:
        total = total + np.sum(np.tanh(x))
    return total + np.sum(xs[1])


def test_a_list_made_in_the_function(rng):
    check_grads(over_a_local_list, rng.standard_normal(2), rng.standard_normal(3), wrt=("a", "b"))


def array_from_a_scalar_start(x):
    total = 0.0
    for t in range(3):
        total = total + x * (t + 1.0)
    return np.sum(total**2)


def scalar_accumulator(x):
    total = 0.0
    for t in range(3):
        total = total + np.sum(np.sin(x * t))
    return total * 2.0


def test_a_carried_value_is_a_scalar_only_if_every_step_keeps_it_one(rng):
    check_grads(array_from_a_scalar_start, rng.standard_normal(3))
    check_grads(scalar_accumulator, rng.standard_normal(3))
    assert "ones_like" not in srcgrad.source(scalar_accumulator)  # the seed folds: total is a scalar


def list_built_in_a_loop(x, n):
    parts = []
    for i in range(n):
        parts = parts + [np.sin(x) * i]
    return np.sum(np.stack(parts) ** 2)


def list_joined_statically(x):
    parts = [x] + [x * 2.0]
    return np.sum(np.stack(parts) ** 2)


def test_a_list_the_users_loop_builds(rng):
    # `parts = parts + [item]` from `parts = []` was once differentiated as array addition: a
    # gradient 3x too large, with no error
    check_grads(list_built_in_a_loop, rng.standard_normal(2), 3)
    check_grads(list_joined_statically, rng.standard_normal(2))
    _, dx = srcgrad.grad(list_built_in_a_loop)(np.ones(2), 3)
    assert np.allclose(dx, 2 * np.sin(1.0) * np.cos(1.0) * (0 + 1 + 4))


PARTS = []


def appended_in_place(x):
    for i in range(3):
        PARTS.append(x * i)  # the module's list: Python changes it for every reader
    return np.sum(np.stack(PARTS))


def list_started_with_items(x):
    parts = [x]
    for i in range(3):
        parts = parts + [x * i]
    return np.sum(np.stack(parts))


def two_items_at_once(x):
    parts = []
    for i in range(3):
        parts = parts + [x * i, x]
    return np.sum(np.stack(parts))


def test_a_list_started_with_items_is_grown_by_the_loop():
    check_grads(list_started_with_items, np.array([0.5, -1.5]))


@pytest.mark.parametrize(
    "f, words",
    [
        (appended_in_place, "`.append()` changes a list that does not belong"),
        (two_items_at_once, "only as `parts = parts + [item]`"),
    ],
)
def test_lists_changed_other_ways_are_refused_at_their_line(f, words):
    with pytest.raises(srcgrad.UnsupportedSyntaxError) as info:
        srcgrad.grad(f)(np.ones(2))
    assert words in str(info.value)
    assert "test_loops.py" in str(info.value)


def scaled(x, w, h, scale=0.5):
    return x * scale


def accumulating(x):
    acc = x * 0.5
    i = 0
    while i < 1:
        h = x
        acc += x
        i = i + 1
    return x


def helpers_sharing_a_value(x):
    h, h2 = scaled(x, x, x), accumulating(x)
    return np.sum(h)


def rebound_inside_an_unrolled_loop(x, X):
    h2 = X if np.sum(x) > 0.0 else np.zeros((4, 1)) + np.sum(x)
    for row in (X, h2):
        i = 0
        while i < 2:
            h2 = np.tanh(h2)
            i = i + 1
    X, row = row, X
    return np.sum(X * np.sum(x))


def assigned_in_a_branch_then_two_loops(x):
    if np.sum(x) > 0.0:
        h = x
    for t in range(1):
        h = x
    for t in range(1):
        h = np.tanh(h)
    return np.sum(h)


def test_found_by_the_forward_mode_fuzzer_in_reverse_mode_too(rng):
    # srcgrad's value (not only its gradient) was wrong in the first two: a helper's loop went on
    # under the name of the other helper's result (`x * 0.5` shared by both), and a loop in the
    # body of `for row in (X, h2):` went on under h2's name, which the tuple's next element reads
    x = rng.standard_normal(2)
    assert srcgrad.grad(helpers_sharing_a_value)(x)[0] == pytest.approx(helpers_sharing_a_value(x))
    check_grads(helpers_sharing_a_value, x, mode="both")
    x, X = rng.standard_normal((1, 4)), rng.standard_normal((4, 1))
    value, _ = srcgrad.grad(rebound_inside_an_unrolled_loop)(x, X)
    assert value == pytest.approx(rebound_inside_an_unrolled_loop(x, X))
    check_grads(rebound_inside_an_unrolled_loop, x, X, mode="both")
    # jvp: the second loop started from the tangent h had before the first (a line folded past a
    # loop that rebinds its name)
    check_grads(assigned_in_a_branch_then_two_loops, np.array([0.5, 0.2]), mode="both")
