"""The user's API: `grad`, `value_and_grad`, `jvp`, `vjp`, `hvp`, `hessian`, `jacobian`, each a
decorator or a function that makes a callable computing derivatives with generated source code
(the callables are in `functions/`), and `source`, the generated code of a function."""

from __future__ import annotations

from .errors import SrcgradError
from .functions.compiled import transformed
from .functions.derived import HessianFunction, HvpFunction, JacobianFunction, NestedGrad
from .functions.gradient import GradFunction
from .functions.products import JvpFunction, VjpFunction
from .runtime import hooks as _hooks


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

    A differentiated parameter may be a dict, list or tuple of arrays, or a NamedTuple or
    dataclass instance (nested in one another as deep as you like): its gradient is nested
    alike, a NamedTuple or dataclass instance of the parameter's own class holding the
    gradients in its fields (a dataclass made without running its `__init__`); a field that
    holds no floating-point value (an int, a string, a function) keeps the parameter's value.
    """
    if isinstance(f, (str, int, tuple, list)) and wrt is None:  # @grad("W") or @grad(("W", "b"))
        f, wrt = None, f
    if f is None:
        return lambda func: grad(func, wrt, with_value, has_aux, check_finite)
    if transformed(f):
        raise SrcgradError(
            f"srcgrad.grad of {f!r} is not supported: srcgrad differentiates a function, or the result "
            "of srcgrad.grad once more (second derivatives), but not code it generated in forward mode "
            "(third derivatives, the derivative of a jvp, hvp, hessian or jacobian).",
            hint="Differentiate the original function, or use srcgrad.hessian / srcgrad.hvp for second "
            "derivatives.",
        )
    if isinstance(f, GradFunction):  # second derivatives: forward mode over f's gradient code
        if has_aux or check_finite:
            raise SrcgradError("srcgrad.grad of a grad function takes no has_aux or check_finite.")
        return NestedGrad(f, wrt, with_value)
    return GradFunction(f, wrt, with_value, has_aux, check_finite)


def value_and_grad(f=None, wrt=None, has_aux=False, check_finite=False):
    """`grad(f, wrt, with_value=True, ...)` under the name JAX and autograd give it: `f` made to
    return `(value, gradients)`, or `((value, aux), gradients)` with `has_aux=True`. `wrt` takes
    parameter names or indices (JAX's `argnums`, autograd's `argnum`). Use as `@value_and_grad`,
    `@value_and_grad(wrt=...)` or `value_and_grad(f, wrt=...)`.
    """
    return grad(f, wrt, True, has_aux, check_finite)


def source(f, wrt=None) -> str:
    """The generated gradient source of `f` (a function, or the result of `grad`)."""
    if isinstance(f, GradFunction):
        return f.source
    return GradFunction(f, wrt, True).source


def jvp(f=None, wrt=None, has_aux=False):
    """Make `f` return `(value, tangent)`: its value, and its derivative in the direction of the
    tangents passed after its own arguments, computed forward by generated source code.

    `wrt` names the parameters the tangents belong to, as for `grad` (by default the first). The
    new function takes `f`'s arguments, then one tangent per `wrt` parameter, of that
    parameter's shape, in `wrt`'s order (by position, or by the name `d<parameter>` that
    `.source` shows). A parameter that is a dict, list or tuple of arrays, or a NamedTuple or
    dataclass instance (nested) has a tangent nested like it (an instance of the same class for
    a NamedTuple or dataclass), each part of its part's shape. `f` may return an array (its
    tangent has the same shape) or a tuple of them (a tuple of tangents). Use as `@jvp`,
    `@jvp(wrt=...)` or `jvp(f, wrt=...)`; `f` may also be the result of `grad` (forward over
    reverse: the tangent of the gradients is a Hessian-vector product).
    """
    return _made(JvpFunction, f, wrt, has_aux)


def vjp(f=None, wrt=None):
    """Make `f` return `(value, gradients)` of `⟨cotangent, f(...)⟩`: the vector-Jacobian
    product, for a function whose value is an array. The new function takes `f`'s arguments and
    then the cotangent, of the value's shape (by position, or by the name `.source` shows). It is
    one reverse pass, like `grad`'s, seeded with the cotangent instead of 1.0; `wrt` is as for
    `grad`, and a parameter that is a dict, list or tuple of arrays, or a NamedTuple or dataclass
    instance, gets its gradient in the same nesting. Use as `@vjp`, `@vjp(wrt=...)` or
    `vjp(f, wrt=...)`.
    """
    return _made(VjpFunction, f, wrt)


def hvp(f=None, wrt=None):
    """Make `f` (a function of a scalar value) return its Hessian-vector product: the new
    function takes `f`'s arguments and then one vector per `wrt` parameter, of its shape, and
    returns `H @ v` shaped like the parameter (a tuple, for a tuple `wrt`).

    It is forward mode applied to the code `grad` generates for `f` (forward over reverse): one
    call costs a small multiple of one gradient (`.source` shows the code).
    """
    return _made(HvpFunction, f, wrt)


def hessian(f=None, wrt=None):
    """Make `f` (a function of a scalar value) return its Hessian with respect to `wrt`.

    For one parameter of shape `s` the Hessian has shape `s + s`; for a tuple of parameters it
    is a tuple of tuples of blocks, `H[i][j]` of shape `s_i + s_j`. Each column is one
    Hessian-vector product (forward mode over the gradient's code), so the cost is the number
    of elements of the parameters times a small multiple of one gradient.
    """
    return _made(HessianFunction, f, wrt)


def jacobian(f=None, wrt=None):
    """Make `f` return its Jacobian with respect to `wrt`: for a value of shape `o` and a
    parameter of shape `s`, an array of shape `o + s` (a tuple of them, for a tuple `wrt`).

    Forward mode fills it a column per parameter element, reverse mode a row per value element;
    each call picks the one with fewer passes (forward when the counts tie).
    """
    return _made(JacobianFunction, f, wrt)


def _made(make, f, wrt, *options):
    """`make(f, wrt, ...)`, or the decorator that makes it: `@jvp`, `@jvp("W")`, `@jvp(wrt=...)`."""
    if isinstance(f, (str, int, tuple, list)) and wrt is None:
        f, wrt = None, f
    if f is None:
        return lambda func: make(func, wrt, *options)
    return make(f, wrt, *options)


# runtime helpers that differentiate a function given to them while the code runs call these
_hooks.transforms.update(vjp=vjp, jvp=jvp, hvp=hvp)
