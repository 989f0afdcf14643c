"""Runtime helpers for the shape rules (see srcgrad/rules/numpy/shape.py)."""

from __future__ import annotations

import numpy as np

from ..errors import UnsupportedArgumentsError
from .core import _shape, asarray, module_of, scatter_add, unbroadcast

__all__ = [
    "unravel",
    "ravel_jvp",
    "unconcatenate",
    "unhstack",
    "unvstack",
    "unrepeat",
    "untile",
    "unpad",
    "pad_dx",
    "pad_dconstant",
    "pad_jvp",
    "untake",
    "untake_along_axis",
    "unsort",
    "uncolumn_stack",
    "undstack",
    "rollaxis_destination",
    "select_adjoint",
    "select_none",
]


def _zeros(g, shape):
    return module_of(g).zeros(shape, dtype=np.result_type(g))


def unravel(g, x, order="C"):
    """`g`, the gradient of `np.ravel(x, order)` (or `x.flatten(order)`), in `x`'s shape.

    >>> unravel(np.arange(4.0), np.zeros((2, 2)), "F")
    array([[0., 2.],
           [1., 3.]])
    """
    return np.reshape(g, _shape(x), order=_memory_order(x, order))


def ravel_jvp(t, x, order="C"):
    """The tangent of `np.ravel(x, order)` in the direction `t` of `x`: `t` flattened in the order
    `np.ravel` reads `x` (for "A" and "K", the order of `x`'s memory, not of `t`'s).

    >>> ravel_jvp(np.arange(4.0).reshape(2, 2), np.asfortranarray(np.zeros((2, 2))), "A")
    array([0., 2., 1., 3.])
    """
    return np.ravel(t, order=_memory_order(x, order))


def _memory_order(x, order):
    """ "C" or "F": the order in which `np.ravel(x, order)` reads the elements of `x`."""
    if order in ("A", "K"):
        contiguous = getattr(x, "flags", None)
        fortran = contiguous is not None and contiguous.f_contiguous and not contiguous.c_contiguous
        if order == "K" and not (fortran or contiguous is None or contiguous.c_contiguous):
            raise UnsupportedArgumentsError(
                "srcgrad differentiates np.ravel(x, order='K') only for contiguous x; use order='C' or 'F'"
            )
        return "F" if fortran else "C"
    return order


def _split(g, sizes, axis):
    """`g` cut along `axis` into consecutive pieces of the given sizes."""
    return module_of(g).split(g, np.cumsum(sizes)[:-1], axis=axis)


def _as_given(parts, arrays):
    """The gradients of a sequence argument: a list, or one array if the argument was one."""
    if hasattr(arrays, "shape"):  # np.concatenate(x) of a single array joins its sub-arrays
        return np.stack(parts)
    return parts


def unconcatenate(g, arrays, axis=0):
    """`g`, the gradient of `np.concatenate(arrays, axis)`, cut into one piece per array.

    >>> unconcatenate(np.arange(5.0), [np.zeros(2), np.zeros(3)])
    [array([0., 1.]), array([2., 3., 4.])]
    """
    if axis is None:  # the arrays were flattened first
        parts = _split(g, [np.size(a) for a in arrays], 0)
        return _as_given([np.reshape(p, _shape(a)) for p, a in zip(parts, arrays)], arrays)
    ndim = np.ndim(arrays[0])
    return _as_given(_split(g, [_shape(a)[axis % ndim] for a in arrays], axis), arrays)


def unhstack(g, tup):
    """`g`, the gradient of `np.hstack(tup)`, cut into one piece per array of `tup`.

    >>> unhstack(np.arange(3.0), [1.0, np.zeros(2)])
    [array(0.), array([1., 2.])]
    """
    axis = 0 if np.ndim(tup[0]) <= 1 else 1
    parts = _split(g, [np.shape(np.atleast_1d(a))[axis] for a in tup], axis)
    return _as_given([np.reshape(p, _shape(a)) for p, a in zip(parts, tup)], tup)


def unvstack(g, tup):
    """`g`, the gradient of `np.vstack(tup)`, cut into one piece per array of `tup`.

    >>> unvstack(np.arange(4.0).reshape(2, 2), [np.zeros(2), np.zeros((1, 2))])
    [array([0., 1.]), array([[2., 3.]])]
    """
    parts = _split(g, [np.shape(np.atleast_2d(a))[0] for a in tup], 0)
    return _as_given([np.reshape(p, _shape(a)) for p, a in zip(parts, tup)], tup)


def uncolumn_stack(g, tup):
    """`g`, the gradient of `np.column_stack(tup)`, cut into one piece per array of `tup` (a 0-d
    or 1-D array was one column).

    >>> uncolumn_stack(np.arange(6.0).reshape(2, 3), [np.zeros(2), np.zeros((2, 2))])
    [array([0., 3.]), array([[1., 2.],
           [4., 5.]])]
    """
    widths = [1 if np.ndim(a) < 2 else _shape(a)[1] for a in tup]
    parts = _split(g, widths, 1)
    return _as_given([np.reshape(p, _shape(a)) for p, a in zip(parts, tup)], tup)


