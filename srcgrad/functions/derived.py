"""What is built from grad, jvp and vjp: `hvp`, `hessian` and `grad` of a `grad` (forward mode
over the gradient's code, one pass per vector or per element), and `jacobian` (a column per
parameter element by jvp, or a row per value element by vjp, whichever takes fewer passes)."""

from __future__ import annotations

import functools
import inspect

import numpy as np

from ..errors import NonScalarOutputError, SrcgradError
from ..frontend import require_def
from .arguments import as_value, basis_vector, check_parameter, resolve_wrt, zero_vector
from .compiled import Transformed, transformed
from .gradient import GradFunction
from .products import JvpFunction, VjpFunction


class _OfGradient(Transformed):
    """What `hvp`, `hessian` and `grad` of a `grad` share: forward mode over `f`'s gradient code."""

    def __init__(self, f, wrt, mode: str):
        if transformed(f) or isinstance(f, GradFunction):
            raise SrcgradError(
                f"srcgrad.{mode} takes the original function; this one is transformed already.",
                hint=f"Pass the function itself: srcgrad.{mode}(f, wrt=...).",
            )
        require_def(f, f"srcgrad.{mode}")
        self.mode = mode
        self.grad = GradFunction(f, wrt, with_value=False)
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
            check_parameter(w, p)
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


class HessianFunction(_OfGradient):
    def __init__(self, f, wrt=None):
        super().__init__(f, wrt, "hessian")

    def __call__(self, *args, **kwargs):
        params = self._params(args, kwargs)
        shapes = [np.shape(p) for p in params]
        blocks = [[np.zeros(a + b) for b in shapes] for a in shapes]
        for j, p in enumerate(params):
            for index in np.ndindex(*shapes[j]):
                vectors = [zero_vector(q) for q in params]
                vectors[j] = basis_vector(p, index)
                for i, product in enumerate(self._products(args, kwargs, vectors)):
                    blocks[i][j][(Ellipsis, *index)] = product
        blocks = [[as_value(b, params[i]) for b in row] for i, row in enumerate(blocks)]
        if self.single:
            return blocks[0][0]
        return tuple(tuple(row) for row in blocks)


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
        wrt_names = resolve_wrt(self.fn, signature, wrt)
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
                vectors = [zero_vector(q) for q in params]
                vectors[j] = basis_vector(p, index)
                value, tangent = self.jvp._with_tangents(args, kwargs, vectors)
                if np.size(value) != 1 or isinstance(value, tuple):
                    raise NonScalarOutputError(
                        f"srcgrad.grad of a grad needs the inner gradient to be one number, but it "
                        f"has shape {np.shape(value)}.",
                        hint="Differentiate one element (e.g. through a function that returns "
                        "np.sum of the gradient), or use srcgrad.hessian for the whole matrix.",
                    )
                block[index] = tangent if np.ndim(tangent) == 0 else np.reshape(tangent, ())
            grads.append(as_value(block, p))
        if value is None:  # a parameter with no elements: the inner gradient, once
            value = self.grad(*args, **kwargs)
        result = grads[0] if self.single else tuple(grads)
        return (value, result) if self.with_value else result


class JacobianFunction(Transformed):
    def __init__(self, f, wrt=None):
        if transformed(f) or isinstance(f, GradFunction):
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
            check_parameter(w, p)
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
                    vectors = [zero_vector(q) for q in params]
                    vectors[j] = basis_vector(p, index)
                    _, column = self.forward._with_tangents(args, kwargs, vectors)
                    blocks[j][(Ellipsis, *index)] = column
        else:
            self.last_mode = "reverse"
            like = value if isinstance(value, np.ndarray) else np.asarray(value, dtype=float)
            for index in np.ndindex(*out):
                _, grads = self.reverse._with_cotangent(args, kwargs, basis_vector(like, index))
                for j, g in enumerate([grads] if self.single else grads):
                    blocks[j][index] = g
        blocks = [as_value(b, p) if out == () else b for b, p in zip(blocks, params)]
        return blocks[0] if self.single else tuple(blocks)

    @property
    def source(self) -> str:
        """The forward-mode code (`.reverse.source` is the reverse-mode code)."""
        return self.forward.source

    def __repr__(self):
        return f"<srcgrad.jacobian of {self.fn.__qualname__} wrt {', '.join(self.wrt)}>"
