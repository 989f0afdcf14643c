"""Elementwise rules: what carries no gradient, unary functions, broadcasting binary ones.

Each adjoint rule is followed by its tangent rule. A unary tangent is `t` times the derivative;
a binary operation's parts take the result's shape from the other operand (`t * y`), or from
`broadcast_like(t, ans)` where a part is `t` itself.
"""

# ruff: noqa: F821  (`fill` and the runtime helpers are names in generated code, not here)

import builtins
import operator

import numpy as np

from ...markers import stop_gradient
from ..registry import adjoint, nondifferentiable, tangent

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


@tangent(operator.neg, np.negative)
def negative_tangent(t, x):
    dx = -t


@adjoint(operator.pos, np.positive)
def positive(g, x):
    dx = g


@tangent(operator.pos, np.positive)
def positive_tangent(t, x):
    dx = t


@adjoint(np.exp)
def exp(g, ans, x):
    dx = g * ans


@tangent(np.exp)
def exp_tangent(t, ans, x):
    dx = t * ans


@adjoint(np.log)
def log(g, x):
    # inf at 0 (the pole), nan below
    dx = g / x


@tangent(np.log)
def log_tangent(t, x):
    # inf at 0 (the pole), nan below
    dx = t / x


@adjoint(np.tanh)
def tanh(g, ans, x):
    dx = g * (1 - ans**2)


@tangent(np.tanh)
def tanh_tangent(t, ans, x):
    dx = t * (1 - ans**2)


@adjoint(np.sin)
def sin(g, x):
    dx = g * np.cos(x)


@tangent(np.sin)
def sin_tangent(t, x):
    dx = t * np.cos(x)


@adjoint(np.cos)
def cos(g, x):
    dx = -g * np.sin(x)


@tangent(np.cos)
def cos_tangent(t, x):
    dx = -t * np.sin(x)


@adjoint(np.sqrt)
def sqrt(g, ans, x):
    # at 0 the slope is infinite: the gradient is inf (nan where g is 0)
    dx = g / (2 * ans)


@tangent(np.sqrt)
def sqrt_tangent(t, ans, x):
    # at 0 the slope is infinite: the tangent is inf (nan where t is 0)
    dx = t / (2 * ans)


@adjoint(np.square)
def square(g, x):
    dx = g * 2 * x


@tangent(np.square)
def square_tangent(t, x):
    dx = t * 2 * x


@adjoint(np.abs, builtins.abs, np.fabs)  # np.absolute is np.abs
def absolute(g, x):
    # at 0 the gradient is 0 (the subgradient np.sign picks)
    dx = g * np.sign(x)


@tangent(np.abs, builtins.abs, np.fabs)
def absolute_tangent(t, x):
    # at 0 the tangent is 0 (the subgradient np.sign picks)
    dx = t * np.sign(x)


@adjoint(np.nan_to_num)
def nan_to_num(g, x, copy=True, nan=0.0, posinf=None, neginf=None):
    # where x is nan or +-inf the result is the replacement: no gradient to x there, all to it
    dx = np.where(np.isfinite(x), g, 0)
    dnan = unbroadcast(np.where(np.isnan(x), g, 0), nan)
    dposinf = unbroadcast(np.where(x == np.inf, g, 0), posinf)
    dneginf = unbroadcast(np.where(x == -np.inf, g, 0), neginf)


@tangent(np.nan_to_num)
def nan_to_num_tangent(t, ans, x, copy=True, nan=0.0, posinf=None, neginf=None):
    # where x is nan or +-inf the tangent is the replacement's, not x's
    dx = np.where(np.isfinite(x), t, 0)
    dnan = broadcast_like(np.where(np.isnan(x), t, 0), ans)
    dposinf = broadcast_like(np.where(x == np.inf, t, 0), ans)
    dneginf = broadcast_like(np.where(x == -np.inf, t, 0), ans)


@adjoint(np.copy)
def copy(g, x, order="K", subok=False):
    dx = g


@tangent(np.copy)
def copy_tangent(t, x, order="K", subok=False):
    dx = t


@adjoint(np.array)
def array(g, a, dtype=None, copy=True, order="K", subok=False, ndmin=0):
    # of an array or a float (a list of them is lowered to np.stack); an integer dtype: no gradient
    da = uncast(np.reshape(g, np.shape(a)), a, dtype)


