"""Reject what srcgrad cannot differentiate, before any transformation, with the user's line.

Each unsupported construct gets a message naming it and a suggestion for a rewrite.
"""

from __future__ import annotations

import gast

from .errors import UnsupportedSyntaxError
from .frontend import SourceFunction
from .syntax import walk

_STATEMENTS = (
    gast.Assign,
    gast.AugAssign,
    gast.Return,
    gast.Expr,
    gast.Pass,
    gast.If,
    gast.For,
    gast.While,
    gast.Break,
    gast.Continue,
)
_EXPRESSIONS = (
    gast.Name,
    gast.Constant,
    gast.BinOp,
    gast.UnaryOp,
    gast.Call,
    gast.Attribute,
    gast.Compare,
    gast.Tuple,
    gast.List,
    gast.keyword,
    gast.IfExp,
    gast.BoolOp,
    gast.Subscript,
    gast.Slice,
)
_CONTEXT = (gast.Load, gast.Store, gast.expr_context, gast.operator, gast.unaryop, gast.cmpop, gast.boolop)

_LATER = "srcgrad does not support this yet; until it does, "
_WHAT = {
    gast.Subscript: (
        "assignment into part of an array (`y[i] = ...`)",
        "Build the array whole instead: np.where(mask, new, y), np.concatenate or np.stack. "
        "(Writing into an array in place would change it for every other use.)",
    ),
    gast.Lambda: ("a lambda", "Define a named function with `def`, outside the differentiated one."),
    gast.FunctionDef: ("a nested function definition", "Define helpers at module level."),
    gast.ListComp: (
        "a list comprehension here",
        "Comprehensions are differentiated as the argument of sum(), np.stack(), np.concatenate() "
        "and the like; elsewhere write the loop.",
    ),
    gast.GeneratorExp: (
        "a generator expression here",
        "Generator expressions are differentiated as the argument of sum() and the like; "
        "elsewhere write the loop.",
    ),
    gast.Try: ("a `try` statement", "Handle errors outside the differentiated function."),
    gast.With: ("a `with` statement", "Move it outside the differentiated function."),
    gast.Raise: ("a `raise` statement", "Validate inputs before calling the gradient."),
    gast.Assert: ("an `assert` statement", "Check inputs before calling the gradient."),
    gast.Global: ("a `global` statement", "Pass the value in as an argument."),
    gast.Nonlocal: ("a `nonlocal` statement", "Pass the value in as an argument."),
    gast.Delete: ("a `del` statement", "Remove it: the function's locals are discarded anyway."),
    gast.Import: ("an import inside the function", "Import at module level."),
    gast.ImportFrom: ("an import inside the function", "Import at module level."),
    gast.Starred: ("star-unpacking (`*args`)", "Pass the arguments one by one."),
    gast.Yield: ("`yield`", "Generators are not differentiable; return a value."),
    gast.Await: ("`await`", "Async code is not differentiable; use a plain function."),
    gast.NamedExpr: ("an assignment expression (`:=`)", "Use a separate assignment statement."),
    gast.Dict: ("a dict literal", _LATER + "pass arrays as separate arguments."),
    gast.Set: ("a set literal", "Use arrays."),
    gast.JoinedStr: ("an f-string", "Move string formatting outside the differentiated function."),
    gast.ClassDef: ("a class definition", "Define classes at module level."),
}


def check(source: SourceFunction, helper: bool = False) -> None:
    """Raise UnsupportedSyntaxError at the first construct srcgrad does not handle (`helper`:
    the function is inlined into another, so its parameters are the caller's values)."""
    tree = source.tree
    if isinstance(tree, gast.AsyncFunctionDef):
        _reject(source, tree, "an async function", "Use a plain `def` function.")
    returns = [n for n in walk(tree) if isinstance(n, gast.Return)]
    if not returns:
        _reject(source, tree, "a function without `return`", "Return the scalar to differentiate.")
    for stmt in tree.body:
        _check_node(source, stmt)
    if not isinstance(tree.body[-1], gast.Return) or len(returns) > 1:
        extra = returns[0] if len(returns) > 1 or returns[0] is not tree.body[-1] else tree.body[-1]
        _reject(
            source,
            extra,
            "a `return` before the end of the function",
            "Return once, as the function's last statement.",
        )
    _check_in_place(source, helper)


# Functions and methods whose result shares memory with their first argument (or `self`).
_VIEW_FUNCTIONS = {
    "reshape", "transpose", "ravel", "squeeze", "expand_dims", "swapaxes", "moveaxis", "asarray",
    "asanyarray", "broadcast_to", "diagonal", "atleast_1d", "atleast_2d", "atleast_3d", "real",
}  # fmt: skip
_VIEW_METHODS = {"reshape", "transpose", "ravel", "squeeze", "swapaxes", "view", "diagonal"}
_VIEW_ATTRIBUTES = {"T", "mT", "real"}


