"""Everyday Python in the differentiated function: `and` / `or`, chained comparisons, `assert`,
`raise` in a branch, `isinstance` tests, and `return` inside branches and loops.

Each is differentiated against finite differences, the short circuits are checked not to evaluate
what Python would not (an index out of range, a division by zero), and the generated code is
checked to keep the user's `assert` and `raise`, and to quote the user's lines.
"""

import itertools
import re

import corpus as C
import numpy as np
import pytest

import srcgrad
from srcgrad import UnsupportedSyntaxError
from srcgrad.testing import check_grads

X = np.array([0.3, -0.2, 0.4])


def _same_value_and_grads(func, *args):
    value, _ = check_grads(func, *args, wrt=("x",))
    assert value == func(*args)


# ---------------------------------------------------------------------------------------------
# `and` / `or`


def and_in_if(x, n):
    if np.sum(x) > 0 and n < 5:
        x = x * 2.0
    return np.sum(x**2)


def or_in_if_else(x, n):
    if n > 3 or np.sum(x) < 0:
        y = np.tanh(x)
    else:
        y = x * 3.0
    return np.sum(y)


def guarded_index(x, n):
    if n < x.shape[0] and x[n] > 0:  # x[n] is out of range when n == len(x)
        return np.sum(x * x[n])
    return np.sum(x)


def guarded_division(x, d):
    if d == 0 or 1.0 / d > 2.0:  # 1.0 / d is a ZeroDivisionError when d == 0
        return np.sum(np.sin(x))
    return np.sum(x / d)


def three_operands(x, a, b):
    if a > 0 and b > 0 and np.sum(x) > 0:
        x = x * a
    elif a < 0 or b < 0 or not np.sum(x) > 1:
        x = x * b
    return np.sum(x**2)


def negated_and(x, n):
    if not (n > 0 and np.sum(x) > 0):
        x = -x
    return np.sum(np.exp(x))


def and_in_while(x, w):
    n = 0
    while np.sum(x**2) > 0.01 and n < 50:
        x = x * w
        n += 1
    return np.sum(x)


def or_in_conditional_expression(x, a):
    s = 2.0 if a > 0 or np.sum(x) < -1.0 else 3.0
    return np.sum(x * s)


def or_as_a_value(x, scale):
    s = scale or 1.0
    return np.sum(x * s)


def and_as_a_value_inside(x, a):
    y = x * (a and 2.0)
    return np.sum(y)


def on_numpy_bools(x, flag):
    big = np.sum(x) > 0.0
    if big and flag:
        x = x * 2.0
    if np.all(x > -1.0) or np.asarray(np.any(x > 5.0)):
        x = x + 1.0
    return np.sum(x**2)


def lambda_with_and(x, a):
    pick = lambda v: v > 0 and a > 0  # noqa: E731
    if pick(np.sum(x)):
        x = x * a
    return np.sum(x**2)


@pytest.mark.parametrize("n", [0, 3, 6])
def test_and_in_an_if(n):
    _same_value_and_grads(and_in_if, X, n)
    _same_value_and_grads(and_in_if, -X, n)


@pytest.mark.parametrize("n", [1, 5])
@pytest.mark.parametrize("x", [X, -X])
def test_or_in_an_if_with_else(x, n):
    _same_value_and_grads(or_in_if_else, x, n)


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_the_right_of_and_is_not_evaluated_when_the_left_is_false(n):
    _same_value_and_grads(guarded_index, X, n)  # n == 3 reads x[3] if evaluated


@pytest.mark.parametrize("d", [0, 0.25, 2.0])
def test_the_right_of_or_is_not_evaluated_when_the_left_is_true(d):
    _same_value_and_grads(guarded_division, X, d)  # d == 0 divides by zero if evaluated


@pytest.mark.parametrize("a, b", list(itertools.product([-1.0, 0.0, 2.0], [-1.0, 0.5])))
@pytest.mark.parametrize("x", [X, -X])
def test_three_operands_and_elif(x, a, b):
    _same_value_and_grads(three_operands, x, a, b)


