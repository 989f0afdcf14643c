"""Careless and hostile use: bad arguments, NaN and inf, notebooks, redefinitions, threads.

Each test calls srcgrad the way a user who has made a mistake (or lives in a notebook) would,
and checks that the answer is either right or a clear error, never a wrong gradient.
"""

import itertools
import linecache
import threading
import traceback

import numpy as np
import pytest

import srcgrad
from srcgrad import extend
from srcgrad.cache import cache_info

_cells = itertools.count(1)


def cell(text: str, namespace: dict, style: str = "ipython"):
    """Run `text` as a notebook cell does: its source is in linecache under the cell's name, not
    in any file (old IPython names cells `<ipython-input-N-...>`, ipykernel a path that does not
    exist on disk). Returns the namespace, which plays the notebook's globals."""
    n = next(_cells)
    filename = f"<ipython-input-{n}-0f1e2d3c>" if style == "ipython" else f"/tmp/ipykernel_4242/{n}.py"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    exec(compile(text, filename, "exec"), namespace)
    return namespace


# ---------------------------------------------------------------------------------------------
# Arguments of the wrong kind or number.


def two_params(x, y, *, scale=1.0):
    return scale * np.sum(x * y)


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((np.ones(2),), {}),
        ((np.ones(2), np.ones(2), 3.0), {}),
        ((np.ones(2), np.ones(2)), {"z": 3.0}),
        ((), {"x": np.ones(2), "y": np.ones(2), "w": 1.0}),
        ((np.ones(2), np.ones(2)), {"x": 1.0}),
        ((np.ones(2), np.ones(2), 2.0), {}),  # scale is keyword-only
    ],
)
def test_wrong_arguments_raise_the_functions_own_type_error(args, kwargs):
    with pytest.raises(TypeError) as own:
        two_params(*args, **kwargs)
    with pytest.raises(TypeError) as ours:
        srcgrad.grad(two_params)(*args, **kwargs)
    assert str(ours.value) == str(own.value)
    assert "two_params()" in str(ours.value)


def uses_data(W, X):
    return np.sum(np.tanh(X @ W))


def test_a_bad_data_argument_fails_on_the_users_own_line():
    with pytest.raises(Exception) as own:
        uses_data(np.ones((2, 2)), None)
    with pytest.raises(Exception) as info:
        srcgrad.grad(uses_data)(np.ones((2, 2)), None)
    assert type(info.value) is type(own.value) and str(info.value) == str(own.value)
    last = traceback.extract_tb(info.value.__traceback__)[-1]
    assert last.filename == __file__ and last.name == "uses_data"
    assert last.line == "return np.sum(np.tanh(X @ W))"
    assert "<srcgrad:" not in "".join(traceback.format_exception(info.value))  # no generated frames


def test_shapes_that_do_not_match_fail_as_numpy_says_on_the_users_line():
    with pytest.raises(ValueError, match="matmul") as info:
        srcgrad.grad(uses_data)(np.ones((3, 2)), np.ones((4, 2)))
    assert traceback.extract_tb(info.value.__traceback__)[-1].name == "uses_data"


def test_integer_data_works_and_a_list_gets_asked_to_be_an_array():
    W = np.array([[0.5, -1.0], [2.0, 0.25]])
    X = np.array([[1, 2], [3, 4]])
    value, dW = srcgrad.grad(uses_data)(W, X)
    assert value == uses_data(W, X)
    np.testing.assert_allclose(dW, X.T @ (1 - np.tanh(X @ W) ** 2))
    with pytest.raises(srcgrad.ArgumentTypeError, match=r"X is a list.*\n.*X=np.asarray\(X\)"):
        srcgrad.grad(uses_data)(W, X.tolist())


@pytest.mark.parametrize(
    "make, kind",
    [
        (lambda: np.asmatrix(np.ones((2, 2))), "numpy.matrix"),
        (lambda: np.ma.array([1.0, 2.0], mask=[0, 1]), "numpy.ma.MaskedArray"),
    ],
)
@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix's own warning
def test_array_subclasses_whose_operators_differ_are_refused(make, kind):
    for args in [(make(), np.ones(2)), (np.ones(2), make())]:  # as a wrt argument and as data
        name = "x" if isinstance(args[0], np.ndarray) and type(args[0]) is not np.ndarray else "y"
        with pytest.raises(srcgrad.ArgumentTypeError, match=rf"{name} is a {kind}.*\n.*np.asarray"):
            srcgrad.grad(products)(*args)


