"""Rows for the linear-algebra rules (srcgrad/rules/numpy/linalg.py); the machinery is in
tests/rulespec.py and the two forms each row is tested in are described in tests/test_rules.py.

Matrices that are inverted, solved with or factored are well-conditioned by construction
(`m / n + 3 I`, `m m^T + I`, or given singular values); those whose gradient has a kink (the
inf-norms, the matrix 1-norm, eigenvalues) are drawn from a seeded normal distribution, so that
ties and repeated eigenvalues do not occur. Those given to svd and eig are made from singular
values (eigenvalues) at least 0.3 apart and from 0; tests at the end of the file take them at
repeated and zero ones.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rulespec import *  # noqa: F403  (domains and argument builders, used by the rows)
from rulespec import _array, define_tests, rows

import srcgrad
from srcgrad.errors import SrcgradError
from srcgrad.testing import check_grads

row = rows(globals())

# ---------------------------------------------------------------------------------------------
# Argument builders.


def _side(draw, low=1, high=4):
    return draw(st.integers(low, high))


def _batch(draw, max_dims=2):
    return tuple(draw(st.lists(st.integers(1, 3), max_size=max_dims), label="batch"))


def _rng(draw):
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))


def _orthogonal(rng, shape):
    """Random orthogonal matrices of `shape` (..., n, n)."""
    q, r = np.linalg.qr(rng.standard_normal(shape))
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


def _conditioned(draw, shape):
    """Matrices (..., n, n) with singular values in [1, 5]: `m / n + 3 I`, m in [-2, 2]."""
    n = shape[-1]
    return draw(_array(shape, np.float64, REAL)) / n + 3 * np.eye(n)


def square_args(count=1, batch=True):
    """`count` well-conditioned square matrices of one size, maybe stacked."""

    def args(dtype):
        @st.composite
        def draw(draw):
            n, b = _side(draw), _batch(draw) if batch else ()
            return tuple(_conditioned(draw, (*b, n, n)).astype(dtype) for _ in range(count))

        return draw()

    return args


def signed_square_args(dtype):
    """A stack of well-conditioned matrices, each with a determinant of either sign."""

    @st.composite
    def draw(draw):
        n, b = _side(draw), _batch(draw)
        x = _conditioned(draw, (*b, n, n))
        flip = draw(_array((*b, 1, 1), np.float64, NONZERO))
        return (x * np.where(np.arange(n)[:, None] == 0, np.sign(flip), 1.0)).astype(dtype)

    return st.tuples(draw())


def spd_args(dtype):
    """A stack of symmetric positive definite matrices `m m^T / n + I`."""

    @st.composite
    def draw(draw):
        n, b = _side(draw), _batch(draw)
        m = draw(_array((*b, n, n), np.float64, REAL))
        return ((m @ np.swapaxes(m, -1, -2)) / n + np.eye(n)).astype(dtype)

    return st.tuples(draw())


def symmetric_args(dtype):
    """A stack of symmetric matrices with eigenvalues at least 0.4 apart."""

    @st.composite
    def draw(draw):
        n, b, rng = _side(draw), _batch(draw), _rng(draw)
        q = _orthogonal(rng, (*b, n, n))
        w = np.arange(n) - n / 2 + rng.uniform(-0.3, 0.3, (*b, n))
        return ((q * w[..., None, :]) @ np.swapaxes(q, -1, -2)).astype(dtype)

    return st.tuples(draw())


def singular_args(dtype):
    """A stack of singular matrices of rank n - 1 (n >= 2)."""

    @st.composite
    def draw(draw):
        n, b, rng = _side(draw, 2), _batch(draw), _rng(draw)
        return ((rng.standard_normal((*b, n, n - 1)) @ rng.standard_normal((*b, n - 1, n))) / n).astype(dtype)

    return st.tuples(draw())


def _ranked(rng, shape, rank):
    """Matrices of `shape` (..., m, n) with `rank` singular values in [1, 2]."""
    *b, m, n = shape
    u = _orthogonal(rng, (*b, m, m))[..., :rank]
    v = _orthogonal(rng, (*b, n, n))[..., :rank, :]
    return (u * rng.uniform(1, 2, (*b, 1, rank))) @ v


def full_rank_args(dtype):
    """A stack of tall, wide or square matrices of full rank, singular values in [1, 2]."""

    @st.composite
    def draw(draw):
        m, n, b, rng = _side(draw), _side(draw), _batch(draw, 1), _rng(draw)
        return _ranked(rng, (*b, m, n), min(m, n)).astype(dtype)

    return st.tuples(draw())


def low_rank_args(dtype):
    """Factors `b (m, r)` and `c (r, n)` with r < min(m, n): their product keeps rank r."""

    @st.composite
    def draw(draw):
        m, n, rng = _side(draw, 2), _side(draw, 2), _rng(draw)
        r = draw(st.integers(1, min(m, n) - 1))
        return _ranked(rng, (m, r), r).astype(dtype), _ranked(rng, (r, n), r).astype(dtype)

    return draw()


def hermitian_args(dtype):
    """A symmetric matrix of full rank, its eigenvalues of either sign, |λ| in [1, 2]."""

    @st.composite
    def draw(draw):
        n, rng = _side(draw), _rng(draw)
        q = _orthogonal(rng, (n, n))
        w = rng.uniform(1, 2, n) * rng.choice([-1.0, 1.0], n)
        return ((q * w) @ q.T).astype(dtype)

    return st.tuples(draw())


def _separated(rng, count, sizes):
    """`count` values of each batch entry (`sizes`, the batch shape) at least 0.3 apart and
    from 0: 1, 1.5, 2, ... each moved by up to 0.1, in random order."""
    values = 1 + 0.5 * np.arange(count) + rng.uniform(-0.1, 0.1, (*sizes, count))
    return rng.permuted(values, axis=-1)


def svd_args(shape="any", batch=True):
    """A stack of matrices, of any `shape` ("square" or "nonsquare" for those alone), whose
    singular values are at least 0.3 apart and from 0 (see `_separated`)."""

    def args(dtype):
        @st.composite
        def draw(draw):
            rng, b = _rng(draw), _batch(draw) if batch else ()
            m = _side(draw)
            n = m if shape == "square" else _side(draw)
            if shape == "nonsquare" and n == m:
                n = m + draw(st.integers(1, 2))
            k = min(m, n)
            u = _orthogonal(rng, (*b, m, m))[..., :k]
            v = _orthogonal(rng, (*b, n, n))[..., :k, :]
            return ((u * _separated(rng, k, b)[..., None, :]) @ v).astype(dtype)

        return st.tuples(draw())

    return args


def svd_hermitian_args(dtype):
    """A stack of matrices whose lower triangle is that of a symmetric matrix with eigenvalues of
    either sign, their absolute values (the singular values) at least 0.3 apart and from 0; the
    upper triangle is noise, which `hermitian=True` makes NumPy ignore."""

    @st.composite
    def draw(draw):
        n, b, rng = _side(draw), _batch(draw), _rng(draw)
        q = _orthogonal(rng, (*b, n, n))
        w = _separated(rng, n, b) * rng.choice([-1.0, 1.0], (*b, n))
        a = (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)
        return (np.tril(a) + np.triu(rng.standard_normal((*b, n, n)), 1)).astype(dtype)

    return st.tuples(draw())


def _projector_weights(rng, sides, k, dtype):
    """Weights for the columns of u (rows of vh): distinct for the first `k`, one value for the
    rest, so that `(u * d) @ u^T` reads u's columns beyond k through their span alone."""
    first = 1.0 + np.arange(sides) + rng.uniform(0, 0.5, sides)
    return np.where(np.arange(sides) < k, first, 0.5).astype(dtype)


