"""Reverse-mode and forward-mode rules for NumPy and Python arithmetic, readable as math.

Reverse mode (`@adjoint`): `g` is the gradient arriving at the result `ans`; `dx` is the
contribution to the gradient of parameter `x`. Binary operations broadcast, so their
contributions pass through `unbroadcast`, which the generator removes wherever shapes are known
to agree.

Forward mode (`@tangent`): each adjoint rule has a tangent rule right after it, for the same
functions and with the same parameters. There `t` is the tangent of one parameter, and `dx` is
the part of the result's tangent that `x`'s tangent brings; the parts of the parameters that
carry a tangent are added up. Every part has the shape of `ans` (a broadcast operand's tangent is
spread with `broadcast_like`); for a sequence parameter (`np.concatenate`'s arrays) `t` is the
list of the elements' tangents, and an operation that returns a tuple (`np.linalg.eigh`) has a
tuple of tangents as its part. Linear operations apply themselves to `t`.

Each rule with a kink or a tie says in one comment what it does there, and its tangent rule
keeps the same convention, so that the tangent in a direction `v` is the gradient's dot product
with `v` everywhere, kinks included (at a tie of `np.max`, where the gradient is shared, the
tangent is the mean of the tied elements' tangents).

The table is a package, one module per section, as a textbook orders them: `elementwise`,
`reductions`, `linalg`, `shape`, `indexing`, `python` (builtins), `special` (numerically
careful special functions, also reached through `scipy.special` where SciPy is installed),
`signal` (differences, numerical gradients, cross products, FFT shifts, and scipy.signal's
convolve and correlate), `fft` (np.fft's transforms, and the rules of complex values), `stats`
(scipy.stats's distributions) and `scipy_linalg` (scipy.linalg's triangular, banded and
Cholesky solves, solve_sylvester, sqrtm and expm). The SciPy rules register once the user's
program has imported that SciPy module.
"""

from . import (  # noqa: F401  (each registers its rules)
    elementwise,
    fft,
    indexing,
    integrate,
    linalg,
    python,
    reductions,
    scipy_linalg,
    shape,
    signal,
    special,
    stats,
)
