"""`grad`: a function's value and gradients, computed by generated source code."""

from __future__ import annotations

import functools
import inspect
import linecache
import re
import threading

import gast
import numpy as np

from . import backends
from .errors import (
    ArgumentTypeError,
    ComplexValueError,
    Location,
    NonScalarOutputError,
    SrcgradError,
    UnsupportedBackendError,
    WrtError,
    describe,
)
from .frontend import require_def
from .markers import stop_gradient  # noqa: F401  (srcgrad.api.stop_gradient, as before)

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def grad(f=None, wrt=None, with_value=True, has_aux=False, check_finite=False):
    """Make `f` return `(value, gradients)`, its gradients computed by generated source code.

    `wrt` is a parameter name or index (one gradient back), or a tuple of them (a tuple back, in
    that order); by default the first parameter. With `with_value=False` the new function
    returns the gradients alone. With `has_aux=True`, `f` returns `(value, aux)`: only `value`
    is differentiated, and the new function returns `((value, aux), gradients)` (or
    `(gradients, aux)` with `with_value=False`). With `check_finite=True`, the generated code
    checks each gradient as it computes it and raises `NonFiniteGradientError` at the line of `f`
    where a NaN or an infinity first appears. Use as `@grad`, `@grad(wrt=...)` or
    `grad(f, wrt=...)`; the generated code is `.source` on the result.
    """
    if isinstance(f, (str, int, tuple, list)) and wrt is None:  # @grad("W") or @grad(("W", "b"))
        f, wrt = None, f
    if f is None:
        return lambda func: grad(func, wrt, with_value, has_aux, check_finite)
    from .modes import transformed

    if transformed(f):
        raise SrcgradError(
            f"srcgrad.grad of {f!r} is not supported: srcgrad differentiates a function, or the result "
            "of srcgrad.grad once more (second derivatives), but not code it generated in forward mode "
            "(third derivatives, the derivative of a jvp, hvp, hessian or jacobian).",
            hint="Differentiate the original function, or use srcgrad.hessian / srcgrad.hvp for second "
            "derivatives.",
        )
    if isinstance(f, GradFunction):  # second derivatives: forward mode over f's gradient code
        from .modes import NestedGrad

        if has_aux or check_finite:
            raise SrcgradError("srcgrad.grad of a grad function takes no has_aux or check_finite.")
        return NestedGrad(f, wrt, with_value)
    return GradFunction(f, wrt, with_value, has_aux, check_finite)


def source(f, wrt=None) -> str:
    """The generated gradient source of `f` (a function, or the result of `grad`)."""
    if isinstance(f, GradFunction):
        return f.source
    return GradFunction(f, wrt, True).source


class _Retrying(threading.local):
    active = False  # in this thread, a call of the gradient made only to explain a failure


_RETRYING = _Retrying()

SPECIALIZE_LIMIT = 8  # argument shapes one function gets code of its own for; beyond, the general code


