"""Reject what srcgrad cannot differentiate, before any transformation, with the user's line.

Each unsupported construct gets a message naming it and a suggestion for a rewrite.
"""

from __future__ import annotations

import gast

from .aliasing import check_in_place, check_writes, container_kind, own_nodes, symbol
from .errors import UnsupportedSyntaxError
from .frontend import SourceFunction
from .local_dicts import split_dicts
from .syntax import to_source

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
    gast.Assert,  # kept in the forward pass: transformations/desugar.py
    gast.Raise,  # of an exception made in place, checked below
    gast.FunctionDef,  # nested: checked as a helper where it is defined (anf/local.py)
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
    gast.Lambda,
    gast.JoinedStr,  # f-strings (a message, a label): lowered as a string, with no gradient
    gast.FormattedValue,
    gast.BoolOp,
    gast.Subscript,
    gast.Slice,
)
_CONTEXT = (gast.Load, gast.Store, gast.expr_context, gast.operator, gast.unaryop, gast.cmpop, gast.boolop)

_NO_DICTS = (
    "srcgrad does not take dict literals, and a dict made inside the differentiated function "
    "cannot carry gradients yet (a dict passed in as an argument can: it can be read, and "
    "differentiated with respect to). Use a separate variable for each value (`k = x * 2.0`), or "
    "a list or tuple built in one expression (`parts = [a, b]`, read with literal indices such as "
    "`parts[0]`). For values that carry no gradient (constants), `dict(k=2.0)` works."
)
_WHAT = {
    gast.Subscript: (
        "assignment into part of an array (`y[i] = ...`)",
        "Build the array whole instead: np.where(mask, new, y), np.concatenate or np.stack. "
        "(Writing into an array in place would change it for every other use.)",
    ),
    gast.AsyncFunctionDef: ("an async function", "Use a plain `def` function."),
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
    gast.Global: ("a `global` statement", "Pass the value in as an argument."),
    gast.Nonlocal: ("a `nonlocal` statement", "Pass the value in as an argument."),
    gast.Delete: ("a `del` statement", "Remove it: the function's locals are discarded anyway."),
    gast.Import: ("an import inside the function", "Import at module level."),
    gast.ImportFrom: ("an import inside the function", "Import at module level."),
    gast.Starred: ("star-unpacking (`*args`)", "Pass the arguments one by one."),
    gast.Yield: ("`yield`", "Write `yield value` as a statement of its own."),
    gast.Await: ("`await`", "Async code is not differentiable; use a plain function."),
    gast.NamedExpr: ("an assignment expression (`:=`)", "Use a separate assignment statement."),
    gast.Dict: ("a dict literal (`{...}`)", _NO_DICTS),
    gast.DictComp: ("building a dict with a comprehension", _NO_DICTS),
    gast.Set: ("a set literal", "Use arrays."),
    gast.SetComp: ("a set comprehension", "Use arrays."),
    gast.YieldFrom: ("`yield from`", "Write `yield from items` as a statement of its own."),
    gast.AnnAssign: ("an annotated assignment (`y: float = ...`)", "Drop the annotation: `y = ...`."),
    gast.AsyncFor: ("an `async for` loop", "Async code is not differentiable; use a plain `for`."),
    gast.AsyncWith: ("an `async with` statement", "Move it outside the differentiated function."),
    gast.Attribute: (
        "assignment to an attribute (`obj.name = ...`)",
        "srcgrad does not differentiate changing an object. Use a local variable (`name = ...`), "
        "and set attributes outside the differentiated function.",
    ),
    gast.ClassDef: ("a class definition", "Define classes at module level."),
    gast.Match: ("a `match` statement", "Use `if` and `elif`."),
    gast.TryStar: ("a `try` statement", "Handle errors outside the differentiated function."),
}


def check(source: SourceFunction, helper: bool = False, changed_params=frozenset()) -> None:
    """Raise UnsupportedSyntaxError at the first construct srcgrad does not handle (`helper`:
    the function is inlined into another, so its parameters are the caller's values;
    `changed_params`: the parameters its `x -= ...` may change, since the caller never reads
    their arrays again)."""
    tree = source.tree
    split_dicts(tree)  # a dict of named values made in the function: one variable per key
    if isinstance(tree, gast.AsyncFunctionDef):
        _reject(source, tree, "an async function", "Use a plain `def` function.")
    returns = [n for n in own_nodes(tree) if isinstance(n, gast.Return)]
    if helper:
        _check_generator(source, returns)
    elif any(isinstance(n, (gast.Yield, gast.YieldFrom)) for n in own_nodes(tree)):
        _reject(source, tree, "a generator (a function with `yield`)", _GENERATOR_HINT)
    if not returns and not helper:  # a helper without one returns None, as in Python
        _reject(source, tree, "a function without `return`", "Return the scalar to differentiate.")
    for stmt in tree.body:
        _check_node(source, stmt)
    if helper:
        _check_returns(source)
    _check_short_circuits(source, tree.body)
    check_in_place(source, helper, changed_params)
    check_writes(source)


