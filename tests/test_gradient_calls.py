"""A gradient function called inside a function that is itself differentiated (issue 17): the
Hessian-vector idiom, a MAML-style inner step, a gradient penalty. The call's derivatives are
Hessian-vector products of the function the gradient is of (srcgrad/runtime/gradients.py),
checked here against finite differences in both modes, against srcgrad.hvp, and against
autograd where it is installed."""

from __future__ import annotations

import numpy as np
import pytest

import srcgrad
from srcgrad.testing import check_grads


def energy(x):
    return np.sum(np.tanh(x) ** 2) + 0.5 * np.sum(x[:-1] * x[1:])


energy_grad = srcgrad.grad(energy, with_value=False)


def directional(x, v):
    return np.dot(energy_grad(x), v)


def mse(w, X, y):
    return np.mean((np.tanh(X @ w) - y) ** 2)


mse_grad = srcgrad.grad(mse, with_value=False)


def maml(w, X, y, Xq, yq):
    adapted = w - 0.1 * mse_grad(w, X, y)
    return mse(adapted, Xq, yq)


def critic(W, x):
    return np.sum(np.tanh(x @ W) ** 2)


critic_input_grad = srcgrad.grad(critic, wrt="x", with_value=False)


def gradient_penalty(W, x):
    norms = np.sqrt(np.sum(critic_input_grad(W, x) ** 2, axis=1))
    return np.sum((norms - 1) ** 2)


def two_parameter_loss(a, b, x):
    return np.sum(np.sin(a * x) * b**2)


both_grads = srcgrad.grad(two_parameter_loss, wrt=("a", "b"), with_value=False)


def both_used(a, b, x):
    da, db = both_grads(a, b, x)
    return np.sum(da**2) + np.sum(db * x)


# Gradient functions made in the differentiated code itself, autograd's way: `grad(f)(x)`


def made_inline(x, v):
    return np.dot(srcgrad.grad(energy, with_value=False)(x), v)


def made_locally(w, X, y, Xq, yq):
    step = srcgrad.grad(mse, wrt="w", with_value=False)
    return mse(w - 0.1 * step(w, X, y), Xq, yq)


def my_grad(fun, argnum=0):  # the adapter a user of autograd writes: grad(f, argnum)
    return srcgrad.grad(fun, wrt=tuple(argnum) if isinstance(argnum, list) else argnum, with_value=False)


def made_by_a_helper(W, x):
    norms = np.sqrt(np.sum(my_grad(critic, 1)(W, x) ** 2, axis=1))
    return np.sum((norms - 1) ** 2)


wave = lambda z: np.sum(np.cos(z) * z)  # noqa: E731
curvature = lambda x: np.sum(np.sin(my_grad(wave)(x)))  # noqa: E731


def _random(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s) for s in shapes]


CASES = [
    (directional, _random(5, 5), ("x", "v")),
    (maml, _random(3, (6, 3), 6, (4, 3), 4), ("w", "X", "Xq")),
    (gradient_penalty, _random((3, 2), (4, 3)), ("W", "x")),
    (both_used, _random(4, 4, 4), ("a", "b", "x")),
    (made_inline, _random(5, 5), ("x", "v")),
    (made_locally, _random(3, (6, 3), 6, (4, 3), 4), ("w", "X", "Xq")),
    (made_by_a_helper, _random((3, 2), (4, 3)), ("W", "x")),
    (curvature, _random(4), ("x",)),
]


@pytest.mark.parametrize("f, args, wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_gradient_calls_differentiate_in_both_modes(f, args, wrt):
    check_grads(f, *args, wrt=wrt)
    check_grads(f, *args, wrt=wrt, mode="forward")


def test_the_hessian_vector_idiom_gives_hvp_and_the_gradient_and_shows_the_call():
    x, v = _random(5, 5, seed=1)
    gradient = srcgrad.grad(directional, wrt=("x", "v"))
    value, (dx, dv) = gradient(x, v)
    assert np.isclose(value, np.dot(energy_grad(x), v))
    assert np.allclose(dx, srcgrad.hvp(energy)(x, v)) and np.allclose(dv, energy_grad(x))
    assert "gradient_vjp(energy_grad, " in gradient.source, gradient.source


def test_a_gradient_made_in_the_code_is_made_once_and_called_by_its_name():
    x, v = _random(5, 5, seed=3)
    gradient = srcgrad.grad(made_inline, wrt=("x", "v"))
    value, (dx, dv) = gradient(x, v)
    assert np.isclose(value, directional(x, v)) and np.allclose(dx, srcgrad.hvp(energy)(x, v))
    assert "energy_grad = " not in gradient.source  # no code makes it: it is bound into the code
    assert "gradient_vjp(energy_grad, " in gradient.source, gradient.source


def made_from_a_parameter(x, which):
    return np.sum(srcgrad.grad(energy, wrt=which, with_value=False)(x))


def made_with_its_value(x):
    value, gradient = srcgrad.grad(energy)(x)
    return value + np.sum(gradient)


def made_of_a_function_inside(x):
    return np.sum(srcgrad.grad(lambda z: np.sum(z**3), with_value=False)(x))


def test_a_gradient_made_from_values_computed_as_the_code_runs_is_refused():
    (x,) = _random(4)
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="`which` is computed as it runs") as info:
        srcgrad.grad(made_from_a_parameter)(x, 0)
    assert "srcgrad.grad(energy, wrt=which" in str(info.value) and "at module level" in str(info.value)
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="with_value=False"):
        srcgrad.grad(made_with_its_value)(x)
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="a function defined inside the code"):
        srcgrad.grad(made_of_a_function_inside)(x)


def test_maml_against_autograd():
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")

    def mse_a(w, X, y):
        return anp.mean((anp.tanh(X @ w) - y) ** 2)

    def maml_a(w, X, y, Xq, yq):
        return mse_a(w - 0.1 * autograd.grad(mse_a)(w, X, y), Xq, yq)

    args = _random(3, (6, 3), 6, (4, 3), 4, seed=2)
    ours = srcgrad.grad(maml, wrt=("w", "X"), with_value=False)(*args)
    theirs = autograd.grad(maml_a, argnum=(0, 1))(*args)
    for a, b in zip(ours, theirs):
        assert np.allclose(a, b, rtol=1e-10, atol=1e-12)


energy_value_and_grad = srcgrad.grad(energy)


def calls_with_value(x):
    value, gradient = energy_value_and_grad(x)
    return value + np.sum(gradient)


energy_hessian = srcgrad.hessian(energy)


def calls_a_hessian(x):
    return np.sum(energy_hessian(x))


def test_what_is_not_differentiated_yet_is_refused_at_the_call():
    (x,) = _random(4)
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="with_value=False") as info:
        srcgrad.grad(calls_with_value)(x)
    assert "test_gradient_calls.py" in str(info.value) and "energy_value_and_grad(x)" in str(info.value)
    with pytest.raises(srcgrad.NoRuleError, match="not yet of a HessianFunction"):
        srcgrad.grad(calls_a_hessian)(x)