@pytest.mark.parametrize("n", [0, 2])
@pytest.mark.parametrize("x", [X, -X])
def test_not_of_and(x, n):
    _same_value_and_grads(negated_and, x, n)


@pytest.mark.parametrize("w", [0.5, 0.99])
def test_and_in_a_while_test(w):
    value, grads = check_grads(and_in_while, X, w)
    assert value == and_in_while(X, w)


@pytest.mark.parametrize("a", [1.0, -0.5])
@pytest.mark.parametrize("x", [X, X - 2.0])
def test_or_in_a_conditional_expression(x, a):
    _same_value_and_grads(or_in_conditional_expression, x, a)


@pytest.mark.parametrize("scale", [None, 0.0, 2.5])
def test_or_as_the_value_of_an_assignment(scale):
    _same_value_and_grads(or_as_a_value, X, scale)


@pytest.mark.parametrize("a", [0.0, 3.0])
def test_and_as_a_value_inside_an_expression(a):
    _same_value_and_grads(and_as_a_value_inside, X, a)


@pytest.mark.parametrize("flag", [True, False, np.bool_(True), np.array(False)])
@pytest.mark.parametrize("x", [X, -X, X - 3.0])
def test_and_or_on_numpy_bools_and_0d_arrays(x, flag):
    _same_value_and_grads(on_numpy_bools, x, flag)


@pytest.mark.parametrize("a", [-1.0, 2.0])
def test_and_in_a_lambda(a):
    _same_value_and_grads(lambda_with_and, X, a)


def test_and_reads_as_nested_ifs_in_the_generated_code():
    code = srcgrad.source(and_in_if)
    assert "both = np.sum(x) > 0\n    if both:\n        both_2 = n < 5" in code, code
    assert "# grad of: if np.sum(x) > 0 and n < 5:" in code, code


# ---------------------------------------------------------------------------------------------
# chained comparisons

TICKS = itertools.count()


def in_range(x):
    if 0.0 < np.sum(x) < 1.0:
        x = x * 2.0
    return np.sum(x**2)


def chained_as_a_value(x, lo, hi):
    inside = lo < np.sum(x) <= hi
    return np.sum(x * inside) + np.sum(x**2)


def chained_with_a_plain_middle(x, t):
    s = 0.0 if -1.0 < t < 1.0 < 2.0 else 1.0
    return np.sum(x * s)


def middle_counted(x):
    if 0 <= next(TICKS) < 10**9:
        x = x * 2.0
    return np.sum(x**2)


def chained_short_circuit(x, n):
    if 0 <= n < x.shape[0] > 1.0 / n:  # 1.0 / n when n == 0 would divide by zero... after `<`
        return np.sum(x * x[n])
    return np.sum(x)


@pytest.mark.parametrize("scale", [0.5, 3.0, -1.0])
def test_chained_comparison_in_an_if(scale):
    _same_value_and_grads(in_range, X * scale)


@pytest.mark.parametrize("lo, hi", [(0.0, 1.0), (-2.0, 0.0), (1.0, 0.5)])
def test_chained_comparison_as_a_value(lo, hi):
    _same_value_and_grads(chained_as_a_value, X, lo, hi)


@pytest.mark.parametrize("t", [0.0, 3.0])
def test_chained_comparison_in_a_conditional_expression(t):
    _same_value_and_grads(chained_with_a_plain_middle, X, t)


def test_the_middle_of_a_chained_comparison_is_evaluated_once():
    g = srcgrad.grad(middle_counted)
    g(X)
    before = next(TICKS)
    value, dx = g(X)
    assert next(TICKS) == before + 2  # one for the call, one for this check
    np.testing.assert_allclose(dx, 8.0 * X)
    assert value == pytest.approx(np.sum((2.0 * X) ** 2))


