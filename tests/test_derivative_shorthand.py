"""Rules made from a statement of partial derivatives (`@elementwise` in srcgrad/rules/registry.py,
`srcgrad.extend.elementwise` for users): the gradient and tangent templates made from them, the
broadcasting conventions, the refusals, and user functions differentiated through them.
"""

from __future__ import annotations

import operator

import numpy as np
import pytest

import srcgrad
import srcgrad.extend
from srcgrad import rules
from srcgrad.rules.template import Rule, TangentRule, TemplateError
from srcgrad.syntax import to_source
from srcgrad.testing import check_grads

# ---------------------------------------------------------------------------------------------
# Statements of derivatives, read by the tests below (module-level: a rule reads its source).


def quotient(x):
    dx = 1 / x


def negated(x):
    dx = -np.sin(x)


def product(x):
    dx = 2 * x


def whole(ans, x):
    dx = 1 - ans**2


def constant_quotient(x):
    dx = np.pi / 180


def ratio(x, y):
    dx = x / y


def halved_difference(x):
    dx = (np.cos(x) - np.sin(x)) / 2


def with_option(x, scale=2.0):
    dx = scale


def binary(ans, x, y):
    dx = 1
    dy = -ans / y


def reads_own_operand_only(x, y):
    dx = np.cos(x)
    dy = -1


def with_temporary(ans, x, y):
    r = np.where(ans == 0, 1, ans)
    dx = x / r
    dy = y / r


def order_and_argument(n, x):
    dx = n * x


def no_derivative(x):
    dy = np.cos(x)  # y is no parameter: this is a temporary, and nothing is stated


def names_g(g, x):
    dx = g


def reads_t(x):
    dx = t  # noqa: F821  (refused: a derivative may not read the tangent)


def reads_a_derivative(x, y):
    dx = y
    dy = dx


def _made(template):
    """The lines of the gradient and the tangent template made from `template`."""
    made = []
    for kind in (Rule, TangentRule):
        body = kind(template, (), partials=True).body()
        made.append([f"{s.targets[0].id} = {to_source(s.value)}" for s in body])
    return made


