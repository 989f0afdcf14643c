"""Forward mode: tangent statements for a lowered program, in program order, from the tangent table.

Each statement whose value depends on the parameters differentiated (and reaches the result) is
followed by its tangent: the sum of the parts its tangent rule gives for the operands that carry
one. A tangent is always a name (`dh` for `h`), or nothing: a value no parameter reaches has no
tangent, and no code. Branches give a value's tangent one name at the end of each branch, as the
lowering joins the value itself; a loop carries each tangent under a fixed name, beside its value.
"""

from __future__ import annotations

import gast

from .. import rules
from ..analyses.complex_values import complex_names, computes_complex, refuse_rule
from ..analyses.shapes import ShapeFacts
from ..errors import NoRuleError
from ..ir import (
    APPEND,
    EMPTY_LIST,
    ITEM,
    JOIN,
    LEAF,
    POP,
    PUSH,
    STACK,
    Assign,
    Effect,
    For,
    If,
    Program,
    Record,
    assigned_names,
    called_function,
    effect_statement,
    walk,
)
from ..naming import Namer
from ..optimizations.simplify import joined_where, simplify
from ..syntax import assign, attr, call, const, name, to_source, tuple_
from .reverse import refuse_transform_call


class Tangents(Record):
    """The forward pass: primal and tangent statements in order, and the result's tangent."""

    __match_args__ = ("statements", "result", "names", "facts")

    def __init__(self, statements: list, result: gast.expr | None, names: dict, facts: ShapeFacts):
        self.statements = statements  # gast statements
        self.result = result  # the tangent of the returned value; None if no parameter reaches it
        self.names = names  # primal -> the name of its tangent
        self.facts = facts


def forward(
    program: Program,
    seeds: dict[str, str],
    active: set[str],
    namer: Namer,
    exact: dict | None = None,
) -> Tangents:
    """The tangent program of `program`: `seeds` maps each parameter differentiated to the name
    of its tangent; only `active` values (varied and useful) get tangents."""
    return _Forward(program, seeds, active, namer, exact).run()


