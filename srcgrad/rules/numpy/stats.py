"""scipy.stats distributions: log densities, densities, cdfs and survival functions, in x and the parameters.

A distribution's method is a key of its own: `scipy.stats.norm.logpdf` is a method bound to the
`norm` object, and bound methods are equal (and hash alike) exactly when they bind the same
function to the same object, so `norm.logpdf` and `t.logpdf` are told apart although SciPy
shares one function between them. The rules are registered once the user's program has
imported `scipy.stats`, as scipy.special's are.

With z = (x - loc) / scale, a location-scale family's log density is l(z) - log(scale); its
slope in x is l'(z) / scale, in loc the opposite, in scale -(z l'(z) + 1) / scale. A cdf's
slope in x is the density p, in loc -p, in scale -z p; a log cdf's are those over the cdf,
computed from the logs (`density_ratio`) so that they stay finite in the tails. Survival
functions are the cdf's complements. These four rules are written once (`_tails`) for every
distribution whose density SciPy computes (t, gamma, chi2, beta), its name and shape parameters
bound into them when they are registered; the normal's write its density out.

Conventions, stated once here and in each rule's comment:

- Outside the support, where the density is 0 and the log density -inf, every gradient is 0
  (and so are the cdf's, which are flat there).
- On the support's boundary (x = loc for gamma and chi2, x = loc and loc + scale for beta,
  x_i = 0 for the Dirichlet, mu = 0 for the Poisson), the one-sided derivative from inside: a
  factor x**0 counts as 1 (so the exponential distribution, gamma with a = 1, has slope
  -1 / scale at 0), and an infinite slope is +-inf. The density (pdf, not logpdf) multiplies its
  log's slope by its value, so where the value is 0 and the log's slope infinite it is nan: use
  logpdf there.
- A parameter whose derivative has no closed form (the shape parameters of a cdf: t's and chi2's
  df, gamma's a, beta's a and b, all of them derivatives of incomplete beta or gamma functions in
  their parameters) gets none: srcgrad refuses, at the user's line, a call where such an argument
  depends on the values being differentiated. The Poisson's k and loc, on which the pmf depends
  as a step function, are refused the same way.
"""

# ruff: noqa: F821  (the runtime helpers are names in generated code, not here)

import sys

from ..registry import adjoint, tangent

registered = False


def register_scipy() -> None:
    """Register the rules for scipy.stats's distributions, each adjoint with its tangent."""
    global registered
    registered = True
    import scipy.stats

    _normal()
    _student_t(scipy.stats.t)
    _tails(scipy.stats.t, "df", incomplete="beta")
    _gamma(scipy.stats.gamma)
    _tails(scipy.stats.gamma, "a", incomplete="gamma")
    _chi2(scipy.stats.chi2)
    _tails(scipy.stats.chi2, "df", incomplete="gamma")
    _beta(scipy.stats.beta)
    _tails(scipy.stats.beta, "a", "b", incomplete="beta")
    _poisson(scipy.stats.poisson)
    _multivariate(scipy.stats.dirichlet, scipy.stats.multivariate_normal)


