"""NamedTuple and dataclass instances as differentiated parameters (JAX's pytrees): their fields
read by name (`p.W`), a NamedTuple's by index, by unpacking and in loops too; the gradient an
instance of the same class holding the gradients in its fields, and the parameter's own values in
the fields that are not differentiated (an int, a string, a function)."""

import collections
import dataclasses
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

try:
    import autograd
    import autograd.numpy as anp
except ImportError:  # not a dependency of srcgrad: the comparisons with it run where it is installed
    autograd = anp = None
import numpy as np
import pytest

import srcgrad
from srcgrad.errors import ArgumentTypeError, UnsupportedSyntaxError
from srcgrad.testing import GradientMismatch, check_grads


class Dense(NamedTuple):
    W: np.ndarray
    b: np.ndarray


class Affine(NamedTuple):  # the fields of Dense, another class
    W: np.ndarray
    b: np.ndarray


class MLP(NamedTuple):
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray


@dataclass(frozen=True)
class Frozen:
    W: np.ndarray
    b: np.ndarray
    n_steps: int = 2
    name: str = "tanh"
    act: Callable = np.tanh


@dataclass
class WithPost:
    W: np.ndarray
    scale: float = 1.0
    WT: np.ndarray = field(init=False)
    made = 0  # how many times __post_init__ ran (a class attribute, not a field)

    def __post_init__(self):
        type(self).made += 1
        self.WT = self.W.T.copy()
        if np.any(self.W < -100):
            raise ValueError("weights out of range")

    @property
    def doubled(self):
        return 2.0 * self.W

    def apply(self, x):
        return x @ self.W * self.scale

    def __call__(self, x):
        return np.tanh(self.apply(x))


@dataclass
class Batch:
    X: np.ndarray
    y: np.ndarray


class Scaler:  # an object of the user's, held in a field
    def __init__(self, s):
        self.s = s

    def apply(self, h):
        return h * self.s


class Gather(NamedTuple):
    W: np.ndarray
    columns: np.ndarray  # integers: not differentiated
    scaler: object = None


Pair = collections.namedtuple("Pair", "a b")


@pytest.fixture
def rng():
    return np.random.default_rng(11)


def _dense(rng, m, n):
    return Dense(rng.standard_normal((m, n)), rng.standard_normal(n))


def _mlp_params(rng):
    return MLP(
        rng.standard_normal((3, 5)) * 0.5,
        rng.standard_normal(5) * 0.1,
        rng.standard_normal((5, 2)) * 0.5,
        rng.standard_normal(2) * 0.1,
    )


# -- a NamedTuple of weights --------------------------------------------------------------------


def mlp_loss(p, x, y):
    h = np.tanh(x @ p.W1 + p.b1)
    out = h @ p.W2 + p.b2
    return np.mean((out - y) ** 2)


def mlp_loss_autograd(p, x, y):  # the same loss in autograd, on a tuple
    W1, b1, W2, b2 = p
    h = anp.tanh(anp.dot(x, W1) + b1)
    out = anp.dot(h, W2) + b2
    return anp.mean((out - y) ** 2)


def test_named_tuple_of_weights_in_an_mlp(rng):
    p = _mlp_params(rng)
    x, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    value, g = check_grads(mlp_loss, p, x, y)
    assert type(g) is MLP
    assert value == pytest.approx(mlp_loss(p, x, y))
    for name in MLP._fields:
        assert getattr(g, name).shape == getattr(p, name).shape
    if autograd is not None:
        expected = autograd.grad(mlp_loss_autograd)(tuple(p), x, y)
        for name, want in zip(MLP._fields, expected):
            np.testing.assert_allclose(getattr(g, name), want, rtol=1e-10, atol=1e-12)


def test_generated_code_reads_each_field_once_at_the_top(rng):
    g = srcgrad.grad(mlp_loss)
    g(_mlp_params(rng), rng.standard_normal((6, 3)), rng.standard_normal((6, 2)))
    lines = g.source.splitlines()
    assert lines[1:5] == ["    W1 = p.W1", "    b1 = p.b1", "    W2 = p.W2", "    b2 = p.b2"]
    assert "return mlp_loss, {'W1': dW1, 'b1': db1, 'W2': dW2, 'b2': db2}" in g.source


def by_index(p, x):
    W, b = p
    return np.sum(np.tanh(x @ p[0] + b)) + np.sum(p[-1] ** 2) + len(p)


