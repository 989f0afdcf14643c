"""Generators of yours (`def layers(w): ... yield W, b`), written out where a `for` loop goes
over them: the generator's body is written out in place, and at each `yield v` the loop's body,
with the loop's variable bound to `v`. This is the order in which Python runs the two, so the
code computes what Python computes; no list of the items is ever made:

    for W, b in layers(weights):          W = weights[:, :m * n].reshape(...)   (the generator)
        h = np.tanh(h @ W + b)       ->    h = np.tanh(h @ W + b)                (the loop's body)
                                           weights = weights[:, (m + 1) * n:]    (the generator)

`list(gen(...))` and `tuple(gen(...))` are the loop `items = []`, `for item in gen(...):
items.append(item)`; a comprehension over a generator is such a loop already, and `yield from
xs` is `for x in xs: yield x`. A generator used any other way (`next(g)`, `zip(g, xs)`), and a
loop over one that may stop early (`break`, a `return` inside it), are refused at the user's
line: Python would stop the generator there, the written-out code would not.

While the generator's body is lowered, the loop's variables are in its environment too, under
keys no name can have (`MANGLE` before the name), so that the generator's own loops and
branches carry and join them as they do its variables; at each `yield` they are taken out, the
loop's body is lowered among them (in the loop's function, as if the generator were not
running), and put back. A mixin of `Lowering`.
"""

from __future__ import annotations

import dataclasses
import inspect

import gast

from ...errors import UnsupportedSyntaxError
from ...fence import own_nodes
from ...frontend import MISSING
from ...syntax import const, name, names_in
from ...syntax import walk as walk_tree
from .atoms import is_struct

MANGLE = "\x01"  # before a name of the loop's function, in the generator's environment


def unmangled(key: str) -> str:
    return key.lstrip(MANGLE)


def is_generator(tree: gast.FunctionDef) -> bool:
    return any(isinstance(n, (gast.Yield, gast.YieldFrom)) for n in own_nodes(tree))


@dataclasses.dataclass(eq=False)
class Consumer:
    loop: gast.For  # the loop over the generator: its target and body
    source: object = None  # the loop's function, and its state while the generator runs
    defined: set = None
    assigned: set = None
    params: list = None
    writes: set = dataclasses.field(default_factory=set)  # names the loop's body may assign


