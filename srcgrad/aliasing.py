"""Which names may hold the same array (or list), and the refusals that follow from it.

srcgrad computes `a += b` as `a = a + b` and `y[i] = v` as a new array (or list) with the part
written; Python changes the one object in place, for every name that holds it. Where another name
may hold it (`c = a`, `r = y[0]`, `for row in X`, `parts.append(h)`, a helper's parameter) and is
read after the change, the two would differ: such programs are refused at the user's line, never
differentiated as if the other name kept its old value. Part of the fence (fence.py `check`),
with what both read of the user's code: a function's own nodes, what a variable holds where the
source shows it (`container_kind`).
"""

from __future__ import annotations

import inspect

import gast
import numpy

from .errors import UnsupportedSyntaxError
from .frontend import MISSING, SourceFunction
from .syntax import to_source, walk


def own_nodes(tree: gast.FunctionDef):
    """The nodes of a function's code, without those of the functions defined inside it."""
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        yield node
        if not isinstance(node, (gast.FunctionDef, gast.Lambda)):
            pending.extend(gast.iter_child_nodes(node))


def position(node: gast.AST) -> tuple[int, int]:
    return getattr(node, "lineno", 0), getattr(node, "col_offset", 0)


# Functions and methods whose result shares memory with their first argument (or `self`).
_VIEW_FUNCTIONS = {
    "reshape", "transpose", "ravel", "squeeze", "expand_dims", "swapaxes", "moveaxis", "asarray",
    "asanyarray", "broadcast_to", "diagonal", "atleast_1d", "atleast_2d", "atleast_3d", "real",
}  # fmt: skip
_VIEW_METHODS = {"reshape", "transpose", "ravel", "squeeze", "swapaxes", "view", "diagonal"}
_VIEW_ATTRIBUTES = {"T", "mT", "real"}


