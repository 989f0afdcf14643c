"""Runtime helpers for the reductions rules (see srcgrad/rules/numpy/reductions.py)."""

from __future__ import annotations

import math

import numpy as np

from .core import _permutation, _shape, asarray, module_of

__all__ = [
    "tie_share",
    "prod_dx",
    "cumprod_dx",
    "cumprod_jvp",
    "average_dx",
    "average_dweights",
    "average_weights_jvp",
    "trace_dx",
    "weights_like",
    "linspace_weights",
    "prod_dx_jet",
    "cumprod_jet",
    "cumprod_dx_jet",
]


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
    """How the gradient of `ans`, a max or min of `x`, is shared: equally among the ties, 0 elsewhere.

    Where `x` equals its extremum `ans` (a reduction over `axis`) the share is 1 / (number of
    tied elements), elsewhere 0, in `x`'s dtype.

    >>> tie_share(np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]]), np.array([3.0, 2.0]), axis=1)
    array([[0. , 0.5, 0.5],
           [1. , 0. , 0. ]])
    """
    x = asarray(x)
    mask = (x == _kept(ans, axis, keepdims)).astype(x.dtype)
    return mask / np.sum(mask, axis=axis, keepdims=True)


def prod_dx(g, x, axis=None, keepdims=False):
    """The gradient of `np.prod(x, axis)`: `g` times the product of the other elements, exact at zeros.

    Without zeros that is `prod / x`; with one zero in a product, the zero gets the product of
    the rest and the other elements 0; with two or more, every element gets 0.

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


def cumprod_jvp(t, ans, x, axis=None):
    """The tangent of `ans = np.cumprod(x, axis)` in the direction `t` of `x`, exact with zeros.

    Before the first zero of a lane, element i is `ans[i] * sum(t[j] / x[j] for j <= i)`; from
    the first zero on, it is that zero's tangent times the product of the other elements up to
    i, and after a second zero it is 0.

    >>> cumprod_jvp(np.ones(3), np.array([2.0, 0.0, 0.0]), np.array([2.0, 0.0, 3.0]))
    array([1., 2., 6.])
    """
    x = asarray(x)
    if axis is None:
        return cumprod_jvp(np.ravel(t), np.ravel(ans), np.ravel(x), 0)
    zeros_so_far = np.cumsum(x == 0, axis)
    before = zeros_so_far == 0
    dx = np.where(before, ans * np.cumsum(np.where(before, t / np.where(before, x, 1), 0), axis), 0)
    first = (x == 0) & (zeros_so_far == 1)
    if first.any():
        without = np.cumprod(np.where(first, 1, x), axis)  # the products with the first zero left out
        at_zero = np.sum(np.where(first, t, 0), axis=axis, keepdims=True)  # that zero's tangent
        dx = np.where(zeros_so_far == 1, at_zero * without, dx)
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


def average_weights_jvp(t, ans, x, axis=None, weights=None, keepdims=False):
    """The tangent of `ans = np.average(x, axis, weights, keepdims=keepdims)` in the direction
    `t` of the weights: `sum(t * (x - ans)) / sum(weights)` over the averaged axes.

    >>> float(average_weights_jvp(np.array([1.0, 0.0]), 2.0, np.array([1.0, 3.0]), weights=np.ones(2)))
    -0.5
    """
    x = asarray(x)
    w, _ = _weights_like(x, axis, weights)
    s, _ = _weights_like(x, axis, t)
    total = np.sum(np.broadcast_to(w, _shape(x)), axis=axis, keepdims=keepdims)
    return np.sum(s * (x - _kept(ans, axis, keepdims)), axis=axis, keepdims=keepdims) / total


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


def weights_like(x, axis, weights):
    """`np.average`'s `weights` laid out to broadcast against `x` along `axis`, as NumPy lays
    them (linear in the weights: the tangent rules of the average helpers use it).

    >>> weights_like(np.zeros((2, 3)), 1, np.array([1.0, 2.0, 3.0])).shape
    (1, 3)
    """
    return _weights_like(asarray(x), axis, weights)[0]


def linspace_weights(like, num, endpoint, axis):
    """The weights `w` of `np.linspace(start, stop, num)`, which is `start + w * (stop - start)`,
    laid out along `axis` of an array shaped like the result (`like`).

    >>> linspace_weights(np.zeros((3, 2)), 3, True, 0).ravel().tolist()
    [0.0, 0.5, 1.0]
    """
    shape = [1] * np.ndim(like)
    shape[axis] = num
    return module_of(like).linspace(0.0, 1.0, num, endpoint=endpoint).reshape(shape)


# ---------------------------------------------------------------------------------------------
# Jets: the derivatives of products to any order.
#
# A jet of order m stands for `sum(c_S e^S)` over the sets `S` of m infinitesimals (`e_k**2 =
# 0`): an array `x` is a jet of order 0, and a pair `(low, high)` of jets of order m - 1 is
# `low + e_m high`. The coefficient of all m infinitesimals (the last) of a function of the jet
# is its m-th derivative in the jet's directions: that of `(x, t)` is the tangent in the
# direction `t`, that of `((x, t), (s, r))` the second derivative in t and s, plus the tangent
# in r. A tangent rule of a helper taking a jet adds one infinitesimal, `(jet, t)`, so that each
# order of derivative is the same helper again. Products over an axis go through logarithms of
# the nonzero elements (a polynomial in the infinitesimals, exact) and elementary symmetric
# polynomials of the zero elements' infinitesimal parts, so that they stay exact at zeros, as
# `prod_dx` and `cumprod_dx` do. Inside, a jet is the list of its 2**m coefficients, the set S
# written as a bit mask (e_m the highest bit).


def _jet(jet) -> list:
    """The coefficients of a jet (an array, or a pair of jets of one order), as a list."""
    if isinstance(jet, (tuple, list)):
        if len(jet) != 2:
            raise ValueError(f"a jet is an array or a pair (low, high) of jets, not {len(jet)} items")
        low, high = _jet(jet[0]), _jet(jet[1])
        if len(low) != len(high):
            raise ValueError("the two halves of a jet are jets of different orders")
        return low + high
    return [asarray(jet)]


def _jet_mul(a: list, b: list) -> list:
    """The product of two jets: the `S` part adds `a[U] * b[S - U]` over the subsets `U` of `S`."""
    out = []
    for s in range(len(a)):
        u, total = s, a[s] * b[0]
        while u:
            u = (u - 1) & s
            total = total + a[u] * b[s ^ u]
        out.append(total)
    return out


def _unit(like: list) -> list:
    return [1 + 0 * like[0]] + [0 * c for c in like[1:]]


def _jet_series(u: list, coefficients) -> list:
    """`sum(c_r u**r)` for a jet `u` whose first part is 0 (so `u**r` is 0 beyond r = m)."""
    out = [coefficients[0] * c for c in _unit(u)]
    power = _unit(u)
    for c in coefficients[1 : len(u).bit_length()]:
        power = _jet_mul(power, u)
        out = [o + c * p for o, p in zip(out, power)]
    return out


def _log_coefficients(m: int) -> list:
    return [0.0] + [(-1) ** (r + 1) / r for r in range(1, m + 1)]


def _exp_coefficients(m: int) -> list:
    return [1.0 / math.factorial(r) for r in range(m + 1)]


def _elementary(power_sums: list, like: list) -> list:
    """`e_0 ... e_m`, the elementary symmetric polynomials of jets whose power sums `p_1 ... p_m`
    (jets) are given, by Newton's identities; those of degree above m are 0 (nilpotent jets)."""
    e = [_unit(like)]
    for q in range(1, len(power_sums) + 1):
        total = [0 * c for c in like]
        for r in range(1, q + 1):
            term = _jet_mul(e[q - r], power_sums[r - 1])
            total = [a + (-1) ** (r - 1) * b / q for a, b in zip(total, term)]
        e.append(total)
    return e


