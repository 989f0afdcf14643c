"""Shape facts known without running the code: which values are scalars, which share a shape.

Elementwise operations give their result the shape of their array operands when those are
known to agree (`E = np.exp(Z)` has Z's shape; `Y = 0.2 * Z` too), and full reductions give
scalars. The generator uses these facts to drop `unbroadcast` where it cannot change anything,
and to fold a scalar gradient (`fill(1.0, x)`) into the expression that consumes it.

>>> import numpy as np
>>> def f(Z, B):
...     E = np.exp(Z)
...     Y = 0.2 * E
...     return np.sum(Y + B)
>>> from srcgrad.frontend import read_function
>>> from srcgrad.transformations.anf import lower
>>> facts = ShapeFacts(lower(read_function(f)))
>>> facts.same("Y", "Z"), facts.same("Y", "B"), facts.is_scalar("f")
(True, False, True)
"""

from __future__ import annotations

import operator
from collections import Counter

import gast
import numpy

from ..ir import JOIN, Assign, Program, walk
from ..syntax import is_number

SCALAR = "<scalar>"
INT = "INT"  # an exact value (analyses.exact): a Python int whose value is not known (a loop index)
_ELEMENTWISE_OPS = {
    operator.add,
    operator.sub,
    operator.mul,
    operator.truediv,
    operator.pow,
    operator.neg,
    operator.pos,
    "compare",
    numpy.where,
}
FULL_REDUCTIONS = {
    numpy.sum,
    numpy.mean,
    numpy.max,
    numpy.min,
    numpy.amax,
    numpy.amin,
    numpy.prod,
    numpy.ptp,
    numpy.nansum,
    numpy.nanmean,
}
_SCALAR_RESULTS = {numpy.size, numpy.ndim, len, "size", "ndim"}
_ELEMENTWISE_SYNTAX = {gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow}


def elementwise(key) -> bool:
    if key in _ELEMENTWISE_OPS:
        return True
    return isinstance(key, numpy.ufunc) and key.signature is None and key.nin in (1, 2)