_GENERATOR_HINT = (
    "srcgrad differentiates a function that returns a value. A generator of yours is written out "
    "where a `for` loop, a comprehension, `list(...)` or `tuple(...)` in the code goes over it: "
    "differentiate a function that loops over it and returns the value."
)


def _check_generator(source: SourceFunction, returns: list) -> None:
    """In a helper with `yield`: each `yield` a statement of its own (its value is not used), and
    no `return` but a bare one at the end. Those `yield` statements are marked for `_check_node`;
    the lowering writes the loop's body out at each (anf/generators.py)."""
    yields = [n for n in own_nodes(source.tree) if isinstance(n, (gast.Yield, gast.YieldFrom))]
    if not yields:
        return
    statements = {id(n.value) for n in own_nodes(source.tree) if isinstance(n, gast.Expr)}
    for node in yields:
        if id(node) not in statements:
            _reject(
                source,
                node,
                "`yield` used as a value (a generator that is sent values)",
                "Write `yield value` as a statement of its own.",
            )
    body = source.tree.body
    for node in returns:
        if node.value is not None or node is not body[-1]:
            _reject(
                source,
                node,
                "a `return` in a generator",
                "srcgrad writes the generator out with the loop over it; let it run to its end "
                "(put what follows the `return` under an `else:`).",
            )
    for node in own_nodes(source.tree):
        if isinstance(node, gast.Expr) and isinstance(node.value, (gast.Yield, gast.YieldFrom)):
            node.srcgrad_yield = True


def _check_returns(source: SourceFunction) -> None:
    """In a helper srcgrad writes out where it is called, refuse `return a and b` or `return
    a < b < c` as its last statement. A `return` before the end (in an `if`, in a loop) is
    rewritten to one `return` at the end, as in the differentiated function itself
    (transformations/desugar.py), after this check."""
    last = source.tree.body[-1]
    if isinstance(last, gast.Return) and last.value is not None and is_short_circuit(last.value):
        _reject(
            source,
            last.value,
            "`and`, `or` or a chained comparison as the value a helper returns",
            "Assign it to a name on its own line (`inside = 0 < x < 1`), then `return inside`.",
        )


def _check_node(source: SourceFunction, node: gast.AST) -> None:
    if getattr(node, "srcgrad_yield", False):  # `yield v` in a generator of yours (_check_generator)
        if node.value.value is not None:
            _check_node(source, node.value.value)
        return
    if isinstance(node, gast.stmt) and not isinstance(node, _STATEMENTS):
        _reject(source, node, *_describe(node))
    if isinstance(node, gast.ListComp):  # `[f(x) for x in xs]` as a value: a list (anf/loops.py)
        _check_comprehension(source, node)
        return
    if isinstance(node, gast.expr) and not isinstance(node, _EXPRESSIONS):
        _reject(source, node, *_describe(node))
    if isinstance(node, gast.Assign):
        for target in node.targets:
            _check_target(source, target)
    written = isinstance(node, gast.AugAssign) and not isinstance(node.target, gast.Name)
    if written and not _array_write(source, node.target):
        _reject(source, node.target, *_describe_target(source, node.target, f"{symbol(node)}="))
    if isinstance(node, gast.Raise):
        _check_raise(source, node)
    if (
        isinstance(node, gast.Call)
        and node.args
        and isinstance(node.args[0], (gast.ListComp, gast.GeneratorExp))
    ):
        _check_comprehension(source, node.args[0])
        for child in [*node.args[1:], *node.keywords]:
            _check_node(source, child)
        return
    if isinstance(node, (gast.For, gast.While)):
        if node.orelse:
            _reject(source, node, "a `for ... else`", "Move the `else` block after the loop.")
        if isinstance(node, gast.For) and not isinstance(node.target, (gast.Name, gast.Tuple)):
            _reject(source, node.target, "this `for` target", "Loop with a name or a tuple of names.")
    if isinstance(node, gast.Call) and any(kw.arg is None for kw in node.keywords):
        _reject(source, node, "`**kwargs` in a call", "Pass keyword arguments by name.")
    if isinstance(node, gast.FunctionDef):  # nested: its own checks run where it is defined
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None:
                _check_node(source, default)
        return
    starred = set(map(id, node.args)) if isinstance(node, gast.Call) else set()
    for child in gast.iter_child_nodes(node):
        if id(child) in starred and isinstance(child, gast.Starred):  # f(*xs)
            _check_node(source, child.value)
        elif not isinstance(child, _CONTEXT):
            _check_node(source, child)


