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
from .errors import ArgumentTypeError, SrcgradError, describe
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
    return _made(JvpFunction, f, wrt, has_aux)


class _Derived:
    """What the transformed callables share: the user's function, its signature, the parameters
    differentiated, and the generated code, compiled once per source and options (`cache.py`),
    and for NumPy arguments once per set of argument shapes, as `grad` does (up to
    `api.SPECIALIZE_LIMIT`; beyond, the code for any shapes)."""

    mode = ""

    def __init__(self, f, wrt):
        inner = f if isinstance(f, api.GradFunction) else None
        if inner is None:
            require_def(f, f"srcgrad.{self.mode}")
        self.inner = inner
        self.fn = f.fn if inner is not None else f
        self.signature = inspect.signature(self.fn)
        self.single = not isinstance(wrt, (tuple, list))
        self.wrt = api._resolve_wrt(self.fn, self.signature, wrt)
        self._entries = {}  # argument shapes (None: any) -> cache entry
        self._entry = None  # the entry compiled last, whose code `.source` shows
        functools.update_wrapper(self, self.fn)

    def _options(self) -> tuple:
        return (self.mode, tuple(self.wrt), self.single)

    def _extra_parameters(self, wanted: list[str]) -> list[str]:
        """The names of the parameters after the function's own (tangents, a cotangent): as
        `wanted`, or numbered, apart from every name the function uses; sets `call_signature`,
        where they are keyword-only if the function has defaults or *args."""
        used = _identifiers(self.fn)
        names = []
        for base in wanted:
            candidate, k = base, 1
            while candidate in used or "d" + candidate in used or candidate in names:
                k += 1
                candidate = f"{base}_{k}"
            names.append(candidate)
        params = list(self.signature.parameters.values())
        keyword = any(p.default is not p.empty or p.kind not in _POSITIONAL for p in params)
        kind = inspect.Parameter.KEYWORD_ONLY if keyword else inspect.Parameter.POSITIONAL_OR_KEYWORD
        before = [p for p in params if p.kind != inspect.Parameter.VAR_KEYWORD]
        after = [p for p in params if p.kind == inspect.Parameter.VAR_KEYWORD]
        extra = [inspect.Parameter(n, kind) for n in names]
        self.call_signature = self.signature.replace(parameters=[*before, *extra, *after])
        return names

    def _source(self, shapes=None):
        """The function transformed: the user's, or the code `grad` generated for it."""
        from .frontend import read_function

        if self.inner is not None:
            from .generated import read_generated

            return read_generated(self.inner, shapes)
        return read_function(self.fn)

    def _shapes(self, values: dict):
        """The key of the code specialised to these arguments' shapes: (name, shape) of each
        float and NumPy array among the function's arguments; None for the general code (other
        array types, or past the limit)."""
        key = []
        for p in self.signature.parameters:
            a = values.get(p)
            if type(a) is float or type(a) is np.float64:
                key.append((p, ()))
            elif type(a) is np.ndarray:
                key.append((p, a.shape))
            elif a is not None and not isinstance(a, (int, str, bool, np.generic)):
                return None
        key = tuple(key)
        if key not in self._entries and len(self._entries) >= api.SPECIALIZE_LIMIT:
            return None
        return key

    def _compiled(self, shapes=None):
        from . import cache

        entry = self._entries.get(shapes)
        if entry is not None and entry.valid():
            self._entry = entry
            return entry.compiled
        try:
            source = self._source(shapes)
            make = lambda src: self._make(src, shapes)  # noqa: E731
            entry = cache.lookup(source, (*self._options(), shapes), make)
        except SrcgradError as exc:  # the message points at the user's code; ours is noise
            raise exc.with_traceback(None) from None
        self._entries[shapes] = self._entry = entry
        return entry.compiled

    def _make(self, source, shapes=None):
        from .compile import compile_generated

        result = self._build(source, dict(shapes) if shapes is not None else None)
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
        """The generated Python source: before a call, the code for arguments of any shape;
        after calls, the code compiled last (for NumPy arguments, specialised to their shapes)."""
        if self._entry is None:
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
        entries = list(self._entries.values())
        if self.inner is not None:  # code generated from the gradient's: its lines map through it
            entries += self.inner._entries()
        shown_by = ".source on the function srcgrad returned"
        what = f"the {self.mode} code" if self.inner is None else "the forward-mode code over the gradient"
        raise api.internal_error(self.fn, exc, entries, what, shown_by) from exc