def _normal() -> None:
    from scipy.stats import norm

    @adjoint(norm.logpdf)
    def norm_logpdf(g, x, loc=0, scale=1):
        z = (x - loc) / scale
        dx = unbroadcast(-g * z / scale, x)
        dloc = unbroadcast(g * z / scale, loc)
        dscale = unbroadcast(g * (z * z - 1) / scale, scale)

    @tangent(norm.logpdf)
    def norm_logpdf_tangent(t, x, loc=0, scale=1):
        z = (x - loc) / scale
        dx = -t * z / scale
        dloc = t * z / scale
        dscale = t * (z * z - 1) / scale

    @adjoint(norm.pdf)
    def norm_pdf(g, ans, x, loc=0, scale=1):
        z = (x - loc) / scale
        dx = unbroadcast(-g * ans * z / scale, x)
        dloc = unbroadcast(g * ans * z / scale, loc)
        dscale = unbroadcast(g * ans * (z * z - 1) / scale, scale)

    @tangent(norm.pdf)
    def norm_pdf_tangent(t, ans, x, loc=0, scale=1):
        z = (x - loc) / scale
        dx = -t * ans * z / scale
        dloc = t * ans * z / scale
        dscale = t * ans * (z * z - 1) / scale

    @adjoint(norm.cdf)
    def norm_cdf(g, x, loc=0, scale=1):
        # the slope is the density (0.3989422804014327 is 1 / sqrt(2 pi)); 0 at x = +-inf
        z = (x - loc) / scale
        p = np.exp(-z * z / 2) * 0.3989422804014327 / scale
        dx = unbroadcast(g * p, x)
        dloc = unbroadcast(-g * p, loc)
        dscale = unbroadcast(-g * mul0(z, p), scale)

    @tangent(norm.cdf)
    def norm_cdf_tangent(t, x, loc=0, scale=1):
        z = (x - loc) / scale
        p = np.exp(-z * z / 2) * 0.3989422804014327 / scale
        dx = t * p
        dloc = -t * p
        dscale = -t * mul0(z, p)

    @adjoint(norm.sf)
    def norm_sf(g, x, loc=0, scale=1):
        # minus the density; 0 at x = +-inf
        z = (x - loc) / scale
        p = np.exp(-z * z / 2) * 0.3989422804014327 / scale
        dx = unbroadcast(-g * p, x)
        dloc = unbroadcast(g * p, loc)
        dscale = unbroadcast(g * mul0(z, p), scale)

    @tangent(norm.sf)
    def norm_sf_tangent(t, x, loc=0, scale=1):
        z = (x - loc) / scale
        p = np.exp(-z * z / 2) * 0.3989422804014327 / scale
        dx = -t * p
        dloc = t * p
        dscale = t * mul0(z, p)

    @adjoint(norm.logcdf)
    def norm_logcdf(g, ans, x, loc=0, scale=1):
        # density / cdf from their logs (0.9189385332046727 is log(sqrt(2 pi))): about -z / scale
        # far in the left tail, 0 at x = +-inf
        z = (x - loc) / scale
        r = density_ratio(-z * z / 2 - 0.9189385332046727, ans) / scale
        dx = unbroadcast(g * r, x)
        dloc = unbroadcast(-g * r, loc)
        dscale = unbroadcast(-g * mul0(z, r), scale)

    @tangent(norm.logcdf)
    def norm_logcdf_tangent(t, ans, x, loc=0, scale=1):
        z = (x - loc) / scale
        r = density_ratio(-z * z / 2 - 0.9189385332046727, ans) / scale
        dx = t * r
        dloc = -t * r
        dscale = -t * mul0(z, r)

    @adjoint(norm.logsf)
    def norm_logsf(g, ans, x, loc=0, scale=1):
        # minus density / sf from their logs: about -z / scale far in the right tail, 0 at x = +-inf
        z = (x - loc) / scale
        r = density_ratio(-z * z / 2 - 0.9189385332046727, ans) / scale
        dx = unbroadcast(-g * r, x)
        dloc = unbroadcast(g * r, loc)
        dscale = unbroadcast(g * mul0(z, r), scale)

    @tangent(norm.logsf)
    def norm_logsf_tangent(t, ans, x, loc=0, scale=1):
        z = (x - loc) / scale
        r = density_ratio(-z * z / 2 - 0.9189385332046727, ans) / scale
        dx = -t * r
        dloc = t * r
        dscale = t * mul0(z, r)


def _student_t(t_dist) -> None:
    @adjoint(t_dist.logpdf)
    def t_logpdf(g, x, df, loc=0, scale=1):
        z = (x - loc) / scale
        slope = -(df + 1) * z / (df + z * z)
        half = digamma((df + 1) / 2) - digamma(df / 2) - 1 / df
        dfslope = (half - np.log1p(z * z / df) - z * slope / df) / 2
        dx = unbroadcast(g * slope / scale, x)
        dloc = unbroadcast(-g * slope / scale, loc)
        dscale = unbroadcast(-g * (z * slope + 1) / scale, scale)
        ddf = unbroadcast(g * dfslope, df)

    @tangent(t_dist.logpdf)
    def t_logpdf_tangent(t, x, df, loc=0, scale=1):
        z = (x - loc) / scale
        slope = -(df + 1) * z / (df + z * z)
        half = digamma((df + 1) / 2) - digamma(df / 2) - 1 / df
        dfslope = (half - np.log1p(z * z / df) - z * slope / df) / 2
        dx = t * slope / scale
        dloc = -t * slope / scale
        dscale = -t * (z * slope + 1) / scale
        ddf = t * dfslope

    @adjoint(t_dist.pdf)
    def t_pdf(g, ans, x, df, loc=0, scale=1):
        z = (x - loc) / scale
        slope = -(df + 1) * z / (df + z * z)
        half = digamma((df + 1) / 2) - digamma(df / 2) - 1 / df
        dfslope = (half - np.log1p(z * z / df) - z * slope / df) / 2
        dx = unbroadcast(g * ans * slope / scale, x)
        dloc = unbroadcast(-g * ans * slope / scale, loc)
        dscale = unbroadcast(-g * ans * (z * slope + 1) / scale, scale)
        ddf = unbroadcast(g * ans * dfslope, df)

    @tangent(t_dist.pdf)
    def t_pdf_tangent(t, ans, x, df, loc=0, scale=1):
        z = (x - loc) / scale
        slope = -(df + 1) * z / (df + z * z)
        half = digamma((df + 1) / 2) - digamma(df / 2) - 1 / df
        dfslope = (half - np.log1p(z * z / df) - z * slope / df) / 2
        dx = t * ans * slope / scale
        dloc = -t * ans * slope / scale
        dscale = -t * ans * (z * slope + 1) / scale
        ddf = t * ans * dfslope


