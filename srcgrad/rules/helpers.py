"""Tangent rules for the run-time helpers that generated gradient code calls.

Forward mode applied to code srcgrad generated (a Hessian-vector product is the tangent of a
gradient) meets `unbroadcast`, `matmul_dx`, the loop stack and the other helpers of
`srcgrad.runtime`, so each has a rule here, keyed by the helper itself. Most are linear in the
gradient they take (`g`), and their tangent in `g` is the same helper applied to `t`; arguments
read only for their shape (`x` in `unbroadcast(g, x)`) have no part.

Where a helper's derivative needs a helper of its own, that helper has a rule too, so that each
order of derivative is again code srcgrad can differentiate: the products (`prod_dx`,
`cumprod_dx`) and einsum's gradient take a jet (see srcgrad/runtime/reductions.py), whose rule is
the same helper with one more infinitesimal (`(jet, t)`); `sinc_derivative_n` and `polygamma`
take the order of the derivative. The others are written with NumPy functions, whose own rules
carry on from there.

A helper's parameter named `ans` (the result of the function differentiated) is renamed in its
template, where `ans` is the helper's own result; the calls generated code makes are positional.
"""

# ruff: noqa: F821  (the runtime helpers are names in generated code, not here)

from .. import runtime
from .registry import adjoint, nondifferentiable, tangent

nondifferentiable(
    runtime.shape_of,
    runtime.check_finite,
    runtime.zeros_as,  # a zero tangent: its own tangent is zero
    runtime.clipped_below,  # masks
    runtime.clipped_above,
    runtime.tie_share,  # constant between the values where ties begin or end
    runtime.linspace_weights,  # made from the result's shape
    runtime.norm_coefficients,  # constants chosen by the norm's order
    runtime.norm_svd_tangent_dx,  # 0 (or NoGradientError for the orders it has no rule for)
    runtime.real_only,  # 1.0, or an error
    runtime.select_none,  # a mask
    runtime.rollaxis_destination,  # an axis
    runtime.checkpoint_segments,  # a checkpointed loop's segments
    runtime.list_with_item,  # sizes, axes, slices: a list that carries a gradient is refused (anf/checks.py)
)

# ---------------------------------------------------------------------------------------------
# core: linear in the gradient, or in the gradient and the other operand of a product.


@adjoint(runtime.items_of)
def items_of(g, seq):
    # the sequence itself, unless it is a dict (whose keys carry no gradient)
    dseq = g


@tangent(runtime.items_of)
def items_of_tangent(t, seq):
    dseq = t


@tangent(runtime.unbroadcast)
def unbroadcast_tangent(t, g, x):
    dg = unbroadcast(t, x)


@tangent(runtime.broadcast_like)
def broadcast_like_tangent(t, tangent, like):
    dtangent = broadcast_like(t, like)


@tangent(runtime.unreduce)
def unreduce_tangent(t, g, x, axis=None, keepdims=False):
    dg = unreduce(t, x, axis, keepdims)


@tangent(runtime.untranspose)
def untranspose_tangent(t, g, axes=None):
    dg = untranspose(t, axes)


@tangent(runtime.ungetitem)
def ungetitem_tangent(t, g, x, index):
    dg = ungetitem(t, x, index)


@tangent(runtime.with_item)
def with_item_tangent(t, x, index, v):
    dx = with_item(t, index, 0.0)
    dv = with_item(zeros_as(x), index, t)


@tangent(runtime.written_gradient)
def written_gradient_tangent(t, g, index, v):
    dg = written_gradient(t, index, v)  # linear in g; v gives only its shape


@tangent(runtime.matmul_dx)
def matmul_dx_tangent(t, g, x, y):
    dg = matmul_dx(t, x, y)
    dy = matmul_dx(g, x, t)


@tangent(runtime.matmul_dy)
def matmul_dy_tangent(t, g, x, y):
    dg = matmul_dy(t, x, y)
    dx = matmul_dy(g, t, y)


@tangent(runtime.dot_dx)
def dot_dx_tangent(t, g, x, y):
    dg = dot_dx(t, x, y)
    dy = dot_dx(g, x, t)


@tangent(runtime.dot_dy)
def dot_dy_tangent(t, g, x, y):
    dg = dot_dy(t, x, y)
    dx = dot_dy(g, t, y)


# ---------------------------------------------------------------------------------------------
# elementwise


