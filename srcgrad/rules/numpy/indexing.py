"""Indexing: reading part of an array (`x[i]`, `x[1:, ::2]`, `x[idx]`, `x[mask]`), and
writing part of one (`y[i] = v`, lowered to `y_2 = with_item(y, i, v)`: a new array).

Both are linear: the tangent of `x[index]` is `t[index]`; that of `with_item(x, index, v)` is
`with_item(tx, index, tv)`. A write passes the gradient of the places it wrote to `v` and that
of the others to `x`.
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


@adjoint("setitem")
def setitem(g, x, index, v):
    # the places written get their gradient from v; a place written twice is refused at run time
    dx = with_item(g, index, 0.0)
    dv = written_gradient(g, index, v)


@tangent("setitem")
def setitem_tangent(t, x, index, v):
    dx = with_item(t, index, 0.0)
    dv = with_item(zeros_as(x), index, t)