class Generators:
    def generator_of(self, call):
        """The generator function of yours that `call` calls (a module's or a closure's, a
        method of one of your objects, or one defined in the code), or None."""
        if not isinstance(call, gast.Call):
            return None
        func = call.func
        if isinstance(func, gast.Name) and func.id in self.env:
            bound = self.env[func.id]
            local = self.local_functions.get(bound.id) if isinstance(bound, gast.Name) else None
            if local is not None:
                return local if is_generator(local.source.tree) else None
            target = self.function_args.get(getattr(bound, "id", None), MISSING)
        elif isinstance(func, gast.Attribute) and not self.is_free(func):
            if not (isinstance(func.value, gast.Name) and func.value.id in self.env):
                return None
            found = self.users_method(self.env[func.value.id], func.attr)
            target = found[0] if found is not None else MISSING
        else:
            target = self.source.resolve(func)
        if target is MISSING or not inspect.isgeneratorfunction(target):
            return None
        return target if self.is_users_function(getattr(target, "__func__", target)) else None

    def lower_generator_loop(self, stmt: gast.For, generator) -> None:
        """`for x in gen(...)`: the generator written out, the loop's body at each `yield`."""
        where = self.source.location(stmt.iter)
        label = getattr(generator, "__name__", None) or generator.source.name
        if getattr(stmt, "srcgrad_breaks", False):
            raise UnsupportedSyntaxError(
                f"srcgrad writes out the generator {label!r} with the body of the loop over it at "
                "each `yield`; this loop may stop early (`break`, or a `return` inside it), where "
                "Python would stop the generator too.",
                where,
                hint="Loop over all its items and keep the ones you need (a flag set in the loop), "
                "or have the generator stop itself.",
            )
        consumer = Consumer(stmt, writes=self.loop_writes(stmt))
        if getattr(getattr(generator, "source", None), "tree", None) is not None:  # defined in the code
            tree = generator.source.tree
            if getattr(tree, "srcgrad_threaded", None):
                raise UnsupportedSyntaxError(
                    f"srcgrad cannot write out the generator {label!r}: it adds to a list of the "
                    "function around it, which the loop over it would read between its items.",
                    where,
                    hint="Yield the values instead, and add them to the list in the loop.",
                )
            read = {
                n.id for n in walk_tree(tree) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)
            }
            changed = sorted(read & consumer.writes - set(_own_names(tree)))
            if changed and generator.frame is self.source:
                raise UnsupportedSyntaxError(
                    f"the loop over the generator {label!r} changes {changed[0]!r}, which the "
                    "generator reads between its items: srcgrad writes the generator out with the "
                    f"value {changed[0]!r} has when it is called.",
                    where,
                    hint=f"Pass {changed[0]!r} to the generator as an argument, or compute the items first.",
                )
        for var in sorted(consumer.writes):  # `outs = [first]`, appended to by the loop's body
            self.grow_before_loop(var, stmt)
        self.pending_loops.append(consumer)
        try:
            self.expr(stmt.iter)  # the call: its body is written out (`start_generator`)
        finally:
            self.pending_loops.pop()

    def loop_writes(self, loop: gast.For) -> set:
        """The names the loop over a generator may assign, which the generator's own loops carry:
        its body's, and its variable if the function reads it elsewhere (after the loop, the
        last item), as for any loop."""
        targets = {n.id for n in walk_tree(loop.target) if isinstance(n, gast.Name)}
        inside = set(map(id, walk_tree(loop)))
        elsewhere = {
            n.id
            for n in walk_tree(self.source.tree)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and id(n) not in inside
        }
        body = _written(
            gast.For(target=gast.Tuple(elts=[], ctx=gast.Store()), iter=None, body=loop.body, orelse=[])
        )
        return body | (targets & elsewhere)

    def generator_items(self, node, hint):
        """`list(gen(...))` or `tuple(gen(...))`: the list a loop over the generator builds."""
        items, item = self.synthetic("items"), self.synthetic("item")
        start = gast.Assign(targets=[name(items, store=True)], value=gast.List(elts=[], ctx=gast.Load()))
        grow = gast.BinOp(
            left=name(items), op=gast.Add(), right=gast.List(elts=[name(item)], ctx=gast.Load())
        )
        body = [gast.Assign(targets=[name(items, store=True)], value=grow, type_comment=None)]
        loop = gast.For(
            target=name(item, store=True), iter=node.args[0], body=body, orelse=[], type_comment=None
        )
        start.type_comment = None
        for s in (start, loop, body[0]):
            gast.copy_location(s, node)
            s.end_lineno, s.end_col_offset = node.end_lineno, node.end_col_offset
        self.lower_statement(start)
        self.lower_statement(loop)
        value = self.env.pop(items)
        self.env.pop(item, None)
        return value

    def start_generator(self, label: str, node):
        """The loop that goes over the generator being called at `node`, or a refusal."""
        pending = self.pending_loops[-1] if self.pending_loops else None
        loop = pending.loop if pending is not None else None
        if loop is None or not (node is loop.iter or node is getattr(loop.iter, "func", None)):
            raise UnsupportedSyntaxError(
                f"srcgrad writes out the generator {label!r} where a `for` loop, a comprehension, "
                "`list(...)` or `tuple(...)` goes over it; here it is used another way.",
                self.source.location(node),
                hint=f"Loop over it (`for x in {label}(...):`), or make a list of its items first "
                f"(`items = list({label}(...))`).",
            )
        self.pending_loops[-1] = None  # its body is written out once, for this call
        pending.source, pending.defined = self.source, self.defined
        pending.assigned, pending.params = self.assigned, self.params
        return pending

    def lower_yield(self, node) -> None:
        """`yield v` in the generator being written out: the loop's body, its variable bound to `v`."""
        if isinstance(node, gast.YieldFrom):
            raise UnsupportedSyntaxError("`yield from` is lowered as a loop.", self.source.location(node))
        consumer = self.generating[-1]
        value = self.expr(node.value) if node.value is not None else const(None)
        state = (self.source, self.env, self.defined, self.assigned, self.params, self.origin)
        frames = (self.inlining.pop(), self.callers.pop(), self.frames.pop(), self.inline_starts.pop())
        self.generating.pop()
        outer = self.env
        self.source, self.defined = consumer.source, consumer.defined
        self.assigned, self.params = consumer.assigned, consumer.params
        self.env = {k[len(MANGLE) :]: v for k, v in outer.items() if k.startswith(MANGLE)}
        self.pinned.append({n for k, v in outer.items() if not k.startswith(MANGLE) for n in names_in(v)})
        try:
            loop = consumer.loop
            self.origin = loop
            target = loop.target
            listed = isinstance(value, (gast.Tuple, gast.List)) or is_struct(value)
            if isinstance(target, (gast.Tuple, gast.List)) and not listed:
                self.unpack_atom(target, value, rows=not isinstance(node.value, gast.Call))
            else:
                self.bind_target(target, value)
            self.lower_block(loop.body)
            view = self.env
        finally:
            self.pinned.pop()
            self.generating.append(consumer)
            self.inlining.append(frames[0])
            self.callers.append(frames[1])
            self.frames.append(frames[2])
            self.inline_starts.append(frames[3])
            self.source, self.env, self.defined, self.assigned, self.params, self.origin = state
        for key in [k for k in outer if k.startswith(MANGLE)]:
            del outer[key]
        outer.update({MANGLE + k: v for k, v in view.items()})

    def yield_writes(self, loop) -> set:
        """The keys a loop of the generator being written out carries for the loop over the
        generator, when a `yield` inside it runs that loop's body."""
        if not self.generating or not any(
            isinstance(n, (gast.Yield, gast.YieldFrom)) for n in walk_tree(loop)
        ):
            return set()
        return {MANGLE + w for w in self.consumer_writes(len(self.generating) - 1)}

    def consumer_writes(self, level: int) -> set:
        """What the loop over the generator at `level` of `generating` may assign, in the
        environment of the function that loop is in: its body's names and, where the body
        yields itself, the names of the loop over that generator."""
        consumer = self.generating[level]
        writes = set(consumer.writes)
        if level > 0 and any(isinstance(n, gast.Yield) for n in walk_tree(consumer.loop)):
            writes |= {MANGLE + w for w in self.consumer_writes(level - 1)}
        return writes


