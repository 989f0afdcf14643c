"""Algebraic simplification of generated expressions, bottom-up.

Multiplying by one, adding zero, double negation, literal arithmetic, and `unbroadcast` where
shapes are known to agree all disappear, so a rule instantiated with a seed gradient of 1.0
reads like hand-written code.

>>> import gast
>>> from srcgrad.syntax import to_source
>>> e = gast.parse("unbroadcast(1.0 * 2 * x ** (2 - 1), x)").body[0].value
>>> to_source(simplify(e, None))
'unbroadcast(2.0 * x, x)'
"""

from __future__ import annotations

import math
import operator

import gast

from ..syntax import attr, call, const, is_number, name, neg, to_source

_FOLD = {
    gast.Add: operator.add,
    gast.Sub: operator.sub,
    gast.Mult: operator.mul,
    gast.Div: operator.truediv,
    gast.Pow: operator.pow,
}


def simplify(e: gast.expr, facts) -> gast.expr:
    """A simpler expression equal to `e`; `facts` (ShapeFacts or None) licenses shape rewrites."""
    for field, value in gast.iter_fields(e):
        if isinstance(value, gast.expr):
            setattr(e, field, simplify(value, facts))
        elif isinstance(value, list):
            setattr(e, field, [simplify(v, facts) if isinstance(v, gast.expr) else v for v in value])
    if isinstance(e, gast.BinOp):
        return _binop(e)
    if (  # (a, b)[1] -> b
        isinstance(e, gast.Subscript)
        and isinstance(e.value, (gast.Tuple, gast.List))
        and isinstance(e.slice, gast.Constant)
        and type(e.slice.value) is int
        and -len(e.value.elts) <= e.slice.value < len(e.value.elts)
    ):
        return e.value.elts[e.slice.value]
    if isinstance(e, gast.UnaryOp) and isinstance(e.op, gast.USub):
        if _negated(e.operand):
            return e.operand.operand
        if is_number(e.operand):
            return const(-e.operand.value)
        flipped = _flip_literal(e.operand)  # -(2.0 * x) -> -2.0 * x
        if flipped is not None:
            return flipped
    if isinstance(e, gast.Call) and facts is not None:
        return _specialized(e, facts)
    return e


def _flip_literal(e: gast.expr) -> gast.expr | None:
    """`e` negated by negating the literal that leads its product (`2.0 * x / y`), if it has one;
    exact, since negation commutes with multiplication and division."""
    if is_number(e):
        return const(-e.value)
    if isinstance(e, gast.BinOp) and isinstance(e.op, (gast.Mult, gast.Div)):
        if is_number(e.left):
            return gast.BinOp(left=const(-e.left.value), op=e.op, right=e.right)
        left = _flip_literal(e.left)
        return None if left is None else gast.BinOp(left=left, op=e.op, right=e.right)
    return None


def _leading_negative(e: gast.expr) -> bool:
    """A product led by a negative literal (`-2.0 * x / y`)."""
    while isinstance(e, gast.BinOp) and isinstance(e.op, (gast.Mult, gast.Div)):
        e = e.left
    return is_number(e) and e.value < 0


