"""`Compiled`: what every callable srcgrad returns is built on (grad, jvp, vjp, and through them
hvp, hessian, jacobian and grad of a grad).

It owns the generated code's life: reading the function (or, for higher derivatives, the code of
the gradient it transforms), compiling it once per source and options through the cache
(`cache.py`), one *variant* per kind of call, and the generated entry point a settled call
pattern gets. A variant is keyed by three things:

- `structures`: for parameters that are dicts, lists or tuples, the nesting of each (else None);
- `backend`: the array library the code is bound to (NumPy, CuPy, Dask);
- `shapes`: the exact shape of each float and NumPy argument, when the code is specialised to
  them (`analyses/exact.py`), for up to SPECIALIZE_LIMIT different ones; None for any shape.

A subclass says what it generates (`_build`) and what else shapes the code (`_options`).
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from .. import backends, cache
from ..analyses.exact import INT
from ..errors import SrcgradError
from ..frontend import read_function
from ..generated import read_generated
from .arguments import is_nested, leaves, resolve_wrt
from .failures import internal_error

SPECIALIZE_LIMIT = 8  # argument shapes one function gets code of its own for; beyond, the general code


class Compiled:
    """A user's function `fn`, transformed into generated code compiled per variant.

    `inner`, when set, is the `GradFunction` whose generated code is transformed instead of
    `fn` itself (forward mode over reverse mode). Each object is made an instance of a class of
    its own, so that a generated entry point (`entry.py`) can become its `__call__` once calls
    settle on argument types and shapes.
    """

    mode = ""  # "grad", "jvp", "vjp": part of the cache key

    def __new__(cls, *args, **kwargs):
        own = type(cls.__name__, (cls,), {"__module__": cls.__module__, "__qualname__": cls.__qualname__})
        return super().__new__(own)

    def __init__(self, fn, wrt, inner=None):
        self.fn = fn
        self.inner = inner
        self.signature = inspect.signature(fn)
        self.single = not isinstance(wrt, (tuple, list))
        self.wrt = resolve_wrt(fn, self.signature, wrt)
        self._variants = {}  # (structures, backend name, shapes) -> cache entry
        self._shaped = set()  # the argument shapes compiled for
        self._shown = None  # the entry of the last call: the code `.source` shows
        self._fast = None  # the installed entry.Entry
        self._no_fast = set()  # ids of variants that cannot have an entry
        functools.update_wrapper(self, fn)

    # -- what subclasses say -----------------------------------------------------------------

    def _options(self) -> tuple:
        """Everything besides the variant that shapes the generated code."""
        return (self.mode, tuple(self.wrt), self.single)

    def _build(self, source, structures: dict, shapes: dict | None):
        """Run the pipeline on `source`: a `pipeline.Build`."""
        raise NotImplementedError

    def _entry_possible(self, variant) -> bool:
        """Whether this variant's code may have a generated entry point (`entry.py`); a subclass
        that says yes gives `_entry_outputs`, `_finish_entry` and `_failed_entry`."""
        return False

    # -- variants --------------------------------------------------------------------------

    def variant(self, structures=None, backend=backends.NUMPY, shapes=None, show=True):
        """The cache entry of the code for this variant, compiled if it is missing or stale;
        with `show`, it becomes the code `.source` shows."""
        return self._variant(structures, backend, shapes, show)[0]

    def _variant(self, structures, backend, shapes, show=True):
        """`variant`'s entry, and whether an earlier call compiled it and it still holds (the
        call pattern has settled: time for an entry point)."""
        key = (structures, backend.name, shapes)
        entry = self._variants.get(key)
        reused = entry is not None and entry.valid()
        if not reused:
            try:
                source = self._read(shapes)
                make = lambda src: self._make(src, structures, backend, shapes)  # noqa: E731
                entry = cache.lookup(source, (*self._options(), *key), make)
            except SrcgradError as exc:  # the message points at the user's code; ours is noise
                raise exc.with_traceback(None) from None
            self._variants[key] = entry
            if shapes is not None:
                self._shaped.add(shapes)
        if show:
            self._shown = entry
        return entry, reused

    def _read(self, shapes):
        """The function to transform: the user's, or the code `inner` generated for it."""
        if self.inner is not None:
            return read_generated(self.inner, shapes)
        return read_function(self.fn)

    def _make(self, source, structures, backend, shapes):
        from ..compile import compile_generated  # the code generator: loaded at the first compile

        result = self._build(source, dict(structures or ()), dict(shapes) if shapes is not None else None)
        try:
            compiled = compile_generated(result.generated, self.fn.__globals__, source.closure, backend)
        except SyntaxError as exc:
            raise SrcgradError(
                f"internal error: the code generated for {self.fn.__name__!r} does not compile: {exc}.",
                hint="Please report this with the function that caused it.",
            ) from exc
        compiled.__qualname__ = self.fn.__qualname__  # argument errors name the user's function
        return compiled, result

    def shape_key(self, named) -> tuple | None:
        """The key of the code specialised to these arguments ((name, value) pairs): the shape
        of each float and NumPy value, INT for a Python int; None past SPECIALIZE_LIMIT
        different keys (the code for any shapes). Other arguments are left out of the key: the
        code treats them as unknown."""
        named = list(named)
        key = tuple(  # a Python int is keyed as an int of any value (a count, a step, a size)
            (n, a.shape if isinstance(a, (np.ndarray, np.generic)) else INT if type(a) is int else ())
            for n, a in named
            if type(a) in (float, int) or isinstance(a, (np.ndarray, np.generic))
        )
        nested = [(n, a) for n, a in named if n in self.wrt and is_nested(a)]
        key += tuple(  # the leaves of a nested parameter: ((parameter, path), shape)
            ((n, path), leaf.shape if isinstance(leaf, (np.ndarray, np.generic)) else ())
            for n, a in nested
            for path, leaf in leaves(a)
            if type(leaf) is float or isinstance(leaf, (np.ndarray, np.generic))
        )
        if key not in self._shaped and len(self._shaped) >= SPECIALIZE_LIMIT:
            return None
        return key

    @property
    def source(self) -> str:
        """The generated Python source: before a call, the code for arguments of any shape;
        after calls, the code the last call ran (for the structure of its dict, list, NamedTuple
        and dataclass parameters, and specialised to the shapes of its arrays and floats, those
        inside them too)."""
        if self._shown is None:
            self.variant()
        return self._shown.build.generated.source

    def _entries(self) -> list:
        """The cache entries of this function's code, and of the code it transforms (to find
        which generated line failed)."""
        entries = list(self._variants.values())
        if self.inner is not None:
            entries += self.inner._entries()
        return entries

    # -- calling ----------------------------------------------------------------------------

    def _install(self, variant, values: dict) -> None:
        """Make a generated entry for calls like this one (`values`: parameter -> argument) this
        object's `__call__`, if the call's argument types and the code allow one."""
        from .. import entry

        if id(variant) in self._no_fast:
            return
        made = None
        if self._entry_possible(variant) and entry.eligible_types(values, self.wrt):
            general = type(self).__bases__[0].__call__  # the class's own, not the object's entry
            helpers = {
                "slow": functools.partial(general, self),
                "finish": self._finish_entry,
                "failed": self._failed_entry,
            }
            made = entry.write(self, variant, values, helpers)
        if made is None:
            self._no_fast.add(id(variant))
            return
        self._fast = made
        type(self).__call__ = staticmethod(made.function)

    def _fail_as_the_function(self, exc: Exception, args, kwargs) -> None:
        """For an exception from the generated code: raise it again if it is an arithmetic
        error (np.seterr) or srcgrad's own, else the function's own error when the function
        fails on these arguments too. Returns when the function runs: the code is at fault."""
        if isinstance(exc, (ArithmeticError, SrcgradError)):
            raise exc
        try:
            self.fn(*args, **kwargs)
        except Exception as own:
            raise own.with_traceback(own.__traceback__) from None

    def _internal_error(self, exc: Exception, what: str, shown_by: str | None = None) -> SrcgradError:
        return internal_error(self.fn, exc, self._entries(), what, shown_by)


class Transformed:
    """A callable made by jvp, vjp, hvp, hessian, jacobian, or grad of a grad: code srcgrad
    generated in forward mode, which it does not differentiate again (third derivatives)."""


def transformed(f) -> bool:
    """Whether `f` is a callable made by jvp, vjp, hvp, hessian, jacobian or grad of a grad."""
    return isinstance(f, Transformed)
