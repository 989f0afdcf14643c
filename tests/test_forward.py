"""Forward mode and higher order: jvp, vjp, hvp, hessian, jacobian, grad of a grad.

Forward mode is checked against reverse mode (<gradient, v> = jvp(v), the gradients themselves
being checked against finite differences elsewhere), and second derivatives against central
differences of srcgrad's own gradients.
"""

import inspect

import numpy as np
import pytest
from test_corpus import _args, _working

import srcgrad

# ---------------------------------------------------------------------------------------------
# Programs


def cubic(x):
    return x**3 + x**2 + x + 5


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def xor_loss(W1, B1, W2, B2, X, Y):
    H1 = np.maximum(X @ W1 + B1, 0.2 * (X @ W1 + B1))
    Out = 1 / (1 + np.exp(-(H1 @ W2 + B2)))
    return np.sum((Y - Out) ** 2)


def squash(x, A):
    return np.tanh(A @ x) * x[0]


def identity(x):
    return x


def constant_in_x(x, y):
    return np.sum(y**2)


def with_default(x, scale=2.0):
    return np.sum(np.exp(x) * scale)


def damped(x, w, n):
    for i in range(n):
        if np.sum(x) > 0:
            x = np.tanh(x * w) - 0.1
        else:
            x = x * w + 0.2
    return np.sum(x**2)


def two_derivatives(x, y):
    return np.sum(np.exp(x)) * np.sum(y**2)


def _xor_args(rng):
    return (
        rng.normal(size=(2, 3)),
        rng.normal(size=3),
        rng.normal(size=(3, 1)),
        rng.normal(size=1),
        rng.normal(size=(4, 2)),
        rng.uniform(size=(4, 1)),
    )


@pytest.fixture
def rng():
    return np.random.default_rng(5)


# ---------------------------------------------------------------------------------------------
# The seed tutorial and the API


def test_second_derivative_of_the_tutorial_polynomial():
    d2 = srcgrad.grad(srcgrad.grad(cubic, with_value=False))
    assert d2(3.0) == (34.0, 20.0)
    assert srcgrad.grad(srcgrad.grad(cubic, with_value=False), with_value=False)(3.0) == 20.0
    value, slope = srcgrad.jvp(cubic)(3.0, 1.0)
    assert (value, slope) == (44.0, 34.0) and type(slope) is float


def test_jvp_source_is_readable_forward_code():
    source = srcgrad.jvp(cubic).source
    assert source.splitlines()[0] == "def cubic_jvp(x, dx):"
    assert "return cubic, dcubic" in source


def test_jvp_of_xor_matches_the_gradient_in_every_direction(rng):
    args = _xor_args(rng)
    wrt = ("W1", "B1", "W2", "B2")
    f = srcgrad.jvp(xor_loss, wrt=wrt)
    _, grads = srcgrad.grad(xor_loss, wrt=wrt)(*args)
    for _ in range(3):
        vs = [rng.normal(size=a.shape) for a in args[:4]]
        value, tangent = f(*args, *vs)
        assert value == pytest.approx(xor_loss(*args))
        assert tangent == pytest.approx(sum(np.sum(g * v) for g, v in zip(grads, vs)), rel=1e-10)


def test_tangents_by_keyword_and_after_defaults():
    f = srcgrad.jvp(with_default)
    assert f.tangent_names == ["dx"]
    x = np.array([0.1, 0.2])
    value, tangent = f(x, dx=np.ones(2))
    assert tangent == pytest.approx(2.0 * np.sum(np.exp(x)))
    assert f(x, 3.0, dx=np.ones(2))[1] == pytest.approx(3.0 * np.sum(np.exp(x)))


def test_a_tangent_of_the_wrong_shape_is_refused():
    with pytest.raises(srcgrad.ArgumentTypeError, match=r"tangent for 'x' has shape \(3,\)"):
        srcgrad.jvp(rosenbrock)(np.ones(4), np.ones(3))


def test_missing_tangents_are_a_type_error_naming_them():
    with pytest.raises(TypeError, match="a tangent for each of x"):
        srcgrad.jvp(rosenbrock)(np.ones(4))


def test_the_tangent_never_is_an_argument_array():
    v = np.ones(3)
    value, tangent = srcgrad.jvp(identity)(np.zeros(3), v)
    assert np.array_equal(tangent, v) and tangent is not v and not np.shares_memory(tangent, v)