def _gamma(gamma) -> None:
    @adjoint(gamma.logpdf)
    def gamma_logpdf(g, x, a, loc=0, scale=1):
        # 0 outside the support (x < loc); at x = loc the slopes from inside: in x inf (a > 1),
        # -1 / scale (a = 1), -inf (a < 1); in a, -inf
        z = (x - loc) / scale
        inside = z >= 0
        zs = np.where(inside, z, 1)
        slope = np.where(inside, (a - 1) / np.where(a == 1, 1, zs) - 1, 0)
        dx = unbroadcast(g * slope / scale, x)
        dloc = unbroadcast(-g * slope / scale, loc)
        dscale = unbroadcast(g * np.where(inside, z - a, 0) / scale, scale)
        da = unbroadcast(g * np.where(inside, np.log(zs) - digamma(a), 0), a)

    @tangent(gamma.logpdf)
    def gamma_logpdf_tangent(t, x, a, loc=0, scale=1):
        z = (x - loc) / scale
        inside = z >= 0
        zs = np.where(inside, z, 1)
        slope = np.where(inside, (a - 1) / np.where(a == 1, 1, zs) - 1, 0)
        dx = t * slope / scale
        dloc = -t * slope / scale
        dscale = t * np.where(inside, z - a, 0) / scale
        da = t * np.where(inside, np.log(zs) - digamma(a), 0)

    @adjoint(gamma.pdf)
    def gamma_pdf(g, ans, x, a, loc=0, scale=1):
        # 0 outside the support; at x = loc nan in x where the density is 0 and its log's slope
        # infinite (a > 1): use logpdf there
        z = (x - loc) / scale
        inside = z >= 0
        zs = np.where(inside, z, 1)
        slope = np.where(inside, (a - 1) / np.where(a == 1, 1, zs) - 1, 0)
        dx = unbroadcast(g * ans * slope / scale, x)
        dloc = unbroadcast(-g * ans * slope / scale, loc)
        dscale = unbroadcast(g * ans * np.where(inside, z - a, 0) / scale, scale)
        da = unbroadcast(g * ans * np.where(inside, np.log(zs) - digamma(a), 0), a)

    @tangent(gamma.pdf)
    def gamma_pdf_tangent(t, ans, x, a, loc=0, scale=1):
        z = (x - loc) / scale
        inside = z >= 0
        zs = np.where(inside, z, 1)
        slope = np.where(inside, (a - 1) / np.where(a == 1, 1, zs) - 1, 0)
        dx = t * ans * slope / scale
        dloc = -t * ans * slope / scale
        dscale = t * ans * np.where(inside, z - a, 0) / scale
        da = t * ans * np.where(inside, np.log(zs) - digamma(a), 0)


