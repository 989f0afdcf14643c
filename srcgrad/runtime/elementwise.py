"""Runtime helpers for the elementwise rules (see srcgrad/rules/numpy/elementwise.py)."""

from __future__ import annotations

import math

import numpy as np

from .core import asarray

__all__ = ["uncast", "clipped_below", "clipped_above", "sinc_derivative"]


def uncast(g, x, dtype=None):
    """`g`, the gradient of `x` cast to `dtype`, cast back to `x`'s dtype.

    A cast to an integer or bool `dtype` carries no gradient: the result is zeros. Without
    `dtype` (a computation in a wider float, as `np.float_power` does) only the cast back is done.

    >>> uncast(np.ones(2), np.zeros(2, np.float32), np.float64).dtype
    dtype('float32')
    >>> uncast(np.ones(2), np.zeros(2), "int64")
    array([0., 0.])
    """
    xdtype = getattr(x, "dtype", None)
    if dtype is not None and not np.issubdtype(np.dtype(dtype), np.inexact):
        return np.zeros_like(x, dtype=xdtype if xdtype is not None else float)
    if xdtype is None or not np.issubdtype(xdtype, np.inexact):
        return g  # a Python float, or an integer array whose gradient goes nowhere
    if np.iscomplexobj(g) and not np.issubdtype(xdtype, np.complexfloating):
        g = g.real  # x went into a complex number as its real part
    return g if getattr(g, "dtype", None) == xdtype else asarray(g).astype(xdtype)


def clipped_below(x, lo, hi):
    """Where `np.clip(x, lo, hi)` is `lo`: `x < lo`, except where `lo > hi` (then it is `hi`).

    Either bound may be None. At `x == lo` the result is `x`'s, not the bound's.

    >>> clipped_below(np.array([-2.0, 0.0, 2.0]), 0.0, 1.0)
    array([ True, False, False])
    """
    if lo is None:
        return False
    below = x < lo
    return below if hi is None else below & (lo <= hi)


def clipped_above(x, lo, hi):
    """Where `np.clip(x, lo, hi)` is `hi`: `x > hi`, and everywhere `lo > hi`.

    Either bound may be None. At `x == hi` the result is `x`'s, not the bound's.

    >>> clipped_above(np.array([-2.0, 1.0, 2.0]), 0.0, 1.0)
    array([False, False,  True])
    """
    if hi is None:
        return False
    above = x > hi
    return above if lo is None else above | (lo > hi)


# d/dx sinc(x) = pi**2 x * sum_k c_k (pi x)**(2k - 2), from sinc's Taylor series
_SINC_SERIES = [(-1) ** k * 2 * k / math.factorial(2 * k + 1) for k in range(1, 10)]


def sinc_derivative(x, ans):
    """The derivative of `np.sinc` at `x`, where its value is `ans`: `(cos(pi x) - ans) / x`.

    Near 0, where that difference cancels, a Taylor series instead (exactly 0 at 0).

    >>> x = np.array([0.001, 0.5, 1.0])
    >>> sinc_derivative(x, np.sinc(x))
    array([-0.00328986, -1.27323954, -1.        ])
    >>> bool(sinc_derivative(0.0, 1.0) == 0)
    True
    """
    small = np.abs(x) < 0.25  # the series' last term is below float64's eps there
    safe = np.where(small, 1, x)
    direct = (np.cos(np.pi * safe) - ans) / safe
    t = (np.pi * x) ** 2
    series = _SINC_SERIES[-1]
    for c in reversed(_SINC_SERIES[:-1]):
        series = series * t + c
    return np.where(small, np.pi**2 * x * series, direct)
