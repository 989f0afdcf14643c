"""The examples run and do what their docstrings promise."""

import contextlib
import importlib.util
import io
import pathlib

import pytest

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


def test_linear_fit_recovers_the_lines_coefficients():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        w, (w1, w2, b) = _load("linear_fit").main()
    assert abs(w - 2.0) < 1e-3
    assert abs(w1 - 2.0) < 1e-2 and abs(w2 + 3.0) < 1e-2 and abs(b - 1.0) < 1e-2
    assert "prediction at x = 5: 10.0000" in out.getvalue()


def test_rnn_learns_to_add_up_a_sequence():
    first, final = _load("rnn").main(iterations=300, verbose=False)
    assert final < 0.2 * first


@pytest.mark.dask
def test_dask_logreg_trains_on_a_local_dask_cluster():
    pytest.importorskip("dask.distributed", reason="examples/dask_logreg.py needs dask[distributed]")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        losses, accuracy = _load("dask_logreg").main(quick=True)
    assert losses[-1] < 0.6 * losses[0] and accuracy > 0.85
    assert "epoch 2/2" in out.getvalue()


def test_higher_order_gives_the_tutorials_derivatives_and_newton_converges():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        (first, second), (x, norms), (error, curvature) = _load("higher_order").main()
    assert (first, second) == (34.0, 20.0)
    assert norms[-1] < 1e-12 and len(norms) <= 8
    # quadratic convergence: each gradient norm about the square of the last, once close
    assert norms[-2] < 1e-5 and norms[-1] < 10 * norms[-2] ** 2
    assert error < 1e-7 and curvature > 0
    text = out.getvalue()
    assert "f'(3) = 34.0, f''(3) = 20.0" in text and "def f_grad_jvp(x, vx):" in text