def test_a_value_no_parameter_reaches_has_zero_tangent():
    value, tangent = srcgrad.jvp(constant_in_x)(np.ones(2), np.ones(3), np.ones(2))
    assert tangent == 0.0


def test_array_valued_function(rng):
    x, A = rng.normal(size=4), rng.normal(size=(5, 4))
    v = rng.normal(size=4)
    value, tangent = srcgrad.jvp(squash)(x, A, v)
    h = 1e-6
    fd = (squash(x + h * v, A) - squash(x - h * v, A)) / (2 * h)
    assert tangent.shape == value.shape == (5,)
    np.testing.assert_allclose(tangent, fd, rtol=1e-7, atol=1e-9)


def test_vjp_seeds_the_reverse_pass_with_the_cotangent(rng):
    x, A = rng.normal(size=4), rng.normal(size=(5, 4))
    u = rng.normal(size=5)
    f = srcgrad.vjp(squash)
    assert f.cotangent_name == "dsquash"
    assert "def squash_vjp(x, A, dsquash):" in f.source
    value, dx = f(x, A, u)
    np.testing.assert_allclose(value, squash(x, A))
    for v in np.eye(4):  # <u, J v> = <J^T u, v>
        _, jv = srcgrad.jvp(squash)(x, A, v)
        assert np.dot(u, jv) == pytest.approx(np.dot(dx, v), rel=1e-10)


def test_vjp_refuses_a_cotangent_of_another_shape(rng):
    with pytest.raises(srcgrad.ArgumentTypeError, match=r"cotangent dsquash has shape \(3,\)"):
        srcgrad.vjp(squash)(np.ones(4), np.ones((5, 4)), np.ones(3))


def test_jacobian_forward_and_reverse_agree(rng):
    x = rng.normal(size=4)
    tall, wide = rng.normal(size=(6, 4)), rng.normal(size=(2, 4))
    for A, mode in ((tall, "forward"), (wide, "reverse")):
        J = srcgrad.jacobian(squash)
        result = J(x, A)
        assert J.last_mode == mode and result.shape == (A.shape[0], 4)
        h = 1e-6
        fd = np.stack([(squash(x + h * e, A) - squash(x - h * e, A)) / (2 * h) for e in np.eye(4)], axis=1)
        np.testing.assert_allclose(result, fd, rtol=1e-6, atol=1e-8)


def test_hessian_is_symmetric_and_matches_differences_of_gradients(rng):
    x = np.array([1.2, 0.8, -0.5, 2.0])
    H = srcgrad.hessian(rosenbrock)(x)
    np.testing.assert_allclose(H, H.T, rtol=1e-12, atol=1e-12)
    g = srcgrad.grad(rosenbrock, with_value=False)
    h = 1e-6
    fd = np.stack([(g(x + h * e) - g(x - h * e)) / (2 * h) for e in np.eye(4)], axis=1)
    np.testing.assert_allclose(H, fd, rtol=1e-6, atol=1e-5)


def test_hessian_blocks_of_two_parameters(rng):
    x, y = rng.normal(size=2), rng.normal(size=3)
    H = srcgrad.hessian(two_derivatives, wrt=("x", "y"))(x, y)
    assert [[b.shape for b in row] for row in H] == [[(2, 2), (2, 3)], [(3, 2), (3, 3)]]
    np.testing.assert_allclose(H[0][1], H[1][0].T, rtol=1e-12)
    np.testing.assert_allclose(H[0][0], np.diag(np.exp(x) * np.sum(y**2)), rtol=1e-12)
    np.testing.assert_allclose(H[0][1], 2 * np.outer(np.exp(x), y), rtol=1e-12)
    np.testing.assert_allclose(H[1][1], 2 * np.sum(np.exp(x)) * np.eye(3), rtol=1e-12)


def test_hvp_on_xor_costs_one_pass_and_matches_the_hessian(rng):
    args = _xor_args(rng)
    wrt = ("W1", "B1", "W2", "B2")
    vs = [rng.normal(size=a.shape) for a in args[:4]]
    products = srcgrad.hvp(xor_loss, wrt=wrt)(*args, *vs)
    g = srcgrad.grad(xor_loss, wrt=wrt, with_value=False)
    h = 1e-6
    plus = g(*[a + h * v for a, v in zip(args[:4], vs)], *args[4:])
    minus = g(*[a - h * v for a, v in zip(args[:4], vs)], *args[4:])
    for p, a, b in zip(products, plus, minus):
        np.testing.assert_allclose(p, (a - b) / (2 * h), rtol=1e-5, atol=1e-7)


