"""Rows for the scipy.linalg rules (srcgrad/rules/numpy/scipy_linalg.py): each function against
finite differences in both modes (`check_grads(mode="both")`: the gradient, and the tangent
`jvp` gives along random directions), in each argument it differentiates.

The rows call the functions as user code does: `scipy.linalg.solve_triangular(...)`, a name
imported from scipy.linalg, `linalg.expm(...)` after `from scipy import linalg`, with the
keywords users pass (`lower=`, `trans=`, `unit_diagonal=`, the band's `(l, u)`). Matrices that
are solved with or factored are well-conditioned by construction (`m / n + 3 I`, `m m^T / n +
I`). The tests after the table check the entries SciPy does not read (exactly 0), closed forms
at diagonal matrices, what is refused, and small programs.

SciPy computes these in float64 or in the dtype given, on NumPy arrays, so the rows are checked
in float64 on NumPy only, as scipy.stats' are (rulespec's float32 and backend passes do not apply).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import scipy.linalg
from hypothesis import strategies as st
from rulespec import Spec, check_both_modes, check_program, section_test
from scipy import linalg
from scipy.linalg import cho_factor, cho_solve, expm, solve_banded, solve_sylvester, solve_triangular, sqrtm

import srcgrad
import srcgrad.rules


def _batched() -> bool:
    """Whether this SciPy takes stacks of matrices in scipy.linalg (1.15 and later do): the rows
    draw stacks only where it does, since the functions themselves refuse them otherwise."""
    try:
        solve_triangular(np.stack([np.eye(2)] * 2), np.ones((2, 2, 1)))
        sqrtm(np.stack([np.eye(2)] * 2))
    except ValueError:
        return False
    return True


STACKS = [(), (), (2,)] if _batched() else [()]  # the batch shapes of the drawn matrices

# ---------------------------------------------------------------------------------------------
# The functions under test: `w` weights the values, so that each rule gets a real array gradient.


def triangular_w(a, b, w):
    return np.sum(w * scipy.linalg.solve_triangular(a, b, lower=True))


def triangular_flags_w(a, b, trans, lower, unit_diagonal, w):
    return np.sum(w * solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal))


def triangular_transposed_w(a, b, w):
    return np.sum(w * linalg.solve_triangular(a, b, trans="T"))


def banded_w(ab, b, w):
    return np.sum(w * solve_banded((1, 2), ab, b))


def banded_drawn_w(ab, b, l_and_u, w):
    return np.sum(w * scipy.linalg.solve_banded(l_and_u, ab, b))


def cho_w(A, b, lower, w):
    c, low = cho_factor(A, lower=lower)
    return np.sum(w * cho_solve((c, low), b))


def cho_nested_w(A, b, w):
    return np.sum(w * linalg.cho_solve(linalg.cho_factor(A), b))


def cho_factor_w(A, lower, w):
    c, _ = scipy.linalg.cho_factor(A, lower=lower)
    return np.sum(w * c)


def cho_solve_factor_w(c, b, lower, w):
    return np.sum(w * cho_solve((c, lower), b))


def sylvester_w(a, b, q, w):
    return np.sum(w * solve_sylvester(a, b, q))


def sqrtm_w(A, w):
    return np.sum(w * sqrtm(A))


def sqrtm_module_w(A, w):
    return np.sum(w * scipy.linalg.sqrtm(A))


def expm_w(A, w):
    return np.sum(w * linalg.expm(A))


# ---------------------------------------------------------------------------------------------
# Argument draws: seeded normal matrices, well-conditioned where they are solved with.


def _rng(draw):
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))


def _conditioned(rng, shape):
    """Matrices (..., n, n) with singular values in [1, 5] and eigenvalues of real part >= 1:
    `m / n + 3 I`, m in [-2, 2]."""
    n = shape[-1]
    return rng.uniform(-2.0, 2.0, shape) / n + 3 * np.eye(n)


def _spd(rng, shape):
    m = rng.uniform(-1.0, 1.0, shape)
    return m @ np.swapaxes(m, -1, -2) / shape[-1] + np.eye(shape[-1])


def _rhs(draw, rng, batch, n):
    """A right-hand side: one vector, or a stack of matrices whose batch broadcasts with `batch`."""
    kind = draw(st.sampled_from(["vector", "matrix", "stack"] if len(STACKS) > 1 else ["vector", "matrix"]))
    if kind == "vector":
        return rng.normal(size=n)
    if kind == "matrix":
        return rng.normal(size=(n, draw(st.integers(1, 3))))
    return rng.normal(size=(*draw(st.sampled_from([(1,), (2,)])), n, draw(st.integers(1, 2))))


def _weights(rng, value):
    return rng.normal(size=np.shape(value))


@st.composite
def triangular_args(draw, flags=False):
    rng, n = _rng(draw), draw(st.integers(1, 4))
    batch = draw(st.sampled_from(STACKS))
    a = rng.normal(size=(*batch, n, n))  # the triangle read is made dominant; the other is noise
    a = a + 3 * np.sign(np.diagonal(a, axis1=-2, axis2=-1) + 1e-300)[..., None] * np.eye(n)
    b = _rhs(draw, rng, batch, n)
    if not flags:
        return a, b, _weights(rng, solve_triangular(a, b, lower=True))
    trans = draw(st.sampled_from([0, 1, 2, "N", "T", "C"]))
    lower, unit = draw(st.booleans()), draw(st.booleans())
    value = solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit)
    return a, b, trans, lower, unit, _weights(rng, value)


@st.composite
def banded_args(draw, drawn=False):
    rng, n = _rng(draw), draw(st.integers(3, 6))
    lower, upper = (draw(st.integers(0, 2)), draw(st.integers(0, 2))) if drawn else (1, 2)
    ab = rng.uniform(-1.0, 1.0, (lower + upper + 1, n))
    ab[upper] += 2.0 + lower + upper  # the diagonal dominates each row and column
    b = rng.normal(size=draw(st.sampled_from([(n,), (n, 2)])))
    value = solve_banded((lower, upper), ab, b)
    return (ab, b, (lower, upper), _weights(rng, value)) if drawn else (ab, b, _weights(rng, value))


@st.composite
def cho_args(draw, nested=False):
    rng, n = _rng(draw), draw(st.integers(1, 4))
    batch = draw(st.sampled_from(STACKS))
    A = _spd(rng, (*batch, n, n))
    b = _rhs(draw, rng, batch, n)
    w = _weights(rng, cho_solve(cho_factor(A), b))
    return (A, b, w) if nested else (A, b, draw(st.booleans()), w)


@st.composite
def cho_factor_args(draw):
    rng, n = _rng(draw), draw(st.integers(1, 4))
    A = _spd(rng, (*draw(st.sampled_from(STACKS)), n, n))
    return A, draw(st.booleans()), rng.normal(size=A.shape)


@st.composite
def cho_solve_args(draw):
    """A factor c (its other triangle noise SciPy does not read), b, and the flag lower."""
    rng, n = _rng(draw), draw(st.integers(1, 4))
    c = rng.uniform(-1.0, 1.0, (n, n)) + 3 * np.eye(n)
    b = rng.normal(size=draw(st.sampled_from([(n,), (n, 2)])))
    lower = draw(st.booleans())
    return c, b, lower, _weights(rng, cho_solve((c, lower), b))


@st.composite
def sylvester_args(draw):
    rng, n, m = _rng(draw), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stacks = [((), (), ()), ((2,), (), (1,)), ((2,), (2,), ())] if len(STACKS) > 1 else [((), (), ())]
    batch_a, batch_b, batch_q = draw(st.sampled_from(stacks))
    a, b = _conditioned(rng, (*batch_a, n, n)), _conditioned(rng, (*batch_b, m, m))
    q = rng.normal(size=(*batch_q, n, m))
    return a, b, q, _weights(rng, solve_sylvester(a, b, q))


@st.composite
def sqrtm_args(draw):
    """Symmetric positive definite, or not symmetric with eigenvalues of real part >= 1."""
    rng, n = _rng(draw), draw(st.integers(1, 4))
    shape = (*draw(st.sampled_from(STACKS)), n, n)
    A = _spd(rng, shape) if draw(st.booleans()) else _conditioned(rng, shape)
    if np.iscomplexobj(sqrtm(A)):  # SciPy before 1.15 gives a complex root for complex eigenvalues
        A = _spd(rng, shape)
    return A, _weights(rng, sqrtm(A))


@st.composite
def expm_args(draw):
    rng, n = _rng(draw), draw(st.integers(1, 4))
    A = rng.uniform(-1.5, 1.5, (*draw(st.sampled_from(STACKS)), n, n))
    return A, _weights(rng, expm(A))


# ---------------------------------------------------------------------------------------------
# The table: every rule, each with every argument it differentiates.


def row(id, rule, f, wrt, args):
    """A rulespec row, run by `test_rule` below rather than by rulespec's passes (as
    test_rules_stats.py's): `f` takes the weights `w` last, and `args` draws them too."""
    return Spec(id, rule, f, None, None, tuple(wrt), lambda dtype: args)


