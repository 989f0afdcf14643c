"""Differences and signals: np.diff, np.gradient, np.cross, the FFT shifts.

All are linear in each argument (cross is bilinear): each tangent rule, after its adjoint,
applies the operation to `t`, and each adjoint is the operation's transpose. They are smooth:
no kinks, ties or poles.
"""

# ruff: noqa: F821  (the runtime helpers are names in generated code, not here)

import numpy as np

from ..registry import adjoint, tangent

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


@adjoint(np.cross)
def cross(g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    # bilinear: a gets b x g, b gets g x a (a 2-vector as a 3-vector with z = 0)
    if axisa == -1 and axisb == -1 and axisc == -1 and axis is None:
        da = cross_adjoint(g, a, b)
        db = -cross_adjoint(g, b, a)
    else:
        da = cross_adjoint(g, a, b, axisa, axisb, axisc, axis)
        db = -cross_adjoint(g, b, a, axisb, axisa, axisc, axis)


@tangent(np.cross)
def cross_tangent(t, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    if axisa == -1 and axisb == -1 and axisc == -1 and axis is None:
        da = np.cross(t, b)
        db = np.cross(a, t)
    else:
        da = np.cross(t, b, axisa, axisb, axisc, axis)
        db = np.cross(a, t, axisa, axisb, axisc, axis)


# ---------------------------------------------------------------------------------------------
# FFT shifts: permutations, whose transposes are the opposite shifts.


@adjoint(np.fft.fftshift)
def fftshift(g, x, axes=None):
    dx = np.fft.ifftshift(g, axes)


@tangent(np.fft.fftshift)
def fftshift_tangent(t, x, axes=None):
    dx = np.fft.fftshift(t, axes)


@adjoint(np.fft.ifftshift)
def ifftshift(g, x, axes=None):
    dx = np.fft.fftshift(g, axes)


@tangent(np.fft.ifftshift)
def ifftshift_tangent(t, x, axes=None):
    dx = np.fft.ifftshift(t, axes)
