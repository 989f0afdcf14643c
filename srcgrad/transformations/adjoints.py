"""What reverse mode knows of each value's gradient while it walks the program backwards.

A gradient is an expression (usually the name of the variable holding it), a `Fill` (a scalar
spread over the value's shape, not yet built as an array), or `Items` (one gradient per item
of a tuple). `AdjointTable` maps each value to its gradient and keeps an index of the names each
gradient reads, so that "does another gradient still read `dh`?", asked once per adjoint
statement, is one lookup instead of a walk over every gradient: the question that made
generation quadratic in the program's length.
"""

from __future__ import annotations

import gast

from ..ir import Record
from ..syntax import names_in


class Fill(Record):
    """An adjoint equal to the scalar expression `scalar` at every element of its primal."""

    __match_args__ = ("scalar",)

    def __init__(self, scalar: gast.expr):
        self.scalar = scalar


class Items(Record):
    """The adjoint of a tuple (`sign, logdet = np.linalg.slogdet(A)`): one entry per item."""

    __match_args__ = ("count", "parts")

    def __init__(self, count: int, parts: dict):
        self.count = count
        self.parts = parts


def state_names(state) -> set:
    """The variables an adjoint state reads (none for `Items`, whose parts are read apart)."""
    if isinstance(state, Fill):
        return set(names_in(state.scalar))
    if isinstance(state, gast.AST):
        return set(names_in(state))
    return set()


class AdjointTable(dict):
    """primal -> its gradient's state, with `readers`: variable -> the primals whose gradient
    reads it. States are replaced, never changed in place (an `Items`' parts excepted, which
    are not indexed)."""

    def __init__(self, states=()):
        super().__init__()
        self.readers: dict[str, set[str]] = {}
        for primal, state in dict(states).items():
            self[primal] = state

    def __setitem__(self, primal: str, state) -> None:
        if primal in self:
            self._forget(primal, super().__getitem__(primal))
        super().__setitem__(primal, state)
        for n in state_names(state):
            self.readers.setdefault(n, set()).add(primal)

    def pop(self, primal: str, *default):
        if primal in self:
            self._forget(primal, super().__getitem__(primal))
        return super().pop(primal, *default)

    def setdefault(self, primal: str, state):
        if primal not in self:
            self[primal] = state
        return super().__getitem__(primal)

    def copy(self) -> AdjointTable:
        return AdjointTable(self)

    def read_by_others(self, n: str, primal: str) -> bool:
        """Whether the gradient of a value other than `primal` reads the variable `n`."""
        readers = self.readers.get(n, ())
        return len(readers) > 1 or (len(readers) == 1 and primal not in readers)

    def others_reading(self, n: str, primal: str) -> list[str]:
        """The values other than `primal` whose gradient reads `n`, in the order they came."""
        readers = self.readers.get(n, ())
        return [other for other in self if other in readers and other != primal]

    def _forget(self, primal: str, state) -> None:
        for n in state_names(state):
            readers = self.readers.get(n)
            if readers is not None:
                readers.discard(primal)
                if not readers:
                    del self.readers[n]

    def __delitem__(self, primal: str) -> None:
        self.pop(primal)

    def update(self, *args, **kwargs) -> None:
        for primal, state in dict(*args, **kwargs).items():
            self[primal] = state
