"""jvp and vjp of functions whose parameters are nested dicts, lists and tuples of arrays: the
tangents are nested like their parameters, the cotangent's gradients come back nested like them,
and a tangent nested otherwise is refused with both structures."""

import numpy as np
import pytest

import srcgrad
from srcgrad.functions.products import JvpFunction
from srcgrad.testing import check_grads

# -- nested values, for the checks --------------------------------------------------------------


def tree_map(fn, *trees):
    first = trees[0]
    if isinstance(first, dict):
        return {k: tree_map(fn, *(t[k] for t in trees)) for k in first}
    if isinstance(first, (list, tuple)):
        return type(first)(tree_map(fn, *parts) for parts in zip(*trees))
    return fn(*trees)


def tree_leaves(tree):
    if isinstance(tree, dict):
        return [leaf for v in tree.values() for leaf in tree_leaves(v)]
    if isinstance(tree, (list, tuple)):
        return [leaf for v in tree for leaf in tree_leaves(v)]
    return [tree]


def random_like(rng, tree):
    return tree_map(
        lambda p: float(rng.standard_normal()) if type(p) is float else rng.standard_normal(np.shape(p)), tree
    )


def moved(tree, direction, h):
    return tree_map(lambda p, v: p + h * v, tree, direction)


def vdot(a, b) -> float:
    return sum(float(np.sum(np.asarray(x) * np.asarray(y))) for x, y in zip(tree_leaves(a), tree_leaves(b)))


def central_difference(f, args, wrt_index, tangents, h=1e-6):
    """The derivative of `f` at `args` along `tangents` (one per index of `wrt_index`)."""

    def at(sign):
        shifted = list(args)
        for i, t in zip(wrt_index, tangents):
            shifted[i] = moved(shifted[i], t, sign * h)
        return f(*shifted)

    return tree_map(lambda a, b: (np.asarray(a) - np.asarray(b)) / (2 * h), at(1), at(-1))


def assert_tree_close(actual, expected, rtol=1e-5, atol=1e-7):
    assert type(actual) is type(expected) or (
        isinstance(actual, (float, np.floating)) and isinstance(expected, (float, np.floating, np.ndarray))
    ), (type(actual), type(expected))
    if isinstance(expected, dict):
        assert list(actual) == list(expected)
    tree_map(lambda a, e: np.testing.assert_allclose(a, e, rtol=rtol, atol=atol), actual, expected)


def same_nesting(a, b) -> bool:
    if isinstance(b, dict):
        return isinstance(a, dict) and list(a) == list(b) and all(same_nesting(a[k], b[k]) for k in b)
    if isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same_nesting, a, b))
    return type(a) is type(b) if type(b) is float else np.shape(a) == np.shape(b)


# -- the functions ------------------------------------------------------------------------------


def mlp(params, x):
    h = np.tanh(x @ params["W1"] + params["b1"])
    return h @ params["W2"] + params["b2"]


def layers_net(layers, x):
    h = x
    for W, b in layers:
        h = np.tanh(h @ W + b)
    return h


def nested(p, x):
    h = x
    for W in p["layers"]:
        h = np.sin(h @ W)
    return h * p["scale"] + p["shift"][0] * p["shift"][1]


def pair(ws, x):
    a, b = ws
    return np.exp(a * x) - b**2


def mixed(params, x, s):
    return np.tanh(params["W"] @ x) * s + x**2 * params["c"]


def scalar_loss(params, x, y):
    out = np.tanh(x @ params["layers"][0]) @ params["layers"][1] + params["bias"]
    return np.mean((out - y) ** 2) + params["decay"] * np.sum(params["layers"][0] ** 2)


def two_outputs(params, x):
    h = np.tanh(x @ params["W"])
    return h, np.sum(h * params["c"])


def pick(params):
    return params["W"]


def indexed(w, x):
    return x * w[0] + w[1]


