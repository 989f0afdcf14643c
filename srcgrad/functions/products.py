"""`jvp` and `vjp`: the Jacobian-vector product by forward mode (a tangent per differentiated
parameter, passed after the function's own arguments) and the vector-Jacobian product by reverse
mode (the cotangent of the value, passed likewise). `jvp` also takes a `GradFunction`: forward
mode over the gradient's code, whose tangents are Hessian-vector products."""

from __future__ import annotations

import inspect

import numpy as np

from .. import backends
from ..errors import ArgumentTypeError, SrcgradError
from ..frontend import require_def
from ..naming import function_identifier
from .arguments import (
    POSITIONAL,
    add_leaf_roots,
    as_tangent,
    check_parameter,
    gradient_like,
    gradient_tree_like,
    identifiers,
    input_roots,
    is_nested,
    refuse_structure,
    skeleton,
    structures_of,
    tangent_like,
    tangent_tree_like,
    user_call,
    written_out,
)
from .compiled import Compiled, Transformed, transformed
from .gradient import GradFunction


class _Product(Compiled, Transformed):
    """What jvp and vjp share: parameters after the function's own (the tangents, the
    cotangent), and the function's own error for an exception from the generated code."""

    def __init__(self, f, wrt):
        inner = f if isinstance(f, GradFunction) else None
        if inner is None:
            require_def(f, f"srcgrad.{self.mode}")
        super().__init__(f.fn if inner is not None else f, wrt, inner)

    def _extra_parameters(self, wanted: list[str]) -> list[str]:
        """The names of the parameters after the function's own (tangents, a cotangent): as
        `wanted`, or numbered, apart from every name the function uses; sets `call_signature`,
        where they are keyword-only if the function has defaults or *args."""
        used = identifiers(self.fn)
        names = []
        for base in wanted:
            candidate, k = base, 1
            while candidate in used or "d" + candidate in used or candidate in names:
                k += 1
                candidate = f"{base}_{k}"
            names.append(candidate)
        params = list(self.signature.parameters.values())
        keyword = any(p.default is not p.empty or p.kind not in POSITIONAL for p in params)
        kind = inspect.Parameter.KEYWORD_ONLY if keyword else inspect.Parameter.POSITIONAL_OR_KEYWORD
        before = [p for p in params if p.kind != inspect.Parameter.VAR_KEYWORD]
        after = [p for p in params if p.kind == inspect.Parameter.VAR_KEYWORD]
        extra = [inspect.Parameter(n, kind) for n in names]
        self.call_signature = self.signature.replace(parameters=[*before, *extra, *after])
        return names

    def _bind(self, args, kwargs, then: str):
        """The call's arguments bound to the parameters, or a TypeError that says what follows
        the function's own arguments (`then`)."""
        try:
            return self.call_signature.bind(*args, **kwargs)
        except TypeError as exc:
            name = self.fn.__name__
            message = f"{name}'s {self.mode} takes the arguments of {name} and then {then}: {exc}"
            raise TypeError(message) from None

    def _variant_for(self, values: dict, structures=None):
        """The cache entry of the code for a call with these arguments (the function's and the
        extra), and whether it is code specialised to their shapes that an earlier call used.
        For nested parameters (`structures`), the code for their structure, of any shapes (as
        `grad` has it)."""
        if structures is not None:
            return self._variant(structures, backends.NUMPY, None)[0], False
        named = [(p, values[p]) for p in self.signature.parameters if p in values]
        shapes = self.shape_key(named)
        entry, reused = self._variant(None, backends.NUMPY, shapes)
        return entry, reused and shapes is not None

    def _roots(self, values: dict, structures) -> set:
        """The ids of the argument arrays (the leaves of nested ones too): a result never is one."""
        roots = input_roots(values)
        if structures is not None:
            for v in values.values():
                if is_nested(v):
                    add_leaf_roots(v, roots)
        return roots

    def _explain(self, exc: Exception, args, kwargs):
        """An exception from the generated code: the function's own error when it fails on these
        arguments too, else an internal error (as `grad` does)."""
        self._fail_as_the_function(exc, args, kwargs)
        shown_by = ".source on the function srcgrad returned"
        what = f"the {self.mode} code" if self.inner is None else "the forward-mode code over the gradient"
        raise self._internal_error(exc, what, shown_by) from exc


