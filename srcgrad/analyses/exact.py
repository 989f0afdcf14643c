"""Exact shapes, given the shapes of one call's arguments: the facts of shape specialisation.

When `grad` is called with NumPy arrays and Python floats, the shapes of the arguments decide
the shape of almost every value in the function: `X @ W1 + B1` is 4×20 for a 4×2 `X` and a
2×20 `W1`. Knowing them, the generator writes `dZ.sum(axis=0)` where it would otherwise call
`unbroadcast(dZ, B1)` (which finds out at run time), `X.T @ dZ` for `matmul_dy(dZ, X, W1)`,
and nothing at all where a gradient already has its value's shape. The code is then generated
once per distinct argument shapes (see `functions/compiled.py`).

The analysis runs over the lowered program, ignoring order: every name gets one value, the
join of what all its assignments give (a loop's carried value, a join of branches), found by
iterating to a fixed point from "nothing known yet". Where two assignments disagree, or an
operation is not one this module knows, the name is unknown and the generator keeps the
run-time helper there. So the facts hold on every run with arguments of these shapes.

A value is an array's shape (a tuple of ints, `()` for a scalar), a Python int (its value, or
`INT` when the value is not known), a tuple of such values (`Seq`, e.g. `x.shape`), or
`UNKNOWN`.

>>> import numpy as np
>>> def f(X, W, b):
...     H = np.tanh(X @ W + b)
...     return np.sum(H.T, axis=1)
>>> from srcgrad.frontend import read_function
>>> from srcgrad.transformations.anf import lower
>>> shapes = infer(lower(read_function(f)), {"X": (4, 2), "W": (2, 20), "b": (20,)})
>>> shapes["H"], shapes["f"]
((4, 20), (20,))
"""

from __future__ import annotations

import math
import operator

import gast
import numpy

from ..ir import JOIN, Assign, For, Program, walk
from .shapes import FULL_REDUCTIONS, INT, broadcast_shapes, elementwise


class _Unknown:
    def __repr__(self):
        return "UNKNOWN"


UNKNOWN = _Unknown()
_NOT_YET = object()  # before the fixed point reaches an assignment's inputs


class Seq(tuple):
    """A Python tuple of values (a `.shape`, the argument of `np.zeros`), not an array's shape."""


def is_shape(value) -> bool:
    """Whether `value` is an array's (or scalar's) exact shape."""
    return type(value) is tuple


def infer(program: Program, arguments: dict) -> dict:
    """The exact value of each name of `program`, given `arguments` (parameter -> its shape, or
    UNKNOWN for one that is not an array or a float). Names not in the result are unknown."""
    env = {p: arguments.get(p, UNKNOWN) for p in program.params}
    env.update({g: () for g in program.scalar_globals})
    # a nested parameter's leaf (`W1 = params["W1"]`), keyed (parameter, path) in `arguments`
    leaves = {
        leaf: arguments[(param, path)]
        for param, paths in program.leaf_paths.items()
        for path, leaf in paths.items()
        if (param, path) in arguments
    }
    env.update(leaves)
    assigns = [s for s in walk(program.body) if isinstance(s, Assign) and s.target not in leaves]
    for stmt in walk(program.body):
        if isinstance(stmt, For) and stmt.target is not None:
            env[stmt.target] = INT
    # a name no statement assigns is a global (a module-level array): its shape is not known
    defined = set(env) | {s.target for s in assigns}
    for stmt in assigns:
        for a in [*stmt.op.args, *stmt.op.kwargs.values()]:
            for n in _names(a):
                if n not in defined:
                    env[n] = UNKNOWN
    while True:
        changed = True
        while changed:
            changed = False
            for stmt in assigns:
                value = _evaluate(stmt, env)
                if value is _NOT_YET:
                    continue
                old = env.get(stmt.target, _NOT_YET)
                new = value if old is _NOT_YET else _join(old, value)
                if new is not old and not _same(new, old):
                    env[stmt.target] = new
                    changed = True
        # an assignment whose inputs never settled (a cycle of values no other assignment starts)
        # leaves its name unknown: a name is never known from some of its assignments only
        stuck = [
            s.target for s in assigns if _evaluate(s, env) is _NOT_YET and env.get(s.target) is not UNKNOWN
        ]
        if not stuck:
            break
        env.update(dict.fromkeys(stuck, UNKNOWN))
    return {n: v for n, v in env.items() if v is not UNKNOWN}