def over_fields(p, x):
    total = 0.0
    for w in p:
        total = total + np.sum(w**2)
    rest = p[1:]
    return total + np.sum(rest[0] * x[0, :2])


def test_named_tuple_by_index_unpacking_and_loops(rng):
    p = _dense(rng, 3, 2)
    x = rng.standard_normal((4, 3))
    value, g = check_grads(by_index, p, x)
    assert type(g) is Dense
    assert value == pytest.approx(by_index(p, x))
    _, g2 = check_grads(over_fields, p, x)
    np.testing.assert_allclose(g2.W, 2 * p.W)
    np.testing.assert_allclose(g2.b, 2 * p.b + x[0, :2])


def pair_loss(p, x):
    a, b = p
    return np.sum(a * x) + b**2


def test_collections_namedtuple_with_a_float_field(rng):
    p = Pair(rng.standard_normal(3), 0.5)
    x = rng.standard_normal(3)
    _, g = check_grads(pair_loss, p, x)
    assert type(g) is Pair and type(g.b) is float
    assert g.b == pytest.approx(1.0)
    np.testing.assert_allclose(g.a, x)


# -- dataclasses --------------------------------------------------------------------------------


def frozen_loss(p, x):
    h = p.act(x @ p.W + p.b)
    for _ in range(p.n_steps):
        h = h * 1.5
    if p.name == "tanh":
        return np.sum(h**2)
    return np.sum(h)


def test_frozen_dataclass_with_constant_fields(rng):
    p = Frozen(rng.standard_normal((3, 2)), rng.standard_normal(2), n_steps=3, act=np.sin)
    x = rng.standard_normal((4, 3))
    value, g = check_grads(frozen_loss, p, x)
    assert type(g) is Frozen
    assert (g.n_steps, g.name, g.act) == (3, "tanh", np.sin)  # the parameter's own values
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.W = None  # still frozen
    if autograd is not None:
        loss = lambda W, b: anp.sum((anp.sin(anp.dot(x, W) + b) * 1.5**3) ** 2)  # noqa: E731
        expected = autograd.grad(loss, argnum=(0, 1))(p.W, p.b)
        np.testing.assert_allclose(g.W, expected[0], rtol=1e-10)
        np.testing.assert_allclose(g.b, expected[1], rtol=1e-10)


def test_a_function_field_keys_the_code(rng):
    x = rng.standard_normal((4, 3))
    W, b = rng.standard_normal((3, 2)), rng.standard_normal(2)
    g = srcgrad.grad(frozen_loss, with_value=False)
    with_tanh = g(Frozen(W, b), x)
    with_sin = g(Frozen(W, b, act=np.sin), x)
    assert not np.allclose(with_tanh.W, with_sin.W)
    check_grads(frozen_loss, Frozen(W, b), x)


def post_loss(p, x):
    return np.sum(p(x)) + np.sum(p.WT**2) + np.sum(p.doubled * x[:3, :2]) + p.scale**2


def test_dataclass_with_init_false_field_post_init_property_and_methods(rng):
    p = WithPost(rng.standard_normal((3, 2)), 0.5)
    x = rng.standard_normal((4, 3))
    made = WithPost.made
    _, g = check_grads(post_loss, p, x)
    assert type(g) is WithPost
    assert WithPost.made == made  # the gradient is made without __init__ or __post_init__
    # WT is a field of its own (init=False): its gradient is its own, not recomputed from dW
    np.testing.assert_allclose(g.WT, 2 * p.WT)
    assert type(g.scale) is float
    h = x @ p.W * p.scale
    dtanh = 1 - np.tanh(h) ** 2
    assert g.scale == pytest.approx(np.sum(dtanh * (x @ p.W)) + 2 * p.scale)
    np.testing.assert_allclose(g.W, x.T @ (dtanh * p.scale) + 2.0 * x[:3, :2])


def test_gradient_is_not_checked_by_post_init(rng):
    # a gradient far outside what __post_init__ accepts for a parameter is still returned
    p = WithPost(rng.standard_normal((3, 2)))
    g = srcgrad.grad(lambda p: np.sum(-1000.0 * p.W), with_value=False)(p)
    assert type(g) is WithPost and np.all(g.W == -1000.0)


