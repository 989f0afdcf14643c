"""Every reverse-mode rule against finite differences, one table row per use of a rule.

In the style of JAX's lax_autodiff_test: `SPECS` lists, for each rule of `srcgrad.rules`, small
module-level functions that use it, which of their parameters are differentiated, and how to
draw the arguments (shapes and broadcasting, a domain such as positive numbers for `log`, kinks
to keep away from). Each row is checked with `srcgrad.testing.check_grads` under hypothesis in
two forms, because the generator handles them differently:

- seed: `np.sum(op(x))`, where the gradient arriving at `op` is the scalar seed that the
  generator folds into the rule (`fill(1.0, x)` disappears);
- weighted: `np.sum(w * op(x))` with `w` a random array of the result's shape, not
  differentiated, so that the rule gets a real array gradient.

Every row is also run in float32, where the gradients must come back float32, and through
forward mode: `srcgrad.jvp` of the operation in a random direction `v` must give a tangent of the
value's shape whose dot product with `w` is `<gradient, v>` (test_rule_jvp). Meta-tests fail when
a rule registered in `srcgrad.rules.ADJOINTS` has no row, or no tangent rule.
"""

from __future__ import annotations

import importlib
import itertools
import pathlib

import numpy as np
import pytest
from rulespec import *  # noqa: F403  (domains and argument builders, used by the rows)
from rulespec import _grad, define_tests, rows

import srcgrad
import srcgrad.rules

row = rows(globals())

# ---------------------------------------------------------------------------------------------
# The functions under test: module-level, as srcgrad reads their source. `<name>_s` is the seed
# form `np.sum(op(...))`, `<name>_w` the weighted form `np.sum(w * op(...))`.

# Unary elementwise.


def neg_s(x):
    return np.sum(-x)


def neg_w(x, w):
    return np.sum(w * -x)


def negative_s(x):
    return np.sum(np.negative(x))


def negative_w(x, w):
    return np.sum(w * np.negative(x))


def pos_s(x):
    return np.sum(+x)


def pos_w(x, w):
    return np.sum(w * +x)


def positive_s(x):
    return np.sum(np.positive(x))


def positive_w(x, w):
    return np.sum(w * np.positive(x))


def exp_s(x):
    return np.sum(np.exp(x))


def exp_w(x, w):
    return np.sum(w * np.exp(x))


def log_s(x):
    return np.sum(np.log(x))


def log_w(x, w):
    return np.sum(w * np.log(x))


def tanh_s(x):
    return np.sum(np.tanh(x))


def tanh_w(x, w):
    return np.sum(w * np.tanh(x))


def sin_s(x):
    return np.sum(np.sin(x))


def sin_w(x, w):
    return np.sum(w * np.sin(x))


def cos_s(x):
    return np.sum(np.cos(x))


def cos_w(x, w):
    return np.sum(w * np.cos(x))


def sqrt_s(x):
    return np.sum(np.sqrt(x))


def sqrt_w(x, w):
    return np.sum(w * np.sqrt(x))


def square_s(x):
    return np.sum(np.square(x))


def square_w(x, w):
    return np.sum(w * np.square(x))


def abs_s(x):
    return np.sum(np.abs(x))


def abs_w(x, w):
    return np.sum(w * np.abs(x))


def builtin_abs_s(x):
    return np.sum(abs(x))


def builtin_abs_w(x, w):
    return np.sum(w * abs(x))


def exp_chain_s(x):
    return np.sum(np.exp(np.sin(x)))


def exp_chain_w(x, w):
    return np.sum(w * np.exp(np.sin(x)))


# Binary, broadcasting.


def add_s(x, y):
    return np.sum(x + y)


def add_w(x, y, w):
    return np.sum(w * (x + y))


def np_add_s(x, y):
    return np.sum(np.add(x, y))


def np_add_w(x, y, w):
    return np.sum(w * np.add(x, y))


def sub_s(x, y):
    return np.sum(x - y)


def sub_w(x, y, w):
    return np.sum(w * (x - y))


def np_subtract_s(x, y):
    return np.sum(np.subtract(x, y))


def np_subtract_w(x, y, w):
    return np.sum(w * np.subtract(x, y))


def mul_s(x, y):
    return np.sum(x * y)


