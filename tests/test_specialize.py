"""Shape specialisation and the fast entry: exact shapes inferred from one call's arguments,
the code they let srcgrad write, and the generated entry point calls settle into."""

import functools
import inspect

import corpus as C
import numpy as np
import pytest
from test_corpus import _args, _working

import srcgrad
import srcgrad.extend
from srcgrad.analyses.exact import INT, infer
from srcgrad.errors import NonFiniteGradientError, NonScalarOutputError
from srcgrad.frontend import read_function
from srcgrad.functions.arguments import structures_of
from srcgrad.functions.compiled import SPECIALIZE_LIMIT
from srcgrad.functions.gradient import GradFunction
from srcgrad.functions.products import JvpFunction
from srcgrad.testing import check_grads
from srcgrad.transformations.anf import lower


def _exact(f, **shapes):
    return infer(lower(read_function(f)), shapes)


# ---------------------------------------------------------------------------------------------
# The inference.


def layers(X, W, b, c):
    Z = X @ W + b
    S = np.sum(Z, axis=0, keepdims=True)
    T = Z.T
    R = np.reshape(Z, (-1,))
    M = np.mean(Z, axis=(0, 1))
    v = W @ c
    return np.sum(S) + np.sum(T) + np.sum(R) + M + np.sum(v)


def test_shapes_follow_numpys_rules_for_products_broadcasts_and_reductions():
    shapes = _exact(layers, X=(4, 2), W=(2, 3), b=(3,), c=(3,))
    assert shapes["Z"] == (4, 3)
    assert shapes["S"] == (1, 3)
    assert shapes["T"] == (3, 4)
    assert shapes["R"] == (12,)
    assert shapes["M"] == ()
    assert shapes["v"] == (2,)


def loop_with_zeros(W, xs):
    h = np.zeros((xs.shape[1], W.shape[0]))
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h)
    return np.sum(h)


def test_a_loop_carried_value_keeps_its_shape_and_sizes_come_from_shapes():
    shapes = _exact(loop_with_zeros, W=(5, 5), xs=(7, 3, 5))
    assert shapes["h"] == (3, 5) and shapes["t"] == INT
    assert shapes["xs_t"] == (3, 5)


def differs_by_branch(x, flag):
    if flag:
        y = np.sum(x, axis=0)
    else:
        y = x
    return np.sum(y)


def growing(x, n):
    acc = x
    for _ in range(n):
        acc = np.concatenate([acc, x])
    return np.sum(acc)


def test_a_name_whose_shape_depends_on_the_run_is_left_unknown():
    assert "y" not in _exact(differs_by_branch, x=(3, 4))
    assert "acc" not in _exact(growing, x=(3,))


# ---------------------------------------------------------------------------------------------
# The code written from the shapes.


def xor_loss(W1, B1, W2, B2, X, Y):
    Z1 = X @ W1 + B1
    H = np.maximum(Z1, 0.2 * Z1)
    Out = 1 / (1 + np.exp(-(H @ W2 + B2)))
    return np.sum((Y - Out) ** 2)


def _xor(rng=None):
    rng = rng or np.random.default_rng(0)
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    Y = np.array([[0.0], [1.0], [1.0], [0.0]])
    return rng.normal(size=(2, 20)), rng.normal(size=20), rng.normal(size=(20, 1)), rng.normal(size=1), X, Y


def test_xor_code_for_its_shapes_reads_like_a_hand_written_backward_pass():
    g = srcgrad.grad(xor_loss, wrt=("W1", "B1", "W2", "B2"))
    general = g.source
    assert "unbroadcast(" in general and "matmul_dy(" in general
    g(*_xor())
    code = g.source
    for line in ("dB2 = dadd.sum(axis=0)", "dH = dadd @ W2.T", "dW2 = H.T @ dadd", "dW1 = X.T @ dZ1"):
        assert line in code
    assert "np.where(mask, dH, 0.2 * dH)" in code
    assert "unbroadcast" not in code and "matmul_d" not in code


