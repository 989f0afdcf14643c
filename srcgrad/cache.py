"""The in-process cache of compiled gradients: one compile per source, options and backend.

Two `grad` objects of the same function (a notebook cell run twice, a decorator applied in a
loop) share one compiled gradient, and a function redefined with new source gets a new one.
The key is the function's source text, its module (globals), what its closure holds, and the
options of `grad`; the array backend joins the key when there is more than one.

Generated code bakes in what some global names meant when it was generated: the helpers it
inlined, the NumPy functions whose rules it expanded, the globals it treated as scalars. Each
entry keeps those as *guards*; when one no longer holds (the user redefined `relu` in the next
cell), the entry is stale and the next call generates the code again. Globals holding data
(arrays, numbers' values) are read live by the generated code and need no guard.

A rule registered with `srcgrad.extend` makes every entry stale: code generated before it may
have used the rule it replaced.

Compiling takes a lock per key: eight threads asking for the same gradient at once compile it
once, and the others wait for that result.
"""

from __future__ import annotations

import numbers
import threading
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from .frontend import MISSING, SourceFunction
from .rules import registry

_IS, _NUMBER = 0, 1
NUMBER_GUARD = _NUMBER  # the kind of guard on a global read as a number


@dataclass
class Entry:
    """A compiled gradient and what must still hold for it to be the right one."""

    compiled: Callable
    build: object  # pipeline.Build
    globals: dict
    closure: tuple  # the values bound into the compiled function: closed over, or a helper's
    guards: tuple  # (namespace, name, kind, expected) per global name the code bakes in
    rules_version: int  # the rule table the code was generated from
    key_closure: tuple = ()  # what the function's own closure held: the entry is for that

    def valid(self) -> bool:
        """Whether the rule table and every global the generated code baked in are unchanged."""
        if self.rules_version != registry.version:
            return False
        for namespace, name, kind, expected in self.guards:
            value = namespace.get(name, MISSING)
            if kind == _IS:
                if value is not expected:
                    return False
            elif not isinstance(value, numbers.Number) or isinstance(value, bool):
                return False
        return True


class CacheInfo(NamedTuple):
    hits: int  # gradients found compiled already
    compiles: int  # gradients generated and compiled
    entries: int  # compiled gradients held now


MAX_ENTRIES = 512  # beyond this the oldest entries go (their grad objects keep theirs)

_entries: dict = {}
_locks: dict = {}
_lock = threading.Lock()
_counts = {"hits": 0, "compiles": 0}


def cache_info() -> CacheInfo:
    """How often the cache of compiled gradients was used, and how big it is: a named tuple
    `CacheInfo(hits, compiles, entries)` of the gradients found compiled already, those generated
    and compiled, and the compiled gradients held now.

    >>> info = cache_info()
    >>> info.entries >= 0 and info.compiles >= 0
    True
    """
    with _lock:
        return CacheInfo(_counts["hits"], _counts["compiles"], len(_entries))


def clear_cache() -> None:
    """Forget every compiled gradient (the next call of each `grad` function compiles again)."""
    with _lock:
        _entries.clear()
        _locks.clear()


def closure_values(source: SourceFunction) -> tuple:
    return tuple(source.closure.items())


def lookup(source: SourceFunction, options: tuple, make: Callable[[SourceFunction], tuple]) -> Entry:
    """The entry for `source` under `options`, compiled by `make(source)` if there is none yet.

    `make` returns `(compiled, build)`; `options` holds everything else that shapes the code.
    """
    key = ("\n".join(source.lines), id(source.globals), options)
    with _lock:
        key_lock = _locks.setdefault(key, threading.Lock())
    with key_lock:
        entry = _entries.get(key)
        if entry is not None and _matches(entry, source) and entry.valid():
            with _lock:
                _counts["hits"] += 1
            return entry
        own = closure_values(source)  # before `make` binds more values (an inlined helper's)
        compiled, build = make(source)
        guards = _guards(build.source)
        entry = Entry(compiled, build, source.globals, closure_values(source), guards, registry.version, own)
        with _lock:
            _entries.pop(key, None)  # re-inserted last: the dict's order is the age order
            _entries[key] = entry
            _counts["compiles"] += 1
            while len(_entries) > MAX_ENTRIES:
                oldest = next(iter(_entries))
                del _entries[oldest]
                _locks.pop(oldest, None)
        return entry


def _matches(entry: Entry, source: SourceFunction) -> bool:
    if entry.globals is not source.globals or len(entry.key_closure) != len(source.closure):
        return False
    return all(n == m and v is w for (n, v), (m, w) in zip(entry.key_closure, closure_values(source)))


def _guards(source: SourceFunction) -> tuple:
    guards = {}
    for namespace, name, value in source.resolved:
        key = (id(namespace), name)
        if namespace is not source.globals:  # an inlined helper's module: its value was bound in
            guards[key] = (namespace, name, _IS, value)
        elif value is MISSING or callable(value) or isinstance(value, types.ModuleType):
            guards[key] = (namespace, name, _IS, value)  # a builtin stays one while no global hides it
        elif isinstance(value, numbers.Number) and not isinstance(value, bool):
            guards[key] = (namespace, name, _NUMBER, None)  # treated as a scalar: its value is read live
    return tuple(guards.values())
