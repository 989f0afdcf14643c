"""The discrete Fourier transforms of np.fft, and the rules that hold for complex values.

The transforms are linear: each tangent rule applies the transform to `t`, and each gradient is
the transpose. A DFT matrix is symmetric, so (in the convention of
`analyses/complex_values.py`, the convention of JAX and autograd) the transpose of `fft` is `fft`
of the gradient in the same `norm`, and that of `ifft` is `ifft`; a transform of another length
than its input's (`n`, `s`) pads the input or cuts it, and the gradient is cut or padded back.
The real-input transforms (`rfft`, `rfft2`, `rfftn`) keep half the spectrum, and the real-output
ones (`irfft`, `irfft2`, `irfftn`) complete it by symmetry: their transposes are runtime
helpers. `rfft` of a real array and the rest of a real program meet complex values here; the
generated code takes the real part where a gradient goes back to a real array.

The transforms are smooth everywhere: no kinks, ties or poles.

`complex_ready` declares the other rules of the table that hold for complex values as written
(holomorphic functions, and linear ones with real coefficients); `np.abs`, `np.real`,
`np.imag`, `np.conj` and `np.angle`, which are not holomorphic, get rules of their own for
complex values (`complex_adjoint`, `complex_tangent`). On real values their ordinary rules stay.
"""

# ruff: noqa: F821  (the runtime helpers are names in generated code, not here)

import builtins
import operator

import numpy as np

from ... import runtime
from ..registry import complex_adjoint, complex_ready, complex_tangent, linear, nondifferentiable, tangent

# ---------------------------------------------------------------------------------------------
# Complex transforms: the transpose is the same transform.


@linear(np.fft.fft)
def fft(g, a, n=None, axis=-1, norm=None):
    if n is None and axis == -1 and norm is None:
        da = np.fft.fft(g)
    elif n is None:
        da = np.fft.fft(g, axis=axis, norm=norm)
    else:
        da = fftn_adjoint(g, a, (n,), (axis,), norm)


@linear(np.fft.ifft)
def ifft(g, a, n=None, axis=-1, norm=None):
    if n is None and axis == -1 and norm is None:
        da = np.fft.ifft(g)
    elif n is None:
        da = np.fft.ifft(g, axis=axis, norm=norm)
    else:
        da = fftn_adjoint(g, a, (n,), (axis,), norm, inverse=True)


@linear(np.fft.fft2)
def fft2(g, a, s=None, axes=(-2, -1), norm=None):
    if s is None:
        da = np.fft.fft2(g, axes=axes, norm=norm)
    else:
        da = fftn_adjoint(g, a, s, axes, norm)


@linear(np.fft.ifft2)
def ifft2(g, a, s=None, axes=(-2, -1), norm=None):
    if s is None:
        da = np.fft.ifft2(g, axes=axes, norm=norm)
    else:
        da = fftn_adjoint(g, a, s, axes, norm, inverse=True)


@linear(np.fft.fftn)
def fftn(g, a, s=None, axes=None, norm=None):
    if s is None:
        da = np.fft.fftn(g, axes=axes, norm=norm)
    else:
        da = fftn_adjoint(g, a, s, axes, norm)


@linear(np.fft.ifftn)
def ifftn(g, a, s=None, axes=None, norm=None):
    if s is None:
        da = np.fft.ifftn(g, axes=axes, norm=norm)
    else:
        da = fftn_adjoint(g, a, s, axes, norm, inverse=True)


# ---------------------------------------------------------------------------------------------
# Half spectra: real input, or real output.


@linear(np.fft.rfft)
def rfft(g, a, n=None, axis=-1, norm=None):
    # a's gradient is real (rfft reads the real part of a complex a)
    if n is None:
        da = rfftn_adjoint(g, a, None, (axis,), norm)
    else:
        da = rfftn_adjoint(g, a, (n,), (axis,), norm)


@linear(np.fft.rfft2)
def rfft2(g, a, s=None, axes=(-2, -1), norm=None):
    da = rfftn_adjoint(g, a, s, axes, norm)


@linear(np.fft.rfftn)
def rfftn(g, a, s=None, axes=None, norm=None):
    da = rfftn_adjoint(g, a, s, axes, norm)


@linear(np.fft.irfft)
def irfft(g, a, n=None, axis=-1, norm=None):
    # the imaginary parts of a[0] (and of a[n // 2] for an even n), which irfft ignores, get 0
    if n is None:
        da = irfftn_adjoint(g, a, None, (axis,), norm)
    else:
        da = irfftn_adjoint(g, a, (n,), (axis,), norm)


@linear(np.fft.irfft2)
def irfft2(g, a, s=None, axes=(-2, -1), norm=None):
    da = irfftn_adjoint(g, a, s, axes, norm)


@linear(np.fft.irfftn)
def irfftn(g, a, s=None, axes=None, norm=None):
    da = irfftn_adjoint(g, a, s, axes, norm)


# ---------------------------------------------------------------------------------------------
# The helpers of the generated gradients, for second derivatives: each is linear in `g`, and
# reads its other arguments for their shapes only.


