"""Parameters in nested dicts, lists and tuples: gradients come back in the same nesting."""

import numpy as np
import pytest

import srcgrad
from srcgrad.testing import check_grads


def mlp(params, x, y):
    h = x
    for W, b in params["layers"]:
        h = np.tanh(h @ W + b)
    out = h @ params["head"]["W"] + params["head"]["b"]
    return np.mean((out - y) ** 2)


def dense(x, layer):
    W, b = layer
    return np.maximum(x @ W + b, 0.0)


def with_helper(layers, x):
    h = x
    for layer in layers:
        h = dense(h, layer)
    return np.sum(h**2) * len(layers)


def named(params, x):
    total = 0.0
    for key, W in params.items():
        total = total + np.sum(np.tanh(x @ W))
    return total


def dynamic_index(layers, i, x):
    return np.sum(layers[i] * x)


@pytest.fixture
def rng():
    return np.random.default_rng(5)


def _layers(rng, sizes):
    return [
        (rng.standard_normal((a, b)) * 0.5, rng.standard_normal(b) * 0.1) for a, b in zip(sizes, sizes[1:])
    ]


def test_dict_of_lists_of_tuples(rng):
    params = {"layers": _layers(rng, [3, 4, 4]), "head": {"W": rng.standard_normal((4, 1)), "b": 0.5}}
    x, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 1))
    value, grads = check_grads(mlp, params, x, y)
    assert isinstance(grads, dict) and list(grads) == ["layers", "head"]
    assert isinstance(grads["layers"], list) and isinstance(grads["layers"][0], tuple)
    assert type(grads["head"]["b"]) is float
    assert grads["layers"][1][0].shape == (4, 4)


def test_structure_reaches_helpers_and_len(rng):
    layers = _layers(rng, [2, 3, 3])
    check_grads(with_helper, layers, rng.standard_normal((4, 2)) + 1.0)


def test_items_and_a_new_structure_recompiles(rng):
    g = srcgrad.grad(named)
    x = rng.standard_normal((2, 3))
    check_grads(g, {"a": rng.standard_normal((3, 2))}, x)
    _, grads = check_grads(g, {"a": rng.standard_normal((3, 2)), "b": rng.standard_normal((3, 4))}, x)
    assert set(grads) == {"a", "b"}
    assert "b = params['b']" in g.source


def test_structured_parameters_are_not_modified_and_gradients_are_fresh(rng):
    params = {"layers": _layers(rng, [3, 4]), "head": {"W": rng.standard_normal((4, 1)), "b": 0.5}}
    before = params["layers"][0][0].copy()
    _, grads = srcgrad.grad(mlp)(params, rng.standard_normal((5, 3)), rng.standard_normal((5, 1)))
    grads["layers"][0][0][...] = 0.0
    np.testing.assert_array_equal(params["layers"][0][0], before)


def test_errors_name_the_part(rng):
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="literal keys and indices"):
        srcgrad.grad(dynamic_index)([np.ones(2), np.ones(2)], 1, np.ones(2))
    with pytest.raises(srcgrad.ArgumentTypeError, match=r"params\['head'\]"):
        srcgrad.grad(mlp)({"layers": [], "head": 3}, np.ones((1, 1)), np.ones((1, 1)))


def joined(xs):
    return np.sum(np.concatenate(xs) ** 2)


def test_a_list_parameter_passed_to_a_join(rng):
    _, grads = check_grads(joined, [rng.standard_normal(2), rng.standard_normal(3)])
    assert isinstance(grads, list) and [g.shape for g in grads] == [(2,), (3,)]