SPECS = [
    row(
        "scipy.linalg.solve_triangular-lower", "solve_triangular", triangular_w, ("a", "b"), triangular_args()
    ),
    row(
        "solve_triangular-flags-drawn",
        "solve_triangular",
        triangular_flags_w,
        ("a", "b"),
        triangular_args(True),
    ),
    row(
        "linalg.solve_triangular-trans=T",
        "solve_triangular",
        triangular_transposed_w,
        ("a", "b"),
        triangular_args(),
    ),
    row("solve_banded-(1,2)", "solve_banded", banded_w, ("ab", "b"), banded_args()),
    row("scipy.linalg.solve_banded-drawn", "solve_banded", banded_drawn_w, ("ab", "b"), banded_args(True)),
    row("cho_factor-cho_solve", "cho_solve", cho_w, ("A", "b"), cho_args()),
    row("linalg.cho_solve(linalg.cho_factor)", "cho_solve", cho_nested_w, ("A", "b"), cho_args(True)),
    row("scipy.linalg.cho_factor", "cho_factor", cho_factor_w, ("A",), cho_factor_args()),
    row("cho_solve-factor", "cho_solve", cho_solve_factor_w, ("c", "b"), cho_solve_args()),
    row("solve_sylvester", "solve_sylvester", sylvester_w, ("a", "b", "q"), sylvester_args()),
    row("sqrtm", "sqrtm", sqrtm_w, ("A",), sqrtm_args()),
    row("scipy.linalg.sqrtm", "sqrtm", sqrtm_module_w, ("A",), sqrtm_args()),
    row("linalg.expm", "expm", expm_w, ("A",), expm_args()),
]