class GradFunction:
    """The callable `grad` returns: the original signature, returning value and gradients.

    Each object is made an instance of a class of its own, so that once calls have settled on
    argument types and shapes, it can make a generated entry point (`entry.py`) its
    `__call__`: a call then costs one Python frame, not the general path's checks.
    """

    def __new__(cls, *args, **kwargs):
        own = type(cls.__name__, (cls,), {"__module__": cls.__module__, "__qualname__": cls.__qualname__})
        return super().__new__(own)

    def __init__(self, f, wrt, with_value, has_aux=False, check_finite=False):
        if isinstance(f, GradFunction):
            raise SrcgradError(
                "srcgrad.grad of a function already transformed by grad is not supported yet.",
                hint="Differentiate the original function.",
            )
        require_def(f)
        self.fn = f
        self.with_value = with_value
        self.has_aux = has_aux
        self.check_finite = check_finite
        self.single = not isinstance(wrt, (tuple, list))
        self.signature = inspect.signature(f)
        self.wrt = _resolve_wrt(f, self.signature, wrt)
        params = list(self.signature.parameters.values())
        self._index = [params.index(self.signature.parameters[w]) for w in self.wrt]
        self._positional = all(params[i].kind in _POSITIONAL for i in self._index)
        self._need = max(self._index) + 1
        self._names = [p.name for p in params]
        self._plain = all(p.kind in _POSITIONAL for p in params)
        self._entry = None  # the cache entry of the compiled gradient
        self._variants = {}  # parameter structures, or argument shapes -> cache entry
        self._shaped = set()  # the argument shapes compiled for
        self._fast = None  # the installed entry.Entry
        self._no_fast = set()  # ids of specialised variants that cannot have an entry
        self._build = None
        functools.update_wrapper(self, f)

    # -- generation -------------------------------------------------------------------------

    def _compile(self, structures=None, backend=backends.NUMPY, shapes=None):
        """The compiled gradient; with `structures` (parameter -> the shape of its nested
        dicts, lists and tuples), the one generated for parameters of that structure; for
        arrays of `backend`; with `shapes` (parameter -> exact shape), specialised to them."""
        from . import cache
        from .frontend import read_function

        try:
            source = read_function(self.fn)
            options = (tuple(self.wrt), self.single, self.has_aux, structures, backend.name)
            options += (self.check_finite, shapes)
            make = lambda src: self._make(src, structures, backend, shapes)  # noqa: E731
            entry = cache.lookup(source, options, make)
        except SrcgradError as exc:  # the message points at the user's code; ours is noise
            raise exc.with_traceback(None) from None
        self._build = entry.build
        if shapes is not None:
            self._variants[("shapes", shapes)] = entry
            self._shaped.add(shapes)
        elif backend is not backends.NUMPY:
            self._variants[(structures, backend.name)] = entry
        elif structures is None:
            self._entry = entry
        else:
            self._variants[structures] = entry
        return entry.compiled

    def _make(self, source, structures, backend, shapes=None):
        from .compile import compile_generated
        from .pipeline import build

        structures = dict(structures or ())
        exact = dict(shapes) if shapes is not None else None
        result = build(
            source, self.wrt, self.single, self.has_aux, structures, self.check_finite, shapes=exact
        )
        try:
            closure = result.source.closure
            compiled = compile_generated(result.generated, self.fn.__globals__, closure, backend)
        except SyntaxError as exc:
            raise SrcgradError(
                f"internal error: the code generated for {self.fn.__name__!r} does not compile: {exc}.",
                hint="Please report this with the function that caused it.",
            ) from exc
        compiled.__qualname__ = self.fn.__qualname__  # argument errors name the user's function
        return compiled, result

    @property
    def source(self) -> str:
        """The generated Python source of the gradient function: before the first call, the
        code for arguments of any shape; after calls, the code generated last (specialised to
        the shapes of NumPy arguments, or for the structure of dict and list parameters)."""
        if self._build is None:
            self._compile()
        return self._build.generated.source

    def stages(self) -> dict[str, str]:
        """The code after each pipeline stage, for debugging (the pipeline runs again to record
        them: compiled gradients do not keep them)."""
        from .frontend import read_function
        from .pipeline import build

        try:
            source = read_function(self.fn)
            result = build(source, self.wrt, self.single, self.has_aux, None, self.check_finite, stages=True)
        except SrcgradError as exc:  # the message points at the user's code; ours is noise
            raise exc.with_traceback(None) from None
        return dict(result.stages)

    # -- calling ----------------------------------------------------------------------------

    def __call__(self, *args, **kwargs):
        if self._positional and len(args) >= self._need:
            params = [args[i] for i in self._index]
        else:
            try:
                bound = self.signature.bind(*args, **kwargs)
            except TypeError:
                self.fn(*args, **kwargs)  # raises the user's own TypeError, before its body runs
                raise
            bound.apply_defaults()
            params = [bound.arguments[w] for w in self.wrt]
        structures = None
        for w, p in zip(self.wrt, params):
            if not ((type(p) is np.ndarray and p.dtype.kind == "f") or type(p) is float):
                if isinstance(p, (dict, list, tuple)):
                    structures = tuple((w, structure_of(p, w)) for w, p in zip(self.wrt, params))
                else:
                    _check_differentiable(w, p)
        roots = set()  # ids of the argument arrays: a gradient must not be one of them
        other = False  # an argument that may belong to another backend
        for a in (*args, *kwargs.values()) if kwargs else args:
            if type(a) is np.ndarray:
                roots.add(id(a) if a.base is None else _root(a))
            elif isinstance(a, np.ndarray):
                if not isinstance(a, np.memmap):
                    self._subclass(a, args, kwargs)
                roots.add(_root(a))
            elif not (type(a) is float or a is None or isinstance(a, (int, str, np.generic))):
                other = True
        if other or structures is not None:
            backend = self._backend(args, kwargs, params)
            if backend is not backends.NUMPY:
                return self._call_on(backend, structures, params, args, kwargs)
        shapes = None if structures is not None else self._shapes(args, kwargs)
        if shapes is not None:
            entry = self._variants.get(("shapes", shapes))
        else:
            entry = self._entry if structures is None else self._variants.get(structures)
        reused = entry is not None and entry.valid()
        compiled = entry.compiled if reused else self._compile(structures, shapes=shapes)
        try:
            returned, grads = compiled(*args, **kwargs)
        except Exception as exc:
            self._failed(exc, args, kwargs)
        if reused and shapes is not None and (self._fast is None or not self._fast.variant.valid()):
            self._install(entry, args, kwargs)
        return self._finish(returned, grads, params, args, kwargs, structures, roots)

    def _finish(self, returned, grads, params, args, kwargs, structures=None, roots=None):
        """The value checked and the gradients as values like their parameters, owning their
        memory; the result in the form `grad` promises."""
        if roots is None:
            roots = {_root(a) for a in (*args, *kwargs.values()) if isinstance(a, np.ndarray)}
        value = returned[0] if self.has_aux else returned
        if type(value) not in _SCALARS and np.size(value) != 1:
            self._non_scalar(value)
        if type(value) not in _SCALARS and np.iscomplexobj(value):
            code = self.fn.__code__
            raise ComplexValueError(
                f"{self.fn.__name__!r} returned a complex value, {describe(value)}; srcgrad "
                "differentiates functions with real values.",
                Location(code.co_filename, code.co_firstlineno, function=self.fn.__name__),
                hint="Complex numbers are not differentiated yet (docs/subset.md): compute the value "
                "with real arrays, e.g. a complex product as the real and imaginary parts.",
            )
        if structures is not None:  # the arrays inside dict and list arguments are inputs too
            for p in params:
                _add_leaf_roots(p, roots)
        like = _like if structures is None else _like_tree
        if self.single:
            grads = like(grads, params[0], roots)
        else:
            grads = tuple([like(g, p, roots) for g, p in zip(grads, params)])
        if self.with_value:
            return returned, grads
        return (grads, returned[1]) if self.has_aux else grads

    def _shapes(self, args, kwargs):
        """The exact shapes of this call's array and float arguments, as a key of the code
        specialised to them; None past SPECIALIZE_LIMIT different ones (the general code)."""
        if self._plain and not kwargs and len(args) == len(self._names):
            named = zip(self._names, args)
        else:
            try:
                bound = self.signature.bind(*args, **kwargs)
            except TypeError:  # the call fails with the function's own error
                return None
            bound.apply_defaults()
            named = bound.arguments.items()
        key = tuple(
            (n, a.shape if isinstance(a, (np.ndarray, np.generic)) else ())
            for n, a in named
            if type(a) is float or isinstance(a, (np.ndarray, np.generic))
        )
        if key not in self._shaped and len(self._shaped) >= SPECIALIZE_LIMIT:
            return None
        return key

    def _install(self, variant, args, kwargs) -> None:
        """Make a generated entry for calls like this one this object's `__call__` (entry.py),
        if the call's argument types and the gradient's code allow one."""
        from . import entry

        if self.has_aux or id(variant) in self._no_fast:
            return
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        values = dict(bound.arguments)
        made = None
        if entry.eligible_types(values, self.wrt):
            helpers = {
                "slow": functools.partial(GradFunction.__call__, self),
                "finish": self._finish_entry,
                "failed": self._failed_entry,
            }
            made = entry.write(self, variant, values, helpers)
        if made is None:
            self._no_fast.add(id(variant))
            return
        self._fast = made
        type(self).__call__ = staticmethod(made.function)

    def _finish_entry(self, returned, grads, *args, **kwargs):
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return self._finish(returned, grads, [bound.arguments[w] for w in self.wrt], args, kwargs)

    def _failed_entry(self, exc, *args, **kwargs):
        self._failed(exc, args, kwargs)

    def _backend(self, args, kwargs, params):
        """The backend of this call's arrays (nested parameters' leaves included)."""
        named = list(self.signature.bind(*args, **kwargs).arguments.items())
        for w, p in zip(self.wrt, params):
            if isinstance(p, (dict, list, tuple)):
                named += [(w + "".join(f"[{k!r}]" for k in path), leaf) for path, leaf in leaves(p)]
        return backends.choose(named)

    def _call_on(self, backend, structures, params, args, kwargs):
        """The call, on CuPy or Dask arrays: the same generated code, bound to that library."""
        entry = self._variants.get((structures, backend.name))
        valid = entry is not None and entry.valid()
        compiled = entry.compiled if valid else self._compile(structures, backend)
        try:
            returned, grads = compiled(*args, **kwargs)
        except Exception as exc:
            self._failed(exc, args, kwargs, backend)
        value = returned[0] if self.has_aux else returned
        if getattr(value, "size", 1) != 1:
            self._non_scalar(value)
        xp = backend.module("numpy")
        roots = {id(a) for a in args} | {id(a) for a in kwargs.values()}
        if structures is not None:
            for p in params:
                roots |= {id(leaf) for _, leaf in leaves(p)}

        def like(g, p):
            if isinstance(p, dict):
                return {k: like(g[k], p[k]) for k in p}
            if isinstance(p, (list, tuple)):
                return type(p)(like(gi, pi) for gi, pi in zip(g, p))
            return _like_on(xp, g, p, roots)

        grads = like(grads, params[0]) if self.single else tuple(map(like, grads, params))
        if self.with_value:
            return returned, grads
        return (grads, returned[1]) if self.has_aux else grads

    def _subclass(self, a, args, kwargs):
        """Refuse an ndarray subclass: `np.matrix` makes `*` a matrix product and masked arrays
        skip elements, so the rules, written for ndarrays, would give wrong gradients."""
        arguments = self.signature.bind(*args, **kwargs).arguments
        name = next(k for k, v in arguments.items() if v is a)
        raise ArgumentTypeError(
            f"srcgrad differentiates functions of plain NumPy arrays, but {name} is a "
            f"{type(a).__module__}.{type(a).__qualname__}, whose operators mean something else.",
            hint=f"Pass {name}=np.asarray({name}) (for a masked array, fill or drop the masked "
            "values first, e.g. np.ma.filled(x, 0.0)).",
        )

    def _failed(self, exc: Exception, args, kwargs, backend=backends.NUMPY):
        """Explain an exception from the generated code, by running the user's own function.

        When the function fails on these arguments too (`None` passed for an array, shapes
        that do not match), its own error, raised from its own line, is the one to show. When
        it does not, the generated code is at fault, and the error says so; an argument is
        blamed only when the gradient does run once that argument is made an array.
        """
        if isinstance(exc, (ArithmeticError, SrcgradError)):  # np.seterr(all="raise"); no gradient here
            raise exc
        try:
            self.fn(*args, **kwargs)
        except Exception as own:
            raise own.with_traceback(own.__traceback__) from None
        if backend is not backends.NUMPY:  # the function runs there, so its gradient's code does not
            line, statement = _generated_line(exc)
            of = f" (part of the gradient of `{statement}`)" if statement else ""
            _, users = _failure_site(exc, self._entries())
            raise UnsupportedBackendError(
                f"srcgrad cannot compute the gradient of {self.fn.__name__!r} on {backend.label} arrays: "
                f"the generated line `{_clip(line)}`{of} failed there with {exception_summary(exc)}.",
                users[0] if len(users) == 1 else None,
                hint="Call the function with NumPy arrays; srcgrad.source(f) prints the generated code.",
            ) from exc
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        loose = [k for k, v in bound.arguments.items() if k not in self.wrt and isinstance(v, (list, tuple))]
        blamed = self._runs_with_arrays(loose, bound) if loose and not _RETRYING.active else []
        if blamed:  # NumPy takes lists where arrays go; the backward pass's helpers may not
            kinds = ", ".join(f"{k} is {describe(bound.arguments[k])}" for k in blamed)
            names = ", ".join(blamed)
            raise ArgumentTypeError(
                f"the gradient srcgrad generated for {self.fn.__name__!r} needs "
                f"{'an array' if len(blamed) == 1 else 'arrays'} for {names}, but {kinds}: "
                f"{self.fn.__name__!r} itself takes {'it' if len(blamed) == 1 else 'them'}, the "
                f"generated code fails with {exception_summary(exc)}, and runs with "
                f"{', '.join(f'np.asarray({k})' for k in blamed)}.",
                hint=f"Pass {', '.join(f'{k}=np.asarray({k})' for k in blamed)}.",
            ) from exc
        raise internal_error(self.fn, exc, self._entries(), "the gradient") from exc

    def _entries(self) -> list:
        """The cache entries of this gradient's compiled code (to find which one failed)."""
        return [e for e in (self._entry, *self._variants.values()) if e is not None]

    def _runs_with_arrays(self, loose: list[str], bound) -> list[str]:
        """Which of the list and tuple arguments `loose` the gradient fails for: the first that,
        made an array (`np.asarray`), lets it run, or else all of them if all made arrays do;
        none if it fails that way too (then they are not at fault)."""
        arrays = {}
        for k in loose:
            try:
                converted = np.asarray(bound.arguments[k])
            except Exception:  # ragged, or not numbers: np.asarray is no advice for it
                continue
            if converted.dtype != object:
                arrays[k] = converted
        tries = [[k] for k in arrays] + ([list(arrays)] if len(arrays) > 1 else [])
        _RETRYING.active = True  # a retry that fails is not explained again (no retries of retries)
        try:
            for names in tries:
                arguments = dict(bound.arguments)
                arguments.update({k: arrays[k] for k in names})
                retry = inspect.BoundArguments(self.signature, arguments)
                try:
                    GradFunction.__call__(self, *retry.args, **retry.kwargs)
                except Exception:
                    continue
                return names
        finally:
            _RETRYING.active = False
        return []

    def _non_scalar(self, value):
        result = self._build.program.result
        raise NonScalarOutputError(
            f"srcgrad.grad needs {self.fn.__name__!r} to return a scalar, but it returned an array "
            f"of shape {np.shape(value)}.",
            self._build.source.location(result.origin),
            hint="Reduce it to one number, e.g. np.sum(...) or np.mean(...), or ask for the "
            "gradient of each element separately.",
        )

    def __repr__(self):
        return f"<srcgrad.grad of {self.fn.__qualname__} wrt {', '.join(self.wrt)}>"


