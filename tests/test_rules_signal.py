"""Rows for the signal rules (srcgrad/rules/numpy/signal.py): np.diff (n, axis, prepend and
append), np.gradient (spacings, axis), np.cross (its axis arguments, broadcasting, 2-vectors),
the FFT shifts, and scipy.signal's convolve and correlate (modes full, same and valid, N-d, each
input larger, both differentiated); the machinery is in tests/rulespec.py and the forms each row
is tested in are described in tests/test_rules.py. These functions are linear (cross and the
convolutions bilinear), so the rows check their transposes anywhere; the tests after the table
check exact values and small programs.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
from hypothesis import strategies as st
from rulespec import *  # noqa: F403  (domains and argument builders, used by the rows)
from rulespec import _array, check_both_modes, check_program, define_tests, rows
from scipy import signal
from scipy.signal import convolve

import srcgrad

row = rows(globals())


# NumPy 2.0 deprecates np.cross of 2-vectors; users' programs still call it, and a row here does
def _cross_of_2_vectors() -> bool:
    """Whether this NumPy still takes np.cross of 2-vectors (deprecated in 2.0, gone in 2.5)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            np.cross(np.ones(2), np.ones(2))
        except ValueError:
            return False
    return True


CROSS_2 = _cross_of_2_vectors()
pytestmark = pytest.mark.filterwarnings(
    "ignore:Arrays of 2-dimensional vectors are deprecated:DeprecationWarning"
)


def drawn(make):
    def args(dtype):
        @st.composite
        def draw(draw):
            return make(draw, lambda shape, domain=REAL: draw(_array(shape, dtype, domain)))

        return draw()

    return args


def _axis(draw, ndim):
    return draw(st.sampled_from([a for i in range(ndim) for a in (i, i - ndim)]))


# ---------------------------------------------------------------------------------------------
# The functions under test: `<name>_s` is `np.sum(op(...))`, `<name>_w` is `np.sum(w * op(...))`.


def diff_s(x):
    return np.sum(np.diff(x))


def diff_w(x, w):
    return np.sum(w * np.diff(x))


def diff_var_s(x, n, axis):
    return np.sum(np.diff(x, n, axis))


def diff_var_w(x, n, axis, w):
    return np.sum(w * np.diff(x, n, axis))


def diff_ends_s(x, p, q):
    return np.sum(np.diff(x, 2, axis=0, prepend=p, append=q))


def diff_ends_w(x, p, q, w):
    return np.sum(w * np.diff(x, 2, axis=0, prepend=p, append=q))


def diff_prepend_s(x, p):
    return np.sum(np.diff(x, prepend=p))


def diff_prepend_w(x, p, w):
    return np.sum(w * np.diff(x, prepend=p))


def gradient_s(x):
    return np.sum(np.gradient(x, axis=0))


def gradient_w(x, w):
    return np.sum(w * np.gradient(x, axis=0))


def gradient_plain_w(x, w):
    return np.sum(w * np.gradient(x))


def gradient_axis_s(x, axis):
    return np.sum(np.gradient(x, 0.5, axis=axis))


def gradient_axis_w(x, axis, w):
    return np.sum(w * np.gradient(x, 0.5, axis=axis))


def gradient_2d_s(x):
    gx, gy = np.gradient(x, 0.5, -2.0)
    return np.sum(gx * 3.0 + gy)


def gradient_2d_w(x, w):
    gx, gy = np.gradient(x, 0.5, -2.0)
    return np.sum(w * (gx * 3.0 + gy))


def cross_s(a, b):
    return np.sum(np.cross(a, b))


def cross_w(a, b, w):
    return np.sum(w * np.cross(a, b))


def cross_axes_s(a, b):
    return np.sum(np.cross(a, b, axisa=0, axisb=-1, axisc=0))


def cross_axes_w(a, b, w):
    return np.sum(w * np.cross(a, b, axisa=0, axisb=-1, axisc=0))


def cross_axis_s(a, b):
    return np.sum(np.cross(a, b, axis=0))


def cross_axis_w(a, b, w):
    return np.sum(w * np.cross(a, b, axis=0))


def fftshift_s(x):
    return np.sum(np.fft.fftshift(x))


def fftshift_w(x, w):
    return np.sum(w * np.fft.fftshift(x))


def fftshift_axes_s(x):
    return np.sum(np.fft.fftshift(x, axes=-1))


def fftshift_axes_w(x, w):
    return np.sum(w * np.fft.fftshift(x, axes=-1))


