"""The elementwise rules against finite differences, and their values at 0, ±1, large and infinite inputs.

Rows as in test_rules.py (see tests/rulespec.py): each uses a rule of
srcgrad/rules/numpy/elementwise.py in the seed form `np.sum(op(x))` and the weighted form
`np.sum(w * op(x))`. The functions that round (floor, sign, ...) carry no gradient: their rows
differentiate `op(x) * x`, whose gradient is `op(x)` away from the jumps. `test_special_values`
checks the conventions the rules state at poles, kinks and ties, and that they stay finite where
the math does.
"""

import math

import numpy as np
import pytest
from hypothesis import strategies as st
from rulespec import *  # noqa: F403
from rulespec import check_both_modes, check_program, define_tests, rows

import srcgrad
from srcgrad.runtime import uncast
from srcgrad.testing.strategies import arrays, broadcastable_shapes, scalars

# NumPy 2.5 deprecates np.fix; users' programs still call it, so the rule table keeps it and the
# rows here call it.
pytestmark = pytest.mark.filterwarnings("ignore:numpy.fix is deprecated:DeprecationWarning")

row = rows(globals())

# ---------------------------------------------------------------------------------------------
# The functions under test: `<name>_s` is `np.sum(op(...))`, `<name>_w` is `np.sum(w * op(...))`.


def exp2_s(x):
    return np.sum(np.exp2(x))


def exp2_w(x, w):
    return np.sum(w * np.exp2(x))


def expm1_s(x):
    return np.sum(np.expm1(x))


def expm1_w(x, w):
    return np.sum(w * np.expm1(x))


def log2_s(x):
    return np.sum(np.log2(x))


def log2_w(x, w):
    return np.sum(w * np.log2(x))


def log10_s(x):
    return np.sum(np.log10(x))


def log10_w(x, w):
    return np.sum(w * np.log10(x))


def log1p_s(x):
    return np.sum(np.log1p(x))


def log1p_w(x, w):
    return np.sum(w * np.log1p(x))


def cbrt_s(x):
    return np.sum(np.cbrt(x))


def cbrt_w(x, w):
    return np.sum(w * np.cbrt(x))


def reciprocal_s(x):
    return np.sum(np.reciprocal(x))


def reciprocal_w(x, w):
    return np.sum(w * np.reciprocal(x))


def tan_s(x):
    return np.sum(np.tan(x))


def tan_w(x, w):
    return np.sum(w * np.tan(x))


def arcsin_s(x):
    return np.sum(np.arcsin(x))


def arcsin_w(x, w):
    return np.sum(w * np.arcsin(x))


def arccos_s(x):
    return np.sum(np.arccos(x))


def arccos_w(x, w):
    return np.sum(w * np.arccos(x))


def arctan_s(x):
    return np.sum(np.arctan(x))


def arctan_w(x, w):
    return np.sum(w * np.arctan(x))


def sinh_s(x):
    return np.sum(np.sinh(x))


def sinh_w(x, w):
    return np.sum(w * np.sinh(x))


def cosh_s(x):
    return np.sum(np.cosh(x))


def cosh_w(x, w):
    return np.sum(w * np.cosh(x))


def arcsinh_s(x):
    return np.sum(np.arcsinh(x))


def arcsinh_w(x, w):
    return np.sum(w * np.arcsinh(x))


def arccosh_s(x):
    return np.sum(np.arccosh(x))


def arccosh_w(x, w):
    return np.sum(w * np.arccosh(x))


def arctanh_s(x):
    return np.sum(np.arctanh(x))


def arctanh_w(x, w):
    return np.sum(w * np.arctanh(x))


def sinc_s(x):
    return np.sum(np.sinc(x))


def sinc_w(x, w):
    return np.sum(w * np.sinc(x))


def deg2rad_s(x):
    return np.sum(np.deg2rad(x))


def deg2rad_w(x, w):
    return np.sum(w * np.deg2rad(x))


def radians_s(x):
    return np.sum(np.radians(x))


def radians_w(x, w):
    return np.sum(w * np.radians(x))


def rad2deg_s(x):
    return np.sum(np.rad2deg(x))


def rad2deg_w(x, w):
    return np.sum(w * np.rad2deg(x))


def degrees_s(x):
    return np.sum(np.degrees(x))


def degrees_w(x, w):
    return np.sum(w * np.degrees(x))


def absolute_s(x):
    return np.sum(np.absolute(x))


def absolute_w(x, w):
    return np.sum(w * np.absolute(x))


def np_array_s(x):
    return np.sum(np.array(x))


def np_array_w(x, w):
    return np.sum(w * np.array(x))


def np_asarray_s(x):
    return np.sum(np.asarray(x))


def np_asarray_w(x, w):
    return np.sum(w * np.asarray(x))


def np_copy_s(x):
    return np.sum(np.copy(x))


def np_copy_w(x, w):
    return np.sum(w * np.copy(x))


def copy_method_s(x):
    return np.sum(x.copy())


def copy_method_w(x, w):
    return np.sum(w * x.copy())


def astype_roundtrip_s(x):
    return np.sum(x.astype(np.float64).astype(x.dtype))


