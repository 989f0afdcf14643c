"""Compile generated source so that tracebacks and pdb show its lines."""

from __future__ import annotations

import linecache

import numpy as np

from . import backends, runtime
from .codegen import FACTORY, Generated


def compile_generated(generated: Generated, user_globals: dict, closure: dict, backend=backends.NUMPY):
    """The generated function, reading `user_globals` live, helpers bound through the factory,
    NumPy (and what the user imported of it and of scipy.special) bound to `backend`'s."""
    import hashlib  # here: a program that never differentiates anything need not load it

    digest = hashlib.sha1(generated.text.encode()).hexdigest()[:10]
    filename = f"<srcgrad: {generated.function_name} {digest}>"
    linecache.cache[filename] = (len(generated.text), None, generated.text.splitlines(True), filename)
    code = compile(generated.text, filename, "exec")
    namespace: dict = {}
    exec(code, user_globals, namespace)
    return namespace[FACTORY](**bindings(generated, user_globals, closure, backend))


def bindings(generated: Generated, user_globals: dict, closure: dict, backend=backends.NUMPY) -> dict:
    """What the factory's parameters are bound to: closed-over values, runtime helpers, and
    NumPy (with what the user imported of it and of scipy.special) from `backend`."""
    bound = {}
    for free in generated.free:
        if free in closure:
            bound[free] = closure[free]
        elif free in generated.helpers:
            bound[free] = getattr(runtime, generated.helpers[free])
        elif free in generated.arrays:
            bound[free] = backend.translate(user_globals[free])
        else:  # the NumPy name srcgrad supplies when the user imported none
            bound[free] = backend.translate(np)
    return bound