@tangent(runtime.uncast)
def uncast_tangent(t, g, x, dtype=None):
    dg = uncast(t, x, dtype)


@tangent(runtime.sinc_derivative)
def sinc_derivative_tangent(t, x, value):
    # the partial derivatives of the helper itself: near 0 (its series) it reads only x, and
    # elsewhere (cos(pi x) - value) / x; with value = sinc(x) their sum is sinc's second derivative
    small = np.abs(x) < 0.25
    inverse = np.where(small, 0, 1 / np.where(small, 1, x))
    dx = t * np.where(small, sinc_derivative_n(x, 2), -(np.pi**2) * np.sinc(x) - ans * inverse)
    dvalue = -t * inverse


@tangent(runtime.sinc_derivative_n)
def sinc_derivative_n_tangent(t, x, n):
    dx = t * sinc_derivative_n(x, n + 1)


# ---------------------------------------------------------------------------------------------
# reductions


@tangent(runtime.prod_dx)
def prod_dx_tangent(t, g, x, axis=None, keepdims=False):
    # exact with zeros, as prod_dx: the second derivative of the product, from the jet (x, t)
    dg = prod_dx(t, x, axis, keepdims)
    dx = prod_dx_jet(g, (x, t), axis, keepdims)


@tangent(runtime.prod_dx_jet)
def prod_dx_jet_tangent(t, g, jet, axis=None, keepdims=False):
    dg = prod_dx_jet(t, jet, axis, keepdims)
    djet = prod_dx_jet(g, (jet, t), axis, keepdims)


@tangent(runtime.cumprod_jet)
def cumprod_jet_tangent(t, jet, axis=None):
    djet = cumprod_jet((jet, t), axis)


@tangent(runtime.cumprod_dx_jet)
def cumprod_dx_jet_tangent(t, g, jet, axis=None):
    dg = cumprod_dx_jet(t, jet, axis)
    djet = cumprod_dx_jet(g, (jet, t), axis)


@tangent(runtime.cumprod_dx)
def cumprod_dx_tangent(t, g, product, x, axis=None):
    # before a lane's first zero the helper is (sum of g * product over i >= j) / x[j]; from it
    # on it reads no product, and its tangent in x is the exact second derivative of the
    # cumulative product (the jet), which is also the sum of the parts there
    before = np.reshape(np.cumsum(x == 0, axis), np.shape(x)) == 0
    safe = np.where(before, x, 1)
    dg = cumprod_dx(t, product, x, axis)
    dproduct = np.where(before, cumprod_dx(g, t, x, axis), 0)
    dx = np.where(before, -t / safe * ans, cumprod_dx_jet(g, (x, t), axis))


@tangent(runtime.cumprod_jvp)
def cumprod_jvp_tangent(t, direction, product, x, axis=None):
    # as cumprod_dx's: before a lane's first zero, product * cumsum(direction / x); from it on
    # no product, and the exact second derivative of the cumulative product
    before = np.reshape(np.cumsum(x == 0, axis), np.shape(ans)) == 0
    safe = np.where(x == 0, 1, x)
    ddirection = cumprod_jvp(t, product, x, axis)
    dproduct = np.where(before, cumprod_jvp(direction, t, x, axis), 0)
    dx = np.where(
        before,
        cumprod_jvp(-direction * t / safe, product, x, axis),
        cumprod_jet(((x, direction), (t, np.zeros_like(x))), axis),
    )


@tangent(runtime.weights_like)
def weights_like_tangent(t, x, axis, weights):
    dweights = weights_like(x, axis, t)


@tangent(runtime.average_dx)
def average_dx_tangent(t, g, x, axis=None, weights=None, keepdims=False):
    # g * w / sum(w) over the averaged axes, spread over x
    dg = average_dx(t, x, axis, weights, keepdims)
    dweights = unreduce(
        g / np.sum(weights_like(x, axis, weights), axis=axis, keepdims=keepdims), x, axis, keepdims
    ) * weights_like(x, axis, t) - average_dx(
        g
        * (
            np.sum(weights_like(x, axis, t), axis=axis, keepdims=keepdims)
            / np.sum(weights_like(x, axis, weights), axis=axis, keepdims=keepdims)
        ),
        x,
        axis,
        weights,
        keepdims,
    )


