"""Lowering an expression to an atom (a name or a constant): each operation inside it becomes a
statement of its own, through `emit`; names read the environment, and indexing reads an item of
a list, tuple or nested parameter known here without a statement. Calls are in calls.py, `a if c
else b` in branches.py. A mixin of `Lowering`: it reads the environment and writes the block."""

from __future__ import annotations

import operator

import gast
import numpy

from ...errors import UnsupportedSyntaxError
from ...frontend import MISSING
from ...ir import APPEND, ITEM, Op
from ...syntax import const, copy_tree, is_number, name, to_source, tuple_
from ...syntax import walk as walk_tree
from .atoms import is_list_literal, is_struct, root_of
from .checks import check_readable

BINARY = {
    gast.Add: (operator.add, "add"),
    gast.Sub: (operator.sub, "sub"),
    gast.Mult: (operator.mul, "mul"),
    gast.Div: (operator.truediv, "div"),
    gast.Pow: (operator.pow, "pow"),
    gast.MatMult: (operator.matmul, "matmul"),
    gast.FloorDiv: (operator.floordiv, "floordiv"),
    gast.Mod: (operator.mod, "mod"),
    gast.BitAnd: (operator.and_, "both"),
    gast.BitOr: (operator.or_, "either"),
    gast.BitXor: (operator.xor, "xor"),
    gast.LShift: (operator.lshift, "lshift"),
    gast.RShift: (operator.rshift, "rshift"),
}
UNARY = {
    gast.USub: (operator.neg, "neg"),
    gast.UAdd: (operator.pos, "pos"),
    gast.Not: (operator.not_, "negated"),
    gast.Invert: (operator.invert, "inverted"),
}
ARRAY_ATTRIBUTES = {"shape", "ndim", "size", "dtype", "real", "imag"}