class ShapeFacts:
    """Union-find of names with equal shapes, plus the set of names known to be scalars.

    With `exact` (name -> exact value, from `analyses.exact.infer` for one call's argument
    shapes), names of the same exact shape share a class whose representative is that shape,
    and `exact_shape` answers for expressions.
    """

    def __init__(self, program: Program, exact: dict | None = None):
        self.numpy_alias = program.numpy_alias
        self.exact = {n: v for n, v in (exact or {}).items() if type(v) is tuple}
        # Python ints (a count passed in, a loop index): scalars, whatever their value
        self.python_ints = {n for n, v in (exact or {}).items() if v == INT or type(v) is int}
        self.exact_classes: dict[str, tuple] = {}  # representative -> the exact shape
        assigns = [s for s in walk(program.body) if isinstance(s, Assign)]
        counts = Counter(s.target for s in assigns)
        defs: dict[str, list] = {}
        for stmt in assigns:
            defs.setdefault(stmt.target, []).append(stmt)
        # A name assigned more than once (a join of branches, a loop's carried value) is a scalar
        # if every assignment copies a scalar. Around a loop that is circular (`total` is a copy
        # of `total_2 = total + s`), so assume it of all such names, then drop the ones the
        # assumption does not bear out, until what is left supports itself.
        candidates = {t for t, ds in defs.items() if len(ds) > 1 and all(_may_be_scalar(d) for d in ds)}
        while True:
            self._learn_all(program, assigns, counts, candidates)
            unsupported = {t for t in candidates if not all(self._gives_scalar(d) for d in defs[t])}
            if not unsupported:
                return
            candidates -= unsupported

    def _learn_all(self, program: Program, assigns, counts, scalar_joins) -> None:
        self.parent: dict[str, str] = {}
        self.scalars: set[str] = set(program.scalar_globals) | set(scalar_joins) | self.python_ints
        self.shapes: set[str] = set()  # names holding an array's shape tuple
        self.exact_classes = {}
        for n, shape in self.exact.items():  # a 0-d array is not a scalar: `g.T` must still work
            if n not in self.scalars:
                self.union(n, self.exact_class(shape))
        for stmt in assigns:
            if counts[stmt.target] == 1:
                self._learn(stmt)

    def _gives_scalar(self, stmt: Assign) -> bool:
        """Whether one of a name's assignments gives a scalar, by the facts learnt so far."""
        if stmt.op.key is JOIN:
            return self.shape_of(stmt.op.args[0]) == SCALAR
        return self._scalar_result(stmt.op.key, self.combine([self.shape_of(a) for a in stmt.op.args]))

    def _scalar_result(self, key, shape) -> bool:
        """Whether an elementwise operation whose operands combine to `shape` gives a scalar."""
        # a ufunc's (or an operator's) result of shape () is a NumPy scalar, not a 0-d array,
        # even of 0-d arrays: `np.sum(h) * scale` for a float `scale` is one
        return shape == SCALAR or (key is not numpy.where and self.exact_classes.get(shape) == ())

    def _learn(self, stmt: Assign) -> None:
        key = stmt.op.key
        try:
            hashable = hash(key) is not None
        except TypeError:
            hashable = False
        if not hashable:
            return
        if key in _SCALAR_RESULTS or (key in FULL_REDUCTIONS and _reduces_fully(stmt)):
            self.scalars.add(stmt.target)
        elif key in ("shape", numpy.shape):  # a tuple of sizes: each of its items is a number
            self.shapes.add(stmt.target)
        elif key == "getitem" and _item_of(stmt, self.shapes):
            self.scalars.add(stmt.target)
        elif elementwise(key) and not stmt.op.kwargs:
            shape = self.combine([self.shape_of(a) for a in stmt.op.args])
            if self._scalar_result(key, shape):
                self.scalars.add(stmt.target)
            elif shape is not None:
                self.union(stmt.target, shape)

    # -- union-find -------------------------------------------------------------------------

    def find(self, n: str) -> str:
        while self.parent.get(n, n) != n:
            n = self.parent[n]
        return n

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb or (ra in self.exact_classes and rb in self.exact_classes):
            return  # two different exact shapes are never the same
        if ra in self.exact_classes:  # an exact shape stays its class's representative
            ra, rb = rb, ra
        self.parent[ra] = rb

    def exact_class(self, shape: tuple) -> str:
        """The representative of the names of exact shape `shape`."""
        rep = f"<shape {shape}>"
        self.exact_classes[rep] = shape
        return rep

    def exact_shape(self, e: gast.expr) -> tuple | None:
        """The exact shape of `e`'s value, when the call's argument shapes decide it."""
        shape = self.shape_of(e)
        if shape == SCALAR:
            return ()
        return None if shape is None else self.exact_classes.get(self.find(shape))

    def same(self, a: str, b: str) -> bool:
        return self.find(a) == self.find(b)

    def is_scalar(self, n: str) -> bool:
        return n in self.scalars

    def learn(self, target: str, e: gast.expr) -> None:
        """Record the shape of a generated temporary `target = e`, where it is known."""
        shape = self.shape_of(e)
        if shape == SCALAR:
            self.scalars.add(target)
        elif shape is not None:
            self.union(target, shape)

    def alias(self, new: str, like: str) -> None:
        """Record that `new` (an adjoint) has the shape of `like` (its primal)."""
        if like in self.scalars:
            self.scalars.add(new)
        else:
            self.union(new, like)

    # -- expressions ------------------------------------------------------------------------

    def combine(self, shapes):
        """The shape class of an elementwise result of operands of these classes."""
        if any(s is None for s in shapes):
            return None
        arrays = {self.find(s) for s in shapes if s != SCALAR}
        if not arrays:
            return SCALAR
        if len(arrays) == 1:
            return arrays.pop()
        exact = [self.exact_classes.get(s) for s in arrays]
        if any(e is None for e in exact):
            return None
        broadcast = broadcast_shapes(exact)
        return None if broadcast is None else self.exact_class(broadcast)

    def shape_of(self, e: gast.expr):
        """SCALAR, the representative name of e's shape class, or None when unknown."""
        if is_number(e):
            return SCALAR
        if hasattr(e, "srcgrad_exact"):  # written out by simplify from exact shapes
            return self.exact_class(e.srcgrad_exact)
        if isinstance(e, gast.Name):
            return SCALAR if e.id in self.scalars else self.find(e.id)
        if isinstance(e, gast.UnaryOp) and isinstance(e.op, (gast.USub, gast.UAdd)):
            return self.shape_of(e.operand)
        if isinstance(e, gast.BinOp) and type(e.op) in _ELEMENTWISE_SYNTAX:
            return self.combine([self.shape_of(e.left), self.shape_of(e.right)])
        if isinstance(e, gast.Compare) and len(e.comparators) == 1:
            return self.combine([self.shape_of(e.left), self.shape_of(e.comparators[0])])
        if isinstance(e, gast.Call) and not e.keywords:
            func = self.function(e.func)
            if func == "unbroadcast" and len(e.args) == 2:
                return self.shape_of(e.args[1])
            if func in (numpy.size, numpy.ndim):
                return SCALAR
            if func is not None and elementwise(func):
                return self.combine([self.shape_of(a) for a in e.args])
        return None

    def function(self, func: gast.expr):
        if isinstance(func, gast.Name) and func.id == "unbroadcast":
            return "unbroadcast"
        if (
            isinstance(func, gast.Attribute)
            and isinstance(func.value, gast.Name)
            and func.value.id == self.numpy_alias
        ):
            return getattr(numpy, func.attr, None)
        return None


def broadcast_shapes(shapes: list[tuple]) -> tuple | None:
    """NumPy's broadcast of exact shapes; None where NumPy would raise."""
    ndim = max((len(s) for s in shapes), default=0)
    result = []
    for axis in range(ndim):
        sizes = {s[axis - ndim + len(s)] for s in shapes if axis - ndim + len(s) >= 0} - {1}
        if len(sizes) > 1:
            return None
        result.append(sizes.pop() if sizes else 1)
    return tuple(result)


def _may_be_scalar(stmt: Assign) -> bool:
    """A join's copy, or an elementwise operation (`out = out * 2.0` in one branch)."""
    key = stmt.op.key
    try:
        return key is JOIN or (elementwise(key) and not stmt.op.kwargs)
    except TypeError:  # an unhashable key
        return False


def _reduces_fully(stmt: Assign) -> bool:
    """A sum or mean with no axis and no keepdims: its result is a scalar."""
    kwargs = stmt.op.kwargs
    if len(stmt.op.args) > 2 or set(kwargs) - {"axis", "keepdims"}:
        return False
    axis = stmt.op.args[1] if len(stmt.op.args) == 2 else kwargs.get("axis")
    keepdims = kwargs.get("keepdims")
    literal = gast.Constant
    return (axis is None or (isinstance(axis, literal) and axis.value is None)) and (
        keepdims is None or (isinstance(keepdims, literal) and keepdims.value is False)
    )


def _item_of(stmt: Assign, shapes: set) -> bool:
    """`n = shape[0]` of a shape tuple: a number."""
    base, index = stmt.op.args
    return isinstance(base, gast.Name) and base.id in shapes and is_number(index)