@pytest.mark.parametrize("n", [0, 1, 3])
def test_a_chained_comparison_stops_at_the_first_false(n):
    if n == 0:
        with pytest.raises(ZeroDivisionError):
            chained_short_circuit(X, n)
        with pytest.raises(ZeroDivisionError):
            srcgrad.grad(chained_short_circuit)(X, n)
        return
    _same_value_and_grads(chained_short_circuit, X, n)  # n == 3: `3 < 3` is false, x[3] unread


def test_corpus_programs_once_refused():
    _same_value_and_grads(C.in_range, X)
    _same_value_and_grads(C.until_small_or_many, X, np.full(3, 0.9))


# ---------------------------------------------------------------------------------------------
# assert, raise, isinstance


def validated(x, scale):
    if x.ndim != 1:
        raise ValueError("expected a vector")
    if not isinstance(scale, float):
        raise TypeError
    assert np.all(np.isfinite(x)), "x must be finite"
    assert scale > 0
    return np.sum((x * scale) ** 2)


def assert_with_computed_message(x):
    assert np.sum(x) < 10.0 and x.shape[0] > 1, "too big: " + str(x.shape[0])
    return np.sum(np.sin(x))


def test_assert_and_raise_are_kept_in_the_forward_pass():
    _same_value_and_grads(validated, X, 2.0)
    code = srcgrad.source(validated)
    assert "raise ValueError('expected a vector')" in code, code
    assert "raise TypeError()" in code, code
    assert "assert all_2, 'x must be finite'" in code, code
    assert "scale_positive = scale > 0\n    assert scale_positive\n" in code, code
    with pytest.raises(ValueError, match="expected a vector"):
        srcgrad.grad(validated)(np.ones((2, 2)), 2.0)
    with pytest.raises(TypeError):
        srcgrad.grad(validated)(X, 2)
    with pytest.raises(AssertionError, match="x must be finite"):
        srcgrad.grad(validated)(np.array([1.0, np.inf]), 2.0)
    with pytest.raises(AssertionError):
        srcgrad.grad(validated)(X, -1.0)


def test_assert_and_raise_in_forward_mode_and_second_derivatives():
    v = np.ones(3)
    _, tangent = srcgrad.jvp(validated, wrt=("x",))(X, 2.0, v)
    np.testing.assert_allclose(tangent, np.sum(8.0 * X * v))
    hv = srcgrad.hvp(validated, wrt="x")(X, 2.0, v)
    np.testing.assert_allclose(hv, 8.0 * v)
    with pytest.raises(ValueError, match="expected a vector"):
        srcgrad.hvp(validated, wrt="x")(np.ones((1, 3)), 2.0, np.ones((1, 3)))


def test_an_assert_message_is_computed_only_when_the_test_fails():
    _same_value_and_grads(assert_with_computed_message, X)
    with pytest.raises(AssertionError, match="too big: 1"):
        srcgrad.grad(assert_with_computed_message)(np.array([20.0]))


def raises_a_value(x):
    error = ValueError("no")
    if np.sum(x) > 100:
        raise error
    return np.sum(x)


def raises_from(x):
    if np.sum(x) > 100:
        raise ValueError("no") from None
    return np.sum(x)


@pytest.mark.parametrize(
    "func, text, what",
    [
        (raises_a_value, "raise error", "raising this value"),
        (raises_from, "from None", "`raise ... from ...`"),
    ],
)
def test_raise_of_anything_but_an_exception_made_in_place_is_refused(func, text, what):
    with pytest.raises(UnsupportedSyntaxError, match=re.escape(what)) as info:
        srcgrad.source(func)
    assert text in str(info.value)


# ---------------------------------------------------------------------------------------------
# return inside branches and loops


def early_return(x, flag):
    if flag:
        return np.sum(x**2)
    y = x * 3.0
    return np.sum(np.tanh(y))


def elif_returns(x, k):
    if k == 0:
        return np.sum(x)
    elif k == 1:
        y = x**2
        return np.sum(y)
    else:
        y = np.sin(x)
    return np.sum(y * x)


def return_in_for(x):
    for i in range(5):
        x = x * 1.5
        if np.sum(x**2) > 1.0:
            return np.sum(x) * float(i)
    return np.sum(x * 3.0)