def ifftshift_s(x):
    return np.sum(np.fft.ifftshift(x))


def ifftshift_w(x, w):
    return np.sum(w * np.fft.ifftshift(x))


def ifftshift_axes_s(x):
    return np.sum(np.fft.ifftshift(x, axes=(0,)))


def ifftshift_axes_w(x, w):
    return np.sum(w * np.fft.ifftshift(x, axes=(0,)))


def convolve_s(x, y):
    return np.sum(signal.convolve(x, y))


def convolve_w(x, y, w):
    return np.sum(w * signal.convolve(x, y))


def convolve_mode_s(x, y, mode):
    return np.sum(convolve(x, y, mode=mode))


def convolve_mode_w(x, y, mode, w):
    return np.sum(w * convolve(x, y, mode=mode))


def convolve_same_direct_s(x, y):
    return np.sum(signal.convolve(x, y, "same", "direct"))


def convolve_same_direct_w(x, y, w):
    return np.sum(w * signal.convolve(x, y, "same", "direct"))


def convolve_valid_fft_s(x, y):
    return np.sum(convolve(x, y, mode="valid", method="fft"))


def convolve_valid_fft_w(x, y, w):
    return np.sum(w * convolve(x, y, mode="valid", method="fft"))


def correlate_mode_s(x, y, mode):
    return np.sum(signal.correlate(x, y, mode))


def correlate_mode_w(x, y, mode, w):
    return np.sum(w * signal.correlate(x, y, mode))


# ---------------------------------------------------------------------------------------------
# Argument builders.


@drawn
def diff_args(draw, array):
    x = array(draw(shapes(1, 3, min_side=1, max_side=5)))
    axis = _axis(draw, x.ndim)
    return x, draw(st.integers(0, x.shape[axis])), axis


@drawn
def diff_ends_args(draw, array):
    shape = draw(shapes(1, 3, max_side=4))
    p = array((draw(st.integers(1, 2)), *shape[1:]))
    q = draw(scalars()) if draw(st.booleans()) else array((1, *shape[1:]))
    return array(shape), p, q


@drawn
def diff_prepend_args(draw, array):
    shape = draw(shapes(1, 2, max_side=4))
    return array(shape), draw(scalars())


@drawn
def gradient_1d(draw, array):
    return (array((draw(st.integers(2, 6)),)),)


@drawn
def gradient_axis_args(draw, array):
    x = array(draw(shapes(1, 3, min_side=2, max_side=4)))
    return x, _axis(draw, x.ndim)


@drawn
def gradient_2d_args(draw, array):
    return (array(draw(shapes(2, 2, min_side=2, max_side=4))),)


@drawn
def cross_args(draw, array):
    sa, sb = draw(broadcastable_shapes(2, max_dims=2), label="shapes").input_shapes
    return array((*sa, 3)), array((*sb, 3))


@drawn
def cross_2_args(draw, array):
    n = draw(st.integers(1, 3))
    return array((n, draw(st.sampled_from([2, 3])))), array((n, 2))


@drawn
def cross_axes_args(draw, array):
    n = draw(st.integers(1, 3))
    return array((3, n)), array((n, 3))


@drawn
def cross_axis_args(draw, array):
    n = draw(st.integers(1, 3))
    return array((3, n)), array((3, 1))


def _convolution_shapes(draw, valid):
    """Shapes of two inputs of one rank (1-3 axes); for "valid", one at least as long as the
    other along every axis (either one), as SciPy requires."""
    ndim = draw(st.integers(1, 3))
    x = tuple(draw(st.integers(1, 5)) for _ in range(ndim))
    if not valid:
        return x, tuple(draw(st.integers(1, 5)) for _ in range(ndim))
    y = tuple(draw(st.integers(1, n)) for n in x)
    return (x, y) if draw(st.booleans()) else (y, x)


def convolution_args(mode=None, valid=False):
    """Two arrays for scipy.signal.convolve or correlate, and a mode (drawn if `mode` is None)."""

    @drawn
    def args(draw, array):
        chosen = mode or draw(st.sampled_from(["full", "same", "valid"]))
        sx, sy = _convolution_shapes(draw, valid or chosen == "valid")
        return (array(sx), array(sy)) + (() if mode else (chosen,))

    return args


XY, AB = ("x", "y"), ("a", "b")

