"""Reductions: sums, means, extrema, products, statistics, cumulative operations.

The linear ones (sum, mean, cumsum, trace) are declared `@linear`: their tangent is the
reduction of `t`. Each other adjoint rule is followed by its tangent rule, which reduces `t`
over the same axes, weighted by the derivative of each element (at tied extrema, the same
shares `tie_share` gives the gradient).
"""

# ruff: noqa: F821  (`fill` and the runtime helpers are names in generated code, not here)

import numpy as np

from ..registry import adjoint, linear, tangent

# ---------------------------------------------------------------------------------------------
# Reductions.


@linear(np.sum)
def sum(g, x, axis=None, *, keepdims=False):
    if axis is None and not keepdims:
        dx = fill(g, x)
    else:
        dx = unreduce(g, x, axis, keepdims)


@linear(np.mean)
def mean(g, ans, x, axis=None, *, keepdims=False):
    if axis is None and not keepdims:
        dx = fill(g / np.size(x), x)
    else:
        dx = unreduce(g, x, axis, keepdims) * (np.size(ans) / np.size(x))


@adjoint(np.prod)
def prod(g, x, axis=None, *, keepdims=False):
    # zeros: a lone zero gets the product of the others, which get 0; with two or more, all get 0
    dx = prod_dx(g, x, axis, keepdims)


@tangent(np.prod)
def prod_tangent(t, x, axis=None, *, keepdims=False):
    # zeros: a lone zero's tangent counts times the product of the others, the others' not at
    # all; with two or more zeros in a product, no tangent counts
    others = prod_dx(1.0, x, axis, True)
    if axis is None and not keepdims:
        dx = np.sum(t * others)
    else:
        dx = np.sum(t * others, axis=axis, keepdims=keepdims)


@adjoint(np.max, np.amax)
def max(g, ans, x, axis=None, *, keepdims=False):
    # ties: the elements equal to the maximum share the gradient equally
    if axis is None and not keepdims:
        dx = g * tie_share(x, ans)
    else:
        dx = unreduce(g, x, axis, keepdims) * tie_share(x, ans, axis, keepdims)


@tangent(np.max, np.amax)
def max_tangent(t, ans, x, axis=None, *, keepdims=False):
    # ties: the mean of the tangents of the elements equal to the maximum
    if axis is None and not keepdims:
        dx = np.sum(t * tie_share(x, ans))
    else:
        dx = np.sum(t * tie_share(x, ans, axis, keepdims), axis=axis, keepdims=keepdims)


@adjoint(np.min, np.amin)
def min(g, ans, x, axis=None, *, keepdims=False):
    # ties: the elements equal to the minimum share the gradient equally
    if axis is None and not keepdims:
        dx = g * tie_share(x, ans)
    else:
        dx = unreduce(g, x, axis, keepdims) * tie_share(x, ans, axis, keepdims)


@tangent(np.min, np.amin)
def min_tangent(t, ans, x, axis=None, *, keepdims=False):
    # ties: the mean of the tangents of the elements equal to the minimum
    if axis is None and not keepdims:
        dx = np.sum(t * tie_share(x, ans))
    else:
        dx = np.sum(t * tie_share(x, ans, axis, keepdims), axis=axis, keepdims=keepdims)


@adjoint(np.ptp)
def ptp(g, x, axis=None, *, keepdims=False):
    # ties: as in np.max and np.min, tied extremes share the gradient equally (0 where all are equal)
    top = tie_share(x, np.max(x, axis, keepdims=True), axis, True)
    bottom = tie_share(x, np.min(x, axis, keepdims=True), axis, True)
    if axis is None and not keepdims:
        dx = g * (top - bottom)
    else:
        dx = unreduce(g, x, axis, keepdims) * (top - bottom)


@tangent(np.ptp)
def ptp_tangent(t, x, axis=None, *, keepdims=False):
    # ties: as in np.max and np.min, the mean over tied extremes (0 where all are equal)
    top = tie_share(x, np.max(x, axis, keepdims=True), axis, True)
    bottom = tie_share(x, np.min(x, axis, keepdims=True), axis, True)
    if axis is None and not keepdims:
        dx = np.sum(t * (top - bottom))
    else:
        dx = np.sum(t * (top - bottom), axis=axis, keepdims=keepdims)


@adjoint(np.var)
def var(g, ans, x, axis=None, *, ddof=0, keepdims=False):
    if axis is None and not keepdims:
        dx = g * 2 * (x - np.mean(x)) / (np.size(x) - ddof)
    else:
        n = np.size(x) / np.size(ans)
        dx = unreduce(g, x, axis, keepdims) * 2 * (x - np.mean(x, axis, keepdims=True)) / (n - ddof)


@tangent(np.var)
def var_tangent(t, ans, x, axis=None, *, ddof=0, keepdims=False):
    if axis is None and not keepdims:
        dx = np.sum(t * (x - np.mean(x))) * 2 / (np.size(x) - ddof)
    else:
        n = np.size(x) / np.size(ans)
        centred = x - np.mean(x, axis, keepdims=True)
        dx = np.sum(t * centred, axis=axis, keepdims=keepdims) * 2 / (n - ddof)


