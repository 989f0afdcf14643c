"""Dead-code elimination and inlining of single-use temporaries over straight-line code.

Statements are gast assignments and expression statements; anything else in the list (comment
markers) is kept in place.

>>> import gast
>>> from srcgrad.syntax import to_source
>>> stmts = gast.parse("a = x + 1\\nb = a * 2\\nunused = x * 3\\nc = b - a").body
>>> stmts = eliminate_dead_code(stmts, live={"c"})
>>> stmts = inline_single_use(stmts, uses_elsewhere=[], candidates={"a", "b"})
>>> [to_source(s) for s in stmts]
['a = x + 1', 'c = 2 * a - a']
>>> stmts = gast.parse("d = f(x)\\ny = g(x)\\nd = d + y").body
>>> [to_source(s) for s in merge_accumulations(stmts)]
['y = g(x)', 'd = f(x) + y']
"""

from __future__ import annotations

import copy
from collections import Counter

import gast

from ..ir import assigned_names
from ..syntax import copy_tree, names_in, substitute, to_source
from .simplify import joined_where, simplify

MERGED_LINE_LIMIT = 80  # a merged accumulation longer than this stays two lines


_BLOCKS = (gast.If, gast.For, gast.While, gast.Assert, gast.Raise)  # read whole, never inlined into


def _target(stmt) -> str | None:
    if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
        return stmt.targets[0].id
    return None


def _reads(stmt) -> list[str]:
    if isinstance(stmt, (gast.Assign, gast.Expr, gast.Return)):
        return list(names_in(stmt.value)) if stmt.value is not None else []
    if isinstance(stmt, _BLOCKS):
        return list(names_in(stmt))
    return []


def eliminate_dead_code(stmts: list, live: set[str], keep: set[str] = frozenset()) -> list:
    """Drop assignments nothing reads; `keep` names assignments with side effects."""
    live = set(live)
    out = []
    for stmt in reversed(stmts):
        if isinstance(stmt, (gast.For, gast.While)):  # a loop: what it reads stays, whole
            live.update(_reads(stmt))
            out.append(stmt)
            continue
        if isinstance(stmt, gast.If):  # a block: clean inside, keep the statement
            stmt.body = eliminate_dead_code(stmt.body, live, keep) or [gast.Pass()]
            stmt.orelse = eliminate_dead_code(stmt.orelse, live, keep)
            live.update(_reads(stmt))
            out.append(stmt)
            continue
        target = _target(stmt)
        if target is not None and target not in live and target not in keep:
            continue
        if target is not None:
            live.discard(target)
        live.update(_reads(stmt))
        out.append(stmt)
    out.reverse()
    return out


def rematerialize(forward: list, backward: list, candidates: set[str], alive: set[str]) -> list:
    """The backward statements with each candidate recomputed where they read it, rather than
    kept from the forward pass: for a large array made by one elementwise operation (`1 - y`)
    of values alive anyway (`alive`: parameters, values the backward pass reads), one pass over
    it again costs less than holding it from the forward pass to the end.

    Only top-level forward statements qualify, and only when every read is in a top-level
    backward statement (not in a loop, where it would be recomputed at every iteration).
    """
    assigned = Counter(n for s in [*forward, *backward] for n in assigned_names([s]))
    definitions = {}
    for stmt in forward:
        target = _target(stmt)
        if target in candidates and assigned[target] == 1 and _one_elementwise_op(stmt.value):
            operands = set(names_in(stmt.value))
            if all(n in alive and assigned[n] <= 1 for n in operands):
                definitions[target] = stmt.value
    nested = {n for s in backward if not isinstance(s, gast.Assign) for n in names_in(s)}
    definitions = {n: v for n, v in definitions.items() if n not in nested}
    if not definitions:
        return backward
    out = []
    for stmt in backward:
        hits = {n: copy_tree(v) for n, v in definitions.items() if n in set(_reads(stmt))}
        if hits:
            stmt = copy.copy(stmt)
            stmt.value = substitute(stmt.value, hits)
        out.append(stmt)
    return out


