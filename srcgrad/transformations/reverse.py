"""Reverse mode: adjoint statements for a lowered program, in reverse order, from the rule table.

The first contribution to an adjoint assigns it; later ones add to it. A gradient that is a
scalar spread over an array (the seed 1.0, or what `np.sum` sends back) stays symbolic as
`Fill` until a rule can fold it into an expression of the right shape, so no array of ones is
ever built when the shapes say it is not needed. Rule templates are inlined, simplified, and
grouped under a comment naming the user statement they differentiate.
"""

from __future__ import annotations

import builtins
import operator
from collections import Counter

import gast
import numpy

from .. import rules
from ..analyses.complex_values import complex_names, computes_complex, refuse_rule
from ..analyses.shapes import SCALAR, ShapeFacts, elementwise
from ..errors import NoRuleError, UnsupportedSyntaxError
from ..ir import (
    APPEND,
    EMPTY_LIST,
    ITEM,
    JOIN,
    LEAF,
    Assign,
    For,
    If,
    Program,
    Record,
    assigned_names,
    called_function,
    walk,
)
from ..naming import Namer
from ..optimizations.simplify import simplify
from ..syntax import assign, attr, call, const, copy_tree, is_number, name, names_in, substitute, to_source
from ..syntax import walk as walk_tree
from .adjoints import AdjointTable, Fill, Items, state_names


class Comment(Record):
    """`# grad of: <user statement>` above the adjoint statements of that statement."""

    __match_args__ = ("origin",)

    def __init__(self, origin: gast.stmt):
        self.origin = origin


class Adjoint(Record):
    """The reverse pass: its statements and the gradient expression of each wrt parameter."""

    __match_args__ = ("statements", "gradients", "facts", "names", "saves")

    def __init__(self, statements: list, gradients: dict, facts: ShapeFacts, names: dict, saves: dict = None):
        self.statements = statements  # gast statements and Comment markers, in execution order
        self.gradients = gradients  # wrt parameter -> its gradient expression
        self.facts = facts
        self.names = names  # primal -> its adjoint variable, for those that have one
        self.saves = saves  # id(For) -> (stack name, names each forward iteration saves)


def reverse(
    program: Program,
    wrt: list[str],
    active: set[str],
    namer: Namer,
    exact: dict | None = None,
    seed: str | None = None,
) -> Adjoint:
    """The adjoint of `program`; `exact` (from `analyses.exact.infer`) specialises it to the
    exact shapes of one call's arguments. The result's adjoint is 1.0, or with `seed`, the
    cotangent that parameter of the generated function holds (a vector-Jacobian product)."""
    return _Reverse(program, wrt, active, namer, exact, seed).run()