def _specialized(e: gast.Call, facts) -> gast.expr:
    """`unbroadcast` and the matrix-product helpers, written out where shapes decide them."""
    helper = e.func.id if isinstance(e.func, gast.Name) and len(e.args) in (2, 3) and not e.keywords else None
    if _is_numpy(e.func, facts, "where") and len(e.args) == 3 and not e.keywords:
        test = _value(e.args[0])  # np.where(2, 2 - 1, 1.0) -> 1: a rule's care for 0 (x ** y at y == 0)
        return e if test is None else e.args[1] if test else e.args[2]
    if _is_numpy(e.func, facts, "size") and len(e.args) == 1 and not e.keywords:
        shape = facts.exact_shape(e.args[0])
        return e if shape is None else const(math.prod(shape))
    if helper == "broadcast_like" and len(e.args) == 2:  # forward mode: a tangent spread to the result
        t, ans = e.args
        shape = facts.shape_of(ans)
        if shape is not None and facts.shape_of(t) == shape or _same_exact(t, ans, facts):
            return t
        return e
    if helper == "unbroadcast" and len(e.args) == 2:
        g, x = e.args
        shape = facts.shape_of(x)
        if shape is not None and facts.shape_of(g) == shape or _same_exact(g, x, facts):
            return g
        return _summed(g, facts.exact_shape(g), facts.exact_shape(x)) or e
    if helper in ("matmul_dx", "matmul_dy") and len(e.args) == 3:
        g, x, y = e.args
        xs, ys = facts.exact_shape(x), facts.exact_shape(y)
        if xs is None or ys is None or not (1 <= len(xs) <= 2 and 1 <= len(ys) <= 2):
            return e
        outer = attr(name(facts.numpy_alias), "outer")
        ranks = (len(xs), len(ys))
        if helper == "matmul_dx":  # the gradient with respect to x, of x's shape
            if ranks == (2, 2):
                return _exact(_matmul(g, attr(y, "T")), xs)
            if ranks == (2, 1):
                return _exact(call(outer, [g, y]), xs)
            return _exact(
                _matmul(y, g) if ranks == (1, 2) else gast.BinOp(left=g, op=gast.Mult(), right=y), xs
            )
        if ranks == (2, 2):
            return _exact(_matmul(attr(x, "T"), g), ys)
        if ranks == (1, 2):
            return _exact(call(outer, [x, g]), ys)
        return _exact(_matmul(g, x) if ranks == (2, 1) else gast.BinOp(left=g, op=gast.Mult(), right=x), ys)
    return e


def _same_exact(a: gast.expr, b: gast.expr, facts) -> bool:
    """Whether the call's argument shapes give `a` and `b` the same exact shape (a Python float
    next to a 0-d value: two classes of facts, one shape)."""
    shape = facts.exact_shape(a)
    return shape is not None and shape == facts.exact_shape(b)


def _is_numpy(func: gast.expr, facts, attribute: str) -> bool:
    return (
        isinstance(func, gast.Attribute)
        and func.attr == attribute
        and isinstance(func.value, gast.Name)
        and func.value.id == facts.numpy_alias
    )


def _summed(g: gast.expr, gshape, shape) -> gast.expr | None:
    """`g` summed to `shape` with one `.sum`, when both shapes are exact and `g` is the larger."""
    if gshape is None or shape is None or gshape == shape:
        return None
    lead = len(gshape) - len(shape)
    if lead < 0 or any(n not in (1, m) for n, m in zip(shape, gshape[lead:])):
        return None  # g is the smaller one: unbroadcast spreads it, left to the helper
    kept = [lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1]
    axes = list(range(lead)) + kept
    if not axes:  # only size-1 axes differ in where they stand
        return _exact(call(attr(g, "reshape"), [const(shape)]), shape)
    keywords = {} if shape == () else {"axis": const(axes[0] if len(axes) == 1 else tuple(axes))}
    if kept and lead:
        summed = call(attr(call(attr(g, "sum"), [], keywords), "reshape"), [const(shape)])
    else:
        summed = call(attr(g, "sum"), [], {**keywords, **({"keepdims": const(True)} if kept else {})})
    return _exact(summed, shape)


def _matmul(a: gast.expr, b: gast.expr) -> gast.expr:
    return gast.BinOp(left=a, op=gast.MatMult(), right=b)


def _exact(e: gast.expr, shape: tuple) -> gast.expr:
    e.srcgrad_exact = shape  # ShapeFacts.shape_of reads it: the shape is known, not recomputed
    return e


def _negated(e) -> bool:
    return isinstance(e, gast.UnaryOp) and isinstance(e.op, gast.USub)


def _value(e):
    return e.value if is_number(e) else None


