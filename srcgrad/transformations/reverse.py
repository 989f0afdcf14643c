"""Reverse mode: adjoint statements for a lowered program, in reverse order, from the rule table.

The first contribution to an adjoint assigns it; later ones add to it. A gradient that is a
scalar spread over an array (the seed 1.0, or what `np.sum` sends back) stays symbolic as
`Fill` until a rule can fold it into an expression of the right shape, so no array of ones is
ever built when the shapes say it is not needed. Rule templates are inlined, simplified, and
grouped under a comment naming the user statement they differentiate.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import gast
import numpy

from .. import rules
from ..analyses.shapes import ShapeFacts
from ..errors import NoRuleError, UnsupportedSyntaxError
from ..ir import Assign, Program
from ..naming import Namer
from ..optimizations.simplify import simplify
from ..syntax import assign, attr, call, const, name, to_source


@dataclass
class Fill:
    """An adjoint equal to the scalar expression `scalar` at every element of its primal."""

    scalar: gast.expr


@dataclass
class Comment:
    """`# grad of: <user statement>` above the adjoint statements of that statement."""

    origin: gast.stmt


@dataclass
class Adjoint:
    """The reverse pass: its statements and the gradient expression of each wrt parameter."""

    statements: list  # gast statements and Comment markers, in execution order
    gradients: dict[str, gast.expr]
    facts: ShapeFacts
    names: dict[str, str]  # primal -> its adjoint variable, for those that have one


def reverse(program: Program, wrt: list[str], active: set[str], namer: Namer) -> Adjoint:
    return _Reverse(program, wrt, active, namer).run()


class _Reverse:
    def __init__(self, program: Program, wrt, active, namer: Namer):
        self.program = program
        self.source = program.source
        self.wrt = wrt
        self.active = active
        self.namer = namer
        self.facts = ShapeFacts(program)
        self.np = name(program.numpy_alias)
        self.adjoint: dict[str, gast.expr | Fill] = {}
        self.adjoint_names: dict[str, str] = {}
        self.out: list = []
        self.pending_comment: Comment | None = None

    def run(self) -> Adjoint:
        result = self.program.result.value
        if isinstance(result, gast.Name) and result.id in self.active:
            self.adjoint[result.id] = Fill(const(1.0))
        for stmt in reversed(self.program.body):
            if isinstance(stmt, Assign) and stmt.target in self.active and stmt.target in self.adjoint:
                self.pending_comment = Comment(stmt.origin) if not self._same_block(stmt) else None
                self.visit(stmt)
        gradients = {}
        for p in self.wrt:
            adj = self.adjoint.get(p)
            if adj is None:
                gradients[p] = call(attr(self.np, "zeros_like"), [name(p)])
            elif isinstance(adj, Fill):
                gradients[p] = self.spread(p, adj)
            else:
                gradients[p] = adj
        return Adjoint(statements=self.out, gradients=gradients, facts=self.facts, names=self.adjoint_names)

    def _same_block(self, stmt: Assign) -> bool:
        last = next((s for s in reversed(self.out) if isinstance(s, Comment)), None)
        return last is not None and last.origin is stmt.origin

    # -- one statement ----------------------------------------------------------------------

    def visit(self, stmt: Assign) -> None:
        rule = rules.lookup(stmt.op.key)
        if rule is None:
            self.no_rule(stmt)
        try:
            bound = rule.bind(stmt.op.args, stmt.op.kwargs)
        except TypeError as exc:
            raise UnsupportedSyntaxError(
                f"srcgrad's rule for {stmt.op.label} does not take these arguments: {exc}.",
                self.source.location(stmt.op.node),
                hint="Pass only the arguments the rule lists (docs/rules.md), or register your own rule.",
            ) from None
        seed = self.adjoint[stmt.target]
        mapping = dict(bound, ans=name(stmt.target), np=self.np)
        if isinstance(seed, Fill):
            mapping["g"] = seed.scalar
            trial = self.expand(rule, mapping, fresh=lambda base: "__trial_" + base)
            if self.facts.is_scalar(stmt.target) or self.fits(trial, bound):
                self.emit_items(self.expand(rule, mapping), bound)
                return
            materialized = self.materialize(stmt.target, seed)
            mapping["g"] = materialized
        else:
            mapping["g"] = seed
        self.emit_items(self.expand(rule, mapping), bound)

    def expand(self, rule, mapping, fresh=None):
        """The rule's items, simplified in order; each local's shape is learned before the next."""
        items = []
        for kind, n, e in rule.expand(mapping, fresh or self.fresh_local):
            e = simplify(e, self.facts)
            if kind == "local":
                self.facts.learn(n, e)
            items.append((kind, n, e))
        return items

    def fits(self, items, bound) -> bool:
        """Whether every live contribution already has its parameter's shape."""
        for kind, param, e in items:
            if kind == "grad" and self.is_active(bound.get(param)):
                if _is_fill(e):
                    continue
                target = self.facts.shape_of(bound[param])
                if target is None or self.facts.shape_of(e) != target:
                    return False
        return True

    def emit_items(self, items, bound) -> None:
        for kind, n, e in items:
            if kind == "local":
                self.emit(assign(n, e))
            elif self.is_active(bound.get(n)):
                self.contribute(bound[n].id, e)

    def is_active(self, atom) -> bool:
        return isinstance(atom, gast.Name) and atom.id in self.active

    # -- adjoint bookkeeping ----------------------------------------------------------------

    def contribute(self, primal: str, e: gast.expr) -> None:
        existing = self.adjoint.get(primal)
        if _is_fill(e):
            scalar, _ = e.args
            if existing is None:
                self.adjoint[primal] = Fill(scalar)
                return
            e = self.spread(primal, Fill(scalar))
        if existing is None:
            if isinstance(e, gast.Name):  # a pure renaming: share the value, emit nothing
                self.adjoint[primal] = e
                return
            value = e
        else:
            if isinstance(existing, Fill):
                existing = self.spread(primal, existing)
            value = simplify(gast.BinOp(left=existing, op=gast.Add(), right=e), self.facts)
        target = self.adjoint_name(primal)
        self.emit(assign(target, value))
        self.adjoint[primal] = name(target)

    def spread(self, primal: str, fill: Fill) -> gast.expr:
        """The expression for a Fill adjoint as an array shaped like `primal`."""
        if isinstance(fill.scalar, gast.Constant) and fill.scalar.value == 1:
            return call(attr(self.np, "ones_like"), [name(primal)])
        return call(attr(self.np, "full_like"), [name(primal), fill.scalar])

    def materialize(self, primal: str, fill: Fill) -> gast.Name:
        target = self.adjoint_name(primal)
        self.emit(assign(target, self.spread(primal, fill)))
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
        key, location = stmt.op.key, self.source.location(stmt.op.node)
        if inspect.isfunction(key) and not getattr(key, "__module__", "").startswith("numpy"):
            raise NoRuleError(
                f"srcgrad does not differentiate calls to your own function {key.__name__!r} yet.",
                location,
                hint="Inline its body into the differentiated function, or register a rule for it "
                "with srcgrad.extend.adjoint (see docs/rules.md).",
            )
        what = stmt.op.label
        if isinstance(key, (numpy.ufunc,)) or callable(key):
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


def _is_fill(e: gast.expr) -> bool:
    return isinstance(e, gast.Call) and isinstance(e.func, gast.Name) and e.func.id == "fill"