def sums_to_every_shape(x, a, b, c):
    return np.sum(np.sin(x + a) * (x + b) * (x + c))


@pytest.mark.parametrize(
    "a, b, c, forms",
    [
        (
            (4,),
            (3, 1),
            (2, 1, 1),
            [
                "dadd.sum(axis=(0, 1))",
                ".sum(axis=(0, 2)).reshape((3, 1))",
                ".sum(axis=(1, 2), keepdims=True)",
            ],
        ),
        ((1, 4), (1, 1), (), [".sum(axis=(0, 1)).reshape((1, 4))", "mul.sum()"]),
        ((3, 1), (1, 3, 4), (4,), ["dadd_2.sum(axis=0, keepdims=True)", "mul.sum(axis=(0, 1))"]),
    ],
)
def test_broadcast_gradients_are_summed_once_and_are_right(a, b, c, forms):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 3, 4))
    args = [x] + [rng.normal(size=s) if s else 0.7 for s in (a, b, c)]
    g = srcgrad.grad(sums_to_every_shape, wrt=("x", "a", "b", "c"))
    g(*args)
    assert "unbroadcast" not in g.source
    for form in forms:
        assert form in g.source
    check_grads(sums_to_every_shape, *args, wrt=("x", "a", "b", "c"))


def products(A, v, u):
    return np.sum(np.tanh(A @ v) * (u @ A.T)) + (v @ v)


def test_matrix_vector_products_are_written_out_and_are_right():
    rng = np.random.default_rng(4)
    args = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=4)
    g = srcgrad.grad(products, wrt=("A", "v", "u"))
    g(*args)
    assert "matmul_d" not in g.source and "np.outer(" in g.source
    check_grads(products, *args, wrt=("A", "v", "u"))


def _leaves(value):
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, (tuple, list)):
        return [x for v in value for x in _leaves(v)]
    return [value]


@pytest.mark.parametrize("case", [c.param() for c in _working()])
def test_specialised_and_general_code_agree_on_the_corpus(case):
    args = _args(case)
    g = srcgrad.grad(case.func, wrt=case.wrt)
    bound = g.signature.bind(*args)
    structures = structures_of(g.wrt, [bound.arguments[w] for w in g.wrt])  # nested: its leaves' shapes too
    general = g.variant(structures).compiled(*args)
    for _ in range(3):  # the third call goes through the fast entry, where there is one
        specialised = g(*args)
    for a, b in zip(_leaves(general), _leaves(specialised)):
        np.testing.assert_allclose(
            np.asarray(b, dtype=float), np.asarray(a, dtype=float), rtol=1e-11, atol=1e-13
        )


# ---------------------------------------------------------------------------------------------
# The fast entry.


def _fast(g):
    return type(g).__call__ is not GradFunction.__call__


def test_the_second_call_with_the_same_shapes_installs_the_entry_and_results_stay_right():
    g = srcgrad.grad(xor_loss, wrt=("W1", "B1", "W2", "B2"))
    args = _xor()
    first = g(*args)
    assert not _fast(g)
    g(*args)
    assert _fast(g)
    third = g(*args)
    assert third[0] == first[0]
    for a, b in zip(first[1], third[1]):
        np.testing.assert_array_equal(a, b)
        assert a is not b


def test_other_shapes_dtypes_and_keywords_take_the_general_path_and_stay_right():
    g = srcgrad.grad(xor_loss, wrt=("W1", "B1", "W2", "B2"))
    args = _xor()
    g(*args), g(*args)
    W1, B1, W2, B2, X, Y = args
    check = lambda *a, **k: check_grads(xor_loss, *a, wrt=("W1", "B1", "W2", "B2"), **k)  # noqa: E731
    value, grads = g(W1, B1, W2, B2, X[:3], Y[:3])  # other shapes
    assert np.isclose(value, xor_loss(W1, B1, W2, B2, X[:3], Y[:3]))
    check(W1, B1, W2, B2, X[:3], Y[:3])
    f32 = [a.astype(np.float32) for a in args]
    value, grads = g(*f32)
    assert [d.dtype for d in grads] == [np.float32] * 4
    value, grads = g(W1, B1, W2=W2, B2=B2, X=X, Y=Y)  # keywords bind as in the user's function
    np.testing.assert_array_equal(grads[0], g(*args)[1][0])