def test_memory_mapped_arrays_are_arrays(tmp_path):
    x = np.memmap(tmp_path / "x.dat", dtype=float, mode="w+", shape=(3,))
    x[:] = [1.0, 2.0, 3.0]
    value, (dx, dy) = srcgrad.grad(products, wrt=("x", "y"))(x, np.full(3, 2.0))
    assert value == 12.0 and type(dx) is np.ndarray
    np.testing.assert_array_equal(dx, [2.0, 2.0, 2.0])
    assert not np.shares_memory(dy, x)  # dy is x's values, in its own memory
    np.testing.assert_array_equal(dy, x)


def half_square(x):
    return np.sum(0.5 * x**2)


def test_a_gradient_equal_to_an_input_that_is_a_view_is_a_copy():
    # found by the fuzzer: d/dx of 0.5 * x**2 is x itself, returned as is when x was a view
    base = np.arange(6.0)
    for x in (base[:4], base.reshape(2, 3), base[::2]):
        _, dx = srcgrad.grad(half_square)(x)
        np.testing.assert_array_equal(dx, x)
        assert not np.shares_memory(dx, base)


@pytest.mark.parametrize(
    "x",
    [
        np.array(2.0),  # 0-d
        np.zeros(0),  # empty
        np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        np.arange(12.0)[::2],  # a strided view
        np.ones(3, dtype=">f8"),  # big-endian
        np.ones(3, dtype=np.float16),
        np.ones(3, dtype=np.longdouble),
    ],
    ids=["0-d", "empty", "fortran", "view", "big-endian", "float16", "longdouble"],
)
def test_unusual_float_arrays_get_gradients_like_themselves(x):
    readonly = x.copy()
    readonly.flags.writeable = False
    for arg in (x, readonly):
        y = 2 * arg  # native byte order even when x is not
        value, (dx, dy) = srcgrad.grad(products, wrt=("x", "y"))(arg, y)
        assert dx.shape == dy.shape == x.shape and dx.dtype == x.dtype and dy.dtype == y.dtype
        np.testing.assert_array_equal(dx, 2 * x)
        np.testing.assert_array_equal(dy, x)
        assert dx.flags.writeable and not np.shares_memory(dx, arg)


def test_generated_code_that_fails_where_the_function_runs_is_an_internal_error():
    # a rule of the user's that cannot run: the forward pass is fine, the backward pass fails
    def reads_a_singular_matrix(g, x):
        dx = g * np.linalg.inv(np.zeros((2, 2)))[0, 0]

    def bad(x):
        return x * 1.0

    namespace = cell("def loss(x):\n    return np.sum(bad(x))\n", {"np": np, "bad": bad})
    extend.adjoint(bad)(reads_a_singular_matrix)
    try:
        with pytest.raises(srcgrad.SrcgradError, match="internal error.*'loss' itself runs") as info:
            srcgrad.grad(namespace["loss"])(np.ones(2))
        assert isinstance(info.value.__cause__, np.linalg.LinAlgError)
    finally:
        srcgrad.rules.ADJOINTS.pop(bad, None)


def test_floating_point_errors_the_user_asked_for_are_not_internal_errors():
    def recip(x):
        return np.sum(1.0 / (x + 1.0))

    with np.errstate(all="raise"), pytest.raises(FloatingPointError):
        srcgrad.grad(recip)(np.array([1.0, 0.0]) * 1e200)


# ---------------------------------------------------------------------------------------------
# NaN and inf.


def products(x, y):
    return np.sum(x * y)


def decays(x):
    return np.sum(np.exp(-x))


def test_nan_in_an_input_flows_to_the_gradients_that_read_it():
    x = np.array([np.nan, 2.0])
    y = np.array([3.0, 4.0])
    with np.errstate(invalid="ignore"):
        value, (dx, dy) = srcgrad.grad(products, wrt=("x", "y"))(x, y)
    assert np.isnan(value)
    np.testing.assert_array_equal(dx, [3.0, 4.0])
    np.testing.assert_array_equal(dy, [np.nan, 2.0])


def test_inf_gives_the_gradient_the_limit_gives():
    value, dx = srcgrad.grad(decays)(np.array([np.inf, 0.0]))
    assert value == 1.0
    np.testing.assert_array_equal(dx, [-0.0, -1.0])
    with np.errstate(over="ignore", invalid="ignore"):
        value, dx = srcgrad.grad(decays)(np.array([-np.inf, 0.0]))
    assert value == np.inf and dx[0] == -np.inf and dx[1] == -1.0


def halves_until_small(x):
    while np.sum(x * x) > 1.0:
        x = x * 0.5
    return np.sum(x)