@tangent(runtime.average_dweights)
def average_dweights_tangent(t, g, average, x, axis=None, weights=None, keepdims=False):
    # g * (x - average) / sum(w), summed back to the weights' shape: affine in x and average
    dg = average_dweights(t, average, x, axis, weights, keepdims)
    daverage = -average_dweights(
        g, np.zeros_like(average), unreduce(t, x, axis, keepdims), axis, weights, keepdims
    )
    dx = average_dweights(g, np.zeros_like(average), t, axis, weights, keepdims)
    dweights = -average_dweights(
        g
        * (
            np.sum(weights_like(x, axis, t), axis=axis, keepdims=keepdims)
            / np.sum(weights_like(x, axis, weights), axis=axis, keepdims=keepdims)
        ),
        average,
        x,
        axis,
        weights,
        keepdims,
    )


@tangent(runtime.average_weights_jvp)
def average_weights_jvp_tangent(t, direction, average, x, axis=None, weights=None, keepdims=False):
    # sum(direction * (x - average)) / sum(w) over the averaged axes
    ddirection = average_weights_jvp(t, average, x, axis, weights, keepdims)
    daverage = -average_weights_jvp(
        direction, np.zeros_like(average), unreduce(t, x, axis, keepdims), axis, weights, keepdims
    )
    dx = average_weights_jvp(direction, np.zeros_like(average), t, axis, weights, keepdims)
    dweights = (
        -ans
        * np.sum(np.broadcast_to(weights_like(x, axis, t), np.shape(x)), axis=axis, keepdims=keepdims)
        / np.sum(np.broadcast_to(weights_like(x, axis, weights), np.shape(x)), axis=axis, keepdims=keepdims)
    )


@tangent(runtime.trace_dx)
def trace_dx_tangent(t, g, x, offset=0, axis1=0, axis2=1):
    dg = trace_dx(t, x, offset, axis1, axis2)


# ---------------------------------------------------------------------------------------------
# linalg: products


@tangent(runtime.inner_dx)
def inner_dx_tangent(t, g, x, y):
    dg = inner_dx(t, x, y)
    dy = inner_dx(g, x, t)


@tangent(runtime.inner_dy)
def inner_dy_tangent(t, g, x, y):
    dg = inner_dy(t, x, y)
    dx = inner_dy(g, t, y)


@tangent(runtime.tensordot_dx)
def tensordot_dx_tangent(t, g, x, y, axes=2):
    dg = tensordot_dx(t, x, y, axes)
    dy = tensordot_dx(g, x, t, axes)


@tangent(runtime.tensordot_dy)
def tensordot_dy_tangent(t, g, x, y, axes=2):
    dg = tensordot_dy(t, x, y, axes)
    dx = tensordot_dy(g, t, y, axes)


@tangent(runtime.kron_dx)
def kron_dx_tangent(t, g, x, y):
    dg = kron_dx(t, x, y)
    dy = kron_dx(g, x, t)


@tangent(runtime.kron_dy)
def kron_dy_tangent(t, g, x, y):
    dg = kron_dy(t, x, y)
    dx = kron_dy(g, t, y)


@tangent(runtime.einsum_adjoint)
def einsum_adjoint_tangent(t, g, args, i):
    # linear in each operand but the i-th: their tangents one at a time, from the jet (args, t)
    dg = einsum_adjoint(t, args, i)
    dargs = einsum_adjoint_jet(g, (args, t), i)


@tangent(runtime.einsum_adjoint_jet)
def einsum_adjoint_jet_tangent(t, g, layers, i):
    dg = einsum_adjoint_jet(t, layers, i)
    dlayers = einsum_adjoint_jet(g, (layers, t), i)


@tangent(runtime.solve_matmul)
def solve_matmul_tangent(t, m, v, a, b):
    dm = solve_matmul(t, v, a, b)
    dv = solve_matmul(m, t, a, b)


# ---------------------------------------------------------------------------------------------
# linalg: diagonals and triangles


@tangent(runtime.diag_adjoint)
def diag_adjoint_tangent(t, g, x, k=0):
    dg = diag_adjoint(t, x, k)


@tangent(runtime.diagonal_adjoint)
def diagonal_adjoint_tangent(t, g, x, offset=0, axis1=0, axis2=1):
    dg = diagonal_adjoint(t, x, offset, axis1, axis2)


@tangent(runtime.symmetrized)
def symmetrized_tangent(t, x, lower=True, hermitian=True):
    dx = symmetrized(t, lower, hermitian)


@tangent(runtime.triangle_gradient)
def triangle_gradient_tangent(t, s, lower=True, hermitian=True):
    ds = triangle_gradient(t, lower, hermitian)


