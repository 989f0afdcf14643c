"""Expressions: the choice of an expression's kind, leaves, the means that keep values small
(`squash`, `fit`), elementwise functions of one and two arguments, `np.where`, conditional
expressions and the conditions of branches."""

from __future__ import annotations

import math

from .base import _CONSTANTS, _span
from .scope import Var, _Scope
from .shapes import (
    ADD,
    ATOM,
    CMP,
    IFEXP,
    MUL,
    POW,
    SQUASH_ABOVE,
    UNARY,
    Expr,
    _broadcast,
    _call,
    _fits_into,
    _literal,
    _paren,
    _shape_ok,
    _tuple_text,
)


class _Expressions:
    """Mixin of the builder (builder.py): expressions, elementwise operations, conditions."""

    EXPRESSIONS = [
        "leaf",
        "unary",
        "binary",
        "reduction",
        "matmul",
        "index",
        "shape_op",
        "join",
        "where",
        "ifexp",
        "comprehension",
        "helper_expr",
        "masked_sum",
    ]

    def expr(self, scope: _Scope, depth: int) -> Expr:
        return self._draw(_span(self, self._expr, scope, depth))

    def _expr(self, scope: _Scope, depth: int) -> Expr:
        kinds = self.allowed(self.EXPRESSIONS if depth > 0 else ["leaf", "unary"])
        if self.imported:
            kinds += self.allowed(["imported"])
        if scope.containers:
            kinds += self.allowed(["container"] + (["container_helper"] if depth > 0 else []))
        kinds = self.prefer(kinds)
        for _ in range(4):
            kind = self.choose(kinds)
            e = getattr(self, f"_x_{kind}")(scope, depth)
            if e is not None:
                return e
        return self.leaf(scope)

    def apply(self, scope: _Scope, x: Expr, depth: int) -> Expr:
        """An operation with `x` as its first operand."""
        kinds = self.allowed(["unary", "binary", "reduction", "matmul", "index", "shape_op", "join", "where"])
        if self.imported:
            kinds += self.allowed(["imported"])
        for _ in range(4):
            e = getattr(self, f"_x_{self.choose(kinds)}")(scope, depth, x)
            if e is not None:
                return e
        return self._x_unary(scope, depth, x)

    def operand(self, scope: _Scope, depth: int, ok=lambda e: True) -> Expr | None:
        if depth > 0 and self.integer(0, 2) == 2:
            e = self.expr(scope, depth - 1)
            if ok(e):
                return e
        return self.leaf(scope, ok)

    def _leaf_of(self, var: Var) -> Expr:
        return Expr(var.name, var.shape, var.bound, ATOM, var.name)

    def leaf(self, scope: _Scope, ok=lambda e: True) -> Expr | None:
        leaves = [self._leaf_of(v) for v in scope.vars.values()]
        leaves = [e for e in leaves if ok(e)]
        if not leaves:
            return None
        return self.choose(leaves)

    def _x_leaf(self, scope, depth):
        return self.leaf(scope)

    def viewable(self, scope: _Scope):
        """May be viewed (indexed, transposed, iterated): an array that is no accumulator."""
        return lambda e: bool(e.shape) and not scope.is_accumulator(e.alias)

    def squash(self, e: Expr) -> Expr:
        """`e` mapped into [-1, 1] (so that what is built from it stays small)."""
        form = self.choose(["tanh", "sin", "ratio"])
        self.mark("elementwise")
        if form == "ratio":
            return Expr(f"{_paren(e, MUL)} / (1 + {_paren(e, MUL + 1)} ** 2)", e.shape, 0.5, MUL)
        return _call(f"np.{form}", e.text, shape=e.shape, bound=1.0)

    def small(self, e: Expr, limit: float = SQUASH_ABOVE) -> Expr:
        return self.squash(e) if e.bound > limit else e

    def fit(self, scope: _Scope, e: Expr, target) -> Expr:
        """`e`, or a reduction of it, with a shape that broadcasts to exactly `target`."""
        if _fits_into(e.shape, target):
            return e
        for k in range(1, len(e.shape)):
            if _fits_into(e.shape[k:], target):
                n = math.prod(e.shape[:k])
                axis = "0" if k == 1 else _tuple_text(range(k))
                self.mark("reduction", "reduction_axis")
                return _call("np.sum", e.text, f"axis={axis}", shape=e.shape[k:], bound=n * e.bound)
        self.mark("reduction")
        if self.flip():
            return _call("np.mean", e.text, shape=(), bound=e.bound)
        return _call("np.sum", e.text, shape=(), bound=math.prod(e.shape) * e.bound)

    def expr_with_shape(self, scope: _Scope, shape, first: Expr | None = None, depth: int = 1) -> Expr:
        """An expression of exactly `shape` (for both arms of a branch, or a loop-carried value)."""
        if first is not None:
            kinds = self.allowed(["unary", "binary", "where"])
            e = getattr(self, f"_x_{self.choose(kinds)}")(scope, 1, first)
            if e is None or e.shape != shape:
                e = self._x_unary(scope, 1, first)
        else:
            same = [v for v in scope.vars.values() if v.shape == tuple(shape)]
            if same and self.flip():
                e = self.apply_elementwise(scope, self._leaf_of(self.choose(same)))
            else:
                e = self.fit(scope, self.expr(scope, depth), shape)
        if e.shape == tuple(shape):
            return e
        form = self.choose(["zeros", "broadcast_to", "ones"])
        s = _tuple_text(shape)
        self.mark("broadcast")
        if form == "zeros":
            return Expr(f"np.zeros({s}) + {_paren(e, ADD + 1)}", tuple(shape), e.bound, ADD)
        if form == "ones":
            return Expr(f"{_paren(e, MUL)} * np.ones({s})", tuple(shape), e.bound, MUL)
        self.mark("shape_op")
        return _call("np.broadcast_to", e.text, s, shape=shape, bound=e.bound, alias=e.alias)

    def apply_elementwise(self, scope, x):
        kinds = self.allowed(["unary", "binary"])
        e = getattr(self, f"_x_{self.choose(kinds)}")(scope, 1, x)
        return e if e is not None and e.shape == x.shape else self._x_unary(scope, 1, x)

    # Elementwise functions of one argument: (name, render(x) -> (text, prec), bound(b),
    # allowed(x), smooth). Each keeps the value bounded for a bounded x; `allowed` refuses an
    # x whose bound would make the result too big.
    UNARY = [
        ("tanh", lambda x: (f"np.tanh({x.text})", ATOM), lambda b: min(b, 1.0), None, True),
        ("sin", lambda x: (f"np.sin({x.text})", ATOM), lambda b: min(b, 1.0), None, True),
        ("cos", lambda x: (f"np.cos({x.text})", ATOM), lambda b: 1.0, None, True),
        ("sigmoid", lambda x: (f"1 / (1 + np.exp(-{_paren(x, POW)}))", MUL), lambda b: 1.0, None, True),
        ("exp", lambda x: (f"np.exp({x.text})", ATOM), math.exp, lambda b: b <= 2.5, True),
        ("gauss", lambda x: (f"np.exp(-{_paren(x, POW + 1)} ** 2)", ATOM), lambda b: 1.0, None, True),
        (
            "log_sq",
            lambda x: (f"np.log(1 + {_paren(x, UNARY)} * {_paren(x, UNARY)})", ATOM),
            lambda b: math.log1p(b * b),
            None,
            True,
        ),
        (
            "log1p_sq",
            lambda x: (f"np.log1p({_paren(x, POW + 1)} ** 2)", ATOM),
            lambda b: math.log1p(b * b),
            None,
            True,
        ),
        (
            "sqrt_sq",
            lambda x: (f"np.sqrt({_paren(x, UNARY)} * {_paren(x, UNARY)} + 1)", ATOM),
            lambda b: math.sqrt(b * b + 1),
            None,
            True,
        ),
        (
            "ratio",
            lambda x: (f"{_paren(x, MUL)} / (1 + {_paren(x, UNARY)} * {_paren(x, UNARY)})", MUL),
            lambda b: min(b, 0.5),
            None,
            True,
        ),
        ("arctan", lambda x: (f"np.arctan({x.text})", ATOM), lambda b: min(b, math.pi / 2), None, True),
        ("square", lambda x: (f"np.square({x.text})", ATOM), lambda b: b * b, lambda b: b <= 4, True),
        ("pow2", lambda x: (f"{_paren(x, POW + 1)} ** 2", POW), lambda b: b * b, lambda b: b <= 4, True),
        ("pow3", lambda x: (f"{_paren(x, POW + 1)} ** 3", POW), lambda b: b**3, lambda b: b <= 2.5, True),
        ("neg", lambda x: (f"-{_paren(x, POW)}", UNARY), lambda b: b, None, True),
        ("scale", lambda x: (f"0.5 * {_paren(x, MUL + 1)}", MUL), lambda b: 0.5 * b, None, True),
        ("affine", lambda x: (f"{_paren(x, MUL)} * 1.5 + 0.25", ADD), lambda b: 1.5 * b + 0.25, None, True),
        ("sinh", lambda x: (f"np.sinh({x.text})", ATOM), math.sinh, lambda b: b <= 2.5, True),
        ("cosh", lambda x: (f"np.cosh({x.text})", ATOM), math.cosh, lambda b: b <= 2.5, True),
        ("expm1", lambda x: (f"np.expm1({x.text})", ATOM), math.expm1, lambda b: b <= 2.5, True),
        ("hypot1", lambda x: (f"np.hypot({x.text}, 1.0)", ATOM), lambda b: math.hypot(b, 1), None, True),
        (
            "softsign",
            lambda x: (f"{_paren(x, MUL)} / (1 + np.abs({x.text}))", MUL),
            lambda b: min(b, 1.0),
            None,
            True,
        ),
        ("copy", lambda x: (f"np.copy({x.text})", ATOM), lambda b: b, None, True),
        ("abs", lambda x: (f"np.abs({x.text})", ATOM), lambda b: b, None, False),
        ("abs_builtin", lambda x: (f"abs({x.text})", ATOM), lambda b: b, None, False),
        ("relu", lambda x: (f"np.maximum({x.text}, 0.0)", ATOM), lambda b: b, None, False),
        (
            "leaky_relu",
            lambda x: (f"np.maximum({x.text}, 0.1 * {_paren(x, MUL + 1)})", ATOM),
            lambda b: b,
            None,
            False,
        ),
        ("clip", lambda x: (f"np.clip({x.text}, -0.5, 0.5)", ATOM), lambda b: min(b, 0.5), None, False),
        ("sign_mul", lambda x: (f"np.sign({x.text}) * {_paren(x, MUL + 1)}", MUL), lambda b: b, None, False),
    ]
    UNARY_ARRAY = ["clip_method", "cumsum", "sort"]  # need an array (methods, axes)

    def _x_unary(self, scope, depth, x=None):
        x = x or self.operand(scope, depth)
        table = {name: (render, bound, ok, smooth) for name, render, bound, ok, smooth in self.UNARY}
        names = [n for n, (_, _, ok, _) in table.items() if ok is None or ok(x.bound)]
        if x.shape:
            names += self.UNARY_ARRAY
        name = self.choose(self.allowed(names))
        self.mark("elementwise")
        if name == "clip_method":
            self.mark("method", "nonsmooth")
            return Expr(f"{_paren(x, ATOM)}.clip(-1.0, 1.0)", x.shape, min(x.bound, 1.0))
        if name == "cumsum":
            axis = self.integer(-len(x.shape), len(x.shape) - 1)
            self.mark("cumulative")
            return _call("np.cumsum", x.text, f"axis={axis}", shape=x.shape, bound=x.shape[axis] * x.bound)
        if name == "sort":
            self.mark("nonsmooth", "sort")
            return _call("np.sort", x.text, shape=x.shape, bound=x.bound)
        render, bound, _, smooth = table[name]
        if not smooth:
            self.mark("nonsmooth")
        text, prec = render(x)
        return Expr(text, x.shape, bound(x.bound), prec)

    BINARY = ["add", "sub", "mul", "div_safe", "div_cos", "maximum", "minimum", "logaddexp"]
    BINARY += ["pow_var", "hypot", "np_add", "np_multiply"]

    def partner(self, scope: _Scope, x: Expr, depth: int) -> Expr:
        """A second operand that broadcasts with `x` (a variable, a constant, or a loop index)."""
        kinds = ["variable", "constant"]
        if scope.ints:
            kinds.append("index")
        kind = self.choose(kinds)
        if kind == "variable":
            y = self.operand(scope, depth, lambda e: _shape_ok(_broadcast(x.shape, e.shape)))
            if y is not None:
                return y
        if kind == "index":
            t = self.choose(list(scope.ints.values()))
            self.mark("loop_index")
            return Expr(f"({t.name} + 1) * 0.5", (), (abs(t.high) + 1) * 0.5, MUL)
        if self.flip() and self.config.allows("module_constant"):
            self.uses_constant = True
            return Expr("SCALE", (), 0.7)
        return _literal(self.choose(_CONSTANTS))

    def _x_binary(self, scope, depth, x=None):
        x = x or self.operand(scope, depth)
        y = self.partner(scope, x, depth)
        if self.flip() and y.alias is None and y.text[0].isdigit():
            x, y = y, x  # `2.0 * x` as well as `x * 2.0`
        shape = _broadcast(x.shape, y.shape)
        name = self.choose(self.allowed(self.BINARY))
        self.mark("elementwise")
        if x.shape != y.shape and x.shape and y.shape:
            self.mark("broadcast")
        if name in ("add", "sub", "np_add"):
            bound = x.bound + y.bound
            if name == "np_add":
                return _call("np.add", x.text, y.text, shape=shape, bound=bound)
            op = "+" if name == "add" else "-"
            return Expr(f"{_paren(x, ADD)} {op} {_paren(y, ADD + 1)}", shape, bound, ADD, plain=True)
        if name in ("mul", "np_multiply"):
            x, y = self.small(x), self.small(y)
            if name == "np_multiply":
                return _call("np.multiply", x.text, y.text, shape=shape, bound=x.bound * y.bound)
            text = f"{_paren(x, MUL)} * {_paren(y, MUL + 1)}"
            return Expr(text, shape, x.bound * y.bound, MUL, plain=True)
        if name == "div_safe":
            text = f"{_paren(x, MUL)} / (1 + {_paren(y, UNARY)} * {_paren(y, UNARY)})"
            return Expr(text, shape, x.bound, MUL)
        if name == "div_cos":
            return Expr(f"{_paren(x, MUL)} / (2 + np.cos({y.text}))", shape, x.bound, MUL)
        if name in ("maximum", "minimum"):
            self.mark("nonsmooth", "maximum")
            return _call(f"np.{name}", x.text, y.text, shape=shape, bound=max(x.bound, y.bound))
        if name == "logaddexp":
            return _call("np.logaddexp", x.text, y.text, shape=shape, bound=max(x.bound, y.bound) + 0.7)
        if name == "pow_var":
            x = self.small(x)
            text = f"(1 + {_paren(x, UNARY)} * {_paren(x, UNARY)}) ** np.tanh({y.text})"
            self.mark("power")
            return Expr(text, shape, 1 + x.bound**2, POW)
        return _call("np.hypot", x.text, y.text, shape=shape, bound=x.bound + y.bound)

    def _x_where(self, scope, depth, x=None):
        x = x or self.operand(scope, depth)
        y = self.partner(scope, x, depth)
        c = self.leaf(scope, lambda e: _shape_ok(_broadcast(e.shape, x.shape, y.shape))) or x
        shape = _broadcast(c.shape, x.shape, y.shape)
        threshold = self.choose(["0.0", "0.5", "-0.3"])
        self.mark("where", "nonsmooth")
        cond = f"{_paren(c, CMP + 1)} > {threshold}"
        return _call("np.where", cond, x.text, y.text, shape=shape, bound=max(x.bound, y.bound))

    def _x_ifexp(self, scope, depth, x=None):
        if not self.branch_ok(scope):
            return None
        x = x or self.expr(scope, max(depth - 1, 0))
        other = self.expr_with_shape(scope, x.shape, depth=max(depth - 1, 0))
        cond = self.condition(scope)
        self.mark("ifexp", *(["branch_in_loop"] if scope.in_loop else []))
        alias = other.alias if scope.is_accumulator(other.alias) else (x.alias or other.alias)
        text = f"{_paren(x, IFEXP + 1)} if {cond} else {_paren(other, IFEXP)}"
        return Expr(text, x.shape, max(x.bound, other.bound), IFEXP, alias)

    # -- conditions ----------------------------------------------------------------------------

    def condition(self, scope: _Scope) -> str:
        kinds = ["sum", "mean", "max", "scalar", "norm"]
        if scope.ints:
            kinds += ["int_parity", "int_compare"]
        arrays = [v for v in scope.vars.values() if v.shape]
        if arrays:
            kinds.append("shape")
        kind = self.choose(kinds)
        c = self.choose(["0.0", "0.5", "-0.5", "1.0"])
        if kind in ("int_parity", "int_compare"):
            t = self.choose(list(scope.ints.values()))
            self.mark("branch_static")
            if kind == "int_parity":
                return f"{t.name} % 2 == 0"
            return f"{t.name} > {self.integer(t.low, max(t.low, t.high - 1))}"
        if kind == "shape":
            self.mark("branch_static")
            return f"{self.choose(arrays).name}.shape[0] > 2"
        self.mark("branch_data", "nonsmooth")
        e = self.operand(scope, 1)
        if kind == "scalar":
            e = self.fit(scope, e, ())
            return f"{_paren(e, CMP + 1)} > {c}"
        if kind == "norm":
            return f"np.linalg.norm({e.text}) > 1.0"
        op = "<" if kind == "mean" else ">"
        return f"np.{kind}({e.text}) {op} {c}"
