"""Forward mode and higher order: `jvp`, `vjp`, `hvp`, `hessian`, `jacobian`.

Every one of them is generated source, like `grad`'s: `jvp` transforms a function into one that
computes its value and, in program order, the tangent of each value (the forward-mode table of
rules); `vjp` is the reverse pass seeded with a cotangent the caller passes; `hvp` and
`hessian` apply forward mode to the code `grad` generated (forward over reverse), and `grad` of a
`grad` does the same (see api.py).
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from . import api
from .errors import ArgumentTypeError, SrcgradError
from .frontend import require_def

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def jvp(f=None, wrt=None, has_aux=False):
    """Make `f` return `(value, tangent)`: its value, and its derivative in the direction of the
    tangents passed after its own arguments, computed forward by generated source code.

    `wrt` names the parameters the tangents belong to, as for `grad` (by default the first). The
    new function takes `f`'s arguments, then one tangent per `wrt` parameter, of that
    parameter's shape, in `wrt`'s order (by position, or by the name `d<parameter>` that
    `.source` shows). `f` may return an array: its tangent has the same shape. Use as `@jvp`,
    `@jvp(wrt=...)` or `jvp(f, wrt=...)`; `f` may also be the result of `grad` (forward over
    reverse: the tangent of the gradients is a Hessian-vector product).
    """
    if isinstance(f, (str, int, tuple, list)) and wrt is None:
        f, wrt = None, f
    if f is None:
        return lambda func: JvpFunction(func, wrt, has_aux)
    return JvpFunction(f, wrt, has_aux)


class _Derived:
    """What the transformed callables share: the user's function, its signature, the parameters
    differentiated, the generated code (compiled once per source and options, `cache.py`)."""

    mode = ""

    def __init__(self, f, wrt):
        inner = f if isinstance(f, api.GradFunction) else None
        if inner is None:
            require_def(f)
        self.inner = inner
        self.fn = f.fn if inner is not None else f
        self.signature = inspect.signature(self.fn)
        self.single = not isinstance(wrt, (tuple, list))
        self.wrt = api._resolve_wrt(self.fn, self.signature, wrt)
        self._entry = None
        functools.update_wrapper(self, self.fn)

    def _options(self) -> tuple:
        return (self.mode, tuple(self.wrt), self.single)

    def _source(self):
        """The function transformed: the user's, or the code `grad` generated for it."""
        from .frontend import read_function

        if self.inner is not None:
            from .generated import read_generated

            return read_generated(self.inner)
        return read_function(self.fn)

    def _compiled(self):
        from . import cache

        if self._entry is not None and self._entry.valid():
            return self._entry.compiled
        try:
            source = self._source()
            self._entry = cache.lookup(source, self._options(), self._make)
        except SrcgradError as exc:  # the message points at the user's code; ours is noise
            raise exc.with_traceback(None) from None
        return self._entry.compiled

    def _make(self, source):
        from .compile import compile_generated

        result = self._build(source)
        try:
            compiled = compile_generated(result.generated, self.fn.__globals__, source.closure)
        except SyntaxError as exc:
            raise SrcgradError(
                f"internal error: the code generated for {self.fn.__name__!r} does not compile: {exc}.",
                hint="Please report this with the function that caused it.",
            ) from exc
        compiled.__qualname__ = self.fn.__qualname__
        return compiled, result

    @property
    def source(self) -> str:
        """The generated Python source."""
        self._compiled()
        return self._entry.build.generated.source

    def _explain(self, exc: Exception, args, kwargs):
        """An exception from the generated code: the function's own error when it fails on these
        arguments too, else an internal error (as `grad` does)."""
        if isinstance(exc, (ArithmeticError, SrcgradError)):
            raise exc
        try:
            self.fn(*args, **kwargs)
        except Exception as own:
            raise own.with_traceback(own.__traceback__) from None
        raise SrcgradError(
            f"internal error: the {self.mode} code generated for {self.fn.__name__!r} raised "
            f"{type(exc).__name__}: {exc}, but {self.fn.__name__!r} itself runs on these arguments.",
            hint="Please report this with the function and the arguments' shapes and dtypes; the "
            "traceback above shows the generated line that failed (print it with .source).",
        ) from exc


