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
    np.around,
    np.rint,
    np.trunc,
    np.fix,
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
    # inf at 0 (the pole), nan below
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


@adjoint(np.abs, builtins.abs)  # np.absolute is np.abs
def absolute(g, x):
    # at 0 the gradient is 0 (the subgradient np.sign picks)
    dx = g * np.sign(x)


@adjoint(np.copy)
def copy(g, x, order="K", subok=False):
    dx = g


@adjoint(".astype")
def astype(g, x, dtype, order="K", casting="unsafe", subok=True, copy=True):
    # a cast to an integer or bool dtype carries no gradient (exact zeros)
    dx = uncast(g, x, dtype)


@adjoint(np.exp2)
def exp2(g, ans, x):
    dx = g * ans * 0.6931471805599453


@adjoint(np.expm1)
def expm1(g, ans, x):
    dx = g * (ans + 1)


@adjoint(np.log2)
def log2(g, x):
    # inf at 0 (the pole), nan below
    dx = g / (x * 0.6931471805599453)


@adjoint(np.log10)
def log10(g, x):
    # inf at 0 (the pole), nan below
    dx = g / (x * 2.302585092994046)


@adjoint(np.log1p)
def log1p(g, x):
    # inf at -1 (the pole), nan below
    dx = g / (1 + x)


@adjoint(np.cbrt)
def cbrt(g, ans, x):
    # at 0 the slope is infinite: the gradient is inf (nan where g is 0)
    dx = g / (3 * ans**2)


@adjoint(np.reciprocal)
def reciprocal(g, ans, x):
    # -inf at 0 (the pole)
    dx = -g * ans**2


@adjoint(np.tan)
def tan(g, ans, x):
    dx = g * (1 + ans**2)


@adjoint(np.arcsin)
def arcsin(g, x):
    # inf at -1 and 1, nan outside [-1, 1]
    dx = g / np.sqrt((1 - x) * (1 + x))


@adjoint(np.arccos)
def arccos(g, x):
    # -inf at -1 and 1, nan outside [-1, 1]
    dx = -g / np.sqrt((1 - x) * (1 + x))


@adjoint(np.arctan)
def arctan(g, x):
    dx = g / (1 + x**2)


@adjoint(np.sinh)
def sinh(g, x):
    dx = g * np.cosh(x)


@adjoint(np.cosh)
def cosh(g, x):
    dx = g * np.sinh(x)


@adjoint(np.arcsinh)
def arcsinh(g, x):
    dx = g / np.hypot(x, 1)


@adjoint(np.arccosh)
def arccosh(g, x):
    # inf at 1, nan below
    dx = g / (np.sqrt(x - 1) * np.sqrt(x + 1))


@adjoint(np.arctanh)
def arctanh(g, x):
    # inf at -1 and 1, nan outside [-1, 1]
    dx = g / ((1 - x) * (1 + x))


@adjoint(np.sinc)
def sinc(g, ans, x):
    dx = g * sinc_derivative(x, ans)


@adjoint(np.deg2rad, np.radians)
def deg2rad(g, x):
    dx = g * (np.pi / 180)


@adjoint(np.rad2deg, np.degrees)
def rad2deg(g, x):
    dx = g * (180 / np.pi)


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


@adjoint(np.float_power)
def float_power(g, ans, x, y):
    # as for power: the exponent's gradient is nan for x <= 0; gradients come back in x's, y's dtype
    dx = uncast(unbroadcast(g * y * np.float_power(x, y - 1), x), x)
    dy = uncast(unbroadcast(g * ans * np.log(x), y), y)


@adjoint(np.fmax)
def fmax(g, x, y):
    # at ties all of g goes to x; a nan operand gets none unless both are nan (then x gets it)
    mask = (x >= y) | np.isnan(y)
    dx = unbroadcast(np.where(mask, g, 0), x)
    dy = unbroadcast(np.where(mask, 0, g), y)


@adjoint(np.fmin)
def fmin(g, x, y):
    # at ties all of g goes to x; a nan operand gets none unless both are nan (then x gets it)
    mask = (x <= y) | np.isnan(y)
    dx = unbroadcast(np.where(mask, g, 0), x)
    dy = unbroadcast(np.where(mask, 0, g), y)


@adjoint(np.clip)
def clip(g, x, a_min=None, a_max=None, min=None, max=None):
    # at a bound (x == a_min or x == a_max) all of g goes to x; where a_min > a_max, to a_max
    if a_min is None and a_max is None:
        below = clipped_below(x, min, max)
        above = clipped_above(x, min, max)
    else:
        below = clipped_below(x, a_min, a_max)
        above = clipped_above(x, a_min, a_max)
    dx = unbroadcast(np.where(below | above, 0, g), x)
    da_min = unbroadcast(np.where(below, g, 0), a_min)
    da_max = unbroadcast(np.where(above, g, 0), a_max)
    dmin = unbroadcast(np.where(below, g, 0), min)
    dmax = unbroadcast(np.where(above, g, 0), max)


@adjoint(np.arctan2)
def arctan2(g, y, x):
    # nan at the origin, where the angle jumps
    r = np.hypot(x, y)
    dy = unbroadcast(g * (x / r) / r, y)
    dx = unbroadcast(-g * (y / r) / r, x)


@adjoint(np.hypot)
def hypot(g, ans, x, y):
    # at the origin the gradient is 0 (as for abs at 0)
    r = np.where(ans == 0, 1, ans)
    dx = unbroadcast(g * (x / r), x)
    dy = unbroadcast(g * (y / r), y)


@adjoint(np.logaddexp)
def logaddexp(g, ans, x, y):
    # finite for finite inputs; nan where an input is +inf (inf - inf), and where both are -inf
    dx = unbroadcast(g * np.exp(x - ans), x)
    dy = unbroadcast(g * np.exp(y - ans), y)


@adjoint(np.logaddexp2)
def logaddexp2(g, ans, x, y):
    # finite for finite inputs; nan where an input is +inf (inf - inf), and where both are -inf
    dx = unbroadcast(g * np.exp2(x - ans), x)
    dy = unbroadcast(g * np.exp2(y - ans), y)


@adjoint(np.where)
def where(g, condition, x, y):
    # the branch not taken gets exactly 0, even where its value is inf or nan
    dx = unbroadcast(np.where(condition, g, 0), x)
    dy = unbroadcast(np.where(condition, 0, g), y)