@pytest.fixture
def rng():
    return np.random.default_rng(11)


def _mlp_params(rng):
    return {
        "W1": rng.standard_normal((3, 4)) * 0.5,
        "b1": rng.standard_normal(4) * 0.1,
        "W2": rng.standard_normal((4, 2)) * 0.5,
        "b2": 0.3,
    }


def _cases(rng):
    """(function, args, wrt): nested parameters of every kind, with plain ones beside them."""
    x3 = rng.standard_normal((5, 3))
    layers = [(rng.standard_normal((3, 4)) * 0.5, rng.standard_normal(4)), (rng.standard_normal((4, 2)), 0.2)]
    p = {
        "layers": [rng.standard_normal((3, 3)) * 0.5, rng.standard_normal((3, 2)) * 0.5],
        "scale": 1.5,
        "shift": (rng.standard_normal(2), 0.7),
    }
    x2 = rng.standard_normal(2)
    mixed_params = {"W": rng.standard_normal((2, 2)), "c": 0.4}
    return [
        (mlp, (_mlp_params(rng), x3), ("params",)),
        (mlp, (_mlp_params(rng), x3), ("params", "x")),
        (layers_net, (layers, x3), ("layers",)),
        (layers_net, (tuple(layers), x3), ("layers", "x")),
        (nested, (p, x3), ("p",)),
        (pair, ((rng.standard_normal(3), rng.standard_normal(3)), rng.standard_normal(3)), ("ws", "x")),
        (mixed, (mixed_params, x2, 0.8), ("params", "x", "s")),
        (mixed, (mixed_params, x2, 0.8), ("s", "params")),  # a subset, in another order
        (mixed, (mixed_params, x2, 0.8), ("x",)),  # the nested parameter not differentiated
    ]


CASE_IDS = [
    "dict",
    "dict+array",
    "list of tuples",
    "tuple of tuples",
    "nested",
    "tuple",
    "mixed",
    "subset",
    "not wrt",
]


@pytest.mark.parametrize("index", range(len(CASE_IDS)), ids=CASE_IDS)
def test_jvp_matches_central_differences(rng, index):
    f, args, wrt = _cases(rng)[index]
    names = list(srcgrad.grad(f).signature.parameters)
    positions = [names.index(w) for w in wrt]
    tangents = [random_like(rng, args[i]) for i in positions]
    j = srcgrad.jvp(f, wrt=wrt)
    value, tangent = j(*args, *tangents)
    np.testing.assert_allclose(value, f(*args), rtol=1e-12)
    assert_tree_close(tangent, central_difference(f, args, positions, tangents), rtol=1e-5, atol=1e-7)
    again = j(*args, *tangents)  # the variant for this structure, from the cache
    assert_tree_close(again[1], tangent, rtol=0, atol=0)


@pytest.mark.parametrize("index", range(len(CASE_IDS)), ids=CASE_IDS)
def test_vjp_matches_central_differences(rng, index):
    f, args, wrt = _cases(rng)[index]
    names = list(srcgrad.grad(f).signature.parameters)
    positions = [names.index(w) for w in wrt]
    cotangent = rng.standard_normal(np.shape(f(*args)))
    value, grads = srcgrad.vjp(f, wrt=wrt)(*args, cotangent)
    np.testing.assert_allclose(value, f(*args), rtol=1e-12)
    assert isinstance(grads, tuple) and len(grads) == len(wrt)
    for i, g in zip(positions, grads):
        assert same_nesting(g, args[i])
        # <cotangent, J v> = <J^T cotangent, v> along a random direction v of this parameter
        v = random_like(rng, args[i])
        along = central_difference(f, args, [i], [v])
        np.testing.assert_allclose(vdot(g, v), vdot(cotangent, along), rtol=1e-5, atol=1e-7)


