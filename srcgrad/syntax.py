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


def walk(node: gast.AST) -> Iterator[gast.AST]:
    """Every node in `node`, itself first, as `gast.walk` (`ast.walk`) yields them, at twice its
    speed: that walk runs two generators per node."""
    todo = [node]
    for sub in todo:  # the list grows as the loop goes: breadth first
        for field in sub._fields:
            value = getattr(sub, field, None)
            if isinstance(value, ast.AST):
                todo.append(value)
            elif isinstance(value, list):
                todo.extend([item for item in value if isinstance(item, ast.AST)])
        yield sub


def names_in(node: gast.AST) -> Iterator[str]:
    """Every name read in `node`, in order, with repeats.

    The order is `gast.walk`'s, breadth first. Walking the fields here, as `walk` does, and not
    entering a `Name`'s context node is three times as fast, and every pass asks this.
    """
    todo = [node]
    for sub in todo:  # the list grows as the loop goes: breadth first
        if isinstance(sub, gast.Name):
            if not isinstance(sub.ctx, gast.Store):
                yield sub.id
            if getattr(sub, "annotation", None) is None:  # nor do ctx and type_comment hold names
                continue
        for field in sub._fields:
            value = getattr(sub, field, None)
            if isinstance(value, ast.AST):
                todo.append(value)
            elif isinstance(value, list):
                todo.extend([item for item in value if isinstance(item, ast.AST)])


def copy_tree(node):
    """`copy.deepcopy(node)` of a gast tree (or a list of them), several times faster.

    deepcopy takes every node apart through `__reduce_ex__` and builds it back with generic
    machinery, once per template expression inlined. This makes the same copy directly: each
    node created empty (`type(node)()`, as deepcopy does) and given copies of its attributes in
    order, a node or list met twice copied once, and any other value that is not a plain number
    or string handed to deepcopy with the same memo.
    """
    return _copy(node, {})


_ATOMS = frozenset({str, int, float, bool, complex, bytes, type(None)})


def _copy(value, memo: dict):
    if isinstance(value, ast.AST):
        copied = memo.get(id(value))
        if copied is None:
            copied = memo[id(value)] = type(value)()
            attributes = copied.__dict__
            for key, item in value.__dict__.items():
                attributes[key] = item if type(item) in _ATOMS else _copy(item, memo)
        return copied
    if type(value) is list:
        copied = memo.get(id(value))
        if copied is None:
            copied = memo[id(value)] = []
            copied.extend([item if type(item) in _ATOMS else _copy(item, memo) for item in value])
        return copied
    if type(value) in _ATOMS:
        return value
    return copy.deepcopy(value, memo)


def substitute(node: gast.AST, mapping: dict[str, gast.expr]) -> gast.AST:
    """A copy of `node` with each loaded name in `mapping` replaced by (a copy of) its expression."""
    return _substitute(copy_tree(node), mapping)


def _substitute(node: gast.AST, mapping: dict[str, gast.expr]) -> gast.AST:
    """Replace, in place, as a `gast.NodeTransformer` with only a `visit_Name` would (that is what
    this was; it built a class at each call and dispatched every node by name)."""
    if isinstance(node, gast.Name):
        if isinstance(node.ctx, gast.Load) and node.id in mapping:
            return copy_tree(mapping[node.id])
        return node
    for field in node._fields:
        value = getattr(node, field, None)
        if isinstance(value, list):
            value[:] = [_substitute(item, mapping) if isinstance(item, ast.AST) else item for item in value]
        elif isinstance(value, ast.AST):
            setattr(node, field, _substitute(value, mapping))
    return node


def to_source(node: gast.AST) -> str:
    """Python source of a gast node, as `ast.unparse` prints it."""
    inner, path = node, []  # a name or a dotted one (`np.linalg.norm`), half the calls: as is
    while isinstance(inner, gast.Attribute):
        path.append(inner.attr)
        inner = inner.value
    if isinstance(inner, gast.Name):
        return ".".join([inner.id, *reversed(path)])
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
