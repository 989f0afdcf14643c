"""Dicts a function makes to keep its values by name, written as one variable per key.

Hand-written NumPy code keeps a step's values in a dict (`cache = {}`, `cache["h"] = h`, later
`cache["h"]`) or gathers parameters under names (`ps = {"W": W, "b": b}`, `dict(W=W, b=b)`).
When every key is a literal identifier and the dict is only ever read and written by such a key,
the dict is nothing but a set of variables: `cache["h"]` is rewritten as the variable `cache_h`,
and srcgrad differentiates those like any other. A dict used any other way (passed whole,
looped over, indexed by a computed key, read in a function defined inside, or made from an
expression reading the dict it replaces) is left as written, and the fence refuses it with its
usual message.

>>> import gast
>>> from srcgrad.syntax import to_source
>>> tree = gast.parse('''
... def f(x, W):
...     cache = {"x": x}
...     cache["h"] = np.tanh(cache["x"] @ W)
...     return np.sum(cache["h"])
... ''').body[0]
>>> split_dicts(tree)
>>> print(to_source(tree))
def f(x, W):
    cache_x = x
    cache_h = np.tanh(cache_x @ W)
    return np.sum(cache_h)
"""

from __future__ import annotations

import gast

from .syntax import walk


def split_dicts(tree: gast.FunctionDef) -> None:
    """Rewrite, in place, each dict of the function that is only a set of named variables (see
    the module's docstring) as those variables."""
    names = _splittable(tree)
    if names:
        tree.body = _block(tree.body, names)


def _keys(value: gast.expr) -> list[tuple[str, gast.expr]] | None:
    """The (key, value) items a dict-making expression gives, if its keys are literal
    identifiers: `{}`, `{"W": w}`, `dict(W=w)`; None for anything else."""
    if isinstance(value, gast.Dict):
        keys = [
            k.value if isinstance(k, gast.Constant) and isinstance(k.value, str) else None for k in value.keys
        ]
        if any(k is None or not k.isidentifier() for k in keys):
            return None
        return list(zip(keys, value.values))
    if (
        isinstance(value, gast.Call)
        and isinstance(value.func, gast.Name)
        and value.func.id == "dict"
        and not value.args
        and all(k.arg is not None for k in value.keywords)
    ):
        return [(k.arg, k.value) for k in value.keywords]
    return None


def _key(node: gast.AST, names: set) -> str | None:
    """The literal key of `d["k"]` for a dict name `d` in `names`."""
    if (
        isinstance(node, gast.Subscript)
        and isinstance(node.value, gast.Name)
        and node.value.id in names
        and isinstance(node.slice, gast.Constant)
        and isinstance(node.slice.value, str)
        and node.slice.value.isidentifier()
    ):
        return node.slice.value
    return None


def _making(stmt) -> str | None:
    """The dict name a statement `d = {...}` makes, if it is one."""
    if (
        isinstance(stmt, gast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], gast.Name)
        and _keys(stmt.value) is not None
    ):
        return stmt.targets[0].id
    return None


def _splittable(tree: gast.FunctionDef) -> set[str]:
    nodes = list(walk(tree))
    makes = [n for n in nodes if _making(n) is not None]
    candidates = {_making(n) for n in makes}
    spec = tree.args
    candidates -= {
        a.id for a in [*spec.posonlyargs, *spec.args, *spec.kwonlyargs, spec.vararg, spec.kwarg] if a
    }
    if not candidates:
        return set()
    accounted = {id(n.targets[0]) for n in makes}
    keys: dict[str, set] = {d: set() for d in candidates}
    for node in nodes:
        key = _key(node, candidates)
        if key is not None:
            accounted.add(id(node.value))
            keys[node.value.id].add(key)
    for stmt in makes:
        d = _making(stmt)
        if d in candidates:
            keys[d].update(k for k, _ in _keys(stmt.value))
            if any(isinstance(n, gast.Name) and n.id == d for _, v in _keys(stmt.value) for n in walk(v)):
                candidates.discard(d)  # `d = {"a": 1, "b": d["a"]}` reads the dict it replaces
    inner = [n for n in nodes if isinstance(n, (gast.FunctionDef, gast.Lambda)) and n is not tree]
    inside = {id(m) for f in inner for m in walk(f)}
    taken = {n.id for n in nodes if isinstance(n, gast.Name)}
    for d in list(candidates):
        uses = [n for n in nodes if isinstance(n, gast.Name) and n.id == d]
        if any(id(n) not in accounted or id(n) in inside for n in uses):
            candidates.discard(d)  # used whole, or by a function defined inside
        elif any(f"{d}_{k}" in taken for k in keys[d]):
            candidates.discard(d)  # a variable's name is taken already
    return candidates


class _Rename(gast.NodeTransformer):
    def __init__(self, names: set):
        self.names = names

    def visit_Subscript(self, node):
        key = _key(node, self.names)
        if key is None:
            return self.generic_visit(node)
        variable = gast.Name(id=f"{node.value.id}_{key}", ctx=node.ctx, annotation=None, type_comment=None)
        return gast.copy_location(variable, node)


def _block(stmts: list, names: set) -> list:
    rename = _Rename(names)
    out = []
    for stmt in stmts:
        d = _making(stmt)
        if d in names:  # `d = {"W": w}`: `d_W = w`, one assignment a key
            for key, value in _keys(stmt.value):
                target = gast.copy_location(gast.Name(id=f"{d}_{key}", ctx=gast.Store()), stmt)
                target.annotation = target.type_comment = None
                assign = gast.copy_location(gast.Assign(targets=[target], value=rename.visit(value)), stmt)
                assign.type_comment = None
                assign.end_lineno, assign.end_col_offset = stmt.end_lineno, stmt.end_col_offset
                out.append(assign)
            continue
        if not isinstance(stmt, (gast.If, gast.For, gast.While)):
            out.append(rename.visit(stmt))
            continue
        for field in ("test", "iter", "target"):  # a compound statement's own expressions
            if getattr(stmt, field, None) is not None:
                setattr(stmt, field, rename.visit(getattr(stmt, field)))
        for block in ("body", "orelse"):
            inner = _block(getattr(stmt, block), names)
            if getattr(stmt, block) and not inner:  # a block that only made a dict
                inner = [gast.copy_location(gast.Pass(), stmt)]
            setattr(stmt, block, inner)
        out.append(stmt)
    return out