class JvpFunction(_Derived):
    """The callable `jvp` returns: `f`'s arguments, then a tangent per `wrt` parameter."""

    mode = "jvp"

    def __init__(self, f, wrt=None, has_aux=False):
        if isinstance(f, _Derived):
            raise SrcgradError(
                f"srcgrad.jvp of a function already transformed by {f.mode} is not supported.",
                hint="Apply jvp to the original function or to the result of srcgrad.grad.",
            )
        if isinstance(f, api.GradFunction) and has_aux:
            raise SrcgradError("srcgrad.jvp of a grad function takes no has_aux.")
        super().__init__(f, wrt if wrt is not None or not isinstance(f, api.GradFunction) else f.wrt)
        if isinstance(f, api.GradFunction) and wrt is None and not f.single:
            self.single = False
        self.has_aux = has_aux if self.inner is None else False
        self._signature = None  # the generated function's: the user's parameters and the tangents

    def _options(self) -> tuple:
        return (*super()._options(), self.has_aux)

    def _build(self, source):
        from .pipeline import build_forward

        return build_forward(source, self.wrt, self.has_aux)

    def _tangent_names(self) -> list[str]:
        self._compiled()
        generated = self._entry.build.generated
        return list(generated.extra)

    def __call__(self, *args, **kwargs):
        compiled = self._compiled()
        signature = inspect.signature(compiled)
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:
            names = ", ".join(self._tangent_names())
            raise TypeError(
                f"{self.fn.__name__}'s jvp takes the arguments of {self.fn.__name__} and then a "
                f"tangent for each of {', '.join(self.wrt)} ({names}): {exc}"
            ) from None
        bound.apply_defaults()
        values = bound.arguments
        for w, t in zip(self.wrt, self._tangent_names()):
            values[t] = _tangent_like(w, values[w], values[t])
        try:
            value, tangent = compiled(*bound.args, **bound.kwargs)
        except Exception as exc:
            self._explain(exc, *_user_call(self.signature, values))
        if self.inner is not None:
            return self._gradient_result(value, tangent, values)
        roots = {api._root(a) for a in values.values() if isinstance(a, np.ndarray)}
        out = value[0] if self.has_aux else value
        tangent = _as_tangent(tangent, out, roots)
        return (value, tangent)

    def _gradient_result(self, value, tangent, values):
        """jvp of a grad: the grad's own result, and the tangent of its gradients (Hessian-vector
        products), each like its parameter."""
        grad = self.inner
        params = [values[w] for w in grad.wrt]
        roots = {api._root(a) for a in values.values() if isinstance(a, np.ndarray)}
        returned, grads = value
        dvalue, dgrads = tangent
        if grad.single:
            dgrads = _as_tangent(dgrads, params[0], roots)
        else:
            dgrads = tuple(_as_tangent(t, p, roots) for t, p in zip(dgrads, params))
        first = grad._finish(returned, grads, params, (), values)
        if not grad.with_value:
            return first, dgrads
        value = returned[0] if grad.has_aux else returned
        return first, (_as_tangent(dvalue, value, roots), dgrads)

    def __repr__(self):
        return f"<srcgrad.jvp of {self.fn.__qualname__} wrt {', '.join(self.wrt)}>"


def _user_call(signature, values):
    args, kwargs = [], {}
    for p in signature.parameters.values():
        if p.name not in values:
            continue
        if p.kind in _POSITIONAL:
            args.append(values[p.name])
        elif p.kind == inspect.Parameter.VAR_POSITIONAL:
            args.extend(values[p.name])
        elif p.kind == inspect.Parameter.VAR_KEYWORD:
            kwargs.update(values[p.name])
        else:
            kwargs[p.name] = values[p.name]
    return args, kwargs


def _tangent_like(w: str, primal, tangent):
    """The tangent for parameter `w`, checked against its value: a float for a float, else an
    array of the parameter's shape."""
    if type(primal) is float:
        if isinstance(tangent, (int, float, np.integer, np.floating)) and not isinstance(tangent, bool):
            return float(tangent)
        if isinstance(tangent, np.ndarray) and tangent.shape == ():
            return float(tangent)
    elif isinstance(primal, (np.ndarray, np.generic)) and primal.dtype.kind == "f":
        t = np.asarray(tangent)
        if t.shape == np.shape(primal) and t.dtype.kind in "fiu" and t.dtype != bool:
            return t if t.dtype == primal.dtype else t.astype(primal.dtype)
        if t.shape != np.shape(primal):
            raise ArgumentTypeError(
                f"the tangent for {w!r} has shape {t.shape}, but {w} has shape {np.shape(primal)}.",
                hint=f"Pass a tangent of {w}'s shape (a direction in {w}'s space).",
            )
    else:
        api._check_differentiable(w, primal)
    raise ArgumentTypeError(
        f"the tangent for {w!r} must be a number like {w} (a float, or a float array of its "
        f"shape), but it is {api._short(tangent)}.",
        hint=f"Pass e.g. np.ones_like({w}).",
    )


def _as_tangent(t, like, roots: set):
    """A result's tangent as a value like the result: a float for a float, else an array of its
    shape and dtype that owns its memory (never one of the arguments)."""
    if isinstance(like, tuple):
        return tuple(_as_tangent(ti, li, roots) for ti, li in zip(t, like))
    if type(like) is float:
        return float(t)
    if isinstance(like, np.generic):
        return like.dtype.type(t)
    if not isinstance(like, np.ndarray):
        return t
    t = np.asarray(t)
    if t.shape != like.shape:
        t = np.broadcast_to(t, like.shape)
    if t.dtype != like.dtype:
        t = t.astype(like.dtype)
    elif not t.flags.writeable or api._root(t) in roots:
        t = t.copy()
    roots.add(api._root(t))
    return t