@tangent(np.array)
def array_tangent(t, a, dtype=None, copy=True, order="K", subok=False, ndmin=0):
    da = np.array(t, dtype=dtype, ndmin=ndmin) if dtype is not None or ndmin else np.array(t)


@adjoint(np.asarray)
def asarray(g, a, dtype=None, order=None):
    da = uncast(g, a, dtype)


@tangent(np.asarray)
def asarray_tangent(t, a, dtype=None, order=None):
    da = np.asarray(t, dtype) if dtype is not None else t


@adjoint(".astype")
def astype(g, x, dtype, order="K", casting="unsafe", subok=True, copy=True):
    # a cast to an integer or bool dtype carries no gradient (exact zeros)
    dx = uncast(g, x, dtype)


@tangent(".astype")
def astype_tangent(t, ans, x, dtype, order="K", casting="unsafe", subok=True, copy=True):
    # a cast to an integer or bool dtype carries no tangent (exact zeros)
    dx = uncast(t, ans, dtype)


@adjoint(np.exp2)
def exp2(g, ans, x):
    dx = g * ans * 0.6931471805599453


@tangent(np.exp2)
def exp2_tangent(t, ans, x):
    dx = t * ans * 0.6931471805599453


@adjoint(np.expm1)
def expm1(g, ans, x):
    dx = g * (ans + 1)


@tangent(np.expm1)
def expm1_tangent(t, ans, x):
    dx = t * (ans + 1)


@adjoint(np.log2)
def log2(g, x):
    # inf at 0 (the pole), nan below
    dx = g / (x * 0.6931471805599453)


@tangent(np.log2)
def log2_tangent(t, x):
    # inf at 0 (the pole), nan below
    dx = t / (x * 0.6931471805599453)


@adjoint(np.log10)
def log10(g, x):
    # inf at 0 (the pole), nan below
    dx = g / (x * 2.302585092994046)


@tangent(np.log10)
def log10_tangent(t, x):
    # inf at 0 (the pole), nan below
    dx = t / (x * 2.302585092994046)


@adjoint(np.log1p)
def log1p(g, x):
    # inf at -1 (the pole), nan below
    dx = g / (1 + x)


@tangent(np.log1p)
def log1p_tangent(t, x):
    # inf at -1 (the pole), nan below
    dx = t / (1 + x)


@adjoint(np.cbrt)
def cbrt(g, ans, x):
    # at 0 the slope is infinite: the gradient is inf (nan where g is 0)
    dx = g / (3 * ans**2)


@tangent(np.cbrt)
def cbrt_tangent(t, ans, x):
    # at 0 the slope is infinite: the tangent is inf (nan where t is 0)
    dx = t / (3 * ans**2)


@adjoint(np.reciprocal)
def reciprocal(g, ans, x):
    # -inf at 0 (the pole)
    dx = -g * ans**2


@tangent(np.reciprocal)
def reciprocal_tangent(t, ans, x):
    # -inf at 0 (the pole)
    dx = -t * ans**2


@adjoint(np.tan)
def tan(g, ans, x):
    dx = g * (1 + ans**2)


@tangent(np.tan)
def tan_tangent(t, ans, x):
    dx = t * (1 + ans**2)


@adjoint(np.arcsin)
def arcsin(g, x):
    # inf at -1 and 1, nan outside [-1, 1]
    dx = g / np.sqrt((1 - x) * (1 + x))


@tangent(np.arcsin)
def arcsin_tangent(t, x):
    # inf at -1 and 1, nan outside [-1, 1]
    dx = t / np.sqrt((1 - x) * (1 + x))


@adjoint(np.arccos)
def arccos(g, x):
    # -inf at -1 and 1, nan outside [-1, 1]
    dx = -g / np.sqrt((1 - x) * (1 + x))


@tangent(np.arccos)
def arccos_tangent(t, x):
    # -inf at -1 and 1, nan outside [-1, 1]
    dx = -t / np.sqrt((1 - x) * (1 + x))


@adjoint(np.arctan)
def arctan(g, x):
    dx = g / (1 + x**2)


@tangent(np.arctan)
def arctan_tangent(t, x):
    dx = t / (1 + x**2)


@adjoint(np.sinh)
def sinh(g, x):
    dx = g * np.cosh(x)


