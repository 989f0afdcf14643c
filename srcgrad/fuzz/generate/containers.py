"""Containers: parameters that are lists, tuples and dicts of arrays, the ways a function reads
them (items, library calls, slices, comprehensions, loops, unpacking), and lists the function
builds in a loop."""

from __future__ import annotations

import math
from dataclasses import replace

from ..program import HIGH, Param
from .base import (
    _DICT_NAMES,
    _INT_NAMES,
    _ITEM_NAMES,
    _KEY_NAMES,
    _LIST_BUILT,
    _LIST_NAMES,
    _PAIR_NAMES,
    _ROW_NAMES,
    _TUPLE_NAMES,
)
from .config import MAY_BE_REFUSED
from .scope import IntVar, Var, _Container, _is_pair, _Scope
from .shapes import (
    ATOM,
    MUL,
    PARAM_SIDE,
    SQUASH_ABOVE,
    Expr,
    _call,
    _fits_into,
    _paren,
    _paren_targets,
    _shape_ok,
    _tuple_text,
)


class _Containers:
    """Mixin of the builder (builder.py): container parameters, built lists, their reads."""

    def _container_param(self, dims, params: list, used: set, scope: _Scope) -> None:
        """A list, tuple or dict parameter (a list of (W, b) tuples for "nested_param")."""
        kinds = self.allowed(["list_param", "tuple_param", "nested_param", "dict_uniform"])
        if not kinds:
            return
        kind = self.choose(self.prefer(kinds))
        n = self.integer(2, 3)
        shape = self.choose([(dims["n"],), (dims["m"], dims["n"]), (dims["k"],), ()])
        if kind == "list_param":
            pool, ckind, keys, items = _LIST_NAMES, "list", tuple(range(n)), (shape,) * n
        elif kind == "tuple_param":
            pool, ckind, keys = _TUPLE_NAMES, "tuple", tuple(range(n))
            items = (shape,) * n
            if self.flip():  # (W, b)
                items, keys = ((dims["m"], dims["n"]), (dims["n"],)), (0, 1)
        elif kind == "nested_param":
            d = dims["n"]
            pool, ckind, keys, items = _LIST_NAMES, "list", tuple(range(n)), (((d, d), (d,)),) * n
        else:
            pool, ckind = _DICT_NAMES, "dict"
            keys = self.choose([("a", "b", "c"), ("w1", "w2", "w3")])[:n]
            items = (shape,) * n
        name = self.choose([p for p in pool if p not in used])
        used.add(name)
        wrt = not params or self.wants("container_param") or self.flip()
        if _is_pair(items[0]):
            leaves = tuple(((key, j), s) for key, item in zip(keys, items) for j, s in enumerate(item))
            kinds_ = (ckind, "tuple")
        else:
            leaves = tuple(((key,), s) for key, s in zip(keys, items))
            kinds_ = (ckind,)
        params.append(Param(name, None, wrt, leaves, kinds_))
        container = _Container(name, ckind, keys, items, HIGH)
        scope.containers[name] = container
        self.mark(kind, *([] if kind != "dict_uniform" else ["dict_param"]))
        if not wrt:
            self.mark("data_param")
        if self.config.allows("container_index") and self.flip():  # a leaf in reach everywhere
            key = self.choose(keys)
            item = items[keys.index(key)]
            text = container.read(key)
            if _is_pair(item):
                j = self.integer(0, len(item) - 1)
                text, item = f"{text}[{j}]", item[j]
            scope.vars[text] = Var(text, item, HIGH, assignable=False, dict_leaf=True)
            self.leaf_features[text] = "container_index"

    CONTAINER_FORMS = {  # form of _x_container -> the feature it shows
        "index": "container_index",
        "stack": "container_library",
        "concatenate": "container_library",
        "sum": "container_sum",
        "slice": "container_slice",
        "list_values": "list_of_values",
        "comprehension": "container_comprehension",
        "in_tuple": "container_in_tuple_library",
    }

    def _x_container(self, scope, depth, only: _Container | None = None, forms=None):
        """An expression reading a container: an item (`ws[1]`, `layers[0][1]`), the items
        through a library call (`np.stack(ws)`, `np.concatenate(list(d.values()))`,
        `sum(ws)`), a slice of them (`ws[1:]`), `list(d.values())[0]`, a comprehension."""
        pool = list(scope.containers.values()) if only is None else [only]
        if not pool:
            return None
        c = self.choose(pool)
        n = len(c.keys)
        if forms is None:
            forms = ["index"]
            if c.uniform and not c.pairs:
                forms += ["stack", "concatenate", "sum", "comprehension", "in_tuple"]
                forms += ["slice"] if c.kind != "dict" and n >= 2 else []
            if c.kind == "dict":
                forms += ["list_values"]
        forms = [f for f in forms if self.config.allows(f, self.CONTAINER_FORMS[f], *_uses(c, f))]
        forms = [f for f in forms if self._seldom_refused(c, f)]
        if not forms:
            return None
        form = self.choose(self.prefer(forms, lambda f: (self.CONTAINER_FORMS[f], *_uses(c, f))))
        self.mark(self.CONTAINER_FORMS[form], *_uses(c, form))
        if form == "index":
            i = self.integer(0, n - 1)
            key = c.keys[i]
            negative = self.config.allows("container_negative_index")
            if c.kind != "dict" and negative and (self.wants("container_negative_index") or self.flip()):
                key = i - n  # ws[-1]
                self.mark("container_negative_index")
            text, item = c.read(key), c.items[i]
            if _is_pair(item):
                j = self.integer(0, len(item) - 1)
                text, item = f"{text}[{j}]", item[j]
            return Expr(text, item, c.bound, ATOM, "?")
        s = c.items[0]
        values = c.values()
        if c.kind == "dict":
            self.mark("dict_values")
        if form == "in_tuple":  # np.concatenate((ws, vs)): lists as parts of a tuple argument
            same = [o for o in scope.containers.values() if o.uniform and not o.pairs and o.items[0] == s]
            other = self.choose(same) if self.flip() else None
            m = 0 if other is None else len(other.keys)
            parts = _tuple_text([values] + ([] if other is None else [other.values()]))
            if other is not None and other.built:
                self.mark("list_build_stack")
            if m == n and self.flip() and _shape_ok((2, n) + s):
                return Expr(f"np.stack({parts})", (2, n) + s, max(c.bound, other.bound))
            if _shape_ok((n + m,) + s):
                bound = c.bound if other is None else max(c.bound, other.bound)
                return Expr(f"np.concatenate({parts})", (n + m,) + s, bound)
            form = "stack"
        if form == "list_values":
            i = self.integer(0, n - 1)
            return Expr(f"list({c.name}.values())[{i}]", c.items[i], c.bound, ATOM, "?")
        if form == "slice":
            a = self.choose(["1:", ":-1", "::-1"])
            values = f"{c.name}[{a}]"
            n = n if a == "::-1" else n - 1
            form = self.choose(["stack"] + self.allowed(["container_sum"]))
        if form == "comprehension":
            inner = scope.child(indent=scope.indent)
            inner.in_loop = True
            w = self.fresh(inner, _ITEM_NAMES)
            self.comprehension_names.add(w)
            inner.vars[w] = Var(w, s, c.bound, dict_leaf=True)
            e = self.apply_elementwise(inner, self._leaf_of(inner.vars[w]))
            if c.kind == "dict":
                values = f"{c.name}.values()"
            if self.flip() and _shape_ok((n,) + e.shape):
                return Expr(f"np.stack([{e.text} for {w} in {values}])", (n,) + e.shape, e.bound)
            return Expr(f"sum({e.text} for {w} in {values})", e.shape, n * e.bound)
        if form in ("sum", "container_sum") or not _shape_ok((n,) + s):
            if not self.config.allows("container_sum"):
                return self._x_container(scope, depth, only=c, forms=["index"])
            if c.kind == "dict" and values.startswith("list(") and self.flip():
                values = f"{c.name}.values()"
            self.mark("container_sum")
            return Expr(f"sum({values})", s, n * c.bound)
        if form == "concatenate" and s:
            axis = self.choose([0, -1]) if len(s) > 1 else 0
            shape = list(s)
            shape[axis] *= n
            if _shape_ok(tuple(shape)):
                axis_arg = f", axis={axis}" if axis else ""
                return Expr(f"np.concatenate({values}{axis_arg})", tuple(shape), c.bound)
        return Expr(f"np.stack({values})", (n,) + s, c.bound)

    def _seldom_refused(self, c: _Container, form: str) -> bool:
        """Whether to read `c` in this form: a read srcgrad documents it refuses (MAY_BE_REFUSED:
        the items of a list the function built read back) only one time in five, or when
        `Config.focus` asks for it (else most programs with built lists would be refused)."""
        refused = [name for name in _uses(c, form) if name in MAY_BE_REFUSED]
        return not refused or self.wants(*refused) or self.integer(0, 4) == 4

    CONTAINER_LOOPS = {  # form of _stmt_container_loop -> the feature it shows
        "for": "container_for",
        "enumerate": "container_enumerate",
        "zip": "container_zip",
        "range_len": "container_range_len",
        "slice": "container_slice",
        "values": "dict_values",
        "items": "dict_items",
        "keys": "dict_keys",
    }

    def _item_targets(self, scope: _Scope, c: _Container, item, taken: dict):
        """Loop targets for one item of `c`: its text in the header and the variables."""
        reserved = replace(scope, vars={**scope.vars, **taken})
        if _is_pair(item):
            first, second = self.choose(_PAIR_NAMES)
            a = self.fresh(reserved, [first])
            b = self.fresh(replace(reserved, vars={**reserved.vars, a: None}), [second])
            targets = {
                a: Var(a, item[0], c.bound, dict_leaf=True),
                b: Var(b, item[1], c.bound, dict_leaf=True),
            }
            return f"{a}, {b}", targets
        w = self.fresh(reserved, _ITEM_NAMES)
        return w, {w: Var(w, item, c.bound, dict_leaf=True)}

    def _stmt_container_loop(self, scope, only: _Container | None = None):
        """A for loop over a container's items: `for w in ws`, `enumerate`, `zip`, `range(len(ws))`
        reading `ws[i]`, a slice, a dict's `.values()`, `.items()`, keys."""
        if not self.loop_ok(scope):
            return False
        pool = [c for c in scope.containers.values() if c.uniform] if only is None else [only]
        pool = [c for c in pool if c.uniform and (c.kind == "dict" or self.config.allows(*_uses(c, "loop")))]
        pool = [c for c in pool if self._seldom_refused(c, "loop")]
        if not pool:
            return False
        c = self.choose(
            self.prefer(pool, lambda c: ("dict_uniform",) if c.kind == "dict" else ("list_param",))
        )
        n, item = len(c.keys), c.items[0]
        if c.kind == "dict":
            forms = ["values", "items", "keys"]
        else:
            forms = ["for", "enumerate", "range_len"] + (["slice"] if n >= 2 else [])
            forms += ["zip"] if not c.pairs else []
        forms = [f for f in forms if self.config.allows(self.CONTAINER_LOOPS[f], *_uses(c, f))]
        if not forms:
            return False
        form = self.choose(self.prefer(forms, lambda f: (self.CONTAINER_LOOPS[f], *_uses(c, f))))
        index = self.fresh(scope, _INT_NAMES)
        reserved = {index: None}
        ints, trips, key = {}, n, None
        if form in ("for", "enumerate", "values", "slice"):
            text, targets = self._item_targets(scope, c, item, reserved)
            inside = c.name if c.kind != "dict" else f"{c.name}.values()"
            if form == "slice":
                a = self.choose(["1:", ":-1", "::-1"])
                inside, trips = f"{c.name}[{a}]", n if a == "::-1" else n - 1
            if form == "enumerate":
                text, inside = f"{index}, {_paren_targets(text)}", f"enumerate({inside})"
                ints = {index: IntVar(index, 0, n)}
            header = f"for {text} in {inside}:"
        elif form == "items":
            key = self.fresh(replace(scope, vars={**scope.vars, **reserved}), _KEY_NAMES)
            text, targets = self._item_targets(scope, c, item, {**reserved, key: None})
            header = f"for {key}, {text} in {c.name}.items():"
        elif form == "keys":
            key = self.fresh(replace(scope, vars={**scope.vars, **reserved}), _KEY_NAMES)
            targets = {
                f"{c.name}[{key}]": Var(f"{c.name}[{key}]", item, c.bound, assignable=False, dict_leaf=True)
            }
            direct = self.config.allows("dict_iter_direct") and (
                self.wants("dict_iter_direct") or self.flip()
            )
            header = f"for {key} in {c.name}{'' if direct else '.keys()'}:"
            if direct:
                self.mark("dict_iter_direct")
        elif form == "range_len":
            ints = {index: IntVar(index, 0, n)}
            read = f"{c.name}[{index}]"
            parts = [(f"{read}[{j}]", s) for j, s in enumerate(item)] if _is_pair(item) else [(read, item)]
            targets = {t: Var(t, s, c.bound, assignable=False, dict_leaf=True) for t, s in parts}
            header = f"for {index} in range(len({c.name})):"
        else:  # zip with another container, the same one shifted, or an array's rows
            text, targets = self._item_targets(scope, c, item, reserved)
            others = [o for o in scope.containers.values() if o.uniform and not o.pairs and o.name != c.name]
            arrays = [
                v for v in scope.vars.values() if v.shape and not v.accumulator and v.shape[0] <= PARAM_SIDE
            ]
            if not self.config.allows("container_zip_unequal"):  # a known bug: only equal lengths
                others = [o for o in others if len(o.keys) == n]
                arrays = [x for x in arrays if x.shape[0] == n]
            elif self.wants("container_zip_unequal"):
                others = [o for o in others if len(o.keys) < n] or others
                arrays = [x for x in arrays if x.shape[0] < n] or arrays
            kinds = (
                self.allowed(["container_slice"])
                + (["container"] if others else [])
                + (["rows"] if arrays else [])
            )
            if not kinds:
                return False
            kind = self.choose(self.prefer(kinds, lambda k: ("list_param",) if k == "container" else (k,)))
            if kind == "container":
                o = self.choose(others)
                other, more = self._item_targets(scope, o, o.items[0], {**reserved, **targets})
                partner, trips = o.values(), min(n, len(o.keys))
            elif kind == "rows":
                x = self.choose(arrays)
                other, _ = self._item_targets(scope, c, (), {**reserved, **targets})
                more = {other: Var(other, x.shape[1:], x.bound, dict_leaf=x.dict_leaf or not x.assignable)}
                partner, trips = x.name, min(n, x.shape[0])
            else:  # zip(ws, ws[1:])
                other, more = self._item_targets(scope, c, item, {**reserved, **targets})
                partner, trips = f"{c.name}[1:]", n - 1
                self.mark("container_slice")
            targets = {**targets, **more}
            header = f"for {text}, {other} in zip({c.name}, {partner}):"
            if trips < 1:
                return False
            if kind != "container_slice" and trips != n:
                self.mark("container_zip_unequal")
        self.mark(self.CONTAINER_LOOPS[form], *_uses(c, form))
        if form == "enumerate":
            self.mark("for_enumerate")
        loop, accs = self._enter_loop(scope, "for", trips)
        hidden = scope.hidden
        if key is not None:  # `d[k]` reads it: the body must not rebind it
            scope.hidden = hidden | {key}
        carry = self.wants(self.CONTAINER_LOOPS[form]) or self.flip()
        first = (lambda body: self._carry_through(body, targets)) if carry else None
        body = self._loop_body(scope, loop, accs, targets, ints, header, first)
        scope.hidden = hidden
        assignable = {name: var.assignable for name, var in scope.vars.items()}
        self._leave_loop(scope, loop, body)
        for name, var in scope.vars.items():
            var.assignable = assignable.get(name, var.assignable)
        keep = self.config.allows("target_after_loop")
        scope.vars = {k: v for k, v in scope.vars.items() if k not in targets or (keep and "[" not in k)}
        scope.last = scope.last if scope.last in scope.vars else None
        return True

    def _carry_through(self, body: _Scope, targets: dict) -> bool:
        """`x = np.tanh(x * w)`, `h = np.tanh(h @ W + b)`: a variable from outside the loop
        carried through the items (a network's layers), so that each item counts."""
        items = [body.vars[name] for name in targets if name in body.vars]
        outer = [
            v for v in body.vars.values() if v.name in body.loop.caps and v.assignable and not v.accumulator
        ]
        if len(items) == 2 and len(items[0].shape) == 2 and items[0].shape[0] == items[0].shape[1]:
            W, b = items
            fits = [
                v for v in outer if v.shape and v.shape[-1] == W.shape[0] and _fits_into(b.shape, v.shape)
            ]
            if not fits:
                return False
            v = self.choose(fits)
            e = Expr(f"np.tanh({_paren(self._leaf_of(v), MUL)} @ {W.name} + {b.name})", v.shape, 1.0)
        else:
            t = items[0]
            fits = [v for v in outer if _fits_into(t.shape, v.shape)]
            if not fits:
                return False
            v = self.choose(fits)
            op = self.choose(["*", "+"])
            e = Expr(
                f"np.tanh({_paren(self._leaf_of(v), MUL)} {op} {_paren(self._leaf_of(t), MUL + 1)})",
                v.shape,
                1.0,
            )
        e = self.prepare(body, v.name, e)
        if e is None:
            return False
        body.emit(f"{v.name} = {e.text}")
        self.record(body, v.name, e)
        return True

    def _stmt_container_unpack(self, scope, only: _Container | None = None):
        """`W, b = wb`: a tuple's (or a list's) items as variables."""
        pool = [c for c in scope.containers.values() if c.kind != "dict" and len(c.keys) <= 3]
        pool = pool if only is None else [c for c in pool if c is only]
        pool = [c for c in pool if self.config.allows(*_uses(c, "unpack"))]
        if not pool or not self.config.allows("container_unpack"):
            return False
        c = self.choose(pool)
        names, reserved = [], {}
        for item in c.items:
            if _is_pair(item):
                return False
            name = self.fresh(replace(scope, vars={**scope.vars, **reserved}))
            reserved[name] = None
            names.append(name)
        scope.emit(f"{', '.join(names)}{',' if len(names) == 1 else ''} = {c.name}")
        for name, item in zip(names, c.items):
            self.record(scope, name, Expr(name, item, c.bound, ATOM, "?"))
        self.mark("container_unpack", *_uses(c, "unpack"))
        return True

    def _stmt_list_build(self, scope):
        """`parts = []`, a loop doing `parts = parts + [item]`, then the list used: stacked,
        summed, iterated or passed on (it is a container from then on)."""
        if not self.loop_ok(scope):
            return False
        name = self.fresh(scope, _LIST_BUILT)
        arrays = [
            v for v in scope.vars.values() if v.shape and not v.accumulator and v.shape[0] <= PARAM_SIDE
        ]
        uniform = [c for c in scope.containers.values() if c.uniform and not c.pairs]
        uniform = [
            c for c in uniform if self.config.allows(*_uses(c, "values" if c.kind == "dict" else "loop"))
        ]
        kind = self.choose(["range"] + (["rows"] if arrays else []) + (["container"] if uniform else []))
        index = self.fresh(replace(scope, hidden=scope.hidden | {name}), _INT_NAMES)
        ints, targets = {}, {}
        if kind == "range":
            n = self.integer(1, 4)
            ints = {index: IntVar(index, 0, n)}
            header = f"for {index} in range({n}):"
        elif kind == "rows":
            x = self.choose(arrays)
            n = x.shape[0]
            row = self.fresh(replace(scope, hidden=scope.hidden | {name}), _ROW_NAMES)
            targets = {row: Var(row, x.shape[1:], x.bound, dict_leaf=x.dict_leaf or not x.assignable)}
            header = f"for {row} in {x.name}:"
            self.mark("for_rows")
        else:
            c = self.choose(uniform)
            n = len(c.keys)
            text, targets = self._item_targets(
                replace(scope, hidden=scope.hidden | {name}), c, c.items[0], {}
            )
            header = f"for {text} in {c.name if c.kind != 'dict' else c.name + '.values()'}:"
            self.mark("container_for" if c.kind != "dict" else "dict_values")
            self.mark(*_uses(c, "values" if c.kind == "dict" else "loop"))
        scope.emit(f"{name} = []")
        scope.hidden = scope.hidden | {name}
        loop, accs = self._enter_loop(scope, "for", n)
        loop.exits = False  # every iteration adds its item
        body = self._loop_body(scope, loop, accs, targets, ints, header)
        item = self.expr(body, 2)
        if body.is_accumulator(item.alias):
            item = _call("np.copy", item.text, shape=item.shape, bound=item.bound)
        if item.bound > SQUASH_ABOVE * 4:
            item = self.squash(item)
        body.emit(f"{name} = {name} + [{item.text}]")
        self._leave_loop(scope, loop, body)
        scope.vars = {k: v for k, v in scope.vars.items() if k not in targets}
        scope.last = scope.last if scope.last in scope.vars else None
        scope.hidden = scope.hidden - {name}
        built = _Container(name, "list", tuple(range(n)), (item.shape,) * n, item.bound, built=True)
        scope.containers[name] = built
        self.mark("list_build")
        if self.wants("list_build_unpack") and self._stmt_container_unpack(scope, only=built):
            return True
        if self.flip() and self._stmt_container_loop(scope, only=built):
            return True
        uses = [["stack", "sum", "concatenate", "index"]]
        if self.wants("list_build_concatenate"):  # its bug shows when the list is stacked too
            uses = [["stack"], ["concatenate"]]
        made = []
        for forms in uses:
            e = self._x_container(scope, 1, only=built, forms=forms)
            if e is None:
                return True
            target = self.fresh(scope)
            e = self.prepare(scope, target, e)
            scope.emit(f"{target} = {e.text}")
            self.record(scope, target, e)
            made.append(e)
        if len(made) == 2:  # both count
            target = self.fresh(scope)
            bound = sum(math.prod(e.shape) * e.bound for e in made)
            scope.emit(f"{target} = {' + '.join(f'np.sum({e.text})' for e in made)}")
            self.record(scope, target, Expr(target, (), bound))
        return True


def _uses(c: _Container, form: str) -> tuple[str, ...]:
    """The features a read of `c` in this form shows besides the form's own: for a list the
    function built, its items read one by one (an index, unpacking), iterated (a loop, a
    comprehension), concatenated, or stacked (or summed) at once; for a dict, its values
    taken as a list (`list(d.values())`, `sum(d.values())`) or iterated (`for v in
    d.values()`, `d.items()`, keys, a comprehension)."""
    if c.kind == "dict":
        if form in ("values", "items", "keys", "comprehension"):
            return ("dict_iter",)
        if form == "in_tuple":
            return ("dict_values_list", "dict_in_tuple_library")
        return ("dict_values_list",) if form not in ("index", "keys", "loop") else ()
    if not c.built:
        return ()
    if form in ("index", "unpack"):
        return ("list_build_index",) if form == "index" else ("list_build_unpack",)
    if form in ("comprehension", "loop", "for", "enumerate", "range_len", "slice", "zip"):
        return ("list_build_iter",)
    return ("list_build_concatenate",) if form == "concatenate" else ("list_build_stack",)
