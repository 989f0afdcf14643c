"""Programs as people write them: helpers from other modules and closures, functions defined
inside the differentiated code (`def`, `lambda`), `*args`, `zip(*...)`, lists grown with
`.append`, and helpers called for their effect. Each gradient is checked against finite
differences; each refusal names the user's line."""

import re
import statistics

import model_helpers as mh
import numpy as np
import pytest
from model_helpers import predict

import srcgrad
from srcgrad.testing import check_grads

rng = np.random.default_rng(17)
W = rng.standard_normal((3, 2))
X = rng.standard_normal((4, 3))


# -- helpers from another module --------------------------------------------------------------


def loss_through_module(W, x):
    return np.sum(mh.predict(W, x) ** 2) + np.sum(predict(W, x))


def test_a_helper_of_another_module_is_written_out_with_its_globals():
    check_grads(loss_through_module, W, X, wrt="W")
    source = srcgrad.source(loss_through_module, wrt="W")
    assert not re.search(r"^\s+def ", source, re.M), "the helpers are inlined, not called"
    assert "xp." not in source, "the helper's name for NumPy becomes the caller's"
    assert "SCALE" in source and "OFFSET" in source, "its globals keep their names"


def test_changing_a_global_of_the_helpers_module_regenerates_the_code():
    g = srcgrad.grad(loss_through_module, wrt="W")
    before = g(W, X)[0]
    try:
        mh.SCALE = 2.0
        after, dW = g(W, X)
        assert after == pytest.approx(loss_through_module(W, X))
        check_grads(loss_through_module, W, X, wrt="W")
    finally:
        mh.SCALE = 0.5
    assert after != pytest.approx(before)


SCALE = 100.0  # this module's SCALE is not the one act() reads


def same_names_differ(W, x):
    return np.sum(mh.act(x @ W)) * SCALE


def shadowing_parameter(W, x, OFFSET):
    return np.sum(mh.predict(W, x) * OFFSET)


def test_a_name_that_means_something_else_here_is_renamed():
    check_grads(same_names_differ, W, X, wrt="W")
    source = srcgrad.source(same_names_differ, wrt="W")
    assert "SCALE_2" in source, "the helper's SCALE is bound under a name of its own"
    # a parameter of the differentiated function with the name of a global the helper reads
    check_grads(shadowing_parameter, W, X, np.array([3.0, -1.0]), wrt=("W", "OFFSET"))


# -- closures ----------------------------------------------------------------------------------


def make_objective(D):
    unpack = mh.make_unpack(D)
    layer = mh.make_layer(np.sin)

    def objective(p, x):
        a, b = unpack(p)
        return np.sum(a * x) + np.sum(b**2) + np.sum(layer(W, X))

    return objective


def test_helpers_that_read_variables_of_an_enclosing_function():
    objective = make_objective(2)
    check_grads(objective, rng.standard_normal(5), np.ones(2), wrt="p")
    source = srcgrad.source(objective, wrt="p")
    assert "p[:D]" in source, "the enclosing function's D is bound into the code"


# -- functions defined in the differentiated code ----------------------------------------------


def nested_def(W, x):
    def layer(h, scale=2.0):
        return np.tanh(h @ W) * scale

    h = layer(x)
    return np.sum(layer(h @ W.T, scale=0.5) ** 2)


def late_binding(W, x):
    s = 1.0

    def scaled(z):
        return z * s

    s = 3.0  # read when scaled() is called, as Python's closures do
    return np.sum(scaled(x @ W))


def apply(f, x):
    return f(x)


def lambdas(W, x):
    act = lambda z: np.maximum(z, 0.1 * z)  # noqa: E731
    return np.sum(act(x @ W)) + np.sum(apply(lambda z: np.tanh(z @ W), x))


@pytest.mark.parametrize("f", [nested_def, late_binding, lambdas])
def test_functions_defined_inside_are_written_out_where_called(f):
    check_grads(f, W, X, wrt="W")
    source = srcgrad.source(f, wrt="W")
    assert not re.search(r"^\s+def ", source, re.M)


def test_late_binding_reads_the_value_at_the_call():
    value, _ = srcgrad.grad(late_binding, wrt="W")(W, X)
    assert value == pytest.approx(3.0 * np.sum(X @ W))


