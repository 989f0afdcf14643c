"""Runtime helpers for the scipy.stats rules (see srcgrad/rules/numpy/stats.py).

SciPy is imported only when a helper that needs it runs, so srcgrad imports without it. The
multivariate normal's derivatives go through the Cholesky factor of the covariance, as SciPy's
own density does not (it uses an eigendecomposition): one factorisation and triangular solves.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "log_density",
    "density_ratio",
    "mul0",
    "dirichlet_dx",
    "dirichlet_dalpha",
    "dirichlet_jvp_x",
    "dirichlet_jvp_alpha",
    "mvn_logpdf_dx",
    "mvn_logpdf_dmean",
    "mvn_logpdf_dcov",
    "mvn_logpdf_jvp_x",
    "mvn_logpdf_jvp_mean",
    "mvn_logpdf_jvp_cov",
    "mvn_entropy_dcov",
]

# The helpers above have no tangent rules yet (srcgrad/rules/helpers.py): a second derivative
# through one (hvp, hessian, grad of a grad) stops with a NoRuleError naming it.
FIRST_ORDER_ONLY = frozenset(__all__)


def log_density(dist, x, *params):
    """`scipy.stats.<dist>.logpdf(x, *params)` (`logpmf` for a discrete distribution): the slope
    of a cdf is the density, which the rules of the cdf family read through its log.

    >>> round(float(log_density("norm", 0.0)), 10)  # -log(sqrt(2 pi))
    -0.9189385332
    >>> float(log_density("poisson", 0.0, 2.0))
    -2.0
    """
    import scipy.stats

    distribution = getattr(scipy.stats, dist)
    if isinstance(distribution, scipy.stats.rv_discrete):
        return distribution.logpmf(x, *params)
    return distribution.logpdf(x, *params)


def density_ratio(logp, logq):
    """`exp(logp - logq)`, the ratio of two densities given by their logs, and 0 where `logp` is
    -inf (also where `logq` is: the slope of a log cdf where the density is 0, outside the
    support, is 0, not nan).

    >>> with np.errstate(divide="ignore"):  # log(0): a density of 0
    ...     density_ratio(np.log([0.5, 0.0]), np.log([0.25, 0.0]))
    array([2., 0.])
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.exp(logp - np.where(logp == -np.inf, 0, logq))


def mul0(a, b):
    """`a * b`, and 0 where `a` or `b` is 0 even if the other is infinite: a cdf's slope in its
    scale is `-z * p`, 0 where the density p is 0 (x infinite, or outside the support) and where
    z is 0 (x = loc, where p may be infinite but the cdf does not move with the scale).

    >>> mul0(np.array([0.0, 2.0, np.inf]), np.array([np.inf, 3.0, 0.0]))
    array([0., 6., 0.])
    """
    with np.errstate(invalid="ignore"):
        return np.where((a == 0) | (b == 0), 0, a * b)


# ---------------------------------------------------------------------------------------------
# The Dirichlet distribution: x's first axis holds the components (all K of them, or K - 1, the
# last then being 1 - sum(x)); its other axes, if any, are samples.


def _dirichlet_terms(x, alpha):
    """The K components of x (the last completed if x has K - 1) and `(alpha - 1) / x`, the
    slope of the log density in each, 0 where alpha is 1 (the factor x**0 is 1, even at 0)."""
    x, alpha = np.asarray(x), np.asarray(alpha)
    full = x if x.shape[0] == alpha.shape[0] else np.concatenate([x, 1 - np.sum(x, 0, keepdims=True)])
    a = np.reshape(alpha, alpha.shape + (1,) * (full.ndim - 1))
    with np.errstate(divide="ignore"):
        slope = (a - 1) / np.where(a == 1, 1, full)
    return full, slope


def _dirichlet_to_x(slope, x):
    """A gradient over the K components back to x: with K - 1 of them, the last one's gradient
    flows into the others through x_K = 1 - sum(x)."""
    if np.shape(x)[0] == slope.shape[0]:
        return slope
    return slope[:-1] - slope[-1:]


def dirichlet_dx(g, x, alpha):
    """The gradient of `scipy.stats.dirichlet.logpdf(x, alpha)` in `x`: `(alpha - 1) / x`, times
    `g` (one value per sample); +-inf at x_i = 0 unless alpha_i is 1.

    >>> dirichlet_dx(1.0, np.array([0.25, 0.75]), np.array([2.0, 1.0]))
    array([4., 0.])
    """
    _, slope = _dirichlet_terms(x, alpha)
    return _dirichlet_to_x(g * slope, x)