@tangent(runtime.swapped_if)
def swapped_if_tangent(t, x, flag):
    dx = swapped_if(t, flag)


# ---------------------------------------------------------------------------------------------
# linalg: norms


@tangent(runtime.norm_adjoint)
def norm_adjoint_tangent(t, g, norm, x, ord=None, axis=None, keepdims=False):
    # conventions as the helper's: at x = 0 (norm 0) every part is 0; tied entries of the inf-
    # norms (and the matrix 1-, inf-norms) share a gradient that is constant where it is defined;
    # the singular-vector term of the matrix 2-, -2- and nuclear norms is norm_svd_tangent's
    k = norm_coefficients(x, ord, axis)
    scale = np.where(norm == 0, 1, norm)
    dg = norm_adjoint(t, norm, x, ord, axis, keepdims)
    dnorm = k[2] * ans * unreduce(t / scale, x, axis, keepdims)
    dx = (
        k[0] * unreduce(np.where(norm == 0, 0, g / scale), x, axis, keepdims) * t
        + k[1] * ans * t / np.where(x == 0, 1, x)
        + norm_svd_tangent(g, x, t, ord, axis, keepdims)
    )


@tangent(runtime.norm_svd_tangent)
def norm_svd_tangent_tangent(t, g, x, direction, ord=None, axis=None, keepdims=False):
    dg = norm_svd_tangent(t, x, direction, ord, axis, keepdims)
    ddirection = norm_svd_tangent(g, x, t, ord, axis, keepdims)
    dx = norm_svd_tangent_dx(g, x, direction, t, ord, axis, keepdims)


# ---------------------------------------------------------------------------------------------
# linalg: determinants, solves, decompositions


@tangent(runtime.cofactor)
def cofactor_tangent_rule(t, x):
    # exact at singular matrices too (cofactor_tangent works from the singular values)
    dx = cofactor_tangent(x, t)


@tangent(runtime.cofactor_tangent)
def cofactor_tangent_tangent(t, x, direction):
    # x's part, the third derivative of det, from the inverse: np.linalg.inv raises at a
    # singular x. With C = cofactor(x), X = inv(x).T and D = cofactor_tangent(x, t), it is
    # <D, direction> X - <C, direction> X t.T X + X t.T X direction.T C - X direction.T D
    ddirection = cofactor_tangent(x, t)
    dx = (
        np.sum(cofactor_tangent(x, t) * direction, axis=(-2, -1), keepdims=True)
        * np.swapaxes(np.linalg.inv(x), -1, -2)
        - np.sum(cofactor(x) * direction, axis=(-2, -1), keepdims=True)
        * (
            np.swapaxes(np.linalg.inv(x), -1, -2)
            @ np.swapaxes(t, -1, -2)
            @ np.swapaxes(np.linalg.inv(x), -1, -2)
        )
        + np.swapaxes(np.linalg.inv(x), -1, -2)
        @ np.swapaxes(t, -1, -2)
        @ np.swapaxes(np.linalg.inv(x), -1, -2)
        @ np.swapaxes(direction, -1, -2)
        @ cofactor(x)
        - np.swapaxes(np.linalg.inv(x), -1, -2) @ np.swapaxes(direction, -1, -2) @ cofactor_tangent(x, t)
    )


@tangent(runtime.solve_transposed)
def solve_transposed_tangent(t, a, g, b):
    # the result is a^-T g: in a, -a^-T t^T (a^-T g)
    dg = solve_transposed(a, t, b)
    da = -solve_transposed(a, solve_matmul(np.swapaxes(t, -1, -2), ans, a, b), b)


@tangent(runtime.solve_da)
def solve_da_tangent(t, gb, solution, a, b):
    dgb = solve_da(t, solution, a, b)
    dsolution = solve_da(gb, t, a, b)


@tangent(runtime.solve_jvp_a)
def solve_jvp_a_tangent(t, direction, solution, a, b):
    # the result is -a^-1 direction solution: in a, a^-1 t a^-1 direction solution
    ddirection = solve_jvp_a(t, solution, a, b)
    dsolution = solve_jvp_a(direction, t, a, b)
    da = solve_jvp_a(t, ans, a, b)


