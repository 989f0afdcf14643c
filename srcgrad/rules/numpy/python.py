"""Python's own numeric builtins on scalars and arrays: `max(a, b)`, `min(a, b)`."""

# ruff: noqa: F821  (the runtime helpers are names in generated code, not here)

import builtins

import numpy as np

from .. import adjoint


@adjoint(builtins.max)
def max_of_two(g, x, y):
    # at ties (x == y) the whole gradient goes to x; max(iterable) has no rule
    mask = x >= y
    dx = unbroadcast(np.where(mask, g, 0), x)
    dy = unbroadcast(np.where(mask, 0, g), y)


@adjoint(builtins.min)
def min_of_two(g, x, y):
    # at ties (x == y) the whole gradient goes to x; min(iterable) has no rule
    mask = x <= y
    dx = unbroadcast(np.where(mask, g, 0), x)
    dy = unbroadcast(np.where(mask, 0, g), y)
