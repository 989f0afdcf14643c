"""The generated code: golden listings, readability properties, tracebacks, and the corpus."""

import os
import pathlib
import traceback

import numpy as np
import pytest

import srcgrad
from srcgrad.testing import check_grads

import programs as P

GOLDEN = pathlib.Path(__file__).parent / "golden"
XOR_WRT = ("W1", "B1", "W2", "B2")


def xor_inputs(dtype=np.float64):
    rng = np.random.default_rng(0)
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    Y = np.array([[0.0], [1.0], [1.0], [0.0]])
    params = [rng.uniform(-1, 1, s).astype(dtype) for s in [(2, 20), (20,), (20, 1), (1,)]]
    return (*params, X, Y)


def _golden(name, text):
    path = GOLDEN / f"{name}.py.txt"
    if os.environ.get("SRCGRAD_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), (
        f"generated code for {name} changed; review, then rerun with SRCGRAD_UPDATE_GOLDEN=1"
    )


@pytest.mark.parametrize(
    "name, func, wrt",
    [
        ("xor", P.xor_loss, XOR_WRT),
        ("mlp", P.mlp_loss, ("w1", "b1", "w2", "b2", "w3", "b3")),
        ("logreg", P.logreg_loss, ("w", "b")),
    ],
)
def test_golden_source(name, func, wrt):
    _golden(name, srcgrad.grad(func, wrt=wrt).source)


def test_xor_backward_is_as_short_as_hand_written():
    source = srcgrad.grad(P.xor_loss, wrt=XOR_WRT).source
    lines = [line.strip() for line in source.splitlines()[1:]]
    backward = lines[lines.index("") + 1 :]
    statements = [line for line in backward if line and not line.startswith(("#", "return"))]
    assert len(statements) <= 14, source  # a careful hand-written backward pass has about 12
    code = [line for line in lines if not line.startswith("#")]
    assert sum(line.count("X @ W1") for line in code) == 1, "the repeated X @ W1 + B1 is computed once"
    for absent in ("dX ", "dY ", "= 1.0", "ones_like", "zeros_like"):
        assert absent not in source, absent
    comments = [line for line in lines if line.startswith("# grad of:")]
    assert comments == [
        "# grad of: return np.sum(np.square(Y - Out))",
        "# grad of: Out = 1 / (1 + np.exp(-(H1 @ W2 + B2)))",
        "# grad of: H1 = np.maximum(X @ W1 + B1, 0.2 * (X @ W1 + B1))",
    ]


def _shrink_until_small(x, w):
    h = np.tanh(x * w)  # squashed
    while np.sum(h * h) > 0.5:
        h = h * 0.9
        if np.sum(h) < 0.1:
            break
        h = h + 0.01 * np.sin(w)
    # fmt: off
    total = (np.sum(h)
             +   np.sum(h * x))  # a statement spread over two lines
    # fmt: on
    return total


def test_grad_of_comments_quote_the_users_lines_as_written():
    import inspect

    # `break` is desugared into flags, the `while` test into `False if broke else ...`, and the
    # statements after the `if` into `if not skip:`; the comments quote what the user wrote
    source = srcgrad.grad(_shrink_until_small, wrt=("x", "w")).source
    comments = [line.strip()[len("# grad of: ") :] for line in source.splitlines() if "# grad of:" in line]
    written = [line.split("#")[0].strip() for line in inspect.getsource(_shrink_until_small).splitlines()]
    assert comments, source
    for comment in comments:
        assert comment in written or comment == "total = (np.sum(h) + np.sum(h * x))", comment
    assert "while np.sum(h * h) > 0.5:" in comments
    assert "if np.sum(h) < 0.1:" in comments
    assert "total = (np.sum(h) + np.sum(h * x))" in comments
    for made_up in ("broke", "skip", "False if"):
        assert not any(made_up in comment for comment in comments), comments
    check_grads(_shrink_until_small, np.full(3, 0.9), np.full(3, 1.5), wrt=("x", "w"))


def test_xor_gradients_match_finite_differences_in_float64_and_float32():
    check_grads(P.xor_loss, *xor_inputs(), wrt=XOR_WRT)
    _, grads = check_grads(P.xor_loss, *xor_inputs(np.float32), wrt=XOR_WRT)
    assert all(g.dtype == np.float32 for g in grads)


