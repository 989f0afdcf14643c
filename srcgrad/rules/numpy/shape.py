"""Shape and indexing: reshapes, transposes, joins, splits, takes."""

# ruff: noqa: F821  (`fill` and the runtime helpers are names in generated code, not here)

import builtins
import operator

import numpy as np

from ...api import stop_gradient
from .. import adjoint, nondifferentiable

# ---------------------------------------------------------------------------------------------
# Shape.


@adjoint("T")
def T(g, x):
    dx = g.T


@adjoint(np.transpose)
def transpose(g, x, axes=None):
    if axes is None:
        dx = np.transpose(g)
    else:
        dx = untranspose(g, axes)


@adjoint(np.reshape)
def reshape(g, x, shape):
    dx = np.reshape(g, np.shape(x))