def svd_full_args(drawn=False):
    """A stack of matrices `x` (square, tall or wide) as `svd_args`, a matrix `c` and the
    weights `d` and `e` of u's columns and vh's rows (`_projector_weights`); `drawn`: with
    `full_matrices` drawn too, after x."""

    def args(dtype):
        @st.composite
        def draw(draw):
            (x,) = draw(svd_args("any" if drawn else "nonsquare")(dtype))
            rng, full = _rng(draw), draw(st.booleans()) if drawn else True
            *b, m, n = x.shape
            k = min(m, n)
            c = rng.standard_normal((m, n)).astype(dtype)
            d = _projector_weights(rng, m if full else k, k, dtype)
            e = _projector_weights(rng, n if full else k, k, dtype)
            return (x, full, c, d, e) if drawn else (x, c, d, e)

        return draw()

    return args


# NumPy 2.5 returns np.linalg.eig's results as complex arrays always (of imaginary part 0 for
# real eigenvalues), which srcgrad does not differentiate: eig's tests run where it returns real ones
EIG_REAL = not np.iscomplexobj(np.linalg.eig(np.eye(2))[0])
NEEDS_REAL_EIG = "this NumPy's np.linalg.eig returns complex arrays, which srcgrad does not differentiate"


def eig_args(dtype):
    """A stack of matrices `p diag(w) p^-1` with real eigenvalues w of either sign, their absolute
    values at least 0.3 apart and from 0, and p within 0.5 (in norm) of the identity."""
    if not EIG_REAL:
        pytest.skip(NEEDS_REAL_EIG)

    @st.composite
    def draw(draw):
        n, b, rng = _side(draw), _batch(draw), _rng(draw)
        p = np.eye(n) + 0.25 * rng.standard_normal((*b, n, n)) / np.sqrt(n)
        w = _separated(rng, n, b) * rng.choice([-1.0, 1.0], (*b, n))
        return ((p * w[..., None, :]) @ np.linalg.inv(p)).astype(dtype)

    return st.tuples(draw())


def solve_args(vector):
    """`a` (a stack of well-conditioned matrices) and `b`, a vector or a stack of matrices,
    their stacks broadcasting together."""

    def args(dtype):
        @st.composite
        def draw(draw):
            n = _side(draw)
            ba, bb = draw(broadcastable_shapes(2, max_dims=2, max_side=3), label="batches").input_shapes
            a = _conditioned(draw, (*ba, n, n)).astype(dtype)
            b = draw(_array((n,) if vector else (*bb, n, _side(draw)), dtype, REAL))
            return a, b

        return draw()

    return args


def pair(xd_range, yd_range, same_size=False):
    """Two arrays with `xd_range` and `yd_range` axes; `same_size`: y has x's size, reshaped."""

    def args(dtype):
        @st.composite
        def draw(draw):
            x = draw(_array(shapes(*xd_range, max_side=3), dtype, REAL))
            if same_size:
                return x, draw(_array(x.shape[::-1] if x.ndim > 1 else (x.size,), dtype, REAL))
            return x, draw(_array(shapes(*yd_range, max_side=3), dtype, REAL))

        return draw()

    return args


def inner_args(dtype):
    """x and y sharing their last axis, or one of them a 0-d array."""

    @st.composite
    def draw(draw):
        n, kind = _side(draw), draw(st.sampled_from(["both", "x0", "y0"]))
        xs = () if kind == "x0" else (*_batch(draw), n)
        ys = () if kind == "y0" else (*_batch(draw), n)
        return draw(_array(xs, dtype, REAL)), draw(_array(ys, dtype, REAL))

    return draw()


def tensordot_args(form):
    """x, y and `axes` for np.tensordot: an int, or two lists of paired axes in any order
    (some negative)."""

    def args(dtype):
        @st.composite
        def draw(draw):
            xd, yd = draw(st.integers(0, 3)), draw(st.integers(0, 3))
            nc = draw(st.integers(0, min(xd, yd)))
            xs = [_side(draw, 1, 3) for _ in range(xd)]
            ys = [_side(draw, 1, 3) for _ in range(yd)]
            if form == "int":
                ax, ay = list(range(xd - nc, xd)), list(range(nc))
            else:
                ax, ay = draw(st.permutations(range(xd)))[:nc], draw(st.permutations(range(yd)))[:nc]
            for a, b in zip(ax, ay):
                ys[b] = xs[a]
            x, y = draw(_array(tuple(xs), dtype, REAL)), draw(_array(tuple(ys), dtype, REAL))
            if form == "int":
                return x, y, nc
            flip = lambda a, nd: draw(st.sampled_from([a, a - nd]))
            return x, y, ([flip(a, xd) for a in ax], [flip(b, yd) for b in ay])

        return draw()

    return args


def einsum_args(specs, broadcast=False):
    """A subscripts string drawn from `specs` (separated by spaces) and operands that fit it.
    Each `...` stands for 0-2 axes that broadcast; with `broadcast`, each labelled axis may have
    length 1 in some operands."""

    def args(dtype):
        @st.composite
        def draw(draw):
            spec = draw(st.sampled_from(specs.split()))
            inputs = spec.split("->")[0].split(",")
            size = {c: _side(draw, 1, 3) for c in sorted(set("".join(inputs)) - {"."})}
            ellipses = sum("..." in s for s in inputs)
            batches = iter(
                draw(broadcastable_shapes(ellipses, max_dims=2, max_side=3)).input_shapes if ellipses else ()
            )
            operands = []
            for s in inputs:
                shape = []
                for c in s.replace("...", "."):
                    if c == ".":
                        shape += next(batches)
                    else:
                        shape.append(1 if broadcast and draw(st.booleans()) else size[c])
                operands.append(draw(_array(tuple(shape), dtype, REAL)))
            return (spec, *operands)

        return draw()

    return args


def kron_args(dtype):
    @st.composite
    def draw(draw):
        return tuple(draw(_array(shapes(0, 3, max_side=3), dtype, REAL)) for _ in range(2))

    return draw()


