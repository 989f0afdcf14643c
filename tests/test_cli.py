"""The srcgrad command: show, export (run where srcgrad cannot be imported), errors."""

import ast
import os
import pathlib
import re
import shlex
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import srcgrad
from srcgrad.cli import highlight, main
from srcgrad.loading import load_gradient

ROOT = pathlib.Path(__file__).parent.parent
XOR = str(ROOT / "examples" / "xor.py")
CORPUS = str(ROOT / "tests" / "corpus.py")


def _run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# -- show -------------------------------------------------------------------------------------


def test_show_prints_what_srcgrad_source_returns(capsys, monkeypatch):
    code, out, _ = _run(["show", f"{XOR}:loss"], capsys)
    assert code == 0
    assert out == load_gradient(f"{XOR}:loss", None).source
    code, out, _ = _run(["show", f"{CORPUS}:rnn_loss", "--wrt", "Wx,b"], capsys)
    monkeypatch.syspath_prepend(str(ROOT / "tests"))
    import corpus

    assert out == srcgrad.source(corpus.rnn_loss, wrt=("Wx", "b"))


def test_show_every_stage_with_a_header(capsys):
    code, out, _ = _run(["show", f"{XOR}:loss", "--stage", "all"], capsys)
    assert code == 0
    for header in ("A-normal form", "activity", "raw adjoint", "simplified"):
        assert out.count(f"# === {header}") == 1
    assert "XW1 = X @ W1  # active" in out
    code, out, _ = _run(["show", f"{XOR}:loss", "--stage", "anf"], capsys)
    assert "# ===" not in out and out.startswith("XW1 = X @ W1\n")


def test_color_only_when_asked_or_on_a_terminal(capsys, monkeypatch):
    _, forced, _ = _run(["show", f"{XOR}:loss", "--color", "always"], capsys)
    assert "\033[1;33m# grad of:" in forced and "\033[1;35mreturn" in forced
    _, piped, _ = _run(["show", f"{XOR}:loss"], capsys)  # captured: not a terminal
    assert "\033[" not in piped
    assert piped == _strip_ansi(forced)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    _, no_color, _ = _run(["show", f"{XOR}:loss"], capsys)
    assert "\033[" not in no_color


def _strip_ansi(text):
    import re

    return re.sub(r"\033\[[0-9;]*m", "", text)


def test_highlighter_keeps_the_text_and_survives_broken_code():
    code = 's = "a # b"  # note\nx = 1.5e3 if s else (\n'
    assert highlight(code) == code  # does not tokenize: unchanged
    assert _strip_ansi(highlight('def f(x):\n    return """doc\n""" + 2  # c\n')) == (
        'def f(x):\n    return """doc\n""" + 2  # c\n'
    )


def test_show_forward_and_hvp_modes_print_what_jvp_and_hvp_generate(capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "tests"))
    import corpus

    fn = load_gradient(f"{XOR}:loss", None).fn
    code, out, _ = _run(["show", f"{XOR}:loss", "--mode", "forward"], capsys)
    assert code == 0 and out == srcgrad.jvp(fn, wrt=("W1", "B1", "W2", "B2")).source
    assert out.startswith("def loss_jvp(W1, B1, W2, B2, X, Y, dW1, dB1, dW2, dB2):")
    code, out, _ = _run(["show", f"{XOR}:loss", "--mode", "forward", "--stage", "simplified"], capsys)
    assert code == 0 and out == srcgrad.jvp(fn, wrt=("W1", "B1", "W2", "B2")).source
    code, out, _ = _run(["show", f"{CORPUS}:rnn_loss", "--wrt", "Wx", "--mode", "forward"], capsys)
    assert code == 0 and out == srcgrad.jvp(corpus.rnn_loss, wrt="Wx").source
    code, out, _ = _run(["show", f"{XOR}:loss", "--mode", "hvp", "--wrt", "W2,B2"], capsys)
    assert code == 0 and out == srcgrad.hvp(fn, wrt=("W2", "B2")).source
    assert out.startswith("def loss_grad_jvp(")  # forward mode over the gradient's code
    _, colored, _ = _run(["show", f"{XOR}:loss", "--mode", "forward", "--color", "always"], capsys)
    assert "\033[1;35mreturn" in colored


