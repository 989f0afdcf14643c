"""Runtime helpers for the elementwise rules (see srcgrad/rules/numpy/elementwise.py)."""

from __future__ import annotations

import math

import numpy as np

from .core import asarray

__all__ = ["uncast", "clipped_below", "clipped_above", "sinc_derivative", "sinc_derivative_n", "real_only"]


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


def real_only(x, name="np.real"):
    """1.0, after checking that `x` is real: the rules of `np.real`, `np.imag`, `np.conj`,
    `np.angle` and `np.real_if_close` are those of real values (`np.real` is the identity there),
    and a complex `x` is refused rather than given a wrong gradient.

    >>> real_only(np.zeros(2))
    1.0
    """
    if np.iscomplexobj(x):
        from ..errors import UnsupportedArgumentsError

        raise UnsupportedArgumentsError(
            f"srcgrad differentiates {name} here as a function of real values, and it was given a "
            "complex one: complex values reached the function where srcgrad does not follow them (an "
            "argument that is not differentiated, or a library function's result). Make them inside "
            "the function from real ones (`c = c_re + 1j * c_im`), where srcgrad follows them"
        )
    return 1.0


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


def sinc_derivative_n(x, n):
    """The `n`-th derivative of `np.sinc` at `x` (`n` a non-negative int).

    For |x| < 1 from sinc's Taylor series; elsewhere from `x s_n + n s_(n-1) = pi**(n-1)
    sin(pi x + n pi / 2)`, the n-th derivative of `x sinc(x) = sin(pi x) / pi`.

    >>> sinc_derivative_n(np.array([0.0, 0.5, 2.0]), 1).round(8)
    array([ 0.        , -1.27323954,  0.5       ])
    >>> float(sinc_derivative_n(0.0, 2)) == -np.pi**2 / 3
    True
    """
    n = int(n)
    x = asarray(x)
    small = np.abs(x) < 1
    # the series: sum over k with 2k >= n of (-1)^k pi^2k x^(2k-n) / ((2k+1) (2k-n)!)
    xs = np.where(small, x, 0)
    series = 0.0
    for k in range(30 + n, (n + 1) // 2 - 1, -1):  # smallest terms first
        c = (-1) ** k * math.pi ** (2 * k) / ((2 * k + 1) * math.factorial(2 * k - n))
        series = series + c * xs ** (2 * k - n)
    safe = np.where(small, 1, x)
    d = np.sinc(safe)
    for j in range(1, n + 1):
        d = (math.pi ** (j - 1) * np.sin(math.pi * safe + j * math.pi / 2) - j * d) / safe
    return np.where(small, series, d)
