"""Differences and signals: np.diff, np.gradient, np.cross, the FFT shifts, scipy.signal's convolutions.

All are linear in each argument (cross and convolutions are bilinear): each tangent rule, after
its adjoint, applies the operation to `t`, and each adjoint is the operation's transpose. They
are smooth: no kinks, ties or poles. `scipy.signal.convolve` and `correlate` are registered once
the user's program has imported `scipy.signal`, as scipy.special's functions are.
"""

# ruff: noqa: F821  (the runtime helpers are names in generated code, not here)

import sys

import numpy as np

from ... import runtime
from ..registry import adjoint, linear, tangent

registered = False

# ---------------------------------------------------------------------------------------------
# Differences.


@adjoint(np.diff)
def diff(g, a, n=1, axis=-1, prepend=None, append=None):
    # the transpose of each difference x[i + 1] - x[i]: +g to i + 1, -g to i, n times
    if prepend is None and append is None:
        da = diff_adjoint(g, a, n, axis)
    else:
        da = diff_adjoint(g, a, n, axis, prepend, append, "a")
    dprepend = diff_adjoint(g, a, n, axis, prepend, append, "prepend")
    dappend = diff_adjoint(g, a, n, axis, prepend, append, "append")


@tangent(np.diff)
def diff_tangent(t, a, n=1, axis=-1, prepend=None, append=None):
    # each part is the difference of the joined array with only that argument's tangent in it
    if prepend is None and append is None:
        da = np.diff(t, n, axis)
    elif append is None:
        da = np.diff(t, n, axis, prepend=np.zeros_like(prepend))
        dprepend = np.diff(np.zeros_like(a), n, axis, prepend=t)
    elif prepend is None:
        da = np.diff(t, n, axis, append=np.zeros_like(append))
        dappend = np.diff(np.zeros_like(a), n, axis, append=t)
    else:
        da = np.diff(t, n, axis, prepend=np.zeros_like(prepend), append=np.zeros_like(append))
        dprepend = np.diff(np.zeros_like(a), n, axis, prepend=t, append=np.zeros_like(append))
        dappend = np.diff(np.zeros_like(a), n, axis, prepend=np.zeros_like(prepend), append=t)


@adjoint(np.gradient)
def gradient(g, f, s0=None, s1=None, s2=None, *, axis=None, edge_order=1):
    # s0, s1, s2: the spacings (none, one for all axes, or one per axis), scalars, not differentiated;
    # edge_order=1 (2 raises NotImplementedError); a tuple of results is unpacked: gx, gy = np.gradient(f)
    df = gradient_adjoint(g, f, s0, s1, s2, axis, edge_order)


@tangent(np.gradient)
def gradient_tangent(t, f, s0=None, s1=None, s2=None, *, axis=None, edge_order=1):
    if s0 is None:
        df = np.gradient(t, axis=axis, edge_order=edge_order)
    elif s1 is None:
        df = np.gradient(t, s0, axis=axis, edge_order=edge_order)
    elif s2 is None:
        df = np.gradient(t, s0, s1, axis=axis, edge_order=edge_order)
    else:
        df = np.gradient(t, s0, s1, s2, axis=axis, edge_order=edge_order)


# ---------------------------------------------------------------------------------------------
# Products of vectors.


@linear(np.cross)
def cross(g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    # bilinear: a gets b x g, b gets g x a (a 2-vector as a 3-vector with z = 0)
    if axisa == -1 and axisb == -1 and axisc == -1 and axis is None:
        da = cross_adjoint(g, a, b)
        db = -cross_adjoint(g, b, a)
    else:
        da = cross_adjoint(g, a, b, axisa, axisb, axisc, axis)
        db = -cross_adjoint(g, b, a, axisb, axisa, axisc, axis)


# ---------------------------------------------------------------------------------------------
# FFT shifts: permutations, whose transposes are the opposite shifts.


@linear(np.fft.fftshift)
def fftshift(g, x, axes=None):
    dx = np.fft.ifftshift(g, axes)


@linear(np.fft.ifftshift)
def ifftshift(g, x, axes=None):
    dx = np.fft.fftshift(g, axes)


# ---------------------------------------------------------------------------------------------
# scipy.signal's convolutions, N-d: the transpose of a convolution is a correlation.


def register_scipy() -> None:
    """Register the rules for scipy.signal's convolve and correlate, each adjoint with its tangent."""
    global registered
    registered = True
    import scipy.signal

    @adjoint(scipy.signal.convolve)
    def convolve(g, in1, in2, mode="full", method="auto"):
        # bilinear, smooth everywhere (complex inputs are refused); modes full, valid and same:
        # g is placed where the result lies in the full convolution (0 elsewhere), then
        # correlated with the other input ("valid")
        din1 = convolve_adjoint(g, in1, in2, mode, method, 0)
        din2 = convolve_adjoint(g, in1, in2, mode, method, 1)

    @tangent(scipy.signal.convolve)
    def convolve_tangent(t, in1, in2, mode="full", method="auto"):
        din1 = convolve_jvp(t, in1, in2, mode, method, 0)
        din2 = convolve_jvp(t, in1, in2, mode, method, 1)

    @adjoint(scipy.signal.correlate)
    def correlate(g, in1, in2, mode="full", method="auto"):
        # the convolution with in2 reversed along every axis: smooth everywhere, as convolve
        din1 = correlate_adjoint(g, in1, in2, mode, method, 0)
        din2 = correlate_adjoint(g, in1, in2, mode, method, 1)

    @tangent(scipy.signal.correlate)
    def correlate_tangent(t, in1, in2, mode="full", method="auto"):
        din1 = correlate_jvp(t, in1, in2, mode, method, 0)
        din2 = correlate_jvp(t, in1, in2, mode, method, 1)


# The helpers of the rules above, for second derivatives: each is bilinear in its first argument
# and the other input; the input of `part` (whose gradient or tangent it is) gives only a shape.


@tangent(runtime.convolve_adjoint)
def convolve_adjoint_tangent(t, g, in1, in2, mode="full", method="auto", part=0):
    dg = convolve_adjoint(t, in1, in2, mode, method, part)
    if part == 0:
        din2 = convolve_adjoint(g, in1, t, mode, method, part)
    else:
        din1 = convolve_adjoint(g, t, in2, mode, method, part)


@tangent(runtime.correlate_adjoint)
def correlate_adjoint_tangent(t, g, in1, in2, mode="full", method="auto", part=0):
    dg = correlate_adjoint(t, in1, in2, mode, method, part)
    if part == 0:
        din2 = correlate_adjoint(g, in1, t, mode, method, part)
    else:
        din1 = correlate_adjoint(g, t, in2, mode, method, part)


@tangent(runtime.convolve_jvp)
def convolve_jvp_tangent(t, direction, in1, in2, mode="full", method="auto", part=0):
    ddirection = convolve_jvp(t, in1, in2, mode, method, part)
    if part == 0:
        din2 = convolve_jvp(direction, in1, t, mode, method, part)
    else:
        din1 = convolve_jvp(direction, t, in2, mode, method, part)


@tangent(runtime.correlate_jvp)
def correlate_jvp_tangent(t, direction, in1, in2, mode="full", method="auto", part=0):
    ddirection = correlate_jvp(t, in1, in2, mode, method, part)
    if part == 0:
        din2 = correlate_jvp(direction, in1, t, mode, method, part)
    else:
        din1 = correlate_jvp(direction, t, in2, mode, method, part)


if "scipy.signal" in sys.modules:
    register_scipy()
