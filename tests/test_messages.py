"""Each message names the right thing: the line at fault, what the construct is, advice that
works (the advised rewrite is run here), and never an array's elements."""

import functools
import linecache
import re

import numpy as np
import pytest

import srcgrad
from srcgrad import ArgumentTypeError, SourceUnavailableError, SrcgradError, UnsupportedSyntaxError, extend
from srcgrad.functions.failures import exception_summary
from srcgrad.testing import check_grads

from test_errors import _line_of

HERE = __file__
BIG = np.linspace(-1.0, 1.0, 6000)  # a repr of this runs to thousands of characters
LIMIT = 1500


def _points_at(message, func, text):
    assert f'File "{HERE}", line {_line_of(func, text)}' in message, message
    assert text.strip() in message, message


def _short(message):
    """No array elements, and a length a person reads."""
    assert len(message) < LIMIT, (len(message), message)
    assert "array([" not in message, message
    assert not re.search(r"\[\s*-?\d+\.\d*(?:e[-+]?\d+)?\s+-?\d", message), message  # `[-1. -0.99 ...`


# ---------------------------------------------------------------------------------------------
# 1. An early `return` is reported where it is, not at the last `return`.


def early(x, flag):
    if flag:
        return np.sum(x**2)
    y = x * 3.0
    return np.sum(y)


def early_rewritten(x, flag):  # what the hint says to write
    if flag:
        result = np.sum(x**2)
    else:
        y = x * 3.0
        result = np.sum(y)
    return result


def returns_in_loop(x):
    for i in range(3):
        if np.sum(x) > float(i):
            return np.sum(x * float(i))
    return np.sum(x * 2.0)


def returns_in_loop_rewritten(x):  # what the hint says to write
    result = np.sum(x * 2.0)
    for i in range(3):
        if np.sum(x) > float(i):
            result = np.sum(x * float(i))
            break
    return result


def returns_in_while(x):
    k = 0.0
    while k < 3.0:
        k = k + 1.0
        if np.sum(x) > k:
            return np.sum(x * k)
    return np.sum(x)


def helper_returns_early(v):
    if np.sum(v) > 0.0:
        return v * 2.0
    return v


def calls_a_helper_that_returns_early(x):
    return np.sum(helper_returns_early(x))


def returns_in_nested_branches(x, a, b):
    if a:
        if b:
            return np.sum(x)
        y = x
    else:
        y = x * 2.0
    return np.sum(y)


def returns_in_both_branches(x, flag):
    if flag:
        return np.sum(x)
    else:
        return np.sum(x * 2.0)


def returns_then_dead_code(x):
    return np.sum(x)
    y = x  # noqa: F841


def helper_returns_in_loop(v):
    for i in range(3):
        if np.sum(v) > float(i):
            return v * float(i)
    return v


def calls_a_helper_that_returns_in_a_loop(x):
    return np.sum(helper_returns_in_loop(x))


def defaultmax(v, default=-np.inf):  # autograd's examples/bayesian_optimization.py
    if v.size == 0:
        return default
    return np.max(v)


def helper_returns_in_elif(v):
    if np.sum(v) < -1.0:
        return v * 0.5
    elif np.sum(v) > 10.0:
        return np.tanh(v)
    w = v**2
    return w + 1.0


def calls_helpers_that_return_early(x):
    return defaultmax(x) * np.sum(helper_returns_in_elif(x)) + np.sum(helper_returns_in_elif(x * 10.0))


@pytest.mark.parametrize(
    "caller",
    [
        calls_a_helper_that_returns_early,
        calls_a_helper_that_returns_in_a_loop,
        calls_helpers_that_return_early,
    ],
)
@pytest.mark.parametrize("x", [np.array([0.5, 0.25]), np.array([-1.0, -2.0]), np.array([2.0, 1.5])])
def test_a_helper_may_return_early(caller, x):
    # the helper is rewritten with one `return` at its end, as the function differentiated is
    value, _ = check_grads(caller, x)
    assert value == caller(x)
    check_grads(caller, x, mode="forward")
    hvp = srcgrad.hvp(caller)(x, np.ones_like(x))
    eps = 1e-6
    gradient = srcgrad.grad(caller, with_value=False)
    np.testing.assert_allclose(hvp, (gradient(x + eps) - gradient(x - eps)) / (2 * eps), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "func, args",
    [
        (early, (True,)),
        (early, (False,)),
        (returns_in_loop, ()),
        (returns_in_while, ()),
        (returns_in_nested_branches, (True, True)),
        (returns_in_nested_branches, (True, False)),
        (returns_in_nested_branches, (False, True)),
        (returns_in_both_branches, (True,)),
        (returns_in_both_branches, (False,)),
        (returns_then_dead_code, ()),
    ],
)
@pytest.mark.parametrize("x", [np.array([0.5, 0.25]), np.array([-1.0, -2.0]), np.array([2.0, 1.5])])
def test_the_function_differentiated_may_return_early(func, args, x):
    value, _ = check_grads(func, x, *args, wrt=("x",))
    assert value == func(x, *args)