def test_mixed_second_derivative_by_grad_of_grad():
    d_dx = srcgrad.grad(two_derivatives, wrt="x", with_value=False)
    x = np.array([0.3])
    mixed = srcgrad.grad(d_dx, wrt="y", with_value=False)(x, np.array([0.5, -1.0]))
    np.testing.assert_allclose(mixed, 2 * np.exp(0.3) * np.array([0.5, -1.0]), rtol=1e-12)


def test_grad_of_a_grad_that_returns_the_value_too_is_refused():
    with pytest.raises(srcgrad.SrcgradError, match="with_value=False"):
        srcgrad.grad(srcgrad.grad(cubic))


def test_grad_of_a_gradient_that_is_not_one_number_is_refused():
    with pytest.raises(srcgrad.NonScalarOutputError, match="one number"):
        srcgrad.grad(srcgrad.grad(rosenbrock, with_value=False))(np.ones(3))


def test_through_loops_and_branches(rng):
    x, w = rng.normal(size=3), rng.normal(size=3)
    v = rng.normal(size=3)
    _, g = srcgrad.grad(damped, wrt=("x", "w"))(x, w, 4)
    value, tangent = srcgrad.jvp(damped, wrt=("x", "w"))(x, w, 4, v, v)
    assert tangent == pytest.approx(np.dot(g[0], v) + np.dot(g[1], v), rel=1e-10)
    hv = srcgrad.hvp(damped, wrt="x")(x, w, 4, v)
    gx = srcgrad.grad(damped, wrt="x", with_value=False)
    h = 1e-6
    fd = (gx(x + h * v, w, 4) - gx(x - h * v, w, 4)) / (2 * h)
    np.testing.assert_allclose(hv, fd, rtol=1e-5, atol=1e-7)


def test_a_tangent_rule_registered_by_the_user(rng):
    from srcgrad import rules

    def softplus(z):
        return np.log1p(np.exp(z))

    saved = dict(rules.ADJOINTS), dict(rules.TANGENTS), set(rules.NONDIFFERENTIABLE)
    try:

        @srcgrad.extend.tangent(softplus)
        def softplus_tangent(t, z):
            dz = t / (1 + np.exp(-z))

        def uses_softplus(x):
            return np.sum(softplus(x) ** 2)

        globals()["softplus"] = softplus
        x, v = rng.normal(size=3), rng.normal(size=3)
        value, tangent = srcgrad.jvp(uses_softplus)(x, v)
        s, ds = np.log1p(np.exp(x)), 1 / (1 + np.exp(-x))
        assert tangent == pytest.approx(np.sum(2 * s * ds * v), rel=1e-12)
    finally:
        rules.ADJOINTS.clear(), rules.ADJOINTS.update(saved[0])
        rules.TANGENTS.clear(), rules.TANGENTS.update(saved[1])
        rules.NONDIFFERENTIABLE.clear(), rules.NONDIFFERENTIABLE.update(saved[2])
        rules.registry.version += 1
        globals().pop("softplus", None)


# ---------------------------------------------------------------------------------------------
# The corpus: every program srcgrad differentiates, in forward mode and forward over reverse


def _plain(case) -> bool:
    """Parameters differentiated are floats or arrays (forward mode takes no dicts and lists)."""
    args = _args(case)
    names = list(inspect.signature(case.func).parameters)
    wrt = case.wrt if isinstance(case.wrt, (tuple, list)) else (case.wrt,)
    return all(isinstance(args[names.index(w)], (float, np.ndarray)) for w in wrt if w in names)


CORPUS = [c for c in _working() if _plain(c)]


def _directions(case, args, rng):
    names = list(inspect.signature(case.func).parameters)
    wrt = case.wrt if isinstance(case.wrt, (tuple, list)) else (case.wrt,)
    params = [args[names.index(w)] for w in wrt]
    return wrt, params, [rng.normal(size=np.shape(p)) if np.ndim(p) else float(rng.normal()) for p in params]


