"""The rule tables and the decorators that fill them: reverse-mode and forward-mode templates,
and non-differentiable functions.

A key is whatever selects an operation: a NumPy function or ufunc (`numpy.exp`), an `operator`
function for Python syntax (`operator.add` for `+`), a builtin (`abs`), a method bound to an
object (`scipy.stats.norm.logpdf`: bound methods are equal, and hash alike, when they bind the
same function to the same object, so each distribution's method is a key of its own although
SciPy shares the function between them), or a string for an attribute (`"T"` for `x.T`).
The rule modules (`rules/numpy/`, `rules/helpers.py`) and `srcgrad.extend` register here;
`srcgrad.rules` looks rules up, loading the built-in ones first.
"""

from __future__ import annotations

from .template import Rule, TangentRule

ADJOINTS: dict[object, Rule] = {}
TANGENTS: dict[object, TangentRule] = {}
NONDIFFERENTIABLE: set[object] = set()
version = 0  # counts changes to the table: code generated under an older table is stale


def adjoint(*keys, name: str | None = None, constants: dict | None = None):
    """Register the decorated template as the reverse-mode rule of each key: named `name` (the
    template's own name by default), with `constants` bound in it (see `rules/template.py`)."""
    return _registrar(ADJOINTS, Rule, keys, name, constants)


def tangent(*keys, name: str | None = None, constants: dict | None = None):
    """Register the decorated template as the forward-mode rule of each key, as `adjoint` does."""
    return _registrar(TANGENTS, TangentRule, keys, name, constants)


def _registrar(table: dict, kind, keys, name, constants):
    def register(template):
        global version
        version += 1
        rule = kind(template, keys, name, constants)
        for key in keys:
            table[key] = rule
            NONDIFFERENTIABLE.discard(key)
        return template

    return register


def nondifferentiable(*keys) -> None:
    """Declare that each key's result carries no gradient (comparisons, shapes, sign...)."""
    global version
    version += 1
    for key in keys:
        NONDIFFERENTIABLE.add(key)
        ADJOINTS.pop(key, None)
        TANGENTS.pop(key, None)
