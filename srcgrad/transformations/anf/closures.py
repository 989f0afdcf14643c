"""A nested function that adds to a list of the function around it: `def walk(v): ...
leaves.append(np.ravel(v))` inside a function that made `leaves = []`. In Python the two share
one list; srcgrad follows a list the function grows (`leaves = leaves + [v]`, desugar.py
`grow_lists`), so the list is passed into each call and taken back after it:

- the nested function takes the list as a keyword parameter of the list's name, and its
  `leaves.append(v)` becomes `leaves = leaves + [v]` (`.extend(vs)`: `leaves + list(vs)`);
- each call passes it (`walk(x, leaves=leaves)`), and is followed by `leaves = leaves`, which
  changes nothing but shows the loops and branches around the call that it gives `leaves` a new
  value;
- the lowering (local.py) gives the caller's `leaves`, after the call, the value the call
  ended with: the function is marked with the names it gives back (`THREADED`).

A nested function that calls one of these adds to the list too, and is rewritten alike (a
recursive one calls itself). A call inside a comprehension, a lambda or the test of an `if` or a
loop, and the function used other than by calling it, are refused at the user's line.

>>> import gast
>>> from srcgrad.frontend import SourceFunction
>>> from srcgrad.syntax import to_source
>>> tree = gast.parse('''
... def flat(params):
...     leaves = []
...     def walk(v):
...         leaves.append(v)
...     for p in params:
...         walk(p)
...     return leaves
... ''').body[0]
>>> thread_lists(SourceFunction(None, tree, "f.py", 1, 0, []), {"leaves"})
>>> print(to_source(tree))
def flat(params):
    leaves = []
<BLANKLINE>
    def walk(v, *, leaves):
        leaves = leaves + [v]
    for p in params:
        walk(p, leaves=leaves)
        leaves = leaves
    return leaves
"""

from __future__ import annotations

import gast

from ...errors import UnsupportedSyntaxError
from ...fence import own_nodes
from ...frontend import SourceFunction
from ...syntax import walk
from ..desugar import rewrite_growth
from .atoms import params_of, stored_names

THREADED = "srcgrad_threaded"  # on a nested FunctionDef: the lists of its caller it gives back

_ADDS = ("append", "extend")
_SIMPLE = (gast.Expr, gast.Assign, gast.AugAssign, gast.Assert)


