"""Backends: the same generated code on NumPy, Dask (tested here, on the CPU) and CuPy.

CuPy cannot run without a CUDA device, so on this kind of machine its part is checked in two
ways that need none: every name the generated code and the runtime helpers read from NumPy,
recorded while the whole corpus runs, must exist in the real `cupy` namespace; and srcgrad's
own translation of each rule-table function to CuPy's must succeed. The exceptions are the
functions of CUPY_MISSING (tests/rulespec.py), which CuPy lacks (Bessel functions of any order):
CuPy must still lack them, and srcgrad must refuse them naming the function. The wheel imports
without a GPU; .ci/run installs it, the test extra does not (274 MB), and without it these checks skip.
The corpus and rule tests parametrized over `BACKENDS` run fully on CuPy wherever
a device exists, and are skipped with the reason otherwise.
"""

import ast
import functools
import inspect
import os
import pathlib
import platform
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import test_corpus as T
from backendspec import (
    BACKENDS,
    assert_same_on_backend,
    cuda_missing,
    dask_missing,
    leaves,
    to_backend,
    to_numpy,
)
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from rulespec import CUPY_MISSING

import srcgrad
import srcgrad.rules
from srcgrad import backends, runtime
from srcgrad.rules import ADJOINTS, NONDIFFERENTIABLE

ROOT = pathlib.Path(srcgrad.__file__).parent
# corpus programs whose gradient needs np.add.at (indices that may repeat, or masks): Dask has
# no scatter-add, so srcgrad must refuse them with an error naming it
DASK_GAPS = {"bag_of_words", "masked_and_gathered", "picked_by_lists"}
# simulations of 200 tiny steps: on Dask each step is a layer of the task graph, and the graph
# of value and gradient is too deep for Dask to order (RecursionError in dask.order after 10-40 s;
# the forward pass alone still computes). Such code belongs on NumPy: docs/backends.md says so.
DASK_TOO_DEEP = {"spring_mass", "predator_prey", "verlet_oscillator"}


def dask_only(test):
    skip = pytest.mark.skipif(dask_missing() is not None, reason=str(dask_missing()))
    return pytest.mark.dask(skip(test))


def _corpus_params():
    out = []
    for case in T._working():
        for backend in BACKENDS:
            label = case.id or case.func.__name__
            out.append(pytest.param(case, backend.values[0], marks=backend.marks, id=f"{label}-{backend.id}"))
    return out


@pytest.mark.parametrize("case, backend", _corpus_params())
def test_corpus_on_backend_matches_numpy(case, backend):
    if backend == "dask" and case.func.__name__ in DASK_TOO_DEEP:
        pytest.skip("200 sequential steps make a task graph deeper than Dask can order")
    g = srcgrad.grad(case.func, wrt=case.wrt)
    args = T._args(case)
    moved = to_backend(args, backend)
    try:
        to_numpy(case.func(*moved))
    except Exception as own:  # the library cannot run the function itself: neither can its gradient
        with pytest.raises(type(own)):
            to_numpy(g(*moved))
        return
    if backend == "dask" and case.func.__name__ in DASK_GAPS:
        with pytest.raises(srcgrad.UnsupportedBackendError, match=r"numpy\.add\.at.*Dask"):
            to_numpy(g(*to_backend(args, backend)))
        return
    assert_same_on_backend(g, args, backend)


# ---------------------------------------------------------------------------------------------
# What the backend changes, on Dask (which runs here).


def logreg(w, b, X, y):
    z = X @ w + b
    return np.mean(np.logaddexp(0.0, z) - y * z)


def made_inside(x):
    z = np.zeros(x.shape) + np.ones_like(x) * 0.5
    return np.sum(z * x), z


@dask_only
def test_dask_results_are_lazy_dask_arrays_of_the_arguments_dtype():
    import dask
    import dask.array as da

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(400, 5)), (rng.random(400) > 0.5).astype(float)
    w, b = rng.normal(size=5), 0.3
    for dtype in (np.float64, np.float32):
        args = (w.astype(dtype), dtype(b), X.astype(dtype), y.astype(dtype))
        want_value, want = srcgrad.grad(logreg, wrt=("w", "X"))(*args)
        dX = da.from_array(args[2], chunks=(100, 5))
        value, (dw, ddX) = srcgrad.grad(logreg, wrt=("w", "X"))(args[0], args[1], dX, args[3])
        assert isinstance(value, da.Array) and isinstance(dw, da.Array) and isinstance(ddX, da.Array)
        assert dw.dtype == dtype and ddX.dtype == dtype and ddX.chunks == dX.chunks
        value, dw, ddX = dask.compute(value, dw, ddX)
        tolerance = 1e-12 if dtype == np.float64 else 1e-5
        np.testing.assert_allclose(value, want_value, rtol=tolerance)
        np.testing.assert_allclose(dw, want[0], rtol=tolerance)
        np.testing.assert_allclose(ddX, want[1], rtol=tolerance, atol=tolerance * 1e-3)