def mul_w(x, y, w):
    return np.sum(w * (x * y))


def np_multiply_s(x, y):
    return np.sum(np.multiply(x, y))


def np_multiply_w(x, y, w):
    return np.sum(w * np.multiply(x, y))


def div_s(x, y):
    return np.sum(x / y)


def div_w(x, y, w):
    return np.sum(w * (x / y))


def np_divide_s(x, y):
    return np.sum(np.divide(x, y))


def np_divide_w(x, y, w):
    return np.sum(w * np.divide(x, y))


def pow_s(x, y):
    return np.sum(x**y)


def pow_w(x, y, w):
    return np.sum(w * x**y)


def np_power_s(x, y):
    return np.sum(np.power(x, y))


def np_power_w(x, y, w):
    return np.sum(w * np.power(x, y))


def maximum_s(x, y):
    return np.sum(np.maximum(x, y))


def maximum_w(x, y, w):
    return np.sum(w * np.maximum(x, y))


def minimum_s(x, y):
    return np.sum(np.minimum(x, y))


def minimum_w(x, y, w):
    return np.sum(w * np.minimum(x, y))


def where_s(c, x, y):
    return np.sum(np.where(c, x, y))


def where_w(c, x, y, w):
    return np.sum(w * np.where(c, x, y))


def leaky_relu_s(x):
    return np.sum(np.where(x > 0, x, 0.1 * x))


def leaky_relu_w(x, w):
    return np.sum(w * np.where(x > 0, x, 0.1 * x))


def same_operand_s(x):
    return np.sum(x * x + x / (x * x + 1.0))


def same_operand_w(x, w):
    return np.sum(w * (x * x + x / (x * x + 1.0)))


# Python-float constants in the source.


def const_mul_left_s(x):
    return np.sum(2.5 * x)


def const_mul_left_w(x, w):
    return np.sum(w * (2.5 * x))


def const_mul_right_s(x):
    return np.sum(x * 2.5)


def const_mul_right_w(x, w):
    return np.sum(w * (x * 2.5))


def const_add_s(x):
    return np.sum(x + 1.5)


def const_add_w(x, w):
    return np.sum(w * (x + 1.5))


def const_rsub_s(x):
    return np.sum(1.5 - x)


def const_rsub_w(x, w):
    return np.sum(w * (1.5 - x))


def const_div_s(x):
    return np.sum(x / 2.5)


def const_div_w(x, w):
    return np.sum(w * (x / 2.5))


def const_rdiv_s(x):
    return np.sum(2.5 / x)


def const_rdiv_w(x, w):
    return np.sum(w * (2.5 / x))


def const_cube_s(x):
    return np.sum(x**3.0)


def const_cube_w(x, w):
    return np.sum(w * x**3.0)


def const_int_square_s(x):
    return np.sum(x**2)


def const_int_square_w(x, w):
    return np.sum(w * x**2)


def const_rpow_s(x):
    return np.sum(2.0**x)


def const_rpow_w(x, w):
    return np.sum(w * 2.0**x)


def const_maximum_s(x):
    return np.sum(np.maximum(x, 0.5))


def const_maximum_w(x, w):
    return np.sum(w * np.maximum(x, 0.5))


def const_minimum_s(x):
    return np.sum(np.minimum(0.5, x))


def const_minimum_w(x, w):
    return np.sum(w * np.minimum(0.5, x))


# A Python float as a differentiated argument.


def float_mul_s(a, x):
    return np.sum(a * x)


def float_mul_w(a, x, w):
    return np.sum(w * (a * x))


def float_sub_s(x, a):
    return np.sum(x - a)


def float_sub_w(x, a, w):
    return np.sum(w * (x - a))


def float_add_s(a, x):
    return np.sum(a + x)


def float_add_w(a, x, w):
    return np.sum(w * (a + x))


def float_div_s(x, a):
    return np.sum(x / a)


def float_div_w(x, a, w):
    return np.sum(w * (x / a))


def float_pow_s(x, a):
    return np.sum(x**a)


def float_pow_w(x, a, w):
    return np.sum(w * x**a)


def float_rpow_s(a, x):
    return np.sum(a**x)


def float_rpow_w(a, x, w):
    return np.sum(w * a**x)


def float_maximum_s(a, x):
    return np.sum(np.maximum(a, x))