def _chi2(chi2) -> None:
    @adjoint(chi2.logpdf)
    def chi2_logpdf(g, x, df, loc=0, scale=1):
        # gamma's with a = df / 2 and scale 2 * scale: 0 outside the support (x < loc); at x = loc
        # the slopes from inside (-1 / (2 scale) in x for df = 2)
        z = (x - loc) / scale
        inside = z >= 0
        zs = np.where(inside, z, 1)
        slope = np.where(inside, (df / 2 - 1) / np.where(df == 2, 1, zs) - 0.5, 0)
        dx = unbroadcast(g * slope / scale, x)
        dloc = unbroadcast(-g * slope / scale, loc)
        dscale = unbroadcast(g * np.where(inside, z - df, 0) / (2 * scale), scale)
        ddf = unbroadcast(g * np.where(inside, np.log(zs / 2) - digamma(df / 2), 0) / 2, df)

    @tangent(chi2.logpdf)
    def chi2_logpdf_tangent(t, x, df, loc=0, scale=1):
        z = (x - loc) / scale
        inside = z >= 0
        zs = np.where(inside, z, 1)
        slope = np.where(inside, (df / 2 - 1) / np.where(df == 2, 1, zs) - 0.5, 0)
        dx = t * slope / scale
        dloc = -t * slope / scale
        dscale = t * np.where(inside, z - df, 0) / (2 * scale)
        ddf = t * np.where(inside, np.log(zs / 2) - digamma(df / 2), 0) / 2

    @adjoint(chi2.pdf)
    def chi2_pdf(g, ans, x, df, loc=0, scale=1):
        # 0 outside the support; at x = loc nan in x where the density is 0 and its log's slope
        # infinite (df > 2): use logpdf there
        z = (x - loc) / scale
        inside = z >= 0
        zs = np.where(inside, z, 1)
        slope = np.where(inside, (df / 2 - 1) / np.where(df == 2, 1, zs) - 0.5, 0)
        dx = unbroadcast(g * ans * slope / scale, x)
        dloc = unbroadcast(-g * ans * slope / scale, loc)
        dscale = unbroadcast(g * ans * np.where(inside, z - df, 0) / (2 * scale), scale)
        ddf = unbroadcast(g * ans * np.where(inside, np.log(zs / 2) - digamma(df / 2), 0) / 2, df)

    @tangent(chi2.pdf)
    def chi2_pdf_tangent(t, ans, x, df, loc=0, scale=1):
        z = (x - loc) / scale
        inside = z >= 0
        zs = np.where(inside, z, 1)
        slope = np.where(inside, (df / 2 - 1) / np.where(df == 2, 1, zs) - 0.5, 0)
        dx = t * ans * slope / scale
        dloc = -t * ans * slope / scale
        dscale = t * ans * np.where(inside, z - df, 0) / (2 * scale)
        ddf = t * ans * np.where(inside, np.log(zs / 2) - digamma(df / 2), 0) / 2


def _beta(beta) -> None:
    @adjoint(beta.logpdf)
    def beta_logpdf(g, x, a, b, loc=0, scale=1):
        # 0 outside the support [loc, loc + scale]; at its ends the slopes from inside (a term
        # (a - 1) log z with a = 1 is 0 at z = 0, as (b - 1) log(1 - z) with b = 1 at z = 1)
        z = (x - loc) / scale
        inside = (z >= 0) & (z <= 1)
        zs = np.where(inside, z, 0.5)
        left = (a - 1) / np.where(a == 1, 1, zs)
        right = (b - 1) / np.where(b == 1, 1, 1 - zs)
        slope = np.where(inside, left - right, 0)
        both = digamma(a + b)
        dx = unbroadcast(g * slope / scale, x)
        dloc = unbroadcast(-g * slope / scale, loc)
        dscale = unbroadcast(g * np.where(inside, zs * right - a, 0) / scale, scale)
        da = unbroadcast(g * np.where(inside, np.log(zs) - digamma(a) + both, 0), a)
        db = unbroadcast(g * np.where(inside, np.log1p(-zs) - digamma(b) + both, 0), b)

    @tangent(beta.logpdf)
    def beta_logpdf_tangent(t, x, a, b, loc=0, scale=1):
        z = (x - loc) / scale
        inside = (z >= 0) & (z <= 1)
        zs = np.where(inside, z, 0.5)
        left = (a - 1) / np.where(a == 1, 1, zs)
        right = (b - 1) / np.where(b == 1, 1, 1 - zs)
        slope = np.where(inside, left - right, 0)
        both = digamma(a + b)
        dx = t * slope / scale
        dloc = -t * slope / scale
        dscale = t * np.where(inside, zs * right - a, 0) / scale
        da = t * np.where(inside, np.log(zs) - digamma(a) + both, 0)
        db = t * np.where(inside, np.log1p(-zs) - digamma(b) + both, 0)

    @adjoint(beta.pdf)
    def beta_pdf(g, ans, x, a, b, loc=0, scale=1):
        # 0 outside the support; at its ends nan in x where the density is 0 and its log's slope
        # infinite: use logpdf there
        z = (x - loc) / scale
        inside = (z >= 0) & (z <= 1)
        zs = np.where(inside, z, 0.5)
        left = (a - 1) / np.where(a == 1, 1, zs)
        right = (b - 1) / np.where(b == 1, 1, 1 - zs)
        slope = np.where(inside, left - right, 0)
        both = digamma(a + b)
        dx = unbroadcast(g * ans * slope / scale, x)
        dloc = unbroadcast(-g * ans * slope / scale, loc)
        dscale = unbroadcast(g * ans * np.where(inside, zs * right - a, 0) / scale, scale)
        da = unbroadcast(g * ans * np.where(inside, np.log(zs) - digamma(a) + both, 0), a)
        db = unbroadcast(g * ans * np.where(inside, np.log1p(-zs) - digamma(b) + both, 0), b)

    @tangent(beta.pdf)
    def beta_pdf_tangent(t, ans, x, a, b, loc=0, scale=1):
        z = (x - loc) / scale
        inside = (z >= 0) & (z <= 1)
        zs = np.where(inside, z, 0.5)
        left = (a - 1) / np.where(a == 1, 1, zs)
        right = (b - 1) / np.where(b == 1, 1, 1 - zs)
        slope = np.where(inside, left - right, 0)
        both = digamma(a + b)
        dx = t * ans * slope / scale
        dloc = -t * ans * slope / scale
        dscale = t * ans * np.where(inside, zs * right - a, 0) / scale
        da = t * ans * np.where(inside, np.log(zs) - digamma(a) + both, 0)
        db = t * ans * np.where(inside, np.log1p(-zs) - digamma(b) + both, 0)