def astype_roundtrip_w(x, w):
    return np.sum(w * x.astype(np.float64).astype(x.dtype))


def astype_int16_s(x):
    return np.sum(x.astype(np.int16) * x)


def astype_int16_w(x, w):
    return np.sum(w * (x.astype(np.int16) * x))


def astype_bool_s(x):
    return np.sum(x.astype(bool) * x)


def astype_bool_w(x, w):
    return np.sum(w * (x.astype(bool) * x))


def arctan2_s(y, x):
    return np.sum(np.arctan2(y, x))


def arctan2_w(y, x, w):
    return np.sum(w * np.arctan2(y, x))


def hypot_s(x, y):
    return np.sum(np.hypot(x, y))


def hypot_w(x, y, w):
    return np.sum(w * np.hypot(x, y))


def logaddexp_s(x, y):
    return np.sum(np.logaddexp(x, y))


def logaddexp_w(x, y, w):
    return np.sum(w * np.logaddexp(x, y))


def logaddexp2_s(x, y):
    return np.sum(np.logaddexp2(x, y))


def logaddexp2_w(x, y, w):
    return np.sum(w * np.logaddexp2(x, y))


def fmax_s(x, y):
    return np.sum(np.fmax(x, y))


def fmax_w(x, y, w):
    return np.sum(w * np.fmax(x, y))


def fmin_s(x, y):
    return np.sum(np.fmin(x, y))


def fmin_w(x, y, w):
    return np.sum(w * np.fmin(x, y))


def float_power_s(x, y):
    return np.sum(np.float_power(x, y).astype(x.dtype))


def power_s(x, y):
    return np.sum(np.power(x, y))


def float_power_w(x, y, w):
    return np.sum(w * np.float_power(x, y).astype(x.dtype))


def float_power_const_s(x):
    return np.sum(np.float_power(x, 3.0).astype(x.dtype))


def float_power_const_w(x, w):
    return np.sum(w * np.float_power(x, 3.0).astype(x.dtype))


def hypot_float_s(x, a):
    return np.sum(np.hypot(x, a))


def hypot_float_w(x, a, w):
    return np.sum(w * np.hypot(x, a))


def arctan2_float_s(a, x):
    return np.sum(np.arctan2(a, x))


def arctan2_float_w(a, x, w):
    return np.sum(w * np.arctan2(a, x))


def logaddexp_const_s(x):
    return np.sum(np.logaddexp(x, 0.5))


def logaddexp_const_w(x, w):
    return np.sum(w * np.logaddexp(x, 0.5))


def clip_literal_s(x):
    return np.sum(np.clip(x, -0.5, 0.5))


def clip_literal_w(x, w):
    return np.sum(w * np.clip(x, -0.5, 0.5))


def clip_method_s(x):
    return np.sum(x.clip(-0.5, 0.5))


def clip_method_w(x, w):
    return np.sum(w * x.clip(-0.5, 0.5))


def clip_upper_s(x):
    return np.sum(np.clip(x, None, 0.5))


def clip_upper_w(x, w):
    return np.sum(w * np.clip(x, None, 0.5))


def clip_lower_s(x):
    return np.sum(np.clip(x, -0.5, None))


def clip_lower_w(x, w):
    return np.sum(w * np.clip(x, -0.5, None))


def clip_min_keyword_s(x):
    return np.sum(x.clip(min=-0.5))


def clip_min_keyword_w(x, w):
    return np.sum(w * x.clip(min=-0.5))


def clip_arrays_s(x, lo, hi):
    return np.sum(np.clip(x, lo, hi))


def clip_arrays_w(x, lo, hi, w):
    return np.sum(w * np.clip(x, lo, hi))


def clip_keywords_s(x, lo, hi):
    return np.sum(np.clip(x, min=lo, max=hi))


def clip_keywords_w(x, lo, hi, w):
    return np.sum(w * np.clip(x, min=lo, max=hi))


def clip_method_arrays_s(x, lo, hi):
    return np.sum(x.clip(lo, hi))


def clip_method_arrays_w(x, lo, hi, w):
    return np.sum(w * x.clip(lo, hi))


def sign_mul_s(x):
    return np.sum(np.sign(x) * x)


def sign_mul_w(x, w):
    return np.sum(w * (np.sign(x) * x))


def floor_mul_s(x):
    return np.sum(np.floor(x) * x)


def floor_mul_w(x, w):
    return np.sum(w * (np.floor(x) * x))


def ceil_mul_s(x):
    return np.sum(np.ceil(x) * x)


def ceil_mul_w(x, w):
    return np.sum(w * (np.ceil(x) * x))


def round_mul_s(x):
    return np.sum(np.round(x) * x)


def round_mul_w(x, w):
    return np.sum(w * (np.round(x) * x))


def around_mul_s(x):
    return np.sum(np.around(x) * x)


def around_mul_w(x, w):
    return np.sum(w * (np.around(x) * x))


def round_method_mul_s(x):
    return np.sum(x.round() * x)


def round_method_mul_w(x, w):
    return np.sum(w * (x.round() * x))


def rint_mul_s(x):
    return np.sum(np.rint(x) * x)