@tangent(np.sinh)
def sinh_tangent(t, x):
    dx = t * np.cosh(x)


@adjoint(np.cosh)
def cosh(g, x):
    dx = g * np.sinh(x)


@tangent(np.cosh)
def cosh_tangent(t, x):
    dx = t * np.sinh(x)


@adjoint(np.arcsinh)
def arcsinh(g, x):
    dx = g / np.hypot(x, 1)


@tangent(np.arcsinh)
def arcsinh_tangent(t, x):
    dx = t / np.hypot(x, 1)


@adjoint(np.arccosh)
def arccosh(g, x):
    # inf at 1, nan below
    dx = g / (np.sqrt(x - 1) * np.sqrt(x + 1))


@tangent(np.arccosh)
def arccosh_tangent(t, x):
    # inf at 1, nan below
    dx = t / (np.sqrt(x - 1) * np.sqrt(x + 1))


@adjoint(np.arctanh)
def arctanh(g, x):
    # inf at -1 and 1, nan outside [-1, 1]
    dx = g / ((1 - x) * (1 + x))


@tangent(np.arctanh)
def arctanh_tangent(t, x):
    # inf at -1 and 1, nan outside [-1, 1]
    dx = t / ((1 - x) * (1 + x))


@adjoint(np.sinc)
def sinc(g, ans, x):
    dx = g * sinc_derivative(x, ans)


@tangent(np.sinc)
def sinc_tangent(t, ans, x):
    dx = t * sinc_derivative(x, ans)


@adjoint(np.deg2rad, np.radians)
def deg2rad(g, x):
    dx = g * (np.pi / 180)


@tangent(np.deg2rad, np.radians)
def deg2rad_tangent(t, x):
    dx = t * (np.pi / 180)


@adjoint(np.rad2deg, np.degrees)
def rad2deg(g, x):
    dx = g * (180 / np.pi)


@tangent(np.rad2deg, np.degrees)
def rad2deg_tangent(t, x):
    dx = t * (180 / np.pi)


# ---------------------------------------------------------------------------------------------
# Binary, broadcasting.


@adjoint(operator.add, np.add)
def add(g, x, y):
    dx = unbroadcast(g, x)
    dy = unbroadcast(g, y)


@tangent(operator.add, np.add)
def add_tangent(t, ans, x, y):
    dx = broadcast_like(t, ans)
    dy = broadcast_like(t, ans)


@adjoint(operator.sub, np.subtract)
def subtract(g, x, y):
    dx = unbroadcast(g, x)
    dy = -unbroadcast(g, y)


@tangent(operator.sub, np.subtract)
def subtract_tangent(t, ans, x, y):
    dx = broadcast_like(t, ans)
    dy = -broadcast_like(t, ans)


@adjoint(operator.mul, np.multiply)
def multiply(g, x, y):
    dx = unbroadcast(g * y, x)
    dy = unbroadcast(g * x, y)


@tangent(operator.mul, np.multiply)
def multiply_tangent(t, x, y):
    dx = t * y
    dy = x * t


@adjoint(operator.truediv, np.divide)
def divide(g, ans, x, y):
    dx = unbroadcast(g / y, x)
    dy = -unbroadcast(g * ans / y, y)


@tangent(operator.truediv, np.divide)
def divide_tangent(t, ans, x, y):
    dx = t / y
    dy = -t * ans / y


@adjoint(operator.pow, np.power)
def power(g, ans, x, y):
    # d/dy is ans * log(x): nan for x < 0 and x == 0; take care when the exponent is a variable
    dx = unbroadcast(g * y * x ** (y - 1), x)
    dy = unbroadcast(g * ans * np.log(x), y)


@tangent(operator.pow, np.power)
def power_tangent(t, ans, x, y):
    # y's part, t * ans * log(x), is nan for x < 0 and x == 0
    dx = t * y * x ** (y - 1)
    dy = t * ans * np.log(x)


@adjoint(operator.mod, np.remainder)  # np.mod is np.remainder
def remainder(g, x, y):
    # x - y * floor(x / y): slope 1 in x, -floor(x / y) in y; at a jump (x a multiple of y), the
    # slopes of the piece the value is on (the quotient np.floor_divide gives)
    dx = unbroadcast(g, x)
    dy = -unbroadcast(g * np.floor_divide(x, y), y)


