"""Rows for the scipy.integrate rule (srcgrad/rules/numpy/integrate.py): odeint differentiated
in its initial state, its args and its times, in both modes (`check_grads(mode="both")`: the
gradient by the adjoint solve, and the tangent `jvp` gives by the sensitivity solve, along
random directions), against central differences at drawn points.

The rows pass tight tolerances (TOL) to odeint, so that central differences of its solution are
accurate to about 1e-7; the tests after the table check the defaults against closed forms (a
linear ODE, whose solution is a matrix exponential) and against autograd's odeint, the keywords
odeint takes or refuses, the generated code, and what is refused.

odeint computes in float64 whatever it is given, so the rows run in float64 on NumPy only
(rulespec's float32 and backend passes do not apply); a test below checks float32 gradients.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.integrate
from hypothesis import strategies as st
from rulespec import Spec, section_test
from scipy.integrate import ODEintWarning, odeint
from scipy.linalg import expm, expm_frechet

import srcgrad
import srcgrad.rules
from srcgrad.testing import check_grads
from srcgrad.testing.strategies import arrays

TOL = 1e-11  # odeint's rtol and atol in the rows: central differences need a smooth solution

# ---------------------------------------------------------------------------------------------
# Right-hand sides and the functions under test: `w` weights the solution's rows, so that the
# rule gets a real array gradient.


def net(y, t, W, b):
    return np.tanh(y @ W + b)


def linear(y, t, A):
    return A @ y


def forced(t, y, k, c):  # tfirst=True: the time comes first
    return -k * y + c * np.sin(3.0 * t)


def pendulum(y, t, b, c):  # SciPy's own example: a list, of two numbers
    theta, omega = y
    return [omega, -b * omega - c * np.sin(theta)]


def net_w(W, b, y0, t, w):
    return np.sum(w * odeint(net, y0, t, args=(W, b), rtol=TOL, atol=TOL))


def linear_w(A, y0, t, w):
    return np.sum(w * scipy.integrate.odeint(linear, y0, t, (A,), rtol=TOL, atol=TOL))


def forced_w(k, c, y0, t, w):
    return np.sum(w * odeint(forced, y0, t, args=(k, c), rtol=TOL, atol=TOL, tfirst=True))


def pendulum_w(b, c, y0, t, w):
    return np.sum(w * odeint(pendulum, y0, t, args=(b, c), rtol=TOL, atol=TOL))


def backwards_w(W, b, y0, t, w):  # times decreasing: odeint integrates backwards
    return np.sum(w * odeint(net, y0, t[::-1], args=(W, b), rtol=TOL, atol=TOL))


# ---------------------------------------------------------------------------------------------
# Argument draws: increasing times at least 0.1 apart (central differences in a time keep them
# in order), moderate states and parameters, and weights of the solution's shape.


def _times(draw, count):
    start = draw(st.floats(-1.0, 1.0))
    gaps = draw(arrays((count - 1,), np.float64, 0.1, 0.7))
    return start + np.concatenate([[0.0], np.cumsum(gaps)])


@st.composite
def net_args(draw):
    d, count = draw(st.integers(1, 3)), draw(st.integers(2, 4))
    W, b = draw(arrays((d, d), np.float64, -1.0, 1.0)), draw(arrays((d,), np.float64, -0.5, 0.5))
    y0 = draw(arrays((d,), np.float64, -1.0, 1.0))
    return W, b, y0, _times(draw, count), draw(arrays((count, d), np.float64, -2.0, 2.0))


@st.composite
def linear_args(draw):
    d, count = draw(st.integers(1, 3)), draw(st.integers(2, 4))
    A = draw(arrays((d, d), np.float64, -1.0, 1.0))
    y0 = draw(arrays((d,), np.float64, -1.0, 1.0))
    return A, y0, _times(draw, count), draw(arrays((count, d), np.float64, -2.0, 2.0))


@st.composite
def forced_args(draw):
    d, count = draw(st.integers(1, 3)), draw(st.integers(2, 4))
    k, c = draw(st.floats(0.1, 2.0)), draw(st.floats(-1.0, 1.0))
    y0 = draw(arrays((d,), np.float64, -1.0, 1.0))
    return k, c, y0, _times(draw, count), draw(arrays((count, d), np.float64, -2.0, 2.0))


@st.composite
def pendulum_args(draw):
    count = draw(st.integers(2, 4))
    b, c = draw(st.floats(0.05, 0.5)), draw(st.floats(1.0, 5.0))
    y0 = np.array([draw(st.floats(-2.0, 2.0)), draw(st.floats(-1.0, 1.0))])
    return b, c, y0, _times(draw, count), draw(arrays((count, 2), np.float64, -2.0, 2.0))


# ---------------------------------------------------------------------------------------------
# The table: the rule, with each parameter it differentiates, in several forms of call.


def row(id, f, wrt, args):
    """A rulespec row, run by `test_rule` below: `f` takes the weights `w` last, which
    `args` draws too (in float64: see the module's docstring)."""
    return Spec(id, "odeint", f, None, None, tuple(wrt), lambda dtype: args)


SPECS = [
    row("odeint-ode-net", net_w, ("W", "b", "y0", "t"), net_args()),
    row("odeint-linear-positional-args", linear_w, ("A", "y0", "t"), linear_args()),
    row("odeint-tfirst-float-args", forced_w, ("k", "c", "y0", "t"), forced_args()),
    row("odeint-list-valued-rhs", pendulum_w, ("b", "c", "y0", "t"), pendulum_args()),
    row("odeint-decreasing-times", backwards_w, ("W", "b", "y0", "t"), net_args()),
]

test_rule = section_test(SPECS, 6, rtol=1e-5, atol=1e-7, eps=1e-4)


def test_every_integrate_rule_has_a_row_and_a_tangent():
    srcgrad.rules.lookup(odeint)
    ours = {k: r for k, r in srcgrad.rules.ADJOINTS.items() if r.template.__module__.endswith(".integrate")}
    assert {r.name for r in ours.values()} == {spec.rule for spec in SPECS} == {"odeint"}
    assert list(ours) == [odeint] and odeint in srcgrad.rules.TANGENTS


# ---------------------------------------------------------------------------------------------
# A linear ODE y' = A y: its solution y(t) = expm(A (t - t0)) y0 gives the gradients in closed
# form. SciPy's default tolerances (1.49012e-8) make them accurate to about 1e-7; tighter ones,
# passed to odeint, make the backward solve tighter too.


def linear_loss(A, y0, t, w):
    ys = odeint(linear, y0, t, args=(A,))
    return np.sum(w * ys)


def linear_loss_tight(A, y0, t, w):
    ys = odeint(linear, y0, t, args=(A,), rtol=1e-12, atol=1e-12)
    return np.sum(w * ys)


def linear_closed_form(A, y0, t, w):
    """(dA, dy0, dt) of sum(w * y(t)): y(t_i) = E_i y0 with E_i = expm(A (t_i - t_0)); the
    gradient in A of w_i . E_i y0 is tau_i times the Fréchet derivative of expm at (A tau_i)^T
    in the direction w_i y0^T; moving t_i (i > 0) moves y(t_i) by A y(t_i), moving t_0 moves
    every later row by -A y(t_i)."""
    dA, dy0, dt = np.zeros_like(A), np.zeros_like(y0), np.zeros_like(t)
    for i, ti in enumerate(t):
        tau = ti - t[0]
        E = expm(A * tau)
        dy0 += E.T @ w[i]
        dA += tau * expm_frechet(A.T * tau, np.outer(w[i], y0), compute_expm=False)
        if i > 0:
            slope = w[i] @ (A @ E @ y0)
            dt[i] += slope
            dt[0] -= slope
    return dA, dy0, dt


def _linear_problem(seed=1, n=4):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, n)) * 0.6 - 0.3 * np.eye(n)
    t = np.array([0.0, 0.3, 1.0, 1.7, 2.5])
    return A, rng.normal(size=n), t, rng.normal(size=(len(t), n))