def _binop(e: gast.BinOp) -> gast.expr:
    left, right, op = e.left, e.right, type(e.op)
    lv, rv = _value(left), _value(right)
    if lv is not None and rv is not None and op in _FOLD:
        try:
            return const(_FOLD[op](lv, rv))
        except (ArithmeticError, ValueError):
            return e
    if op in (gast.Mult, gast.Div) and _negated(left):  # (-a) * b -> -(a * b)
        return neg(_binop(gast.BinOp(left=left.operand, op=e.op, right=right)))
    if op in (gast.Mult, gast.Div) and _negated(right):
        return neg(_binop(gast.BinOp(left=left, op=e.op, right=right.operand)))
    if op is gast.Mult:
        if lv == 1:
            return right
        if rv == 1:
            return left
        if lv == -1:
            return neg(right)
        if rv == -1:
            return neg(left)
        # (c1 * x) * c2 -> (c1 * c2) * x: literals gather at the front
        if rv is not None and isinstance(left, gast.BinOp) and isinstance(left.op, gast.Mult):
            if _value(left.left) is not None:
                return _binop(gast.BinOp(left=const(left.left.value * rv), op=gast.Mult(), right=left.right))
            return gast.BinOp(
                left=_binop(gast.BinOp(left=const(rv), op=gast.Mult(), right=left.left)),
                op=gast.Mult(),
                right=left.right,
            )
        if rv is not None:
            return gast.BinOp(left=right, op=gast.Mult(), right=left)
    if op is gast.Div and rv == 1:
        return left
    if op is gast.Pow and rv == 1:
        return left
    if op is gast.Add:
        if lv == 0:
            return right
        if rv == 0:
            return left
    if op is gast.Sub:
        if rv == 0:
            return left
        if lv == 0:
            return neg(right)
        if isinstance(right, gast.UnaryOp) and isinstance(right.op, gast.USub):
            return gast.BinOp(left=left, op=gast.Add(), right=right.operand)
    if op is gast.Add and isinstance(right, gast.UnaryOp) and isinstance(right.op, gast.USub):
        return gast.BinOp(left=left, op=gast.Sub(), right=right.operand)
    if op is gast.Add and _negated(left):  # -a + b -> b - a
        return gast.BinOp(left=right, op=gast.Sub(), right=left.operand)
    if op is gast.Add and _leading_negative(right):  # a + -2.0 * b -> a - 2.0 * b
        return gast.BinOp(left=left, op=gast.Sub(), right=_flip_literal(right))
    return e


def joined_where(e: gast.expr) -> gast.expr:
    """`where(m, a, 0) + c * where(m, 0, b)` as `where(m, a, c * b)` (the gradient of `maximum`
    of two values of one variable, as in a leaky ReLU): one pass over the array, not four.
    Exact: each element takes `a + 0` or `0 + c * b`; `c` must be a literal, so that `c * 0`
    is 0."""
    if not (isinstance(e, gast.BinOp) and isinstance(e.op, gast.Add)):
        return e
    parts = [_where_parts(e.left), _where_parts(e.right)]
    if None in parts:
        return e
    (func, mask, a, b, scale_1), (func_2, mask_2, a_2, b_2, scale_2) = parts
    if to_source(func) != to_source(func_2) or to_source(mask) != to_source(mask_2):
        return e
    if a is None and b_2 is None:  # where(m, 0, b) + where(m, a, 0)
        (a, b, scale_1), (a_2, b_2, scale_2) = (a_2, b_2, scale_2), (a, b, scale_1)
    if not (b is None and a_2 is None):
        return e
    return call(func, [mask, _scaled(scale_1, a), _scaled(scale_2, b_2)])


def _where_parts(e: gast.expr):
    """(where, mask, a or None, b or None, literal scale or None) for `[c *] where(m, a, b)` in
    which one branch is a literal 0 (given as None); None for anything else."""
    scale = None
    if isinstance(e, gast.BinOp) and isinstance(e.op, gast.Mult) and is_number(e.left):
        if not math.isfinite(e.left.value):
            return None
        scale, e = e.left, e.right
    if not (
        isinstance(e, gast.Call)
        and isinstance(e.func, gast.Attribute)
        and e.func.attr == "where"
        and len(e.args) == 3
        and not e.keywords
    ):
        return None
    mask, a, b = e.args
    zero_a, zero_b = (is_number(x) and x.value == 0 for x in (a, b))
    if zero_a == zero_b:
        return None
    return e.func, mask, None if zero_a else a, None if zero_b else b, scale


def _scaled(scale, e: gast.expr) -> gast.expr:
    return e if scale is None else gast.BinOp(left=scale, op=gast.Mult(), right=e)