@adjoint(np.std)
def std(g, ans, x, axis=None, *, ddof=0, keepdims=False):
    # at zero variance (a kink, as abs at 0) the gradient is 0; a spread within rounding of the
    # mean counts as zero (equal values give a computed std of ~1e-17 times their size)
    flat = np.abs(np.mean(x, axis, keepdims=keepdims)) * (8 * np.finfo(np.result_type(ans, 1.0)).eps)
    scale = np.where(ans <= flat, np.inf, (np.size(x) / np.size(ans) - ddof) * ans)
    if axis is None and not keepdims:
        dx = g / scale * (x - np.mean(x))
    else:
        dx = unreduce(g / scale, x, axis, keepdims) * (x - np.mean(x, axis, keepdims=True))


@tangent(np.std)
def std_tangent(t, ans, x, axis=None, *, ddof=0, keepdims=False):
    # at zero variance (a kink, as abs at 0) the tangent is 0; a spread within rounding of the
    # mean counts as zero, as in the adjoint
    flat = np.abs(np.mean(x, axis, keepdims=keepdims)) * (8 * np.finfo(np.result_type(ans, 1.0)).eps)
    scale = np.where(ans <= flat, np.inf, (np.size(x) / np.size(ans) - ddof) * ans)
    if axis is None and not keepdims:
        dx = np.sum(t * (x - np.mean(x))) / scale
    else:
        dx = np.sum(t * (x - np.mean(x, axis, keepdims=True)), axis=axis, keepdims=keepdims) / scale


@adjoint(np.average)
def average(g, ans, x, axis=None, weights=None, *, keepdims=False):
    if weights is None and axis is None and not keepdims:
        dx = fill(g / np.size(x), x)
    elif weights is None:
        dx = unreduce(g, x, axis, keepdims) * (np.size(ans) / np.size(x))
    else:
        dx = average_dx(g, x, axis, weights, keepdims)
        dweights = average_dweights(g, ans, x, axis, weights, keepdims)


@tangent(np.average)
def average_tangent(t, ans, x, axis=None, weights=None, *, keepdims=False):
    if weights is None and axis is None and not keepdims:
        dx = np.mean(t)
    elif weights is None:
        dx = np.mean(t, axis=axis, keepdims=keepdims)
    else:
        dx = np.average(t, axis=axis, weights=weights, keepdims=keepdims)
        dweights = average_weights_jvp(t, ans, x, axis, weights, keepdims)


@adjoint(np.nansum)
def nansum(g, x, axis=None, *, keepdims=False):
    # nan entries get zero gradient
    if axis is None and not keepdims:
        dx = np.where(np.isnan(x), 0, g)
    else:
        dx = np.where(np.isnan(x), 0, unreduce(g, x, axis, keepdims))


@tangent(np.nansum)
def nansum_tangent(t, x, axis=None, *, keepdims=False):
    # nan entries' tangents do not count
    if axis is None and not keepdims:
        dx = np.sum(np.where(np.isnan(x), 0, t))
    else:
        dx = np.sum(np.where(np.isnan(x), 0, t), axis=axis, keepdims=keepdims)


@adjoint(np.nanmean)
def nanmean(g, x, axis=None, *, keepdims=False):
    # nan entries get zero gradient; the others share it equally
    kept = ~np.isnan(x)
    count = np.maximum(np.sum(kept, axis, keepdims=True, dtype=x.dtype), 1)
    if axis is None and not keepdims:
        dx = np.where(kept, g / count, 0)
    else:
        dx = np.where(kept, unreduce(g, x, axis, keepdims) / count, 0)


@tangent(np.nanmean)
def nanmean_tangent(t, x, axis=None, *, keepdims=False):
    # nan entries' tangents do not count; the mean of the others'
    kept = ~np.isnan(x)
    count = np.maximum(np.sum(kept, axis, keepdims=True, dtype=x.dtype), 1)
    if axis is None and not keepdims:
        dx = np.sum(np.where(kept, t / count, 0))
    else:
        dx = np.sum(np.where(kept, t / count, 0), axis=axis, keepdims=keepdims)


@linear(np.cumsum)
def cumsum(g, x, axis=None):
    if axis is None:
        dx = np.reshape(np.flip(np.cumsum(np.flip(g))), np.shape(x))
    else:
        dx = np.reshape(np.flip(np.cumsum(np.flip(g, axis), axis), axis), np.shape(x))


@adjoint(np.cumprod)
def cumprod(g, ans, x, axis=None):
    # zeros: exact; the first zero of a lane gets the products without it, later elements 0
    dx = cumprod_dx(g, ans, x, axis)


@tangent(np.cumprod)
def cumprod_tangent(t, ans, x, axis=None):
    # zeros: exact; after a lane's first zero only that zero's tangent counts, after two none
    dx = cumprod_jvp(t, ans, x, axis)


@linear(np.trace)
def trace(g, x, offset=0, axis1=0, axis2=1):
    dx = trace_dx(g, x, offset, axis1, axis2)