class JvpFunction(_Derived):
    """The callable `jvp` returns: `f`'s arguments, then a tangent per `wrt` parameter."""

    mode = "jvp"

    def __init__(self, f, wrt=None, has_aux=False, gradients_only=False):
        if transformed(f):
            raise SrcgradError(
                f"srcgrad.jvp of {f!r} is not supported: third derivatives, or the derivative of a "
                "jvp, vjp or jacobian.",
                hint="Apply jvp to the original function or to the result of srcgrad.grad.",
            )
        if isinstance(f, api.GradFunction) and has_aux:
            raise SrcgradError("srcgrad.jvp of a grad function takes no has_aux.")
        super().__init__(f, wrt if wrt is not None or not isinstance(f, api.GradFunction) else f.wrt)
        if isinstance(f, api.GradFunction) and wrt is None and not f.single:
            self.single = False
        self.has_aux = has_aux if self.inner is None else False
        # of a grad: the tangents of the gradients alone, not of the value too (hvp, hessian)
        self.gradients_only = gradients_only and self.inner is not None
        # the tangent parameters: `dx` after the function's own (`vx`, the direction, for a grad's
        # code, where `dx` is the gradient)
        prefix = "v" if self.inner is not None else "d"
        self.tangent_names = self._extra_parameters([prefix + w for w in self.wrt])
        self._names = list(self.call_signature.parameters)
        self._user_names = list(self.signature.parameters)
        self._plain = all(
            p.kind == inspect.Parameter.POSITIONAL_OR_KEYWORD and p.default is p.empty
            for p in self.call_signature.parameters.values()
        )

    def _options(self) -> tuple:
        return (*super()._options(), self.has_aux, self.gradients_only, tuple(self.tangent_names))

    def _build(self, source, shapes=None):
        from .pipeline import build_forward

        select = 1 if self.gradients_only else None
        seeds = self.tangent_names
        return build_forward(source, self.wrt, self.has_aux, select=select, shapes=shapes, seeds=seeds)

    def __call__(self, *args, **kwargs):
        if not kwargs and len(args) == len(self._names) and self._plain:  # all by position
            return self._evaluate(dict(zip(self._names, args)))
        try:
            bound = self.call_signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(
                f"{self.fn.__name__}'s jvp takes the arguments of {self.fn.__name__} and then a "
                f"tangent for each of {', '.join(self.wrt)} ({', '.join(self.tangent_names)}): {exc}"
            ) from None
        bound.apply_defaults()
        return self._evaluate(bound.arguments)

    def _with_tangents(self, args, kwargs, tangents, finish=True):
        """The call on `f`'s arguments and these tangents (one per wrt parameter); without
        `finish`, for a grad's code, the gradients are not made ready to return (hvp has no use
        for them)."""
        if not kwargs and len(args) + len(tangents) == len(self._names) and self._plain:
            return self._evaluate(dict(zip(self._names, (*args, *tangents))), finish)
        bound = self.call_signature.bind(*args, **kwargs, **dict(zip(self.tangent_names, tangents)))
        bound.apply_defaults()
        return self._evaluate(bound.arguments, finish)

    def _evaluate(self, values: dict, finish=True):
        """The call, `values` holding each parameter's argument (the function's and the tangents)."""
        for w, t in zip(self.wrt, self.tangent_names):
            values[t] = _tangent_like(w, values[w], values[t])
        compiled = self._compiled(self._shapes(values))
        extra = self._entry.build.generated.extra  # the generated code's names for the tangents
        if self._plain:
            args, kwargs = [values[n] for n in self._user_names], {}
        else:
            args, kwargs = _user_call(self.signature, values)
        kwargs.update({e: values[t] for e, t in zip(extra, self.tangent_names)})
        try:
            value, tangent = compiled(*args, **kwargs)
        except Exception as exc:
            self._explain(exc, *_user_call(self.signature, values))
        if self.inner is not None:
            return self._gradient_result(value, tangent, values, finish)
        out = value[0] if self.has_aux else value
        return value, _as_tangent(tangent, out, _inputs(values))

    def _gradient_result(self, value, tangent, values, finish=True):
        """jvp of a grad: the grad's own result, and the tangent of its gradients (Hessian-vector
        products), each like its parameter."""
        grad = self.inner
        params = [values[w] for w in grad.wrt]
        roots = _inputs(values)
        returned, grads = value
        dvalue, dgrads = (None, tangent) if self.gradients_only else tangent
        if grad.single:
            dgrads = _as_tangent(dgrads, params[0], roots)
        else:
            dgrads = tuple(_as_tangent(t, p, roots) for t, p in zip(dgrads, params))
        first = grad._finish(returned, grads, params, (), values) if finish else None
        if not grad.with_value or self.gradients_only:
            return first, dgrads
        value = returned[0] if grad.has_aux else returned
        return first, (_as_tangent(dvalue, value, roots), dgrads)

    def __repr__(self):
        return f"<srcgrad.jvp of {self.fn.__qualname__} wrt {', '.join(self.wrt)}>"