def thread_lists(source: SourceFunction, lists: set) -> None:
    """Rewrite, in place, the functions defined in `source` that add to one of `lists` (the
    lists it makes: desugar.py `lists_made`), and their calls."""
    tree = source.tree
    nested = [n for n in own_nodes(tree) if isinstance(n, gast.FunctionDef)]
    names = [n.name for n in nested]
    if not lists or not nested or len(set(names)) != len(names):  # two `def walk`: left as they are
        return
    by_name = {n.name: n for n in nested}
    adds, calls = {}, {}
    for fn in nested:
        own = set(params_of(fn.args)) | stored_names(fn)
        adds[fn.name] = {
            n.func.value.id
            for n in own_nodes(fn)
            if _adds_to(n) and n.func.value.id in lists and n.func.value.id not in own
        } | set(getattr(fn, THREADED, ()))
        calls[fn.name] = {
            n.func.id
            for n in own_nodes(fn)
            if isinstance(n, gast.Call) and isinstance(n.func, gast.Name) and n.func.id in by_name
        } - own
    changed = True
    while changed:  # a function that calls one that adds to a list adds to it too
        changed = False
        for fname, called in calls.items():
            more = set().union(*(adds[c] for c in called)) - adds[fname] if called else set()
            if more:
                adds[fname] |= more
                changed = True
    threaded = {f: sorted(a) for f, a in adds.items() if a}
    rebound = {n.id for n in own_nodes(tree) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
    threaded = {f: a for f, a in threaded.items() if f not in rebound}  # `walk = ...` too: left alone
    if not threaded:
        return
    for fname, names in threaded.items():
        fn = by_name[fname]
        rewrite_growth(fn.body, set(names))
        given = set(getattr(fn, THREADED, ()))
        for n in names:
            if n not in given:
                fn.args.kwonlyargs.append(
                    gast.Name(id=n, ctx=gast.Param(), annotation=None, type_comment=None)
                )
                fn.args.kw_defaults.append(None)
        setattr(fn, THREADED, names)
    for scope in [tree, *nested]:
        shadowed = set(params_of(scope.args)) | stored_names(scope) if scope is not tree else set()
        calling = {f: a for f, a in threaded.items() if f not in shadowed or f == scope.name}
        scope.body = _calls_rewritten(scope.body, calling, source)
        _refuse_other_uses(scope, calling, source)


def _adds_to(node) -> bool:
    return (
        isinstance(node, gast.Call)
        and isinstance(node.func, gast.Attribute)
        and node.func.attr in _ADDS
        and isinstance(node.func.value, gast.Name)
    )


def _calls_rewritten(stmts: list, threaded: dict, source: SourceFunction) -> list:
    out = []
    for stmt in stmts:
        if isinstance(stmt, gast.FunctionDef):
            out.append(stmt)  # its own code is a scope of its own (thread_lists)
            continue
        for block in ("body", "orelse"):
            if isinstance(stmt, (gast.If, gast.For, gast.While)):
                setattr(stmt, block, _calls_rewritten(getattr(stmt, block), threaded, source))
        found = [c for c in _header_calls(stmt) if _called(c) in threaded]
        if not found:
            out.append(stmt)
            continue
        if not isinstance(stmt, (*_SIMPLE, gast.Return)):
            _refuse(source, found[0], "the test of an `if` or a loop, or a loop's sequence")
        for node in _nodes_inside(stmt):
            if isinstance(node, (gast.Lambda, gast.ListComp, gast.GeneratorExp, gast.SetComp, gast.DictComp)):
                inner = [c for c in walk(node) if isinstance(c, gast.Call) and _called(c) in threaded]
                if inner:
                    _refuse(source, inner[0], "a comprehension or a lambda")
        given = []
        for call in found:
            lists = threaded[_called(call)]
            passed = {k.arg for k in call.keywords}
            call.keywords += [gast.keyword(arg=n, value=_load(n, call)) for n in lists if n not in passed]
            given += [n for n in lists if n not in given]
        taken = [
            _located(gast.Assign(targets=[_store(n, stmt)], value=_load(n, stmt), type_comment=None), stmt)
            for n in given
        ]
        if isinstance(stmt, gast.Return) and stmt.value is not None:  # `return walk(x)`: value, lists, return
            held = _fresh("returned", source.tree)
            first = _located(
                gast.Assign(targets=[_store(held, stmt)], value=stmt.value, type_comment=None), stmt
            )
            stmt.value = _load(held, stmt)
            out += [first, *taken, stmt]
        else:
            out += [stmt, *taken]
    return out


def _header_calls(stmt) -> list:
    """The calls a statement makes before any block of it runs, in its own expressions."""
    return [n for n in _nodes_inside(stmt) if isinstance(n, gast.Call)]


def _nodes_inside(stmt) -> list:
    """The nodes of a statement's own expressions (not of the statements in its blocks)."""
    found = []
    for field, value in gast.iter_fields(stmt):
        if field in ("body", "orelse"):
            continue
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, gast.AST):
                found += list(walk(child))
    return found


def _called(call: gast.Call) -> str | None:
    return call.func.id if isinstance(call.func, gast.Name) else None


def _refuse_other_uses(scope, threaded: dict, source: SourceFunction) -> None:
    """The function's name read other than as the function a call calls (`map(walk, xs)`)."""
    called = {id(n.func) for n in own_nodes(scope) if isinstance(n, gast.Call)}
    for node in own_nodes(scope):
        used = isinstance(node, gast.Name) and node.id in threaded and isinstance(node.ctx, gast.Load)
        if used and id(node) not in called:
            raise UnsupportedSyntaxError(
                f"srcgrad passes the list {threaded[node.id][0]!r} into each call of {node.id!r}, "
                f"which adds to it, and takes it back after; here {node.id!r} is used other than by "
                "calling it.",
                source.location(node),
                hint=f"Call {node.id!r} directly (`{node.id}(x)`), or have it return what it adds "
                "and append that here.",
            )


def _refuse(source: SourceFunction, call: gast.Call, where: str) -> None:
    fname = _called(call)
    raise UnsupportedSyntaxError(
        f"srcgrad passes a list into each call of {fname!r}, which adds to it, and takes it back "
        f"after the statement; here {fname!r} is called inside {where}.",
        source.location(call),
        hint=f"Call {fname!r} on a line of its own (`{fname}(x)` or `y = {fname}(x)`), then use its result.",
    )


def _fresh(base: str, tree) -> str:
    used = {n.id for n in walk(tree) if isinstance(n, gast.Name)}
    candidate, i = base, 1
    while candidate in used:
        i += 1
        candidate = f"{base}_{i}"
    return candidate


def _load(n: str, like) -> gast.Name:
    return _located(gast.Name(id=n, ctx=gast.Load(), annotation=None, type_comment=None), like)


def _store(n: str, like) -> gast.Name:
    return _located(gast.Name(id=n, ctx=gast.Store(), annotation=None, type_comment=None), like)


def _located(node, like):
    gast.copy_location(node, like)
    node.end_lineno = getattr(like, "end_lineno", None)
    node.end_col_offset = getattr(like, "end_col_offset", None)
    return node
