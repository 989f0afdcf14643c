"""Reductions: sums, means, extrema, products, statistics, cumulative operations."""

# ruff: noqa: F821  (`fill` and the runtime helpers are names in generated code, not here)

import builtins
import operator

import numpy as np

from ...api import stop_gradient
from .. import adjoint, nondifferentiable

# ---------------------------------------------------------------------------------------------
# Reductions.


@adjoint(np.sum)
def sum(g, x, axis=None, keepdims=False):
    if axis is None and not keepdims:
        dx = fill(g, x)
    else:
        dx = unreduce(g, x, axis, keepdims)


@adjoint(np.mean)
def mean(g, ans, x, axis=None, keepdims=False):
    if axis is None and not keepdims:
        dx = fill(g / np.size(x), x)
    else:
        dx = unreduce(g, x, axis, keepdims) * (np.size(ans) / np.size(x))
