"""Machinery of the rule tests: argument domains, argument builders, spec rows, runners.

A section of the rule table is tested by a module `tests/test_rules*.py` that defines small
module-level functions using the rules (their source must be real for srcgrad to read),
a list `SPECS` of `row(...)`s naming them, and calls `define_tests(SPECS, globals())`, which
adds the test passes over the rows: float64 against finite differences, float32, forward mode
against reverse mode, and each array backend.
"""

from __future__ import annotations

import ast
import inspect
import linecache
import os
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from backendspec import BACKENDS, assert_same_on_backend, to_backend, to_numpy
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import srcgrad
import srcgrad.rules
from srcgrad.testing import check_grads
from srcgrad.testing.strategies import arrays, broadcastable_shapes, like, pairs_apart, scalars, shapes

# CI's extra legs (other Pythons, lowest and newest dependencies) check that every row still runs
# there with fewer examples each (SRCGRAD_RULE_EXAMPLES); the main leg draws 15 (the suite's rows
# at 25 took 250 s of its 340 on 2 cores). A deeper run of the table alone:
#   SRCGRAD_RULE_EXAMPLES=200 python -m pytest -n auto tests/test_rules*.py
SETTINGS = settings(max_examples=int(os.environ.get("SRCGRAD_RULE_EXAMPLES", 15)), deadline=None)
# float32 is a second pass over the same rows: a few examples each (the first hypothesis tries
# is the simplest one), enough to catch a promotion to float64 or a precision problem.
FLOAT32_SETTINGS = settings(max_examples=3, deadline=None)
# forward mode is one more pass, in float64 only: the tangent `jvp` gives in a random direction
# `v` must be `<gradient, v>` (the first pass checks the gradients against finite differences)
JVP_SETTINGS = settings(max_examples=5, deadline=None)
# each backend is a third pass: the same value and gradients as NumPy, as that backend's arrays
BACKEND_SETTINGS = settings(max_examples=2, deadline=None, derandomize=True)  # the same draws every run
# Rows whose gradient a backend cannot compute; their calls must raise UnsupportedBackendError
# naming the backend (or, for some draws, just work). Dask: dask.array lacks the function (linalg
# beyond solve/inv/cholesky/norm, sort, kron, take_along_axis, scipy.special's non-ufuncs), lacks
# np.add.at (repeated indices, edge padding), or cannot assign along a diagonal. CuPy: the row
# calls a function of CUPY_MISSING, or its gradient needs one.
BACKEND_GAPS: dict[str, set] = {
    "dask": {
        "det",
        "eig",
        "eig-values-only",
        "eig-vectors-only",
        "svd",
        "svd-full-nonsquare",
        "svd-full_matrices-drawn",
        "svd-reduced",
        "svd-values",
        "svd-values-reduced",
        "det-singular",
        "diag-2d",
        "diag-default-2d",
        "diagonal",
        "eigh",
        "eigh-upper",
        "eigh-values-only",
        "eigh-vectors-only",
        "eigvalsh",
        "eigvalsh-symmetrised",
        "eigvalsh-upper",
        "einsum-literal-diag",
        "einsum-literal-trace",
        "kron",
        "log_softmax",
        "log_softmax-axis",
        "logsumexp",
        "logsumexp-axis-drawn",
        "logsumexp-axis=(0,-1)-keepdims",
        "logsumexp-axis=-1",
        "logsumexp-b",
        "logsumexp-b-axis",
        "logsumexp-pyfloat",
        "pad-edge",
        "pinv",
        "pinv-hermitian",
        "pinv-low-rank-product",
        "ptp-axis-drawn",
        "slogdet",
        "slogdet-logdet-only",
        "softmax",
        "softmax-axis",
        "sort",
        "sort-axis-drawn",
        "sort-axis=0",
        "sort-axis=None",
        "take",
        "take_along_axis",
        "take_along_axis-drawn",
        "x.repeat(3,axis=0)",
        "x[[0, 0, 1]]",
        # drawn: some draws repeat an index in one operand, or a count, or pick an edge mode
        "einsum-1",
        "einsum-2",
        "einsum-2-broadcast",
        "einsum-3",
        "einsum-4",
        "einsum-same-operand",
        "einsum-sublists",
        "repeat",
        "repeat([1,0,3],axis=-1)",
        "repeat-drawn",
        "pad-mode-drawn",
        "take-drawn",
        "vdot",  # Dask reshapes only by merging or splitting whole chunks
        # dask.array lacks np.conjugate (np.conj is it), real_if_close, partition, cross, column_stack,
        # row_stack, hsplit, vsplit, dsplit, and srcgrad's Dask namespace has no np.fft
        "np.conj",
        "np.conjugate",
        "np.real_if_close",
        "partition",
        "partition-axis=0",
        "partition-axis=None",
        "column_stack",
        "row_stack",
        "hsplit",
        "hsplit-2d",
        "vsplit",
        "dsplit",
        "cross",
        "cross-2-vectors",
        "cross-axisa-axisc",
        "cross-axis=0",
        "fftshift",
        "fftshift-axes=-1",
        "ifftshift",
        "ifftshift-axes=(0,)",
        "fft",
        "fft-n=3-axis=0",
        "fft-norm=ortho",
        "ifft",
        "ifft-n=5-norm=forward",
        "fft2",
        "fft2-s=(3,2)",
        "ifft2-axes=(0,1)",
        "ifft2-s=(2,4)",
        "fftn",
        "fftn-s=(2,3)-axes=(0,1)",
        "ifftn-axes=(0,)",
        "ifftn-s=(4,)-axes=(-1,)",
        "rfft",
        "rfft-n=4-axis=0",
        "rfft-n=5-norm=ortho",
        "rfft2",
        "rfftn",
        "rfftn-s=(3,4)-axes=(0,1)",
        "irfft",
        "irfft-n=5",
        "irfft-n=2-axis=0-norm=ortho",
        "irfft2",
        "irfftn",
        "irfftn-s=(3,4)-axes=(0,1)",
        # scipy.special's non-ufuncs
        "polygamma",
        "polygamma-order-drawn",
        "multigammaln",
    },
    "cupy": {
        "jv",
        "jv-order-array",
        "jn-order-drawn",
        "yv-order-drawn",
        "iv",
        "ive-order-drawn",
        "ive(0,x)",
        "j1",  # its gradient needs jv of order 2
    },
}