def _resolve_wrt(f, signature, wrt) -> list[str]:
    params = list(signature.parameters.values())
    names = [p.name for p in params]
    if not params:
        raise WrtError(
            f"{f.__name__!r} has no parameters to differentiate with respect to.", _wrt_location(f)
        )
    items = [params[0].name] if wrt is None else (list(wrt) if isinstance(wrt, (tuple, list)) else [wrt])
    if not items:
        raise WrtError("wrt is empty: name at least one parameter.", _wrt_location(f))
    resolved = []
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool):
            if not -len(params) <= item < len(params):
                raise WrtError(
                    f"wrt index {item} is out of range: {f.__name__!r} has "
                    f"{len(params)} parameters ({', '.join(names)}).",
                    _wrt_location(f),
                )
            item = names[item]
        if not isinstance(item, str) or item not in names:
            raise WrtError(
                f"wrt={item!r} is not a parameter of {f.__name__!r}; its parameters are {', '.join(names)}.",
                _wrt_location(f),
            )
        kind = signature.parameters[item].kind
        if kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            raise WrtError(
                f"wrt={item!r} names a *args/**kwargs parameter; name a single parameter.", _wrt_location(f)
            )
        if item in resolved:
            raise WrtError(f"wrt names {item!r} twice.", _wrt_location(f))
        resolved.append(item)
    return resolved


