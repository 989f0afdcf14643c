"""Functions defined inside the differentiated code: a nested `def` and a `lambda`. Each is
written out where it is called, as a helper is (inlining.py), with the names it reads from the
function around it taking their values at the call, as Python's closures do. A mixin of
`Lowering`: the function's name is bound to a marker name that no generated line may read."""

from __future__ import annotations

import dataclasses

import gast

from ... import fence
from ...errors import UnsupportedSyntaxError
from ...frontend import SourceFunction, lambda_as_def
from ...syntax import name
from .atoms import reads
from .closures import THREADED
from .generators import is_generator


@dataclasses.dataclass(eq=False)
class LocalFunction:
    source: SourceFunction  # the function's own tree, on the lines of the one defining it
    frame: SourceFunction  # the function (or helper, being inlined) it is defined in
    env: dict  # that function's variables, where the definition is; its final ones once it returns
    defaults: dict  # parameter -> atom: the defaults, evaluated where the `def` runs
    marker: str  # the name the function's name is bound to


class LocalFunctions:
    def define_function(self, stmt: gast.FunctionDef) -> None:
        """`def f(...)` inside the code: bind `f` to a marker; calls write its body out."""
        if stmt.decorator_list:
            raise UnsupportedSyntaxError(
                f"srcgrad cannot differentiate the decorated function {stmt.name!r} defined inside "
                f"{self.source.name!r}.",
                self.source.location(stmt),
                hint="Define it without decorators, or at module level.",
            )
        self.bind(stmt.name, self.local_function(stmt, stmt.name))

    def expr_Lambda(self, node, hint):
        return self.local_function(lambda_as_def(node, hint or "lambda_"), hint or "lambda_")

    def local_function(self, tree: gast.FunctionDef, label: str) -> gast.Name:
        outer = self.source
        source = dataclasses.replace(outer, tree=tree, resolved=outer.resolved)
        fence.check(source, helper=True)
        spec = tree.args
        positional = [*spec.posonlyargs, *spec.args]
        defaults = {
            a.id: self.expr(d)
            for a, d in zip(positional[len(positional) - len(spec.defaults) :], spec.defaults)
        }
        defaults |= {a.id: self.expr(d) for a, d in zip(spec.kwonlyargs, spec.kw_defaults) if d is not None}
        marker = self.namer.fresh(label)
        self.local_functions[marker] = LocalFunction(source, outer, self.env, defaults, marker)
        return name(marker)

    def local_called(self, func) -> LocalFunction | None:
        """The function defined in the code that `func` (a name, as the call reads it) is."""
        if isinstance(func, gast.Name):
            return self.local_functions.get(func.id)
        return None

    def inline_local(self, local: LocalFunction, args, kwargs, node, hint):
        where = self.source.location(node)
        self.refuse_recursion(local, local.source.name, where, [*args, *kwargs.values()])

        def default(param: str):
            if param in local.defaults:
                return local.defaults[param]
            raise UnsupportedSyntaxError(
                f"this call to {local.source.name!r} does not give its parameter {param!r}.", where
            )

        env = dict(self.frame_env(local))  # what the names it reads from around it hold now
        env.update(self.bind_arguments(local.source, args, kwargs, default, where))
        written_back = getattr(local.source.tree, THREADED, ())  # lists of its caller it adds to
        consumer = self.start_generator(local.source.name, node) if is_generator(local.source.tree) else None
        return self.lower_inlined(local.source, env, local, hint, written_back, consumer)

    def frame_env(self, local: LocalFunction) -> dict:
        """The variables of the function `local` is defined in, as they are now: its current
        environment if it is running (the one lowered, or a caller of it), else its last."""
        if local.frame is self.source:
            return self.env
        for frame, env in zip(reversed(self.frames), reversed(self.callers)):
            if frame is local.frame:
                return env
        return local.env

    def close_frame(self, frame: SourceFunction, env: dict) -> None:
        """A function being inlined has returned: the functions it defined keep its last values."""
        for local in self.local_functions.values():
            if local.frame is frame:
                local.env = env

    def check_functions_called(self, body, result) -> None:
        """A function defined in the code is written out where it is called; used any other way
        (stored, passed to a library function, returned) it would be a name that means nothing
        in the generated code."""
        from ...ir import walk

        markers = set(self.local_functions)
        if not markers:
            return
        statements = [*walk(body)]
        for stmt in statements:
            used = set(reads(stmt)) & markers
            if used:
                self.refuse_function_value(sorted(used)[0], stmt)
        if result is not None:
            from ...syntax import names_in

            used = set(names_in(result.value)) & markers
            if used:
                self.refuse_function_value(sorted(used)[0], result)

    def refuse_function_value(self, marker: str, stmt) -> None:
        local = self.local_functions[marker]
        op = getattr(stmt, "op", None)
        node = (op.node if op is not None else None) or stmt.origin
        where = (op.source if op is not None else None) or getattr(stmt.origin, "srcgrad_source", None)
        raise UnsupportedSyntaxError(
            f"srcgrad writes out the function {local.source.name!r}, defined in the differentiated "
            "code, where it is called, or where a function of yours it is passed to calls it; here "
            "it is used as a value in another way.",
            (where or self.source).location(node),
            hint="Call it directly, or define it at module level.",
        )