@pytest.mark.parametrize(
    "template, adjoint, tangent",
    [
        (quotient, ["dx = g / x"], ["dx = t / x"]),
        (negated, ["dx = -g * np.sin(x)"], ["dx = -t * np.sin(x)"]),
        (product, ["dx = g * 2 * x"], ["dx = t * 2 * x"]),
        (whole, ["dx = g * (1 - ans ** 2)"], ["dx = t * (1 - ans ** 2)"]),
        (constant_quotient, ["dx = g * (np.pi / 180)"], ["dx = t * (np.pi / 180)"]),
        (
            halved_difference,
            ["dx = g * (np.cos(x) - np.sin(x)) / 2"],
            ["dx = t * (np.cos(x) - np.sin(x)) / 2"],
        ),
        (with_option, ["dx = g * scale"], ["dx = t * scale"]),
        # two operands: gradients summed back to each operand's shape, the minus outside
        (ratio, ["dx = unbroadcast(g * (x / y), x)"], ["dx = t * (x / y)"]),
        (
            binary,
            ["dx = unbroadcast(g, x)", "dy = -unbroadcast(g * ans / y, y)"],
            ["dx = broadcast_like(t, ans)", "dy = -t * ans / y"],
        ),
        # `t * np.cos(x)` has x's shape only: the part is spread to the result's
        (
            reads_own_operand_only,
            ["dx = unbroadcast(g * np.cos(x), x)", "dy = -unbroadcast(g, y)"],
            ["dx = broadcast_like(t * np.cos(x), ans)", "dy = -broadcast_like(t, ans)"],
        ),
        (
            with_temporary,
            [
                "r = np.where(ans == 0, 1, ans)",
                "dx = unbroadcast(g * (x / r), x)",
                "dy = unbroadcast(g * (y / r), y)",
            ],
            ["r = np.where(ans == 0, 1, ans)", "dx = t * (x / r)", "dy = t * (y / r)"],
        ),
        # an operand without a derivative (an order) still broadcasts with the others
        (order_and_argument, ["dx = unbroadcast(g * n * x, x)"], ["dx = t * n * x"]),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_g_and_t_join_the_derivative_as_written(template, adjoint, tangent):
    assert _made(template) == [adjoint, tangent]


def test_the_rules_made_for_the_table_read_as_the_hand_written_ones_did():
    rules.lookup(None)
    lines = lambda rule: [f"{s.targets[0].id} = {to_source(s.value)}" for s in rule.body()]  # noqa: E731
    assert lines(rules.lookup(np.tanh)) == ["dx = g * (1 - ans ** 2)"]
    assert lines(rules.lookup_tangent(np.cos)) == ["dx = -t * np.sin(x)"]
    assert lines(rules.lookup(operator.truediv)) == [
        "dx = unbroadcast(g / y, x)",
        "dy = -unbroadcast(g * ans / y, y)",
    ]
    assert lines(rules.lookup_tangent(operator.truediv)) == ["dx = t / y", "dy = -t * ans / y"]
    assert lines(rules.lookup_tangent(operator.sub)) == [
        "dx = broadcast_like(t, ans)",
        "dy = -broadcast_like(t, ans)",
    ]
    assert rules.lookup(np.tanh).name == "tanh" and rules.lookup_tangent(np.tanh).name == "tanh_tangent"
    # `x + y`'s gradient does not read the result, its tangent does (to spread `t` to its shape)
    assert not rules.lookup(operator.add).uses_ans and rules.lookup_tangent(operator.add).uses_ans


@pytest.mark.parametrize(
    "template, message",
    [
        (names_g, "'g'"),
        (reads_t, "'t'"),
        (reads_a_derivative, "reads another, 'dx'"),
        (no_derivative, "states no derivative"),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_a_statement_of_derivatives_states_derivatives_only(template, message):
    for kind in (Rule, TangentRule):
        with pytest.raises(TemplateError, match=message):
            kind(template, (), partials=True).body()


# ---------------------------------------------------------------------------------------------
# srcgrad.extend.elementwise


@pytest.fixture
def kept_table():
    """The rule table as it was, after the test registered rules of its own."""
    rules.lookup(None)
    saved = dict(rules.ADJOINTS), dict(rules.TANGENTS), set(rules.NONDIFFERENTIABLE)
    yield
    for table, old in zip((rules.ADJOINTS, rules.TANGENTS, rules.NONDIFFERENTIABLE), saved):
        table.clear()
        table.update(old)
    rules.registry.version += 1  # gradients compiled under the test's rules are stale


def softplus(x):
    return np.log1p(np.exp(x))


def softplus_loss(x):
    return np.sum(softplus(x) ** 2)


def scaled_tanh(x, s):
    return s * np.tanh(x)


def scaled_tanh_loss(x, s, w):
    return np.sum(w * scaled_tanh(x, s))


def shifted_sin(x, y):
    return np.sin(x) + y


def shifted_sin_value(x, y):
    return shifted_sin(x, y)


def test_a_user_function_gets_both_rules_from_its_derivatives(kept_table):
    @srcgrad.extend.elementwise(softplus)
    def softplus_derivatives(x):
        dx = 1 / (1 + np.exp(-x))

    x = np.linspace(-2.0, 2.0, 7)
    assert "/ (1 + np.exp(-x))" in srcgrad.source(softplus_loss)
    check_grads(srcgrad.grad(softplus_loss), x)
    dx = srcgrad.grad(softplus_loss, with_value=False)(x)
    v = np.random.default_rng(0).normal(size=x.shape)
    value, tangent = srcgrad.jvp(softplus_loss)(x, v)
    assert value == pytest.approx(softplus_loss(x))
    assert tangent == pytest.approx(float(np.dot(dx, v)), rel=1e-12)
    # a second derivative: forward mode over the gradient made from the same statement
    sigma = 1 / (1 + np.exp(-x))
    expected = np.diag(2 * sigma**2 + 2 * softplus(x) * sigma * (1 - sigma))
    np.testing.assert_allclose(srcgrad.hessian(softplus_loss)(x), expected, rtol=1e-10, atol=1e-12)


def test_a_user_function_of_two_operands_broadcasts(kept_table):
    @srcgrad.extend.elementwise(scaled_tanh)
    def scaled_tanh_derivatives(ans, x, s):
        dx = s - ans * ans / s
        ds = ans / s

    rng = np.random.default_rng(1)
    x, s, w = rng.normal(size=(3, 4)), rng.uniform(0.5, 2.0, 4), rng.normal(size=(3, 4))
    _, (dx, ds) = check_grads(srcgrad.grad(scaled_tanh_loss, wrt=("x", "s")), x, s, w, wrt=("x", "s"))
    assert dx.shape == (3, 4) and ds.shape == (4,)
    np.testing.assert_allclose(ds, np.sum(w * np.tanh(x), axis=0), rtol=1e-12)
    np.testing.assert_allclose(dx, w * s * (1 - np.tanh(x) ** 2), rtol=1e-12)


def test_a_tangent_part_short_of_the_result_shape_is_spread(kept_table):
    @srcgrad.extend.elementwise(shifted_sin)
    def shifted_sin_derivatives(x, y):
        dx = np.cos(x)
        dy = 1

    x, y = np.array([0.1, 0.7, -1.2]), np.zeros((2, 3))
    v = np.array([1.0, -2.0, 0.5])
    value, tangent = srcgrad.jvp(shifted_sin_value, wrt="x")(x, y, v)
    assert value.shape == tangent.shape == (2, 3)
    np.testing.assert_allclose(tangent, np.broadcast_to(np.cos(x) * v, (2, 3)), rtol=1e-15)
    value, tangent = srcgrad.jvp(shifted_sin_value, wrt="y")(x, y, np.ones((2, 3)))
    np.testing.assert_array_equal(tangent, np.ones((2, 3)))


def test_registering_a_statement_that_is_not_one_fails_at_once(kept_table):
    with pytest.raises(TemplateError, match="'g'"):

        @srcgrad.extend.elementwise(softplus)
        def softplus_rule(g, x):
            dx = g / (1 + np.exp(-x))


# ---------------------------------------------------------------------------------------------
# Linear functions (`@linear`): the gradient is written, the tangent is the function itself.


def _tangent_lines(key, **call):
    """The tangent parts `key`'s forward-mode rule makes for a call with these arguments (a
    string in a list is a variable's name, anything else a literal)."""
    from srcgrad.syntax import const, name

    rule = rules.lookup_tangent(key)
    mapping = {p: name(v[0]) if isinstance(v, list) else const(v) for p, v in call.items()}
    tangents = {p: name("t" + p) for p in rule.adjoint_rule.differentiates}
    parts = rule.expand_parts(dict(mapping, np=name("np")), tangents, lambda base: base)
    return [f"d{param} = {to_source(value)}" for kind, param, value in parts if kind == "part"]


def test_a_linear_functions_tangent_is_the_function_with_its_default_arguments_left_out():
    assert _tangent_lines(np.squeeze, x=["x"], axis=None) == ["dx = np.squeeze(tx)"]
    assert _tangent_lines(np.squeeze, x=["x"], axis=1) == ["dx = np.squeeze(tx, axis=1)"]
    taken = _tangent_lines(np.take, x=["x"], indices=["i"], axis=0, mode="raise")
    assert taken == ["dx = np.take(tx, i, axis=0)"]
    filled = _tangent_lines(np.full_like, a=["a"], fill_value=["v"])
    assert filled == ["dfill_value = np.full_like(a, tfill_value)"]
    assert isinstance(rules.lookup_tangent(np.reshape), rules.registry.LinearTangent)


def test_linear_rules_are_for_numpys_functions():
    with pytest.raises(TypeError, match="linear rules are for NumPy's functions"):
        rules.registry._spelled(len)