def test_show_example_prints_the_code_the_examples_call_runs(capsys):
    general = load_gradient(f"{XOR}:loss", None)
    g = load_gradient(f"{XOR}:loss", None)
    args = g.fn.__globals__["loss_example"]()
    g(*args)
    code, out, err = _run(["show", f"{XOR}:loss", "--example"], capsys)
    first, _, rest = out.partition("\n")
    assert code == 0 and err == ""
    assert first == (
        "# the code for loss_example()'s arguments: W1 float64[2, 20], B1 float64[20], "
        "W2 float64[20, 1], B2 float64[1], X float64[4, 2], Y float64[4, 1]"
    )
    assert rest == g.source != general.source
    assert "unbroadcast" in general.source and "unbroadcast" not in rest and "dadd.sum(axis=0)" in rest
    code, same, _ = _run(["show", f"{XOR}:loss", "--example", "--stage", "simplified"], capsys)
    assert code == 0 and same == out

    ones = [np.ones_like(a) for a in args[:4]]
    fn, wrt = g.fn, ("W1", "B1", "W2", "B2")
    jvp, hvp = srcgrad.jvp(fn, wrt=wrt), srcgrad.hvp(fn, wrt=("W2", "B2"))
    jvp(*args, *ones)
    hvp(*args, *ones[2:])
    code, out, _ = _run(["show", f"{XOR}:loss", "--example", "--mode", "forward"], capsys)
    assert code == 0 and out.partition("\n")[2] == jvp.source != srcgrad.jvp(fn, wrt=wrt).source
    code, out, _ = _run(["show", f"{XOR}:loss", "--example", "--mode", "hvp", "--wrt", "W2,B2"], capsys)
    assert code == 0 and out.partition("\n")[2] == hvp.source
    assert out.startswith("# the code for loss_example()") and "def loss_grad_jvp(" in out


def test_show_example_takes_arguments_by_name_and_nested_parameters(tmp_path, capsys):
    source = tmp_path / "nested_model.py"
    source.write_text(
        textwrap.dedent(
            """
            import numpy as np

            def loss(params, x, scale=1.0):
                return np.sum(np.tanh(x @ params["W"] + params["b"])) * scale

            def loss_example():
                return {"params": {"W": np.ones((3, 2)), "b": np.zeros(2)}, "x": np.ones((4, 3))}
            """
        )
    )
    code, out, err = _run(["show", f"{source}:loss", "--example"], capsys)
    assert code == 0, err
    assert out.startswith("# the code for loss_example()'s arguments: params dict, x float64[4, 3]\n")
    assert "params['W']" in out or 'params["W"]' in out


