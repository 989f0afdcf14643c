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


def _matrix(dtype):
    return st.tuples(arrays(st.tuples(st.integers(2, 4), st.integers(1, 4)), dtype))


SPECS = [
    row("x[1:, ::2]", "getitem", "slice", lambda x: x[1:, ::2], args=_matrix),
    row("x[[0, 0, 1]]", "getitem", "repeat", lambda x: x[np.array([0, 0, 1])], args=_matrix),
]

define_tests(SPECS, globals())