def return_in_nested_loops(x):
    total = 0.0
    for i in range(3):
        for j in range(3):
            total = total + np.sum(x) * float(i + j)
            if total > 1.0:
                return total * np.sum(x**2)
        x = x * 0.5
    return total


def return_in_while(x, limit):
    k = 0.0
    while k < 4.0:
        k = k + 1.0
        if np.sum(x * k) > limit:
            return np.sum(x * k)
    return np.sum(x)


def nested_def_returns_early(x, a):
    def act(v):
        if a > 0:
            return np.tanh(v)
        return v * a

    return np.sum(act(x) ** 2)


@pytest.mark.parametrize("flag", [True, False])
def test_early_return_in_an_if(flag):
    _same_value_and_grads(early_return, X, flag)


def test_early_return_reads_as_the_user_would_write_it():
    code = srcgrad.source(early_return).split("\n\n")[0]
    assert "returned" not in code, code  # no flag: the rest runs in the `else`
    assert code.count("early_return = ") == 2 and "else:" in code, code
    listing = srcgrad.source(early_return)
    assert "# grad of: return np.sum(x**2)" in listing, listing
    assert "# grad of: return np.sum(np.tanh(y))" in listing, listing


@pytest.mark.parametrize("k", [0, 1, 2])
def test_returns_in_elif_branches(k):
    _same_value_and_grads(elif_returns, X, k)


@pytest.mark.parametrize("scale", [0.1, 1.0, 5.0])
def test_return_inside_a_for_loop(scale):
    _same_value_and_grads(return_in_for, X * scale)


@pytest.mark.parametrize("scale", [0.01, 0.5, 3.0])
def test_return_inside_nested_loops(scale):
    _same_value_and_grads(return_in_nested_loops, np.abs(X) * scale)


@pytest.mark.parametrize("limit", [-10.0, 0.5, 100.0])
def test_return_inside_a_while_loop(limit):
    _same_value_and_grads(return_in_while, np.abs(X), limit)


@pytest.mark.parametrize("a", [-0.5, 2.0])
def test_early_return_in_a_function_defined_inside(a):
    _same_value_and_grads(nested_def_returns_early, X, a)


def helper_inside(v):
    return 0.0 < np.sum(v) < 1.0


def calls_helper_inside(x):
    if helper_inside(x):
        x = x * 2.0
    return np.sum(x)


def test_a_chained_comparison_returned_by_a_helper_is_refused_with_a_rewrite():
    with pytest.raises(UnsupportedSyntaxError, match="the value a helper returns") as info:
        srcgrad.source(calls_helper_inside)
    assert "return 0.0 < np.sum(v) < 1.0" in str(info.value)


# ---------------------------------------------------------------------------------------------
# what stays refused


def or_of_computed_values_inside(x):
    y = 2.0 * (np.sum(x) or 1.0)
    return y


def chained_in_while(x):
    while 0.0 < np.sum(x) < 1.0:
        x = x * 2.0
    return np.sum(x)


@pytest.mark.parametrize(
    "func, text, words",
    [
        (
            or_of_computed_values_inside,
            "np.sum(x) or 1.0",
            "`and` / `or` whose value is used inside an expression",
        ),
        (chained_in_while, "while 0.0 < np.sum(x) < 1.0:", "a chained comparison with this operand computed"),
    ],
)
def test_short_circuits_that_would_read_a_computed_value_twice_are_refused(func, text, words):
    with pytest.raises(UnsupportedSyntaxError, match=re.escape(words)) as info:
        srcgrad.source(func)
    assert text in str(info.value)


# -- dicts as local storage: one variable per literal key ---------------------------------------


def cached_steps(W, x):
    cache = {}
    cache["h"] = np.tanh(x @ W)
    cache["o"] = cache["h"] * 2.0
    cache["o"] += 1.0
    return np.sum(cache["o"] ** 2)


def named_parameters(W, b, x):
    ps = {"W": W, "b": b}
    return np.sum(np.tanh(x @ ps["W"] + ps["b"]))


