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

from ..fence import is_plain, is_short_circuit, own_nodes
from ..ir import ASSERTS, RAISES
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
        loop.srcgrad_breaks = True  # (a generator it goes over is refused: anf/generators.py)
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
    lists = lists_made(tree)
    if lists:
        rewrite_growth(tree.body, lists)


def lists_made(tree: gast.FunctionDef) -> set:
    """The lists a function makes itself (`xs = []`, a list literal, a comprehension,
    `list(...)`) and never gives another name (`ys = xs`), nor takes as a parameter."""
    made, other = set(), set()
    for node in own_nodes(tree):
        if isinstance(node, gast.Assign):
            if all(
                isinstance(t, gast.Name) and t.id == getattr(node.value, "id", None) for t in node.targets
            ):
                continue  # `xs = xs` changes nothing (closures.py writes it after a call)
            for target in node.targets:
                if isinstance(target, gast.Name):
                    (made if _makes_list(node.value) else other).add(target.id)
            if isinstance(node.value, gast.Name):
                other.add(node.value.id)  # `ys = xs`: both names hold one list
        elif isinstance(node, (gast.For, gast.AugAssign)):
            other |= {n.id for n in walk(node.target) if isinstance(n, gast.Name)}
    spec = tree.args
    params = {a.id for a in [*spec.posonlyargs, *spec.args, *spec.kwonlyargs, spec.vararg, spec.kwarg] if a}
    return made - other - params


def rewrite_growth(stmts: list, lists: set) -> None:
    """`xs.append(v)` as `xs = xs + [v]`, `xs.extend(vs)` as `xs = xs + list(vs)`, for `xs` in
    `lists`, in `stmts` and the blocks inside them (not in the functions defined there)."""
    for i, stmt in enumerate(stmts):
        for block in ("body", "orelse"):
            if isinstance(stmt, (gast.If, gast.For, gast.While)):
                rewrite_growth(getattr(stmt, block), lists)
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


# -- everyday Python: one `return`, `and` / `or`, chained comparisons, `assert`, `raise` ------------


def rewrite_everyday(tree: gast.FunctionDef, namer: Namer) -> None:
    """Rewrite, in place, the constructs of everyday Python that the lowering has no statement
    for, into ones it has, computing the same values:

    - `return` inside an `if` or a loop: a result variable and, where a path may go on after
      it, a flag (`returned`); the function ends with one `return`;
    - `and`, `or` and chained comparisons (`0 < x < 1`) as the test of an `if` or `assert`, or
      the value of an assignment: a flag computed by nested `if`s, each operand evaluated once,
      and only when Python would evaluate it; elsewhere, conditional expressions
      (`b if a else False`);
    - `assert test, message` and `raise Error(...)`: kept as they are, marked calls that the
      generated code prints as `assert` and `raise` again (`ir.effect_statement`).

    The functions defined inside are rewritten too, before they are written out where called.

    >>> import gast
    >>> from srcgrad.syntax import to_source
    >>> tree = gast.parse('''
    ... def f(x, n):
    ...     if n > 0 and x[n - 1] > 0:
    ...         return x[n - 1]
    ...     return x[0]
    ... ''').body[0]
    >>> rewrite_everyday(tree, Namer({"f", "x", "n"}))
    >>> print(to_source(tree))
    def f(x, n):
        both = n > 0
        if both:
            both = x[n - 1] > 0
        if both:
            f = x[n - 1]
        else:
            f = x[0]
        return f
    """
    if not isinstance(namer, _Fresh):
        namer = _Fresh(namer, tree)
    for node in list(own_nodes(tree)):
        if isinstance(node, gast.FunctionDef):
            rewrite_everyday(node, namer)
        elif isinstance(node, gast.Lambda):
            node.body = _nested(node.body, test=False)
    _one_return(tree, namer)
    tree.body = _statements(tree.body, namer)


class _Fresh:
    """Fresh names unlike any in the function's code (a helper's names are not the namer's)."""

    def __init__(self, namer: Namer, tree: gast.FunctionDef):
        self.namer = namer
        self.used = {n.id for n in walk(tree) if isinstance(n, gast.Name)}

    def fresh(self, base: str) -> str:
        while True:
            candidate = self.namer.fresh(base)
            if candidate not in self.used:
                return candidate


# -- one `return` ------------------------------------------------------------------------------

_ALWAYS, _MAYBE, _NEVER = "always", "maybe", "never"  # whether a block returns on every path


class _NeedsFlag(Exception):
    """Raised when some path goes on after a `return` that others took: a flag must say which."""


