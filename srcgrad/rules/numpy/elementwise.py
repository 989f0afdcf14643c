"""Elementwise rules: what carries no gradient, unary functions, broadcasting binary ones.

Most rules state their partial derivatives once (`@elementwise`, described in
`rules/registry.py`): `dx = 1 - ans**2` is the derivative of tanh's result in `x`, from which
both the gradient `g * (1 - ans**2)` and the tangent `t * (1 - ans**2)` are made. A binary
operation's gradients are summed back to each operand's shape (`unbroadcast(g * ∂, x)`), and a
tangent part that `t * ∂` would leave short of the result's shape is spread to it
(`broadcast_like(t, ans)`).

The others are written as an adjoint rule followed by its tangent rule, where the two are not
`g` and `t` times one derivative: selections (`np.maximum`, `np.where`, `np.clip`,
`np.nan_to_num`: the operand not chosen gets exactly 0, even where `g` is inf or nan, which
`g * 0` would not give), casts (`np.array`, `np.asarray`, `.astype`, `np.float_power`: a
gradient goes back to its operand's dtype, a tangent forward to the result's), exact zeros that
read neither `g` nor `t` (`np.imag`, `np.angle`), and the product, whose tangent keeps the
operands' order.
"""

# ruff: noqa: F821  (`fill` and the runtime helpers are names in generated code, not here)

import builtins
import operator

import numpy as np

from ...markers import stop_gradient
from ..registry import adjoint, elementwise, nondifferentiable, tangent

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
    np.floor_divide,  # x // y: whole numbers, constant between its jumps
    operator.floordiv,
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
    np.all,  # tests of values: booleans
    np.any,
    np.allclose,
    np.isclose,
    np.array_equal,
    np.isreal,
    np.iscomplex,
    np.isrealobj,
    np.iscomplexobj,
    builtins.len,
    stop_gradient,
)

# ---------------------------------------------------------------------------------------------
# Unary elementwise.


@elementwise(operator.neg, np.negative)
def negative(x):
    dx = -1


@elementwise(operator.pos, np.positive)
def positive(x):
    dx = 1


@elementwise(np.exp)
def exp(ans, x):
    dx = ans


@elementwise(np.log)
def log(x):
    # inf at 0 (the pole), nan below
    dx = 1 / x


@elementwise(np.tanh)
def tanh(ans, x):
    dx = 1 - ans**2


@elementwise(np.sin)
def sin(x):
    dx = np.cos(x)


@elementwise(np.cos)
def cos(x):
    dx = -np.sin(x)


@elementwise(np.sqrt)
def sqrt(ans, x):
    # at 0 the slope is infinite: inf (nan where the incoming gradient or tangent is 0)
    dx = 1 / (2 * ans)


@elementwise(np.square)
def square(x):
    dx = 2 * x


@elementwise(np.abs, builtins.abs, np.fabs)  # np.absolute is np.abs
def absolute(x):
    # at 0 the derivative is 0 (the subgradient np.sign picks)
    dx = np.sign(x)


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


@elementwise(np.copy)
def copy(x, order="K", subok=False):
    dx = 1


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


@elementwise(np.exp2)
def exp2(ans, x):
    dx = ans * 0.6931471805599453


@elementwise(np.expm1)
def expm1(ans, x):
    dx = ans + 1


@elementwise(np.log2)
def log2(x):
    # inf at 0 (the pole), nan below
    dx = 1 / (x * 0.6931471805599453)


@elementwise(np.log10)
def log10(x):
    # inf at 0 (the pole), nan below
    dx = 1 / (x * 2.302585092994046)


@elementwise(np.log1p)
def log1p(x):
    # inf at -1 (the pole), nan below
    dx = 1 / (1 + x)


@elementwise(np.cbrt)
def cbrt(ans, x):
    # at 0 the slope is infinite: inf (nan where the incoming gradient or tangent is 0)
    dx = 1 / (3 * ans**2)


@elementwise(np.reciprocal)
def reciprocal(ans, x):
    # -inf at 0 (the pole)
    dx = -(ans**2)


@elementwise(np.tan)
def tan(ans, x):
    dx = 1 + ans**2


@elementwise(np.arcsin)
def arcsin(x):
    # inf at -1 and 1, nan outside [-1, 1]
    dx = 1 / np.sqrt((1 - x) * (1 + x))


@elementwise(np.arccos)
def arccos(x):
    # -inf at -1 and 1, nan outside [-1, 1]
    dx = -1 / np.sqrt((1 - x) * (1 + x))


@elementwise(np.arctan)
def arctan(x):
    dx = 1 / (1 + x**2)


@elementwise(np.sinh)
def sinh(x):
    dx = np.cosh(x)


@elementwise(np.cosh)
def cosh(x):
    dx = np.sinh(x)


@elementwise(np.arcsinh)
def arcsinh(x):
    dx = 1 / np.hypot(x, 1)


@elementwise(np.arccosh)
def arccosh(x):
    # inf at 1, nan below
    dx = 1 / (np.sqrt(x - 1) * np.sqrt(x + 1))


@elementwise(np.arctanh)
def arctanh(x):
    # inf at -1 and 1, nan outside [-1, 1]
    dx = 1 / ((1 - x) * (1 + x))