test_rule = section_test(SPECS, 12, rtol=1e-5, atol=1e-7)


def test_every_scipy_linalg_rule_has_a_row_and_a_tangent():
    srcgrad.rules.lookup(expm)
    ours = {
        k: r for k, r in srcgrad.rules.ADJOINTS.items() if r.template.__module__.endswith(".scipy_linalg")
    }
    assert {r.name for r in ours.values()} == {spec.rule for spec in SPECS}
    assert set(ours) == {solve_triangular, solve_banded, cho_factor, cho_solve, solve_sylvester, sqrtm, expm}
    assert all(k in srcgrad.rules.TANGENTS for k in ours)


def test_the_rules_register_when_the_program_imports_scipy_linalg_after_the_table_loaded(tmp_path):
    program = tmp_path / "program.py"
    program.write_text(
        "import sys, numpy as np, srcgrad, srcgrad.rules\n"
        "srcgrad.rules.lookup(np.exp)  # the table loads before SciPy is imported\n"
        "assert 'scipy.linalg' not in sys.modules\n"
        "from scipy import linalg\n\n"
        "def f(a):\n"
        "    return np.sum(linalg.expm(a))\n\n"
        "print(float(srcgrad.grad(f, with_value=False)(np.array([[0.5]]))[0, 0]))\n"
    )
    out = subprocess.run([sys.executable, str(program)], capture_output=True, text=True, check=True)
    assert float(out.stdout) == pytest.approx(np.exp(0.5), rel=1e-14)