def _one_return(tree: gast.FunctionDef, namer: Namer) -> None:
    returns = [n for n in own_nodes(tree) if isinstance(n, gast.Return)]
    if not returns or (len(returns) == 1 and tree.body[-1] is returns[0]):
        return
    used = {n.id for n in walk(tree) if isinstance(n, gast.Name)} | _parameters(tree)
    result = tree.name if tree.name not in used else namer.fresh("result")
    last = max(returns, key=lambda r: (r.lineno, r.col_offset))
    try:
        body, ends = _returning(tree.body, result, None, namer)
        flag = None
    except _NeedsFlag:
        flag = namer.fresh("returned")
        body, ends = _returning(tree.body, result, flag, namer)
        first = min(returns, key=lambda r: (r.lineno, r.col_offset))
        body.insert(0, _located(assign(flag, const(False)), first))
        body = _unread_flags_dropped(body, flag)
    if ends != _ALWAYS:  # paths that run off the end return None
        fall = [_located(assign(result, const(None)), last)]
        body += [_located(gast.If(test=_not(flag), body=fall, orelse=[]), last)] if flag else fall
    body.append(_located(gast.Return(value=name(result)), last))
    tree.body = body


def _unread_flags_dropped(body: list, flag: str) -> list:
    """`body` without the `flag = True` that no statement after it reads (a `return` that is the
    last thing the function does sets no flag)."""
    order = []

    def visit(stmts):
        for s in stmts:
            order.append(s)
            for block in ("body", "orelse"):
                if isinstance(s, (gast.If, gast.For, gast.While)):
                    visit(getattr(s, block))

    visit(body)
    reads = [i for i, s in enumerate(order) if isinstance(s, gast.If) and flag in _names(s.test)]
    unread = {
        id(s)
        for s in order[max(reads, default=-1) + 1 :]
        if isinstance(s, gast.Assign) and _names(s.targets[0]) == {flag}
    }

    def prune(stmts):
        out = []
        for s in stmts:
            if id(s) in unread:
                continue
            if isinstance(s, (gast.If, gast.For, gast.While)):
                s.body = prune(s.body) or [gast.Pass()]
                s.orelse = prune(s.orelse)
            out.append(s)
        return out

    return prune(body)


def _names(node) -> set:
    return {n.id for n in walk(node) if isinstance(n, gast.Name)}


def _parameters(tree: gast.FunctionDef) -> set:
    spec = tree.args
    return {a.id for a in [*spec.posonlyargs, *spec.args, *spec.kwonlyargs, spec.vararg, spec.kwarg] if a}


def _has_return(stmt) -> bool:
    pending = [stmt]
    while pending:
        node = pending.pop()
        if isinstance(node, gast.Return):
            return True
        if not isinstance(node, (gast.FunctionDef, gast.Lambda, gast.expr)):
            pending.extend(gast.iter_child_nodes(node))
    return False


def _returning(stmts: list, result: str, flag, namer, in_loop: bool = False) -> tuple[list, str]:
    """The statements with each `return v` made `result = v` (and `flag = True`, and `break`
    inside a loop), the statements after a block that may have returned moved into the branch
    that did not, or run under `if not flag:`; and whether the block returns on every path."""
    out = []
    for i, s in enumerate(stmts):
        if isinstance(s, gast.Return):
            value = s.value if s.value is not None else const(None)
            out.append(
                _located(gast.Assign(targets=[name(result, store=True)], value=value, type_comment=None), s)
            )
            out[-1].end_lineno, out[-1].end_col_offset = s.end_lineno, s.end_col_offset
            if flag is not None:
                out.append(_located(assign(flag, const(True)), s))
            if in_loop:
                out.append(_located(gast.Break(), s))
            return out, _ALWAYS
        if not _has_return(s):
            out.append(s)
            continue
        rest = stmts[i + 1 :]
        if isinstance(s, gast.If):
            s = copy.copy(s)
            s.body, then = _returning(s.body, result, flag, namer, in_loop)
            s.orelse, other = _returning(s.orelse, result, flag, namer, in_loop)
            s.body = s.body or [gast.Pass()]
            out.append(s)
            if in_loop:  # `break` ends the iteration; rewrite_loops runs the rest under a flag
                continue
            if then == other == _ALWAYS:
                return out, _ALWAYS  # what follows never runs
            if _NEVER in (then, other) and _ALWAYS in (then, other):
                branch = "orelse" if then == _ALWAYS else "body"
                after, ends = _returning(rest, result, flag, namer)
                setattr(s, branch, [b for b in getattr(s, branch) if not isinstance(b, gast.Pass)] + after)
                s.body = s.body or [gast.Pass()]
                return out, ends if ends == _ALWAYS else _MAYBE
        else:  # a loop: `return` breaks out of it, and out of the loops around it
            if flag is None:
                raise _NeedsFlag
            s = copy.copy(s)
            s.body, _ = _returning(s.body, result, flag, namer, in_loop=True)
            out.append(s)
            if in_loop:
                out.append(_located(gast.If(test=name(flag), body=[_located(gast.Break(), s)], orelse=[]), s))
                continue
        if flag is None:
            raise _NeedsFlag
        after, ends = _returning(rest, result, flag, namer)
        if after:
            out.append(_located(gast.If(test=_not(flag), body=after, orelse=[]), s))
        return out, _ALWAYS if ends == _ALWAYS else _MAYBE
    return out, _NEVER