def _select(index, e: list) -> list:
    """The jet `e[index]` elementwise (0 where `index` is outside `0 ... len(e) - 1`)."""
    out = [0 * c for c in e[0]]
    for q, eq in enumerate(e):
        out = [np.where(index == q, c, o) for o, c in zip(out, eq)]
    return out


def _nilpotent(jet: list, zero) -> tuple:
    """The nonzero elements' `u = (jet - x) / x`, and the zero elements' `jet - x`."""
    safe = np.where(zero, 1, jet[0])
    u = [0 * jet[0]] + [np.where(zero, 0, c / safe) for c in jet[1:]]
    z = [0 * jet[0]] + [np.where(zero, c, 0) for c in jet[1:]]
    return safe, u, z


def _powers(z: list) -> list:
    """`z, z**2, ..., z**m` for a jet of order m."""
    out, power = [], _unit(z)
    for _ in range(len(z).bit_length() - 1):
        power = _jet_mul(power, z)
        out.append(power)
    return out


def prod_dx_jet(g, jet, axis=None, keepdims=False):
    """`prod_dx(g, x)` differentiated along the tangents of the jet `(x, t, ...)`, exact at zeros.

    `g` times the last coefficient of the product of the other elements over `axis`, the
    (m+1)-th derivative of `np.prod` in the jet's m directions. `prod_dx_jet(g, x)` is
    `prod_dx(g, x)`, and `prod_dx_jet(g, (x, t))` its tangent in x along `t`.

    >>> prod_dx_jet(1.0, (np.array([2.0, 0.0, 3.0]), np.array([1.0, 1.0, 1.0])))
    array([3., 5., 2.])
    """
    jet = _jet(jet)
    m = len(jet).bit_length() - 1
    zero = jet[0] == 0
    safe, u, z = _nilpotent(jet, zero)
    logs = _jet_series(u, _log_coefficients(m))
    totals = [np.sum(c, axis=axis, keepdims=True) for c in logs]
    rest_of = _jet_series([t - c for t, c in zip(totals, logs)], _exp_coefficients(m))
    rest = np.prod(safe, axis=axis, keepdims=True)
    others = np.sum(zero, axis=axis, keepdims=True) - zero  # the zeros among the other elements
    sums = [[np.sum(c, axis=axis, keepdims=True) - c for c in p] for p in _powers(z)]
    zeros_of = _select(others, _elementary(sums, z))
    product = _jet_mul([np.where(zero, rest, rest / safe) * c for c in rest_of], zeros_of)
    return _kept(g, axis, keepdims) * product[-1]