@dask_only
def test_arrays_the_function_creates_are_of_the_backend():
    import dask.array as da

    x = da.from_array(np.arange(6.0).reshape(2, 3), chunks=(1, 3))
    (value, z), dx = srcgrad.grad(made_inside, has_aux=True)(x)
    assert isinstance(z, da.Array), "np.zeros in the function made a NumPy array"
    np.testing.assert_array_equal(dx.compute(), np.full((2, 3), 0.5))
    assert value.compute() == pytest.approx(0.5 * 15)


@dask_only
def test_numpy_arrays_join_a_dask_call_as_one_chunk_arrays():
    import dask.array as da

    rng = np.random.default_rng(1)
    X, y, w = rng.normal(size=(50, 3)), rng.random(50), rng.normal(size=3)
    _, want = srcgrad.grad(logreg)(w, 0.1, X, y)
    _, got = srcgrad.grad(logreg)(w, 0.1, da.from_array(X, chunks=10), y)
    assert isinstance(got, da.Array)
    np.testing.assert_allclose(got.compute(), want, rtol=1e-12)


@dask_only
def test_a_numpy_function_dask_lacks_gets_an_error_naming_it_and_the_backend():
    import dask.array as da

    def sorted_sum(x):
        return np.sum(np.sort(x) * np.arange(3.0))

    with pytest.raises(srcgrad.UnsupportedBackendError, match=r"numpy\.sort .*dask\.array"):
        srcgrad.grad(sorted_sum)(da.from_array(np.array([3.0, 1.0, 2.0]), chunks=2))


@dask_only
def test_the_cache_keeps_one_compiled_function_per_backend():
    import dask.array as da

    srcgrad.clear_cache()
    before = srcgrad.cache_info().compiles
    g = srcgrad.grad(logreg)
    rng = np.random.default_rng(2)
    X, y, w = rng.normal(size=(20, 3)), rng.random(20), rng.normal(size=3)
    for _ in range(3):
        g(w, 0.0, X, y)
        g(w, 0.0, da.from_array(X, chunks=10), y)
    assert srcgrad.cache_info().compiles - before == 2


# ---------------------------------------------------------------------------------------------
# Choosing the backend: by argument type, without importing CuPy or Dask for NumPy calls.


def _fake(module: str, name: str, **attrs):
    """An object whose type claims to come from `module` (CuPy's arrays cannot be made here)."""
    return type(name, (), {"__module__": module, **attrs})()


def test_mixing_cupy_and_numpy_arrays_is_refused_naming_both():
    fake = _fake("cupy._core.core", "ndarray", dtype=np.dtype(float), shape=(2,))
    with pytest.raises(srcgrad.ArgumentTypeError, match=r"mix array libraries: w is a NumPy .* X a CuPy"):
        srcgrad.grad(logreg)(np.zeros(3), 0.0, fake, np.zeros(2))


@pytest.mark.parametrize(
    "module, name, hint",
    [
        ("torch", "Tensor", r"detach\(\)\.cpu\(\)\.numpy\(\)"),
        ("jaxlib.xla_extension", "ArrayImpl", "asarray"),
    ],
)
def test_an_unknown_array_library_is_refused_listing_the_supported_ones(module, name, hint):
    tensor = _fake(module, name, __array__=lambda self, dtype=None, copy=None: np.zeros((2, 3)))
    with pytest.raises(srcgrad.ArgumentTypeError) as info:
        srcgrad.grad(logreg)(np.zeros(3), 0.0, tensor, np.zeros(2))
    text = str(info.value)
    assert f"X is a {module}.{name}" in text
    assert "numpy.ndarray, cupy.ndarray or dask.array.Array" in text
    assert info.match(hint)