def _relative(got, want):
    return float(np.max(np.abs(np.asarray(got) - want)) / np.max(np.abs(want)))


def test_linear_ode_gradients_are_the_matrix_exponentials():
    args = _linear_problem()
    want = linear_closed_form(*args)
    loose = srcgrad.grad(linear_loss, wrt=("A", "y0", "t"), with_value=False)(*args)
    tight = srcgrad.grad(linear_loss_tight, wrt=("A", "y0", "t"), with_value=False)(*args)
    errors = [(_relative(a, w), _relative(b, w)) for a, b, w in zip(loose, tight, want)]
    # measured: about 3e-8, 1e-8 and 4e-8 with the defaults; 1e-10 or below with 1e-12
    for name, (at_default, at_tight) in zip(("A", "y0", "t"), errors):
        assert at_default < 1e-6, (name, at_default)
        assert at_tight < 1e-9 and at_tight < at_default / 10, (name, at_tight, at_default)


def test_linear_ode_tangents_are_the_matrix_exponentials():
    A, y0, t, w = _linear_problem(seed=2)
    rng = np.random.default_rng(0)
    dA, dy0, dt = rng.normal(size=A.shape), rng.normal(size=y0.shape), rng.normal(size=t.shape)
    dt[1:] *= 0.1
    want = sum(np.sum(g * d) for g, d in zip(linear_closed_form(A, y0, t, w), (dA, dy0, dt)))
    value, tangent = srcgrad.jvp(linear_loss_tight, wrt=("A", "y0", "t"))(A, y0, t, w, dA, dy0, dt)
    assert value == pytest.approx(linear_loss(A, y0, t, w), rel=1e-7)
    assert tangent == pytest.approx(want, rel=1e-9)


