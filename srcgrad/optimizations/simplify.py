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

import operator

import gast

from ..syntax import const, is_number, neg

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
    if (
        facts is not None
        and isinstance(e, gast.Call)
        and isinstance(e.func, gast.Name)
        and e.func.id == "unbroadcast"
        and len(e.args) == 2
    ):
        shape = facts.shape_of(e.args[1])
        if shape is not None and facts.shape_of(e.args[0]) == shape:
            return e.args[0]
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
    return e
