"""Rows for the scipy.stats rules (srcgrad/rules/numpy/stats.py): every distribution's method
against finite differences in both modes (`check_grads(mode="both")`: the gradient, and the
tangent `jvp` gives along random directions), in each parameter it differentiates.

The rows call the distributions as user code does: `norm.logpdf(x, mu, s)` after `from
scipy.stats import norm`, `scipy.stats.norm.logpdf(...)`, `stats.norm...` and with `loc=` and
`scale=` keywords. Their arguments are drawn (shapes that broadcast together, values inside the
support); the tests after the table check points near and on the support's boundaries, the
tails, what is refused, the multivariate normal's shapes, and small Bayesian programs.

SciPy computes these in float64 whatever it is given, and calls NumPy on other arrays, so the
rows are checked in float64 on NumPy only (rulespec's float32 and backend passes do not apply).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import scipy.stats
from hypothesis import strategies as st
from rulespec import Spec, cached_grad, check_both_modes, section_test
from scipy import stats
from scipy.special import softmax
from scipy.stats import beta, chi2, dirichlet, gamma, multivariate_normal, norm, poisson, t

import srcgrad
import srcgrad.rules
from srcgrad.testing import check_grads
from srcgrad.testing.strategies import arrays, broadcastable_shapes

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # log(0), inf - inf at boundaries

# ---------------------------------------------------------------------------------------------
# The functions under test: `w` weights the values, so that each rule gets a real array gradient.


def norm_logpdf_w(x, loc, scale, w):
    return np.sum(w * norm.logpdf(x, loc, scale))


def norm_pdf_w(x, loc, scale, w):
    return np.sum(w * scipy.stats.norm.pdf(x, loc=loc, scale=scale))


def norm_cdf_w(x, loc, scale, w):
    return np.sum(w * stats.norm.cdf(x, loc, scale=scale))


def norm_sf_w(x, loc, scale, w):
    return np.sum(w * norm.sf(x, loc=loc, scale=scale))


def norm_logcdf_w(x, loc, scale, w):
    return np.sum(w * norm.logcdf(x, loc, scale))


def norm_logsf_w(x, loc, scale, w):
    return np.sum(w * scipy.stats.norm.logsf(x, loc, scale))


def t_logpdf_w(x, df, loc, scale, w):
    return np.sum(w * t.logpdf(x, df, loc, scale))


def t_pdf_w(x, df, loc, scale, w):
    return np.sum(w * stats.t.pdf(x, df, loc=loc, scale=scale))


def t_cdf_w(x, df, loc, scale, w):
    return np.sum(w * t.cdf(x, df, loc, scale))


def t_sf_w(x, df, loc, scale, w):
    return np.sum(w * scipy.stats.t.sf(x, df, loc, scale))


def t_logcdf_w(x, df, loc, scale, w):
    return np.sum(w * t.logcdf(x, df=df, loc=loc, scale=scale))


def t_logsf_w(x, df, loc, scale, w):
    return np.sum(w * t.logsf(x, df, loc, scale))


def gamma_logpdf_w(x, a, loc, scale, w):
    return np.sum(w * gamma.logpdf(x, a, loc, scale))


def gamma_pdf_w(x, a, loc, scale, w):
    return np.sum(w * scipy.stats.gamma.pdf(x, a, loc=loc, scale=scale))


def gamma_cdf_w(x, a, loc, scale, w):
    return np.sum(w * gamma.cdf(x, a, loc, scale))


def gamma_sf_w(x, a, loc, scale, w):
    return np.sum(w * gamma.sf(x, a, loc, scale))


def gamma_logcdf_w(x, a, loc, scale, w):
    return np.sum(w * gamma.logcdf(x, a, loc, scale))


def gamma_logsf_w(x, a, loc, scale, w):
    return np.sum(w * stats.gamma.logsf(x, a, loc, scale))


def chi2_logpdf_w(x, df, loc, scale, w):
    return np.sum(w * chi2.logpdf(x, df, loc, scale))


def chi2_pdf_w(x, df, loc, scale, w):
    return np.sum(w * chi2.pdf(x, df, loc=loc, scale=scale))


def chi2_cdf_w(x, df, loc, scale, w):
    return np.sum(w * scipy.stats.chi2.cdf(x, df, loc, scale))


def chi2_sf_w(x, df, loc, scale, w):
    return np.sum(w * chi2.sf(x, df, loc, scale))


def chi2_logcdf_w(x, df, loc, scale, w):
    return np.sum(w * chi2.logcdf(x, df, loc, scale))


def chi2_logsf_w(x, df, loc, scale, w):
    return np.sum(w * chi2.logsf(x, df, loc, scale))


def beta_logpdf_w(x, a, b, loc, scale, w):
    return np.sum(w * beta.logpdf(x, a, b, loc, scale))


def beta_pdf_w(x, a, b, loc, scale, w):
    return np.sum(w * beta.pdf(x, a, b, loc=loc, scale=scale))


def beta_cdf_w(x, a, b, loc, scale, w):
    return np.sum(w * stats.beta.cdf(x, a, b, loc, scale))


def beta_sf_w(x, a, b, loc, scale, w):
    return np.sum(w * beta.sf(x, a, b, loc, scale))


def beta_logcdf_w(x, a, b, loc, scale, w):
    return np.sum(w * beta.logcdf(x, a, b, loc, scale))


def beta_logsf_w(x, a, b, loc, scale, w):
    return np.sum(w * scipy.stats.beta.logsf(x, a, b, loc, scale))


def poisson_logpmf_w(k, mu, w):
    return np.sum(w * poisson.logpmf(k, mu))


def poisson_pmf_w(k, mu, w):
    return np.sum(w * scipy.stats.poisson.pmf(k, mu))


def poisson_cdf_w(k, mu, w):
    return np.sum(w * poisson.cdf(k, mu))


def poisson_sf_w(k, mu, w):
    return np.sum(w * poisson.sf(k, mu))


def poisson_logcdf_w(k, mu, w):
    return np.sum(w * stats.poisson.logcdf(k, mu))


def poisson_logsf_w(k, mu, w):
    return np.sum(w * poisson.logsf(k, mu))


def dirichlet_logpdf_w(x, alpha, w):
    return np.sum(w * dirichlet.logpdf(x, alpha))


def dirichlet_pdf_w(x, alpha, w):
    return np.sum(w * scipy.stats.dirichlet.pdf(x, alpha))


def mvn_logpdf_w(x, mean, c, w):
    cov = (c + c.T) / 2  # SciPy reads one triangle: the rows differentiate the symmetric part
    return np.sum(w * multivariate_normal.logpdf(x, mean, cov))


def mvn_pdf_w(x, mean, c, w):
    cov = (c + c.T) / 2
    return np.sum(w * scipy.stats.multivariate_normal.pdf(x, mean=mean, cov=cov))


def mvn_entropy_w(mean, c, w):
    cov = (c + c.T) / 2
    return w * scipy.stats.multivariate_normal.entropy(mean, cov)


def mvn_entropy_diagonal_w(mean, c, w):
    return w * scipy.stats.multivariate_normal.entropy(mean, np.diagonal(c) + 0.5)


# ---------------------------------------------------------------------------------------------
# Argument draws: shapes that broadcast together, values inside the support, and `w` of the
# result's shape.


def _in(draw, shape, low, high):
    return draw(arrays(shape, np.float64, low, high))


def location_scale(*shape_params):
    """(x, *shape params, loc, scale, w): `shape_params` are (low, high) ranges; `support` below
    keeps x inside the support."""

    def args(support):
        @st.composite
        def draw(draw):
            n = 3 + len(shape_params)
            bs = draw(broadcastable_shapes(n, max_dims=2, max_side=3))
            sx, *ss, sl, sc = bs.input_shapes
            x_range, loc_range, scale_range = support
            x = _in(draw, sx, *x_range)
            params = [_in(draw, s, *r) for s, r in zip(ss, shape_params)]
            loc, scale = _in(draw, sl, *loc_range), _in(draw, sc, *scale_range)
            w = _in(draw, bs.result_shape, -2.0, 2.0)
            return (x, *params, loc, scale, w)

        return draw()

    return args


WHOLE_LINE = ((-3.0, 3.0), (-1.0, 1.0), (0.5, 2.0))
POSITIVE_HALF = ((0.1, 4.0), (-1.0, -0.05), (0.5, 2.0))  # z = (x - loc) / scale > 0
UNIT = ((0.05, 0.95), (-0.4, -0.1), (1.5, 2.0))  # 0 < z < 1


@st.composite
def poisson_args(draw):
    bs = draw(broadcastable_shapes(2, max_dims=2, max_side=3))
    k = np.floor(_in(draw, bs.input_shapes[0], 0.0, 8.99))
    mu = _in(draw, bs.input_shapes[1], 0.2, 6.0)
    return k, mu, _in(draw, bs.result_shape, -2.0, 2.0)


@st.composite
def dirichlet_args(draw):
    """x with K - 1 components (SciPy completes it), maybe with samples on a second axis."""
    k = draw(st.integers(2, 4))
    samples = draw(st.sampled_from([(), (1,), (3,)]))
    raw = _in(draw, (k,) + samples, 0.2, 1.0)
    x = (raw / np.sum(raw, axis=0))[:-1]
    alpha = _in(draw, (k,), 0.3, 4.0)
    return x, alpha, _in(draw, samples, -2.0, 2.0)


@st.composite
def mvn_entropy_args(draw):
    d = draw(st.integers(1, 3))
    a = _in(draw, (d, d), -1.0, 1.0)
    return _in(draw, (d,), -1.0, 1.0), a @ a.T + np.eye(d), float(draw(st.floats(-2.0, 2.0)))


@st.composite
def mvn_args(draw):
    d = draw(st.integers(1, 3))
    shape = draw(st.sampled_from([(d,), (1, d), (4, d)]))
    a = _in(draw, (d, d), -1.0, 1.0)
    c = a @ a.T + np.eye(d)
    x, mean = _in(draw, shape, -2.0, 2.0), _in(draw, (d,), -1.0, 1.0)
    return x, mean, c, _in(draw, np.shape(multivariate_normal.logpdf(x, mean, c)), -2.0, 2.0)


# ---------------------------------------------------------------------------------------------
# The table: every rule, each with every parameter it differentiates.


def row(id, rule, f, wrt, args):
    """A rulespec row, run by `test_rule` below rather than by rulespec's passes: `f` takes the
    weights `w` last, and `args(dtype)` draws them too (in float64: see the module's docstring)."""
    return Spec(id, rule, f, None, None, tuple(wrt), lambda dtype: args)


LS = ("x", "loc", "scale")
NORM = location_scale()(WHOLE_LINE)
T = location_scale((0.5, 10.0))(WHOLE_LINE)
GAMMA = location_scale((0.3, 4.0))(POSITIVE_HALF)
BETA = location_scale((0.3, 4.0), (0.3, 4.0))(UNIT)

SPECS = [
    row("norm.logpdf", "norm_logpdf", norm_logpdf_w, LS, NORM),
    row("norm.pdf", "norm_pdf", norm_pdf_w, LS, NORM),
    row("norm.cdf", "norm_cdf", norm_cdf_w, LS, NORM),
    row("norm.sf", "norm_sf", norm_sf_w, LS, NORM),
    row("norm.logcdf", "norm_logcdf", norm_logcdf_w, LS, NORM),
    row("norm.logsf", "norm_logsf", norm_logsf_w, LS, NORM),
    row("t.logpdf", "t_logpdf", t_logpdf_w, ("x", "df", "loc", "scale"), T),
    row("t.pdf", "t_pdf", t_pdf_w, ("x", "df", "loc", "scale"), T),
    row("t.cdf", "t_cdf", t_cdf_w, LS, T),
    row("t.sf", "t_sf", t_sf_w, LS, T),
    row("t.logcdf", "t_logcdf", t_logcdf_w, LS, T),
    row("t.logsf", "t_logsf", t_logsf_w, LS, T),
    row("gamma.logpdf", "gamma_logpdf", gamma_logpdf_w, ("x", "a", "loc", "scale"), GAMMA),
    row("gamma.pdf", "gamma_pdf", gamma_pdf_w, ("x", "a", "loc", "scale"), GAMMA),
    row("gamma.cdf", "gamma_cdf", gamma_cdf_w, LS, GAMMA),
    row("gamma.sf", "gamma_sf", gamma_sf_w, LS, GAMMA),
    row("gamma.logcdf", "gamma_logcdf", gamma_logcdf_w, LS, GAMMA),
    row("gamma.logsf", "gamma_logsf", gamma_logsf_w, LS, GAMMA),
    row("chi2.logpdf", "chi2_logpdf", chi2_logpdf_w, ("x", "df", "loc", "scale"), GAMMA),
    row("chi2.pdf", "chi2_pdf", chi2_pdf_w, ("x", "df", "loc", "scale"), GAMMA),
    row("chi2.cdf", "chi2_cdf", chi2_cdf_w, LS, GAMMA),
    row("chi2.sf", "chi2_sf", chi2_sf_w, LS, GAMMA),
    row("chi2.logcdf", "chi2_logcdf", chi2_logcdf_w, LS, GAMMA),
    row("chi2.logsf", "chi2_logsf", chi2_logsf_w, LS, GAMMA),
    row("beta.logpdf", "beta_logpdf", beta_logpdf_w, ("x", "a", "b", "loc", "scale"), BETA),
    row("beta.pdf", "beta_pdf", beta_pdf_w, ("x", "a", "b", "loc", "scale"), BETA),
    row("beta.cdf", "beta_cdf", beta_cdf_w, LS, BETA),
    row("beta.sf", "beta_sf", beta_sf_w, LS, BETA),
    row("beta.logcdf", "beta_logcdf", beta_logcdf_w, LS, BETA),
    row("beta.logsf", "beta_logsf", beta_logsf_w, LS, BETA),
    row("poisson.logpmf", "poisson_logpmf", poisson_logpmf_w, ("mu",), poisson_args()),
    row("poisson.pmf", "poisson_pmf", poisson_pmf_w, ("mu",), poisson_args()),
    row("poisson.cdf", "poisson_cdf", poisson_cdf_w, ("mu",), poisson_args()),
    row("poisson.sf", "poisson_sf", poisson_sf_w, ("mu",), poisson_args()),
    row("poisson.logcdf", "poisson_logcdf", poisson_logcdf_w, ("mu",), poisson_args()),
    row("poisson.logsf", "poisson_logsf", poisson_logsf_w, ("mu",), poisson_args()),
    row("dirichlet.logpdf", "dirichlet_logpdf", dirichlet_logpdf_w, ("x", "alpha"), dirichlet_args()),
    row("dirichlet.pdf", "dirichlet_pdf", dirichlet_pdf_w, ("x", "alpha"), dirichlet_args()),
    row(
        "multivariate_normal.logpdf",
        "multivariate_normal_logpdf",
        mvn_logpdf_w,
        ("x", "mean", "c"),
        mvn_args(),
    ),
    row("multivariate_normal.pdf", "multivariate_normal_pdf", mvn_pdf_w, ("x", "mean", "c"), mvn_args()),
    row(
        "multivariate_normal.entropy",
        "multivariate_normal_entropy",
        mvn_entropy_w,
        ("mean", "c"),
        mvn_entropy_args(),
    ),
    row(
        "multivariate_normal.entropy-1d",
        "multivariate_normal_entropy",
        mvn_entropy_diagonal_w,
        ("mean", "c"),
        mvn_entropy_args(),
    ),
]

test_rule = section_test(SPECS, 12, rtol=1e-5, atol=1e-7)


def test_every_stats_rule_has_a_row_and_a_tangent():
    srcgrad.rules.lookup(norm.logpdf)
    ours = {k: r for k, r in srcgrad.rules.ADJOINTS.items() if r.template.__module__.endswith(".stats")}
    assert {r.name for r in ours.values()} == {spec.rule for spec in SPECS}
    assert all(k in srcgrad.rules.TANGENTS for k in ours)


# ---------------------------------------------------------------------------------------------
# Keys: a method bound to a distribution.


def test_each_distribution_has_its_own_rule_though_scipy_shares_the_function():
    assert norm.logpdf.__func__ is t.logpdf.__func__  # rv_continuous.logpdf, shared
    names = {
        d: srcgrad.rules.lookup(getattr(scipy.stats, d).logpdf).name for d in ("norm", "t", "gamma", "beta")
    }
    assert names == {"norm": "norm_logpdf", "t": "t_logpdf", "gamma": "gamma_logpdf", "beta": "beta_logpdf"}
    assert srcgrad.rules.lookup(scipy.stats.lognorm.logpdf) is None  # no rule: refused if used
    from srcgrad.rules.doc import display

    assert display(stats.norm.logpdf) == "scipy.stats.norm.logpdf"
    assert display(multivariate_normal.logpdf) == "scipy.stats.multivariate_normal.logpdf"


def test_the_tails_are_written_once_for_every_distribution():
    """stats.py states each of the cdf, sf, logcdf and logsf rules once, and binds each
    distribution's name and shape parameters into it when registering it."""
    rules = {d: srcgrad.rules.lookup(getattr(scipy.stats, d).logsf) for d in ("t", "gamma", "chi2", "beta")}
    assert len({rule.template.__code__ for rule in rules.values()}) == 1
    assert rules["beta"].name == "beta_logsf" and str(rules["beta"].signature) == "(x, a, b, loc=0, scale=1)"
    assert str(srcgrad.rules.lookup_tangent(t.cdf).signature) == "(x, df, loc=0, scale=1)"


def test_the_rules_register_when_the_program_imports_scipy_stats_after_the_table_loaded(tmp_path):
    program = tmp_path / "program.py"
    program.write_text(
        "import numpy as np, srcgrad, srcgrad.rules\n"
        "srcgrad.rules.lookup(np.exp)  # the table loads before SciPy is imported\n"
        "from scipy.stats import norm\n\n"
        "def f(m):\n"
        "    return np.sum(norm.logpdf(np.array([0.5, 1.0]), m, 2.0))\n\n"
        "print(srcgrad.grad(f, with_value=False)(0.25))\n"
    )
    out = subprocess.run([sys.executable, str(program)], capture_output=True, text=True, check=True)
    assert float(out.stdout) == pytest.approx((0.25 + 0.75) / 4)


def lognorm_program(x, s):
    return np.sum(scipy.stats.lognorm.logpdf(x, s))


def test_a_distribution_without_rules_is_refused_at_the_users_line():
    with pytest.raises(srcgrad.NoRuleError, match="lognorm.logpdf"):
        srcgrad.grad(lognorm_program, wrt="s")(np.array([0.5, 2.0]), 0.7)


# ---------------------------------------------------------------------------------------------
# Near the support's boundaries and in the tails: finite differences still apply.

NEAR = [
    (gamma_logpdf_w, ("x", "a", "loc", "scale"), (np.array([1e-4, 1e-3]) + 0.2, 0.5, 0.2, 1.3)),
    (gamma_logpdf_w, ("x", "a", "loc", "scale"), (np.array([1e-4, 1e-3]), 1.0, 0.0, 2.0)),
    (gamma_pdf_w, ("x", "a", "loc", "scale"), (np.array([1e-4, 1e-3]), 3.0, 0.0, 2.0)),
    (gamma_cdf_w, LS, (np.array([1e-4, 1e-3]), 0.5, 0.0, 1.0)),
    (gamma_logcdf_w, LS, (np.array([1e-4, 1e-3]), 2.5, 0.0, 1.0)),
    (gamma_logsf_w, LS, (np.array([30.0, 80.0]), 2.5, 0.0, 1.0)),
    (chi2_logpdf_w, ("x", "df", "loc", "scale"), (np.array([1e-4, 1e-3]), 2.0, 0.0, 1.0)),
    (chi2_logcdf_w, LS, (np.array([1e-4, 1e-3]), 1.0, 0.0, 1.0)),
    (beta_logpdf_w, ("x", "a", "b", "loc", "scale"), (np.array([1e-4, 1 - 1e-4]), 0.5, 0.7, 0.0, 1.0)),
    (beta_logpdf_w, ("x", "a", "b", "loc", "scale"), (np.array([1e-4, 1 - 1e-4]), 1.0, 1.0, 0.0, 1.0)),
    (beta_pdf_w, ("x", "a", "b", "loc", "scale"), (np.array([1e-4, 1 - 1e-4]), 2.5, 3.0, 0.0, 1.0)),
    (beta_cdf_w, LS, (np.array([1e-4, 1 - 1e-4]), 0.5, 0.5, 0.0, 1.0)),
    (beta_logcdf_w, LS, (np.array([1e-4, 0.5]), 2.0, 3.0, 0.0, 1.0)),
    (beta_logsf_w, LS, (np.array([0.5, 1 - 1e-4]), 2.0, 3.0, 0.0, 1.0)),
    (norm_logcdf_w, LS, (np.array([-40.0, -10.0, 40.0]), 0.3, 1.5)),
    (norm_logsf_w, LS, (np.array([-40.0, 10.0, 40.0]), 0.3, 1.5)),
    (norm_cdf_w, LS, (np.array([-9.0, 9.0]), 0.3, 1.5)),
    (t_logcdf_w, LS, (np.array([-1e3, 1e3]), 2.5, 0.0, 1.0)),
    (t_logsf_w, LS, (np.array([-1e3, 1e3]), 2.5, 0.0, 1.0)),
    (t_logpdf_w, ("x", "df", "loc", "scale"), (np.array([-50.0, 50.0]), 1e3, 0.0, 1.0)),
    (poisson_logpmf_w, ("mu",), (np.array([0.0, 1.0, 5.0]), 1e-3)),
    (poisson_pmf_w, ("mu",), (np.array([0.0, 1.0, 5.0]), 1e-3)),
    (poisson_logsf_w, ("mu",), (np.array([0.0, 1.0, 5.0]), 1e-3)),
    (poisson_logcdf_w, ("mu",), (np.array([0.0, 1.0, 5.0]), 30.0)),
    (dirichlet_logpdf_w, ("x", "alpha"), (np.array([1e-4, 0.5]), np.array([0.5, 1.0, 2.0]))),
    (dirichlet_pdf_w, ("x", "alpha"), (np.array([1e-4, 0.5]), np.array([1.0, 1.0, 2.0]))),
]


def _weights(f, args):
    """Weights of the shape of the values `f` sums: one per sample (Dirichlet) or the arguments'
    broadcast shape."""
    if f in (dirichlet_logpdf_w, dirichlet_pdf_w):
        shape = np.shape(args[0])[1:]
    else:
        shape = np.broadcast_shapes(*(np.shape(a) for a in args))
    return np.reshape(np.linspace(0.5, 1.5, int(np.prod(shape))), shape)


@pytest.mark.parametrize(
    "f, wrt, args", NEAR, ids=[f"{f.__name__[:-2]}-{i}" for i, (f, _, _) in enumerate(NEAR)]
)
def test_near_the_boundaries_and_in_the_tails(f, wrt, args):
    value, grads = check_grads(
        cached_grad(f, wrt), *args, _weights(f, args), wrt=wrt, mode="both", rtol=1e-4, eps=1e-8
    )
    assert np.isfinite(value) and all(np.all(np.isfinite(g)) for g in grads)


# ---------------------------------------------------------------------------------------------
# On the boundaries and outside the support: the conventions docs/rules.md states, exactly.


def gamma_logpdf_s(x, a, loc, scale):
    return np.sum(gamma.logpdf(x, a, loc, scale))


def chi2_logpdf_s(x, df):
    return np.sum(chi2.logpdf(x, df))


def beta_logpdf_s(x, a, b):
    return np.sum(beta.logpdf(x, a, b))


def gamma_tails_s(x, loc, scale):
    return np.sum(
        gamma.cdf(x, 2.5, loc, scale) + gamma.logcdf(x, 2.5, loc, scale) + gamma.sf(x, 0.5, loc, scale)
    )


def norm_tails_s(x, loc, scale):
    return np.sum(norm.cdf(x, loc, scale) + norm.sf(x, loc, scale) + norm.logcdf(x, loc, scale))


def poisson_pmf_s(k, mu):
    return np.sum(poisson.pmf(k, mu))


def poisson_logpmf_s(k, mu):
    return np.sum(poisson.logpmf(k, mu))


def test_the_exponential_distribution_at_zero_has_the_slope_from_inside():
    # gamma with a = 1: log density -x / scale - log(scale) from x = loc on, -inf below
    x = np.array([0.7, 0.7, 0.2])  # on the boundary, on it, below it (loc = 0.7)
    dx, dloc, dscale = srcgrad.grad(gamma_logpdf_s, wrt=("x", "loc", "scale"), with_value=False)(
        x, 1.0, 0.7, 2.0
    )
    np.testing.assert_allclose(dx, [-0.5, -0.5, 0.0])
    assert dloc == pytest.approx(1.0) and dscale == pytest.approx(2 * -0.5)
    check_both_modes(gamma_logpdf_s, (x[:2], 1.0, 0.7, 2.0), ("x",), [np.array([-0.5, -0.5])])


def test_outside_the_support_every_gradient_is_zero():
    x = np.array([-0.5, -3.0])
    assert np.all(np.isneginf(gamma.logpdf(x, 2.5, 0.0, 1.0)))
    check_both_modes(
        gamma_logpdf_s, (x, 2.5, 0.0, 1.5), ("x", "a", "loc", "scale"), [np.zeros(2), 0.0, 0.0, 0.0]
    )
    check_both_modes(
        beta_logpdf_s, (np.array([-0.5, 1.5]), 2.0, 3.0), ("x", "a", "b"), [np.zeros(2), 0.0, 0.0]
    )
    check_both_modes(gamma_tails_s, (x, 0.0, 1.5), ("x", "loc", "scale"), [np.zeros(2), 0.0, 0.0])


def test_chi2_with_two_degrees_of_freedom_at_zero_and_beta_at_its_ends():
    check_both_modes(chi2_logpdf_s, (np.array([0.0]), 2.0), ("x",), [np.array([-0.5])])
    # a = 1: the factor x**0 is 1 at 0, so the slope there is -(b - 1) / (1 - 0)
    check_both_modes(beta_logpdf_s, (np.array([0.0]), 1.0, 3.0), ("x",), [np.array([-2.0])])
    check_both_modes(beta_logpdf_s, (np.array([1.0]), 3.0, 1.0), ("x",), [np.array([2.0])])
    dx = srcgrad.grad(beta_logpdf_s, with_value=False)(np.array([0.0, 1.0]), 2.0, 2.0)
    np.testing.assert_array_equal(dx, [np.inf, -np.inf])  # the density is 0 there, its log's slope infinite


def test_the_normal_cdfs_are_flat_at_infinity_and_finite_in_the_far_tails():
    x = np.array([-np.inf, np.inf])
    check_both_modes(norm_tails_s, (x, 0.3, 1.5), ("x", "loc", "scale"), [np.zeros(2), 0.0, 0.0])
    dx = srcgrad.grad(norm_logcdf_w, with_value=False)(np.array([-1e3, -40.0]), 0.0, 1.0, np.ones(2))
    np.testing.assert_allclose(dx, [1e3, 40.0], rtol=1e-3)  # about -z: log_ndtr falls like -z**2 / 2


def test_the_poisson_at_mu_zero():
    k = np.array([0.0, 1.0, 2.0])
    check_both_modes(poisson_pmf_s, (k, 0.0), ("mu",), [0.0])  # -1 + 1 + 0: pmf(k - 1) - pmf(k)
    dmu = srcgrad.grad(poisson_pmf_w, wrt="mu", with_value=False)(k, 0.0, np.array([1.0, 2.0, 4.0]))
    assert dmu == pytest.approx(-1.0 + 2.0)
    dmu = srcgrad.grad(poisson_logpmf_w, wrt="mu", with_value=False)(np.array([0.0, 1.5]), 0.0, np.ones(2))
    assert dmu == -1.0  # k = 0: -1; k = 1.5 is off the support: 0
    check_both_modes(poisson_logpmf_s, (np.array([0.0, 2.5, -1.0]), 1.5), ("mu",), [-1.0])  # k = 0 only


# ---------------------------------------------------------------------------------------------
# Refused: a parameter whose derivative has no closed form, when it carries a gradient.


def t_cdf_df(x, df):
    return np.sum(t.cdf(x, df))


def gamma_sf_a(x, a):
    return np.sum(gamma.sf(x, a))


def beta_logcdf_b(x, b):
    return np.sum(beta.logcdf(x, 2.0, b))


def chi2_logsf_df(x, df):
    return np.sum(scipy.stats.chi2.logsf(x, df))


def poisson_pmf_k(k, mu):
    return np.sum(poisson.pmf(k * 2.0, mu))


@pytest.mark.parametrize(
    "f, param, args",
    [
        (t_cdf_df, "df", (np.array([0.5]), 3.0)),
        (gamma_sf_a, "a", (np.array([0.5]), 2.0)),
        (beta_logcdf_b, "b", (np.array([0.5]), 2.0)),
        (chi2_logsf_df, "df", (np.array([0.5]), 2.0)),
        (poisson_pmf_k, "k", (np.array([1.0]), 2.0)),
    ],
    ids=["t.cdf-df", "gamma.sf-a", "beta.logcdf-b", "chi2.logsf-df", "poisson.pmf-k"],
)
def test_a_parameter_without_a_derivative_is_refused_in_both_modes(f, param, args):
    message = f"gives no derivative in its argument '{param}'"
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=message) as info:
        srcgrad.grad(f, wrt=param)(*args)
    assert f.__name__ in str(info.value) and "test_rules_stats.py" in str(info.value)
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=message):
        srcgrad.jvp(f, wrt=param)(*args, 1.0 if param != "k" else np.ones(1))
    check_grads(f, *args, wrt="x" if param != "k" else "mu", mode="both")  # the others still work