def float_maximum_w(a, x, w):
    return np.sum(w * np.maximum(a, x))


def float_minimum_s(x, a):
    return np.sum(np.minimum(x, a))


def float_minimum_w(x, a, w):
    return np.sum(w * np.minimum(x, a))


def float_where_s(c, a, x):
    return np.sum(np.where(c, a, x))


def float_where_w(c, a, x, w):
    return np.sum(w * np.where(c, a, x))


def float_only_s(a, b):
    return a * b + a / b - b**2.0


# Reductions. `np.sum(op(x))` of a full reduction is the reduction itself.


def sum_all_s(x):
    return np.sum(x)


def sum_all_w(x, w):
    return np.sum(w * np.sum(x))


def sum_axis0_s(x):
    return np.sum(np.sum(x, axis=0))


def sum_axis0_w(x, w):
    return np.sum(w * np.sum(x, axis=0))


def sum_axis_neg_s(x):
    return np.sum(np.sum(x, axis=-1))


def sum_axis_neg_w(x, w):
    return np.sum(w * np.sum(x, axis=-1))


def sum_axis_tuple_s(x):
    return np.sum(np.sum(x, axis=(0, -1)))


def sum_axis_tuple_w(x, w):
    return np.sum(w * np.sum(x, axis=(0, -1)))


def sum_keepdims_s(x):
    return np.sum(np.sum(x, axis=1, keepdims=True))


def sum_keepdims_w(x, w):
    return np.sum(w * np.sum(x, axis=1, keepdims=True))


def sum_all_keepdims_s(x):
    return np.sum(np.sum(x, keepdims=True))


def sum_all_keepdims_w(x, w):
    return np.sum(w * np.sum(x, keepdims=True))


def sum_positional_s(x):
    return np.sum(np.sum(x, 0))


def sum_positional_w(x, w):
    return np.sum(w * np.sum(x, 0))


def sum_method_s(x):
    return x.sum()


def sum_method_w(x, w):
    return np.sum(w * x.sum())


def sum_method_axis_s(x):
    return np.sum(x.sum(axis=-2, keepdims=True))


def sum_method_axis_w(x, w):
    return np.sum(w * x.sum(axis=-2, keepdims=True))


def sum_var_s(x, axis, keepdims):
    return np.sum(np.sum(x, axis=axis, keepdims=keepdims))


def sum_var_w(x, axis, keepdims, w):
    return np.sum(w * np.sum(x, axis=axis, keepdims=keepdims))


def mean_all_s(x):
    return np.mean(x)


def mean_all_w(x, w):
    return np.sum(w * np.mean(x))


def mean_axis0_s(x):
    return np.sum(np.mean(x, axis=0))


def mean_axis0_w(x, w):
    return np.sum(w * np.mean(x, axis=0))


def mean_axis_neg_s(x):
    return np.sum(np.mean(x, axis=-1))


def mean_axis_neg_w(x, w):
    return np.sum(w * np.mean(x, axis=-1))


def mean_axis_tuple_s(x):
    return np.sum(np.mean(x, axis=(0, -1)))


def mean_axis_tuple_w(x, w):
    return np.sum(w * np.mean(x, axis=(0, -1)))


def mean_keepdims_s(x):
    return np.sum(np.mean(x, axis=1, keepdims=True))


def mean_keepdims_w(x, w):
    return np.sum(w * np.mean(x, axis=1, keepdims=True))


def mean_all_keepdims_s(x):
    return np.sum(np.mean(x, keepdims=True))


def mean_all_keepdims_w(x, w):
    return np.sum(w * np.mean(x, keepdims=True))


def mean_method_s(x):
    return x.mean()


def mean_method_w(x, w):
    return np.sum(w * x.mean())


def mean_method_axis_s(x):
    return np.sum(x.mean(axis=-2, keepdims=True))


def mean_method_axis_w(x, w):
    return np.sum(w * x.mean(axis=-2, keepdims=True))


def mean_var_s(x, axis, keepdims):
    return np.sum(np.mean(x, axis=axis, keepdims=keepdims))


def mean_var_w(x, axis, keepdims, w):
    return np.sum(w * np.mean(x, axis=axis, keepdims=keepdims))


# Linear algebra.


def matmul_s(x, y):
    return np.sum(x @ y)


