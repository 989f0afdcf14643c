"""Exported gradients, run where `import srcgrad` fails: every corpus program and parameters in
dicts, lists and tuples give the value and gradients `srcgrad.grad` gives (tests/test_cli.py
checks the command's output for a few programs, bit for bit)."""

import pathlib
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from test_corpus import CASES as CORPUS_CASES
from test_corpus import Case

import srcgrad
from srcgrad.cli import main
from srcgrad.export import ExportError, export_source
from srcgrad.loading import load_function

ROOT = pathlib.Path(__file__).parent.parent
CORPUS = str(ROOT / "tests" / "corpus.py")


# -- parameters in containers, besides the corpus's dict_of_weights, list_of_weights,
# layers_in_a_list and parameter_part_rebound_in_a_loop


def dict_of_lists(params, x):
    h = np.tanh(x @ params["W"][0] + params["b"][0])
    h = np.tanh(h @ params["W"][1] + params["b"][1])
    return np.sum(h**2)


def tuple_of_arrays(params, x):
    W, b = params
    return np.sum(np.tanh(x @ W + b))


def nested_dicts(params, x):
    encoder = params["encoder"]
    h = np.tanh(x @ encoder["W"] + encoder["b"])
    return np.sum(h @ params["head"]["W"]) * params["head"]["scale"]


def dict_and_array(params, b, x):
    W = params["W"]
    c, d = params["cd"]
    return np.sum(np.tanh(x @ W + b) * c) + d * 2.0


def dict_of_data(w, data):
    return np.sum(np.tanh(data["x"] @ w) * data["scale"])


def over_items(params, x):
    total = 0.0
    for _, W in params.items():
        total = total + np.sum(np.tanh(x @ W))
    return total


def list_of_floats(coeffs, x):
    c0, c1, c2 = coeffs
    return np.sum(c0 + c1 * x + c2 * x**2)


def int_keys(params, x):
    return np.sum(np.tanh(x @ params[0] + params[1]))


def with_aux(params, x):
    h = np.tanh(x @ params[0][0] + params[0][1])
    return np.sum(h**2), h.shape


def _n(r, *shape):
    return r.standard_normal(shape)


def _layers(r):
    return {"W": [_n(r, 3, 4), _n(r, 4, 2)], "b": [_n(r, 4), _n(r, 2)]}


def _encoder(r):
    return {"encoder": {"W": _n(r, 3, 4), "b": _n(r, 4)}, "head": {"W": _n(r, 4, 1), "scale": 0.7}}


# (case, grad options): Case.wrt and Case.make as in tests/test_corpus.py
NESTED = [
    (Case(dict_of_lists, ("params",), lambda r: (_layers(r), _n(r, 5, 3))), {}),
    (Case(dict_of_lists, ("params",), lambda r: (_layers(r), _n(r, 5, 3))), {"with_value": False}),
    (Case(tuple_of_arrays, ("params",), lambda r: ((_n(r, 3, 2), _n(r, 2)), _n(r, 4, 3))), {}),
    (Case(nested_dicts, ("params",), lambda r: (_encoder(r), _n(r, 5, 3))), {}),
    (
        Case(
            dict_and_array,
            ("params", "b"),
            lambda r: ({"W": _n(r, 3, 2), "cd": [_n(r, 2), 0.5]}, _n(r, 2), _n(r, 4, 3)),
        ),
        {},
    ),
    (  # the dict is not differentiated
        Case(
            dict_and_array,
            ("x",),
            lambda r: ({"W": _n(r, 3, 2), "cd": [_n(r, 2), 0.5]}, _n(r, 2), _n(r, 4, 3)),
        ),
        {},
    ),
    (Case(dict_of_data, ("w",), lambda r: (_n(r, 3), {"x": _n(r, 4, 3), "scale": 2.0})), {}),
    (Case(over_items, ("params",), lambda r: ({"a": _n(r, 3, 2), "b": _n(r, 3, 2)}, _n(r, 4, 3))), {}),
    (Case(list_of_floats, ("coeffs",), lambda r: ([0.5, -1.0, 0.25], _n(r, 5))), {}),
    (Case(int_keys, ("params",), lambda r: ({0: _n(r, 3, 2), 1: _n(r, 2)}, _n(r, 4, 3))), {}),
    (Case(with_aux, ("params",), lambda r: ([(_n(r, 3, 2), _n(r, 2))], _n(r, 4, 3))), {"has_aux": True}),
    (
        Case(with_aux, ("params",), lambda r: ([(_n(r, 3, 2), _n(r, 2))], _n(r, 4, 3))),
        {"has_aux": True, "with_value": False},
    ),
]