class _Forward:
    def __init__(self, program: Program, seeds, active, namer: Namer, exact=None):
        # `dh` is h's tangent; in code srcgrad generated, where `dh` is a gradient already, `th`
        self.prefix = "t" if program.source.generated else "d"
        self.program = program
        self.source = program.source
        self.active = active
        self.namer = namer
        self.facts = ShapeFacts(program, exact)
        self.complex = complex_names(program)  # the names that may hold complex values
        self.np = name(program.numpy_alias)
        self.tangent: dict[str, gast.Name] = {}
        self.names: dict[str, str] = {}
        for p, t in seeds.items():
            self.tangent[p] = name(t)
            self.facts.alias(t, p)
        # lists: built by a loop (`parts + [item]`), or a loop stack of generated code (which a
        # stack of an outer loop may save: its zero tangent is zeros of each item, `zeros_as`)
        assigns = [s for s in walk(program.body) if isinstance(s, Assign)]
        self.lists = {s.target for s in assigns if s.op.key in (EMPTY_LIST, APPEND, STACK)}
        copies = [
            (s.target, s.op.args[0].id)
            for s in assigns
            if s.op.key is JOIN and isinstance(s.op.args[0], gast.Name)
        ]
        grown = True
        while grown:  # the names a loop or a join goes on holding one under
            new = {target for target, source in copies if source in self.lists} - self.lists
            self.lists |= new
            grown = bool(new)
        # (stack, tuple length) -> the places pushed with a tangent; a stack's names -> one name
        self.positions, self.stack_of = _stack_positions(program, active)
        # a tuple's length, as the items read off it say (a value popped off a stack that none
        # are read off was pushed alone)
        self.counts = {
            s.op.args[0].id: s.op.args[2].value
            for s in walk(program.body)
            if isinstance(s, Assign) and s.op.key is ITEM and isinstance(s.op.args[0], gast.Name)
        }
        self.popped: dict[str, list] = {}  # a value popped off a stack -> the positions it has tangents for
        self.nones = {
            s.target
            for s in walk(program.body)
            if isinstance(s, Assign) and isinstance(s.value, gast.Constant) and s.value.value is None
        }

    def run(self) -> Tangents:
        statements = self.block(self.program.body)
        return Tangents(statements, self.result(self.program.result.value), self.names, self.facts)

    def result(self, value: gast.expr) -> gast.expr | None:
        """The tangent of the returned value: of each item, for a tuple (`return loss, (dW, db)`
        in code `grad` generated), zeros for the items no parameter reaches."""
        if isinstance(value, gast.Name):
            return self.tangent.get(value.id)
        if isinstance(value, gast.Tuple):
            items = [self.result(e) for e in value.elts]
            return tuple_([t if t is not None else self.tangent_of(e) for t, e in zip(items, value.elts)])
        return None

    def block(self, stmts) -> list:
        out = []
        for stmt in stmts:
            if isinstance(stmt, For):
                out += self.visit_for(stmt)
            elif isinstance(stmt, If):
                out.append(self.visit_if(stmt))
            elif isinstance(stmt, Effect):
                out.append(effect_statement(stmt))
                if stmt.op.key in (PUSH, POP):
                    out += self.visit_stack(stmt)
            else:
                out.append(assign(stmt.target, stmt.value))
                # a stack's pushes and pops pair up: each pops its tangents, needed or not
                if stmt.target in self.active or stmt.op.key in (STACK, POP):
                    out += self.visit(stmt)
        return out

    # -- control flow -----------------------------------------------------------------------

    def visit_if(self, stmt: If) -> gast.If:
        """Both branches with their tangents; a value both assign (its join) gets one tangent
        name at the end of each, zeros where a branch leaves it constant."""
        before = dict(self.tangent)
        branches, states = [], []
        for block in (stmt.body, stmt.orelse):
            self.tangent = dict(before)
            branches.append(self.block(block))
            states.append(self.tangent)
        joined = assigned_names(stmt.body) & assigned_names(stmt.orelse)
        self.tangent = dict(before)
        for n in sorted(joined & self.active):
            first, second = states[0].get(n), states[1].get(n)
            if first is not None and second is not None and first.id == second.id:
                self.tangent[n] = first
                continue
            if first is None and second is None:
                self.tangent.pop(n, None)
                continue
            fixed = self.tangent_name(n)
            for branch, t in zip(branches, (first, second)):
                branch.append(assign(fixed, t if t is not None else self.zero(n)))
            self.tangent[n] = name(fixed)
        return gast.If(test=stmt.test, body=branches[0] or [gast.Pass()], orelse=branches[1])

    def visit_for(self, stmt: For) -> list:
        """The loop with each carried tangent under a fixed name: set before the loop, moved at
        the end of each iteration together with the values."""
        before = []
        carried = [(n, v) for n, v in stmt.carried if n in self.active]
        fixed = {}
        for n, _ in carried:
            fixed[n] = self.tangent_name(n)
            start = self.tangent.get(n)
            before.append(assign(fixed[n], start if start is not None else self.zero(n)))
            self.tangent[n] = name(fixed[n])
        outside = dict(self.tangent)
        head = self.block(stmt.test_body)
        body = self.block(stmt.body)
        targets = [name(n, store=True) for n, _ in stmt.carried]
        values = [v for _, v in stmt.carried]
        for n, v in carried:
            targets.append(name(fixed[n], store=True))
            if not isinstance(v, gast.Name):  # a constant (`h = const(x)` returning a literal)
                values.append(const(0.0))
                continue
            t = self.tangent.get(v.id)
            values.append(t if t is not None else self.zero(v.id))
        if len(targets) == 1:
            body.append(gast.Assign(targets=targets, value=values[0], type_comment=None))
        elif targets:
            moves = gast.Tuple(elts=targets, ctx=gast.Store())
            body.append(gast.Assign(targets=[moves], value=tuple_(values), type_comment=None))
        self.tangent = outside
        if stmt.iter is None:  # while: the test at the start of each iteration
            stop = gast.If(
                test=gast.UnaryOp(op=gast.Not(), operand=stmt.test), body=[gast.Break()], orelse=[]
            )
            return [*before, gast.While(test=const(True), body=[*head, stop, *body], orelse=[])]
        loop = gast.For(
            target=name(stmt.target, store=True), iter=stmt.iter, body=body or [gast.Pass()], orelse=[]
        )
        loop.type_comment = None
        return [*before, loop]

    # -- one statement ----------------------------------------------------------------------

    def visit_stack(self, stmt) -> list:
        """The loop stack of generated code: a stack of tangents beside it, pushed and popped
        with it, holding the tangents of the items that have them."""
        stack = stmt.op.args[0]
        tangents = self.tangent.get(stack.id)
        root = self.stack_of.get(stack.id, stack.id)
        if stmt.op.key is PUSH:
            item = stmt.op.args[1]
            items = item.elts if isinstance(item, gast.Tuple) else [item]
            positions = self.positions.get((root, len(item.elts) if isinstance(item, gast.Tuple) else 0))
        else:
            positions = self.positions.get((root, self.counts.get(getattr(stmt, "target", None), 0)))
        if tangents is None or not positions:
            return []
        if stmt.op.key is PUSH:
            parts = [self.tangent_of(items[k]) for k in positions]
            pushed = parts[0] if len(parts) == 1 and not isinstance(item, gast.Tuple) else tuple_(parts)
            return [gast.Expr(value=call(attr(tangents, "append"), [pushed]))]
        popped = call(attr(tangents, "pop"), [])
        if isinstance(stmt, Effect):
            return [gast.Expr(value=popped)]
        self.popped[stmt.target] = positions
        target = self.tangent_name(stmt.target)
        self.tangent[stmt.target] = name(target)
        return [assign(target, popped)]

    def visit(self, stmt: Assign) -> list:
        key, args = stmt.op.key, stmt.op.args
        if key is STACK:
            root = self.stack_of.get(stmt.target, stmt.target)
            if not any(p for (r, _), p in self.positions.items() if r == root):
                return []
            return self.define(stmt.target, gast.List(elts=[], ctx=gast.Load()))
        if key is POP:
            return self.visit_stack(stmt)
        if key in (ITEM, "getitem") and isinstance(args[0], gast.Name) and args[0].id in self.popped:
            return self.visit_popped_item(stmt)
        if key in (LEAF, EMPTY_LIST) or rules.is_nondifferentiable(key):
            return []
        if key is JOIN:  # a join: the same tangent
            if isinstance(args[0], gast.Name) and args[0].id in self.tangent:
                self.tangent[stmt.target] = self.tangent[args[0].id]
            return []
        if key is ITEM:  # `a = t[i]` from unpacking
            whole, index, _ = args
            t = self.tangent.get(whole.id)
            if t is None:
                return []
            return self.define(stmt.target, gast.Subscript(value=t, slice=index, ctx=gast.Load()))
        if key is APPEND:  # parts_2 = parts + [item]
            old, item = args
            told = self.tangent_of(old)
            titem = self.tangent_of(item)
            value = gast.BinOp(left=told, op=gast.Add(), right=gast.List(elts=[titem], ctx=gast.Load()))
            return self.define(stmt.target, value)
        complex_values = computes_complex(stmt, self.complex)
        rule = rules.lookup_tangent(key, complex_values)
        if rule is None and complex_values and rules.lookup_tangent(key) is not None:
            refuse_rule(stmt, self.source, "tangent")
        if rule is None:
            self.no_rule(stmt)
        location = (stmt.op.source or self.source).location(stmt.op.node)
        bound = rule.bind_operation(stmt.op, args, location, "tangent rule")
        carries = lambda a: (
            any(self.carries(e) for e in a.elts)
            if isinstance(a, (gast.Tuple, gast.List))
            else self.carries(a)
        )  # noqa: E731
        rule.check_differentiable(stmt.op, bound, carries, location, "tangent rule")
        tangents = {}
        for p, atom in bound.items():
            if isinstance(atom, (gast.Tuple, gast.List)):
                if any(self.carries(e) for e in atom.elts):
                    tangents[p] = gast.List(elts=[self.tangent_of(e) for e in atom.elts], ctx=gast.Load())
            elif self.carries(atom):
                tangents[p] = self.tangent[atom.id]
        if not tangents:
            return []
        mapping = dict(bound, ans=name(stmt.target), np=self.np, FUNCTION=called_function(stmt))
        out, parts = [], []
        for kind, n, e in rule.expand_parts(mapping, tangents, self.namer.fresh):
            e = simplify(e, self.facts)
            if kind == "local":
                self.facts.learn(n, e)
                out.append(assign(n, e))
            else:
                parts.append(e)
        if not parts:  # the operands with tangents are read for their shape only (`unbroadcast(g, x)`)
            return []
        if len(parts) > 1:
            # parts spread to the result's shape need not be, when the others make it up anyway
            shape = self.facts.shape_of(name(stmt.target))
            full = shape is not None and any(
                not _is_broadcast_like(e) and self.facts.shape_of(e) == shape for e in parts
            )
            if full or all(_is_broadcast_like(e) for e in parts):  # these broadcast each other
                parts = [e.args[0] if _is_broadcast_like(e) else e for e in parts]
        count = next((len(e.elts) for e in parts if isinstance(e, gast.Tuple)), self.counts.get(stmt.target))
        if len(parts) > 1 and count is not None:  # a tuple-valued operation: add its parts item by item
            items = [_added([_item(e, i) for e in parts]) for i in range(count)]
            total = tuple_([joined_where(simplify(e, self.facts)) for e in items])
        else:
            total = joined_where(simplify(_added(parts), self.facts))
        return out + self.define(stmt.target, total)

    def visit_popped_item(self, stmt: Assign) -> list:
        """`a = popped[k]`: the tangent is in the popped tangents, at k's place among the
        positions that have one."""
        whole, index = stmt.op.args[0], stmt.op.args[1]
        positions = self.popped[whole.id]
        if not isinstance(index, gast.Constant) or index.value not in positions:
            return []
        t = self.tangent[whole.id]  # a tuple of the tangents of those positions
        t = gast.Subscript(value=t, slice=const(positions.index(index.value)), ctx=gast.Load())
        return self.define(stmt.target, t)

    def define(self, primal: str, value: gast.expr) -> list:
        """Bind `primal`'s tangent to `value`: shared when it is a name, else a new line."""
        if isinstance(value, gast.Name):
            self.tangent[primal] = value
            return []
        target = self.tangent_name(primal)
        self.tangent[primal] = name(target)
        return [assign(target, value)]

    def tangent_name(self, primal: str) -> str:
        target = self.namer.fresh(self.prefix + primal)
        self.names[primal] = target
        self.facts.alias(target, primal)
        return target

    def carries_any(self, atom) -> bool:
        """Whether an argument (or an element of a sequence argument) carries a tangent."""
        if isinstance(atom, (gast.Tuple, gast.List)):
            return any(self.carries(e) for e in atom.elts)
        return self.carries(atom)

    def carries(self, atom) -> bool:
        """Whether the atom has a tangent: a name with one, or a tuple or list (nested too) that
        holds one."""
        if isinstance(atom, (gast.Tuple, gast.List)):
            return any(self.carries(e) for e in atom.elts)
        return isinstance(atom, gast.Name) and atom.id in self.tangent

    def tangent_of(self, atom) -> gast.expr:
        """The tangent of an atom, zeros of its shape if it has none."""
        if isinstance(atom, gast.Tuple):
            return tuple_([self.tangent_of(e) for e in atom.elts])
        if isinstance(atom, gast.List):
            return gast.List(elts=[self.tangent_of(e) for e in atom.elts], ctx=gast.Load())
        if self.carries(atom):
            return self.tangent[atom.id]
        if isinstance(atom, gast.Name):
            return self.zero(atom.id)
        return call(attr(self.np, "zeros_like"), [atom])

    def zero(self, primal: str) -> gast.expr:
        """The tangent of a value that has none: zeros of its shape; for a name that may hold
        None (`y = None` before the loop that assigns it, the branch that does not) or a list,
        zeros of whatever it holds when the line runs."""
        if primal in self.nones or primal in self.lists:
            return call(name("zeros_as"), [name(primal)])
        return call(attr(self.np, "zeros_like"), [name(primal)])

    def no_rule(self, stmt: Assign):
        key, location = stmt.op.key, (stmt.op.source or self.source).location(stmt.op.node)
        what = stmt.op.label
        if callable(key):
            module = getattr(key, "__module__", None) or "numpy"
            what = f"{module}.{getattr(key, '__name__', what)}" if module else what
        refuse_transform_call(key, location, stmt)
        has_adjoint = rules.lookup(key) is not None
        raise NoRuleError(
            f"srcgrad has no forward-mode (tangent) rule for {what}"
            + (" (it has a reverse-mode one)" if has_adjoint else "")
            + f", and the result depends on it through `{to_source(stmt.value)}`.",
            location,
            hint="Register a tangent rule with srcgrad.extend.tangent (docs/rules.md), or use "
            "reverse mode (srcgrad.grad, srcgrad.vjp) for this function.",
        )


