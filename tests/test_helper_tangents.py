"""The tangent rules of the run-time helpers (srcgrad/rules/helpers.py).

Each helper is called directly by a small function, and `srcgrad.jvp` of it is checked against
central differences along the tangents, at arguments of the kind the gradient code passes the
helper. Forward mode over generated gradient code (Hessian-vector products) relies on these
rules; the helpers added for them (the jets, `sinc_derivative_n`, `polygamma`, ...) are checked
the same way, since that code may be differentiated again.
"""

import inspect
import zlib

import numpy as np
import pytest

import srcgrad
from srcgrad import rules, runtime
from srcgrad.errors import NoGradientError
from srcgrad.runtime import (
    average_dweights,
    average_dx,
    average_weights_jvp,
    bessel,
    bessel_i1,
    broadcast_like,
    check_finite,
    cholesky_adjoint,
    cholesky_jvp,
    clipped_above,
    clipped_below,
    cofactor,
    cofactor_tangent,
    convolve_adjoint,
    convolve_jvp,
    correlate_adjoint,
    correlate_jvp,
    cross_adjoint,
    cumprod_dx,
    cumprod_dx_jet,
    cumprod_jet,
    cumprod_jvp,
    diag_adjoint,
    diagonal_adjoint,
    diff_adjoint,
    digamma,
    dot_dx,
    dot_dy,
    eig_adjoint,
    eigh_adjoint,
    eigh_jvp,
    eigvalsh_adjoint,
    eigvalsh_jvp,
    einsum_adjoint,
    einsum_adjoint_jet,
    gradient_adjoint,
    inner_dx,
    inner_dy,
    items_of,
    kron_dx,
    kron_dy,
    logsumexp_da,
    logsumexp_db,
    logsumexp_jvp_a,
    logsumexp_jvp_b,
    matmul_dx,
    matmul_dy,
    norm_adjoint,
    norm_svd_tangent,
    pad_dconstant,
    pad_dx,
    pad_jvp,
    pinv_adjoint,
    pinv_jvp,
    polygamma,
    prod_dx,
    prod_dx_jet,
    ravel_jvp,
    select_adjoint,
    shape_of,
    sinc_derivative,
    sinc_derivative_n,
    solve_da,
    solve_jvp_a,
    solve_matmul,
    solve_transposed,
    svd_adjoint,
    swapped_if,
    symmetrized,
    tensordot_dx,
    tensordot_dy,
    tie_share,
    trace_dx,
    triangle_gradient,
    unbroadcast,
    uncast,
    uncolumn_stack,
    unconcatenate,
    undstack,
    ungetitem,
    unhstack,
    unpad,
    unravel,
    unreduce,
    unrepeat,
    unsort,
    untake,
    untake_along_axis,
    untile,
    untranspose,
    unvstack,
    weights_like,
    with_item,
    written_gradient,
)
from srcgrad.runtime.fft import complex_sign, fftn_adjoint, irfftn_adjoint, rfftn_adjoint
from srcgrad.runtime.reductions import _jet_mul

# ---------------------------------------------------------------------------------------------
# The functions differentiated: each calls one helper as the gradient code does.


def f_fftn_adjoint(g, x):
    z = fftn_adjoint(g * g, x, (5,), (0,), "ortho")
    return np.real(z) + 0.5 * np.imag(z)


def f_ifftn_adjoint(g, x):
    z = fftn_adjoint(g * g, x, (2, 3), None, None, True)
    return np.real(z) - np.imag(z)


def f_rfftn_adjoint(re, im, x):
    return rfftn_adjoint((re + 1j * im) * re, x, (6,), (-1,), None)


def f_irfftn_adjoint(g, a):
    z = irfftn_adjoint(g * g, a, (3, 5), (0, 1), None)
    return np.real(z) + 0.5 * np.imag(z)


def f_complex_sign(re, im):
    z = re + 1j * im
    s = complex_sign(z * z, np.abs(z * z))
    return np.real(s) + 2.0 * np.imag(s)


def f_unbroadcast(g, x):
    return unbroadcast(g * g, x)


def f_broadcast_like(a, like):
    return broadcast_like(a * a, like)


def f_unreduce(g, x):
    return unreduce(g * g, x, 1)


def f_unreduce_kept(g, x):
    return unreduce(g, x, (0, 2), True)


def f_untranspose(g):
    return untranspose(g * g, (-1, 0, 1))


def f_ungetitem(g, x, index):
    return ungetitem(g * g, x, index)


def f_with_item(x, v):
    return with_item(x * x, np.s_[1:], v * v)


def f_written_gradient(g, v):
    return written_gradient(g * g, np.s_[:2], v)


def f_shape_of(g, x):
    return unbroadcast(g * g, shape_of(x))


def f_matmul_dx(g, x, y):
    return matmul_dx(g, x, y)


def f_matmul_dy(g, x, y):
    return matmul_dy(g, x, y)


def f_dot_dx(g, x, y):
    return dot_dx(g, x, y)


def f_dot_dy(g, x, y):
    return dot_dy(g, x, y)


def f_check_finite(g):
    check_finite(g, "here.py", 1, "g")
    return g * g


def f_uncast(g, x):
    return uncast(g * g, x)


def f_uncast_int(g, x):
    return uncast(g * g, x, "int64")


def f_clipped(x, g):
    return np.where(clipped_below(x, -1.0, 1.0) | clipped_above(x, -1.0, 1.0), 0.0, g * x)


def f_sinc_derivative(x, value):
    return sinc_derivative(x, value)


def f_sinc_derivative_n(x):
    return sinc_derivative_n(x, 2)


def f_tie_share(g, x, m):
    return g * tie_share(x, m, 1)


def f_prod_dx(g, x):
    return prod_dx(g, x, 1)


def f_prod_dx_all(g, x):
    return prod_dx(g, x)


def f_prod_dx_jet(g, x, d):
    return prod_dx_jet(g, (x, d), 0, True)


def f_cumprod_dx(g, p, x):
    return cumprod_dx(g, p, x, 1)


def f_cumprod_dx_total(g, x):
    return cumprod_dx(g, np.cumprod(x, 1), x, 1)


def f_cumprod_jvp(d, p, x):
    return cumprod_jvp(d, p, x)


def f_cumprod_jvp_total(d, x):
    return cumprod_jvp(d, np.cumprod(x, 1), x, 1)


def f_cumprod_jet(x, d):
    return cumprod_jet((x, d), 0)


def f_cumprod_dx_jet(g, x, d):
    return cumprod_dx_jet(g, (x, d))


