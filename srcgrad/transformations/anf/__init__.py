"""Lower a user function to A-normal form: one operation per statement, every value named.

Each user variable keeps its name for its first value; a reassignment gets a new version
(`h`, `h_2`, ...), so the backward pass can read any value the forward pass made. Nested
expressions become temporaries named after the operation (`XW1` for `X @ W1`, `exp` for
`np.exp(...)`), method calls on arrays become NumPy calls, and an operation that is already
computed is reused (common-subexpression elimination).

>>> import numpy as np
>>> def f(W, X):
...     H = np.tanh(X @ W + 1.0)
...     return np.sum(H * H)
>>> from srcgrad.frontend import read_function
>>> print(dump(lower(read_function(f))))
XW = X @ W
add = XW + 1.0
H = np.tanh(add)
mul = H * H
f = np.sum(mul)
return f

The lowering's rooms: lowering.py (its state, statements and assignments), expressions.py,
calls.py, emitting.py (naming values, reusing those computed already), branches.py (`if` and
the join after it), loops.py (loops that stay loops, comprehensions), unrolling.py (loops
written out), inlining.py (the user's helper functions), local.py (functions defined in the
code), closures.py (a nested function adding to a list of the function around it), generators.py
(the user's generators, written out with the loop over them), structures.py (nested parameters),
checks.py (the refusals that keep every gradient followed), atoms.py (what they share).
"""

from __future__ import annotations

from ...frontend import SourceFunction
from ...ir import Assign, For, If, Program
from ...syntax import to_source, tuple_
from .checks import check_list_writes
from .lowering import Lowering

__all__ = ["check_list_writes", "dump", "lower"]


def lower(source: SourceFunction, has_aux: bool = False, structures=None, wrt=()) -> Program:
    """`wrt`: the parameters differentiated, which are arrays, floats or nested parameters."""
    return Lowering(source, has_aux, structures, wrt).run()


def dump(program: Program) -> str:
    """The lowered program as Python lines (for doctests and `--stage anf`)."""
    lines = _dump_block(program.body, "")
    returned = program.result.value
    if program.result.aux is not None:
        returned = tuple_([returned, program.result.aux])
    lines.append(f"return {to_source(returned)}")
    return "\n".join(lines)


def _dump_block(stmts, indent: str) -> list[str]:
    lines = []
    for stmt in stmts:
        if isinstance(stmt, Assign):
            lines.append(f"{indent}{stmt.target} = {to_source(stmt.value)}")
        elif isinstance(stmt, For) and stmt.iter is None:
            lines.append(f"{indent}while True:")
            lines += _dump_block(stmt.test_body, indent + "    ")
            lines.append(f"{indent}    if not {to_source(stmt.test)}: break")
            lines += _dump_block(stmt.body, indent + "    ")
            lines += [f"{indent}    {n} = {to_source(v)}" for n, v in stmt.carried]
        elif isinstance(stmt, For):
            lines.append(f"{indent}for {stmt.target} in {to_source(stmt.iter)}:")
            lines += _dump_block(stmt.body, indent + "    ")
            lines += [f"{indent}    {n} = {to_source(v)}" for n, v in stmt.carried]
        elif isinstance(stmt, If):
            lines.append(f"{indent}if {to_source(stmt.test)}:")
            lines += _dump_block(stmt.body, indent + "    ") or [indent + "    pass"]
            if stmt.orelse:
                lines.append(f"{indent}else:")
                lines += _dump_block(stmt.orelse, indent + "    ")
        else:
            lines.append(indent + to_source(stmt.value))
    return lines
