"""Shape and indexing: reshapes, transposes, joins, splits, takes.

These operations are linear: each tangent rule, after its adjoint, applies the operation to `t`
(a sort applies the permutation that sorts `x`, a split cuts `t` where it cuts `x`).
"""

# ruff: noqa: F821  (`fill` and the runtime helpers are names in generated code, not here)

import numpy as np

from ..registry import adjoint, nondifferentiable, tangent

# np.row_stack is np.vstack under its old name (deprecated in NumPy 2.0, gone from later ones)
ROW_STACK = (np.row_stack,) if hasattr(np, "row_stack") else ()

# ---------------------------------------------------------------------------------------------
# Shape.


@adjoint("T")
def T(g, x):
    dx = g.T


@tangent("T")
def T_tangent(t, x):
    dx = t.T


@adjoint(np.transpose)
def transpose(g, x, axes=None):
    if axes is None:
        dx = np.transpose(g)
    else:
        dx = untranspose(g, axes)


@tangent(np.transpose)
def transpose_tangent(t, x, axes=None):
    if axes is None:
        dx = np.transpose(t)
    else:
        dx = np.transpose(t, axes)


@adjoint(np.reshape)
def reshape(g, x, shape):
    dx = np.reshape(g, np.shape(x))


@tangent(np.reshape)
def reshape_tangent(t, x, shape):
    dx = np.reshape(t, shape)


@adjoint(np.ravel)
def ravel(g, x, order="C"):
    if order == "C":
        dx = np.reshape(g, np.shape(x))
    else:
        dx = unravel(g, x, order)


@tangent(np.ravel)
def ravel_tangent(t, x, order="C"):
    if order == "C":
        dx = np.ravel(t)
    elif order == "F":
        dx = np.ravel(t, order)
    else:
        dx = ravel_jvp(t, x, order)


