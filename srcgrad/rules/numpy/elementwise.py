"""Elementwise rules: what carries no gradient, unary functions, broadcasting binary ones."""

# ruff: noqa: F821  (`fill` and the runtime helpers are names in generated code, not here)

import builtins
import operator

import numpy as np

from ...api import stop_gradient
from .. import adjoint, nondifferentiable

# ---------------------------------------------------------------------------------------------
# Non-differentiable: their results carry no gradient.

nondifferentiable(
    "compare",  # x < y, x == y, ...
    "shape",
    "ndim",
    "size",
    "dtype",
    operator.not_,
    np.sign,
    np.floor,
    np.ceil,
    np.round,
    np.rint,
    np.trunc,
    np.shape,
    np.ndim,
    np.size,
    np.zeros,
    np.ones,
    np.zeros_like,
    np.ones_like,
    np.empty_like,
    np.arange,
    np.linspace,
    np.eye,
    np.argmax,
    np.argmin,
    np.greater,
    np.greater_equal,
    np.less,
    np.less_equal,
    np.equal,
    np.not_equal,
    np.isfinite,
    np.isnan,
    np.isinf,
    np.logical_and,
    np.logical_or,
    np.logical_not,
    builtins.len,
    stop_gradient,
)

# ---------------------------------------------------------------------------------------------
# Unary elementwise.


@adjoint(operator.neg, np.negative)
def negative(g, x):
    dx = -g


@adjoint(operator.pos, np.positive)
def positive(g, x):
    dx = g


@adjoint(np.exp)
def exp(g, ans, x):
    dx = g * ans


@adjoint(np.log)
def log(g, x):
    dx = g / x


@adjoint(np.tanh)
def tanh(g, ans, x):
    dx = g * (1 - ans**2)


@adjoint(np.sin)
def sin(g, x):
    dx = g * np.cos(x)


@adjoint(np.cos)
def cos(g, x):
    dx = -g * np.sin(x)


@adjoint(np.sqrt)
def sqrt(g, ans, x):
    # at 0 the slope is infinite: the gradient is inf (nan where g is 0)
    dx = g / (2 * ans)


@adjoint(np.square)
def square(g, x):
    dx = g * 2 * x


@adjoint(np.abs, builtins.abs)
def absolute(g, x):
    # at 0 the gradient is 0 (the subgradient np.sign picks)
    dx = g * np.sign(x)


# ---------------------------------------------------------------------------------------------
# Binary, broadcasting.


@adjoint(operator.add, np.add)
def add(g, x, y):
    dx = unbroadcast(g, x)
    dy = unbroadcast(g, y)


@adjoint(operator.sub, np.subtract)
def subtract(g, x, y):
    dx = unbroadcast(g, x)
    dy = -unbroadcast(g, y)


@adjoint(operator.mul, np.multiply)
def multiply(g, x, y):
    dx = unbroadcast(g * y, x)
    dy = unbroadcast(g * x, y)


@adjoint(operator.truediv, np.divide)
def divide(g, ans, x, y):
    dx = unbroadcast(g / y, x)
    dy = -unbroadcast(g * ans / y, y)


@adjoint(operator.pow, np.power)
def power(g, ans, x, y):
    # d/dy is ans * log(x): nan for x < 0 and x == 0; take care when the exponent is a variable
    dx = unbroadcast(g * y * x ** (y - 1), x)
    dy = unbroadcast(g * ans * np.log(x), y)


@adjoint(np.maximum)
def maximum(g, x, y):
    # at ties (x == y) the whole gradient goes to x
    mask = x >= y
    dx = unbroadcast(np.where(mask, g, 0), x)
    dy = unbroadcast(np.where(mask, 0, g), y)


@adjoint(np.minimum)
def minimum(g, x, y):
    # at ties (x == y) the whole gradient goes to x
    mask = x <= y
    dx = unbroadcast(np.where(mask, g, 0), x)
    dy = unbroadcast(np.where(mask, 0, g), y)


@adjoint(np.where)
def where(g, condition, x, y):
    # the branch not taken gets exactly 0, even where its value is inf or nan
    dx = unbroadcast(np.where(condition, g, 0), x)
    dy = unbroadcast(np.where(condition, 0, g), y)