def f_average_dx(g, x, w):
    return average_dx(g, x, 1, w)


def f_average_dx_full(g, x, w):
    return average_dx(g, x, (0, 2), w, True)


def f_average_dweights(g, m, x, w):
    return average_dweights(g, m, x, 1, w)


def f_average_dweights_full(g, m, x, w):
    return average_dweights(g, m, x, None, w)


def f_average_weights_jvp(d, m, x, w):
    return average_weights_jvp(d, m, x, 1, w)


def f_trace_dx(g, x):
    return trace_dx(g * g, x, 1)


def f_weights_like(x, w):
    return weights_like(x, (2, 0), w * w)


def f_items_of(x):
    return items_of(x * x)


def f_inner_dx(g, x, y):
    return inner_dx(g, x, y)


def f_inner_dy(g, x, y):
    return inner_dy(g, x, y)


def f_tensordot_dx(g, x, y):
    return tensordot_dx(g, x, y, ([1], [0]))


def f_tensordot_dy(g, x, y):
    return tensordot_dy(g, x, y, ([1], [0]))


def f_einsum_adjoint(g, x, y, z):
    return einsum_adjoint(g, ("ij,jk,k->i", x, y, z), 2)


def f_einsum_adjoint_interleaved(g, x, y):
    return einsum_adjoint(g, (x, [0, 1], y, [1, 2], [0, 2]), 0)


def f_einsum_adjoint_jet(g, x, y, dx, dy):
    return einsum_adjoint_jet(g, (("ij,jk->ik", x, y), ("", dx, dy)), 1)


def f_kron_dx(g, x, y):
    return kron_dx(g, x, y)


def f_kron_dy(g, x, y):
    return kron_dy(g, x, y)


def f_diag_adjoint(g, x):
    return diag_adjoint(g * g, x, 1)


def f_diagonal_adjoint(g, x):
    return diagonal_adjoint(g * g, x, 1, 0, 2)


def f_symmetrized(x):
    return symmetrized(x * x, "U")


def f_triangle_gradient(s):
    return triangle_gradient(s * s, False)


def f_swapped_if(x):
    return swapped_if(x * x, True)


def f_solve_matmul(m, v, a, b):
    return solve_matmul(m, v, a, b)


def f_norm(g, n, x):
    return norm_adjoint(g, n, x)


def f_norm_axis(g, n, x):
    return norm_adjoint(g, n, x, None, 1, True)


def f_norm_fro(g, n, x):
    return norm_adjoint(g, n, x, "fro", (0, 2))


def f_norm_p(g, n, x):
    return norm_adjoint(g, n, x, 3, 1)


def f_norm_half(g, n, x):
    return norm_adjoint(g, n, x, 0.5, 0)


def f_norm_inf(g, n, x):
    return norm_adjoint(g, n, x, np.inf)


def f_norm_matrix_1(g, n, x):
    return norm_adjoint(g, n, x, 1)


def f_norm_nuc(g, n, x):
    return norm_adjoint(g, n, x, "nuc")


def f_norm_2(g, n, x):
    return norm_adjoint(g, n, x, 2, (2, 0))


def f_norm_minus_2(g, n, x):
    return norm_adjoint(g, n, x, -2)


def f_norm_svd_tangent(g, x, d):
    return norm_svd_tangent(g, x, d, "nuc")


def f_cofactor(x):
    return cofactor(x)


def f_cofactor_tangent(x, d):
    return cofactor_tangent(x, d)


def f_solve_transposed(a, g, b):
    return solve_transposed(a, g, b)


def f_solve_da(gb, s, a, b):
    return solve_da(gb, s, a, b)


def f_solve_jvp_a(d, s, a, b):
    return solve_jvp_a(d, s, a, b)


def f_cholesky_adjoint(g, factor):
    return cholesky_adjoint(g, factor)


def f_cholesky_adjoint_upper(g, factor):
    return cholesky_adjoint(g, factor, True)


def f_cholesky_jvp(d, factor):
    return cholesky_jvp(d, factor)


def f_cholesky_jvp_upper(d, factor):
    return cholesky_jvp(d, factor, True)


def f_eigvalsh_adjoint(g, a):
    return eigvalsh_adjoint(g, a, "U")


def f_eigvalsh_jvp(d, a):
    return eigvalsh_jvp(d, a)


def f_eigh_adjoint(gw, gv, w, v):
    return eigh_adjoint((gw, gv), (w, v))


def f_eigh_jvp(d, w, v):
    return eigh_jvp(d, (w, v))


def f_pinv_adjoint(g, inverse, x):
    return pinv_adjoint(g, inverse, x)


def f_pinv_adjoint_hermitian(g, inverse, x):
    return pinv_adjoint(g, inverse, x, True)


def f_pinv_adjoint_total(g, x):
    return pinv_adjoint(g, np.linalg.pinv(x), x)


def f_pinv_jvp_total(d, x):
    return pinv_jvp(d, np.linalg.pinv(x), x)


def f_pinv_jvp(d, inverse, x):
    return pinv_jvp(d, inverse, x)


def f_pinv_jvp_hermitian(d, inverse, x):
    return pinv_jvp(d, inverse, x, True)


def f_eig_adjoint(gw, gv, w, v):
    return eig_adjoint((gw, gv), (w, v))


def f_svd_adjoint(gu, gs, gvh, u, s, vh):
    return svd_adjoint((gu, gs, gvh), (u, s, vh), None, False)


def f_svd_adjoint_full(gu, gs, gvh, u, s, vh):
    return svd_adjoint((gu, gs, gvh), (u, s, vh), None)


def f_svd_adjoint_hermitian(gu, gs, gvh, u, s, vh):
    return svd_adjoint((gu, gs, gvh), (u, s, vh), None, True, True, True)


def f_svd_adjoint_values(g, s, x):
    return svd_adjoint(g, s, x, True, False)


def f_svd_adjoint_values_hermitian(g, s, x):
    return svd_adjoint(g, s, x, True, False, True)


def f_svd_adjoint_flag(gu, gs, gvh, u, s, vh, compute_uv):
    # compute_uv a variable: the rule's general form
    return svd_adjoint((gu, gs, gvh), (u, s, vh), None, False, compute_uv)


def f_unravel(g, x):
    return unravel(g * g, x, "F")


def f_ravel_jvp(d, x):
    return ravel_jvp(d * d, x, "F")


def f_unconcatenate(g, a, b):
    return unconcatenate(g * g, [a, b], 1)