def _wrt_location(f) -> Location:
    """The `def` line of `f`, for a WrtError (found only when one is raised)."""
    code = f.__code__
    return _def_location(f) or Location(code.co_filename, code.co_firstlineno, function=f.__name__)


def structure_of(value, path: str):
    """The nesting of dicts, lists and tuples in `value`, as a hashable description; each leaf
    must be a floating-point value (`path` names it in the error otherwise)."""
    if isinstance(value, dict):
        keys = tuple(value)
        return ("dict", keys, tuple(structure_of(value[k], f"{path}[{k!r}]") for k in keys))
    if isinstance(value, (list, tuple)):
        kind = "list" if isinstance(value, list) else "tuple"
        return (kind, len(value), tuple(structure_of(v, f"{path}[{i}]") for i, v in enumerate(value)))
    if not ((type(value) is np.ndarray and value.dtype.kind == "f") or type(value) is float):
        _check_differentiable(path, value)
    return None


def _like_tree(g, p, roots: set):
    if isinstance(p, dict):
        return {k: _like_tree(g[k], p[k], roots) for k in p}
    if isinstance(p, (list, tuple)):
        return type(p)(_like_tree(gi, pi, roots) for gi, pi in zip(g, p))
    return _like(g, p, roots)


def _add_leaf_roots(value, roots: set) -> None:
    roots.update(_root(leaf) for _, leaf in leaves(value) if isinstance(leaf, np.ndarray))