# ---------------------------------------------------------------------------------------------
# The multivariate normal: the shapes SciPy takes, and its cov.


def mvn_one(x, mean, cov):
    return multivariate_normal.logpdf(x, mean, cov)


def mvn_keywords(x, mean, cov, w):
    return np.sum(w * multivariate_normal.logpdf(x, mean=mean, cov=cov))


def mvn_no_mean(x, cov, w):
    return np.sum(w * multivariate_normal.logpdf(x, cov=cov))


RNG = np.random.default_rng(7)
A = RNG.normal(size=(3, 3))
COV = A @ A.T + np.eye(3)


@pytest.mark.parametrize(
    "f, args, wrt",
    [
        (mvn_one, (RNG.normal(size=3), RNG.normal(size=3), COV), ("x", "mean")),
        (mvn_keywords, (RNG.normal(size=(5, 3)), RNG.normal(size=3), COV, RNG.normal(size=5)), ("x", "mean")),
        (
            mvn_keywords,
            (RNG.normal(size=(5, 3)), RNG.normal(size=3), np.diag(COV), RNG.normal(size=5)),
            ("x", "cov"),
        ),
        (mvn_keywords, (RNG.normal(size=(1, 3)), RNG.normal(size=3), 1.7, 2.0), ("x", "mean", "cov")),
        (mvn_keywords, (RNG.normal(size=4), 0.5, 1.7, RNG.normal(size=4)), ("x", "mean", "cov")),  # d = 1
        (mvn_no_mean, (RNG.normal(size=(2, 3)), COV, RNG.normal(size=2)), ("x",)),
    ],
    ids=["one-point", "points-keywords", "diagonal-cov", "scalar-cov-one-row", "d=1-points", "no-mean"],
)
def test_multivariate_normal_shapes(f, args, wrt):
    check_grads(cached_grad(f, wrt), *args, wrt=wrt, mode="both")


