"""The function under check as a function of one flat vector, the differentiated elements of
all its parameters: moved points, tangents, finite differences, tolerant comparison."""

from __future__ import annotations

import inspect
import math

import numpy as np

from ..program import leaf_at, with_leaf


class _Case:
    """The original function, srcgrad's gradient function and the leaves differentiated."""

    def __init__(self, program, function, gradient, autograd_gradient):
        self.program = program
        self.function = function
        self.gradient = gradient
        self.autograd_gradient = autograd_gradient
        self.leaves = []  # (parameter position, path in a container (or ()), shape or None for a float)
        positions = {p.name: i for i, p in enumerate(program.params)}
        for p in program.params:
            if not p.wrt:
                continue
            if p.leaves is not None:
                self.leaves += [(positions[p.name], path, shape) for path, shape in p.leaves]
            else:
                self.leaves.append((positions[p.name], (), p.shape))
        self.offsets = []  # (start, size) of each leaf in the flat vector of all elements
        start = 0
        for _, _, shape in self.leaves:
            size = 1 if shape is None else math.prod(shape)
            self.offsets.append((start, size))
            start += size
        self.size = start
        # Set when forward mode / second order are checked (see _setup_forward, _setup_second):
        self.forward = None  # srcgrad's jvp function
        self.forward_names = ()  # the parameters it takes tangents for
        self.forward_directions = []  # flat unit vectors (0 outside forward_names)
        self.second = None  # srcgrad's hvp function
        self.second_names = ()
        self.second_directions = []  # v, u
        self.nested = []  # (parameter name, grad of a grad, its flat index)
        self.path = ""  # the program's file (refusals must name it)
        # Parameters after the program's, with defaults (`def loss(x, y=alpha)` in a factory):
        # then jvp takes its tangents by name only (docs/higher-order.md), and hvp its vectors
        # after all the parameters, so the defaults are passed.
        extra = list(inspect.signature(function).parameters.values())[len(program.params) :]
        self.defaults = [p.default for p in extra]

    def call(self, function, point, tangents):
        """A jvp or hvp `function` at `point` along `tangents` (by name where they must be)."""
        if not self.defaults:
            return function(*point, *tangents)
        names = getattr(function, "tangent_names", None)
        if names is None:
            return function(*point, *self.defaults, *tangents)
        return function(*point, **dict(zip(names, tangents)))

    def labels(self) -> list[str]:
        labels = []
        for position, path, shape in self.leaves:
            name = self.program.params[position].name + "".join(f"[{key!r}]" for key in path)
            if not shape:
                labels.append(name)
            else:
                labels += [f"{name}[{', '.join(map(str, i))}]" for i in np.ndindex(*shape)]
        return labels

    def flatten(self, gradients, names=None) -> np.ndarray:
        """srcgrad's (or autograd's) gradients, one number per differentiated element (of the
        parameters `names`, by default all of them, in the order of the flat vector)."""
        names = self.program.wrt if names is None else names
        by_param = dict(zip(names, gradients))
        parts = []
        for position, path, _ in self.leaves:
            if self.program.params[position].name not in by_param:
                continue
            g = leaf_at(by_param[self.program.params[position].name], path)
            parts.append(np.ravel(np.asarray(g, dtype=np.float64)))
        return np.concatenate(parts) if parts else np.zeros(0)

    def mask(self, names) -> np.ndarray:
        """True at the flat elements of the parameters `names`."""
        mask = np.zeros(self.size, dtype=bool)
        for (position, _, _), (start, size) in zip(self.leaves, self.offsets):
            if self.program.params[position].name in names:
                mask[start : start + size] = True
        return mask

    def tangents(self, flat: np.ndarray, names) -> list:
        """The flat vector `flat` as one value per parameter of `names`, each like the parameter:
        a float, an array of its shape, or a container of such arrays."""
        values, leaves = {}, {}
        for (position, _, shape), (start, size) in zip(self.leaves, self.offsets):
            param = self.program.params[position]
            piece = flat[start : start + size]
            value = float(piece[0]) if shape is None else piece.reshape(shape).copy()
            if param.leaves is None:
                values[param.name] = value
            else:
                leaves.setdefault(param.name, []).append(value)
        for param in self.program.params:
            if param.name in leaves:
                values[param.name] = param.build(leaves[param.name])
        return [values[name] for name in names]

    def moved(self, point, flat: np.ndarray, step: float):
        """`point` with every differentiated element moved by `step` times `flat` (a copy)."""
        point = list(point)
        for (position, path, shape), (start, size) in zip(self.leaves, self.offsets):
            piece = step * flat[start : start + size]
            value = leaf_at(point[position], path)
            value = float(value) + float(piece[0]) if shape is None else value + piece.reshape(shape)
            point[position] = with_leaf(point[position], path, value)
        return point

    def differenced(self, point, flat: np.ndarray, step: float) -> np.ndarray:
        """Central differences of srcgrad's gradients along `flat`: the Hessian times `flat`."""
        up = self.flatten(self.gradient(*self.moved(point, flat, step))[1])
        down = self.flatten(self.gradient(*self.moved(point, flat, -step))[1])
        return (up - down) / (2 * step)

    def shifted(self, point, flat_index: int, delta: float):
        """`point` with one differentiated element moved by `delta` (a copy)."""
        for position, path, shape in self.leaves:
            size = 1 if shape is None else math.prod(shape)
            if flat_index >= size:
                flat_index -= size
                continue
            point = list(point)
            value = leaf_at(point[position], path)
            if shape is None:
                value = float(value) + delta
            else:
                value = value.copy()
                value.reshape(-1)[flat_index] += delta
            point[position] = with_leaf(point[position], path, value)
            return point
        raise IndexError(flat_index)

    def central(self, point, step: float, indices=None) -> np.ndarray:
        indices = range(len(self.labels())) if indices is None else indices
        out = []
        for i in indices:
            up = float(self.function(*self.shifted(point, i, step)))
            down = float(self.function(*self.shifted(point, i, -step)))
            out.append((up - down) / (2 * step))
        return np.array(out, dtype=np.float64)


def _close(a, b, atol, rtol):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.abs(a - b) <= atol + rtol * np.maximum(np.abs(a), np.abs(b))
