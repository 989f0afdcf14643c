"""Teach srcgrad new derivatives, in the template form the built-in table uses.

    import srcgrad.extend

    @srcgrad.extend.adjoint(mylib.softplus)
    def softplus(g, x):
        dx = g / (1 + np.exp(-x))

The template's parameters are `g` (the incoming gradient), optionally `ans` (the result), and
the function's own parameters; each `d<param> = ...` is that parameter's gradient, written with
`np`, arithmetic and the helpers of `srcgrad.runtime`. `nondifferentiable(f)` declares that a
function's result carries no gradient. See docs/rules.md.

Forward mode (`jvp`, `hvp`, `hessian`, `grad` of a `grad`) uses a second template per function:

    @srcgrad.extend.tangent(mylib.softplus)
    def softplus_tangent(t, x):
        dx = t / (1 + np.exp(-x))

There `t` is the tangent of the parameter whose line it is, and each `d<param> = ...` is the part
of the result's tangent that this parameter's tangent brings (of the result's shape).
"""

from __future__ import annotations

from . import rules


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
