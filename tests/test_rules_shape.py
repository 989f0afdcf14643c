"""The shape section of the rule table against finite differences (see tests/test_rules.py).

Reshapes (ravel, squeeze, expand_dims, atleast_nd), axis permutations (swapaxes, moveaxis),
broadcast_to, joins of list arguments (concatenate, stack, hstack, vstack), flips and rolls,
repeat and tile, pad, takes (take, take_along_axis, with repeated indices), triu and tril, and
sort; literal and variable arguments, negative axes, and the method forms.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from rulespec import *  # noqa: F403  (domains and argument builders, used by the rows)
from rulespec import _array, _axes, check_both_modes, check_program, define_tests, rows

import srcgrad
from srcgrad.runtime import items_of

row = rows(globals())

# NumPy 2.0 deprecates np.row_stack; users' programs still call it, so the rows here do
pytestmark = pytest.mark.filterwarnings("ignore:`row_stack` alias is deprecated:DeprecationWarning")

# ---------------------------------------------------------------------------------------------
# Argument builders. `@drawn` turns `make(draw, array)` into a builder: `array(shape)` draws a
# float array of the row's dtype in [-2, 2].


def drawn(make):
    def args(dtype):
        @st.composite
        def draw(draw):
            return make(draw, lambda shape, domain=REAL: draw(_array(shape, dtype, domain)))

        return draw()

    return args


def _side(draw, lo=1, hi=4):
    return draw(st.integers(lo, hi))


def _axis(draw, ndim, extra=0):
    """An int axis of `ndim + extra` axes, randomly written as a negative index."""
    n = ndim + extra
    return draw(st.sampled_from([a for i in range(n) for a in (i, i - n)]))


def _distinct(draw, array, shape):
    """An array of `shape` whose elements are at least 0.15 apart (sort has kinks at ties)."""
    n = int(np.prod(shape, dtype=int))
    order = np.reshape(np.array(draw(st.permutations(range(n))), dtype=np.float64), shape)
    jitter = array(shape)
    return ((order - (n - 1) / 2) * 0.25 + 0.025 * (jitter + 2)).astype(jitter.dtype)


def x_of(lo=0, hi=3, min_side=1, max_side=4, distinct=False):
    """One array with `lo..hi` axes; with `distinct`, its elements at least 0.15 apart."""

    def make(draw, array):
        shape = draw(shapes(lo, hi, max_side=max_side, min_side=min_side))
        return (_distinct(draw, array, shape) if distinct else array(shape),)

    return drawn(make)


@drawn
def ravel_args(draw, array):
    return array(draw(shapes())), draw(st.sampled_from(["C", "F", "A", "K"]))


@drawn
def swapaxes_args(draw, array):
    x = array(draw(shapes(1, 3)))
    return x, _axis(draw, x.ndim), _axis(draw, x.ndim)


@drawn
def squeezable(draw, array):
    return (array(draw(shapes(0, 4, max_side=2))),)


@drawn
def squeezable_axis1(draw, array):
    shape = list(draw(shapes(2, 3, max_side=3)))
    shape[1] = 1
    return (array(tuple(shape)),)


@drawn
def into_2_3_4(draw, array):
    return (array(draw(hnp.broadcastable_shapes((2, 3, 4), max_dims=3))),)


@drawn
def broadcast_args(draw, array):
    shapes_ = draw(broadcastable_shapes(2))
    return array(shapes_.input_shapes[0]), shapes_.result_shape


def join_args(axis, count=2, same=False, var=False, lo=1):
    """Arrays of `lo..3` axes that join along `axis` (None: any shapes; with `var`, an axis
    drawn at random and returned last); with `same`, all of one shape (for stack)."""

    @drawn
    def make(draw, array):
        ndim = draw(st.integers(lo, 3))
        base = list(draw(shapes(ndim, ndim)))
        a = axis
        if var:
            a = None if (not same and draw(st.booleans())) else _axis(draw, ndim, int(same))
        if a is None and not same:
            arrays = [array(draw(shapes(0, 3))) for _ in range(count)]
        else:
            arrays = []
            for _ in range(count):
                shape = list(base)
                if not same:
                    shape[a] = _side(draw)
                arrays.append(array(tuple(shape)))
        return (*arrays, a) if var else tuple(arrays)

    return make


@drawn
def hstack_args(draw, array):
    kind = draw(st.sampled_from(["0d", "1d", "nd"]))
    if kind == "0d":
        return array(()), array(draw(st.sampled_from([(), (2,)])))
    if kind == "1d":
        return array((_side(draw),)), array((_side(draw),))
    rest = draw(shapes(0, 1))
    return array((2, _side(draw), *rest)), array((2, _side(draw), *rest))


@drawn
def vstack_args(draw, array):
    n = _side(draw)
    kind = draw(st.sampled_from(["1d", "1d-2d", "nd"]))
    if kind == "1d":
        return array((n,)), array((n,))
    if kind == "1d-2d":
        return array((n,)), array((_side(draw), n))
    rest = draw(shapes(1, 2))
    return array((_side(draw), *rest)), array((_side(draw), *rest))


@drawn
def flip_args(draw, array):
    x = array(draw(shapes()))
    return x, _axes(draw, x.ndim)


@drawn
def roll_args(draw, array):
    x = array(draw(shapes()))
    axis = draw(st.sampled_from([None, *range(-x.ndim, x.ndim)]))
    return x, draw(st.integers(-5, 5)), axis


@drawn
def last_side_3(draw, array):
    return (array((*draw(shapes(0, 2)), 3)),)


@drawn
def repeat_args(draw, array):
    x = array(draw(shapes()))
    axis = draw(st.sampled_from([None, *range(-x.ndim, x.ndim)]))
    n = x.size if axis is None else x.shape[axis]
    per_element = st.lists(st.integers(0, 3), min_size=n, max_size=n)
    return x, draw(st.one_of(st.integers(0, 3), per_element)), axis


@drawn
def tile_args(draw, array):
    reps = draw(st.one_of(st.integers(1, 3), st.lists(st.integers(1, 3), max_size=4).map(tuple)))
    return array(draw(shapes())), reps


@drawn
def pad_const_args(draw, array):
    return array(draw(shapes(0, 2))), draw(scalars())


@drawn
def pad_args(draw, array):
    x = array(draw(shapes(0, 3)))
    mode = draw(st.sampled_from(["constant", "edge", "reflect", "symmetric", "wrap"]))
    pair = st.tuples(st.integers(0, 3), st.integers(0, 3))
    per_axis = st.lists(pair, min_size=x.ndim, max_size=x.ndim).map(tuple)
    width = draw(st.one_of(st.integers(0, 3), pair, *([per_axis] if x.ndim else [])))
    return x, width, mode


@drawn
def take_args(draw, array):
    x = array(draw(shapes(1, 3)))
    axis = draw(st.sampled_from([None, *range(-x.ndim, x.ndim)]))
    n = x.size if axis is None else x.shape[axis]
    indices = draw(hnp.arrays(np.intp, draw(shapes(0, 2)), elements=st.integers(-n, n - 1)))
    return x, indices, axis


def take_along_args(var=False):
    """x and indices for np.take_along_axis along -1, or (`var`) along an axis drawn last."""

    @drawn
    def make(draw, array):
        x = array(draw(shapes(1, 3)))
        axis = draw(st.sampled_from([None, *range(-x.ndim, x.ndim)])) if var else -1
        if axis is None:
            shape, n = (_side(draw, 1, 6),), x.size
        else:
            shape = [draw(st.sampled_from([1, s])) for s in x.shape]  # indices broadcast
            shape[axis] = _side(draw)
            n = x.shape[axis]
        indices = draw(hnp.arrays(np.intp, tuple(shape), elements=st.integers(-n, n - 1)))
        return (x, indices, axis) if var else (x, indices)

    return make


@drawn
def sort_args(draw, array):
    x = _distinct(draw, array, draw(shapes()))
    return x, draw(st.sampled_from([None, *range(-x.ndim, x.ndim)]))


# ---------------------------------------------------------------------------------------------
# The functions under test: `<name>_s` is `np.sum(op(...))`, `<name>_w` is `np.sum(w * op(...))`.


def ravel_s(x):
    return np.sum(np.ravel(x))


def ravel_w(x, w):
    return np.sum(w * np.ravel(x))


def ravel_f_s(x):
    return np.sum(np.ravel(x, order="F"))


def ravel_f_w(x, w):
    return np.sum(w * np.ravel(x, order="F"))


def ravel_var_s(x, order):
    return np.sum(np.ravel(x, order))


def ravel_var_w(x, order, w):
    return np.sum(w * np.ravel(x, order))


def ravel_method_s(x):
    return np.sum(x.ravel())


def ravel_method_w(x, w):
    return np.sum(w * x.ravel())


def flatten_method_s(x):
    return np.sum(x.flatten())


def flatten_method_w(x, w):
    return np.sum(w * x.flatten())


def flatten_method_f_s(x):
    return np.sum(x.flatten("F"))


def flatten_method_f_w(x, w):
    return np.sum(w * x.flatten("F"))


def ravel_transposed_k_s(x):
    return np.sum(np.ravel(x.T, order="K"))


def ravel_transposed_k_w(x, w):
    return np.sum(w * np.ravel(x.T, order="K"))


def swapaxes_s(x):
    return np.sum(np.swapaxes(x, 0, -1))


def swapaxes_w(x, w):
    return np.sum(w * np.swapaxes(x, 0, -1))


def swapaxes_var_s(x, a, b):
    return np.sum(np.swapaxes(x, a, b))


def swapaxes_var_w(x, a, b, w):
    return np.sum(w * np.swapaxes(x, a, b))


def swapaxes_method_s(x):
    return np.sum(x.swapaxes(1, 0))


def swapaxes_method_w(x, w):
    return np.sum(w * x.swapaxes(1, 0))


def moveaxis_s(x):
    return np.sum(np.moveaxis(x, 0, -1))


def moveaxis_w(x, w):
    return np.sum(w * np.moveaxis(x, 0, -1))


def moveaxis_seq_s(x):
    return np.sum(np.moveaxis(x, (0, 1), (-1, 0)))


def moveaxis_seq_w(x, w):
    return np.sum(w * np.moveaxis(x, (0, 1), (-1, 0)))


def items_of_s(x):
    return np.sum(items_of(x))


def items_of_w(x, w):
    return np.sum(w * items_of(x))


def linspace_s(x, y):
    return np.sum(np.linspace(x, y, 4))


def linspace_w(x, y, w):
    return np.sum(w * np.linspace(x, y, 4))


def linspace_last_s(x, y):
    return np.sum(np.linspace(x, y, 3, endpoint=False, axis=-1))


def linspace_last_w(x, y, w):
    return np.sum(w * np.linspace(x, y, 3, endpoint=False, axis=-1))


def expand_dims_s(x):
    return np.sum(np.expand_dims(x, -1))


def expand_dims_w(x, w):
    return np.sum(w * np.expand_dims(x, -1))


def expand_dims_tuple_s(x):
    return np.sum(np.expand_dims(x, (0, 2)))


def expand_dims_tuple_w(x, w):
    return np.sum(w * np.expand_dims(x, (0, 2)))


def squeeze_s(x):
    return np.sum(np.squeeze(x))


def squeeze_w(x, w):
    return np.sum(w * np.squeeze(x))


def squeeze_axis_s(x):
    return np.sum(np.squeeze(x, axis=1))


def squeeze_axis_w(x, w):
    return np.sum(w * np.squeeze(x, axis=1))


def squeeze_method_s(x):
    return np.sum(x.squeeze())


def squeeze_method_w(x, w):
    return np.sum(w * x.squeeze())


def broadcast_to_s(x):
    return np.sum(np.broadcast_to(x, (2, 3, 4)))


def broadcast_to_w(x, w):
    return np.sum(w * np.broadcast_to(x, (2, 3, 4)))


def broadcast_to_var_s(x, shape):
    return np.sum(np.broadcast_to(x, shape))


def broadcast_to_var_w(x, shape, w):
    return np.sum(w * np.broadcast_to(x, shape))


def atleast_1d_s(x):
    return np.sum(np.atleast_1d(x))


def atleast_1d_w(x, w):
    return np.sum(w * np.atleast_1d(x))


def atleast_2d_s(x):
    return np.sum(np.atleast_2d(x))


def atleast_2d_w(x, w):
    return np.sum(w * np.atleast_2d(x))


def atleast_3d_s(x):
    return np.sum(np.atleast_3d(x))


def atleast_3d_w(x, w):
    return np.sum(w * np.atleast_3d(x))


def concatenate_s(x, y):
    return np.sum(np.concatenate([x, y]))


def concatenate_w(x, y, w):
    return np.sum(w * np.concatenate([x, y]))


def concatenate_axis_s(x, y):
    return np.sum(np.concatenate((x, y, x), axis=-1))


def concatenate_axis_w(x, y, w):
    return np.sum(w * np.concatenate((x, y, x), axis=-1))


def concatenate_none_s(x, y):
    return np.sum(np.concatenate([x, y], axis=None))


def concatenate_none_w(x, y, w):
    return np.sum(w * np.concatenate([x, y], axis=None))


def concatenate_var_s(x, y, axis):
    return np.sum(np.concatenate([x, y], axis))


def concatenate_var_w(x, y, axis, w):
    return np.sum(w * np.concatenate([x, y], axis))


def concatenate_array_s(x):
    return np.sum(np.concatenate(x, axis=-1))


def concatenate_array_w(x, w):
    return np.sum(w * np.concatenate(x, axis=-1))


def concatenate_const_s(x):
    return np.sum(np.concatenate([x, 2.0 * np.ones_like(x)]))


def concatenate_const_w(x, w):
    return np.sum(w * np.concatenate([x, 2.0 * np.ones_like(x)]))


def stack_s(x, y):
    return np.sum(np.stack([x, y]))


def stack_w(x, y, w):
    return np.sum(w * np.stack([x, y]))


def stack_axis_s(x, y):
    return np.sum(np.stack((x, y, x), axis=-1))


def stack_axis_w(x, y, w):
    return np.sum(w * np.stack((x, y, x), axis=-1))


def stack_var_s(x, y, axis):
    return np.sum(np.stack([x, y], axis))


def stack_var_w(x, y, axis, w):
    return np.sum(w * np.stack([x, y], axis))


def hstack_s(x, y):
    return np.sum(np.hstack([x, y]))


def hstack_w(x, y, w):
    return np.sum(w * np.hstack([x, y]))


def vstack_s(x, y):
    return np.sum(np.vstack([x, y]))


def vstack_w(x, y, w):
    return np.sum(w * np.vstack([x, y]))


def flip_s(x):
    return np.sum(np.flip(x))


def flip_w(x, w):
    return np.sum(w * np.flip(x))


def flip_axis_s(x):
    return np.sum(np.flip(x, axis=-1))


def flip_axis_w(x, w):
    return np.sum(w * np.flip(x, axis=-1))


def flip_tuple_s(x):
    return np.sum(np.flip(x, (0, -1)))


def flip_tuple_w(x, w):
    return np.sum(w * np.flip(x, (0, -1)))


def flip_var_s(x, axis):
    return np.sum(np.flip(x, axis))


def flip_var_w(x, axis, w):
    return np.sum(w * np.flip(x, axis))


def rot90_s(x):
    return np.sum(np.rot90(x))


def rot90_w(x, w):
    return np.sum(w * np.rot90(x))


def rot90_k_s(x):
    return np.sum(np.rot90(x, 3, axes=(1, -1)))


def rot90_k_w(x, w):
    return np.sum(w * np.rot90(x, 3, axes=(1, -1)))


def fliplr_s(x):
    return np.sum(np.fliplr(x))


def fliplr_w(x, w):
    return np.sum(w * np.fliplr(x))


def flipud_s(x):
    return np.sum(np.flipud(x))


def flipud_w(x, w):
    return np.sum(w * np.flipud(x))


def roll_s(x):
    return np.sum(np.roll(x, 2))


def roll_w(x, w):
    return np.sum(w * np.roll(x, 2))


def roll_axis_s(x):
    return np.sum(np.roll(x, -1, axis=0))


def roll_axis_w(x, w):
    return np.sum(w * np.roll(x, -1, axis=0))


def roll_tuple_s(x):
    return np.sum(np.roll(x, (1, -2), axis=(0, -1)))


def roll_tuple_w(x, w):
    return np.sum(w * np.roll(x, (1, -2), axis=(0, -1)))


def roll_var_s(x, shift, axis):
    return np.sum(np.roll(x, shift, axis))


def roll_var_w(x, shift, axis, w):
    return np.sum(w * np.roll(x, shift, axis))


def repeat_s(x):
    return np.sum(np.repeat(x, 2))


def repeat_w(x, w):
    return np.sum(w * np.repeat(x, 2))


def repeat_axis_s(x):
    return np.sum(np.repeat(x, [1, 0, 3], axis=-1))


def repeat_axis_w(x, w):
    return np.sum(w * np.repeat(x, [1, 0, 3], axis=-1))


def repeat_var_s(x, repeats, axis):
    return np.sum(np.repeat(x, repeats, axis))


def repeat_var_w(x, repeats, axis, w):
    return np.sum(w * np.repeat(x, repeats, axis))


def repeat_method_s(x):
    return np.sum(x.repeat(3, axis=0))


def repeat_method_w(x, w):
    return np.sum(w * x.repeat(3, axis=0))


def tile_s(x):
    return np.sum(np.tile(x, 2))


def tile_w(x, w):
    return np.sum(w * np.tile(x, 2))


def tile_tuple_s(x):
    return np.sum(np.tile(x, (2, 1, 3)))


def tile_tuple_w(x, w):
    return np.sum(w * np.tile(x, (2, 1, 3)))


def tile_var_s(x, reps):
    return np.sum(np.tile(x, reps))


def tile_var_w(x, reps, w):
    return np.sum(w * np.tile(x, reps))


def pad_s(x):
    return np.sum(np.pad(x, 1))


def pad_w(x, w):
    return np.sum(w * np.pad(x, 1))


def pad_pairs_s(x):
    return np.sum(np.pad(x, ((1, 0), (0, 2)), constant_values=0.5))


def pad_pairs_w(x, w):
    return np.sum(w * np.pad(x, ((1, 0), (0, 2)), constant_values=0.5))


def pad_const_s(x, c):
    return np.sum(np.pad(x, 2, constant_values=c))


def pad_const_w(x, c, w):
    return np.sum(w * np.pad(x, 2, constant_values=c))


def pad_edge_s(x):
    return np.sum(np.pad(x, (2, 1), mode="edge"))


def pad_edge_w(x, w):
    return np.sum(w * np.pad(x, (2, 1), mode="edge"))


def pad_var_s(x, width, mode):
    return np.sum(np.pad(x, width, mode))


def pad_var_w(x, width, mode, w):
    return np.sum(w * np.pad(x, width, mode))


def take_s(x):
    return np.sum(np.take(x, [0, 2, 0, 1]))


def take_w(x, w):
    return np.sum(w * np.take(x, [0, 2, 0, 1]))


def take_axis_s(x):
    return np.sum(np.take(x, [[1, 1], [0, -1]], axis=-1))


def take_axis_w(x, w):
    return np.sum(w * np.take(x, [[1, 1], [0, -1]], axis=-1))


def take_var_s(x, indices, axis):
    return np.sum(np.take(x, indices, axis))


def take_var_w(x, indices, axis, w):
    return np.sum(w * np.take(x, indices, axis))


def take_mode_s(x):
    return np.sum(np.take(x, [5, -7, 1], axis=0, mode="wrap"))


def take_mode_w(x, w):
    return np.sum(w * np.take(x, [5, -7, 1], axis=0, mode="wrap"))


def take_clip_s(x):
    return np.sum(np.take(x, [5, -7, 1], mode="clip"))


def take_clip_w(x, w):
    return np.sum(w * np.take(x, [5, -7, 1], mode="clip"))


def take_method_s(x):
    return np.sum(x.take([2, 2, 0], axis=0))


def take_method_w(x, w):
    return np.sum(w * x.take([2, 2, 0], axis=0))


def take_along_axis_s(x, indices):
    return np.sum(np.take_along_axis(x, indices, axis=-1))


def take_along_axis_w(x, indices, w):
    return np.sum(w * np.take_along_axis(x, indices, axis=-1))


def take_along_axis_var_s(x, indices, axis):
    return np.sum(np.take_along_axis(x, indices, axis))


def take_along_axis_var_w(x, indices, axis, w):
    return np.sum(w * np.take_along_axis(x, indices, axis))


def triu_s(x):
    return np.sum(np.triu(x))


def triu_w(x, w):
    return np.sum(w * np.triu(x))


def triu_k_s(x):
    return np.sum(np.triu(x, 1))


def triu_k_w(x, w):
    return np.sum(w * np.triu(x, 1))


def tril_s(x):
    return np.sum(np.tril(x))


def tril_w(x, w):
    return np.sum(w * np.tril(x))


def tril_k_s(x):
    return np.sum(np.tril(x, k=-1))


def tril_k_w(x, w):
    return np.sum(w * np.tril(x, k=-1))


def sort_s(x):
    return np.sum(np.sort(x))


def sort_w(x, w):
    return np.sum(w * np.sort(x))


def sort_axis_s(x):
    return np.sum(np.sort(x, axis=0))


def sort_axis_w(x, w):
    return np.sum(w * np.sort(x, axis=0))


def sort_none_s(x):
    return np.sum(np.sort(x, axis=None))


def sort_none_w(x, w):
    return np.sum(w * np.sort(x, axis=None))


def sort_var_s(x, axis):
    return np.sum(np.sort(x, axis))


def sort_var_w(x, axis, w):
    return np.sum(w * np.sort(x, axis))


def pad_maximum(x):
    return np.sum(np.pad(x, 1, mode="maximum"))


def pad_odd(x):
    return np.sum(np.pad(x, 1, mode="reflect", reflect_type="odd"))


# ---------------------------------------------------------------------------------------------
# The table.

XY = ("x", "y")

# fmt: off
SPECS = [
    # reshapes
    row("ravel", "ravel", "ravel", np.ravel),
    row("ravel-order=F", "ravel", "ravel_f", lambda x: np.ravel(x, order="F")),
    row("ravel-order-drawn", "ravel", "ravel_var", np.ravel, args=ravel_args),
    row("x.ravel()", "ravel", "ravel_method", np.ravel),
    row("x.flatten()", "ravel", "flatten_method", np.ravel),
    row("x.flatten(F)", "ravel", "flatten_method_f", lambda x: x.flatten("F")),
    row("ravel(x.T,order=K)", "ravel", "ravel_transposed_k", lambda x: np.ravel(x.T, order="K")),
    row("items_of", "items_of", "items_of", lambda x: x),  # `for x in seq` (docs/how-it-works.md)
    row("linspace", "linspace", "linspace", lambda x, y: np.linspace(x, y, 4), XY, broadcasting(REAL, REAL)),
    row("linspace-axis=-1", "linspace", "linspace_last",
        lambda x, y: np.linspace(x, y, 3, endpoint=False, axis=-1), XY, broadcasting(REAL, REAL)),
    row("expand_dims-1", "expand_dims", "expand_dims", lambda x: np.expand_dims(x, -1)),
    row("expand_dims(0,2)", "expand_dims", "expand_dims_tuple", lambda x: np.expand_dims(x, (0, 2)),
        args=x_of(1)),
    row("squeeze", "squeeze", "squeeze", np.squeeze, args=squeezable),
    row("squeeze-axis=1", "squeeze", "squeeze_axis", lambda x: np.squeeze(x, axis=1), args=squeezable_axis1),
    row("x.squeeze()", "squeeze", "squeeze_method", np.squeeze, args=squeezable),
    row("atleast_1d", "atleast_nd", "atleast_1d", np.atleast_1d),
    row("atleast_2d", "atleast_nd", "atleast_2d", np.atleast_2d),
    row("atleast_3d", "atleast_nd", "atleast_3d", np.atleast_3d),
    # axes and broadcasting
    row("swapaxes(0,-1)", "swapaxes", "swapaxes", lambda x: np.swapaxes(x, 0, -1), args=x_of(1)),
    row("swapaxes-drawn", "swapaxes", "swapaxes_var", np.swapaxes, args=swapaxes_args),
    row("x.swapaxes(1,0)", "swapaxes", "swapaxes_method", lambda x: x.swapaxes(1, 0), args=x_of(2)),
    row("moveaxis(0,-1)", "moveaxis", "moveaxis", lambda x: np.moveaxis(x, 0, -1), args=x_of(1)),
    row("moveaxis((0,1),(-1,0))", "moveaxis", "moveaxis_seq",
        lambda x: np.moveaxis(x, (0, 1), (-1, 0)), args=x_of(2)),
    row("broadcast_to(2,3,4)", "broadcast_to", "broadcast_to",
        lambda x: np.broadcast_to(x, (2, 3, 4)), args=into_2_3_4),
    row("broadcast_to-drawn", "broadcast_to", "broadcast_to_var", np.broadcast_to, args=broadcast_args),
    # joins of list arguments (every element differentiated, or a constant one skipped)
    row("concatenate", "concatenate", "concatenate", lambda x, y: np.concatenate([x, y]), XY, join_args(0)),
    row("concatenate(x,y,x)-axis=-1", "concatenate", "concatenate_axis",
        lambda x, y: np.concatenate((x, y, x), axis=-1), XY, join_args(-1)),
    row("concatenate-axis=None", "concatenate", "concatenate_none",
        lambda x, y: np.concatenate([x, y], axis=None), XY, join_args(None, lo=0)),
    row("concatenate-axis-drawn", "concatenate", "concatenate_var",
        lambda x, y, axis: np.concatenate([x, y], axis), XY, join_args(0, var=True)),
    row("concatenate(array)", "concatenate", "concatenate_array",
        lambda x: np.concatenate(x, axis=-1), args=x_of(2)),
    row("concatenate-constant", "concatenate", "concatenate_const",
        lambda x: np.concatenate([x, 2.0 * np.ones_like(x)]), args=x_of(1, 1)),
    row("stack", "stack", "stack", lambda x, y: np.stack([x, y]), XY, join_args(0, same=True, lo=0)),
    row("stack(x,y,x)-axis=-1", "stack", "stack_axis",
        lambda x, y: np.stack((x, y, x), axis=-1), XY, join_args(-1, same=True, lo=0)),
    row("stack-axis-drawn", "stack", "stack_var",
        lambda x, y, axis: np.stack([x, y], axis), XY, join_args(0, same=True, var=True, lo=0)),
    row("hstack", "hstack", "hstack", lambda x, y: np.hstack([x, y]), XY, hstack_args),
    row("vstack", "vstack", "vstack", lambda x, y: np.vstack([x, y]), XY, vstack_args),
    # flips, rolls, triangles
    row("flip", "flip", "flip", np.flip),
    row("flip-axis=-1", "flip", "flip_axis", lambda x: np.flip(x, axis=-1), args=x_of(1)),
    row("flip(0,-1)", "flip", "flip_tuple", lambda x: np.flip(x, (0, -1)), args=x_of(2)),
    row("flip-axis-drawn", "flip", "flip_var", np.flip, args=flip_args),
    row("fliplr", "fliplr", "fliplr", np.fliplr, args=x_of(2)),
    row("flipud", "flipud", "flipud", np.flipud, args=x_of(1)),
    row("rot90", "rot90", "rot90", np.rot90, args=x_of(2)),
    row("rot90-k=3-axes=(1,-1)", "rot90", "rot90_k", lambda x: np.rot90(x, 3, axes=(1, -1)), args=x_of(3)),
    row("roll", "roll", "roll", lambda x: np.roll(x, 2)),
    row("roll-axis=0", "roll", "roll_axis", lambda x: np.roll(x, -1, axis=0), args=x_of(1)),
    row("roll((1,-2),(0,-1))", "roll", "roll_tuple", lambda x: np.roll(x, (1, -2), axis=(0, -1)),
        args=x_of(2)),
    row("roll-drawn", "roll", "roll_var", np.roll, args=roll_args),
    row("triu", "triu", "triu", np.triu, args=x_of(1)),
    row("triu-k=1", "triu", "triu_k", lambda x: np.triu(x, 1), args=x_of(1)),
    row("tril", "tril", "tril", np.tril, args=x_of(1)),
    row("tril-k=-1", "tril", "tril_k", lambda x: np.tril(x, k=-1), args=x_of(1)),
    # repeat, tile, pad
    row("repeat", "repeat", "repeat", lambda x: np.repeat(x, 2)),
    row("repeat([1,0,3],axis=-1)", "repeat", "repeat_axis",
        lambda x: np.repeat(x, [1, 0, 3], axis=-1), args=last_side_3),
    row("repeat-drawn", "repeat", "repeat_var", np.repeat, args=repeat_args),
    row("x.repeat(3,axis=0)", "repeat", "repeat_method", lambda x: x.repeat(3, axis=0), args=x_of(1)),
    row("tile", "tile", "tile", lambda x: np.tile(x, 2)),
    row("tile(2,1,3)", "tile", "tile_tuple", lambda x: np.tile(x, (2, 1, 3))),
    row("tile-drawn", "tile", "tile_var", np.tile, args=tile_args),
    row("pad", "pad", "pad", lambda x: np.pad(x, 1)),
    row("pad-pairs", "pad", "pad_pairs",
        lambda x: np.pad(x, ((1, 0), (0, 2)), constant_values=0.5), args=x_of(2, 2)),
    row("pad-constant_values", "pad", "pad_const",
        lambda x, c: np.pad(x, 2, constant_values=c), ("x", "c"), pad_const_args),
    row("pad-edge", "pad", "pad_edge", lambda x: np.pad(x, (2, 1), mode="edge")),
    row("pad-mode-drawn", "pad", "pad_var", np.pad, args=pad_args),
    # takes (repeated indices accumulate) and sort (distinct values: ties are kinks)
    row("take", "take", "take", lambda x: np.take(x, [0, 2, 0, 1]), args=x_of(1, min_side=3)),
    row("take-axis=-1", "take", "take_axis",
        lambda x: np.take(x, [[1, 1], [0, -1]], axis=-1), args=x_of(1, min_side=2)),
    row("take-drawn", "take", "take_var", np.take, args=take_args),
    row("take-mode=wrap", "take", "take_mode",
        lambda x: np.take(x, [5, -7, 1], axis=0, mode="wrap"), args=x_of(1)),
    row("take-mode=clip", "take", "take_clip", lambda x: np.take(x, [5, -7, 1], mode="clip"), args=x_of(1)),
    row("x.take([2,2,0],axis=0)", "take", "take_method",
        lambda x: x.take([2, 2, 0], axis=0), args=x_of(1, min_side=3)),
    row("take_along_axis", "take_along_axis", "take_along_axis",
        lambda x, indices: np.take_along_axis(x, indices, axis=-1), args=take_along_args()),
    row("take_along_axis-drawn", "take_along_axis", "take_along_axis_var", np.take_along_axis,
        args=take_along_args(var=True)),
    row("sort", "sort", "sort", np.sort, args=x_of(1, distinct=True)),
    row("sort-axis=0", "sort", "sort_axis", lambda x: np.sort(x, axis=0), args=x_of(1, distinct=True)),
    row("sort-axis=None", "sort", "sort_none", lambda x: np.sort(x, axis=None), args=x_of(distinct=True)),
    row("sort-axis-drawn", "sort", "sort_var", np.sort, args=sort_args),
]
# fmt: on


# ---------------------------------------------------------------------------------------------
# Conventions, exactly.


def test_take_adds_up_repeated_indices():
    x = np.arange(4.0)
    np.testing.assert_array_equal(srcgrad.grad(take_s)(x)[1], [2, 1, 1, 0])
    w = np.array([[1.0, 2.0], [3.0, 4.0]])
    dx = srcgrad.grad(take_axis_w)(np.zeros((1, 3)), w)[1]
    np.testing.assert_array_equal(dx, [[3, 3, 4]])


def test_sort_ties_follow_a_stable_order():
    x = np.array([1.0, 1.0, 0.0])
    w = np.array([10.0, 20.0, 30.0])  # the sorted [0, 1, 1] is weighted by w
    np.testing.assert_array_equal(srcgrad.grad(sort_w)(x, w)[1], [20, 30, 10])


def test_pad_modes_without_a_gradient_say_so():
    with pytest.raises(NotImplementedError, match="mode='maximum'"):
        srcgrad.grad(pad_maximum)(np.ones(3))
    with pytest.raises(NotImplementedError, match="reflect_type='odd'"):
        srcgrad.grad(pad_odd)(np.ones(3))


def test_a_constant_element_of_a_join_gets_no_gradient():
    value, dx = srcgrad.grad(concatenate_const_w)(np.ones(2), np.arange(4.0))
    np.testing.assert_array_equal(dx, [0, 1])


def ravel_strided_k(x):
    return np.sum(np.ravel(x[:, ::2], order="K") * np.arange(2.0))


def test_ravel_order_k_needs_a_contiguous_array():
    with pytest.raises(NotImplementedError, match="order='K'"):
        srcgrad.grad(ravel_strided_k)(np.ones((1, 4)))


# ---------------------------------------------------------------------------------------------
# Splitting and filling.


def split_s(x):
    a, b = np.split(x, 2)
    return np.sum(np.concatenate([a * 2.0, b]))


def split_w(x, w):
    a, b = np.split(x, 2)
    return np.sum(w * np.concatenate([a * 2.0, b]))


def array_split_s(x):
    a, b, c = np.array_split(x, 3, axis=-1)
    return np.sum(np.concatenate([np.sin(a), c], axis=-1))


def array_split_w(x, w):
    a, b, c = np.array_split(x, 3, axis=-1)
    return np.sum(w * np.concatenate([np.sin(a), c], axis=-1))


def full_s(v):
    return np.sum(np.full((2, 3), v))


def full_w(v, w):
    return np.sum(w * np.full((2, 3), v))


def _even_rows(dtype):
    return st.tuples(arrays(st.tuples(st.sampled_from([2, 4]), st.integers(1, 3)), dtype))


def _wide(dtype):
    return st.tuples(arrays(st.tuples(st.integers(1, 3), st.integers(3, 5)), dtype))


def _split_op(x):
    a, b = np.split(x, 2)
    return np.concatenate([a * 2.0, b])


def _array_split_op(x):
    a, b, c = np.array_split(x, 3, axis=-1)
    return np.concatenate([np.sin(a), c], axis=-1)


SPECS += [
    row("a, b = np.split(x, 2)", "split", "split", _split_op, args=_even_rows),
    row("np.array_split(x, 3, axis=-1)", "split", "array_split", _array_split_op, args=_wide),
    row(
        "np.full((2, 3), v)",
        "full",
        "full",
        lambda v: np.full((2, 3), v),
        wrt=("v",),
        args=unary(pyfloat=True),
    ),
]


def full_like_s(v, x):
    return np.sum(np.full_like(x, v))


def full_like_w(v, x, w):
    return np.sum(w * np.full_like(x, v))


SPECS += [
    row(
        "np.full_like(x, v)",
        "full_like",
        "full_like",
        lambda v, x: np.full_like(x, v),
        wrt=("v",),
        args=lambda dtype: st.tuples(scalars(-2.0, 2.0), arrays(st.tuples(st.integers(1, 3)), dtype)),
    ),
]

# ---------------------------------------------------------------------------------------------
# Partitions, rollaxis, select, append, column_stack, row_stack, and the named splits.


def partition_s(x):
    return np.sum(np.partition(x, 1))


def partition_w(x, w):
    return np.sum(w * np.partition(x, 1))


def partition_axis_s(x):
    return np.sum(np.partition(x, (0, -1), axis=0))


def partition_axis_w(x, w):
    return np.sum(w * np.partition(x, (0, -1), axis=0))


def partition_none_s(x):
    return np.sum(np.partition(x, 0, axis=None))


def partition_none_w(x, w):
    return np.sum(w * np.partition(x, 0, axis=None))


def rollaxis_s(x):
    return np.sum(np.rollaxis(x, -1))


def rollaxis_w(x, w):
    return np.sum(w * np.rollaxis(x, -1))


def rollaxis_var_s(x, axis, start):
    return np.sum(np.rollaxis(x, axis, start))


def rollaxis_var_w(x, axis, start, w):
    return np.sum(w * np.rollaxis(x, axis, start))


def select_s(x, y):
    return np.sum(np.select([x > 0.5, x < -0.5, x > 0.0], [x, y, x * y], 0.25))


def select_w(x, y, w):
    return np.sum(w * np.select([x > 0.5, x < -0.5, x > 0.0], [x, y, x * y], 0.25))


def select_default_s(x, d):
    return np.sum(np.select([x > 0.5], [x], default=d))


def select_default_w(x, d, w):
    return np.sum(w * np.select([x > 0.5], [x], default=d))


def append_s(x, y):
    return np.sum(np.append(x, y))


def append_w(x, y, w):
    return np.sum(w * np.append(x, y))


def append_axis_s(x, y, axis):
    return np.sum(np.append(x, y, axis=axis))


def append_axis_w(x, y, axis, w):
    return np.sum(w * np.append(x, y, axis=axis))


def column_stack_s(x, y):
    return np.sum(np.column_stack((x, y)))


def column_stack_w(x, y, w):
    return np.sum(w * np.column_stack((x, y)))


def dstack_s(x, y):
    return np.sum(np.dstack((x, y)))


def dstack_w(x, y, w):
    return np.sum(w * np.dstack((x, y)))


def row_stack_s(x, y):
    return np.sum(np.row_stack([x, y]))


def row_stack_w(x, y, w):
    return np.sum(w * np.row_stack([x, y]))


def hsplit_s(x):
    a, b = np.hsplit(x, 2)
    return np.sum(np.concatenate([a * 2.0, np.sin(b)], axis=-1))


def hsplit_w(x, w):
    a, b = np.hsplit(x, 2)
    return np.sum(w * np.concatenate([a * 2.0, np.sin(b)], axis=-1))


def vsplit_s(x):
    a, b, c = np.vsplit(x, [1, 2])
    return np.sum(np.concatenate([np.sin(a), c * 3.0]))


def vsplit_w(x, w):
    a, b, c = np.vsplit(x, [1, 2])
    return np.sum(w * np.concatenate([np.sin(a), c * 3.0]))


def dsplit_s(x):
    a, b = np.dsplit(x, 2)
    return np.sum(a * b)


def dsplit_w(x, w):
    a, b = np.dsplit(x, 2)
    return np.sum(w * (a * b))


def _hsplit_op(x):
    a, b = np.hsplit(x, 2)
    return np.concatenate([a * 2.0, np.sin(b)], axis=-1)


def _vsplit_op(x):
    a, b, c = np.vsplit(x, [1, 2])
    return np.concatenate([np.sin(a), c * 3.0])


def _dsplit_op(x):
    a, b = np.dsplit(x, 2)
    return a * b


@drawn
def rollaxis_args(draw, array):
    x = array(draw(shapes(1, 3)))
    return x, _axis(draw, x.ndim), draw(st.integers(-x.ndim, x.ndim))


@drawn
def partition_args(draw, array):
    return (_distinct(draw, array, draw(shapes(1, 3, min_side=2))),)


def select_args(dtype):
    """x and y of one shape, every x 0.05 away from the conditions' bounds -0.5, 0 and 0.5."""

    @st.composite
    def draw(draw):
        shape = draw(shapes(0, 3))
        x = draw(_array(shape, dtype, Domain(avoid=(-0.5, 0.0, 0.5), margin=0.05)))
        return x, draw(_array(shape, dtype, REAL))

    return draw()


