"""Teach srcgrad new derivatives, in the template form the built-in table uses.

An elementwise function states its partial derivatives once, and both of its rules are made
from them:

    import srcgrad.extend

    @srcgrad.extend.elementwise(mylib.softplus)
    def softplus(x):
        dx = 1 / (1 + np.exp(-x))

The parameters are optionally `ans` (the result) and the function's own; each `d<param> = ...`
is the derivative of the result in that parameter, written with `np`, arithmetic and the helpers
of `srcgrad.runtime`. Reverse mode gets `dx = g / (1 + np.exp(-x))`, forward mode
`dx = t / (1 + np.exp(-x))` (see `elementwise`).

Any other function gets a reverse-mode template:

    @srcgrad.extend.adjoint(mylib.softplus)
    def softplus(g, x):
        dx = g / (1 + np.exp(-x))

The template's parameters are `g` (the incoming gradient), optionally `ans` (the result), and
the function's own parameters; each `d<param> = ...` is that parameter's gradient.
`nondifferentiable(f)` declares that a function's result carries no gradient. See docs/rules.md.

Forward mode (`jvp`, `hvp`, `hessian`, `grad` of a `grad`) uses a second template per function:

    @srcgrad.extend.tangent(mylib.softplus)
    def softplus_tangent(t, x):
        dx = t / (1 + np.exp(-x))

There `t` is the tangent of the parameter whose line it is, and each `d<param> = ...` is the part
of the result's tangent that this parameter's tangent brings (of the result's shape).
"""

from __future__ import annotations

from . import rules
from .rules import registry


def elementwise(*functions):
    """Register both rules of each of `functions`, elementwise functions, from the decorated
    statement of their partial derivatives:

        @srcgrad.extend.elementwise(mylib.scaled_tanh)  # s * tanh(x)
        def scaled_tanh(ans, x, s):
            dx = s - ans * ans / s
            ds = ans / s

    Its parameters are `ans` (the result), if a derivative reads it, and the function's own;
    each `d<param> = ∂` line is the derivative of the result in that parameter, elementwise.
    The reverse-mode rule is `d<param> = g * ∂` and the forward-mode rule `d<param> = t * ∂`.
    Where the function has two or more operands (parameters without a default, or with a
    derivative), they broadcast: each gradient is summed back to its parameter's shape and each
    tangent spread to the result's. Parameters with a default and no derivative are options the
    derivatives may read. Temporaries (`r = ...`) may come before the derivatives that use them.
    """
    rules.lookup(None)  # load the built-in table first, so a user rule overrides it

    def register(template):
        registry.elementwise(*functions)(template)
        rules.lookup(functions[0]).body()  # make and check both rules now, not at first use
        rules.lookup_tangent(functions[0]).body()
        return template

    return register


def adjoint(*functions):
    """Register the decorated template as the reverse-mode rule of each of `functions`."""
    rules.lookup(None)  # load the built-in table first, so a user rule overrides it

    def register(template):
        rules.adjoint(*functions)(template)
        rules.lookup(functions[0]).body()  # parse and check the template now, not at first use
        return template

    return register


def tangent(*functions):
    """Register the decorated template as the forward-mode rule of each of `functions`."""
    rules.lookup(None)

    def register(template):
        rules.tangent(*functions)(template)
        rules.lookup_tangent(functions[0]).body()  # parse and check the template now
        return template

    return register


def nondifferentiable(*functions) -> None:
    """Declare that the results of `functions` carry no gradient."""
    rules.lookup(None)
    rules.nondifferentiable(*functions)