def transformed(f) -> bool:
    """Whether `f` is a callable made by jvp, vjp, hvp, hessian, jacobian or grad of a grad."""
    return isinstance(f, (_Derived, _OfGradient, JacobianFunction))


def _made(make, f, wrt, *options):
    """`make(f, wrt, ...)`, or the decorator that makes it: `@jvp`, `@jvp("W")`, `@jvp(wrt=...)`."""
    if isinstance(f, (str, int, tuple, list)) and wrt is None:
        f, wrt = None, f
    if f is None:
        return lambda func: make(func, wrt, *options)
    return make(f, wrt, *options)


def _identifiers(fn) -> set:
    """Every name the function's code uses (its parameters and variables), from its code object."""
    code = fn.__code__
    return {*code.co_varnames, *code.co_names, *code.co_freevars, *code.co_cellvars, fn.__name__}


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


def _check_parameter(w: str, value, what: str = "forward mode") -> None:
    """A float or a float array, or an error naming the parameter."""
    if not ((type(value) is np.ndarray and value.dtype.kind == "f") or type(value) is float):
        _refuse_structure(w, value, what)
        api._check_differentiable(w, value)


def _refuse_structure(w: str, value, what: str = "forward mode") -> None:
    """Refuse what forward mode and the functions built on it do not take yet, with the reason."""
    from . import backends
    from .errors import UnsupportedBackendError

    kind = backends.kind_of(value)
    if kind in ("cupy", "dask"):
        raise UnsupportedBackendError(
            f"{what} runs on NumPy arrays and floats for now, but {w} is a {kind} array.",
            hint="Pass NumPy arrays (e.g. .get() for CuPy, .compute() for Dask), or use "
            "srcgrad.grad, which runs on CuPy and Dask.",
        )
    if isinstance(value, (dict, list, tuple)):
        raise ArgumentTypeError(
            f"{what} takes floats and arrays, but {w} is a {type(value).__name__}: parameters "
            f"that are dicts, lists or tuples of arrays are not supported in {what} yet.",
            hint=f"Pass the arrays of {w} as parameters of their own, or use srcgrad.grad (reverse "
            "mode takes them).",
        )


def _tangent_like(w: str, primal, tangent):
    """The tangent for parameter `w`, checked against its value: a float for a float, else an
    array of the parameter's shape."""
    arrays = type(tangent) is np.ndarray and type(primal) is np.ndarray
    if arrays and tangent.shape == primal.shape and tangent.dtype == primal.dtype == np.float64:
        return tangent  # the common case
    _refuse_structure(w, primal)
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
        f"shape), but it is {describe(tangent)}.",
        hint=f"Pass e.g. np.ones_like({w}).",
    )


def _inputs(values: dict) -> set:
    """The ids of the argument arrays, and of the arrays they are views of."""
    return {id(a) if a.base is None else api._root(a) for a in values.values() if isinstance(a, np.ndarray)}


def _as_tangent(t, like, roots: set):
    """A result's tangent as a value like the result: a float for a float, else an array of its
    shape and dtype that owns its memory (never one of the arguments)."""
    fresh = type(t) is np.ndarray and t.base is None and id(t) not in roots
    if fresh and type(like) is np.ndarray and t.shape == like.shape and t.dtype == like.dtype:
        roots.add(id(t))  # the common case: a new array of the right kind
        return t
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


