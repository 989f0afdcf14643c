"""Runtime helpers for a gradient function called inside differentiated code.

`g = srcgrad.grad(f, with_value=False)` called as `g(x, data)` in a function that is itself
differentiated (the Hessian-vector idiom `np.dot(g(x), v)`, a MAML step `w - lr * g(w, x)`, a
gradient penalty) needs the derivatives of `g`: second derivatives of `f`. They come from the
symmetry of second derivatives. For `u`, the gradient arriving at `g`'s result (one array per
parameter `g` differentiates), the gradient with respect to any argument `a` of `f` is

    d<u, ∇_w f> / da = Σ_w ∂²f / ∂a ∂w · u_w = (H v)_a,

the Hessian of `f` in all its float arguments applied to `v`, the vector that is `u` at the
parameters `g` differentiates and 0 at the others: one Hessian-vector product, which srcgrad
computes as forward mode over the code it generates for `f`'s gradient (`srcgrad.hvp`). Its
tangent, for forward mode through `g`, is the same product with the tangents of the arguments
as `v`.

These helpers, as `runtime/integrate.py`'s, differentiate a function known only when the code
runs, with srcgrad's own transforms, which `hooks.py` holds for them.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from ..errors import UnsupportedArgumentsError
from .hooks import transform

__all__ = ["gradient_vjp", "gradient_jvp"]
FIRST_ORDER_ONLY = frozenset(__all__)  # a third derivative through them is not written yet


def _floating(value) -> bool:
    """Whether an argument of `f` gets a second derivative: a float, or an array of floats."""
    if isinstance(value, (float, np.floating)):
        return True
    dtype = getattr(value, "dtype", None)
    return dtype is not None and getattr(dtype, "kind", "") == "f"


@functools.lru_cache(maxsize=64)
def _hvp(f, wrt: tuple):
    return transform("hvp")(f, wrt=wrt)


def _arguments(gradient, args: tuple) -> list[tuple[str, object]]:
    """(parameter, argument) for a call `gradient(*args)`: only positional calls are written."""
    f = gradient.fn
    params = list(inspect.signature(f).parameters)
    if len(args) > len(params):
        raise UnsupportedArgumentsError(f"{f.__name__!r} takes {len(params)} arguments, not {len(args)}")
    return list(zip(params, args))


def _hessian_product(gradient, args: tuple, direction: dict) -> dict:
    """H v for the Hessian of `gradient.fn` in its float arguments and `v` the vector that is
    `direction` (parameter -> array) where it has an entry and 0 elsewhere: parameter -> its
    part of the product, for the float arguments."""
    if gradient.with_value or gradient.has_aux:
        raise UnsupportedArgumentsError(
            f"srcgrad differentiates a call of the gradient of {gradient.fn.__name__!r} made with "
            "with_value=False and no has_aux (it returns the gradients alone)",
        )
    named = _arguments(gradient, args)
    floats = tuple(n for n, value in named if _floating(value))
    if not floats:
        return {}
    values = dict(named)
    v = [
        direction[n] if direction.get(n) is not None else np.zeros_like(np.asarray(values[n], dtype=float))
        for n in floats
    ]
    product = _hvp(gradient.fn, floats if len(floats) > 1 else floats[0])(*args, *v)
    return dict(zip(floats, product if len(floats) > 1 else (product,)))


def gradient_vjp(gradient, g, args: tuple) -> tuple:
    """The gradient, with respect to each of `args`, of `<g, gradient(*args)>`: `gradient` is a
    gradient function (`srcgrad.grad(f, with_value=False)`) and `g` the gradient arriving at
    what it returned. One Hessian-vector product of `f` (see the module's docstring); None for
    an argument that is not a float or an array of floats.
    """
    parts = (g,) if gradient.single else tuple(g)
    product = _hessian_product(gradient, args, dict(zip(gradient.wrt, parts)))
    return tuple(product.get(n) for n, _ in _arguments(gradient, args))


def gradient_jvp(gradient, args: tuple, tangents: tuple):
    """The tangent of `gradient(*args)` for `tangents` (one per argument, None where it has
    none): the Hessian of `f` in its float arguments applied to them, read at the parameters
    `gradient` differentiates (one array, or a tuple of them as `gradient` returns).
    """
    named = _arguments(gradient, args)
    product = _hessian_product(gradient, args, {n: t for (n, _), t in zip(named, tangents)})
    out = [product[w] for w in gradient.wrt]
    return out[0] if gradient.single else tuple(out)