objective_lambda = lambda W, x: np.sum(np.tanh(x @ W) ** 2)  # noqa: E731


def test_a_lambda_given_to_grad():
    check_grads(objective_lambda, W, X, wrt="W")
    g = srcgrad.grad(objective_lambda, wrt="W")
    g(W, X)
    assert g.source.startswith("def objective_lambda_grad(W, x):")


def function_in_a_list(W, x):
    def f(z):
        return z * 2.0

    fs = [f, np.tanh]
    return np.sum(fs[0](x @ W))


def function_as_value(W, x):
    def f(z):
        return np.sum(z)

    return np.sum(np.apply_along_axis(f, 0, x @ W))


def test_a_function_defined_inside_and_called_from_a_list():
    check_grads(function_in_a_list, W, X, wrt="W")


def test_a_function_defined_inside_used_as_a_value_is_refused_at_its_line():
    with pytest.raises(srcgrad.UnsupportedSyntaxError) as info:
        srcgrad.source(function_as_value, wrt="W")
    assert "used as a value" in str(info.value)
    assert "test_program_structure.py" in str(info.value)


# -- *args and zip(*...) -----------------------------------------------------------------------


def concat_and_multiply(weights, *args):
    cat_state = np.hstack(args + (np.ones((args[0].shape[0], 1)),))
    return np.dot(cat_state, weights)


def star_args(W7, x):
    return np.sum(np.tanh(concat_and_multiply(W7, x, x)))


def columns(p):
    return p["a"] * 2.0, p["b"], p["c"]


def zip_star(p):
    total = 0.0
    for a, b, c in zip(*columns(p)):
        total = total + np.sum(a * b * c)
    return total


def test_star_args_in_definitions_and_calls():
    check_grads(star_args, rng.standard_normal((7, 2)), X)  # `args + (ones,)` joins tuples
    p = {k: rng.standard_normal((3, 2)) for k in "abc"}
    check_grads(zip_star, p)


def star_unknown(x, shape):
    return np.sum(x * np.eye(*shape))


def test_star_of_a_value_with_no_gradient_is_passed_as_written():
    check_grads(star_unknown, rng.standard_normal((2, 3)), (2, 3), wrt="x")


# -- lists grown with .append ------------------------------------------------------------------


def appended(W, xs):
    outs = []
    h = np.zeros(2)
    for x in xs:
        h = np.tanh(x @ W + h)
        outs.append(h)
    extra = [np.sum(W)]
    extra.extend([np.sum(W**2), np.sum(xs)])
    return np.sum(np.vstack(outs) ** 2) + sum(extra)


def test_append_and_extend_on_a_list_the_function_makes():
    check_grads(appended, W, X, wrt="W")
    assert "# grad of: outs.append(h)" in srcgrad.source(appended, wrt="W")


def appends_to_an_alias(W, xs):
    outs = []
    kept = outs
    outs.append(np.sum(W))
    return np.sum(np.stack(kept))


def appends_to_a_parameter(W, outs):
    outs.append(np.sum(W))
    return np.sum(np.stack(outs))


@pytest.mark.parametrize("f", [appends_to_an_alias, appends_to_a_parameter])
def test_append_to_a_list_another_name_holds_stays_refused(f):
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r"\.append\(\)"):
        srcgrad.source(f, wrt="W")


# -- helpers called for their effect -----------------------------------------------------------

shown = []


def show(x, label):
    shown.append((label, float(np.sum(x))))


def zero_first(x):
    x[0] = 0.0


def with_a_log_line(W, x):
    h = np.tanh(x @ W)
    show(h, "h")
    return np.sum(h**2)


def with_a_helper_that_writes(W, x):
    h = np.tanh(x @ W)
    zero_first(h)
    return np.sum(h**2)


def test_a_helper_without_return_runs_once_and_carries_no_gradient():
    shown.clear()
    check_grads(with_a_log_line, W, X, wrt="W")
    shown.clear()
    srcgrad.grad(with_a_log_line, wrt="W")(W, X)
    assert shown == [("h", pytest.approx(float(np.sum(np.tanh(X @ W)))))]


def test_a_helper_without_return_that_writes_into_its_argument_is_refused():
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="changes its argument 'x' in place") as info:
        srcgrad.source(with_a_helper_that_writes, wrt="W")
    assert "x[0] = 0.0" in str(info.value)


