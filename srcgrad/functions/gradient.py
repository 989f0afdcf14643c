"""`GradFunction`: the callable `grad` returns. Reverse mode: the user's function's value and
gradients from generated code, for NumPy, CuPy and Dask arrays and for parameters that are dicts,
lists, tuples, NamedTuples and dataclasses of them; the gradients returned as values like their
parameters; an exception from the generated code explained by the user's own function and
lines."""

from __future__ import annotations

import inspect
import threading

import numpy as np

from .. import backends
from ..errors import (
    ArgumentTypeError,
    ComplexValueError,
    Location,
    NonScalarOutputError,
    SrcgradError,
    UnsupportedBackendError,
    describe,
)
from ..frontend import require_def
from .arguments import (
    POSITIONAL,
    SCALARS,
    add_leaf_roots,
    function_arguments,
    gradient_like,
    gradient_like_on,
    gradient_tree_like,
    is_nested,
    leaves,
    path_text,
    root,
    structures_of,
    tree_like,
)
from .compiled import Compiled
from .failures import clip, exception_summary, failure_site, generated_line


class _Retrying(threading.local):
    active = False  # in this thread, a call of the gradient made only to explain a failure


_RETRYING = _Retrying()


class GradFunction(Compiled):
    """The callable `grad` returns: the original signature, returning value and gradients."""

    mode = "grad"

    def __init__(self, f, wrt, with_value, has_aux=False, check_finite=False):
        if isinstance(f, GradFunction):
            raise SrcgradError(
                "srcgrad.grad of a function already transformed by grad is not supported yet.",
                hint="Differentiate the original function.",
            )
        require_def(f)
        super().__init__(f, wrt)
        self.with_value = with_value
        self.has_aux = has_aux
        self.check_finite = check_finite
        params = list(self.signature.parameters.values())
        self._index = [params.index(self.signature.parameters[w]) for w in self.wrt]
        self._positional = all(params[i].kind in POSITIONAL for i in self._index)
        self._need = max(self._index) + 1
        self._names = [p.name for p in params]
        self._plain = all(p.kind in POSITIONAL for p in params)
        # a parameter whose default is a function (`act=np.tanh`): each call's function keys the code
        self._function_defaults = any(callable(p.default) and p.default is not p.empty for p in params)

    # -- generation -------------------------------------------------------------------------

    def _options(self) -> tuple:
        return (*super()._options(), self.has_aux, self.check_finite)

    def _build(self, source, structures, shapes):
        from ..pipeline import build

        aux, check = self.has_aux, self.check_finite
        return build(source, self.wrt, self.single, aux, structures, check, shapes=shapes)

    def stages(self) -> dict[str, str]:
        """The code after each pipeline stage, for debugging (the pipeline runs again to record
        them: compiled gradients do not keep them)."""
        from ..frontend import read_function
        from ..pipeline import build

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
        structures = structures_of(self.wrt, params)
        roots = set()  # ids of the argument arrays: a gradient must not be one of them
        other = False  # an argument that may belong to another backend
        for a in (*args, *kwargs.values()) if kwargs else args:
            if type(a) is np.ndarray:
                roots.add(id(a) if a.base is None else root(a))
            elif isinstance(a, np.ndarray):
                if not isinstance(a, np.memmap):
                    self._subclass(a, args, kwargs)
                roots.add(root(a))
            elif not (type(a) is float or a is None or isinstance(a, (int, str, np.generic))):
                other = True
        if other or self._function_defaults:  # a function passed in (`act=np.tanh`): code for it
            named = self.signature.bind(*args, **kwargs)
            named.apply_defaults()
            functions = function_arguments(named.arguments, self.wrt)
            if functions:
                plain = structures or tuple((w, None) for w in self.wrt)
                structures = (*plain, *functions)
        if other or structures is not None:
            backend = self._backend(args, kwargs, params)
            if backend is not backends.NUMPY:
                return self._call_on(backend, structures, params, args, kwargs)
        shapes = self._shapes(args, kwargs)  # nested parameters: their leaves' shapes too
        entry, reused = self._variant(structures, backends.NUMPY, shapes)
        try:
            returned, grads = entry.compiled(*args, **kwargs)
        except Exception as exc:
            self._failed(exc, args, kwargs)
        fast = reused and shapes is not None and structures is None  # the entry checks plain arguments
        if fast and (self._fast is None or not self._fast.variant.valid()):
            bound = self.signature.bind(*args, **kwargs)
            bound.apply_defaults()
            self._install(entry, dict(bound.arguments))
        return self._finish(returned, grads, params, args, kwargs, structures, roots)

    def _finish(self, returned, grads, params, args, kwargs, structures=None, roots=None):
        """The value checked and the gradients as values like their parameters, owning their
        memory; the result in the form `grad` promises."""
        if roots is None:
            roots = {root(a) for a in (*args, *kwargs.values()) if isinstance(a, np.ndarray)}
        value = returned[0] if self.has_aux else returned
        if type(value) not in SCALARS and np.size(value) != 1:
            self._non_scalar(value)
        if type(value) not in SCALARS and np.iscomplexobj(value):
            code = self.fn.__code__
            raise ComplexValueError(
                f"{self.fn.__name__!r} returned a complex value, {describe(value)}; srcgrad "
                "differentiates functions with real values.",
                Location(code.co_filename, code.co_firstlineno, function=self.fn.__name__),
                hint="Return a real value computed from the complex ones, e.g. np.sum(np.abs(z) ** 2) "
                "or np.real(...) (docs/subset.md).",
            )
        if structures is not None:  # the arrays inside dict and list arguments are inputs too
            for p in params:
                add_leaf_roots(p, roots)
        like = gradient_like if structures is None else gradient_tree_like
        if self.single:
            grads = like(grads, params[0], roots)
        else:
            grads = tuple([like(g, p, roots) for g, p in zip(grads, params)])
        if self.with_value:
            return returned, grads
        return (grads, returned[1]) if self.has_aux else grads

    def _shapes(self, args, kwargs):
        """This call's key of the code specialised to its arguments' shapes (`shape_key`)."""
        if self._plain and not kwargs and len(args) == len(self._names):
            named = zip(self._names, args)
        else:
            try:
                bound = self.signature.bind(*args, **kwargs)
            except TypeError:  # the call fails with the function's own error
                return None
            bound.apply_defaults()
            named = bound.arguments.items()
        return self.shape_key(named)

    def _entry_possible(self, variant) -> bool:
        return not self.has_aux

    def _entry_outputs(self, value, grads, values, fresh, bind, ndarray):
        """For the entry (entry.py): the checks under which the gradients go back as the code
        computed them, what goes back, and what `finish` gets otherwise; None when a gradient
        may be an argument, a view of one, or another gradient."""
        arrays = [g for g, w in zip(grads, self.wrt) if type(values[w]) is np.ndarray]
        if any(g not in fresh for g in arrays) or len(set(arrays)) != len(arrays):
            return None
        scalars = bind((float, np.float64, np.float32), "scalars")
        checks = [f"type({value}) in {scalars}"]
        for g, w in zip(grads, self.wrt):
            if type(values[w]) is np.ndarray:
                checks.append(f"type({g}) is {ndarray} and {g}.dtype is {w}.dtype and {g}.shape == {w}.shape")
            else:
                checks.append(f"type({g}) is {bind(float, 'float')}")
        together = grads[0] if self.single else "(" + ", ".join(grads) + (",)" if len(grads) == 1 else ")")
        result = f"{value}, {together}" if self.with_value else together
        return checks, result, f"{value}, {together}"

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
            if is_nested(p):
                named += [(w + path_text(p, path), leaf) for path, leaf in leaves(p)]
        return backends.choose(named)

    def _call_on(self, backend, structures, params, args, kwargs):
        """The call, on CuPy or Dask arrays: the same generated code, bound to that library."""
        compiled = self.variant(structures, backend).compiled
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
            return tree_like(g, p, lambda gi, pi: gradient_like_on(xp, gi, pi, roots))

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
        self._fail_as_the_function(exc, args, kwargs)
        if backend is not backends.NUMPY:  # the function runs there, so its gradient's code does not
            line, statement = generated_line(exc)
            of = f" (part of the gradient of `{statement}`)" if statement else ""
            _, users = failure_site(exc, self._entries())
            raise UnsupportedBackendError(
                f"srcgrad cannot compute the gradient of {self.fn.__name__!r} on {backend.label} arrays: "
                f"the generated line `{clip(line)}`{of} failed there with {exception_summary(exc)}.",
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
        raise self._internal_error(exc, "the gradient") from exc

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
        result = self._shown.build.program.result
        raise NonScalarOutputError(
            f"srcgrad.grad needs {self.fn.__name__!r} to return a scalar, but it returned an array "
            f"of shape {np.shape(value)}.",
            self._shown.build.source.location(result.origin),
            hint="Reduce it to one number, e.g. np.sum(...) or np.mean(...), or ask for the "
            "gradient of each element separately.",
        )

    def __repr__(self):
        return f"<srcgrad.grad of {self.fn.__qualname__} wrt {', '.join(self.wrt)}>"