def select_default_args(dtype):
    """x away from 0.5, and a default that broadcasts to x's shape (Dask's select broadcasts no
    further)."""

    @st.composite
    def draw(draw):
        xs = draw(shapes(0, 3))
        ds = xs[draw(st.integers(0, len(xs))) :]
        return draw(_array(xs, dtype, Domain(avoid=(0.5,)))), draw(_array(ds, dtype, REAL))

    return draw()


@drawn
def append_axis_args(draw, array):
    ndim = draw(st.integers(1, 3))
    base = list(draw(shapes(ndim, ndim)))
    axis = _axis(draw, ndim)
    other = list(base)
    other[axis] = _side(draw)
    return array(tuple(base)), array(tuple(other)), axis


@drawn
def dstack_args(draw, array):
    kind = draw(st.sampled_from(["1d", "2d", "3d"]))
    if kind == "1d":
        n = _side(draw)
        return array((n,)), array((n,))
    if kind == "2d":
        n, m = _side(draw), _side(draw)
        return array((n, m)), array((n, m, _side(draw)))
    n, m = _side(draw), _side(draw)
    return array((n, m, _side(draw))), array((n, m, _side(draw)))


@drawn
def column_stack_args(draw, array):
    n = _side(draw)
    kind = draw(st.sampled_from(["1d", "1d-2d", "nd"]))
    if kind == "1d":
        return array((n,)), array((n,))
    if kind == "1d-2d":
        return array((n,)), array((n, _side(draw)))
    rest = draw(shapes(0, 1))
    return array((n, _side(draw), *rest)), array((n, _side(draw), *rest))