@pytest.mark.parametrize("case", [c.param() for c in CORPUS])
def test_jvp_agrees_with_the_gradient_on_the_corpus(case):
    args = _args(case)
    rng = np.random.default_rng(3)
    wrt, params, vs = _directions(case, args, rng)
    _, grads = srcgrad.grad(case.func, wrt=tuple(wrt))(*args)
    f = srcgrad.jvp(case.func, wrt=tuple(wrt))
    value, tangent = f(*args, **dict(zip(f.tangent_names, vs)))
    expected = sum(float(np.sum(np.asarray(g) * v)) for g, v in zip(grads, vs))
    scale = sum(float(np.linalg.norm(np.ravel(g)) * np.linalg.norm(np.ravel(v))) for g, v in zip(grads, vs))
    assert abs(tangent - expected) <= 1e-9 * (1 + scale), (tangent, expected)


@pytest.mark.parametrize("case", [c.param() for c in CORPUS])
def test_hvp_agrees_with_differences_of_gradients_on_the_corpus(case):
    args = list(_args(case))
    rng = np.random.default_rng(4)
    wrt, params, vs = _directions(case, args, rng)
    names = list(inspect.signature(case.func).parameters)
    products = srcgrad.hvp(case.func, wrt=tuple(wrt))(*args, *vs)
    g = srcgrad.grad(case.func, wrt=tuple(wrt), with_value=False)
    h = 1e-6

    def moved(sign):
        shifted = list(args)
        for w, v in zip(wrt, vs):
            shifted[names.index(w)] = shifted[names.index(w)] + sign * h * v
        return g(*shifted)

    plus, minus = moved(1), moved(-1)
    for p, a, b in zip(products, plus, minus):
        fd = (np.asarray(a) - np.asarray(b)) / (2 * h)
        scale = 1 + float(np.max(np.abs(fd)))
        np.testing.assert_allclose(p, fd, rtol=1e-4, atol=1e-5 * scale)


def with_a_dict(params, x):
    return np.sum(params["a"] * x)


@pytest.mark.parametrize("make", [srcgrad.hvp, srcgrad.hessian, srcgrad.jacobian])
def test_dict_parameters_are_refused_by_forward_mode_with_a_reason(make):
    # jvp and vjp take them (tests/test_products_structures.py); what is built on them does not yet
    tail = {"hvp": ({"a": np.ones(2)},)}.get(make.__name__, ())
    refused = "params is a dict.*not supported in forward mode"
    with pytest.raises(srcgrad.ArgumentTypeError, match=refused):
        make(with_a_dict)({"a": np.ones(2)}, np.ones(2), *tail)


def newton_sqrt(a):
    x = a
    for _ in range(8):
        x = 0.5 * (x + a / x)
    return x


def cube_of_helper(x):
    return softened(x) ** 3


def softened(z):
    return np.tanh(z) + 0.5 * z


def with_aux(x):
    y = np.sum(np.sin(x))
    return y, x * 2.0


def test_second_derivative_through_a_loop_and_through_a_helper():
    d2 = srcgrad.grad(srcgrad.grad(newton_sqrt, with_value=False))
    first, second = d2(2.0)
    assert first == pytest.approx(0.5 / 2**0.5, rel=1e-12)
    assert second == pytest.approx(-0.25 * 2**-1.5, rel=1e-10)
    assert type(second) is float
    d2h = srcgrad.grad(srcgrad.grad(cube_of_helper, with_value=False), with_value=False)
    s, ds = np.tanh(0.3) + 0.15, 1 - np.tanh(0.3) ** 2 + 0.5
    dds = -2 * np.tanh(0.3) * (1 - np.tanh(0.3) ** 2)
    assert d2h(0.3) == pytest.approx(6 * s * ds**2 + 3 * s**2 * dds, rel=1e-12)


def test_jvp_with_aux_returns_it_beside_the_value(rng):
    x, v = rng.normal(size=3), rng.normal(size=3)
    (value, aux), tangent = srcgrad.jvp(with_aux, has_aux=True)(x, v)
    np.testing.assert_allclose(aux, 2 * x)
    assert tangent == pytest.approx(np.sum(np.cos(x) * v), rel=1e-12)


