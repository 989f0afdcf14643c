"""Loops: `for` over ranges, rows, `enumerate`, `zip` and literal tuples; `while` on a counter
or on the data; `break` and `continue`; comprehensions. Each loop gets a budget so that values stay
bounded however often it runs."""

from __future__ import annotations

import re
from dataclasses import replace

from .base import _INT_NAMES, _ROW_NAMES
from .scope import IntVar, Var, _Loop, _Scope
from .shapes import ATOM, LOOP_BUDGET, MAX_DEPTH, MUL, PARAM_SIDE, Expr, _paren, _shape_ok


class _Loops:
    """Mixin of the builder (builder.py): loops, their bodies, their exits."""

    def _enter_loop(self, scope: _Scope, kind: str, trips: int) -> tuple[_Loop, _Scope]:
        """Set up a loop's body: outer values may not grow, accumulators get their budget."""
        loop = _Loop(kind, trips, caps={}, budgets={})
        accs = []
        if self.flip() and self.config.allows("loop_accumulate"):
            accs.append(self._stmt_declare_accumulator(scope))
        return loop, accs

    def _loop_body(
        self, scope: _Scope, loop: _Loop, accs, targets: dict, ints: dict, header: str, first=None
    ):
        scope.emit(header)
        body = scope.child(loop=loop)
        for var in body.vars.values():
            var.bound = max(var.bound, 1.0)
            loop.caps[var.name] = var.bound
        for acc in accs:
            grown = acc.bound + loop.trips * LOOP_BUDGET
            body.vars[acc.name].bound = grown
            loop.caps[acc.name] = grown
            loop.budgets[acc.name] = LOOP_BUDGET
        body.vars.update(targets)
        body.ints.update(ints)
        if scope.in_loop and not self.config.allows("rebind_nested_iterable"):
            for name in loop.iterables:
                if name in body.vars:
                    body.vars[name].assignable = False
        if not self.config.allows("tuple_loop_rebind"):
            for name in loop.literal_tuple:  # Python iterates the tuple built before the loop
                if name in body.vars:
                    body.vars[name].assignable = False
        loop.body = body
        if scope.loop is not None:
            self.mark("nested_loop")
        if first is not None and first(body):  # the body's first statement
            self.block(body, 0, 2)
        else:
            self.block(body, 1, 3)
        for acc in accs:  # every declared accumulator gets its update
            if loop.budgets[acc.name] >= 1.0:
                saved = loop.budgets
                loop.budgets = {acc.name: saved[acc.name]}
                self._stmt_accumulate(body)
                loop.budgets = saved | loop.budgets
        return body

    def _leave_loop(self, scope: _Scope, loop: _Loop, body: _Scope):
        """The variables after a loop: all the body's, except those first assigned after a
        `break` or `continue` (an early exit may have skipped them)."""
        keep = loop.names_at_exit if loop.names_at_exit is not None else set(body.vars)
        scope.vars = {k: v for k, v in body.vars.items() if k in keep}
        scope.assigned |= body.assigned
        scope.maybe_unbound = scope.maybe_unbound | body.maybe_unbound | (set(body.vars) - keep)
        if any(name not in loop.caps for name in scope.vars):
            self.mark("var_after_loop")
        scope.last = body.last if body.last in scope.vars else None

    def loop_ok(self, scope: _Scope) -> bool:
        """Loops may be generated here (see known bug "loop_in_tuple_loop")."""
        return scope.depth < MAX_DEPTH and (
            not scope.in_tuple_loop or self.config.allows("loop_in_tuple_loop")
        )

    def _stmt_for_loop(self, scope):
        if not self.loop_ok(scope):
            return False
        header = self._for_header(scope)
        if header is None:
            return False
        text, trips, targets, ints, feature = header
        self.mark(feature)
        loop, accs = self._enter_loop(scope, "for", trips)
        if feature == "for_tuple":
            loop.literal_tuple = tuple(text[text.index("(") + 1 : text.rindex(")")].split(", "))
        elif feature in ("for_rows", "for_enumerate", "for_zip"):
            inside = text[text.index(" in ") + 4 : -1]
            loop.iterables = tuple(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", inside))
        body = self._loop_body(scope, loop, accs, targets, ints, text)
        assignable = {name: var.assignable for name, var in scope.vars.items()}
        self._leave_loop(scope, loop, body)
        for name, var in scope.vars.items():  # undo what _loop_body froze for the loop
            var.assignable = assignable.get(name, var.assignable)
        if targets and any(name in scope.vars for name in targets):
            if self.config.allows("target_after_loop"):
                self.mark("target_after_loop")
            else:
                scope.vars = {k: v for k, v in scope.vars.items() if k not in targets}
                scope.last = scope.last if scope.last in scope.vars else None
        return True

    def _for_header(self, scope):
        """`for ... in ...:` with the loop's trip count and what it binds."""
        arrays = [
            v for v in scope.vars.values() if v.shape and not v.accumulator and 1 <= v.shape[0] <= PARAM_SIDE
        ]
        kinds = ["range", "range_start", "range_step", "range_reversed"]
        same = [(a, b) for a in scope.vars.values() for b in scope.vars.values() if a.name < b.name]
        same = [(a, b) for a, b in same if a.shape == b.shape and not (a.accumulator or b.accumulator)]
        # a family first, then a kind in it: a flat list would make the last kinds rare
        if arrays and self.flip():
            kinds = ["range_shape", "range_len", "rows", "enumerate", "zip"] + ["tuple"] * bool(same)
        kind = self.choose(self.allowed(kinds) or ["range"])
        index = self.fresh(scope, _INT_NAMES)
        if kind == "range":
            n = self.integer(1, 4)
            return f"for {index} in range({n}):", n, {}, {index: IntVar(index, 0, n)}, "for_range"
        if kind == "range_start":
            a = self.integer(1, 2)
            b = a + self.integer(1, 3)
            return f"for {index} in range({a}, {b}):", b - a, {}, {index: IntVar(index, a, b)}, "for_range"
        if kind == "range_step":
            n = self.integer(2, 6)
            counted = {index: IntVar(index, 0, n)}
            return f"for {index} in range(0, {n}, 2):", (n + 1) // 2, {}, counted, "for_range"
        if kind == "range_reversed":
            n = self.integer(1, 4)
            text = f"for {index} in range({n - 1}, -1, -1):"
            return text, n, {}, {index: IntVar(index, 0, n)}, "for_range"
        if kind == "tuple":
            a, b = self.choose(same)
            items = [a.name, b.name] + ([a.name] if self.flip() else [])
            row = self.fresh(scope, _ROW_NAMES)
            text = f"for {row} in ({', '.join(items)}):"
            leaf = a.dict_leaf or b.dict_leaf or not (a.assignable and b.assignable)
            target = Var(row, a.shape, max(a.bound, b.bound), dict_leaf=leaf)
            return text, len(items), {row: target}, {}, "for_tuple"
        x = self.choose(arrays)
        n = x.shape[0]
        counted = {index: IntVar(index, 0, n)}
        if kind == "range_shape":
            return f"for {index} in range({x.name}.shape[0]):", n, {}, counted, "for_range"
        if kind == "range_len":
            return f"for {index} in range(len({x.name})):", n, {}, counted, "for_range"
        row = self.fresh(replace(scope, ints={**scope.ints, index: None}), _ROW_NAMES)
        row_var = Var(row, x.shape[1:], x.bound, dict_leaf=x.dict_leaf or not x.assignable)
        if kind == "rows":
            return f"for {row} in {x.name}:", n, {row: row_var}, {}, "for_rows"
        if kind == "enumerate":
            text = f"for {index}, {row} in enumerate({x.name}):"
            return text, n, {row: row_var}, {index: IntVar(index, 0, n)}, "for_enumerate"
        if kind == "zip":
            partners = [a for a in arrays if a.name != x.name] or [x]
            y = self.choose(partners)
            taken = replace(scope, vars={**scope.vars, row: None}, ints={**scope.ints, index: None})
            other = self.fresh(taken)
            trips = min(n, y.shape[0])
            other_var = Var(other, y.shape[1:], y.bound, dict_leaf=y.dict_leaf or not y.assignable)
            targets = {row: row_var, other: other_var}
            return f"for {row}, {other} in zip({x.name}, {y.name}):", trips, targets, {}, "for_zip"

    def _stmt_while_loop(self, scope):
        if not self.loop_ok(scope):
            return False
        if self.config.allows("while_data") and self.integer(0, 2) == 2:
            return self._while_data(scope)
        counter = self.fresh(scope, ["i", "n_iter", "count", "it"])
        n = self.integer(1, 4)
        loop, accs = self._enter_loop(scope, "while", n)
        scope.emit(f"{counter} = 0")
        limit = str(n)
        arrays = [v for v in scope.vars.values() if v.shape and v.shape[0] == n and self.flip()]
        if arrays:
            limit = f"{arrays[0].name}.shape[0]"
        header = f"while {counter} < {limit}:"
        body = self._loop_body(scope, loop, accs, {}, {counter: IntVar(counter, 0, n)}, header)
        body.emit(f"{counter} {'+= 1' if self.flip() else f'= {counter} + 1'}")
        self._leave_loop(scope, loop, body)
        self.mark("while_counter")
        return True

    def _while_data(self, scope):
        """A while loop whose trip count depends on the data: 2 to 4 iterations."""
        level = self.fresh(scope, ["s", "level", "progress"])
        loop, accs = self._enter_loop(scope, "while", 4)
        scope.emit(f"{level} = 0.0")
        scope.hidden = scope.hidden | {level}  # the body's loops must not reuse the name
        body = self._loop_body(scope, loop, accs, {}, {}, f"while {level} < 2.0:")
        x = self.leaf(body)
        body.emit(f"{level} = {level} + 0.75 + 0.25 * np.tanh(np.sum({x.text}))")
        self._leave_loop(scope, loop, body)
        self.mark("while_data", "nonsmooth")
        return True

    def _loop_exit(self, scope, word):
        loop = scope.loop
        if loop is None or loop.body is not scope or not loop.exits:
            return False
        if word == "continue" and loop.kind != "for":
            return False  # a counter after it would be skipped: an endless loop
        if loop.literal_tuple and not self.config.allows("exit_in_tuple_loop"):
            return False
        scope.emit(f"if {self.condition(scope)}:")
        scope.emit(f"    {word}")
        if loop.names_at_exit is None:
            loop.names_at_exit = set(scope.vars)
        # after the loop, each name holds what it held at the exit or at the end of the body
        scope.fixed = scope.fixed | frozenset(scope.vars)
        scope.conditional = True  # what follows runs only when the exit was not taken
        scope.assigned = set()
        self.mark(word)
        return True

    def _stmt_break_if(self, scope):
        return self._loop_exit(scope, "break")

    def _stmt_continue_if(self, scope):
        return self._loop_exit(scope, "continue")

    def _x_comprehension(self, scope, depth):
        """`sum(... for t in range(n))`, `np.stack([... for row in x])`."""
        if scope.helper_depth + scope.depth >= MAX_DEPTH + 1 or not self.loop_ok(scope):
            return None
        index = self.fresh(scope, _INT_NAMES)
        self.comprehension_names.add(index)
        inner = scope.child(indent=scope.indent)
        inner.in_loop = True
        form = self.choose(["sum_range", "stack_range", "stack_rows"])
        rows = [v for v in scope.vars.values() if v.shape and not v.accumulator and v.shape[0] <= PARAM_SIDE]
        if form == "stack_rows" and rows:
            x = self.choose(rows)
            inner.vars[index] = Var(index, x.shape[1:], x.bound)
            e = self.apply_elementwise(inner, self._leaf_of(inner.vars[index]))
            text = f"np.stack([{e.text} for {index} in {x.name}])"
            self.mark("comprehension", "stack")
            shape = (x.shape[0],) + e.shape
            return Expr(text, shape, e.bound, ATOM) if _shape_ok(shape) else None
        n = self.integer(1, 3)
        inner.ints[index] = IntVar(index, 0, n)
        e = self.expr(inner, max(depth - 1, 0))
        if index not in e.text:
            e = self.small(e)
            e = Expr(f"{_paren(e, MUL)} * ({index} + 1)", e.shape, e.bound * n, MUL)
        self.mark("comprehension")
        if form == "sum_range" or not _shape_ok((n,) + e.shape):
            return Expr(f"sum({e.text} for {index} in range({n}))", e.shape, n * e.bound, ATOM)
        self.mark("stack")
        return Expr(f"np.stack([{e.text} for {index} in range({n})])", (n,) + e.shape, e.bound, ATOM)