# -- tests, short circuits, `assert` and `raise` --------------------------------------------------


def _statements(stmts: list, namer: Namer) -> list:
    out = []
    for s in stmts:
        out += _statement(s, namer)
    return out


def _statement(s, namer) -> list:
    if isinstance(s, gast.If):
        s = copy.copy(s)
        before, s.test = _test(s.test, namer)
        s.body, s.orelse = _statements(s.body, namer), _statements(s.orelse, namer)
        return [*before, s]
    if isinstance(s, (gast.For, gast.While)):
        s = copy.copy(s)
        s.body = _statements(s.body, namer)
        if isinstance(s, gast.While):
            s.test = _nested(s.test, test=True)
        else:
            s.iter = _nested(s.iter, test=False)
        return [s]
    if isinstance(s, gast.Assert):
        return _assert(s, namer)
    if isinstance(s, gast.Raise):
        return [_raise(s)]
    if (
        isinstance(s, gast.Assign)
        and len(s.targets) == 1
        and isinstance(s.targets[0], gast.Name)
        and is_short_circuit(s.value)
    ):
        var = s.targets[0].id
        if var not in {n.id for n in walk(s.value) if isinstance(n, gast.Name)}:
            return _flag(s.value, var, False, namer)
        flag = namer.fresh(var)  # `x = a or x`: the old `x` is still read
        return [*_flag(s.value, flag, False, namer), _located(assign(var, name(flag)), s)]
    if isinstance(s, (gast.Assign, gast.AugAssign, gast.Expr, gast.Return)) and s.value is not None:
        s.value = _nested(s.value, test=False)
    return [s]


def _test(test: gast.expr, namer) -> tuple[list, gast.expr]:
    """The statements computing an `if`'s (or `assert`'s) test, and the test that reads them:
    `if a and b:` is `both = a`, `if both: both = b`, then `if both:`."""
    negations = 0
    inner = test
    while isinstance(inner, gast.UnaryOp) and isinstance(inner.op, gast.Not):
        negations, inner = negations + 1, inner.operand
    if not is_short_circuit(inner):
        return [], _nested(test, test=True)
    either = isinstance(inner, gast.BoolOp) and isinstance(inner.op, gast.Or)
    flag = namer.fresh("either" if either else "both")
    read = name(flag)
    for _ in range(negations):
        read = gast.UnaryOp(op=gast.Not(), operand=read)
    return _flag(inner, flag, True, namer), gast.copy_location(read, test)


def _flag(expr: gast.expr, flag: str, test: bool, namer) -> list:
    """Statements that leave in `flag` the value of `expr` (with `test`, a value as true or false
    as it), evaluating each operand once, left to right, and only when Python would."""
    if isinstance(expr, gast.BoolOp):
        first, *others = expr.values
        rest = (
            others[0]
            if len(others) == 1
            else gast.copy_location(gast.BoolOp(op=expr.op, values=others), others[0])
        )
        go_on = name(flag) if isinstance(expr.op, gast.And) else _not(flag)
        then = _flag(rest, flag, test, namer)
        return [*_flag(first, flag, test, namer), _located(gast.If(test=go_on, body=then, orelse=[]), rest)]
    if isinstance(expr, gast.Compare) and len(expr.ops) > 1:
        before, left, middle = [], expr.left, expr.comparators[0]
        if not is_plain(middle):  # read twice: computed once, into a name
            if not is_plain(left):  # ... and `left` before it, as Python does
                held = namer.fresh("left")
                before.append(_located(assign(held, left), left))
                left = _located(name(held), left)
            held = namer.fresh("middle")
            before.append(_located(assign(held, middle), middle))
            middle = _located(name(held), middle)
        first = _located(gast.Compare(left=left, ops=expr.ops[:1], comparators=[middle]), expr)
        rest = _located(
            gast.Compare(left=copy_tree(middle), ops=expr.ops[1:], comparators=expr.comparators[1:]), middle
        )
        first.end_lineno, first.end_col_offset = middle.end_lineno, middle.end_col_offset
        rest.end_lineno, rest.end_col_offset = expr.end_lineno, expr.end_col_offset
        then = _flag(rest, flag, test, namer)
        return [
            *before,
            _at_expr(assign(flag, _nested(first, test)), first),
            _located(gast.If(test=name(flag), body=then, orelse=[]), rest),
        ]
    return [_at_expr(assign(flag, _nested(expr, test)), expr)]