def _check_in_place(source: SourceFunction, helper: bool) -> None:
    """Refuse `a += b` where another name may hold the same array.

    srcgrad computes `a += b` as `a = a + b`. For an array, Python's `+=` changes the array in
    place instead, so every other name for it sees the change: after `c = a` (or `c = a[0]`,
    `c = a.T`, a loop `for c in A`, a helper's parameter) the two differ. Such programs are
    refused rather than differentiated as if `c` kept its old value.
    """
    tree = source.tree
    augmented: dict[str, list] = {}
    for node in walk(tree):
        if isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name):
            augmented.setdefault(node.target.id, []).append(node)
    if not augmented:
        return
    fix = "Write `{0} = {0} {1} ...`, which makes a new array, instead of `{0} {1}= ...`."
    if helper:
        for arg in [*tree.args.posonlyargs, *tree.args.args, *tree.args.kwonlyargs]:
            if arg.id in augmented:
                node = augmented[arg.id][0]
                what = f"`{arg.id} {_symbol(node)}= ...` on a parameter of a helper"
                hint = "It would change the caller's array in place. " + fix.format(arg.id, _symbol(node))
                _reject(source, node, what, hint)
    loops = [set(map(id, walk(n))) for n in walk(tree) if isinstance(n, (gast.For, gast.While))]
    for node, target, shared in _aliases(source, tree):
        for changed in sorted(({target} | shared) & set(augmented)):
            for aug in augmented[changed]:
                later = (aug.lineno, aug.col_offset) > (node.lineno, node.col_offset)
                if later or any(id(node) in loop and id(aug) in loop for loop in loops):
                    line = source.location(aug).lineno
                    this = "this loop" if isinstance(node, gast.For) else "this assignment"
                    what = f"{this} together with `{changed} {_symbol(aug)}= ...` (line {line})"
                    hint = (
                        f"After it, {target!r} and {', '.join(map(repr, sorted(shared)))} may hold one "
                        f"array, and `{_symbol(aug)}=` changes an array in place, for every name that "
                        "holds it. " + fix.format(changed, _symbol(aug)) + " (Use .copy() where a name "
                        "should keep the old values.)"
                    )
                    _reject(source, node, what, hint)


def _aliases(source: SourceFunction, tree):
    """(statement, name, names) for each statement after which `name` may hold the array that
    one of `names` holds (or a view of it): `c = a`, `c = a[0]`, `c = a.T`, `for c in a:`."""
    for node in walk(tree):
        pairs = []
        if isinstance(node, gast.Assign):
            for target in node.targets:
                if isinstance(target, gast.Name):
                    pairs.append((target.id, node.value))
                elif isinstance(node.value, (gast.Tuple, gast.List)) and len(node.value.elts) == len(
                    target.elts
                ):
                    pairs += [(t.id, v) for t, v in zip(target.elts, node.value.elts)]
                else:
                    pairs += [(t.id, node.value) for t in target.elts]
        elif isinstance(node, gast.For) and not _is_range(source, node.iter):
            targets = [node.target] if isinstance(node.target, gast.Name) else node.target.elts
            pairs += [(t.id, node.iter) for t in targets if isinstance(t, gast.Name)]
        for target, value in pairs:
            shared = _shares(source, value)
            if shared:
                yield node, target, shared


def _symbol(node: gast.AugAssign) -> str:
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
    if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute):
        func = value.func
        if func.attr in _VIEW_FUNCTIONS and value.args and isinstance(func.value, gast.Name):
            module = source.lookup(func.value.id)
            if getattr(module, "__name__", "").startswith("numpy"):  # np.reshape(a, ...)
                return _shares(source, value.args[0])
        if func.attr in _VIEW_METHODS:  # a.reshape(...)
            return _shares(source, func.value)
    return set()


def _check_node(source: SourceFunction, node: gast.AST) -> None:
    if isinstance(node, gast.stmt) and not isinstance(node, _STATEMENTS):
        _reject(source, node, *_describe(node))
    if isinstance(node, gast.expr) and not isinstance(node, _EXPRESSIONS):
        _reject(source, node, *_describe(node))
    if isinstance(node, gast.Assign):
        for target in node.targets:
            _check_target(source, target)
    if isinstance(node, gast.AugAssign) and not isinstance(node.target, gast.Name):
        _reject(source, node.target, *_describe(node.target))
    if isinstance(node, gast.Compare) and len(node.ops) > 1:
        _reject(source, node, "a chained comparison", "Combine two comparisons with `&`.")
    if (
        isinstance(node, gast.Call)
        and node.args
        and isinstance(node.args[0], (gast.ListComp, gast.GeneratorExp))
    ):
        comp = node.args[0]
        if len(comp.generators) != 1 or comp.generators[0].ifs or comp.generators[0].is_async:
            _reject(source, comp, "a comprehension with several `for`s or an `if`", "Write the loop.")
        for child in [comp.elt, comp.generators[0].iter, *node.args[1:], *node.keywords]:
            _check_node(source, child)
        return
    if isinstance(node, (gast.For, gast.While)):
        if node.orelse:
            _reject(source, node, "a `for ... else`", "Move the `else` block after the loop.")
        if isinstance(node, gast.For) and not isinstance(node.target, (gast.Name, gast.Tuple)):
            _reject(source, node.target, "this `for` target", "Loop with a name or a tuple of names.")
    if isinstance(node, gast.Call) and any(kw.arg is None for kw in node.keywords):
        _reject(source, node, "`**kwargs` in a call", "Pass keyword arguments by name.")
    for child in gast.iter_child_nodes(node):
        if not isinstance(child, _CONTEXT):
            _check_node(source, child)


def _check_target(source: SourceFunction, target: gast.expr) -> None:
    if isinstance(target, gast.Name):
        return
    if isinstance(target, (gast.Tuple, gast.List)):
        for elt in target.elts:
            if not isinstance(elt, gast.Name):
                _reject(source, elt, *_describe(elt))
        return
    _reject(source, target, *_describe(target))


def _describe(node: gast.AST) -> tuple[str, str]:
    for kind, (what, hint) in _WHAT.items():
        if isinstance(node, kind):
            return what, hint
    return f"`{type(node).__name__}`", "Rewrite it with assignments, arithmetic and NumPy calls."


def _reject(source: SourceFunction, node: gast.AST, what: str, hint: str) -> None:
    raise UnsupportedSyntaxError(
        f"srcgrad cannot differentiate {what} in {source.name!r}.",
        source.location(node),
        hint=hint,
    )