def dirichlet_dalpha(g, x, alpha):
    """The gradient of `scipy.stats.dirichlet.logpdf(x, alpha)` in `alpha`:
    `log(x) - digamma(alpha) + digamma(sum(alpha))`, summed over the samples with weights `g`.

    >>> [round(float(d), 10) for d in dirichlet_dalpha(1.0, np.array([0.5, 0.5]), np.array([1.0, 1.0]))]
    [0.3068528194, 0.3068528194]
    """
    from scipy.special import digamma

    full, _ = _dirichlet_terms(x, alpha)
    alpha = np.asarray(alpha)
    a = np.reshape(alpha, alpha.shape + (1,) * (full.ndim - 1))
    with np.errstate(divide="ignore"):
        per_sample = np.log(full) - digamma(a) + digamma(np.sum(alpha))
    return np.reshape(np.sum(np.reshape(g * per_sample, (len(alpha), -1)), axis=1), alpha.shape)


def dirichlet_jvp_x(t, x, alpha):
    """The tangent of `scipy.stats.dirichlet.logpdf(x, alpha)` along `t`, a tangent of `x`.

    >>> float(dirichlet_jvp_x(np.array([1.0, -1.0]), np.array([0.25, 0.75]), np.array([2.0, 1.0])))
    4.0
    """
    _, slope = _dirichlet_terms(x, alpha)
    return np.sum(t * _dirichlet_to_x(slope, x), axis=0)


def dirichlet_jvp_alpha(t, x, alpha):
    """The tangent of `scipy.stats.dirichlet.logpdf(x, alpha)` along `t`, a tangent of `alpha`.

    >>> t, x, alpha = np.array([1.0, 0.0]), np.array([0.5, 0.5]), np.array([1.0, 1.0])
    >>> round(float(dirichlet_jvp_alpha(t, x, alpha)), 10)
    0.3068528194
    """
    from scipy.special import digamma

    full, _ = _dirichlet_terms(x, alpha)
    alpha = np.asarray(alpha)
    shape = alpha.shape + (1,) * (full.ndim - 1)
    a, t = np.reshape(alpha, shape), np.reshape(t, shape)
    with np.errstate(divide="ignore"):
        per_sample = np.log(full) - digamma(a) + digamma(np.sum(alpha))
    return np.sum(t * per_sample, axis=0)


# ---------------------------------------------------------------------------------------------
# The multivariate normal: logpdf(x, mean, cov) = -(d log(2 pi) + log det(cov) + r' cov^-1 r) / 2
# with r = x - mean. x holds points along its last axis, as SciPy reads it: shape (d,) is one
# point, (n, d) n of them; when d is 1, shape (n,) is n points. SciPy squeezes the result (one
# value per point), and the helpers take and return values of that shape. cov is a matrix, a
# diagonal, or a scalar (a multiple of the identity).


def _mvn_parts(x, mean, cov):
    """The points as an array with the components on its last axis, `s = cov^-1 (x - mean)` for
    each point, of that shape, and the Cholesky factor of the covariance as a matrix."""
    from scipy.linalg import cho_solve

    x, cov = np.asarray(x), np.asarray(cov)
    d = np.size(mean) if mean is not None else (cov.shape[0] if cov.ndim == 2 else 1)
    full = cov if cov.ndim == 2 else np.diag(np.broadcast_to(cov, (d,)))
    if x.ndim == 0 or (x.ndim == 1 and d == 1):
        points = np.reshape(x, (-1, 1))
    else:
        points = np.reshape(x, (-1, d)) if x.ndim == 1 else x
    r = points - (0 if mean is None else np.reshape(mean, (d,)))
    chol = np.linalg.cholesky(full)
    s = np.reshape(cho_solve((chol, True), np.reshape(r, (-1, d)).T).T, r.shape)
    return points, s, chol


def _per_point(g, points):
    """`g`, SciPy's squeezed shape or a scalar, with one value per point and an axis of 1 for
    the components."""
    shape = points.shape[:-1]
    squeezed = tuple(n for n in shape if n != 1)
    return np.reshape(np.broadcast_to(g, squeezed), shape + (1,))


def _full_cov(tangent, d):
    """A covariance's tangent (a matrix, a diagonal, or a multiple of the identity) as a matrix."""
    tangent = np.asarray(tangent)
    if tangent.ndim == 2:
        return tangent
    return np.diag(np.broadcast_to(tangent, (d,)))


def _to_cov(gradient, cov):
    """A full matrix gradient, symmetrised, reduced to the covariance's form: its diagonal for a
    1-D cov, its trace for a scalar (cov times the identity)."""
    cov = np.asarray(cov)
    gradient = (gradient + gradient.T) / 2
    if cov.ndim == 2:
        return gradient
    return np.diagonal(gradient).copy() if cov.ndim == 1 else np.trace(gradient)


def mvn_logpdf_dx(g, x, mean, cov):
    """The gradient of `scipy.stats.multivariate_normal.logpdf(x, mean, cov)` in `x`:
    `-cov^-1 (x - mean)` for each point, times its `g`.

    >>> mvn_logpdf_dx(1.0, np.array([1.0, 2.0]), None, np.diag([2.0, 4.0]))
    array([-0.5, -0.5])
    """
    points, s, _ = _mvn_parts(x, mean, cov)
    return np.reshape(-_per_point(g, points) * s, np.shape(x))