def _names(e) -> list[str]:
    if isinstance(e, gast.Name):
        return [e.id]
    if isinstance(e, (gast.Tuple, gast.List)):
        return [n for x in e.elts for n in _names(x)]
    return []


def _same(a, b) -> bool:
    return type(a) is type(b) and a == b


def _join(a, b):
    if _same(a, b):
        return a
    return INT if _is_int(a) and _is_int(b) else UNKNOWN


def _is_int(v) -> bool:
    return v is INT or (type(v) is int)


# ---------------------------------------------------------------------------------------------
# One operation.

_REDUCTIONS = FULL_REDUCTIONS | {numpy.std, numpy.var}  # all reduce over `axis`, or all axes
_LIKE = {numpy.zeros_like, numpy.ones_like, numpy.empty_like, numpy.full_like, numpy.copy, JOIN}
_CREATE = {numpy.zeros, numpy.ones, numpy.empty, numpy.full}
_INT_OPS = {
    operator.add: operator.add,
    operator.sub: operator.sub,
    operator.mul: operator.mul,
    operator.floordiv: operator.floordiv,
    operator.mod: operator.mod,
}
_ELEMENTWISE_MORE = {operator.floordiv, operator.mod, operator.abs}


def _evaluate(stmt: Assign, env: dict):
    op = stmt.op
    try:
        hash(op.key)
    except TypeError:
        return UNKNOWN
    args = [_atom(a, env) for a in op.args]
    if any(a is _NOT_YET for a in args):
        return _NOT_YET
    kwargs = {k: _atom(v, env) for k, v in op.kwargs.items()}
    if any(v is _NOT_YET for v in kwargs.values()):
        return _NOT_YET
    key = op.key
    if key in _INT_OPS and len(args) == 2 and all(_is_int(a) for a in args):
        if INT in args:
            return INT
        try:
            return _INT_OPS[key](*args)
        except ArithmeticError:
            return UNKNOWN
    if key in _LIKE and args and not (set(op.kwargs) - {"dtype"}):
        return args[0] if is_shape(args[0]) or key is JOIN else UNKNOWN
    if (elementwise(key) or key in _ELEMENTWISE_MORE) and not op.kwargs:
        return _broadcast([_as_array(a) for a in args])
    if key in (operator.matmul, numpy.matmul) and len(args) == 2 and not op.kwargs:
        return _matmul(*args)
    if key is numpy.dot and len(args) == 2 and not op.kwargs:
        return _matmul(*args) if all(is_shape(a) and 1 <= len(a) <= 2 for a in args) else UNKNOWN
    if key in _REDUCTIONS:
        return _reduce(args, kwargs, op.kwargs)
    if key in ("T", numpy.transpose) and len(args) == 1 and not op.kwargs:
        return tuple(reversed(args[0])) if is_shape(args[0]) else UNKNOWN
    if key in ("shape", numpy.shape) and len(args) == 1:
        return Seq(args[0]) if is_shape(args[0]) else UNKNOWN
    if key == "getitem" and len(args) == 2:
        return _getitem(*args)
    if key is len and len(args) == 1:
        a = args[0]
        return len(a) if isinstance(a, Seq) else (a[0] if is_shape(a) and a else UNKNOWN)
    if key is numpy.size and len(args) == 1 and is_shape(args[0]):
        return math.prod(args[0])
    if key is numpy.ndim and len(args) == 1 and is_shape(args[0]):
        return len(args[0])
    if key in _CREATE and args and not (set(op.kwargs) - {"dtype"}):
        return _sizes(args[0])
    if key is numpy.reshape and len(args) == 2 and not op.kwargs and is_shape(args[0]):
        return _reshape(args[0], args[1])
    return UNKNOWN


