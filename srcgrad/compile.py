"""Compile generated source so that tracebacks and pdb show its lines."""

from __future__ import annotations

import hashlib
import linecache

from . import runtime
from .codegen import FACTORY, Generated


def compile_generated(generated: Generated, user_globals: dict, closure: dict, numpy_module):
    """The generated function, reading `user_globals` live, helpers bound through the factory."""
    digest = hashlib.sha1(generated.text.encode()).hexdigest()[:10]
    filename = f"<srcgrad: {generated.function_name} {digest}>"
    linecache.cache[filename] = (len(generated.text), None, generated.text.splitlines(True), filename)
    code = compile(generated.text, filename, "exec")
    namespace: dict = {}
    exec(code, user_globals, namespace)
    bindings = {}
    for free in generated.free:
        if free in closure:
            bindings[free] = closure[free]
        elif free in generated.helpers:
            bindings[free] = getattr(runtime, generated.helpers[free])
        else:  # the NumPy name srcgrad supplies when the user imported none
            bindings[free] = numpy_module
    return namespace[FACTORY](**bindings)