def shares(x, y):
    return np.sum(x * y)


def sums(a, b):
    return np.sum(a + b)


def test_a_gradient_that_is_an_argument_or_another_gradient_is_still_copied():
    x, y = np.ones(3), np.arange(3.0)
    g = srcgrad.grad(shares, wrt="x")
    for _ in range(3):
        dx = g(x, y)[1]
        assert dx is not y and not np.shares_memory(dx, y)
    h = srcgrad.grad(sums, wrt=("a", "b"))
    for _ in range(3):
        da, db = h(x, y)[1]
        assert da is not db and not np.shares_memory(da, db)


def inverse(A):
    return np.sum(np.linalg.inv(A))


def test_an_error_inside_the_fast_entry_is_the_functions_own():
    g = srcgrad.grad(inverse)
    A = np.eye(2) + 0.1
    g(A), g(A)
    assert _fast(g)
    with pytest.raises(np.linalg.LinAlgError) as info:
        g(np.ones((2, 2)))
    assert "Singular" in str(info.value)


def log_of(x):
    return np.sum(np.log(x))


@pytest.mark.filterwarnings("ignore:divide by zero encountered:RuntimeWarning")  # log(0), on purpose
def test_check_finite_still_raises_through_the_fast_entry():
    g = srcgrad.grad(log_of, check_finite=True)
    g(np.ones(3)), g(np.ones(3))
    assert _fast(g)
    with pytest.raises(NonFiniteGradientError):
        g(np.array([1.0, 0.0, 2.0]))


def keeps_axis(x):
    return np.sum(x, axis=0)


def test_a_non_scalar_result_is_refused_on_every_path():
    g = srcgrad.grad(keeps_axis)
    g(np.ones((3, 1))), g(np.ones((3, 1)))  # a 1-element result is a scalar
    with pytest.raises(NonScalarOutputError):
        g(np.ones((3, 2)))


def scaled(x):
    return np.sum(SCALE * x)


SCALE = 2.0


def test_a_global_the_code_reads_and_a_new_rule_still_take_effect(monkeypatch):
    g = srcgrad.grad(scaled)
    x = np.ones(2)
    g(x), g(x)
    monkeypatch.setattr(inspect.getmodule(scaled), "SCALE", 3.0)
    np.testing.assert_array_equal(g(x)[1], [3.0, 3.0])

    srcgrad.extend.adjoint(my_sin)(_sin_rule)
    s = srcgrad.grad(sines)
    s(x), s(x)
    assert _fast(s)
    np.testing.assert_allclose(s(x)[1], np.cos(x))
    srcgrad.extend.adjoint(my_sin)(_doubled_rule)  # a new rule makes the code generated before stale
    np.testing.assert_allclose(s(x)[1], 2 * np.cos(x))


my_sin = functools.partial(np.sin)  # not a def: srcgrad looks up a rule rather than inlining it


def _sin_rule(g, x):
    dx = g * np.cos(x)  # noqa: F841


def _doubled_rule(g, x):
    dx = 2 * g * np.cos(x)  # noqa: F841


def sines(x):
    return np.sum(my_sin(x))


def test_python_floats_get_floats_back_and_numpy_scalars_their_type():
    g = srcgrad.grad(C.polynomial)
    for _ in range(3):
        value, dx = g(3.0)
        assert (value, dx) == (44.0, 34.0) and type(dx) is float
    value, dx = g(np.float64(3.0))
    assert dx == 34.0 and type(dx) is np.float64