def test_an_unknown_array_library_as_wrt_is_refused_listing_the_supported_ones():
    tensor = _fake("torch", "Tensor", __array__=lambda self, dtype=None, copy=None: np.zeros(3))
    with pytest.raises(srcgrad.ArgumentTypeError, match=r"w is a torch\.Tensor.*cupy\.ndarray or dask"):
        srcgrad.grad(logreg)(tensor, 0.0, np.zeros((2, 3)), np.zeros(2))


def test_a_plain_list_as_wrt_is_a_nested_parameter_but_a_list_of_strings_is_refused():
    def total(xs):
        return xs[0] * 2.0 + xs[1]

    assert srcgrad.grad(total)([1.0, 2.0])[1] == [2.0, 1.0]
    with pytest.raises(srcgrad.ArgumentTypeError, match=r"(?s)xs\[0\].*float array of NumPy, CuPy or Dask"):
        srcgrad.grad(total)(["a", "b"])


def test_numpy_users_need_neither_cupy_nor_dask(tmp_path):
    code = textwrap.dedent(
        """
        import sys
        sys.modules["cupy"] = None  # importing them now raises ImportError
        sys.modules["dask"] = None
        import numpy as np
        import srcgrad

        def f(x):
            return np.sum(np.tanh(x) ** 2)

        value, dx = srcgrad.grad(f)(np.linspace(-1.0, 1.0, 5))
        assert dx.shape == (5,)
        print("ok")
        """
    )
    path = tmp_path / "no_extras.py"
    path.write_text(code)
    run = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr


# ---------------------------------------------------------------------------------------------
# CuPy without a GPU: the names generated code and helpers use, against the real namespace.


class _Recorder:
    """A module that records the attributes read from it (and from its submodules), and the
    keywords each of its functions is called with: `seen` maps a name to those keywords."""

    def __init__(self, module, path, seen):
        self._module, self._path, self._seen = module, path, seen

    def __getattr__(self, attr):
        value = getattr(self._module, attr)
        name = f"{self._path}.{attr}"
        keywords = self._seen.setdefault(name, set())
        if attr in ("linalg", "fft", "special"):
            return _Recorder(value, name, self._seen)
        if callable(value) and not isinstance(value, (type, np.ufunc)):

            def call(*args, **kwargs):
                keywords.update(kwargs)
                return value(*args, **kwargs)

            return call
        return value


def _recording_backend(seen):
    import scipy.special

    modules = {
        "numpy": _Recorder(np, "numpy", seen),
        "numpy.linalg": _Recorder(np.linalg, "numpy.linalg", seen),
        "numpy.fft": _Recorder(np.fft, "numpy.fft", seen),
        "scipy.special": _Recorder(scipy.special, "scipy.special", seen),
    }
    backend = backends.Backend("recorded", "NumPy, recorded", modules)

    def translate(value):  # the path Backend.translate takes for CuPy and Dask, on NumPy
        path = backends._path_of(value)
        if path is None:
            return value
        module, _, attr = path.rpartition(".")
        if path in modules or path == "scipy":
            return backend.module(path)
        return getattr(backend.module(module), attr)

    backend.translate = translate
    return backend


RULE_MODULES = ("test_rules", "test_rules_elementwise", "test_rules_indexing", "test_rules_linalg")
RULE_MODULES += ("test_rules_reductions", "test_rules_shape", "test_rules_signal", "test_rules_special")