def f_unhstack(g, a, b):
    return unhstack(g * g, [a, b])


def f_unvstack(g, a, b):
    return unvstack(g * g, [a, b])


def f_unrepeat(g, x):
    return unrepeat(g * g, x, [2, 3])


def f_untile(g, x):
    return untile(g * g, x, (2, 1))


def f_unpad(g):
    return unpad(g * g, ((1, 0), (0, 2)))


def f_pad_dx(g, x):
    return pad_dx(g * g, x, 1, "reflect")


def f_pad_dconstant(g, c):
    return pad_dconstant(g * g, 1, c)


def f_pad_jvp(d):
    return pad_jvp(d * d, ((1, 2),), "edge")


def f_untake(g, x, indices):
    return untake(g * g, x, indices, 1)


def f_untake_along_axis(g, x, indices):
    return untake_along_axis(g * g, x, indices, 0)


def f_unsort(g, x):
    return unsort(g * g, x, 0)


def f_undstack(g, a, b):
    return undstack(g * g, [a, b])


def f_uncolumn_stack(g, a, b):
    return uncolumn_stack(g * g, [a, b])


def f_select_adjoint(g, a, b):
    return select_adjoint(g * g, [a > 0.0, b > 0.0], [a, b])


def f_convolve_adjoint(g, a, b):  # full: g has 4 + 3 - 1 = 6 items
    return convolve_adjoint(g * g, a, b * b)


def f_convolve_adjoint_valid(g, a, b):  # part 1, valid: g has 4 - 3 + 1 = 2 items
    return convolve_adjoint(g * g, a * a, b, "valid", "direct", 1)


def f_correlate_adjoint_same(g, a, b):
    return correlate_adjoint(g * g, a, b * b, "same")


def f_correlate_adjoint_2d(g, a, b):  # part 1 of a 2-D correlation, full
    return correlate_adjoint(g * g, a * a, b, "full", "auto", 1)


def f_convolve_jvp(t, a, b):
    return convolve_jvp(t * t, a, b * b)


def f_correlate_jvp_valid(t, a, b):
    return correlate_jvp(t * t, a * a, b, "valid", "direct", 1)


def f_cross_adjoint(g, a, b):
    return cross_adjoint(g * g, a, b * b)


def f_cross_adjoint_axes(g, a, b):
    return cross_adjoint(g * g, a, b * b, 0, -1, 0)


def f_diff_adjoint(g, a):
    return diff_adjoint(g * g, a, 2, 0)


def f_diff_adjoint_prepend(g, a, p):
    return diff_adjoint(g * g, a, 1, -1, p, None, "prepend")


def f_gradient_adjoint(g0, g1, f):
    return gradient_adjoint([g0 * g0, g1 * g1], f, 0.5)


def f_bessel_i1(x):
    return bessel_i1(x)


def f_bessel_j(x):
    return bessel("j", 1.5, x) + bessel("j", -1, x)


def f_bessel_y(x):
    return bessel("y", 2, x) * bessel("y", 0.5, x)


def f_bessel_i(x):
    return bessel("i", 0, x) + bessel("i", 2.5, np.abs(x))


def f_bessel_ie(x):
    return bessel("ie", 0, x) + bessel("ie", 3, x)


def f_digamma(x):
    return digamma(x)


def f_polygamma(x):
    return polygamma(2, x)


def f_logsumexp_da(g, lse, a, b):
    return logsumexp_da(g, lse, a, 1, False, b)


def f_logsumexp_da_plain(g, lse, a):
    return logsumexp_da(g, lse, a, 1, True)


def f_logsumexp_db(g, lse, a, b):
    return logsumexp_db(g, lse, a, 1, False, b)


def f_logsumexp_jvp_a(d, lse, a, b):
    return logsumexp_jvp_a(d, lse, a, 1, False, b)


def f_logsumexp_jvp_b(d, lse, a, b):
    return logsumexp_jvp_b(d, lse, a, 1, False, b)


# ---------------------------------------------------------------------------------------------
# Arguments


def _normal(rng, *shape):
    return rng.normal(size=shape)


def _spd(rng, n):
    a = rng.normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


def _symmetric(rng, n):
    a = rng.normal(size=(n, n))
    return a + a.T


def _lse(a, axis, b=None, keepdims=False):
    w = np.exp(a) if b is None else b * np.exp(a)
    return np.log(np.sum(w, axis=axis, keepdims=keepdims))


def _with_zeros(rng):
    x = rng.normal(size=(4, 5))
    x[1, 2] = 0.0  # one zero in a lane
    x[2, 1] = x[2, 3] = 0.0  # two
    x[3, 0] = x[3, 2] = x[3, 4] = 0.0  # three
    return x


def _norm_args(rng, x, ord=None, axis=None, keepdims=False):
    n = np.linalg.norm(x, ord, axis, keepdims)
    return (rng.normal(size=np.shape(n)), n, x)


def _eigh_args(rng):
    w, v = np.linalg.eigh(_symmetric(rng, 3))
    return (rng.normal(size=3), rng.normal(size=(3, 3)), w, v)


def _eig_args(rng):
    """Gradients (gw, gv), then w and v of a matrix with real, separated eigenvalues."""
    p = np.eye(3) + 0.3 * rng.normal(size=(3, 3))
    w, v = np.linalg.eig(p @ np.diag([2.0, -1.0, 0.5]) @ np.linalg.inv(p))
    return (rng.normal(size=3), rng.normal(size=(3, 3)), w.real, v.real)  # complex on NumPy 2.5


def _svd_args(rng, m, n, full_matrices=False, hermitian=False):
    """Gradients (gu, gs, gvh), then u, s and vh of a random matrix (m, n)."""
    x = _symmetric(rng, m) if hermitian else rng.normal(size=(m, n))
    u, s, vh = np.linalg.svd(x, full_matrices=full_matrices, hermitian=hermitian)
    return (_normal(rng, *u.shape), _normal(rng, *s.shape), _normal(rng, *vh.shape), u, s, vh)


def _svd_values_args(rng, m, n, hermitian=False):
    """A gradient, then the singular values of a random matrix and the matrix (its
    upper triangle noise that hermitian=True ignores)."""
    x = rng.normal(size=(m, n))
    s = np.linalg.svd(x, compute_uv=False, hermitian=hermitian)
    return (_normal(rng, *(s.shape if not hermitian else (m, n))), s, x)


def _pinv_args(rng, hermitian=False):
    x = _symmetric(rng, 3) if hermitian else rng.normal(size=(4, 3))
    inverse = np.linalg.pinv(x, hermitian=hermitian)
    return (rng.normal(size=inverse.shape), inverse, x)