def _split_axis(axis, lo, hi=3, even=True):
    """x of `lo..hi` axes whose `axis` is 2 or 4 long (even) or at least 3 long."""

    @drawn
    def make(draw, array):
        shape = list(draw(shapes(lo, hi)))
        shape[axis] = draw(st.sampled_from([2, 4])) if even else _side(draw, 3, 5)
        return (array(tuple(shape)),)

    return make


PARTITIONS = [
    row("partition", "partition", "partition", lambda x: np.partition(x, 1), args=partition_args),
    row(
        "partition-axis=0",
        "partition",
        "partition_axis",
        lambda x: np.partition(x, (0, -1), axis=0),
        args=partition_args,
    ),
    row(
        "partition-axis=None",
        "partition",
        "partition_none",
        lambda x: np.partition(x, 0, axis=None),
        args=partition_args,
    ),
    row("rollaxis", "rollaxis", "rollaxis", lambda x: np.rollaxis(x, -1), args=x_of(1)),
    row("rollaxis-drawn", "rollaxis", "rollaxis_var", np.rollaxis, args=rollaxis_args),
    row(
        "select",
        "select",
        "select",
        lambda x, y: np.select([x > 0.5, x < -0.5, x > 0.0], [x, y, x * y], 0.25),
        XY,
        select_args,
    ),
    row(
        "select-default",
        "select",
        "select_default",
        lambda x, d: np.select([x > 0.5], [x], default=d),
        ("x", "d"),
        select_default_args,
    ),
    row("append", "append", "append", np.append, XY, join_args(None, lo=0)),
    row("append-axis-drawn", "append", "append_axis", np.append, XY, append_axis_args),
    row(
        "column_stack",
        "column_stack",
        "column_stack",
        lambda x, y: np.column_stack((x, y)),
        XY,
        column_stack_args,
    ),
    row("dstack", "dstack", "dstack", lambda x, y: np.dstack((x, y)), XY, dstack_args),
    row("hsplit", "hsplit", "hsplit", _hsplit_op, args=_split_axis(0, 1, hi=1)),
    row("hsplit-2d", "hsplit", "hsplit", _hsplit_op, args=_split_axis(1, 2)),
    row("vsplit", "vsplit", "vsplit", _vsplit_op, args=_split_axis(0, 2, even=False)),
    row("dsplit", "dsplit", "dsplit", _dsplit_op, args=_split_axis(2, 3)),
]
if hasattr(np, "row_stack"):  # deprecated in NumPy 2.0
    PARTITIONS.append(
        row("row_stack", "vstack", "row_stack", lambda x, y: np.vstack([x, y]), XY, vstack_args)
    )