def _tails(dist, *shapes: str, incomplete: str) -> None:
    """The cdf, sf, logcdf and logsf rules of a continuous distribution whose log density SciPy
    computes (`log_density`), with shape parameters `shapes`: `_tails(scipy.stats.beta, "a", "b",
    incomplete="beta")` registers `beta_cdf` for `beta.cdf(x, a, b, loc=0, scale=1)`, and so on.
    `DIST` and `*SHAPES` are bound to the distribution's name and shape parameters when each
    template is registered; `INCOMPLETE`, read by the comments only, names the incomplete
    function (beta or gamma) the cdf is, whose derivative in the shapes has no closed form."""
    constants = {"DIST": dist.name, "SHAPES": shapes, "INCOMPLETE": incomplete}

    def rule(register):  # the key is the method the template is named after: `cdf_tangent` is cdf's
        def decorate(template):
            method = getattr(dist, template.__name__.removesuffix("_tangent"))
            name = f"{dist.name}_{template.__name__}"
            return register(method, name=name, constants=constants)(template)

        return decorate

    @rule(adjoint)
    def cdf(g, x, *SHAPES, loc=0, scale=1):
        # the slope is the density, 0 where it is 0 (outside the support, x = +-inf); a shape
        # parameter (SHAPES) that carries a gradient is refused: its derivative has no closed
        # form (an incomplete INCOMPLETE function's in its parameters)
        z = (x - loc) / scale
        p = np.exp(log_density(DIST, x, *SHAPES, loc, scale))
        dx = unbroadcast(g * p, x)
        dloc = unbroadcast(-g * p, loc)
        dscale = unbroadcast(-g * mul0(z, p), scale)

    @rule(tangent)
    def cdf_tangent(t, x, *SHAPES, loc=0, scale=1):
        z = (x - loc) / scale
        p = np.exp(log_density(DIST, x, *SHAPES, loc, scale))
        dx = t * p
        dloc = -t * p
        dscale = -t * mul0(z, p)

    @rule(adjoint)
    def sf(g, x, *SHAPES, loc=0, scale=1):
        # minus the density; a shape parameter (SHAPES) that carries a gradient is refused, as
        # for the cdf
        z = (x - loc) / scale
        p = np.exp(log_density(DIST, x, *SHAPES, loc, scale))
        dx = unbroadcast(-g * p, x)
        dloc = unbroadcast(g * p, loc)
        dscale = unbroadcast(g * mul0(z, p), scale)

    @rule(tangent)
    def sf_tangent(t, x, *SHAPES, loc=0, scale=1):
        z = (x - loc) / scale
        p = np.exp(log_density(DIST, x, *SHAPES, loc, scale))
        dx = -t * p
        dloc = t * p
        dscale = t * mul0(z, p)

    @rule(adjoint)
    def logcdf(g, ans, x, *SHAPES, loc=0, scale=1):
        # density / cdf from their logs, 0 where the density is 0; a shape parameter (SHAPES)
        # that carries a gradient is refused, as for the cdf
        z = (x - loc) / scale
        r = density_ratio(log_density(DIST, x, *SHAPES, loc, scale), ans)
        dx = unbroadcast(g * r, x)
        dloc = unbroadcast(-g * r, loc)
        dscale = unbroadcast(-g * mul0(z, r), scale)

    @rule(tangent)
    def logcdf_tangent(t, ans, x, *SHAPES, loc=0, scale=1):
        z = (x - loc) / scale
        r = density_ratio(log_density(DIST, x, *SHAPES, loc, scale), ans)
        dx = t * r
        dloc = -t * r
        dscale = -t * mul0(z, r)

    @rule(adjoint)
    def logsf(g, ans, x, *SHAPES, loc=0, scale=1):
        # minus density / sf from their logs, 0 where the density is 0; a shape parameter
        # (SHAPES) that carries a gradient is refused, as for the cdf
        z = (x - loc) / scale
        r = density_ratio(log_density(DIST, x, *SHAPES, loc, scale), ans)
        dx = unbroadcast(-g * r, x)
        dloc = unbroadcast(g * r, loc)
        dscale = unbroadcast(g * mul0(z, r), scale)

    @rule(tangent)
    def logsf_tangent(t, ans, x, *SHAPES, loc=0, scale=1):
        z = (x - loc) / scale
        r = density_ratio(log_density(DIST, x, *SHAPES, loc, scale), ans)
        dx = -t * r
        dloc = t * r
        dscale = t * mul0(z, r)


