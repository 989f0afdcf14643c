"""Hypothesis strategies for inputs to functions under `srcgrad.grad` (needs hypothesis).

Gradient checks by finite differences need inputs that keep away from the places where a
function is not smooth: the kink of `abs` at 0, the ties of `maximum`, the pole of `log` at 0.
The strategies here draw shapes, broadcasting shapes and float arrays with those constraints
built in, so that tests never have to throw away a drawn example:

- `shapes` draws array shapes, and `broadcastable_shapes` shapes that broadcast together
  (optionally following a gufunc signature such as matmul's);
- `arrays` draws float arrays in `[low, high]` that keep `margin` away from each value in
  `avoid`, and `scalars` does the same for a Python float;
- `pairs_apart` draws two arrays whose broadcast elements differ by at least `margin`
  (for `maximum`, `minimum` and comparisons, whose gradient jumps at ties).

Values avoided are not rejected but mapped around: a number is drawn uniformly from the total
length of the allowed intervals and placed in the interval it falls in, so every draw succeeds.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = ["shapes", "broadcastable_shapes", "arrays", "scalars", "pairs_apart", "allowed_intervals"]


def shapes(min_dims: int = 0, max_dims: int = 3, max_side: int = 4, min_side: int = 1):
    """Array shapes (tuples of ints) with `min_dims..max_dims` axes of length `min_side..max_side`."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcastable_shapes(
    num_shapes: int = 2,
    min_dims: int = 0,
    max_dims: int = 3,
    max_side: int = 4,
    min_side: int = 1,
    signature: str | None = None,
):
    """`num_shapes` shapes that broadcast together, with the shape they broadcast to.

    Each draw is a `BroadcastableShapes(input_shapes, result_shape)` named tuple from
    `hypothesis.extra.numpy.mutually_broadcastable_shapes`. With a gufunc `signature` (matmul's
    is `"(m?,n),(n,p?)->(m?,p?)"`), `num_shapes` is taken from the signature, the core dimensions
    follow it and `min_dims`/`max_dims` count the broadcast (loop) dimensions only.
    """
    if signature is not None:
        return hnp.mutually_broadcastable_shapes(
            signature=signature, min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
        )
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def allowed_intervals(low: float, high: float, avoid=(), margin: float = 0.1, pad: float = 0.0):
    """The closed intervals of `[low, high]` at least `margin` from every value in `avoid`.

    Each interval is then shrunk by `pad` at both ends (room for rounding to a narrower dtype).
    Returns a list of `(start, end)` pairs, sorted, possibly empty; a pair may be one point.
    """
    low, high, margin, pad = float(low), float(high), float(margin), float(pad)
    if not low <= high:
        raise ValueError(f"need low <= high, got low={low!r}, high={high!r}")
    bands = sorted((float(a) - margin, float(a) + margin) for a in np.ravel(np.asarray(avoid, dtype=float)))
    intervals = []
    start = low
    for a, b in bands:  # bands are open: their end points are exactly `margin` away, so allowed
        if a > start:
            intervals.append((start, min(a, high)))
        start = max(start, b)
        if start > high:
            break
    if start <= high:
        intervals.append((start, high))
    shrunk = [(a + pad, b - pad) for a, b in intervals if a + pad <= b - pad]
    return [(a, b) for a, b in shrunk if a <= b]


def _rounding_pad(dtype, low, high, avoid) -> float:
    """How far rounding a float64 in the allowed set to `dtype` can move it, with room to spare."""
    eps = float(np.finfo(dtype).eps)
    scale = max([1.0, abs(float(low)), abs(float(high))] + [abs(float(a)) for a in np.ravel(avoid)])
    return 4 * eps * scale


def _place(u, intervals):
    """Map `u` in [0, total length] onto the union of `intervals`, keeping order (vectorized)."""
    starts = np.array([a for a, _ in intervals])
    lengths = np.array([b - a for a, b in intervals])
    ends = np.cumsum(lengths)
    u = np.asarray(u, dtype=np.float64)
    k = np.minimum(np.searchsorted(ends, u, side="left"), len(intervals) - 1)
    before = np.concatenate([[0.0], ends])[k]
    ends_at = starts[k] + lengths[k]
    return np.minimum(starts[k] + (u - before), ends_at)


@st.composite
def arrays(draw, shape, dtype=np.float64, low=-2.0, high=2.0, avoid=(), margin=0.1):
    """Float arrays of `shape` and `dtype` with every element in `[low, high]` and at least
    `margin` away from each value in `avoid` (kinks and poles, such as 0 for `abs`).

    `shape` is a tuple, an int or a strategy of shapes. Shape `()` gives a 0-d array. Raises
    ValueError when the constraints leave nothing to draw from.
    """
    if isinstance(shape, st.SearchStrategy):
        shape = draw(shape)
    dtype = np.dtype(dtype)
    intervals = allowed_intervals(low, high, avoid, margin, _rounding_pad(dtype, low, high, avoid))
    if not intervals:
        raise ValueError(
            f"no value in [{low}, {high}] keeps {margin} away from {list(np.ravel(avoid))!r} in {dtype}"
        )
    total = sum(b - a for a, b in intervals)
    u = draw(
        hnp.arrays(
            np.float64,
            shape,
            elements=st.floats(0.0, total, allow_nan=False, allow_infinity=False, allow_subnormal=False),
        )
    )
    return np.asarray(_place(u, intervals)).astype(dtype).reshape(u.shape)


def scalars(low=-2.0, high=2.0, avoid=(), margin=0.1):
    """Python floats in `[low, high]`, at least `margin` away from each value in `avoid`."""
    return arrays((), np.float64, low, high, avoid, margin).map(float)


@st.composite
def pairs_apart(draw, shape, margin=0.1, *, other_shape=None, dtype=np.float64, low=-2.0, high=2.0):
    """Two float arrays `(x, y)` in `[low, high]` whose paired elements differ by at least `margin`.

    Without `other_shape` both have `shape` and `x[i]` and `y[i]` differ by `margin` for every
    `i` (needs `high - low > 2 * margin`). With `other_shape`, `y` has that shape and every
    element of `y` keeps `margin` away from every element of `x`, so that they stay apart
    however the two broadcast (needs enough room for all of `x`'s values). Either shape may be
    a strategy.
    """
    if isinstance(shape, st.SearchStrategy):
        shape = draw(shape)
    if isinstance(other_shape, st.SearchStrategy):
        other_shape = draw(other_shape)
    x = draw(arrays(shape, dtype, low, high))
    if other_shape is not None:
        return x, draw(arrays(other_shape, dtype, low, high, avoid=np.unique(x), margin=margin))
    dtype = np.dtype(dtype)
    pad = _rounding_pad(dtype, low, high, ())
    if not high - low > 2 * (margin + pad):
        raise ValueError(f"[{low}, {high}] is too narrow to hold two values {margin} apart")
    x64 = x.astype(np.float64)
    lo, hi = low + pad, high - pad
    left = np.maximum(0.0, (x64 - margin - pad) - lo)  # room below x: [low, x - margin]
    right = np.maximum(0.0, hi - (x64 + margin + pad))  # room above x: [x + margin, high]
    t = draw(
        hnp.arrays(np.float64, x.shape, elements=st.floats(0.0, 1.0, allow_nan=False, allow_subnormal=False))
    )
    t = t * (left + right)
    below = (t < left) | (right <= 0)
    y = np.where(below, lo + np.minimum(t, left), x64 + margin + pad + (t - left))
    return x, np.asarray(np.clip(y, lo, hi)).astype(dtype).reshape(x.shape)