SPECS += PARTITIONS


def test_partition_sends_each_gradient_where_its_element_came_from():
    x = np.array([3.0, -1.0, 2.0, 2.0, 0.5])
    w = np.arange(1.0, 6.0)
    order = np.argpartition(x, 1)
    expected = np.zeros(5)
    expected[order] = w  # ties (the two 2.0): as np.argpartition orders them
    np.testing.assert_array_equal(np.partition(x, 1), x[order])
    check_both_modes(partition_w, (x, w), ("x",), [expected])


def test_select_takes_the_first_condition_that_holds():
    x = np.array([0.75, -0.75, 0.25, -0.25, 0.5])
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    # x > 0.5 picks x; else x < -0.5 picks y; else x > 0 picks x * y; else 0.25 (no gradient)
    check_both_modes(select_s, (x, y), XY, [[1.0, 0.0, 3.0, 0.0, 5.0], [0.0, 1.0, 0.25, 0.0, 0.5]])
    check_both_modes(select_default_s, (x, 2.0), ("x", "d"), [[1.0, 0.0, 0.0, 0.0, 0.0], 4.0])


def program_shapes(x, y):
    top, bottom = np.vsplit(np.column_stack([x, y, x * y]), [2])
    left, right = np.hsplit(np.rollaxis(np.partition(top, 1, axis=0), 1), [1])
    picked = np.select([left > 0.0], [left * 2.0], np.sin(left))
    joined = np.append(picked, right * bottom[0, 1])
    front, back = np.dsplit(np.reshape(np.vstack([joined, joined**2]), (2, 3, 2)), 2)
    return np.sum(front * back)


def test_program_shapes():
    check_program(program_shapes, (np.array([0.3, -1.2, 0.8]), np.array([1.1, 0.4, -0.7])), XY)


define_tests(SPECS, globals())
