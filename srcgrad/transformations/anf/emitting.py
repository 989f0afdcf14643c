"""Naming each lowered value, and reusing one computed already: `emit` appends an operation to
the block under the user's variable (versioned: `h`, `h_2`), a name chosen in advance, or a
temporary named after the operation (`XW1`, `exp`); a pure operation equal to one already
computed in scope is not computed again (common-subexpression elimination, keyed by its printed
form in `cse`). A mixin of `Lowering`: it writes the block, the names and the reuse table."""

from __future__ import annotations

import gast
import numpy

from ...ir import Assign, Effect, Op
from ...syntax import const, key_of, name, to_source
from ...syntax import walk as walk_tree
from .checks import check_no_struct
from .generators import unmangled


def _split_count(op) -> int | None:
    """The number of parts `np.split(x, sections)` makes, when a literal says it."""
    sections = op.args[1] if len(op.args) > 1 else op.kwargs.get("indices_or_sections")
    if isinstance(sections, gast.Constant) and type(sections.value) is int:
        return sections.value
    if isinstance(sections, (gast.Tuple, gast.List)):
        return len(sections.elts) + 1
    return None


TUPLE_RESULTS = {  # functions returning a tuple: how many items, from the call
    numpy.linalg.eigh: lambda op: 2,
    numpy.linalg.slogdet: lambda op: 2,
    numpy.split: _split_count,
    numpy.array_split: _split_count,
    numpy.hsplit: _split_count,
    numpy.vsplit: _split_count,
    numpy.dsplit: _split_count,
}


class Emitting:
    def emit(self, value, op: Op, hint, base, effect=False) -> gast.expr:
        op.node = self.nodes[-1] if self.nodes else self.origin
        op.source = self.source
        check_no_struct([value], self.source, op.node, op.label or to_source(value))
        if effect:
            self.body.append(Effect(value=value, op=op, origin=self.origin))
            return const(None)
        key = key_of(value) if op.pure else None
        if key is not None and key in self.cse:
            self.exact.pop(id(self.nodes[-1]) if self.nodes else None, None)
            return name(self.cse[key])
        current = self.nodes[-1] if self.nodes else None
        if id(current) in self.exact:
            target = self.exact.pop(id(current))
            self.user_named.add(target)
        elif hint is not None:
            target = self.version(hint)
        else:
            current = self.nodes[-1] if self.nodes else None
            target = self.namer.fresh(self.bases.pop(id(current), base))
        if key is not None:
            self.cse[key] = target
        self.body.append(Assign(target=target, value=value, op=op, origin=self.origin))
        if op.key in TUPLE_RESULTS:  # `np.linalg.eigh(a)[0]`: an item of its tuple, by number
            self.tuples[target] = TUPLE_RESULTS[op.key](op)
        return name(target)

    def version(self, var: str) -> str:
        """A name for a new value of the user's variable `var`: `var` itself first, then `var_2`..."""
        var = unmangled(var)  # a variable of the loop over a generator, in the generator's code
        # a helper's names never claim, nor a name a helper reads as a global (`inputs`, `tanh`)
        claim = var not in self.defined and not self.inlining and var not in self.global_reads
        new = self.namer.claim(var) if claim else self.namer.fresh(var)
        self.defined.add(var)
        self.user_named.add(new)
        return new

    def synthetic(self, base: str) -> str:
        """A fresh name for a variable srcgrad writes into the user's code (a comprehension's
        total, a loop's index), unlike any name in the function being lowered (a helper's
        names are not reserved by the namer, which knows only the top function's)."""
        key = id(self.source)
        if key not in self.identifiers:
            tree = self.source.tree
            self.identifiers[key] = {n.id for n in walk_tree(tree) if isinstance(n, gast.Name)}
        while True:
            candidate = self.namer.fresh(base)
            if candidate not in self.identifiers[key]:
                return candidate