def test_one_time_and_repeated_times():
    A, y0, t, w = _linear_problem(seed=3)
    dA, dy0, dt = srcgrad.grad(linear_loss, wrt=("A", "y0", "t"), with_value=False)(A, y0, t[:1], w[:1])
    np.testing.assert_array_equal(dy0, w[0])  # ys[0] is y0, whatever A and t[0]
    np.testing.assert_array_equal(dA, np.zeros_like(A))
    np.testing.assert_array_equal(dt, [0.0])
    # a time given twice: each copy gets its own row's slope, which move together as one time
    repeated = np.array([0.0, 0.5, 0.5, 1.2])
    weights = np.random.default_rng(4).normal(size=(4, len(y0)))
    grads = srcgrad.grad(linear_loss_tight, wrt=("A", "y0", "t"), with_value=False)(A, y0, repeated, weights)
    want = linear_closed_form(A, y0, repeated, weights)
    for got, expected in zip(grads, want):
        np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-9)


# ---------------------------------------------------------------------------------------------
# Against autograd's odeint (the same adjoint method, with SciPy's default tolerances for both
# solves): the gradients in y0 and the args agree to round-off, the times' to the tolerances
# (autograd integrates the first time's gradient, srcgrad reads it off the adjoint at t[0]).


def ode_net(y, t, W1, b1, W2):
    h = np.tanh(y @ W1 + b1)
    return h @ W2 - 0.1 * y


def ode_net_loss(W1, b1, W2, y0, t, target):
    ys = odeint(ode_net, y0, t, args=(W1, b1, W2))
    return np.mean((ys - target) ** 2)


def _autograd_gradients(problem, args, argnums):
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")
    from autograd.builtins import tuple as boxed_tuple
    from autograd.scipy.integrate import odeint as autograd_odeint

    if problem == "linear":

        def rhs(y, t, A):
            return anp.dot(A, y)

        def loss(A, y0, t, w):
            return anp.sum(w * autograd_odeint(rhs, y0, t, boxed_tuple((A,))))

    else:

        def rhs(y, t, W1, b1, W2):
            return anp.dot(anp.tanh(anp.dot(y, W1) + b1), W2) - 0.1 * y

        def loss(W1, b1, W2, y0, t, target):
            ys = autograd_odeint(rhs, y0, t, boxed_tuple((W1, b1, W2)))
            return anp.mean((ys - target) ** 2)

    return autograd.grad(loss, argnums)(*args)


def test_linear_ode_against_autograd():
    args = _linear_problem(seed=5)
    theirs = _autograd_gradients("linear", args, (0, 1, 2))
    ours = srcgrad.grad(linear_loss, wrt=("A", "y0", "t"), with_value=False)(*args)
    want = linear_closed_form(*args)
    for name, a, b, exact in zip(("A", "y0", "t"), ours, theirs, want):
        assert _relative(a, b) < (1e-7 if name == "t" else 1e-12), name
        assert _relative(a, exact) < 1e-6 and _relative(b, exact) < 1e-6, name


def test_ode_net_against_autograd():
    rng = np.random.default_rng(3)
    d, h = 3, 8
    args = (
        rng.normal(size=(d, h)) * 0.5,
        rng.normal(size=h) * 0.1,
        rng.normal(size=(h, d)) * 0.5,
        rng.normal(size=d),
        np.linspace(0.0, 2.0, 6),
        rng.normal(size=(6, d)),
    )
    theirs = _autograd_gradients("net", args, (0, 1, 2, 3, 4))
    ours = srcgrad.grad(ode_net_loss, wrt=("W1", "b1", "W2", "y0", "t"), with_value=False)(*args)
    for name, a, b in zip(("W1", "b1", "W2", "y0", "t"), ours, theirs):
        assert np.shape(a) == np.shape(b), name
        assert _relative(a, b) < (1e-6 if name == "t" else 1e-12), name  # measured 5e-8 and 1e-15