def test_past_the_limit_new_shapes_get_the_general_code():
    g = srcgrad.grad(log_of)
    for n in range(1, SPECIALIZE_LIMIT + 4):
        x = np.arange(1.0, n + 1)
        np.testing.assert_allclose(g(x)[1], 1 / x)
    assert len(g._shaped) == SPECIALIZE_LIMIT


def test_with_value_false_has_the_same_form_through_the_entry():
    g = srcgrad.grad(shares, wrt=("x", "y"), with_value=False)
    x, y = np.ones(3), np.arange(3.0)
    results = [g(x, y) for _ in range(3)]
    for dx, dy in results:
        np.testing.assert_array_equal(dx, y)
        np.testing.assert_array_equal(dy, x)


# The fast entry of jvp: the same machinery (functions/compiled.py), its own outputs.


def _jvp_fast(j):
    return type(j).__call__ is not JvpFunction.__call__


def scaled_tanh(x, y, scale=2.0):
    return np.tanh(x * y) * scale


def product(x, y):
    return x * y


def itself(x, y):
    return x


def test_jvp_installs_an_entry_on_the_second_call_and_gives_what_the_general_path_gives():
    j = srcgrad.jvp(scaled_tanh, wrt=("x", "y"))
    x, y, dx, dy = np.linspace(-1, 1, 4), np.full(4, 0.5), np.ones(4), np.arange(4.0)
    slow = j(x, y, dx=dx, dy=dy)  # keywords: `scale` has a default, so the tangents follow it
    assert not _jvp_fast(j)
    j(x, y, dx=dx, dy=dy)
    assert _jvp_fast(j)
    for k in range(3):  # new values of the same shapes go through the entry
        value, tangent = j(x + k, y, dx=dx, dy=dy * k)
        expected = 2 * (1 - np.tanh((x + k) * y) ** 2) * (dx * y + (x + k) * dy * k)
        np.testing.assert_allclose(value, scaled_tanh(x + k, y))
        np.testing.assert_allclose(tangent, expected)
    again = j(x, y, 2.0, dy=dy, dx=dx)  # any order of keywords, the default passed
    np.testing.assert_array_equal(again[1], slow[1])
    assert again[1] is not slow[1]


def test_jvp_on_floats_through_the_entry_returns_floats():
    j = srcgrad.jvp(product, wrt=("x", "y"))
    results = [j(3.0, 2.0, 1.0, 0.5) for _ in range(3)]
    assert _jvp_fast(j)
    assert results == [(6.0, 3.5)] * 3 and all(type(t) is float for _, t in results)
    assert j(3.0, 2.0, 1, 0) == (6.0, 2.0)  # an int tangent takes the general path: a float back


def test_jvp_never_returns_a_tangent_passed_in():
    j = srcgrad.jvp(itself, wrt="x")
    x, y, dx = np.ones(3), np.zeros(3), np.arange(3.0)
    for _ in range(3):
        _, tangent = j(x, y, dx)
        assert tangent is not dx and not np.shares_memory(tangent, dx)
        np.testing.assert_array_equal(tangent, dx)


def test_jvp_other_shapes_and_dtypes_take_the_general_path():
    j = srcgrad.jvp(scaled_tanh, wrt="x")
    x, y = np.ones(3), np.full(3, 0.5)
    j(x, y, dx=np.ones(3)), j(x, y, dx=np.ones(3))
    assert _jvp_fast(j)
    value, tangent = j(np.ones(5), 0.5, dx=np.ones(5))
    assert tangent.shape == (5,)
    value, tangent = j(x.astype(np.float32), np.float32(0.5), dx=np.ones(3, np.float32))
    assert tangent.dtype == np.float32
    with pytest.raises(srcgrad.ArgumentTypeError, match="shape"):
        j(x, y, dx=np.ones(4))  # a tangent of another shape: refused, as before the entry