class JvpFunction(_Product):
    """The callable `jvp` returns: `f`'s arguments, then a tangent per `wrt` parameter."""

    mode = "jvp"

    def __init__(self, f, wrt=None, has_aux=False, gradients_only=False):
        if transformed(f):
            raise SrcgradError(
                f"srcgrad.jvp of {f!r} is not supported: third derivatives, or the derivative of a "
                "jvp, vjp or jacobian.",
                hint="Apply jvp to the original function or to the result of srcgrad.grad.",
            )
        if isinstance(f, GradFunction) and has_aux:
            raise SrcgradError("srcgrad.jvp of a grad function takes no has_aux.")
        super().__init__(f, wrt if wrt is not None or not isinstance(f, GradFunction) else f.wrt)
        if isinstance(f, GradFunction) and wrt is None and not f.single:
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

    def _build(self, source, structures, shapes):
        from ..pipeline import build_forward

        select = 1 if self.gradients_only else None
        seeds, nested = self.tangent_names, structures or None
        return build_forward(
            source, self.wrt, self.has_aux, select=select, shapes=shapes, seeds=seeds, structures=nested
        )

    def __call__(self, *args, **kwargs):
        if not kwargs and len(args) == len(self._names) and self._plain:  # all by position
            return self._evaluate(dict(zip(self._names, args)))
        then = f"a tangent for each of {', '.join(self.wrt)} ({', '.join(self.tangent_names)})"
        bound = self._bind(args, kwargs, then)
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
        """The call, `values` holding each parameter's argument (the function's and the tangents);
        a nested parameter's tangent is nested alike."""
        structures = None
        for w, t in zip(self.wrt, self.tangent_names):
            primal = values[w]
            if is_nested(primal):
                if self.inner is not None:  # the gradient's code is read back for plain parameters only
                    refuse_structure(w, primal)
                if structures is None:
                    structures = structures_of(self.wrt, [values[v] for v in self.wrt])
                values[t] = tangent_tree_like(w, primal, values[t], t)
            else:
                values[t] = tangent_like(w, primal, values[t])
        variant, reused = self._variant_for(values, structures)
        compiled = variant.compiled
        extra = variant.build.generated.extra  # the generated code's names for the tangents
        if self._plain:
            args, kwargs = [values[n] for n in self._user_names], {}
        else:
            args, kwargs = user_call(self.signature, values)
        kwargs.update({e: values[t] for e, t in zip(extra, self.tangent_names)})
        try:
            value, tangent = compiled(*args, **kwargs)
        except Exception as exc:
            self._explain(exc, *user_call(self.signature, values))
        if self.inner is not None:
            return self._gradient_result(value, tangent, values, finish)
        if reused and (self._fast is None or not self._fast.variant.valid()):
            self._install(variant, values)
        out = value[0] if self.has_aux else value
        return value, as_tangent(tangent, out, self._roots(values, structures))

    def _entry_possible(self, variant) -> bool:
        """For a function's own jvp (not a grad's), when the code names the tangents as the
        call does."""
        return (
            self.inner is None
            and not self.has_aux
            and list(variant.build.generated.extra) == self.tangent_names
        )

    def _entry_outputs(self, value, outputs, values, fresh, bind, ndarray):
        """For the entry: the tangent goes back as the code computed it when it is a new array of
        the value's shape and dtype, or a number of the value's type (as `as_tangent` would
        leave it); None when it may be a tangent passed in, or a view of one."""
        if len(outputs) != 1 or outputs[0] not in fresh:
            return None
        tangent = outputs[0]
        scalars = bind((float, np.float64, np.float32), "scalars")
        arrays = f"type({value}) is {ndarray} and type({tangent}) is {ndarray}"
        alike = f"{tangent}.shape == {value}.shape and {tangent}.dtype is {value}.dtype"
        numbers = f"type({value}) in {scalars} and type({tangent}) is type({value})"
        return [f"({arrays} and {alike} or {numbers})"], f"{value}, {tangent}", f"{value}, {tangent}"

    def _finish_entry(self, value, tangent, *args, **kwargs):
        bound = self.call_signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return value, as_tangent(tangent, value, input_roots(bound.arguments))

    def _failed_entry(self, exc, *args, **kwargs):
        bound = self.call_signature.bind(*args, **kwargs)
        bound.apply_defaults()
        self._explain(exc, *user_call(self.signature, bound.arguments))

    def _gradient_result(self, value, tangent, values, finish=True):
        """jvp of a grad: the grad's own result, and the tangent of its gradients (Hessian-vector
        products), each like its parameter."""
        grad = self.inner
        params = [values[w] for w in grad.wrt]
        roots = input_roots(values)
        returned, grads = value
        dvalue, dgrads = (None, tangent) if self.gradients_only else tangent
        if grad.single:
            dgrads = as_tangent(dgrads, params[0], roots)
        else:
            dgrads = tuple(as_tangent(t, p, roots) for t, p in zip(dgrads, params))
        first = grad._finish(returned, grads, params, (), values) if finish else None
        if not grad.with_value or self.gradients_only:
            return first, dgrads
        value = returned[0] if grad.has_aux else returned
        return first, (as_tangent(dvalue, value, roots), dgrads)

    def __repr__(self):
        return f"<srcgrad.jvp of {self.fn.__qualname__} wrt {', '.join(self.wrt)}>"