# The rule table's functions that have no counterpart in cupyx.scipy.special, whose Bessel
# functions are those of fixed orders (j0, j1, y0, y1, yn, i0, i1, i0e, i1e), by the names user
# code reads them (scipy.special.jn is jv). tests/test_backends.py's CuPy checks expect CuPy to
# lack each of them, translating one to CuPy to raise UnsupportedBackendError naming it, and
# every other function to have its counterpart. A function joins this set only when CuPy lacks
# it: srcgrad refuses its calls on CuPy arrays with that error, and its rows join
# BACKEND_GAPS["cupy"].
CUPY_MISSING = {
    "scipy.special.jv",
    "scipy.special.jn",
    "scipy.special.yv",
    "scipy.special.iv",
    "scipy.special.ive",
}


# ---------------------------------------------------------------------------------------------
# Domains: where arguments are drawn, and which points they keep away from.


@dataclass(frozen=True)
class Domain:
    low: float = -2.0
    high: float = 2.0
    avoid: tuple = ()
    margin: float = 0.1


REAL = Domain()
POSITIVE = Domain(0.1, 3.0)  # log, sqrt: away from the pole / infinite slope at 0
BASE = Domain(0.5, 2.0)  # power with a differentiated exponent needs a positive base
NONZERO = Domain(avoid=(0.0,), margin=0.25)  # abs, divisors, where(x > 0, ...)
AWAY_HALF = Domain(avoid=(0.5,))  # maximum(x, 0.5)


def _array(shape, dtype, d: Domain):
    return arrays(shape, dtype, d.low, d.high, d.avoid, d.margin)