def _check_comprehension(source: SourceFunction, comp) -> None:
    """A comprehension srcgrad lowers as a loop: one `for`, over names, and no `if`."""
    if len(comp.generators) != 1 or comp.generators[0].ifs or comp.generators[0].is_async:
        _reject(source, comp, "a comprehension with several `for`s or an `if`", "Write the loop.")
    target = comp.generators[0].target
    if not all(
        isinstance(n, gast.Name) for n in (target.elts if isinstance(target, gast.Tuple) else [target])
    ):
        _reject(source, target, "this comprehension's target", "Loop with a name or a tuple of names.")
    for child in [comp.elt, comp.generators[0].iter]:
        _check_node(source, child)


def _array_write(source: SourceFunction, target: gast.expr) -> bool:
    """`y[...] = ...` into a variable that is not a dict where the source shows it: written as
    a new array, or a new list (anf/lowering.py `lower_write`, which checks what `y` is; a list
    only where it carries no gradient, anf/checks.py `check_list_writes`)."""
    return (
        isinstance(target, gast.Subscript)
        and isinstance(target.value, gast.Name)
        and container_kind(source, target.value.id, target) != "dict"
    )


def _check_raise(source: SourceFunction, node: gast.Raise) -> None:
    """`raise Error(...)` or `raise Error`, for a class of exception: kept in the generated code."""
    hint = 'Raise an exception made in place, as `raise ValueError("...")`.'
    if node.exc is None:
        _reject(source, node, "a bare `raise`", hint)
    if node.cause is not None:
        _reject(source, node.cause, "`raise ... from ...`", "Drop `from ...`: " + hint)
    made = node.exc.func if isinstance(node.exc, gast.Call) else node.exc
    error = source.resolve(made)
    if not (isinstance(error, type) and issubclass(error, BaseException)):
        _reject(source, node.exc, "raising this value (srcgrad keeps `raise` of a class of exception)", hint)


def is_short_circuit(node) -> bool:
    """`a and b`, `a or b`, or a chained comparison `a < b < c`."""
    return isinstance(node, gast.BoolOp) or (isinstance(node, gast.Compare) and len(node.ops) > 1)


def is_plain(node) -> bool:
    """What the desugaring may read twice: a name, a constant, an attribute of a name (`x.ndim`),
    and a comparison or a `not` of those (`v > 0`)."""
    if isinstance(node, gast.Compare) and len(node.ops) == 1:
        return is_plain(node.left) and is_plain(node.comparators[0])
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.Not):
        return is_plain(node.operand)
    while isinstance(node, gast.Attribute):
        node = node.value
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
        node = node.operand
    return isinstance(node, (gast.Name, gast.Constant))


def _check_short_circuits(source: SourceFunction, stmts: list) -> None:
    """Refuse `and`, `or` and chained comparisons where the desugaring would have to read an
    operand twice that is not a name, a constant or an attribute: as the test of an `if` or an
    `assert` and as the value of an assignment to a name, it computes them with statements, each
    operand once; elsewhere it writes conditional expressions, which read an operand twice where
    Python keeps its value (the left of `a or b` used as a value, the middle of `a < b < c`)."""
    for s in stmts:
        if isinstance(s, (gast.If, gast.Assert)):
            _short_circuits(source, s.test, "statement")
        elif isinstance(s, gast.While):
            _short_circuits(source, s.test, "test")
        elif (
            isinstance(s, gast.Assign)
            and len(s.targets) == 1
            and isinstance(s.targets[0], gast.Name)
            and is_short_circuit(s.value)
        ):
            _short_circuits(source, s.value, "statement")
        elif not isinstance(s, gast.FunctionDef):
            for child in gast.iter_child_nodes(s):
                if isinstance(child, gast.expr):
                    _short_circuits(source, child, "value")
        for block in ("body", "orelse"):
            if isinstance(s, (gast.If, gast.For, gast.While)):
                _check_short_circuits(source, getattr(s, block))
        if isinstance(s, gast.Assert) and s.msg is not None:
            _short_circuits(source, s.msg, "value")


