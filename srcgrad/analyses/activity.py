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

import numpy

from .. import rules
from ..errors import UnsupportedSyntaxError
from ..ir import PUSH, Assign, Effect, Program, walk
from ..syntax import names_in


def active_names(program: Program, wrt: list[str]) -> set[str]:
    assigns = [s for s in walk(program.body) if isinstance(s, Assign) and _carries_gradient(s)]
    # in code srcgrad generated, `saved.append(item)` flows the item into the stack `saved`
    assigns += [_Push(s) for s in walk(program.body) if isinstance(s, Effect) and s.op.key is PUSH]
    varied = set(wrt)
    useful = set(names_in(program.result.value))
    changed = True
    while changed:  # a name assigned in both branches of an `if` is reached twice: iterate
        changed = False
        for stmt in assigns:
            if stmt.target not in varied and any(n in varied for a in _operands(stmt) for n in names_in(a)):
                varied.add(stmt.target)
                changed = True
        for stmt in reversed(assigns):
            if stmt.target in useful:
                new = {n for a in _operands(stmt) for n in names_in(a)} - useful
                if new:
                    useful |= new
                    changed = True
    _check_made_from_varied(program, varied, useful)
    return varied & useful


# Functions that carry no gradient because their arguments are counts or shapes; one given a
# value that depends on a differentiated parameter makes values that depend on it too.
_MADE_FROM_COUNTS = {numpy.arange, numpy.zeros, numpy.ones, numpy.empty, numpy.eye, numpy.identity}


def _check_made_from_varied(program: Program, varied: set, useful: set) -> None:
    for stmt in walk(program.body):
        if not isinstance(stmt, Assign) or stmt.op.key not in _MADE_FROM_COUNTS:
            continue
        operands = {n for a in _operands(stmt) for n in names_in(a)}
        if not operands & varied:
            continue
        source = stmt.op.source or program.source
        raise UnsupportedSyntaxError(
            f"srcgrad gives {stmt.op.label} no derivative, but here its arguments depend on the "
            "values being differentiated, so its result does too.",
            source.location(stmt.op.node),
            hint="Compute its arguments from values that are not differentiated (or wrap them in "
            "srcgrad.stop_gradient(...)); for evenly spaced values that depend on a parameter, "
            "np.linspace(start, stop, num) is differentiated in start and stop.",
        )


class _Push:
    """A push seen as the stack's new value, made from the stack and the item."""

    def __init__(self, stmt: Effect):
        self.target = stmt.op.args[0].id
        self.op = stmt.op


def _carries_gradient(stmt: Assign) -> bool:
    return not rules.is_nondifferentiable(stmt.op.key)


def _operands(stmt: Assign):
    return list(stmt.op.args) + list(stmt.op.kwargs.values())