def model_loss(m, batch):
    h = np.tanh(batch.X @ m["enc"].W + m["enc"].b)
    out = h @ m["dec"][0] + m["dec"][1]
    return np.mean((out - batch.y) ** 2)


def test_non_differentiated_dataclass_argument_shares_the_code(rng):
    m = {"enc": _dense(rng, 3, 4), "dec": (rng.standard_normal((4, 1)), 0.1)}
    g = srcgrad.grad(model_loss)
    first = Batch(rng.standard_normal((5, 3)), rng.standard_normal((5, 1)))
    second = Batch(rng.standard_normal((5, 3)), rng.standard_normal((5, 1)))
    _, g1 = check_grads(g, m, first)
    _, g2 = check_grads(g, m, second)
    assert isinstance(g1, dict) and type(g1["enc"]) is Dense and type(g1["dec"]) is tuple
    assert not np.allclose(g1["enc"].W, g2["enc"].W)
    assert len({k[0] for k in g._variants}) == 1  # one structure: the batches share the code


def gather_loss(p, x):
    return np.sum((x @ p.W)[:, p.columns] ** 2)


def scaled_loss(p, x):
    return np.sum(p.scaler.apply((x @ p.W)[:, p.columns]) ** 2)


def test_integer_array_none_and_object_fields(rng):
    x = rng.standard_normal((4, 3))
    p = Gather(rng.standard_normal((3, 3)), np.array([0, 2]))
    _, g = check_grads(gather_loss, p, x)
    assert g.columns is p.columns and g.scaler is None
    assert not g.W[:, 1].any()
    scaled = Gather(p.W, p.columns, Scaler(3.0))
    _, g3 = check_grads(scaled_loss, scaled, x)
    assert g3.scaler is scaled.scaler
    np.testing.assert_allclose(g3.W, 9.0 * g.W)


# -- nesting ------------------------------------------------------------------------------------


def layers_loss(layers, x):
    h = x
    for layer in layers:
        h = np.tanh(h @ layer.W + layer.b)
    return np.sum(h**2)


def layers_loss_autograd(layers, x):
    h = x
    for W, b in layers:
        h = anp.tanh(anp.dot(h, W) + b)
    return anp.sum(h**2)


def test_list_of_named_tuple_layers(rng):
    layers = [_dense(rng, 3, 4), _dense(rng, 4, 2)]
    x = rng.standard_normal((5, 3))
    _, g = check_grads(layers_loss, layers, x)
    assert type(g) is list and [type(layer) for layer in g] == [Dense, Dense]
    if autograd is not None:
        expected = autograd.grad(layers_loss_autograd)([tuple(layer) for layer in layers], x)
        for got, want in zip(g, expected):
            np.testing.assert_allclose(got.W, want[0], rtol=1e-10)
            np.testing.assert_allclose(got.b, want[1], rtol=1e-10)


@dataclass(frozen=True)
class Net:
    layers: list
    head: dict
    depth: int = 2


def dense(h, layer):
    return np.tanh(h @ layer.W + layer.b)


def net_loss(net, x):
    h = x
    for i in range(len(net.layers)):
        h = dense(h, net.layers[i])
    return np.sum((h @ net.head["W"] + net.head["b"]) ** 2) * net.depth


def test_dataclass_holding_a_list_of_named_tuples_and_a_dict(rng):
    net = Net([_dense(rng, 3, 4), _dense(rng, 4, 4)], {"W": rng.standard_normal((4, 1)), "b": 0.3}, depth=3)
    x = rng.standard_normal((5, 3))
    _, g = check_grads(net_loss, net, x)
    assert type(g) is Net and g.depth == 3
    assert [type(layer) for layer in g.layers] == [Dense, Dense]
    assert type(g.head) is dict and type(g.head["b"]) is float
    g_source = srcgrad.grad(net_loss)
    g_source(net, x)
    assert "net_layers_0_W = net.layers[0].W" in g_source.source
    assert "net_head_W = net.head['W']" in g_source.source


# -- the caller's arguments, the cache ---------------------------------------------------------


def linear(p, x):
    return np.sum(p.W * x) + np.sum(p.b)