# (helper, function, arguments from a generator, the parameters differentiated); the tangents
# are random, except where given (a function of the arguments and the generator)
CASES = [
    ("fftn_adjoint", f_fftn_adjoint, lambda r: (_normal(r, 5, 2), _normal(r, 3, 2)), ("g",)),
    ("fftn_adjoint", f_ifftn_adjoint, lambda r: (_normal(r, 2, 3), _normal(r, 4, 2)), ("g",)),
    (
        "rfftn_adjoint",
        f_rfftn_adjoint,
        lambda r: (_normal(r, 2, 4), _normal(r, 2, 4), _normal(r, 2, 5)),
        ("re", "im"),
    ),
    ("irfftn_adjoint", f_irfftn_adjoint, lambda r: (_normal(r, 3, 5), _normal(r, 2, 4)), ("g",)),
    ("complex_sign", f_complex_sign, lambda r: (_normal(r, 4), _normal(r, 4)), ("re", "im")),
    ("unbroadcast", f_unbroadcast, lambda r: (_normal(r, 4, 3), _normal(r, 3)), ("g", "x")),
    ("broadcast_like", f_broadcast_like, lambda r: (_normal(r, 3), _normal(r, 2, 3)), ("a",)),
    ("unreduce", f_unreduce, lambda r: (_normal(r, 2), _normal(r, 2, 3)), ("g",)),
    ("unreduce", f_unreduce_kept, lambda r: (_normal(r, 1, 3, 1), _normal(r, 2, 3, 4)), ("g",)),
    ("untranspose", f_untranspose, lambda r: (_normal(r, 2, 3, 4),), ("g",)),
    ("with_item", f_with_item, lambda r: (_normal(r, 4, 2), _normal(r, 3, 2)), ("x", "v")),
    ("written_gradient", f_written_gradient, lambda r: (_normal(r, 4, 2), _normal(r, 2)), ("g",)),
    ("ungetitem", f_ungetitem, lambda r: (_normal(r, 3, 2), _normal(r, 4, 2), np.array([0, 2, 0])), ("g",)),
    ("shape_of", f_shape_of, lambda r: (_normal(r, 4, 3), _normal(r, 3)), ("g",)),
    (
        "matmul_dx",
        f_matmul_dx,
        lambda r: (_normal(r, 2, 4), _normal(r, 2, 3), _normal(r, 3, 4)),
        ("g", "x", "y"),
    ),
    ("matmul_dx", f_matmul_dx, lambda r: (_normal(r, 2, 3), _normal(r, 2, 3, 4), _normal(r, 4)), ("g", "y")),
    (
        "matmul_dy",
        f_matmul_dy,
        lambda r: (_normal(r, 2, 4), _normal(r, 2, 3), _normal(r, 3, 4)),
        ("g", "x", "y"),
    ),
    ("matmul_dy", f_matmul_dy, lambda r: (_normal(r, 2, 4), _normal(r, 3), _normal(r, 2, 3, 4)), ("g", "x")),
    ("dot_dx", f_dot_dx, lambda r: (_normal(r, 2, 4, 5), _normal(r, 2, 3), _normal(r, 4, 3, 5)), ("g", "y")),
    ("dot_dx", f_dot_dx, lambda r: (_normal(r, 3), 1.5, _normal(r, 3)), ("g", "y")),
    ("dot_dy", f_dot_dy, lambda r: (_normal(r, 2, 4, 5), _normal(r, 2, 3), _normal(r, 4, 3, 5)), ("g", "x")),
    ("check_finite", f_check_finite, lambda r: (_normal(r, 3),), ("g",)),
    ("uncast", f_uncast, lambda r: (_normal(r, 3), _normal(r, 3)), ("g",)),
    ("uncast", f_uncast_int, lambda r: (_normal(r, 3), _normal(r, 3)), ("g",)),
    ("clipped_below", f_clipped, lambda r: (np.array([-3.0, -0.5, 0.2, 2.0]), _normal(r, 4)), ("x", "g")),
    ("clipped_above", f_clipped, lambda r: (np.array([-3.0, 0.4, 0.7, 2.5]), _normal(r, 4)), ("x", "g")),
    (
        "sinc_derivative",
        f_sinc_derivative,
        lambda r: (np.array([-2.7, -0.6, -0.1, 0.0, 0.2, 0.3, 1.0, 3.4]),) * 2,
        ("x", "value"),
    ),
    ("sinc_derivative_n", f_sinc_derivative_n, lambda r: (np.array([-2.7, -0.9, 0.0, 0.3, 1.2]),), ("x",)),
    (
        "tie_share",
        f_tie_share,
        lambda r: (_normal(r, 2, 3), np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]]), np.array([3.0, 2.0])),
        ("g",),
    ),
    ("prod_dx", f_prod_dx, lambda r: (_normal(r, 4), _with_zeros(r)), ("g", "x")),
    ("prod_dx", f_prod_dx_all, lambda r: (1.5, _normal(r, 2, 3)), ("g", "x")),
    (
        "prod_dx_jet",
        f_prod_dx_jet,
        lambda r: (_normal(r, 1, 5), _normal(r, 4, 5), _normal(r, 4, 5)),
        ("g", "x", "d"),
    ),
    (
        "cumprod_dx",
        f_cumprod_dx,
        lambda r: (lambda x: (_normal(r, 3, 4), np.cumprod(x, 1), x))(_normal(r, 3, 4)),
        ("g", "p", "x"),
    ),
    ("cumprod_dx", f_cumprod_dx_total, lambda r: (_normal(r, 4, 5), _with_zeros(r)), ("g", "x")),
    (
        "cumprod_jvp",
        f_cumprod_jvp,
        lambda r: (lambda x: (_normal(r, 3, 4), np.cumprod(x), x))(_normal(r, 3, 4)),
        ("d", "p", "x"),
    ),
    ("cumprod_jvp", f_cumprod_jvp_total, lambda r: (_normal(r, 4, 5), _with_zeros(r)), ("d", "x")),
    ("cumprod_jet", f_cumprod_jet, lambda r: (_normal(r, 5, 2), _normal(r, 5, 2)), ("x", "d")),
    (
        "cumprod_dx_jet",
        f_cumprod_dx_jet,
        lambda r: (_normal(r, 6), _normal(r, 2, 3), _normal(r, 2, 3)),
        ("g", "x", "d"),
    ),
    ("average_dx", f_average_dx, lambda r: (_normal(r, 2), _normal(r, 2, 3), r.uniform(1, 2, 3)), ("g", "w")),
    (
        "average_dx",
        f_average_dx_full,
        lambda r: (_normal(r, 1, 3, 1), _normal(r, 2, 3, 4), r.uniform(1, 2, (2, 3, 4))),
        ("g", "w"),
    ),
    (
        "average_dweights",
        f_average_dweights,
        lambda r: (_normal(r, 2), _normal(r, 2), _normal(r, 2, 3), r.uniform(1, 2, 3)),
        ("g", "m", "x", "w"),
    ),
    (
        "average_dweights",
        f_average_dweights_full,
        lambda r: (1.5, 0.3, _normal(r, 2, 3), r.uniform(1, 2, (2, 3))),
        ("g", "m", "x", "w"),
    ),
    (
        "average_weights_jvp",
        f_average_weights_jvp,
        lambda r: (_normal(r, 3), _normal(r, 2), _normal(r, 2, 3), r.uniform(1, 2, 3)),
        ("d", "m", "x", "w"),
    ),
    ("trace_dx", f_trace_dx, lambda r: (_normal(r, 4), _normal(r, 2, 3, 4)), ("g",)),
    ("weights_like", f_weights_like, lambda r: (_normal(r, 2, 3, 4), _normal(r, 4, 2)), ("w",)),
    ("items_of", f_items_of, lambda r: (_normal(r, 3, 2),), ("x",)),
    (
        "inner_dx",
        f_inner_dx,
        lambda r: (_normal(r, 2, 4), _normal(r, 2, 3), _normal(r, 4, 3)),
        ("g", "x", "y"),
    ),
    (
        "inner_dy",
        f_inner_dy,
        lambda r: (_normal(r, 2, 4), _normal(r, 2, 3), _normal(r, 4, 3)),
        ("g", "x", "y"),
    ),
    (
        "tensordot_dx",
        f_tensordot_dx,
        lambda r: (_normal(r, 2, 4), _normal(r, 2, 3), _normal(r, 3, 4)),
        ("g", "y"),
    ),
    (
        "tensordot_dy",
        f_tensordot_dy,
        lambda r: (_normal(r, 2, 4), _normal(r, 2, 3), _normal(r, 3, 4)),
        ("g", "x"),
    ),
    (
        "einsum_adjoint",
        f_einsum_adjoint,
        lambda r: (_normal(r, 2), _normal(r, 2, 3), _normal(r, 3, 4), _normal(r, 4)),
        ("g", "x", "y", "z"),
    ),
    (
        "einsum_adjoint",
        f_einsum_adjoint_interleaved,
        lambda r: (_normal(r, 2, 4), _normal(r, 2, 3), _normal(r, 3, 4)),
        ("g", "y"),
    ),
    (
        "einsum_adjoint_jet",
        f_einsum_adjoint_jet,
        lambda r: tuple(_normal(r, *s) for s in [(2, 4), (2, 3), (3, 4), (2, 3), (3, 4)]),
        ("g", "x", "y", "dx", "dy"),
    ),
    ("kron_dx", f_kron_dx, lambda r: (_normal(r, 2, 6), _normal(r, 1, 2), _normal(r, 2, 3)), ("g", "y")),
    ("kron_dy", f_kron_dy, lambda r: (_normal(r, 2, 6), _normal(r, 1, 2), _normal(r, 2, 3)), ("g", "x")),
    ("diag_adjoint", f_diag_adjoint, lambda r: (_normal(r, 3, 3), _normal(r, 2)), ("g",)),
    ("diagonal_adjoint", f_diagonal_adjoint, lambda r: (_normal(r, 4, 2), _normal(r, 2, 4, 3)), ("g",)),
    ("symmetrized", f_symmetrized, lambda r: (_normal(r, 2, 3, 3),), ("x",)),
    ("triangle_gradient", f_triangle_gradient, lambda r: (_normal(r, 3, 3),), ("s",)),
    ("swapped_if", f_swapped_if, lambda r: (_normal(r, 2, 3),), ("x",)),
    (
        "solve_matmul",
        f_solve_matmul,
        lambda r: (_normal(r, 2, 3, 3), _normal(r, 2, 3), _normal(r, 2, 3, 3), _normal(r, 3)),
        ("m", "v"),
    ),
    ("norm_adjoint", f_norm, lambda r: _norm_args(r, _normal(r, 5)), ("g", "n", "x")),
    ("norm_adjoint", f_norm_axis, lambda r: _norm_args(r, _normal(r, 2, 3), None, 1, True), ("g", "n", "x")),
    (
        "norm_adjoint",
        f_norm_fro,
        lambda r: _norm_args(r, _normal(r, 2, 3, 4), "fro", (0, 2)),
        ("g", "n", "x"),
    ),
    ("norm_adjoint", f_norm_p, lambda r: _norm_args(r, _normal(r, 2, 3), 3, 1), ("g", "n", "x")),
    ("norm_adjoint", f_norm_half, lambda r: _norm_args(r, _normal(r, 3, 2), 0.5, 0), ("g", "n", "x")),
    ("norm_adjoint", f_norm_nuc, lambda r: _norm_args(r, _normal(r, 3, 3), "nuc"), ("g", "x")),
    ("norm_adjoint", f_norm_2, lambda r: _norm_args(r, _normal(r, 3, 2, 4), 2, (2, 0)), ("g", "x")),
    ("norm_adjoint", f_norm_minus_2, lambda r: _norm_args(r, _normal(r, 2, 4), -2), ("g", "x")),
    # the matrix 1-norm: along a direction that keeps the largest column, so that it stays largest
    (
        "norm_adjoint",
        f_norm_matrix_1,
        lambda r: _norm_args(r, _normal(r, 3, 3), 1),
        ("g", "x"),
        lambda a, r: (r.normal(), _normal(r, 3, 3) * (np.sum(np.abs(a[2]), 0) != a[1])),
    ),
    # the inf-norm: along a direction that keeps the largest entry, where the shares stay put
    (
        "norm_adjoint",
        f_norm_inf,
        lambda r: _norm_args(r, np.array([1.0, -4.0, 2.0]), np.inf),
        ("g", "x"),
        lambda a, r: (1.0, np.array([0.5, 0.0, -1.0])),
    ),
    ("norm_svd_tangent", f_norm_svd_tangent, lambda r: (1.5, _normal(r, 3, 2), _normal(r, 3, 2)), ("g", "d")),
    ("cofactor", f_cofactor, lambda r: (_normal(r, 2, 3, 3),), ("x",)),
    ("cofactor", f_cofactor, lambda r: (_normal(r, 4, 2) @ _normal(r, 2, 4),), ("x",)),  # rank 2 of 4
    ("cofactor_tangent", f_cofactor_tangent, lambda r: (_normal(r, 3, 3), _normal(r, 3, 3)), ("x", "d")),
    (
        "solve_transposed",
        f_solve_transposed,
        lambda r: (_spd(r, 3) + _normal(r, 3, 3), _normal(r, 3), _normal(r, 3)),
        ("a", "g"),
    ),
    (
        "solve_transposed",
        f_solve_transposed,
        lambda r: (_spd(r, 3) + _normal(r, 3, 3), _normal(r, 3, 2), _normal(r, 3, 2)),
        ("a", "g"),
    ),
    (
        "solve_da",
        f_solve_da,
        lambda r: (_normal(r, 3), _normal(r, 3), _normal(r, 3, 3), _normal(r, 3)),
        ("gb", "s"),
    ),
    (
        "solve_jvp_a",
        f_solve_jvp_a,
        lambda r: (_normal(r, 3, 3), _normal(r, 3, 2), _spd(r, 3) + _normal(r, 3, 3), _normal(r, 3, 2)),
        ("d", "s", "a"),
    ),
    (
        "cholesky_adjoint",
        f_cholesky_adjoint,
        lambda r: (_normal(r, 3, 3), np.linalg.cholesky(_spd(r, 3))),
        ("g", "factor"),
    ),
    (
        "cholesky_adjoint",
        f_cholesky_adjoint_upper,
        lambda r: (_normal(r, 3, 3), np.linalg.cholesky(_spd(r, 3)).T),
        ("g", "factor"),
    ),
    (
        "cholesky_jvp",
        f_cholesky_jvp,
        lambda r: (_normal(r, 3, 3), np.linalg.cholesky(_spd(r, 3))),
        ("d", "factor"),
    ),
    (
        "cholesky_jvp",
        f_cholesky_jvp_upper,
        lambda r: (_normal(r, 3, 3), np.linalg.cholesky(_spd(r, 3)).T),
        ("d", "factor"),
    ),
    ("eigvalsh_adjoint", f_eigvalsh_adjoint, lambda r: (_normal(r, 3), _symmetric(r, 3)), ("g", "a")),
    ("eigvalsh_jvp", f_eigvalsh_jvp, lambda r: (_normal(r, 3, 3), _symmetric(r, 3)), ("d", "a")),
    ("eigh_adjoint", f_eigh_adjoint, _eigh_args, ("gw", "gv", "w", "v")),
    ("eigh_jvp", f_eigh_jvp, lambda r: _eigh_args(r)[1:], ("d",)),
    ("eigh_jvp", f_eigh_jvp, lambda r: _eigh_args(r)[1:], ("w", "v")),
    ("pinv_adjoint", f_pinv_adjoint, _pinv_args, ("g", "inverse", "x")),
    ("pinv_adjoint", f_pinv_adjoint_total, lambda r: _pinv_args(r)[::2], ("g", "x")),
    ("pinv_jvp", f_pinv_jvp_total, lambda r: (_normal(r, 4, 3), _normal(r, 4, 3)), ("d", "x")),
    ("pinv_adjoint", f_pinv_adjoint_hermitian, lambda r: _pinv_args(r, True), ("g", "inverse", "x")),
    ("eig_adjoint", f_eig_adjoint, _eig_args, ("gw", "gv", "w", "v")),
    ("svd_adjoint", f_svd_adjoint, lambda r: _svd_args(r, 4, 3), ("gu", "gs", "gvh", "u", "s", "vh")),
    ("svd_adjoint", f_svd_adjoint, lambda r: _svd_args(r, 2, 3), ("gu", "gs", "gvh", "u", "s", "vh")),
    ("svd_adjoint", f_svd_adjoint_full, lambda r: _svd_args(r, 2, 4, True), ("gu", "gvh", "u", "s", "vh")),
    ("svd_adjoint", f_svd_adjoint_full, lambda r: _svd_args(r, 4, 2, True), ("gu", "gvh", "u", "s", "vh")),
    ("svd_adjoint", f_svd_adjoint_hermitian, lambda r: _svd_args(r, 3, 3, True, True), ("gu", "u", "vh")),
    (
        "svd_adjoint",
        f_svd_adjoint_flag,
        lambda r: (*_svd_args(r, 3, 2), True),
        ("gu", "gs", "gvh", "u", "s", "vh"),
    ),
    ("svd_adjoint", f_svd_adjoint_values, lambda r: _svd_values_args(r, 3, 4), ("g", "x")),
    (
        "svd_adjoint",
        f_svd_adjoint_values_hermitian,
        lambda r: (lambda g, s, x: (_normal(r, 3), s, x))(*_svd_values_args(r, 3, 3, True)),
        ("g", "x"),
    ),
    (
        "pinv_jvp",
        f_pinv_jvp,
        lambda r: (lambda g, i, x: (_normal(r, *x.shape), i, x))(*_pinv_args(r)),
        ("d", "inverse", "x"),
    ),
    (
        "pinv_jvp",
        f_pinv_jvp_hermitian,
        lambda r: (lambda g, i, x: (_normal(r, 3, 3), i, x))(*_pinv_args(r, True)),
        ("d", "inverse", "x"),
    ),
    ("unravel", f_unravel, lambda r: (_normal(r, 6), _normal(r, 2, 3)), ("g",)),
    ("ravel_jvp", f_ravel_jvp, lambda r: (_normal(r, 2, 3), _normal(r, 2, 3)), ("d",)),
    (
        "unconcatenate",
        f_unconcatenate,
        lambda r: (_normal(r, 2, 5), _normal(r, 2, 2), _normal(r, 2, 3)),
        ("g",),
    ),
    ("unhstack", f_unhstack, lambda r: (_normal(r, 3), 1.0, _normal(r, 2)), ("g",)),
    ("unvstack", f_unvstack, lambda r: (_normal(r, 3, 2), _normal(r, 2), _normal(r, 2, 2)), ("g",)),
    ("unrepeat", f_unrepeat, lambda r: (_normal(r, 5), _normal(r, 2)), ("g",)),
    ("untile", f_untile, lambda r: (_normal(r, 4, 3), _normal(r, 2, 3)), ("g",)),
    ("unpad", f_unpad, lambda r: (_normal(r, 3, 5),), ("g",)),
    ("pad_dx", f_pad_dx, lambda r: (_normal(r, 6), _normal(r, 4)), ("g",)),
    ("pad_dconstant", f_pad_dconstant, lambda r: (_normal(r, 5), 0.5), ("g",)),
    ("pad_jvp", f_pad_jvp, lambda r: (_normal(r, 3),), ("d",)),
    ("untake", f_untake, lambda r: (_normal(r, 2, 3), _normal(r, 2, 4), np.array([3, 0, 3])), ("g",)),
    (
        "untake_along_axis",
        f_untake_along_axis,
        lambda r: (_normal(r, 2, 3), _normal(r, 4, 3), np.array([[0, 1, 0], [0, 3, 3]])),
        ("g",),
    ),
    ("unsort", f_unsort, lambda r: (_normal(r, 4, 2), _normal(r, 4, 2)), ("g", "x")),
    (
        "uncolumn_stack",
        f_uncolumn_stack,
        lambda r: (_normal(r, 3, 3), _normal(r, 3), _normal(r, 3, 2)),
        ("g",),
    ),
    ("undstack", f_undstack, lambda r: (_normal(r, 1, 3, 3), _normal(r, 3), _normal(r, 1, 3, 2)), ("g",)),
    ("select_adjoint", f_select_adjoint, lambda r: (_normal(r, 4), _normal(r, 4), _normal(r, 4)), ("g",)),
    (
        "convolve_adjoint",
        f_convolve_adjoint,
        lambda r: (_normal(r, 6), _normal(r, 4), _normal(r, 3)),
        ("g", "a", "b"),
    ),
    (
        "convolve_adjoint",
        f_convolve_adjoint_valid,
        lambda r: (_normal(r, 2), _normal(r, 4), _normal(r, 3)),
        ("g", "a", "b"),
    ),
    (
        "correlate_adjoint",
        f_correlate_adjoint_same,
        lambda r: (_normal(r, 4), _normal(r, 4), _normal(r, 3)),
        ("g", "a", "b"),
    ),
    (
        "correlate_adjoint",
        f_correlate_adjoint_2d,
        lambda r: (_normal(r, 4, 4), _normal(r, 3, 2), _normal(r, 2, 3)),
        ("g", "a", "b"),
    ),
    (
        "convolve_jvp",
        f_convolve_jvp,
        lambda r: (_normal(r, 4), _normal(r, 4), _normal(r, 3)),
        ("t", "a", "b"),
    ),
    (
        "correlate_jvp",
        f_correlate_jvp_valid,
        lambda r: (_normal(r, 3), _normal(r, 4), _normal(r, 3)),
        ("t", "a", "b"),
    ),
    (
        "cross_adjoint",
        f_cross_adjoint,
        lambda r: (_normal(r, 2, 3), _normal(r, 3), _normal(r, 2, 3)),
        ("g", "b"),
    ),
    (
        "cross_adjoint",
        f_cross_adjoint_axes,
        lambda r: (_normal(r, 3, 2), _normal(r, 3, 2), _normal(r, 2, 3)),
        ("g", "b"),
    ),
    ("diff_adjoint", f_diff_adjoint, lambda r: (_normal(r, 3, 2), _normal(r, 5, 2)), ("g",)),
    ("diff_adjoint", f_diff_adjoint_prepend, lambda r: (_normal(r, 4), _normal(r, 3), 0.5), ("g",)),
    (
        "gradient_adjoint",
        f_gradient_adjoint,
        lambda r: (_normal(r, 3, 4), _normal(r, 3, 4), _normal(r, 3, 4)),
        ("g0", "g1"),
    ),
    ("bessel_i1", f_bessel_i1, lambda r: (np.array([-2.0, -0.3, 0.0, 0.4, 5.0]),), ("x",)),
    ("bessel", f_bessel_j, lambda r: (r.uniform(0.3, 6, 5),), ("x",)),
    ("bessel", f_bessel_y, lambda r: (r.uniform(0.3, 6, 5),), ("x",)),
    ("bessel", f_bessel_i, lambda r: (np.array([-2.7, -0.4, 0.8, 3.0]),), ("x",)),
    # at 0 the kink of exp(-|x|), where ive(0, x)'s rule takes the mean slope: its central
    # difference there, ive(0, x) being even
    ("bessel", f_bessel_ie, lambda r: (np.array([-3.1, -0.6, 0.0, 0.9, 4.2]),), ("x",)),
    ("digamma", f_digamma, lambda r: (r.uniform(0.5, 3, 4),), ("x",)),
    ("polygamma", f_polygamma, lambda r: (r.uniform(0.5, 3, 4),), ("x",)),
    (
        "logsumexp_da",
        f_logsumexp_da,
        lambda r: (lambda a, b: (_normal(r, 2), _lse(a, 1, b), a, b))(_normal(r, 2, 3), r.uniform(1, 2, 3)),
        ("g", "lse", "a", "b"),
    ),
    (
        "logsumexp_da",
        f_logsumexp_da_plain,
        lambda r: (lambda a: (_normal(r, 2, 1), _lse(a, 1, None, True), a))(_normal(r, 2, 3)),
        ("g", "lse", "a"),
    ),
    (
        "logsumexp_db",
        f_logsumexp_db,
        lambda r: (lambda a, b: (_normal(r, 2), _lse(a, 1, b), a, b))(
            _normal(r, 2, 3), r.uniform(1, 2, (2, 3))
        ),
        ("g", "lse", "a"),
    ),
    (
        "logsumexp_jvp_a",
        f_logsumexp_jvp_a,
        lambda r: (lambda a, b: (_normal(r, 2, 3), _lse(a, 1, b), a, b))(
            _normal(r, 2, 3), r.uniform(1, 2, 3)
        ),
        ("d", "lse", "a", "b"),
    ),
    (
        "logsumexp_jvp_b",
        f_logsumexp_jvp_b,
        lambda r: (lambda a, b: (_normal(r, 3), _lse(a, 1, b), a, b))(_normal(r, 2, 3), r.uniform(1, 2, 3)),
        ("d", "lse", "a"),
    ),
]

