"""The rule registry: reverse-mode and forward-mode templates, and non-differentiable functions.

A key is whatever selects an operation: a NumPy function or ufunc (`numpy.exp`), an `operator`
function for Python syntax (`operator.add` for `+`), a builtin (`abs`), or a string for an
attribute (`"T"` for `x.T`). The built-in table lives in `rules/numpy/`; users add their own
rules through `srcgrad.extend`, in the same template form.
"""

from __future__ import annotations

from .template import Rule, TangentRule

ADJOINTS: dict[object, Rule] = {}
TANGENTS: dict[object, TangentRule] = {}
NONDIFFERENTIABLE: set[object] = set()
version = 0  # counts changes to the table: code generated under an older table is stale


def lookup(key) -> Rule | None:
    _load_builtin_rules()
    try:
        rule = ADJOINTS.get(key)
    except TypeError:  # an unhashable key never has a rule
        return None
    if rule is None and _scipy_waiting():
        return lookup(key)
    return rule


def _scipy_waiting() -> bool:
    """Register the scipy.special rules if the program imported SciPy after the table loaded."""
    import sys

    from .numpy import special

    if special.registered or "scipy.special" not in sys.modules:
        return False
    special.register_scipy()
    return True


def lookup_tangent(key) -> TangentRule | None:
    """The forward-mode rule of `key`, or None."""
    _load_builtin_rules()
    try:
        rule = TANGENTS.get(key)
    except TypeError:
        return None
    if rule is None and _scipy_waiting():
        return lookup_tangent(key)
    return rule


def is_nondifferentiable(key) -> bool:
    _load_builtin_rules()
    try:
        return key in NONDIFFERENTIABLE
    except TypeError:
        return False


def adjoint(*keys):
    """Register the decorated template as the reverse-mode rule of each key."""
    return _registrar(ADJOINTS, Rule, keys)


def tangent(*keys):
    """Register the decorated template as the forward-mode rule of each key."""
    return _registrar(TANGENTS, TangentRule, keys)


def _registrar(table: dict, kind, keys):
    def register(template):
        global version
        version += 1
        rule = kind(template, keys)
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


_loaded = False


def _load_builtin_rules() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        from . import helpers as _helper_rules  # noqa: F401  (registers on import)
        from . import numpy as _numpy_rules  # noqa: F401