# the programs of tests/test_corpus.py that srcgrad differentiates (not those marked xfail)
WORKING = [(c, {}) for c in CORPUS_CASES if not any(m.name == "xfail" for m in c.marks)]

# run in a Python where srcgrad cannot be imported (a finder refuses it, ahead of the editable
# install's): import each exported module, call its gradient, pickle what it returns or raises
DRIVER = textwrap.dedent(
    """
    import importlib
    import importlib.abc
    import pickle
    import sys

    class NoSrcgrad(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] == "srcgrad":
                raise ImportError("srcgrad may not be imported here")

    sys.meta_path.insert(0, NoSrcgrad())
    folder = sys.argv[1]
    sys.path.insert(0, folder)
    try:
        import srcgrad
    except ImportError:
        pass
    else:
        raise SystemExit("srcgrad is importable: " + srcgrad.__file__)
    with open(folder + "/calls.pkl", "rb") as f:
        calls = pickle.load(f)
    results = {}
    for module_name, function, args in calls:
        try:
            gradient = getattr(importlib.import_module(module_name), function)
            results[module_name] = ("returned", gradient(*args))
        except Exception as exc:
            results[module_name] = ("raised", f"{type(exc).__name__}: {exc}")
    loaded = sorted(n for n in sys.modules if n.partition(".")[0] == "srcgrad")
    if loaded:
        raise SystemExit(f"srcgrad was imported: {loaded}")
    with open(folder + "/results.pkl", "wb") as f:
        pickle.dump(results, f)
    """
)


def _grad(case, options):
    wrt = case.wrt[0] if len(case.wrt) == 1 else case.wrt
    return srcgrad.grad(case.func, wrt=wrt, **options)


def _args(case):
    return case.make(np.random.default_rng(1234))


def _mismatch(got, expected, what):
    """Where `got` differs from `expected` (nested dicts, lists and tuples compared leaf by leaf:
    the same type, and for numbers the same shape and dtype, and close values), or None."""
    if type(got) is not type(expected):
        return f"{what}: a {type(got).__name__}, expected a {type(expected).__name__}"
    if isinstance(expected, dict):
        if list(got) != list(expected):
            return f"{what}: keys {list(got)}, expected {list(expected)}"
        return next((m for k in expected if (m := _mismatch(got[k], expected[k], f"{what}[{k!r}]"))), None)
    if isinstance(expected, (list, tuple)):
        if len(got) != len(expected):
            return f"{what}: {len(got)} items, expected {len(expected)}"
        pairs = enumerate(zip(got, expected))
        return next((m for i, (a, b) in pairs if (m := _mismatch(a, b, f"{what}[{i}]"))), None)
    if isinstance(expected, (int, str)) or expected is None:
        return None if got == expected else f"{what}: {got!r}, expected {expected!r}"
    if np.shape(got) != np.shape(expected) or getattr(got, "dtype", None) != getattr(expected, "dtype", None):
        return f"{what}: shape {np.shape(got)} {getattr(got, 'dtype', '')}, expected {np.shape(expected)}"
    if not np.allclose(got, expected, rtol=1e-9, atol=1e-12, equal_nan=True):
        return f"{what}: {got!r}, expected {expected!r}"
    return None