@tangent(operator.mod, np.remainder)
def remainder_tangent(t, ans, x, y):
    # at a jump (x a multiple of y), the slopes of the piece the value is on
    dx = broadcast_like(t, ans)
    dy = -t * np.floor_divide(x, y)


@adjoint(np.fmod)
def fmod(g, ans, x, y):
    # x - y * trunc(x / y): slope 1 in x, -trunc(x / y) in y; at a jump (x a multiple of y), the
    # slopes of the piece the value is on (the quotient (x - ans) / y, rounded to its integer)
    dx = unbroadcast(g, x)
    dy = -unbroadcast(g * np.round((x - ans) / y), y)


@tangent(np.fmod)
def fmod_tangent(t, ans, x, y):
    # at a jump (x a multiple of y), the slopes of the piece the value is on
    dx = broadcast_like(t, ans)
    dy = -t * np.round((x - ans) / y)


@adjoint(np.maximum)
def maximum(g, x, y):
    # at ties (x == y) the whole gradient goes to x
    mask = x >= y
    dx = unbroadcast(np.where(mask, g, 0), x)
    dy = unbroadcast(np.where(mask, 0, g), y)


@tangent(np.maximum)
def maximum_tangent(t, x, y):
    # at ties (x == y) the tangent is x's
    mask = x >= y
    dx = np.where(mask, t, 0)
    dy = np.where(mask, 0, t)


@adjoint(np.minimum)
def minimum(g, x, y):
    # at ties (x == y) the whole gradient goes to x
    mask = x <= y
    dx = unbroadcast(np.where(mask, g, 0), x)
    dy = unbroadcast(np.where(mask, 0, g), y)


@tangent(np.minimum)
def minimum_tangent(t, x, y):
    # at ties (x == y) the tangent is x's
    mask = x <= y
    dx = np.where(mask, t, 0)
    dy = np.where(mask, 0, t)


@adjoint(np.float_power)
def float_power(g, ans, x, y):
    # as for power: the exponent's gradient is nan for x <= 0; gradients come back in x's, y's dtype
    dx = uncast(unbroadcast(g * y * np.float_power(x, y - 1), x), x)
    dy = uncast(unbroadcast(g * ans * np.log(x), y), y)


@tangent(np.float_power)
def float_power_tangent(t, ans, x, y):
    # as for power: the exponent's part is nan for x <= 0
    dx = t * y * np.float_power(x, y - 1)
    dy = t * ans * np.log(x)


@adjoint(np.fmax)
def fmax(g, x, y):
    # at ties all of g goes to x; a nan operand gets none unless both are nan (then x gets it)
    mask = (x >= y) | np.isnan(y)
    dx = unbroadcast(np.where(mask, g, 0), x)
    dy = unbroadcast(np.where(mask, 0, g), y)


@tangent(np.fmax)
def fmax_tangent(t, x, y):
    # at ties the tangent is x's; a nan operand's is not taken unless both are nan (then x's)
    mask = (x >= y) | np.isnan(y)
    dx = np.where(mask, t, 0)
    dy = np.where(mask, 0, t)


@adjoint(np.fmin)
def fmin(g, x, y):
    # at ties all of g goes to x; a nan operand gets none unless both are nan (then x gets it)
    mask = (x <= y) | np.isnan(y)
    dx = unbroadcast(np.where(mask, g, 0), x)
    dy = unbroadcast(np.where(mask, 0, g), y)


@tangent(np.fmin)
def fmin_tangent(t, x, y):
    # at ties the tangent is x's; a nan operand's is not taken unless both are nan (then x's)
    mask = (x <= y) | np.isnan(y)
    dx = np.where(mask, t, 0)
    dy = np.where(mask, 0, t)


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


@tangent(np.clip)
def clip_tangent(t, ans, x, a_min=None, a_max=None, min=None, max=None):
    # at a bound (x == a_min or x == a_max) the tangent is x's; where a_min > a_max, a_max's
    if a_min is None and a_max is None:
        below = clipped_below(x, min, max)
        above = clipped_above(x, min, max)
    else:
        below = clipped_below(x, a_min, a_max)
        above = clipped_above(x, a_min, a_max)
    dx = broadcast_like(np.where(below | above, 0, t), ans)
    da_min = broadcast_like(np.where(below, t, 0), ans)
    da_max = broadcast_like(np.where(above, t, 0), ans)
    dmin = broadcast_like(np.where(below, t, 0), ans)
    dmax = broadcast_like(np.where(above, t, 0), ans)