def _on_recorder(backend, g, args):
    """`g`'s value and gradients from its code compiled for `backend`, checked against NumPy's."""
    params = [args[list(g.signature.parameters).index(w)] for w in g.wrt]
    structures = None
    if any(isinstance(p, (dict, list, tuple)) for p in params):
        structures = tuple((w, srcgrad.functions.arguments.structure_of(p, w)) for w, p in zip(g.wrt, params))
    compiled = g.variant(structures, backend).compiled
    _, grads = compiled(*args)
    _, want = g(*args)
    for a, b in zip(leaves(grads), leaves(want)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def _rule_calls():
    """One drawn call of each form of each rule-table row: (function, wrt, arguments)."""
    import importlib

    import rulespec

    calls = []

    def one_call(spec, form):
        @settings(max_examples=1, database=None, derandomize=True, phases=[Phase.generate])
        @given(data=st.data())
        def draw(data):
            f, args, _ = rulespec._draw_call(spec, form, data, np.float64)
            calls.append((f, spec.wrt, args))

        draw()

    for name in RULE_MODULES:
        for spec in importlib.import_module(name).SPECS:
            for form in ("seed", "weighted") if spec.weighted else ("seed",):
                one_call(spec, form)
    return calls


@functools.cache
def _recorded() -> dict:
    """Every NumPy / scipy.special name read, with the keywords passed to it, while the corpus and
    one call of each rule-table row run on a recording backend: by the generated code (through
    the backend) and by the runtime helpers (their `np`)."""
    seen: dict = {}
    backend = _recording_backend(seen)
    modules = (runtime.core, runtime.elementwise, runtime.linalg, runtime.decompositions)
    modules += (runtime.reductions, runtime.shape, runtime.signal)
    srcgrad.clear_cache()  # code compiled for another recorder would record into its dict
    for module in modules:
        module.np = _Recorder(np, "numpy", seen)
    try:
        for case in T._working():
            _on_recorder(backend, srcgrad.grad(case.func, wrt=case.wrt), T._args(case))
        for f, wrt, args in _rule_calls():
            _on_recorder(backend, srcgrad.grad(f, wrt=wrt), args)
    finally:
        for module in modules:
            module.np = np
        srcgrad.clear_cache()
    return seen


def _recorded_names(monkeypatch) -> dict:
    return _recorded()


@pytest.mark.backends
# the rule table's rows call np.cross on 2-vectors and np.row_stack, which NumPy 2 deprecates but
# still has and users still call: their rules are tested for as long as NumPy keeps them
@pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors are deprecated:DeprecationWarning")
@pytest.mark.filterwarnings("ignore:`row_stack` alias is deprecated:DeprecationWarning")
def test_the_corpus_runs_through_a_swapped_module_and_reads_only_numpy_names(monkeypatch):
    seen = _recorded_names(monkeypatch)
    assert {"numpy.tanh", "numpy.ones_like", "numpy.linalg.norm"} <= set(seen), sorted(seen)[:20]
    assert all(n.startswith(("numpy.", "scipy.special.")) for n in seen)


def _cupy():
    try:
        import cupy
        import cupyx.scipy.special
    except ImportError as exc:
        # .ci/run installs the wheel into its main leg's venv (Linux x86_64 only) and says so here
        installed = os.environ.get("SRCGRAD_REQUIRE_CUPY") == "1"
        if installed and platform.system() == "Linux" and platform.machine() == "x86_64":
            pytest.fail(f".ci/run installed the cupy wheel, but it does not import: {exc}")
        pytest.skip(
            f"the cupy wheel is not installed ({exc}); the test extra leaves it out (274 MB): "
            "`pip install 'cupy-cuda12x>=13'` runs these checks, no GPU needed"
        )
    return cupy, cupyx.scipy.special


def _in_cupy(path: str, cupy, special) -> bool:
    module, _, attr = path.rpartition(".")
    where = {"numpy": cupy, "numpy.linalg": cupy.linalg, "numpy.fft": cupy.fft, "scipy.special": special}
    return hasattr(where[module], attr)


# dtype and error-state utilities the runtime applies to dtypes and Python values, not arrays
HOST_ONLY = {
    "numpy.dtype", "numpy.issubdtype", "numpy.inexact", "numpy.integer", "numpy.complexfloating",
    "numpy.errstate", "numpy.finfo", "numpy.generic", "numpy.ndarray", "numpy.lib", "numpy.s_",
    "numpy.floating", "numpy.bool_", "numpy.number",
}  # fmt: skip


def _cupy_missing_is_current(cupy, special):
    """CUPY_MISSING names only functions CuPy really lacks: once it has one, it leaves the set."""
    has = sorted(n for n in CUPY_MISSING if _in_cupy(n, cupy, special))
    assert not has, f"CuPy has {has} now: take them out of CUPY_MISSING (tests/rulespec.py)"


@pytest.mark.backends
def test_every_name_the_corpus_read_exists_in_cupy(monkeypatch):
    cupy, special = _cupy()
    _cupy_missing_is_current(cupy, special)
    seen = _recorded_names(monkeypatch)
    missing = sorted(n for n in set(seen) - HOST_ONLY if not _in_cupy(n, cupy, special))
    assert sorted(set(missing) - CUPY_MISSING) == [], f"CuPy lacks {missing}"
    assert len(seen) > 40  # the corpus reads 46: an empty recording would prove nothing
    assert set(seen) >= CUPY_MISSING, "a function of CUPY_MISSING that no rule-table row calls"


@pytest.mark.backends
def test_every_keyword_srcgrad_passes_is_one_cupy_takes(monkeypatch):
    """`np.clip(x, min=a, max=b)` is NumPy 2.1's spelling; `cupy.clip` takes only `a_min`,
    `a_max`: the CuPy layer in srcgrad/backends.py must translate every such keyword."""
    cupy, special = _cupy()
    layer = backends.backend_named("cupy")
    seen = _recorded_names(monkeypatch)
    used = {name: keywords for name, keywords in seen.items() if keywords and name not in HOST_ONLY}
    assert used, "the corpus passed no keywords: nothing was checked"
    refused = []
    for name, keywords in sorted(used.items()):
        module, _, attr = name.rpartition(".")
        function = getattr(layer.module(module), attr)
        try:
            signature = inspect.signature(function)
        except (TypeError, ValueError):  # a ufunc-like or compiled function: nothing to read
            continue
        if any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
            continue
        refused += [f"{name}({k}=)" for k in sorted(keywords) if k not in signature.parameters]
    assert sorted(set(refused) - USERS_KEYWORDS) == [], f"CuPy's functions do not take {refused}"


# NumPy keywords that rule-table rows pass in their own code, not srcgrad's, and that CuPy's
# functions lack: such a function fails on CuPy by itself, with CuPy's TypeError
USERS_KEYWORDS = {"numpy.linalg.cholesky(upper=)", "numpy.linalg.pinv(hermitian=)", "numpy.take(mode=)"}


def _template_names() -> set:
    """`np.*` names written in the rule templates and runtime helpers (doctests aside)."""
    names = set()
    files = [*(ROOT / "rules" / "numpy").glob("*.py"), *(ROOT / "runtime").glob("*.py")]
    for file in files:
        for node in ast.walk(ast.parse(file.read_text())):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "np":
                names.add(f"numpy.{node.attr}")
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Attribute)
                and isinstance(node.value.value, ast.Name)
                and node.value.value.id == "np"
                and node.value.attr in ("linalg", "fft")
            ):
                names.add(f"numpy.{node.value.attr}.{node.attr}")
    return names - {"numpy.linalg", "numpy.fft", "numpy.__version__"}