@tangent(runtime.cholesky_adjoint)
def cholesky_adjoint_tangent(t, g, factor, upper=False):
    # with the lower factor L: the helper is fold(L^-T phi(L^T g) L^-1) (phi: the lower triangle,
    # its diagonal halved); its tangent in L is fold(-L^-T t^T s - s t L^-1) plus the helper of
    # L^-T t^T g, for s = L^-T phi(L^T g) L^-1 (an upper factor is the transposed lower one)
    low = swapped_if(factor, upper)
    lower_g = swapped_if(g, upper)
    low_t = np.swapaxes(low, -1, -2)
    p = np.tril(low_t @ lower_g)
    half = p - 0.5 * p * np.eye(np.shape(p)[-1])
    s = np.swapaxes(np.linalg.solve(low_t, np.swapaxes(np.linalg.solve(low_t, half), -1, -2)), -1, -2)
    dg = cholesky_adjoint(t, factor, upper)
    dfactor = swapped_if(
        cholesky_adjoint(np.linalg.solve(low_t, np.swapaxes(swapped_if(t, upper), -1, -2) @ lower_g), low)
        - triangle_gradient(
            np.linalg.solve(low_t, np.swapaxes(swapped_if(t, upper), -1, -2) @ s)
            + np.swapaxes(np.linalg.solve(low_t, np.swapaxes(s @ swapped_if(t, upper), -1, -2)), -1, -2)
        ),
        upper,
    )


@tangent(runtime.cholesky_jvp)
def cholesky_jvp_tangent(t, direction, factor, upper=False):
    # with the lower factor L: the helper is L phi(L^-1 S L^-T); its tangent in L is
    # t L^-1 ans - cholesky_jvp(Z + Z^T, L), Z = t L^-1 S
    low = swapped_if(factor, upper)
    sym = symmetrized(swapped_if(direction, upper))
    ddirection = cholesky_jvp(t, factor, upper)
    dfactor = swapped_if(
        swapped_if(t, upper) @ np.linalg.solve(low, swapped_if(ans, upper))
        - cholesky_jvp(
            swapped_if(t, upper) @ np.linalg.solve(low, sym)
            + np.swapaxes(swapped_if(t, upper) @ np.linalg.solve(low, sym), -1, -2),
            low,
        ),
        upper,
    )


@tangent(runtime.eigvalsh_adjoint)
def eigvalsh_adjoint_tangent(t, g, a, UPLO="L"):
    # v diag(g) v^T: in a, v ((g_j - g_i) / (w_j - w_i) (v^T t v)_ij) v^T, 0 where w_i == w_j
    # (eigh's eigenvectors there, as the helper)
    wv = np.linalg.eigh(a, UPLO)
    w = wv[0]
    v = wv[1]
    gap = w[..., None, :] - w[..., :, None]
    f = np.where(gap == 0, 0, 1 / np.where(gap == 0, 1, gap))
    dg = eigvalsh_adjoint(t, a, UPLO)
    da = triangle_gradient(
        v
        @ (f * (g[..., None, :] - g[..., :, None]) * (np.swapaxes(v, -1, -2) @ symmetrized(t, UPLO) @ v))
        @ np.swapaxes(v, -1, -2),
        UPLO,
    )


@tangent(runtime.eigvalsh_jvp)
def eigvalsh_jvp_tangent(t, direction, a, UPLO="L"):
    # diag(v^T S v): in a, 2 sum over k of (v^T t v)_ki (v^T S v)_ki / (w_i - w_k)
    wv = np.linalg.eigh(a, UPLO)
    w = wv[0]
    v = wv[1]
    gap = w[..., None, :] - w[..., :, None]
    f = np.where(gap == 0, 0, 1 / np.where(gap == 0, 1, gap))
    ddirection = eigvalsh_jvp(t, a, UPLO)
    da = 2 * np.sum(
        f
        * (np.swapaxes(v, -1, -2) @ symmetrized(t, UPLO) @ v)
        * (np.swapaxes(v, -1, -2) @ symmetrized(direction, UPLO) @ v),
        axis=-2,
    )