NEEDS_SCIPY = {
    "digamma",
    "polygamma",
    "bessel_i1",
    "bessel",
    "convolve_adjoint",
    "convolve_jvp",
    "correlate_adjoint",
    "correlate_jvp",
}

# the pseudo-inverse helpers refuse an inverse that is not x's to within sqrt(eps): their
# inverse is moved by 1e-10 only
STEPS = {
    f: (1e-10, 1e-4) for f in (f_pinv_adjoint, f_pinv_adjoint_hermitian, f_pinv_jvp, f_pinv_jvp_hermitian)
}


def _flat(value) -> np.ndarray:
    if isinstance(value, (list, tuple)):
        return np.concatenate([_flat(v) for v in value]) if value else np.zeros(0)
    return np.ravel(np.asarray(value, dtype=float))


def _shapes(value):
    if isinstance(value, (list, tuple)):
        return [_shapes(v) for v in value]
    return np.shape(value)


def _moved(args, names, wrt, tangents, h):
    args = list(args)
    for w, t in zip(wrt, tangents):
        k = names.index(w)
        args[k] = args[k] + h * t
    return args


def _check(f, args, wrt, tangents, h=1e-6, rtol=1e-6):
    names = list(inspect.signature(f).parameters)
    value, tangent = srcgrad.jvp(f, wrt=wrt)(*args, *tangents)
    assert _shapes(tangent) == _shapes(value)
    difference = (
        _flat(f(*_moved(args, names, wrt, tangents, h))) - _flat(f(*_moved(args, names, wrt, tangents, -h)))
    ) / (2 * h)
    scale = max(1.0, float(np.max(np.abs(difference), initial=0.0)))
    np.testing.assert_allclose(_flat(tangent), difference, rtol=rtol, atol=rtol * scale, equal_nan=False)


