"""Indexing: reading part of an array (`x[i]`, `x[1:, ::2]`, `x[idx]`, `x[mask]`)."""

# ruff: noqa: F821  (the runtime helpers are names in generated code, not here)

from .. import adjoint, nondifferentiable

nondifferentiable("emptylist")  # the `[]` a comprehension starts from


@adjoint("getitem")
def getitem(g, x, index):
    # an index that repeats adds its gradients up
    dx = ungetitem(g, x, index)