@tangent(runtime.eigh_adjoint)
def eigh_adjoint_tangent(t, g, decomposition, UPLO="L"):
    # fold(v inner v^T), inner = F * (v^T gv) + diag(gw), F_ij = 1 / (w_j - w_i) (0 where
    # equal): in (w, v), F's tangent is -F**2 (tw_j - tw_i)
    w = decomposition[0]
    v = decomposition[1]
    gv = g[1]
    gap = w[..., None, :] - w[..., :, None]
    f = np.where(gap == 0, 0, 1 / np.where(gap == 0, 1, gap))
    inner = f * (np.swapaxes(v, -1, -2) @ gv) + g[0][..., None, :] * np.eye(np.shape(w)[-1])
    dg = eigh_adjoint(t, decomposition, UPLO)
    ddecomposition = triangle_gradient(
        t[1] @ inner @ np.swapaxes(v, -1, -2)
        + v
        @ (
            f * (np.swapaxes(t[1], -1, -2) @ gv)
            - f * f * (t[0][..., None, :] - t[0][..., :, None]) * (np.swapaxes(v, -1, -2) @ gv)
        )
        @ np.swapaxes(v, -1, -2)
        + v @ inner @ np.swapaxes(t[1], -1, -2),
        UPLO,
    )


@tangent(runtime.eigh_jvp)
def eigh_jvp_tangent(t, direction, decomposition, UPLO="L"):
    # (diag(m), v (F * m)) for m = v^T S v; in (w, v) as in eigh_adjoint's rule
    w = decomposition[0]
    v = decomposition[1]
    sym = symmetrized(direction, UPLO)
    m = np.swapaxes(v, -1, -2) @ sym @ v
    gap = w[..., None, :] - w[..., :, None]
    f = np.where(gap == 0, 0, 1 / np.where(gap == 0, 1, gap))
    ddirection = eigh_jvp(t, decomposition, UPLO)
    ddecomposition = (
        np.diagonal(
            np.swapaxes(t[1], -1, -2) @ sym @ v + np.swapaxes(v, -1, -2) @ sym @ t[1], axis1=-2, axis2=-1
        ),
        t[1] @ (f * m)
        + v
        @ (
            f * (np.swapaxes(t[1], -1, -2) @ sym @ v + np.swapaxes(v, -1, -2) @ sym @ t[1])
            - f * f * (t[0][..., None, :] - t[0][..., :, None]) * m
        ),
    )


@tangent(runtime.pinv_adjoint)
def pinv_adjoint_tangent(t, g, inverse, x, hermitian=False):
    # the helper, with X = inverse and A = x: -X^T g X^T + m2 - A X m2 + m3 - m3 X A, for
    # m2 = g^T X X^T and m3 = X^T X g^T (folded into x's lower triangle when hermitian)
    a = symmetrized(x, True, hermitian)
    xt = np.swapaxes(inverse, -1, -2)
    gt = np.swapaxes(g, -1, -2)
    m2 = gt @ inverse @ xt
    m3 = xt @ (inverse @ gt)
    dg = pinv_adjoint(t, inverse, x, hermitian)
    dinverse = triangle_gradient(
        -(np.swapaxes(t, -1, -2) @ g @ xt + xt @ g @ np.swapaxes(t, -1, -2))
        + gt @ (t @ xt + inverse @ np.swapaxes(t, -1, -2))
        - a @ (t @ m2 + inverse @ (gt @ (t @ xt + inverse @ np.swapaxes(t, -1, -2))))
        + (np.swapaxes(t, -1, -2) @ inverse + xt @ t) @ gt
        - ((np.swapaxes(t, -1, -2) @ inverse + xt @ t) @ gt @ inverse + m3 @ t) @ a,
        True,
        hermitian,
    )
    dx = triangle_gradient(
        -(symmetrized(t, True, hermitian) @ (inverse @ m2))
        - (m3 @ inverse) @ symmetrized(t, True, hermitian),
        True,
        hermitian,
    )


@tangent(runtime.pinv_jvp)
def pinv_jvp_tangent(t, direction, inverse, x, hermitian=False):
    # the helper, with X = inverse, A = x and T = direction (each read in the lower triangle
    # when hermitian): -X T X + X X^T T^T - X X^T T^T A X + T^T X^T X - X A T^T X^T X
    a = symmetrized(x, True, hermitian)
    sym = symmetrized(direction, True, hermitian)
    sym_t = np.swapaxes(sym, -1, -2)
    xt = np.swapaxes(inverse, -1, -2)
    ddirection = pinv_jvp(t, inverse, x, hermitian)
    dinverse = (
        -(t @ sym @ inverse + inverse @ sym @ t)
        + (t @ xt + inverse @ np.swapaxes(t, -1, -2)) @ sym_t
        - ((t @ xt + inverse @ np.swapaxes(t, -1, -2)) @ sym_t @ a) @ inverse
        - (inverse @ xt @ sym_t @ a) @ t
        + sym_t @ (np.swapaxes(t, -1, -2) @ inverse + xt @ t)
        - t @ (a @ (sym_t @ (xt @ inverse)))
        - inverse @ (a @ (sym_t @ (np.swapaxes(t, -1, -2) @ inverse + xt @ t)))
    )
    dx = -(inverse @ xt @ sym_t @ symmetrized(t, True, hermitian)) @ inverse - inverse @ (
        symmetrized(t, True, hermitian) @ (sym_t @ (xt @ inverse))
    )


