"""Runtime helpers for the FFT and complex rules (see srcgrad/rules/numpy/fft.py): the transposes of
transforms whose length differs from their input's, and of the real-input and real-output
transforms, which keep half a spectrum.

The transposes follow the convention of `analyses/complex_values.py`: each DFT matrix is
symmetric, so the transpose of a transform is the same transform of the gradient, in the same
`norm`; a transform of another length than its input's pads the input with zeros or cuts it,
and the gradient is cut or padded back. A helper's result is complex; where it goes to a real
array, the generated code takes its real part.
"""

from __future__ import annotations

from .core import module_of

__all__ = ["fft_axes", "fftn_adjoint", "rfftn_adjoint", "irfftn_adjoint", "complex_sign"]


def fft_axes(a, s=None, axes=None) -> tuple:
    """The axes a transform of `a` runs over, as NumPy chooses them: `axes`, else the last
    len(s) axes, else all; non-negative."""
    ndim = len(a.shape)
    if axes is None:
        axes = range(ndim - len(s), ndim) if s is not None else range(ndim)
    return tuple(int(ax) % ndim for ax in axes)


def fitted(g, like, axes):
    """`g` cut, or padded with zeros, along `axes` to `like`'s lengths there.

    >>> import numpy as np
    >>> fitted(np.arange(5.0), np.zeros(3), (0,))
    array([0., 1., 2.])
    >>> fitted(np.arange(2.0), np.zeros(4), (0,))
    array([0., 1., 0., 0.])
    """
    xp = module_of(g)
    cut = tuple(slice(0, like.shape[ax]) if ax in axes else slice(None) for ax in range(len(g.shape)))
    g = g[cut]
    pads = [(0, like.shape[ax] - g.shape[ax]) if ax in axes else (0, 0) for ax in range(len(g.shape))]
    if any(after for _, after in pads):
        g = xp.pad(g, pads)
    return g


def fftn_adjoint(g, a, s, axes, norm, inverse=False):
    """The gradient of `a` from `g`, that of np.fft.fftn(a, s, axes, norm) (ifftn's with
    `inverse`): the same transform of `g`, fitted back to `a`'s lengths."""
    xp = module_of(g)
    axes = fft_axes(a, s, axes)
    transform = xp.fft.ifftn if inverse else xp.fft.fftn
    return fitted(transform(g, axes=axes, norm=norm), a, axes)


def rfftn_adjoint(g, a, s, axes, norm):
    """The gradient of the real `a` from `g`, that of np.fft.rfftn(a, s, axes, norm).

    rfftn is fftn with the last axis cut to its first n // 2 + 1 entries: the transpose pads `g`
    with zeros back to n there, transforms it, and fits it to `a`; `a` is real, so the gradient
    is the real part."""
    xp = module_of(g)
    axes = fft_axes(a, s, axes)
    n = s[-1] if s is not None else a.shape[axes[-1]]
    pads = [(0, n - g.shape[ax]) if ax == axes[-1] else (0, 0) for ax in range(len(g.shape))]
    return xp.real(fitted(xp.fft.fftn(xp.pad(g, pads), axes=axes, norm=norm), a, axes))


def irfftn_adjoint(g, a, s, axes, norm):
    """The gradient of `a` from `g` (real), that of np.fft.irfftn(a, s, axes, norm).

    irfftn completes the half spectrum `a` by Hermitian symmetry along the last axis and takes the
    inverse transform: each entry of `a` but the first (and, for an even length n, the last)
    stands for two entries of the full spectrum, and the imaginary parts of those two are
    ignored. Its transpose is the inverse transform of `g`, cut to the half spectrum, with the
    entries counted twice doubled, fitted back to `a`'s lengths."""
    xp = module_of(g)
    axes = fft_axes(a, s, axes)
    last = axes[-1]
    n = g.shape[last]  # the output's length along the last axis
    spectrum = xp.fft.ifftn(g, axes=axes, norm=norm)
    half = tuple(slice(0, n // 2 + 1) if ax == last else slice(None) for ax in range(len(g.shape)))
    spectrum = spectrum[half]
    weights = xp.full(n // 2 + 1, 2.0)
    weights[0] = 1.0
    if n % 2 == 0:
        weights[-1] = 1.0
    shape = [n // 2 + 1 if ax == last else 1 for ax in range(len(g.shape))]
    return fitted(spectrum * weights.reshape(shape), a, axes)


def complex_sign(z, magnitude):
    """conj(z) / |z| (`magnitude`), and 0 where z is 0: the gradient of |z| in z.

    >>> import numpy as np
    >>> complex_sign(np.array([3 + 4j, 0j]), np.array([5.0, 0.0]))
    array([0.6-0.8j, 0. +0.j ])
    """
    xp = module_of(z)
    zero = magnitude == 0
    return xp.where(zero, 0, xp.conj(z) / xp.where(zero, 1, magnitude))
