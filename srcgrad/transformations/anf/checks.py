"""The refusals that guard what the lowering follows: a nested parameter read whole, a list a
loop builds used twice or read item by item. Plain functions over the lowered statements and
the few facts they need; each raises UnsupportedSyntaxError at the user's line, never lets a
gradient go missing in silence."""

from __future__ import annotations

import gast

from ...errors import UnsupportedSyntaxError
from ...ir import APPEND, EMPTY_LIST, JOIN, LEAF, LIST_WRITE, Assign, Effect, walk
from ...syntax import names_in, to_source
from ...syntax import walk as walk_tree
from .atoms import is_struct, reads


def check_leaves_followed(body, result, structures, source, fields=frozenset()) -> None:
    """The invariant of nested parameters: the lowered program reads a nested parameter only
    through its leaves (`W1 = params["W1"]`), and the fields of its records that are not
    differentiated (`fields`: `n_layers = p.n_layers`), so every read reaches the gradient. A
    read of the whole, through a way of reading it the lowering does not follow, is refused at
    its line: unchecked, the leaves would silently get no gradient from it."""
    if not structures:
        return
    whole = set(structures)
    statements = [
        (s, reads(s))
        for s in walk(body)
        if not (isinstance(s, Assign) and (s.op.key is LEAF or s.target in fields))
    ]
    if result is not None:
        statements.append((result, set(names_in(result.value))))
    for stmt, names in statements:
        names = set(names)
        if not names & whole:
            continue
        op = getattr(stmt, "op", None)
        node = (op.node if op is not None else None) or stmt.origin
        where = (op.source if op is not None else None) or getattr(stmt.origin, "srcgrad_source", None)
        param = sorted(names & whole)[0]
        raise UnsupportedSyntaxError(
            f"srcgrad follows the nested parameter {param!r} through indexing, loops, .values(), "
            ".items() and calls of your own functions, but not used whole as it is here.",
            (where or source).location(node),
            hint="Read its arrays (params['W1'], list(params.values())) and use those.",
        )


def check_lists_used_once(body, lists: set, source) -> None:
    """A list a loop builds (`parts = parts + [item]`) has its gradient built for one call
    that takes it (np.stack, np.concatenate, ...): a second use would add gradients of two
    different forms (a list and an array). Refused at the second use."""
    if not lists or source.generated:  # a gradient's own code reads its lists as it must
        return
    seen: dict[str, object] = {}
    uses = [s for s in walk(body) if isinstance(s, (Assign, Effect))]
    for stmt in uses:
        if stmt.op.key in (APPEND, JOIN, EMPTY_LIST, len):
            continue
        for n in sorted(set(names_in(stmt.value)) & lists):
            if n in seen:
                raise UnsupportedSyntaxError(
                    "srcgrad follows a list that a loop builds into one call that takes it; "
                    "this is a second one.",
                    (stmt.op.source or source).location(stmt.op.node or stmt.origin),
                    hint="Stack or join it once (`P = np.stack(parts)`) and use that array.",
                )
            seen[n] = stmt


def check_readable(atom, lists: set, source, node) -> None:
    """Refuse reading items back from a list a loop builds one item at a time: its gradient is
    followed into np.stack, np.concatenate and the like, not item by item."""
    if isinstance(atom, gast.Name) and atom.id in lists:
        raise UnsupportedSyntaxError(
            "srcgrad follows a list that a loop builds (`parts = parts + [item]`) into a call "
            "such as np.stack(parts) or np.concatenate(parts), but not when its items are read "
            "back one by one.",
            source.location(node),
            hint="Stack it first (`P = np.stack(parts)`) and read the rows of P, or compute "
            "what you need from each item inside the loop that builds the list.",
        )


def check_no_struct(atoms, source, node, what: str) -> None:
    """Refuse a nested parameter (or a part of one that is not an array) used whole where
    srcgrad cannot follow its leaves: its gradient would be lost, never zero in silence."""
    for atom in atoms:
        found = next((n for n in walk_tree(atom) if is_struct(n)), None)
        if found is None:
            continue
        param, path = found.srcgrad_struct
        part = getattr(found, "srcgrad_shown", None) or param + "".join(f"[{k!r}]" for k in path)
        record = getattr(found, "srcgrad_record", None)  # the class of a NamedTuple or dataclass
        if record:
            raise UnsupportedSyntaxError(
                f"srcgrad follows the parameter {part!r}, an instance of {record}, through its "
                f"fields, the methods of its class and calls of your own functions, but not passed "
                f"whole to `{what}`.",
                source.location(node),
                hint="Read its fields (p.W) and pass those.",
            )
        raise UnsupportedSyntaxError(
            f"srcgrad follows the nested parameter {part!r} through indexing, loops, .values(), "
            f".items() and calls of your own functions, and a list of arrays into functions "
            f"such as np.stack, but not passed whole to `{what}`.",
            source.location(node),
            hint="Read its arrays (params['W1'], list(params.values())) and pass those.",
        )


def check_list_writes(program, active: set) -> None:
    """A write into an item of a list (`xs_2 = list_with_item(xs, i, v)`, anf/lowering.py
    `lower_list_write`) has no derivative: where the list carries a gradient (`active`, from
    the activity analysis), it is refused at the user's line, never given none in silence."""
    for stmt in walk(program.body):
        if isinstance(stmt, Assign) and stmt.op.key is LIST_WRITE and stmt.target in active:
            origin = stmt.origin
            target = origin.targets[0] if isinstance(origin, gast.Assign) else origin.target
            var = to_source(target.value)
            where = (stmt.op.source or program.source).location(origin)
            raise UnsupportedSyntaxError(
                f"srcgrad cannot differentiate assignment into an item of the list `{var}` "
                f"(`{to_source(target)} = ...`) here: the list holds values that carry a gradient, "
                "and srcgrad writes into a list only where it carries none (sizes, axes, flags).",
                where,
                hint=f"Build the list with its final items in one expression (`{var} = [a, b]`), or "
                f"grow it with `{var} = {var} + [item]`; or write into an array (`{var} = "
                f"np.zeros(n)`, then `{var}[i] = v`).",
            )