def test_every_name_written_in_the_rules_and_runtime_exists_in_cupy():
    cupy, special = _cupy()
    names = _template_names()
    assert len(names) > 100
    missing = sorted(n for n in names - HOST_ONLY if not _in_cupy(n, cupy, special))
    assert not missing, f"CuPy lacks {missing}"


def test_every_rule_table_function_translates_to_cupy():
    """Each function of the table has its CuPy counterpart, but those of CUPY_MISSING, which CuPy
    lacks: translating one raises UnsupportedBackendError naming it."""
    cupy, special = _cupy()
    _cupy_missing_is_current(cupy, special)
    srcgrad.rules.lookup(np.exp)  # load the table (and the scipy.special section)
    import scipy.special  # noqa: F401

    cupy_backend = backends.backend_named("cupy")
    keys = [k for k in [*ADJOINTS, *NONDIFFERENTIABLE] if backends._path_of(k) is not None]
    assert len(keys) > 120
    refused = set()
    for key in keys:
        path = backends._path_of(key)
        if path in CUPY_MISSING:
            refusal = rf"{re.escape(path)} has no counterpart in CuPy"
            with pytest.raises(srcgrad.UnsupportedBackendError, match=refusal):
                cupy_backend.translate(key)
            refused.add(path)
            continue
        counterpart = cupy_backend.translate(key)
        assert callable(counterpart), path
    named = {backends._path_of(getattr(scipy.special, n.rpartition(".")[2])) for n in CUPY_MISSING}
    assert refused == named, f"{sorted(named - refused)} are no functions of the rule table"


def test_a_backend_missing_a_function_is_named_at_the_call():
    backend = backends.Backend("partial", "Partial", {"numpy": object()})
    with pytest.raises(srcgrad.UnsupportedBackendError, match=r"numpy\.tanh has no counterpart in Partial"):
        backend.translate(np.tanh)


@pytest.mark.skipif(cuda_missing() is not None, reason=str(cuda_missing()))
@pytest.mark.cupy
def test_float32_stays_float32_on_cupy():
    import cupy

    rng = np.random.default_rng(0)
    args = (rng.normal(size=5), 0.3, rng.normal(size=(40, 5)), rng.random(40))
    args32 = [cupy.asarray(np.asarray(a, np.float32)) for a in args]
    _, grads = srcgrad.grad(logreg, wrt=("w", "b"))(*args32)
    assert all(isinstance(g, cupy.ndarray) and g.dtype == np.float32 for g in grads)