def vjp(f=None, wrt=None):
    """Make `f` return `(value, gradients)` of `⟨cotangent, f(...)⟩`: the vector-Jacobian
    product, for a function whose value is an array. The new function takes `f`'s arguments and
    then the cotangent, of the value's shape (by position, or by the name `.source` shows). It is
    one reverse pass, like `grad`'s, seeded with the cotangent instead of 1.0; `wrt` is as for
    `grad`. Use as `@vjp`, `@vjp(wrt=...)` or `vjp(f, wrt=...)`.
    """
    return _made(VjpFunction, f, wrt)


class VjpFunction(_Derived):
    """The callable `vjp` returns: `f`'s arguments, then the cotangent of its value."""

    mode = "vjp"

    def __init__(self, f, wrt=None):
        if transformed(f) or isinstance(f, api.GradFunction):
            raise SrcgradError(
                "srcgrad.vjp of a function transformed already is not supported.",
                hint="Apply vjp to the original function (jvp and grad can take a grad function).",
            )
        super().__init__(f, wrt)
        (self.cotangent_name,) = self._extra_parameters(["d" + self.fn.__name__])

    def _build(self, source, shapes=None):
        from .pipeline import build

        return build(source, self.wrt, self.single, shapes=shapes, cotangent=True)

    def __call__(self, *args, **kwargs):
        try:
            bound = self.call_signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(
                f"{self.fn.__name__}'s vjp takes the arguments of {self.fn.__name__} and then the "
                f"cotangent of its value ({self.cotangent_name}): {exc}"
            ) from None
        return self._evaluate(bound)

    def _with_cotangent(self, args, kwargs, cotangent):
        return self._evaluate(self.call_signature.bind(*args, **kwargs, **{self.cotangent_name: cotangent}))

    def _evaluate(self, bound):
        bound.apply_defaults()
        values = bound.arguments
        seed = self.cotangent_name
        cotangent = values[seed]
        params = [values[w] for w in self.wrt]
        for w, p in zip(self.wrt, params):
            _check_parameter(w, p, "srcgrad.vjp")
        compiled = self._compiled(self._shapes(values))
        args, kwargs = _user_call(self.signature, values)
        kwargs[self._entry.build.generated.extra[0]] = cotangent
        try:
            value, grads = compiled(*args, **kwargs)
        except Exception as exc:
            args, kwargs = _user_call(self.signature, values)
            try:
                value = self.fn(*args, **kwargs)
            except Exception:
                value = None
            if value is None or np.shape(cotangent) == np.shape(value):
                self._explain(exc, args, kwargs)
            grads = None
        if np.shape(cotangent) != np.shape(value):
            raise ArgumentTypeError(
                f"the cotangent {seed} has shape {np.shape(cotangent)}, but {self.fn.__name__!r} "
                f"returned a value of shape {np.shape(value)}.",
                hint="Pass a cotangent of the value's shape (a direction in the output's space).",
            )
        roots = {api._root(a) for a in values.values() if isinstance(a, np.ndarray)}
        if self.single:
            return value, api._like(grads, params[0], roots)
        return value, tuple(api._like(g, p, roots) for g, p in zip(grads, params))

    def __repr__(self):
        return f"<srcgrad.vjp of {self.fn.__qualname__} wrt {', '.join(self.wrt)}>"


def hvp(f=None, wrt=None):
    """Make `f` (a function of a scalar value) return its Hessian-vector product: the new
    function takes `f`'s arguments and then one vector per `wrt` parameter, of its shape, and
    returns `H @ v` shaped like the parameter (a tuple, for a tuple `wrt`).

    It is forward mode applied to the code `grad` generates for `f` (forward over reverse): one
    call costs a small multiple of one gradient (`.source` shows the code).
    """
    return _made(HvpFunction, f, wrt)