def dict_call(W, b, x):
    ps = dict(W=W * 2.0, b=b)
    return np.sum(np.tanh(x @ ps["W"] + ps["b"]))


def per_step_dict(W, x, n):
    h = x
    for t in range(n):
        step = {"pre": h @ W}
        step["h"] = np.tanh(step["pre"])
        h = step["h"]
    return np.sum(h)


def dict_passed_whole(W, x):
    cache = {"h": np.tanh(x @ W)}
    return np.sum(list(cache.values())[0])


@pytest.mark.parametrize("f", [cached_steps, named_parameters, dict_call, per_step_dict])
def test_a_dict_of_named_values_is_a_variable_per_key(f):
    rng = np.random.default_rng(0)
    W, b, x = rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3), rng.normal(size=(4, 3))
    args = {"cached_steps": (W, x), "per_step_dict": (W, x, 3)}.get(f.__name__, (W, b, x))
    wrt = ("W",) if f.__name__ in ("cached_steps", "per_step_dict") else ("W", "b")
    check_grads(f, *args, wrt=wrt)
    check_grads(f, *args, wrt=wrt, mode="forward")


def test_the_generated_code_names_each_item_and_quotes_the_users_line():
    source = srcgrad.source(cached_steps, wrt="W")
    assert "cache_h = np.tanh(x @ W)" in source and "cache_o = cache_h * 2.0" in source, source
    assert '# grad of: cache["o"] = cache["h"] * 2.0' in source, source


def test_a_dict_used_whole_is_still_refused_at_its_line():
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="dict literal") as info:
        srcgrad.grad(dict_passed_whole)(np.ones((3, 3)), np.ones((2, 3)))
    assert "test_everyday_python.py" in str(info.value)


# -- complex values inside: followed through holomorphic functions, never a wrong derivative -----


def complex_inside(x):
    return np.sum(np.abs(np.exp(1j * x) * x))


def complex_by_cast(x):
    return np.sum(np.abs(x.astype(complex) * x))


def complex_argument(x, c):
    return np.sum(np.abs(x * c))


def complex_argument_real_part(x, c):
    return np.sum(np.real(np.exp(x * c)))


@pytest.mark.parametrize("f, expected", [(complex_inside, [1.0, 1.0]), (complex_by_cast, [0.6, 1.4])])
def test_complex_intermediates_are_differentiated_in_every_mode(f, expected):
    """|exp(ix) x| = |x| and |x x| = x**2: the rule of np.abs on complex values is conj(z) / |z|
    (before complex values were followed, `complex_inside`'s gradient came out [0.656, -0.520]
    and was refused at run time)."""
    x = np.array([0.3, 0.7])
    _, g = srcgrad.grad(f)(x)
    np.testing.assert_allclose(g, expected)
    _, t = srcgrad.jvp(f)(x, np.array([1.0, -2.0]))
    np.testing.assert_allclose(t, expected[0] - 2 * expected[1])
    np.testing.assert_allclose(
        srcgrad.hvp(f)(x, np.ones(2)), [0.0, 0.0] if f is complex_inside else [2.0, 2.0], atol=1e-12
    )
    check_grads(f, x, mode="forward")


@pytest.mark.parametrize("f", [complex_argument, complex_argument_real_part])
def test_complex_arguments_not_differentiated_are_refused_in_every_mode(f):
    """A complex argument that is not differentiated is not followed (the analysis is of the
    function's own code): the runtime check refuses the complex derivative it leads to."""
    x, c = np.array([0.3, 0.7]), np.array([1 + 1j, 2 - 1j])
    for make, extra in ((srcgrad.grad, ()), (srcgrad.jvp, (np.ones(2),)), (srcgrad.hvp, (np.ones(2),))):
        with pytest.raises(
            (srcgrad.errors.ComplexValueError, srcgrad.UnsupportedArgumentsError),
            match="where srcgrad does not follow them",
        ):
            make(f)(x, c, *extra)
