"""Linear algebra: products, decompositions, solves, norms."""

# ruff: noqa: F821  (`fill` and the runtime helpers are names in generated code, not here)

import builtins
import operator

import numpy as np

from ...api import stop_gradient
from .. import adjoint, nondifferentiable

# ---------------------------------------------------------------------------------------------
# Linear algebra.


@adjoint(operator.matmul, np.matmul)
def matmul(g, x, y):
    dx = matmul_dx(g, x, y)
    dy = matmul_dy(g, x, y)


@adjoint(np.dot)
def dot(g, x, y):
    dx = dot_dx(g, x, y)
    dy = dot_dy(g, x, y)
