"""Shapes and source text: the limits on shapes, `Expr` (an expression's text with the shape and
a bound of its value), shape arithmetic (broadcasting, matmul, reshape) and the helpers that render
text (parentheses by operator precedence, literals, calls)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Python operator precedence, to parenthesize only where needed (the programs read like code
# people write, and srcgrad's parser sees the same shapes of trees it sees in real code).
ATOM, POW, UNARY, MUL, ADD, CMP, IFEXP = 100, 90, 80, 70, 60, 50, 10

MAX_NDIM = 3
MAX_SIDE = 8  # intermediate values; parameters have sides 1..PARAM_SIDE
PARAM_SIDE = 4
MAX_SIZE = 64
SQUASH_ABOVE = 3.0  # an operand of a growing operation bigger than this is squashed first
LOOP_BUDGET = 3.0  # the most one iteration adds to each of its loop's accumulators
MAX_DEPTH = 2  # nesting of compound statements (loops, branches), helpers' bodies included
MAX_HELPER_DEPTH = 2  # helpers calling helpers


@dataclass(frozen=True)
class Expr:
    """An expression's source text, the shape and bound of its value.

    `alias` names the variable whose array the value may be (a view of): set for a bare name
    and propagated by views (`x.T`, `x[0]`, `x.reshape(...)`); None for a fresh array.
    """

    text: str
    shape: tuple[int, ...]
    bound: float
    prec: int = ATOM
    alias: str | None = None
    plain: bool = False  # made by an operation whose derivative rule does not read its result


def _broadcast(*shapes):
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        return None


def _fits_into(shape, target) -> bool:
    """`x op= value` keeps x's shape: value broadcasts to exactly `target`."""
    return _broadcast(shape, target) == tuple(target)


def _shape_ok(shape) -> bool:
    return (
        shape is not None
        and len(shape) <= MAX_NDIM
        and all(1 <= s <= MAX_SIDE for s in shape)
        and math.prod(shape) <= MAX_SIZE
    )


def _matmul_shape(a, b):
    """The shape of `a @ b`, or None if they do not multiply; and the contracted length."""
    if not a or not b:
        return None, 0
    if len(a) == 1 and len(b) == 1:
        return ((), a[0]) if a[0] == b[0] else (None, 0)
    if len(a) == 1:
        return (b[:-2] + b[-1:], a[0]) if b[-2] == a[0] else (None, 0)
    if len(b) == 1:
        return (a[:-1], b[0]) if a[-1] == b[0] else (None, 0)
    if a[-1] != b[-2]:
        return None, 0
    batch = _broadcast(a[:-2], b[:-2])
    return (None, 0) if batch is None else (batch + (a[-2], b[-1]), a[-1])


def _tuple_text(items) -> str:
    items = list(items)
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(str(i) for i in items)})"


def _paren(e: Expr, need: int) -> str:
    return e.text if e.prec >= need else f"({e.text})"


def _literal(value: float) -> Expr:
    return Expr(repr(float(value)), (), abs(value), ATOM if value >= 0 else UNARY)


def _call(fn: str, *args: str, shape, bound, alias=None, plain=False) -> Expr:
    return Expr(f"{fn}({', '.join(args)})", tuple(shape), float(bound), ATOM, alias, plain)


def _paren_targets(text: str) -> str:
    """`W, b` as `(W, b)` where it is one target of several (`for i, (W, b) in ...`)."""
    return f"({text})" if "," in text else text


def _factorizations(size: int):
    """Shapes with `size` elements: up to 3 axes, sides 1..MAX_SIDE (for reshape)."""
    shapes = []
    for a in range(1, MAX_SIDE + 1):
        if size % a:
            continue
        if a == size:
            shapes.append((a,))
        for b in range(1, MAX_SIDE + 1):
            if (size // a) % b:
                continue
            c = size // a // b
            if c == 1:
                shapes.append((a, b))
            if c <= MAX_SIDE and (a, b, c) != (1, 1, 1):
                shapes.append((a, b, c))
    return sorted(set(s for s in shapes if _shape_ok(s)), key=lambda t: (len(t), t))