@elementwise(np.sinc)
def sinc(ans, x):
    dx = sinc_derivative(x, ans)


@elementwise(np.deg2rad, np.radians)
def deg2rad(x):
    dx = np.pi / 180


@elementwise(np.rad2deg, np.degrees)
def rad2deg(x):
    dx = 180 / np.pi


# ---------------------------------------------------------------------------------------------
# Binary, broadcasting.


@elementwise(operator.add, np.add)
def add(x, y):
    dx = 1
    dy = 1


@elementwise(operator.sub, np.subtract)
def subtract(x, y):
    dx = 1
    dy = -1


@adjoint(operator.mul, np.multiply)
def multiply(g, x, y):
    dx = unbroadcast(g * y, x)
    dy = unbroadcast(g * x, y)


# Written out, not made from `dx = y; dy = x`: y's tangent part keeps the operands' order,
# `x * t`, so that forward-mode code reads as the product rule, `dx * y + x * dy`.
@tangent(operator.mul, np.multiply)
def multiply_tangent(t, x, y):
    dx = t * y
    dy = x * t


@elementwise(operator.truediv, np.divide)
def divide(ans, x, y):
    dx = 1 / y
    dy = -ans / y


@elementwise(operator.pow, np.power)
def power(ans, x, y):
    # in x: 0 where y == 0 (x ** 0 is 1 for every x, 0 ** 0 too), not 0 * 0 ** -1; in y: 0 where
    # x == 0 (0 ** y is 0 for every y > 0), not 0 * log(0), and nan for x < 0. For a literal
    # exponent the where goes: x ** 3 gives 3 * x ** 2
    dx = y * x ** np.where(y, y - 1, 1.0)
    dy = ans * np.log(np.where(x == 0, 1.0, x))


@elementwise(operator.mod, np.remainder)  # np.mod is np.remainder
def remainder(x, y):
    # x - y * floor(x / y): slope 1 in x, -floor(x / y) in y; at a jump (x a multiple of y), the
    # slopes of the piece the value is on (the quotient np.floor_divide gives)
    dx = 1
    dy = -np.floor_divide(x, y)


@elementwise(np.fmod)
def fmod(ans, x, y):
    # x - y * trunc(x / y): slope 1 in x, -trunc(x / y) in y; at a jump (x a multiple of y), the
    # slopes of the piece the value is on (the quotient (x - ans) / y, rounded to its integer)
    dx = 1
    dy = -np.round((x - ans) / y)


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


# float_power computes in float64: its gradients are cast back to x's and y's dtype (`uncast`),
# its tangent is float64 as its value is, so the two rules differ and are written out.
@adjoint(np.float_power)
def float_power(g, ans, x, y):
    # as for power (0 in x where y == 0, in y where x == 0; nan in y for x < 0); gradients come
    # back in x's, y's dtype
    dx = uncast(unbroadcast(g * y * np.float_power(x, np.where(y, y - 1, 1.0)), x), x)
    dy = uncast(unbroadcast(g * ans * np.log(np.where(x == 0, 1.0, x)), y), y)


@tangent(np.float_power)
def float_power_tangent(t, ans, x, y):
    # as for power
    dx = t * y * np.float_power(x, np.where(y, y - 1, 1.0))
    dy = t * ans * np.log(np.where(x == 0, 1.0, x))


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


@elementwise(np.arctan2)
def arctan2(y, x):
    # nan at the origin, where the angle jumps
    r = np.hypot(x, y)
    dy = (x / r) / r
    dx = -(y / r) / r


@elementwise(np.hypot)
def hypot(ans, x, y):
    # at the origin the derivatives are 0 (as for abs at 0)
    r = np.where(ans == 0, 1, ans)
    dx = x / r
    dy = y / r


@elementwise(np.logaddexp)
def logaddexp(ans, x, y):
    # finite for finite inputs; nan where an input is +inf (inf - inf), and where both are -inf
    dx = np.exp(x - ans)
    dy = np.exp(y - ans)


@elementwise(np.logaddexp2)
def logaddexp2(ans, x, y):
    # finite for finite inputs; nan where an input is +inf (inf - inf), and where both are -inf
    dx = np.exp2(x - ans)
    dy = np.exp2(y - ans)


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


@elementwise(np.real, "real", np.conjugate)  # np.conj is np.conjugate; "real" is x.real
def real(val):
    # the identity on real values
    dval = real_only(val, "np.real and np.conj")


@elementwise(np.real_if_close)
def real_if_close(a, tol=100):
    # the identity on real values
    da = real_only(a, "np.real_if_close")


@adjoint(np.imag, "imag")
def imag(g, val):
    # 0 everywhere on real values
    dval = np.zeros_like(val) * real_only(val, "np.imag")


@tangent(np.imag, "imag")
def imag_tangent(t, val):
    dval = np.zeros_like(val) * real_only(val, "np.imag")


@adjoint(np.angle)
def angle(g, z, deg=False):
    # on real values 0 or pi (180 with deg): 0 everywhere, at the jump at 0 too
    dz = np.zeros_like(z) * real_only(z, "np.angle")


@tangent(np.angle)
def angle_tangent(t, z, deg=False):
    dz = np.zeros_like(z) * real_only(z, "np.angle")