def test_multivariate_normal_cov_gradient_is_symmetric_and_matches_symmetric_changes():
    x, mean = RNG.normal(size=(4, 3)), RNG.normal(size=3)
    w = RNG.normal(size=4)
    _, dcov = srcgrad.grad(mvn_keywords, wrt=("x", "cov"), with_value=False)(x, mean, COV, w)
    np.testing.assert_allclose(dcov, dcov.T, rtol=0, atol=1e-14)
    for _ in range(3):
        v = RNG.normal(size=(3, 3))
        v = (v + v.T) / 2
        h = 1e-6
        numeric = (mvn_keywords(x, mean, COV + h * v, w) - mvn_keywords(x, mean, COV - h * v, w)) / (2 * h)
        assert np.sum(dcov * v) == pytest.approx(numeric, rel=1e-6)
        _, tangent = srcgrad.jvp(mvn_keywords, wrt="cov")(x, mean, COV, w, v)
        assert tangent == pytest.approx(numeric, rel=1e-6)


# ---------------------------------------------------------------------------------------------
# Small Bayesian programs, through srcgrad.grad and check_grads in both modes.


def log_posterior(theta, log_sigma, X, y, prior_mean, prior_cov):
    """Bayesian linear regression: a normal likelihood, a multivariate normal prior on the
    weights and a normal prior on the log noise scale."""
    sigma = np.exp(log_sigma)
    likelihood = np.sum(norm.logpdf(y, X @ theta, sigma))
    prior = multivariate_normal.logpdf(theta, prior_mean, prior_cov)
    return likelihood + prior + norm.logpdf(log_sigma, loc=0.0, scale=1.0)


