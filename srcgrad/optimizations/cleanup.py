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
"""

from __future__ import annotations

import copy
from collections import Counter

import gast

from ..syntax import names_in, substitute
from .simplify import simplify


def _target(stmt) -> str | None:
    if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
        return stmt.targets[0].id
    return None


def _reads(stmt) -> list[str]:
    if isinstance(stmt, (gast.Assign, gast.Expr, gast.Return)):
        return list(names_in(stmt.value)) if stmt.value is not None else []
    return []


def eliminate_dead_code(stmts: list, live: set[str], keep: set[str] = frozenset()) -> list:
    """Drop assignments nothing reads; `keep` names assignments with side effects."""
    live = set(live)
    out = []
    for stmt in reversed(stmts):
        target = _target(stmt)
        if isinstance(stmt, gast.Assign) and target not in live and target not in keep:
            continue
        if target is not None:
            live.discard(target)
        live.update(_reads(stmt))
        out.append(stmt)
    out.reverse()
    return out


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