def _cumulative(jet: list, axis):
    """The cumulative products of a jet (a list) along `axis`, and the parts they are made of."""
    m = len(jet).bit_length() - 1
    zero = jet[0] == 0
    safe, u, z = _nilpotent(jet, zero)
    logs = [np.cumsum(c, axis) for c in _jet_series(u, _log_coefficients(m))]
    factor = [np.cumprod(safe, axis) * c for c in _jet_series(logs, _exp_coefficients(m))]
    count = np.cumsum(zero, axis)  # the zeros up to each element
    e = _elementary([[np.cumsum(c, axis) for c in p] for p in _powers(z)], z)
    return _jet_mul(factor, _select(count, e)), (m, zero, safe, u, z, factor, count, e)


def _flat(jet: list) -> list:
    return [np.ravel(c) for c in np.broadcast_arrays(*jet)]


def cumprod_jet(jet, axis=None):
    """The last coefficient of `np.cumprod` of a jet along `axis`: the m-th derivative of
    `np.cumprod` in the jet's m directions, exact with zeros (flat when `axis` is None).

    >>> cumprod_jet((np.array([2.0, 0.0, 3.0]), np.array([1.0, 1.0, 1.0])), 0)
    array([1., 2., 6.])
    """
    jet = _jet(jet)
    if axis is None:
        jet, axis = _flat(jet), 0
    return _cumulative(jet, axis)[0][-1]


def cumprod_dx_jet(g, jet, axis=None):
    """`cumprod_dx` of a jet: for each element j, the last coefficient of the sum over i >= j of
    `g[i]` times the product of the elements k <= i but j, the (m+1)-th derivative of
    `sum(g * np.cumprod(x, axis))` in the jet's m directions, exact with zeros.
    `cumprod_dx_jet(g, x)` is `cumprod_dx(g, np.cumprod(x, axis), x, axis)`.

    >>> cumprod_dx_jet(np.ones(3), (np.array([2.0, 0.0, 3.0]), np.array([1.0, 1.0, 1.0])), 0)
    array([4., 6., 2.])
    """
    jet = _jet(jet)
    if axis is None:
        shape = _shape(np.broadcast_arrays(*jet)[0])
        return np.reshape(_cumprod_dx_jet(np.ravel(g), _flat(jet), 0), shape)
    return _cumprod_dx_jet(g, jet, axis)


def _cumprod_dx_jet(g, jet: list, axis):
    products, (m, zero, safe, u, z, factor, count, e) = _cumulative(jet, axis)
    # a nonzero element j: the sum of g times the products up to each i >= j, over j's jet
    inverse = [c / safe for c in _jet_series(u, [(-1.0) ** r for r in range(m + 1)])]
    nonzero = _jet_mul(inverse, [_reverse_cumsum(g * c, axis) for c in products])
    # a zero element j: e_(q-1) of the zeros up to i but j is the sum over r of (-z_j)**r e_(q-1-r)
    at_zero = [0 * c for c in nonzero]
    power = _unit(z)
    for r in range(m + 1):
        weights = [_reverse_cumsum(g * c, axis) for c in _jet_mul(factor, _select(count - 1 - r, e))]
        at_zero = [a + b for a, b in zip(at_zero, _jet_mul(power, weights))]
        power = _jet_mul(power, [-c for c in z])
    return np.where(zero, at_zero[-1], nonzero[-1])