# fmt: off
SPECS = [
    row("diff", "diff", "diff", np.diff, args=ndim(1, 3)),
    row("diff-n-axis-drawn", "diff", "diff_var", np.diff, args=diff_args),
    row("diff-prepend-append", "diff", "diff_ends",
        lambda x, p, q: np.diff(x, 2, axis=0, prepend=p, append=q), ("x", "p", "q"), diff_ends_args),
    row("diff-prepend-float", "diff", "diff_prepend", lambda x, p: np.diff(x, prepend=p), ("x", "p"),
        diff_prepend_args),
    # axis=0: on a 1-D Dask array, np.gradient(x) returns a list of one array (NumPy's, an array)
    row("gradient", "gradient", "gradient", lambda x: np.gradient(x, axis=0), args=gradient_1d),
    row("gradient-axis-drawn", "gradient", "gradient_axis",
        lambda x, axis: np.gradient(x, 0.5, axis=axis), args=gradient_axis_args),
    row("gradient-2d", "gradient", "gradient_2d",
        lambda x: np.gradient(x, 0.5, -2.0)[0] * 3.0 + np.gradient(x, 0.5, -2.0)[1], args=gradient_2d_args),
    row("cross", "cross", "cross", np.cross, AB, cross_args),
    *([row("cross-2-vectors", "cross", "cross", np.cross, AB, cross_2_args)] if CROSS_2 else []),
    row("cross-axisa-axisc", "cross", "cross_axes",
        lambda a, b: np.cross(a, b, axisa=0, axisb=-1, axisc=0), AB, cross_axes_args),
    row("cross-axis=0", "cross", "cross_axis", lambda a, b: np.cross(a, b, axis=0), AB, cross_axis_args),
    row("fftshift", "fftshift", "fftshift", np.fft.fftshift, args=ndim(1, 3)),
    row("fftshift-axes=-1", "fftshift", "fftshift_axes", lambda x: np.fft.fftshift(x, axes=-1),
        args=ndim(1, 3)),
    row("ifftshift", "ifftshift", "ifftshift", np.fft.ifftshift, args=ndim(1, 3)),
    row("ifftshift-axes=(0,)", "ifftshift", "ifftshift_axes",
        lambda x: np.fft.ifftshift(x, axes=(0,)), args=ndim(1, 3)),
    # `signal.convolve` (from scipy import signal): the spelling `scipy.signal.convolve` reaches
    # generated code through srcgrad's view of `scipy` on Dask, which has only scipy.special;
    # test_program_convolutions spells it so on NumPy
    row("signal.convolve", "convolve", "convolve", scipy.signal.convolve, XY, convolution_args("full")),
    row("convolve-mode-drawn", "convolve", "convolve_mode",
        lambda x, y, mode: scipy.signal.convolve(x, y, mode=mode), XY, convolution_args()),
    row("convolve-same-direct", "convolve", "convolve_same_direct",
        lambda x, y: scipy.signal.convolve(x, y, "same", "direct"), XY, convolution_args("same")),
    row("convolve-valid-fft", "convolve", "convolve_valid_fft",
        lambda x, y: scipy.signal.convolve(x, y, "valid", "fft"), XY, convolution_args("valid")),
    row("correlate-mode-drawn", "correlate", "correlate_mode", scipy.signal.correlate, XY,
        convolution_args()),
]
# fmt: on

define_tests(SPECS, globals())


# ---------------------------------------------------------------------------------------------
# Exact values, in both modes.


def test_diff_is_transposed_exactly():
    x = np.array([1.0, 4.0, 9.0, 16.0])
    w = np.array([1.0, 10.0, 100.0])
    check_both_modes(diff_w, (x, w), ("x",), [[-1.0, -9.0, -90.0, 100.0]])
    # second differences of [p, x..., q] add up to (q - x[-1]) - (x[0] - p)
    dx, dp, dq = srcgrad.grad(diff_ends_s, wrt=("x", "p", "q"), with_value=False)(x, 2.0, 3.0)
    np.testing.assert_array_equal(dx, [-1.0, 0.0, 0.0, -1.0])
    assert (dp, dq) == (1.0, 1.0) and type(dp) is float


def test_gradient_is_transposed_exactly():
    x = np.array([0.0, 1.0, 4.0, 9.0])
    w = np.array([1.0, 2.0, 4.0, 8.0])
    # rows: (x1 - x0), (x2 - x0) / 2, (x3 - x1) / 2, (x3 - x2)
    check_both_modes(gradient_plain_w, (x, w), ("x",), [[-2.0, -1.0, -7.0, 10.0]])