class _Reverse:
    def __init__(self, program: Program, wrt, active, namer: Namer, exact=None, seed=None):
        self.seed = seed
        self.program = program
        self.source = program.source
        self.wrt = wrt
        self.active = active
        self.namer = namer
        self.facts = ShapeFacts(program, exact)
        self.np = name(program.numpy_alias)
        self.adjoint = AdjointTable()  # primal -> its gradient's state
        self.adjoint_names: dict[str, str] = {}
        self.out: list = []
        self.pending_comment: Comment | None = None
        self.saves: dict[int, tuple[str, list[str]]] = {}  # For -> (stack name, values it saves)
        self.reading: set[str] = set()  # names the rule being emitted reads
        self.stacks: list[str] = []  # the stacks of the loops being reversed, innermost last
        self.complex = complex_names(program)  # the names that may hold complex values
        self.to_real = False  # the statement being reversed computes with complex values

    def run(self) -> Adjoint:
        result = self.program.result.value
        if isinstance(result, gast.Name) and result.id in self.active:
            if self.seed is None:
                self.adjoint[result.id] = Fill(const(1.0))
            else:
                self.adjoint[result.id] = name(self.seed)
                self.facts.alias(self.seed, result.id)
        self.reverse_block(self.program.body)
        gradients = {}
        for p in self.wrt:
            adj = self.adjoint.get(p)
            if adj is None:
                gradients[p] = call(attr(self.np, "zeros_like"), [name(p)])
            elif isinstance(adj, Fill):
                gradients[p] = self.spread(p, adj)
            else:
                gradients[p] = adj
        return Adjoint(self.out, gradients, self.facts, self.adjoint_names, self.saves)

    def reverse_block(self, stmts) -> None:
        for stmt in reversed(stmts):
            if isinstance(stmt, For):
                self.visit_for(stmt)
            elif isinstance(stmt, If):
                self.visit_if(stmt)
            elif isinstance(stmt, Assign) and stmt.target in self.active and stmt.target in self.adjoint:
                if stmt.op.key is LEAF:  # `W1 = params["W1"]`: its gradient is a result
                    continue
                if stmt.op.key is EMPTY_LIST or rules.is_nondifferentiable(stmt.op.key):
                    self.adjoint.pop(stmt.target)  # `parts = []`, `h = np.zeros(n)` before a loop
                    continue
                self.pending_comment = Comment(stmt.origin) if not self._same_block(stmt) else None
                self.visit(stmt)

    def visit_if(self, stmt: If) -> None:
        """Both branches in reverse, under the same test; adjoints they leave different are
        given one name at the end of each branch, as the forward pass joins values."""
        assigned = assigned_names(stmt.body + stmt.orelse)
        if not any(t in self.active and t in self.adjoint for t in assigned):
            return
        before, outer, comment = self.adjoint.copy(), self.out, self.pending_comment
        results = []
        for i, block in enumerate((stmt.body, stmt.orelse)):
            self.adjoint, self.out, self.pending_comment = before.copy(), [], None
            self.reverse_block(block)
            if self.stacks:  # in a loop: this branch's own values are saved at its end, going forward
                pop = self.restore((id(stmt), i), self.out, self.written(block), _joined_in_ifs(block))
                self.out.insert(0, pop)
            results.append((self.adjoint, self.out))
        (then_adj, then_out), (else_adj, else_out) = results
        merged, differ = AdjointTable(), []
        for primal in sorted(set(then_adj) | set(else_adj)):
            if primal in assigned:  # a value of one branch: its gradient is complete in there
                continue
            a, b = then_adj.get(primal), else_adj.get(primal)
            if a is b or (a is not None and b is not None and _same(a, b)):
                merged[primal] = a
            else:
                differ.append(primal)
        # a gradient both branches leave as it was may read a name a join would reassign
        # (`X, x = x, X` in a loop, then an `if`): that join takes a name of its own
        unchanged = {n for state in merged.values() for n in state_names(state)}
        moves = ([], [])  # per branch: gradients put under the names both branches end with
        for primal in differ:
            a, b = then_adj.get(primal), else_adj.get(primal)
            if isinstance(a, Items) or isinstance(b, Items):
                raise UnsupportedSyntaxError(
                    "srcgrad cannot yet join the gradients of a tuple unpacked in a branch.",
                    self.source.location(stmt.origin),
                )
            target = self.adjoint_name(primal)
            if target in unchanged:
                target = self.namer.fresh(target)
                self.facts.alias(target, primal)
            for state, branch_moves in ((a, moves[0]), (b, moves[1])):
                value = self.as_array(primal, state)
                if not (isinstance(value, gast.Name) and value.id == target):
                    branch_moves.append((target, value))
            merged[primal] = name(target)
        then_out += _parallel(moves[0])
        else_out += _parallel(moves[1])
        self.adjoint, self.out, self.pending_comment = merged, outer, comment
        self.emit(Comment(stmt.origin))
        if all(isinstance(s, Comment) for s in else_out):  # an `else:` of comments alone is no block
            else_out = []
        if all(isinstance(s, Comment) for s in then_out):
            then_out = [*then_out, gast.Pass()]
        adjoint_if = gast.If(test=stmt.test, body=then_out, orelse=else_out)
        adjoint_if.srcgrad_forward = id(stmt)  # which `if` this is the adjoint of (restore reads it)
        self.out.append(adjoint_if)

    def visit_for(self, stmt: For) -> None:
        """The loop in reverse: each iteration pops what the forward iteration saved, then runs
        the body's adjoint. Gradients that cross iterations live under fixed names."""
        inside = {s.target for s in walk(stmt.body) if isinstance(s, Assign)} | {n for n, _ in stmt.carried}
        if not any(n in self.active for n in inside):
            return
        # every gradient the body may add to, or that crosses iterations, gets a fixed name now
        read = {n for s in walk(stmt.body) for n in _operand_names(s)} | {
            n for _, v in stmt.carried for n in names_in(v)
        }
        fixed = sorted((read - inside) & self.active) + [n for n, _ in stmt.carried if n in self.active]
        for primal in fixed:
            self.fix(primal)
        outer, comment = self.out, self.pending_comment
        self.out, self.pending_comment = [], None
        stack = self.namer.fresh("saved")
        self.stacks.append(stack)
        # the end-of-iteration copies happen all at once: take every incoming gradient first
        incoming = {loop_name: self.adjoint.pop(loop_name, None) for loop_name, _ in stmt.carried}
        carried = {n for n, _ in stmt.carried}
        for loop_name, value in stmt.carried:
            if incoming[loop_name] is not None and loop_name in self.active and self.is_active(value):
                arriving = incoming[loop_name]
                if value.id in carried and names_in(self.as_array(loop_name, arriving)):
                    # `X, x = x, X`: this gradient is another carried value's, whose name the body's
                    # gradient reassigns: take it now
                    held = self.namer.fresh("d" + value.id + "_next")
                    self.emit(assign(held, self.as_array(loop_name, arriving)))
                    arriving = name(held)
                self.contribute(value.id, arriving)
        self.reverse_block(stmt.body)
        moves = []  # back under the fixed names for the previous iteration
        for primal in fixed:
            target = self.adjoint_names[primal]
            value = self.as_array(primal, self.adjoint.get(primal))
            if not (isinstance(value, gast.Name) and value.id == target):
                moves.append((target, value))
            self.adjoint[primal] = name(target)
        self.emit_moves(moves)
        body = self.out
        written = self.written(stmt.body) | {n for n, _ in stmt.carried} | {stmt.target} - {None}
        pop = self.restore(id(stmt), body, written, _joined_in_ifs(stmt.body))
        self.stacks.pop()
        self.out, self.pending_comment = outer, comment
        self.emit(Comment(stmt.origin))
        adjoint_loop = gast.While(test=name(stack), body=[pop, *body], orelse=[])
        if stmt.checkpoint is not None:  # run segment by segment (codegen.py)
            adjoint_loop.srcgrad_checkpoint = stmt
        self.out.append(adjoint_loop)

    def emit_moves(self, moves) -> None:
        for stmt in _parallel(moves):
            self.emit(stmt)

    def written(self, block) -> set:
        """The names a block (re)assigns each loop iteration, nested `if`s aside: its values, and
        the stacks of the loops directly in it, made anew each time."""
        stacks = {self.saves[id(s)][0] for s in block if isinstance(s, For) and id(s) in self.saves}
        return assigned_names(block, nested=False) | stacks

    def restore(self, key, body, written, joined=None) -> gast.stmt:
        """The pop that gives `body` back the values it reads among those `written` in a loop
        iteration (recorded in `saves`, for the forward pass to push), and among those `joined`
        (assigned in the block's `if`s) the ones it reads outside their `if`s' adjoints."""
        stack = self.stacks[-1]
        reads = {n for s in body if not isinstance(s, Comment) for n in names_in(s)}
        joined = joined or {}
        every = set().union(*joined.values())
        outside = set()  # joined values read other than by the adjoint of the `if` that made them
        for s in body:
            if isinstance(s, Comment):
                continue
            own = joined.get(getattr(s, "srcgrad_forward", None), set())
            outside |= set(names_in(s)) & (every - own)
        needed = sorted((reads & written) | outside)
        # a value read only for its shape (`unbroadcast(g, add)`) is saved as its shape
        shapes = _shape_only(body, needed)
        entries = []
        for n in needed:
            if n in shapes:
                alias = self.namer.fresh(n + "_shape")
                _rename_shape_reads(body, n, alias)
                entries.append((n, alias))
            else:
                entries.append(n)
        self.saves[key] = (stack, entries)
        pop = call(attr(name(stack), "pop"), [])
        targets = [e[1] if isinstance(e, tuple) else e for e in entries]
        if not targets:
            return gast.Expr(value=pop)
        if len(targets) == 1:
            return assign(targets[0], pop)
        tuple_target = gast.Tuple(elts=[name(n, store=True) for n in targets], ctx=gast.Store())
        return gast.Assign(targets=[tuple_target], value=pop, type_comment=None)

    def fix(self, primal: str) -> None:
        """Give `primal`'s gradient its own name, as an array, before a loop adds to it."""
        target = self.adjoint_name(primal)
        value = self.as_array(primal, self.adjoint.get(primal))
        if not (isinstance(value, gast.Name) and value.id == target):
            self.protect(target, primal)
            self.emit(assign(target, value))
        self.adjoint[primal] = name(target)

    def protect(self, target: str, primal: str) -> None:
        """Before `target` is assigned anew, copy the other gradients that still read it."""
        for other in self.adjoint.others_reading(target, primal):
            held = self.namer.fresh("d" + other + "_held")
            self.emit(assign(held, self.as_array(other, self.adjoint[other])))
            self.adjoint[other] = name(held)

    def as_array(self, primal: str, state) -> gast.expr:
        """An adjoint state as an expression: zeros where nothing arrived, arrays for Fills."""
        if state is None:
            return call(attr(self.np, "zeros_like"), [name(primal)])
        if isinstance(state, Fill):
            return self.spread(primal, state)
        return state

    def _same_block(self, stmt: Assign) -> bool:
        last = next((s for s in reversed(self.out) if isinstance(s, Comment)), None)
        return last is not None and last.origin is stmt.origin

    # -- one statement ----------------------------------------------------------------------

    def visit(self, stmt: Assign) -> None:
        # a gradient that a complex value sends to a real operand is its real part
        self.to_real = computes_complex(stmt, self.complex)
        try:
            self.visit_statement(stmt)
        finally:
            self.to_real = False

    def visit_statement(self, stmt: Assign) -> None:
        if stmt.op.key is ITEM:
            return self.visit_item(stmt)
        if stmt.op.key is APPEND:  # parts_2 = parts + [item]: the last gradient is the item's
            g = self.as_array(stmt.target, self.adjoint[stmt.target])
            old, item = stmt.op.args
            if self.is_active(item):
                self.contribute(item.id, gast.Subscript(value=g, slice=const(-1), ctx=gast.Load()))
            if self.is_active(old):
                rest = gast.Slice(lower=None, upper=const(-1), step=None)
                self.contribute(old.id, gast.Subscript(value=g, slice=rest, ctx=gast.Load()))
            return
        if stmt.op.key is JOIN:  # a join of branches or loop iterations: the gradient passes through
            source = stmt.op.args[0]
            if self.is_active(source):
                adj = self.adjoint[stmt.target]
                if isinstance(adj, Fill):
                    self.contribute(source.id, call(name("fill"), [adj.scalar, source]))
                elif isinstance(adj, Items):
                    self.adjoint[source.id] = adj
                else:
                    self.contribute(source.id, adj)
            return
        rule, args = rules.lookup(stmt.op.key, self.to_real), stmt.op.args
        if rule is None and self.to_real and rules.lookup(stmt.op.key) is not None:
            refuse_rule(stmt, self.source, "gradient")
        if rule is None:
            self.no_rule(stmt)
        if _reciprocal(stmt):  # 1 / y: its gradient -g * ans**2 needs only the result, not y
            rule, args = rules.lookup(numpy.reciprocal), args[1:]
        location = (stmt.op.source or self.source).location(stmt.op.node)
        bound = rule.bind_operation(stmt.op, args, location)
        rule.check_differentiable(stmt.op, bound, self.is_active, location)
        seed = self.adjoint[stmt.target]
        mapping = dict(bound, ans=name(stmt.target), np=self.np, FUNCTION=called_function(stmt))
        if isinstance(seed, Items):
            seed = self.gather(stmt.target, seed)
        if isinstance(seed, Fill):
            if self.facts.is_scalar(stmt.target):  # the gradient is the scalar itself
                mapping["g"] = seed.scalar
                self.emit_items(self.expand(rule, mapping), bound)
                return
            if self.fold_seed(stmt, rule, mapping, bound, seed):
                return
            mapping["g"] = self.materialize(stmt.target, seed)
        else:
            mapping["g"] = seed
        self.emit_items(self.expand(rule, mapping), bound)

    def fold_seed(self, stmt, rule, mapping, bound, seed: Fill) -> bool:
        """Emit the rule with the Fill gradient folded in, if that is exact; else emit nothing.

        With `g` a placeholder of the result's shape, a contribution that is a scalar function
        of `g` (through reshapes and broadcasts of it) stays a Fill; one that is elementwise in
        `g` and already has the result's shape takes the scalar in place of `g`. Anything else
        (a sum over broadcast axes, a matrix product) needs the gradient as a real array.
        """
        placeholder = f"__seed_{stmt.target}__"
        self.facts.alias(placeholder, stmt.target)
        trial = self.expand(rule, dict(mapping, g=name(placeholder)), fresh=lambda base: "__trial_" + base)
        if any(kind == "local" and placeholder in set(names_in(e)) for kind, _, e in trial):
            return False
        live = [e for kind, param, e in trial if kind == "grad" and self.is_active(bound.get(param))]
        if any(isinstance(bound.get(p), (gast.Tuple, gast.List)) for kind, p, _ in trial if kind == "grad"):
            return False  # gradients of a sequence parameter are an array per element
        if any(self.fold(e, placeholder, seed.scalar) is None for e in live):
            return False
        for kind, n, e in self.expand(rule, dict(mapping, g=name(placeholder))):
            if kind == "local":
                self.emit(assign(n, e))
            elif isinstance(bound.get(n), gast.Name) and self.is_active(bound[n]):
                folded, value = self.fold(e, placeholder, seed.scalar)
                if folded:
                    self.contribute(bound[n].id, call(name("fill"), [value, bound[n]]))
                else:
                    self.contribute(bound[n].id, value)
        return True

    def fold(self, e, placeholder: str, scalar):
        """(True, s) for a Fill of scalar s, (False, expr) for an exact expression, or None."""
        spread = _replace_spreads(e, placeholder)
        if _elementwise_in(spread, placeholder, self.facts):
            value = simplify(substitute(spread, {placeholder: scalar}), self.facts)
            if self.facts.shape_of(value) == SCALAR:
                return True, value
        if _elementwise_in(e, placeholder, self.facts):
            value = simplify(substitute(e, {placeholder: scalar}), self.facts)
            if self.facts.shape_of(value) == self.facts.shape_of(name(placeholder)):
                return False, value
        return None

    def visit_item(self, stmt: Assign) -> None:
        """`a = t[i]` from unpacking: a's gradient is item i of the tuple's gradient."""
        whole, index, count = stmt.op.args
        adj = self.adjoint[stmt.target]
        if isinstance(adj, Fill):
            adj = self.spread(stmt.target, adj)
        items = self.adjoint.setdefault(whole.id, Items(count.value, {}))
        items.parts[index.value] = adj

    def gather(self, target: str, items: Items) -> gast.Name:
        """The tuple's gradient as a tuple: zeros for the items nothing differentiable used."""
        parts = []
        for i in range(items.count):
            item = gast.Subscript(value=name(target), slice=const(i), ctx=gast.Load())
            parts.append(items.parts.get(i, call(attr(self.np, "zeros_like"), [item])))
        value = gast.Tuple(elts=parts, ctx=gast.Load())
        return self.materialize_value(target, value)

    def expand(self, rule, mapping, fresh=None):
        """The rule's items, simplified in order; each local's shape is learned before the next."""
        items = []
        for kind, n, e in rule.expand(mapping, fresh or self.fresh_local):
            e = simplify(e, self.facts)
            if kind == "local":
                self.facts.learn(n, e)
            items.append((kind, n, e))
        return items

    def emit_items(self, items, bound) -> None:
        self.reading = {m for _, _, e in items for m in names_in(e)}
        for kind, n, e in items:
            if kind == "local":
                self.emit(assign(n, e))
            elif isinstance(bound.get(n), (gast.Tuple, gast.List)) and self.is_active(bound[n]):
                self.contribute_each(n, bound[n].elts, e)
            elif self.is_active(bound.get(n)):
                self.contribute(bound[n].id, e)
        self.reading = set()

    def contribute_each(self, param: str, elements, e: gast.expr) -> None:
        """A sequence parameter (`np.concatenate([a, b])`): `e` is a sequence, one gradient each."""
        if _is_fill(e):  # `np.sum([a, b])`: each element's gradient is the same scalar, spread
            for element in elements:
                if self.is_active(element):
                    self.contribute(element.id, call(name("fill"), [e.args[0], element]))
            return
        parts = self.namer.fresh("d" + param)
        self.emit(assign(parts, e))
        for i, element in enumerate(elements):
            if self.is_active(element):
                item = gast.Subscript(value=name(parts), slice=const(i), ctx=gast.Load())
                self.contribute(element.id, item)

    def is_active(self, atom) -> bool:
        if isinstance(atom, (gast.Tuple, gast.List)):
            return any(self.is_active(e) for e in atom.elts)
        return isinstance(atom, gast.Name) and atom.id in self.active

    # -- adjoint bookkeeping ----------------------------------------------------------------

    def contribute(self, primal: str, e: gast.expr) -> None:
        if self.to_real and primal not in self.complex:
            e = self.real_part(e)
        existing = self.adjoint.get(primal)
        if self.facts.is_scalar(primal) and isinstance(e, gast.Constant):
            e = call(name("fill"), [e, name(primal)])  # a scalar's constant gradient stays symbolic
        if _is_fill(e):
            scalar = e.args[0]
            if existing is None:
                self.adjoint[primal] = Fill(scalar)
                return
            if isinstance(existing, Fill):
                total = gast.BinOp(left=existing.scalar, op=gast.Add(), right=scalar)
                self.adjoint[primal] = Fill(simplify(total, self.facts))
                return
            e = scalar  # added to an adjoint that already has the primal's shape, it broadcasts
        if existing is None:
            if isinstance(e, gast.Name):  # a pure renaming: share the value, emit nothing
                self.adjoint[primal] = e
                return
            value = e
        else:
            if isinstance(existing, Fill):
                shape = self.facts.shape_of(name(primal))
                full = shape is not None and self.facts.shape_of(e) == shape
                existing = existing.scalar if full else self.spread(primal, existing)
            value = simplify(gast.BinOp(left=existing, op=gast.Add(), right=e), self.facts)
        target = self.adjoint_name(primal)
        if self.still_read(target, primal):  # in a loop, a fixed name may still be needed as is
            target = self.namer.fresh(target)
            self.facts.alias(target, primal)
        self.emit(assign(target, value))
        self.adjoint[primal] = name(target)

    def real_part(self, e: gast.expr) -> gast.expr:
        if _is_fill(e):
            return call(name("fill"), [self.real_part(e.args[0]), e.args[1]])
        if isinstance(e, gast.Call) and to_source(e.func) in ("np.real", f"{self.np.id}.real"):
            return e
        return call(attr(self.np, "real"), [e])

    def still_read(self, target: str, primal: str) -> bool:
        """Whether rebinding `target` would change a gradient something else still reads."""
        return target in self.reading or self.adjoint.read_by_others(target, primal)

    def spread(self, primal: str, fill: Fill) -> gast.expr:
        """The expression for a Fill adjoint as an array shaped like `primal` (the scalar itself
        where `primal` is a scalar)."""
        if self.facts.is_scalar(primal):
            return fill.scalar
        if isinstance(fill.scalar, gast.Constant) and fill.scalar.value == 1:
            return call(attr(self.np, "ones_like"), [name(primal)])
        return call(attr(self.np, "full_like"), [name(primal), fill.scalar])

    def materialize(self, primal: str, fill: Fill) -> gast.Name:
        return self.materialize_value(primal, self.spread(primal, fill))

    def materialize_value(self, primal: str, value: gast.expr) -> gast.Name:
        target = self.adjoint_name(primal)
        self.emit(assign(target, value))
        self.adjoint[primal] = name(target)
        return name(target)

    def adjoint_name(self, primal: str) -> str:
        if primal not in self.adjoint_names:
            self.adjoint_names[primal] = self.namer.fresh("d" + primal)
            self.facts.alias(self.adjoint_names[primal], primal)
        return self.adjoint_names[primal]

    def fresh_local(self, base: str) -> str:
        return self.namer.fresh(base)

    def emit(self, stmt) -> None:
        if self.pending_comment is not None:
            self.out.append(self.pending_comment)
            self.pending_comment = None
        self.out.append(stmt)

    # -- errors -----------------------------------------------------------------------------

    def no_rule(self, stmt: Assign):
        # (the user's own functions never get here: they are inlined, or refused while lowering)
        key, location = stmt.op.key, (stmt.op.source or self.source).location(stmt.op.node)
        what = stmt.op.label
        if key is builtins.sum:
            raise UnsupportedSyntaxError(
                f"srcgrad writes out `sum()` of a list whose items it knows here (a list or tuple "
                f"written in the function, the parts of a nested parameter), not `{to_source(stmt.value)}`.",
                location,
                hint="Add up in a loop (`total = total + x`), or use np.sum(np.stack(xs), axis=0).",
            )
        if key in (dict, set, frozenset):
            kind = "dict" if key is dict else "set"
            raise UnsupportedSyntaxError(
                f"srcgrad does not follow values that carry gradients into a {kind} made in the "
                f"function (`{to_source(stmt.value)}`).",
                location,
                hint="Keep the values in separate variables (or a list or tuple), or pass a dict of "
                "arrays as a parameter: srcgrad follows the arrays of those.",
            )
        refuse_transform_call(key, location, stmt)
        if callable(key):
            module = getattr(key, "__module__", None) or "numpy"
            what = f"{module}.{getattr(key, '__name__', what)}" if module else what
        raise NoRuleError(
            f"srcgrad has no derivative rule for {what}, and the result depends on it through "
            f"`{to_source(stmt.value)}`.",
            location,
            hint="If it is differentiable, register a rule with srcgrad.extend.adjoint; if its value "
            "should carry no gradient, declare it with srcgrad.extend.nondifferentiable "
            "(docs/rules.md).",
        )