def diag_args(xd):
    """x with `xd` (1 or 2) axes and a diagonal `k` that is not empty."""

    def args(dtype):
        @st.composite
        def draw(draw):
            shape = tuple(_side(draw) for _ in range(xd))
            k = draw(st.integers(-2, 2) if xd == 1 else st.integers(1 - shape[0], shape[1] - 1))
            return draw(_array(shape, dtype, REAL)), k

        return draw()

    return args


def diagonal_args(dtype):
    """x with 2-4 axes, an offset, and two different axes (some negative)."""

    @st.composite
    def draw(draw):
        x = draw(_array(shapes(2, 4, max_side=3), dtype, REAL))
        a1, a2 = draw(st.permutations(range(x.ndim)))[:2]
        offset = draw(st.integers(1 - x.shape[a1], x.shape[a2] - 1))
        flip = lambda a: draw(st.sampled_from([a, a - x.ndim]))
        return x, offset, flip(a1), flip(a2)

    return draw()


VECTOR_ORDS = [None, 1, 2, np.inf, -np.inf, 0, 3, 0.5, -1]
MATRIX_ORDS = [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]


def norm_args(dtype):
    """x (seeded normal: no ties, no zeros), an order, an axis for it, and keepdims."""

    @st.composite
    def draw(draw):
        rng = _rng(draw)
        x = rng.standard_normal(draw(shapes(1, 3, max_side=3))).astype(dtype)
        kind = draw(st.sampled_from(["vector", "matrix"] if x.ndim > 1 else ["vector"]))
        if kind == "vector":
            axis = None if x.ndim == 1 and draw(st.booleans()) else draw(st.integers(-x.ndim, x.ndim - 1))
            ord = draw(st.sampled_from(VECTOR_ORDS))
        else:
            matrix_axes = tuple(draw(st.permutations(range(x.ndim)))[:2])
            axis = None if x.ndim == 2 and draw(st.booleans()) else matrix_axes
            ord = draw(st.sampled_from(MATRIX_ORDS))
        return x, ord, axis, draw(st.booleans())

    return draw()


def normal(min_dims=0, max_dims=3, square=False):
    """One array of seeded normal values (no ties, no zeros); `square`: an n x n matrix."""

    def args(dtype):
        @st.composite
        def draw(draw):
            rng, n = _rng(draw), _side(draw)
            shape = (n, n) if square else draw(shapes(min_dims, max_dims, max_side=3))
            return (rng.standard_normal(shape).astype(dtype),)

        return draw()

    return args


# ---------------------------------------------------------------------------------------------
# The functions under test: `<name>_s` is the seed form, `<name>_w` the weighted form.

# Products.


def vdot_s(x, y):
    return np.sum(np.vdot(x, y))


def vdot_w(x, y, w):
    return np.sum(w * np.vdot(x, y))


def inner_s(x, y):
    return np.sum(np.inner(x, y))


def inner_w(x, y, w):
    return np.sum(w * np.inner(x, y))


def outer_s(x, y):
    return np.sum(np.outer(x, y))


def outer_w(x, y, w):
    return np.sum(w * np.outer(x, y))


def tensordot_s(x, y, axes):
    return np.sum(np.tensordot(x, y, axes))


def tensordot_w(x, y, axes, w):
    return np.sum(w * np.tensordot(x, y, axes))


def tensordot_default_s(x, y):
    return np.sum(np.tensordot(x, y))


def tensordot_default_w(x, y, w):
    return np.sum(w * np.tensordot(x, y))


def tensordot_lists_s(x, y):
    return np.sum(np.tensordot(x, y, axes=([1, 0], [0, 2])))


def tensordot_lists_w(x, y, w):
    return np.sum(w * np.tensordot(x, y, axes=([1, 0], [0, 2])))


def einsum1_s(spec, x):
    return np.sum(np.einsum(spec, x))


def einsum1_w(spec, x, w):
    return np.sum(w * np.einsum(spec, x))


def einsum2_s(spec, x, y):
    return np.sum(np.einsum(spec, x, y))


def einsum2_w(spec, x, y, w):
    return np.sum(w * np.einsum(spec, x, y))


def einsum3_s(spec, x, y, z):
    return np.sum(np.einsum(spec, x, y, z))


def einsum3_w(spec, x, y, z, w):
    return np.sum(w * np.einsum(spec, x, y, z))


def einsum4_s(spec, x, y, z, u):
    return np.sum(np.einsum(spec, x, y, z, u, optimize=True))


def einsum4_w(spec, x, y, z, u, w):
    return np.sum(w * np.einsum(spec, x, y, z, u, optimize=True))


def einsum_matmul_s(x, y):
    return np.sum(np.einsum("ij,jk->ik", x, y))


def einsum_matmul_w(x, y, w):
    return np.sum(w * np.einsum("ij,jk->ik", x, y))


def einsum_trace_s(x):
    return np.sum(np.einsum("ii", x))


def einsum_trace_w(x, w):
    return np.sum(w * np.einsum("ii", x))


def einsum_diag_s(x):
    return np.sum(np.einsum("...ii->...i", x))


def einsum_diag_w(x, w):
    return np.sum(w * np.einsum("...ii->...i", x))


def einsum_same_s(x):
    return np.sum(np.einsum("ij,ij->i", x, x))


def einsum_same_w(x, w):
    return np.sum(w * np.einsum("ij,ij->i", x, x))


def einsum_sublists_s(x, y):
    return np.sum(np.einsum(x, [0, 1], y, [1, 2], [0, 2]))


def einsum_sublists_w(x, y, w):
    return np.sum(w * np.einsum(x, [0, 1], y, [1, 2], [0, 2]))


def kron_s(x, y):
    return np.sum(np.kron(x, y))


def kron_w(x, y, w):
    return np.sum(w * np.kron(x, y))


# Diagonals.


def diag_s(x, k):
    return np.sum(np.diag(x, k))


def diag_w(x, k, w):
    return np.sum(w * np.diag(x, k))


def diag_default_s(x):
    return np.sum(np.diag(x))


def diag_default_w(x, w):
    return np.sum(w * np.diag(x))


def diagonal_s(x, offset, axis1, axis2):
    return np.sum(np.diagonal(x, offset, axis1, axis2))


def diagonal_w(x, offset, axis1, axis2, w):
    return np.sum(w * np.diagonal(x, offset, axis1, axis2))


def diagonal_method_s(x):
    return np.sum(x.diagonal(0, -1, 0))


def diagonal_method_w(x, w):
    return np.sum(w * x.diagonal(0, -1, 0))


# Norms.


def norm_s(x):
    return np.sum(np.linalg.norm(x))


def norm_w(x, w):
    return np.sum(w * np.linalg.norm(x))


def norm_axis_s(x):
    return np.sum(np.linalg.norm(x, axis=-1))


def norm_axis_w(x, w):
    return np.sum(w * np.linalg.norm(x, axis=-1))


def norm_keepdims_s(x):
    return np.sum(np.linalg.norm(x, axis=0, keepdims=True))