def test_nan_in_a_loop_condition_ends_the_loop_as_python_does():
    x = np.array([np.nan, 4.0])
    value, dx = srcgrad.grad(halves_until_small)(x)
    assert np.isnan(value) and np.isnan(halves_until_small(x))
    np.testing.assert_array_equal(dx, [1.0, 1.0])  # no halving happened


# ---------------------------------------------------------------------------------------------
# Notebooks: cells, redefinitions, the cache.


@pytest.mark.parametrize("style", ["ipython", "ipykernel"])
def test_functions_defined_in_notebook_cells_work(style):
    namespace = cell("def loss(w):\n    return np.sum(w ** 3)\n", {"np": np}, style)
    value, dw = srcgrad.grad(namespace["loss"])(np.array([1.0, 2.0]))
    assert value == 9.0
    np.testing.assert_array_equal(dw, [3.0, 12.0])


def test_a_cell_run_again_with_new_source_gets_new_code():
    namespace = {"np": np}
    cell("def loss(w):\n    return np.sum(w ** 2)\n", namespace)
    first = srcgrad.grad(namespace["loss"])
    cell("def loss(w):\n    return np.sum(w ** 3)\n", namespace)
    second = srcgrad.grad(namespace["loss"])
    w = np.array([1.0, 2.0])
    np.testing.assert_array_equal(first(w)[1], [2.0, 4.0])
    np.testing.assert_array_equal(second(w)[1], [3.0, 12.0])
    assert "w ** 3" in second.source and "w ** 3" not in first.source


def test_a_redefined_helper_is_used_at_the_next_call():
    namespace = {"np": np}
    cell("def act(z):\n    return np.tanh(z)\n", namespace)
    cell("def loss(w):\n    return np.sum(act(w))\n", namespace)
    g = srcgrad.grad(namespace["loss"])
    w = np.array([0.5, -1.0])
    np.testing.assert_allclose(g(w)[1], 1 - np.tanh(w) ** 2)
    cell("def act(z):\n    return z * z\n", namespace)  # the user edits the helper's cell
    value, dw = g(w)
    assert value == namespace["loss"](w) == 1.25
    np.testing.assert_array_equal(dw, 2 * w)


def test_a_global_that_shadows_a_builtin_later_is_used_at_the_next_call():
    namespace = cell("def loss(w):\n    return np.sum(abs(w)) * 2.0\n", {"np": np})
    g = srcgrad.grad(namespace["loss"])
    assert g(np.array([1.0, -2.0]))[0] == 6.0
    cell("def abs(v):\n    return v * v\n", namespace)
    value, dw = g(np.array([1.0, -2.0]))
    assert value == 10.0
    np.testing.assert_array_equal(dw, [4.0, -8.0])


def test_globals_holding_numbers_are_read_live_without_recompiling():
    namespace = cell("SCALE = 2.0\ndef loss(w):\n    return SCALE * np.sum(w)\n", {"np": np})
    g = srcgrad.grad(namespace["loss"])
    g(np.ones(2))
    compiles = cache_info().compiles
    for scale in (3.0, 4, np.float32(5.0)):
        namespace["SCALE"] = scale
        value, dw = g(np.ones(2))
        assert value == 2 * scale
        np.testing.assert_array_equal(dw, [scale, scale])
    assert cache_info().compiles == compiles


def test_two_grads_of_one_function_share_one_compile():
    namespace = cell("def loss(a, b):\n    return np.sum(a * np.sin(b))\n", {"np": np})
    before = cache_info()
    g1 = srcgrad.grad(namespace["loss"], wrt=("a", "b"))
    g2 = srcgrad.grad(namespace["loss"], wrt=("a", "b"))
    g3 = srcgrad.grad(namespace["loss"], wrt="b")  # other options: other code
    x = np.array([1.0, 2.0])
    g1(x, x), g2(x, x), g3(x, x)
    after = cache_info()
    assert after.compiles - before.compiles == 2
    assert after.hits - before.hits == 1
    assert g1.source == g2.source != g3.source


def test_registering_a_rule_makes_compiled_code_stale():
    def softsign(x):
        return x / (1 + np.abs(x))

    namespace = cell("def loss(x):\n    return np.sum(softsign(x))\n", {"np": np, "softsign": softsign})
    extend.nondifferentiable(softsign)
    try:
        g = srcgrad.grad(namespace["loss"])
        np.testing.assert_array_equal(g(np.ones(2))[1], [0.0, 0.0])

        @extend.adjoint(softsign)
        def softsign_adjoint(g, x):
            dx = g / (1 + np.abs(x)) ** 2

        np.testing.assert_array_equal(g(np.ones(2))[1], [0.25, 0.25])
    finally:
        srcgrad.rules.ADJOINTS.pop(softsign, None)


