"""Rules for calling a gradient function inside differentiated code.

`g = srcgrad.grad(f, with_value=False)`, called as `g(x, v)` in a function that is itself
differentiated, has a rule made for it when a pass first meets the call, with `f`'s parameters
as the operation's: the gradient of the call is one Hessian-vector product of `f`, written as a
call of `gradient_vjp` in the generated code, and its tangent one more (`gradient_jvp`); see
srcgrad/runtime/gradients.py for why. The code calls the gradient function by the name the
user's code calls it (`FUNCTION` in the rule's statements).
"""

from __future__ import annotations

import ast
import functools
import inspect

import gast

from .template import Rule, TangentRule

FUNCTION = "FUNCTION"  # stands for the called gradient function's name in the statements below


def is_gradient_function(key) -> bool:
    """Whether `key`, the function an operation calls, is a gradient function `grad` made."""
    return getattr(type(key), "mode", None) == "grad" and hasattr(key, "with_value")


class _GradientCall:
    """What the reverse and the forward rule of one gradient function's calls share."""

    def __init__(self, gradient, kind):
        kind.__init__(self, None, (gradient,), name=f"{gradient.fn.__name__}_gradient_call")
        self.gradient = gradient

    @functools.cached_property
    def params(self) -> list[inspect.Parameter]:
        named = inspect.Parameter.POSITIONAL_OR_KEYWORD
        params = inspect.signature(self.gradient.fn).parameters.values()
        return [inspect.Parameter(p.name, named) for p in params if p.kind in (p.POSITIONAL_ONLY, named)]

    uses_ans = False

    def bind_operation(self, op, args, location, what: str = "rule") -> dict[str, gast.expr]:
        from ..errors import UnsupportedSyntaxError

        gradient = self.gradient
        params = inspect.signature(gradient.fn).parameters.values()
        starred = any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params)
        if gradient.with_value or gradient.has_aux or starred:
            raise UnsupportedSyntaxError(
                f"srcgrad differentiates a call of the gradient of {gradient.fn.__name__!r} when that "
                "gradient returns the gradients alone (grad(..., with_value=False), no has_aux) and "
                f"{gradient.fn.__name__!r} takes named parameters only.",
                location,
                hint=f"Make it with srcgrad.grad({gradient.fn.__name__}, with_value=False).",
            )
        return super().bind_operation(op, args, location, what)

    def _statements(self, text: str) -> list[gast.stmt]:
        return [gast.ast_to_gast(stmt) for stmt in ast.parse(text).body]

    @property
    def arguments(self) -> str:
        names = [p.name for p in self.params]
        return f"({', '.join(names)},)" if names else "()"


class GradientCallRule(_GradientCall, Rule):
    """The reverse-mode rule of calls of one gradient function."""

    def __init__(self, gradient):
        _GradientCall.__init__(self, gradient, Rule)

    def _parse(self) -> list[gast.stmt]:
        # the gradient of <g, gradient(*args)> in each argument: one Hessian-vector product
        lines = [f"second = gradient_vjp({FUNCTION}, g, {self.arguments})"]
        lines += [f"d{p.name} = second[{i}]" for i, p in enumerate(self.params)]
        return self._statements("\n".join(lines))


class GradientCallTangent(_GradientCall, TangentRule):
    """The forward-mode rule of calls of one gradient function: each argument's part is a
    Hessian-vector product with that argument's tangent."""

    def __init__(self, gradient):
        _GradientCall.__init__(self, gradient, TangentRule)

    def _parse(self) -> list[gast.stmt]:
        names = [p.name for p in self.params]
        lines = []
        for i, n in enumerate(names):
            tangents = ", ".join("t" if j == i else "None" for j in range(len(names)))
            lines.append(f"d{n} = gradient_jvp({FUNCTION}, {self.arguments}, ({tangents},))")
        return self._statements("\n".join(lines))


_RULES: dict = {}  # gradient function -> (its reverse-mode rule, its forward-mode rule)


def rules_for(gradient) -> tuple[GradientCallRule, GradientCallTangent]:
    made = _RULES.get(gradient)
    if made is None:
        made = _RULES[gradient] = (GradientCallRule(gradient), GradientCallTangent(gradient))
    return made
