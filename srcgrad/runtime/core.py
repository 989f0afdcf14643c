"""Helpers that generated gradient code calls where one NumPy expression would not do.

Each takes the incoming gradient `g` and the values it needs, and works for any shapes NumPy
accepts. They use array methods and the `numpy` functions that CuPy and Dask share.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "checkpoint_segments",
    "unbroadcast",
    "broadcast_like",
    "zeros_as",
    "unreduce",
    "untranspose",
    "ungetitem",
    "with_item",
    "list_with_item",
    "written_gradient",
    "items_of",
    "shape_of",
    "matmul_dx",
    "matmul_dy",
    "dot_dx",
    "dot_dy",
    "check_finite",
]


def module_of(*values):
    """The array library of the values: CuPy or `dask.array` for their arrays, else NumPy."""
    for v in values:
        root = _foreign(v)
        if root is not None:
            return _library(root)
    return np


def _foreign(x) -> str | None:
    """ "cupy" or "dask" for a value of those libraries, else None."""
    root = type(x).__module__.partition(".")[0]
    return root if root == "cupy" or root == "dask" else None


def _library(root: str):
    from ..backends import backend_named

    return backend_named(root).module("numpy")  # for Dask, dask.array with NumPy's missing parts


def asarray(x):
    """`x` as an array: CuPy and Dask arrays as they are, anything else through NumPy."""
    return x if _foreign(x) is not None else np.asarray(x)


def scatter_add(out, index, g):
    """`out[index] += g`, adding where an index repeats (`np.add.at`); returns `out`."""
    xp = module_of(out)
    if xp.__name__ == "dask.array":
        from ..errors import UnsupportedBackendError

        raise UnsupportedBackendError(
            "the gradient of indexing with repeated or array indices needs numpy.add.at, which "
            "dask.array lacks, so srcgrad cannot run this function on Dask arrays.",
            hint="Index with slices or integers, or call the function with NumPy arrays.",
        )
    xp.add.at(out, index, g)
    return out


def check_finite(g, filename: str, lineno: int, name: str):
    """Raises NonFiniteGradientError, naming the user's line, if the gradient `g` has a NaN or an inf.

    `grad(..., check_finite=True)` calls this after each gradient the generated code computes;
    `filename` and `lineno` are the line of the user's statement whose gradient `g` is.
    """
    if type(g) is float:
        if g - g == 0.0:  # false for NaN and both infinities
            return
    elif bool(module_of(g).isfinite(g).all()):
        return
    import linecache

    from ..errors import Location, NonFiniteGradientError

    text = linecache.getline(filename, lineno)
    indent = len(text) - len(text.lstrip())
    where = Location(filename, lineno, col=indent, text=text.rstrip("\n"))
    count = "it" if type(g) is float else f"{int((~module_of(g).isfinite(g)).sum())} of {g.size} elements"
    raise NonFiniteGradientError(
        f"the gradient {name} became NaN or infinite ({count}) in the gradient of this statement; "
        "every gradient the backward pass computed before (for the statements after it) was finite.",
        where,
        hint="Look for a log or a division at 0, a sqrt at 0, or an overflow in exp on this line; "
        "srcgrad.source(f) shows the generated code.",
    )


class Shape(tuple):
    """The shape of a value a loop saved only for `unbroadcast` or `ungetitem` (it stands in for it)."""

    @property
    def shape(self):
        return tuple(self)


def shape_of(x) -> Shape:
    """What a loop saves of a value the backward pass reads only for its shape.

    A tuple of arrays (what `np.gradient` returns) is kept whole: its items' shapes may differ.

    >>> unbroadcast(np.ones((4, 3)), shape_of(np.zeros(3)))
    array([4., 4., 4.])
    """
    if isinstance(x, (tuple, list)) and not isinstance(x, Shape):
        return x
    return Shape(np.shape(x))


class Parts(tuple):
    """The gradient of a tuple of arrays (what `np.gradient` or `cho_factor` return), one
    gradient per item. Gradients add item by item, so that two reads of one tuple add up (a
    tuple's `+` would join them).

    >>> Parts((np.ones(2), 0.0)) + Parts((np.ones(2), 1.0))
    (array([2., 2.]), 1.0)
    """

    def __add__(self, other):
        if isinstance(other, tuple) and not isinstance(other, Shape) and len(other) == len(self):
            return Parts(a + b for a, b in zip(self, other))
        return NotImplemented

    __radd__ = __add__


def _shape(x) -> tuple:
    if type(x) is float or type(x) is int:  # np.shape would make an array of it first
        return ()
    shape = getattr(x, "shape", None)
    return np.shape(x) if shape is None else shape


def unbroadcast(g, x):
    """`g` summed over the axes along which `x` was broadcast, so that it has `x`'s shape.

    >>> unbroadcast(np.ones((4, 3)), np.zeros(3))
    array([4., 4., 4.])
    >>> unbroadcast(np.ones((4, 3)), np.zeros((4, 1))).shape
    (4, 1)
    """
    if type(g) is float and type(x) is float:  # Python scalar code: nothing was broadcast
        return g
    shape = _shape(x)
    gshape = _shape(g)
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, gshape[lead:])):
        return np.broadcast_to(g, shape)  # g is the smaller one: spread it (a scalar seed)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1
    )
    g = g.sum(axis=axes) if axes else g
    return g.reshape(shape) if _shape(g) != shape else g


def broadcast_like(tangent, like):
    """`tangent` spread over the shape of `like` (`np.broadcast_to`), so a tangent has its value's shape.

    Forward mode writes it for the tangent one operand of a broadcasting operation (`x + y`)
    passes on.

    >>> broadcast_like(np.ones(3), np.zeros((2, 3))).shape
    (2, 3)
    >>> broadcast_like(2.0, 5.0)
    2.0
    """
    shape = _shape(like)
    if _shape(tangent) == shape:
        return tangent
    return np.broadcast_to(tangent, shape)


def zeros_as(x):
    """The zero tangent of `x`: `np.zeros_like(x)`, 0.0 for a float, None for None, per item for a list.

    None is a variable a loop or a branch has not assigned yet; a list or a tuple gets the zero
    tangent of each item.

    >>> zeros_as([np.ones(2), 3.0])
    [array([0., 0.]), 0.0]
    >>> zeros_as(None) is None
    True
    """
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return type(x)(zeros_as(item) for item in x)
    if type(x) is float:
        return 0.0
    return np.zeros_like(x)


def unreduce(g, x, axis=None, keepdims=False):
    """`g`, the gradient of a reduction of `x` over `axis`, spread back over `x`'s shape.

    >>> unreduce(np.array([1.0, 2.0]), np.zeros((2, 3)), axis=1)
    array([[1., 1., 1.],
           [2., 2., 2.]])
    """
    shape = _shape(x)
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, shape)


def untranspose(g, axes=None):
    """`g`, the gradient of `np.transpose(x, axes)`, with the permutation undone.

    >>> untranspose(np.zeros((2, 3, 4)), (-1, 0, 1)).shape
    (3, 4, 2)
    """
    if axes is None:
        return g.transpose()
    ndim = len(axes)
    return g.transpose(_permutation(np.argsort([a % ndim for a in axes])))


def _permutation(order) -> tuple:
    """Axes for `transpose` as a tuple of ints (Dask takes no array there)."""
    return tuple(int(i) for i in order)


def _swap(a):
    return a.swapaxes(-1, -2)


def matmul_dx(g, x, y):
    """The gradient of `x @ y` with respect to `x`, given the gradient `g` of the product.

    >>> x, y = np.ones((2, 3)), np.ones((3, 4))
    >>> matmul_dx(np.ones((2, 4)), x, y)
    array([[4., 4., 4.],
           [4., 4., 4.]])
    """
    xd, yd = np.ndim(x), np.ndim(y)
    if xd == 2 and yd == 2:
        return g @ y.T
    if yd == 1:  # (..., n) @ (n,) -> (...)
        return unbroadcast(np.multiply.outer(g, y) if np.ndim(g) else g * y, x)
    if xd == 1:  # (n,) @ (..., n, m) -> (..., m)
        return unbroadcast((y @ g[..., None])[..., 0], x)
    return unbroadcast(g @ _swap(y), x)


def matmul_dy(g, x, y):
    """The gradient of `x @ y` with respect to `y`, given the gradient `g` of the product.

    >>> x, y = np.ones((2, 3)), np.ones((3, 4))
    >>> matmul_dy(np.ones((2, 4)), x, y).shape
    (3, 4)
    """
    xd, yd = np.ndim(x), np.ndim(y)
    if xd == 2 and yd == 2:
        return x.T @ g
    if xd == 1:  # (n,) @ (..., n, m) -> (..., m)
        return unbroadcast(np.multiply.outer(x, g) if yd == 1 else x[:, None] * g[..., None, :], y)
    if yd == 1:  # (..., n, k) @ (k,) -> (..., n): contract g with x's leading axes, no temporary
        return np.tensordot(g, x, axes=np.ndim(g))
    return unbroadcast(_swap(x) @ g, y)


def dot_dx(g, x, y):
    """The gradient of `np.dot(x, y)` with respect to `x` (any ranks NumPy accepts).

    >>> dot_dx(np.ones(2), np.ones((2, 3)), np.arange(3.0))
    array([[0., 1., 2.],
           [0., 1., 2.]])
    """
    xd, yd = np.ndim(x), np.ndim(y)
    if xd == 0 or yd == 0:
        return unbroadcast(g * y, x)
    if yd == 1:  # contracts x's last axis with y
        return np.multiply.outer(g, y)
    # result axes: x's leading axes, y's leading axes, y's last axis
    return np.tensordot(g, y, axes=(list(range(xd - 1, np.ndim(g))), list(range(yd - 2)) + [yd - 1]))


def dot_dy(g, x, y):
    """The gradient of `np.dot(x, y)` with respect to `y` (any ranks NumPy accepts).

    >>> dot_dy(np.ones(2), np.ones((2, 3)), np.ones(3))
    array([2., 2., 2.])
    """
    xd, yd = np.ndim(x), np.ndim(y)
    if xd == 0 or yd == 0:
        return unbroadcast(g * x, y)
    lead = list(range(xd - 1))
    if yd == 1:
        return np.tensordot(x, g, axes=(lead, lead))
    return np.moveaxis(np.tensordot(x, g, axes=(lead, lead)), 0, -2)


def items_of(seq):
    """What `for x in seq` goes over, by position: a dict's keys as a list, any other sequence itself.

    Any other sequence is an array's rows or a list's items. Written where srcgrad cannot tell
    from the code whether `seq` is a dict.

    >>> items_of({"a": 1, "b": 2}), items_of([3, 4])
    (['a', 'b'], [3, 4])
    """
    return list(seq) if isinstance(seq, dict) else seq


def ungetitem(g, x, index):
    """The gradient of `x[index]`: `g` put back where the items came from, summed where an index repeats.

    Elsewhere the gradient is zero.

    >>> ungetitem(np.ones(2), np.zeros(3), np.array([0, 0]))
    array([2., 0., 0.])
    >>> ungetitem(np.ones((2, 2)), np.zeros((3, 2)), np.s_[1:])
    array([[0., 0.],
           [1., 1.],
           [1., 1.]])
    """
    if isinstance(x, (tuple, list)) and not isinstance(x, Shape):  # an item of a tuple of arrays
        return _unpick(g, x, index)
    if isinstance(x, Shape):  # a loop saved only x's shape (`shape_of`)
        out = module_of(g).zeros(tuple(x), dtype=np.result_type(g))
    else:
        out = np.zeros_like(x, dtype=np.result_type(g, x))
    if _basic(index):  # slices, integers, None: no element is picked twice
        if type(out) is not np.ndarray:  # Dask cannot assign through None in an index
            g, index = _without_new_axes(g, index, np.ndim(x))
        out[index] += g
        return out
    return scatter_add(out, index, g)


def _unpick(g, x, index) -> Parts:
    """The gradient of `x[index]` for a tuple `x` of arrays: `g` at the items picked, zeros
    at the others.

    >>> _unpick(np.ones(2), (np.zeros(2), np.zeros(3)), 0)
    (array([1., 1.]), array([0., 0., 0.]))
    """
    parts = [np.zeros_like(item) for item in x]
    picked = range(len(x))[index]
    if isinstance(picked, int):
        parts[picked] = parts[picked] + g
    else:
        for k, part in zip(picked, g):
            parts[k] = parts[k] + part
    return Parts(parts)


def with_item(x, index, v):
    """`x` with `x[index] = v`, as a new array: srcgrad's form of an assignment into part of an array.

    `x` itself is left as it was, so every value the gradient needs stays readable.

    >>> x = np.zeros(3)
    >>> with_item(x, 1, 5.0), x
    (array([0., 5., 0.]), array([0., 0., 0.]))
    """
    out = x.copy()
    out[index] = v
    return out


def list_with_item(xs, index, v):
    """`xs` with `xs[index] = v`, as a new list: srcgrad's form of an assignment into an item of
    a list that carries no gradient (a list of sizes or axes). `xs` itself is left as it was.

    >>> shape = [2, 3]
    >>> list_with_item(shape, 0, 1), shape
    ([1, 3], [2, 3])
    """
    out = list(xs)
    out[index] = v
    return out


def written_gradient(g, index, v):
    """The gradient of `v` in `x[index] = v`: `g[index]`, summed to `v`'s shape where `v` was spread.

    An index that writes one place twice keeps only the last value written there, so the earlier
    values have no effect: srcgrad refuses that rather than giving them a gradient.

    >>> written_gradient(np.arange(4.0), np.s_[1:3], 1.0)
    np.float64(3.0)
    """
    if not _basic(index) and type(g) is np.ndarray:
        hits = np.zeros(g.shape, dtype=np.intp)
        np.add.at(hits, index, 1)
        if hits.max(initial=0) > 1:
            from ..errors import SrcgradError

            raise SrcgradError(
                "an assignment into part of an array writes one place twice (a repeated index); "
                "only the last value written there counts, and srcgrad does not differentiate that.",
                hint="Write each place once, or add the values up first (`np.add.at`, or `y[i] += v` "
                "in a loop).",
            )
    return unbroadcast(g[index], v)


def _without_new_axes(g, index, ndim: int):
    """`g` and `index` with the axes `None` made in `x[index]` taken out of both."""
    parts = index if isinstance(index, tuple) else (index,)
    if not any(p is None for p in parts):
        return g, index
    consumed = sum(1 for p in parts if p is not None and p is not Ellipsis)
    axis, new = 0, []
    for p in parts:
        if p is None:
            new.append(axis)
        if p is Ellipsis:
            axis += ndim - consumed
        elif not isinstance(p, (int, np.integer)):  # a slice or None makes an axis of the result
            axis += 1
    return g.squeeze(axis=tuple(new)), tuple(p for p in parts if p is not None)


def _basic(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (slice, int, np.integer)) for p in parts)


def checkpoint_segments(steps: range, snapshots=None) -> list:
    """The segments a checkpointed loop over `steps` runs in, as (first, stop) pairs, each
    `range(first, stop, steps.step)`: `snapshots` of them (at most one per step), or by default
    about sqrt(len(steps)), which keeps the fewest values (a segment's start for each segment, and
    one segment's values) for one extra forward pass.

    >>> checkpoint_segments(range(10))
    [(0, 4), (4, 8), (8, 10)]
    >>> checkpoint_segments(range(0, 10, 3), snapshots=2)
    [(0, 6), (6, 12)]
    """
    n = len(steps)
    if n == 0:
        return []
    count = max(1, round(n**0.5)) if snapshots is None else int(snapshots)
    if count < 1:
        raise ValueError(f"srcgrad.checkpointed needs snapshots >= 1, got {snapshots!r}")
    size = -(-n // min(count, n))  # steps per segment, rounded up
    return [(steps[i : i + size].start, steps[i : i + size].stop) for i in range(0, n, size)]