def _tangents_for(args, names, wrt, rng):
    out = []
    for w in wrt:
        a = args[names.index(w)]
        out.append(float(rng.normal()) if isinstance(a, float) else rng.normal(size=np.shape(a)))
    return tuple(out)


def _param(case):
    helper, f, _, wrt = case[:4]
    return pytest.param(case, id=f"{helper}-{f.__name__}-{'_'.join(wrt)}")


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_tangent_rule(case):
    helper, f, make, wrt = case[:4]
    if helper in NEEDS_SCIPY:
        pytest.importorskip("scipy")
    rng = np.random.default_rng(zlib.crc32(f"{helper} {f.__name__} {wrt}".encode()))
    args = make(rng)
    names = list(inspect.signature(f).parameters)
    tangents = case[4](args, rng) if len(case) > 4 else _tangents_for(args, names, wrt, rng)
    _check(f, args, wrt, tangents, *STEPS.get(f, ()))


def test_every_helper_has_a_rule_and_a_case():
    covered = {c[0] for c in CASES}
    for name in runtime.__all__:
        if name in runtime.FIRST_ORDER_ONLY:
            continue  # SciPy sections' helpers: first derivatives only, so far (said in rules.md)
        helper = getattr(runtime, name)
        has_rule = rules.lookup_tangent(helper) is not None or rules.is_nondifferentiable(helper)
        assert has_rule, f"{name} has no tangent rule"
        if rules.lookup_tangent(helper) is not None:
            assert name in covered, f"{name}'s tangent rule has no case here"


