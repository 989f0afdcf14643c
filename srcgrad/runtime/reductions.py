"""Runtime helpers for the reductions rules (see srcgrad/rules/numpy/reductions.py)."""

from __future__ import annotations

import numpy as np

from .core import _permutation, _shape, asarray, module_of

__all__ = ["tie_share", "prod_dx", "cumprod_dx", "average_dx", "average_dweights", "trace_dx"]


def _axes(axis, ndim: int) -> tuple:
    """`axis` (None, an int or a tuple, maybe negative) as a tuple of axes in `0..ndim-1`."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    return tuple(int(a) % ndim if ndim else int(a) for a in axes)


def _kept(g, axis, keepdims):
    """`g`, the gradient of a reduction over `axis`, with the reduced axes back as length 1."""
    if axis is not None and not keepdims:
        return np.expand_dims(g, axis)
    return g


def tie_share(x, ans, axis=None, keepdims=False):
    """Where `x` equals its extremum `ans` (a reduction over `axis`), each share of the gradient:
    1 / (number of tied elements) there, 0 elsewhere, in `x`'s dtype.

    >>> tie_share(np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]]), np.array([3.0, 2.0]), axis=1)
    array([[0. , 0.5, 0.5],
           [1. , 0. , 0. ]])
    """
    x = asarray(x)
    mask = (x == _kept(ans, axis, keepdims)).astype(x.dtype)
    return mask / np.sum(mask, axis=axis, keepdims=True)


def prod_dx(g, x, axis=None, keepdims=False):
    """The gradient of `np.prod(x, axis, keepdims=keepdims)`: `g` times the product of the other
    elements. Without zeros that is `prod / x`; with one zero in a product, the zero gets the
    product of the rest and the other elements 0; with two or more, every element gets 0.

    >>> prod_dx(1.0, np.array([2.0, 0.0, 3.0]))
    array([0., 6., 0.])
    """
    x = asarray(x)
    zero = x == 0
    safe = np.where(zero, 1, x)
    rest = np.prod(safe, axis=axis, keepdims=True)  # the product of the nonzero elements
    zeros = np.sum(zero, axis=axis, keepdims=True)
    others = np.where(zeros == 0, rest / safe, np.where(zero & (zeros == 1), rest, 0))
    return _kept(g, axis, keepdims) * others


def _reverse_cumsum(a, axis):
    return np.flip(np.cumsum(np.flip(a, axis), axis), axis)


def cumprod_dx(g, ans, x, axis=None):
    """The gradient of `ans = np.cumprod(x, axis)`, exact with zeros in `x`.

    Before the first zero of a lane, element j gets `sum(g * ans over i >= j) / x[j]`; the first
    zero gets `sum(g[i] * prod(x[k] for k <= i, k != j))`, and the elements after it get 0.

    >>> cumprod_dx(np.ones(3), np.array([2.0, 0.0, 0.0]), np.array([2.0, 0.0, 3.0]))
    array([1., 8., 0.])
    """
    x = asarray(x)
    if axis is None:
        flat = cumprod_dx(np.ravel(g), np.ravel(ans), np.ravel(x), 0)
        return np.reshape(flat, _shape(x))
    zeros_so_far = np.cumsum(x == 0, axis)
    before = zeros_so_far == 0
    dx = np.where(before, _reverse_cumsum(g * ans, axis) / np.where(before, x, 1), 0)
    first = (x == 0) & (zeros_so_far == 1)
    if first.any():
        without = np.cumprod(np.where(first, 1, x), axis)  # the product with the first zero left out
        dx = np.where(first, _reverse_cumsum(g * without, axis), dx)
    return dx


def _weights_like(x, axis, weights):
    """`np.average`'s weights set up to broadcast against `x` (as NumPy does), and the axes of
    `x` they were laid along (None when they already had `x`'s shape)."""
    w = asarray(weights)
    if _shape(w) == _shape(x):
        return w, None
    axes = _axes(axis, np.ndim(x))
    w = w.transpose(_permutation(np.argsort(axes)))
    return w.reshape(tuple(n if i in axes else 1 for i, n in enumerate(_shape(x)))), axes


def average_dx(g, x, axis=None, weights=None, keepdims=False):
    """The gradient of `np.average(x, axis, weights, keepdims=keepdims)` with respect to `x`.

    >>> average_dx(1.0, np.zeros(3), weights=np.array([1.0, 1.0, 2.0]))
    array([0.25, 0.25, 0.5 ])
    """
    x = asarray(x)
    if weights is None:
        count = int(np.prod([_shape(x)[a] for a in _axes(axis, np.ndim(x))]))
        return np.broadcast_to(_kept(g, axis, keepdims) / count, _shape(x)).astype(x.dtype, copy=False)
    w, _ = _weights_like(x, axis, weights)
    total = np.sum(np.broadcast_to(w, _shape(x)), axis=axis, keepdims=True)
    return np.broadcast_to(_kept(g, axis, keepdims) * w / total, _shape(x))


def average_dweights(g, ans, x, axis=None, weights=None, keepdims=False):
    """The gradient of `ans = np.average(x, axis, weights, keepdims=keepdims)` with respect to
    the weights: `g * (x - ans) / sum(weights)`, summed back to the weights' shape.

    >>> average_dweights(1.0, 2.0, np.array([1.0, 3.0]), weights=np.array([1.0, 1.0]))
    array([-0.5,  0.5])
    """
    x = asarray(x)
    w, axes = _weights_like(x, axis, weights)
    total = np.sum(np.broadcast_to(w, _shape(x)), axis=axis, keepdims=True)
    full = _kept(g, axis, keepdims) * (x - _kept(ans, axis, keepdims)) / total
    reduce = tuple(i for i, n in enumerate(_shape(w)) if n == 1 and _shape(full)[i] != 1)
    dw = np.sum(full, axis=reduce, keepdims=True) if reduce else full
    if axes is None:
        return np.reshape(dw, _shape(w))
    order = np.argsort(axes)
    dw = np.reshape(dw, tuple(_shape(x)[axes[i]] for i in order))
    return dw.transpose(_permutation(np.argsort(order)))


def trace_dx(g, x, offset=0, axis1=0, axis2=1):
    """The gradient of `np.trace(x, offset, axis1, axis2)`: `g` on the chosen diagonal.

    >>> trace_dx(1.0, np.zeros((2, 3)), offset=1)
    array([[0., 1., 0.],
           [0., 0., 1.]])
    """
    x = asarray(x)
    shape = _shape(x)
    a1, a2 = axis1 % len(shape), axis2 % len(shape)
    xp = module_of(x)  # (Dask's eye mis-builds an offset rectangle: compare indices instead)
    eye = (xp.arange(shape[a1])[:, None] + offset == xp.arange(shape[a2])).astype(x.dtype)
    if a1 > a2:  # the diagonal's axes in the order they have in x
        eye = eye.T
    rest = [i for i in range(len(shape)) if i not in (a1, a2)]
    eye = np.expand_dims(eye, tuple(rest)) if rest else eye
    return np.expand_dims(g, (a1, a2)) * eye
