"""The public API: how grad is called, what it returns, and what it never does to inputs."""

import inspect

import numpy as np
import pytest

import srcgrad
from srcgrad.testing import check_grads


def quadratic(x, y, scale=2.0):
    return np.sum(scale * x * x + x * y)


def poly(x):
    return x**3 + x**2 + x + 5


def linfit(w, x, y):
    return (x * w - y) ** 2


def unused(a, b):
    return np.sum(a * 3.0)


def transposed_product(x, y):
    return np.sum(x * y.T)


def shared(x, y):
    return np.sum((x + y) ** 2)


@pytest.fixture
def xy():
    rng = np.random.default_rng(1)
    return rng.standard_normal((3, 4)), rng.standard_normal((3, 4))


def test_decorator_forms_agree(xy):
    x, y = xy
    expected = 4.0 * x + y
    plain = srcgrad.grad(quadratic)
    called = srcgrad.grad(wrt="x")(quadratic)
    positional = srcgrad.grad("x")(quadratic)
    by_index = srcgrad.grad(quadratic, wrt=0)
    for g in (plain, called, positional, by_index):
        value, dx = g(x, y)
        np.testing.assert_allclose(dx, expected)
        assert value == pytest.approx(quadratic(x, y))


def test_tuple_wrt_returns_tuple_in_that_order(xy):
    x, y = xy
    _, grads = srcgrad.grad(quadratic, wrt=("y", "x"))(x, y)
    assert isinstance(grads, tuple) and len(grads) == 2
    np.testing.assert_allclose(grads[0], x)
    np.testing.assert_allclose(grads[1], 4.0 * x + y)
    _, (dy,) = srcgrad.grad(quadratic, wrt=("y",))(x, y)
    np.testing.assert_allclose(dy, x)
    _, (dx, dy) = srcgrad.grad(quadratic, wrt=(0, -2))(x, y)
    np.testing.assert_allclose(dy, x)


def test_with_value_false_returns_gradients_only(xy):
    x, y = xy
    dx = srcgrad.grad(quadratic, with_value=False)(x, y)
    np.testing.assert_allclose(dx, 4.0 * x + y)


def test_signature_name_and_keywords_are_kept(xy):
    x, y = xy
    g = srcgrad.grad(quadratic, wrt="scale")
    assert inspect.signature(g) == inspect.signature(quadratic)
    assert g.__name__ == "quadratic"
    value, dscale = g(y=y, x=x, scale=3.0)
    assert value == pytest.approx(quadratic(x, y, 3.0))
    assert type(dscale) is float and dscale == pytest.approx(np.sum(x * x))
    value, dscale = g(x, y)  # the default applies
    assert dscale == pytest.approx(np.sum(x * x))


def test_python_floats_give_python_floats():
    value, dx = srcgrad.grad(poly)(3.0)
    assert (value, dx) == (44.0, 34.0)
    assert type(dx) is float
    value, dw = srcgrad.grad(linfit)(0.5, 3.0, 6.0)
    assert dw == pytest.approx(2 * (3.0 * 0.5 - 6.0) * 3.0)
    assert type(dw) is float


def test_numpy_scalars_keep_their_type():
    _, dx = srcgrad.grad(poly)(np.float32(3.0))
    assert type(dx) is np.float32 and dx == 34.0


def test_float32_in_float32_out(xy):
    x, y = (a.astype(np.float32) for a in xy)
    _, (dx, dy) = srcgrad.grad(quadratic, wrt=("x", "y"))(x, y)
    assert dx.dtype == np.float32 and dy.dtype == np.float32
    # a float64 partner does not promote the float32 parameter's gradient
    _, dx = srcgrad.grad(quadratic)(x, xy[1])
    assert dx.dtype == np.float32


def test_unused_parameter_gets_zeros():
    a, b = np.ones(3), np.ones((2, 2))
    _, (da, db) = srcgrad.grad(unused, wrt=("a", "b"))(a, b)
    np.testing.assert_array_equal(da, 3.0)
    np.testing.assert_array_equal(db, np.zeros((2, 2)))


def test_inputs_are_never_modified(xy):
    x, y = xy
    before = x.copy(), y.copy()
    g = srcgrad.grad(transposed_product, wrt=("x", "y"))
    yt = np.ascontiguousarray(y.T)
    _, (dx, dy) = g(x, yt)
    np.testing.assert_array_equal(dx, y)
    dx *= 0.0  # the gradient is the user's to change: it must not be a view of an input
    dy += 1.0
    np.testing.assert_array_equal(yt, y.T)
    np.testing.assert_array_equal(x, before[0])
    np.testing.assert_array_equal(y, before[1])


def test_gradients_do_not_share_memory(xy):
    x, y = xy
    _, (dx, dy) = srcgrad.grad(shared, wrt=("x", "y"))(x, y)
    np.testing.assert_allclose(dx, 2 * (x + y))
    dx += 1.0
    np.testing.assert_allclose(dy, 2 * (x + y))


def test_gradients_are_writeable():
    _, dx = srcgrad.grad(unused)(np.ones(3), 1.0)
    dx += 1.0
    np.testing.assert_array_equal(dx, 4.0)