@pytest.mark.parametrize(
    "func, wrt, shapes",
    [
        (
            P.mlp_loss,
            ("w1", "b1", "w2", "b2", "w3", "b3"),
            [(5, 4), (4,), (4, 3), (3,), (3, 2), (2,), (6, 5), (6, 2)],
        ),
        (P.logreg_loss, ("w", "b"), [(3,), None, (7, 3), (7,)]),
        (P.bare_numpy, "x", [(3,)]),
        (P.imported_names, "x", [(2, 3)]),
        (P.global_constant, "x", [(4,)]),
        (P.methods, ("x", "w"), [(3, 4), (4, 2)]),
        (P.reassigned, "x", [(3,)]),
        (P.unused_branch, ("x", "y"), [(3,), (3,)]),
        (P.scale_by_shape, "x", [(2, 3)]),
    ],
)
def test_corpus_against_finite_differences(func, wrt, shapes):
    rng = np.random.default_rng(3)
    args = [0.3 if s is None else rng.uniform(0.1, 0.9, s) for s in shapes]
    if func is P.logreg_loss:
        args[3] = (args[3] > 0.5).astype(float)
    check_grads(func, *args, wrt=wrt)


def test_global_numpy_alias_variants_print_as_written():
    assert "numpy.tanh(x)" in srcgrad.source(P.bare_numpy)
    source = srcgrad.source(P.imported_names)
    assert "tanh(x)" in source and "exp(" in source


def test_side_effects_run_once_per_call(capsys):
    srcgrad.grad(P.printed)(np.zeros(2))
    assert capsys.readouterr().out.count("forward value") == 1


def test_dead_forward_code_is_dropped_but_nothing_else():
    source = srcgrad.source(P.unused_branch, wrt=("x", "y"))
    assert "wasted" not in source and "np.exp" not in source
    _, (dx, dy) = srcgrad.grad(P.unused_branch, wrt=("x", "y"))(np.ones(3), np.ones(3))
    np.testing.assert_array_equal(dx, 2.0)
    np.testing.assert_array_equal(dy, 0.0)


def test_module_globals_are_read_live(monkeypatch):
    g = srcgrad.grad(P.global_constant)
    x = np.array([-1.0, 2.0])
    np.testing.assert_allclose(g(x)[1], [0.2, 1.0])
    monkeypatch.setattr(P, "SLOPE", 0.5)
    np.testing.assert_allclose(g(x)[1], [0.5, 1.0])


def test_closed_over_values_are_constants():
    scale = np.array([1.0, 2.0, 3.0])

    def scaled(x):
        return np.sum(scale * x**2)

    value, dx = srcgrad.grad(scaled)(np.ones(3))
    assert value == 6.0
    np.testing.assert_array_equal(dx, 2 * scale)


def test_traceback_shows_the_generated_line():
    g = srcgrad.grad(P.xor_loss, wrt=XOR_WRT)
    W1, B1, W2, B2, X, Y = xor_inputs()
    g(W1, B1, W2, B2, X, Y)
    with pytest.raises(ValueError) as info:  # the compiled code itself, as a debugger steps into it
        g.variant().compiled(W1, B1, W2, B2, X[:, :1], Y)  # X has the wrong shape for W1
    frames = traceback.extract_tb(info.value.__traceback__)
    generated = [f for f in frames if f.filename.startswith("<srcgrad")]
    assert generated and generated[-1].name == "xor_loss_grad"
    assert generated[-1].line == "XW1 = X @ W1"
    with pytest.raises(ValueError) as info:  # through grad, the user's own line says what is wrong
        g(W1, B1, W2, B2, X[:, :1], Y)
    assert traceback.extract_tb(info.value.__traceback__)[-1].name == "xor_loss"


def test_generated_code_is_valid_python_with_no_unused_names():
    import ast

    for func, wrt in [(P.xor_loss, XOR_WRT), (P.logreg_loss, ("w", "b"))]:
        tree = ast.parse(srcgrad.source(func, wrt=wrt))
        assigned = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
        read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        assert set(assigned) <= read | {func.__name__}, set(assigned) - read


def test_numpy_module_is_supplied_when_the_user_imported_only_functions():
    import programs_noalias as Q

    source = srcgrad.source(Q.softish, wrt=("x", "y"))
    assert not hasattr(Q, "np")
    assert "np.where" in source  # the maximum rule, through the np srcgrad supplies
    rng = np.random.default_rng(0)
    check_grads(Q.softish, rng.standard_normal(4), rng.standard_normal(4), wrt=("x", "y"))