def _check_differentiable(name: str, value) -> None:
    if type(value) is float:
        return
    if backends.kind_of(value) in ("cupy", "dask") and value.dtype.kind == "f":
        return
    if isinstance(value, (np.ndarray, np.generic)) and np.issubdtype(value.dtype, np.floating):
        return
    if isinstance(value, (bool, np.bool_)) or (
        isinstance(value, (np.ndarray, np.generic)) and value.dtype == bool
    ):
        what = "a boolean"
    elif isinstance(value, (int, np.integer)) or (
        isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.integer)
    ):
        what = "an integer"
    elif value is None:
        what = "None"
    else:
        if backends.foreign(value):  # a torch tensor, a JAX array: name the supported libraries
            backends.choose([(name, value)])
        what = f"a {type(value).__name__}"
        if isinstance(value, np.ndarray) or backends.kind_of(value) is not None:
            what = f"an array of dtype {value.dtype}"
    raise ArgumentTypeError(
        f"gradient with respect to {name!r} needs a floating-point value, "
        f"but {_named(name, value)} is {what}.",
        hint=f"Pass a float, or a float array of NumPy, CuPy or Dask, e.g. "
        f"{name}=np.asarray({name}, dtype=float).",
    )


def _generated_line(exc: Exception) -> tuple[str, str | None]:
    """The generated line an exception came from, and the user statement whose gradient it is
    part of (from the `# grad of:` comment above it; None in the forward part)."""
    tb, found = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.startswith("<srcgrad:"):
            found = tb
        tb = tb.tb_next
    if found is None:
        return "?", None
    lines = linecache.getlines(found.tb_frame.f_code.co_filename)
    index = found.tb_lineno - 1
    line = lines[index].strip() if 0 <= index < len(lines) else "?"
    for above in reversed(lines[:index]):
        text = above.strip()
        if text.startswith("# grad of: "):
            return line, text[len("# grad of: ") :]
        if not text:  # the blank line between the forward and the backward part
            break
    return line, None