def _at_expr(stmt, expr):
    """`stmt` at the place of the expression it computes (its span, for the `# grad of:` quote)."""
    gast.copy_location(stmt, expr)
    stmt.end_lineno, stmt.end_col_offset = expr.end_lineno, expr.end_col_offset
    return stmt


def _nested(node: gast.expr, test: bool) -> gast.expr:
    """`node` with each `and`, `or` and chained comparison inside made a conditional expression:
    `a and b` is `b if a else False` where only its truth matters (`test`), else `b if a else a`;
    `a or b` is `True if a else b`, or `a if a else b`; `a < b < c` is `b < c if a < b else
    False`. What is read twice is a name, a constant or an attribute (the fence refuses the rest).
    Changes `node` in place where it can; returns it, or what replaces it."""
    if isinstance(node, gast.BoolOp):
        *firsts, last = [_nested(v, test) for v in node.values]
        out = last
        for value in reversed(firsts):
            kept = const(isinstance(node.op, gast.Or)) if test else copy_tree(value)
            if isinstance(node.op, gast.And):
                out = gast.IfExp(test=value, body=out, orelse=kept)
            else:
                out = gast.IfExp(test=value, body=kept, orelse=out)
            _at_expr(out, node)
        return out
    if isinstance(node, gast.Compare) and len(node.ops) > 1:
        parts = [_nested(p, False) for p in [node.left, *node.comparators]]
        pairs = [
            _at_expr(gast.Compare(left=copy_tree(a), ops=[op], comparators=[copy_tree(b)]), node)
            for a, op, b in zip(parts, node.ops, parts[1:])
        ]
        out = pairs[-1]
        for pair in reversed(pairs[:-1]):
            out = _at_expr(
                gast.IfExp(test=pair, body=out, orelse=const(False) if test else copy_tree(pair)), node
            )
        return out
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.Not):
        node.operand = _nested(node.operand, test=True)
        return node
    if isinstance(node, gast.IfExp):
        node.test = _nested(node.test, test=True)
        node.body, node.orelse = _nested(node.body, test), _nested(node.orelse, test)
        return node
    if isinstance(node, gast.Lambda):
        return node  # rewritten with the function it is in
    for field in node._fields:
        value = getattr(node, field, None)
        if isinstance(value, gast.expr):
            setattr(node, field, _nested(value, test=False))
        elif isinstance(value, list):
            value[:] = [_nested(v, test=False) if isinstance(v, gast.expr) else v for v in value]
    if isinstance(node, gast.Call):
        for keyword in node.keywords:
            keyword.value = _nested(keyword.value, test=False)
        for comp in node.args:
            if isinstance(comp, (gast.ListComp, gast.GeneratorExp)):
                for generator in comp.generators:
                    generator.iter = _nested(generator.iter, test=False)
    return node


def _assert(s: gast.Assert, namer) -> list:
    """`assert test, message`: the test computed as an `if`'s is, then a call of AssertionError
    marked to be printed as `assert` again. A message that is not a constant is computed only
    when the test fails, as Python does: `if not test: raise AssertionError(message)`."""
    before, test = _test(s.test, namer)
    if s.msg is not None and not isinstance(s.msg, gast.Constant):
        error = _at_expr(gast.Call(func=name("AssertionError"), args=[_nested(s.msg, False)], keywords=[]), s)
        setattr(error, RAISES, True)
        failed = _located(
            gast.If(test=_negated(test), body=[_located(gast.Expr(value=error), s)], orelse=[]), s
        )
        return [*before, failed]
    args = [test] + ([s.msg] if s.msg is not None else [])
    check = _at_expr(gast.Call(func=name("AssertionError"), args=args, keywords=[]), s)
    setattr(check, ASSERTS, True)
    return [*before, _at_expr(gast.Expr(value=check), s)]


def _raise(s: gast.Raise):
    """`raise Error(...)` (or `raise Error`): the call that makes the exception, marked to be
    printed as `raise` again."""
    exc = s.exc
    if not isinstance(exc, gast.Call):
        exc = _at_expr(gast.Call(func=exc, args=[], keywords=[]), exc)
    else:
        exc = _nested(exc, test=False)
    setattr(exc, RAISES, True)
    return _at_expr(gast.Expr(value=exc), s)


def _negated(test: gast.expr) -> gast.expr:
    if isinstance(test, gast.UnaryOp) and isinstance(test.op, gast.Not):
        return test.operand
    return gast.UnaryOp(op=gast.Not(), operand=test)