@pytest.mark.parametrize("flag", [True, False])
def test_the_early_return_rewrites_the_hints_advise_work(flag):
    x = np.array([0.5, -1.0, 2.0])
    value, dx = srcgrad.grad(early_rewritten)(x, flag)
    assert value == early(x, flag)
    np.testing.assert_allclose(dx, 2 * x if flag else np.full(3, 3.0))
    for x in (np.array([0.5, 0.25]), np.array([-1.0, -2.0])):
        value, dx = srcgrad.grad(returns_in_loop_rewritten)(x)
        assert value == returns_in_loop(x)


def augments_a_parameter_twice(a, flag):
    if flag:
        a += 1.0
    a *= 2.0
    return a


def calls_an_augmenting_helper(x):
    return np.sum(augments_a_parameter_twice(x, True)) + np.sum(x)  # Python's x was changed


def aliases_then_augments(x, flag):
    y = x * 1.0
    if flag:
        c = y
    c = y.T
    y += 1.0
    return np.sum(c)


def test_in_place_updates_are_reported_at_the_first_in_the_source():
    with pytest.raises(UnsupportedSyntaxError) as info:
        srcgrad.source(calls_an_augmenting_helper)
    _points_at(str(info.value), augments_a_parameter_twice, "a += 1.0")
    with pytest.raises(UnsupportedSyntaxError) as info:
        srcgrad.source(aliases_then_augments)
    _points_at(str(info.value), aliases_then_augments, "        c = y")


# ---------------------------------------------------------------------------------------------
# 2. Assignment into a dict or list item is named as such, with a rewrite srcgrad takes.


def dict_item(x):
    d = dict()
    d["k"] = x * 2.0
    return np.sum(d["k"])


def list_item(x):
    out = [None, None]
    out[0] = x
    return np.sum(out[0])


def repeated_list_item(x):
    out = [None] * 2
    out[1] = x
    return np.sum(out[1])


def empty_dict(x):
    d = {}
    return np.sum(x)


def dict_looped_over(x):
    d = {"a": x}
    return sum(np.sum(v) for v in d.values())


def dict_comprehension(x):
    d = {i: x for i in range(2)}
    return np.sum(d[0])


def array_item(x):
    y = np.zeros_like(x)
    y[0] = x[0]
    return np.sum(y)


def parameter_item(y, v):
    y[0] = v
    return np.sum(y)


def separate_variables(x):  # the dict rewrite
    k = x * 2.0
    return np.sum(k)


def list_in_one_expression(x):  # the list rewrite
    out = [x, x * 2.0]
    return np.sum(out[0] * out[1])


def list_grown_in_a_loop(x):  # the other list rewrite
    out = []
    for i in range(3):
        out = out + [x * float(i)]
    return np.sum(np.stack(out))


def reads_a_dict_parameter(p, x):
    return np.sum(p["w"] * x)


def dict_of_constants(x):
    d = dict(k=2.0)
    return np.sum(x) * d["k"]


def test_a_dict_kept_by_literal_keys_differentiates_as_its_variables():
    """`d = dict()`, `d["k"] = x * 2.0`, `d["k"]`: once refused with a rewrite to separate
    variables, now that rewrite is srcgrad's own (srcgrad/local_dicts.py)."""
    x = np.array([1.0, 2.0])
    for func in (dict_item, separate_variables):
        np.testing.assert_allclose(srcgrad.grad(func)(x)[1], [2.0, 2.0])
    np.testing.assert_allclose(srcgrad.grad(empty_dict)(x)[1], [1.0, 1.0])
    np.testing.assert_allclose(srcgrad.grad(list_in_one_expression)(x)[1], 4 * x)
    # "a dict passed in as an argument can be read, and differentiated with respect to"
    _, dp = srcgrad.grad(reads_a_dict_parameter)({"w": np.ones(2)}, x)
    np.testing.assert_allclose(dp["w"], x)