def comparisons(x):
    positive = x > 0
    scaled = np.where(positive, x * 3.0, x)
    return np.sum(scaled * (x.size + 0.0))


def named_like_an_adjoint(x, dx):
    return np.sum(x * dx)


def many_kinds(x, *rest, scale=2.0, **options):
    return np.sum(x * scale)


def test_comparisons_carry_no_gradient():
    x = np.array([-1.0, 2.0])
    _, dx = srcgrad.grad(comparisons)(x)
    np.testing.assert_array_equal(dx, [2.0, 6.0])


def test_user_names_never_collide_with_generated_ones():
    x, dx = np.array([1.0, 2.0]), np.array([5.0, 7.0])
    value, grad = srcgrad.grad(named_like_an_adjoint)(x, dx)
    np.testing.assert_array_equal(grad, dx)
    assert "dx_2" in srcgrad.source(named_like_an_adjoint)


def test_varargs_keyword_only_and_defaults_pass_through():
    g = srcgrad.grad(many_kinds, wrt=("x", "scale"))
    _, (dx, dscale) = g(np.ones(2), 1, 2, scale=3.0, flag=True)
    np.testing.assert_array_equal(dx, 3.0)
    assert dscale == 2.0
    assert g(np.ones(2))[1][1] == 2.0


def test_inputs_unchanged_across_the_corpus():
    rng = np.random.default_rng(5)
    args = [rng.standard_normal(s) for s in [(5, 4), (4,), (4, 3), (3,), (3, 2), (2,), (6, 5), (6, 2)]]
    before = [a.copy() for a in args]
    for _ in range(2):
        first = srcgrad.grad(P.mlp_loss, wrt=("w1", "b1", "w2", "b2", "w3", "b3"))(*args)
    for a, b in zip(args, before):
        np.testing.assert_array_equal(a, b)
    second = srcgrad.grad(P.mlp_loss, wrt=("w1", "b1", "w2", "b2", "w3", "b3"))(*args)
    for g1, g2 in zip(first[1], second[1]):
        np.testing.assert_array_equal(g1, g2)


def sign_and_logdet(A, w):
    sign, logdet = np.linalg.slogdet(A * w)
    return logdet * 2.0 + sign


def test_unpacking_a_call_that_returns_a_tuple():
    import srcgrad.rules

    if srcgrad.rules.lookup(np.linalg.slogdet) is None:  # the table's rule, or a stand-in
        import srcgrad.extend

        @srcgrad.extend.adjoint(np.linalg.slogdet)
        def slogdet(g, x):
            dx = g[1] * np.linalg.inv(x).T

    source = srcgrad.source(sign_and_logdet, wrt=("A", "w"))
    # unpacked as the user wrote it, so that code srcgrad differentiates again knows the length
    assert "sign, logdet = np.linalg.slogdet(mul)" in source and "dsign =" not in source, source
    rng = np.random.default_rng(0)
    check_grads(sign_and_logdet, rng.standard_normal((3, 3)) + 3 * np.eye(3), 1.5, wrt=("A", "w"))


def test_loop_with_break_and_branch_reads_like_a_hand_written_backward_pass():
    """After a call, the code of a `while` with a `break`, a helper, dict parameters, a float and
    an `if` on the result is specialised (no run-time shape helper, no array made for a scalar's
    gradient), its flags are named after what they mean, and it stays short."""
    rng = np.random.default_rng(0)
    params = {"a": rng.normal(size=3), "W": rng.normal(size=(3, 3))}
    x = rng.normal(size=(4, 3)) * 2
    grad = srcgrad.grad(P.settle, wrt=("params",))
    grad(params, x, 1.5)
    source = grad.source
    assert len(source.splitlines()) <= 60, source
    for general in ("unbroadcast", "ones_like", "full_like(out", "choice", "cond"):
        assert general not in source, (general, source)
    for meaning in ("again = ", "steps_ge_10 = steps_2 >= 10", "out_positive = out > 0", "dout = 2.0"):
        assert meaning in source, (meaning, source)
    check_grads(P.settle, params, x, 1.5, wrt=("params",))
