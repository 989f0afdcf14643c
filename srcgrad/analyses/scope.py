"""Which module-level names a function and the helpers it calls read.

The generated function runs in the user's module: a global it reads (`inputs`, `tanh` from
`from numpy import tanh`, a helper function) is found by name when it runs. A temporary, a saved
value or a renamed user variable of the generated code that took one of those names would hide
the global from every line after it, including the lines of an inlined helper that reads it.
So the names are collected before lowering, over the function and every function of the user's
it may inline, and no name srcgrad writes takes one of them.

The reads come from the compiled code (`LOAD_GLOBAL`), not from the tree: cheap, exact about
what is a global (an attribute such as `np.tanh` is not), and it sees nested code objects too.

>>> import numpy as np
>>> from numpy import tanh
>>> def helper(x):
...     return tanh(x)
>>> helper.__module__ = "model"  # as if in the user's file (a doctest's functions are srcgrad's)
>>> def f(x):
...     return np.sum(helper(x))
>>> sorted(global_reads(f, {"helper": helper, "tanh": tanh, "np": np}))
['helper', 'np', 'tanh']
"""

from __future__ import annotations

import dis
import functools
import inspect
import os
import sysconfig
import types

_LOADS = frozenset({"LOAD_GLOBAL", "LOAD_NAME"})
_LIBRARIES = ("numpy", "scipy", "srcgrad")


def global_reads(func, namespace: dict | None = None) -> set[str]:
    """The global names `func` reads, and those read by the functions of the user's it reads
    (transitively); `namespace` is where its globals are looked up (its `__globals__`)."""
    seen: set[int] = set()
    names: set[str] = set()
    pending = [(func, namespace)]
    while pending:
        function, scope = pending.pop()
        if not inspect.isfunction(function) or id(function) in seen:
            continue
        seen.add(id(function))
        scope = function.__globals__ if scope is None else scope
        reads = _code_reads(function.__code__)
        defaults = [*(function.__defaults__ or ()), *(function.__kwdefaults__ or {}).values()]
        defaults = [d for d in defaults if not isinstance(d, (bool, int, float, str, type(None)))]
        if defaults:  # `def h(x, f=np.tanh)`: inlined, the default is read by its global name
            reads |= {k for k, v in scope.items() if any(v is d for d in defaults)}
        for identifier in reads:
            names.add(identifier)
            value = scope.get(identifier)
            if is_users_function(value):
                pending.append((value, None))
        for cell in function.__closure__ or ():  # a helper the function closes over
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell: not assigned yet
                continue
            if is_users_function(value):
                pending.append((value, None))
    return names


def is_users_function(value) -> bool:
    """A Python function of the user's, one srcgrad may inline: not of NumPy, SciPy or
    srcgrad, nor of an installed package or the standard library (whose functions without a
    rule stay calls that srcgrad cannot differentiate, named in the error)."""
    if not inspect.isfunction(value):
        return False
    module = getattr(value, "__module__", "") or ""
    if module.split(".")[0] in _LIBRARIES:
        return False
    return not _installed(value.__code__.co_filename)


def is_users_object(value) -> bool:
    """An object of one of the user's classes (whose methods srcgrad may inline): not a
    container, a builtin's, NumPy's, SciPy's, srcgrad's or an installed package's."""
    if isinstance(value, (dict, list, tuple, set, type)) or inspect.isroutine(value):
        return False
    cls = type(value)
    if (getattr(cls, "__module__", "") or "").split(".")[0] in (*_LIBRARIES, "builtins"):
        return False
    try:
        filename = inspect.getfile(cls)
    except (TypeError, OSError):  # a builtin type, or one defined where no file says
        return False
    return not _installed(filename)


@functools.lru_cache(maxsize=1024)
def _installed(filename: str) -> bool:
    """Whether a code file belongs to an installed package or the standard library."""
    path = os.path.normcase(os.path.abspath(filename))
    parts = set(path.split(os.sep))
    if "site-packages" in parts or "dist-packages" in parts:
        return True
    roots = {sysconfig.get_paths().get(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    return any(root and path.startswith(os.path.normcase(os.path.abspath(root)) + os.sep) for root in roots)


def _code_reads(code: types.CodeType) -> set[str]:
    reads = {i.argval for i in dis.get_instructions(code) if i.opname in _LOADS}
    for const in code.co_consts:  # nested functions, lambdas, comprehensions (before 3.12)
        if isinstance(const, types.CodeType):
            reads |= _code_reads(const)
    return reads