def norm_keepdims_w(x, w):
    return np.sum(w * np.linalg.norm(x, axis=0, keepdims=True))


def norm_all_keepdims_s(x):
    return np.sum(np.linalg.norm(x, keepdims=True))


def norm_all_keepdims_w(x, w):
    return np.sum(w * np.linalg.norm(x, keepdims=True))


def norm_var_s(x, ord, axis, keepdims):
    return np.sum(np.linalg.norm(x, ord, axis, keepdims))


def norm_var_w(x, ord, axis, keepdims, w):
    return np.sum(w * np.linalg.norm(x, ord, axis, keepdims))


def norm_inf_s(x):
    return np.sum(np.linalg.norm(x, np.inf, axis=-1))


def norm_inf_w(x, w):
    return np.sum(w * np.linalg.norm(x, np.inf, axis=-1))


def norm_1_s(x):
    return np.sum(np.linalg.norm(x, 1, axis=-1))


def norm_1_w(x, w):
    return np.sum(w * np.linalg.norm(x, 1, axis=-1))


def norm_p_s(x):
    return np.sum(np.linalg.norm(x, ord=3, axis=0, keepdims=True))


def norm_p_w(x, w):
    return np.sum(w * np.linalg.norm(x, ord=3, axis=0, keepdims=True))


def norm_fro_s(x):
    return np.sum(np.linalg.norm(x, "fro", axis=(0, -1)))


def norm_fro_w(x, w):
    return np.sum(w * np.linalg.norm(x, "fro", axis=(0, -1)))


def norm_nuc_s(x):
    return np.sum(np.linalg.norm(x, "nuc", axis=(-2, -1)))


def norm_nuc_w(x, w):
    return np.sum(w * np.linalg.norm(x, "nuc", axis=(-2, -1)))


# Inverses, solves, determinants, decompositions.


def inv_s(x):
    return np.sum(np.linalg.inv(x))


def inv_w(x, w):
    return np.sum(w * np.linalg.inv(x))


def solve_s(a, b):
    return np.sum(np.linalg.solve(a, b))


def solve_w(a, b, w):
    return np.sum(w * np.linalg.solve(a, b))


def det_s(x):
    return np.sum(np.linalg.det(x))


def det_w(x, w):
    return np.sum(w * np.linalg.det(x))


def slogdet_s(x):
    sign, logdet = np.linalg.slogdet(x)
    return np.sum(sign * logdet)


def slogdet_w(x, w):
    sign, logdet = np.linalg.slogdet(x)
    return np.sum(w * (sign * logdet))


def logdet_s(x):
    sign, logdet = np.linalg.slogdet(x)
    return np.sum(logdet)


def logdet_w(x, w):
    sign, logdet = np.linalg.slogdet(x)
    return np.sum(w * logdet)


def cholesky_s(a):
    return np.sum(np.linalg.cholesky(a))


def cholesky_w(a, w):
    return np.sum(w * np.linalg.cholesky(a))


def cholesky_upper_s(a):
    return np.sum(np.linalg.cholesky(a, upper=True))


def cholesky_upper_w(a, w):
    return np.sum(w * np.linalg.cholesky(a, upper=True))


def cholesky_gram_s(m):
    return np.sum(np.linalg.cholesky(m @ np.swapaxes(m, -1, -2)))


def cholesky_gram_w(m, w):
    return np.sum(w * np.linalg.cholesky(m @ np.swapaxes(m, -1, -2)))


def eigvalsh_s(a):
    return np.sum(np.linalg.eigvalsh(a))


def eigvalsh_w(a, w):
    return np.sum(w * np.linalg.eigvalsh(a))


def eigvalsh_upper_s(a):
    return np.sum(np.linalg.eigvalsh(a, UPLO="U"))


def eigvalsh_upper_w(a, w):
    return np.sum(w * np.linalg.eigvalsh(a, UPLO="U"))


def eigvalsh_sym_s(m):
    return np.sum(np.linalg.eigvalsh(m + m.T))


def eigvalsh_sym_w(m, w):
    return np.sum(w * np.linalg.eigvalsh(m + m.T))


def eigh_s(a):
    vals, vecs = np.linalg.eigh(a)
    return np.sum(np.expand_dims(vals, -2) * (vecs * vecs))


def eigh_w(a, w):
    vals, vecs = np.linalg.eigh(a)
    return np.sum(w * (np.expand_dims(vals, -2) * (vecs * vecs)))


def eigh_op(a, UPLO="L"):
    vals, vecs = np.linalg.eigh(a, UPLO)
    return np.expand_dims(vals, -2) * (vecs * vecs)


def eigh_upper_s(a):
    vals, vecs = np.linalg.eigh(a, "U")
    return np.sum(np.expand_dims(vals, -2) * (vecs * vecs))


def eigh_upper_w(a, w):
    vals, vecs = np.linalg.eigh(a, "U")
    return np.sum(w * (np.expand_dims(vals, -2) * (vecs * vecs)))


def eigh_vectors_s(a):
    vals, vecs = np.linalg.eigh(a)
    return np.sum(vecs**4)


def eigh_vectors_w(a, w):
    vals, vecs = np.linalg.eigh(a)
    return np.sum(w * vecs**4)


def eigh_values_s(a):
    vals, vecs = np.linalg.eigh(a)
    return np.sum(vals)


def eigh_values_w(a, w):
    vals, vecs = np.linalg.eigh(a)
    return np.sum(w * vals)


def pinv_s(x):
    return np.sum(np.linalg.pinv(x))


def pinv_w(x, w):
    return np.sum(w * np.linalg.pinv(x))


def pinv_product_s(b, c):
    return np.sum(np.linalg.pinv(b @ c, rcond=1e-5))


def pinv_product_w(b, c, w):
    return np.sum(w * np.linalg.pinv(b @ c, rcond=1e-5))


def pinv_hermitian_s(x):
    return np.sum(np.linalg.pinv(x, hermitian=True))


def pinv_hermitian_w(x, w):
    return np.sum(w * np.linalg.pinv(x, hermitian=True))


def svd_op(x, full_matrices=True):
    """What the svd rows differentiate: u, s and vh together, unchanged when a pair of singular
    vectors changes sign (which NumPy may choose either way)."""
    u, s, vh = np.linalg.svd(x, full_matrices=full_matrices)
    return (u**2 * np.expand_dims(s, -2)) @ vh**2


def svd_s(x):
    u, s, vh = np.linalg.svd(x)
    return np.sum((u**2 * np.expand_dims(s, -2)) @ vh**2)


def svd_w(x, w):
    u, s, vh = np.linalg.svd(x)
    return np.sum(w * ((u**2 * np.expand_dims(s, -2)) @ vh**2))


def svd_reduced_s(x):
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    return np.sum((u**2 * np.expand_dims(s, -2)) @ vh**2)