def matmul_w(x, y, w):
    return np.sum(w * (x @ y))


def np_matmul_s(x, y):
    return np.sum(np.matmul(x, y))


def np_matmul_w(x, y, w):
    return np.sum(w * np.matmul(x, y))


def dot_s(x, y):
    return np.sum(np.dot(x, y))


def dot_w(x, y, w):
    return np.sum(w * np.dot(x, y))


def dot_method_s(x, y):
    return np.sum(x.dot(y))


def dot_method_w(x, y, w):
    return np.sum(w * x.dot(y))


# Shape.


def T_s(x):
    return np.sum(x.T)


def T_w(x, w):
    return np.sum(w * x.T)


def transpose_s(x):
    return np.sum(np.transpose(x))


def transpose_w(x, w):
    return np.sum(w * np.transpose(x))


def transpose_axes_s(x):
    return np.sum(np.transpose(x, (1, 2, 0)))


def transpose_axes_w(x, w):
    return np.sum(w * np.transpose(x, (1, 2, 0)))


def transpose_negative_axes_s(x):
    return np.sum(np.transpose(x, (-1, 0, 1)))


def transpose_negative_axes_w(x, w):
    return np.sum(w * np.transpose(x, (-1, 0, 1)))


def transpose_var_s(x, axes):
    return np.sum(np.transpose(x, axes))


def transpose_var_w(x, axes, w):
    return np.sum(w * np.transpose(x, axes))


def transpose_method_s(x):
    return np.sum(x.transpose())


def transpose_method_w(x, w):
    return np.sum(w * x.transpose())


def transpose_method_args_s(x):
    return np.sum(x.transpose(1, 0))


def transpose_method_args_w(x, w):
    return np.sum(w * x.transpose(1, 0))


def reshape_var_s(x, shape):
    return np.sum(np.reshape(x, shape))


def reshape_var_w(x, shape, w):
    return np.sum(w * np.reshape(x, shape))


def reshape_flat_s(x):
    return np.sum(np.reshape(x, (-1,)))


def reshape_flat_w(x, w):
    return np.sum(w * np.reshape(x, (-1,)))


def reshape_method2_s(x, a, b):
    return np.sum(x.reshape(a, b))


def reshape_method2_w(x, a, b, w):
    return np.sum(w * x.reshape(a, b))


def reshape_method_literal_s(x):
    return np.sum(x.reshape(-1, 1))


def reshape_method_literal_w(x, w):
    return np.sum(w * x.reshape(-1, 1))


# ---------------------------------------------------------------------------------------------
# The table.


XY = ("x", "y")
AX, XA = ("a", "x"), ("x", "a")
ARR, FLT = ("array", REAL), ("float", REAL)
_apart = broadcasting(REAL, REAL, apart=0.02)  # y avoids every value of x: up to 64 bands of 0.04
_bin = broadcasting(REAL, REAL)

