"""A generated program: its source, its parameters, and the inputs it is checked at.

The generator (`srcgrad.fuzz.generate`) builds these; the checker (`srcgrad.fuzz.check`) runs
them. A `Program` is plain data and renders its own source, so that a failing hypothesis example
prints as a Python module one can paste into a file and run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Param", "Program"]

# Input values: random sign, magnitude in this range. Away from 0 (the kink of abs, the ties of
# maximum(x, 0)) and small enough that a few products and sums stay in a sane range.
LOW, HIGH = 0.2, 1.5


@dataclass(frozen=True)
class Param:
    """One parameter of the main function.

    `shape` is a tuple for a float64 array and None for a Python float. With `leaves`, the
    parameter is a dict of arrays instead (`params["W"]`), keyed by name with each leaf's shape.
    """

    name: str
    shape: tuple[int, ...] | None
    wrt: bool
    leaves: tuple[tuple[str, tuple[int, ...]], ...] | None = None

    def describe(self) -> str:
        if self.leaves is not None:
            inner = ", ".join(f"{k!r}: {s}" for k, s in self.leaves)
            return f"{self.name}: dict {{{inner}}}"
        return f"{self.name}: {'float' if self.shape is None else self.shape}"


@dataclass(frozen=True)
class Program:
    """A module of helper functions and one main function `name` returning a scalar.

    `code` is the module without its import line: `source()` prefixes the NumPy import, so the
    same code can run with `np` bound to another NumPy (autograd's) as a second oracle.
    """

    name: str
    params: tuple[Param, ...]
    code: str
    features: frozenset[str] = field(default_factory=frozenset)

    @property
    def wrt(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params if p.wrt)

    def source(self, numpy_module: str = "numpy") -> str:
        return f"import {numpy_module} as np\n\n{self.code}"

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
                values.append({key: np.asarray(draw(shape)).reshape(shape) for key, shape in p.leaves})
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