def leaves(value, path=()):
    """(path, leaf) for each value in nested dicts, lists and tuples; a path is the keys and
    indices that lead to the leaf."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, (*path, k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from leaves(v, (*path, i))
    else:
        yield path, value


def _like_on(xp, g, p, roots: set):
    """`_like` on CuPy or Dask: an array of the backend with the parameter's dtype and shape
    (a Dask gradient stays lazy), never one of the arguments themselves."""
    if type(p) is float and backends.kind_of(g) is None:
        return float(g)
    dtype = getattr(p, "dtype", None) or np.dtype(float)
    if backends.kind_of(g) is None or backends.kind_of(g) == "numpy":
        g = xp.asarray(g)
    if tuple(g.shape) != tuple(np.shape(p)):
        raise SrcgradError(
            f"internal error: a gradient of shape {g.shape} was computed for a parameter of "
            f"shape {np.shape(p)}.",
            hint="Please report this with the function that caused it.",
        )
    if g.dtype != dtype:
        g = g.astype(dtype)
    elif id(g) in roots and backends.kind_of(g) == "cupy":  # Dask arrays are never changed in place
        g = g.copy()
    roots.add(id(g))
    return g


def _named(name: str, value) -> str:
    """`x=3` for a value short to show, else `x (a NumPy array of shape (3,) and dtype int64)`:
    never an array's elements."""
    shown = describe(value)
    if shown.startswith(("a ", "an ")):
        return f"{name} ({shown})"
    return f"{name}={shown}"


