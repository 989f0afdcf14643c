"""The rule tables and the decorators that fill them: reverse-mode and forward-mode templates,
both made from one statement of an elementwise function's partial derivatives, and
non-differentiable functions.

A key is whatever selects an operation: a NumPy function or ufunc (`numpy.exp`), an `operator`
function for Python syntax (`operator.add` for `+`), a builtin (`abs`), a method bound to an
object (`scipy.stats.norm.logpdf`: bound methods are equal, and hash alike, when they bind the
same function to the same object, so each distribution's method is a key of its own although
SciPy shares the function between them), or a string for an attribute (`"T"` for `x.T`).
The rule modules (`rules/numpy/`, `rules/helpers.py`) and `srcgrad.extend` register here;
`srcgrad.rules` looks rules up, loading the built-in ones first.
"""

from __future__ import annotations

from .template import LinearTangent, Rule, TangentRule

ADJOINTS: dict[object, Rule] = {}
TANGENTS: dict[object, TangentRule] = {}
NONDIFFERENTIABLE: set[object] = set()
# complex values (analyses/complex_values.py): the keys whose rules above hold for them as
# written (holomorphic functions), and the rules of those that need others (np.abs, np.real ...)
COMPLEX_READY: set[object] = set()
COMPLEX_ADJOINTS: dict[object, Rule] = {}
COMPLEX_TANGENTS: dict[object, TangentRule] = {}
version = 0  # counts changes to the table: code generated under an older table is stale


def adjoint(*keys, name: str | None = None, constants: dict | None = None):
    """Register the decorated template as the reverse-mode rule of each key: named `name` (the
    template's own name by default), with `constants` bound in it (see `rules/template.py`)."""
    return _registrar(ADJOINTS, Rule, keys, name, constants)


def tangent(*keys, name: str | None = None, constants: dict | None = None):
    """Register the decorated template as the forward-mode rule of each key, as `adjoint` does."""
    return _registrar(TANGENTS, TangentRule, keys, name, constants)


def elementwise(*keys, name: str | None = None):
    """Register both rules of each key, an elementwise function, from the decorated statement of
    its partial derivatives: a function of `ans` (the result, if a derivative reads it) and the
    function's own parameters, whose lines `d<param> = ∂` give the derivative of the result in
    that parameter, elementwise, as an expression in the arguments and the result:

        @elementwise(np.tanh)
        def tanh(ans, x):
            dx = 1 - ans**2

    The reverse-mode rule (named `name`, the function's own name by default) has `dx = g * ∂`,
    and the forward-mode rule (that name with `_tangent`) `dx = t * ∂`. `g` or `t` joins the
    derivative as a person writes it: in front of a product (`2 * x`: `g * 2 * x`), in place of a
    numerator of 1 (`1 / x`: `g / x`), on a numerator that is a sum (`(a - b) / 2`:
    `g * (a - b) / 2`), with a leading minus in front (`-np.sin(x)`: `-g * np.sin(x)`), and
    around anything else (`g * (1 - ans**2)`, `g * (x / r)`).

    A function of two or more operands (the parameters without a default, and those with a
    derivative) broadcasts them: each gradient is summed back to its parameter's shape,
    `unbroadcast(g * ∂, x)` (the minus of `-∂` outside it), and a tangent part that is `t` itself
    (a derivative of 1), or whose derivative reads neither `ans` nor the other operands, is
    spread to the result's shape with `broadcast_like(..., ans)`. Parameters with a default and
    no derivative (`np.copy`'s `order`) are options. Temporaries (`r = np.hypot(x, y)`) and
    comments are allowed, as in any template; the comments are the rule's conventions at its
    poles and kinks, shared by both rules.
    """

    def register(template):
        _registrar(ADJOINTS, Rule, keys, name, None, partials=True)(template)
        tangent_name = f"{name or template.__name__}_tangent"
        return _registrar(TANGENTS, TangentRule, keys, tangent_name, None, partials=True)(template)

    return register


def linear(*keys, name: str | None = None):
    """Register the decorated template as the reverse-mode rule of each key, a function linear
    in each parameter the template gives a gradient for (multilinear, as `np.dot`, included);
    the forward-mode rule of each key is the function itself applied to the tangent of each such
    parameter in its place (`np.reshape(t, shape)`; `np.dot(t, b)` and `np.dot(a, t)`): a linear
    function's tangent is itself, so only its transpose, the gradient, is written.

        @linear(np.reshape)
        def reshape(g, x, shape):
            dx = np.reshape(g, np.shape(x))

    The template's parameters must be the function's own names (required ones first), as for
    any rule: the tangent passes the required ones by position and the others by keyword.
    """

    def register(template):
        adjoint(*keys, name=name)(template)
        global version
        for key in keys:
            TANGENTS[key] = LinearTangent(ADJOINTS[key], _spelled(key), key)
            version += 1
        return template

    return register


def _spelled(key) -> str:
    """How a template names the NumPy function `key`: `np.reshape`, `np.fft.fftshift`."""
    import numpy

    module, name = getattr(key, "__module__", "") or "", getattr(key, "__name__", "")
    for path in (module, "numpy"):
        if path == "numpy" or path.startswith("numpy."):
            target = numpy
            for part in path.split(".")[1:]:
                target = getattr(target, part, None)
            if getattr(target, name, None) is key:
                return ".".join(["np", *path.split(".")[1:], name])
    raise TypeError(f"linear rules are for NumPy's functions; {key!r} is not one")


def _registrar(table: dict, kind, keys, name, constants, partials: bool = False):
    def register(template):
        global version
        version += 1
        rule = kind(template, keys, name, constants, partials)
        for key in keys:
            table[key] = rule
            NONDIFFERENTIABLE.discard(key)
        return template

    return register


def complex_ready(*keys) -> None:
    """Declare that each key's rules hold for complex values as written: the function is
    holomorphic (or linear), so its gradient, without a conjugate, follows the convention of
    `analyses/complex_values.py`, and its rules use nothing that is real-only (`np.where` on a
    comparison, `np.sign`)."""
    global version
    version += 1
    COMPLEX_READY.update(keys)


def complex_adjoint(*keys, name: str | None = None):
    """Register the decorated template as the reverse-mode rule of each key where its operands or
    its result are complex; on real values the key's ordinary rule stays."""
    return _registrar(COMPLEX_ADJOINTS, Rule, keys, name, None)


def complex_tangent(*keys, name: str | None = None):
    """The forward-mode rule of each key on complex values, as `complex_adjoint`."""
    return _registrar(COMPLEX_TANGENTS, TangentRule, keys, name, None)


def nondifferentiable(*keys) -> None:
    """Declare that each key's result carries no gradient (comparisons, shapes, sign...)."""
    global version
    version += 1
    for key in keys:
        NONDIFFERENTIABLE.add(key)
        ADJOINTS.pop(key, None)
        TANGENTS.pop(key, None)