# ---------------------------------------------------------------------------------------------
# The brief's ODE net, the generated code, and forward mode.


def dynamics(y, t, W):
    return np.tanh(y @ W)


def loss(W, y0, t):
    ys = odeint(dynamics, y0, t, args=(W,))
    return np.sum((ys[-1] - 1.0) ** 2)


def test_the_generated_code_shows_the_adjoint_solve():
    W = np.array([[0.5, -0.2], [0.1, 0.4]])
    y0, t = np.array([0.1, 0.2]), np.linspace(0.0, 1.0, 3)
    g = srcgrad.grad(loss, wrt=("W", "y0"))
    value, (dW, dy0) = g(W, y0, t)
    assert "    grads = odeint_adjoint(dys, ys, dynamics, y0, t, (W,))\n" in g.source
    assert "    dy0 = grads[0]\n" in g.source and "    dW = grads[2][0]\n" in g.source
    assert "dt = " not in g.source  # the times' gradient is not asked for
    check_grads(g, W, y0, t, wrt=("W", "y0"), mode="both", rtol=1e-4, eps=1e-5)
    jvp = srcgrad.jvp(loss, wrt=("W", "y0"))
    assert "odeint_jvp(ys, dynamics, y0, t, (W,), dy0=dy0)" in jvp.source
    assert "odeint_jvp(ys, dynamics, y0, t, (W,), dargs=[dW])" in jvp.source


def keywords(W, y0, t):
    ys = odeint(dynamics, y0, t, args=(W,), rtol=1e-10, atol=1e-9, mxstep=900)
    return np.sum((ys[-1] - 1.0) ** 2)


def test_the_tolerances_and_mxstep_reach_the_backward_and_forward_solves():
    W, y0, t = np.eye(2) * 0.5, np.array([0.1, 0.2]), np.linspace(0.0, 1.0, 3)
    g = srcgrad.grad(keywords, wrt=("W", "y0"))
    g(W, y0, t)
    assert "odeint_adjoint(dys, ys, dynamics, y0, t, (W,), 1e-10, 1e-09, 900, False)" in g.source
    jvp = srcgrad.jvp(keywords, wrt="y0")
    jvp(W, y0, t, np.ones(2))
    assert "odeint_jvp(ys, dynamics, y0, t, (W,), 1e-10, 1e-09, 900, False, dy0=dy0)" in jvp.source


def too_few_steps(W, y0, t):
    return np.sum(odeint(dynamics, y0, t, args=(W,), mxstep=2))


def test_a_backward_solve_scipy_cannot_finish_raises():
    W, y0 = np.eye(2) * 0.5, np.array([0.1, 0.2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ODEintWarning)  # SciPy's own, for the forward solve too
        with pytest.raises(srcgrad.NoGradientError, match="(?s)adjoint solve from t=10 to t=5.*mxstep="):
            srcgrad.grad(too_few_steps, wrt="W")(W, y0, np.array([0.0, 5.0, 10.0]))
        with pytest.raises(srcgrad.NoGradientError, match="sensitivity solve"):
            srcgrad.jvp(too_few_steps, wrt="y0")(W, y0, np.array([0.0, 5.0, 10.0]), np.ones(2))


def decay(y, t, k, n, label, scale=2.0):
    # an int, a string and a parameter with a default: only the floats are differentiated
    return -k * scale * y + n


def decay_loss(k, y0, t):
    return np.sum(odeint(decay, y0, t, (k, 1, "label"), rtol=TOL, atol=TOL) ** 2)


def test_args_that_are_not_floats_pass_through_and_a_scalar_state():
    g = srcgrad.grad(decay_loss, wrt=("k", "y0", "t"))
    args = (0.7, 1.5, np.array([0.0, 0.4, 1.0]))
    value, (dk, dy0, dt) = check_grads(g, *args, wrt=("k", "y0", "t"), mode="both", rtol=1e-5, eps=1e-4)
    assert type(dk) is float and type(dy0) is float and dt.shape == (3,)


def test_float32_arguments_get_float32_gradients():
    W, y0, t = np.eye(2) * 0.5, np.array([0.1, 0.2]), np.linspace(0.0, 1.0, 3)
    wide = srcgrad.grad(loss, wrt=("W", "y0", "t"), with_value=False)(W, y0, t)
    narrow = srcgrad.grad(loss, wrt=("W", "y0", "t"), with_value=False)(
        W.astype(np.float32), y0.astype(np.float32), t.astype(np.float32)
    )
    for a, b in zip(narrow, wide):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# What is refused, and where.


def with_hmax(W, y0, t):
    return np.sum(odeint(dynamics, y0, t, args=(W,), hmax=0.1))


def with_full_output(W, y0, t):
    ys, info = odeint(dynamics, y0, t, args=(W,), full_output=True)
    return np.sum(ys)


def with_times_by_keyword(W, y0, t):
    return np.sum(odeint(dynamics, y0, t=t, args=(W,)))


@pytest.mark.parametrize(
    "f, what",
    [
        (with_hmax, "unexpected keyword argument 'hmax'"),
        (with_full_output, "unexpected keyword argument 'full_output'"),
    ],
    ids=["hmax", "full_output"],
)
def test_keywords_the_rule_does_not_take_are_refused_at_the_users_line(f, what):
    W, y0, t = np.eye(2) * 0.5, np.array([0.1, 0.2]), np.linspace(0.0, 1.0, 3)
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=what) as info:
        srcgrad.grad(f, wrt="W")(W, y0, t)
    assert f.__name__ in str(info.value) and "test_rules_integrate.py" in str(info.value)