def _atom(e: gast.expr, env: dict):
    if isinstance(e, gast.Constant):
        if type(e.value) is int:
            return e.value
        if type(e.value) in (float, bool, complex):
            return ()
        return UNKNOWN  # None, strings: meaningful only to the operations that read them
    if isinstance(e, gast.Name):
        return env.get(e.id, _NOT_YET)
    if isinstance(e, gast.Tuple):
        items = [_atom(x, env) for x in e.elts]
        return _NOT_YET if any(x is _NOT_YET for x in items) else Seq(items)
    if isinstance(e, gast.UnaryOp) and isinstance(e.op, gast.USub) and isinstance(e.operand, gast.Constant):
        value = _atom(e.operand, env)
        return -value if type(value) is int else value
    return UNKNOWN


def _as_array(value):
    """An operand of elementwise arithmetic: ints act as scalars."""
    if _is_int(value):
        return ()
    return value if is_shape(value) else UNKNOWN


def _broadcast(shapes):
    if any(s is UNKNOWN for s in shapes):
        return UNKNOWN
    result = broadcast_shapes(shapes)
    return UNKNOWN if result is None else result  # None: NumPy raises here, no fact to record


def _matmul(a, b):
    if not (is_shape(a) and is_shape(b)) or not a or not b:
        return UNKNOWN
    if len(a) == 1 and len(b) == 1:
        return () if a == b else UNKNOWN
    if len(b) == 1:
        return a[:-1] if a[-1] == b[0] else UNKNOWN
    if len(a) == 1:
        return b[:-2] + b[-1:] if a[0] == b[-2] else UNKNOWN
    if a[-1] != b[-2]:
        return UNKNOWN
    batch = _broadcast([a[:-2], b[:-2]])
    return UNKNOWN if batch is UNKNOWN else batch + (a[-2], b[-1])


def _reduce(args, kwargs, written):
    if not args or not is_shape(args[0]) or set(written) - {"axis", "keepdims", "dtype", "ddof"}:
        return UNKNOWN
    shape = args[0]
    axis = args[1] if len(args) > 1 else kwargs.get("axis", None)
    if len(args) > 2:
        return UNKNOWN
    keepdims = written.get("keepdims")
    if keepdims is not None and not (isinstance(keepdims, gast.Constant) and type(keepdims.value) is bool):
        return UNKNOWN
    keep = keepdims is not None and keepdims.value
    if axis is None or (axis is UNKNOWN and _is_none(written.get("axis"))):
        axes = set(range(len(shape)))
    elif type(axis) is int or isinstance(axis, Seq):
        items = [axis] if type(axis) is int else list(axis)
        if not all(type(i) is int and -len(shape) <= i < len(shape) for i in items):
            return UNKNOWN
        axes = {i % len(shape) for i in items}
    else:
        return UNKNOWN
    return tuple(1 if i in axes else n for i, n in enumerate(shape) if keep or i not in axes)


def _is_none(e) -> bool:
    return isinstance(e, gast.Constant) and e.value is None


def _getitem(base, index):
    if isinstance(base, Seq) and type(index) is int and -len(base) <= index < len(base):
        return base[index]
    if is_shape(base) and base and _is_int(index):
        return base[1:]
    return UNKNOWN


def _sizes(value):
    if type(value) is int:
        return (value,)
    if isinstance(value, Seq) and all(type(v) is int for v in value):
        return tuple(value)
    return UNKNOWN


def _reshape(shape, new):
    sizes = [new] if _is_int(new) else (list(new) if isinstance(new, Seq) else None)
    if sizes is None or not all(type(s) is int for s in sizes) or sum(s == -1 for s in sizes) > 1:
        return UNKNOWN
    total = math.prod(shape)
    if -1 in sizes:
        rest = math.prod(s for s in sizes if s != -1)
        if rest == 0 or total % rest:
            return UNKNOWN
        sizes = [total // rest if s == -1 else s for s in sizes]
    return tuple(sizes) if math.prod(sizes) == total else UNKNOWN
