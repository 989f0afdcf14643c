"""The examples run and do what their docstrings promise."""

import contextlib
import importlib.util
import io
import pathlib

EXAMPLES = pathlib.Path(__file__).parent.parent / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_xor_trains_below_0_05_and_prints_the_backward_code():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        final = _load("xor").main()
    text = out.getvalue()
    assert final < 0.05
    assert text.count("loss") >= 11  # every 100 steps, and the final loss
    assert "def loss_grad(W1, B1, W2, B2, X, Y):" in text
    assert "0 xor 1 ->" in text