def rint_mul_w(x, w):
    return np.sum(w * (np.rint(x) * x))


def trunc_mul_s(x):
    return np.sum(np.trunc(x) * x)


def trunc_mul_w(x, w):
    return np.sum(w * (np.trunc(x) * x))


def fix_mul_s(x):
    return np.sum(np.fix(x) * x)


def fix_mul_w(x, w):
    return np.sum(w * (np.fix(x) * x))


def mod_op_s(x, y):
    return np.sum(x % y)


def mod_op_w(x, y, w):
    return np.sum(w * (x % y))


def remainder_s(x, y):
    return np.sum(np.remainder(x, y))


def remainder_w(x, y, w):
    return np.sum(w * np.remainder(x, y))


def np_mod_s(x, y):
    return np.sum(np.mod(x, y))


def np_mod_w(x, y, w):
    return np.sum(w * np.mod(x, y))


def mod_const_s(x):
    return np.sum(x % 1.5)


def mod_const_w(x, w):
    return np.sum(w * (x % 1.5))


def fmod_s(x, y):
    return np.sum(np.fmod(x, y))


def fmod_w(x, y, w):
    return np.sum(w * np.fmod(x, y))


def fabs_s(x):
    return np.sum(np.fabs(x))


def fabs_w(x, w):
    return np.sum(w * np.fabs(x))


def nan_to_num_s(x):
    return np.sum(np.nan_to_num(x))


def nan_to_num_w(x, w):
    return np.sum(w * np.nan_to_num(x))


def nan_to_num_all_s(x, a, b, c):
    return np.sum(np.nan_to_num(x, nan=a, posinf=b, neginf=c))


def real_s(x):
    return np.sum(np.real(x))


def real_w(x, w):
    return np.sum(w * np.real(x))


def imag_s(x):
    return np.sum(np.imag(x) + x)


def imag_w(x, w):
    return np.sum(w * (np.imag(x) + x))


def conj_s(x):
    return np.sum(np.conj(x))


def conj_w(x, w):
    return np.sum(w * np.conj(x))


def conjugate_s(x):
    return np.sum(np.conjugate(x))


def conjugate_w(x, w):
    return np.sum(w * np.conjugate(x))


def angle_s(x):
    return np.sum(np.angle(x) + x)


def angle_w(x, w):
    return np.sum(w * (np.angle(x) + x))


def angle_deg_s(x):
    return np.sum(np.angle(x, deg=True) * x)


def angle_deg_w(x, w):
    return np.sum(w * (np.angle(x, deg=True) * x))


def real_if_close_s(x):
    return np.sum(np.real_if_close(x))


def real_if_close_w(x, w):
    return np.sum(w * np.real_if_close(x))


# ---------------------------------------------------------------------------------------------
# Domains and argument builders.

UNIT = Domain(-0.9, 0.9)  # arcsin, arccos, arctanh: away from the poles at ±1
ABOVE_ONE = Domain(1.1, 4.0)  # arccosh: away from the pole at 1
ABOVE_MINUS_ONE = Domain(-0.9, 3.0)  # log1p: away from the pole at -1
TAN = Domain(-1.2, 1.2)  # away from tan's poles at ±pi/2
WIDE = Domain(-5.0, 5.0)
NEAR_ZERO = Domain(-0.3, 0.3)  # sinc: its derivative's Taylor series is used within 0.25 of 0
NOT_INTEGER = Domain(avoid=(-2, -1, 0, 1, 2))  # floor, ceil, trunc, fix, int casts
NOT_HALF = Domain(avoid=(-1.5, -0.5, 0.5, 1.5))  # round, rint
AWAY_BOUNDS = Domain(avoid=(-0.5, 0.5))  # clip(x, -0.5, 0.5)
LOWER, UPPER = Domain(-1.5, -0.5), Domain(0.5, 1.5)  # clip's drawn bounds


def clip_args(crossed=False, floats=False):
    """x, lo, hi for `np.clip(x, lo, hi)`: arrays broadcasting together (Python floats if
    `floats`), with `lo < hi` (`lo > hi` if `crossed`) and every `x` 0.02 away from every bound."""
    low, high = (UPPER, LOWER) if crossed else (LOWER, UPPER)

    def args(dtype):
        @st.composite
        def draw(draw):
            xs, ls, hs = draw(broadcastable_shapes(3, max_dims=2), label="shapes").input_shapes
            if floats:
                lo, hi = draw(scalars(low.low, low.high)), draw(scalars(high.low, high.high))
            else:
                lo, hi = (
                    draw(arrays(ls, dtype, low.low, low.high)),
                    draw(arrays(hs, dtype, high.low, high.high)),
                )
            bounds = np.unique(np.concatenate([np.ravel(lo), np.ravel(hi)]))
            return draw(arrays(xs, dtype, -2.0, 2.0, avoid=bounds, margin=0.02)), lo, hi

        return draw()

    return args