def test_a_literal_item_of_a_list_whose_items_are_known_is_replaced():
    x = np.array([1.0, 2.0])
    value, dx = srcgrad.grad(list_item)(x)
    assert value == 3.0
    np.testing.assert_allclose(dx, [1.0, 1.0])


@pytest.mark.parametrize("func, text, name", [(repeated_list_item, "out[1] = x", "out")])
def test_list_item_assignment_is_named_with_a_rewrite_that_works(func, text, name):
    with pytest.raises(UnsupportedSyntaxError) as info:
        srcgrad.grad(func)(np.array([1.0, 2.0]))
    message = str(info.value)
    _points_at(message, func, text)
    assert f"assignment into an item of the list `{name}`" in message and "np.where" not in message
    assert "carry a gradient" in message
    assert f"`{name} = [a, b]`" in message and f"`{name} = {name} + [item]`" in message
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(srcgrad.grad(list_in_one_expression)(x)[1], 4 * x)
    np.testing.assert_allclose(srcgrad.grad(list_grown_in_a_loop)(x)[1], [3.0, 3.0])


@pytest.mark.parametrize(
    "func, text",
    [(dict_looped_over, 'd = {"a": x}'), (dict_comprehension, "d = {i: x for i in range(2)}")],
)
def test_a_dict_made_in_the_function_is_named_with_what_works(func, text):
    with pytest.raises(UnsupportedSyntaxError) as info:
        srcgrad.source(func)
    message = str(info.value)
    _points_at(message, func, text)
    assert "dict" in message.split("\n")[0]
    assert "pass arrays as separate arguments" not in message
    assert "separate variable for each value" in message and "`dict(k=2.0)` works" in message
    x = np.array([1.0, 2.0])
    value, dx = srcgrad.grad(dict_of_constants)(x)
    assert value == 6.0
    np.testing.assert_allclose(dx, [2.0, 2.0])


def aliased_item(x):
    y = np.zeros_like(x)
    z = y
    y[0] = x[0]
    return np.sum(z)