def _one_elementwise_op(e: gast.expr) -> bool:
    """`a - b`, `-a`, `2.0 * a`: arithmetic on names and literals, one operation."""
    atom = (gast.Name, gast.Constant)
    if isinstance(e, gast.BinOp):
        return isinstance(e.left, atom) and isinstance(e.right, atom)
    return isinstance(e, gast.UnaryOp) and isinstance(e.operand, atom)


def inline_single_use(stmts: list, uses_elsewhere: list, candidates: set[str]) -> list:
    """Substitute each candidate read exactly once, later in `stmts`, into its reader.

    A candidate must be assigned once; if a name its value reads is reassigned before the
    use, the assignment stays (just before that reassignment).
    """
    uses = Counter(n for s in [*stmts, *uses_elsewhere] for n in _reads(s))
    assigned = Counter(_target(s) for s in stmts)
    readers = Counter(n for s in stmts for n in set(_reads(s)))
    pending: dict[str, gast.Assign] = {}
    out = []
    for stmt in stmts:
        if isinstance(stmt, _BLOCKS):
            # values read inside a block (or by an `assert`, a `raise`) come first, and so do
            # values reading a name the block rebinds (a loop of the backward pass restores
            # saved values under their own names) and values the block rebinds itself (a loop's
            # carried name, moved in a tuple)
            inside, reads = assigned_names([stmt]), set(_reads(stmt))
            due = [
                n for n, s in pending.items() if n in reads or n in inside or inside & set(names_in(s.value))
            ]
            out.extend(pending.pop(n) for n in due)
            out.append(stmt)
            continue
        reads = set(_reads(stmt))
        hits = {n: pending.pop(n).value for n in list(pending) if n in reads}
        if hits:
            stmt = copy.copy(stmt)
            stmt.value = simplify(substitute(stmt.value, hits), None)
        target = _target(stmt)
        if target is not None:
            for n in [n for n, s in pending.items() if target in set(names_in(s.value))]:
                out.append(pending.pop(n))
        if target in candidates and uses[target] == 1 and assigned[target] == 1 and readers[target] == 1:
            pending[target] = stmt
            continue
        out.append(stmt)
    return out


def merge_accumulations(stmts: list) -> list:
    """`v = e1` ... `v = v + e2` becomes `v = e1 + e2` when nothing between reads or changes v.

    The adjoint of a value used twice is built this way; one statement reads better.
    """
    out = list(stmts)
    i = 0
    while i < len(out):
        first = out[i]
        v = _target(first)
        j = _next_use(out, i, v) if v is not None else None
        if j is not None and isinstance(out[j], gast.Assign):
            second = out[j]
            value = second.value
            accumulates = (
                _target(second) == v
                and isinstance(value, gast.BinOp)
                and isinstance(value.op, (gast.Add, gast.Sub))
                and isinstance(value.left, gast.Name)
                and value.left.id == v
                and v not in set(names_in(value.right))
            )
            reads = set(names_in(first.value))
            untouched = not any(_target(s) in reads for s in out[i + 1 : j])
            same_block = getattr(first, "srcgrad_block", None) is getattr(second, "srcgrad_block", None)
            if accumulates and untouched and same_block:
                merged = copy.copy(second)
                merged.value = joined_where(gast.BinOp(left=first.value, op=value.op, right=value.right))
                if len(to_source(merged)) > MERGED_LINE_LIMIT:  # two short lines read better
                    i += 1
                    continue
                out[j] = merged
                del out[i]
                continue
        i += 1
    return out


def _next_use(stmts: list, i: int, v: str) -> int | None:
    """The index of the first statement after i that reads or assigns v."""
    for j in range(i + 1, len(stmts)):
        if v in set(_reads(stmts[j])) or _target(stmts[j]) == v:
            return j
    return None
