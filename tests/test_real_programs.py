"""Programs as other people write them, which srcgrad once got silently wrong or crashed on.

Each case is a pattern found in real programs (autograd's examples, its own tests, Tangent's):
a nested parameter read through enumerate, an index variable, `.values()`, a slice; a helper
returning a function imported by bare name; a helper's local named like a module global; a
closure's default; a function-valued default. Every gradient is checked against central
differences of the original function; what srcgrad cannot follow is refused at the user's line,
never answered with zeros.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy import exp, tanh
from scipy.special import gammaln, logsumexp

import srcgrad
import srcgrad.extend
from srcgrad.errors import UnsupportedSyntaxError
from srcgrad.testing import check_grads

inputs = np.array([[0.5, -1.0], [1.5, 0.2], [-0.3, 0.8]])  # a module global, as in scripts
scale = 0.5


def numeric_grad(f, args, i, eps=1e-6):
    """Central differences of f in argument i, for an array, a float or a list/dict of arrays."""
    args = list(args)

    def at(path_value):
        return f(*args)

    def diff(get, put, value):
        value = np.array(value, dtype=float)
        out = np.zeros_like(value)
        for k in np.ndindex(value.shape):
            for sign in (1, -1):
                moved = value.copy()
                moved[k] += sign * eps
                put(moved if moved.shape else float(moved))
                out[k] += sign * at(None) / (2 * eps)
            put(value if value.shape else float(value))
        return out

    whole = args[i]
    if isinstance(whole, dict):
        result = {}
        for key in whole:

            def put(v, key=key):
                args[i] = {**args[i], key: v}

            result[key] = diff(None, put, whole[key])
        return result
    if isinstance(whole, (list, tuple)):
        result = []
        for j in range(len(whole)):

            def put(v, j=j):
                parts = list(args[i])
                parts[j] = v
                args[i] = type(whole)(parts)

            result.append(diff(None, put, whole[j]))
        return result

    def put(v):
        args[i] = v

    return diff(None, put, whole)


def assert_matches(f, args, wrt):
    value, grads = srcgrad.grad(f, wrt=wrt)(*args)
    assert np.isclose(value, f(*args))
    single = not isinstance(wrt, tuple)
    for i, g in zip([wrt] if single else wrt, [grads] if single else grads):
        expected = numeric_grad(f, args, i)
        if isinstance(expected, dict):
            assert set(g) == set(expected)
            for k in expected:
                np.testing.assert_allclose(g[k], expected[k], rtol=1e-5, atol=1e-7)
        elif isinstance(expected, list):
            assert len(g) == len(expected)
            for a, b in zip(g, expected):
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
        else:
            np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-7)


def refused(f, args, wrt, *words):
    with pytest.raises(UnsupportedSyntaxError) as info:
        srcgrad.grad(f, wrt=wrt)(*args)
    message = str(info.value)
    assert __file__ in message  # at the user's line
    for w in words:
        assert w in message, message
    return message


WS = [np.array([1.0, 2.0]), np.array([3.0, -4.0]), np.array([0.5, 0.25])]
PARAMS = {"a": np.array([1.0, 2.0]), "b": np.array([3.0]), "c": np.array([[0.5, -1.0]])}


# ---------------------------------------------------------------------------------------------
# Every way of reading a nested parameter reaches its gradient.


def by_enumerate(ws, x):
    for i, w in enumerate(ws):
        x = x * w + i
    return np.sum(x)


def by_index_variable(ws, x):
    for i in range(len(ws)):
        x = x * ws[i]
    return np.sum(x)


def by_shifted_index(ws, x):
    for i in range(len(ws) - 1):
        x = x + ws[i] * ws[i + 1]
    return np.sum(x)


def by_negative_index_and_slice(ws, x):
    total = np.sum(ws[-1] * x)
    for w in ws[1:]:
        total = total + np.sum(np.sin(w))
    return total


def by_zip(ws, vs):
    total = 0.0
    for w, v in zip(ws, vs):
        total = total + np.sum(w * v)
    return total


def by_zip_with_array(ws, rows):
    total = 0.0
    for w, r in zip(ws, rows):
        total = total + np.sum(w * r)
    return total


def by_values(params):
    return np.sum(list(params.values())[0] ** 2) + np.sum(params["c"])


def by_items(params):
    total = 0.0
    for name, p in params.items():
        total = total + np.sum(np.tanh(p))
    return total


def by_keys(params):
    total = 0.0
    for k in params:
        total = total + np.sum(params[k] ** 2)
    return total


def by_values_loop(params):
    total = 0.0
    for p in params.values():
        total = total + np.sum(p * p)
    return total


def by_get(params):
    return np.sum(params.get("a") * 2.0) + np.sum(params.get("b", 1.0))


def layer_sum(ws, x):
    for w in ws:
        x = np.tanh(x * w)
    return x


def by_helper(ws, x):
    return np.sum(layer_sum(ws, x))


def by_helper_tuple(ws, x):
    (inner,) = (ws,)
    return np.sum(layer_sum(inner, x))


def by_stack(ws, x):
    return np.sum(np.stack(ws) * x)


@pytest.mark.parametrize(
    "f, args, wrt",
    [
        (by_enumerate, (WS, np.ones(2)), (0, 1)),
        (by_index_variable, (WS, np.ones(2)), (0, 1)),
        (by_shifted_index, (WS, np.ones(2)), 0),
        (by_negative_index_and_slice, (WS, np.ones(2)), (0, 1)),
        (by_zip, (WS, [w + 1 for w in WS]), (0, 1)),
        (by_zip_with_array, (WS, np.arange(6.0).reshape(3, 2)), (0, 1)),
        (by_values, (PARAMS,), 0),
        (by_items, (PARAMS,), 0),
        (by_keys, (PARAMS,), 0),
        (by_values_loop, (PARAMS,), 0),
        (by_get, (PARAMS,), 0),
        (by_helper, (WS, np.ones(2)), (0, 1)),
        (by_helper_tuple, (WS, np.ones(2)), (0, 1)),
        (by_stack, (WS, np.ones(2)), (0, 1)),
    ],
    ids=lambda v: getattr(v, "__name__", None) if callable(v) else None,
)
def test_every_read_of_a_nested_parameter_reaches_its_gradient(f, args, wrt):
    assert_matches(f, args, wrt)


def whole_in_a_tuple(ws, x):
    return np.sum(np.concatenate((ws, x)))


def whole_to_a_method(params):
    return np.sum(params.copy()["a"])


def whole_in_arithmetic(ws):
    return np.sum(ws * 2.0)


def whole_returned(ws):
    parts = ws
    return parts


@pytest.mark.parametrize(
    "f, args",
    [(whole_in_a_tuple, (WS, np.ones((1, 2)))), (whole_to_a_method, (PARAMS,)), (whole_in_arithmetic, (WS,))],
)
def test_a_nested_parameter_used_whole_is_refused_at_its_line(f, args):
    refused(f, args, 0, "parameter", f.__name__)


def test_index_of_a_nested_parameter_by_a_computed_value_is_refused():
    def by_computed_index(ws, k):
        return np.sum(ws[int(k)])

    refused(by_computed_index, (WS, 1.0), 0, "literal keys and indices")


# ---------------------------------------------------------------------------------------------
# Names: what the generated code binds never hides what the user's code reads.


def squash(w, x):
    return tanh(x @ w)  # imported by bare name


def loss_bare_import(w, x):
    h = squash(w, x)
    tanh_of = h * 2.0
    return np.sum(tanh_of) + np.sum(exp(-h))


def lse(w, x):
    return logsumexp(x @ w)


def loss_scipy_bare(w, x):
    return lse(w, x) + np.sum(gammaln(x * x + 3.0))


def predict(w, inputs):
    inputs = np.tanh(inputs)  # a local named like the module global
    return inputs @ w


def regulariser(w):
    return scale * np.sum(inputs @ w)  # reads the module globals


def loss_shadowing(w, data):
    return np.sum(predict(w, data) ** 2) + regulariser(w)


def loss_local_named_like_helper_global(w, data):
    scale = np.sum(data)  # the caller's own `scale`, while regulariser reads the global
    return regulariser(w) * scale


def loss_param_named_like_helper_global(w, inputs):
    return regulariser(w) + np.sum(inputs)


@pytest.mark.parametrize(
    "f, args",
    [
        (loss_bare_import, (np.ones((2, 2)) * 0.3, inputs)),
        (loss_scipy_bare, (np.array([0.2, -0.4]), inputs)),
        (loss_shadowing, (np.array([[0.2, -0.4], [0.1, 0.3]]), inputs * 2)),
        (loss_local_named_like_helper_global, (np.array([[0.2, -0.4], [0.1, 0.3]]), inputs * 2)),
    ],
    ids=lambda v: getattr(v, "__name__", None) if callable(v) else None,
)
def test_names_srcgrad_binds_never_hide_the_users(f, args):
    assert_matches(f, args, 0)


def test_a_parameter_named_like_a_global_a_helper_reads():
    # the helper reads the module's `inputs`; the parameter of the same name is another array
    w, other = np.array([[0.2, -0.4], [0.1, 0.3]]), inputs * 2
    value, dw = srcgrad.grad(loss_param_named_like_helper_global, wrt=0)(w, other)
    assert value == pytest.approx(scale * np.sum(inputs @ w) + np.sum(other))
    np.testing.assert_allclose(dw, scale * inputs.sum(axis=0)[:, None] * np.ones((1, 2)))


# ---------------------------------------------------------------------------------------------
# Closures, defaults and functions as values.


def make_loss(y, c):
    def loss(x, y=y, *, k=c, s=2.0):
        return np.sum(np.sin(x * y)) * k * s

    return loss


def test_defaults_read_from_an_enclosing_function():
    loss = make_loss(np.array([1.0, 2.0]), 3.0)
    assert_matches(loss, (np.array([0.3, -0.2]),), 0)
    assert "def loss_grad(x, y=default_y, *, k=default_k, s=2.0):" in srcgrad.grad(loss).source


def make_objectives(y):
    # autograd's bayesian_optimization: a helper whose default is the enclosing function's `y`,
    # and one per reduction made in a loop (`_r=reduction`), called by the function differentiated
    def acquisition(x, y=y):
        return np.sum(np.sin(x) * y)

    objectives = [lambda x: acquisition(x) ** 2]
    for reduction in (np.sum, np.max):

        def reduced(x, _r=reduction):
            return _r(np.exp(x) * y)

        objectives.append(_doubled(reduced))
    return objectives


def _doubled(reduced):
    return lambda x: reduced(x) * 2.0


def test_a_helpers_default_read_from_an_enclosing_function_or_a_loop():
    y = np.array([1.0, 2.0, 0.5])
    for objective in make_objectives(y):
        assert_matches(objective, (np.array([0.3, -0.2, 0.1]),), 0)
    code = srcgrad.grad(make_objectives(y)[0]).source
    assert "default_y" in code, code  # bound to the value the def gave it, not computed again


def apply_layer(params, x, nonlinearity=np.tanh):
    return nonlinearity(x @ params)


def relu(z):
    return np.maximum(z, 0.0)


def loss_default_function(params, x):
    return np.sum(apply_layer(params, x) ** 2)


def loss_passed_function(params, x):
    return np.sum(apply_layer(params, x, np.sin)) + np.sum(apply_layer(params, x, nonlinearity=relu))


@pytest.mark.parametrize("f", [loss_default_function, loss_passed_function])
def test_a_helper_takes_a_function_as_a_value(f):
    assert_matches(f, (np.array([[0.21, -0.4], [0.13, 0.3]]), inputs), 0)  # away from relu's kink


def apply_layer_summed(params, x, nonlinearity=np.tanh):
    return np.sum(nonlinearity(x @ params))


@pytest.mark.parametrize("nonlinearity", [np.tanh, relu, np.sin])
def test_a_function_valued_parameter_of_the_differentiated_function(nonlinearity):
    params = np.array([[0.21, -0.4], [0.13, 0.3]])
    check_grads(apply_layer_summed, params, inputs, nonlinearity, wrt="params")


# ---------------------------------------------------------------------------------------------
# Lists built in a loop, values made by constructors, indices.


def parts_read_back(x):
    parts = []
    for i in range(3):
        parts = parts + [x * i]
    total = 0.0
    for p in parts:
        total = total + np.sum(p)
    return total


def parts_stacked(x):
    parts = []
    for i in range(3):
        parts = parts + [x * i]
    return np.sum(np.stack(parts) ** 2)


def test_a_list_built_in_a_loop_is_stacked_or_refused_never_crashes():
    assert_matches(parts_stacked, (np.array([0.5, -1.0]),), 0)
    refused(parts_read_back, (np.array([0.5, -1.0]),), 0, "np.stack(parts)")


def r_joined(x, y):
    return np.sum(np.r_[x, y] ** 2)


def arange_of_parameter(x):
    return np.sum(np.arange(x, x + 3.0))


def test_an_index_or_constructor_of_differentiated_values_is_refused_not_zero():
    refused(r_joined, (np.ones(2), np.ones(3)), 0, "np.concatenate([x, y])")
    refused(arange_of_parameter, (0.5,), 0, "np.arange()", "np.linspace")


def spaced(x, y):
    return np.sum(np.sin(np.linspace(x, y, 5)) ** 2)


def summed_list(a):
    return np.sum([1.0, a * a, 2.0])


@pytest.mark.parametrize(
    "f, args", [(spaced, (np.array([1.0, 0.5]), np.array([2.0, 3.0]))), (summed_list, (3.0,))]
)
def test_values_that_depend_on_parameters_get_their_gradient(f, args):
    assert_matches(f, args, 0)
    if f is spaced:
        assert_matches(f, args, 1)


def r_with_slice(x):
    return np.sum(np.r_[x, 1:4] ** 2)


def test_an_index_holding_differentiated_values_beside_slices_is_refused():
    refused(r_with_slice, (np.ones(2),), 0, "np.concatenate([x, y])")


def batched_product(a, b):
    return np.sum(np.einsum("...ij,...jk->...ik", a, b) ** 2)


def test_einsum_over_an_empty_batch_axis():
    a, b = np.ones((0, 2, 3)), np.ones((0, 3, 4))
    value, (da, db) = srcgrad.grad(batched_product, wrt=(0, 1))(a, b)
    assert value == 0.0 and da.shape == a.shape and db.shape == b.shape


def unreduce(x):  # the user's own function, named like one of srcgrad's runtime helpers
    return np.floor(x)


def rounded_rows(x):
    return unreduce(x) * np.sum(x, axis=1, keepdims=True)


def loss_runtime_name(x):
    return np.sum(rounded_rows(x) ** 2)


def test_a_global_named_like_a_runtime_helper_keeps_its_meaning():
    srcgrad.extend.nondifferentiable(unreduce)  # so the generated code calls it by its name
    try:
        assert_matches(loss_runtime_name, (np.arange(6.0).reshape(2, 3) + 0.5,), 0)
        assert "unreduce(x)" in srcgrad.grad(loss_runtime_name).source
    finally:
        srcgrad.rules.NONDIFFERENTIABLE.discard(unreduce)


def dict_made_here(x):
    d = dict(k=x * 2.0)
    return np.sum(d["k"])


def dict_read_by_a_computed_key(x, key="k"):
    d = dict(k=x * 2.0)
    return np.sum(d[key])


def test_a_dict_made_in_the_function_from_differentiated_values_is_refused_truly():
    """Read by literal keys only, it is a variable per key (srcgrad/local_dicts.py); read any
    other way, the dict itself would carry the gradient, and that is refused."""
    np.testing.assert_allclose(srcgrad.grad(dict_made_here)(np.ones(2))[1], [2.0, 2.0])
    message = refused(dict_read_by_a_computed_key, (np.ones(2),), 0, "dict made in the function")
    assert "extend.adjoint" not in message


def complex_valued(x):
    return x * (1.0 + 0.2j)


def test_a_complex_value_is_refused_with_a_type_error():
    from srcgrad.errors import ComplexValueError

    with pytest.raises(TypeError) as info:
        srcgrad.grad(complex_valued)(1.0)
    assert isinstance(info.value, ComplexValueError) and __file__ in str(info.value)


def sum_of_values(params):
    return np.sum(sum(params.values()) ** 2)


def sum_of_list(ws):
    return np.sum(sum(ws) * 3.0)


def loop_over_data_dict(d, x):
    for k in d.keys():  # noqa: SIM118  (as users write it)
        x = np.tanh(x * d[k])
    for v in d.values():
        x = x + v
    return np.sum(x)


@pytest.mark.parametrize(
    "f, args",
    [
        (sum_of_values, (PARAMS,)),
        (sum_of_list, (WS,)),
        (loop_over_data_dict, ({"p": np.ones(2), "q": -np.ones(2)}, np.ones(2))),
    ],
    ids=lambda v: getattr(v, "__name__", None) if callable(v) else None,
)
def test_builtin_sum_and_dict_views(f, args):
    assert_matches(f, args, 0 if f is not loop_over_data_dict else 1)


def parts_unpacked(x):
    parts = []
    for t in range(1):
        parts = parts + [np.tanh(x)]
    (h,) = parts
    return np.sum(h)


def parts_used_twice(x):
    parts = []
    for t in range(2):
        parts = parts + [x * (t + 1.0)]
    return np.sum(np.stack(parts)) + np.sum(np.concatenate(parts))


def test_a_built_list_is_unpacked_or_used_twice_refused():
    refused(parts_unpacked, (np.ones(2),), 0, "np.stack(parts)")
    refused(parts_used_twice, (np.ones(2),), 0, "second")


def constant_helper(x, scale=0.5):
    return scale


def loop_rebinding_to_a_constant(x):
    h = x
    for t in range(1):
        h = constant_helper(x)
    return np.sum(h)


def test_jvp_of_a_loop_that_rebinds_a_value_to_a_constant():
    value, tangent = srcgrad.jvp(loop_rebinding_to_a_constant, wrt="x")(np.ones(2), np.ones(2))
    assert value == 0.5 and tangent == 0.0


def zip_counts(ws, vs, x):
    for a, b in zip(ws, vs):
        x = np.tanh(x)
    return np.sum(x)


def zip_last(ws, rows):
    for a, row in zip(ws, rows):
        h = row
    return np.sum(a) + np.sum(h)


def zip_read(ws, vs, x):
    for i, (a, b) in enumerate(zip(ws, vs)):
        x = np.tanh(x * a + b * i)
    return np.sum(x)


@pytest.mark.parametrize("f", [zip_counts, zip_last, zip_read])
@pytest.mark.parametrize("others", [1, 2, 3, 4])
def test_zip_of_a_parameters_parts_with_a_sequence_of_any_length_stops_at_the_shorter(f, others):
    ws = [np.array([0.3, -0.2]), np.array([0.5, 0.1]), np.array([-0.4, 0.2])]
    seq = np.arange(2.0 * others).reshape(others, 2) * 0.1
    args = (ws, seq) if f is zip_last else (ws, list(seq), np.array([0.7, -0.1]))
    assert_matches(f, args, 0)


def nested_sequence(params):
    return np.sum(np.concatenate((list(params.values()),)))


def test_a_list_of_lists_of_differentiated_arrays_is_refused():
    refused(nested_sequence, ({"a": np.ones(2), "b": np.ones(2)},), 0, "not a list of lists")


def built_list_zipped(ws, x):
    parts = []
    for t in range(2):
        parts = parts + [x * (t + 1.0)]
    total = 0.0
    for p, w in zip(parts, ws):
        total = total + np.sum(p * w)
    return total


def test_a_built_list_zipped_with_a_parameter_is_refused():
    refused(built_list_zipped, (WS, np.ones(2)), 0, "np.stack(parts)")


data_rows = np.cos(np.arange(1.0, 4.0))  # a module-level array: its shape is not known to srcgrad


def accumulates_a_global(s):
    h = s + data_rows
    t = 0.0
    for i in range(1):
        t = t + h
    return np.mean(t)


def test_shape_specialised_code_never_assumes_the_shape_of_a_global():
    assert_matches(accumulates_a_global, (0.3,), 0)
    g = srcgrad.grad(accumulates_a_global)
    assert np.isclose(g(0.3)[1], 1.0) and np.isclose(g(0.3)[1], 1.0)  # general, then specialised code


def loop_over_dict_keys(d, x):
    for k in d:
        x = np.tanh(x * d[k])
    return np.sum(x)


def test_a_loop_over_a_dict_that_is_not_differentiated_reads_its_keys():
    d, x = {"p": np.array([0.5, 1.0]), "q": np.array([-0.3, 0.2])}, np.array([0.7, -0.1])
    assert_matches(loop_over_dict_keys, (d, x), 1)
    value, tangent = srcgrad.jvp(loop_over_dict_keys, wrt="x")(d, x, np.ones(2))
    assert np.isclose(value, loop_over_dict_keys(d, x))


def list_over_loops(ws, X):
    parts = []
    for w in ws:
        X = np.tanh(X)
        i = 0
        while i < 2:
            h = X + w
            i = i + 1
        parts = parts + [h]
    return np.sum(np.stack(parts) ** 2)


def test_a_value_held_in_a_list_is_not_overwritten_by_a_later_loop():
    assert_matches(list_over_loops, (WS, np.array([0.7, -0.2])), (0, 1))


def list_per_branch(x, c):
    parts = [x]
    if c > 0:
        parts = parts + [np.sin(x)]
    else:
        parts = parts + [np.cos(x)]
    return np.sum(np.stack(parts))


def test_a_list_the_branches_build_differently_is_refused():
    refused(list_per_branch, (np.ones(2), 1.0), 0, "branches of this `if`")


def make_stacked_abs(alpha):
    def stacked_abs(x):
        i = 0
        while i < 1:
            h = np.stack([np.sign(t) * t for t in x]) if np.sum(alpha) > 0.0 else np.zeros((2, 1)) + alpha
            i = i + 1
        return np.sum(h)

    return stacked_abs


def test_hvp_through_a_loop_stack_saved_by_an_outer_loop():
    f = make_stacked_abs(0.5)
    x = np.array([[0.3], [-0.7]])
    np.testing.assert_array_equal(srcgrad.hvp(f, wrt="x")(x, np.ones((2, 1))), np.zeros((2, 1)))