def _poisson(poisson) -> None:
    @adjoint(poisson.logpmf)
    def poisson_logpmf(g, k, mu, loc=0):
        # k / mu - 1 on the support (k - loc a count), 0 off it; at mu = 0, -1 for k = loc and inf
        # above. k and loc, of which the pmf is a step function, are refused if they carry a gradient
        m = k - loc
        count = (m >= 0) & (m == np.floor(m))
        dmu = unbroadcast(g * np.where(count, m / np.where(m == 0, 1, mu) - 1, 0), mu)

    @tangent(poisson.logpmf)
    def poisson_logpmf_tangent(t, k, mu, loc=0):
        m = k - loc
        count = (m >= 0) & (m == np.floor(m))
        dmu = t * np.where(count, m / np.where(m == 0, 1, mu) - 1, 0)

    @adjoint(poisson.pmf)
    def poisson_pmf(g, ans, k, mu, loc=0):
        # pmf(k - 1) - pmf(k), finite at mu = 0 too; 0 off the support
        dmu = unbroadcast(g * (np.exp(log_density("poisson", k - 1, mu, loc)) - ans), mu)

    @tangent(poisson.pmf)
    def poisson_pmf_tangent(t, ans, k, mu, loc=0):
        dmu = t * (np.exp(log_density("poisson", k - 1, mu, loc)) - ans)

    @adjoint(poisson.cdf)
    def poisson_cdf(g, k, mu, loc=0):
        # minus the pmf at floor(k - loc), the last count the cdf adds; 0 below the support
        dmu = unbroadcast(-g * np.exp(log_density("poisson", np.floor(k - loc), mu)), mu)

    @tangent(poisson.cdf)
    def poisson_cdf_tangent(t, k, mu, loc=0):
        dmu = -t * np.exp(log_density("poisson", np.floor(k - loc), mu))

    @adjoint(poisson.sf)
    def poisson_sf(g, k, mu, loc=0):
        # the pmf at floor(k - loc); 0 below the support
        dmu = unbroadcast(g * np.exp(log_density("poisson", np.floor(k - loc), mu)), mu)

    @tangent(poisson.sf)
    def poisson_sf_tangent(t, k, mu, loc=0):
        dmu = t * np.exp(log_density("poisson", np.floor(k - loc), mu))

    @adjoint(poisson.logcdf)
    def poisson_logcdf(g, ans, k, mu, loc=0):
        # minus pmf / cdf from their logs; 0 below the support
        dmu = unbroadcast(-g * density_ratio(log_density("poisson", np.floor(k - loc), mu), ans), mu)

    @tangent(poisson.logcdf)
    def poisson_logcdf_tangent(t, ans, k, mu, loc=0):
        dmu = -t * density_ratio(log_density("poisson", np.floor(k - loc), mu), ans)

    @adjoint(poisson.logsf)
    def poisson_logsf(g, ans, k, mu, loc=0):
        # pmf / sf from their logs; 0 below the support
        dmu = unbroadcast(g * density_ratio(log_density("poisson", np.floor(k - loc), mu), ans), mu)

    @tangent(poisson.logsf)
    def poisson_logsf_tangent(t, ans, k, mu, loc=0):
        dmu = t * density_ratio(log_density("poisson", np.floor(k - loc), mu), ans)