def test_source_is_available_before_any_call():
    g = srcgrad.grad(quadratic, wrt=("x", "y"))
    assert g.source.startswith("def quadratic_grad(x, y, scale=2.0):")
    assert srcgrad.source(g) == g.source
    assert srcgrad.source(quadratic, wrt=("x", "y")) == g.source


def test_generated_source_is_deterministic():
    first = srcgrad.grad(quadratic, wrt=("x", "y")).source
    second = srcgrad.grad(quadratic, wrt=("x", "y")).source
    assert first == second


def test_check_grads_accepts_a_correct_gradient(xy):
    check_grads(quadratic, *xy, wrt=("x", "y", "scale"))
    check_grads(poly, 3.0)
    check_grads(linfit, 0.5, 3.0, 6.0)


def test_check_grads_catches_a_wrong_gradient(xy):
    from srcgrad.rules import ADJOINTS, lookup
    from srcgrad.testing import GradientMismatch

    lookup(None)
    rule = ADJOINTS[np.tanh]
    try:

        def wrong(g, ans, x):
            dx = g * ans  # noqa: F841  (the derivative of exp, not tanh)

        srcgrad.extend.adjoint(np.tanh)(wrong)
        with pytest.raises(GradientMismatch, match="with respect to 'x'"):
            check_grads(tanh_loss, xy[0])
    finally:
        for key in rule.keys:
            ADJOINTS[key] = rule


def tanh_loss(x):
    return np.sum(np.tanh(x) * 1.5)


def loss_and_prediction(w, x):
    pred = np.tanh(x @ w)
    return np.sum(pred**2), pred


def detached(x):
    scale = srcgrad.stop_gradient(np.sum(x))
    return np.sum(x * scale)


def test_has_aux_returns_the_aux_value_undifferentiated():
    rng = np.random.default_rng(2)
    w, x = rng.standard_normal(3), rng.standard_normal((4, 3))
    (value, pred), dw = srcgrad.grad(loss_and_prediction, has_aux=True)(w, x)
    np.testing.assert_allclose(pred, np.tanh(x @ w))
    assert value == pytest.approx(np.sum(pred**2))
    np.testing.assert_allclose(dw, x.T @ (2 * pred * (1 - pred**2)))
    dw2, pred2 = srcgrad.grad(loss_and_prediction, has_aux=True, with_value=False)(w, x)
    np.testing.assert_array_equal(dw2, dw)
    np.testing.assert_array_equal(pred2, pred)
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="must return a pair"):
        srcgrad.source(srcgrad.grad(quadratic, has_aux=True))


def test_stop_gradient_makes_a_value_constant():
    x = np.array([1.0, 2.0])
    value, dx = srcgrad.grad(detached)(x)
    assert value == 3.0 * 3.0
    np.testing.assert_array_equal(dx, [3.0, 3.0])  # not 3 + sum(x)


def test_value_and_grad_returns_what_grad_returns(xy):
    x, y = xy
    value, (dx, dy) = srcgrad.value_and_grad(quadratic, wrt=("x", "y"))(x, y)
    expected_value, (ex, ey) = srcgrad.grad(quadratic, wrt=("x", "y"))(x, y)
    assert value == expected_value == pytest.approx(quadratic(x, y))
    np.testing.assert_array_equal(dx, ex)
    np.testing.assert_array_equal(dy, ey)
    np.testing.assert_allclose(dx, 4.0 * x + y)
    np.testing.assert_allclose(dy, x)


def test_value_and_grad_decorator_forms_and_wrt_by_name_or_index(xy):
    x, y = xy

    @srcgrad.value_and_grad
    def bare(x, y):
        return np.sum(2.0 * x * x + x * y)

    @srcgrad.value_and_grad(wrt="y")
    def by_name(x, y):
        return np.sum(2.0 * x * x + x * y)

    @srcgrad.value_and_grad(wrt=1)
    def by_index(x, y):
        return np.sum(2.0 * x * x + x * y)

    value, dx = bare(x, y)
    assert value == pytest.approx(quadratic(x, y))
    np.testing.assert_allclose(dx, 4.0 * x + y)  # the first parameter by default
    positional = srcgrad.value_and_grad("y")(quadratic)
    for g in (by_name, by_index, positional, srcgrad.value_and_grad(quadratic, 1)):
        value, dy = g(x, y)
        assert value == pytest.approx(quadratic(x, y))
        np.testing.assert_allclose(dy, x)
    assert inspect.signature(bare) == inspect.signature(bare.fn)


def test_value_and_grad_with_aux():
    rng = np.random.default_rng(2)
    w, x = rng.standard_normal(3), rng.standard_normal((4, 3))
    (value, pred), dw = srcgrad.value_and_grad(loss_and_prediction, has_aux=True)(w, x)
    (expected_value, expected_pred), expected_dw = srcgrad.grad(loss_and_prediction, has_aux=True)(w, x)
    assert value == expected_value == pytest.approx(np.sum(np.tanh(x @ w) ** 2))
    np.testing.assert_array_equal(pred, expected_pred)
    np.testing.assert_array_equal(dw, expected_dw)
    assert "value_and_grad" in srcgrad.__all__ and srcgrad.value_and_grad is srcgrad.api.value_and_grad