# ---------------------------------------------------------------------------------------------
# Argument builders. Each returns `args(dtype)`: a strategy of the argument tuple (without `w`).


def unary(domain=REAL, pyfloat=False, **shape_kw):
    """One array argument of any shape (or a Python float) in `domain`."""

    def args(dtype):
        if pyfloat:
            return st.tuples(scalars(domain.low, domain.high, domain.avoid, domain.margin))
        return st.tuples(_array(shapes(**shape_kw), dtype, domain))

    return args


def broadcasting(*domains, apart=None, **shape_kw):
    """Array arguments in `domains` whose shapes broadcast together.

    `apart=m`: the second array keeps `m` away from every value of the first (maximum, minimum).
    """

    def args(dtype):
        @st.composite
        def draw(draw):
            bs = draw(broadcastable_shapes(len(domains), **shape_kw), label="shapes")
            if apart is not None:
                return draw(
                    pairs_apart(*bs.input_shapes[:1], apart, other_shape=bs.input_shapes[1], dtype=dtype)
                )
            return tuple(draw(_array(s, dtype, d)) for s, d in zip(bs.input_shapes, domains))

        return draw()

    return args


def mixed(*parts):
    """Arguments in order: `("float", domain)` is a Python float, `("array", domain)` an array
    of any shape; arrays broadcast together. A float may keep `margin` from the other arguments'
    values with `("float_apart", margin)` (drawn after them)."""

    def args(dtype):
        @st.composite
        def draw(draw):
            n = sum(kind == "array" for kind, _ in parts)
            bs = iter(draw(broadcastable_shapes(n), label="shapes").input_shapes if n else ())
            out = []
            for kind, d in parts:
                if kind == "float":
                    out.append(draw(scalars(d.low, d.high, d.avoid, d.margin)))
                elif kind == "array":
                    out.append(draw(_array(next(bs), dtype, d)))
            for i, (kind, margin) in enumerate(parts):
                if kind == "float_apart":
                    others = np.unique(np.concatenate([np.ravel(a) for a in out if a is not None]))
                    out.insert(i, draw(scalars(avoid=others, margin=margin)))
            return tuple(out)

        return draw()

    return args


def where_args(dtype):
    """A boolean condition and two arrays, all three broadcasting together."""

    @st.composite
    def draw(draw):
        c, x, y = draw(broadcastable_shapes(3), label="shapes").input_shapes
        return (draw(hnp.arrays(np.bool_, c)), draw(_array(x, dtype, REAL)), draw(_array(y, dtype, REAL)))

    return draw()


def float_where_args(dtype):
    """A boolean condition, a Python float and an array; the condition and array broadcast."""

    @st.composite
    def draw(draw):
        c, x = draw(broadcastable_shapes(2), label="shapes").input_shapes
        return draw(hnp.arrays(np.bool_, c)), draw(scalars()), draw(_array(x, dtype, REAL))

    return draw()


def _axes(draw, ndim):
    """A valid `axis` for a reduction over `ndim` axes: None, an int or a tuple (maybe empty),
    each axis randomly written as a negative index."""
    kind = draw(st.sampled_from(["none", "int", "tuple"] if ndim else ["none", "tuple"]))
    if kind == "none":
        return None
    flip = lambda a: draw(st.sampled_from([a, a - ndim]))
    if kind == "int":
        return flip(draw(st.integers(0, ndim - 1)))
    chosen = draw(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim)) if ndim else []
    return tuple(flip(a) for a in chosen)


def reduction_args(dtype):
    """x, axis, keepdims for `np.sum(x, axis=axis, keepdims=keepdims)`."""

    @st.composite
    def draw(draw):
        x = draw(_array(shapes(), dtype, REAL))
        return x, _axes(draw, x.ndim), draw(st.booleans())

    return draw()


def ndim(lo, hi):
    """One array argument with `lo..hi` axes."""
    return unary(REAL, min_dims=lo, max_dims=hi)