_SPREADS = {"reshape", "transpose", "broadcast_to"}


def _replace_spreads(e: gast.expr, placeholder: str) -> gast.expr:
    """`e` with each reshape, transpose or broadcast of the placeholder replaced by it."""

    def is_placeholder(node):
        return isinstance(node, gast.Name) and node.id == placeholder

    class Replace(gast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            func = node.func
            spread = (isinstance(func, gast.Name) and func.id == "unreduce") or (
                isinstance(func, gast.Attribute) and func.attr in _SPREADS
            )
            if spread and node.args and is_placeholder(node.args[0]):
                return name(placeholder)
            return node

        def visit_Attribute(self, node):
            self.generic_visit(node)
            return name(placeholder) if node.attr == "T" and is_placeholder(node.value) else node

    return Replace().visit(copy_tree(e))


def _reciprocal(stmt: Assign) -> bool:
    """`1 / y` (as in a sigmoid): the reciprocal's rule serves, and the backward pass does not keep
    `y` alive for it."""
    op = stmt.op
    return (
        op.key in (operator.truediv, numpy.divide)
        and len(op.args) == 2
        and not op.kwargs
        and is_number(op.args[0])
        and op.args[0].value == 1
        and rules.lookup(numpy.reciprocal) is not None
    )


def _elementwise_in(e: gast.expr, placeholder: str, facts: ShapeFacts) -> bool:
    """Whether the placeholder occurs in `e` only under elementwise operations."""
    if placeholder not in set(names_in(e)) or isinstance(e, gast.Name):
        return True
    if isinstance(e, gast.BinOp) and not isinstance(e.op, gast.MatMult):
        children = [e.left, e.right]
    elif isinstance(e, gast.UnaryOp):
        children = [e.operand]
    elif isinstance(e, gast.Compare):
        children = [e.left, *e.comparators]
    elif isinstance(e, gast.Call) and not e.keywords and _is_elementwise_call(e, facts):
        children = e.args
    else:
        return False
    return all(_elementwise_in(c, placeholder, facts) for c in children)


def _is_elementwise_call(e: gast.Call, facts: ShapeFacts) -> bool:
    func = facts.function(e.func)
    return func is not None and func != "unbroadcast" and elementwise(func)


def _shape_calls(body):
    """The `unbroadcast(g, x)` and `ungetitem(g, x, index)` calls in generated statements (x is
    read only for its shape)."""
    for stmt in body:
        if isinstance(stmt, gast.AST):
            for node in walk_tree(stmt):
                if (
                    isinstance(node, gast.Call)
                    and isinstance(node.func, gast.Name)
                    and (node.func.id, len(node.args)) in (("unbroadcast", 2), ("ungetitem", 3))
                    and isinstance(node.args[1], gast.Name)
                ):
                    yield node


def _shape_only(body, needed) -> set:
    reads = Counter(n for s in body if isinstance(s, gast.AST) for n in names_in(s))
    shape_reads = Counter(c.args[1].id for c in _shape_calls(body))
    return {n for n in needed if reads[n] and reads[n] == shape_reads[n]}


def _rename_shape_reads(body, old: str, new: str) -> None:
    for c in _shape_calls(body):
        if c.args[1].id == old:
            c.args[1] = name(new)


def _operand_names(stmt) -> set:
    if isinstance(stmt, Assign):
        return {n for a in [*stmt.op.args, *stmt.op.kwargs.values()] for n in names_in(a)}
    if isinstance(stmt, If):
        return set(names_in(stmt.test))
    if isinstance(stmt, For):
        return set(names_in(stmt.iter)) if stmt.iter is not None else set()
    return set()


def _parallel(moves) -> list:
    """`target = value` for each move, as if all at once: one tuple assignment when a value
    reads a target an earlier move assigns (`a, b = b, a` in a loop swaps the gradients)."""
    targets = set()
    for target, value in moves:
        if targets & set(names_in(value)):
            tuple_target = gast.Tuple(elts=[name(t, store=True) for t, _ in moves], ctx=gast.Store())
            values = gast.Tuple(elts=[v for _, v in moves], ctx=gast.Load())
            return [gast.Assign(targets=[tuple_target], value=values, type_comment=None)]
        targets.add(target)
    return [assign(target, value) for target, value in moves]


def _joined_in_ifs(block) -> dict:
    """For each `if` of a block, by its id: the values both its branches assign (the values it
    joins, defined after it on every path)."""
    return {id(s): assigned_names(s.body) & assigned_names(s.orelse) for s in block if isinstance(s, If)}


def _same(a, b) -> bool:
    if isinstance(a, Fill) and isinstance(b, Fill):
        return gast.dump(a.scalar) == gast.dump(b.scalar)
    if isinstance(a, gast.AST) and isinstance(b, gast.AST):
        return gast.dump(a) == gast.dump(b)
    return False


def _is_fill(e: gast.expr) -> bool:
    return isinstance(e, gast.Call) and isinstance(e.func, gast.Name) and e.func.id == "fill"


def refuse_transform_call(key, location, stmt) -> None:
    """Refuse, saying what it is, a call of a function srcgrad made other than `grad` (whose
    calls have rules of their own, `rules/gradients.py`): a grad of a grad, hvp, jvp, ..."""
    kind = type(key)
    if kind.__module__.startswith("srcgrad.functions"):
        raise NoRuleError(
            f"srcgrad differentiates calls of the functions srcgrad.grad makes (second derivatives), "
            f"not yet of a {kind.__name__} (`{to_source(stmt.value)}`): that would be a derivative "
            "of a higher order, or of a product srcgrad computes forward.",
            location,
            hint="Call srcgrad.grad(f, with_value=False) in the differentiated code, or differentiate "
            "f itself to the order you need (srcgrad.hessian, srcgrad.hvp).",
        )