def test_gradient_refuses_what_it_has_no_transpose_for():
    with pytest.raises(NotImplementedError, match="edge_order=2"):
        srcgrad.grad(gradient_edge_2)(np.arange(4.0))
    with pytest.raises(NotImplementedError, match="array of coordinates"):
        srcgrad.grad(gradient_coordinates)(np.arange(4.0))


def gradient_edge_2(x):
    return np.sum(np.gradient(x, edge_order=2) ** 2)


def gradient_coordinates(x):
    return np.sum(np.gradient(x, np.array([0.0, 1.0, 3.0, 4.0])) ** 2)


def test_cross_of_the_unit_vectors():
    ex, ey, ez = np.eye(3)
    # d (a x b) . ez: a's gradient is b x ez, b's is ez x a
    check_both_modes(cross_w, (ex, ey, ez), AB, [np.cross(ey, ez), np.cross(ez, ex)])
    if CROSS_2:  # NumPy before 2.5
        check_both_modes(
            cross_s, (np.array([1.0, 2.0]), np.array([3.0, 4.0])), AB, [[4.0, -3.0], [-2.0, 1.0]]
        )


def test_fftshifts_are_each_others_transposes():
    w = np.arange(5.0)
    check_both_modes(fftshift_w, (np.zeros(5), w), ("x",), [np.fft.ifftshift(w)])
    check_both_modes(ifftshift_w, (np.zeros(5), w), ("x",), [np.fft.fftshift(w)])


# ---------------------------------------------------------------------------------------------
# Small programs, through grad and jvp; a second derivative.


def program_signal(x, y, h):
    slope = np.gradient(np.fft.fftshift(x) * y, h)
    bumps = np.diff(slope, 2, prepend=x[0], append=y[-1])
    turn = np.cross(np.reshape(x[:6], (2, 3)), np.reshape(np.fft.ifftshift(y)[:6], (2, 3)))
    return np.sum(bumps**2) + np.sum(np.sin(turn))


def test_program_signal():
    rng = np.random.default_rng(3)
    check_program(program_signal, (rng.normal(size=7), rng.normal(size=7), 0.4), ("x", "y"))


def program_gradient_2d(f):
    gx, gy = np.gradient(f, 0.5, axis=(1, 0))
    return np.sum(gx * gy) + np.sum(np.diff(f, axis=0) ** 3)


def test_program_gradient_2d_and_its_hessian():
    rng = np.random.default_rng(4)
    f = rng.normal(size=(3, 4))
    check_program(program_gradient_2d, (f,), ("f",))
    v = rng.normal(size=(3, 4))
    hv = srcgrad.hvp(program_gradient_2d)(f, v)
    g = srcgrad.grad(program_gradient_2d, with_value=False)
    eps = 1e-5
    np.testing.assert_allclose(hv, (g(f + eps * v) - g(f - eps * v)) / (2 * eps), rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------------------------------------
# scipy.signal's convolutions: the gradient is the transpose of the Jacobian SciPy's own values
# give (the convolution of each unit array), exactly, in every mode and for each input larger.


def _jacobian(op, x, y, part):
    """The matrix of the linear map `part -> op(x, y)`, column by column from unit arrays."""
    own = (x, y)[part]
    columns = []
    for i in range(own.size):
        unit = np.zeros(own.size)
        unit[i] = 1.0
        unit = unit.reshape(own.shape)
        columns.append(np.ravel(op(unit, y) if part == 0 else op(x, unit)))
    return np.stack(columns, axis=1)


def convolve_exact(x, y, w, mode):
    return np.sum(w * scipy.signal.convolve(x, y, mode, "direct"))


def correlate_exact(x, y, w, mode):
    return np.sum(w * signal.correlate(x, y, mode=mode, method="direct"))


SHAPE_PAIRS = [
    ((5,), (3,)),
    ((3,), (5,)),
    ((4,), (4,)),
    ((4, 5), (2, 3)),
    ((2, 3), (4, 5)),
    ((3, 4, 2), (2, 2, 2)),
]


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("shapes_xy", SHAPE_PAIRS, ids=lambda p: f"{p[0]}*{p[1]}")
@pytest.mark.parametrize("f", [convolve_exact, correlate_exact], ids=["convolve", "correlate"])
def test_convolutions_are_transposed_exactly(f, shapes_xy, mode):
    rng = np.random.default_rng(len(shapes_xy[0]) + 10 * len(mode))
    x, y = rng.normal(size=shapes_xy[0]), rng.normal(size=shapes_xy[1])
    op = scipy.signal.convolve if f is convolve_exact else scipy.signal.correlate
    w = rng.normal(size=op(x, y, mode).shape)
    expected = [
        (_jacobian(lambda a, b: op(a, b, mode, "direct"), x, y, part).T @ np.ravel(w)).reshape(
            (x, y)[part].shape
        )
        for part in (0, 1)
    ]
    check_both_modes(f, (x, y, w, mode), XY, expected)


def test_same_mode_is_centred_as_scipy_centres_it():
    # x = [1, 2, 3, 4] with y = [1, 10, 100]: the full convolution has 6 entries, "same" keeps
    # entries 1 to 4; w = e_0 picks entry 1, x[0] * 10 + x[1] * 1
    w = np.array([1.0, 0.0, 0.0, 0.0])
    x, y = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 10.0, 100.0])
    check_both_modes(convolve_exact, (x, y, w, "same"), XY, [[10.0, 1.0, 0.0, 0.0], [2.0, 1.0, 0.0]])


