"""Runtime helpers for the signal rules (see srcgrad/rules/numpy/signal.py): the transposes of
differences, of numerical gradients, of cross products and of scipy.signal's convolutions (SciPy
is imported only when a convolution's helper runs)."""

from __future__ import annotations

import numpy as np

from ..errors import UnsupportedArgumentsError
from .core import _shape, asarray, module_of, unbroadcast
from .elementwise import uncast

__all__ = [
    "cross_adjoint",
    "diff_adjoint",
    "gradient_adjoint",
    "convolve_adjoint",
    "convolve_jvp",
    "correlate_adjoint",
    "correlate_jvp",
]

# Every helper here has a tangent rule (srcgrad/rules/helpers.py): Hessian-vector products and
# forward over forward go through the convolutions.
FIRST_ORDER_ONLY = frozenset()


def _three(v):
    """Vectors along the last axis as 3-vectors: a 2-vector gets a zero z component."""
    if _shape(v)[-1] == 3:
        return v
    return module_of(v).concatenate([v, np.zeros_like(v[..., :1])], axis=-1)


def cross_adjoint(g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The gradient of `np.cross(a, b, axisa, axisb, axisc, axis)` with respect to `a`: `b x g`
    (as `g . (a x b) = a . (b x g)`), in `a`'s shape. 2-vectors count as 3-vectors with a zero z
    component, the one component of the result when both are 2-vectors.

    >>> cross_adjoint(np.array([0.0, 0.0, 1.0]), np.zeros(3), np.array([1.0, 0.0, 0.0]))
    array([ 0., -1.,  0.])
    >>> cross_adjoint(np.array(2.0), np.zeros(2), np.array([0.0, 1.0]))
    array([2., 0.])
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b, g = asarray(a), asarray(b), asarray(g)
    am, bm = np.moveaxis(a, axisa, -1), np.moveaxis(b, axisb, -1)
    if _shape(am)[-1] == 2 and _shape(bm)[-1] == 2:  # the result is the z component alone
        gm = g[..., None] * module_of(g).asarray([0, 0, 1], dtype=np.result_type(g))
    else:
        gm = np.moveaxis(g, axisc, -1)
    da = module_of(g, b).cross(_three(bm), gm)[..., : _shape(am)[-1]]
    return np.moveaxis(unbroadcast(da, am), -1, axisa)


def _along(x, axis, index):
    """`x[..., index, ...]` with `index` (a slice) on `axis`."""
    return x[(slice(None),) * (axis % np.ndim(x)) + (index,)]


def _edge(x, axis):
    """Zeros of `x`'s shape but one long on `axis`."""
    shape = list(_shape(x))
    shape[axis % len(shape)] = 1
    return module_of(x).zeros(tuple(shape), dtype=x.dtype)


def _undiff(g, n, axis):
    """The transpose of `np.diff(., n, axis)`: each difference `x[i + 1] - x[i]` sends its
    gradient to `i + 1`, and its negative to `i`."""
    xp = module_of(g)
    for _ in range(n):
        zero = _edge(g, axis)
        g = xp.concatenate([zero, g], axis=axis) - xp.concatenate([g, zero], axis=axis)
    return g


def _side(extra, a, axis) -> int:
    """How long the `prepend` or `append` of `np.diff` is along `axis` (a scalar is one long)."""
    if extra is None:
        return 0
    return 1 if np.ndim(extra) == 0 else _shape(extra)[axis % np.ndim(a)]


def diff_adjoint(g, a, n=1, axis=-1, prepend=None, append=None, part="a"):
    """The gradient of `np.diff(a, n, axis, prepend=prepend, append=append)` with respect to
    `part`: "a", "prepend" or "append" (a scalar `prepend` or `append` gets the sum of its slice).

    >>> diff_adjoint(np.array([1.0, 10.0]), np.zeros(3))
    array([-1., -9., 10.])
    >>> diff_adjoint(np.array([1.0, 10.0]), np.zeros(2), prepend=0.0, part="prepend")
    -1.0
    """
    g = asarray(g)
    if int(n) == 0:  # np.diff returns `a` itself, without prepend or append
        extra = prepend if part == "prepend" else append
        return g if part == "a" else 0.0 if type(extra) is float else np.zeros_like(asarray(extra))
    axis = axis % np.ndim(g)
    whole = _undiff(g, int(n), axis)
    before, length = _side(prepend, a, axis), _shape(a)[axis % np.ndim(a)]
    if part == "a":
        return _along(whole, axis, slice(before, before + length))
    extra = prepend if part == "prepend" else append
    piece = _along(whole, axis, slice(0, before) if part == "prepend" else slice(before + length, None))
    if np.ndim(extra) == 0:
        piece = piece.sum()
        return float(piece) if type(extra) is float else piece
    return piece


def _spacings(f, spacing, axis, edge_order):
    """The axes `np.gradient(f, *spacing, axis=axis)` differentiates along, with the step of each."""
    ndim = np.ndim(f)
    axes = list(range(ndim)) if axis is None else [axis] if isinstance(axis, int) else list(axis)
    axes = [int(k) % ndim for k in axes]
    if edge_order != 1 or any(np.ndim(s) != 0 for s in spacing):
        raise UnsupportedArgumentsError(
            "srcgrad differentiates np.gradient with edge_order=1 and scalar spacings only "
            f"(here edge_order={edge_order!r}"
            + (", and an array of coordinates)" if any(np.ndim(s) for s in spacing) else ")")
        )
    steps = [1.0] * len(axes) if not spacing else list(spacing) * len(axes) if len(spacing) == 1 else spacing
    return list(zip(axes, steps))


def _ungradient(g, axis, h):
    """The transpose of one axis of `np.gradient` with step `h` (edge_order=1): `(x[i + 1] -
    x[i - 1]) / 2h` inside, `(x[1] - x[0]) / h` and `(x[-1] - x[-2]) / h` at the ends."""
    xp = module_of(g)
    cut = lambda x, lo, hi: _along(x, axis, slice(lo, hi))
    w = xp.concatenate([cut(g, 0, 1) / h, cut(g, 1, -1) / (2 * h), cut(g, -1, None) / h], axis=axis)
    zero = _edge(w, axis)
    plus = xp.concatenate([zero, cut(w, 0, -2), cut(w, -2, -1) + cut(w, -1, None)], axis=axis)
    minus = xp.concatenate([cut(w, 0, 1) + cut(w, 1, 2), cut(w, 2, None), zero], axis=axis)
    return plus - minus


def gradient_adjoint(g, f, s0=None, s1=None, s2=None, axis=None, edge_order=1):
    """The gradient of `np.gradient(f, s0, s1, s2, axis=axis, edge_order=edge_order)` (spacings
    that are None left out) with respect to `f`; `g` is one gradient per axis differentiated
    (a list), or one array where `np.gradient` returns one. Scalar spacings, edge_order=1.

    >>> gradient_adjoint(np.array([1.0, 0.0, 0.0]), np.zeros(3))
    array([-1.,  1.,  0.])
    >>> gradient_adjoint([np.ones((2, 2)), np.zeros((2, 2))], np.zeros((2, 2)), 0.5)
    array([[-4., -4.],
           [ 4.,  4.]])
    """
    spacing = [s for s in (s0, s1, s2) if s is not None]
    parts = list(g) if isinstance(g, (list, tuple)) else [g]
    total = None
    for part, (k, h) in zip(parts, _spacings(f, spacing, axis, edge_order)):
        piece = _ungradient(asarray(part), k, h)
        total = piece if total is None else total + piece
    return uncast(total, f)


# ---------------------------------------------------------------------------------------------
# scipy.signal.convolve and correlate: `convolve(in1, in2, mode)` is a part of the full
# convolution, whose entry p is the sum of in1[i] * in2[j] over i + j = p.


def _start(n1: int, n2: int, mode: str) -> int:
    """Where along one axis the result of `mode` starts in the full convolution (SciPy centres
    "same" and "valid" in it)."""
    if mode == "full":
        return 0
    if mode == "same":
        return (n2 - 1) // 2
    return min(n1, n2) - 1  # valid


def _real_inputs(*values) -> None:
    if any(np.iscomplexobj(v) for v in values):
        raise UnsupportedArgumentsError(
            "srcgrad differentiates scipy.signal's convolve and correlate of real arrays only; "
            "here an input is complex"
        )


def convolve_adjoint(g, in1, in2, mode="full", method="auto", part=0):
    """The gradient of `scipy.signal.convolve(in1, in2, mode, method)` with respect to `in1`
    (`part` 0) or `in2` (`part` 1): `g` put where the result lies in the full convolution, zeros
    around it, correlated ("valid") with the other input.

    >>> convolve_adjoint(np.array([1.0, 0.0, 0.0, 2.0]), np.zeros(3), np.array([1.0, 10.0]))
    array([ 1.,  0., 20.])
    >>> convolve_adjoint(np.array([1.0]), np.zeros(3), np.array([1.0, 2.0, 3.0]), "valid", part=1)
    array([0., 0., 0.])
    """
    from scipy.signal import correlate

    _real_inputs(g, in1, in2)
    in1, in2, g = asarray(in1), asarray(in2), asarray(g)
    own, other = (in1, in2) if part == 0 else (in2, in1)
    if np.ndim(in1) == 0:  # SciPy multiplies 0-d inputs
        return uncast(g * other, own)
    full = tuple(n1 + n2 - 1 for n1, n2 in zip(in1.shape, in2.shape))
    spread = np.zeros(full, dtype=np.result_type(g, in1, in2))
    place = tuple(
        slice(_start(n1, n2, mode), _start(n1, n2, mode) + n)
        for n1, n2, n in zip(in1.shape, in2.shape, g.shape)
    )
    spread[place] = g
    return uncast(correlate(spread, other, mode="valid", method=method), own)


def convolve_jvp(t, in1, in2, mode="full", method="auto", part=0):
    """The tangent of `scipy.signal.convolve(in1, in2, mode, method)` in the direction `t` of
    `in1` (`part` 0) or `in2` (`part` 1): the convolution with `t` in that input's place.

    >>> convolve_jvp(np.array([1.0, 1.0]), np.zeros(2), np.array([1.0, 2.0]))
    array([1., 3., 2.])
    """
    from scipy.signal import convolve

    _real_inputs(t, in1, in2)
    if part == 0:
        return convolve(t, in2, mode=mode, method=method)
    return convolve(in1, t, mode=mode, method=method)


def _reversed(x):
    """`x` reversed along every axis: correlating with `x` is convolving with this."""
    x = asarray(x)
    return x[(slice(None, None, -1),) * x.ndim]


def correlate_adjoint(g, in1, in2, mode="full", method="auto", part=0):
    """The gradient of `scipy.signal.correlate(in1, in2, mode, method)` with respect to `in1`
    (`part` 0) or `in2` (`part` 1), for real inputs: that of the convolution with `in2` reversed.

    >>> correlate_adjoint(np.array([1.0, 0.0, 0.0, 2.0]), np.zeros(3), np.array([10.0, 1.0]))
    array([ 1.,  0., 20.])
    """
    d = convolve_adjoint(g, in1, _reversed(in2), mode, method, part)
    return d if part == 0 else _reversed(d)


def correlate_jvp(t, in1, in2, mode="full", method="auto", part=0):
    """The tangent of `scipy.signal.correlate(in1, in2, mode, method)` in the direction `t` of
    `in1` (`part` 0) or `in2` (`part` 1): the correlation with `t` in that input's place.

    >>> correlate_jvp(np.array([1.0, 1.0]), np.zeros(2), np.array([1.0, 2.0]))
    array([2., 3., 1.])
    """
    from scipy.signal import correlate

    _real_inputs(t, in1, in2)
    if part == 0:
        return correlate(t, in2, mode=mode, method=method)
    return correlate(in1, t, mode=mode, method=method)