def _multivariate(dirichlet, multivariate_normal) -> None:
    @adjoint(dirichlet.logpdf)
    def dirichlet_logpdf(g, x, alpha):
        # x's first axis holds the components (K of them, or K - 1 and the last 1 - sum(x)); at
        # x_i = 0 the slope in x_i is inf (alpha_i > 1) or 0 (alpha_i = 1), and in alpha_i -inf
        dx = dirichlet_dx(g, x, alpha)
        dalpha = dirichlet_dalpha(g, x, alpha)

    @tangent(dirichlet.logpdf)
    def dirichlet_logpdf_tangent(t, x, alpha):
        dx = dirichlet_jvp_x(t, x, alpha)
        dalpha = dirichlet_jvp_alpha(t, x, alpha)

    @adjoint(dirichlet.pdf)
    def dirichlet_pdf(g, ans, x, alpha):
        dx = dirichlet_dx(g * ans, x, alpha)
        dalpha = dirichlet_dalpha(g * ans, x, alpha)

    @tangent(dirichlet.pdf)
    def dirichlet_pdf_tangent(t, ans, x, alpha):
        dx = ans * dirichlet_jvp_x(t, x, alpha)
        dalpha = ans * dirichlet_jvp_alpha(t, x, alpha)

    @adjoint(multivariate_normal.logpdf)
    def multivariate_normal_logpdf(g, x, mean=None, cov=1):
        # through cov's Cholesky factor; the cov gradient is symmetric, the derivative along
        # symmetric changes of cov (SciPy reads one triangle of it); a 1-D cov (a diagonal) or a
        # scalar one gets the diagonal or the trace of it. allow_singular= is not taken (the
        # derivative needs a positive definite cov)
        dx = mvn_logpdf_dx(g, x, mean, cov)
        dmean = mvn_logpdf_dmean(g, x, mean, cov)
        dcov = mvn_logpdf_dcov(g, x, mean, cov)

    @tangent(multivariate_normal.logpdf)
    def multivariate_normal_logpdf_tangent(t, x, mean=None, cov=1):
        dx = mvn_logpdf_jvp_x(t, x, mean, cov)
        dmean = mvn_logpdf_jvp_mean(t, x, mean, cov)
        dcov = mvn_logpdf_jvp_cov(t, x, mean, cov)

    @adjoint(multivariate_normal.pdf)
    def multivariate_normal_pdf(g, ans, x, mean=None, cov=1):
        dx = mvn_logpdf_dx(g * ans, x, mean, cov)
        dmean = mvn_logpdf_dmean(g * ans, x, mean, cov)
        dcov = mvn_logpdf_dcov(g * ans, x, mean, cov)

    @tangent(multivariate_normal.pdf)
    def multivariate_normal_pdf_tangent(t, ans, x, mean=None, cov=1):
        dx = ans * mvn_logpdf_jvp_x(t, x, mean, cov)
        dmean = ans * mvn_logpdf_jvp_mean(t, x, mean, cov)
        dcov = ans * mvn_logpdf_jvp_cov(t, x, mean, cov)

    @adjoint(multivariate_normal.entropy)
    def multivariate_normal_entropy(g, mean=None, cov=1):
        # half the log determinant of 2 pi e cov: no gradient in mean (read for its length); in
        # cov, half its inverse, symmetric (a 1-D cov gets the diagonal, a scalar the trace)
        dcov = mvn_entropy_dcov(g, mean, cov)

    @tangent(multivariate_normal.entropy)
    def multivariate_normal_entropy_tangent(t, mean=None, cov=1):
        dcov = np.sum(mvn_entropy_dcov(1.0, mean, cov) * t)


if "scipy.stats" in sys.modules:
    register_scipy()