def _clip(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# an array's elements in a message: `array([`, or a bracketed run of two numbers or more
_ELEMENTS = re.compile(r"array\(|\[\s*[-+]?(?:\d|nan|inf)[^\]]*?[\s,]\s*[-+]?(?:\d|nan|inf)", re.IGNORECASE)


def exception_summary(exc: BaseException) -> str:
    """`Type: first line of the message`, short, and without it if it shows array elements."""
    lines = str(exc).strip().splitlines()
    text = lines[0].strip() if lines else ""
    if _ELEMENTS.search(str(exc)):
        text = "(its message, which shows array elements, is left out)"
    elif len(lines) > 1:
        text += " ..."
    text = _clip(text, 200)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _def_location(fn) -> Location | None:
    from .frontend import def_location

    return def_location(fn)


def internal_error(fn, exc: BaseException, entries: list, what: str, shown_by: str | None = None):
    """The error for generated code that raised where the user's function `fn` runs: it names
    `fn` with its file and the line of its `def`, and the user's line whose code failed, when
    the failing generated line maps back to one; never the values involved."""
    line, user = _failure_site(exc, entries)
    name = fn.__name__
    defined = _def_location(fn)
    message = (
        f"internal error: {what} srcgrad generated for {name!r} raised {exception_summary(exc)}, "
        f"but {name!r} itself runs on these arguments."
    )
    failed = f"The generated line that failed, `{_clip(line)}`," if line else "The generated code that failed"
    if len(user) == 1:
        if defined is not None:
            message += f"\n{name!r} is defined in {defined.filename}, line {defined.lineno}."
        message += f"\n{failed} is part of the derivative of this line:"
        location = user[0]
    else:
        if user:
            lines = ", ".join(str(u.lineno) for u in user)
            message += f"\n{failed} is part of the derivative of one of the lines {lines} of {name!r}."
        else:
            message += f"\n{failed} could not be traced to a line of {name!r}."
        message += f" {name!r} is defined here:" if defined is not None else ""
        location = defined
    hint = (
        "Please report this, with the function and the arguments' shapes and dtypes; the traceback "
        f"above shows the generated code that failed, and {shown_by or f'srcgrad.source({name})'} "
        "prints it."
    )
    return SrcgradError(message, location, hint=hint)


def _failure_site(exc: BaseException, entries: list) -> tuple[str | None, list[Location]]:
    """The generated line `exc` was raised from, and the user's lines it may be part of the
    derivative of (one, when it can be told): from the `# grad of:` comment above a backward
    line, or the name a forward line assigns; through code generated from generated code (`jvp`
    of a `grad`) down to the user's."""
    tb, found = exc.__traceback__, None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith("<srcgrad:") and " entry " not in filename:
            found = tb
        tb = tb.tb_next
    if found is None:
        return None, []
    filename, lineno = found.tb_frame.f_code.co_filename, found.tb_lineno
    lines = linecache.getlines(filename)
    line = lines[lineno - 1].strip() if 0 < lineno <= len(lines) else None
    try:
        places = _user_lines(filename, lineno, entries)
    except Exception:  # only a message is at stake: no location rather than another error
        places = []
    return line, places


def _user_lines(filename: str, lineno: int, entries: list, depth: int = 0) -> list[Location]:
    from . import ir

    try:
        from .codegen import _one_line
    except ImportError:  # pragma: no cover - renamed: no mapping by comment
        _one_line = None
    build = next((e.build for e in entries if e.compiled.__code__.co_filename == filename), None)
    lines = linecache.getlines(filename)
    if build is None or not 0 < lineno <= len(lines) or depth > 3:
        return []
    program = build.program
    statements = list(ir.walk(program.body))
    statement = None
    for above in reversed(lines[:lineno]):
        text = above.strip()
        if text.startswith("# grad of: "):
            statement = text[len("# grad of: ") :]
            break
        if not text or text.startswith("def "):  # the forward part: no comment above
            break
    origins = []
    if statement is not None and _one_line is not None:
        candidates = {id(s.origin): s.origin for s in statements if isinstance(s.origin, gast.stmt)}
        candidates.setdefault(id(program.result.origin), program.result.origin)
        origins = [o for o in candidates.values() if _one_line(o) == statement]
    elif statement is None:
        match = re.match(r"\s*(\w+)\s*=[^=]", lines[lineno - 1])
        if match:
            target = match[1]
            names = [target] + ([target[1:]] if target[:1] in ("d", "t") else [])  # a tangent `dz`
            for candidate in names:
                origins = [s.origin for s in statements if isinstance(s, ir.Assign) and s.target == candidate]
                if origins:
                    break
    places = {}
    for origin in origins:
        where = getattr(origin, "srcgrad_source", build.source).location(origin)
        if where.filename.startswith("<srcgrad:"):  # a line of generated code (jvp of a grad)
            for deeper in _user_lines(where.filename, where.lineno, entries, depth + 1):
                places[(deeper.filename, deeper.lineno)] = deeper
        else:
            places[(where.filename, where.lineno)] = where
    return sorted(places.values(), key=lambda where: (where.filename, where.lineno))


_SCALARS = (float, np.float64, np.float32)


def _root(a):
    while isinstance(a, np.ndarray) and a.base is not None:
        a = a.base
    return id(a)


def _like(g, p, roots: set):
    """The gradient `g` as the same kind of value as the parameter `p`, owning its memory.

    `roots` holds the ids of the argument arrays and of the gradients returned so far; a
    gradient that is, or is a view of, one of them is copied.
    """
    if type(p) is float:
        return float(g)
    if isinstance(p, np.generic):
        return p.dtype.type(g)
    fresh = type(g) is np.ndarray and g.base is None and id(g) not in roots
    if fresh and g.dtype == p.dtype and g.shape == p.shape:  # the common case
        roots.add(id(g))
        return g
    g = np.asarray(g)
    if g.shape != p.shape:
        raise SrcgradError(
            f"internal error: a gradient of shape {g.shape} was computed for a parameter of shape {p.shape}.",
            hint="Please report this with the function that caused it.",
        )
    if g.dtype != p.dtype:
        g = g.astype(p.dtype)
    elif not g.flags.writeable or _root(g) in roots:
        g = g.copy()
    roots.add(_root(g))
    return g
