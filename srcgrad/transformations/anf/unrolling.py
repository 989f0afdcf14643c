"""Loops written out, one iteration after another: a loop over a literal tuple or list, over
the parts of a nested parameter or a list made in the function (`for W, b in layers:`,
`enumerate(ws)`, `zip(ws, xs)`, `params.items()`), or a `range` with literal bounds whose index
reads such a part (`ws[i]`): srcgrad follows those item by item, so their number must be known
here. Zipped with a sequence known only at run time, each iteration runs under `if i < n:`. A
mixin of `Lowering`: it lowers the body once per element, in the enclosing block."""

from __future__ import annotations

import gast

from ...analyses.scope import is_users_object
from ...errors import UnsupportedSyntaxError
from ...frontend import MISSING
from ...ir import Op
from ...syntax import const, is_number, name, names_in, tuple_
from ...syntax import walk as walk_tree
from .atoms import call_len, call_min, is_list_literal, is_struct
from .checks import check_readable


class Unrolling:
    def known_elements(self, stmt: gast.For):
        """The atoms a `for` loop binds, when their number is known here and the loop must be
        written out for srcgrad to follow them: the parts of a nested parameter (`for w in ws`,
        `enumerate(ws)`, `zip(ws, xs)`, `params.items()`, `ws[1:]`), a list made in the function,
        or a `range` with literal bounds whose index reads such a part (`ws[i]`). None otherwise
        (the loop stays a loop)."""
        iterable = stmt.iter
        func = self.source.resolve(iterable.func) if isinstance(iterable, gast.Call) else None
        if func is range:
            known = {k for k, v in self.env.items() if is_struct(v) or is_list_literal(v)}
            target = stmt.target.id if isinstance(stmt.target, gast.Name) else None
            if target is None or not _indexes_with(stmt.body, target, known, self.is_struct_part):
                return None
            return self.static_elements(iterable)
        if func is enumerate and len(iterable.args) == 1 and not iterable.keywords:
            inner = self.known_elements(gast.For(target=None, iter=iterable.args[0], body=[], orelse=[]))
            if inner is None:
                return None
            return [
                _Guarded(i, atom.length, lambda i=i, atom=atom: tuple_([const(i), atom.build()]))
                if isinstance(atom, _Guarded)
                else tuple_([const(i), atom])
                for i, atom in enumerate(inner)
            ]
        if func is zip and iterable.args and not iterable.keywords:
            sequences = self.call_arguments(iterable)  # `zip(*pairs)`: the items of pairs
            if any(isinstance(a, gast.Starred) for a in sequences):
                raise UnsupportedSyntaxError(
                    "srcgrad loops over `zip(*xs)` when the items of `xs` are known here (a tuple "
                    "or list made in the function, or a nested parameter).",
                    self.source.location(iterable),
                    hint="Zip the sequences by name: `zip(a, b)`.",
                )
            columns = [self.elements_of(a, iterable) for a in sequences]
            columns = [c if c is not None else self.objects_of(a) for c, a in zip(columns, sequences)]
            objects = any(
                c is not None
                and not is_list_literal(a)
                and not isinstance(a, gast.Tuple)
                and not is_struct(a)
                for c, a in zip(columns, sequences)
            )
            if not objects and not any(is_struct(a) or is_list_literal(a) for a in sequences):
                iterable.srcgrad_lowered = sequences  # sequence_loop reads them again
                return None
            count = min(len(c) for c in columns if c is not None)
            unknown = [a for c, a in zip(columns, sequences) if c is None]
            for a in unknown:
                check_readable(a, self.lists(), self.source, iterable)
            if not unknown:
                return [tuple_([c[i] for c in columns]) for i in range(count)]
            # zipped with a sequence whose length is known only when the code runs (an array's
            # rows, a list that is not differentiated): zip stops at the shorter, so each
            # iteration written out runs only if that sequence has its item
            lengths = [self.emit(call_len(a), Op(len, [a], label="len()"), None, "n") for a in unknown]
            if len(lengths) > 1:
                lengths = [
                    self.emit(call_min(lengths), Op(min, lengths, label="min()", pure=False), None, "n")
                ]

            def build(i):
                return tuple_([c[i] if c is not None else self.row(a, i) for c, a in zip(columns, sequences)])

            return [_Guarded(i, lengths[0], lambda i=i: build(i)) for i in range(count)]
        if func in (sorted, reversed) and len(iterable.args) == 1 and not iterable.keywords:
            atom = self.expr(iterable)  # `sorted(v)` of a dict parameter: its keys, known here
            if is_list_literal(atom):
                return list(atom.elts)
            iterable.srcgrad_lowered = [atom]
            return None
        if isinstance(iterable, gast.Call) and func is not MISSING and func is not None:
            return None  # range(), reversed() ...: an ordinary loop
        atom = self.expr(iterable)
        if is_struct(atom) and self.nested.is_record(atom):  # a dataclass is refused: no order
            return self.nested.parts(atom, self.source.location(iterable))
        elements = self.elements_of(atom, iterable)
        if elements is None:
            elements = self.objects_of(atom)
        if elements is None:
            iterable.srcgrad_lowered = [atom]
        return elements

    def objects_of(self, atom):
        """The items of a module's (or closure's) list or tuple of objects of your classes
        (`for layer in layers:` calling `layer.forward(h)`), each bound into the code under a
        name of its own, so that the loop is written out and each item's methods with it; None
        for any other sequence."""
        value = self.known_value(atom)
        if not isinstance(value, (list, tuple)) or not 0 < len(value) <= MAX_OBJECTS:
            return None
        if not any(is_users_object(v) for v in value):
            return None
        names = []
        for i, item in enumerate(value):
            chosen = self.bound_name(f"{atom.id}_{i}", item)
            self.free_atoms.add(chosen)
            names.append(name(chosen))
        return names

    def static_elements(self, iterable):
        """The atoms a loop over `iterable` binds, if their number is known here; else None."""
        if isinstance(iterable, (gast.Tuple, gast.List)):
            return [self.expr(e) for e in iterable.elts]
        if isinstance(iterable, gast.Call) and self.source.resolve(iterable.func) is range:
            bounds = [self.expr(a) for a in iterable.args]
            if all(is_number(b) and isinstance(b.value, int) for b in bounds):
                return [const(i) for i in range(*(b.value for b in bounds))]
            return None
        if self.nested.structures:
            return self.struct_elements(iterable)
        return None

    def struct_elements(self, node):
        """The parts of a nested parameter a loop or `len` goes over, or None if `node` is not one."""
        method = None
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and not node.args:
            method, node = node.func.attr, node.func.value
        if not isinstance(node, (gast.Name, gast.Subscript)):
            return None
        ref = self.expr(node)
        if not is_struct(ref) or (method is not None and self.nested.is_record(ref)):
            return None  # `p.items()` of a NamedTuple: refused where it is lowered as a call
        children = self.nested.keys(ref)
        atoms = self.nested.parts(ref, self.source.location(node))
        if method == "items":
            return [gast.Tuple(elts=[const(k), a], ctx=gast.Load()) for k, a in zip(children, atoms)]
        if method == "keys" or (method is None and self.nested.is_dict(ref)):  # a dict gives its keys
            return [const(k) for k in children]
        if method in (None, "values"):
            return atoms
        return None

    def is_struct_part(self, node) -> bool:
        """Whether `node`, read with attributes and literal keys from a variable (`net.layers`,
        `params["layers"]`), is a part of a nested parameter that is not a leaf; decided from the
        structure alone, nothing lowered."""
        steps = []
        while isinstance(node, (gast.Attribute, gast.Subscript)):
            if isinstance(node, gast.Attribute):
                steps.append(node.attr)
            elif isinstance(node.slice, gast.Constant):
                steps.append(node.slice.value)
            else:
                return False
            node = node.value
        ref = self.env.get(node.id) if isinstance(node, gast.Name) else None
        return is_struct(ref) and self.nested.is_part(ref, steps[::-1])

    def row(self, atom, i: int):
        """`atom[i]`: an item of a sequence zipped with the parts of a parameter."""
        value = gast.Subscript(value=atom, slice=const(i), ctx=gast.Load())
        return self.emit(value, Op("getitem", [atom, const(i)], label="indexing"), None, "row")

    def guarded_iteration(self, stmt: gast.For, element: _Guarded) -> None:
        """One iteration of a zip loop written out, under `if i < n:` (n the length of the
        sequence known only at run time): an `if` whose other branch changes nothing."""
        self.origin = stmt
        compare = gast.Compare(left=const(element.index), ops=[gast.Lt()], comparators=[element.length])
        test = self.emit(
            compare, Op("compare", [const(element.index), element.length], label="<"), None, "more"
        )

        def taken():
            self.bind_target(stmt.target, element.build())
            self.lower_block(stmt.body)

        self.lower_branches(test, (taken, lambda: None), stmt)

    def unroll(self, stmt: gast.For, atoms=None) -> None:
        """A loop over a literal tuple or list (`for W, b in ((W1, b1), (W2, b2)):`), or over the
        parts of a nested parameter, is written out once per element."""
        literal = atoms is None
        if literal:  # Python builds the tuple before the loop: later rebinding does not change it
            self.origin = stmt
            elements = stmt.iter.elts
            atoms = [self.expr(e) for e in elements]
        # the elements still to come hold their values: no loop in the body may go on under their
        # names (`for row in (X, h2):` with a loop rebinding h2 in the body)
        self.pinned.append({n for a in atoms if not isinstance(a, _Guarded) for n in names_in(a)})
        try:
            for i, atom in enumerate(atoms):
                self.origin = stmt
                target = stmt.target
                if isinstance(atom, _Guarded):
                    self.guarded_iteration(stmt, atom)
                    continue
                if (
                    literal
                    and isinstance(target, (gast.Tuple, gast.List))
                    and not isinstance(atom, gast.Tuple)
                ):
                    self.unpack_atom(target, atom, rows=not isinstance(elements[i], gast.Call))
                else:
                    self.bind_target(target, atom)
                for s in stmt.body:
                    self.origin = s
                    self.lower_statement(s)
        finally:
            self.pinned.pop()


class _Guarded:
    """An element of a loop written out that exists only if a sequence known at run time has
    item `index` (`index < length`); `build()` lowers it, inside that test."""

    def __init__(self, index: int, length: gast.expr, build):
        self.index = index
        self.length = length
        self.build = build


def _indexes_with(body, index: str, sequences: set, is_struct_part) -> bool:
    """Whether a statement of `body` reads an item of one of `sequences`, or of a part of a nested
    parameter (`is_struct_part`: `net.layers`, `params["layers"]`), by an index that uses the
    loop variable `index` (`ws[i]`, `params[keys[i]]`, `net.layers[i]`)."""
    return any(
        isinstance(n, gast.Subscript)
        and (
            (isinstance(n.value, gast.Name) and n.value.id in sequences)
            or (isinstance(n.value, (gast.Attribute, gast.Subscript)) and is_struct_part(n.value))
        )
        and index in {m.id for m in walk_tree(n.slice) if isinstance(m, gast.Name)}
        for stmt in body
        for n in walk_tree(stmt)
    )


MAX_OBJECTS = 64  # a longer list of objects stays a loop
