"""Straight-line statements and branches: assignments (and the rules that keep an assignment
shape- and alias-safe: `prepare`, `record`), accumulator updates, unpacking, `if`/`elif`/`else`."""

from __future__ import annotations

import math
import re
from dataclasses import replace

from .base import _ACC_NAMES, _span
from .scope import Var, _Scope
from .shapes import ADD, IFEXP, MAX_DEPTH, MUL, SQUASH_ABOVE, Expr, _call, _literal, _paren, _tuple_text


class _Statements:
    """Mixin of the builder (builder.py): the statements of a block, loops aside."""

    STATEMENTS = [
        "assign",
        "reassign",
        "accumulate",
        "unpack",
        "multi_target",
        "ifexp_stmt",
        "if_else",
        "for_loop",
        "while_loop",
        "helper_call",
        "break_if",
        "continue_if",
        "aliased_augassign",
    ]

    def block(self, scope: _Scope, low: int, high: int) -> None:
        for _ in range(self.integer(low, high)):
            self.statement(scope)

    def statement(self, scope: _Scope) -> None:
        self._draw(_span(self, self._statement, scope))

    def _statement(self, scope: _Scope) -> None:
        kinds = self.allowed(self.STATEMENTS)
        if any(c.uniform for c in scope.containers.values()):
            kinds += self.allowed(["container_loop"]) * 3  # its many forms: a chance for each
        if any(c.kind != "dict" for c in scope.containers.values()):
            kinds += self.allowed(["container_unpack"])
        kinds += self.allowed(["list_build"])
        kinds = self.prefer(kinds)
        for _ in range(3):
            kind = self.choose(kinds)
            if getattr(self, f"_stmt_{kind}")(scope):
                return
        self._stmt_assign(scope)

    def prepare(self, scope: _Scope, name: str, e: Expr) -> Expr | None:
        """`e` made fit to be assigned to `name`, or None if the rules forbid it.

        An outer name keeps its shape in a loop or branch; in a loop its bound may not grow
        (squashed if it would); an accumulator never becomes a second name of an array, nor an
        array a second name of one.
        """
        old = scope.vars.get(name)
        if old is not None and not old.assignable:
            return None
        if (
            old is not None
            and old.dict_leaf
            and scope.in_loop
            and not self.config.allows("dict_leaf_rebind_in_loop")
        ):
            return None
        carried = old is not None and scope.loop is not None and name in scope.loop.caps
        if carried and not old.plain and not self.config.allows("carry_result"):
            return None
        if old is not None and name in scope.fixed and e.shape != old.shape:
            return None
        if scope.is_accumulator(e.alias) or (old is not None and old.accumulator and e.alias is not None):
            e = _call("np.copy", e.text, shape=e.shape, bound=e.bound)
        # `h = x` (or `h = x if c else y`) right after x was assigned in this if arm
        if scope.conditional and not self.config.allows("alias_in_branch"):
            names = {e.text} if e.alias == e.text else set()
            if e.prec == IFEXP:
                names = set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", e.text))
            if names & scope.assigned:
                e = _call("np.copy", e.text, shape=e.shape, bound=e.bound, plain=True)
        if e.bound > scope.cap(name):
            e = self.squash(e)
        return e

    def record(self, scope: _Scope, name: str, e: Expr, accumulator: bool = False) -> None:
        old = scope.vars.get(name)
        if old is not None:
            self.mark("reassign")
            accumulator = accumulator or old.accumulator
        source = scope.vars.get(e.alias) if e.alias else None
        dict_leaf = e.alias == "?" or (source is not None and (source.dict_leaf or not source.assignable))
        plain = e.plain or e.alias is not None or accumulator
        var = Var(name, e.shape, e.bound, accumulator=accumulator, dict_leaf=dict_leaf, plain=plain)
        var.repeats = self.repeats(scope, e.text)
        scope.vars[name] = var
        scope.assigned.add(name)
        scope.last = name
        (self.helper_locals if scope.helper_depth else self.main_locals).add(name)

    REPEATING = ("np.zeros", "np.ones", "np.full", "broadcast_to", "np.tile", "np.repeat", "np.take", "[[")
    REPEATING += (
        "np.stack",
        "np.concatenate",
        "np.hstack",
        "np.vstack",
        "np.pad",
        "np.diag",
        "np.tri",
        "None",
    )

    def repeats(self, scope: _Scope, text: str) -> bool:
        """Whether a value with this source may hold equal elements by construction: over-
        approximated from the text (a repeating operation, or a variable that may repeat)."""
        if any(token in text for token in self.REPEATING):
            return True
        words = set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", text))
        return any(v.repeats for name, v in scope.vars.items() if name in words)

    def _stmt_assign(self, scope):
        name = self.fresh(scope)
        e = self.prepare(scope, name, self.expr(scope, 2))
        scope.emit(f"{name} = {e.text}")
        self.record(scope, name, e)
        return True

    def _stmt_reassign(self, scope):
        names = [v.name for v in scope.vars.values() if v.assignable and not v.accumulator]
        if not names:
            return False
        var = scope.vars[self.choose(names)]
        x = self._leaf_of(var)
        if var.name in scope.fixed:
            e = self.expr_with_shape(scope, var.shape, first=x)
        else:
            e = self.apply(scope, x, 1)
        e = self.prepare(scope, var.name, e)
        if e is None:
            return False
        scope.emit(f"{var.name} = {e.text}")
        self.record(scope, var.name, e)
        return True

    def _accumulators(self, scope):
        """Accumulators an update may grow here: a loop's own, or any outside loops."""
        if scope.loop is None:
            return [v for v in scope.vars.values() if v.accumulator]
        return [scope.vars[n] for n, left in scope.loop.budgets.items() if left >= 1.0 and n in scope.vars]

    def _stmt_accumulate(self, scope):
        accs = self._accumulators(scope)
        if not accs:
            return self._stmt_declare_accumulator(scope)
        acc = self.choose(accs)
        term = self.fit(scope, self.expr(scope, 2), acc.shape)
        budget = scope.loop.budgets[acc.name] if scope.loop is not None else math.inf
        if term.bound > min(budget, SQUASH_ABOVE * 4):
            term = self.squash(term)
        form = self.choose(["+=", "= +", "-=", "= -", "*=", "= + swapped"])
        if form == "*=":
            term = self.squash(term) if term.bound > 1.0 else term
            scope.emit(f"{acc.name} *= {term.text}")
            grown = acc.bound
        elif form in ("+=", "-="):
            scope.emit(f"{acc.name} {form} {term.text}")
            grown = acc.bound + term.bound
        elif form == "= + swapped":
            scope.emit(f"{acc.name} = {_paren(term, ADD)} + {acc.name}")
            grown = acc.bound + term.bound
        else:
            scope.emit(f"{acc.name} = {acc.name} {form[-1]} {_paren(term, ADD + 1)}")
            grown = acc.bound + term.bound
        self.mark("augassign" if form[-1] == "=" else "accumulate")
        if scope.loop is not None:
            scope.loop.budgets[acc.name] -= term.bound if form != "*=" else 0.0
            self.mark("loop_accumulate")
        else:
            acc.bound = grown
        scope.last = acc.name
        return True

    def _stmt_declare_accumulator(self, scope) -> Var:
        """`acc = <fresh value>`: a private array (or float) that `+=` may update in place."""
        name = self.fresh(scope, _ACC_NAMES)
        arrays = [v for v in scope.vars.values() if v.shape]
        form = self.choose(["zero", "zeros", "zeros_like", "scaled", "ones_like"])
        if form == "zero" or not arrays:
            e = _literal(0.0)
        else:
            like = self.choose(arrays)
            if form == "zeros":
                shape_text = _tuple_text(like.shape) if self.flip() else f"{like.name}.shape"
                e = _call("np.zeros", shape_text, shape=like.shape, bound=0.0)
            elif form == "zeros_like":
                e = _call("np.zeros_like", like.name, shape=like.shape, bound=0.0)
            elif form == "ones_like":
                e = _call("np.ones_like", like.name, shape=like.shape, bound=1.0)
            else:
                e = Expr(f"{_paren(self._leaf_of(like), MUL)} * 0.5", like.shape, like.bound / 2, MUL)
        scope.emit(f"{name} = {e.text}")
        scope.vars[name] = Var(name, e.shape, e.bound, accumulator=True, repeats=True)
        return scope.vars[name]

    def _stmt_aliased_augassign(self, scope):
        """Known bug: a second name for an array, then `+=` on the first (NumPy changes both)."""
        acc = self._stmt_declare_accumulator(scope)
        alias = self.fresh(scope)
        scope.emit(f"{alias} = {acc.name}")
        term = self.squash(self.fit(scope, self.expr(scope, 1), acc.shape))
        scope.emit(f"{acc.name} += {term.text}")
        scope.vars[alias] = Var(alias, acc.shape, acc.bound + term.bound)
        acc.bound += term.bound
        acc.accumulator = False  # it has a second name now
        scope.last = alias
        self.mark("aliased_augassign")
        return True

    def _stmt_unpack(self, scope):
        first, second = self.fresh(scope), None
        taken = {first}
        swappable = [
            (a, b)
            for a in scope.vars.values()
            for b in scope.vars.values()
            if a.name < b.name and a.shape == b.shape and a.assignable and b.assignable
            if not (a.accumulator or b.accumulator)
        ]
        if scope.in_loop and not self.config.allows("swap_in_loop"):
            swappable = []
        if swappable and self.flip():
            a, b = self.choose(swappable)
            ea = self.prepare(scope, a.name, self._leaf_of(b))
            eb = self.prepare(scope, b.name, self._leaf_of(a))
            if ea is None or eb is None:
                return False
            scope.emit(f"{a.name}, {b.name} = {ea.text}, {eb.text}")
            self.record(scope, a.name, ea)
            self.record(scope, b.name, eb)
            self.mark("tuple_unpack", "swap", *(["swap_in_loop"] if scope.in_loop else []))
            return True
        second = self.fresh(replace(scope, vars={**scope.vars, **{n: None for n in taken}}))
        e1 = self.prepare(scope, first, self.expr(scope, 1))
        e2 = self.prepare(scope, second, self.expr(scope, 1))
        scope.emit(f"{first}, {second} = {_paren(e1, IFEXP + 1)}, {_paren(e2, IFEXP + 1)}")
        self.record(scope, first, e1)
        self.record(scope, second, e2)
        self.mark("tuple_unpack")
        return True

    def _stmt_multi_target(self, scope):
        first = self.fresh(scope)
        second = self.fresh(replace(scope, vars={**scope.vars, first: None}))
        e = self.prepare(scope, first, self.expr(scope, 2))
        scope.emit(f"{first} = {second} = {e.text}")
        self.record(scope, second, replace(e, alias=None))
        self.record(scope, first, replace(e, alias=None))
        self.mark("multi_target")
        return True

    def branch_ok(self, scope: _Scope) -> bool:
        """Branches may be generated here (see known bug "branch_in_loop")."""
        return not scope.in_loop or self.config.allows("branch_in_loop")

    def _stmt_ifexp_stmt(self, scope):
        if not self.branch_ok(scope):
            return False
        e = self._x_ifexp(scope, 1)
        name = self.fresh(scope)
        e = self.prepare(scope, name, e)
        scope.emit(f"{name} = {e.text}")
        self.record(scope, name, e)
        return True

    def _stmt_if_else(self, scope):
        if scope.depth >= MAX_DEPTH or not self.branch_ok(scope):
            return False
        cond = self.condition(scope)
        joined = self.fresh(scope) if self.flip() else None
        branches, join_shape = [], None
        arms = ["if"] + (["elif"] if self.flip() else []) + (["else"] if self.flip() else [])
        for arm in arms:
            if arm == "if":
                scope.emit(f"if {cond}:")
            elif arm == "elif":
                scope.emit(f"elif {self.condition(scope)}:")
                self.mark("elif")
            else:
                scope.emit("else:")
            body = scope.child()
            body.conditional = True
            self.block(body, 0 if joined else 1, 2)
            if joined is not None:
                if join_shape is None:
                    e = self.expr(body, 1)
                    join_shape = e.shape
                else:
                    e = self.expr_with_shape(body, join_shape, depth=1)
                e = self.prepare(body, joined, e)
                body.emit(f"{joined} = {e.text}")
                self.record(body, joined, e)
                body.last = joined
            branches.append(body)
        if "else" not in arms:
            branches.append(scope.child())  # the path that runs no branch
        scope.merge(branches)
        self.mark("if_else", *(["branch_in_loop"] if scope.in_loop else []))
        return True