class Expressions:
    def expr(self, node: gast.expr, hint: str | None = None, effect: bool = False, base=None) -> gast.expr:
        """Lower `node`; return an atom (a name or a constant) that holds its value."""
        if base is not None:
            self.bases[id(node)] = base
        method = getattr(self, "expr_" + type(node).__name__)
        self.nodes.append(node)  # the innermost user expression being lowered, for messages
        try:
            return method(node, hint, effect) if isinstance(node, gast.Call) else method(node, hint)
        finally:
            self.nodes.pop()

    def expr_Name(self, node, hint):
        if node.id in self.env:
            return copy_tree(self.env[node.id])
        if node.id in self.assigned or node.id in self.params:
            raise UnsupportedSyntaxError(
                f"local variable {node.id!r} is read before it is assigned.",
                self.source.location(node),
            )
        value = self.source.lookup(node.id)
        if value is MISSING:
            self.undefined(node)
        self.free_atoms.add(node.id)  # the atom names a global (or a bound value), not a variable
        if isinstance(value, (int, float, numpy.number)) and not isinstance(value, bool):
            self.scalar_globals.add(node.id)
        return name(node.id)

    def expr_Starred(self, node, hint):
        raise UnsupportedSyntaxError(
            "srcgrad takes `*xs` in a call whose `xs` has items known here (a tuple or list made "
            "in the function, `*args`, a nested parameter), or in a call of a function with no "
            "gradient.",
            self.source.location(node),
            hint="Pass the items one by one.",
        )

    def expr_JoinedStr(self, node, hint):
        """An f-string (`f"loss {loss:.3f}"`): its values lowered, the string made as the code
        runs; a string carries no gradient."""
        value, values = self.joined(node)
        if not values:
            return value  # no values in it: a literal
        return self.emit(value, Op(None, values, label="f-string", pure=False), hint, "text")

    def joined(self, node):
        """The f-string with each value it formats lowered to an atom, and those atoms."""
        parts, values = [], []
        for part in node.values:
            if isinstance(part, gast.FormattedValue):
                atom = self.expr(part.value)
                spec, inner = self.joined(part.format_spec) if part.format_spec is not None else (None, [])
                values += [atom, *inner]
                parts.append(gast.FormattedValue(value=atom, conversion=part.conversion, format_spec=spec))
            else:
                parts.append(part)
        return gast.JoinedStr(values=parts), values

    def expr_Constant(self, node, hint):
        return const(node.value)

    def expr_Tuple(self, node, hint):
        return tuple_([self.expr(e) for e in node.elts])

    def expr_List(self, node, hint):
        elements = self.expr_Tuple(node, hint)
        elements.srcgrad_list = True  # a list, if it is used as an index (deepcopy keeps the mark)
        return elements

    def expr_Subscript(self, node, hint):
        base = self.expr(node.value)
        if isinstance(base, (gast.Tuple, gast.List)) or is_struct(base):
            return self.part(base, node)
        if isinstance(base, gast.Name) and base.id in self.tuples:
            return self.tuple_item(base, node, hint)
        if isinstance(base, gast.Name) and (
            base.id in self.stacked_rows or (base.id in self.list_names and not self.loop_depth)
        ):
            base = self.stacked_list(base)  # an item of a list a loop built: a row of it, stacked
        check_readable(base, self.lists(), self.source, node)
        index = self.index(node.slice)
        value = gast.Subscript(value=base, slice=index, ctx=gast.Load())
        op = Op("getitem", [base, index_value(index, self.numpy_alias)], label="indexing")
        short = isinstance(base, gast.Name) and isinstance(index, (gast.Name, gast.Constant))
        label = f"{base.id}_{index.id if isinstance(index, gast.Name) else index.value}" if short else "item"
        return self.emit(value, op, hint, label if str(label).isidentifier() else "item")

    def part(self, base, node):
        """`xs[k]` or `xs[a:b]` on a list or tuple made in the function or on a nested parameter,
        with a key or bounds known here (literals, or a loop index of a loop written out)."""
        items = self.elements_of(base, node) if not is_struct(base) else None
        if isinstance(node.slice, gast.Slice):
            bounds = [
                None if p is None else self.expr(p)
                for p in (node.slice.lower, node.slice.upper, node.slice.step)
            ]
            if all(b is None or (is_number(b) and type(b.value) is int) for b in bounds):
                keys = items if items is not None else self.elements_of(base, node)
                if keys is not None and not (is_struct(base) and self.nested.is_dict(base)):
                    picked = tuple_(keys[slice(*(None if b is None else b.value for b in bounds))])
                    picked.srcgrad_list = True
                    return picked
            key = None
        else:
            atom = self.expr(node.slice)
            key = atom.value if isinstance(atom, gast.Constant) else None
        if is_struct(base):
            plain = not (self.nested.is_dict(base) or self.nested.is_record(base))
            if isinstance(key, int) and plain and key < 0:  # a NamedTuple's: its child() says
                key += len(self.elements_of(base, node))
            return self.nested.child(base, key, self.source, node)
        if type(key) is not int or not -len(items) <= key < len(items):
            raise UnsupportedSyntaxError(
                "a list or tuple made in the function can be indexed with a literal, or looped over.",
                self.source.location(node),
                hint="Loop over it (`for x in xs:`), or stack it into an array first (np.stack(xs)).",
            )
        return items[key]

    def tuple_item(self, base: gast.Name, node, hint):
        """An item of the tuple a function returned (`np.linalg.eigh(a)[0]`), like unpacking it."""
        count = self.tuples[base.id]
        index = node.slice
        if isinstance(index, gast.UnaryOp) and isinstance(index.op, gast.USub):  # x[-1]
            index = gast.Constant(value=-index.operand.value, kind=None) if is_number(index.operand) else None
        index = index.value if isinstance(index, gast.Constant) else None
        if count is None or type(index) is not int or not -count <= index < count:
            raise UnsupportedSyntaxError(
                f"srcgrad takes an item of the tuple `{to_source(node.value)}` returns by a literal "
                "index, when the number of items is known where the function is called.",
                self.source.location(node),
                hint="Unpack it (`a, b, c = np.split(x, 3)`), or give the sections as a literal.",
            )
        index %= count
        value = gast.Subscript(value=base, slice=const(index), ctx=gast.Load())
        op = Op(ITEM, [base, const(index), const(count)], label="indexing")
        return self.emit(value, op, hint, f"{base.id}_{index}")

    def index(self, node):
        """An index with every expression in it lowered to an atom (slices stay slices)."""
        if isinstance(node, gast.Slice):
            parts = [None if p is None else self.expr(p) for p in (node.lower, node.upper, node.step)]
            return gast.Slice(lower=parts[0], upper=parts[1], step=parts[2])
        if isinstance(node, gast.Tuple):
            return gast.Tuple(elts=[self.index(e) for e in node.elts], ctx=gast.Load())
        if isinstance(node, gast.List):  # indices to pick, as NumPy reads a list: not a tuple of axes
            return gast.List(elts=[self.index(e) for e in node.elts], ctx=gast.Load())
        atom = self.expr(node)
        if getattr(atom, "srcgrad_list", False):  # `i = [2, 0]` ... `x[i]`
            return gast.List(elts=atom.elts, ctx=gast.Load())
        return atom

    def expr_BoolOp(self, node, hint):
        raise UnsupportedSyntaxError(
            "srcgrad does not lower `and`/`or` yet.",
            self.source.location(node),
            hint="Use nested `if` statements, or `&`/`|` on boolean arrays.",
        )

    def expr_Attribute(self, node, hint):
        if self.is_free(node):
            if self.source.resolve(node) is MISSING:
                self.undefined(node)
            self.free_atoms.add(root_of(node).id)
            return copy_tree(node)
        base = self.expr(node.value)
        if is_struct(base) and self.nested.is_record(base):  # `p.W` of a NamedTuple or dataclass
            return self.record_attribute(base, node, hint)
        plain = isinstance(base, gast.Name) and not is_struct(base) and base.id in self.wrt
        if plain and not hasattr(numpy.ndarray, node.attr):
            raise UnsupportedSyntaxError(  # the code for no argument yet (`.source` before a call)
                f"`{to_source(node)}` reads a field of {base.id!r}, a parameter srcgrad "
                "differentiates: srcgrad follows the fields of a NamedTuple or dataclass parameter "
                "when it has the argument, whose class says what they are, and an array or a float "
                f"has no attribute {node.attr!r}.",
                self.source.location(node),
                hint="Call the gradient with your arguments first: `.source` then shows the code for "
                "them (`srcgrad show --example` calls <function>_example() for its arguments).",
            )
        known = self.known_attribute(base, node.attr)
        if known is not None:  # `self.layers` of one of your objects: its layers, bound into the code
            return known
        value = gast.Attribute(value=base, attr=node.attr, ctx=gast.Load())
        if node.attr == "T":
            short = isinstance(base, gast.Name) and len(base.id) <= 3
            op = Op("T", [base], label="x.T")
            return self.emit(value, op, hint, f"{base.id}T" if short else "transposed")
        key = node.attr if node.attr in ARRAY_ATTRIBUTES else None
        return self.emit(value, Op(key, [base], label=f".{node.attr}"), hint, node.attr)

    def expr_UnaryOp(self, node, hint):
        operand = self.expr(node.operand)
        if isinstance(node.op, gast.USub) and is_number(operand):
            return const(-operand.value)
        key, base = UNARY[type(node.op)]
        value = gast.UnaryOp(op=node.op, operand=operand)
        return self.emit(value, Op(key, [operand], label=to_source(value)), hint, base)

    def expr_BinOp(self, node, hint):
        left, right = self.expr(node.left), self.expr(node.right)
        appends = isinstance(left, gast.Name) and left.id in self.list_names
        if (
            appends
            and isinstance(node.right, gast.List)
            and len(right.elts) == 1
            and isinstance(node.op, gast.Add)
        ):
            right = gast.List(elts=right.elts, ctx=gast.Load())
            value = gast.BinOp(left=left, op=node.op, right=right)
            target = self.emit(
                value, Op(APPEND, [left, right.elts[0]], label="+ [...]", pure=False), hint, "parts"
            )
            self.list_names.add(target.id)
            return target
        if is_list_literal(left) and is_list_literal(right) and isinstance(node.op, gast.Add):
            joined = tuple_([*left.elts, *right.elts])  # `[a] + [b]`: the list is known here
            joined.srcgrad_list = True
            return joined
        both_tuples = all(isinstance(a, gast.Tuple) and not is_list_literal(a) for a in (left, right))
        if both_tuples and isinstance(node.op, gast.Add):
            return tuple_([*left.elts, *right.elts])  # `args + (ones,)`: a tuple joined, not added
        lists = self.lists()
        if any(isinstance(a, gast.Name) and a.id in lists for a in (left, right)):
            raise UnsupportedSyntaxError(  # `+` on a list joins lists, `*` repeats them: not arithmetic
                "srcgrad follows a list that a loop builds only as `parts = parts + [item]`, "
                "starting from `parts = []`.",
                self.source.location(node),
                hint="Add one item at a time (`parts = parts + [item]`) to a list that starts empty, "
                "or build the list with a comprehension.",
            )
        key, base = BINARY[type(node.op)]
        if is_number(left) and is_number(right):
            try:
                return const(key(left.value, right.value))
            except (ArithmeticError, ValueError):
                pass
        if key is operator.matmul and all(isinstance(a, gast.Name) and len(a.id) <= 3 for a in (left, right)):
            base = left.id + right.id
        value = gast.BinOp(left=left, op=node.op, right=right)
        return self.emit(value, Op(key, [left, right], label=_symbol(node.op)), hint, base)

    def expr_Compare(self, node, hint):
        left, right = self.expr(node.left), self.expr(node.comparators[0])
        value = gast.Compare(left=left, ops=node.ops, comparators=[right])
        return self.emit(value, Op("compare", [left, right], label="comparison"), hint, _compare_base(node))