@adjoint(np.arctan2)
def arctan2(g, y, x):
    # nan at the origin, where the angle jumps
    r = np.hypot(x, y)
    dy = unbroadcast(g * (x / r) / r, y)
    dx = unbroadcast(-g * (y / r) / r, x)


@tangent(np.arctan2)
def arctan2_tangent(t, y, x):
    # nan at the origin, where the angle jumps
    r = np.hypot(x, y)
    dy = t * (x / r) / r
    dx = -t * (y / r) / r


@adjoint(np.hypot)
def hypot(g, ans, x, y):
    # at the origin the gradient is 0 (as for abs at 0)
    r = np.where(ans == 0, 1, ans)
    dx = unbroadcast(g * (x / r), x)
    dy = unbroadcast(g * (y / r), y)


@tangent(np.hypot)
def hypot_tangent(t, ans, x, y):
    # at the origin the tangent is 0 (as for abs at 0)
    r = np.where(ans == 0, 1, ans)
    dx = t * (x / r)
    dy = t * (y / r)


@adjoint(np.logaddexp)
def logaddexp(g, ans, x, y):
    # finite for finite inputs; nan where an input is +inf (inf - inf), and where both are -inf
    dx = unbroadcast(g * np.exp(x - ans), x)
    dy = unbroadcast(g * np.exp(y - ans), y)


@tangent(np.logaddexp)
def logaddexp_tangent(t, ans, x, y):
    # finite for finite inputs; nan where an input is +inf (inf - inf), and where both are -inf
    dx = t * np.exp(x - ans)
    dy = t * np.exp(y - ans)


@adjoint(np.logaddexp2)
def logaddexp2(g, ans, x, y):
    # finite for finite inputs; nan where an input is +inf (inf - inf), and where both are -inf
    dx = unbroadcast(g * np.exp2(x - ans), x)
    dy = unbroadcast(g * np.exp2(y - ans), y)


@tangent(np.logaddexp2)
def logaddexp2_tangent(t, ans, x, y):
    # finite for finite inputs; nan where an input is +inf (inf - inf), and where both are -inf
    dx = t * np.exp2(x - ans)
    dy = t * np.exp2(y - ans)


@adjoint(np.where)
def where(g, condition, x, y):
    # the branch not taken gets exactly 0, even where its value is inf or nan
    dx = unbroadcast(np.where(condition, g, 0), x)
    dy = unbroadcast(np.where(condition, 0, g), y)


@tangent(np.where)
def where_tangent(t, ans, condition, x, y):
    # the branch not taken brings exactly 0, even where its tangent is inf or nan
    dx = broadcast_like(np.where(condition, t, 0), ans)
    dy = broadcast_like(np.where(condition, 0, t), ans)


# ---------------------------------------------------------------------------------------------
# Complex parts, of the real values srcgrad differentiates (`real_only` refuses a complex one).


@adjoint(np.real, np.conjugate)  # np.conj is np.conjugate
def real(g, val):
    # the identity on real values
    dval = g * real_only(val, "np.real and np.conj")


@tangent(np.real, np.conjugate)
def real_tangent(t, val):
    dval = t * real_only(val, "np.real and np.conj")


@adjoint(np.real_if_close)
def real_if_close(g, a, tol=100):
    # the identity on real values
    da = g * real_only(a, "np.real_if_close")


@tangent(np.real_if_close)
def real_if_close_tangent(t, a, tol=100):
    da = t * real_only(a, "np.real_if_close")


@adjoint(np.imag)
def imag(g, val):
    # 0 everywhere on real values
    dval = np.zeros_like(val) * real_only(val, "np.imag")


@tangent(np.imag)
def imag_tangent(t, val):
    dval = np.zeros_like(val) * real_only(val, "np.imag")


@adjoint(np.angle)
def angle(g, z, deg=False):
    # on real values 0 or pi (180 with deg): 0 everywhere, at the jump at 0 too
    dz = np.zeros_like(z) * real_only(z, "np.angle")


@tangent(np.angle)
def angle_tangent(t, z, deg=False):
    dz = np.zeros_like(z) * real_only(z, "np.angle")
