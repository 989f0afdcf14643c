"""Shape and indexing: reshapes, transposes, joins, splits, takes."""

# ruff: noqa: F821  (`fill` and the runtime helpers are names in generated code, not here)

import numpy as np

from .. import adjoint, nondifferentiable

# ---------------------------------------------------------------------------------------------
# Shape.


@adjoint("T")
def T(g, x):
    dx = g.T


@adjoint(np.transpose)
def transpose(g, x, axes=None):
    if axes is None:
        dx = np.transpose(g)
    else:
        dx = untranspose(g, axes)


@adjoint(np.reshape)
def reshape(g, x, shape):
    dx = np.reshape(g, np.shape(x))


@adjoint(np.ravel)
def ravel(g, x, order="C"):
    if order == "C":
        dx = np.reshape(g, np.shape(x))
    else:
        dx = unravel(g, x, order)


@adjoint(np.expand_dims)
def expand_dims(g, x, axis):
    dx = np.reshape(g, np.shape(x))


@adjoint(np.squeeze)
def squeeze(g, x, axis=None):
    dx = np.reshape(g, np.shape(x))


@adjoint(np.atleast_1d, np.atleast_2d, np.atleast_3d)
def atleast_nd(g, x):
    dx = np.reshape(g, np.shape(x))


@adjoint(np.swapaxes)
def swapaxes(g, x, axis1, axis2):
    dx = np.swapaxes(g, axis1, axis2)


@adjoint(np.moveaxis)
def moveaxis(g, x, source, destination):
    dx = np.moveaxis(g, destination, source)


@adjoint(np.broadcast_to)
def broadcast_to(g, x, shape):
    dx = unbroadcast(g, x)


@adjoint(np.flip)
def flip(g, x, axis=None):
    dx = np.flip(g, axis)


@adjoint(np.fliplr)
def fliplr(g, x):
    dx = np.fliplr(g)


@adjoint(np.flipud)
def flipud(g, x):
    dx = np.flipud(g)


@adjoint(np.roll)
def roll(g, x, shift, axis=None):
    dx = np.roll(g, np.negative(shift), axis)


@adjoint(np.triu)
def triu(g, x, k=0):
    dx = unbroadcast(np.triu(g, k), x)


@adjoint(np.tril)
def tril(g, x, k=0):
    dx = unbroadcast(np.tril(g, k), x)


# ---------------------------------------------------------------------------------------------
# Joins, repeats and padding.


@adjoint(np.concatenate)
def concatenate(g, arrays, axis=0):
    darrays = unconcatenate(g, arrays, axis)


@adjoint(np.stack)
def stack(g, arrays, axis=0):
    if axis == 0:
        darrays = g
    else:
        darrays = np.moveaxis(g, axis, 0)


@adjoint(np.hstack)
def hstack(g, tup):
    dtup = unhstack(g, tup)


@adjoint(np.vstack)
def vstack(g, tup):
    dtup = unvstack(g, tup)


@adjoint(np.repeat)
def repeat(g, x, repeats, axis=None):
    dx = unrepeat(g, x, repeats, axis)


@adjoint(np.tile)
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


# ---------------------------------------------------------------------------------------------
# Takes and sorts: the gradient goes back to where each element came from.


@adjoint(np.take)
def take(g, x, indices, axis=None, mode="raise"):
    # an index taken more than once gets the sum of its gradients
    dx = untake(g, x, indices, axis, mode)


@adjoint(np.take_along_axis)
def take_along_axis(g, x, indices, axis=-1):
    # an index taken more than once gets the sum of its gradients
    dx = untake_along_axis(g, x, indices, axis)


@adjoint(np.sort)
def sort(g, x, axis=-1, kind=None, *, stable=None):
    # ties: equal elements take their gradients in their original order (a stable argsort)
    dx = unsort(g, x, axis)


# ---------------------------------------------------------------------------------------------
# Splitting (the results are unpacked: `a, b = np.split(x, 2)`), filling, orderings.


@adjoint(np.split, np.array_split)
def split(g, x, indices_or_sections, axis=0):
    # g holds one gradient per part (zeros for the parts nothing differentiable used)
    dx = np.concatenate(g, axis)


@adjoint(np.full)
def full(g, shape, fill_value):
    dfill_value = unbroadcast(g, fill_value)


@adjoint(np.full_like)
def full_like(g, a, fill_value):
    # the values of `a` do not matter, only its shape: no gradient to `a`
    dfill_value = unbroadcast(g, fill_value)


nondifferentiable(np.argsort)