def svd_reduced_w(x, w):
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    return np.sum(w * ((u**2 * np.expand_dims(s, -2)) @ vh**2))


def svd_values_s(x):
    return np.sum(np.linalg.svd(x, compute_uv=False))


def svd_values_w(x, w):
    return np.sum(w * np.linalg.svd(x, compute_uv=False))


def svd_values_reduced_s(x):
    return np.sum(np.linalg.svd(x, False, False))


def svd_values_reduced_w(x, w):
    return np.sum(w * np.linalg.svd(x, False, False))


def svd_full_op(x, c, d, e, full_matrices=True):
    """u's columns and vh's rows through `(u * d) @ u^T` and `vh^T @ (e * vh)`: the columns
    beyond min(m, n) that full_matrices=True adds share one weight, so only their span counts."""
    u, s, vh = np.linalg.svd(x, full_matrices=full_matrices)
    return (u * d) @ np.swapaxes(u, -1, -2) @ c @ np.swapaxes(vh, -1, -2) @ (np.expand_dims(e, -1) * vh)


def svd_full_s(x, c, d, e):
    u, s, vh = np.linalg.svd(x)
    return np.sum((u * d) @ np.swapaxes(u, -1, -2) @ c @ (np.swapaxes(vh, -1, -2) * e) @ vh)


def svd_full_w(x, c, d, e, w):
    u, s, vh = np.linalg.svd(x)
    return np.sum(
        w * ((u * d) @ np.swapaxes(u, -1, -2) @ c @ np.swapaxes(vh, -1, -2) @ (np.expand_dims(e, -1) * vh))
    )


def svd_full_var_s(x, full, c, d, e):
    u, s, vh = np.linalg.svd(x, full)
    return np.sum((u * d) @ np.swapaxes(u, -1, -2) @ c @ (np.swapaxes(vh, -1, -2) * e) @ vh)


def svd_full_var_w(x, full, c, d, e, w):
    u, s, vh = np.linalg.svd(x, full)
    return np.sum(
        w * ((u * d) @ np.swapaxes(u, -1, -2) @ c @ np.swapaxes(vh, -1, -2) @ (np.expand_dims(e, -1) * vh))
    )


def eig_op(a):
    """What the eig rows differentiate: eigenvalues and eigenvectors together, unchanged when an
    eigenvector changes sign."""
    w, v = np.linalg.eig(a)
    return np.expand_dims(w, -2) * v**2


def eig_s(a):
    w, v = np.linalg.eig(a)
    return np.sum(np.expand_dims(w, -2) * v**2)


def eig_w(a, w_):
    w, v = np.linalg.eig(a)
    return np.sum(w_ * (np.expand_dims(w, -2) * v**2))


def eig_values_s(a):
    w, v = np.linalg.eig(a)
    return np.sum(w)


def eig_values_w(a, w_):
    w, v = np.linalg.eig(a)
    return np.sum(w_ * w)


def eig_vectors_s(a):
    return np.sum(np.linalg.eig(a)[1] ** 4)


def eig_vectors_w(a, w_):
    return np.sum(w_ * np.linalg.eig(a)[1] ** 4)


# ---------------------------------------------------------------------------------------------
# The table.

XY = ("x", "y")
# subscripts: explicit and implicit outputs, transposes, traces and diagonals ("ii"), sums,
# ellipses, a scalar operand (""), upper-case labels (sorted before lower-case ones)
EINSUM1 = "ij->ji ii->i ii ii-> ij-> ij->i ijk->kji ij ji iij->ji ...i->... i...->...i ...ii->...i Ba->aB i->"
EINSUM2 = (
    "ij,jk->ik ij,jk i,i i,i-> i,j->ij ij,ij->ij ij,ij-> ij,j Ba,a ...ij,...jk->...ik ...ij,...jk "
    "ii,i->i i,->i ,-> ijk,jl->lik ij,jk->"
)
EINSUM_BROADCAST = "ij,jk->ik ij,ij->ij i,i->i ijk,ik->kj"
EINSUM3 = "ij,jk,kl->il i,i,i-> ij,j,i-> ii,ij,j->ij ...i,...i,i->..."

