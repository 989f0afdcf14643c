"""What the lowering asks of its atoms (names and constants, and the lists and tuples it keeps
item by item): whether one is a list made in the function or a reference to a part of a nested
parameter, and which names a lowered statement reads; with the few calls the lowering writes."""

from __future__ import annotations

import gast

from ...ir import Assign, Effect, For, If
from ...syntax import name, names_in
from ...syntax import walk as walk_tree


def is_list_literal(atom) -> bool:
    """A list written in the function (`[]`, `[a, b]`), as the lowering holds it."""
    return isinstance(atom, (gast.Tuple, gast.List)) and getattr(atom, "srcgrad_list", False)


def as_written(atom):
    """A list passed to a call stays a list (`ungetitem(g, x, [2, 0, 2])` picks rows; a tuple
    there would index several axes)."""
    if isinstance(atom, gast.Tuple) and getattr(atom, "srcgrad_list", False):
        listed = gast.List(elts=atom.elts, ctx=gast.Load())
        listed.srcgrad_list = True
        return listed
    return atom


def struct_ref(param: str, path) -> gast.Name:
    """The parameter's name, marked as standing for its part at `path` (see structures.py)."""
    ref = name(param)
    ref.srcgrad_struct = (param, tuple(path))
    return ref


def is_struct(atom) -> bool:
    return hasattr(atom, "srcgrad_struct")


def reads(stmt) -> set:
    """The names a lowered statement reads (a loop: its range, test and carried values)."""
    if isinstance(stmt, (Assign, Effect)):
        return names_in(stmt.value)
    if isinstance(stmt, If):
        return names_in(stmt.test)
    if isinstance(stmt, For):
        parts = [stmt.iter, stmt.test, *(v for _, v in stmt.carried)]
        return {n for p in parts if p is not None for n in names_in(p)}
    return set()


def keywords(kwargs):
    return [gast.keyword(arg=k, value=v) for k, v in kwargs.items()]


def call_len(atom) -> gast.Call:
    return gast.Call(func=name("len"), args=[atom], keywords=[])


def call_min(atoms) -> gast.Call:
    return gast.Call(func=name("min"), args=list(atoms), keywords=[])


def stored_names(tree) -> set[str]:
    """The names a function's code binds: assigned, loop and comprehension targets, parameters
    of the functions and lambdas inside it, and the names of the functions it defines (not its
    own parameters)."""
    args = tree.args
    own = {id(a) for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]}
    stored = set()
    for node in walk_tree(tree):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            stored.add(node.id)
        elif isinstance(node, gast.Name) and isinstance(node.ctx, gast.Param) and id(node) not in own:
            stored.add(node.id)  # a parameter of a function or lambda inside
        elif isinstance(node, gast.FunctionDef) and node is not tree:
            stored.add(node.name)
    return stored


def root_of(node: gast.expr) -> gast.expr:
    """The expression a dotted one starts from: `np` of `np.linalg.norm`."""
    while isinstance(node, gast.Attribute):
        node = node.value
    return node


def params_of(args: gast.arguments) -> list[str]:
    """A function's parameter names, as Python binds them: positional, *args, keyword-only, **kwargs."""
    names = [a.id for a in args.posonlyargs + args.args]
    if args.vararg:
        names.append(args.vararg.id)
    names += [a.id for a in args.kwonlyargs]
    if args.kwarg:
        names.append(args.kwarg.id)
    return names
