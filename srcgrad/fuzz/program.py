"""A generated program: its source, its parameters, and the inputs it is checked at.

The generator (`srcgrad.fuzz.generate`) builds these; the checker (`srcgrad.fuzz.check`) runs
them. A `Program` is plain data and renders its own source, so that a failing hypothesis example
prints as a Python module one can paste into a file and run.

A parameter may be a container of arrays: a dict, list or tuple, nested one level (a list of
`(W, b)` tuples). Its arrays are its *leaves*, each at a *path* of keys (`("W",)`, `(1, 0)`);
`leaf_at`, `with_leaf` and `assemble` read, replace and build such trees.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Param", "Program", "assemble", "leaf_at", "with_leaf"]

# Input values: random sign, magnitude in this range. Away from 0 (the kink of abs, the ties of
# maximum(x, 0)) and small enough that a few products and sums stay in a sane range.
LOW, HIGH = 0.2, 1.5


def leaf_at(tree, path):
    """The value at `path` (a tuple of keys) in nested dicts, lists and tuples."""
    for key in path:
        tree = tree[key]
    return tree


def with_leaf(tree, path, value):
    """A copy of `tree` with the value at `path` replaced; the containers on the path are new
    (of the same types), the rest is shared."""
    if not path:
        return value
    key, rest = path[0], path[1:]
    new = with_leaf(tree[key], rest, value)
    if isinstance(tree, dict):
        return {**tree, key: new}
    items = list(tree)
    items[key] = new
    return type(tree)(items)


def assemble(kinds, leaves):
    """Nested containers from `leaves`, (path, value) pairs in order: `kinds[i]` ("dict",
    "list" or "tuple") is the container at depth i."""
    if not kinds:
        return leaves[0][1]
    groups: dict = {}
    for path, value in leaves:
        groups.setdefault(path[0], []).append((path[1:], value))
    items = [(key, assemble(kinds[1:], sub)) for key, sub in groups.items()]
    if kinds[0] == "dict":
        return dict(items)
    values = [value for _, value in items]
    return values if kinds[0] == "list" else tuple(values)


@dataclass(frozen=True)
class Param:
    """One parameter of the main function.

    `shape` is a tuple for a float64 array and None for a Python float. With `leaves`, the
    parameter is a container of arrays instead: `leaves` holds (path, shape) for each array, and
    `kinds` the container at each depth of the paths: `("dict",)` for `params["W"]`,
    `("list",)` for `ws[1]`, `("list", "tuple")` for `layers[1][0]`.
    """

    name: str
    shape: tuple[int, ...] | None
    wrt: bool
    leaves: tuple[tuple[tuple, tuple[int, ...]], ...] | None = None
    kinds: tuple[str, ...] = ("dict",)

    @property
    def container(self) -> str | None:
        """ "dict", "list" or "tuple" for a container parameter, else None."""
        return None if self.leaves is None else self.kinds[0]

    def build(self, values) -> object:
        """The parameter's value from its leaves' values (in the order of `leaves`)."""
        return assemble(self.kinds, [(path, v) for (path, _), v in zip(self.leaves, values)])

    def describe(self) -> str:
        if self.leaves is not None:
            inner = ", ".join(f"{''.join(f'[{k!r}]' for k in path)}: {s}" for path, s in self.leaves)
            return f"{self.name}: {' of '.join(self.kinds)} {{{inner}}}"
        return f"{self.name}: {'float' if self.shape is None else self.shape}"


@dataclass(frozen=True)
class Program:
    """A module of helper functions and one main function `name` returning a scalar.

    `code` is the module without its import lines: `source()` prefixes the NumPy import and the
    bare-name imports (`imports`: (module, names) pairs such as `("scipy.special",
    ("logsumexp",))`), so the same code can run with `np` bound to another NumPy (autograd's,
    whose `autograd.scipy.special` then stands in for `scipy.special`) as a second oracle.
    """

    name: str
    params: tuple[Param, ...]
    code: str
    features: frozenset[str] = field(default_factory=frozenset)
    imports: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def wrt(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params if p.wrt)

    def source(self, numpy_module: str = "numpy") -> str:
        lines = [f"import {numpy_module} as np"]
        package = numpy_module.rpartition(".")[0]  # "autograd" for autograd.numpy
        for module, names in self.imports:
            if module == "numpy":
                module = numpy_module
            elif package:
                module = f"{package}.{module}"
            lines.append(f"from {module} import {', '.join(names)}")
        return "\n".join(lines) + f"\n\n{self.code}"

    def inputs(self, seed: int) -> list:
        """The arguments for a call, drawn from a NumPy generator seeded with `seed`.

        Values come from NumPy rather than element by element from hypothesis: hypothesis then
        shrinks the program's structure, and the values keep a distribution that stays away from
        zero and from ties (which hypothesis' shrinking would run straight into).
        """
        rng = np.random.default_rng(seed)

        def draw(shape):
            magnitude = rng.uniform(LOW, HIGH, size=shape)
            sign = np.where(rng.random(size=shape) < 0.5, -1.0, 1.0)
            value = magnitude * sign
            return float(value) if shape == () else np.asarray(value, dtype=np.float64)

        values = []
        for p in self.params:
            if p.leaves is not None:
                values.append(p.build([np.asarray(draw(shape)).reshape(shape) for _, shape in p.leaves]))
            elif p.shape is None:
                values.append(draw(()))
            else:
                values.append(np.asarray(draw(p.shape)).reshape(p.shape))
        return values

    def __str__(self) -> str:
        return self.source()

    def __repr__(self) -> str:
        params = ", ".join(p.describe() for p in self.params)
        return f"Program(wrt={self.wrt!r}, params=[{params}], source='''\n{self.source()}''')"
