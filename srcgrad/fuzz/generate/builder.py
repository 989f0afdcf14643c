"""The program assembly: `programs()`, and the builder that draws one program's parameters,
module, main function and return value, made of the mixins of this package."""

from __future__ import annotations

import re

from hypothesis import strategies as st

from ..program import HIGH, Param, Program
from .arrays import _Arrays
from .base import _DATA_NAMES, _WRT_NAMES, _Base
from .config import DEFAULT_CONFIG, Config
from .containers import _Containers
from .expressions import _Expressions
from .helpers import _Helpers
from .loops import _Loops
from .scope import Var, _Container, _Scope
from .shapes import ADD, PARAM_SIDE, POW, Expr, _paren
from .statements import _Statements


def programs(config: Config = DEFAULT_CONFIG) -> st.SearchStrategy[Program]:
    """A hypothesis strategy of random programs (see the package docstring)."""
    return _programs(config)


@st.composite
def _programs(draw, config):
    return _Builder(draw, config).program()


class _Builder(_Statements, _Loops, _Containers, _Helpers, _Expressions, _Arrays, _Base):
    """Draws one program (see the package docstring); each mixin holds one kind of construct."""

    def program(self) -> Program:
        params, scope = self._parameters()
        self.module_names.add(self.main_name)
        self.block(scope, 1, self.config.max_statements)
        result = self._return(scope)
        scope.emit(f"return {result}")
        signature = ", ".join([p.name for p in params] + (self.factory.defaults if self.factory else []))
        main = [f"def {self.main_name}({signature}):", *scope.out]
        if self.factory is not None:
            main = self._factory_source(main)
        helpers = ["\n".join(h.lines) for h in self.helpers if not h.closure]
        code = "\n\n\n".join([*helpers, "\n".join(main)]) + "\n"
        header = (["SCALE = 0.7"] if self.uses_constant else []) + self.global_lines
        if self.uses_constant:
            self.mark("module_constant")
        if header:
            code = "\n".join(header) + "\n\n\n" + code
        for text, feature in self.leaf_features.items():
            if text in code:
                self.mark(feature)
        imports = []
        for module, names in self.imports.items():
            used = tuple(n for n in names if n in self.used_imports)
            if used:
                imports.append((module, used))
        return Program(self.main_name, tuple(params), code, frozenset(self.features), tuple(imports))

    def _factory_source(self, main: list[str]) -> list[str]:
        """The main function's lines (indented one level already) inside its factory."""
        f = self.factory
        lines = [f"def {f.name}({', '.join(a for a, _ in f.args)}):"]
        lines += ["    " + line for line in f.lines]
        for helper in self.helpers:
            if helper.closure:
                lines += ["    " + line for line in helper.lines] + [""]
        lines += ["    " + line for line in main]
        lines += [
            f"    return {self.main_name}",
            "",
            "",
            f"{self.main_name} = {f.name}({', '.join(v for _, v in f.args)})",
        ]
        return lines

    def _parameters(self):
        dims = {"m": self.integer(1, PARAM_SIDE), "n": self.integer(1, PARAM_SIDE), "k": self.integer(1, 3)}
        templates = [("n",), ("m", "n"), (), None, ("m",), ("n", "k"), ("k",), ("1", "n"), ("m", "1")]
        templates.append(("m", "n", "k"))
        count = self.integer(1, self.config.max_params)
        self.main_name = self.choose(["f", "loss", "model", "objective"])
        self.module_names.add(self.main_name)
        params, used = [], set()
        scope = _Scope(out=[], indent=1, vars={})
        self._module_level(dims, scope)
        if self.config.allows("dict_param") and self.integer(0, 5) == 5:
            m, n = dims["m"], dims["n"]
            leaves = ((("W",), (m, n)), (("b",), (n,)))
            params.append(Param("params", None, True, leaves, ("dict",)))
            used.add("params")
            for (key,), shape in leaves:
                text = f'params["{key}"]'
                scope.vars[text] = Var(text, shape, HIGH, assignable=False, dict_leaf=True)
            scope.containers["params"] = _Container("params", "dict", ("W", "b"), ((m, n), (n,)), HIGH)
            self.mark("dict_param")
        if self.config.allows("container_param") and (
            self.wants("container_param") or self.integer(0, 2) == 2
        ):
            for _ in range(self.integer(1, 2)):
                self._container_param(dims, params, used, scope)
        for i in range(count):
            template = self.choose(templates)
            wrt = (not params or bool(self.focus)) if i == 0 else self.flip()
            if template is None and not self.config.allows("float_param"):
                template = ()
            pool = [n for n in (_WRT_NAMES if wrt else _DATA_NAMES) if n not in used]
            name = self.choose(pool)
            used.add(name)
            if template is None:
                shape = None
                self.mark("float_param")
            else:
                shape = tuple(int(d) if d.isdigit() else dims[d] for d in template)
            params.append(Param(name, shape, wrt))
            scope.vars[name] = Var(name, () if shape is None else shape, HIGH)
            if not wrt:
                self.mark("data_param")
        self.wrt_names = [p.name for p in params if p.wrt]
        self.module_names.update(used)
        self.param_names = set(used)
        if self.factory is not None:
            self._closure_defaults(scope)
        return params, scope

    def _return(self, scope: _Scope) -> str:
        terms = []
        if scope.last is not None and scope.last in scope.vars:
            terms.append(self._scalar_term(self._leaf_of(scope.vars[scope.last])))
        for _ in range(self.integer(0 if terms else 1, 2)):
            terms.append(self._scalar_term(self.expr(scope, 1)))
        for name in sorted(self.must_read):  # a global some helper's local shadows: read it here
            if name in scope.vars and not re.search(rf"\b{name}\b", "\n".join(scope.out + terms)):
                terms.append(self._scalar_term(self._x_binary(scope, 1, self._leaf_of(scope.vars[name]))))
        text = terms[0]
        for term in terms[1:]:
            op = self.choose(["+", "-", "+ 0.5 *"])
            text = f"{text} {op} {term}"
        for name in self._unread(scope, [text]):  # with a focus: no dead code (a bug may be in it)
            text = f"{text} + np.mean({name})"
        return text

    def _unread(self, scope: _Scope, texts) -> list[str]:
        """With `Config.focus`, the variables this function assigned and nothing read after; else
        none. (The program's value then depends on every statement.)"""
        if not self.focus:
            return []
        unread = []
        for name in sorted(scope.assigned):
            if name not in scope.vars or "[" in name:
                continue
            after = [line for line in scope.out if not re.match(rf"\s*{re.escape(name)}\b[^=]*=[^=]", line)]
            if not re.search(rf"\b{re.escape(name)}\b", "\n".join(after + list(texts))):
                unread.append(name)
        return unread

    def _scalar_term(self, e: Expr) -> str:
        form = self.choose(["sum", "mean", "bare", "square"])
        if form == "bare" and e.shape == ():
            return _paren(e, ADD + 1)
        if form == "square":
            return f"np.sum({_paren(e, POW + 1)} ** 2)"
        return f"np.{'mean' if form == 'mean' else 'sum'}({e.text})"
