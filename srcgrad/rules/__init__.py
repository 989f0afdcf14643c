"""The rule table: reverse-mode and forward-mode templates, and non-differentiable functions.

The tables and the decorators that fill them are in `registry`, which the rule modules import;
`registry.version` counts the changes to them (code generated under an older table is stale).
The built-in table lives in `rules/numpy/` and `rules/helpers.py`, loaded at the first lookup;
users add their own rules through `srcgrad.extend`, in the same template form.
"""

from __future__ import annotations

import sys

from . import gradients, registry
from .registry import ADJOINTS, NONDIFFERENTIABLE, TANGENTS, adjoint, nondifferentiable, tangent
from .template import Rule, TangentRule

__all__ = [
    "registry",
    "ADJOINTS",
    "TANGENTS",
    "NONDIFFERENTIABLE",
    "Rule",
    "TangentRule",
    "adjoint",
    "tangent",
    "nondifferentiable",
    "lookup",
    "lookup_tangent",
    "is_nondifferentiable",
]


def lookup(key, complex_values: bool = False) -> Rule | None:
    """The reverse-mode rule of `key`, or None; with `complex_values`, the rule for an operation
    that computes with complex values, or None if the key has none."""
    _load_builtin_rules()
    if complex_values:
        return _complex_rule(key, registry.COMPLEX_ADJOINTS, lookup)
    try:
        rule = ADJOINTS.get(key)
    except TypeError:  # an unhashable key never has a rule
        return None
    if rule is None and _scipy_waiting():
        return lookup(key)
    if rule is None and gradients.is_gradient_function(key):  # `g(x)` for g = srcgrad.grad(f)
        return gradients.rules_for(key)[0]
    return rule


def _scipy_waiting() -> bool:
    """Register the scipy.special, scipy.stats, scipy.linalg and scipy.signal rules if the
    program imported them after the table loaded; whether it registered any."""
    from .numpy import integrate, scipy_linalg, signal, special, stats

    waiting = False
    sections = (
        (special, "scipy.special"),
        (stats, "scipy.stats"),
        (scipy_linalg, "scipy.linalg"),
        (signal, "scipy.signal"),
        (integrate, "scipy.integrate"),
    )
    for section, module in sections:
        if not section.registered and module in sys.modules:
            section.register_scipy()
            waiting = True
    return waiting


def lookup_tangent(key, complex_values: bool = False) -> TangentRule | None:
    """The forward-mode rule of `key`, or None; `complex_values` as for `lookup`."""
    _load_builtin_rules()
    if complex_values:
        return _complex_rule(key, registry.COMPLEX_TANGENTS, lookup_tangent)
    try:
        rule = TANGENTS.get(key)
    except TypeError:
        return None
    if rule is None and _scipy_waiting():
        return lookup_tangent(key)
    if rule is None and gradients.is_gradient_function(key):
        return gradients.rules_for(key)[1]
    return rule


def _complex_rule(key, table: dict, ordinary):
    try:
        rule = table.get(key)
    except TypeError:
        return None
    if rule is None and key in registry.COMPLEX_READY:
        return ordinary(key)
    return rule


def is_nondifferentiable(key) -> bool:
    _load_builtin_rules()
    try:
        return key in NONDIFFERENTIABLE
    except TypeError:
        return False


_loaded = False


def _load_builtin_rules() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        from . import helpers as _helper_rules  # noqa: F401  (registers on import)
        from . import numpy as _numpy_rules  # noqa: F401
