"""Activity analysis: which values need an adjoint.

A value is *varied* if it depends differentiably on a parameter we differentiate with respect
to, and *useful* if the result depends differentiably on it. Only values that are both are
*active*; everything else (inputs like `X` and `Y`, shapes, masks) gets no adjoint code.

>>> import numpy as np
>>> def f(W, X):
...     Z = X @ W
...     n = X.shape
...     return np.sum(Z * 2.0)
>>> from srcgrad.frontend import read_function
>>> from srcgrad.transformations.anf import lower
>>> sorted(active_names(lower(read_function(f)), ["W"]))
['W', 'Z', 'f', 'mul']
"""

from __future__ import annotations

from .. import rules
from ..ir import Assign, Program
from ..syntax import names_in


def active_names(program: Program, wrt: list[str]) -> set[str]:
    varied = set(wrt)
    for stmt in program.body:
        if not (isinstance(stmt, Assign) and _carries_gradient(stmt)):
            continue
        if any(n in varied for arg in _operands(stmt) for n in names_in(arg)):
            varied.add(stmt.target)
    useful = set(names_in(program.result.value))
    for stmt in reversed(program.body):
        if isinstance(stmt, Assign) and stmt.target in useful and _carries_gradient(stmt):
            for arg in _operands(stmt):
                useful.update(names_in(arg))
    return varied & useful


def _carries_gradient(stmt: Assign) -> bool:
    return not rules.is_nondifferentiable(stmt.op.key)


def _operands(stmt: Assign):
    return list(stmt.op.args) + list(stmt.op.kwargs.values())