def test_every_corpus_program_and_nested_parameters_run_exported_without_srcgrad(tmp_path):
    cases = WORKING + NESTED
    calls, expected, names = [], {}, {}
    for i, (case, options) in enumerate(cases):
        g = _grad(case, options)
        args = _args(case)
        name = f"exported_{i}"
        names[name] = f"{case.func.__name__}{options or ''} wrt {', '.join(case.wrt)}"
        (tmp_path / f"{name}.py").write_text(export_source(g, examples=[args]))
        expected[name] = g(*args)
        calls.append((name, f"{case.func.__name__}_grad", args))
    with open(tmp_path / "calls.pkl", "wb") as f:
        pickle.dump(calls, f)

    result = subprocess.run(
        [sys.executable, "-I", "-c", DRIVER, str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    with open(tmp_path / "results.pkl", "rb") as f:
        results = pickle.load(f)
    failures = []
    for name, (how, got) in results.items():
        problem = got if how == "raised" else _mismatch(got, expected[name], "result")
        if problem:
            failures.append(f"{names[name]}: {problem}")
    assert not failures, "\n".join(failures)
    assert len(results) == len(cases) >= 100 + len(NESTED)
    nested = {c.func.__name__ for c, _ in cases if any(isinstance(a, (dict, list, tuple)) for a in _args(c))}
    assert {
        "dict_of_weights",
        "list_of_weights",
        "layers_in_a_list",
        "dict_of_lists",
        "nested_dicts",
    } <= nested


# -- where the nesting comes from, and what export refuses --------------------------------------


def _module(text):
    namespace = {}
    exec(compile(text, "<exported>", "exec"), namespace)
    return namespace


def test_a_parameter_read_by_key_is_refused_at_export_without_an_example(tmp_path, capsys):
    import corpus

    with pytest.raises(ExportError) as info:
        export_source(srcgrad.grad(corpus.dict_of_weights))
    message = str(info.value)
    assert "'dict_of_weights'" in message and "'params'" in message and "params['W1']" in message
    assert "dict_of_weights_example()" in message and "examples=" in message
    out = tmp_path / "m.py"
    assert main(["export", f"{CORPUS}:dict_of_weights", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "cannot export 'dict_of_weights'" in err and "Traceback" not in err and not out.exists()


def test_export_reads_the_example_function_of_the_module(tmp_path):
    source = tmp_path / "nested_params_model.py"
    source.write_text(
        textwrap.dedent(
            """
            import numpy as np

            def loss(params, x):
                h = np.tanh(x @ params["W1"] + params["b1"])
                return np.sum(h @ params["W2"])

            def loss_example():
                r = np.random.default_rng(0)
                params = {"W1": r.normal(size=(3, 4)), "b1": r.normal(size=4), "W2": r.normal(size=(4, 2))}
                return params, r.normal(size=(5, 3))
            """
        )
    )
    out = tmp_path / "out.py"
    assert main(["export", f"{source}:loss", "-o", str(out)]) == 0
    text = out.read_text()
    assert "W1 = params['W1']" in text and "_VARIANTS = {" in text
    args = load_function(f"{source}:loss_example")()
    expected = srcgrad.grad(load_function(f"{source}:loss"))(*args)
    assert _mismatch(_module(text)["loss_grad"](*args), expected, "result") is None


def test_export_has_the_code_for_the_calls_made_before():
    import corpus

    g = srcgrad.grad(corpus.dict_of_weights)
    args = _args(next(c for c, _ in WORKING if c.func is corpus.dict_of_weights))
    expected = g(*args)
    assert _mismatch(_module(export_source(g))["dict_of_weights_grad"](*args), expected, "result") is None


def test_a_nesting_the_module_has_no_code_for_is_refused_when_called():
    import corpus

    r = np.random.default_rng(0)
    W, b, x = _n(r, 3, 3), _n(r, 3), _n(r, 3, 3)
    g = srcgrad.grad(corpus.list_of_weights)
    exported = _module(export_source(g, examples=[([W, b], x)]))["list_of_weights_grad"]
    for params in ([W, b], _n(r, 2, 3, 3)):  # a list, and an array (`W, b = params`, the code for arrays)
        assert _mismatch(exported(params, x), g(params, x), "result") is None
    with pytest.raises(TypeError) as info:
        exported((W, b), x)
    message = str(info.value)
    assert "list_of_weights_grad has no code for params = (array, array)" in message
    assert "exported for params = a float or an array or [array, array]" in message
    assert "list_of_weights_example()" in message