def test_an_error_inside_the_jvp_entry_is_the_functions_own():
    j = srcgrad.jvp(inverse)
    A = np.eye(2) + 0.1
    j(A, np.ones((2, 2))), j(A, np.ones((2, 2)))
    assert _jvp_fast(j)
    with pytest.raises(np.linalg.LinAlgError, match="Singular"):
        j(np.ones((2, 2)), np.ones((2, 2)))


def test_jvp_of_a_grad_and_with_aux_keep_the_general_path():
    hv = srcgrad.jvp(srcgrad.grad(log_of, with_value=False))
    for _ in range(3):
        np.testing.assert_allclose(hv(np.ones(3) * 2, np.ones(3))[1], -np.ones(3) / 4)
    assert not _jvp_fast(hv)


# ---------------------------------------------------------------------------------------------
# Memory: what the backward pass keeps alive.


def logreg(w, b, X, y):
    p = 1 / (1 + np.exp(-(X @ w + b)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def _logreg_args(n, rng=None):
    rng = rng or np.random.default_rng(5)
    X = rng.normal(size=(n, 3))
    return rng.normal(size=3) * 0.3, 0.1, X, (rng.random(n) < 0.5).astype(float)


def test_a_reciprocal_keeps_only_its_result_for_the_backward_pass():
    g = srcgrad.grad(logreg, wrt=("w", "b"))
    assert "p = 1 / (1 + exp)" in g.source and "p ** 2 * exp" in g.source


def test_large_one_operation_temporaries_are_recomputed_rather_than_kept():
    g = srcgrad.grad(logreg, wrt=("w", "b"))
    small = _logreg_args(50)
    g(*small)
    assert "sub = 1 - y" in g.source  # small: kept, computed once
    check_grads(logreg, *small, wrt=("w", "b"))
    large = _logreg_args(70_000)
    value, (dw, db) = g(*large)
    code = g.source
    assert "(1 - y) / (1 - p)" in code and "\n    sub =" not in code and "\n    add =" not in code
    w, b, X, y = large
    p = 1 / (1 + np.exp(-(X @ w + b)))
    d = (p - y) / y.size  # the hand-written gradient
    np.testing.assert_allclose(dw, d @ X, rtol=1e-10)
    np.testing.assert_allclose(db, d.sum(), rtol=1e-10)


def cancels(x):
    h = x - x
    return np.sum(h) + np.sum(np.tanh(x))


def test_adding_a_negative_literal_becomes_a_subtraction():
    # found by the fuzzer: `a + -1.0` once lost its right-hand side when rewritten as `a - 1.0`
    x = np.array([0.3, -0.2, 0.5])
    check_grads(cancels, x)
    np.testing.assert_allclose(srcgrad.grad(cancels)(x)[1], 1 - np.tanh(x) ** 2)


def _mean_squared_error(w, b, x, y, n):
    z = x @ w + b
    return np.sum((z - y) ** 2) / n


def test_integer_data_and_an_int_count_get_the_specialised_code_and_stay_right():
    """Integer arrays are keyed by their shape, a Python int as an int of any value: the code
    for them has no run-time shape helper and no array of ones, and other ints reuse it."""
    x, y = np.arange(12).reshape(4, 3), np.arange(4)
    grad = srcgrad.grad(_mean_squared_error, wrt=("w", "b"))
    w = np.linspace(-1.0, 1.0, 3)
    grad(w, 0.5, x, y, 4)
    source = grad.source
    assert "unbroadcast" not in source and "ones_like" not in source, source
    for n in (4, 7):
        check_grads(_mean_squared_error, w, 0.5, x, y, n, wrt=("w", "b"))
        value, (dw, db) = grad(w, 0.5, x, y, n)
        residual = x @ w + 0.5 - y
        assert np.allclose(dw, 2 * residual @ x / n) and np.isclose(db, 2 * residual.sum() / n)
    value, (dw, db) = grad(w, 0.5, x, y, 4.0)  # a float count: other code, the same gradient
    assert np.allclose(dw, 2 * (x @ w + 0.5 - y) @ x / 4)