def mod_args(dtype):
    """x and y for `x % y`: y broadcasts to x's shape, 0.25 away from 0, and every x / y at least
    0.1 away from an integer (where the remainder jumps)."""

    @st.composite
    def draw(draw):
        xs, ys = draw(broadcastable_shapes(2), label="shapes").input_shapes
        xs = np.broadcast_shapes(xs, ys)
        y = draw(arrays(ys, dtype, -2.0, 2.0, avoid=(0.0,), margin=0.25))
        whole = draw(arrays(xs, np.float64, -3.0, 2.0)).round()
        fraction = draw(arrays(xs, np.float64, 0.1, 0.9))
        return ((whole + fraction) * y).astype(dtype), y

    return draw()


NOT_MULTIPLE = Domain(avoid=(-1.5, 0.0, 1.5))  # x % 1.5 jumps at the multiples of 1.5
XY, YX, XA, AX = ("x", "y"), ("y", "x"), ("x", "a"), ("a", "x")
BOUNDS = ("x", "lo", "hi")
FLT, ARR = ("float", REAL), ("array", REAL)
_bin = broadcasting(REAL, REAL)
_apart = broadcasting(REAL, REAL, apart=0.02)  # fmax, fmin: y avoids every value of x

# fmt: off
SPECS = [
    # row(test id, rule name, functions <name>_s/_w, op[, wrt][, args])
    # unary
    row("exp2", "exp2", "exp2", np.exp2),
    row("expm1", "expm1", "expm1", np.expm1),
    row("expm1-pyfloat", "expm1", "expm1", np.expm1, args=unary(pyfloat=True)),
    row("log2", "log2", "log2", np.log2, args=unary(POSITIVE)),
    row("log10", "log10", "log10", np.log10, args=unary(POSITIVE)),
    row("log1p", "log1p", "log1p", np.log1p, args=unary(ABOVE_MINUS_ONE)),
    row("cbrt", "cbrt", "cbrt", np.cbrt, args=unary(NONZERO)),
    row("reciprocal", "reciprocal", "reciprocal", np.reciprocal, args=unary(NONZERO)),
    row("tan", "tan", "tan", np.tan, args=unary(TAN)),
    row("arcsin", "arcsin", "arcsin", np.arcsin, args=unary(UNIT)),
    row("arccos", "arccos", "arccos", np.arccos, args=unary(UNIT)),
    row("arctan", "arctan", "arctan", np.arctan, args=unary(WIDE)),
    row("sinh", "sinh", "sinh", np.sinh),
    row("cosh", "cosh", "cosh", np.cosh),
    row("arcsinh", "arcsinh", "arcsinh", np.arcsinh, args=unary(WIDE)),
    row("arcsinh-pyfloat", "arcsinh", "arcsinh", np.arcsinh, args=unary(pyfloat=True)),
    row("arccosh", "arccosh", "arccosh", np.arccosh, args=unary(ABOVE_ONE)),
    row("arctanh", "arctanh", "arctanh", np.arctanh, args=unary(UNIT)),
    row("sinc", "sinc", "sinc", np.sinc),
    row("sinc-near-0", "sinc", "sinc", np.sinc, args=unary(NEAR_ZERO)),
    row("sinc-pyfloat", "sinc", "sinc", np.sinc, args=unary(pyfloat=True)),
    row("deg2rad", "deg2rad", "deg2rad", np.deg2rad),
    row("radians", "deg2rad", "radians", np.radians),
    row("rad2deg", "rad2deg", "rad2deg", np.rad2deg),
    row("degrees", "rad2deg", "degrees", np.degrees),
    row("np.absolute", "absolute", "absolute", np.absolute, args=unary(NONZERO)),
    row("np.copy", "copy", "np_copy", np.copy),
    row("np.array", "array", "np_array", np.array),
    row("np.asarray", "asarray", "np_asarray", np.asarray),
    row("x.copy()", "copy", "copy_method", np.copy),
    row("x.astype(float64).astype(x.dtype)", "astype", "astype_roundtrip", lambda x: x),
    row("x.astype(int16)*x", "astype", "astype_int16",
        lambda x: x.astype(np.int16) * x, args=unary(NOT_INTEGER)),
    row("x.astype(bool)*x", "astype", "astype_bool", lambda x: x.astype(bool) * x, args=unary(NONZERO)),
    # binary, broadcasting
    # y kept off 0: arctan2 jumps by 2*pi across the negative x axis
    row("arctan2", "arctan2", "arctan2", np.arctan2, YX, broadcasting(NONZERO, REAL)),
    row("arctan2(float,x)", "arctan2", "arctan2_float", np.arctan2, AX, mixed(("float", NONZERO), ARR)),
    row("hypot", "hypot", "hypot", np.hypot, XY, broadcasting(NONZERO, REAL)),
    row("hypot(x,float)", "hypot", "hypot_float", np.hypot, XA, mixed(("array", NONZERO), FLT)),
    row("logaddexp", "logaddexp", "logaddexp", np.logaddexp, XY, _bin),
    row("logaddexp(x,0.5)", "logaddexp", "logaddexp_const", lambda x: np.logaddexp(x, 0.5)),
    row("logaddexp2", "logaddexp2", "logaddexp2", np.logaddexp2, XY, _bin),
    row("fmax", "fmax", "fmax", np.fmax, XY, _apart),
    row("fmin", "fmin", "fmin", np.fmin, XY, _apart),
    row("float_power", "float_power", "float_power", np.float_power, XY, broadcasting(BASE, REAL)),
    row("float_power(x,3.0)", "float_power", "float_power_const", lambda x: np.float_power(x, 3.0)),
    # clip: literal bounds, None, keywords, the method, differentiated bounds, crossed bounds
    row("clip(x,-0.5,0.5)", "clip", "clip_literal", lambda x: np.clip(x, -0.5, 0.5), args=unary(AWAY_BOUNDS)),
    row("x.clip(-0.5,0.5)", "clip", "clip_method", lambda x: np.clip(x, -0.5, 0.5), args=unary(AWAY_BOUNDS)),
    row("clip(x,None,0.5)", "clip", "clip_upper", lambda x: np.clip(x, None, 0.5), args=unary(AWAY_BOUNDS)),
    row("clip(x,-0.5,None)", "clip", "clip_lower", lambda x: np.clip(x, -0.5, None), args=unary(AWAY_BOUNDS)),
    row("x.clip(min=-0.5)", "clip", "clip_min_keyword", lambda x: np.clip(x, -0.5, None),
        args=unary(AWAY_BOUNDS)),
    row("clip(x,lo,hi)", "clip", "clip_arrays", np.clip, BOUNDS, clip_args()),
    row("clip(x,lo,hi)-crossed", "clip", "clip_arrays", np.clip, BOUNDS, clip_args(crossed=True)),
    row("clip(x,float,float)", "clip", "clip_arrays", np.clip, BOUNDS, clip_args(floats=True)),
    row("clip(x,min=lo,max=hi)", "clip", "clip_keywords", np.clip, BOUNDS, clip_args()),
    row("x.clip(lo,hi)", "clip", "clip_method_arrays", np.clip, BOUNDS, clip_args()),
    # no gradient through rounding: d/dx (op(x) * x) is op(x)
    row("sign(x)*x", "multiply", "sign_mul", lambda x: np.sign(x) * x, args=unary(NONZERO)),
    row("floor(x)*x", "multiply", "floor_mul", lambda x: np.floor(x) * x, args=unary(NOT_INTEGER)),
    row("ceil(x)*x", "multiply", "ceil_mul", lambda x: np.ceil(x) * x, args=unary(NOT_INTEGER)),
    row("round(x)*x", "multiply", "round_mul", lambda x: np.round(x) * x, args=unary(NOT_HALF)),
    row("around(x)*x", "multiply", "around_mul", lambda x: np.around(x) * x, args=unary(NOT_HALF)),
    row("x.round()*x", "multiply", "round_method_mul", lambda x: np.round(x) * x, args=unary(NOT_HALF)),
    row("rint(x)*x", "multiply", "rint_mul", lambda x: np.rint(x) * x, args=unary(NOT_HALF)),
    row("trunc(x)*x", "multiply", "trunc_mul", lambda x: np.trunc(x) * x, args=unary(NOT_INTEGER)),
    row("fix(x)*x", "multiply", "fix_mul", lambda x: np.fix(x) * x, args=unary(NOT_INTEGER)),
    # remainders: slope 1 in x, minus the quotient in y, away from the jumps
    row("x%y", "remainder", "mod_op", lambda x, y: x % y, XY, mod_args),
    row("np.remainder", "remainder", "remainder", np.remainder, XY, mod_args),
    row("np.mod", "remainder", "np_mod", np.mod, XY, mod_args),
    row("x%1.5", "remainder", "mod_const", lambda x: x % 1.5, args=unary(NOT_MULTIPLE)),
    row("x%1.5-pyfloat", "remainder", "mod_const", lambda x: x % 1.5, args=unary(NOT_MULTIPLE, pyfloat=True)),
    row("np.fmod", "fmod", "fmod", np.fmod, XY, mod_args),
    row("np.fabs", "absolute", "fabs", np.fabs, args=unary(NONZERO)),
    row("nan_to_num", "nan_to_num", "nan_to_num", np.nan_to_num),
    # complex parts of real values
    row("np.real", "real", "real", np.real),
    row("np.conj", "real", "conj", np.conj),
    row("np.conjugate", "real", "conjugate", np.conjugate),
    row("np.imag", "imag", "imag", lambda x: np.imag(x) + x),
    row("np.angle", "angle", "angle", lambda x: np.angle(x) + x, args=unary(NONZERO)),
    row("np.angle-deg", "angle", "angle_deg", lambda x: np.angle(x, deg=True) * x, args=unary(NONZERO)),
    row("np.real_if_close", "real_if_close", "real_if_close", np.real_if_close),
]
# fmt: on