def layer(image, kernel, probe):
    feature = np.tanh(scipy.signal.convolve(image, kernel, mode="same"))
    pooled = signal.correlate(feature, probe, mode="valid")
    return np.sum(pooled**2) + np.sum(convolve(feature[0], kernel[:, 0], mode="full"))


def test_program_convolutions():
    rng = np.random.default_rng(7)
    args = (rng.normal(size=(5, 6)), 0.5 * rng.normal(size=(3, 2)), rng.normal(size=(2, 3)))
    check_program(layer, args, ("image", "kernel", "probe"))


def test_the_convolutions_register_when_the_program_imports_scipy_signal_after_the_table_loaded(tmp_path):
    import subprocess
    import sys

    program = tmp_path / "program.py"
    program.write_text(
        "import sys, numpy as np, srcgrad, srcgrad.rules\n"
        "srcgrad.rules.lookup(np.exp)  # the table loads before scipy.signal is imported\n"
        "assert 'scipy.signal' not in sys.modules\n"
        "from scipy.signal import convolve\n\n"
        "def f(x):\n"
        "    return np.sum(convolve(x, np.array([1.0, 2.0])) ** 2)\n\n"
        "print(list(srcgrad.grad(f, with_value=False)(np.array([1.0, 0.0]))))\n"
    )
    out = subprocess.run([sys.executable, str(program)], capture_output=True, text=True, check=True)
    # convolve([1, 0], [1, 2]) = [1, 2, 0]; the gradient of its squares' sum is
    # correlate(2 * [1, 2, 0], [1, 2], "valid")
    assert out.stdout.strip() == "[np.float64(10.0), np.float64(4.0)]"


# np.gradient of an array of 2 or more axes returns a tuple: its items are read by index or
# unpacked, and two reads of one tuple add their gradients item by item.


def gradient_item(x):
    return np.sum(np.gradient(x)[0] ** 2)


def gradient_unpacked(x):
    gy, gx = np.gradient(x)
    return np.sum(gy * gx)


def gradient_read_twice(x):
    parts = np.gradient(x)
    return np.sum(parts[0] ** 2) + np.sum(np.sin(parts[1]))


def gradient_in_a_loop(x):
    total = 0.0
    for k in range(3):
        parts = np.gradient(x * k)
        total = total + np.sum(parts[1] ** 2)
    return total


def gradient_spaced_axes(x):
    return np.sum(np.gradient(x, 0.5, axis=(0, 1))[1] ** 2)


@pytest.mark.parametrize(
    "f", [gradient_item, gradient_unpacked, gradient_read_twice, gradient_in_a_loop, gradient_spaced_axes]
)
def test_items_of_np_gradient_of_a_matrix(f):
    x = np.arange(12.0).reshape(3, 4) ** 1.5
    check_grads(f, x)
    check_grads(f, x, mode="forward")


def test_hessian_through_an_item_of_np_gradient():
    x = np.arange(6.0).reshape(2, 3) ** 1.5
    hessian = srcgrad.hessian(gradient_item)(x)
    # gradient_item is a quadratic form: its Hessian is 2 D^T D, for D the first axis' np.gradient
    basis = np.eye(6).reshape(6, 2, 3)
    columns = np.stack([np.gradient(b)[0].ravel() for b in basis], axis=1)
    assert np.allclose(hessian.reshape(6, 6), 2 * columns.T @ columns)