def test_the_callers_instance_is_unchanged_and_shares_no_memory(rng):
    p = _dense(rng, 3, 2)
    x = rng.standard_normal((3, 2))
    before = (p.W.copy(), p.b.copy(), x.copy())
    g = srcgrad.grad(linear, with_value=False)(p, x)
    np.testing.assert_array_equal(g.W, x)  # dW is x: returned as a copy of it
    assert not np.shares_memory(g.W, x) and not np.shares_memory(g.W, p.W)
    g.W[...] = 0.0
    for kept, now in zip(before, (p.W, p.b, x)):
        np.testing.assert_array_equal(kept, now)
    frozen = Frozen(p.W, p.b)
    srcgrad.grad(frozen_loss)(frozen, rng.standard_normal((4, 3)))
    np.testing.assert_array_equal(frozen.W, before[0])


def test_classes_with_the_same_fields_do_not_share_code(rng):
    W, b = rng.standard_normal((3, 2)), rng.standard_normal(2)
    g = srcgrad.grad(linear, with_value=False)
    x = rng.standard_normal((3, 2))
    assert type(g(Dense(W, b), x)) is Dense
    assert type(g(Affine(W, b), x)) is Affine
    assert type(g(Dense(W, b), x)) is Dense
    structures = {k[0] for k in g._variants}
    assert len(structures) == 2


# -- forward mode and vjp -----------------------------------------------------------------------


def layer_out(p, x):
    return np.tanh(x @ p.W + p.b)


def test_vjp_and_jvp_take_records(rng):
    p = Frozen(rng.standard_normal((3, 2)), rng.standard_normal(2))
    x = rng.standard_normal((4, 3))
    cot = rng.standard_normal((4, 2))
    value, g = srcgrad.vjp(layer_out)(p, x, cot)
    assert type(g) is Frozen and g.n_steps == 2
    slope = (1 - np.tanh(x @ p.W + p.b) ** 2) * cot  # the gradient of <cot, tanh(x @ W + b)>
    np.testing.assert_allclose(g.W, x.T @ slope, rtol=1e-10)
    np.testing.assert_allclose(g.b, slope.sum(axis=0), rtol=1e-10)
    t = Frozen(rng.standard_normal((3, 2)), rng.standard_normal(2))
    _, tangent = srcgrad.jvp(layer_out)(p, x, t)
    eps = 1e-6
    ahead = layer_out(Frozen(p.W + eps * t.W, p.b + eps * t.b), x)
    behind = layer_out(Frozen(p.W - eps * t.W, p.b - eps * t.b), x)
    np.testing.assert_allclose(tangent, (ahead - behind) / (2 * eps), rtol=1e-6, atol=1e-9)
    assert np.sum(tangent * cot) == pytest.approx(np.sum(g.W * t.W) + np.sum(g.b * t.b))


def test_jvp_tangent_must_be_of_the_parameters_class(rng):
    p = _dense(rng, 3, 2)
    x = rng.standard_normal((4, 3))
    with pytest.raises(ArgumentTypeError, match="p is a Dense, its tangent a dict"):
        srcgrad.jvp(layer_out)(p, x, {"W": p.W, "b": p.b})
    with pytest.raises(ArgumentTypeError, match="p is a Dense, its tangent a Affine"):
        srcgrad.jvp(layer_out)(p, x, Affine(p.W, p.b))


def test_hvp_refuses_records_with_the_reason(rng):
    p = Frozen(rng.standard_normal((3, 2)), rng.standard_normal(2))
    x = rng.standard_normal((4, 3))
    with pytest.raises(ArgumentTypeError, match="NamedTuples or dataclasses of arrays are not supported"):
        srcgrad.hvp(frozen_loss)(p, x, p)


# -- refused, at the user's line ----------------------------------------------------------------


def dataclass_by_index(p, x):
    return np.sum(x @ p[0])


def unknown_field(p, x):
    return np.sum(x @ p.V)


def replaced(p, x):
    q = p._replace(W=2 * p.W)
    return np.sum(x @ q.W)


def calls_a_field_that_is_not_a_function(p, x):
    return np.sum(p.columns(x))


def passed_whole(p, x):
    print(p)
    return np.sum(x @ p.W)


def _line_of(fn, text):
    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, line in enumerate(lines) if text in line)