# fmt: off
SPECS = [
    # products
    row("vdot", "vdot", "vdot", np.vdot, XY, pair((0, 3), None, same_size=True)),
    row("inner", "inner", "inner", np.inner, XY, inner_args),
    row("outer", "outer", "outer", np.outer, XY, pair((0, 2), (0, 2))),
    row("tensordot-int", "tensordot", "tensordot", np.tensordot, XY, tensordot_args("int")),
    row("tensordot-lists", "tensordot", "tensordot", np.tensordot, XY, tensordot_args("lists")),
    row("tensordot-default", "tensordot", "tensordot_default", np.tensordot, XY,
        lambda dtype: st.tuples(_array((2, 3, 2), dtype, REAL), _array((3, 2, 3), dtype, REAL))),
    row("tensordot-literal-lists", "tensordot", "tensordot_lists",
        lambda x, y: np.tensordot(x, y, axes=([1, 0], [0, 2])), XY,
        lambda dtype: st.tuples(_array((2, 3, 4), dtype, REAL), _array((3, 1, 2), dtype, REAL))),
    row("einsum-1", "einsum", "einsum1", np.einsum, ("x",), einsum_args(EINSUM1)),
    row("einsum-2", "einsum", "einsum2", np.einsum, XY, einsum_args(EINSUM2)),
    row("einsum-2-broadcast", "einsum", "einsum2", np.einsum, XY, einsum_args(EINSUM_BROADCAST, True)),
    row("einsum-3", "einsum", "einsum3", np.einsum, ("x", "y", "z"), einsum_args(EINSUM3)),
    row("einsum-4", "einsum", "einsum4", lambda s, *ops: np.einsum(s, *ops, optimize=True),
        ("x", "y", "z", "u"), einsum_args("ij,jk,kl,l->i i,j,k,l->ijkl")),
    row("einsum-literal-matmul", "einsum", "einsum_matmul", lambda x, y: np.einsum("ij,jk->ik", x, y), XY,
        matmul_args(2, 2)),
    row("einsum-literal-trace", "einsum", "einsum_trace", np.trace, args=square_args(batch=False)),
    row("einsum-literal-diag", "einsum", "einsum_diag", lambda x: np.einsum("...ii->...i", x),
        args=square_args()),
    row("einsum-same-operand", "einsum", "einsum_same", lambda x: np.einsum("ij,ij->i", x, x),
        args=ndim(2, 2)),
    row("einsum-sublists", "einsum", "einsum_sublists", lambda x, y: x @ y, XY, matmul_args(2, 2)),
    row("kron", "kron", "kron", np.kron, XY, kron_args),
    # diagonals
    row("diag-1d", "diag", "diag", np.diag, args=diag_args(1)),
    row("diag-2d", "diag", "diag", np.diag, args=diag_args(2)),
    row("diag-default-2d", "diag", "diag_default", np.diag, args=ndim(2, 2)),
    row("diag-default-1d", "diag", "diag_default", np.diag, args=ndim(1, 1)),
    row("diagonal", "diagonal", "diagonal", np.diagonal, args=diagonal_args),
    row("x.diagonal(0,-1,0)", "diagonal", "diagonal_method", lambda x: x.diagonal(0, -1, 0),
        args=ndim(2, 3)),
    # norms
    row("norm", "norm", "norm", np.linalg.norm, args=unary(NONZERO)),
    row("norm-axis=-1", "norm", "norm_axis", lambda x: np.linalg.norm(x, axis=-1),
        args=unary(NONZERO, min_dims=1)),
    row("norm-axis=0-keepdims", "norm", "norm_keepdims", lambda x: np.linalg.norm(x, axis=0, keepdims=True),
        args=unary(NONZERO, min_dims=1)),
    row("norm-keepdims", "norm", "norm_all_keepdims", lambda x: np.linalg.norm(x, keepdims=True),
        args=unary(NONZERO, min_dims=1)),
    row("norm-drawn", "norm", "norm_var", np.linalg.norm, args=norm_args),
    row("norm-inf", "norm", "norm_inf", lambda x: np.linalg.norm(x, np.inf, axis=-1), args=normal(1, 3)),
    row("norm-1", "norm", "norm_1", lambda x: np.linalg.norm(x, 1, axis=-1), args=normal(1, 3)),
    row("norm-3-keepdims", "norm", "norm_p", lambda x: np.linalg.norm(x, ord=3, axis=0, keepdims=True),
        args=normal(1, 3)),
    row("norm-fro", "norm", "norm_fro", lambda x: np.linalg.norm(x, "fro", axis=(0, -1)), args=normal(2, 3)),
    row("norm-nuc", "norm", "norm_nuc", lambda x: np.linalg.norm(x, "nuc", axis=(-2, -1)),
        args=normal(2, 3)),
    # inverses, solves, determinants, decompositions
    row("inv", "inv", "inv", np.linalg.inv, args=square_args()),
    row("solve-vector", "solve", "solve", np.linalg.solve, ("a", "b"), solve_args(vector=True)),
    row("solve-matrix", "solve", "solve", np.linalg.solve, ("a", "b"), solve_args(vector=False)),
    row("det", "det", "det", np.linalg.det, args=square_args()),
    row("det-singular", "det", "det", np.linalg.det, args=singular_args),
    row("slogdet", "slogdet", "slogdet", lambda x: np.prod(np.linalg.slogdet(x), axis=0),
        args=signed_square_args),
    row("slogdet-logdet-only", "slogdet", "logdet", lambda x: np.linalg.slogdet(x)[1], args=square_args()),
    row("cholesky", "cholesky", "cholesky", np.linalg.cholesky, ("a",), spd_args),
    row("cholesky-upper", "cholesky", "cholesky_upper", lambda a: np.linalg.cholesky(a, upper=True), ("a",),
        spd_args),
    row("cholesky-gram", "cholesky", "cholesky_gram",
        lambda m: np.linalg.cholesky(m @ np.swapaxes(m, -1, -2)), ("m",), square_args()),
    row("eigvalsh", "eigvalsh", "eigvalsh", np.linalg.eigvalsh, ("a",), symmetric_args),
    row("eigvalsh-upper", "eigvalsh", "eigvalsh_upper", lambda a: np.linalg.eigvalsh(a, UPLO="U"), ("a",),
        symmetric_args),
    row("eigvalsh-symmetrised", "eigvalsh", "eigvalsh_sym", lambda m: np.linalg.eigvalsh(m + m.T), ("m",),
        normal(square=True)),
    row("eigh", "eigh", "eigh", eigh_op, ("a",), symmetric_args),
    row("eigh-upper", "eigh", "eigh_upper", lambda a: eigh_op(a, "U"), ("a",), symmetric_args),
    row("eigh-vectors-only", "eigh", "eigh_vectors",
        lambda a: np.linalg.eigh(a)[1] ** 4, ("a",), symmetric_args),
    row("eigh-values-only", "eigh", "eigh_values", lambda a: np.linalg.eigh(a)[0], ("a",), symmetric_args),
    row("pinv", "pinv", "pinv", np.linalg.pinv, args=full_rank_args),
    row("pinv-low-rank-product", "pinv", "pinv_product", lambda b, c: np.linalg.pinv(b @ c, rcond=1e-5),
        ("b", "c"), low_rank_args),
    row("pinv-hermitian", "pinv", "pinv_hermitian", lambda x: np.linalg.pinv(x, hermitian=True),
        args=hermitian_args),
    row("svd", "svd", "svd", svd_op, args=svd_args("square")),
    row("svd-reduced", "svd", "svd_reduced", lambda x: svd_op(x, False), args=svd_args()),
    row("svd-values", "svd", "svd_values", lambda x: np.linalg.svd(x, compute_uv=False), args=svd_args()),
    row("svd-values-reduced", "svd", "svd_values_reduced", lambda x: np.linalg.svd(x, False, False),
        args=svd_args()),
    row("eig", "eig", "eig", eig_op, ("a",), eig_args),
    row("eig-values-only", "eig", "eig_values", lambda a: np.linalg.eig(a)[0], ("a",), eig_args),
    row("eig-vectors-only", "eig", "eig_vectors", lambda a: np.linalg.eig(a)[1] ** 4, ("a",), eig_args),
    row("svd-full-nonsquare", "svd", "svd_full", svd_full_op, args=svd_full_args()),
    row("svd-full_matrices-drawn", "svd", "svd_full_var",
        lambda x, full, c, d, e: svd_full_op(x, c, d, e, full), args=svd_full_args(drawn=True)),
]
# fmt: on

define_tests(SPECS, globals())


# ---------------------------------------------------------------------------------------------
# Conventions at singular points, stated in the rules' comments.


def norm_rows(x):
    return np.sum(np.linalg.norm(x, axis=-1))


def norm_orders(x):
    return np.linalg.norm(x) + np.linalg.norm(x, 1) + np.linalg.norm(x, np.inf) + np.linalg.norm(x, 3)


def test_norm_gradient_is_zero_at_zero():
    _, dx = srcgrad.grad(norm_s)(np.zeros(3))
    np.testing.assert_array_equal(dx, [0.0, 0.0, 0.0])
    _, dx = srcgrad.grad(norm_rows)(np.array([[0.0, 0.0], [3.0, 4.0]]))
    np.testing.assert_allclose(dx, [[0.0, 0.0], [0.6, 0.8]])
    _, dx = srcgrad.grad(norm_orders)(np.zeros(3))
    np.testing.assert_array_equal(dx, [0.0, 0.0, 0.0])


def test_inf_norm_ties_share_the_gradient():
    _, dx = srcgrad.grad(norm_inf_s)(np.array([2.0, -2.0, 1.0]))
    np.testing.assert_array_equal(dx, [0.5, -0.5, 0.0])