# fmt: off
SPECS = [
    # row(test id, rule name, functions <name>_s/_w, op[, wrt][, args])
    # unary elementwise
    row("neg", "negative", "neg", lambda x: -x),
    row("np.negative", "negative", "negative", np.negative),
    row("pos", "positive", "pos", lambda x: +x),
    row("np.positive", "positive", "positive", np.positive),
    row("exp", "exp", "exp", np.exp),
    row("exp-pyfloat", "exp", "exp", np.exp, args=unary(pyfloat=True)),
    row("exp-sin-chain", "exp", "exp_chain", lambda x: np.exp(np.sin(x))),
    row("log", "log", "log", np.log, args=unary(POSITIVE)),
    row("log-pyfloat", "log", "log", np.log, args=unary(POSITIVE, pyfloat=True)),
    row("tanh", "tanh", "tanh", np.tanh),
    row("sin", "sin", "sin", np.sin),
    row("cos", "cos", "cos", np.cos),
    row("cos-pyfloat", "cos", "cos", np.cos, args=unary(pyfloat=True)),
    row("sqrt", "sqrt", "sqrt", np.sqrt, args=unary(POSITIVE)),
    row("square", "square", "square", np.square),
    row("np.abs", "absolute", "abs", np.abs, args=unary(NONZERO)),
    row("builtin-abs", "absolute", "builtin_abs", abs, args=unary(NONZERO)),
    row("builtin-abs-pyfloat", "absolute", "builtin_abs", abs, args=unary(NONZERO, pyfloat=True)),
    # binary, broadcasting, both operands differentiated
    row("add", "add", "add", lambda x, y: x + y, XY, _bin),
    row("np.add", "add", "np_add", np.add, XY, _bin),
    row("sub", "subtract", "sub", lambda x, y: x - y, XY, _bin),
    row("np.subtract", "subtract", "np_subtract", np.subtract, XY, _bin),
    row("mul", "multiply", "mul", lambda x, y: x * y, XY, _bin),
    row("np.multiply", "multiply", "np_multiply", np.multiply, XY, _bin),
    row("same-operand", "multiply", "same_operand", lambda x: x * x + x / (x * x + 1.0)),
    row("div", "divide", "div", lambda x, y: x / y, XY, broadcasting(REAL, NONZERO)),
    row("np.divide", "divide", "np_divide", np.divide, XY, broadcasting(REAL, NONZERO)),
    row("pow", "power", "pow", lambda x, y: x**y, XY, broadcasting(BASE, REAL)),
    row("np.power", "power", "np_power", np.power, XY, broadcasting(BASE, REAL)),
    row("maximum", "maximum", "maximum", np.maximum, XY, _apart),
    row("minimum", "minimum", "minimum", np.minimum, XY, _apart),
    row("where", "where", "where", np.where, XY, where_args),
    row("where-leaky-relu", "where", "leaky_relu",
        lambda x: np.where(x > 0, x, 0.1 * x), args=unary(NONZERO)),
    # Python-float constants as operands
    row("2.5*x", "multiply", "const_mul_left", lambda x: 2.5 * x),
    row("x*2.5", "multiply", "const_mul_right", lambda x: x * 2.5),
    row("x+1.5", "add", "const_add", lambda x: x + 1.5),
    row("1.5-x", "subtract", "const_rsub", lambda x: 1.5 - x),
    row("x/2.5", "divide", "const_div", lambda x: x / 2.5),
    row("2.5/x", "divide", "const_rdiv", lambda x: 2.5 / x, args=unary(NONZERO)),
    row("x**3.0", "power", "const_cube", lambda x: x**3.0),  # x < 0 too: needs no log(x)
    row("x**2", "power", "const_int_square", lambda x: x**2),
    row("2.0**x", "power", "const_rpow", lambda x: 2.0**x),
    row("maximum(x,0.5)", "maximum", "const_maximum", lambda x: np.maximum(x, 0.5), args=unary(AWAY_HALF)),
    row("minimum(0.5,x)", "minimum", "const_minimum", lambda x: np.minimum(0.5, x), args=unary(AWAY_HALF)),
    # a Python float as a differentiated argument (its gradient must come back a float)
    row("float*x", "multiply", "float_mul", lambda a, x: a * x, AX, mixed(FLT, ARR)),
    row("x-float", "subtract", "float_sub", lambda x, a: x - a, XA, mixed(ARR, FLT)),
    row("float+x", "add", "float_add", lambda a, x: a + x, AX, mixed(FLT, ARR)),
    row("x/float", "divide", "float_div", lambda x, a: x / a, XA, mixed(ARR, ("float", NONZERO))),
    row("x**float", "power", "float_pow", lambda x, a: x**a, XA, mixed(("array", BASE), FLT)),
    row("float**x", "power", "float_rpow", lambda a, x: a**x, AX, mixed(("float", BASE), ARR)),
    row("maximum(float,x)", "maximum", "float_maximum", np.maximum, AX, mixed(("float_apart", 0.02), ARR)),
    row("minimum(x,float)", "minimum", "float_minimum", np.minimum, XA, mixed(ARR, ("float_apart", 0.02))),
    row("where(c,float,x)", "where", "float_where", np.where, AX, float_where_args),
    row("floats-only", "divide", "float_only", lambda a, b: a * b + a / b - b**2.0, ("a", "b"),
        mixed(FLT, ("float", NONZERO))),
    # reductions: axis None, int, negative, tuple; keepdims; function and method forms
    row("sum", "sum", "sum_all", np.sum),
    row("sum-axis=0", "sum", "sum_axis0", lambda x: np.sum(x, axis=0), args=ndim(1, 3)),
    row("sum-axis=-1", "sum", "sum_axis_neg", lambda x: np.sum(x, axis=-1), args=ndim(1, 3)),
    row("sum-axis=(0,-1)", "sum", "sum_axis_tuple", lambda x: np.sum(x, axis=(0, -1)), args=ndim(2, 3)),
    row("sum-axis=1-keepdims", "sum", "sum_keepdims",
        lambda x: np.sum(x, axis=1, keepdims=True), args=ndim(2, 3)),
    row("sum-keepdims", "sum", "sum_all_keepdims", lambda x: np.sum(x, keepdims=True)),
    row("sum(x,0)", "sum", "sum_positional", lambda x: np.sum(x, 0), args=ndim(1, 3)),
    row("x.sum()", "sum", "sum_method", np.sum),
    row("x.sum(axis=-2,keepdims)", "sum", "sum_method_axis",
        lambda x: x.sum(axis=-2, keepdims=True), args=ndim(2, 3)),
    row("sum-axis-drawn", "sum", "sum_var",
        lambda x, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims), args=reduction_args),
    row("mean", "mean", "mean_all", np.mean),
    row("mean-axis=0", "mean", "mean_axis0", lambda x: np.mean(x, axis=0), args=ndim(1, 3)),
    row("mean-axis=-1", "mean", "mean_axis_neg", lambda x: np.mean(x, axis=-1), args=ndim(1, 3)),
    row("mean-axis=(0,-1)", "mean", "mean_axis_tuple", lambda x: np.mean(x, axis=(0, -1)), args=ndim(2, 3)),
    row("mean-axis=1-keepdims", "mean", "mean_keepdims",
        lambda x: np.mean(x, axis=1, keepdims=True), args=ndim(2, 3)),
    row("mean-keepdims", "mean", "mean_all_keepdims", lambda x: np.mean(x, keepdims=True)),
    row("x.mean()", "mean", "mean_method", np.mean),
    row("x.mean(axis=-2,keepdims)", "mean", "mean_method_axis",
        lambda x: x.mean(axis=-2, keepdims=True), args=ndim(2, 3)),
    row("mean-axis-drawn", "mean", "mean_var",
        lambda x, axis, keepdims: np.mean(x, axis=axis, keepdims=keepdims), args=reduction_args),
    # linear algebra: every rank combination NumPy accepts
    *[row(f"matmul-{i}d@{j}d", "matmul", "matmul", np.matmul, XY, matmul_args(i, j))
      for i, j in itertools.product((1, 2, 3), repeat=2)],
    row("np.matmul-any", "matmul", "np_matmul", np.matmul, XY, matmul_signature_args),
    *[row(f"dot-{i}d.{j}d", "dot", "dot", np.dot, XY, dot_args(i, j))
      for i, j in itertools.product((0, 1, 2, 3), repeat=2)],
    row("x.dot(y)-any", "dot", "dot_method", np.dot, XY, any_dot_args),
    # shape
    row(".T", "T", "T", lambda x: x.T),
    row("np.transpose", "transpose", "transpose", np.transpose),
    row("np.transpose-axes", "transpose", "transpose_axes",
        lambda x: np.transpose(x, (1, 2, 0)), args=ndim(3, 3)),
    row("np.transpose-negative-axes", "transpose", "transpose_negative_axes",
        lambda x: np.transpose(x, (-1, 0, 1)), args=ndim(3, 3)),
    row("np.transpose-axes-drawn", "transpose", "transpose_var", np.transpose, args=transpose_args),
    row("x.transpose()", "transpose", "transpose_method", np.transpose),
    row("x.transpose(1,0)", "transpose", "transpose_method_args",
        lambda x: x.transpose(1, 0), args=ndim(2, 2)),
    row("np.reshape-drawn", "reshape", "reshape_var", np.reshape, args=reshape_args),
    row("np.reshape(-1)", "reshape", "reshape_flat", lambda x: np.reshape(x, (-1,))),
    row("x.reshape(a,b)", "reshape", "reshape_method2", lambda x, a, b: x.reshape(a, b), args=reshape2_args),
    row("x.reshape(-1,1)", "reshape", "reshape_method_literal", lambda x: x.reshape(-1, 1)),
]
# fmt: on