class _OfGradient:
    """What `hvp`, `hessian` and `grad` of a `grad` share: forward mode over `f`'s gradient code."""

    def __init__(self, f, wrt, mode: str):
        if transformed(f) or isinstance(f, api.GradFunction):
            raise SrcgradError(
                f"srcgrad.{mode} takes the original function; this one is transformed already.",
                hint=f"Pass the function itself: srcgrad.{mode}(f, wrt=...).",
            )
        require_def(f, f"srcgrad.{mode}")
        self.mode = mode
        self.grad = api.GradFunction(f, wrt, with_value=False)
        self.jvp = JvpFunction(self.grad, gradients_only=True)
        self.fn = f
        self.wrt = self.grad.wrt
        self.single = self.grad.single
        functools.update_wrapper(self, f)

    @property
    def source(self) -> str:
        """The generated code: the gradient's code with the tangent of each value beside it."""
        return self.jvp.source

    def _products(self, args, kwargs, vectors) -> list:
        """H @ v for the vectors (one per wrt parameter), as a list over the parameters."""
        _, products = self.jvp._with_tangents(args, kwargs, vectors, finish=False)
        return [products] if self.single else list(products)

    def _params(self, args, kwargs) -> list:
        bound = self.grad.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        params = [bound.arguments[w] for w in self.wrt]
        for w, p in zip(self.wrt, params):
            _check_parameter(w, p)
        return params

    def __repr__(self):
        return f"<srcgrad.{self.mode} of {self.fn.__qualname__} wrt {', '.join(self.wrt)}>"


class HvpFunction(_OfGradient):
    def __init__(self, f, wrt=None):
        super().__init__(f, wrt, "hvp")

    def __call__(self, *args, **kwargs):
        n = len(self.wrt)
        if len(args) < n:
            raise TypeError(
                f"{self.fn.__name__}'s hvp takes the arguments of {self.fn.__name__} and then a "
                f"vector for each of {', '.join(self.wrt)}."
            )
        args, vectors = args[: len(args) - n], args[len(args) - n :]
        products = self._products(args, kwargs, vectors)
        return products[0] if self.single else tuple(products)


def hessian(f=None, wrt=None):
    """Make `f` (a function of a scalar value) return its Hessian with respect to `wrt`.

    For one parameter of shape `s` the Hessian has shape `s + s`; for a tuple of parameters it
    is a tuple of tuples of blocks, `H[i][j]` of shape `s_i + s_j`. Each column is one
    Hessian-vector product (forward mode over the gradient's code), so the cost is the number
    of elements of the parameters times a small multiple of one gradient.
    """
    return _made(HessianFunction, f, wrt)


class HessianFunction(_OfGradient):
    def __init__(self, f, wrt=None):
        super().__init__(f, wrt, "hessian")

    def __call__(self, *args, **kwargs):
        params = self._params(args, kwargs)
        shapes = [np.shape(p) for p in params]
        blocks = [[np.zeros(a + b) for b in shapes] for a in shapes]
        for j, p in enumerate(params):
            for index in np.ndindex(*shapes[j]):
                vectors = [_zeros_like(q) for q in params]
                vectors[j] = _basis(p, index)
                for i, product in enumerate(self._products(args, kwargs, vectors)):
                    blocks[i][j][(Ellipsis, *index)] = product
        blocks = [[_as_value(b, params[i]) for b in row] for i, row in enumerate(blocks)]
        if self.single:
            return blocks[0][0]
        return tuple(tuple(row) for row in blocks)


def jacobian(f=None, wrt=None):
    """Make `f` return its Jacobian with respect to `wrt`: for a value of shape `o` and a
    parameter of shape `s`, an array of shape `o + s` (a tuple of them, for a tuple `wrt`).

    Forward mode fills it a column per parameter element, reverse mode a row per value element;
    each call picks the one with fewer passes (forward when the counts tie).
    """
    return _made(JacobianFunction, f, wrt)


