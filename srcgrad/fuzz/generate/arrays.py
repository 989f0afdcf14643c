"""Operations on whole arrays: reductions, matrix products and contractions, indexing and
masks, shape operations (transpose, reshape, broadcast, ...), concatenation and stacking."""

from __future__ import annotations

import itertools
import math

from .shapes import (
    ATOM,
    MAX_NDIM,
    MUL,
    Expr,
    _call,
    _factorizations,
    _matmul_shape,
    _paren,
    _shape_ok,
    _tuple_text,
)


class _Arrays:
    """Mixin of the builder (builder.py): operations that change or reduce an array's shape."""

    REDUCTIONS = ["sum", "mean", "max", "min", "prod", "var", "std", "norm"]

    def _x_reduction(self, scope, depth, x=None):
        x = x or self.operand(scope, depth, lambda e: bool(e.shape))
        if x is None or not x.shape:
            return None
        fn = self.choose(self.allowed(self.REDUCTIONS))
        if fn == "std" and not self.config.allows("std_of_repeats") and self.repeats(scope, x.text):
            fn = "var"
        ndim = len(x.shape)
        axis_kind = self.choose(["none", "int", "negative"] + (["tuple"] if ndim >= 2 else []))
        if axis_kind == "none" or fn == "norm" and axis_kind == "tuple":
            axes = tuple(range(ndim))
            axis_text = None
        elif axis_kind == "tuple":
            a = self.integer(0, ndim - 1)
            b = self.choose([i for i in range(ndim) if i != a])
            axes = tuple(sorted((a, b)))
            axis_text = _tuple_text((a, b))
        else:
            a = self.integer(0, ndim - 1)
            axes = (a,)
            axis_text = str(a - ndim if axis_kind == "negative" else a)
        keepdims = axis_text is not None and self.integer(0, 2) == 2
        n = math.prod(x.shape[a] for a in axes)
        if fn == "prod":
            x = self.small(x, 1.0) if n > 3 else self.small(x, 1.5)
        bound = {
            "sum": n * x.bound,
            "mean": x.bound,
            "max": x.bound,
            "min": x.bound,
            "prod": x.bound**n,
            "var": x.bound**2,
            "std": x.bound,
            "norm": math.sqrt(n) * x.bound,
        }[fn]
        if keepdims:
            shape = tuple(1 if i in axes else s for i, s in enumerate(x.shape))
        else:
            shape = tuple(s for i, s in enumerate(x.shape) if i not in axes)
        args = []
        if axis_text is not None:
            args.append(f"axis={axis_text}")
            self.mark("reduction_axis")
        if keepdims:
            args.append("keepdims=True")
            self.mark("keepdims")
        if fn in ("var", "std") and n >= 2 and self.integer(0, 3) == 3:
            args.append("ddof=1")
            bound *= 2
        self.mark("reduction")
        if fn in ("max", "min"):
            self.mark("nonsmooth")
        if fn == "norm":
            return _call("np.linalg.norm", x.text, *args, shape=shape, bound=bound)
        if fn in ("sum", "mean", "max", "prod") and self.integer(0, 2) == 2:
            self.mark("method")
            return Expr(f"{_paren(x, ATOM)}.{fn}({', '.join(args)})", shape, bound)
        return _call(f"np.{fn}", x.text, *args, shape=shape, bound=bound)

    MATMULS = ["matmul", "np_matmul", "dot", "matmul", "einsum", "tensordot", "matmul", "inner", "outer"]

    def _x_matmul(self, scope, depth, x=None):
        x = x or self.operand(scope, depth, lambda e: bool(e.shape))
        if x is None or not x.shape:
            return None
        x = self.small(x)
        form = self.choose(self.allowed(self.MATMULS))
        self.mark("matmul")
        if form in ("einsum", "outer", "inner", "tensordot"):
            return self._contraction(scope, depth, x, form)
        partners = [
            e
            for e in (self._leaf_of(v) for v in scope.vars.values())
            if _shape_ok(_matmul_shape(x.shape, e.shape)[0])
            and (form != "dot" or (len(x.shape) <= 2 and len(e.shape) <= 2))
        ]
        if partners:
            y = self.small(self.choose(partners))
        elif len(x.shape) == 2:
            y = Expr(f"{_paren(x, ATOM)}.T", x.shape[::-1], x.bound, ATOM)
            if self.flip():
                x, y = y, x
            self.mark("transpose")
        else:
            return None
        shape, k = _matmul_shape(x.shape, y.shape)
        bound = k * x.bound * y.bound
        if form == "np_matmul":
            e = _call("np.matmul", x.text, y.text, shape=shape, bound=bound)
        elif form == "dot":
            self.mark("dot")
            e = _call("np.dot", x.text, y.text, shape=shape, bound=bound)
        else:
            e = Expr(f"{_paren(x, MUL)} @ {_paren(y, MUL + 1)}", shape, bound, MUL, plain=True)
        if e.shape and form == "matmul" and self.flip():
            chain = [v for v in scope.vars.values() if _shape_ok(_matmul_shape(e.shape, v.shape)[0])]
            if chain and e.bound <= 40.0:
                z = self.small(self._leaf_of(self.choose(chain)), 1.0)
                shape, k = _matmul_shape(e.shape, z.shape)
                e = Expr(f"{e.text} @ {_paren(z, MUL + 1)}", shape, k * e.bound * z.bound, MUL, plain=True)
                self.mark("matmul_chain")
        return e

    def _contraction(self, scope, depth, x, form):
        """np.einsum, np.tensordot, np.inner, np.outer on `x` and a variable that fits."""
        others = [self._leaf_of(v) for v in scope.vars.values() if v.shape]
        if form == "outer":
            if not others:
                return None
            y = self.small(self.choose(others))
            shape = (math.prod(x.shape), math.prod(y.shape))
            if not _shape_ok(shape):
                return None
            self.mark("outer")
            return _call("np.outer", x.text, y.text, shape=shape, bound=x.bound * y.bound)
        if form == "inner":
            fits = [y for y in others if y.shape[-1] == x.shape[-1]]
            fits = [y for y in fits if _shape_ok(x.shape[:-1] + y.shape[:-1])]
            if not fits:
                return None
            y = self.small(self.choose(fits))
            shape = x.shape[:-1] + y.shape[:-1]
            self.mark("inner")
            return _call("np.inner", x.text, y.text, shape=shape, bound=x.shape[-1] * x.bound * y.bound)
        if form == "tensordot":
            fits = [y for y in others if y.shape[0] == x.shape[-1] and _shape_ok(x.shape[:-1] + y.shape[1:])]
            if not fits:
                return None
            y = self.small(self.choose(fits))
            shape = x.shape[:-1] + y.shape[1:]
            self.mark("tensordot")
            bound = x.shape[-1] * x.bound * y.bound
            return _call("np.tensordot", x.text, y.text, "axes=1", shape=shape, bound=bound)
        letters = "ijk"[: len(x.shape)]
        patterns = []  # (subscripts, y or None, shape, contracted length)
        if len(x.shape) == 2:
            patterns.append(("ij->ji", None, x.shape[::-1], 1))
            patterns.append(("ij->j", None, x.shape[1:], x.shape[0]))
            if x.shape[0] == x.shape[1]:
                patterns.append(("ii->", None, (), x.shape[0]))
        for y in others:
            if len(x.shape) == 2 and len(y.shape) == 2 and y.shape[0] == x.shape[1]:
                patterns.append(("ij,jk->ik", y, (x.shape[0], y.shape[1]), x.shape[1]))
            if len(x.shape) == 2 and len(y.shape) == 1 and y.shape[0] == x.shape[1]:
                patterns.append(("ij,j->i", y, x.shape[:1], x.shape[1]))
            if y.shape == x.shape:
                patterns.append((f"{letters},{letters}->", y, (), math.prod(x.shape)))
        if not patterns:
            return None
        subscripts, y, shape, k = self.choose(patterns)
        self.mark("einsum")
        if y is None:
            return _call("np.einsum", f'"{subscripts}"', x.text, shape=shape, bound=k * x.bound)
        y = self.small(y)
        return _call("np.einsum", f'"{subscripts}"', x.text, y.text, shape=shape, bound=k * x.bound * y.bound)

    def _x_index(self, scope, depth, x=None):
        if x is not None and not self.viewable(scope)(x):
            return None
        x = x or self.operand(scope, depth, self.viewable(scope))
        if x is None:
            return None
        s, ndim = x.shape, len(x.shape)
        base = _paren(x, ATOM)
        n = s[0]
        kinds = ["int", "slice", "step", "reverse", "list_index", "take", "newaxis"]
        if ndim >= 2:
            kinds += ["column", "element", "slice2", "column_slice"]
        loop_ints = [t for t in scope.ints.values() if t.low >= 0]
        if loop_ints:
            kinds.append("loop")
        kind = self.choose(self.allowed(kinds))
        view = x.alias
        if kind == "int":
            i = self.integer(-n, n - 1)
            self.mark("index_int")
            return Expr(f"{base}[{i}]", s[1:], x.bound, ATOM, view)
        if kind == "loop":
            t = self.choose(loop_ints)
            self.mark("loop_index", "index_int")
            if t.high <= n:
                return Expr(f"{base}[{t.name}]", s[1:], x.bound, ATOM, view)
            return Expr(f"{base}[{t.name} % {n}]", s[1:], x.bound, ATOM, view)
        if kind == "slice":
            a = self.integer(0, n - 1)
            b = self.integer(a + 1, n)
            text = f"{a}:{b}" if b < n else f"{a}:"
            if a == 0 and b < n and self.flip():
                text = f":{b - n}" if b - n < 0 else f":{b}"
            self.mark("slice")
            return Expr(f"{base}[{text}]", (b - a,) + s[1:], x.bound, ATOM, view)
        if kind == "step":
            self.mark("slice")
            return Expr(f"{base}[::2]", ((n + 1) // 2,) + s[1:], x.bound, ATOM, view)
        if kind == "reverse":
            self.mark("slice")
            return Expr(f"{base}[::-1]", s, x.bound, ATOM, view)
        if kind == "list_index":
            idx = [self.integer(0, n - 1) for _ in range(self.integer(1, 4))]
            self.mark("fancy_index", "list_index")
            return Expr(f"{base}[{idx}]", (len(idx),) + s[1:], x.bound)
        if kind == "take":
            axis = self.integer(0, ndim - 1)
            idx = [self.integer(0, s[axis] - 1) for _ in range(self.integer(1, 3))]
            shape = s[:axis] + (len(idx),) + s[axis + 1 :]
            self.mark("fancy_index")
            return _call("np.take", x.text, str(idx), f"axis={axis}", shape=shape, bound=x.bound)
        if kind == "newaxis":
            if ndim >= MAX_NDIM:
                return None
            self.mark("newaxis")
            if self.flip():
                return Expr(f"{base}[None]", (1,) + s, x.bound, ATOM, view)
            return Expr(f"{base}[:, None]", s[:1] + (1,) + s[1:], x.bound, ATOM, view)
        m = s[1]
        if kind == "column":
            j = self.integer(-m, m - 1)
            self.mark("index_int")
            return Expr(f"{base}[:, {j}]", s[:1] + s[2:], x.bound, ATOM, view)
        if kind == "element":
            self.mark("index_int")
            i, j = self.integer(0, n - 1), self.integer(0, m - 1)
            return Expr(f"{base}[{i}, {j}]", s[2:], x.bound, ATOM, view)
        if kind == "slice2":
            if n < 2:
                return None
            self.mark("slice")
            return Expr(f"{base}[1:, ::2]", (n - 1, (m + 1) // 2) + s[2:], x.bound, ATOM, view)
        if m < 2:
            return None
        self.mark("slice")
        return Expr(f"{base}[:, 1:]", (n, m - 1) + s[2:], x.bound, ATOM, view)

    def _x_masked_sum(self, scope, depth):
        """`np.sum(x[x > c])`: a boolean mask, so the part read has a data-dependent size."""
        x = self.leaf(scope, self.viewable(scope))
        if x is None:
            return None
        same = [v for v in scope.vars.values() if v.shape == x.shape]
        m = self._leaf_of(self.choose(same))
        c = self.choose(["0.0", "0.3", "-0.3"])
        self.mark("mask_index", "nonsmooth")
        return _call("np.sum", f"{x.text}[{m.text} > {c}]", shape=(), bound=math.prod(x.shape) * x.bound)

    SHAPE_OPS = ["T", "transpose", "reshape", "ravel", "expand_dims", "squeeze", "swapaxes", "moveaxis"]
    SHAPE_OPS += ["flip", "roll", "broadcast_to", "tile", "repeat", "triangle", "diagonal", "pad"]
    SHAPE_OPS += ["atleast_2d"]

    def _x_shape_op(self, scope, depth, x=None):
        if x is not None and not self.viewable(scope)(x):
            return None
        x = x or self.operand(scope, depth, self.viewable(scope))
        if x is None:
            return None
        s, ndim, base = x.shape, len(x.shape), _paren(x, ATOM)
        op = self.choose(self.allowed(self.SHAPE_OPS))
        b, view = x.bound, x.alias
        self.mark("shape_op")
        if op == "T":
            if ndim < 2:
                return None
            self.mark("transpose")
            return Expr(f"{base}.T", s[::-1], b, ATOM, view)
        if op == "transpose":
            if ndim < 2:
                return None
            self.mark("transpose")
            perm = self.choose(list(itertools.permutations(range(ndim)))[1:])  # not the identity
            shape = tuple(s[p] for p in perm)
            if self.flip():
                return Expr(f"{base}.transpose({', '.join(map(str, perm))})", shape, b, ATOM, view)
            return _call("np.transpose", x.text, _tuple_text(perm), shape=shape, bound=b, alias=view)
        if op == "reshape":
            options = [t for t in _factorizations(math.prod(s)) if t != s]
            if not options:
                return None
            shape = self.choose(options)
            parts = list(shape)
            if len(parts) > 1 and self.flip():
                parts[self.integer(0, len(parts) - 1)] = -1
            self.mark("reshape")
            if self.flip():
                return Expr(f"{base}.reshape({', '.join(map(str, parts))})", shape, b, ATOM, view)
            return _call("np.reshape", x.text, _tuple_text(parts), shape=shape, bound=b, alias=view)
        if op == "ravel":
            self.mark("reshape")
            text = f"{base}.ravel()" if self.flip() else f"np.ravel({x.text})"
            return Expr(text, (math.prod(s),), b, ATOM, view)
        if op == "expand_dims":
            if ndim >= MAX_NDIM:
                return None
            axis = self.integer(-ndim - 1, ndim)
            shape = list(s)
            shape.insert(axis if axis >= 0 else ndim + 1 + axis, 1)
            return _call("np.expand_dims", x.text, str(axis), shape=shape, bound=b, alias=view)
        if op == "squeeze":
            if 1 not in s:
                return None
            return _call("np.squeeze", x.text, shape=tuple(d for d in s if d != 1), bound=b, alias=view)
        if op in ("swapaxes", "moveaxis"):
            if ndim < 2:
                return None
            a = self.integer(0, ndim - 1)
            c = self.choose([i for i in range(ndim) if i != a])
            self.mark("transpose")
            if op == "swapaxes":
                shape = list(s)
                shape[a], shape[c] = shape[c], shape[a]
            else:
                shape = list(s)
                shape.insert(c, shape.pop(a))
            return _call(f"np.{op}", x.text, str(a), str(c), shape=shape, bound=b, alias=view)
        if op == "flip":
            form = self.choose(["axis", "all", "ud", "lr"])
            if form == "lr" and ndim >= 2:
                return _call("np.fliplr", x.text, shape=s, bound=b, alias=view)
            if form == "ud":
                return _call("np.flipud", x.text, shape=s, bound=b, alias=view)
            if form == "axis":
                axis = f"axis={self.integer(0, ndim - 1)}"
                return _call("np.flip", x.text, axis, shape=s, bound=b, alias=view)
            return _call("np.flip", x.text, shape=s, bound=b, alias=view)
        if op == "roll":
            shift = self.choose([1, -1, 2])
            if self.flip():
                axis = f"axis={self.integer(0, ndim - 1)}"
                return _call("np.roll", x.text, str(shift), axis, shape=s, bound=b)
            return _call("np.roll", x.text, str(shift), shape=s, bound=b)
        if op == "broadcast_to":
            shape = (self.integer(2, 3),) + s
            if not _shape_ok(shape):
                return None
            self.mark("broadcast")
            return _call("np.broadcast_to", x.text, _tuple_text(shape), shape=shape, bound=b, alias=view)
        if op == "tile":
            shape = s[:-1] + (2 * s[-1],)
            if not _shape_ok(shape):
                return None
            return _call("np.tile", x.text, "2", shape=shape, bound=b)
        if op == "repeat":
            axis = self.integer(0, ndim - 1)
            shape = s[:axis] + (2 * s[axis],) + s[axis + 1 :]
            if not _shape_ok(shape):
                return None
            return _call("np.repeat", x.text, "2", f"axis={axis}", shape=shape, bound=b)
        if op == "triangle":
            if ndim != 2:
                return None
            return _call(f"np.{self.choose(['triu', 'tril'])}", x.text, shape=s, bound=b)
        if op == "diagonal":
            if ndim == 1:
                if not _shape_ok((s[0], s[0])):
                    return None
                return _call("np.diag", x.text, shape=(s[0], s[0]), bound=b)
            if ndim != 2:
                return None
            form = self.choose(["diagonal", "trace", "diag"])
            if form == "trace":
                self.mark("reduction")
                return _call("np.trace", x.text, shape=(), bound=min(s) * b)
            return _call(f"np.{form}", x.text, shape=(min(s),), bound=b, alias=view)
        if op == "pad":
            shape = tuple(d + 2 for d in s)
            if not _shape_ok(shape):
                return None
            return _call("np.pad", x.text, "1", shape=shape, bound=b)
        if ndim > 1:
            return None
        return _call("np.atleast_2d", x.text, shape=(1,) * (2 - ndim) + s, bound=b, alias=view)

    def _x_join(self, scope, depth, x=None):
        x = x or self.operand(scope, depth, lambda e: bool(e.shape))
        if x is None or not x.shape:
            return None
        s, ndim = x.shape, len(x.shape)
        form = self.choose(self.allowed(["concatenate", "stack", "hstack", "vstack"]))
        if form == "stack":
            axis = self.integer(-ndim - 1, ndim)
            partners = [v for v in scope.vars.values() if v.shape == s]
            shape = list(s)
            shape.insert(axis if axis >= 0 else ndim + 1 + axis, 2)
            axis_arg = [] if axis == 0 and self.flip() else [f"axis={axis}"]
        else:
            if form == "concatenate":
                axis = self.integer(0, ndim - 1)
            elif form == "hstack":
                axis = 0 if ndim == 1 else 1
            else:
                axis = 0
            if form == "vstack" and ndim == 1:
                partners = [v for v in scope.vars.values() if v.shape == s]
                shape = [2, s[0]]
            else:
                partners = [
                    v
                    for v in scope.vars.values()
                    if len(v.shape) == ndim and all(v.shape[i] == s[i] for i in range(ndim) if i != axis)
                ]
                shape = None
            axis_arg = [f"axis={axis}"] if form == "concatenate" and (axis != 0 or self.flip()) else []
        if partners and self.flip():
            y = self._leaf_of(self.choose(partners))
        else:
            y = self.apply_elementwise(scope, x)
        if shape is None:
            shape = list(s)
            shape[axis] = s[axis] + y.shape[axis]
        shape = tuple(shape)
        if not _shape_ok(shape):
            return None
        parts = f"[{x.text}, {y.text}]" if self.flip() else f"({x.text}, {y.text})"
        self.mark("stack" if form == "stack" or (form == "vstack" and ndim == 1) else "concatenate")
        return _call(f"np.{form}", parts, *axis_arg, shape=shape, bound=max(x.bound, y.bound))