# The forms each row is tested in.

define_tests(SPECS, globals())


def _all_specs():
    """The rows of every rule-test module: this one and each `test_rules_<section>.py`."""
    found = list(SPECS)
    for path in sorted(pathlib.Path(__file__).parent.glob("test_rules_*.py")):
        found += importlib.import_module(path.stem).SPECS
    return found


def test_every_rule_has_a_row():
    import scipy.special  # noqa: F401  (the scipy.special rules register once SciPy is imported)

    specs = _all_specs()
    srcgrad.rules.lookup(None)  # loads the built-in table
    # Rules that srcgrad ships; other test modules register rules of their own through
    # srcgrad.extend (test_conventions' softplus), which are not srcgrad's to test here.
    tables = [*srcgrad.rules.ADJOINTS.values(), *srcgrad.rules.registry.COMPLEX_ADJOINTS.values()]
    shipped = [r for r in tables if r.template.__module__.startswith("srcgrad.")]
    registered = {rule.name for rule in shipped}
    assert {"exp", "add", "sum", "matmul", "T"} <= registered
    tested = {spec.rule for spec in specs}
    assert not registered - tested, f"rules without a row in SPECS: {sorted(registered - tested)}"
    assert not tested - registered, f"rows naming no registered rule: {sorted(tested - registered)}"


