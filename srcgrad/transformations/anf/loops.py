"""Lowering loops that stay loops: `for` over `range(...)`, over a sequence (`for x in xs`,
`enumerate`, `zip`, a dict's keys), `while`; and comprehensions, which become such loops (or
are written out, unrolling.py). Each variable the body assigns is carried from one iteration to
the next under one name; a list the loop builds (`parts = parts + [item]`) is followed into the
one call that takes it. A mixin of `Lowering`: it swaps the block and the reuse table for the
body and binds the loop's names in the environment."""

from __future__ import annotations

import copy

import gast
import numpy

from ... import rules, runtime
from ...analyses.scope import is_users_function
from ...errors import UnsupportedSyntaxError
from ...frontend import MISSING
from ...ir import APPEND, EMPTY_LIST, JOIN, Assign, For, Op, walk
from ...markers import checkpointed
from ...syntax import const, copy_tree, name, names_in, to_source
from ...syntax import walk as walk_tree
from .atoms import call_len, call_min, is_list_literal, is_struct, reads
from .checks import check_readable
from .generators import MANGLE

_SEQUENCE_CALLS = (len, list, tuple, enumerate, zip, sorted, reversed, iter)


class Loops:
    def lower_for(self, stmt) -> None:
        """A `for` loop over range(...), or a `while` loop (whose test is computed at the start
        of every iteration, inside the loop)."""
        is_while = isinstance(stmt, gast.While)
        entry_origin = self.origin  # the user statement the loop belongs to, restored after it
        checkpoint = None
        if not is_while and self.is_checkpoint_marker(stmt.iter):
            stmt, checkpoint = self.checkpointed_loop(stmt)
        if not is_while and isinstance(stmt.iter, (gast.Tuple, gast.List)):
            return self.unroll(stmt)
        generator = None if is_while else self.generator_of(stmt.iter)
        if generator is not None:  # `for W, b in layers(w)`: written out, the body at each `yield`
            return self.lower_generator_loop(stmt, generator)
        if not is_while:
            elements = self.known_elements(stmt)
            if elements is not None:  # parts of a nested parameter, a list made in the function
                return self.unroll(stmt, elements)
        origin = stmt  # the user's loop, as comments and messages quote it
        iterable = None if is_while else stmt.iter
        items = []  # (target, sequence atom): `for x in xs` reads xs[i] at each iteration's start
        if not is_while and not (
            isinstance(iterable, gast.Call) and self.source.resolve(iterable.func) is range
        ):
            index, items, iterable = self.sequence_loop(stmt)
            stmt = copy.copy(stmt)
            stmt.target = index
        elif not is_while and not isinstance(stmt.target, gast.Name):
            where = self.source.location(stmt.target)
            raise UnsupportedSyntaxError("a range() loop has one loop variable.", where)
        loop_range = None
        if not is_while:
            if iterable.keywords or not 1 <= len(iterable.args) <= 3:
                where = self.source.location(iterable)
                raise UnsupportedSyntaxError("range() takes 1 to 3 positional arguments.", where)
            if items:  # already lowered by sequence_loop
                loop_range = iterable
            else:
                bounds = [self.expr(a) for a in iterable.args]
                loop_range = gast.Call(func=copy_tree(iterable.func), args=bounds, keywords=[])
        stores = [n for s in stmt.body for n in walk_tree(s)]
        assigned = {n.id for n in stores if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
        assigned |= {  # `h[t + 1] = ...` makes a new `h` too
            t.value.id
            for n in stores
            if isinstance(n, (gast.Assign, gast.AugAssign))
            for t in (n.targets if isinstance(n, gast.Assign) else [n.target])
            if isinstance(t, gast.Subscript) and isinstance(t.value, gast.Name)
        }
        item_names = {n.id for t, _ in items for n in walk_tree(t) if isinstance(n, gast.Name)}
        inside = set(map(id, walk_tree(origin)))
        read_elsewhere = {  # `row` read after `for row in X:` is the last row: carried like the rest
            n.id
            for n in walk_tree(self.source.tree)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and id(n) not in inside
        }
        assigned = (assigned - item_names) | (item_names & read_elsewhere)
        assigned |= self.yield_writes(stmt)  # a `yield` inside runs the body of the loop over it
        carried = sorted(assigned - ({stmt.target.id} if not is_while else set()))
        loop_names = {}
        for var in carried:
            self.grow_before_loop(var, stmt)  # `output = [first]`, appended to in the loop
        for var in carried:  # one name per carried variable, holding its value at each iteration's start
            reusable = self.reusable(var)
            if reusable:  # the value before the loop has its own line: the loop continues under its name
                loop_names[var] = reusable
                self.cse = {k: v for k, v in self.cse.items() if v != reusable}
            else:
                loop_names[var] = self.version(var)
                start = self.env.get(var, const(None))
                if is_list_literal(start) and not start.elts:  # `parts = []`, added to in the loop
                    empty = gast.List(elts=[], ctx=gast.Load())
                    op = Op(EMPTY_LIST, [], label="[]", pure=False, node=stmt)
                    self.body.append(Assign(loop_names[var], empty, op, stmt))
                    self.list_names.add(loop_names[var])
                else:
                    # a variable first assigned in the loop starts as None, so each iteration can save it
                    op = Op(JOIN, [start], label="copy", pure=False, node=stmt)  # its value entering the loop
                    self.body.append(Assign(loop_names[var], copy_tree(start), op, stmt))
                    if is_list_literal(start):
                        self.literal_lists.add(loop_names[var])
            self.env[var] = name(loop_names[var])
            if reusable is None and var in self.list_names:
                self.list_names.add(loop_names[var])
            elif reusable is None and var.startswith(MANGLE) and set(names_in(start)) & self.list_names:
                self.list_names.add(loop_names[var])  # a list the loop over a generator builds
        target = None
        if not is_while:
            target = self.version(stmt.target.id)
            self.env[stmt.target.id] = name(target)
        self.stack_lists_read(stmt, carried)  # `logprobs[t]` of a list a loop built before
        before_cse, outer = dict(self.cse), self.body
        self.body = []
        self.loop_depth += 1
        test = None
        if is_while:
            self.origin = stmt
            test = self.expr(stmt.test, base="again")  # whether the loop runs once more
            test_body, self.body = self.body, []
            self.cse = dict(before_cse)  # the test's values are not shared with the body
        for item_target, sequence in items:  # x = xs[i]
            self.origin = origin
            element = gast.Subscript(value=sequence, slice=name(target), ctx=gast.Load())
            op = Op("getitem", [sequence, name(target)], label="indexing")
            if isinstance(item_target, gast.Name):
                self.bind(item_target.id, self.emit(element, op, item_target.id, "item"))
            else:
                whole = self.emit(element, op, None, "_".join(t.id for t in item_target.elts))
                self.unpack_atom(item_target, whole)
        for s in stmt.body:
            self.origin = s
            self.lower_statement(s)
        self.loop_depth -= 1
        body, self.body, self.cse, self.origin = self.body, outer, before_cse, entry_origin
        pairs = [(loop_names[v], self.env[v]) for v in carried]
        pairs = [(n, v) for n, v in pairs if not (isinstance(v, gast.Name) and v.id == n)]
        for var in carried:
            self.env[var] = name(loop_names[var])
        loop = For(
            target=target, iter=loop_range, body=body, carried=pairs, origin=origin, checkpoint=checkpoint
        )
        if is_while:
            loop.test_body, loop.test = test_body, test
        self.body.append(loop)

    def stack_lists_read(self, loop, carried) -> None:
        """Lists an earlier loop built (`logprobs = logprobs + [p]`) that this loop reads item
        by item (`logprobs[t]`) and does not change: stacked once, before it (`np.stack`), so
        that each read is a row of one array, whose gradient goes back to the items."""
        indexed = {
            n.value.id
            for n in walk_tree(loop)
            if isinstance(n, gast.Subscript)
            and isinstance(n.value, gast.Name)
            and isinstance(n.ctx, gast.Load)
        }
        for var in sorted(indexed - set(carried)):
            atom = self.env.get(var)
            if isinstance(atom, gast.Name) and atom.id in self.list_names:
                self.stacked_list(atom)

    def stacked_list(self, atom: gast.Name) -> gast.Name:
        """`np.stack(parts)`, made once for the list `parts` a loop built."""
        if atom.id not in self.stacked_rows:
            stack = gast.Attribute(value=name(self.numpy_alias), attr="stack", ctx=gast.Load())
            self.stacked_rows[atom.id] = self.call(stack, numpy.stack, [atom], {}, None)
        return self.stacked_rows[atom.id]

    def grow_before_loop(self, var: str, loop) -> None:
        """A list the function wrote with items (`output = [first]`) that the loop goes on
        adding to (`output.append(h)`): made as a loop would make it, `[]` then one item at a
        time, so that the loop adds to a list srcgrad follows item by item."""
        start = self.env.get(var)
        if not (is_list_literal(start) and start.elts and _appends_to(loop, var)):
            return
        parts = self.version(var)
        empty = gast.List(elts=[], ctx=gast.Load())
        self.body.append(
            Assign(parts, empty, Op(EMPTY_LIST, [], label="[]", pure=False, node=loop), self.origin)
        )
        self.list_names.add(parts)
        atom = name(parts)
        for item in start.elts:
            value = gast.BinOp(left=atom, op=gast.Add(), right=gast.List(elts=[item], ctx=gast.Load()))
            atom = self.emit(value, Op(APPEND, [atom, item], label="+ [...]", pure=False), var, "parts")
            self.list_names.add(atom.id)
        self.env[var] = atom

    def reusable(self, var: str) -> str | None:
        """The name of `var`'s current value, if a loop may go on assigning it: a value assigned
        in this block that no other variable refers to."""
        atom = self.env.get(var)
        if not isinstance(atom, gast.Name) or atom.id in self.params:
            return None
        if any(atom.id in pinned for pinned in self.pinned):
            return None
        if self.nested.is_leaf(atom.id):
            return None  # a part of a nested parameter, which `params["b"]` goes on reading
        defining = next((s for s in self.body if isinstance(s, Assign) and s.target == atom.id), None)
        if defining is None:
            return None
        if self.inline_starts:  # in a helper: only a value the helper made itself (a value shared
            # with the caller's through common subexpressions may be bound to a caller's name later)
            body, start = self.inline_starts[-1]
            if body is self.body and not any(s is defining for s in self.body[start:]):
                return None
        # the loop overwrites the name: fine unless a backward pass reads the value before the
        # loop, as the operand of a statement or as the result its own rule uses (tanh's does)
        if any(atom.id in reads(s) for s in walk(self.body) if s is not defining):
            return None
        rule = rules.lookup(defining.op.key) if defining.op.key is not None else None
        if rule is not None and rule.uses_ans:
            return None
        # another variable holding the value, also as an item of a list or tuple made in the
        # function (`parts = parts + [h]` written out: the list holds `h` itself)
        others = {n for k, v in self.env.items() if k != var for n in names_in(v)}
        others |= {n for env in self.callers for v in env.values() for n in names_in(v)}
        return None if atom.id in others else atom.id

    def is_checkpoint_marker(self, iterable) -> bool:
        return isinstance(iterable, gast.Call) and self.source.resolve(iterable.func) is checkpointed

    def checkpointed_loop(self, stmt: gast.For):
        """`for t in srcgrad.checkpointed(range(...), snapshots)`: the loop over the range, and the
        atom of `snapshots` (a None constant by default)."""
        marker = stmt.iter
        where = self.source.location(marker)
        if self.loop_depth:
            raise UnsupportedSyntaxError(
                "srcgrad checkpoints a loop that is not inside another loop; this one is.",
                where,
                hint="Mark the outer loop, or remove srcgrad.checkpointed from this one.",
            )
        snapshots = [*marker.args[1:], *(k.value for k in marker.keywords if k.arg == "snapshots")]
        steps = marker.args[0] if marker.args else None
        ranged = isinstance(steps, gast.Call) and self.source.resolve(steps.func) is range
        others = [k.arg for k in marker.keywords if k.arg != "snapshots"]
        if not ranged or len(snapshots) > 1 or others:
            raise UnsupportedSyntaxError(
                "srcgrad.checkpointed takes a range(...) and optionally snapshots=<number>, as in "
                f"`for t in srcgrad.checkpointed(range(T), snapshots=10):`; here: `{to_source(marker)}`.",
                where,
                hint="Loop over range(len(xs)) and read xs[t] in the body.",
            )
        stmt = copy.copy(stmt)
        stmt.iter = steps
        atom = self.expr(snapshots[0]) if snapshots else const(None)
        return stmt, atom

    def sequence_loop(self, stmt: gast.For):
        """`for x in xs`, `for i, x in enumerate(xs)`, `for a, b in zip(xs, ys)`: a loop over an
        index, the loop variables read from the sequences at each iteration's start."""
        iterable, target = stmt.iter, stmt.target
        func = self.source.resolve(iterable.func) if isinstance(iterable, gast.Call) else None
        where = self.source.location(iterable)
        if func is enumerate:
            if not (isinstance(target, gast.Tuple) and len(target.elts) == 2 and len(iterable.args) == 1):
                raise UnsupportedSyntaxError("write `for i, x in enumerate(xs):`.", where)
            index, item = target.elts
            inner = iterable.args[0]
            if isinstance(inner, gast.Call) and self.source.resolve(inner.func) is zip:  # enumerate(zip(..))
                if not (isinstance(item, gast.Tuple) and len(item.elts) == len(inner.args)):
                    raise UnsupportedSyntaxError("unpack one loop variable per zipped sequence.", where)
                sequences, targets = [self.expr(a) for a in inner.args], list(item.elts)
            else:
                sequences, targets = self.lowered([inner]), [item]
        elif func is zip:
            sequences = getattr(iterable, "srcgrad_lowered", None) or self.lowered(iterable.args)
            if not (isinstance(target, gast.Tuple) and len(target.elts) == len(sequences)):
                raise UnsupportedSyntaxError("unpack one loop variable per zipped sequence.", where)
            index = gast.Name(id=self.synthetic("i"), ctx=gast.Store(), annotation=None, type_comment=None)
            targets = list(target.elts)
        else:
            index = gast.Name(id=self.synthetic("i"), ctx=gast.Store(), annotation=None, type_comment=None)
            sequences, targets = self.lowered([iterable]), [target]
            if self.maybe_dict(iterable, sequences[0]):  # `for k in d:` over a dict gives its keys
                listed = gast.Call(func=name("items_of"), args=[sequences[0]], keywords=[])
                op = Op(runtime.items_of, [sequences[0]], label="for ... in", pure=False)
                sequences = [self.emit(listed, op, None, f"{iterable.id}_items")]
        for sequence in sequences:
            check_readable(sequence, self.lists(), self.source, iterable)
        lengths = [self.emit(call_len(s), Op(len, [s], label="len()"), None, "n") for s in sequences]
        count = lengths[0]
        if len(lengths) > 1:
            count = self.emit(call_min(lengths), Op(min, lengths, label="min()", pure=False), None, "n")
        loop_range = gast.Call(func=name("range"), args=[count], keywords=[])
        return index, list(zip(targets, sequences)), loop_range

    def maybe_dict(self, node, atom) -> bool:
        """Whether a loop's sequence may be a dict: a parameter of the differentiated function
        (not one of those differentiated, which are arrays or followed by their parts) or a
        global, that the function does not use as an array (arithmetic, `.shape`, a NumPy
        call). Looping over `items_of(seq)` is right for any sequence; this only keeps the line
        out of the code where the sequence is plainly an array."""
        if not isinstance(atom, gast.Name) or is_struct(atom) or atom.id in self.wrt:
            return False
        top = self.top
        if atom.id in top.params:
            if atom.id in top.assigned:
                return False
            tree, identifier = top.source.tree, atom.id
        elif isinstance(node, gast.Name) and node.id == atom.id and node.id not in self.env:
            if atom.id in self.assigned:
                return False
            tree, identifier = self.source.tree, atom.id  # a global
        else:
            return False
        source = top.source if tree is top.source.tree else self.source
        parents = {}
        for n in walk_tree(tree):
            for child in gast.iter_child_nodes(n):
                parents[id(child)] = n
        for n in walk_tree(tree):
            if not (isinstance(n, gast.Name) and n.id == identifier and isinstance(n.ctx, gast.Load)):
                continue
            parent = parents.get(id(n))
            if isinstance(parent, (gast.BinOp, gast.UnaryOp, gast.Compare, gast.AugAssign)):
                return False  # arithmetic: an array
            if isinstance(parent, gast.Attribute) and parent.attr not in ("keys", "values", "items", "get"):
                return False  # `.shape`, `.T`, `.sum()`: an array
            if isinstance(parent, gast.Call) and n in parent.args:
                called = source.resolve(parent.func)
                if called is not MISSING and not is_users_function(called) and called not in _SEQUENCE_CALLS:
                    return False  # given to NumPy: an array
        return True

    def lowered(self, nodes) -> list:
        """The atoms of `nodes`, lowered once: `known_elements` may have lowered them already."""
        atoms = []
        for node in nodes:
            done = getattr(node, "srcgrad_lowered", None)
            atoms.append(done[0] if done else self.expr(node))
        return atoms

    # -- comprehensions ---------------------------------------------------------------------

    def comprehension_call(self, node, hint):
        """`sum(f(x) for x in xs)` becomes a loop that adds up; `np.stack([f(x) for x in xs])`
        is written out element by element, when the elements can be counted here. As in Python,
        the comprehension's variables (and the loop's own) are gone after it."""
        target = node.args[0].generators[0].target
        scoped = {n.id for n in walk_tree(target) if isinstance(n, gast.Name)}
        before = {k: self.env[k] for k in scoped if k in self.env}
        known = set(self.env)
        value = self.lower_comprehension(node, hint)
        for var in scoped | (set(self.env) - known):
            if var in before:
                self.env[var] = before[var]
            else:
                self.env.pop(var, None)
        return value

    def expr_ListComp(self, node, hint):
        """`[f(x) for x in xs]` as a value: the list `list(...)` of it would make, without the call
        (written out when its items can be counted here, else the list a loop builds)."""
        return self.comprehension_call(gast.Call(func=None, args=[node], keywords=[]), hint)

    def lower_comprehension(self, node, hint):
        comp = node.args[0]
        generator = comp.generators[0]
        target = list if node.func is None else self.source.resolve(node.func)
        if target is sum:
            total = self.synthetic("total")
            start = node.args[1] if len(node.args) > 1 else gast.Constant(value=0.0, kind=None)
            add = gast.BinOp(left=name(total), op=gast.Add(), right=comp.elt)
            loop = gast.For(
                target=generator.target,
                iter=generator.iter,
                body=[gast.Assign(targets=[name(total, store=True)], value=add, type_comment=None)],
                orelse=[],
                type_comment=None,
            )
            gast.copy_location(loop.body[0], node)  # the user's line it is part of
            for s in (gast.Assign(targets=[name(total, store=True)], value=start, type_comment=None), loop):
                gast.copy_location(s, node)
                self.lower_statement(s)
            return self.env[total]
        elements = self.static_elements(generator.iter)
        if elements is None:  # a loop that builds the list: `parts = parts + [f(x)]`
            parts = self.synthetic("parts")
            empty = gast.List(elts=[], ctx=gast.Load())
            self.body.append(Assign(parts, empty, Op(EMPTY_LIST, [], label="[]", pure=False), self.origin))
            self.env[parts] = name(parts)
            self.defined.add(parts)
            self.list_names.add(parts)
            grow = gast.BinOp(
                left=name(parts), op=gast.Add(), right=gast.List(elts=[comp.elt], ctx=gast.Load())
            )
            loop = gast.For(
                target=generator.target,
                iter=generator.iter,
                orelse=[],
                type_comment=None,
                body=[gast.Assign(targets=[name(parts, store=True)], value=grow, type_comment=None)],
            )
            gast.copy_location(loop.body[0], node)
            self.lower_statement(gast.copy_location(loop, node))
            first = self.env[parts]
        else:
            atoms = []
            for element in elements:
                self.bind_target(generator.target, element)
                atoms.append(self.expr(comp.elt))
            first = gast.List(elts=atoms, ctx=gast.Load())
            first.srcgrad_list = True
        if node.func is None:  # a list comprehension as a value
            return first
        args = [first, *(self.expr(a) for a in node.args[1:])]
        kwargs = {kw.arg: self.expr(kw.value) for kw in node.keywords}
        return self.call(node.func, target, args, kwargs, hint)


def _appends_to(loop, var: str) -> bool:
    """Whether the loop's body has `var = var + [item]` (an `.append` is rewritten so already)."""
    for node in walk_tree(loop):
        if (
            isinstance(node, gast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], gast.Name)
            and node.targets[0].id == var
            and isinstance(node.value, gast.BinOp)
            and isinstance(node.value.op, gast.Add)
            and isinstance(node.value.left, gast.Name)
            and node.value.left.id == var
            and isinstance(node.value.right, gast.List)
        ):
            return True
    return False