def hierarchical_log_posterior(mu, factor, log_tau, Y, nu):
    """Grouped data with a learned mean and covariance (cov from a factor), Student-t group
    effects, a gamma prior on the scale and a Dirichlet term on the softmax of the mean."""
    cov = factor @ factor.T + 0.5 * np.eye(3)
    tau = np.exp(log_tau)
    data = np.sum(multivariate_normal.logpdf(Y, mu, cov))
    effects = np.sum(t.logpdf(mu, nu, loc=0.0, scale=tau))
    hyper = gamma.logpdf(tau, 2.0, scale=1.5) + scipy.stats.norm.logcdf(log_tau)
    mix = dirichlet.logpdf(softmax(mu), np.array([2.0, 3.0, 4.0]))
    return data + effects + hyper + mix


def test_bayesian_linear_regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.normal(size=20)
    args = (rng.normal(size=3), -0.5, X, y, np.zeros(3), np.diag([2.0, 2.0, 2.0]) + 0.5)
    value, (dtheta, dlog_sigma) = check_grads(log_posterior, *args, wrt=("theta", "log_sigma"), mode="both")
    assert value == pytest.approx(log_posterior(*args))
    # the posterior mode's gradient is zero: one gradient-ascent run gets there
    theta, log_sigma = args[0], args[1]
    g = srcgrad.grad(log_posterior, wrt=("theta", "log_sigma"), with_value=False)
    for _ in range(3000):
        dtheta, dlog_sigma = g(theta, log_sigma, *args[2:])
        theta, log_sigma = theta + 2e-3 * dtheta, log_sigma + 2e-3 * dlog_sigma
    assert np.max(np.abs(dtheta)) < 1e-3 and abs(dlog_sigma) < 1e-3


def test_hierarchical_model():
    rng = np.random.default_rng(1)
    Y = rng.normal(size=(6, 3)) + np.array([0.5, -0.2, 1.0])
    args = (rng.normal(size=3), 0.5 * rng.normal(size=(3, 3)), 0.2, Y, 4.0)
    check_grads(hierarchical_log_posterior, *args, wrt=("mu", "factor", "log_tau", "nu"), mode="both")
