"""Inlining the user's own functions: a call to a plain function of the user's (one with no rule)
is lowered as the callee's body in place, its parameters bound to the call's atoms and its names
kept apart from the caller's; a parameter bound to a function (`nonlinearity=np.tanh`) calls
that function. A mixin of `Lowering`: while a helper is lowered it swaps the current function,
environment and names for the helper's, and restores the caller's after."""

from __future__ import annotations

import inspect

import gast

from ... import fence
from ...analyses.scope import is_users_function
from ...errors import UnsupportedSyntaxError
from ...frontend import MISSING, SourceFunction, read_function
from ...syntax import const, copy_tree
from ...syntax import walk as walk_tree
from ..desugar import rewrite_loops
from .atoms import is_struct


class Inlining:
    def is_users_function(self, target) -> bool:
        """A plain function of the user's, with no rule: its body is inlined and differentiated."""
        return is_users_function(target) and not self.is_pure(target)

    def inline(self, function, args, kwargs, node, hint):
        """The call's value, with the callee's body lowered in place (its names kept apart)."""
        where = self.source.location(node)
        if function in self.inlining:
            raise UnsupportedSyntaxError(
                f"srcgrad cannot differentiate the recursive call to {function.__name__!r}.",
                where,
                hint="Write the recursion as a loop.",
            )
        if function.__globals__ is not self.source.globals:
            raise UnsupportedSyntaxError(
                f"srcgrad differentiates calls to your own functions defined in the same module; "
                f"{function.__name__!r} comes from {function.__module__!r}.",
                where,
                hint="Define the helper in this module, or register a rule for it with srcgrad.extend.",
            )
        callee = read_function(function)
        callee.resolved = self.source.resolved  # the helper bakes in global names too
        fence.check(callee, helper=True)
        if callee.closure:
            raise UnsupportedSyntaxError(
                f"srcgrad cannot inline {function.__name__!r}: it reads variables of an enclosing "
                f"function ({', '.join(sorted(callee.closure))}).",
                callee.location(callee.tree),
                hint="Define the helper at module level and pass those values as arguments.",
            )
        try:
            bound = inspect.signature(function).bind(*args, **kwargs)
        except TypeError as exc:
            message = f"this call to {function.__name__!r} does not fit its parameters: {exc}."
            raise UnsupportedSyntaxError(message, where) from None
        env = {}
        for param in inspect.signature(function).parameters.values():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise UnsupportedSyntaxError(
                    f"srcgrad cannot inline {function.__name__!r}: it takes *{param.name}.",
                    callee.location(callee.tree),
                    hint="Give the helper named parameters.",
                )
            if param.name in bound.arguments:
                env[param.name] = bound.arguments[param.name]
            elif _literal(param.default):
                env[param.name] = const(param.default)
            elif (default := _global_default(callee, param)) is not None:
                env[param.name] = default  # `nonlinearity=np.tanh`: the global it names
            else:
                raise UnsupportedSyntaxError(
                    f"srcgrad can inline {function.__name__!r} with defaults that are literals or "
                    f"module-level names; pass {param.name!r} explicitly.",
                    where,
                )
        returned = callee.tree.body[-1].value
        named = hint is not None and not isinstance(returned, (gast.Name, gast.Constant, gast.Tuple))
        result_name = self.version(hint) if named else None  # the caller's name, as if written there
        saved = (self.source, self.env, self.defined, self.assigned, self.params, self.origin)
        self.source, self.env, self.defined, self.params = callee, env, set(env), list(env)
        self.assigned = {
            n.id for n in walk_tree(callee.tree) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)
        }
        self.inlining.append(function)
        self.callers.append(saved[1])
        self.inline_starts.append((self.body, len(self.body)))
        try:
            for stmt in rewrite_loops(callee.tree.body[:-1], self.namer):
                self.origin = stmt
                self.lower_statement(stmt)
            self.origin = callee.tree.body[-1]
            self.origin.srcgrad_source = callee  # its `return`, quoted from the helper's lines
            if result_name is not None:
                self.exact[id(returned)] = result_name
            value = self.expr(returned, hint=hint) if returned is not None else const(None)
        finally:
            self.inlining.pop()
            self.callers.pop()
            self.inline_starts.pop()
            self.source, self.env, self.defined, self.assigned, self.params, self.origin = saved
        return value

    def called_function(self, func):
        """The expression a call calls: a parameter of an inlined helper bound to a function
        (`nonlinearity(h)` with `nonlinearity=np.tanh`) calls that function."""
        if not (isinstance(func, gast.Name) and func.id in self.env):
            return func
        bound = self.env[func.id]
        if isinstance(bound, (gast.Name, gast.Attribute)) and not is_struct(bound):
            value = self.source.resolve(bound)
            if value is not MISSING and callable(value):
                return bound
        if func.id in self.params:
            where = self.source.location(func)
            raise UnsupportedSyntaxError(
                f"{func.id!r} is a parameter of {self.source.name!r}, called as a function; srcgrad "
                "cannot yet differentiate a function that calls a function passed to it as an "
                "argument.",
                where,
                hint=f"Call the function by its own name here, or differentiate a wrapper that "
                f"passes it: `def loss(...): return {self.source.name}(..., np.tanh)` (srcgrad "
                "follows a function passed by name to a helper it writes out).",
            )
        return func


def _global_default(callee: SourceFunction, param) -> gast.expr | None:
    """A helper's default written as a module-level name (`np.tanh`, `W0`) that still names
    the default's value, as an expression the inlined code can read; else None."""
    args = callee.tree.args
    positional = args.posonlyargs + args.args
    pairs = list(zip(positional[len(positional) - len(args.defaults) :], args.defaults))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
    expr = next((d for a, d in pairs if a.id == param.name), None)
    root = expr
    while isinstance(root, gast.Attribute):
        root = root.value
    if not isinstance(root, gast.Name) or root.id in callee.closure:
        return None
    if callee.resolve(expr) is not param.default:
        return None
    return copy_tree(expr)


def _literal(value) -> bool:
    if isinstance(value, tuple):
        return all(_literal(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))