def transpose_args(dtype):
    """x and a permutation of its axes, some written as negative indices."""

    @st.composite
    def draw(draw):
        x = draw(_array(shapes(), dtype, REAL))
        perm = draw(st.permutations(range(x.ndim)))
        return x, tuple(draw(st.sampled_from([a, a - x.ndim])) for a in perm)

    return draw()


def _divisors(n):
    return [d for d in range(1, n + 1) if n % d == 0]


def _new_shape(draw, size):
    """A shape with `size` elements, of 0-3 axes, perhaps with one axis given as -1."""
    ndim = draw(st.integers(1 if size > 1 else 0, 3))
    sides, rest = [], size
    for _ in range(ndim - 1):
        d = draw(st.sampled_from(_divisors(rest)))
        sides.append(d)
        rest //= d
    if ndim:
        sides.append(rest)
        if draw(st.booleans()):
            sides[draw(st.integers(0, ndim - 1))] = -1
    return tuple(sides)


def reshape_args(dtype):
    """x and a new shape for it."""

    @st.composite
    def draw(draw):
        x = draw(_array(shapes(), dtype, REAL))
        return x, _new_shape(draw, x.size)

    return draw()


def reshape2_args(dtype):
    """x and two sides `a, b` with `x.reshape(a, b)` valid (`b` may be -1)."""

    @st.composite
    def draw(draw):
        x = draw(_array(shapes(), dtype, REAL))
        a = draw(st.sampled_from(_divisors(x.size)))
        return x, a, draw(st.sampled_from([x.size // a, -1]))

    return draw()


def _side(draw):
    return draw(st.integers(1, 4))


def matmul_args(xd, yd):
    """x @ y with x of rank `xd` and y of rank `yd` (1-3); 3-D operands broadcast their batch."""

    def args(dtype):
        @st.composite
        def draw(draw):
            m, n, p, b = (_side(draw) for _ in range(4))
            bx, by = draw(st.sampled_from([(b, b), (1, b), (b, 1)]))
            xs = {1: (n,), 2: (m, n), 3: (bx, m, n)}[xd]
            ys = {1: (n,), 2: (n, p), 3: (by, n, p)}[yd]
            return draw(_array(xs, dtype, REAL)), draw(_array(ys, dtype, REAL))

        return draw()

    return args


def matmul_signature_args(dtype):
    """Any operands NumPy's matmul accepts, batch broadcasting included (its gufunc signature)."""

    @st.composite
    def draw(draw):
        xs, ys = draw(broadcastable_shapes(signature="(m?,n),(n,p?)->(m?,p?)", max_dims=2)).input_shapes
        return draw(_array(xs, dtype, REAL)), draw(_array(ys, dtype, REAL))

    return draw()


def dot_args(xd, yd):
    """np.dot(x, y) with x of rank `xd` and y of rank `yd` (0-3)."""

    def args(dtype):
        @st.composite
        def draw(draw):
            a, m, n, p, c = (_side(draw) for _ in range(5))
            xs = {0: (), 1: (n,), 2: (m, n), 3: (a, m, n)}[xd]
            ys = {0: (), 1: (n,), 2: (n, p), 3: (c, n, p)}[yd]
            return draw(_array(xs, dtype, REAL)), draw(_array(ys, dtype, REAL))

        return draw()

    return args


def any_dot_args(dtype):
    return st.sampled_from([dot_args(i, j) for i in range(4) for j in range(4)]).flatmap(lambda a: a(dtype))


@dataclass(frozen=True)
class Spec:
    id: str  # the test id
    rule: str  # the Rule.name it exercises (the template's function name)
    seed: Callable  # np.sum(op(*args))
    weighted: Callable | None  # np.sum(w * op(*args)), w last
    op: Callable  # the operation, to shape w and to check the two functions against
    wrt: tuple
    args: Callable  # dtype -> strategy of the argument tuple, without w


def rows(namespace):
    """`row(id, rule, name, op, wrt, args)` for a test module: finds `<name>_s` and `<name>_w` there."""

    def row(id, rule, name, op, wrt=("x",), args=None):
        return Spec(
            id, rule, namespace[name + "_s"], namespace.get(name + "_w"), op, tuple(wrt), args or unary()
        )

    return row


def _case_id(case):
    spec, form = case
    return f"{spec.id}-{form}"


# ---------------------------------------------------------------------------------------------
# Running a case.

_GRADS: dict = {}


def _grad(f, wrt):
    """One `srcgrad.grad` per function and wrt, reused across examples as a user would."""
    key = (f, wrt)
    if key not in _GRADS:
        _GRADS[key] = srcgrad.grad(f, wrt=wrt)
    return _GRADS[key]


_JVPS: dict = {}


def _jvp(f, wrt):
    """One `srcgrad.jvp` per function and wrt, as `_grad`."""
    key = (f, wrt)
    if key not in _JVPS:
        _JVPS[key] = srcgrad.jvp(f, wrt=wrt)
    return _JVPS[key]


def _direction(value):
    """A strategy of tangents for an argument: a float64 array of its shape, a Python float for a
    float, the same structure for a nested one."""
    if isinstance(value, (np.ndarray, np.generic)):
        return arrays(np.shape(value), np.float64)
    if type(value) is float:
        return scalars()
    return like(value)


_OPEN: dict = {}


def _open_form(seed):
    """The function `seed` (whose last line is `return np.sum(EXPR)`) returning `EXPR` itself, the
    operation under test before the sum, so that its tangent is checked whole, shape included;
    None for a seed of another form. Its source lives in `linecache`, where srcgrad reads it."""
    if seed in _OPEN:
        return _OPEN[seed]
    module = ast.parse(textwrap.dedent(inspect.getsource(seed)))
    last = module.body[0].body[-1]
    open_form = None
    if (
        isinstance(last, ast.Return)
        and isinstance(last.value, ast.Call)
        and ast.unparse(last.value.func) == "np.sum"
        and len(last.value.args) == 1
        and not last.value.keywords
    ):
        last.value = last.value.args[0]
        module.body[0].name = seed.__name__ + "_open"
        text = ast.unparse(module) + "\n"
        filename = f"<open form of {seed.__module__}.{seed.__name__}>"
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
        namespace = dict(seed.__globals__)
        exec(compile(text, filename, "exec"), namespace)
        open_form = namespace[seed.__name__ + "_open"]
    _OPEN[seed] = open_form
    return open_form


def check_jvp(spec, form, args, data):
    """Forward mode against reverse mode: for random tangents `v` of the `wrt` arguments, the
    tangent `jvp` gives must be `<gradient, v>`.

    In the weighted form `np.sum(w * op(...))`, `jvp` runs on `op(...)` itself (see `_open_form`):
    its tangent must have its value's shape, and `np.sum(w * tangent)` is compared."""
    f = spec.weighted if form == "weighted" else spec.seed
    names = list(inspect.signature(spec.seed).parameters)
    primals = [args[names.index(name)] for name in spec.wrt]
    v = tuple(data.draw(_direction(a), label=f"d{name}") for name, a in zip(spec.wrt, primals))
    _, grads = _grad(f, spec.wrt)(*args)
    open_form = _open_form(spec.seed) if form == "weighted" else None
    if open_form is None:
        value, observed = _jvp(f, spec.wrt)(*args, *v)
        assert np.shape(observed) == np.shape(value), f"tangent {np.shape(observed)}, value {np.shape(value)}"
    else:
        *op_args, w = args
        value, tangent = _jvp(open_form, spec.wrt)(*op_args, *v)
        assert np.shape(tangent) == np.shape(value), f"tangent {np.shape(tangent)}, value {np.shape(value)}"
        observed = np.sum(w * tangent)
    leaves = lambda tree: [
        leaf for _, leaf in srcgrad.functions.arguments.leaves(tree)
    ]  # nested parameters too
    terms = [np.multiply(g, d) for g, d in zip(leaves(grads), leaves(v))]
    expected = float(sum(np.sum(term) for term in terms))
    scale = float(sum(np.sum(np.abs(term)) for term in terms))
    assert np.isclose(float(observed), expected, rtol=1e-7, atol=1e-9 * (1 + scale)), (
        f"jvp gives {float(observed)!r}, <grad, v> is {expected!r}"
    )


def _draw_call(spec, form, data, dtype):
    """The function of `form` and its drawn arguments."""
    args = data.draw(spec.args(dtype), label="args")
    if dtype == np.float32:  # differentiated Python floats become float32 scalars
        names = list(inspect.signature(spec.seed).parameters)
        args = tuple(
            np.float32(a) if type(a) is float and names[i] in spec.wrt else a for i, a in enumerate(args)
        )
    if form == "seed":
        return spec.seed, args, np.sum(spec.op(*args))
    w = data.draw(arrays(np.shape(spec.op(*args)), dtype), label="w")
    return spec.weighted, (*args, w), np.sum(w * spec.op(*args))


def define_tests(specs, namespace):
    """Add `test_rule` and `test_rule_float32`, parametrized over `specs`, to a test module."""
    cases = [(spec, "seed") for spec in specs] + [(spec, "weighted") for spec in specs if spec.weighted]
    CASES = cases  # noqa: N806

    @pytest.mark.parametrize("case", CASES, ids=_case_id)
    @SETTINGS
    @given(data=st.data())
    def test_rule(case, data):
        spec, form = case
        f, args, expected = _draw_call(spec, form, data, np.float64)
        assert np.allclose(f(*args), expected), "the table's op does not match its function"
        check_grads(_grad(f, spec.wrt), *args, wrt=spec.wrt)

    @pytest.mark.parametrize("case", CASES, ids=_case_id)
    @FLOAT32_SETTINGS
    @given(data=st.data())
    def test_rule_float32(case, data):
        spec, form = case
        f, args, _ = _draw_call(spec, form, data, np.float32)
        value, grads = check_grads(_grad(f, spec.wrt), *args, wrt=spec.wrt)
        assert np.result_type(value) == np.float32, f"value is {np.result_type(value)}"
        for name, gradient in zip(spec.wrt, grads):
            assert isinstance(gradient, (np.ndarray, np.float32)), f"d{name} is a {type(gradient).__name__}"
            assert gradient.dtype == np.float32, f"d{name} is {gradient.dtype}"

    # one form per row: the weighted one where there is one (the operation's tangent is checked
    # whole, not just summed)
    jvp_cases = [(spec, "weighted" if spec.weighted else "seed") for spec in specs]

    @pytest.mark.parametrize("case", jvp_cases, ids=_case_id)
    @JVP_SETTINGS
    @given(data=st.data())
    def test_rule_jvp(case, data):
        spec, form = case
        _, args, _ = _draw_call(spec, form, data, np.float64)
        check_jvp(spec, form, args, data)

    # The function itself, run on Dask arrays (by the test, and by srcgrad to explain a failure),
    # calls NumPy functions Dask lacks (np.copy, np.linalg.det, ...): Dask warns, then computes
    # them with NumPy or fails. The generated code goes through srcgrad/backends.py instead.
    @pytest.mark.filterwarnings("ignore:The `numpy.* is not implemented by Dask array:FutureWarning")
    @pytest.mark.parametrize("backend", BACKENDS)
    @pytest.mark.parametrize("case", CASES, ids=_case_id)
    @BACKEND_SETTINGS
    @given(data=st.data())
    def test_rule_on_backend(case, backend, data):
        spec, form = case
        f, args, _ = _draw_call(spec, form, data, np.float64)
        g = _grad(f, spec.wrt)
        moved = to_backend(args, backend)
        try:
            to_numpy(f(*moved))
        except Exception as own:  # the library cannot run the function itself (Dask's 0-d dot)
            try:  # srcgrad's gradient may: then it must be right
                to_numpy(g(*moved))
            except (type(own), srcgrad.UnsupportedBackendError):
                return
        if spec.id not in BACKEND_GAPS[backend]:
            assert_same_on_backend(g, args, backend)
            return
        try:
            assert_same_on_backend(g, args, backend)
        except srcgrad.UnsupportedBackendError as exc:
            assert {"dask": "Dask", "cupy": "CuPy"}[backend] in str(exc), str(exc)

    namespace["test_rule"] = test_rule
    namespace["test_rule_float32"] = test_rule_float32
    namespace["test_rule_jvp"] = test_rule_jvp
    namespace["test_rule_on_backend"] = test_rule_on_backend


def check_program(f, args, wrt, seed=0):
    """A small program through `srcgrad.grad` (against finite differences) and `srcgrad.jvp`
    (its tangent in random directions must be the gradient's dot product with them)."""
    wrt = tuple(wrt)
    value, grads = check_grads(srcgrad.grad(f, wrt=wrt), *args, wrt=wrt)
    names = list(inspect.signature(f).parameters)
    rng = np.random.default_rng(seed)
    primals = [args[names.index(name)] for name in wrt]
    v = tuple(float(rng.normal()) if type(p) is float else rng.normal(size=np.shape(p)) for p in primals)
    jvp_value, tangent = srcgrad.jvp(f, wrt=wrt)(*args, *v)
    np.testing.assert_allclose(jvp_value, value, rtol=1e-12)
    expected = sum(float(np.sum(np.multiply(g, d))) for g, d in zip(grads, v))
    np.testing.assert_allclose(float(tangent), expected, rtol=1e-7, atol=1e-9)


def check_both_modes(f, args, wrt, expected, seed=0):
    """At special points (kinks, ties, jumps): the gradients are exactly `expected` (one array per
    `wrt` name), and the tangent along random directions is their dot product with them."""
    wrt = tuple(wrt)
    grads = srcgrad.grad(f, wrt=wrt, with_value=False)(*args)
    for name, gradient, want in zip(wrt, grads, expected):
        np.testing.assert_allclose(gradient, want, rtol=1e-12, atol=1e-300, err_msg=f"d{name}")
    names = list(inspect.signature(f).parameters)
    rng = np.random.default_rng(seed)
    primals = [args[names.index(name)] for name in wrt]
    v = tuple(float(rng.normal()) if type(p) is float else rng.normal(size=np.shape(p)) for p in primals)
    _, tangent = srcgrad.jvp(f, wrt=wrt)(*args, *v)
    dot = sum(float(np.sum(np.multiply(w, d))) for w, d in zip(expected, v))
    np.testing.assert_allclose(float(tangent), dot, rtol=1e-12, atol=1e-12)


def section_test(specs, examples: int, **tolerances):
    """The test of a SciPy section's rows (stats, scipy.linalg, integrate), whose functions are
    slow enough that each row is checked in both modes at once: `check_grads(mode="both")` of
    the row's seed form at drawn float64 points, with `tolerances` (rtol, atol, eps); at most
    `examples` draws a row (fewer under SRCGRAD_RULE_EXAMPLES)."""
    examples = min(examples, SETTINGS.max_examples)

    @pytest.mark.parametrize("spec", specs, ids=lambda spec: spec.id)
    @settings(max_examples=examples, deadline=None)
    @given(data=st.data())
    def test_rule(spec, data):
        """The gradient and the tangent against central differences at drawn points."""
        args = data.draw(spec.args(np.float64), label="args")
        check_grads(cached_grad(spec.seed, spec.wrt), *args, wrt=spec.wrt, mode="both", **tolerances)

    return test_rule


_GRADIENTS: dict = {}


def cached_grad(f, wrt):
    """`srcgrad.grad(f, wrt=wrt)`, made once for all the draws of a row."""
    if (f, wrt) not in _GRADIENTS:
        _GRADIENTS[f, wrt] = srcgrad.grad(f, wrt=wrt)
    return _GRADIENTS[f, wrt]