# ---------------------------------------------------------------------------------------------
# Entries SciPy does not read get exactly 0; the pass-through triangle of cho_factor gets g.

RNG = np.random.default_rng(11)
N = 4
SQUARE = RNG.normal(size=(N, N)) + 4 * np.eye(N)
B = RNG.normal(size=(N, 2))
W = RNG.normal(size=(N, 2))


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("unit_diagonal", [False, True])
@pytest.mark.parametrize("trans", [0, "T"])
def test_solve_triangular_gives_nothing_to_the_entries_it_does_not_read(lower, unit_diagonal, trans):
    da, _ = srcgrad.grad(triangular_flags_w, wrt=("a", "b"), with_value=False)(
        SQUARE, B, trans, lower, unit_diagonal, W
    )
    unread = ~np.tri(N, k=-1 if unit_diagonal else 0, dtype=bool)
    unread = unread if lower else unread.T
    assert np.all(da[unread] == 0.0) and np.all(da[~unread] != 0.0)
    expected = np.where(unread, 0.0, da)  # and forward mode reads t only where SciPy reads a
    check_both_modes(triangular_flags_w, (SQUARE, B, trans, lower, unit_diagonal, W), ("a",), [expected])


def test_solve_banded_gives_nothing_to_the_corners_it_does_not_read():
    ab = RNG.uniform(-1.0, 1.0, (4, 5))
    ab[2] += 5.0
    b, w = RNG.normal(size=5), RNG.normal(size=5)
    dab, _ = srcgrad.grad(banded_w, wrt=("ab", "b"), with_value=False)(ab, b, w)
    # (l, u) = (1, 2): row k holds A[j + k - 2, j]; the first two of row 0, the first of row 1
    # and the last of row 3 lie outside the matrix
    corners = np.zeros((4, 5), dtype=bool)
    corners[0, :2] = corners[1, 0] = corners[3, -1] = True
    assert np.all(dab[corners] == 0.0) and np.all(dab[~corners] != 0.0)
    check_both_modes(banded_w, (ab, b, w), ("ab",), [dab])  # forward mode reads no corner either


@pytest.mark.parametrize("lower", [True, False])
def test_cho_factor_passes_the_gradient_of_its_other_triangle_through(lower):
    A = _spd(RNG, (N, N))
    w = RNG.normal(size=(N, N))
    c, low = cho_factor(A, lower=lower)
    other = np.triu(np.ones((N, N), dtype=bool), 1) if lower else np.tril(np.ones((N, N), dtype=bool), -1)
    copied = np.array_equal(c[other], A[other])  # what SciPy leaves there: a's entries (to 1.17)
    assert copied or np.all(c[other] == 0.0)  # or zeros (SciPy 1.18), which carry no gradient
    dA = srcgrad.grad(cho_factor_w, with_value=False)(A, lower, w)
    np.testing.assert_array_equal(dA[other], w[other] if copied else 0.0)
    check_both_modes(cho_factor_w, (A, lower, w), ("A",), [dA])


@pytest.mark.parametrize("lower", [True, False])
def test_cho_solve_gives_nothing_to_the_triangle_it_does_not_read(lower):
    c = RNG.uniform(-1.0, 1.0, (N, N)) + 3 * np.eye(N)
    dc, _ = srcgrad.grad(cho_solve_factor_w, wrt=("c", "b"), with_value=False)(c, B, lower, W)
    unread = np.triu(np.ones((N, N), dtype=bool), 1) if lower else np.tril(np.ones((N, N), dtype=bool), -1)
    assert np.all(dc[unread] == 0.0) and np.all(dc[~unread] != 0.0)
    check_both_modes(cho_solve_factor_w, (c, B, lower, W), ("c",), [dc])


