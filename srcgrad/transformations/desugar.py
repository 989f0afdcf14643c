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

from ..fence import own_nodes
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


def grow_lists(tree: gast.FunctionDef) -> None:
    """Rewrite `xs.append(v)` as `xs = xs + [v]` and `xs.extend(vs)` as `xs = xs + list(vs)`
    in the function's own code, for a list `xs` it makes itself (`xs = []`, a list literal, a
    comprehension, `list(...)`) and never gives another name (`ys = xs`): the two then compute
    the same lists. A list passed in belongs to the caller, and one another name holds would
    change under that name too: their `.append` stays refused."""
    own = list(own_nodes(tree))
    made, other = set(), set()
    for node in own:
        if isinstance(node, gast.Assign):
            for target in node.targets:
                if isinstance(target, gast.Name):
                    (made if _makes_list(node.value) else other).add(target.id)
            if isinstance(node.value, gast.Name):
                other.add(node.value.id)  # `ys = xs`: both names hold one list
        elif isinstance(node, (gast.For, gast.AugAssign)):
            other |= {n.id for n in walk(node.target) if isinstance(n, gast.Name)}
    spec = tree.args
    params = {a.id for a in [*spec.posonlyargs, *spec.args, *spec.kwonlyargs, spec.vararg, spec.kwarg] if a}
    lists = made - other - params
    if lists:
        _rewrite_growth(tree.body, lists)


def _rewrite_growth(stmts: list, lists: set) -> None:
    for i, stmt in enumerate(stmts):
        for block in ("body", "orelse"):
            if isinstance(stmt, (gast.If, gast.For, gast.While)):
                _rewrite_growth(getattr(stmt, block), lists)
        call = stmt.value if isinstance(stmt, gast.Expr) else None
        if not (
            isinstance(call, gast.Call)
            and isinstance(call.func, gast.Attribute)
            and call.func.attr in ("append", "extend")
            and isinstance(call.func.value, gast.Name)
            and call.func.value.id in lists
            and len(call.args) == 1
            and not call.keywords
        ):
            continue
        var, item = call.func.value.id, call.args[0]
        if call.func.attr == "append":
            added = gast.List(elts=[item], ctx=gast.Load())
        else:
            added = gast.Call(
                func=gast.Name(id="list", ctx=gast.Load(), annotation=None, type_comment=None),
                args=[item],
                keywords=[],
            )
        load = gast.Name(id=var, ctx=gast.Load(), annotation=None, type_comment=None)
        store = gast.Name(id=var, ctx=gast.Store(), annotation=None, type_comment=None)
        grown = gast.BinOp(left=load, op=gast.Add(), right=added)
        for node in (added, load, store, grown):
            gast.copy_location(node, call)
            node.end_lineno, node.end_col_offset = call.end_lineno, call.end_col_offset
        stmts[i] = gast.copy_location(gast.Assign(targets=[store], value=grown, type_comment=None), stmt)
        stmts[i].end_lineno, stmts[i].end_col_offset = stmt.end_lineno, stmt.end_col_offset


def _makes_list(value: gast.expr) -> bool:
    if isinstance(value, (gast.List, gast.ListComp)):
        return True
    if isinstance(value, gast.BinOp) and isinstance(value.op, gast.Add):
        return _makes_list(value.left) or _makes_list(value.right)
    return isinstance(value, gast.Call) and isinstance(value.func, gast.Name) and value.func.id == "list"