def mvn_logpdf_dmean(g, x, mean, cov):
    """The gradient of `scipy.stats.multivariate_normal.logpdf(x, mean, cov)` in `mean`:
    `cov^-1 (x - mean)`, summed over the points with weights `g`.

    >>> mvn_logpdf_dmean(np.array([1.0, 1.0]), np.array([[1.0, 2.0], [1.0, 0.0]]), np.zeros(2), np.eye(2))
    array([2., 2.])
    """
    points, s, _ = _mvn_parts(x, mean, cov)
    total = np.sum(np.reshape(_per_point(g, points) * s, (-1, s.shape[-1])), axis=0)
    return np.reshape(total, np.shape(mean))


def mvn_logpdf_dcov(g, x, mean, cov):
    """The gradient of `scipy.stats.multivariate_normal.logpdf(x, mean, cov)` in `cov`:
    `(s s' - cov^-1) / 2` with `s = cov^-1 (x - mean)`, summed over the points with weights `g`.
    It is symmetric: the derivative along symmetric changes of cov (SciPy reads one triangle).

    >>> mvn_logpdf_dcov(1.0, np.array([2.0, 0.0]), None, np.eye(2))
    array([[ 1.5,  0. ],
           [ 0. , -0.5]])
    """
    from scipy.linalg import cho_solve

    points, s, chol = _mvn_parts(x, mean, cov)
    weights = np.reshape(_per_point(g, points), (-1, 1))
    flat = np.reshape(s, (-1, s.shape[-1]))
    inverse = cho_solve((chol, True), np.eye(chol.shape[0]))
    return _to_cov(((flat * weights).T @ flat - np.sum(weights) * inverse) / 2, cov)


def mvn_entropy_dcov(g, mean, cov):
    """The gradient of `scipy.stats.multivariate_normal.entropy(mean, cov)`, half the log
    determinant of `2 pi e cov`, in `cov`: `g cov^-1 / 2`, symmetric, in the covariance's form
    (its diagonal for a 1-D cov, its trace for a scalar one).

    >>> mvn_entropy_dcov(1.0, None, np.diag([2.0, 4.0]))
    array([[0.25 , 0.   ],
           [0.   , 0.125]])
    >>> float(mvn_entropy_dcov(1.0, np.zeros(3), 2.0))
    0.75
    """
    cov = np.asarray(cov)
    d = np.size(mean) if mean is not None else (cov.shape[0] if cov.ndim == 2 else 1)
    full = cov if cov.ndim == 2 else np.diag(np.broadcast_to(cov, (d,)))
    return _to_cov(g * np.linalg.inv(full) / 2, cov)


def mvn_logpdf_jvp_x(t, x, mean, cov):
    """The tangent of `scipy.stats.multivariate_normal.logpdf(x, mean, cov)` along `t`, a
    tangent of `x`: `-t . cov^-1 (x - mean)` for each point.

    >>> float(mvn_logpdf_jvp_x(np.array([1.0, 0.0]), np.array([1.0, 2.0]), None, np.diag([4.0, 16.0])))
    -0.25
    """
    points, s, _ = _mvn_parts(x, mean, cov)
    t = np.reshape(np.broadcast_to(t, np.shape(x)), s.shape)
    return np.squeeze(-np.sum(t * s, axis=-1))


def mvn_logpdf_jvp_mean(t, x, mean, cov):
    """The tangent of `scipy.stats.multivariate_normal.logpdf(x, mean, cov)` along `t`, a
    tangent of `mean`: `t . cov^-1 (x - mean)` for each point.

    >>> t, x = np.array([1.0, 0.0]), np.array([1.0, 2.0])
    >>> float(mvn_logpdf_jvp_mean(t, x, np.zeros(2), np.diag([4.0, 16.0])))
    0.25
    """
    points, s, _ = _mvn_parts(x, mean, cov)
    return np.squeeze(np.sum(np.reshape(t, (s.shape[-1],)) * s, axis=-1))


def mvn_logpdf_jvp_cov(t, x, mean, cov):
    """The tangent of `scipy.stats.multivariate_normal.logpdf(x, mean, cov)` along `t`, a
    tangent of `cov`: `(s' T s - trace(cov^-1 T)) / 2` for each point, with T the symmetric
    part of `t` as a matrix and `s = cov^-1 (x - mean)`.

    >>> float(mvn_logpdf_jvp_cov(np.eye(2), np.array([2.0, 0.0]), None, np.eye(2)))
    1.0
    """
    from scipy.linalg import cho_solve

    points, s, chol = _mvn_parts(x, mean, cov)
    change = _full_cov(t, s.shape[-1])
    change = (change + change.T) / 2
    trace = np.trace(cho_solve((chol, True), change))
    return np.squeeze((np.sum((s @ change) * s, axis=-1) - trace) / 2)