def test_array_item_assignment_differentiates_and_an_aliased_one_gets_the_copy_advice():
    x = np.array([1.5, -2.0, 3.0])
    np.testing.assert_allclose(srcgrad.grad(array_item)(x)[1], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(srcgrad.grad(parameter_item, wrt="v")(x, 2.0)[1], 1.0)
    with pytest.raises(UnsupportedSyntaxError) as info:
        srcgrad.source(aliased_item)
    message = str(info.value)
    _points_at(message, aliased_item, "y[0] = x[0]")
    assert "`z` may hold the same array" in message and ".copy()" in message


def sets_an_attribute(x):
    x.scale = 2.0
    return np.sum(x)


def annotated(x):
    y: float = x * 2.0
    return np.sum(y)


def star_target(x):
    a, *rest = x
    return np.sum(a)


def nested_target(x):
    s, (b, c) = np.sum(x), (x * 2.0, x * 3.0)
    return s * np.sum(b * c)


def unpacked_in_two_steps(x):  # the nested-unpacking rewrite
    s, bc = np.sum(x), (x * 2.0, x * 3.0)
    b, c = bc
    return s * np.sum(b * c)


def unpacked(x):  # the starred rewrite
    a, b, c = x
    return a * b * c


@pytest.mark.parametrize(
    "func, text, what, advice",
    [
        (sets_an_attribute, "x.scale = 2.0", "assignment to an attribute", "local variable"),
        (annotated, "y: float = x * 2.0", "an annotated assignment", "Drop the annotation"),
        (star_target, "a, *rest = x", "star-unpacking in an assignment", "a, b, c = xs"),
        (nested_target, "s, (b, c) = ", "nested unpacking", "`a, bc = ...`, then `b, c = bc`"),
    ],
)
def test_other_targets_are_named(func, text, what, advice):
    with pytest.raises(UnsupportedSyntaxError) as info:
        srcgrad.source(func)
    message = str(info.value)
    _points_at(message, func, text)
    assert what in message and advice in message
    assert "Rewrite it with assignments" not in message and "Pass the arguments one by one" not in message
    np.testing.assert_allclose(srcgrad.grad(unpacked)(np.array([1.0, 2.0, 3.0]))[1], [6.0, 3.0, 2.0])
    x = np.array([1.0, 2.0])
    assert srcgrad.grad(unpacked_in_two_steps)(x)[0] == unpacked_in_two_steps(x)


# ---------------------------------------------------------------------------------------------
# 3. A partial, a bound method, a callable object, a NumPy function, a class.


def loss(W, x):
    return np.sum((x @ W) ** 2)


def loss_W(W):  # the hint's second rewrite, in this module; `x` stands for the value bound
    return loss(W, x=x)


x = np.arange(6.0).reshape(2, 3) / 6.0  # the global loss_W reads


def scaled(a, s, W):
    return np.sum(W * a) * s


class Model:
    def __init__(self, X):
        self.X = X

    def loss(self, W):
        return np.sum((self.X @ W) ** 2)

    @classmethod
    def norm(cls, W):
        return np.sum(W**2)


class Scorer:
    def __init__(self, X):
        self.X = X

    def __call__(self, W):
        return np.sum((self.X @ W) ** 2)


W0 = np.ones((3, 2))


def _message(exc_type, thunk):
    with pytest.raises(exc_type) as info:
        thunk()
    return str(info.value)


def test_a_partial_names_its_function_and_the_advice_works():
    X = BIG.reshape(-1, 3)
    message = _message(SourceUnavailableError, lambda: srcgrad.grad(functools.partial(loss, x=X)))
    _short(message)
    _points_at(message, loss, "def loss(W, x):")
    assert "a functools.partial of 'loss' (binding x)" in message
    assert "g = srcgrad.grad(loss, wrt='W')" in message and "g(W, x=x)" in message
    assert "def loss_W(W):" in message and "return loss(W, x=x)" in message
    expected = srcgrad.grad(loss, wrt="W")(W0, x=x)  # the advice, run
    got = srcgrad.grad(loss_W)(W0)
    assert got[0] == expected[0] == loss(W0, x)
    np.testing.assert_allclose(got[1], expected[1])


def test_a_partial_binding_by_position_gets_a_call_in_order():
    message = _message(SourceUnavailableError, lambda: srcgrad.grad(functools.partial(scaled, BIG, 2.0)))
    _short(message)
    _points_at(message, scaled, "def scaled(a, s, W):")
    assert "(binding a, s)" in message
    assert "srcgrad.grad(scaled, wrt='W')" in message and "g(a, s, W)" in message
    a = np.ones(3)
    value, dW = srcgrad.grad(scaled, wrt="W")(a, 2.0, np.ones(3))
    assert value == 6.0


def test_a_bound_method_names_its_class_and_the_advice_works():
    model = Model(BIG[:3000].reshape(-1, 3))
    message = _message(SourceUnavailableError, lambda: srcgrad.grad(model.loss))
    _short(message)
    _points_at(message, Model.loss, "def loss(self, W):")
    assert "the method loss bound to an instance of Model" in message
    assert "g = srcgrad.grad(Model.loss, wrt='W')" in message and "g(model, W)" in message
    g = srcgrad.grad(Model.loss, wrt="W")
    value, dW = g(model, W0)
    assert value == model.loss(W0)
    np.testing.assert_allclose(dW, 2 * model.X.T @ (model.X @ W0))

    message = _message(SourceUnavailableError, lambda: srcgrad.grad(Model.norm))
    _points_at(message, Model.norm, "def norm(cls, W):")
    assert "the class method Model.norm" in message and "with the class as its first argument" in message
    assert "srcgrad.grad(Model.norm.__func__, wrt='W')" in message and "g(Model, W)" in message
    np.testing.assert_allclose(srcgrad.grad(Model.norm.__func__, wrt="W")(Model, W0)[1], 2 * W0)


def test_a_callable_object_names_its_call_method_and_the_advice_works():
    scorer = Scorer(BIG[:3000].reshape(-1, 3))
    message = _message(SourceUnavailableError, lambda: srcgrad.grad(scorer))
    _short(message)
    _points_at(message, Scorer.__call__, "def __call__(self, W):")
    assert "an instance of Scorer, called through Scorer.__call__" in message
    assert "srcgrad.grad(Scorer.__call__, wrt='W')" in message and "g(scorer, W)" in message
    value, _ = srcgrad.grad(Scorer.__call__, wrt="W")(scorer, W0)
    assert value == scorer(W0)


def sum_of_sines(x):  # the advice for np.sin
    return np.sum(np.sin(x))


def test_numpy_functions_classes_and_values_get_a_clear_message():
    message = _message(SourceUnavailableError, lambda: srcgrad.grad(np.sin))
    assert "numpy.sin, a ufunc with no Python source" in message and "return np.sum(np.sin(x))" in message
    np.testing.assert_allclose(srcgrad.grad(sum_of_sines)(np.zeros(2))[1], [1.0, 1.0])
    message = _message(SourceUnavailableError, lambda: srcgrad.grad(np.sum))
    assert (
        "numpy.sum" in message and "return np.sum(x)" in message and "_ArrayFunctionDispatcher" not in message
    )
    message = _message(SourceUnavailableError, lambda: srcgrad.grad(Model))
    _points_at(message, Model, "class Model:")
    assert "the class Model" in message and "srcgrad.grad(Model.method, wrt=...)" in message
    message = _message(SourceUnavailableError, lambda: srcgrad.grad(BIG))
    _short(message)
    assert "a NumPy array of shape (6000,) and dtype float64, which is not a function" in message


def test_other_transforms_advise_themselves():
    message = _message(SourceUnavailableError, lambda: srcgrad.jvp(functools.partial(loss, x=BIG)))
    _short(message)
    assert "g = srcgrad.jvp(loss, wrt='W')" in message
    message = _message(SourceUnavailableError, lambda: srcgrad.hessian(Model(BIG).loss))
    _short(message)
    assert "srcgrad.hessian(Model.loss, wrt='W')" in message
    message = _message(SourceUnavailableError, lambda: srcgrad.jacobian(Scorer(BIG)))
    assert "srcgrad.jacobian(Scorer.__call__, wrt='W')" in message


# ---------------------------------------------------------------------------------------------
# 4. No message shows an array's elements.


def two_args(a, b):
    return np.sum(a * b)


def with_dict(p, x):
    return np.sum(p["w"] * x)


def test_argument_messages_describe_arrays_without_their_elements():
    message = _message(ArgumentTypeError, lambda: srcgrad.grad(two_args)(np.arange(5000), np.ones(5000)))
    _short(message)
    assert "a NumPy array of shape (5000,) and dtype int64" in message and "is an integer" in message
    message = _message(ArgumentTypeError, lambda: srcgrad.grad(with_dict)({"w": np.arange(5000)}, BIG))
    _short(message)
    assert "p['w'] (a NumPy array of shape (5000,)" in message
    message = _message(ArgumentTypeError, lambda: srcgrad.grad(two_args)(3, BIG))
    assert "a=3 is an integer" in message  # a number is short to show
    tangent = np.full(BIG.shape, "a")
    message = _message(ArgumentTypeError, lambda: srcgrad.jvp(two_args)(BIG, BIG, tangent))
    _short(message)
    assert "the tangent for 'a'" in message and "a NumPy array of shape (6000,) and dtype <U1" in message


def test_exception_summaries_leave_out_array_elements():
    assert exception_summary(ValueError(f"bad values {BIG!r}")).startswith("ValueError: (its message")
    assert exception_summary(ValueError(f"bad values {BIG}")).startswith("ValueError: (its message")
    kept = exception_summary(ValueError("operands could not be broadcast together with shapes (3,) (4,)"))
    assert kept == "ValueError: operands could not be broadcast together with shapes (3,) (4,)"
    assert len(exception_summary(RuntimeError("x" * 5000))) < 250


# ---------------------------------------------------------------------------------------------
# 5 and 6. Internal errors name the function and the line; arguments are blamed only when at fault.


def broken(v):
    return v * 1.0


def uses_broken(x, data):
    y = x * 2.0
    z = broken(y)
    return np.sum(z * data[0])


def uses_broken_forward(x):
    y = np.sin(x)
    z = broken(y)
    return np.sum(z**2)


@pytest.fixture
def broken_rules():
    def broken_adjoint(g, v):
        dv = g * np.linalg.inv(np.zeros((2, 2)))[0, 0]

    def broken_tangent(t, v):
        dv = t * np.linalg.inv(np.zeros((2, 2)))[0, 0]

    extend.adjoint(broken)(broken_adjoint)
    extend.tangent(broken)(broken_tangent)
    yield
    srcgrad.rules.ADJOINTS.pop(broken, None)
    srcgrad.rules.TANGENTS.pop(broken, None)
    srcgrad.rules.registry.version += 1


def _internal(message, func, text):
    assert re.search(rf"internal error: .* generated for '{func.__name__}' raised LinAlgError", message)
    assert f"'{func.__name__}' itself runs on these arguments" in message
    _points_at(message, func, text)
    _short(message)


def test_an_internal_error_names_the_function_and_the_users_line(broken_rules):
    with pytest.raises(SrcgradError) as info:
        srcgrad.grad(uses_broken)(BIG[:2], np.array([BIG[:2], BIG[:2]]))
    message = str(info.value)
    _internal(message, uses_broken, "z = broken(y)")
    assert f"'uses_broken' is defined in {HERE}, line {_line_of(uses_broken, 'def uses_broken')}" in message
    assert "`dy = dz * np.linalg.inv(np.zeros((2, 2)))[0, 0]`" in message
    assert isinstance(info.value.__cause__, np.linalg.LinAlgError)


def test_internal_errors_of_forward_mode_map_back_too(broken_rules):
    x = np.array([0.5, 1.0])
    with pytest.raises(SrcgradError) as info:
        srcgrad.jvp(uses_broken_forward)(x, x)
    _internal(str(info.value), uses_broken_forward, "z = broken(y)")
    with pytest.raises(SrcgradError) as info:  # forward mode over the gradient's code, mapped twice
        srcgrad.hvp(uses_broken_forward)(x, x)
    _internal(str(info.value), uses_broken_forward, "z = broken(y)")


def test_a_list_argument_is_not_blamed_for_an_internal_error(broken_rules):
    data = [list(BIG[:2]), list(BIG[:2])]
    with pytest.raises(SrcgradError) as info:
        srcgrad.grad(uses_broken)(np.ones(2), data)
    assert type(info.value) is SrcgradError  # not ArgumentTypeError
    message = str(info.value)
    _internal(message, uses_broken, "z = broken(y)")
    assert "np.asarray" not in message


def uses_data(W, X):
    return np.sum(np.tanh(X @ W))


def test_a_list_argument_is_blamed_when_an_array_in_its_place_works():
    W = np.array([[0.5, -1.0], [2.0, 0.25]])
    X = np.arange(2000.0).reshape(1000, 2) / 1000
    with pytest.raises(ArgumentTypeError) as info:
        srcgrad.grad(uses_data)(W, X.tolist())
    message = str(info.value)
    _short(message)
    assert "X is a list of 1000 items" in message and "runs with np.asarray(X)" in message
    assert "Pass X=np.asarray(X)." in message
    value, dW = srcgrad.grad(uses_data)(W, np.asarray(X.tolist()))  # the advice, run
    assert value == uses_data(W, X)


def test_an_internal_error_message_leaves_out_array_elements(monkeypatch):
    from srcgrad import runtime

    def dot_dy(g, a, b):  # a runtime helper that fails with the values in its message
        raise ValueError(f"cannot take {a!r}")

    monkeypatch.setattr(runtime, "dot_dy", dot_dy)
    namespace = {"np": np}  # a function of its own source: compiled now, with the helper above
    text = "def projected(x, data):\n    return np.sum(np.dot(data, x) ** 2)\n"
    filename = "<messages-test-cell>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    exec(compile(text, filename, "exec"), namespace)
    with pytest.raises(SrcgradError) as info:
        srcgrad.grad(namespace["projected"])(np.ones(3), BIG.reshape(-1, 3))
    message = str(info.value)
    _short(message)
    assert "internal error" in message and "ValueError: (its message, which shows array elements" in message
    assert (
        f'File "{filename}", line 2, in projected' in message
        and "return np.sum(np.dot(data, x) ** 2)" in message
    )


def not_finite(x):
    return np.full(6000, np.nan) * x


def test_srcgrad_check_names_a_non_finite_array_by_its_shape():
    from srcgrad.checking import _problem, _Rejected

    class Checked:  # what `_problem` reads of a gradient function
        fn = staticmethod(not_finite)

    with pytest.raises(_Rejected) as info:
        _problem(Checked, (1.0,), {})
    message = str(info.value)
    _short(message)
    assert message == (
        "not_finite returned a NumPy array of shape (6000,) and dtype float64 with NaN or infinite elements"
    )
    assert "nan, nan" not in message