def test_a_single_wrt_gives_the_gradient_itself_nested(rng):
    params, x = _mlp_params(rng), rng.standard_normal((5, 3))
    value, grads = srcgrad.vjp(mlp)(params, x, np.ones((5, 2)))
    assert isinstance(grads, dict) and list(grads) == list(params)
    assert type(grads["b2"]) is float and grads["W1"].shape == (3, 4)
    value, tangent = srcgrad.jvp(mlp)(params, x, tree_map(np.zeros_like, params))
    assert type(tangent) is np.ndarray and tangent.shape == (5, 2) and not np.any(tangent)


# -- against grad -------------------------------------------------------------------------------


def _loss_args(rng):
    params = {
        "layers": [rng.standard_normal((3, 4)) * 0.5, rng.standard_normal((4, 1)) * 0.5],
        "bias": 0.1,
        "decay": 0.01,
    }
    return params, rng.standard_normal((6, 3)), rng.standard_normal((6, 1))


@pytest.mark.parametrize("wrt", ["params", ("params", "x"), ("x", "params")])
def test_vjp_with_cotangent_one_is_grad(rng, wrt):
    args = _loss_args(rng)
    value, grads = check_grads(scalar_loss, *args, wrt=wrt)  # grad itself, against differences
    vjp_value, vjp_grads = srcgrad.vjp(scalar_loss, wrt=wrt)(*args, 1.0)
    assert vjp_value == value
    assert same_nesting(vjp_grads, grads)
    assert_tree_close(vjp_grads, grads, rtol=1e-12, atol=0)


@pytest.mark.parametrize("wrt", ["params", ("params", "x")])
def test_jvp_of_a_scalar_function_is_the_gradient_along_the_tangent(rng, wrt):
    args = _loss_args(rng)
    _, grads = srcgrad.grad(scalar_loss, wrt=wrt)(*args)
    grads = (grads,) if isinstance(wrt, str) else grads
    tangents = [random_like(rng, args[0]), random_like(rng, args[1])][: len(grads)]
    value, tangent = srcgrad.jvp(scalar_loss, wrt=wrt)(*args, *tangents)
    assert value == scalar_loss(*args)
    np.testing.assert_allclose(tangent, sum(vdot(g, t) for g, t in zip(grads, tangents)), rtol=1e-10)


# -- outputs of several parts -------------------------------------------------------------------


def test_jvp_of_a_tuple_output_has_a_tangent_of_the_same_nesting(rng):
    params, x = {"W": rng.standard_normal((3, 2)), "c": rng.standard_normal(2)}, rng.standard_normal((4, 3))
    t = random_like(rng, params)
    value, tangent = srcgrad.jvp(two_outputs)(params, x, t)
    assert isinstance(value, tuple) and isinstance(tangent, tuple) and len(tangent) == 2
    expected = central_difference(two_outputs, (params, x), [0], [t])
    assert_tree_close(tangent, tuple(expected))


def test_vjp_of_a_tuple_output_is_refused_at_the_return():
    """The reverse pass seeds one value: a tuple's cotangent would be dropped (the gradients
    zero), so it is refused instead, at the user's line."""
    params, x = {"W": np.ones((3, 2)), "c": np.ones(2)}, np.ones((4, 3))
    with pytest.raises(
        srcgrad.SrcgradError, match=r"return one array or number.*\(array \(4, 2\), float"
    ) as info:
        srcgrad.vjp(two_outputs)(params, x, (np.ones((4, 2)), 1.0))
    assert info.value.location is not None and "return h, np.sum" in info.value.location.text
    with pytest.raises(srcgrad.SrcgradError, match="return one array or number"):
        srcgrad.vjp(sine_and_double)(np.ones(2), (np.ones(2), np.ones(2)))


def test_vjp_with_respect_to_a_plain_parameter_beside_a_nested_one(rng):
    ws, x = (rng.standard_normal(3), rng.standard_normal(3)), rng.standard_normal(3)
    _, dx = srcgrad.vjp(pair, wrt="x")(ws, x, np.ones(3))
    np.testing.assert_allclose(dx, ws[0] * np.exp(ws[0] * x))