def _short_circuits(source: SourceFunction, node, context: str) -> None:
    if context == "statement":
        while isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.Not):
            node = node.operand
        if isinstance(node, gast.BoolOp):
            for value in node.values:
                _short_circuits(source, value, "statement")
        elif is_short_circuit(node):
            for part in [node.left, *node.comparators]:
                _short_circuits(source, part, "value")
        else:
            _short_circuits(source, node, "test")
        return
    if isinstance(node, gast.BoolOp):
        if context == "value":
            for value in node.values[:-1]:
                if not is_plain(value):
                    _reject(
                        source,
                        value,
                        "`and` / `or` whose value is used inside an expression, with this operand",
                        "The value of `a or b` is `a` or `b`, so srcgrad reads `a` twice: make it a "
                        "name first (`a = ...`), or give `a or b` a line of its own (`y = a or b`).",
                    )
        for value in node.values:
            _short_circuits(source, value, context)
    elif is_short_circuit(node):
        parts = [node.left, *node.comparators]
        for part in parts[1:-1] if context == "test" else parts[:-1]:
            if not is_plain(part):
                _reject(
                    source,
                    part,
                    "a chained comparison with this operand computed, inside a `while` test or an expression",
                    "srcgrad reads it twice there. Compute it into a name first (`s = np.sum(x)`, "
                    "then `0 < s < 1`), or write the comparison as the test of an `if` or on a line "
                    "of its own (`inside = 0 < np.sum(x) < 1`).",
                )
        for part in parts:
            _short_circuits(source, part, "value")
    elif isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.Not):
        _short_circuits(source, node.operand, "test")
    elif isinstance(node, gast.IfExp):
        _short_circuits(source, node.test, "test")
        _short_circuits(source, node.body, context)
        _short_circuits(source, node.orelse, context)
    elif isinstance(node, gast.Lambda):
        _short_circuits(source, node.body, "value")
    else:
        for child in gast.iter_child_nodes(node):
            if isinstance(child, gast.expr):
                _short_circuits(source, child, "value")
            elif isinstance(child, (gast.keyword, gast.comprehension)):
                for inner in gast.iter_child_nodes(child):
                    if isinstance(inner, gast.expr):
                        _short_circuits(source, inner, "value")


def _check_target(source: SourceFunction, target: gast.expr) -> None:
    if isinstance(target, gast.Name) or _array_write(source, target):
        return
    if isinstance(target, (gast.Tuple, gast.List)):
        for elt in target.elts:
            if not isinstance(elt, gast.Name):
                _reject(source, elt, *_describe_target(source, elt))
        return
    _reject(source, target, *_describe_target(source, target))


def _describe_target(source: SourceFunction, target: gast.expr, op: str = "=") -> tuple[str, str]:
    """What an assignment target srcgrad does not take is, and the rewrite for it: for
    `y[i] = ...`, what `y` holds there decides (an array, a list, a dict, or unknown)."""
    if isinstance(target, (gast.Tuple, gast.List)):  # inside another: `a, (b, c) = ...`
        return (
            "nested unpacking (`a, (b, c) = ...`)",
            "Unpack in two steps: `a, bc = ...`, then `b, c = bc`.",
        )
    if isinstance(target, gast.Starred):
        return (
            "star-unpacking in an assignment (`a, *rest = ...`)",
            "Unpack into names one by one (`a, b, c = xs`), or index with literals (`xs[0]`).",
        )
    if not isinstance(target, gast.Subscript):
        return _describe(target)
    base = target
    while isinstance(base, gast.Subscript):
        base = base.value
    written = f"`{to_source(target)} {op} ...`"
    if not isinstance(base, gast.Name):  # `self.w[0] = ...`
        return _describe(target)
    var = base.id
    kind = container_kind(source, var, target)
    if kind == "dict":
        return (
            f"assignment into an item of the dict `{var}` ({written})",
            "srcgrad does not differentiate changing a dict in place, and a dict made inside the "
            "differentiated function cannot carry gradients yet. Use a separate variable for each "
            f"value (e.g. `k = ...` instead of {written}), or a list or tuple built in one "
            "expression (`parts = [a, b]`, read with literal indices such as `parts[0]`). "
            "(A dict passed in as an argument can be read, and differentiated with respect to.)",
        )
    if kind == "list":
        return (
            f"assignment into an item of the list `{var}` ({written})",
            "srcgrad does not differentiate changing a list in place. Build the list with its "
            f"final items in one expression (`{var} = [a, b]`), or grow it in a loop with "
            f"`{var} = {var} + [item]`.",
        )
    array_hint = (
        f"Build the array whole instead: np.where(mask, new, {var}), np.concatenate or np.stack. "
        "(Writing into an array in place would change it for every other use.)"
    )
    if kind == "array":  # the words docs/faq.md shows
        return "assignment into part of an array (`y[i] = ...`)", array_hint
    return (  # a parameter, or a value whose kind the source does not show
        f"assignment into part of an array, or into an item of a list or dict ({written})",
        "srcgrad does not differentiate changing a value in place. If it is an array, build it "
        f"whole instead: np.where(mask, new, {var}), np.concatenate or np.stack (writing into an "
        "array in place would change it for every other use). If it is a list, build it with its "
        f"final items in one expression (`{var} = [a, b]`); if a dict, use a separate variable "
        "for each value.",
    )


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
