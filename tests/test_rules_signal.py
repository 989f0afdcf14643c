"""Rows for the signal rules (srcgrad/rules/numpy/signal.py): np.diff (n, axis, prepend and
append), np.gradient (spacings, axis), np.cross (its axis arguments, broadcasting, 2-vectors) and
the FFT shifts; the machinery is in tests/rulespec.py and the forms each row is tested in are
described in tests/test_rules.py. These functions are linear (cross bilinear), so the rows check
their transposes anywhere; the tests after the table check exact values and small programs.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st
from rulespec import *  # noqa: F403  (domains and argument builders, used by the rows)
from rulespec import _array, check_both_modes, check_program, define_tests, rows

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