def _stack_positions(program: Program, active: set[str]):
    """For each loop stack of generated code and each length of tuple pushed on it (0 for an item
    pushed alone), the places that hold a value with a tangent. A stack's pushes and pops pair
    up by length: a loop's iteration and each branch inside it push their own tuples. The names
    one stack is carried under map to one of them."""
    root: dict[str, str] = {}

    def find(n: str) -> str:
        while root.get(n, n) != n:
            n = root[n]
        return n

    pushes = []
    for stmt in walk(program.body):
        if isinstance(stmt, Effect) and stmt.op.key is PUSH:
            pushes.append(stmt)
        elif isinstance(stmt, Assign) and stmt.op.key is JOIN and isinstance(stmt.op.args[0], gast.Name):
            a, b = find(stmt.target), find(stmt.op.args[0].id)
            if a != b:
                root[a] = b
    positions: dict[tuple, set] = {}
    for stmt in pushes:
        stack, item = stmt.op.args
        items = item.elts if isinstance(item, gast.Tuple) else [item]
        key = (find(stack.id), len(items) if isinstance(item, gast.Tuple) else 0)
        held = {k for k, e in enumerate(items) if isinstance(e, gast.Name) and e.id in active}
        positions.setdefault(key, set()).update(held)
    names = {n for n in root} | set(root.values())
    return {k: sorted(p) for k, p in positions.items()}, {n: find(n) for n in names}


def _added(parts: list) -> gast.expr:
    """The sum of the parts, a negated part subtracted."""
    total = parts[0]
    for part in parts[1:]:
        if isinstance(part, gast.UnaryOp) and isinstance(part.op, gast.USub):
            total = gast.BinOp(left=total, op=gast.Sub(), right=part.operand)
        else:
            total = gast.BinOp(left=total, op=gast.Add(), right=part)
    return total


def _item(e: gast.expr, i: int) -> gast.expr:
    if isinstance(e, gast.Tuple):
        return e.elts[i]
    return gast.Subscript(value=e, slice=const(i), ctx=gast.Load())


def _is_broadcast_like(e: gast.expr) -> bool:
    return (
        isinstance(e, gast.Call)
        and isinstance(e.func, gast.Name)
        and e.func.id == "broadcast_like"
        and len(e.args) == 2
    )