nondifferentiable(runtime.fft_axes)  # the axes a transform runs over: integers


@tangent(runtime.fftn_adjoint)
def fftn_adjoint_tangent(t, g, a, s, axes, norm, inverse=False):
    dg = fftn_adjoint(t, a, s, axes, norm, inverse)


@tangent(runtime.rfftn_adjoint)
def rfftn_adjoint_tangent(t, g, a, s, axes, norm):
    dg = rfftn_adjoint(t, a, s, axes, norm)


@tangent(runtime.irfftn_adjoint)
def irfftn_adjoint_tangent(t, g, a, s, axes, norm):
    dg = irfftn_adjoint(t, a, s, axes, norm)


@tangent(runtime.complex_sign)
def complex_sign_tangent(t, z, magnitude):
    # conj(z) / |z|: conj(t) / |z| in z, -conj(z) t / |z|**2 in |z|; 0 where z is 0
    dz = complex_sign(t, magnitude)
    dmagnitude = -complex_sign(z, magnitude**2) * t


# ---------------------------------------------------------------------------------------------
# Rules that hold for complex values as written: holomorphic functions (their rules have no
# conjugate, and no comparison or sign), and linear functions with real coefficients.

complex_ready(
    *(operator.add, operator.sub, operator.mul, operator.truediv, operator.neg, operator.pos),
    *(np.add, np.subtract, np.multiply, np.divide, np.negative, np.positive, np.reciprocal),
    *(operator.pow, np.power, np.square, np.sqrt, np.exp, np.exp2, np.expm1),
    *(np.log, np.log2, np.log10, np.log1p, np.sin, np.cos, np.tan, np.sinh, np.cosh, np.tanh),
    *(np.copy, np.array, np.asarray, ".astype", "getitem", "T"),
    *(np.sum, np.mean, np.cumsum, np.trace, np.dot, np.inner, np.outer, np.tensordot, np.kron),
    *(operator.matmul, np.matmul, np.einsum),
    *(np.transpose, np.reshape, np.expand_dims, np.squeeze, np.swapaxes, np.moveaxis, np.ravel),
    *(np.broadcast_to, np.flip, np.roll, np.concatenate, np.stack, np.hstack, np.vstack),
    *(np.diag, np.diagonal, np.triu, np.tril, np.repeat, np.tile, np.take),
    *(np.fft.fftshift, np.fft.ifftshift),
    *(np.fft.fft, np.fft.ifft, np.fft.fft2, np.fft.ifft2, np.fft.fftn, np.fft.ifftn),
    *(np.fft.rfft, np.fft.rfft2, np.fft.rfftn, np.fft.irfft, np.fft.irfft2, np.fft.irfftn),
    # the helpers of generated gradients, linear in the gradient they take
    *(runtime.unbroadcast, runtime.broadcast_like, runtime.unreduce, runtime.untranspose),
    *(runtime.ungetitem, runtime.uncast, runtime.matmul_dx, runtime.matmul_dy, runtime.dot_dx),
    *(runtime.dot_dy, runtime.inner_dx, runtime.inner_dy, runtime.tensordot_dx),
    *(runtime.tensordot_dy, runtime.kron_dx, runtime.kron_dy, runtime.einsum_adjoint),
    *(runtime.trace_dx, runtime.diag_adjoint, runtime.diagonal_adjoint),
    *(runtime.fftn_adjoint, runtime.rfftn_adjoint, runtime.irfftn_adjoint, runtime.complex_sign),
)

# ---------------------------------------------------------------------------------------------
# Functions that are not holomorphic, on complex values z = x + iy; `g`, the gradient of a
# complex value, stands for dL/dx - i dL/dy.


@complex_adjoint(np.real, "real")
def real_complex(g, val):
    dval = g


@complex_tangent(np.real, "real")
def real_complex_tangent(t, val):
    dval = np.real(t)


@complex_adjoint(np.imag, "imag")
def imag_complex(g, val):
    dval = -1j * g


@complex_tangent(np.imag, "imag")
def imag_complex_tangent(t, val):
    dval = np.imag(t)


@complex_adjoint(np.conjugate)
def conjugate_complex(g, x):
    dx = np.conj(g)


@complex_tangent(np.conjugate)
def conjugate_complex_tangent(t, x):
    dx = np.conj(t)


@complex_adjoint(np.abs, builtins.abs)
def abs_complex(g, ans, x):
    # conj(z) / |z|; at z = 0, where |z| has no derivative, 0
    dx = g * complex_sign(x, ans)


@complex_tangent(np.abs, builtins.abs)
def abs_complex_tangent(t, ans, x):
    dx = np.real(t * complex_sign(x, ans))


@complex_adjoint(np.angle)
def angle_complex(g, z, deg=False):
    # -i / z (times 180 / pi with deg); at z = 0, where the angle jumps, inf or nan
    if deg:
        dz = -1j * g * (180 / np.pi) / z
    else:
        dz = -1j * g / z


@complex_tangent(np.angle)
def angle_complex_tangent(t, z, deg=False):
    if deg:
        dz = np.imag(t / z) * (180 / np.pi)
    else:
        dz = np.imag(t / z)
