"""Runtime helpers for the special rules (see srcgrad/rules/numpy/special.py).

SciPy is imported only when a helper that needs it runs, so srcgrad imports without it.
"""

from __future__ import annotations

import numpy as np

from .core import unbroadcast

__all__ = [
    "bessel",
    "bessel_i1",
    "digamma",
    "logsumexp_da",
    "logsumexp_db",
    "logsumexp_jvp_a",
    "logsumexp_jvp_b",
    "polygamma",
    "rgamma_zero_slopes",
]


_BESSEL = {"j": "jv", "y": "yv", "i": "iv", "ie": "ive"}


def bessel(kind, v, x):
    """The Bessel function `kind` of order `v` at `x`: `scipy.special.jv(v, x)` for "j", `yv` for
    "y", `iv` for "i" and `ive` (`iv` scaled by `exp(-|x|)`) for "ie". The derivative of a Bessel
    function is made of those of the orders next to its own, which the rules compute with this.

    `cupyx.scipy.special` has Bessel functions of a few orders only: for CuPy arrays this is
    `j0` or `j1` for "j" of order 0 or +-1, `yn` for "y" of an integer order, and `i0`, `i1`,
    `i0e` or `i1e` for "i" or "ie" of order 0 or +-1 (the order a Python or NumPy number); for any
    other it raises UnsupportedBackendError naming the SciPy function CuPy lacks.

    >>> round(float(bessel("j", 1, 2.0)), 10)
    0.5767248078
    >>> round(float(bessel("ie", 0, -1.0)), 10)  # i0(1) * exp(-1)
    0.4657596076
    """
    from .core import module_of

    if module_of(x, v).__name__ == "cupy":
        import cupyx.scipy.special

        return bessel_of_one_order(cupyx.scipy.special, kind, v, x)
    import scipy.special

    return getattr(scipy.special, _BESSEL[kind])(v, x)


def bessel_of_one_order(special, kind, v, x):
    """`bessel(kind, v, x)` from the functions of one order that `special` has as CuPy's does
    (`j0`, `j1`, `yn`, `i0`, `i1`, `i0e`, `i1e`), using J(-1) = -J(1) and I(-1) = I(1):
    UnsupportedBackendError where they do not cover the order.

    >>> import scipy.special
    >>> round(float(bessel_of_one_order(scipy.special, "j", -1, 2.0)), 10)  # -j1(2)
    -0.5767248078
    """
    n = None
    if isinstance(v, (int, float, np.integer, np.floating)) and float(v).is_integer():
        n = int(v)
    if kind == "y" and n is not None:
        return special.yn(n, x)
    if n is not None and abs(n) <= 1:
        if kind == "j":
            return special.j0(x) if n == 0 else n * special.j1(x)
        return getattr(special, {"i": ("i0", "i1"), "ie": ("i0e", "i1e")}[kind][abs(n)])(x)
    from ..errors import UnsupportedBackendError, describe

    raise UnsupportedBackendError(
        f"scipy.special.{_BESSEL[kind]} has no counterpart in CuPy for the order {describe(v)}, which the "
        "derivative of a Bessel function needs, so srcgrad cannot run this function on CuPy arrays "
        "(cupyx.scipy.special has j0, j1, y0, y1, yn, i0, i1, i0e and i1e only).",
        hint="Call it with NumPy arrays, or compute that part yourself and pass it in.",
    )


def bessel_i1(x):
    """`scipy.special.i1` (`cupyx.scipy.special.i1` for CuPy arrays), the modified Bessel function
    of the first kind of order 1: the derivative of `np.i0`.

    >>> round(float(bessel_i1(1.0)), 10)
    0.565159104
    """
    from .core import module_of

    if module_of(x).__name__ == "cupy":
        from cupyx.scipy.special import i1
    else:
        try:
            from scipy.special import i1
        except ImportError as exc:
            raise ImportError(
                "the derivative of np.i0 is scipy.special.i1: srcgrad needs SciPy for it"
            ) from exc
    return i1(x)


def digamma(x):
    """`scipy.special.digamma`, the derivative of `gammaln`.

    >>> round(float(digamma(1.0)), 10)  # minus the Euler-Mascheroni constant
    -0.5772156649
    """
    from scipy.special import digamma as psi

    return psi(x)