class JacobianFunction:
    def __init__(self, f, wrt=None):
        if transformed(f) or isinstance(f, api.GradFunction):
            raise SrcgradError(
                "srcgrad.jacobian takes the original function; this one is transformed already.",
                hint="Pass the function itself: srcgrad.jacobian(f, wrt=...).",
            )
        require_def(f, "srcgrad.jacobian")
        self.forward = JvpFunction(f, wrt)
        self.reverse = VjpFunction(f, wrt)
        self.fn = f
        self.wrt = self.forward.wrt
        self.single = self.forward.single
        self.last_mode = None  # "forward" or "reverse": what the last call used
        functools.update_wrapper(self, f)

    def __call__(self, *args, **kwargs):
        bound = self.forward.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        params = [bound.arguments[w] for w in self.wrt]
        for w, p in zip(self.wrt, params):
            _check_parameter(w, p)
        inputs = sum(int(np.size(p)) for p in params)
        value = self.fn(*args, **kwargs)
        if not isinstance(value, (float, int, np.ndarray, np.generic)):
            raise SrcgradError(
                f"srcgrad.jacobian needs {self.fn.__name__!r} to return a number or an array, but it "
                f"returned a {type(value).__name__}.",
                hint="Return one array (np.concatenate or np.stack the parts).",
            )
        out = np.shape(value)
        blocks = [np.zeros(out + np.shape(p)) for p in params]
        if inputs <= int(np.prod(out, dtype=int)):
            self.last_mode = "forward"
            for j, p in enumerate(params):
                for index in np.ndindex(*np.shape(p)):
                    vectors = [_zeros_like(q) for q in params]
                    vectors[j] = _basis(p, index)
                    _, column = self.forward._with_tangents(args, kwargs, vectors)
                    blocks[j][(Ellipsis, *index)] = column
        else:
            self.last_mode = "reverse"
            like = value if isinstance(value, np.ndarray) else np.asarray(value, dtype=float)
            for index in np.ndindex(*out):
                _, grads = self.reverse._with_cotangent(args, kwargs, _basis(like, index))
                for j, g in enumerate([grads] if self.single else grads):
                    blocks[j][index] = g
        blocks = [_as_value(b, p) if out == () else b for b, p in zip(blocks, params)]
        return blocks[0] if self.single else tuple(blocks)

    @property
    def source(self) -> str:
        """The forward-mode code (`.reverse.source` is the reverse-mode code)."""
        return self.forward.source

    def __repr__(self):
        return f"<srcgrad.jacobian of {self.fn.__qualname__} wrt {', '.join(self.wrt)}>"


class NestedGrad(_OfGradient):
    """`grad` of a `grad`: the derivative of a gradient that is one number (the first derivative
    of a function of one variable, or one component), by forward mode over the gradient's code,
    one pass per element of the parameters differentiated."""

    def __init__(self, inner, wrt=None, with_value=True):
        if inner.with_value or inner.has_aux:
            raise SrcgradError(
                "srcgrad.grad of a grad function needs the inner one made with with_value=False "
                "(and no has_aux), so that it returns the gradient alone.",
                hint="Write srcgrad.grad(srcgrad.grad(f, with_value=False)).",
            )
        self.mode = "grad"
        self.grad = inner
        self.fn = inner.fn
        signature = inspect.signature(self.fn)
        wrt_names = api._resolve_wrt(self.fn, signature, wrt)
        self.jvp = JvpFunction(inner, wrt=tuple(wrt_names), gradients_only=True)
        self.wrt = wrt_names
        self.single = not isinstance(wrt, (tuple, list))
        self.with_value = with_value
        functools.update_wrapper(self, self.fn)

    def __call__(self, *args, **kwargs):
        params = self._params(args, kwargs)
        value = None
        grads = []
        for j, p in enumerate(params):
            block = np.zeros(np.shape(p))
            for index in np.ndindex(*np.shape(p)):
                vectors = [_zeros_like(q) for q in params]
                vectors[j] = _basis(p, index)
                value, tangent = self.jvp._with_tangents(args, kwargs, vectors)
                if np.size(value) != 1 or isinstance(value, tuple):
                    raise api.NonScalarOutputError(
                        f"srcgrad.grad of a grad needs the inner gradient to be one number, but it "
                        f"has shape {np.shape(value)}.",
                        hint="Differentiate one element (e.g. through a function that returns "
                        "np.sum of the gradient), or use srcgrad.hessian for the whole matrix.",
                    )
                block[index] = tangent if np.ndim(tangent) == 0 else np.reshape(tangent, ())
            grads.append(_as_value(block, p))
        if value is None:  # a parameter with no elements: the inner gradient, once
            value = self.grad(*args, **kwargs)
        result = grads[0] if self.single else tuple(grads)
        return (value, result) if self.with_value else result


def _zeros_like(p):
    return 0.0 if type(p) is float else np.zeros_like(p)


def _basis(p, index):
    """The unit vector of `p`'s shape with 1 at `index`."""
    if type(p) is float:
        return 1.0
    e = np.zeros_like(p)
    e[index] = 1
    return e


def _as_value(block, like):
    """A result block as the kind of value its parameter is: a float for a float parameter."""
    if type(like) is float and np.ndim(block) == 0:
        return float(block)
    return block