def gp_log_likelihood(log_scale, X, y):
    """A Gaussian process's log marginal likelihood through cho_factor and cho_solve."""
    d = X[:, None] - X[None, :]
    K = np.exp(-0.5 * d**2 / np.exp(2 * log_scale)) + 0.1 * np.eye(X.shape[0])
    L, lower = cho_factor(K, lower=True)
    alpha = cho_solve((L, lower), y)
    return -0.5 * np.sum(y * alpha) - np.sum(np.log(np.diag(L)))


def two_solves(A, b):
    """One factorisation, kept whole, passed to two solves: their gradients add up."""
    factor = cho_factor(A)
    return np.sum(cho_solve(factor, b) ** 2) + np.sum(cho_solve(factor, 2.0 * b))


def test_program_gaussian_process():
    X = np.linspace(-2.0, 2.0, 6)
    y = np.sin(X) + 0.1 * RNG.normal(size=6)
    check_program(gp_log_likelihood, (0.2, X, y), ("log_scale", "y"))
    check_program(two_solves, (_spd(RNG, (3, 3)), RNG.normal(size=(3, 2))), ("A", "b"))


# ---------------------------------------------------------------------------------------------
# Closed forms at diagonal matrices, and the exponential at 0.


def test_sqrtm_of_a_diagonal_matrix():
    # X = diag(r), r = sqrt(d): X dX + dX X = t gives dX[i, j] = t[i, j] / (r[i] + r[j])
    d = np.array([1.0, 4.0, 9.0])
    r = np.sqrt(d)
    w = RNG.normal(size=(3, 3))
    check_both_modes(sqrtm_w, (np.diag(d), w), ("A",), [w / (r[:, None] + r[None, :])])


def test_expm_at_zero_and_of_a_diagonal_matrix():
    w = RNG.normal(size=(3, 3))
    check_both_modes(expm_w, (np.zeros((3, 3)), w), ("A",), [w])  # expm's slope at 0 is the identity
    # the Fréchet derivative at diag(d): t[i, j] times the divided difference of exp at d_i, d_j
    d = np.array([-1.0, 0.5, 2.0])
    e = np.exp(d)
    with np.errstate(invalid="ignore", divide="ignore"):
        divided = np.where(
            d[:, None] == d[None, :], e[:, None], (e[:, None] - e[None, :]) / (d[:, None] - d[None, :])
        )
    dA = srcgrad.grad(expm_w, with_value=False)(np.diag(d), w)
    np.testing.assert_allclose(dA, w * divided, rtol=1e-12)
    _, tangent = srcgrad.jvp(expm_w)(np.diag(d), w, w)
    np.testing.assert_allclose(tangent, np.sum(w * w * divided), rtol=1e-12)


def test_solve_sylvester_of_diagonal_matrices():
    # a = diag(p), b = diag(s): X[i, j] = q[i, j] / (p[i] + s[j]), and the transposed equation
    # gives q's gradient Y = w / (p_i + s_j); a's is -Y X^T, b's -X^T Y
    p, s = np.array([1.0, 2.0]), np.array([0.5, 3.0, 4.0])
    q, w = RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3))
    denominator = p[:, None] + s[None, :]
    x, y = q / denominator, w / denominator
    expected = [-y @ x.T, -x.T @ y, y]
    check_both_modes(sylvester_w, (np.diag(p), np.diag(s), q, w), ("a", "b", "q"), expected)


# ---------------------------------------------------------------------------------------------
# Where there is no derivative, or no rule: refused, in both modes.


def sqrtm_s(A):
    return np.sum(sqrtm(A))