@tangent(runtime.svd_adjoint)
def svd_adjoint_tangent(t, g, decomposition, a, full_matrices=True, compute_uv=True, hermitian=False):
    # linear in g; in the decomposition (in a, when compute_uv is False), svd_adjoint_jvp
    dg = svd_adjoint(t, decomposition, a, full_matrices, compute_uv, hermitian)
    ddecomposition = svd_adjoint_jvp(g, decomposition, a, t, None, full_matrices, compute_uv, hermitian)
    da = svd_adjoint_jvp(g, decomposition, a, None, t, full_matrices, compute_uv, hermitian)


@tangent(runtime.eig_adjoint)
def eig_adjoint_tangent(t, g, decomposition):
    dg = eig_adjoint(t, decomposition)
    ddecomposition = eig_adjoint_jvp(g, decomposition, t)


# ---------------------------------------------------------------------------------------------
# shape: linear in the gradient (or the tangent) they move about


@tangent(runtime.unravel)
def unravel_tangent(t, g, x, order="C"):
    dg = unravel(t, x, order)


@tangent(runtime.ravel_jvp)
def ravel_jvp_tangent(t, direction, x, order="C"):
    ddirection = ravel_jvp(t, x, order)


@tangent(runtime.unconcatenate)
def unconcatenate_tangent(t, g, arrays, axis=0):
    dg = unconcatenate(t, arrays, axis)


@tangent(runtime.unhstack)
def unhstack_tangent(t, g, tup):
    dg = unhstack(t, tup)


@tangent(runtime.unvstack)
def unvstack_tangent(t, g, tup):
    dg = unvstack(t, tup)


@tangent(runtime.unrepeat)
def unrepeat_tangent(t, g, x, repeats, axis=None):
    dg = unrepeat(t, x, repeats, axis)


@tangent(runtime.untile)
def untile_tangent(t, g, x, reps):
    dg = untile(t, x, reps)


@tangent(runtime.unpad)
def unpad_tangent(t, g, pad_width):
    dg = unpad(t, pad_width)


@tangent(runtime.pad_dx)
def pad_dx_tangent(t, g, x, pad_width, mode="constant", reflect_type="even"):
    dg = pad_dx(t, x, pad_width, mode, reflect_type)


@tangent(runtime.pad_dconstant)
def pad_dconstant_tangent(t, g, pad_width, constant_values=0, mode="constant"):
    # constant_values gives only the result's type and shape
    dg = pad_dconstant(t, pad_width, constant_values, mode)


@tangent(runtime.pad_jvp)
def pad_jvp_tangent(t, direction, pad_width, mode="constant", reflect_type="even"):
    ddirection = pad_jvp(t, pad_width, mode, reflect_type)


@tangent(runtime.untake)
def untake_tangent(t, g, x, indices, axis=None, mode="raise"):
    dg = untake(t, x, indices, axis, mode)


@tangent(runtime.untake_along_axis)
def untake_along_axis_tangent(t, g, x, indices, axis=-1):
    dg = untake_along_axis(t, x, indices, axis)


@tangent(runtime.unsort)
def unsort_tangent(t, g, x, axis=-1):
    # x gives the permutation (equal elements in their original order), constant between ties
    dg = unsort(t, x, axis)


@tangent(runtime.uncolumn_stack)
def uncolumn_stack_tangent(t, g, tup):
    dg = uncolumn_stack(t, tup)


@tangent(runtime.select_adjoint)
def select_adjoint_tangent(t, g, condlist, choicelist):
    dg = select_adjoint(t, condlist, choicelist)


# ---------------------------------------------------------------------------------------------
# signal: linear in the gradient (cross_adjoint in the other vector too)


