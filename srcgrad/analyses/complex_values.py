"""Which values may hold complex numbers, and the rules that hold for them.

srcgrad differentiates real parameters and real results; complex values may come and go in
between (`np.fft.fft(x)`, `np.exp(1j * x)`), as long as every operation they pass through has a
rule that holds for complex values. Gradients of complex values follow JAX's and autograd's
convention: for a real loss L of z = a + ib, the gradient is dL/da - i dL/db. Under it, the rule
of a holomorphic function (exp, products, sums, the FFT) is the real rule as written, with no
conjugate, and only the functions that are not holomorphic (abs, real, imag, conj, angle) need
rules of their own; where a complex value's gradient reaches a real operand, its real part is
that operand's gradient.

The analysis is static: a value is complex if a complex constant (`1j`), a complex dtype
(`dtype=complex`, `.astype(np.complex64)`) or a function with complex results (`np.fft.fft`)
makes it, or if it is computed from a complex value by anything but a function with real
results (`np.abs`, `np.real`, `np.fft.irfft`, comparisons). A complex value the analysis does not
foresee (a library function that returns one) is still refused when its derivative reaches a
real parameter (`functions.arguments.refuse_complex`), never passed on as a wrong gradient.

>>> import numpy as np
>>> def f(x):
...     z = np.exp(1j * x)
...     r = np.abs(z)
...     return np.sum(r * x)
>>> from srcgrad.frontend import read_function
>>> from srcgrad.transformations.anf import lower
>>> sorted(complex_names(lower(read_function(f))))
['mul', 'z']
"""

from __future__ import annotations

import builtins

import gast
import numpy

from .. import runtime
from ..errors import UnsupportedSyntaxError
from ..ir import PUSH, Assign, Effect, Program, assigned_names, walk
from ..syntax import names_in, to_source

# Functions whose results are complex whatever their arguments.
COMPLEX_RESULTS = {
    numpy.fft.fft,
    numpy.fft.ifft,
    numpy.fft.fft2,
    numpy.fft.ifft2,
    numpy.fft.fftn,
    numpy.fft.ifftn,
    numpy.fft.rfft,
    numpy.fft.rfft2,
    numpy.fft.rfftn,
    numpy.fft.ihfft,
    builtins.complex,
    numpy.complex64,
    numpy.complex128,
    # helpers of generated gradients
    runtime.fftn_adjoint,
    runtime.irfftn_adjoint,
    runtime.complex_sign,
}

# Functions whose results are real whatever their arguments.
REAL_RESULTS = {
    numpy.real,
    numpy.imag,
    "real",  # z.real
    "imag",
    numpy.abs,
    builtins.abs,
    numpy.angle,
    numpy.fft.irfft,
    numpy.fft.irfft2,
    numpy.fft.irfftn,
    numpy.fft.hfft,
    numpy.isreal,
    numpy.iscomplex,
    numpy.iscomplexobj,
    runtime.rfftn_adjoint,
}


def complex_names(program: Program) -> set[str]:
    """The names of `program` (its lowered statements) that may hold complex values."""
    from .. import rules

    assigns = [s for s in walk(program.body) if isinstance(s, Assign)]
    pushes = [s for s in walk(program.body) if isinstance(s, Effect) and s.op.key is PUSH]
    local = assigned_names(program.body) | set(program.params)
    found: set[str] = {  # free names bound to complex numbers (`C = 1 - 0.5j` at module level)
        n
        for s in assigns
        for a in [*s.op.args, *s.op.kwargs.values()]
        for n in names_in(a)
        if n not in local and _complex_value((s.op.source or program.source).lookup(n))
    }
    changed = True
    while changed:  # a loop's carried value is reached before the body that makes it complex
        changed = False
        for stmt in assigns:
            if stmt.target not in found and _makes_complex(stmt, found, rules.is_nondifferentiable):
                found.add(stmt.target)
                changed = True
        for stmt in pushes:  # `saved.append(item)` in generated code: the stack holds the item
            stack, item = stmt.op.args[0].id, stmt.op.args[1]
            if stack not in found and set(names_in(item)) & found:
                found.add(stack)
                changed = True
    return found