def sine_and_double(x):
    return x * 2.0, np.sin(x)


def test_a_nested_cotangent_for_one_array_is_refused(rng):
    params, x = _mlp_params(rng), rng.standard_normal((5, 3))
    with pytest.raises(
        srcgrad.ArgumentTypeError, match=r"cotangent dmlp must be an array of the shape .*\(5, 2\)"
    ):
        srcgrad.vjp(mlp)(params, x, (np.ones((5, 2)), np.ones((5, 2))))


# -- tangents nested otherwise ------------------------------------------------------------------


@pytest.mark.parametrize(
    "tangent, where",
    [
        ({"W1": 1, "b1": 1, "W2": 1}, "the tangent of params lacks 'b2'"),
        ({"W1": 1, "b1": 1, "W2": 1, "b2": 1.0, "b3": 1.0}, "has 'b3', which params has not"),
        ([1, 2, 3, 4], "params is a dict, its tangent a list"),
        (np.ones(3), "params is a dict, its tangent an array"),
    ],
    ids=["missing key", "extra key", "list for a dict", "array for a dict"],
)
def test_a_tangent_nested_unlike_its_dict_parameter_is_refused(rng, tangent, where):
    params, x = _mlp_params(rng), rng.standard_normal((5, 3))
    if isinstance(tangent, dict):
        tangent = {k: np.ones_like(params.get(k, 1.0)) for k in tangent}
    with pytest.raises(srcgrad.ArgumentTypeError) as info:
        srcgrad.jvp(mlp)(params, x, tangent)
    message = str(info.value)
    assert "the tangent dparams for 'params' must have the structure of params" in message
    assert "{'W1': array (3, 4), 'b1': array (4,), 'W2': array (4, 2), 'b2': float}" in message
    assert where in message


def test_a_tangent_nested_unlike_its_list_parameter_is_refused(rng):
    layers = [(np.eye(3), np.ones(3)), (np.eye(3), np.ones(3))]
    x = np.ones((2, 3))
    as_lists = [[np.eye(3), np.ones(3)], (np.eye(3), np.ones(3))]
    with pytest.raises(srcgrad.ArgumentTypeError, match=r"layers\[0\] is a tuple, its tangent a list"):
        srcgrad.jvp(layers_net)(layers, x, as_lists)
    with pytest.raises(srcgrad.ArgumentTypeError, match=r"layers is a list of 2, its tangent a list of 1"):
        srcgrad.jvp(layers_net)(layers, x, layers[:1])
    with pytest.raises(srcgrad.ArgumentTypeError, match=r"layers\[1\]\[1\] is an array, its tangent a tuple"):
        srcgrad.jvp(layers_net)(layers, x, [layers[0], (np.eye(3), (np.ones(3), np.ones(3)))])


def test_a_leaf_tangent_of_the_wrong_shape_names_the_part(rng):
    params, x = _mlp_params(rng), rng.standard_normal((5, 3))
    tangent = tree_map(np.ones_like, params)
    tangent["W1"] = np.ones((4, 3))
    with pytest.raises(
        srcgrad.ArgumentTypeError,
        match=r"params\['W1'\]\" has shape \(4, 3\), but params\['W1'\] has shape \(3, 4\)",
    ):
        srcgrad.jvp(mlp)(params, x, tangent)


def test_a_leaf_that_is_not_a_float_is_refused_by_name(rng):
    params = {"W1": np.ones((3, 4), dtype=int), "b1": np.ones(4), "W2": np.ones((4, 2)), "b2": 0.0}
    for call in (
        lambda: srcgrad.jvp(mlp)(params, np.ones((1, 3)), tree_map(np.ones_like, params)),
        lambda: srcgrad.vjp(mlp)(params, np.ones((1, 3)), np.ones((1, 2))),
    ):
        with pytest.raises(srcgrad.ArgumentTypeError, match=r"params\['W1'\].*an integer"):
            call()


