"""The module around the main function: helper functions it calls (and that call each other),
functions imported by bare name, data at module level, and the factory that makes the main
function a closure."""

from __future__ import annotations

import math
import re
from dataclasses import replace

from .base import (
    _CONTAINER_PARAMS,
    _DEFAULT_NAMES,
    _FACTORY_LOCALS,
    _FACTORY_NAMES,
    _FACTORY_PARAMS,
    _GLOBAL_NAMES,
    _HELPER_NAMES,
    _HELPER_PARAMS,
    _IMPORTABLE,
    _RESERVED,
)
from .scope import Var, _Container, _Factory, _Helper, _Scope
from .shapes import ADD, ATOM, IFEXP, MAX_HELPER_DEPTH, MUL, POW, Expr, _call, _paren


class _Helpers:
    """Mixin of the builder (builder.py): the module's other functions and its data."""

    # -- the module around the main function ---------------------------------------------------

    def _module_level(self, dims, scope: _Scope) -> None:
        """What the module holds besides functions: bare-name imports, data arrays the
        functions read as globals, and the factory whose closure the main function may be."""
        for module, names in _IMPORTABLE.items():
            feature = "bare_import" if module == "numpy" else "scipy_import"
            if self.config.allows(feature) and (self.wants(feature) or self.integer(0, 3) == 3):
                chosen = [n for n in names if self.flip()] or [names[0]]
                self.imports[module] = chosen
                self.imported += chosen
        self.module_names.update(self.imported)
        if self.config.allows("module_data") and (self.wants("module_data") or self.integer(0, 3) == 3):
            for _ in range(self.integer(1, 2)):
                name = self.fresh(scope, _GLOBAL_NAMES)
                shape = self.choose([(dims["n"],), (dims["m"], dims["n"]), (), (dims["m"],)])
                if shape == ():
                    value = self.choose([0.3, -0.6, 1.2])
                    self.global_lines.append(f"{name} = {value!r}")
                    bound = abs(value)
                else:
                    self.global_lines.append(f"{name} = {_data_text(shape, '')}")
                    bound = 1.0
                self.module_names.add(name)
                self.globals[name] = Var(name, shape, bound, assignable=False)
                scope.vars[name] = replace(self.globals[name])
            self.mark("module_data")
        if self.config.allows("closure_main") and (self.wants("closure_main") or self.integer(0, 4) == 4):
            self._factory(dims, scope)

    def _factory(self, dims, scope: _Scope) -> None:
        name = self.fresh(scope, _FACTORY_NAMES)
        self.module_names.add(name)
        factory = _Factory(name, [], [], {})
        for _ in range(self.integer(1, 2)):
            param = self.fresh(scope, _FACTORY_PARAMS)
            value = self.choose([0.5, -1.0, 1.5, 0.25, 2.0])
            factory.args.append((param, repr(value)))
            factory.vars[param] = Var(param, (), abs(value), assignable=False)
            self.module_names.add(param)
        if self.flip():  # a local of the factory that the closure reads
            local = self.fresh(scope, _FACTORY_LOCALS)
            shape = self.choose([(dims["n"],), (dims["m"], dims["n"])])
            factory.lines.append(f"{local} = {_data_text(shape, factory.args[0][0] + ' * ')}")
            factory.vars[local] = Var(local, shape, 1.0, assignable=False)
            self.module_names.add(local)
        for var in factory.vars.values():
            scope.vars[var.name] = replace(var)
        scope.in_factory = True
        self.factory = factory
        self.mark("closure_main")

    def _closure_defaults(self, scope: _Scope) -> None:
        """`def loss(x, y=alpha)`: parameters with defaults from the factory (not passed)."""
        if not self.config.allows("closure_default") or not (self.wants("closure_default") or self.flip()):
            return
        source = self.choose(sorted(self.factory.vars))
        same = self.config.allows("closure_default_shadow")
        same = same and (self.wants("closure_default_shadow") or self.flip())
        name = source if same else self.fresh(scope, _DEFAULT_NAMES)
        self.factory.defaults.append(f"{name}={source}")
        scope.vars[name] = replace(self.factory.vars[source], name=name)
        self.module_names.add(name)
        self.param_names.add(name)
        self.mark("closure_default", *(["closure_default_shadow"] if same else []))

    # -- functions imported by bare name -------------------------------------------------------

    def _x_imported(self, scope, depth, x=None):
        """`tanh(x)`, `exp(x)`, `expit(x)`, `gammaln(2.0 + x ** 2)`, `logsumexp(x, axis=0)`:
        functions the module imported by bare name."""
        if not self.imported:
            return None
        if scope.helper_depth > 0:  # see known bugs "bare_import_return", "bare_import_helper"
            feature = "bare_import_return" if self.in_return else "bare_import_helper"
            if not self.config.allows(feature):
                return None
            self.mark(feature)
        scipy = _IMPORTABLE["scipy.special"]
        fn = self.choose(
            self.prefer(self.imported, lambda n: ("scipy_import" if n in scipy else "bare_import",))
        )
        x = x or self.operand(scope, depth)
        self.used_imports.add(fn)
        self.mark("bare_import" if fn in _IMPORTABLE["numpy"] else "scipy_import")
        if fn == "tanh":
            return _call(fn, x.text, shape=x.shape, bound=min(x.bound, 1.0))
        if fn == "expit":
            return _call(fn, x.text, shape=x.shape, bound=1.0)
        if fn == "exp":
            x = self.small(x, 2.5)
            return _call(fn, x.text, shape=x.shape, bound=math.exp(x.bound))
        if fn == "gammaln":
            x = self.small(x)
            return _call(
                fn, f"2.0 + {_paren(x, POW + 1)} ** 2", shape=x.shape, bound=math.lgamma(2 + x.bound**2)
            )
        n, shape, args = math.prod(x.shape), (), []
        if len(x.shape) >= 1 and self.flip():
            axis = self.integer(0, len(x.shape) - 1)
            n, shape = x.shape[axis], tuple(d for i, d in enumerate(x.shape) if i != axis)
            args = [f"axis={axis}"]
            self.mark("reduction_axis")
        self.mark("reduction")
        return _call(fn, x.text, *args, shape=shape, bound=x.bound + math.log(n))

    # -- helpers -----------------------------------------------------------------------------

    def _stmt_helper_call(self, scope):
        call = self.helper_call(scope, want=self.choose([1, 2]))
        if call is None:
            return False
        text, results = call
        if len(results) == 1:
            name = self.fresh(scope)
            e = self.prepare(scope, name, replace(results[0], text=text))
            scope.emit(f"{name} = {e.text}")
            self.record(scope, name, e)
            return True
        first = self.fresh(scope)
        second = self.fresh(replace(scope, vars={**scope.vars, first: None}))
        scope.emit(f"{first}, {second} = {text}")
        for name, e in zip((first, second), results):
            self.record(scope, name, replace(e, alias="?"))
        self.mark("helper_tuple")
        return True

    def helper_call(self, scope: _Scope, want: int):
        """`helper(args)` text and its results: a helper defined for these shapes, or one
        already defined whose parameters these variables fit."""
        if scope.helper_depth >= MAX_HELPER_DEPTH:
            return None
        candidates = [v for v in scope.vars.values() if not v.accumulator]
        if not candidates:
            return None
        reusable = []
        for helper in self.helpers:
            if len(helper.returns) != want or (scope.in_loop and not helper.in_loop) or scope.in_tuple_loop:
                continue  # a helper made for straight-line code may hold what loops may not
            if helper.container or (helper.closure and not scope.in_factory):
                continue  # made for one call; or not reachable from here
            args = []
            for _, shape, bound in helper.params:
                fits = [v for v in candidates if v.shape == shape and v.bound <= bound]
                if not fits:
                    break
                args.append(self.choose(fits))
            else:
                reusable.append((helper, args))
        if reusable and self.flip():
            helper, args = self.choose(reusable)
            self.mark("helper_reused")
        else:
            args = [self.choose(candidates) for _ in range(self.integer(1, 3))]
            helper = self._define_helper(scope, args, want)
        parts, keyword = [], False
        for (pname, _, _), arg in zip(helper.params, args):
            keyword = keyword or (len(parts) > 0 and self.integer(0, 3) == 3)  # then all keywords
            parts.append(f"{pname}={arg.name}" if keyword else arg.name)
            if keyword:
                self.mark("helper_kwarg")
        if helper.keyword is not None and self.flip():
            value = self.choose([1.5, 0.5, 2.0])
            parts.append(f"{helper.keyword[0]}={value}")
            self.mark("helper_kwarg")
        if scope.helper_depth > 0:
            self.mark("helper_nested")
        self.mark("helper")
        text = f"{helper.name}({', '.join(parts)})"
        return text, [Expr(text, shape, bound, ATOM, "?") for shape, bound in helper.returns]

    def _define_helper(
        self, scope: _Scope, args: list[Var], want: int, container: _Container | None = None, packed=False
    ) -> _Helper:
        """A new helper for these arguments (and `container`, passed whole or, `packed`, as the
        only item of a tuple). It may be a closure in the main function's factory, shadow a
        module global with a parameter or a local, reuse names the caller uses, and return a
        call of a function imported by bare name."""
        name = self.fresh(_Scope(out=[], indent=0, vars={}), _HELPER_NAMES)
        self.module_names.add(name)
        in_return, self.in_return = self.in_return, False  # (this helper may be in a caller's return)
        names = []
        for _ in args:
            names.append(self.choose([p for p in _HELPER_PARAMS if p not in names]))
        closure = self.factory is not None and scope.in_factory and self.config.allows("closure_helper")
        closure = closure and (self.wants("closure_helper") or self.integer(0, 2) == 2)
        shadowed = None
        shadow = self.config.allows("shadow_global") and (
            self.wants("shadow_global") or self.integer(0, 2) == 2
        )
        if self.globals and shadow:
            shadowed = self.choose(sorted(self.globals))
            if names and self.flip():  # `def predict(w, inputs): inputs = np.tanh(inputs)`
                names[self.integer(0, len(names) - 1)] = shadowed
        params = [(p, a.shape, max(a.bound, 2.0)) for p, a in zip(names, args)]
        keyword = ("scale", 0.5) if self.flip() else None
        inner = _Scope(
            in_tuple_loop=scope.in_tuple_loop,
            out=[],
            indent=1,
            vars={},
            depth=scope.depth + 1,
            helper_depth=scope.helper_depth + 1,
            in_loop=scope.in_loop,
            in_factory=closure,
        )
        for var in self.globals.values():
            inner.vars[var.name] = replace(var)
        if closure:
            for var in self.factory.vars.values():
                inner.vars[var.name] = replace(var)
        for p, shape, bound in params:  # a call may bind one to a dict's leaf
            inner.vars[p] = Var(p, shape, bound, dict_leaf=True)
        if keyword is not None:  # stays a float: the results may scale by it at the end
            inner.vars[keyword[0]] = Var(keyword[0], (), 2.0, assignable=False)
        if self.config.allows("shadow_local") and (self.wants("shadow_local") or self.flip()):
            protected = self.module_names - self.param_names
            inner.shadow = frozenset(self.param_names | self.main_locals | self.helper_locals) - protected
            inner.shadow -= set(inner.vars)
        lead, prologue = [], 0
        if container is not None:
            taken = set(inner.vars) | self.module_names - self.param_names | _RESERVED
            pool = [container.name] if container.name not in taken and self.flip() else []
            cname = self.choose(pool or [n for n in _CONTAINER_PARAMS if n not in taken])
            if packed:  # `odeint(rhs, y0, t, (params,))`: the helper takes the tuple apart
                outer = self.choose(["args", "packed", "extra"])
                lead = [outer]
                inner.emit(
                    self.choose([f"{cname}, = {outer}", f"({cname},) = {outer}", f"{cname} = {outer}[0]"])
                )
                prologue = 1
                self.mark("container_in_tuple")
            else:
                lead = [cname]
                self.mark("container_to_helper")
            inner.containers[cname] = replace(container, name=cname)
        if shadowed is not None:
            if shadowed in names:
                e = self.apply_elementwise(inner, self._leaf_of(inner.vars[shadowed]))
            else:  # a local of the global's name: the global is out of reach in this helper
                del inner.vars[shadowed]
                e = self.expr(inner, 1)
            e = self.prepare(inner, shadowed, e)
            inner.emit(f"{shadowed} = {e.text}")
            self.record(inner, shadowed, e)
            self.must_read.add(shadowed)
            self.mark("shadow_global")
        if container is not None and self.flip():
            self._stmt_container_loop(inner, only=inner.containers[cname])
        self.block(inner, 0, 2)
        self.in_return = True
        results = [self.expr(inner, 2) for _ in range(want)]
        if container is not None:
            body = "\n".join(inner.out[prologue:] + [e.text for e in results])
            if not re.search(rf"\b{cname}\b", body):  # read it after all
                e, c = results[0], self._x_container(inner, 1, only=inner.containers[cname])
                if c is not None:
                    c = self.fit(inner, c, e.shape)
                    results[0] = Expr(
                        f"{_paren(e, ADD)} + {_paren(c, ADD + 1)}", e.shape, e.bound + c.bound, ADD
                    )
        if keyword is not None and not any(keyword[0] in e.text for e in results):
            e = results[0]
            results[0] = Expr(f"{_paren(e, MUL)} * {keyword[0]}", e.shape, e.bound * 2.0, MUL)
        if closure:  # reads the factory's parameter: a closure
            p = self.choose([a for a, _ in self.factory.args])
            e, b = results[0], self.factory.vars[p].bound
            results[0] = Expr(f"{_paren(e, MUL)} * {p}", e.shape, e.bound * b, MUL)
            self.mark("closure_helper")
        for local in self._unread(inner, [e.text for e in results]):
            e = results[0]
            results[0] = Expr(
                f"{_paren(e, ADD)} + np.mean({local})", e.shape, e.bound + inner.vars[local].bound, ADD
            )
        wrap = self.imported and self.config.allows("bare_import_return")
        if wrap and (self.wants("bare_import_return") or self.integer(0, 2) == 2):
            results[0] = self._x_imported(inner, 1, results[0]) or results[0]  # `return logsumexp(...)`
        self.in_return = in_return
        returned = ", ".join(_paren(e, IFEXP + 1) for e in results)
        if any(re.search(rf"(?<![.\w]){name}\(", returned) for name in self.imported):
            self.mark("bare_import_return")
        inner.emit(f"return {returned}")
        signature = ", ".join(lead + names) + (f", {keyword[0]}={keyword[1]}" if keyword else "")
        if signature.startswith(", "):
            signature = signature[2:]
        lines = [f"def {name}({signature}):", *inner.out]
        returns = [(e.shape, e.bound) for e in results]
        helper = _Helper(name, params, keyword, scope.in_loop, returns, lines, container is not None, closure)
        self.helpers.append(helper)
        return helper

    def _x_container_helper(self, scope, depth):
        """`helper(ws, x)` or `helper((ws,), x)`: a helper given a whole container."""
        if scope.helper_depth >= MAX_HELPER_DEPTH or not scope.containers or scope.in_tuple_loop:
            return None
        forms = self.allowed(["container_to_helper", "container_in_tuple"])
        if not forms:
            return None
        packed = self.choose(self.prefer(forms)) == "container_in_tuple"
        c = self.choose(list(scope.containers.values()))
        candidates = [v for v in scope.vars.values() if not v.accumulator]
        if not candidates:
            return None
        args = [self.choose(candidates) for _ in range(self.integer(1, 2))]
        helper = self._define_helper(scope, args, 1, container=c, packed=packed)
        lead = f"({c.name},)" if packed else c.name
        text = f"{helper.name}({', '.join([lead] + [a.name for a in args])})"
        self.mark("helper", *(["helper_nested"] if scope.helper_depth > 0 else []))
        shape, bound = helper.returns[0]
        return Expr(text, shape, bound, ATOM, "?")

    def _x_helper_expr(self, scope, depth):
        call = self.helper_call(scope, want=1)
        if call is None:
            return None
        return call[1][0]


def _data_text(shape, factor: str) -> str:
    """Fixed data in [-1, 1] of `shape`, away from ties: `np.cos(np.arange(1.0, 7.0))`."""
    size = math.prod(shape)
    text = f"np.cos({factor}np.arange(1.0, {size + 1}.0))"
    return text if len(shape) == 1 else f"{text}.reshape({', '.join(map(str, shape))})"