def computes_complex(stmt: Assign, found: set) -> bool:
    """Whether `stmt` computes with complex values: its result or an operand may be complex
    (`found`, from `complex_names`), or it transforms through them (`np.fft.irfft` of a real
    array)."""
    if stmt.target in found or stmt.op.key in _THROUGH_COMPLEX and _hashable(stmt.op.key):
        return True
    return any(set(names_in(a)) & found for a in [*stmt.op.args, *stmt.op.kwargs.values()])


_THROUGH_COMPLEX = {
    numpy.fft.irfft,
    numpy.fft.irfft2,
    numpy.fft.irfftn,
    numpy.fft.hfft,
    runtime.rfftn_adjoint,
}


def _complex_value(value) -> bool:
    return (
        isinstance(value, complex)
        or isinstance(value, (numpy.ndarray, numpy.generic))
        and value.dtype.kind == "c"
    )


def _makes_complex(stmt: Assign, found: set, nondifferentiable) -> bool:
    key, operands = stmt.op.key, [*stmt.op.args, *stmt.op.kwargs.values()]
    if _hashable(key) and key in COMPLEX_RESULTS or any(_complex_literal(a) for a in operands):
        return True
    dtypes = [stmt.op.kwargs.get("dtype"), *(stmt.op.args[1:2] if key in _DTYPE_SECOND else [])]
    if any(_complex_dtype_name(d) for d in dtypes if isinstance(d, gast.Constant)):
        return True  # `x.astype("complex64")`, `np.zeros(n, dtype="c16")`
    if key is runtime.uncast:  # the gradient of x, cast back to x's dtype
        return bool(set(names_in(stmt.op.args[1])) & found)
    if _hashable(key) and (key in REAL_RESULTS or nondifferentiable(key)):
        # `np.zeros_like(z)` is complex as z is, `x < y` is not
        return key in _LIKE and any(set(names_in(a)) & found for a in operands)
    return any(set(names_in(a)) & found for a in operands)


_DTYPE_SECOND = {".astype", numpy.asarray, numpy.array}  # x.astype(dtype) reads as astype(x, dtype)
_LIKE = {numpy.zeros_like, numpy.ones_like, numpy.empty_like}


def _hashable(key) -> bool:
    try:
        hash(key)
    except TypeError:
        return False
    return True


def _complex_literal(e: gast.expr) -> bool:
    """Whether an operand is, or holds, a complex constant or names a complex type (`complex`,
    `np.complex128`)."""
    for node in gast.walk(e):
        if isinstance(node, gast.Constant):
            if isinstance(node.value, complex):
                return True
        elif isinstance(node, gast.Name) and node.id == "complex" or _complex_type_attribute(node):
            return True
    return False


def _complex_type_attribute(node: gast.AST) -> bool:
    return isinstance(node, gast.Attribute) and node.attr.startswith(("complex", "csingle", "cdouble"))


def _complex_dtype_name(node: gast.Constant) -> bool:
    if not isinstance(node.value, str):
        return False
    try:
        return numpy.dtype(node.value).kind == "c"
    except (TypeError, ValueError, SyntaxError):  # not a dtype's name: an einsum signature, a mode
        return False


def refuse_rule(stmt: Assign, source, mode: str):
    """Raise: the operation of `stmt` has no rule for the complex values it computes with."""
    location = (stmt.op.source or source).location(stmt.op.node)
    raise UnsupportedSyntaxError(
        f"srcgrad's rule for {stmt.op.label or 'this operation'} holds for real values only, and "
        f"here (`{to_source(stmt.value)}`) it computes with complex ones; srcgrad gives no "
        f"{mode} rather than a wrong one.",
        location,
        hint="Complex values are differentiated through holomorphic functions (arithmetic, exp, "
        "log, the trigonometric functions, sums, products, reshaping, indexing, np.fft) and "
        "np.abs, np.real, np.imag, np.conj, np.angle (docs/subset.md); compute the rest from the "
        "real and imaginary parts.",
    )