def params_changed_in_place(source: SourceFunction) -> set[str]:
    """The parameters a function changes with `x += ...` (or `-=`, ...)."""
    args = source.tree.args
    params = {a.id for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    return {
        n.target.id
        for n in own_nodes(source.tree)
        if isinstance(n, gast.AugAssign) and isinstance(n.target, gast.Name) and n.target.id in params
    }


def check_in_place(source: SourceFunction, helper: bool, changed_params=frozenset()) -> None:
    """Refuse `a += b` where another name may hold the same array.

    srcgrad computes `a += b` as `a = a + b`. For an array, Python's `+=` changes the array in
    place instead, so every other name for it sees the change: after `c = a` (or `c = a[0]`,
    `c = a.T`, a loop `for c in A`, a helper's parameter) the two differ. Such programs are
    refused rather than differentiated as if `c` kept its old value.
    """
    tree = source.tree
    augmented: dict[str, list] = {}
    found = [n for n in walk(tree) if isinstance(n, gast.AugAssign) and isinstance(n.target, gast.Name)]
    for node in sorted(found, key=position):  # the first in the source is named (`walk` is breadth first)
        augmented.setdefault(node.target.id, []).append(node)
    if not augmented:
        return
    fix = "Write `{0} = {0} {1} ...`, which makes a new array, instead of `{0} {1}= ...`."
    if helper:
        for arg in [*tree.args.posonlyargs, *tree.args.args, *tree.args.kwonlyargs]:
            if arg.id in augmented and arg.id not in changed_params:
                node = augmented[arg.id][0]
                what = f"`{arg.id} {symbol(node)}= ...` on a parameter of a helper"
                hint = "It would change the caller's array in place. " + fix.format(arg.id, symbol(node))
                _reject(source, node, what, hint)
    loops = [set(map(id, walk(n))) for n in walk(tree) if isinstance(n, (gast.For, gast.While))]
    for node, target, shared, _ in _aliases(source, tree):
        for changed in sorted(({target} | shared) & set(augmented)):
            for aug in augmented[changed]:
                later = (aug.lineno, aug.col_offset) > (node.lineno, node.col_offset)
                if later or any(id(node) in loop and id(aug) in loop for loop in loops):
                    line = source.location(aug).lineno
                    this = {gast.For: "this loop", gast.Expr: "this call"}.get(type(node), "this assignment")
                    what = f"{this} together with `{changed} {symbol(aug)}= ...` (line {line})"
                    hint = (
                        f"After it, {target!r} and {', '.join(map(repr, sorted(shared)))} may hold one "
                        f"array, and `{symbol(aug)}=` changes an array in place, for every name that "
                        "holds it. " + fix.format(changed, symbol(aug)) + " (Use .copy() where a name "
                        "should keep the old values.)"
                    )
                    _reject(source, node, what, hint)


def check_writes(source: SourceFunction) -> None:
    """Refuse `y[i] = v` where another name may hold the same array or a view of it, and is read
    after the write: Python's write changes the array under both names, srcgrad's makes a new
    array for `y` (anf/lowering.py `lower_write`), so the other name would keep the old values."""
    tree = source.tree
    writes = []
    for node in own_nodes(tree):
        targets = (
            node.targets
            if isinstance(node, gast.Assign)
            else [node.target]
            if isinstance(node, gast.AugAssign)
            else []
        )
        writes += [
            (node, t.value.id)
            for t in targets
            if isinstance(t, gast.Subscript) and isinstance(t.value, gast.Name)
        ]
    if not writes:
        return
    aliases = list(_aliases(source, tree))
    loops = [n for n in walk(tree) if isinstance(n, (gast.For, gast.While))]
    reads: dict[str, list] = {}
    for n in own_nodes(tree):
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
            reads.setdefault(n.id, []).append(n)
    for write, var in sorted(writes, key=lambda pair: position(pair[0])):
        end = (write.end_lineno, write.end_col_offset)
        listed = container_kind(source, var, write) == "list"
        for alias, target, shared, value in aliases:
            if var in shared and target != var:
                other = target  # `r = y[0]`: r may be a view of y
                if listed and _part_of(value, var):
                    continue  # `r = xs[0]`: writing an item of the list xs does not change r
            elif target == var and shared - {var}:
                other = sorted(shared - {var})[0]  # `y = x[0]`: writing y changes x
                if listed and isinstance(value, (gast.Tuple, gast.List)):
                    continue  # `xs = [h]`: writing an item of xs does not change h
            else:
                continue
            inside = [set(map(id, walk(loop))) for loop in loops]
            common = [ids for ids in inside if id(alias) in ids and id(write) in ids]
            for read in reads.get(other, []):
                after = position(read) > end
                around = any(id(read) in ids for ids in common) and position(read) < position(alias)
                if after or around:
                    copy = f"Make `{other}` a copy where it is made (`{other} = ....copy()`)"
                    if isinstance(alias, gast.Expr):  # `parts.append(h)`
                        copy = f"Add a copy to `{other}` (`{to_source(alias.value.func)}({var}.copy())`)"
                    _reject(
                        source,
                        write,
                        f"writing into `{var}` here while `{other}` may hold the same array or a view "
                        "of it, and is read after",
                        f"In Python the write changes `{other}` too; srcgrad writes a new array. "
                        f"{copy}, or read `{var}` itself after the write.",
                    )


def _aliases(source: SourceFunction, tree):
    """(statement, name, names, value) for each statement after which `name` may hold the array
    that one of `names` holds (or a view of it), as `value` says: `c = a`, `c = a[0]`, `c = a.T`,
    `for c in a:`, and `c.append(a)` (the list `c` holds `a`, as `c = [a]` would); in source
    order."""
    for node in sorted(walk(tree), key=position):
        pairs = []
        if isinstance(node, gast.Assign):
            for target in node.targets:
                if isinstance(target, gast.Name):
                    pairs.append((target.id, node.value))
                elif not isinstance(target, (gast.Tuple, gast.List)):
                    continue  # `y[i] = v`: a write (check_writes), not a new name for an array
                elif isinstance(node.value, (gast.Tuple, gast.List)) and len(node.value.elts) == len(
                    target.elts
                ):
                    pairs += [(t.id, v) for t, v in zip(target.elts, node.value.elts)]
                else:
                    pairs += [(t.id, node.value) for t in target.elts]
        elif isinstance(node, gast.For) and not _is_range(source, node.iter):
            targets = [node.target] if isinstance(node.target, gast.Name) else node.target.elts
            pairs += [(t.id, node.iter) for t in targets if isinstance(t, gast.Name)]
        elif isinstance(node, gast.Expr) and _added_to_list(node.value):
            # `parts.append(h)`: the list holds h's array, which a later `h[0] = ...` changes in
            # Python (srcgrad writes a new array, and the list would keep the old one)
            call = node.value
            added = call.args[-1]
            items = added.elts if isinstance(added, (gast.Tuple, gast.List)) else []
            items = [added] if call.func.attr != "extend" else items
            pairs += [(call.func.value.id, gast.List(elts=[v], ctx=gast.Load())) for v in items]
        for target, value in pairs:
            shared = _shares(source, value)
            if shared:
                yield node, target, shared, value


def _part_of(value: gast.expr, var: str) -> bool:
    """Whether `value` is an item or a slice of `var` (`xs[0]`, `xs[1:][0]`)."""
    if not isinstance(value, gast.Subscript):
        return False
    while isinstance(value, gast.Subscript):
        value = value.value
    return isinstance(value, gast.Name) and value.id == var


def _added_to_list(call) -> bool:
    """`xs.append(v)`, `xs.insert(i, v)` or `xs.extend([a, b])` on a variable `xs`."""
    return (
        isinstance(call, gast.Call)
        and isinstance(call.func, gast.Attribute)
        and call.func.attr in ("append", "insert", "extend")
        and isinstance(call.func.value, gast.Name)
        and bool(call.args)
        and not call.keywords
    )


def _users_function(source: SourceFunction, func: gast.expr) -> bool:
    """A Python function that is not NumPy's: it may return one of its arguments, or a view."""
    value = source.resolve(func) if isinstance(func, (gast.Name, gast.Attribute)) else MISSING
    return inspect.isfunction(value) and not _in_module(value, "numpy")


def symbol(node: gast.AugAssign) -> str:
    symbols = {gast.Add: "+", gast.Sub: "-", gast.Mult: "*", gast.Div: "/", gast.Pow: "**"}
    symbols.update({gast.MatMult: "@", gast.FloorDiv: "//", gast.Mod: "%"})
    return symbols.get(type(node.op), "?")


def _is_range(source: SourceFunction, node: gast.expr) -> bool:
    return isinstance(node, gast.Call) and source.resolve(node.func) is range


def _shares(source: SourceFunction, value: gast.expr) -> set[str]:
    """The names whose arrays `value` may be, or be a view of."""
    if isinstance(value, gast.Name):
        return {value.id}
    if isinstance(value, gast.Subscript):
        return _shares(source, value.value)
    if isinstance(value, gast.Attribute) and value.attr in _VIEW_ATTRIBUTES:
        return _shares(source, value.value)
    if isinstance(value, gast.IfExp):
        return _shares(source, value.body) | _shares(source, value.orelse)
    if isinstance(value, (gast.Tuple, gast.List)):
        return set().union(*[_shares(source, e) for e in value.elts])
    if isinstance(value, gast.Call) and _users_function(source, value.func):  # may return an argument
        return set().union(*[_shares(source, a) for a in [*value.args, *(k.value for k in value.keywords)]])
    if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute):
        func = value.func
        if func.attr in _VIEW_FUNCTIONS and value.args and isinstance(func.value, gast.Name):
            module = source.lookup(func.value.id)
            if getattr(module, "__name__", "").startswith("numpy"):  # np.reshape(a, ...)
                return _shares(source, value.args[0])
        if func.attr in _VIEW_METHODS:  # a.reshape(...)
            return _shares(source, func.value)
    return set()