# -- what comes back, and how it is computed ----------------------------------------------------


def test_inputs_are_left_alone_and_results_never_share_their_memory():
    params = {"W": np.arange(4.0), "b": np.ones(2)}
    tangent = {"W": np.full(4, 2.0), "b": np.zeros(2)}
    kept = tree_map(np.copy, (params, tangent))
    value, dvalue = srcgrad.jvp(pick)(params, tangent)
    assert np.array_equal(dvalue, tangent["W"]) and not np.shares_memory(dvalue, tangent["W"])
    assert not np.shares_memory(value, dvalue)
    cotangent = np.full(4, 3.0)
    _, grads = srcgrad.vjp(pick)(params, cotangent)
    assert np.array_equal(grads["W"], cotangent) and not np.shares_memory(grads["W"], cotangent)
    assert np.array_equal(grads["b"], np.zeros(2))
    for leaf in tree_leaves(params) + tree_leaves(tangent):
        assert not any(np.shares_memory(leaf, g) for g in tree_leaves(grads))
    assert_tree_close((params, tangent), kept, rtol=0, atol=0)


def test_the_code_reads_each_tangent_off_its_parameters_tangent(rng):
    params, x = _mlp_params(rng), rng.standard_normal((5, 3))
    j = srcgrad.jvp(mlp)
    j(params, x, tree_map(np.ones_like, params))
    source = j.source
    assert source.startswith("def mlp_jvp(params, x, dparams):")
    assert "dparams['W1']" in source and "dparams['b2']" in source
    v = srcgrad.vjp(mlp)
    v(params, x, np.ones((5, 2)))
    assert "return mlp, {'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2}" in v.source


def test_a_new_structure_gets_code_of_its_own_and_the_tangent_goes_by_keyword():
    j = srcgrad.jvp(indexed)
    x = np.linspace(0.0, 1.0, 3)
    _, as_list = j([np.ones(3), 2.0], x, dw=[np.ones(3), 1.0])
    _, as_tuple = j((np.ones(3), 2.0, np.zeros(3)), x, (np.zeros(3), 1.0, np.ones(3)))
    np.testing.assert_allclose(as_list, x + 1.0)
    np.testing.assert_allclose(as_tuple, np.ones(3))
    assert "dw[2]" not in j.source  # the unused part's tangent is not read


def test_plain_arrays_keep_the_fast_entry_and_a_nested_call_leaves_it():
    j = srcgrad.jvp(indexed)
    w, x = np.array([2.0, 1.0]), np.linspace(0.0, 1.0, 2)
    j(w, x, np.ones(2))
    j(w, x, np.ones(2))
    assert type(j).__call__ is not JvpFunction.__call__  # the generated entry
    _, tangent = j([np.ones(2), 3.0], x, [np.full(2, 2.0), 1.0])  # not the entry's kind of call
    np.testing.assert_allclose(tangent, 2.0 * x + 1.0)
    _, tangent = j(w, x, np.ones(2))
    np.testing.assert_allclose(tangent, x + 1.0)


def test_what_is_built_on_forward_mode_still_refuses_nested_parameters():
    params = {"a": np.ones(2)}
    g = srcgrad.grad(weighted_square, with_value=False)
    with pytest.raises(srcgrad.ArgumentTypeError, match="params is a dict.*not supported in forward mode"):
        srcgrad.jvp(g)(params, np.ones(2), {"a": np.ones(2)})
    with pytest.raises(srcgrad.ArgumentTypeError, match="params is a dict.*not supported in forward mode"):
        srcgrad.hvp(weighted_square)(params, np.ones(2), {"a": np.ones(2)})


def weighted_square(params, x):
    return np.sum(params["a"] ** 2 * x)
