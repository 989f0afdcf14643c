"""examples/digits_mlp.py runs in its quick mode: the loss falls, float32 stays float32, the plot is saved."""

import contextlib
import importlib.util
import io
import sys
import tempfile

import numpy as np
import pytest

from test_examples import _load

pytest.importorskip("sklearn", reason="examples/digits_mlp.py needs scikit-learn")

NOTE = "matplotlib is not installed"


def _run(**kwargs):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = _load("digits_mlp").main(quick=True, **kwargs)
    return result, out.getvalue()


def test_digits_mlp_quick_mode_trains_in_float32_and_plots_the_loss(tmp_path):
    path = tmp_path / "loss.png"
    result, text = _run(plot=path)
    assert len(result.losses) == 2 and result.losses[-1] < result.losses[0]
    assert "epoch 2/2" in text and f"final test accuracy {result.accuracy:.4f}" in text
    assert [p.dtype for p in result.params] == [np.float32] * 6
    assert [g.dtype for g in result.grads] == [np.float32] * 6
    assert [g.shape for g in result.grads] == [p.shape for p in result.params]
    if importlib.util.find_spec("matplotlib") is None:
        assert NOTE in text and result.plot is None and not path.exists()
    else:
        assert result.plot == path and path.read_bytes().startswith(b"\x89PNG")


def test_digits_mlp_without_matplotlib_prints_a_note_and_skips_the_plot(tmp_path, monkeypatch):
    for name in [name for name in sys.modules if name.split(".")[0] == "matplotlib"]:
        monkeypatch.setitem(sys.modules, name, None)  # importing it now raises ImportError
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)
    path = tmp_path / "loss.png"
    result, text = _run(plot=path, epochs=1)
    assert result.plot is None and not path.exists()
    assert sum(NOTE in line for line in text.splitlines()) == 1
    assert len(result.losses) == 1


def test_digits_mlp_plots_into_the_temporary_folder_not_the_current_one(tmp_path, monkeypatch):
    temporary, here = tmp_path / "temporary", tmp_path / "here"
    temporary.mkdir(), here.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))  # what tempfile.gettempdir() answers
    monkeypatch.chdir(here)
    digits = _load("digits_mlp")
    assert digits.default_plot() == temporary / "digits_loss.png"
    quick = digits.default_plot(quick=True)
    assert quick.parent.parent == temporary and quick.name == "digits_loss.png"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = digits.main(epochs=1)
    assert not list(here.iterdir())
    if importlib.util.find_spec("matplotlib") is not None:
        assert result.plot == temporary / "digits_loss.png" and result.plot.exists()
        assert f"loss per epoch plotted in {result.plot}" in out.getvalue()