_DICT_MAKERS = {"OrderedDict", "defaultdict"}  # of collections


def container_kind(source: SourceFunction, var: str, before: gast.AST) -> str | None:
    """`"dict"`, `"list"` or `"array"`: what the last assignment to `var` above `before` makes, when
    the source shows it (a literal, `dict()`, `list()`, a NumPy call); else None."""
    values = []
    for node in walk(source.tree):
        if isinstance(node, gast.Assign) and position(node) < position(before):
            for target in node.targets:
                if isinstance(target, gast.Name) and target.id == var:
                    values.append((position(node), node.value))
                elif isinstance(target, (gast.Tuple, gast.List)) and isinstance(
                    node.value, (gast.Tuple, gast.List)
                ):
                    for t, v in zip(target.elts, node.value.elts):
                        if isinstance(t, gast.Name) and t.id == var:
                            values.append((position(node), v))
    if not values:
        return None
    return _kind_of_value(source, max(values, key=lambda pair: pair[0])[1])


def _kind_of_value(source: SourceFunction, value: gast.expr) -> str | None:
    if isinstance(value, (gast.Dict, gast.DictComp)):
        return "dict"
    if isinstance(value, (gast.List, gast.ListComp)):
        return "list"
    if isinstance(value, gast.BinOp) and isinstance(value.op, (gast.Add, gast.Mult)):
        kinds = {_kind_of_value(source, value.left), _kind_of_value(source, value.right)}
        if "list" in kinds:  # `[None] * n`, `parts + [x]`
            return "list"
        return "array" if "array" in kinds else None
    if isinstance(value, gast.Call):
        func = source.resolve(value.func)
        if func is MISSING:
            return None
        if func is dict or (
            getattr(func, "__name__", None) in _DICT_MAKERS and _in_module(func, "collections")
        ):
            return "dict"
        if func is list:
            return "list"
        if isinstance(func, numpy.ufunc) or _in_module(func, "numpy"):
            return "array"
    return None


def _in_module(obj, package: str) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module == package or module.startswith(package + ".")


def _reject(source: SourceFunction, node: gast.AST, what: str, hint: str) -> None:
    raise UnsupportedSyntaxError(
        f"srcgrad cannot differentiate {what} in {source.name!r}.",
        source.location(node),
        hint=hint,
    )
