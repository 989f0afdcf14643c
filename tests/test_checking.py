"""`srcgrad check` (srcgrad.checking.run_check) and the helpers of srcgrad.testing it builds on."""

import io
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings

import srcgrad
from srcgrad.checking import parse_annotation, run_check, to_python
from srcgrad.testing import GradientMismatch, assert_grads_close, check_grads
from srcgrad.testing.strategies import broadcastable_arrays, distinct_arrays, like

GOOD = """
import numpy as np
import srcgrad

@srcgrad.grad(wrt=("W1", "B1", "W2", "B2"))
def xor(W1, B1, W2, B2, X, Y):
    H1 = np.maximum(X @ W1 + B1, 0.2 * (X @ W1 + B1))
    Out = 1 / (1 + np.exp(-(H1 @ W2 + B2)))
    return np.sum(np.square(Y - Out))

def xor_example():
    rng = np.random.default_rng(0)
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return rng.standard_normal((2, 8)), np.zeros(8), rng.standard_normal((8, 1)), np.zeros(1), X, X[:, :1]

def kinks(x: "f64[n]", y: "f64[n]", s: float, p: "f32[n, 2] in [0.1, 3]", k=2):
    return np.sum(np.abs(x) * s + np.maximum(x, y) ** k) + np.max(y) + np.sum(np.log(p))

def params_loss(params, x):
    return np.sum(np.tanh(x @ params["W"]) * params["b"])

def params_loss_example():
    return {"W": np.ones((3, 2)), "b": np.full(2, 0.5)}, np.linspace(-1, 1, 12).reshape(4, 3)
"""

WRONG = """
import numpy as np
import srcgrad.extend

def softplus(x):
    return np.log1p(np.exp(x))

@srcgrad.extend.adjoint(softplus)
def softplus_rule(g, x):
    dx = g / (1 + np.exp(-x)) * np.where(x > 0.5, 1.01, 1.0)  # 1% too large above 0.5: a bug

def loss(W, X):
    return np.sum(softplus(X @ W))

def loss_example():
    rng = np.random.default_rng(1)
    return rng.standard_normal((3, 2)), rng.standard_normal((4, 3))
"""

ERRORS = """
import numpy as np

def unsupported(x: "f64[3]"):
    with open(__file__) as fh:
        pass
    return np.sum(x)

def no_shapes(x, y):
    return np.sum(x * y)

def never_finite(x: "f64[3]"):
    return np.sum(np.log(x - 10))

not_a_function = 3
"""


@pytest.fixture
def module_dir(tmp_path):
    """A directory for temporary modules; sys.path and sys.modules are restored afterwards."""
    path, modules = list(sys.path), set(sys.modules)
    yield tmp_path
    sys.path[:] = path
    for name in set(sys.modules) - modules:
        if getattr(sys.modules[name], "__file__", "") and str(tmp_path) in sys.modules[name].__file__:
            del sys.modules[name]


def _write(directory, name, text):
    path = directory / f"{name}.py"
    path.write_text(textwrap.dedent(text))
    return str(path)