@adjoint(np.linspace)
def linspace(g, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    # linear in start and stop: start + w * (stop - start), w from 0 to 1 along `axis`
    w = linspace_weights(g, num, endpoint, axis)
    dstart = unbroadcast(np.sum(g * (1 - w), axis=axis), start)
    dstop = unbroadcast(np.sum(g * w, axis=axis), stop)


@tangent(np.linspace)
def linspace_tangent(t, ans, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    w = linspace_weights(ans, num, endpoint, axis)
    dstart = np.expand_dims(t, axis) * (1 - w)
    dstop = np.expand_dims(t, axis) * w


@adjoint(np.expand_dims)
def expand_dims(g, x, axis):
    dx = np.reshape(g, np.shape(x))


@tangent(np.expand_dims)
def expand_dims_tangent(t, x, axis):
    dx = np.expand_dims(t, axis)


@adjoint(np.squeeze)
def squeeze(g, x, axis=None):
    dx = np.reshape(g, np.shape(x))


@tangent(np.squeeze)
def squeeze_tangent(t, x, axis=None):
    if axis is None:
        dx = np.squeeze(t)
    else:
        dx = np.squeeze(t, axis)


@adjoint(np.atleast_1d, np.atleast_2d, np.atleast_3d)
def atleast_nd(g, x):
    dx = np.reshape(g, np.shape(x))


@tangent(np.atleast_1d, np.atleast_2d, np.atleast_3d)
def atleast_nd_tangent(t, ans, x):
    dx = np.reshape(t, np.shape(ans))


@adjoint(np.rollaxis)
def rollaxis(g, x, axis, start=0):
    dx = np.moveaxis(g, rollaxis_destination(x, axis, start), axis)


@tangent(np.rollaxis)
def rollaxis_tangent(t, x, axis, start=0):
    dx = np.rollaxis(t, axis, start)


@adjoint(np.swapaxes)
def swapaxes(g, x, axis1, axis2):
    dx = np.swapaxes(g, axis1, axis2)


@tangent(np.swapaxes)
def swapaxes_tangent(t, x, axis1, axis2):
    dx = np.swapaxes(t, axis1, axis2)


@adjoint(np.moveaxis)
def moveaxis(g, x, source, destination):
    dx = np.moveaxis(g, destination, source)


@tangent(np.moveaxis)
def moveaxis_tangent(t, x, source, destination):
    dx = np.moveaxis(t, source, destination)


@adjoint(np.broadcast_to)
def broadcast_to(g, x, shape):
    dx = unbroadcast(g, x)


@tangent(np.broadcast_to)
def broadcast_to_tangent(t, x, shape):
    dx = np.broadcast_to(t, shape)


@adjoint(np.flip)
def flip(g, x, axis=None):
    dx = np.flip(g, axis)


@tangent(np.flip)
def flip_tangent(t, x, axis=None):
    if axis is None:
        dx = np.flip(t)
    else:
        dx = np.flip(t, axis)


@adjoint(np.fliplr)
def fliplr(g, x):
    dx = np.fliplr(g)


@tangent(np.fliplr)
def fliplr_tangent(t, x):
    dx = np.fliplr(t)


@adjoint(np.flipud)
def flipud(g, x):
    dx = np.flipud(g)


@tangent(np.flipud)
def flipud_tangent(t, x):
    dx = np.flipud(t)


@adjoint(np.roll)
def roll(g, x, shift, axis=None):
    dx = np.roll(g, np.negative(shift), axis)


@tangent(np.roll)
def roll_tangent(t, x, shift, axis=None):
    if axis is None:
        dx = np.roll(t, shift)
    else:
        dx = np.roll(t, shift, axis)


@adjoint(np.triu)
def triu(g, x, k=0):
    dx = unbroadcast(np.triu(g, k), x)


@tangent(np.triu)
def triu_tangent(t, x, k=0):
    if k == 0:
        dx = np.triu(t)
    else:
        dx = np.triu(t, k)


@adjoint(np.tril)
def tril(g, x, k=0):
    dx = unbroadcast(np.tril(g, k), x)


@tangent(np.tril)
def tril_tangent(t, x, k=0):
    if k == 0:
        dx = np.tril(t)
    else:
        dx = np.tril(t, k)


# ---------------------------------------------------------------------------------------------
# Joins, repeats and padding.


@adjoint(np.concatenate)
def concatenate(g, arrays, axis=0):
    darrays = unconcatenate(g, arrays, axis)


@tangent(np.concatenate)
def concatenate_tangent(t, arrays, axis=0):
    if axis == 0:
        darrays = np.concatenate(t)
    else:
        darrays = np.concatenate(t, axis)


@adjoint(np.stack)
def stack(g, arrays, axis=0):
    if axis == 0:
        darrays = g
    else:
        darrays = np.moveaxis(g, axis, 0)


@tangent(np.stack)
def stack_tangent(t, arrays, axis=0):
    if axis == 0:
        darrays = np.stack(t)
    else:
        darrays = np.stack(t, axis)


@adjoint(np.hstack)
def hstack(g, tup):
    dtup = unhstack(g, tup)


@tangent(np.hstack)
def hstack_tangent(t, tup):
    dtup = np.hstack(t)


@adjoint(np.vstack, *ROW_STACK)
def vstack(g, tup):
    # also np.row_stack, its old name, on the NumPy versions that still have it
    dtup = unvstack(g, tup)


@tangent(np.vstack, *ROW_STACK)
def vstack_tangent(t, tup):
    dtup = np.vstack(t)


@adjoint(np.column_stack)
def column_stack(g, tup):
    dtup = uncolumn_stack(g, tup)


@tangent(np.column_stack)
def column_stack_tangent(t, tup):
    dtup = np.column_stack(t)


@adjoint(np.append)
def append(g, arr, values, axis=None):
    # np.concatenate of the two (flattened first where axis is None)
    parts = unconcatenate(g, (arr, values), axis)
    darr = parts[0]
    dvalues = parts[1]


@tangent(np.append)
def append_tangent(t, arr, values, axis=None):
    darr = np.append(t, np.zeros_like(values), axis)
    dvalues = np.append(np.zeros_like(arr), t, axis)


@adjoint(np.repeat)
def repeat(g, x, repeats, axis=None):
    dx = unrepeat(g, x, repeats, axis)


@tangent(np.repeat)
def repeat_tangent(t, x, repeats, axis=None):
    if axis is None:
        dx = np.repeat(t, repeats)
    else:
        dx = np.repeat(t, repeats, axis)


@adjoint(np.tile)
def tile(g, x, reps):
    dx = untile(g, x, reps)


@tangent(np.tile)
def tile_tangent(t, x, reps):
    dx = np.tile(t, reps)


@adjoint(np.pad)
def pad(g, x, pad_width, mode="constant", constant_values=0, reflect_type="even"):
    # modes constant, edge, wrap, reflect and symmetric (even); other modes raise NotImplementedError
    if mode == "constant":
        dx = unpad(g, pad_width)
    else:
        dx = pad_dx(g, x, pad_width, mode, reflect_type)
    dconstant_values = pad_dconstant(g, pad_width, constant_values, mode)


@tangent(np.pad)
def pad_tangent(t, x, pad_width, mode="constant", constant_values=0, reflect_type="even"):
    # the modes the adjoint takes; the others raise as there
    if mode == "constant":
        dx = np.pad(t, pad_width)
    elif mode in ("edge", "wrap") or (mode in ("reflect", "symmetric") and reflect_type == "even"):
        dx = np.pad(t, pad_width, mode)
    else:
        dx = pad_jvp(t, pad_width, mode, reflect_type)
    dconstant_values = np.pad(np.zeros_like(x), pad_width, constant_values=t)


# ---------------------------------------------------------------------------------------------
# Takes and sorts: the gradient goes back to where each element came from.


@adjoint(np.take)
def take(g, x, indices, axis=None, mode="raise"):
    # an index taken more than once gets the sum of its gradients
    dx = untake(g, x, indices, axis, mode)


@tangent(np.take)
def take_tangent(t, x, indices, axis=None, mode="raise"):
    if axis is None and mode == "raise":
        dx = np.take(t, indices)
    elif mode == "raise":
        dx = np.take(t, indices, axis)
    else:
        dx = np.take(t, indices, axis, mode=mode)


@adjoint(np.take_along_axis)
def take_along_axis(g, x, indices, axis=-1):
    # an index taken more than once gets the sum of its gradients
    dx = untake_along_axis(g, x, indices, axis)


@tangent(np.take_along_axis)
def take_along_axis_tangent(t, x, indices, axis=-1):
    dx = np.take_along_axis(t, indices, axis)


@adjoint(np.sort)
def sort(g, x, axis=-1, kind=None, *, stable=None):
    # ties: equal elements take their gradients in their original order (a stable argsort)
    dx = unsort(g, x, axis)


@tangent(np.sort)
def sort_tangent(t, x, axis=-1, kind=None, *, stable=None):
    # ties: equal elements keep their tangents in their original order (a stable argsort)
    if axis is None:
        dx = np.ravel(t)[np.argsort(x, axis=None, kind="stable")]
    else:
        dx = np.take_along_axis(t, np.argsort(x, axis, kind="stable"), axis)


@adjoint(np.partition)
def partition(g, a, kth, axis=-1, kind="introselect", order=None):
    # ties: the gradients follow np.argpartition's permutation (tied elements have equal values)
    da = untake_along_axis(g, a, np.argpartition(a, kth, axis), axis)


@tangent(np.partition)
def partition_tangent(t, a, kth, axis=-1, kind="introselect", order=None):
    # ties: the tangents follow np.argpartition's permutation, as the gradients do
    da = np.take_along_axis(t, np.argpartition(a, kth, axis), axis)


@adjoint(np.select)
def select(g, condlist, choicelist, default=0):
    # where several conditions hold, all of g goes to the first one's choice (whose value is taken)
    dchoicelist = select_adjoint(g, condlist, choicelist)
    ddefault = unbroadcast(np.where(select_none(condlist), g, 0), default)


@tangent(np.select)
def select_tangent(t, ans, condlist, choicelist, default=0):
    # where several conditions hold, the first one's choice's tangent
    dchoicelist = broadcast_like(np.select(condlist, t), ans)
    ddefault = broadcast_like(np.where(select_none(condlist), t, 0), ans)


# ---------------------------------------------------------------------------------------------
# Splitting (the results are unpacked: `a, b = np.split(x, 2)`), filling, orderings.


@adjoint(np.split, np.array_split)
def split(g, x, indices_or_sections, axis=0):
    # g holds one gradient per part (zeros for the parts nothing differentiable used)
    dx = np.concatenate(g, axis)


@tangent(np.split, np.array_split)
def split_tangent(t, x, indices_or_sections, axis=0):
    # the tangents of the parts: t cut in the same places (array_split cuts where split does)
    if axis == 0:
        dx = np.array_split(t, indices_or_sections)
    else:
        dx = np.array_split(t, indices_or_sections, axis)


@adjoint(np.hsplit)
def hsplit(g, ary, indices_or_sections):
    # cuts along axis 1 (axis 0 for a 1-D array), which np.hstack joins; unpack the parts
    dary = np.hstack(g)


@tangent(np.hsplit)
def hsplit_tangent(t, ary, indices_or_sections):
    dary = np.hsplit(t, indices_or_sections)


@adjoint(np.vsplit)
def vsplit(g, ary, indices_or_sections):
    # cuts along axis 0, which np.vstack joins; unpack the parts
    dary = np.vstack(g)


@tangent(np.vsplit)
def vsplit_tangent(t, ary, indices_or_sections):
    dary = np.vsplit(t, indices_or_sections)


@adjoint(np.dsplit)
def dsplit(g, ary, indices_or_sections):
    # cuts along axis 2, which np.dstack joins; unpack the parts
    dary = np.dstack(g)


@tangent(np.dsplit)
def dsplit_tangent(t, ary, indices_or_sections):
    dary = np.dsplit(t, indices_or_sections)


@adjoint(np.full)
def full(g, shape, fill_value):
    dfill_value = unbroadcast(g, fill_value)


@tangent(np.full)
def full_tangent(t, shape, fill_value):
    dfill_value = np.full(shape, t)


@adjoint(np.full_like)
def full_like(g, a, fill_value):
    # the values of `a` do not matter, only its shape: no gradient to `a`
    dfill_value = unbroadcast(g, fill_value)


@tangent(np.full_like)
def full_like_tangent(t, a, fill_value):
    # the values of `a` do not matter, only its shape (and dtype): no part for `a`
    dfill_value = np.full_like(a, t)


nondifferentiable(np.argsort, np.argpartition)
