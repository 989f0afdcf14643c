"""Rewrite `break` and `continue` into flags, so loops keep one entry and one exit.

`continue` sets a flag that skips the rest of the iteration; `break` sets it too, and a second
flag that skips every later iteration (a `while` loop also stops testing). Statements after one
that may set the flag run under `if not <flag>:`. The rewritten loop computes the same values;
srcgrad then differentiates it like any loop with branches.

>>> import gast
>>> from srcgrad.syntax import to_source
>>> tree = gast.parse('''
... for i in range(3):
...     if i == 1:
...         continue
...     x = x * 2
... ''')
>>> print(to_source(rewrite_loops(tree.body, Namer({"x", "i"}))[0]))
for i in range(3):
    skip = False
    if i == 1:
        skip = True
    if not skip:
        x = x * 2
"""

from __future__ import annotations

import copy

import gast

from ..naming import Namer
from ..syntax import assign, const, copy_tree, name, walk


def rewrite_loops(stmts: list, namer: Namer) -> list:
    """`stmts` with every loop that contains `break` or `continue` rewritten with flags."""
    out = []
    for s in stmts:
        new = _rewrite(s, namer)
        out += new if isinstance(new, list) else [new]
    return out


def _rewrite(stmt, namer):
    if isinstance(stmt, (gast.For, gast.While)):
        stmt = copy.copy(stmt)
        stmt.body = rewrite_loops(stmt.body, namer)
        if _jumps(stmt.body):
            return _flagged(stmt, namer)
        return stmt
    if isinstance(stmt, gast.If):
        stmt = copy.copy(stmt)
        stmt.body = rewrite_loops(stmt.body, namer)
        stmt.orelse = rewrite_loops(stmt.orelse, namer)
    return stmt


def _jumps(stmts) -> set:
    """The kinds of jump (`gast.Break`, `gast.Continue`) that leave these statements' loop."""
    found = set()
    for s in stmts:
        if isinstance(s, (gast.Break, gast.Continue)):
            found.add(type(s))
        elif isinstance(s, gast.If):
            found |= _jumps(s.body) | _jumps(s.orelse)
    return found


def _flagged(loop, namer):
    jumps = _jumps(loop.body)
    skip = namer.fresh("skip")
    broke = namer.fresh("broke") if gast.Break in jumps else None
    body = [_located(assign(skip, const(False)), loop)] + _guard(loop.body, skip, broke)
    if not any(
        isinstance(n, gast.Name) and n.id == skip and isinstance(n.ctx, gast.Load)
        for s in body
        for n in walk(s)
    ):
        body = _without(body, skip)  # nothing is guarded by it: `break` was the last thing done
    if broke is None:
        loop.body = body
        return loop
    if isinstance(loop, gast.While):  # stop testing once broken
        loop.test = gast.IfExp(test=name(broke), body=const(False), orelse=loop.test)
        loop.body = body
    else:  # a `for` loop runs out its iterations, doing nothing
        # ... so its variables go under other names, and keep the values of the iteration that
        # broke: `row` read after `for row in X: ... break` is the row it broke at
        target = copy_tree(loop.target)
        copies = []
        for node in walk(target):
            if isinstance(node, gast.Name):
                each = namer.fresh(node.id + "_each")
                copies.append(_located(assign(node.id, name(each)), loop))
                node.id = each
        loop.target = target
        loop.body = [_located(gast.If(test=_not(broke), body=copies + body, orelse=[]), loop)]
    return [_located(assign(broke, const(False)), loop), loop]


def _guard(stmts, skip, broke) -> list:
    """Replace the jumps by flag assignments; after a statement that may jump, guard the rest."""
    out = []
    for i, s in enumerate(stmts):
        if isinstance(s, (gast.Break, gast.Continue)):
            out.append(_located(assign(skip, const(True)), s))
            if isinstance(s, gast.Break):
                out.append(_located(assign(broke, const(True)), s))
            return out  # nothing after a jump runs
        if isinstance(s, gast.If) and _jumps([s]):
            s = copy.copy(s)
            s.body = _guard(s.body, skip, broke) or [gast.Pass()]
            s.orelse = _guard(s.orelse, skip, broke)
            out.append(s)
            rest = _guard(stmts[i + 1 :], skip, broke)
            if rest:
                out.append(_located(gast.If(test=_not(skip), body=rest, orelse=[]), s))
            return out
        out.append(s)
    return out


def _without(stmts, flag: str) -> list:
    """The statements minus the assignments to `flag`."""
    out = []
    for s in stmts:
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and s.targets[0].id == flag:
            continue
        if isinstance(s, gast.If):
            s = copy.copy(s)
            s.body = _without(s.body, flag) or [gast.Pass()]
            s.orelse = _without(s.orelse, flag)
        out.append(s)
    return out


def _not(flag: str) -> gast.expr:
    return gast.UnaryOp(op=gast.Not(), operand=name(flag))


def _located(node, like):
    return gast.copy_location(node, like)