def unreadable(y, t, W):
    with np.errstate(all="ignore"):
        return np.tanh(y @ W)


def unreadable_loss(W, y0, t):
    return np.sum(odeint(unreadable, y0, t, args=(W,)))


lambda_rhs = lambda y, t, W: np.tanh(y @ W)


def lambda_loss(W, y0, t):
    return np.sum(odeint(lambda_rhs, y0, t, args=(W,)))


def closure_loss(W, y0, t):
    def rhs(y, t):
        return np.tanh(y @ W)

    return np.sum(odeint(rhs, y0, t))


def test_a_right_hand_side_srcgrad_cannot_differentiate_is_named():
    W, y0, t = np.eye(2) * 0.5, np.array([0.1, 0.2]), np.linspace(0.0, 1.0, 3)
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="right-hand side 'unreadable'") as info:
        srcgrad.grad(unreadable_loss, wrt="W")(W, y0, t)
    assert "with np.errstate" in str(info.value)  # the line of the right-hand side srcgrad stopped at
    # a function defined in the differentiated code, reading its variables: refused, not zero
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="define it at module level"):
        srcgrad.grad(closure_loss, wrt="W")(W, y0, t)


def test_the_times_by_keyword_and_a_lambda_right_hand_side_give_the_same_gradient():
    """SciPy's keyword for the times, `t=`, binds the rule's `times`; a right-hand side written
    as a lambda is differentiated like its `def`."""
    W, y0, t = np.eye(2) * 0.5, np.array([0.1, 0.2]), np.linspace(0.0, 1.0, 3)
    expected = srcgrad.grad(lambda W, y0, t: np.sum(odeint(dynamics, y0, t, args=(W,))), wrt="W")(W, y0, t)
    for f in (with_times_by_keyword, lambda_loss):
        value, dW = srcgrad.grad(f, wrt="W")(W, y0, t)
        assert np.isclose(value, expected[0]) and np.allclose(dW, expected[1], rtol=1e-6, atol=1e-9)
    check_grads(with_times_by_keyword, W, y0, t, wrt=("W", "t"), mode="both", rtol=1e-5, atol=1e-7, eps=1e-4)


def test_second_derivatives_through_odeint_stop_with_the_helpers_name():
    W, y0, t = np.eye(2) * 0.5, np.array([0.1, 0.2]), np.linspace(0.0, 1.0, 3)
    with pytest.raises(srcgrad.NoRuleError, match="odeint_adjoint"):
        srcgrad.hvp(loss, wrt="W")(W, y0, t, np.ones((2, 2)))


def test_the_rule_registers_when_the_program_imports_scipy_integrate_after_the_table_loaded(tmp_path):
    program = tmp_path / "program.py"
    program.write_text(
        "import sys\n"
        "import numpy as np, srcgrad, srcgrad.rules\n"
        "srcgrad.rules.lookup(np.exp)  # the table loads before SciPy is imported\n"
        "assert 'scipy.integrate' not in sys.modules\n"
        "from scipy.integrate import odeint\n\n"
        "def decay(y, t, k):\n"
        "    return -k * y\n\n"
        "def f(k):\n"
        "    return np.sum(odeint(decay, np.array([1.0]), np.array([0.0, 2.0]), args=(k,))[-1])\n\n"
        "print(srcgrad.grad(f, with_value=False)(0.5))\n"
    )
    out = subprocess.run([sys.executable, str(program)], capture_output=True, text=True, check=True)
    assert float(out.stdout) == pytest.approx(-2.0 * np.exp(-1.0), rel=1e-6)  # d/dk exp(-2k)
