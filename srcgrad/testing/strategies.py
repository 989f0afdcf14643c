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
  (for `maximum`, `minimum` and comparisons, whose gradient jumps at ties);
- `distinct_arrays` draws an array whose elements are pairwise `margin` apart (for `max`,
  `sort`, `median`: no ties);
- `broadcastable_arrays` draws several arrays whose shapes broadcast together, in one step;
- `like` draws values shaped like a sample argument: the same nesting, shapes and float dtypes,
  new float values in the range the sample's span, everything else kept (what `srcgrad check`
  draws from a `<function>_example()`).

Values avoided are not rejected but mapped around: a number is drawn uniformly from the total
length of the allowed intervals and placed in the interval it falls in, so every draw succeeds.
"""

from __future__ import annotations

import copy

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = [
    "shapes",
    "broadcastable_shapes",
    "arrays",
    "scalars",
    "pairs_apart",
    "distinct_arrays",
    "broadcastable_arrays",
    "like",
    "sample_range",
    "allowed_intervals",
]


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


@st.composite
def distinct_arrays(draw, shape, margin=0.05, dtype=np.float64, low=-2.0, high=2.0):
    """Float arrays of `shape` in `[low, high]` whose elements are pairwise at least `margin`
    apart, in a drawn order: no ties for `max`, `sort`, `median` or `argmax`-based code.

    Needs `(size - 1) * margin` to fit in `[low, high]`; raises ValueError otherwise.
    """
    if isinstance(shape, st.SearchStrategy):
        shape = draw(shape)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    n = int(np.prod(shape, dtype=np.int64))
    dtype = np.dtype(dtype)
    pad = _rounding_pad(dtype, low, high, ())
    gap = margin + 2 * pad  # after rounding to dtype, neighbours stay `margin` apart
    room = (high - low) - 2 * pad - max(n - 1, 0) * gap
    if room < 0:
        raise ValueError(f"{n} values {margin} apart do not fit in [{low}, {high}]")
    u = draw(
        hnp.arrays(np.float64, (n,), elements=st.floats(0.0, room, allow_nan=False, allow_subnormal=False))
    )
    # sorted draws plus i * gap are increasing with gaps of at least `gap`; then shuffle
    values = low + pad + np.sort(u) + gap * np.arange(n)
    order = np.asarray(draw(st.permutations(range(n))), dtype=np.intp) if n else np.zeros(0, np.intp)
    return values[order].astype(dtype).reshape(shape)


@st.composite
def broadcastable_arrays(
    draw,
    num_arrays: int = 2,
    min_dims: int = 0,
    max_dims: int = 3,
    max_side: int = 4,
    min_side: int = 1,
    signature: str | None = None,
    dtype=np.float64,
    low=-2.0,
    high=2.0,
    avoid=(),
    margin=0.1,
):
    """A tuple of float arrays whose shapes broadcast together (drawn by `broadcastable_shapes`
    with the same arguments), each element in `[low, high]` and `margin` away from `avoid`."""
    drawn = draw(broadcastable_shapes(num_arrays, min_dims, max_dims, max_side, min_side, signature))
    return tuple(draw(arrays(s, dtype, low, high, avoid, margin)) for s in drawn.input_shapes)


def sample_range(values) -> tuple[float, float]:
    """The interval `like` draws new values from for a sample: the span of its finite values;
    for a constant `v`, between `v / 2` and `2 * v` (the same sign, the same scale), and
    `[-1, 1]` for 0."""
    flat = np.ravel(np.asarray(values, dtype=np.float64))
    flat = flat[np.isfinite(flat)]
    if flat.size == 0:
        return -1.0, 1.0
    low, high = float(flat.min()), float(flat.max())
    if high - low > 1e-12 * max(1.0, abs(low), abs(high)):
        return low, high
    if low == 0:
        return -1.0, 1.0
    return (low / 2, 2 * low) if low > 0 else (2 * low, low / 2)


def like(sample, low: float | None = None, high: float | None = None):
    """Values shaped like `sample`, one of a function's arguments.

    Dicts, lists and tuples keep their keys and lengths and have their items drawn this way;
    float arrays and NumPy float scalars keep their shape and dtype and Python floats stay Python
    floats, with new values in `[low, high]` (by default `sample_range(sample)`: a positive
    sample draws positive values); anything else (ints, bools, integer arrays, strings, None,
    objects) is kept as in the sample, since it usually sets sizes, indices or options. Values
    shrink towards 0, or towards small round numbers when 0 is not in the range.
    """
    if isinstance(sample, dict):
        return st.fixed_dictionaries({k: like(v, low, high) for k, v in sample.items()})
    if isinstance(sample, (list, tuple)):
        parts = st.tuples(*(like(v, low, high) for v in sample))
        kind = type(sample)
        return parts.map(kind if kind in (list, tuple) else lambda items: kind(*items))  # a named tuple
    if type(sample) is float or (
        isinstance(sample, (np.ndarray, np.floating)) and np.issubdtype(sample.dtype, np.floating)
    ):
        lo, hi = sample_range(sample)
        lo = lo if low is None else float(low)
        hi = hi if high is None else float(high)
        shape, dtype = np.shape(sample), getattr(sample, "dtype", np.dtype(np.float64))
        elements = st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)
        drawn = hnp.arrays(np.float64, shape, elements=elements)
        # rounding to a narrower dtype may step just outside the range: clip it back in
        cast = drawn.map(lambda a: np.clip(a.astype(dtype), dtype.type(lo), dtype.type(hi)).astype(dtype))
        if type(sample) is float:
            return cast.map(float)
        if isinstance(sample, np.floating):
            return cast.map(lambda a: a[()])
        return cast
    return st.just(sample).map(copy.deepcopy)  # a fresh copy: a function may modify it