def test_det_at_a_singular_matrix_is_the_cofactor_matrix():
    _, dx = srcgrad.grad(det_s)(np.array([[1.0, 2.0], [2.0, 4.0]]))
    np.testing.assert_allclose(dx, [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)


def test_cholesky_gradient_is_in_the_lower_triangle():
    a = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])
    w = np.arange(9.0).reshape(3, 3)
    _, da = srcgrad.grad(cholesky_w)(a, w)
    assert np.all(np.triu(da, 1) == 0)
    _, dm = srcgrad.grad(cholesky_gram_w)(np.linalg.cholesky(a), w)  # through a = m m^T
    m = np.linalg.cholesky(a)
    np.testing.assert_allclose(dm, (da + da.T) @ m, atol=1e-12)
    _, du = srcgrad.grad(cholesky_upper_w)(a, w.T)  # upper=True: the transposed problem
    np.testing.assert_allclose(du, da.T, atol=1e-12)


def test_eigvalsh_gradient_is_in_the_triangle_read():
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    _, da = srcgrad.grad(eigvalsh_w)(a, np.array([1.0, 2.0]))
    _, du = srcgrad.grad(eigvalsh_upper_w)(a, np.array([1.0, 2.0]))
    assert da[0, 1] == 0 and du[1, 0] == 0
    np.testing.assert_allclose(du, da.T, atol=1e-12)


def pinv_cut(x):
    return np.sum(np.linalg.pinv(x, rcond=0.1))


def test_pinv_is_refused_where_rcond_cuts_a_nonzero_singular_value():
    x = np.diag([2.0, 1.0, 0.01])
    check_grads(pinv_cut, np.diag([2.0, 1.0, 0.5]))
    with pytest.raises(ValueError, match="cut singular values that are not zero"):
        srcgrad.grad(pinv_cut)(x)


def test_eigh_with_a_repeated_eigenvalue_is_finite_for_the_values():
    da = srcgrad.grad(eigh_values_w, with_value=False)(np.eye(3), np.array([1.0, 2.0, 3.0]))
    assert np.all(np.isfinite(da))
    np.testing.assert_allclose(np.trace(da), 6.0)  # the eigenvalues sum to the trace


def einsum5(x):
    return np.sum(np.einsum("i,i,i,i,i->", x, x, x, x, x))


def test_einsum_with_more_operands_than_the_rule_takes_is_refused():
    with pytest.raises(SrcgradError, match="does not take these arguments"):
        srcgrad.grad(einsum5)(np.ones(2))


# ---------------------------------------------------------------------------------------------
# np.linalg.svd at its special points: repeated and zero singular values, the columns that
# full_matrices=True adds, the triangle hermitian=True reads; second derivatives.


def _rotated(values, m, n, seed=0):
    """`q1 diag(values) q2` with random orthogonal q1 (m, m) and q2 (n, n), and the two."""
    rng = np.random.default_rng(seed)
    q1, q2 = _orthogonal(rng, (m, m)), _orthogonal(rng, (n, n))
    k = len(values)
    return (q1[:, :k] * np.asarray(values)) @ q2[:k], q1, q2


def svd_sum(x):
    return np.sum(np.linalg.svd(x, compute_uv=False))


def svd_sum_of_three(x):
    u, s, vh = np.linalg.svd(x)
    return np.sum(s)


def svd_leading_span(x, c):
    # the projector onto the span of u's first two columns: defined where s[1] > s[2], even when
    # s[0] == s[1] leaves the two columns themselves undetermined
    u, s, vh = np.linalg.svd(x)
    return np.sum(c * (u[:, :2] @ u[:, :2].T))


def svd_leading(x, c):
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    return np.sum(c * ((u[:, :2] * s[:2]) @ vh[:2] + u[:, :2] ** 2 @ vh[:2] ** 2))


def svd_all(x):
    u, s, vh = np.linalg.svd(x)
    return np.sum((u**2 * s) @ vh**2)


def svd_vectors(x):
    return np.linalg.svd(x)


def svd_hermitian_all(x):
    u, s, vh = np.linalg.svd(x, hermitian=True)
    return np.sum((u**2 * s) @ vh**2)


def svd_cubes(x):
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    return np.sum(s**3) + np.sum((u**2 * np.expand_dims(s, -2)) @ vh**2)


def test_svd_sum_at_repeated_singular_values_is_u_vh():
    """The sum of a cluster of equal singular values is smooth: its gradient is u vh whatever
    basis of their singular spaces NumPy picks, and the rule gives exactly that."""
    x, q1, q2 = _rotated([2.0, 2.0, 1.0], 3, 3)
    for f in (svd_sum, svd_sum_of_three):
        dx = srcgrad.grad(f, with_value=False)(x)
        np.testing.assert_allclose(dx, q1 @ q2, atol=1e-12)
        check_program(f, (x,), ("x",))


def test_svd_vectors_at_repeated_singular_values():
    """Equal singular values add no term for their pair: a loss that depends on their singular
    space through its span alone gets its true gradient (against finite differences), and one
    that reads the vectors themselves a finite one."""
    x, _, _ = _rotated([2.0, 2.0, 1.0], 3, 3, seed=1)
    c = np.random.default_rng(2).standard_normal((3, 3))
    check_grads(srcgrad.grad(svd_leading_span, wrt="x"), x, c, wrt="x")
    dx = srcgrad.grad(svd_all, with_value=False)(x)
    assert np.all(np.isfinite(dx))


def test_svd_at_zero_singular_values():
    """1 / s reads as 0 where s is 0: sum(s) has gradient u vh (one of its subgradients at the kink
    of the zero singular value), and what depends on the nonzero ones alone is exact."""
    x, q1, q2 = _rotated([3.0, 1.0], 4, 3, seed=3)  # rank 2 of 3
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    assert s[2] < 1e-14
    np.testing.assert_allclose(srcgrad.grad(svd_sum, with_value=False)(x), u @ vh, atol=1e-12)
    c = np.random.default_rng(4).standard_normal((4, 3))
    check_program(svd_leading, (x, c), ("x",))
    square, _, _ = _rotated([2.0], 3, 3, seed=5)  # two zero singular values: 1 / (s_i + s_j) is 0 too
    for f in (svd_all, svd_sum_of_three):
        dx = srcgrad.grad(f, with_value=False)(square)
        assert np.all(np.isfinite(dx))