def test_jvp_of_a_grad_gives_the_tangent_of_value_and_gradient(rng):
    x, v = np.array([1.2, 0.8, -0.5, 2.0]), rng.normal(size=4)
    g = srcgrad.grad(rosenbrock)
    (value, gradient), (dvalue, hv) = srcgrad.jvp(g)(x, v)
    assert dvalue == pytest.approx(np.dot(gradient, v), rel=1e-12)
    np.testing.assert_allclose(hv, srcgrad.hessian(rosenbrock)(x) @ v, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# Found by the fuzzer's forward and second-order checks: each raised inside generated code


def unused_parameter(x, X):
    return np.sum(X)


def stacked_tanh(x):
    return np.sum(np.stack([np.tanh(t) for t in x]))


def accumulated_in_a_branch(x, Y):
    h = np.sum(x)
    if Y > 0.0:
        acc = 0.0
        for t in range(2):
            acc = acc + h
        h = acc
    return h


def constant_from_one_branch(x, X):
    if np.sum(x) > 0.0:
        t = np.tanh(X)
        h = np.vstack((t, t + x))
    else:
        h = np.zeros((2, 4)) + x
    return np.sum(np.tanh(h))


def first_assigned_in_a_loop(x):
    h2 = x * np.ones(3)
    for i in range(1):
        h4 = h2
    for i in range(2):
        h5 = h4 @ h2
        h4 = np.tanh(h4)
    return h5


def _hvp_matches_differences(f, args, v, wrt="x"):
    g = srcgrad.grad(f, wrt=wrt, with_value=False)
    h = 1e-6
    i = list(inspect.signature(f).parameters).index(wrt)
    plus, minus = list(args), list(args)
    plus[i], minus[i] = args[i] + h * v, args[i] - h * v
    np.testing.assert_allclose(
        srcgrad.hvp(f, wrt=wrt)(*args, v), (g(*plus) - g(*minus)) / (2 * h), rtol=1e-5, atol=1e-7
    )


def test_a_gradient_with_no_tangent_gives_zeros():
    # the tangent of (value, gradients) was np.zeros_like of a tuple
    assert srcgrad.hvp(unused_parameter)(0.5, np.ones((2, 3)), 1.0) == 0.0
    np.testing.assert_array_equal(srcgrad.hvp(unused_parameter)(np.ones(2), np.ones(3), np.ones(2)), 0.0)


def test_a_list_the_gradients_code_builds_is_read_back_as_a_list():
    # `parts + [item]` in grad's code was read back as a stack, then as a tuple
    _hvp_matches_differences(stacked_tanh, (np.array([0.5, -0.3]),), np.array([1.0, 0.0]))


def test_names_none_on_another_path_get_real_tangents():
    # the lowering's `acc = None` (before the loop, in the branch that does not assign) gave the
    # tangent None on every path
    assert srcgrad.jvp(accumulated_in_a_branch, wrt="x")(np.array([0.5, 0.2]), 1.0, np.ones(2)) == (1.4, 4.0)
    x, X = np.array([0.5, -0.2, 0.3, 0.9]), np.array([0.1, 0.4, -0.6, 0.7])
    row = np.tanh(np.tanh(X) + x)
    _, tangent = srcgrad.jvp(constant_from_one_branch, wrt="x")(x, X, np.ones(4))
    assert tangent == pytest.approx(np.sum(1 - row**2), rel=1e-12)
    _hvp_matches_differences(constant_from_one_branch, (x, X), np.ones(4))
    value, tangent = srcgrad.jvp(first_assigned_in_a_loop)(0.7, 1.0)
    _, expected = srcgrad.grad(first_assigned_in_a_loop)(0.7)
    assert tangent == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "make",
    [
        lambda: srcgrad.grad(srcgrad.grad(cubic, with_value=False)),
        lambda: srcgrad.jvp(cubic),
        lambda: srcgrad.hvp(cubic),
        lambda: srcgrad.hessian(cubic),
        lambda: srcgrad.jacobian(cubic),
    ],
)
def test_third_derivatives_are_refused_with_a_reason(make):
    with pytest.raises(srcgrad.SrcgradError, match="third derivatives"):
        srcgrad.grad(make())


def test_dask_arrays_are_refused_by_forward_mode_with_a_reason():
    da = pytest.importorskip("dask.array")
    x = da.from_array(np.ones(4), chunks=2)
    for call in (lambda: srcgrad.jvp(rosenbrock)(x, x), lambda: srcgrad.hessian(rosenbrock)(x)):
        with pytest.raises(srcgrad.UnsupportedBackendError, match="NumPy arrays and floats for now.*dask"):
            call()