def _run(target, wrt=None, examples=30, seed=3, debug=False, tty=False, mode="reverse"):
    class Stream(io.StringIO):
        def isatty(self):
            return tty

    out, err = Stream(), Stream()
    code = run_check(target, wrt, examples, seed, debug, mode=mode, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


# -- srcgrad check ------------------------------------------------------------------------------


def test_check_passes_a_correct_function_drawn_from_its_example(module_dir):
    path = _write(module_dir, "good_example", GOOD)
    code, out, err = _run(f"{path}:xor")
    assert code == 0, out + err
    assert out.startswith("ok: xor") and "W1, B1, W2, B2" in out and "30 examples" in out
    assert "xor_example()" in out and err == ""


def test_check_passes_annotated_functions_with_kinks_and_nested_parameters(module_dir):
    path = _write(module_dir, "good_annotated", GOOD)
    # abs at 0 and ties of maximum/max, which hypothesis likes to draw, must not count as failures
    code, out, err = _run(f"{path}:kinks", wrt=["x", "y", "s", "p"], examples=60)
    assert code == 0, out + err
    assert "annotations" in out
    code, out, err = _run(f"{path}:params_loss", wrt=["params"])
    assert code == 0, out + err


def test_check_finds_a_wrong_rule_and_prints_a_minimal_input_to_paste(module_dir):
    path = _write(module_dir, "wrong_rule", WRONG)
    code, out, err = _run(f"{path}:loss", wrt=["W"])
    assert code == 1, out + err
    assert out.startswith("FAIL: loss")
    assert "with respect to 'W'" in out and "The difference is in element [" in out
    assert "Minimal failing input" in out
    snippet = out.split("(paste into Python to reproduce):\n", 1)[1]
    namespace = {}
    with pytest.raises(GradientMismatch, match="with respect to 'W'"):
        exec(snippet, namespace)  # the printed input reproduces the mismatch
    # shrunk: the values hypothesis settles on are simple ones (the bug shows above 0.5)
    assert set(np.unique(namespace["W"])) <= {0.0, 1.0} or np.unique(namespace["W"]).size <= 3


def test_check_forward_mode_passes_a_correct_function_and_refuses_nested_parameters(module_dir):
    path = _write(module_dir, "good_forward", GOOD)
    code, out, err = _run(f"{path}:xor", examples=10, mode="forward")
    assert code == 0, out + err
    assert out.startswith("ok: xor") and "): forward-mode derivatives (jvp) with respect to W1, B1" in out
    assert "match central differences and the gradients on 10 examples" in out
    code, out, err = _run(f"{path}:xor", examples=10, mode="both")
    assert code == 0 and "gradients and forward-mode derivatives (jvp)" in out, out + err
    code, out, err = _run(f"{path}:params_loss", wrt=["params"], mode="forward")
    assert code == 2 and out == "" and "forward mode does not take nested parameters" in err
    assert "params of params_loss" in err and err.count("\n") == 1
    code, out, err = _run(f"{path}:xor", mode="sideways")
    assert code == 2 and "--mode must be one of reverse, forward, both" in err


def test_check_forward_mode_finds_a_wrong_tangent_rule(module_dir, rules_kept):
    path = _write(module_dir, "wrong_tangent_cli", WRONG_TANGENT)
    code, out, err = _run(f"{path}:loss", wrt=["W"])
    assert code == 0, out + err  # the gradient is right
    code, out, err = _run(f"{path}:loss", wrt=["W"], mode="forward")
    assert code == 1, out + err
    assert out.startswith("FAIL: loss") and "forward mode (jvp) of 'loss' with respect to 'W'" in out
    snippet = out.split("(paste into Python to reproduce):\n", 1)[1]
    assert snippet.rstrip().endswith("wrt=('W',), mode='forward')")
    with pytest.raises(GradientMismatch, match="forward mode"):
        exec(snippet, {})  # the printed input reproduces the mismatch


def test_progress_bar_only_on_a_terminal(module_dir):
    path = _write(module_dir, "progress", GOOD)
    code, out, err = _run(f"{path}:xor", examples=10, tty=True)
    assert code == 0 and "/10 examples" in err and err.endswith("\r\x1b[K")
    code, out, err = _run(f"{path}:xor", examples=10, tty=False)
    assert code == 0 and err == "" and out.count("\n") == 1


@pytest.mark.parametrize(
    ("target", "wrt", "message"),
    [
        ("{d}/missing.py:f", None, "no such file"),
        ("{d}/errors.py", None, "expected path/to/file.py:function"),
        ("{d}/errors.py:nothing", None, "has no function 'nothing' (it defines never_finite, no_shapes"),
        ("{d}/errors.py:not_a_function", None, "is a int, not a function"),
        ("{d}/errors.py:no_shapes", None, "no shape annotation on x, y"),
        ("{d}/errors.py:never_finite", None, "never_finite returned nan"),
        ("{d}/errors.py:unsupported", ["x"], "with"),
        ("{d}/errors.py:unsupported", ["z"], "'z'"),
        ("{d}/broken.py:f", None, "ZeroDivisionError"),
    ],
)
def test_bad_targets_exit_2_with_one_line_and_no_traceback(module_dir, target, wrt, message):
    _write(module_dir, "errors", ERRORS)
    _write(module_dir, "broken", "import numpy as np\n\nx = 1 / 0\n")
    code, out, err = _run(target.format(d=module_dir), wrt=wrt, examples=5)
    assert code == 2 and out == ""
    assert err.startswith("srcgrad check: error: ") and message in err.splitlines()[0] + err
    assert "Traceback" not in err


def test_user_errors_quote_the_source_and_debug_shows_the_traceback(module_dir):
    path = _write(module_dir, "errors_debug", ERRORS)
    code, out, err = _run(f"{path}:unsupported", wrt=["x"])
    assert code == 2 and "with open(__file__) as fh:" in err and "line 5" in err
    code, out, err = _run(f"{path}:unsupported", wrt=["x"], debug=True)
    assert code == 2 and "Traceback" in err


def test_annotation_convention():
    spec = parse_annotation("float32[n, 3] in [0.5, 2]")
    assert (spec.dtype, spec.dims, spec.low, spec.high) == (np.float32, ("n", 3), 0.5, 2.0)
    assert parse_annotation("f64[]").dims == ()
    assert parse_annotation(float).dims is None and parse_annotation("float").dims is None
    assert parse_annotation("int") is None and parse_annotation(np.ndarray) is None


def test_printed_inputs_are_exact_python():
    values = [
        np.array([[0.1, 1 / 3]]),
        np.ones(3, np.float32),
        np.zeros((2, 2)),
        {"a": (1.5, 2)},
        np.float32(0.7),
    ]
    for v in values:
        again = eval(to_python(v), {"np": np})
        assert type(again) is type(v) and to_python(again) == to_python(v)
        assert getattr(again, "dtype", None) == getattr(v, "dtype", None)


# -- srcgrad.testing ----------------------------------------------------------------------------


def scaled(W, S):
    return np.sum(np.sin(W) * S)


ONE_WRONG = """
import numpy as np
import srcgrad.extend

def wobble(x):
    return np.sin(x)

@srcgrad.extend.adjoint(wobble)
def wobble_rule(g, x):
    dx = g * np.cos(x) * np.where(x == np.max(x), 1.01, 1.0)  # 1% off at the largest element

def loss(W, S):
    return np.sum(wobble(W) * S)
"""


@pytest.fixture
def one_wrong(module_dir):
    from srcgrad.checking import load_module

    return load_module(_write(module_dir, "one_wrong", ONE_WRONG))


def test_random_projection_finds_a_one_percent_error_in_one_element_of_a_big_gradient(one_wrong):
    rng = np.random.default_rng(0)
    W, S = rng.standard_normal((200, 100)), rng.standard_normal((200, 100))
    check_grads(scaled, W, S)  # the correct gradient passes: 3 directions over 20,000 elements
    with pytest.raises(GradientMismatch) as caught:
        check_grads(one_wrong.loss, W, S)
    assert caught.value.parameter == "W"
    assert caught.value.element == np.unravel_index(np.argmax(W), W.shape)
    assert caught.value.analytic == pytest.approx(1.01 * caught.value.numeric, rel=1e-6)


def test_assertion_message_names_parameter_direction_and_element(one_wrong):
    W = np.linspace(1, -1, 30).reshape(6, 5)  # the largest element is W[0, 0]
    with pytest.raises(GradientMismatch) as caught:
        assert_grads_close(one_wrong.loss, W, np.ones((6, 5)), wrt=("S", "W"))
    message = str(caught.value)
    assert "with respect to 'W'" in message and "random direction 0 of 3 (seed 0)" in message
    assert "The difference is in element [0, 0]" in message and "generated code:" in message
    assert (caught.value.parameter, caught.value.direction, caught.value.element) == ("W", 0, (0, 0))


def test_tolerances_follow_dtype_and_finite_difference_noise():
    def big(x):
        return np.sum(np.exp(8 * x)) * 1e6  # large values: rounding noise in the differences

    assert_grads_close(big, np.linspace(0.5, 1.5, 50))
    assert_grads_close(scaled, np.linspace(-1, 1, 300, dtype=np.float32), np.ones(300, np.float32))
    with pytest.raises(ValueError, match="mode must be one of"):
        check_grads(scaled, np.ones(3), np.ones(3), mode="sideways")


def leaky_relu(x):
    return np.sum(np.maximum(x, 0.2 * x) * 2.0)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_point_on_a_kink_is_reported_as_not_differentiable_not_as_a_wrong_derivative(mode):
    x = np.array([1.0, -2.0, 0.0, 0.5])  # the leaky ReLU has a kink at 0: slopes 0.4 left, 2 right
    assert_grads_close(leaky_relu, x + 0.25, mode=mode)  # off the kink it checks
    with pytest.raises(GradientMismatch) as caught:
        check_grads(leaky_relu, x, mode=mode)
    e = caught.value
    assert e.kink and e.element == (2,) and e.parameter == "x" and e.mode == mode
    assert str(e).startswith(
        "'leaky_relu' is not differentiable here: the one-sided differences disagree at element [2] "
        "of 'x' (left slope 0.4, right slope 2)"
    )
    assert e.analytic == pytest.approx(2.0) and e.numeric == pytest.approx(1.2)  # srcgrad's: the right slope


def test_a_kink_without_locating_is_reported_along_the_direction():
    along = r"disagree along random direction 0 of 'x' \(left slope"
    with pytest.raises(GradientMismatch, match=along) as caught:
        check_grads(leaky_relu, 0.0)
    assert caught.value.kink and caught.value.element is None
    with pytest.raises(GradientMismatch, match="not differentiable here") as caught:
        check_grads(leaky_relu, np.array([0.0, 1.0]), locate=False)
    assert caught.value.kink and caught.value.element is None


def test_a_wrong_derivative_is_not_mistaken_for_a_kink(one_wrong):
    W = 3.0 * np.linspace(1, -1, 30).reshape(6, 5)  # curved: the one-sided slopes differ by h * sin
    for locate in (False, True):
        with pytest.raises(GradientMismatch) as caught:
            check_grads(one_wrong.loss, W, np.ones((6, 5)), locate=locate)
        e = caught.value
        assert not e.kink and "not differentiable" not in str(e)
        assert str(e).startswith("gradient of 'loss' with respect to 'W' disagrees with finite differences")


# -- forward mode -------------------------------------------------------------------------------


def smooth(W, S, s, k=2.0):
    return np.sum(np.tanh(W) * S) ** k + s * np.mean(np.exp(S / 3)) - np.sum(np.maximum(W, 0.0) * s)


@pytest.mark.parametrize("mode", ["forward", "both"])
def test_forward_mode_passes_correct_code_and_returns_what_reverse_mode_returns(mode):
    rng = np.random.default_rng(2)
    W, S = rng.standard_normal((7, 4)), rng.standard_normal((7, 4))
    for dtype in (np.float64, np.float32):
        args = (W.astype(dtype), S.astype(dtype), 0.7)
        value, grads = check_grads(smooth, *args, wrt=("W", "S", "s"), mode=mode)
        again, expected = check_grads(smooth, *args, wrt=("W", "S", "s"))
        assert value == again and all(np.array_equal(a, b) for a, b in zip(grads, expected))
        assert grads[0].dtype == dtype and type(grads[2]) is float
    # a grad function, one parameter, a default passed by keyword
    g = srcgrad.grad(smooth, wrt="s")
    assert check_grads(g, W, S, 0.7, k=3.0, mode=mode) == g(W, S, 0.7, k=3.0)


WRONG_TANGENT = """
import numpy as np
import srcgrad.extend

def wobble(x):
    return np.sin(x)

@srcgrad.extend.adjoint(wobble)
def wobble_rule(g, x):
    dx = g * np.cos(x)  # right

@srcgrad.extend.tangent(wobble)
def wobble_tangent(t, x):
    dx = t * np.cos(x) * np.where(x == np.max(x), 1.01, 1.0)  # 1% off at the largest element

def loss(W, S):
    return np.sum(wobble(W) * S)

def loss_example():
    rng = np.random.default_rng(1)
    return rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
"""


@pytest.fixture
def rules_kept():
    """The rule table as it was before the test (a test registers rules for its own functions)."""
    from srcgrad import rules

    rules.lookup(None)
    adjoints, tangents = dict(rules.ADJOINTS), dict(rules.TANGENTS)
    nondifferentiable = set(rules.NONDIFFERENTIABLE)
    yield
    rules.ADJOINTS.clear()
    rules.ADJOINTS.update(adjoints)
    rules.TANGENTS.clear()
    rules.TANGENTS.update(tangents)
    rules.NONDIFFERENTIABLE.clear()
    rules.NONDIFFERENTIABLE.update(nondifferentiable)
    rules.registry.version += 1  # code generated under the test's rules is stale


@pytest.fixture
def wrong_tangent(module_dir, rules_kept):
    from srcgrad.checking import load_module

    return load_module(_write(module_dir, "wrong_tangent", WRONG_TANGENT))


def test_forward_mode_finds_a_wrong_tangent_rule_and_the_element(wrong_tangent):
    rng = np.random.default_rng(0)
    W, S = rng.standard_normal((40, 30)), rng.standard_normal((40, 30))
    check_grads(wrong_tangent.loss, W, S, wrt=("S", "W"))  # reverse mode is right
    for mode in ("forward", "both"):
        with pytest.raises(GradientMismatch) as caught:
            check_grads(wrong_tangent.loss, W, S, wrt=("S", "W"), mode=mode)
        e = caught.value
        assert (e.mode, e.parameter, e.direction) == ("forward", "W", 0)
        assert e.element == np.unravel_index(np.argmax(W), W.shape)
        assert e.analytic == pytest.approx(1.01 * e.numeric, rel=1e-6)
        message = str(e)
        assert message.startswith("forward mode (jvp) of 'loss' with respect to 'W' disagrees")
        assert "the Jacobian-vector product is " in message and "central differences give " in message
        assert f"The difference is in element {list(e.element)}: forward mode gives" in message
        assert "generated code:\ndef loss_jvp(" in message and "1.01" in message.split("generated code:")[1]


def test_forward_mode_without_locating_reports_the_direction(wrong_tangent):
    W = np.linspace(1, -1, 6)
    with pytest.raises(GradientMismatch) as caught:
        assert_grads_close(wrong_tangent.loss, W, np.ones(6), mode="forward", locate=False, seed=5)
    e = caught.value
    assert e.element is None and e.seed == 5 and "random direction 0 of 3 (seed 5)" in str(e)
    assert abs(e.analytic - e.numeric) > e.tolerance


def test_forward_mode_compares_with_the_gradient_too(module_dir, rules_kept):
    from srcgrad.checking import load_module

    # the adjoint rule is 1% off at the largest element, the tangent rule is right
    right_tangent = "\n@srcgrad.extend.tangent(wobble)\ndef wobble_tangent(t, x):\n    dx = t * np.cos(x)\n"
    one_wrong = load_module(_write(module_dir, "wrong_adjoint", ONE_WRONG + right_tangent))
    W = np.linspace(1, -1, 30).reshape(6, 5)
    with pytest.raises(GradientMismatch) as caught:
        check_grads(one_wrong.loss, W, np.ones((6, 5)), mode="forward")
    e = caught.value
    assert (e.mode, e.parameter) == ("forward-reverse", "W")
    message = str(e)
    assert "forward mode (jvp) and reverse mode (grad) of 'loss' disagree with respect to 'W'" in message
    assert "the gradient (reverse mode) is the likely culprit" in message
    assert "def loss_jvp(" in message and "def loss_grad(" in message
    with pytest.raises(GradientMismatch) as caught:  # "both" checks the gradient first
        check_grads(one_wrong.loss, W, np.ones((6, 5)), mode="both")
    assert caught.value.mode == "reverse" and caught.value.element == (0, 0)


def test_forward_mode_refuses_nested_parameters_clearly():
    def nested(params, x):
        return np.sum(np.tanh(x @ params["W"]) * params["b"])

    params, x = {"W": np.ones((3, 2)), "b": np.full(2, 0.5)}, np.ones((4, 3))
    check_grads(nested, params, x)
    for mode in ("forward", "both"):
        with pytest.raises(NotImplementedError, match="forward mode does not take nested parameters"):
            check_grads(nested, params, x, mode=mode)
    check_grads(nested, params, x, wrt="x", mode="both")  # a plain parameter beside it is fine


@settings(max_examples=20, deadline=None)
@given(
    distinct_arrays((3, 4), margin=0.05),
    broadcastable_arrays(3, avoid=(0.0,), margin=0.1),
    like({"W": [np.ones((2, 2), np.float32), 3], "s": 2.5, "p": np.array([0.1, 0.9])}),
)
def test_strategies(distinct, arrays, liked):
    assert np.all(np.diff(np.sort(distinct.ravel())) >= 0.05)
    np.broadcast(*arrays)
    assert all(np.all(np.abs(a) >= 0.1) for a in arrays)
    W, n = liked["W"]
    assert W.dtype == np.float32 and W.shape == (2, 2) and np.all((W >= 0.5) & (W <= 2)) and n == 3
    assert type(liked["s"]) is float and 1.25 <= liked["s"] <= 5
    assert np.all((liked["p"] >= 0.1) & (liked["p"] <= 0.9))