def test_template_parameters_are_the_helpers():
    """Each rule takes the helper's parameters in order, with its defaults; `ans` (the helper's
    result in a template) is the one name that differs."""
    for name in runtime.__all__:
        rule = rules.lookup_tangent(getattr(runtime, name))
        if rule is None:
            continue
        own = list(inspect.signature(getattr(runtime, name)).parameters.values())
        assert len(rule.params) == len(own), name
        for mine, theirs in zip(rule.params, own):
            assert mine.default == theirs.default, (name, mine.name)
            assert mine.name == theirs.name or theirs.name in ("t", "ans"), (name, mine.name, theirs.name)


# ---------------------------------------------------------------------------------------------
# Tangents that are not central differences of their helper


def _nested(flat):
    """The jet (nested pairs) whose coefficients, the infinitesimals as bits, are `flat`."""
    if len(flat) == 1:
        return flat[0]
    return (_nested(flat[: len(flat) // 2]), _nested(flat[len(flat) // 2 :]))


def _sequential(jet, skip=None, upto=None):
    """The product of the elements of a 1-D jet, one multiplication at a time."""
    out = [1.0] + [0.0] * (len(jet) - 1)
    for k in range(len(jet[0]) if upto is None else upto + 1):
        if k != skip:
            out = _jet_mul(out, [c[k] for c in jet])
    return out[-1]


@pytest.mark.parametrize("m", [1, 2, 3])
def test_jets_are_exact_with_zeros(m):
    """The jets agree with products taken one element at a time (exact), with up to four zeros."""
    rng = np.random.default_rng(m)
    for zeros in range(5):
        jet = [rng.normal(size=6) for _ in range(2**m)]
        jet[0][rng.choice(6, zeros, replace=False)] = 0.0
        g = rng.normal(size=6)
        others = [_sequential(jet, skip=i) for i in range(6)]
        np.testing.assert_allclose(prod_dx_jet(1.0, _nested(jet), 0), others, atol=1e-12)
        np.testing.assert_allclose(
            cumprod_jet(_nested(jet), 0), [_sequential(jet, upto=i) for i in range(6)], atol=1e-12
        )
        expected = [sum(g[i] * _sequential(jet, skip=j, upto=i) for i in range(j, 6)) for j in range(6)]
        np.testing.assert_allclose(cumprod_dx_jet(g, _nested(jet), 0), expected, atol=1e-12)


def f_prod_dx_jet_second(g, x, d, e, de):
    return prod_dx_jet(g, ((x, d), (e, de)), 1)


def test_a_jet_of_a_jet():
    """The tangent of a jet helper is the same helper with one more infinitesimal."""
    rng = np.random.default_rng(7)
    args = (_normal(rng, 3), _normal(rng, 3, 4), _normal(rng, 3, 4), _normal(rng, 3, 4), _normal(rng, 3, 4))
    _check(
        f_prod_dx_jet_second,
        args,
        ("x", "d", "de"),
        _tangents_for(args, ["g", "x", "d", "e", "de"], ("x", "d", "de"), rng),
    )


def test_norm_svd_tangent_has_no_third_derivative():
    rng = np.random.default_rng(8)
    x, d = _normal(rng, 3, 3), _normal(rng, 3, 3)
    with pytest.raises(NoGradientError, match="third derivative"):
        srcgrad.jvp(f_norm_svd_tangent, wrt=("x",))(1.0, x, d, d)


def test_tuple_parts_add_up():
    rng = np.random.default_rng(9)
    d, w, v = _eigh_args(rng)[1:]
    tangents = (_normal(rng, 3, 3), _normal(rng, 3), _normal(rng, 3, 3))
    _check(f_eigh_jvp, (d, w, v), ("d", "w", "v"), tangents)
