"""Indexing: reading part of an array (`x[i]`, `x[1:, ::2]`, `x[idx]`, `x[mask]`).

Indexing is linear: the tangent of `x[index]` is `t[index]`.
"""

# ruff: noqa: F821  (the runtime helpers are names in generated code, not here)

from ..registry import adjoint, tangent


@adjoint("getitem")
def getitem(g, x, index):
    # an index that repeats adds its gradients up
    dx = ungetitem(g, x, index)


@tangent("getitem")
def getitem_tangent(t, x, index):
    dx = t[index]