def test_exec_is_refused_clearly_and_a_lambda_is_differentiated():
    namespace = {"np": np}
    exec("def made(x):\n    return np.sum(x)\n", namespace)
    with pytest.raises(srcgrad.SourceUnavailableError, match="exec"):
        srcgrad.grad(namespace["made"])(np.ones(2))
    value, dx = srcgrad.grad(lambda x: np.sum(x * 2.0))(np.ones(2))
    assert value == 4.0
    np.testing.assert_array_equal(dx, [2.0, 2.0])


# ---------------------------------------------------------------------------------------------
# Threads.


def test_eight_threads_decorating_and_calling_get_right_answers_from_one_compile():
    namespace = cell(
        "def loss(W, b, X):\n    return np.sum(np.tanh(X @ W + b) ** 2)\n",
        {"np": np},
    )
    rng = np.random.default_rng(0)
    W, b, X = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(5, 3))
    H = np.tanh(X @ W + b)
    dZ = 2 * H * (1 - H**2)
    expected = (np.sum(H**2), X.T @ dZ, dZ.sum(axis=0))
    shared = srcgrad.grad(namespace["loss"], wrt=("W", "b"))  # one object, first called by all at once
    before = cache_info().compiles
    barrier = threading.Barrier(8)
    results, errors = [], []

    def work(i):
        try:
            barrier.wait()
            g = shared if i % 2 else srcgrad.grad(namespace["loss"], wrt=("W", "b"))
            for _ in range(50):
                value, (dW, db) = g(W, b, X)
                results.append((value, dW, db))
        except Exception as exc:  # reported below, with the thread's number
            errors.append((i, exc))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 8 * 50
    for value, dW, db in results:
        np.testing.assert_allclose(value, expected[0], rtol=1e-13)
        np.testing.assert_allclose(dW, expected[1], rtol=1e-12)
        np.testing.assert_allclose(db, expected[2], rtol=1e-12)
    assert cache_info().compiles - before == 1


def test_in_a_real_ipython_session_cells_work_and_a_redefined_helper_is_used():
    pytest.importorskip("IPython", reason="IPython is not installed (it is in the test extra)")
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    cells = [
        "import numpy as np\nimport srcgrad",
        "def act(z):\n    return np.tanh(z)",
        "@srcgrad.grad\ndef loss(w):\n    return np.sum(act(w) ** 2)",
        "first = loss(np.array([0.5, -1.0]))",
        "def act(z):\n    return z * 2.0",
        "second = loss(np.array([0.5, -1.0]))",
    ]
    for text in cells:
        result = shell.run_cell(text, silent=True)
        assert result.success, (text, result.error_in_exec)
    w = np.array([0.5, -1.0])
    value, dw = shell.user_ns["first"]
    np.testing.assert_allclose(dw, 2 * np.tanh(w) * (1 - np.tanh(w) ** 2))
    value, dw = shell.user_ns["second"]
    assert value == 5.0
    np.testing.assert_array_equal(dw, 8 * w)
    result = shell.run_cell("third = srcgrad.grad(lambda x: x * 3.0)(2.0)", silent=True)
    assert result.success, result.error_in_exec  # a lambda typed in a cell: read from the cell
    assert shell.user_ns["third"] == (6.0, 3.0)


def test_helpers_of_a_module_whose_name_starts_with_srcgrad_are_inlined(tmp_path, monkeypatch):
    # found by the fuzzer: a module named srcgrad_* was taken for srcgrad's own, its helpers not inlined
    (tmp_path / "srcgrad_demo.py").write_text(
        "import numpy as np\n\ndef act(z):\n    return np.tanh(z)\n\n"
        "def loss(w):\n    return np.sum(act(w))\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import srcgrad_demo

    w = np.array([0.5, -1.0])
    np.testing.assert_allclose(srcgrad.grad(srcgrad_demo.loss)(w)[1], 1 - np.tanh(w) ** 2)


def half_square_of_part(params, x):
    h = params["W"]
    return np.sum(h * x) + 0.5 * np.sum(params["b"] ** 2)


def test_a_gradient_equal_to_an_array_inside_a_dict_argument_is_a_copy():
    # found by the fuzzer: d/db of 0.5 * b**2 is b itself, returned as is from inside the dict
    base = np.arange(6.0)
    params = {"W": base[:2], "b": base[2:4]}
    _, grads = srcgrad.grad(half_square_of_part)(params, np.ones(2))
    np.testing.assert_array_equal(grads["b"], [2.0, 3.0])
    assert not np.shares_memory(grads["b"], base) and not np.shares_memory(grads["W"], base)