def _weights(g, ans, a, axis, b):
    """`g` and `exp(a - ans)` (at most 1), broadcasting against `a` and `b` together.

    `g` and `ans` are reshaped to the reduced shape with its axes kept, whether or not
    `keepdims` kept them (SciPy returns shape (1,) for some 0-d `a`, which this also covers).
    """
    shape = np.broadcast_shapes(np.shape(a), np.shape(b))
    if axis is None:
        axis = tuple(range(len(shape)))
    axes = [k % len(shape) for k in np.atleast_1d(axis)]
    kept = tuple(1 if k in axes else n for k, n in enumerate(shape))
    return np.reshape(g, kept), np.exp(np.broadcast_to(a, shape) - np.reshape(ans, kept))


def logsumexp_da(g, ans, a, axis=None, keepdims=False, b=None):
    """The gradient of `scipy.special.logsumexp(a, axis, b, keepdims)` with respect to `a`:
    `g * b * exp(a - ans)`, the weights `b * exp(a)` normalised.

    >>> logsumexp_da(1.0, np.log(4.0), np.zeros(2), b=np.array([1.0, 3.0]))
    array([0.25, 0.75])
    """
    if b is None:
        b = 1
    gs, e = _weights(g, ans, a, axis, b)
    return unbroadcast(gs * b * e, a)


def logsumexp_db(g, ans, a, axis=None, keepdims=False, b=None):
    """The gradient of `scipy.special.logsumexp(a, axis, b, keepdims)` with respect to `b`:
    `g * exp(a - ans)`.

    >>> logsumexp_db(1.0, np.log(4.0), np.zeros(2), b=np.array([1.0, 3.0]))
    array([0.25, 0.25])
    """
    gs, e = _weights(g, ans, a, axis, b)
    return unbroadcast(gs * e, b)


def logsumexp_jvp_a(t, ans, a, axis=None, keepdims=False, b=None):
    """The tangent of `ans = scipy.special.logsumexp(a, axis, b, keepdims)` in the direction `t`
    of `a`: the sum of `t * b * exp(a - ans)` over `axis`, in `ans`'s shape.

    >>> float(logsumexp_jvp_a(np.array([1.0, 0.0]), np.log(4.0), np.zeros(2), b=np.array([1.0, 3.0])))
    0.25
    """
    _, e = _weights(ans, ans, a, axis, b)
    return np.reshape(np.sum(t * (e if b is None else b * e), axis=axis, keepdims=True), np.shape(ans))


def logsumexp_jvp_b(t, ans, a, axis=None, keepdims=False, b=None):
    """The tangent of `ans = scipy.special.logsumexp(a, axis, b, keepdims)` in the direction `t`
    of `b`: the sum of `t * exp(a - ans)` over `axis`, in `ans`'s shape.

    >>> float(logsumexp_jvp_b(np.array([1.0, 1.0]), np.log(4.0), np.zeros(2), b=np.array([1.0, 3.0])))
    0.5
    """
    _, e = _weights(ans, ans, a, axis, b)
    return np.reshape(np.sum(t * e, axis=axis, keepdims=True), np.shape(ans))


def polygamma(n, x):
    """`scipy.special.polygamma(n, x)`, the `n`-th derivative of `digamma` (`n` a non-negative
    int): the derivatives of `gammaln`'s gradient.

    >>> round(float(polygamma(1, 1.0)), 10)  # pi**2 / 6
    1.6449340668
    """
    from scipy.special import polygamma as psi_n

    return psi_n(n, x)


def rgamma_zero_slopes(x):
    """The slope of `scipy.special.rgamma` (1 / gamma, an entire function) at its zeros:
    `(-1)**n * n!` at x = -n for n = 0, 1, 2, ..., and 0 elsewhere. There its slope
    `-rgamma(x) * digamma(x)` is 0 times an infinity. Constant but at those points, it carries no
    gradient itself.

    >>> rgamma_zero_slopes(np.array([0.0, -1.0, -3.0, 0.5, 2.0]))
    array([ 1., -1., -6.,  0.,  0.])
    """
    from .core import module_of

    if module_of(x).__name__ == "cupy":
        from cupyx.scipy.special import gamma
    else:
        from scipy.special import gamma
    zero = (x <= 0) & (x == np.floor(x)) & np.isfinite(x)
    n = np.where(zero, -x, 0)
    return np.where(zero, (1 - 2 * (n % 2)) * gamma(n + 1), 0)