@pytest.mark.parametrize(
    "example, message",
    [
        (None, "--example calls f_example(), and {path} has none: define it"),
        ("def f_example():\n    raise ValueError('no data')\n", "f_example() raised ValueError: no data"),
        ("def f_example():\n    return 1.0, 2.0\n", "f_example() returns arguments f does not accept"),
    ],
)
def test_show_example_errors_name_the_example_function(tmp_path, capsys, example, message):
    source = tmp_path / "plain_model.py"
    source.write_text("import numpy as np\n\ndef f(x):\n    return np.sum(x ** 2)\n\n" + (example or ""))
    code, out, err = _run(["show", f"{source}:f", "--example"], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert message.format(path=source) in err


def test_show_example_has_no_stages(capsys):
    code, out, err = _run(["show", f"{XOR}:loss", "--example", "--stage", "anf"], capsys)
    assert code == 2 and out == "" and "--example shows the generated code only" in err


@pytest.mark.parametrize("stage", ["anf", "activity", "raw-adjoint", "all"])
def test_stages_other_than_the_final_code_are_for_reverse_mode(capsys, stage):
    for mode in ("forward", "hvp"):
        code, out, err = _run(["show", f"{XOR}:loss", "--mode", mode, "--stage", stage], capsys)
        assert code == 2 and out == "" and err.count("\n") == 1
        assert f"--stage {stage} is for --mode reverse" in err


# -- export -----------------------------------------------------------------------------------

# (file, function, wrt, inputs): the XOR network, then loops, branches, helpers and globals
CASES = [
    (
        XOR,
        "loss",
        "W1,B1,W2,B2",
        lambda r: [
            r.normal(size=(2, 5)),
            r.normal(size=5),
            r.normal(size=(5, 1)),
            r.normal(size=1),
            r.normal(size=(4, 2)),
            r.normal(size=(4, 1)),
        ],
    ),
    (
        CORPUS,
        "rnn_loss",
        "Wx,Wh,b",
        lambda r: [
            r.normal(size=(3, 4)),
            r.normal(size=(4, 4)),
            r.normal(size=4),
            r.normal(size=(5, 2, 3)),
            r.normal(size=(5, 2, 4)),
        ],
    ),
    (
        CORPUS,
        "gru_like",
        "Wg,Wc",
        lambda r: [
            r.normal(size=(5, 2)),
            r.normal(size=(5, 2)),
            r.normal(size=(4, 2)),
            r.normal(size=(3, 4, 3)),
        ],
    ),
    (CORPUS, "decayed_rewards", "w", lambda r: [r.normal(size=3), r.normal(size=(4, 3))]),
    (CORPUS, "value_branch", "w", lambda r: [r.normal(size=(2, 3)), r.normal(size=(2, 3))]),
    (CORPUS, "piecewise", "t", lambda r: [0.3]),
    (CORPUS, "grow_until", "x,w", lambda r: [r.uniform(0.1, 0.5, size=3), 1.5]),
]


def _site_packages_of_numpy():
    return str(pathlib.Path(np.__file__).parent.parent)


def test_exported_modules_run_without_srcgrad_and_match_grad(tmp_path, capsys):
    rng = np.random.default_rng(0)
    expected, names = {}, []
    for path, function, wrt, make in CASES:
        out = tmp_path / f"exported_{function}.py"
        assert main(["export", f"{path}:{function}", "--wrt", wrt, "-o", str(out)]) == 0
        text = out.read_text()
        assert text.startswith(f"# Generated by srcgrad {srcgrad.__version__} on ")
        imported = {
            (node.module or "" if isinstance(node, ast.ImportFrom) else al.name).partition(".")[0]
            for node in ast.walk(ast.parse(text))
            if isinstance(node, (ast.Import, ast.ImportFrom))
            for al in node.names
        }
        assert imported <= {"numpy", "__future__", "cupy", "dataclasses"}, imported
        args = make(rng)
        np.savez(tmp_path / f"args_{function}.npz", *args)
        g = load_gradient(f"{path}:{function}", wrt)
        expected[function] = g(*args)
        names.append(function)
    capsys.readouterr()

    # -I -S: no PYTHONPATH, no current directory, no site-packages .pth files (srcgrad's editable
    # install is one); only NumPy's directory and the exported modules' are put on the path
    driver = textwrap.dedent(
        f"""
        import sys
        sys.path[:0] = [{str(tmp_path)!r}]
        sys.path.append({_site_packages_of_numpy()!r})
        try:
            import srcgrad
        except ImportError:
            pass
        else:
            raise SystemExit("srcgrad is importable: " + srcgrad.__file__)
        import importlib
        import numpy as np
        for name in {names!r}:
            module = importlib.import_module("exported_" + name)
            loaded = np.load({str(tmp_path)!r} + "/args_" + name + ".npz")
            args = [loaded[f"arr_{{i}}"] for i in range(len(loaded.files))]
            args = [float(a) if a.ndim == 0 else a for a in args]
            value, grads = getattr(module, name + "_grad")(*args)
            grads = grads if isinstance(grads, tuple) else (grads,)
            np.savez({str(tmp_path)!r} + "/out_" + name + ".npz", np.asarray(value), *grads)
            assert module.__dict__[name](*args) == value
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", driver], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    for name in names:
        value, grads = expected[name]
        grads = grads if isinstance(grads, tuple) else (grads,)
        got = np.load(tmp_path / f"out_{name}.npz")
        assert got["arr_0"] == value
        for i, g in enumerate(grads, start=1):
            assert np.asarray(g).dtype == got[f"arr_{i}"].dtype
            assert np.array_equal(got[f"arr_{i}"], g), (name, i)


def test_export_writes_literal_globals_and_refuses_other_values(tmp_path, capsys, monkeypatch):
    source = tmp_path / "model.py"
    source.write_text(
        textwrap.dedent(
            """
            import numpy as onp
            from numpy import tanh

            SCALE = 0.5
            SHIFT = onp.array([1.0, 2.0])
            TABLE = object()

            def f(x):
                return onp.sum(tanh(x * SCALE + SHIFT))

            def g(x):
                return onp.sum(x * TABLE)

            def make():
                k = 3.0
                t = {1, 2}
                def inner(x):
                    return onp.sum(x * k)
                def bad(x):
                    return onp.sum(x * len(t))
                return inner, bad

            inner, bad = make()
            """
        )
    )
    out = tmp_path / "out.py"
    assert main(["export", f"{source}:f", "-o", str(out)]) == 0
    text = out.read_text()
    assert "SCALE = 0.5" in text and "import numpy as onp" in text and "from numpy import tanh" in text
    namespace = {}
    exec(compile(text, str(out), "exec"), namespace)
    x = np.array([0.3, -0.2])
    value, dx = namespace["f_grad"](x)
    monkeypatch.syspath_prepend(str(tmp_path))
    expected_value, expected_dx = load_gradient(f"{source}:f", None)(x)
    assert value == expected_value and np.array_equal(dx, expected_dx)

    assert main(["export", f"{source}:inner", "-o", str(out)]) == 0
    assert "k = 3.0" in out.read_text()
    capsys.readouterr()
    for target, needle in [("g", "'TABLE', a object"), ("bad", "closes over 't'")]:
        code = main(["export", f"{source}:{target}", "-o", str(out)])
        err = capsys.readouterr().err
        assert code == 2 and needle in err and "Traceback" not in err


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target, message",
    [
        ("no_colon.py", "expected path/to/file.py:function"),
        ("missing.py:f", "no such file: missing.py"),
        (f"{XOR}:nothing", "has no function 'nothing'"),
        (f"{XOR}:np", "np is a module, not a function"),
    ],
)
def test_bad_targets_are_one_line_and_exit_2(target, message, capsys):
    code, out, err = _run(["show", target], capsys)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_unsupported_code_quotes_the_users_line_and_debug_shows_the_traceback(tmp_path, capsys):
    source = tmp_path / "bad_model.py"
    source.write_text("import numpy as np\n\ndef f(x):\n    y = {v for v in x}\n    return np.sum(y)\n")
    code, _, err = _run(["show", f"{source}:f"], capsys)
    assert code == 2 and "Traceback" not in err
    assert err.startswith("srcgrad show: error: ") and "y = {v for v in x}" in err and "line 4" in err
    code, _, err = _run(["show", f"{source}:f", "--debug"], capsys)
    assert code == 2 and "Traceback (most recent call last)" in err


def test_a_file_that_fails_to_import_is_one_line(tmp_path, capsys):
    source = tmp_path / "broken.py"
    source.write_text("import numpy as np\n\nraise RuntimeError('boom')\n")
    code, _, err = _run(["export", f"{source}:f", "-o", str(tmp_path / "x.py")], capsys)
    assert code == 2 and err.count("\n") == 1
    assert "importing" in err and "line 3: RuntimeError: boom" in err


def test_check_dispatches_to_checking_module(monkeypatch, capsys):
    import types

    calls = []
    fake = types.ModuleType("srcgrad.checking")
    fake.run_check = lambda *args, **kwargs: calls.append((args, kwargs)) or 0
    monkeypatch.setitem(sys.modules, "srcgrad.checking", fake)
    assert main(["check", f"{XOR}:loss", "--wrt", "W1,B1", "--examples", "3", "--seed", "7"]) == 0
    assert calls == [((f"{XOR}:loss", ["W1", "B1"], 3, 7, False), {"mode": "reverse"})]
    for mode in ("forward", "both"):
        assert main(["check", f"{XOR}:loss", "--mode", mode]) == 0
        assert calls[-1] == ((f"{XOR}:loss", None, 100, None, False), {"mode": mode})
    with pytest.raises(SystemExit) as caught:  # argparse's usage error
        main(["check", f"{XOR}:loss", "--mode", "hvp"])
    assert caught.value.code == 2


def test_python_dash_m_srcgrad_help():
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    for argv in (["srcgrad", "--help"], ["srcgrad", "show", "--help"]):
        result = subprocess.run(
            [sys.executable, "-m", *argv], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60
        )
        assert result.returncode == 0, result.stderr
        assert "usage: srcgrad" in result.stdout
    assert (
        "export"
        in subprocess.run(
            [sys.executable, "-m", "srcgrad", "--help"], capture_output=True, text=True, cwd=ROOT, env=env
        ).stdout
    )


# -- the outputs docs/cli.md quotes ------------------------------------------------------------

DOCS_ROOT = "/path/to/srcgrad"  # the repository's folder, as docs/cli.md writes it
_SECONDS = re.compile(r"\b\d+\.\d s\)")  # how long a check took


def _documented_commands():
    """(line, command, expected output) for each command docs/cli.md shows with its output: a ```sh
    block of one `srcgrad show` command and the fenced block after it; each `$ srcgrad ...` line
    of a ```text block and the lines under it."""
    path = ROOT / "docs" / "cli.md"
    blocks, lines, i = [], path.read_text().splitlines(), 0
    while i < len(lines):
        if lines[i].startswith("```") and len(lines[i]) > 3:
            end = lines.index("```", i + 1)
            blocks.append((i + 1, lines[i][3:], lines[i + 1 : end]))
            i = end
        i += 1
    found = []
    for (line, lang, body), following in zip(blocks, [*blocks[1:], None]):
        if lang == "sh" and len(body) == 1 and body[0].startswith("srcgrad show "):
            found.append((line, body[0], "\n".join(following[2]) + "\n"))
        elif lang == "text" and body and body[0].startswith("$ srcgrad "):
            starts = [j for j, text in enumerate(body) if text.startswith("$ ")] + [len(body)]
            for j, k in zip(starts, starts[1:]):
                found.append((line + j, body[j][2:], "".join(text + "\n" for text in body[j + 1 : k])))
    return found


def test_docs_cli_shows_commands_with_their_output():
    commands = [command for _, command, _ in _documented_commands()]
    assert len(commands) >= 10, commands
    for needed in ("--example", "--stage all", "--mode forward", "srcgrad check", "xor.py:main"):
        assert any(needed in command for command in commands), needed


@pytest.mark.parametrize(
    "line, command, expected", _documented_commands(), ids=[c for _, c, _ in _documented_commands()]
)
def test_docs_cli_outputs(line, command, expected, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    argv = shlex.split(command)
    assert argv[0] == "srcgrad"
    main(argv[1:])
    out, err = capsys.readouterr()
    got = (out + err).replace(str(ROOT), DOCS_ROOT)
    assert _SECONDS.sub("N s)", got) == _SECONDS.sub("N s)", expected), f"docs/cli.md, line {line}: {command}"


def test_docs_cli_quotes_the_first_line_of_an_exported_module(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    quoted = re.search(r"\(`(# Generated by srcgrad .*?)`\)", (ROOT / "docs" / "cli.md").read_text()).group(1)
    out = tmp_path / "decayed_grad.py"
    assert main(["export", "tests/corpus.py:decayed_rewards", "--wrt", "w", "-o", str(out)]) == 0
    first = out.read_text().splitlines()[0]
    date = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
    assert date.sub("DATE", first) == date.sub("DATE", quoted)