def undstack(g, tup):
    """`g`, the gradient of `np.dstack(tup)`, cut along axis 2 into one piece per array of `tup`
    (a 0-d, 1-D or 2-D array was made 3-D by np.atleast_3d: one layer).

    >>> undstack(np.arange(6.0).reshape(1, 2, 3), [np.zeros(2), np.zeros((1, 2, 2))])
    [array([0., 3.]), array([[[1., 2.],
            [4., 5.]]])]
    """
    parts = _split(g, [np.shape(np.atleast_3d(a))[2] for a in tup], 2)
    return _as_given([np.reshape(p, _shape(a)) for p, a in zip(parts, tup)], tup)


def rollaxis_destination(x, axis, start=0):
    """Where `np.rollaxis(x, axis, start)` puts `axis`: the same result is
    `np.moveaxis(x, axis, rollaxis_destination(x, axis, start))`.

    >>> rollaxis_destination(np.zeros((2, 3, 4)), 0, 3), rollaxis_destination(np.zeros((2, 3, 4)), -1, 0)
    (2, 0)
    """
    n = np.ndim(x)
    axis, start = axis % n, start + n if start < 0 else start
    return start - 1 if start > axis else start


def select_adjoint(g, condlist, choicelist):
    """`g`, the gradient of `np.select(condlist, choicelist, default)`, one piece per choice:
    where several conditions hold, all of it goes to the first one's choice, as `np.select` takes
    that one's value.

    >>> conditions = [np.array([1, 1, 0], bool), np.array([0, 1, 1], bool)]
    >>> select_adjoint(np.ones(3), conditions, [np.zeros(1), np.zeros(3)])
    [array([2.]), array([0., 0., 1.])]
    """
    taken, parts = False, []
    for cond, choice in zip(condlist, choicelist):
        here = np.logical_and(cond, np.logical_not(taken))
        parts.append(unbroadcast(np.where(here, g, 0), choice))
        taken = np.logical_or(taken, cond)
    return _as_given(parts, choicelist)


def select_none(condlist):
    """Where none of `condlist` holds: where `np.select` takes its default.

    >>> select_none([np.array([True, False]), np.array([False, False])])
    array([False,  True])
    """
    taken = False
    for cond in condlist:
        taken = np.logical_or(taken, cond)
    return np.logical_not(taken)


def _scatter(g, index, n, axis):
    """An array like `g` but `n` long along `axis`, with `g[..., i, ...]` added at `index[i]`
    (repeated indices accumulate)."""
    g = np.moveaxis(asarray(g), axis, 0)
    out = _zeros(g, (n, *_shape(g)[1:]))
    scatter_add(out, index, g)
    return np.moveaxis(out, 0, axis)


def unrepeat(g, x, repeats, axis=None):
    """`g`, the gradient of `np.repeat(x, repeats, axis)`, summed over the repeats.

    >>> unrepeat(np.arange(5.0), np.zeros(2), [2, 3])
    array([1., 9.])
    """
    if axis is None:
        return np.reshape(unrepeat(g, np.ravel(x), repeats, 0), _shape(x))
    n = _shape(x)[axis]
    index = np.repeat(module_of(g).arange(n), np.broadcast_to(repeats, (n,)))
    return _scatter(g, index, n, axis)


def untile(g, x, reps):
    """`g`, the gradient of `np.tile(x, reps)`, summed over the tiles.

    >>> untile(np.arange(6.0), np.zeros(2), 3)
    array([6., 9.])
    """
    reps = tuple(np.atleast_1d(reps))
    shape = _shape(x)
    ndim = max(len(shape), len(reps))
    reps = (1,) * (ndim - len(reps)) + reps
    sides = (1,) * (ndim - len(shape)) + tuple(shape)
    split = np.reshape(g, [n for pair in zip(reps, sides) for n in pair])  # (r0, s0, r1, s1, ...)
    return np.reshape(np.sum(split, axis=tuple(range(0, 2 * ndim, 2))), shape)


def _pad_pairs(pad_width, ndim):
    """`np.pad`'s `pad_width` (an int, a pair, or a pair per axis) as a pair per axis."""
    return np.broadcast_to(np.asarray(pad_width, dtype=int), (ndim, 2)) if ndim else np.zeros((0, 2), int)


def unpad(g, pad_width):
    """`g`, the gradient of `np.pad(x, pad_width)` in constant mode: its middle, `x`'s part.

    >>> unpad(np.arange(6.0).reshape(2, 3), ((0, 1), (1, 0)))
    array([[1., 2.]])
    """
    pairs = _pad_pairs(pad_width, np.ndim(g))
    return g[tuple(slice(before, n - after) for (before, after), n in zip(pairs, _shape(g)))]


_COPY_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