def test_every_rule_has_a_tangent():
    """Forward mode covers the table: each function with an adjoint rule has a tangent rule,
    registered right after it in the same module (test_rule_jvp runs it on every row)."""
    import scipy.special  # noqa: F401

    srcgrad.rules.lookup(None)
    shipped = {k for k, r in srcgrad.rules.ADJOINTS.items() if r.template.__module__.startswith("srcgrad.")}
    missing = [k for k in shipped if k not in srcgrad.rules.TANGENTS]
    assert not missing, f"functions with an adjoint rule and no tangent rule: {missing}"
    for key in shipped:
        adjoint, tangent = srcgrad.rules.ADJOINTS[key], srcgrad.rules.TANGENTS[key]
        assert tangent.template.__module__ == adjoint.template.__module__, key
        assert tangent.signature == adjoint.signature, key  # names, defaults, keyword-only marks


def test_python_float_gradient_is_a_float():
    value, (da, dx) = _grad(float_mul_s, ("a", "x"))(1.5, np.arange(3.0))
    assert type(da) is float and da == 3.0
    np.testing.assert_array_equal(dx, [1.5, 1.5, 1.5])
    (da, db) = srcgrad.grad(float_only_s, wrt=("a", "b"), with_value=False)(2.0, 4.0)
    assert type(da) is float and type(db) is float
    assert da == pytest.approx(4.0 + 1 / 4.0) and db == pytest.approx(2.0 - 2.0 / 16.0 - 8.0)


def test_constants_bound_at_registration_fill_a_template():
    """One template serves a family of functions (stats.py's tails): a name bound to a literal is
    that literal, so an `if` on it is decided, and a tuple bound to `*NAME` is parameters of those
    names written in its place, spread where the body stars it. Other free names are refused."""
    from srcgrad.rules.template import Rule, TemplateError
    from srcgrad.syntax import name, to_source

    def family(g, x, *SHAPES, loc=0):
        if KIND == "odd":
            s = np.sin(x)
        else:
            s = np.cos(x)
        dx = g * s * log_density(KIND, x, *SHAPES, loc)

    rule = Rule(family, (), name="odd_family", constants={"KIND": "odd", "SHAPES": ("a", "b")})
    assert rule.name == "odd_family" and str(rule.signature) == "(x, a, b, loc=0)"
    out = rule.expand({p: name(p) for p in ("x", "a", "b", "loc")}, lambda base: base)
    assert [(kind, target, to_source(e)) for kind, target, e in out] == [
        ("local", "s", "np.sin(x)"),
        ("grad", "x", "g * s * log_density('odd', x, a, b, loc)"),
    ]
    with pytest.raises(TemplateError, match="no `\\*` parameter"):
        Rule(family, (), constants={"KIND": ("a",), "SHAPES": ()}).body()
    with pytest.raises(TemplateError, match="'KIND', which is neither a parameter nor a helper"):
        Rule(family, (), constants={"SHAPES": ()}).body()
