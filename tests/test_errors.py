"""Every error names the user's file and line, says what is wrong, and what to do instead."""

import re

import numpy as np
import pytest

import srcgrad
from srcgrad import (
    ArgumentTypeError,
    NonScalarOutputError,
    NoRuleError,
    SourceUnavailableError,
    UnsupportedSyntaxError,
    WrtError,
)

HERE = __file__


def _line_of(func, text):
    import inspect

    lines, start = inspect.getsourcelines(func)
    for i, line in enumerate(lines):
        if text in line:
            return start + i
    raise AssertionError(text)


def guarded(x):
    y = x * 2.0
    try:
        y = np.tanh(y)
    except FloatingPointError:
        y = x
    return np.sum(y)


def spectrum(x):
    A = np.fft.hfft(x)
    return np.sum(A)


def returns_array(x):
    return x * 2.0


def early_return(x):
    return np.sum(x)
    y = x  # noqa: F841


def undefined_name(x):
    return np.sum(x * not_defined_anywhere)  # noqa: F821


def summed_with_dtype(x):
    return np.sum(x, dtype=np.float32)


def shifted(x):
    return np.sum(x << 2)


def two_args(a, b):
    return np.sum(a * b)


def _check(exc_info, func, text, *fragments):
    message = str(exc_info.value)
    assert f'File "{HERE}", line {_line_of(func, text)}' in message, message
    assert text.strip() in message
    for fragment in fragments:
        assert re.search(fragment, message), (fragment, message)


def test_unsupported_statement_names_construct_line_and_rewrite():
    with pytest.raises(UnsupportedSyntaxError) as info:
        srcgrad.grad(guarded)(np.ones(3))
    _check(info, guarded, "try:", r"a `try` statement in 'guarded'", r"Handle errors outside")


def test_function_without_rule_names_it_and_how_to_register():
    with pytest.raises(NoRuleError) as info:
        srcgrad.grad(spectrum)(np.ones(4))
    _check(info, spectrum, "A = np.fft.hfft(x)", r"numpy\.fft\.hfft", r"srcgrad\.extend\.adjoint")


def test_non_scalar_result():
    with pytest.raises(NonScalarOutputError) as info:
        srcgrad.grad(returns_array)(np.ones(3))
    _check(info, returns_array, "return x * 2.0", r"returned an array of shape \(3,\)", r"np\.sum")


def calls_early_return(x):
    return early_return(x) * 2.0


def test_statements_after_a_helpers_return_never_run():
    # a helper is rewritten to one `return` at its end, as the function differentiated is
    value, dx = srcgrad.grad(calls_early_return)(np.array([1.0, 2.0]))
    assert value == 6.0
    np.testing.assert_array_equal(dx, [2.0, 2.0])


def test_undefined_name():
    with pytest.raises(UnsupportedSyntaxError) as info:
        srcgrad.source(undefined_name)
    _check(info, undefined_name, "not_defined_anywhere", "'not_defined_anywhere' is not defined")


def test_rule_that_does_not_take_an_argument():
    with pytest.raises(UnsupportedSyntaxError) as info:
        srcgrad.source(summed_with_dtype)
    _check(info, summed_with_dtype, "np.sum(x, dtype=np.float32)", "dtype")


def test_operator_without_rule():
    with pytest.raises(NoRuleError) as info:
        srcgrad.source(shifted)
    _check(info, shifted, "x << 2", "<<")


def test_unknown_wrt_lists_the_parameters():
    with pytest.raises(WrtError, match=r"wrt='c' is not a parameter of 'two_args'; its parameters are a, b"):
        srcgrad.grad(two_args, wrt="c")
    with pytest.raises(WrtError, match="out of range"):
        srcgrad.grad(two_args, wrt=2)
    with pytest.raises(WrtError, match="twice"):
        srcgrad.grad(two_args, wrt=("a", "a"))


@pytest.mark.parametrize(
    "value, kind",
    [
        (3, "an integer"),
        (np.arange(3), "an integer"),
        (True, "a boolean"),
        ("x", "a str"),
        (None, "None"),
        (np.array([1.0, "a"], dtype=object), "an array of dtype object"),
        (np.ones(2, dtype=complex), "an array of dtype complex128"),
        (np.int64(3), "an integer"),
        (np.ones(2, dtype=bool), "a boolean"),
        ([1.0, 2], "an integer"),
    ],
)
def test_non_float_argument_is_refused_with_a_cast_suggestion(value, kind):
    with pytest.raises(ArgumentTypeError, match=f"needs a floating-point value.*is {kind}") as info:
        srcgrad.grad(two_args)(value, np.ones(3))
    assert "dtype=float" in str(info.value)
    assert isinstance(info.value, TypeError)


def test_source_that_cannot_be_read():
    namespace = {"np": np}
    exec("def made_by_exec(x):\n    return np.sum(x)\n", namespace)
    with pytest.raises(SourceUnavailableError, match="cannot read the source of 'made_by_exec'"):
        srcgrad.source(namespace["made_by_exec"])


def test_one_of_two_lambdas_on_a_line_is_refused():
    pair = (lambda x: x * 2.0, lambda x: x * 3.0)
    with pytest.raises(SourceUnavailableError, match="which lambda on this line"):
        srcgrad.source(pair[0])


def test_builtin_is_refused():
    with pytest.raises(SourceUnavailableError, match="defined with `def`"):
        srcgrad.source(np.sum)


def sorts_in_place(x):
    x.sort()
    return np.sum(x)


def writes_out(x, y):
    np.exp(x, out=y)
    return np.sum(y)


def test_in_place_methods_and_out_are_refused():
    with pytest.raises(UnsupportedSyntaxError) as info:
        srcgrad.source(sorts_in_place)
    _check(info, sorts_in_place, "x.sort()", r"changes its array in place", r"np\.sort")
    with pytest.raises(UnsupportedSyntaxError) as info:
        srcgrad.source(writes_out)
    _check(info, writes_out, "np.exp(x, out=y)", r"`out=` writes into an existing array")