def yield_from_as_loops(stmts: list, fresh) -> list:
    """`yield from xs` as `for x in xs: yield x`, in `stmts` and the blocks inside them."""
    out = []
    for stmt in stmts:
        for block in ("body", "orelse"):
            if isinstance(stmt, (gast.If, gast.For, gast.While)):
                setattr(stmt, block, yield_from_as_loops(getattr(stmt, block), fresh))
        if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.YieldFrom):
            item = fresh("item")
            inner = gast.Expr(value=gast.Yield(value=name(item)))
            loop = gast.For(
                target=name(item, store=True),
                iter=stmt.value.value,
                body=[inner],
                orelse=[],
                type_comment=None,
            )
            for node in (inner, inner.value, loop, loop.target, inner.value.value):
                gast.copy_location(node, stmt)
                node.end_lineno, node.end_col_offset = stmt.end_lineno, stmt.end_col_offset
            stmt = loop
        out.append(stmt)
    return out


def _written(loop: gast.For) -> set:
    """The names a loop's target and body assign (`h[t] = ...` makes a new `h` too)."""
    found = set()
    for node in [loop.target, *loop.body]:
        for n in walk_tree(node):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                found.add(n.id)
            elif isinstance(n, (gast.Assign, gast.AugAssign)):
                targets = n.targets if isinstance(n, gast.Assign) else [n.target]
                found |= {
                    t.value.id
                    for t in targets
                    if isinstance(t, gast.Subscript) and isinstance(t.value, gast.Name)
                }
    return found


def _own_names(tree: gast.FunctionDef) -> set:
    """The names a function binds itself (its parameters and variables)."""
    args = tree.args
    params = {a.id for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg] if a}
    return params | {
        n.id for n in walk_tree(tree) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)
    }