@pytest.mark.parametrize(
    ("fn", "arg", "text", "words"),
    [
        (dataclass_by_index, "frozen", "p[0]", "is an instance of the dataclass Frozen"),
        (unknown_field, "dense", "p.V", "`.V` is none of these"),
        (replaced, "dense", "_replace", "not `._replace()`"),
        (calls_a_field_that_is_not_a_function, "gather", "p.columns(x)", "which holds no function"),
        (passed_whole, "frozen", "print(p)", "an instance of Frozen, through its fields"),
    ],
)
def test_refused_at_the_users_line(rng, fn, arg, text, words):
    W = rng.standard_normal((3, 3))
    value = {"frozen": Frozen(W, W[0]), "dense": Dense(W, W[0]), "gather": Gather(W, np.array([0]))}[arg]
    with pytest.raises(UnsupportedSyntaxError) as caught:
        srcgrad.grad(fn)(value, rng.standard_normal((2, 3)))
    assert words in str(caught.value)
    assert caught.value.location.filename == __file__
    assert caught.value.location.lineno == _line_of(fn, text)


class _Base:
    def __new__(cls, *args, **kwargs):
        return super().__new__(cls)


@dataclass
class OwnNew(_Base):
    W: np.ndarray


def test_a_dataclass_that_cannot_be_rebuilt_is_refused(rng):
    with pytest.raises(ArgumentTypeError, match="OwnNew has a __new__ of its own"):
        srcgrad.grad(lambda p: np.sum(p.W))(OwnNew(rng.standard_normal(3)))


def test_an_integer_in_a_differentiated_field_is_named(rng):
    with pytest.raises(ArgumentTypeError, match=r"p\.W\[1\]"):
        srcgrad.grad(lambda p: np.sum(p.W[0]))(Dense([rng.standard_normal(2), 3], rng.standard_normal(2)))


# -- srcgrad.testing ----------------------------------------------------------------------------


def test_check_grads_refuses_a_gradient_of_another_class(rng, monkeypatch):
    import srcgrad.functions.gradient as gradient

    p = _dense(rng, 3, 2)
    monkeypatch.setattr(gradient, "gradient_tree_like", lambda g, p, roots: dict(g))
    with pytest.raises(GradientMismatch, match="gradient for 'p' is a dict, not a Dense"):
        check_grads(linear, p, rng.standard_normal((3, 2)))


def test_check_grads_names_a_records_field(rng, monkeypatch):
    import srcgrad.functions.gradient as gradient

    p = _dense(rng, 3, 2)
    real = gradient.gradient_tree_like

    def off(g, p, roots):
        made = real(g, p, roots)
        return made._replace(b=made.b + 1.0)

    monkeypatch.setattr(gradient, "gradient_tree_like", off)
    with pytest.raises(GradientMismatch) as caught:
        check_grads(linear, p, rng.standard_normal((3, 2)))
    assert caught.value.parameter == "p.b"


def indexed_in_a_dict(params, x):
    h = x
    for i in range(len(params["layers"])):
        h = np.tanh(h @ params["layers"][i].W + params["layers"][i].b)
    for i in range(2):
        h = h + params["scale"][i]  # an array's rows: a loop, not written out
    return np.sum(h**2)


def test_range_loop_indexing_a_part_of_a_parameter(rng):
    params = {"layers": [_dense(rng, 3, 4), _dense(rng, 4, 4)], "scale": rng.standard_normal((2, 4))}
    x = rng.standard_normal((5, 3))
    _, g = check_grads(indexed_in_a_dict, params, x)
    assert [type(layer) for layer in g["layers"]] == [Dense, Dense]
    f = srcgrad.grad(indexed_in_a_dict)
    f(params, x)
    assert "params_layers_1_W = params['layers'][1].W" in f.source
    assert "for i in range(2):" in f.source


def test_dask_arrays_in_a_named_tuple(rng):
    da = pytest.importorskip("dask.array")
    p = _dense(rng, 3, 2)
    x = rng.standard_normal((3, 2))
    lazy = Dense(da.from_array(p.W), da.from_array(p.b))
    _, g = srcgrad.grad(linear)(lazy, da.from_array(x))
    assert type(g) is Dense and isinstance(g.W, da.Array)
    np.testing.assert_allclose(g.W.compute(), x)
    np.testing.assert_allclose(g.b.compute(), np.ones(2))


def test_source_before_a_call_says_why_it_cannot_read_a_field():
    with pytest.raises(UnsupportedSyntaxError) as caught:
        srcgrad.source(linear)
    assert "reads a field of 'p'" in str(caught.value) and "Call the gradient" in str(caught.value)
    assert caught.value.location.lineno == _line_of(linear, "p.W * x")