define_tests(SPECS, globals())

# ---------------------------------------------------------------------------------------------
# Values at 0, ±1, large and infinite inputs: what each rule's comment promises.

INF, NAN, LN2, LN10 = np.inf, np.nan, math.log(2), math.log(10)

# name: (function, wrt, arguments, expected gradients), one list per parameter, elementwise
# fmt: off
SPECIAL = {
    "exp2": (exp2_s, "x", [[0.0, 1.0, -2000.0, -INF]], [[LN2, 2 * LN2, 0.0, 0.0]]),
    "expm1": (expm1_s, "x", [[0.0, -1e3, -INF]], [[1.0, 0.0, 0.0]]),
    "log2": (log2_s, "x", [[1.0, 0.0, INF]], [[1 / LN2, INF, 0.0]]),
    "log10": (log10_s, "x", [[1.0, 0.0, INF]], [[1 / LN10, INF, 0.0]]),
    "log1p": (log1p_s, "x", [[0.0, -1.0, 1e300, INF]], [[1.0, INF, 1e-300, 0.0]]),
    "cbrt": (cbrt_s, "x", [[1.0, -1.0, 8.0, 0.0, 1e300, INF]],
             [[1 / 3, 1 / 3, 1 / 12, INF, 1e-200 / 3, 0.0]]),
    "reciprocal": (reciprocal_s, "x", [[1.0, -2.0, 0.0, INF]], [[-1.0, -0.25, -INF, 0.0]]),
    "tan": (tan_s, "x", [[0.0, math.pi / 4]], [[1.0, 2.0]]),
    "arcsin": (arcsin_s, "x", [[0.0, 0.5, 1.0, -1.0]], [[1.0, 1 / math.sqrt(0.75), INF, INF]]),
    "arccos": (arccos_s, "x", [[0.0, 1.0, -1.0]], [[-1.0, -INF, -INF]]),
    "arctan": (arctan_s, "x", [[0.0, 1.0, 1e200, -INF]], [[1.0, 0.5, 0.0, 0.0]]),
    "sinh": (sinh_s, "x", [[0.0]], [[1.0]]),
    "cosh": (cosh_s, "x", [[0.0, 1.0, -1.0]], [[0.0, math.sinh(1), -math.sinh(1)]]),
    "arcsinh": (arcsinh_s, "x", [[0.0, 1e300, -1e300, INF]], [[1.0, 1e-300, 1e-300, 0.0]]),
    "arccosh": (arccosh_s, "x", [[1.0, 2.0, 1e300, INF]], [[INF, 1 / math.sqrt(3), 1e-300, 0.0]]),
    "arctanh": (arctanh_s, "x", [[0.0, 0.5, 1.0, -1.0]], [[1.0, 4 / 3, INF, INF]]),
    "sinc": (sinc_s, "x", [[0.0, 1.0, -1.0, 0.5, 1e-20]],
             [[0.0, -1.0, 1.0, -4 / math.pi, -math.pi**2 * 1e-20 / 3]]),
    "deg2rad": (deg2rad_s, "x", [[0.0, 1e300]], [[math.pi / 180] * 2]),
    "rad2deg": (rad2deg_s, "x", [[0.0, 1e300]], [[180 / math.pi] * 2]),
    "absolute": (absolute_s, "x", [[0.0, -2.0, 3.0]], [[0.0, -1.0, 1.0]]),
    # at 1e3, exp(x) / (exp(x) + exp(y)) would be inf / inf
    "logaddexp": (logaddexp_s, XY, [[1e3, 1e3, -1e3, 0.0, 0.0, INF], [1e3, 0.0, -1e3, -INF, 1e3, 0.0]],
                  [[0.5, 1.0, 0.5, 1.0, 0.0, NAN], [0.5, 0.0, 0.5, 0.0, 1.0, 0.0]]),
    "logaddexp2": (logaddexp2_s, XY, [[1e3, 1e3, -1e3, 0.0, 0.0, INF], [1e3, 0.0, -1e3, -INF, 1e3, 0.0]],
                   [[0.5, 1.0, 0.5, 1.0, 2.0**-1000, NAN], [0.5, 2.0**-1000, 0.5, 0.0, 1.0, 0.0]]),
    "hypot": (hypot_s, XY, [[0.0, 3.0, 1e300, -1e200], [0.0, 4.0, 1e300, 0.0]],
              [[0.0, 0.6, 0.5**0.5, -1.0], [0.0, 0.8, 0.5**0.5, 0.0]]),
    "arctan2": (arctan2_s, YX, [[0.0, 1.0, 1e300, -2.0, 0.0], [1.0, 0.0, 1e300, 0.0, 0.0]],
                [[1.0, 0.0, 0.5e-300, 0.0, NAN], [0.0, -1.0, -0.5e-300, 0.5, NAN]]),
    "fmax": (fmax_s, XY, [[1.0, NAN, 2.0, 1.0, NAN], [NAN, 1.0, 2.0, 3.0, NAN]],
             [[1.0, 0.0, 1.0, 0.0, 1.0], [0.0, 1.0, 0.0, 1.0, 0.0]]),
    "fmin": (fmin_s, XY, [[1.0, NAN, 2.0, 3.0, NAN], [NAN, 1.0, 2.0, 1.0, NAN]],
             [[1.0, 0.0, 1.0, 0.0, 1.0], [0.0, 1.0, 0.0, 1.0, 0.0]]),
    # at x == 0: 0 in y for y > 0 (0 ** y is 0), 0 in x for y == 0 (x ** 0 is 1), inf for 0 < y < 1
    "power": (power_s, XY, [[2.0, 0.0, 0.0, 0.0], [3.0, 2.0, 0.0, 0.5]],
              [[12.0, 0.0, 0.0, INF], [8 * LN2, 0.0, 0.0, 0.0]]),
    "float_power": (float_power_s, XY, [[2.0, 0.0, 0.0], [3.0, 2.0, 0.0]],
                    [[12.0, 0.0, 0.0], [8 * LN2, 0.0, 0.0]]),
    # at a bound all of g goes to x; with crossed bounds (lo > hi), to hi
    "clip": (clip_arrays_s, BOUNDS,
             [[-1.0, 1.0, 0.0, -2.0, 2.0, 0.5], [-1.0] * 5 + [1.0], [1.0] * 5 + [-1.0]],
             [[1.0, 1.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
              [0.0, 0.0, 0.0, 0.0, 1.0, 1.0]]),
    "clip-literal": (clip_literal_s, "x", [[-0.5, 0.5, 0.0, -INF, INF]], [[1.0, 1.0, 1.0, 0.0, 0.0]]),
    "astype(int16)": (astype_int16_s, "x", [[0.5, 1.5, -2.5, 2.0]], [[0.0, 1.0, -2.0, 2.0]]),
    "astype(bool)": (astype_bool_s, "x", [[0.0, 2.0, -1.0]], [[0.0, 1.0, 1.0]]),
}
# fmt: on


def power_of_floats(x, y):
    return x**y


def test_power_at_zero_on_python_floats():
    # Python's 0.0 ** -1.0 raises ZeroDivisionError: the derivative in x at y == 0 must not
    # compute it (autograd's test_power_arg0 differentiates x ** 0.0 at x == 0.0)
    assert srcgrad.grad(power_of_floats, wrt=("x", "y"), with_value=False)(0.0, 0.0) == (0.0, 0.0)
    assert srcgrad.grad(power_of_floats, wrt=("x", "y"), with_value=False)(0.0, 2.0) == (0.0, 0.0)
    value, tangent = srcgrad.jvp(power_of_floats, wrt=("x", "y"))(0.0, 0.0, 1.0, 1.0)
    assert (value, tangent) == (1.0, 0.0)


@pytest.mark.parametrize("name", list(SPECIAL))
def test_special_values(name):
    f, wrt, args, expected = SPECIAL[name]
    wrt = wrt if isinstance(wrt, tuple) else (wrt,)
    with np.errstate(all="ignore"):
        grads = srcgrad.grad(f, wrt=wrt, with_value=False)(*[np.array(a) for a in args])
    for param, gradient, want in zip(wrt, grads, expected):
        np.testing.assert_allclose(gradient, want, rtol=1e-12, atol=0, err_msg=f"d{param} of {name}")


def rounding_s(x):
    return np.sum(
        np.sign(x)
        + np.floor(x)
        + np.ceil(x)
        + np.round(x)
        + x.round()
        + np.around(x)
        + np.rint(x)
        + np.trunc(x)
        + np.fix(x)
    )


# integers and half-integers are where the rounding functions jump
POINTS = [-2.5, -1.0, -0.5, -0.0, 0.0, 0.3, 0.5, 1.0, 1.5, 2.0, 1e300]


def test_rounding_carries_exactly_zero_gradient():
    x = np.array([-INF, *POINTS, INF])
    with np.errstate(invalid="ignore"):  # the value is inf - inf
        dx = srcgrad.grad(rounding_s, with_value=False)(x)
    np.testing.assert_array_equal(dx, np.zeros_like(x))


@pytest.mark.parametrize(
    "op, f",
    [
        (np.sign, sign_mul_s),
        (np.floor, floor_mul_s),
        (np.ceil, ceil_mul_s),
        (np.round, round_mul_s),
        (np.around, around_mul_s),
        (np.round, round_method_mul_s),
        (np.rint, rint_mul_s),
        (np.trunc, trunc_mul_s),
        (np.fix, fix_mul_s),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_rounding_times_x_has_gradient_exactly_op_of_x(op, f):
    x = np.array(POINTS)
    with np.errstate(over="ignore"):  # the value overflows at 1e300
        dx = srcgrad.grad(f, with_value=False)(x)
    np.testing.assert_array_equal(dx, op(x))


def test_absolute_is_abs():
    assert np.absolute is np.abs  # so it has abs's rule, and no rule of its own to register


def astype_f32_s(x):
    return np.sum(x.astype("float32") * 2.0)


def test_astype_passes_the_gradient_back_in_the_dtype_of_x():
    dx = srcgrad.grad(astype_f32_s, with_value=False)(np.array([1.0, 1e30]))
    assert dx.dtype == np.float64
    np.testing.assert_array_equal(dx, [2.0, 2.0])
    assert uncast(np.ones(2, np.float32), np.zeros(2), np.float32).dtype == np.float64
    assert uncast(np.ones(2), np.zeros(2, np.float32), np.float64).dtype == np.float32
    assert uncast(np.ones(2, complex), np.zeros(2), complex).dtype == np.float64
    zero = uncast(np.ones(2), np.zeros(2), np.int32)
    assert zero.dtype == np.float64 and not zero.any()
    assert not uncast(np.ones(2), np.zeros(2, np.float32), bool).any()


# ---------------------------------------------------------------------------------------------
# Remainders, absolute values, nan_to_num and the complex parts at their jumps, kinks and special
# values, in both modes (the tangent is the gradient's dot product with the direction there too).


def test_remainder_at_its_jumps_takes_the_piece_of_its_value():
    x, y = np.array([3.0, -3.0, 0.0, 1.5, 2.0]), np.array([1.5, 1.5, 2.0, -1.5, 0.7])
    quotient = np.floor_divide(x, y)  # [2, -2, 0, -1, 2]: the value is x - y * quotient
    np.testing.assert_array_equal(np.remainder(x, y), x - y * quotient)
    for f in (mod_op_s, remainder_s, np_mod_s):
        check_both_modes(f, (x, y), XY, [np.ones(5), -quotient])
    check_both_modes(mod_const_s, (np.array([-1.5, 0.0, 3.0]),), ("x",), [np.ones(3)])


def test_fmod_at_its_jumps_takes_the_piece_of_its_value():
    x, y = np.array([3.0, -3.0, 0.0, 1.5, -2.0]), np.array([1.5, 1.5, 2.0, -1.5, 0.7])
    quotient = np.trunc(x / y)  # [2, -2, 0, -1, -2]
    np.testing.assert_array_equal(np.fmod(x, y), x - y * quotient)
    check_both_modes(fmod_s, (x, y), XY, [np.ones(5), -quotient])


def test_fabs_at_zero_is_zero():
    check_both_modes(fabs_s, (np.array([0.0, -0.0, -2.0, 3.0]),), ("x",), [[0.0, 0.0, -1.0, 1.0]])


def test_nan_to_num_sends_the_gradient_of_a_replaced_element_to_its_replacement():
    x = np.array([1.0, NAN, INF, -INF, -2.0, NAN])
    expected = [[1.0, 0.0, 0.0, 0.0, 1.0, 0.0], 2.0, 1.0, 1.0]
    check_both_modes(nan_to_num_all_s, (x, 0.5, 1e3, -1e3), ("x", "a", "b", "c"), expected)
    check_both_modes(nan_to_num_s, (x,), ("x",), [expected[0]])


def test_complex_parts_of_real_values():
    x = np.array([-2.0, -0.0, 0.0, 1.5])
    for f in (real_s, conj_s, conjugate_s, real_if_close_s):
        check_both_modes(f, (x,), ("x",), [np.ones(4)])
    check_both_modes(imag_s, (x,), ("x",), [np.ones(4)])  # imag's part is 0
    check_both_modes(angle_s, (x,), ("x",), [np.ones(4)])  # 0 at the jump at 0 too
    check_both_modes(angle_deg_s, (x,), ("x",), [np.angle(x, deg=True)])


def test_complex_parts_of_complex_values():
    """On complex values made inside the function, the parts' own rules (rules/numpy/fft.py):
    Re(x (1 + 2i)) = x, Im(x (1 + 2i)) = 2x, angle(x + 2i) = atan2(2, x), |conj(z)| = |z|."""
    x = np.array([0.5, -1.5])
    check_both_modes(complex_real_s, (x,), ("x",), [np.ones(2)])
    check_both_modes(complex_imag_s, (x,), ("x",), [2 * np.ones(2)])
    check_both_modes(complex_angle_s, (x,), ("x",), [-2 / (x**2 + 4)])
    check_both_modes(complex_conj_abs_s, (x,), ("x",), [x / np.sqrt(x**2 + 4)])


def complex_real_s(x):
    return np.sum(np.real(x * (1.0 + 2.0j)))


def complex_imag_s(x):
    return np.sum((x * (1.0 + 2.0j)).imag)


def complex_angle_s(x):
    return np.sum(np.angle(x + 2j))


def complex_conj_abs_s(x):
    return np.sum(np.abs(np.conj(x + 2j)))


# ---------------------------------------------------------------------------------------------
# Small programs using each function, through grad and jvp.


def program_mod(x, y):
    phase = (x * 3.0) % y
    return np.sum(np.sin(phase) * np.fmod(x, 0.7) + np.mod(x, 1.3) ** 2)


def program_fabs_nan_to_num(x, c):
    masked = np.where(x > 0, np.fabs(x) ** 1.5, np.nan)  # nan where x < 0, replaced by c there
    return np.sum(np.nan_to_num(masked, nan=c) * x + np.fabs(x - 0.5))


def program_complex_parts(x):
    y = np.real(x) * np.conj(x) + np.imag(x) + np.angle(x)
    return np.sum(np.real_if_close(y * np.conjugate(x)))


PROGRAMS = {
    "mod": (program_mod, (np.array([0.35, 1.2, -0.8, 2.3]), np.array([1.1, 0.9, 1.7, 1.3])), XY),
    "fabs-nan_to_num": (program_fabs_nan_to_num, (np.array([0.7, -1.3, 2.1, -0.7]), 0.3), ("x", "c")),
    "complex-parts": (program_complex_parts, (np.array([0.5, -1.3, 2.1]),), ("x",)),
}


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_program(name):
    f, args, wrt = PROGRAMS[name]
    with np.errstate(all="ignore"):
        check_program(f, args, wrt)
