"""What the builder knows while it writes a function: the variables in reach (`Var`, `IntVar`,
containers), the block being written (`_Scope`) and its enclosing loop (`_Loop`), and the helpers
and the factory around the main function made so far."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace


@dataclass
class Var:
    name: str
    shape: tuple[int, ...]
    bound: float
    accumulator: bool = False  # private: the only name of its array, so `+=` is safe
    assignable: bool = True  # False for `params["W"]`
    dict_leaf: bool = False  # may be the array of a dict parameter's leaf (or a helper's parameter)
    plain: bool = True  # its value came from a `plain` expression (a loop may carry it)
    repeats: bool = False  # may hold equal elements by construction (broadcast, tile, zeros)


@dataclass(frozen=True)
class IntVar:
    """A loop index or counter: an int in [low, high)."""

    name: str
    low: int
    high: int


@dataclass
class _Loop:
    kind: str  # "for" or "while"
    trips: int  # at most this many iterations
    caps: dict[str, float]  # outer variable -> largest bound an iteration may leave in it
    budgets: dict[str, float]  # this loop's accumulators -> bound an iteration may still add
    body: _Scope | None = None
    names_at_exit: set[str] | None = None  # body names when the first break/continue came
    literal_tuple: tuple[str, ...] = ()  # `for w in (a, b):`, the names in the tuple
    iterables: tuple[str, ...] = ()  # `for row in x:`, `zip(x, y)`: the names iterated over
    exits: bool = True  # break/continue may leave it (not while it builds a list)


@dataclass
class _Scope:
    """Where statements go: the variables in reach, the enclosing loop, the output lines."""

    out: list[str]
    indent: int
    vars: dict[str, Var]
    ints: dict[str, IntVar] = field(default_factory=dict)
    depth: int = 0
    loop: _Loop | None = None
    fixed: frozenset[str] = frozenset()  # names whose shape must not change (outer names)
    helper_depth: int = 0
    last: str | None = None  # the variable assigned most recently
    in_loop: bool = False  # runs once per iteration of some loop (or comprehension)
    maybe_unbound: frozenset[str] = frozenset()  # assigned in only some arms of a branch
    conditional: bool = False  # an if arm, or a loop body after a break or continue
    assigned: set[str] = field(default_factory=set)  # names assigned in this block
    in_tuple_loop: bool = False  # inside a loop over a literal tuple
    hidden: frozenset[str] = frozenset()  # names in use that no statement may touch (loop levels)
    containers: dict[str, _Container] = field(default_factory=dict)  # dicts, lists, tuples in reach
    in_factory: bool = False  # inside the factory around the main function (closures may read it)
    shadow: frozenset[str] = frozenset()  # names of the caller's this helper may reuse for locals

    def emit(self, line: str) -> None:
        self.out.append("    " * self.indent + line)

    def child(self, *, loop: _Loop | None = None, indent: int | None = None) -> _Scope:
        """A nested block: copies of the variables, outer names fixed in shape."""
        return _Scope(
            out=self.out,
            indent=self.indent + 1 if indent is None else indent,
            vars={k: replace(v) for k, v in self.vars.items()},
            ints=dict(self.ints),
            depth=self.depth + 1,
            loop=loop if loop is not None else self.loop,
            fixed=self.fixed | frozenset(self.vars),
            helper_depth=self.helper_depth,
            last=self.last,
            in_loop=self.in_loop or loop is not None,
            maybe_unbound=self.maybe_unbound,
            in_tuple_loop=self.in_tuple_loop or (loop is not None and bool(loop.literal_tuple)),
            hidden=self.hidden,
            containers=dict(self.containers),
            in_factory=self.in_factory,
            shadow=self.shadow,
        )

    def cap(self, name: str) -> float:
        if self.loop is not None and name in self.loop.caps:
            return self.loop.caps[name]
        return math.inf

    def is_accumulator(self, name: str | None) -> bool:
        return name is not None and name in self.vars and self.vars[name].accumulator

    def merge(self, branches: list[_Scope]) -> None:
        """The variables after a branch (`branches`, one scope per path through it): those every
        path defines, with the same shape."""
        merged = {}
        for name in branches[0].vars:
            versions = [b.vars.get(name) for b in branches]
            if any(v is None for v in versions) or len({v.shape for v in versions}) != 1:
                continue
            merged[name] = Var(
                name,
                versions[0].shape,
                max(v.bound for v in versions),
                accumulator=all(v.accumulator for v in versions),
                assignable=versions[0].assignable,
                dict_leaf=any(v.dict_leaf for v in versions),
                plain=all(v.plain for v in versions),
                repeats=any(v.repeats for v in versions),
            )
        dropped = {name for b in branches for name in b.vars if name not in merged}
        for b in branches:
            self.assigned |= b.assigned
        self.maybe_unbound = self.maybe_unbound | dropped
        self.vars = merged
        lasts = {b.last for b in branches}
        self.last = branches[0].last if len(lasts) == 1 and branches[0].last in merged else self.last
        if self.last not in merged:
            self.last = None


@dataclass
class _Helper:
    name: str
    params: list[tuple[str, tuple[int, ...], float]]  # name, shape, largest bound it accepts
    keyword: tuple[str, float] | None  # a float parameter with a literal default
    in_loop: bool  # defined for a call in a loop: follows the rules of loop bodies
    returns: list[tuple[tuple[int, ...], float]]  # shape and bound of each returned value
    lines: list[str]
    container: bool = False  # takes a container (whole, or in a tuple): made for one call
    closure: bool = False  # defined in the factory around the main function, reading its names


@dataclass(frozen=True)
class _Container:
    """A dict, list or tuple of arrays in reach: a parameter (of the main function or of a
    helper) or a list the function built (`parts = parts + [item]`). `items` holds, for each
    key, the shape of the array there, or a tuple of shapes where the item is a tuple of arrays
    (`layers[i]` is `(W, b)`)."""

    name: str
    kind: str  # "dict", "list" or "tuple"
    keys: tuple  # strings for a dict, 0..n-1 for a list or a tuple
    items: tuple  # per key: a shape, or a tuple of shapes
    bound: float
    built: bool = False  # a list the function built in a loop

    @property
    def uniform(self) -> bool:
        """Every item alike, so a loop over the items may carry values through it."""
        return len(set(self.items)) == 1

    @property
    def pairs(self) -> bool:
        return _is_pair(self.items[0])

    def read(self, key) -> str:
        return f'{self.name}["{key}"]' if self.kind == "dict" else f"{self.name}[{key}]"

    def values(self) -> str:
        """The items as an iterable argument: `ws`, `list(d.values())`."""
        return f"list({self.name}.values())" if self.kind == "dict" else self.name


def _is_pair(item) -> bool:
    return bool(item) and isinstance(item[0], tuple)


@dataclass
class _Factory:
    """`def make(alpha): offset = ...; def loss(x, y=alpha): ...; return loss`, then
    `loss = make(0.5)`: the main function as a closure."""

    name: str
    args: list[tuple[str, str]]  # parameter, the literal it is called with
    lines: list[str]  # its body before the main function (locals the closure reads)
    vars: dict[str, Var]  # what the closure may read: parameters and locals
    defaults: list[str] = field(default_factory=list)  # "y=alpha" in the main signature
