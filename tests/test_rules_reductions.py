"""The reductions section of the rule table against finite differences (see tests/test_rules.py).

prod, max/min (and amax/amin), ptp, var, std, average, nansum, nanmean, cumsum, cumprod and
trace: each with axis None, an int, a negative int and a tuple, keepdims, axis and keepdims as
variables (the template's general branch), and the method forms. Rows for max, min, ptp and std
draw distinct values, away from the ties and the zero variance where those functions have kinks;
the conventions there are tested exactly below, as are the products with zeros.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from rulespec import *  # noqa: F403  (domains and argument builders, used by the rows)
from rulespec import _array, _axes, define_tests, rows

import srcgrad

row = rows(globals())

# ---------------------------------------------------------------------------------------------
# Argument builders.


def _distinct(draw, shape, dtype):
    """An array of `shape` whose elements are at least 0.15 apart (no ties, no zero variance)."""
    n = int(np.prod(shape, dtype=int))
    order = np.reshape(np.array(draw(st.permutations(range(n))), dtype=np.float64), shape)
    jitter = draw(_array(shape, np.float64, Domain(0.0, 0.1)))
    return ((order - (n - 1) / 2) * 0.25 + jitter).astype(dtype)


def _lanes_kept(mask, axis):
    """`mask` cleared where the first reduced axis is at 0, so each reduction keeps an element."""
    if mask.ndim == 0 or axis == ():
        return np.zeros_like(mask)
    first = 0 if axis is None else (axis[0] if isinstance(axis, tuple) else axis)
    index = [slice(None)] * mask.ndim
    index[first] = 0
    mask = mask.copy()
    mask[tuple(index)] = False
    return mask


def x_and(values="real", lo=0, hi=3, min_side=1, max_side=4, extra=(), axis=None):
    """x with `lo..hi` axes, then the drawn `extra` arguments in order.

    `values`: "real" (in [-2, 2]), "distinct" (at least 0.15 apart), "zeros" (some exactly 0),
    "nans" (some nan, never a whole reduction: `axis` names the row's literal axis, or the drawn
    "axis" extra is used). Extras: "axis" (None, an int or a tuple, maybe negative),
    "int_axis" (an int, maybe negative), "flat_axis" (None or an int), "keepdims", "ddof" (0 or 1).
    """

    def args(dtype):
        @st.composite
        def draw(draw):
            shape = draw(shapes(lo, hi, max_side=max_side, min_side=min_side), label="shape")
            if values == "distinct":
                x = _distinct(draw, shape, dtype)
            else:
                x = draw(_array(shape, dtype, REAL))
            out = []
            for kind in extra:
                if kind == "axis":
                    out.append(_axes(draw, x.ndim))
                elif kind == "int_axis":
                    out.append(draw(st.sampled_from([a for i in range(x.ndim) for a in (i, i - x.ndim)])))
                elif kind == "flat_axis":
                    out.append(draw(st.sampled_from([None, *range(-x.ndim, x.ndim)])))
                elif kind == "keepdims":
                    out.append(draw(st.booleans()))
                elif kind == "ddof":
                    out.append(draw(st.sampled_from([0, 1])))
            if values == "zeros":
                x = np.where(draw(hnp.arrays(np.bool_, shape), label="zeros"), 0, x).astype(dtype)
            if values == "nans":
                lanes = out[extra.index("axis")] if "axis" in extra else axis
                mask = _lanes_kept(draw(hnp.arrays(np.bool_, shape), label="nans"), lanes)
                x = np.where(mask, np.nan, x).astype(dtype)
            return (x, *out)

        return draw()

    return args


def average_args(kind, lo=0):
    """x (`lo..3` axes) and positive weights for np.average: "same" (x's shape), "last" (1-D,
    along axis -1), "tuple" (along axes (-1, 0), in that order), "drawn" (a drawn int axis, then
    1-D weights)."""

    def args(dtype):
        @st.composite
        def draw(draw):
            least = {"same": lo, "last": 1, "tuple": 2, "drawn": 1}[kind]
            x = draw(_array(shapes(least, 3), dtype, REAL))
            if kind == "same":
                return x, draw(_array(x.shape, dtype, POSITIVE))
            if kind == "last":
                return x, draw(_array(x.shape[-1:], dtype, POSITIVE))
            if kind == "tuple":
                return x, draw(_array((x.shape[-1], x.shape[0]), dtype, POSITIVE))
            axis = draw(st.sampled_from([a for i in range(x.ndim) for a in (i, i - x.ndim)]))
            return x, axis, draw(_array((x.shape[axis],), dtype, POSITIVE))

        return draw()

    return args


def trace_args(dtype):
    """x with 2 or 3 axes, an offset, and two different axes (maybe negative)."""

    @st.composite
    def draw(draw):
        x = draw(_array(shapes(2, 3), dtype, REAL))
        a1, a2 = draw(st.permutations(range(x.ndim)))[:2]
        flip = lambda a: draw(st.sampled_from([a, a - x.ndim]))
        return x, draw(st.integers(-2, 2)), flip(a1), flip(a2)

    return draw()


# ---------------------------------------------------------------------------------------------
# The functions under test: `<name>_s` is `np.sum(op(...))`, `<name>_w` is `np.sum(w * op(...))`.


def prod_all_s(x):
    return np.sum(np.prod(x))


def prod_all_w(x, w):
    return np.sum(w * np.prod(x))


def prod_axis0_s(x):
    return np.sum(np.prod(x, axis=0))


def prod_axis0_w(x, w):
    return np.sum(w * np.prod(x, axis=0))


def prod_axis_neg_keepdims_s(x):
    return np.sum(np.prod(x, axis=-1, keepdims=True))


def prod_axis_neg_keepdims_w(x, w):
    return np.sum(w * np.prod(x, axis=-1, keepdims=True))


def prod_axis_tuple_s(x):
    return np.sum(np.prod(x, axis=(0, -1)))


def prod_axis_tuple_w(x, w):
    return np.sum(w * np.prod(x, axis=(0, -1)))


def prod_var_s(x, axis, keepdims):
    return np.sum(np.prod(x, axis=axis, keepdims=keepdims))


def prod_var_w(x, axis, keepdims, w):
    return np.sum(w * np.prod(x, axis=axis, keepdims=keepdims))


def prod_method_s(x):
    return np.sum(x.prod())


def prod_method_w(x, w):
    return np.sum(w * x.prod())


def prod_method_axis_s(x):
    return np.sum(x.prod(axis=1))


def prod_method_axis_w(x, w):
    return np.sum(w * x.prod(axis=1))


def max_all_s(x):
    return np.sum(np.max(x))


def max_all_w(x, w):
    return np.sum(w * np.max(x))


def max_axis0_s(x):
    return np.sum(np.max(x, axis=0))


def max_axis0_w(x, w):
    return np.sum(w * np.max(x, axis=0))


def max_axis_neg_keepdims_s(x):
    return np.sum(np.max(x, axis=-1, keepdims=True))


def max_axis_neg_keepdims_w(x, w):
    return np.sum(w * np.max(x, axis=-1, keepdims=True))


def max_axis_tuple_s(x):
    return np.sum(np.max(x, axis=(0, -1)))


def max_axis_tuple_w(x, w):
    return np.sum(w * np.max(x, axis=(0, -1)))


def max_all_keepdims_s(x):
    return np.sum(np.max(x, keepdims=True))


def max_all_keepdims_w(x, w):
    return np.sum(w * np.max(x, keepdims=True))


def max_positional_s(x):
    return np.sum(np.max(x, 0))


def max_positional_w(x, w):
    return np.sum(w * np.max(x, 0))


def max_var_s(x, axis, keepdims):
    return np.sum(np.max(x, axis=axis, keepdims=keepdims))


def max_var_w(x, axis, keepdims, w):
    return np.sum(w * np.max(x, axis=axis, keepdims=keepdims))


def max_method_s(x):
    return np.sum(x.max())


def max_method_w(x, w):
    return np.sum(w * x.max())


def max_method_axis_s(x):
    return np.sum(x.max(axis=0))


def max_method_axis_w(x, w):
    return np.sum(w * x.max(axis=0))


def amax_axis_neg_s(x):
    return np.sum(np.amax(x, axis=-1))


def amax_axis_neg_w(x, w):
    return np.sum(w * np.amax(x, axis=-1))


def min_all_s(x):
    return np.sum(np.min(x))


def min_all_w(x, w):
    return np.sum(w * np.min(x))


def min_axis_neg_s(x):
    return np.sum(np.min(x, axis=-1))


def min_axis_neg_w(x, w):
    return np.sum(w * np.min(x, axis=-1))


def min_axis_tuple_keepdims_s(x):
    return np.sum(np.min(x, axis=(-2, -1), keepdims=True))


def min_axis_tuple_keepdims_w(x, w):
    return np.sum(w * np.min(x, axis=(-2, -1), keepdims=True))


def min_var_s(x, axis, keepdims):
    return np.sum(np.min(x, axis=axis, keepdims=keepdims))


def min_var_w(x, axis, keepdims, w):
    return np.sum(w * np.min(x, axis=axis, keepdims=keepdims))


def min_method_s(x):
    return np.sum(x.min())


def min_method_w(x, w):
    return np.sum(w * x.min())


def min_method_axis_s(x):
    return np.sum(x.min(axis=-1, keepdims=True))


def min_method_axis_w(x, w):
    return np.sum(w * x.min(axis=-1, keepdims=True))


def amin_all_s(x):
    return np.sum(np.amin(x))


def amin_all_w(x, w):
    return np.sum(w * np.amin(x))


def ptp_all_s(x):
    return np.sum(np.ptp(x))


def ptp_all_w(x, w):
    return np.sum(w * np.ptp(x))


def ptp_axis0_s(x):
    return np.sum(np.ptp(x, axis=0))


def ptp_axis0_w(x, w):
    return np.sum(w * np.ptp(x, axis=0))


def ptp_var_s(x, axis, keepdims):
    return np.sum(np.ptp(x, axis=axis, keepdims=keepdims))


def ptp_var_w(x, axis, keepdims, w):
    return np.sum(w * np.ptp(x, axis=axis, keepdims=keepdims))


def var_all_s(x):
    return np.sum(np.var(x))


def var_all_w(x, w):
    return np.sum(w * np.var(x))


def var_axis0_s(x):
    return np.sum(np.var(x, axis=0))


def var_axis0_w(x, w):
    return np.sum(w * np.var(x, axis=0))


def var_ddof_axis_neg_s(x):
    return np.sum(np.var(x, axis=-1, ddof=1))


def var_ddof_axis_neg_w(x, w):
    return np.sum(w * np.var(x, axis=-1, ddof=1))


def var_ddof_all_s(x):
    return np.sum(np.var(x, ddof=1))


def var_ddof_all_w(x, w):
    return np.sum(w * np.var(x, ddof=1))


def var_keepdims_s(x):
    return np.sum(np.var(x, axis=(0, -1), keepdims=True))


def var_keepdims_w(x, w):
    return np.sum(w * np.var(x, axis=(0, -1), keepdims=True))


def var_var_s(x, axis, keepdims):
    return np.sum(np.var(x, axis=axis, keepdims=keepdims))


def var_var_w(x, axis, keepdims, w):
    return np.sum(w * np.var(x, axis=axis, keepdims=keepdims))


def var_ddof_var_s(x, axis, ddof):
    return np.sum(np.var(x, axis=axis, ddof=ddof))


def var_ddof_var_w(x, axis, ddof, w):
    return np.sum(w * np.var(x, axis=axis, ddof=ddof))


def var_method_s(x):
    return np.sum(x.var())


def var_method_w(x, w):
    return np.sum(w * x.var())


def var_method_axis_s(x):
    return np.sum(x.var(axis=0, ddof=1))


def var_method_axis_w(x, w):
    return np.sum(w * x.var(axis=0, ddof=1))


def std_all_s(x):
    return np.sum(np.std(x))


def std_all_w(x, w):
    return np.sum(w * np.std(x))


def std_axis0_s(x):
    return np.sum(np.std(x, axis=0))


def std_axis0_w(x, w):
    return np.sum(w * np.std(x, axis=0))


def std_ddof_axis_neg_s(x):
    return np.sum(np.std(x, axis=-1, ddof=1))


def std_ddof_axis_neg_w(x, w):
    return np.sum(w * np.std(x, axis=-1, ddof=1))


def std_keepdims_s(x):
    return np.sum(np.std(x, axis=1, keepdims=True))


def std_keepdims_w(x, w):
    return np.sum(w * np.std(x, axis=1, keepdims=True))


def std_var_s(x, axis, keepdims):
    return np.sum(np.std(x, axis=axis, keepdims=keepdims))


def std_var_w(x, axis, keepdims, w):
    return np.sum(w * np.std(x, axis=axis, keepdims=keepdims))


def std_method_s(x):
    return np.sum(x.std())


def std_method_w(x, w):
    return np.sum(w * x.std())


def std_method_axis_s(x):
    return np.sum(x.std(axis=-1, ddof=1, keepdims=True))


def std_method_axis_w(x, w):
    return np.sum(w * x.std(axis=-1, ddof=1, keepdims=True))


def average_all_s(x):
    return np.sum(np.average(x))


def average_all_w(x, w):
    return np.sum(w * np.average(x))


def average_axis_neg_s(x):
    return np.sum(np.average(x, axis=-1))


def average_axis_neg_w(x, w):
    return np.sum(w * np.average(x, axis=-1))


def average_var_s(x, axis, keepdims):
    return np.sum(np.average(x, axis=axis, keepdims=keepdims))


def average_var_w(x, axis, keepdims, w):
    return np.sum(w * np.average(x, axis=axis, keepdims=keepdims))


def average_weights_s(x, weights):
    return np.sum(np.average(x, weights=weights))


def average_weights_w(x, weights, w):
    return np.sum(w * np.average(x, weights=weights))


def average_weights_axis_s(x, weights):
    return np.sum(np.average(x, axis=-1, weights=weights))


def average_weights_axis_w(x, weights, w):
    return np.sum(w * np.average(x, axis=-1, weights=weights))


def average_weights_tuple_s(x, weights):
    return np.sum(np.average(x, axis=(-1, 0), weights=weights))


def average_weights_tuple_w(x, weights, w):
    return np.sum(w * np.average(x, axis=(-1, 0), weights=weights))


def average_weights_keepdims_s(x, weights):
    return np.sum(np.average(x, axis=0, weights=weights, keepdims=True))


def average_weights_keepdims_w(x, weights, w):
    return np.sum(w * np.average(x, axis=0, weights=weights, keepdims=True))


def average_weights_var_s(x, axis, weights):
    return np.sum(np.average(x, axis, weights))


def average_weights_var_w(x, axis, weights, w):
    return np.sum(w * np.average(x, axis, weights))


def nansum_all_s(x):
    return np.sum(np.nansum(x))


def nansum_all_w(x, w):
    return np.sum(w * np.nansum(x))


def nansum_axis0_s(x):
    return np.sum(np.nansum(x, axis=0))


def nansum_axis0_w(x, w):
    return np.sum(w * np.nansum(x, axis=0))


def nansum_keepdims_s(x):
    return np.sum(np.nansum(x, axis=-1, keepdims=True))


def nansum_keepdims_w(x, w):
    return np.sum(w * np.nansum(x, axis=-1, keepdims=True))


def nansum_var_s(x, axis, keepdims):
    return np.sum(np.nansum(x, axis=axis, keepdims=keepdims))


def nansum_var_w(x, axis, keepdims, w):
    return np.sum(w * np.nansum(x, axis=axis, keepdims=keepdims))


def nanmean_all_s(x):
    return np.sum(np.nanmean(x))


def nanmean_all_w(x, w):
    return np.sum(w * np.nanmean(x))


def nanmean_axis_neg_s(x):
    return np.sum(np.nanmean(x, axis=-1))


def nanmean_axis_neg_w(x, w):
    return np.sum(w * np.nanmean(x, axis=-1))


def nanmean_keepdims_s(x):
    return np.sum(np.nanmean(x, axis=0, keepdims=True))


def nanmean_keepdims_w(x, w):
    return np.sum(w * np.nanmean(x, axis=0, keepdims=True))


def nanmean_var_s(x, axis, keepdims):
    return np.sum(np.nanmean(x, axis=axis, keepdims=keepdims))


def nanmean_var_w(x, axis, keepdims, w):
    return np.sum(w * np.nanmean(x, axis=axis, keepdims=keepdims))


def cumsum_flat_s(x):
    return np.sum(np.cumsum(x))


def cumsum_flat_w(x, w):
    return np.sum(w * np.cumsum(x))


def cumsum_axis0_s(x):
    return np.sum(np.cumsum(x, axis=0))


def cumsum_axis0_w(x, w):
    return np.sum(w * np.cumsum(x, axis=0))


def cumsum_axis_neg_s(x):
    return np.sum(np.cumsum(x, axis=-1))


def cumsum_axis_neg_w(x, w):
    return np.sum(w * np.cumsum(x, axis=-1))


def cumsum_var_s(x, axis):
    return np.sum(np.cumsum(x, axis))


def cumsum_var_w(x, axis, w):
    return np.sum(w * np.cumsum(x, axis))


def cumsum_method_s(x):
    return np.sum(x.cumsum())


def cumsum_method_w(x, w):
    return np.sum(w * x.cumsum())


def cumsum_method_axis_s(x):
    return np.sum(x.cumsum(axis=1))


def cumsum_method_axis_w(x, w):
    return np.sum(w * x.cumsum(axis=1))


def cumprod_flat_s(x):
    return np.sum(np.cumprod(x))


def cumprod_flat_w(x, w):
    return np.sum(w * np.cumprod(x))


def cumprod_axis_neg_s(x):
    return np.sum(np.cumprod(x, axis=-1))


def cumprod_axis_neg_w(x, w):
    return np.sum(w * np.cumprod(x, axis=-1))


def cumprod_var_s(x, axis):
    return np.sum(np.cumprod(x, axis))


def cumprod_var_w(x, axis, w):
    return np.sum(w * np.cumprod(x, axis))


def cumprod_method_axis_s(x):
    return np.sum(x.cumprod(axis=0))


def cumprod_method_axis_w(x, w):
    return np.sum(w * x.cumprod(axis=0))


def trace_2d_s(x):
    return np.sum(np.trace(x))


def trace_2d_w(x, w):
    return np.sum(w * np.trace(x))


def trace_offset_s(x):
    return np.sum(np.trace(x, 1))


def trace_offset_w(x, w):
    return np.sum(w * np.trace(x, 1))


def trace_offset_neg_s(x):
    return np.sum(np.trace(x, offset=-1))


def trace_offset_neg_w(x, w):
    return np.sum(w * np.trace(x, offset=-1))


def trace_axes_s(x):
    return np.sum(np.trace(x, 0, -1, 0))


def trace_axes_w(x, w):
    return np.sum(w * np.trace(x, 0, -1, 0))


def trace_var_s(x, offset, axis1, axis2):
    return np.sum(np.trace(x, offset, axis1, axis2))


def trace_var_w(x, offset, axis1, axis2, w):
    return np.sum(w * np.trace(x, offset, axis1, axis2))


def trace_method_s(x):
    return np.sum(x.trace())


def trace_method_w(x, w):
    return np.sum(w * x.trace())


# ---------------------------------------------------------------------------------------------
# The table.

XW = ("x", "weights")
DISTINCT = x_and("distinct")
DISTINCT_AXIS = x_and("distinct", extra=("axis", "keepdims"))
SMALL = x_and(max_side=3)  # products of up to 27 numbers
SMALL_ZEROS = x_and("zeros", max_side=3)

# fmt: off
SPECS = [
    # prod, with and without zeros
    row("prod", "prod", "prod_all", np.prod, args=SMALL),
    row("prod-zeros", "prod", "prod_all", np.prod, args=SMALL_ZEROS),
    row("prod-axis=0", "prod", "prod_axis0", lambda x: np.prod(x, axis=0), args=x_and(lo=1)),
    row("prod-axis=0-zeros", "prod", "prod_axis0", lambda x: np.prod(x, axis=0), args=x_and("zeros", lo=1)),
    row("prod-axis=-1-keepdims", "prod", "prod_axis_neg_keepdims",
        lambda x: np.prod(x, axis=-1, keepdims=True), args=x_and("zeros", lo=1)),
    row("prod-axis=(0,-1)", "prod", "prod_axis_tuple", lambda x: np.prod(x, axis=(0, -1)), args=x_and(lo=2)),
    row("prod-axis-drawn-zeros", "prod", "prod_var",
        lambda x, axis, keepdims: np.prod(x, axis, keepdims=keepdims),
        args=x_and("zeros", max_side=3, extra=("axis", "keepdims"))),
    row("x.prod()", "prod", "prod_method", np.prod, args=SMALL),
    row("x.prod(axis=1)", "prod", "prod_method_axis", lambda x: x.prod(axis=1), args=x_and("zeros", lo=2)),
    # max, min, amax, amin: distinct values (the tie convention is tested below)
    row("max", "max", "max_all", np.max, args=DISTINCT),
    row("max-axis=0", "max", "max_axis0", lambda x: np.max(x, axis=0), args=x_and("distinct", lo=1)),
    row("max-axis=-1-keepdims", "max", "max_axis_neg_keepdims",
        lambda x: np.max(x, axis=-1, keepdims=True), args=x_and("distinct", lo=1)),
    row("max-axis=(0,-1)", "max", "max_axis_tuple", lambda x: np.max(x, axis=(0, -1)),
        args=x_and("distinct", lo=2)),
    row("max-keepdims", "max", "max_all_keepdims", lambda x: np.max(x, keepdims=True), args=DISTINCT),
    row("max(x,0)", "max", "max_positional", lambda x: np.max(x, 0), args=x_and("distinct", lo=1)),
    row("max-axis-drawn", "max", "max_var", lambda x, axis, keepdims: np.max(x, axis, keepdims=keepdims),
        args=DISTINCT_AXIS),
    row("x.max()", "max", "max_method", np.max, args=DISTINCT),
    row("x.max(axis=0)", "max", "max_method_axis", lambda x: x.max(axis=0), args=x_and("distinct", lo=1)),
    row("amax-axis=-1", "max", "amax_axis_neg", lambda x: np.amax(x, axis=-1), args=x_and("distinct", lo=1)),
    row("min", "min", "min_all", np.min, args=DISTINCT),
    row("min-axis=-1", "min", "min_axis_neg", lambda x: np.min(x, axis=-1), args=x_and("distinct", lo=1)),
    row("min-axis=(-2,-1)-keepdims", "min", "min_axis_tuple_keepdims",
        lambda x: np.min(x, axis=(-2, -1), keepdims=True), args=x_and("distinct", lo=2)),
    row("min-axis-drawn", "min", "min_var", lambda x, axis, keepdims: np.min(x, axis, keepdims=keepdims),
        args=DISTINCT_AXIS),
    row("x.min()", "min", "min_method", np.min, args=DISTINCT),
    row("x.min(axis=-1,keepdims)", "min", "min_method_axis",
        lambda x: x.min(axis=-1, keepdims=True), args=x_and("distinct", lo=1)),
    row("amin", "min", "amin_all", np.amin, args=DISTINCT),
    # ptp
    row("ptp", "ptp", "ptp_all", np.ptp, args=DISTINCT),
    row("ptp-axis=0", "ptp", "ptp_axis0", lambda x: np.ptp(x, axis=0), args=x_and("distinct", lo=1)),
    row("ptp-axis-drawn", "ptp", "ptp_var", lambda x, axis, keepdims: np.ptp(x, axis, keepdims=keepdims),
        args=DISTINCT_AXIS),
    # var and std (std on distinct values: zero variance is a kink, tested below)
    row("var", "var", "var_all", np.var),
    row("var-axis=0", "var", "var_axis0", lambda x: np.var(x, axis=0), args=x_and(lo=1)),
    row("var-axis=-1-ddof=1", "var", "var_ddof_axis_neg", lambda x: np.var(x, axis=-1, ddof=1),
        args=x_and(lo=1, min_side=2)),
    row("var-ddof=1", "var", "var_ddof_all", lambda x: np.var(x, ddof=1), args=x_and(lo=1, min_side=2)),
    row("var-axis=(0,-1)-keepdims", "var", "var_keepdims",
        lambda x: np.var(x, axis=(0, -1), keepdims=True), args=x_and(lo=2)),
    row("var-axis-drawn", "var", "var_var", lambda x, axis, keepdims: np.var(x, axis, keepdims=keepdims),
        args=x_and(extra=("axis", "keepdims"))),
    row("var-ddof-drawn", "var", "var_ddof_var", lambda x, axis, ddof: np.var(x, axis, ddof=ddof),
        args=x_and(lo=1, min_side=2, extra=("int_axis", "ddof"))),
    row("x.var()", "var", "var_method", np.var),
    row("x.var(axis=0,ddof=1)", "var", "var_method_axis", lambda x: x.var(axis=0, ddof=1),
        args=x_and(lo=1, min_side=2)),
    row("std", "std", "std_all", np.std, args=x_and("distinct", lo=1, min_side=2)),
    row("std-axis=0", "std", "std_axis0", lambda x: np.std(x, axis=0),
        args=x_and("distinct", lo=1, min_side=2)),
    row("std-axis=-1-ddof=1", "std", "std_ddof_axis_neg", lambda x: np.std(x, axis=-1, ddof=1),
        args=x_and("distinct", lo=1, min_side=2)),
    row("std-axis=1-keepdims", "std", "std_keepdims", lambda x: np.std(x, axis=1, keepdims=True),
        args=x_and("distinct", lo=2, min_side=2)),
    row("std-axis-drawn", "std", "std_var", lambda x, axis, keepdims: np.std(x, axis, keepdims=keepdims),
        args=x_and("distinct", min_side=2, extra=("axis", "keepdims"))),
    row("x.std()", "std", "std_method", np.std, args=x_and("distinct", lo=1, min_side=2)),
    row("x.std(axis=-1,ddof=1,keepdims)", "std", "std_method_axis",
        lambda x: x.std(axis=-1, ddof=1, keepdims=True), args=x_and("distinct", lo=1, min_side=2)),
    # average, without and with weights (differentiated too)
    row("average", "average", "average_all", np.average),
    row("average-axis=-1", "average", "average_axis_neg", lambda x: np.average(x, axis=-1), args=x_and(lo=1)),
    row("average-axis-drawn", "average", "average_var",
        lambda x, axis, keepdims: np.average(x, axis, keepdims=keepdims),
        args=x_and(extra=("axis", "keepdims"))),
    row("average-weights", "average", "average_weights", lambda x, weights: np.average(x, weights=weights),
        XW, average_args("same")),
    row("average-axis=-1-weights", "average", "average_weights_axis",
        lambda x, weights: np.average(x, axis=-1, weights=weights), XW, average_args("last")),
    row("average-axis=(-1,0)-weights", "average", "average_weights_tuple",
        lambda x, weights: np.average(x, axis=(-1, 0), weights=weights), XW, average_args("tuple")),
    row("average-axis=0-weights-keepdims", "average", "average_weights_keepdims",
        lambda x, weights: np.average(x, axis=0, weights=weights, keepdims=True),
        XW, average_args("same", 1)),
    row("average-axis-drawn-weights", "average", "average_weights_var", np.average,
        XW, average_args("drawn")),
    # nansum and nanmean: some entries nan
    row("nansum", "nansum", "nansum_all", np.nansum, args=x_and("nans")),
    row("nansum-axis=0", "nansum", "nansum_axis0", lambda x: np.nansum(x, axis=0),
        args=x_and("nans", lo=1, axis=0)),
    row("nansum-axis=-1-keepdims", "nansum", "nansum_keepdims",
        lambda x: np.nansum(x, axis=-1, keepdims=True), args=x_and("nans", lo=1, axis=-1)),
    row("nansum-axis-drawn", "nansum", "nansum_var",
        lambda x, axis, keepdims: np.nansum(x, axis, keepdims=keepdims),
        args=x_and("nans", extra=("axis", "keepdims"))),
    row("nanmean", "nanmean", "nanmean_all", np.nanmean, args=x_and("nans")),
    row("nanmean-axis=-1", "nanmean", "nanmean_axis_neg", lambda x: np.nanmean(x, axis=-1),
        args=x_and("nans", lo=1, axis=-1)),
    row("nanmean-axis=0-keepdims", "nanmean", "nanmean_keepdims",
        lambda x: np.nanmean(x, axis=0, keepdims=True), args=x_and("nans", lo=1, axis=0)),
    row("nanmean-axis-drawn", "nanmean", "nanmean_var",
        lambda x, axis, keepdims: np.nanmean(x, axis, keepdims=keepdims),
        args=x_and("nans", extra=("axis", "keepdims"))),
    # cumsum and cumprod (cumprod also with zeros)
    row("cumsum", "cumsum", "cumsum_flat", np.cumsum),
    row("cumsum-axis=0", "cumsum", "cumsum_axis0", lambda x: np.cumsum(x, axis=0), args=x_and(lo=1)),
    row("cumsum-axis=-1", "cumsum", "cumsum_axis_neg", lambda x: np.cumsum(x, axis=-1), args=x_and(lo=1)),
    row("cumsum-axis-drawn", "cumsum", "cumsum_var", np.cumsum, args=x_and(extra=("flat_axis",))),
    row("x.cumsum()", "cumsum", "cumsum_method", np.cumsum),
    row("x.cumsum(axis=1)", "cumsum", "cumsum_method_axis", lambda x: x.cumsum(axis=1), args=x_and(lo=2)),
    row("cumprod", "cumprod", "cumprod_flat", np.cumprod, args=SMALL),
    row("cumprod-zeros", "cumprod", "cumprod_flat", np.cumprod, args=SMALL_ZEROS),
    row("cumprod-axis=-1-zeros", "cumprod", "cumprod_axis_neg", lambda x: np.cumprod(x, axis=-1),
        args=x_and("zeros", lo=1)),
    row("cumprod-axis-drawn-zeros", "cumprod", "cumprod_var", np.cumprod,
        args=x_and("zeros", max_side=3, extra=("flat_axis",))),
    row("x.cumprod(axis=0)", "cumprod", "cumprod_method_axis", lambda x: x.cumprod(axis=0), args=x_and(lo=1)),
    # trace
    row("trace", "trace", "trace_2d", np.trace, args=x_and(lo=2)),
    row("trace-offset=1", "trace", "trace_offset", lambda x: np.trace(x, 1), args=x_and(lo=2)),
    row("trace-offset=-1", "trace", "trace_offset_neg", lambda x: np.trace(x, offset=-1), args=x_and(lo=2)),
    row("trace-axes=(-1,0)", "trace", "trace_axes", lambda x: np.trace(x, 0, -1, 0), args=x_and(lo=3)),
    row("trace-drawn", "trace", "trace_var", np.trace, args=trace_args),
    row("x.trace()", "trace", "trace_method", np.trace, args=x_and(lo=2)),
]
# fmt: on

define_tests(SPECS, globals())


# ---------------------------------------------------------------------------------------------
# Conventions at ties, zeros, zero variance and nans, exactly.


def grad_of(f, *args):
    return srcgrad.grad(f, with_value=False)(*args)


def test_amax_amin_are_registered_as_well():
    assert np.amax is not np.max and np.amin is not np.min  # distinct objects in NumPy 2
    for key in (np.max, np.amax, np.min, np.amin):
        assert srcgrad.rules.lookup(key) is not None


def test_max_ties_share_the_gradient_equally():
    x = np.array([[3.0, 1.0, 3.0], [2.0, 2.0, 2.0]])
    np.testing.assert_array_equal(grad_of(max_all_s, x), [[0.5, 0, 0.5], [0, 0, 0]])
    np.testing.assert_allclose(grad_of(max_axis_neg_keepdims_s, x), [[0.5, 0, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_array_equal(grad_of(max_method_axis_s, x), [[1, 0, 1], [0, 1, 0]])
    np.testing.assert_allclose(grad_of(amax_axis_neg_s, x.astype(np.float32)), [[0.5, 0, 0.5], [1 / 3] * 3])


def test_min_ties_share_the_gradient_equally():
    x = np.array([[1.0, 3.0, 1.0, 1.0], [0.0, 2.0, 2.0, 5.0]])
    np.testing.assert_allclose(grad_of(min_all_s, x), [[0, 0, 0, 0], [1, 0, 0, 0]])
    np.testing.assert_allclose(grad_of(min_axis_neg_s, x), [[1 / 3, 0, 1 / 3, 1 / 3], [1, 0, 0, 0]])
    w = np.array([2.0, 6.0])
    np.testing.assert_allclose(grad_of(min_var_w, x, 1, False, w), [[2 / 3, 0, 2 / 3, 2 / 3], [6, 0, 0, 0]])


def test_ptp_ties_and_constant_lanes():
    x = np.array([[4.0, 1.0, 4.0], [2.0, 2.0, 2.0]])
    np.testing.assert_allclose(grad_of(ptp_var_s, x, 1, False), [[0.5, -1, 0.5], [0, 0, 0]])


def test_prod_with_one_zero_and_with_several():
    one = np.array([2.0, 0.0, 3.0, 4.0])
    np.testing.assert_array_equal(grad_of(prod_all_s, one), [0, 24, 0, 0])
    two = np.array([2.0, 0.0, 3.0, 0.0])
    np.testing.assert_array_equal(grad_of(prod_all_s, two), [0, 0, 0, 0])
    x = np.array([[2.0, 0.0, 3.0], [0.0, 5.0, 0.0], [1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(grad_of(prod_method_axis_s, x), [[0, 6, 0], [0, 0, 0], [6, 3, 2]])
    np.testing.assert_array_equal(grad_of(prod_axis0_s, x), [[0, 10, 0], [2, 0, 9], [0, 0, 0]])


def test_cumprod_with_zeros_is_exact():
    x = np.array([2.0, 0.0, 3.0, 0.0, 5.0])
    # y = [2, 0, 0, 0, 0]; dy_i/dx_0 = [1, 0, ...]; dy/dx_1 = [0, 2, 6, 0, 0]; later elements: 0
    np.testing.assert_array_equal(grad_of(cumprod_flat_s, x), [1, 8, 0, 0, 0])
    np.testing.assert_array_equal(grad_of(cumprod_axis_neg_s, np.array([[0.0, 2.0, 3.0]])), [[9, 0, 0]])


def test_std_at_zero_variance_is_zero():
    x = np.full((2, 3), 1.5)
    np.testing.assert_array_equal(grad_of(std_all_s, x), np.zeros((2, 3)))
    np.testing.assert_array_equal(grad_of(std_axis0_s, x), np.zeros((2, 3)))
    y = np.array([[1.0, 1.0], [1.0, 3.0]])  # one lane constant, one not
    np.testing.assert_allclose(grad_of(std_var_s, y, -1, True), [[0, 0], [-0.5, 0.5]])
    with np.errstate(all="raise"):  # and without a division by zero on the way
        grad_of(std_method_axis_s, x)


def std_of_shifted_zeros(w):
    return np.sum(np.std(np.zeros((3, 2)) + w, axis=0)) + np.std(np.zeros(5) + w[0])


def test_std_of_values_equal_up_to_rounding_is_at_its_kink():
    # found by the fuzzer: np.zeros(3) + w has a computed std of ~1e-17 rather than 0, which
    # missed the exact test for zero and gave a gradient of order 1 instead of 0
    for w in (np.array([0.7, -0.3]), np.array([0.7, -0.3], dtype=np.float32)):
        _, dw = srcgrad.grad(std_of_shifted_zeros)(w)
        np.testing.assert_array_equal(dw, [0.0, 0.0])


def test_nan_entries_get_zero_gradient():
    x = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, 2.0]])
    np.testing.assert_array_equal(grad_of(nansum_all_s, x), [[1, 0, 1], [0, 0, 1]])
    np.testing.assert_allclose(grad_of(nanmean_axis_neg_s, x), [[0.5, 0, 0.5], [0, 0, 1]])
    np.testing.assert_allclose(grad_of(nanmean_all_s, x), [[1 / 3, 0, 1 / 3], [0, 0, 1 / 3]])


def test_unsupported_arguments_are_refused_clearly():
    def prod_dtype(x):
        return np.prod(x, 0, np.float64)

    with pytest.raises(srcgrad.SrcgradError, match="does not take these arguments"):
        srcgrad.grad(prod_dtype)(np.ones(3))