_RELATIONS = {gast.Gt: "gt", gast.GtE: "ge", gast.Lt: "lt", gast.LtE: "le", gast.Eq: "eq", gast.NotEq: "ne"}


def _compare_base(node: gast.Compare) -> str:
    """A name that says what a comparison of the user's variable means: `out_positive` for
    `out > 0`, `steps_ge_10` for `steps >= 10`, `x_lt_y`; `cond` for anything longer."""
    left, relation, right = node.left, _RELATIONS.get(type(node.ops[0])), node.comparators[0]
    if not isinstance(left, gast.Name) or relation is None:
        return "cond"
    if is_number(right) and right.value == 0 and relation in ("gt", "lt"):
        return left.id + ("_positive" if relation == "gt" else "_negative")
    if isinstance(right, gast.Name):
        words = f"{left.id}_{relation}_{right.id}"
    elif is_number(right) and type(right.value) is int and right.value >= 0:
        words = f"{left.id}_{relation}_{right.value}"
    else:
        return "cond"
    return words if len(words) <= 24 else "cond"


def index_value(index, numpy_alias: str) -> gast.expr:
    """The index as a value a function can take: `np.s_[1:, i]` where it holds slices."""
    if not any(isinstance(n, gast.Slice) for n in walk_tree(index)):
        return index
    s_ = gast.Attribute(value=name(numpy_alias), attr="s_", ctx=gast.Load())
    return gast.Subscript(value=s_, slice=copy_tree(index), ctx=gast.Load())


def _symbol(op) -> str:
    return {
        gast.Add: "+",
        gast.Sub: "-",
        gast.Mult: "*",
        gast.Div: "/",
        gast.Pow: "**",
        gast.MatMult: "@",
        gast.FloorDiv: "//",
        gast.Mod: "%",
    }.get(type(op), type(op).__name__)
