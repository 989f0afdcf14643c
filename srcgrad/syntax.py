"""Small constructors and queries for gast trees, so passes read as what they build."""

from __future__ import annotations

import ast
import copy
import re
import sys
from collections.abc import Iterator

import gast


def name(id_: str, store: bool = False) -> gast.Name:
    return gast.Name(id=id_, ctx=gast.Store() if store else gast.Load(), annotation=None, type_comment=None)


def const(value) -> gast.Constant:
    return gast.Constant(value=value, kind=None)


def assign(target: str, value: gast.expr) -> gast.Assign:
    return gast.Assign(targets=[name(target, store=True)], value=value, type_comment=None)


def attr(value: gast.expr, attribute: str) -> gast.Attribute:
    return gast.Attribute(value=value, attr=attribute, ctx=gast.Load())


def call(func: gast.expr, args: list[gast.expr], keywords: dict[str, gast.expr] | None = None) -> gast.Call:
    kws = [gast.keyword(arg=k, value=v) for k, v in (keywords or {}).items()]
    return gast.Call(func=func, args=list(args), keywords=kws)


def dotted(path: str) -> gast.expr:
    """`dotted("np.linalg.norm")` is the expression `np.linalg.norm`."""
    head, *rest = path.split(".")
    node: gast.expr = name(head)
    for part in rest:
        node = attr(node, part)
    return node


def neg(operand: gast.expr) -> gast.UnaryOp:
    return gast.UnaryOp(op=gast.USub(), operand=operand)


def tuple_(elts: list[gast.expr]) -> gast.Tuple:
    return gast.Tuple(elts=list(elts), ctx=gast.Load())


def ret(value: gast.expr) -> gast.Return:
    return gast.Return(value=value)


def is_number(node: gast.AST) -> bool:
    return (
        isinstance(node, gast.Constant)
        and isinstance(node.value, (int, float))
        and not isinstance(node.value, bool)
    )


def names_in(node: gast.AST) -> Iterator[str]:
    """Every name read in `node`, in order, with repeats."""
    for sub in gast.walk(node):
        if isinstance(sub, gast.Name) and not isinstance(sub.ctx, gast.Store):
            yield sub.id


def substitute(node: gast.AST, mapping: dict[str, gast.expr]) -> gast.AST:
    """A copy of `node` with each loaded name in `mapping` replaced by (a copy of) its expression."""

    class _Sub(gast.NodeTransformer):
        def visit_Name(self, n):
            if isinstance(n.ctx, gast.Load) and n.id in mapping:
                return copy.deepcopy(mapping[n.id])
            return n

    return _Sub().visit(copy.deepcopy(node))


def to_source(node: gast.AST) -> str:
    """Python source of a gast node, as `ast.unparse` prints it."""
    return unparse(gast.gast_to_ast(node))


# Python 3.10's ast.unparse puts every tuple in parentheses, `(a, b) = (b, a)`, where 3.11 and
# later print `a, b = (b, a)`; srcgrad prints the same code on every Python.
_PARENTHESIZED_TARGET = re.compile(r"^(\s*)(for )?\(([\w, ]+)\)( = | in )", re.M)


def unparse(tree: ast.AST) -> str:
    """`ast.unparse`, printing tuple targets the same way on every supported Python."""
    text = ast.unparse(ast.fix_missing_locations(tree))
    if sys.version_info < (3, 11):
        text = _PARENTHESIZED_TARGET.sub(lambda m: f"{m[1]}{m[2] or ''}{m[3]}{m[4]}", text)
    return text


def key_of(node: gast.AST) -> str:
    """A structural key of an expression, equal for expressions that print the same."""
    return gast.dump(node)