def pad_dx(g, x, pad_width, mode="constant", reflect_type="even"):
    """`g`, the gradient of `np.pad(x, pad_width, mode)`, summed back onto the elements of `x` each
    padded value copies. Modes: constant, edge, reflect and symmetric (even), wrap.

    >>> pad_dx(np.arange(4.0), np.zeros(2), 1, "edge")
    array([1., 5.])
    """
    _check_pad_mode(mode, reflect_type)
    if mode == "constant":
        return unpad(g, pad_width)
    size = np.size(x)
    index = np.reshape(module_of(g).arange(size), _shape(x))
    kwargs = {"reflect_type": reflect_type} if mode in ("reflect", "symmetric") else {}
    source = np.ravel(np.pad(index, pad_width, mode=mode, **kwargs))
    out = _zeros(g, size)
    scatter_add(out, source, np.ravel(g))
    return np.reshape(out, _shape(x))


def _check_pad_mode(mode, reflect_type):
    if mode not in _COPY_MODES or (mode in ("reflect", "symmetric") and reflect_type != "even"):
        detail = f"mode={mode!r}" + (f", reflect_type={reflect_type!r}" if reflect_type != "even" else "")
        raise UnsupportedArgumentsError(
            f"srcgrad has no gradient for np.pad with {detail}; it differentiates the modes "
            f"{', '.join(map(repr, _COPY_MODES))} (reflect and symmetric with reflect_type='even')"
        )


def pad_jvp(t, pad_width, mode="constant", reflect_type="even"):
    """The tangent of `np.pad(x, pad_width, mode)` in the direction `t` of `x`: `t` padded the
    same way, with zeros in constant mode. Modes as for `pad_dx`.

    >>> pad_jvp(np.array([1.0, 2.0]), 1, "reflect")
    array([2., 1., 2., 1.])
    """
    _check_pad_mode(mode, reflect_type)
    if mode == "constant":
        return np.pad(t, pad_width)
    return np.pad(t, pad_width, mode=mode)


def pad_dconstant(g, pad_width, constant_values=0, mode="constant"):
    """The gradient of `np.pad(x, pad_width, mode, constant_values=c)` with respect to a scalar
    `c`: the sum of `g` over the padding in constant mode, 0 in the others.

    >>> pad_dconstant(np.arange(4.0), 1, 0.0)
    3.0
    """
    if mode != "constant":
        return np.zeros_like(constant_values) if hasattr(constant_values, "shape") else 0 * constant_values
    if np.ndim(constant_values) != 0:
        raise UnsupportedArgumentsError(
            "srcgrad differentiates np.pad's constant_values only as one scalar, not per axis"
        )
    total = np.sum(g) - np.sum(unpad(g, pad_width))
    return float(total) if type(constant_values) is float else total


def _index(indices, n, mode):
    indices = asarray(indices)
    if mode == "wrap":
        return indices % n
    if mode == "clip":
        return np.clip(indices, 0, n - 1)
    return indices


def untake(g, x, indices, axis=None, mode="raise"):
    """`g`, the gradient of `np.take(x, indices, axis, mode=mode)`, added back at the indices it
    came from (an index taken twice gets both gradients).

    >>> untake(np.array([1.0, 2.0, 3.0]), np.zeros(3), [2, 0, 2])
    array([2., 0., 4.])
    """
    if axis is None:
        return np.reshape(untake(g, np.ravel(x), indices, 0, mode), _shape(x))
    axis = axis % np.ndim(x)
    n = _shape(x)[axis]
    index = _index(indices, n, mode)
    k = np.ndim(index)
    # g's axes are x's before `axis`, the index's, x's after `axis`: the index's go first
    g = np.moveaxis(asarray(g), tuple(range(axis, axis + k)), tuple(range(k)))
    out = _zeros(g, (n, *_shape(x)[:axis], *_shape(x)[axis + 1 :]))
    scatter_add(out, index, g)
    return np.moveaxis(out, 0, axis)


def untake_along_axis(g, x, indices, axis=-1):
    """`g`, the gradient of `np.take_along_axis(x, indices, axis)`, added back where it came
    from (repeated indices accumulate).

    >>> untake_along_axis(np.array([[1.0, 2.0]]), np.zeros((1, 3)), np.array([[2, 2]]), 1)
    array([[0., 0., 3.]])
    """
    if axis is None:
        return np.reshape(untake(np.ravel(g), np.ravel(x), np.ravel(indices), 0), _shape(x))
    shape = _shape(x)
    ndim = len(shape)
    axis = axis % ndim
    xp = module_of(g)
    index = [
        xp.arange(n).reshape([n if d == i else 1 for d in range(ndim)]) if i != axis else asarray(indices)
        for i, n in enumerate(shape)
    ]
    out = _zeros(g, shape)
    scatter_add(out, tuple(index), g)
    return out


def unsort(g, x, axis=-1):
    """`g`, the gradient of `np.sort(x, axis)`, sent back through the sorting permutation.

    >>> unsort(np.array([1.0, 2.0, 3.0]), np.array([5.0, 4.0, 6.0]))
    array([2., 1., 3.])
    """
    if axis is None:
        return np.reshape(unsort(g, np.ravel(x), 0), _shape(x))
    out = np.zeros_like(g)
    np.put_along_axis(out, np.argsort(x, axis=axis, kind="stable"), g, axis=axis)
    return out