def test_svd_full_matrices_columns_turn_as_little_as_they_can():
    """full_matrices=True on a non-square matrix: u's columns beyond min(m, n) (vh's rows) keep
    orthogonal to the first ones and do not turn among themselves."""
    rng = np.random.default_rng(6)
    for m, n in ((4, 2), (2, 5)):
        x, d = rng.standard_normal((m, n)), rng.standard_normal((m, n))
        k = min(m, n)
        (u, s, vh), (du, ds, dvh) = srcgrad.jvp(svd_vectors)(x, d)
        assert du.shape == u.shape == (m, m) and dvh.shape == vh.shape == (n, n)
        for q, dq in ((u, du), (vh.T, dvh.T)):
            first, rest = q[:, :k], q[:, k:]
            np.testing.assert_allclose(first.T @ dq[:, k:], -(dq[:, :k].T @ rest), atol=1e-12)
            np.testing.assert_allclose(rest.T @ dq[:, k:], 0, atol=1e-12)
        # the first k columns (rows) move as finite differences say
        h = 1e-6
        up, _, vhp = np.linalg.svd(x + h * d)
        um, _, vhm = np.linalg.svd(x - h * d)
        np.testing.assert_allclose(du[:, :k], (up - um)[:, :k] / (2 * h), atol=1e-6)
        np.testing.assert_allclose(dvh[:k], (vhp - vhm)[:k] / (2 * h), atol=1e-6)


def svd_hermitian_values(x, w):
    return np.sum(w * np.linalg.svd(x, compute_uv=False, hermitian=True))


def svd_hermitian_weighted(x, w):
    u, s, vh = np.linalg.svd(x, hermitian=True)
    return np.sum(w * ((u**2 * np.expand_dims(s, -2)) @ vh**2))


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_svd_hermitian_against_finite_differences(data):
    """hermitian=True, which NumPy's svd computes from eigh of the lower triangle (the upper one
    is noise here), against finite differences, and forward mode against reverse mode. Not rows
    of SPECS: CuPy's svd takes no `hermitian`, and tests/test_backends.py records each row's
    keywords for CuPy (its USERS_KEYWORDS would need this one)."""
    (x,) = data.draw(svd_hermitian_args(np.float64))
    for f, shape in ((svd_hermitian_weighted, x.shape), (svd_hermitian_values, x.shape[:-1])):
        w = data.draw(_array(shape, np.float64, REAL))
        check_program(f, (x, w), ("x",))


def test_svd_hermitian_gradient_is_in_the_lower_triangle():
    x, _, _ = _rotated([3.0, -2.0, 0.5], 3, 3, seed=7)
    x = (x + x.T) / 2  # symmetric, with an eigenvalue of each sign
    dh = srcgrad.grad(svd_hermitian_all, with_value=False)(x)
    dg = srcgrad.grad(svd_all, with_value=False)(x)
    np.testing.assert_allclose(dh, np.tril(dg + dg.T, -1) + np.diag(np.diag(dg)), atol=1e-12)
    noisy = x + np.triu(np.ones((3, 3)), 1)  # the upper triangle is not read
    np.testing.assert_allclose(srcgrad.grad(svd_hermitian_all, with_value=False)(noisy), dh, atol=1e-12)


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 3, 4)])
def test_svd_second_derivatives(shape):
    """Hessian-vector products through svd (forward mode over its gradient) against central
    differences of the gradient."""
    rng = np.random.default_rng(8)
    x, v = rng.standard_normal(shape), rng.standard_normal(shape)
    for f in (svd_cubes, svd_sum):
        hv = srcgrad.hvp(f)(x, v)
        grad = srcgrad.grad(f, with_value=False)
        h = 1e-6
        np.testing.assert_allclose(hv, (grad(x + h * v) - grad(x - h * v)) / (2 * h), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# np.linalg.eig: real eigenvalues only; repeated ones; against eigh on a symmetric matrix.


def eig_sum(a):
    w, v = np.linalg.eig(a)
    return np.sum(w)


def eig_all(a):
    w, v = np.linalg.eig(a)
    return np.sum(w * v**2)


def eig_cubed(a, c):
    # sum_j w_j^3 v_j v_j^T: the same whatever order and signs the eigenvectors come in
    w, v = np.linalg.eig(a)
    return np.sum(c * ((v * w**3) @ v.T))


def eigh_cubed(a, c):
    # the same through eigh, of the symmetric part of a
    w, v = np.linalg.eigh((a + a.T) / 2)
    return np.sum(c * ((v * w**3) @ v.T))


def test_eig_refuses_complex_eigenvalues():
    rotation = np.array([[0.0, -1.0], [1.0, 0.0]])
    for f in (eig_sum, eig_all):
        with pytest.raises(srcgrad.UnsupportedArgumentsError, match="returns real eigenvalues"):
            srcgrad.grad(f)(rotation)
        with pytest.raises(srcgrad.UnsupportedArgumentsError, match="returns real eigenvalues"):
            srcgrad.jvp(f)(rotation, np.eye(2))


@pytest.mark.skipif(not EIG_REAL, reason=NEEDS_REAL_EIG)
def test_eig_at_repeated_eigenvalues():
    """The trace, the sum of the eigenvalues, has gradient I even where two are equal; a loss
    that reads the eigenvectors gets a finite one (no term for the equal pair)."""
    p = np.array([[1.0, 0.3, 0.0], [0.2, 1.0, 0.1], [0.0, 0.4, 1.0]])
    a = p @ np.diag([2.0, 2.0, -1.0]) @ np.linalg.inv(p)
    np.testing.assert_allclose(srcgrad.grad(eig_sum, with_value=False)(a), np.eye(3), atol=1e-12)
    check_program(eig_sum, (a,), ("a",))
    assert np.all(np.isfinite(srcgrad.grad(eig_all, with_value=False)(a)))


@pytest.mark.skipif(not EIG_REAL, reason=NEEDS_REAL_EIG)
def test_eig_agrees_with_eigh_on_symmetric_matrices():
    """At a symmetric matrix, eig's gradient in the symmetric directions (its symmetric part) is
    eigh's, eigenvector terms included."""
    rng = np.random.default_rng(9)
    q = _orthogonal(rng, (4, 4))
    a, c = (q * np.array([3.0, 1.0, -0.5, -2.0])) @ q.T, rng.standard_normal((4, 4))
    de = srcgrad.grad(eig_cubed, with_value=False)(a, c)
    dh = srcgrad.grad(eigh_cubed, with_value=False)(a, c)
    assert np.max(np.abs(de - de.T)) > 1e-3  # eig's moves its eigenvectors off the symmetric ones
    np.testing.assert_allclose((de + de.T) / 2, dh, atol=1e-10)


@pytest.mark.skipif(not EIG_REAL, reason=NEEDS_REAL_EIG)
def test_eig_second_derivatives():
    rng = np.random.default_rng(10)
    p = np.eye(3) + 0.2 * rng.standard_normal((3, 3))
    a, v = p @ np.diag([1.5, -1.0, 0.5]) @ np.linalg.inv(p), rng.standard_normal((3, 3))
    for f in (eig_all, eig_sum):
        grad = srcgrad.grad(f, with_value=False)
        h = 1e-6
        expected = (grad(a + h * v) - grad(a - h * v)) / (2 * h)
        np.testing.assert_allclose(srcgrad.hvp(f)(a, v), expected, rtol=1e-5, atol=1e-6)