# -- functions of installed packages -----------------------------------------------------------


def through_the_standard_library(x):
    return statistics.fmean(x * 2.0)


def test_a_function_of_an_installed_package_is_not_written_out():
    with pytest.raises(srcgrad.NoRuleError, match="fmean"):
        srcgrad.grad(through_the_standard_library)(np.arange(3.0))


# -- functions passed as arguments ---------------------------------------------------------------


def leaky(z):
    return np.maximum(z, 0.1 * z)


def with_activation(W, x, act=np.tanh):
    return np.sum(act(x @ W) ** 2)


def layer_with(W, x, f):
    return f(x @ W)


def through_a_layer(W, x, nonlinearity):
    return np.sum(layer_with(W, x, nonlinearity)) + np.sum(apply(nonlinearity, x @ W))


act = np.sin  # a global with the name of the parameter: the parameter's function is the one called


@pytest.mark.parametrize("function", [np.tanh, np.cos, leaky, lambda z: z**3])
def test_a_function_passed_as_an_argument_is_the_one_differentiated(function):
    check_grads(with_activation, W, X, function, wrt="W")
    check_grads(through_a_layer, W, X, function, wrt="W")


def test_a_function_default_is_differentiated_even_with_a_global_of_its_name():
    check_grads(with_activation, W, X, wrt="W")
    g = srcgrad.grad(with_activation, wrt="W")
    g(W, X, np.sin)
    g(W, X)
    assert "1 - " in g.source, "tanh's derivative, not sin's"


# -- methods and objects -------------------------------------------------------------------------


class Dense:
    def __init__(self, scale):
        self.scale = scale

    def forward(self, h, W):
        return np.tanh(h @ W) * self.scale

    @staticmethod
    def penalty(W):
        return np.sum(W**2)


class Model:
    def __init__(self, scales):
        self.layers = [Dense(s) for s in scales]
        self.reg = 0.1

    def predict(self, Ws, x):
        h = x
        for layer, W in zip(self.layers, Ws):
            h = layer.forward(h, W)
        return h

    def loss(self, Ws, x):
        return np.sum(self.predict(Ws, x) ** 2) + self.reg * sum(Dense.penalty(W) for W in Ws)


layers = [Dense(2.0), Dense(0.5)]
model = Model([1.0, 0.5])
W2 = rng.standard_normal((2, 2))


def through_module_objects(W, W2, x):
    h = x
    for layer, V in zip(layers, (W, W2)):
        h = layer.forward(h, V)
    return np.sum(h**2) + model.loss([W, W2], x)


def through_an_object_argument(W, W2, x, m):
    return np.sum(m.predict([W, W2], x)) + m.loss([W, W2], x)


def test_methods_of_module_objects_are_written_out():
    check_grads(through_module_objects, W, W2, X, wrt=("W", "W2"))
    source = srcgrad.source(through_module_objects, wrt=("W", "W2"))
    assert "layers_0.scale" in source, "the objects' arrays and numbers are read as the code runs"
    code = "\n".join(line for line in source.splitlines() if not line.strip().startswith("#"))
    assert not re.search(r"\.forward\(|\.predict\(", code), "the methods are written out"


def test_methods_of_an_object_argument_are_written_out_for_that_object():
    check_grads(through_an_object_argument, W, W2, X, model, wrt=("W", "W2"))
    other = Model([3.0, -1.0])
    check_grads(through_an_object_argument, W, W2, X, other, wrt=("W", "W2"))


def test_rebinding_an_objects_layers_makes_new_code():
    m = Model([1.0, 1.0])
    g = srcgrad.grad(through_an_object_argument, wrt=("W", "W2"))
    first = g(W, W2, X, m)[0]
    m.layers = [Dense(2.0), Dense(2.0)]
    second = g(W, W2, X, m)[0]
    assert second == pytest.approx(through_an_object_argument(W, W2, X, m))
    assert second != pytest.approx(first)


# -- np.array of differentiated values -----------------------------------------------------------


def array_of_values(x, y):
    return np.sum(np.array([x, y, x * y]) ** 2)


def array_of_nested_floats(x, y):
    return np.sum(np.array([(x, 0.5, y), (x * y, x, 0.5)]) ** 3)