class VjpFunction(_Product):
    """The callable `vjp` returns: `f`'s arguments, then the cotangent of its value."""

    mode = "vjp"

    def __init__(self, f, wrt=None):
        if transformed(f) or isinstance(f, GradFunction):
            raise SrcgradError(
                "srcgrad.vjp of a function transformed already is not supported.",
                hint="Apply vjp to the original function (jvp and grad can take a grad function).",
            )
        super().__init__(f, wrt)
        (self.cotangent_name,) = self._extra_parameters(["d" + function_identifier(self.fn)])

    def _build(self, source, structures, shapes):
        from ..pipeline import build

        return build(source, self.wrt, self.single, structures=structures, shapes=shapes, cotangent=True)

    def __call__(self, *args, **kwargs):
        return self._evaluate(self._bind(args, kwargs, f"the cotangent of its value ({self.cotangent_name})"))

    def _with_cotangent(self, args, kwargs, cotangent):
        return self._evaluate(self.call_signature.bind(*args, **kwargs, **{self.cotangent_name: cotangent}))

    def _evaluate(self, bound):
        bound.apply_defaults()
        values = bound.arguments
        seed = self.cotangent_name
        cotangent = values[seed]
        params = [values[w] for w in self.wrt]
        for w, p in zip(self.wrt, params):
            check_parameter(w, p, "srcgrad.vjp", nested=True)
        structures = structures_of(self.wrt, params)
        variant, _ = self._variant_for(values, structures)
        args, kwargs = user_call(self.signature, values)
        kwargs[variant.build.generated.extra[0]] = cotangent
        try:
            value, grads = variant.compiled(*args, **kwargs)
        except Exception as exc:
            args, kwargs = user_call(self.signature, values)
            try:
                value = self.fn(*args, **kwargs)
            except Exception:
                value = None
            if value is None or (np.shape(cotangent) == np.shape(value) and not _nested(value, cotangent)):
                self._explain(exc, args, kwargs)
            grads = None
        if is_nested(value):
            self._nested_value(value, variant)
        if _nested(cotangent):
            raise ArgumentTypeError(
                f"the cotangent {seed} must be an array of the shape of the value of {self.fn.__name__!r}, "
                f"{np.shape(value)}, but it is {skeleton(cotangent)}.",
                hint="Pass one array (np.ones_like(value) for the gradient of the value's sum).",
            )
        if np.shape(cotangent) != np.shape(value):
            raise ArgumentTypeError(
                f"the cotangent {seed} has shape {np.shape(cotangent)}, but {self.fn.__name__!r} "
                f"returned a value of shape {np.shape(value)}.",
                hint="Pass a cotangent of the value's shape (a direction in the output's space).",
            )
        roots = self._roots(values, structures)
        like = gradient_like if structures is None else gradient_tree_like
        if self.single:
            return value, like(grads, params[0], roots)
        return value, tuple(like(g, p, roots) for g, p in zip(grads, params))

    def _nested_value(self, value, variant):
        """Refuse a value that is a tuple, list or dict: the reverse pass seeds one value."""
        result = variant.build.program.result
        raise SrcgradError(
            f"srcgrad.vjp needs {self.fn.__name__!r} to return one array or number, but it returned "
            f"{skeleton(value)}: the cotangent of a value of several parts is not supported yet.",
            variant.build.source.location(result.origin),
            hint="Return one array (np.concatenate or np.stack the parts), take the vjp of each part "
            "in a function of its own, or use srcgrad.jvp, whose tangent is nested like the value.",
        )

    def __repr__(self):
        return f"<srcgrad.vjp of {self.fn.__qualname__} wrt {', '.join(self.wrt)}>"


def _nested(*values) -> bool:
    """Whether any of `values` is a dict, or a list or tuple that is not an array written out."""
    return any(isinstance(v, dict) or (isinstance(v, (list, tuple)) and not written_out(v)) for v in values)
