"""Rows for the indexing rule (`x[index]`), in the table-driven form of tests/test_rules.py."""

import numpy as np
from hypothesis import strategies as st
from rulespec import *  # noqa: F403
from rulespec import define_tests, rows

from srcgrad.testing.strategies import arrays

row = rows(globals())


def slice_s(x):
    return np.sum(x[1:, ::2])


def slice_w(x, w):
    return np.sum(w * x[1:, ::2])


def repeat_s(x):
    return np.sum(x[np.array([0, 0, 1])])


def repeat_w(x, w):
    return np.sum(w * x[np.array([0, 0, 1])])


def _written(x, y):
    out = x * 1.0
    out[1:, ::2] = y[:-1, ::2] * 2.0
    return out


def write_s(x, y):
    out = x * 1.0
    out[1:, ::2] = y[:-1, ::2] * 2.0  # an assignment into part of an array: y_2 = with_item(...)
    return np.sum(out)


def write_w(x, y, w):
    out = x * 1.0
    out[1:, ::2] = y[:-1, ::2] * 2.0
    return np.sum(w * out)


def _two_matrices(dtype):
    shape = st.tuples(st.integers(2, 4), st.integers(1, 4))
    return shape.flatmap(lambda s: st.tuples(arrays(st.just(s), dtype), arrays(st.just(s), dtype)))


def _floats(dtype):
    apart = st.floats(-2, 2).flatmap(
        lambda a: st.tuples(st.just(a), st.floats(-2, 2).filter(lambda b: abs(a - b) > 0.1))
    )
    return apart if dtype == np.float64 else apart.map(lambda t: tuple(np.float32(v) for v in t))


def _matrix(dtype):
    return st.tuples(arrays(st.tuples(st.integers(2, 4), st.integers(1, 4)), dtype))


def pymax_s(x, y):
    return np.sum(max(x, y))


def pymax_w(x, y, w):
    return np.sum(w * max(x, y))


def pymin_s(x, y):
    return np.sum(min(x, y))


def pymin_w(x, y, w):
    return np.sum(w * min(x, y))


SPECS = [
    row("x[1:, ::2]", "getitem", "slice", lambda x: x[1:, ::2], args=_matrix),
    row("x[[0, 0, 1]]", "getitem", "repeat", lambda x: x[np.array([0, 0, 1])], args=_matrix),
    row("y[1:, ::2] = v", "setitem", "write", _written, ("x", "y"), _two_matrices),
    # Python's max and min of two scalars
    row("max(a, b)", "maximum", "pymax", lambda x, y: max(x, y), ("x", "y"), _floats),
    row("min(a, b)", "minimum", "pymin", lambda x, y: min(x, y), ("x", "y"), _floats),
]

define_tests(SPECS, globals())