@tangent(runtime.cross_adjoint)
def cross_adjoint_tangent(t, g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    dg = cross_adjoint(t, a, b, axisa, axisb, axisc, axis)
    db = cross_adjoint(g, a, t, axisa, axisb, axisc, axis)


@tangent(runtime.diff_adjoint)
def diff_adjoint_tangent(t, g, a, n=1, axis=-1, prepend=None, append=None, part="a"):
    dg = diff_adjoint(t, a, n, axis, prepend, append, part)


@tangent(runtime.gradient_adjoint)
def gradient_adjoint_tangent(t, g, f, s0=None, s1=None, s2=None, axis=None, edge_order=1):
    dg = gradient_adjoint(t, f, s0, s1, s2, axis, edge_order)


# ---------------------------------------------------------------------------------------------
# special


@tangent(runtime.bessel_i1)
def bessel_i1_tangent(t, x):
    # i1' = i0 - i1 / x, which is 1/2 at 0
    safe = np.where(x == 0, 1, x)
    dx = t * np.where(x == 0, 0.5, np.i0(x) - bessel_i1(safe) / safe)


@tangent(runtime.bessel)
def bessel_tangent(t, kind, v, x):
    # in x only, from the orders next to v, as the Bessel rules (rules/numpy/special.py): ive's
    # exp(-|x|) adds -sign(x) * ive, 0 at its kink x = 0 (the mean of the one-sided slopes); Y's
    # slope at x = 0, where Y is infinite, is the infinity of the other sign. `kind` is always a
    # literal string in the rules' calls, which decides the `if`
    if kind == "i":
        dx = t * ((bessel(kind, v - 1, x) + bessel(kind, v + 1, x)) / 2)
    elif kind == "ie":
        dx = t * ((bessel(kind, v - 1, x) + bessel(kind, v + 1, x)) / 2 - np.sign(x) * ans)
    elif kind == "y":
        dx = t * np.where(x == 0, -ans, (bessel(kind, v - 1, x) - bessel(kind, v + 1, x)) / 2)
    else:
        dx = t * ((bessel(kind, v - 1, x) - bessel(kind, v + 1, x)) / 2)


@tangent(runtime.digamma)
def digamma_tangent(t, x):
    dx = t * polygamma(1, x)


@tangent(runtime.polygamma)
def polygamma_tangent(t, n, x):
    dx = t * polygamma(n + 1, x)


@tangent(runtime.logsumexp_da)
def logsumexp_da_tangent(t, g, lse, a, axis=None, keepdims=False, b=None):
    # g * b * exp(a - lse), summed to a's shape: b * t stands in for b to bring a's tangent in
    dg = logsumexp_da(t, lse, a, axis, keepdims, b)
    dlse = -logsumexp_da(g * t, lse, a, axis, keepdims, b)
    if b is None:
        da = logsumexp_da(g, lse, a, axis, keepdims, t)
    else:
        da = logsumexp_da(g, lse, a, axis, keepdims, b * t)
    db = logsumexp_da(g, lse, a, axis, keepdims, t)


@tangent(runtime.logsumexp_db)
def logsumexp_db_tangent(t, g, lse, a, axis=None, keepdims=False, b=None):
    # g * exp(a - lse) summed to b's shape (b gives only the shape)
    full = np.ones(np.broadcast_shapes(np.shape(a), np.shape(b)))
    dg = logsumexp_db(t, lse, a, axis, keepdims, b)
    dlse = -logsumexp_db(g * t, lse, a, axis, keepdims, b)
    da = unbroadcast(logsumexp_db(g, lse, a, axis, keepdims, full) * t, b)


@tangent(runtime.logsumexp_jvp_a)
def logsumexp_jvp_a_tangent(t, direction, lse, a, axis=None, keepdims=False, b=None):
    # the sum of direction * b * exp(a - lse) over axis
    ddirection = logsumexp_jvp_a(t, lse, a, axis, keepdims, b)
    dlse = -ans * t
    da = logsumexp_jvp_a(direction * t, lse, a, axis, keepdims, b)
    db = logsumexp_jvp_a(direction, lse, a, axis, keepdims, t)


@tangent(runtime.logsumexp_jvp_b)
def logsumexp_jvp_b_tangent(t, direction, lse, a, axis=None, keepdims=False, b=None):
    # the sum of direction * exp(a - lse) over axis (b gives only the shape)
    ddirection = logsumexp_jvp_b(t, lse, a, axis, keepdims, b)
    dlse = -ans * t
    da = logsumexp_jvp_b(direction * t, lse, a, axis, keepdims, b)