def array_of_a_grown_list(xs):
    parts = []
    for x in xs:
        parts.append(np.sin(x))
    return np.sum(np.array(parts) * np.arange(2.0)) + np.sum(np.asarray(xs, dtype=float))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_np_array_of_values_that_carry_gradients(mode):
    check_grads(array_of_values, 0.3, 0.7, mode=mode)
    check_grads(array_of_nested_floats, 0.3, 0.7, mode=mode)
    check_grads(array_of_values, rng.standard_normal(3), rng.standard_normal(3), mode=mode)
    check_grads(array_of_a_grown_list, rng.standard_normal((4, 2)), mode=mode)


# -- lists a loop builds, started with items and read back by index --------------------------------


def predict_all(W, xs):
    h = np.zeros(3)
    out = [h * 0.5 + np.sum(W)]  # a list started with an item, then grown in the loop
    for x in xs:
        h = np.tanh(x @ W + h)
        out.append(h)
    return out


def read_back(W, xs, ys):
    ps = predict_all(W, xs)
    total = 0.0
    for t in range(xs.shape[0]):
        total += np.sum(ps[t + 1] * ys[t])  # read back by index, in another loop
    return total + np.sum(ps[0]) + np.sum(ps[-1] ** 2)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_list_started_with_items_and_read_back_by_index(mode):
    W3 = rng.standard_normal((3, 3))
    xs, ys = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    check_grads(read_back, W3, xs, ys, wrt="W", mode=mode)
    source = srcgrad.source(read_back, wrt="W")
    assert "np.stack(" in source, "the list is stacked once, and its items read as rows"


# -- a helper's `x -= ...` on an array its caller gives up; f-strings --------------------------------


def project(vx, vy):
    p = vx * 0.5 + vy
    vx -= 0.5 * (np.roll(p, -1) - np.roll(p, 1))  # changes the caller's array, in Python
    vy -= 0.5 * p
    return vx, vy


def simulate(v0, w0):
    vx, vy = v0, w0
    for _ in range(3):
        vx_next = np.sin(vx) + 0.1 * vy
        vy_next = np.cos(vy) * vx
        vx, vy = project(vx_next, vy_next)  # the arrays passed are not read again
    return np.sum(vx**2 + vy)


def reads_the_changed_array(v0, w0):
    a = np.sin(v0)
    b, c = project(a, w0 * 1.0)
    return np.sum(a) + np.sum(b)  # Python's `a` was changed by project


def test_a_helpers_in_place_update_of_an_array_the_caller_gives_up():
    check_grads(simulate, rng.standard_normal(5), rng.standard_normal(5))
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="on a parameter of a helper"):
        srcgrad.grad(reads_the_changed_array)(np.ones(5), np.ones(5))


def with_messages(x, w):
    h = np.tanh(x * w)
    loss = np.sum(h**2)
    print(f"loss {loss:.3f} for {x.shape}")
    if x.ndim != 1:
        raise ValueError(f"expected a vector, got {x.ndim} dimensions")
    return loss


def test_f_strings_are_made_as_the_code_runs(capsys):
    check_grads(with_messages, rng.standard_normal(3), 0.7)
    with pytest.raises(ValueError, match="expected a vector, got 2 dimensions"):
        srcgrad.grad(with_messages)(np.ones((2, 2)), 0.5)
    assert "loss " in capsys.readouterr().out


def test_a_lambda_given_to_grad_jvp_and_vjp_runs_again_through_the_fast_entry():
    """The third call of a lambda's gradient runs the generated entry point, named `lambda_`
    (a lambda's own name, `<lambda>`, is no identifier)."""
    f = lambda x, w: np.sum(np.tanh(x * w))  # noqa: E731
    x, w = np.ones(3), np.arange(3.0)
    expected = w * (1 - np.tanh(x * w) ** 2)
    grad, jvp, vjp = srcgrad.grad(f), srcgrad.jvp(f), srcgrad.vjp(f)
    for _ in range(3):
        assert np.allclose(grad(x, w)[1], expected)
        assert np.isclose(jvp(x, w, np.ones(3))[1], expected.sum())
        assert np.allclose(vjp(x, w, 2.0)[1], 2 * expected)
