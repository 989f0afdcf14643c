"""Shape and indexing: reshapes, transposes, joins, splits, takes.

These operations are linear. Most are declared `@linear`: the template is the gradient (the
operation's transpose), and the tangent is the operation itself applied to `t`. The others have
a tangent rule after the adjoint, where the tangent takes more than that (a sort applies the
permutation that sorts `x`, `np.append` pads each part's tangent with zeros).
"""

# ruff: noqa: F821  (`fill` and the runtime helpers are names in generated code, not here)

import numpy as np

from ... import runtime
from ..registry import adjoint, linear, nondifferentiable, tangent

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


@linear(np.transpose)
def transpose(g, x, axes=None):
    if axes is None:
        dx = np.transpose(g)
    else:
        dx = untranspose(g, axes)


@linear(np.reshape)
def reshape(g, x, shape):
    dx = np.reshape(g, np.shape(x))


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


@linear(np.expand_dims)
def expand_dims(g, x, axis):
    dx = np.reshape(g, np.shape(x))


@linear(np.squeeze)
def squeeze(g, x, axis=None):
    dx = np.reshape(g, np.shape(x))


@linear(np.atleast_1d, np.atleast_2d, np.atleast_3d)
def atleast_nd(g, x):
    dx = np.reshape(g, np.shape(x))


@linear(np.rollaxis)
def rollaxis(g, x, axis, start=0):
    dx = np.moveaxis(g, rollaxis_destination(x, axis, start), axis)


@linear(np.swapaxes)
def swapaxes(g, x, axis1, axis2):
    dx = np.swapaxes(g, axis1, axis2)


@linear(np.moveaxis)
def moveaxis(g, x, source, destination):
    dx = np.moveaxis(g, destination, source)


@linear(np.broadcast_to)
def broadcast_to(g, x, shape):
    dx = unbroadcast(g, x)


@linear(np.flip)
def flip(g, x, axis=None):
    dx = np.flip(g, axis)


@linear(np.fliplr)
def fliplr(g, x):
    dx = np.fliplr(g)


@linear(np.flipud)
def flipud(g, x):
    dx = np.flipud(g)


@linear(np.rot90)
def rot90(g, m, k=1, axes=(0, 1)):
    # a rotation's transpose is the rotation back
    dm = np.rot90(g, -k, axes)


@linear(np.roll)
def roll(g, x, shift, axis=None):
    dx = np.roll(g, np.negative(shift), axis)


@linear(np.triu)
def triu(g, x, k=0):
    dx = unbroadcast(np.triu(g, k), x)


@linear(np.tril)
def tril(g, x, k=0):
    dx = unbroadcast(np.tril(g, k), x)


# ---------------------------------------------------------------------------------------------
# Joins, repeats and padding.


@linear(np.concatenate)
def concatenate(g, arrays, axis=0):
    darrays = unconcatenate(g, arrays, axis)


@linear(np.stack)
def stack(g, arrays, axis=0):
    if axis == 0:
        darrays = g
    else:
        darrays = np.moveaxis(g, axis, 0)


@linear(np.hstack)
def hstack(g, tup):
    dtup = unhstack(g, tup)


@linear(np.vstack, *ROW_STACK)
def vstack(g, tup):
    # also np.row_stack, its old name, on the NumPy versions that still have it
    dtup = unvstack(g, tup)


@linear(np.column_stack)
def column_stack(g, tup):
    dtup = uncolumn_stack(g, tup)


@linear(np.dstack)
def dstack(g, tup):
    # joined along axis 2, each array made 3-D first (a 1-D one of n items as 1 x n x 1)
    dtup = undstack(g, tup)


@tangent(runtime.undstack)  # its helper, for second derivatives: linear in the gradient
def undstack_tangent(t, g, tup):
    dg = undstack(t, tup)


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


@linear(np.repeat)
def repeat(g, x, repeats, axis=None):
    dx = unrepeat(g, x, repeats, axis)


@linear(np.tile)
def tile(g, x, reps):
    dx = untile(g, x, reps)


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


@linear(np.take)
def take(g, x, indices, axis=None, mode="raise"):
    # an index taken more than once gets the sum of its gradients
    dx = untake(g, x, indices, axis, mode)


@linear(np.take_along_axis)
def take_along_axis(g, x, indices, axis=-1):
    # an index taken more than once gets the sum of its gradients
    dx = untake_along_axis(g, x, indices, axis)


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


@linear(np.split, np.array_split)
def split(g, x, indices_or_sections, axis=0):
    # g holds one gradient per part (zeros for the parts nothing differentiable used)
    dx = np.concatenate(g, axis)


@linear(np.hsplit)
def hsplit(g, ary, indices_or_sections):
    # cuts along axis 1 (axis 0 for a 1-D array), which np.hstack joins; unpack the parts
    dary = np.hstack(g)


@linear(np.vsplit)
def vsplit(g, ary, indices_or_sections):
    # cuts along axis 0, which np.vstack joins; unpack the parts
    dary = np.vstack(g)


@linear(np.dsplit)
def dsplit(g, ary, indices_or_sections):
    # cuts along axis 2, which np.dstack joins; unpack the parts
    dary = np.dstack(g)


@linear(np.full)
def full(g, shape, fill_value):
    dfill_value = unbroadcast(g, fill_value)


@linear(np.full_like)
def full_like(g, a, fill_value):
    # the values of `a` do not matter, only its shape: no gradient to `a`
    dfill_value = unbroadcast(g, fill_value)


nondifferentiable(np.argsort, np.argpartition)