def sqrtm_disp(A):
    return np.sum(sqrtm(A, disp=True))


def sylvester_s(a, b, q):
    return np.sum(solve_sylvester(a, b, q))


def banded_overwrite(ab, b):
    return np.sum(solve_banded((1, 0), ab, b, overwrite_ab=True))


def banded_counts(ab, k):
    return np.sum(solve_banded((k, 0), ab, np.ones(2)))


@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")
@pytest.mark.parametrize(
    "f, args, wrt, error, message",
    [
        (sqrtm_s, (np.diag([1.0, 0.0]),), "A", srcgrad.NoGradientError, "singular A"),
        (sqrtm_s, (np.ones((2, 2)),), "A", srcgrad.NoGradientError, "singular A"),
        (sqrtm_s, (np.diag([-1.0, 4.0]),), "A", srcgrad.UnsupportedArgumentsError, "negative eigenvalue"),
        (
            sylvester_s,
            (np.eye(2), -np.eye(2), np.ones((2, 2))),
            "q",
            srcgrad.NoGradientError,
            "share an eigenvalue",
        ),
        (
            sylvester_s,
            (np.diag([1.0, 2.0]), np.diag([3.0, -2.0]), np.ones((2, 2))),
            "a",
            srcgrad.NoGradientError,
            "singular",
        ),
    ],
    ids=[
        "sqrtm-singular-diagonal",
        "sqrtm-singular",
        "sqrtm-complex-root",
        "sylvester-singular-q",
        "sylvester-singular-a",
    ],
)
def test_where_there_is_no_derivative_srcgrad_raises_in_both_modes(f, args, wrt, error, message):
    with pytest.raises(error, match=message):
        srcgrad.grad(f, wrt=wrt)(*args)
    names = list(f.__code__.co_varnames[: f.__code__.co_argcount])
    with pytest.raises(error, match=message):
        srcgrad.jvp(f, wrt=wrt)(*args, np.ones_like(args[names.index(wrt)]))


def test_arguments_the_rules_do_not_take_are_refused_at_the_users_line():
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="unexpected keyword argument 'disp'") as info:
        srcgrad.grad(sqrtm_disp)(np.eye(2))
    assert "test_rules_scipy_linalg.py" in str(info.value)
    # SciPy may overwrite ab, which the derivatives read: the rules take no overwrite_* argument
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="unexpected keyword argument 'overwrite_ab'"):
        ab = np.array([[2.0, 1.0], [1.0, 0.0]])
        srcgrad.jvp(banded_overwrite, wrt="ab")(ab, np.ones(2), np.ones((2, 2)))
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="no derivative in its argument 'l_and_u'"):
        srcgrad.grad(banded_counts, wrt=("ab", "k"))(np.array([[2.0, 1.0], [1.0, 0.0]]), 1.0)


# ---------------------------------------------------------------------------------------------
# Small programs, through grad and jvp.


def linear_ode(A, x0, times):
    """x(t) = expm(A t) x0 at a few times, against a target."""
    total = 0.0
    for t in times:
        x = linalg.expm(A * t) @ x0
        total = total + np.sum((x - 1.0) ** 2)
    return total


def whitened(S, C, X):
    """Whitening by a covariance's square root, a triangular solve and a Sylvester equation."""
    root = scipy.linalg.sqrtm(S)
    Z = solve_triangular(np.tril(C) + 3 * np.eye(3), X.T, lower=True, trans="T")
    Y = solve_sylvester(root, root, Z @ Z.T)
    return np.sum(Y**2) + np.sum(root)


def test_program_linear_ode():
    A = 0.5 * RNG.normal(size=(3, 3))
    check_program(linear_ode, (A, RNG.normal(size=3), [0.5, 1.0, 1.5]), ("A", "x0"))


def test_program_whitened():
    S = _spd(RNG, (3, 3))
    check_program(whitened, (S, RNG.normal(size=(3, 3)), RNG.normal(size=(4, 3))), ("S", "C", "X"))
