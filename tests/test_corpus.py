"""The corpus of tests/corpus.py: gradients against finite differences, inputs left untouched,
repeatable results, golden listings, and precise errors for what srcgrad refuses."""

import inspect
import os
import pathlib
from dataclasses import dataclass, field

import corpus as C
import numpy as np
import pytest

import srcgrad
from srcgrad.testing import check_grads

GOLDEN = pathlib.Path(__file__).parent / "golden"
CORPUS_FILE = C.__file__
WHILE_CSE_BUG = "a while test sharing a subexpression with the loop body drops that part of the gradient"
LOOP_COPY_BUG = (
    "a loop-carried variable set from another one (y2 = y1; y1 = y) reads its new value: wrong result"
)
FIRST_IN_LOOP_BUG = (
    "a variable first assigned inside a loop and read after it: UnboundLocalError in generated code"
)
UNPACK_ARRAY_BUG = "unpacking an array parameter (mu, log_sigma = theta): AttributeError inside srcgrad"
ZIP_IN_ENUMERATE_BUG = "for i, (x, y) in enumerate(zip(xs, ys)): generated code calls len() on a zip object"


def xfail(reason):
    return pytest.mark.xfail(strict=True, reason=reason)


@dataclass
class Case:
    func: object
    wrt: tuple
    make: object  # rng -> the arguments, in order
    margin: object = None  # args -> distance to the nearest kink or branch threshold
    marks: list = field(default_factory=list)
    id: str = ""

    def param(self):
        return pytest.param(self, id=self.id or self.func.__name__, marks=self.marks)


def normal(rng, *shape, scale=1.0):
    return rng.standard_normal(shape) * scale


def uniform(rng, low, high, *shape):
    return rng.uniform(low, high, shape)


def one_hot(rng, n, k):
    return np.eye(k)[rng.integers(0, k, n)]


def signed(rng, sign, *shape):
    # every element has the given sign, so sums and means are well away from 0
    return sign * rng.uniform(0.3, 1.0, shape)


def _mlp_margin(args):
    W1, b1, _, _, x, _ = args
    return np.min(np.abs(x @ W1 + b1))


def _leaky_margin(args):
    W1, W2, x = args
    z = x @ W1
    h = np.maximum(z, 0.1 * z)
    return min(np.min(np.abs(z)), np.min(np.abs(h @ W2)))


def _early_stop_margin(args):
    x, w = args
    sums = []
    for _ in range(10):
        x = np.tanh(x * w)
        sums.append(np.sum(x))
        if sums[-1] < 0.1:
            break
    assert sums[-1] < 0.1 and len(sums) > 2, "the loop should stop early, after a few steps"
    return np.min(np.abs(np.array(sums) - 0.1))


def _grow_margin(args):
    x, w = args
    sums = []
    for _ in range(10):
        x = np.tanh(x * w) + 0.1
        sums.append(np.sum(x))
        if sums[-1] > 2.5:
            break
    assert sums[-1] > 2.5 and len(sums) > 1, "the loop should break after a few steps"
    return np.min(np.abs(np.array(sums) - 2.5))


def _clip_margin(args):
    x, w = args
    norms = []
    for _ in range(4):
        z = x * w + 0.3
        norms.append(np.sqrt(np.sum(z**2)))
        x = z * min(1.0, 1.5 / norms[-1])
    assert min(norms) < 1.5 < max(norms), "both sides of the clipping branch should be taken"
    return np.min(np.abs(np.array(norms) - 1.5))


CASES = [
    # sequence models
    Case(
        C.rnn_loss,
        ("Wx", "Wh", "b"),
        lambda r: (
            normal(r, 3, 4, scale=0.5),
            normal(r, 4, 4, scale=0.5),
            normal(r, 4),
            normal(r, 6, 2, 3),
            normal(r, 6, 2, 4, scale=0.5),
        ),
    ),
    Case(
        C.gru_like,
        ("Wg", "Wc", "h0"),
        lambda r: (
            normal(r, 5, 2, scale=0.5),
            normal(r, 5, 2, scale=0.5),
            normal(r, 4, 2),
            normal(r, 6, 4, 3),
        ),
    ),
    Case(C.ema_tracking, ("beta",), lambda r: (0.8, normal(r, 8, 3), normal(r, 8, 3))),
    Case(C.decayed_rewards, ("w",), lambda r: (normal(r, 3), normal(r, 7, 3))),
    Case(C.paired_regression, ("w",), lambda r: (normal(r, 3), normal(r, 6, 3), normal(r, 6))),
    Case(C.ar2_filter, ("a1", "a2"), lambda r: (0.5, -0.3, normal(r, 6))),
    Case(
        C.last_hidden_state,
        ("W",),
        lambda r: (normal(r, 3, 4), normal(r, 5, 2, 3)),
    ),
    Case(C.smoothness_penalty, ("w",), lambda r: (normal(r, 3), normal(r, 5, 3))),
    Case(
        C.weighted_pairs,
        ("w",),
        lambda r: (normal(r, 3), normal(r, 4, 3), normal(r, 4, 3)),
    ),
    # physics, 200 steps
    Case(
        C.spring_mass,
        ("x0", "v0", "k", "damping"),
        lambda r: (normal(r, 3), normal(r, 3), 4.0, 0.3),
    ),
    Case(C.pendulum, ("theta0", "omega0", "length"), lambda r: (0.4, -0.2, 1.5)),
    Case(C.projectile_range, ("speed", "angle", "drag"), lambda r: (12.0, 0.7, 0.1)),
    Case(
        C.verlet_oscillator,
        ("x0", "v0", "k"),
        lambda r: (normal(r, 3), normal(r, 3), 4.0),
    ),
    Case(
        C.predator_prey,
        ("alpha", "beta", "prey0", "pred0"),
        lambda r: (1.1, 0.4, uniform(r, 0.5, 2.0, 3), uniform(r, 0.5, 2.0, 3)),
    ),
    Case(C.heat_rod, ("u0", "kappa"), lambda r: (normal(r, 8), 0.2)),
    # iterations with data-dependent trip counts
    Case(
        C.newton_cube_root,
        ("a",),
        lambda r: (2.0,),
    ),
    Case(C.newton_sqrt_array, ("a",), lambda r: (uniform(r, 0.5, 3.0, 4),)),
    Case(C.fixed_point, ("b", "c"), lambda r: (normal(r, 4), uniform(r, 0.5, 1.5, 4))),
    Case(C.converge_to_equilibrium, ("b", "c"), lambda r: (normal(r, 4), uniform(r, 0.5, 1.5, 4))),
    Case(C.inner_gradient_descent, ("w0", "target", "lr"), lambda r: (normal(r, 3), normal(r, 3), 0.3)),
    Case(C.momentum_descent, ("w0", "target", "lr"), lambda r: (normal(r, 3), normal(r, 3), 0.05)),
    Case(
        C.grow_until,
        ("x", "w"),
        lambda r: (uniform(r, 0.2, 0.4, 3), uniform(r, 1.5, 2.5, 3)),
        margin=_grow_margin,
    ),
    Case(C.power_iteration, ("A", "v"), lambda r: (normal(r, 3, 3), normal(r, 3))),
    # networks
    Case(
        C.layers_in_a_tuple,
        ("W1", "b1", "W2", "b2", "W3", "b3"),
        lambda r: (
            normal(r, 4, 5),
            normal(r, 5),
            normal(r, 5, 3),
            normal(r, 3),
            normal(r, 3, 2),
            normal(r, 2),
            normal(r, 6, 4),
            normal(r, 6, 2),
        ),
    ),
    Case(
        C.two_layer_classifier,
        ("W1", "b1", "W2", "b2"),
        lambda r: (
            normal(r, 4, 8),
            normal(r, 8),
            normal(r, 8, 3),
            normal(r, 3),
            normal(r, 5, 4),
            one_hot(r, 5, 3),
        ),
        margin=_mlp_margin,
    ),
    Case(
        C.two_layer_classifier,
        ("W1", "b1", "W2", "b2"),
        lambda r: (
            normal(r, 4, 8),
            normal(r, 8),
            np.repeat(normal(r, 8, 1), 3, axis=1),
            np.zeros(3),
            normal(r, 5, 4),
            one_hot(r, 5, 3),
        ),
        margin=_mlp_margin,
        id="two_layer_classifier-tied-logits",  # np.max has a three-way tie in every row
    ),
    Case(
        C.shared_encoder,
        ("W", "b"),
        lambda r: (normal(r, 3, 4), normal(r, 4), normal(r, 5, 3), normal(r, 5, 3)),
    ),
    Case(
        C.leaky_net,
        ("W1", "W2"),
        lambda r: (normal(r, 3, 4), normal(r, 4, 2), normal(r, 5, 3)),
        margin=_leaky_margin,
    ),
    Case(
        C.logistic_regression,
        ("w", "b"),
        lambda r: (normal(r, 3, scale=0.5), 0.1, normal(r, 10, 3), (r.uniform(size=10) > 0.5).astype(float)),
    ),
    Case(
        C.layer_norm_loss,
        ("gain", "bias", "x"),
        lambda r: (normal(r, 5), normal(r, 5), normal(r, 3, 5), normal(r, 3, 5)),
    ),
    Case(C.stats_loss, ("x",), lambda r: (normal(r, 4, 3),)),
    Case(C.attention, ("Wq", "Wk", "x"), lambda r: (normal(r, 3, 2), normal(r, 3, 2), normal(r, 4, 3))),
    Case(
        C.bag_of_words, ("E", "w"), lambda r: (normal(r, 6, 3), normal(r, 3), np.array([1, 4, 1, 0, 4]), 0.5)
    ),
    Case(C.rbf_kernel_sum, ("X", "gamma"), lambda r: (normal(r, 4, 2), 0.7)),
    Case(C.horner, ("c0", "c1", "c2", "c3", "x"), lambda r: (0.5, -1.0, 0.3, 0.2, normal(r, 5))),
    Case(
        C.gaussian_nll,
        ("mu", "log_sigma"),
        lambda r: (normal(r, 3), normal(r, 3, scale=0.3), normal(r, 10, 3)),
    ),
    Case(
        C.huber,
        ("pred",),
        lambda r: (np.array([0.2, -0.5, 2.0, -3.0, 0.7]), np.array([0.1, 0.3, -0.4, 0.2, 0.0])),
        margin=lambda a: np.min(np.abs(np.abs(a[0] - a[1]) - 1.0)),
    ),
    Case(C.softplus_margin, ("w",), lambda r: (normal(r, 3), normal(r, 8, 3), np.sign(normal(r, 8)))),
    # masks, gathers, where
    Case(
        C.masked_and_gathered,
        ("x",),
        lambda r: (np.array([0.5, -0.3, 1.2, 0.05, -1.0, 0.9]), np.array([2, 0, 2, 5, 5, 5])),
        margin=lambda a: np.min(np.abs(a[0] - 0.1)),
    ),
    Case(
        C.clipped_relu_where,
        ("x", "w"),
        lambda r: (normal(r, 6), uniform(r, 0.5, 1.5, 6)),
        margin=lambda a: np.min(np.abs(a[0] * a[1])),
    ),
    Case(C.rows_and_columns, ("M",), lambda r: (normal(r, 5, 3),)),
    Case(C.picked_by_lists, ("M", "v"), lambda r: (normal(r, 3, 2), normal(r, 3))),
    # branches, each direction
    Case(C.value_branch, ("x", "w"), lambda r: (signed(r, 1, 4), signed(r, 1, 4)), id="value_branch+"),
    Case(C.value_branch, ("x", "w"), lambda r: (signed(r, -1, 4), signed(r, 1, 4)), id="value_branch-"),
    Case(
        C.different_variables,
        ("x", "w"),
        lambda r: (signed(r, 1, 4), signed(r, 1, 4)),
        id="different_variables+",
    ),
    Case(
        C.different_variables,
        ("x", "w"),
        lambda r: (signed(r, -1, 4), signed(r, 1, 4)),
        id="different_variables-",
    ),
    Case(C.piecewise, ("t",), lambda r: (-2.0,), id="piecewise-low"),
    Case(C.piecewise, ("t",), lambda r: (0.3,), id="piecewise-mid"),
    Case(C.piecewise, ("t",), lambda r: (1.7,), id="piecewise-high"),
    Case(
        C.conditional_activation,
        ("x", "w"),
        lambda r: (signed(r, 1, 3, 4), signed(r, 1, 4)),
        id="conditional_activation+",
    ),
    Case(
        C.conditional_activation,
        ("x", "w"),
        lambda r: (signed(r, 1, 3, 4), signed(r, -1, 4)),
        id="conditional_activation-",
    ),
    Case(
        C.branch_in_loop,
        ("x", "w"),
        lambda r: (normal(r, 3), normal(r, 3), np.array([1.0, -1.0, -1.0, 1.0, 1.0])),
    ),
    # loops that overwrite and accumulate
    Case(C.overwrite_and_accumulate, ("W", "x"), lambda r: (normal(r, 3, 3, scale=0.5), normal(r, 2, 3))),
    Case(
        C.clipped_updates,
        ("x", "w"),
        lambda r: (normal(r, 3, scale=0.5), uniform(r, 0.9, 1.6, 3)),
        margin=_clip_margin,
    ),
    Case(C.nested_loops, ("A", "v"), lambda r: (normal(r, 3, 3, scale=0.5), normal(r, 3))),
    Case(C.cumulative_product, ("rates",), lambda r: (uniform(r, -0.05, 0.1, 12),)),
    Case(C.cumulative_sum, ("x",), lambda r: (normal(r, 4, 3),)),
    # break and continue
    Case(
        C.early_stop,
        ("x", "w"),
        lambda r: (uniform(r, 0.2, 0.6, 3), uniform(r, 0.6, 0.8, 3)),
        margin=_early_stop_margin,
    ),
    Case(
        C.skip_negative,
        ("xs", "w"),
        lambda r: (normal(r, 6, 3), normal(r, 3)),
        margin=lambda a: np.min(np.abs(np.sum(a[0], axis=1))),
    ),
    # Python floats
    Case(C.per_sample_loss, ("w", "x", "y"), lambda r: (0.5, 2.0, 3.0)),
    Case(C.quadratic, ("w1", "w2", "b", "x"), lambda r: (1.5, -0.5, 0.25, 2.0)),
    Case(C.polynomial, ("x",), lambda r: (3.0,)),
    Case(C.sgd_epoch, ("w", "b"), lambda r: (0.3, -0.1, normal(r, 5), normal(r, 5))),
    Case(C.compound_interest, ("rate",), lambda r: (0.05, 10)),
    Case(C.fibonacci, ("prev", "cur"), lambda r: (1.0, 1.0)),
    # parameters in containers, comprehensions
    Case(
        C.dict_of_weights,
        ("params",),
        lambda r: (
            {"W1": normal(r, 3, 4), "b1": normal(r, 4), "W2": normal(r, 4, 2), "b2": normal(r, 2)},
            normal(r, 5, 3),
            normal(r, 5, 2),
        ),
    ),
    Case(C.list_of_weights, ("params",), lambda r: ([normal(r, 3, 2), normal(r, 2)], normal(r, 4, 3))),
    Case(
        C.layers_in_a_list,
        ("layers",),
        lambda r: (
            [(normal(r, 3, 4), normal(r, 4)), (normal(r, 4, 2), normal(r, 2))],
            normal(r, 5, 3),
            normal(r, 5, 2),
        ),
    ),
    Case(C.sum_over_rows, ("xs", "w"), lambda r: (normal(r, 4, 3), normal(r, 3))),
    Case(
        C.unpacked_array,
        ("theta",),
        lambda r: (normal(r, 2, 3, scale=0.3), normal(r, 10, 3)),
    ),
    # closed-over values
    Case(C.weighted_loss, ("x",), lambda r: (normal(r, 3),)),
    # found by the fuzzer
    Case(C.branch_value_used_after_the_branch, ("x", "w"), lambda r: (normal(r, 2), normal(r, 2))),
    Case(C.last_row_after_the_loop, ("X", "w"), lambda r: (normal(r, 2, 2), normal(r, 2))),
    Case(C.swapped_in_a_loop, ("x", "y"), lambda r: (normal(r, 2), normal(r, 2))),
    Case(C.looped_on_from_a_tanh, ("x", "w"), lambda r: (normal(r, 2), normal(r, 2))),
    Case(C.swapped_in_a_branch_in_a_loop, ("x", "y"), lambda r: (normal(r, 2), normal(r, 2))),
    Case(C.broke_out_of_a_tuple_loop, ("x",), lambda r: (normal(r, 2),)),
    Case(C.rows_of_a_rebound_array_in_a_nested_loop, ("x",), lambda r: (normal(r, 2, 2, scale=0.5),)),
    Case(
        C.swapped_with_a_branch_swap_inside,
        ("x", "X", "Y"),
        lambda r: (uniform(r, 0.1, 1, 2), normal(r, 2), normal(r, 2)),
    ),
    Case(C.rotated_with_an_inner_loop, ("x", "X"), lambda r: (uniform(r, 0.1, 1, 2), normal(r, 2))),
    Case(C.one_branch_value_read_in_another_branch, ("x",), lambda r: (-uniform(r, 0.1, 1, 3),)),
    Case(C.renamed_in_the_other_branch_in_a_loop, ("x",), lambda r: (-uniform(r, 0.1, 1, 2),)),
    Case(C.renamed_in_the_other_branch_in_a_loop, ("x",), lambda r: (uniform(r, 0.1, 1, 2),), id="then"),
    Case(C.comprehension_in_one_branch_twice, ("x",), lambda r: (uniform(r, 0.1, 1, 2),)),
    Case(C.comprehension_in_one_branch_twice, ("x",), lambda r: (-uniform(r, 0.1, 1, 2),), id="else"),
    Case(C.renamed_before_a_break, ("x", "X"), lambda r: (normal(r, 2), -uniform(r, 0.1, 1, 2))),
    Case(C.renamed_before_a_break, ("x", "X"), lambda r: (normal(r, 2), uniform(r, 0.1, 1, 2)), id="broke"),
    Case(C.loop_in_a_tuple_loop, ("x", "Y"), lambda r: (normal(r, 2), normal(r, 2))),
    Case(C.renamed_in_an_elif, ("W",), lambda r: (np.array([-0.5, 0.3]),)),
    Case(C.renamed_in_an_elif, ("W",), lambda r: (np.array([0.5, 0.3]),), id="elif"),
    Case(C.swapped_then_chosen_in_a_loop, ("x", "Y"), lambda r: (normal(r, 2), normal(r, 2))),
    Case(
        C.row_it_broke_at,
        ("X", "w"),
        lambda r: (np.array([[-0.5, 0.2], [0.3, 0.4], [0.1, -0.9]]), np.array([1.0, 0.5])),
    ),
    Case(C.branch_with_nothing_left_backward, ("b",), lambda r: (normal(r, 2), np.ones(2))),
    Case(C.branch_with_nothing_left_backward, ("b",), lambda r: (normal(r, 2), -np.ones(2)), id="else"),
    Case(C.renamed_in_one_branch, ("x", "w"), lambda r: (normal(r, 2), uniform(r, 0.1, 1, 2))),
    Case(C.renamed_in_one_branch, ("x", "w"), lambda r: (normal(r, 2), -uniform(r, 0.1, 1, 2)), id="else"),
    Case(C.tuple_built_before_the_loop, ("x", "y"), lambda r: (normal(r, 2), normal(r, 2))),
    Case(C.assigned_in_one_branch_then_looped, ("x",), lambda r: (-uniform(r, 0.1, 1.0, 3),)),
    Case(C.assigned_in_one_branch_then_looped, ("x",), lambda r: (uniform(r, 0.1, 1.0, 3),), id="taken"),
    Case(C.parameter_part_rebound_in_a_loop, ("params",), lambda r: ({"b": normal(r, 2)}, normal(r, 2))),
    Case(C.rotated_then_chosen, ("x", "X"), lambda r: (normal(r, 2), uniform(r, 0.1, 1, 2))),
    Case(C.rotated_then_chosen, ("x", "X"), lambda r: (normal(r, 2), -uniform(r, 0.1, 1, 2)), id="else"),
    Case(C.helper_loop_on_a_caller_value, ("x",), lambda r: (normal(r, 3),)),
    Case(C.helper_with_names_srcgrad_also_makes, ("x",), lambda r: (normal(r, 3, 2),)),
    Case(C.product_after_a_rotating_loop, ("x",), lambda r: (np.array([[0.3, -0.7]]),)),
]


def _args(case):
    return case.make(np.random.default_rng(1234))


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_gradients_match_finite_differences(case):
    args = _args(case)
    if case.margin is not None:
        assert case.margin(args) > 1e-3, "inputs too close to a kink or a branch threshold"
    check_grads(case.func, *args, wrt=case.wrt)


def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v) for v in value)
    return value


def _assert_same(a, b, what):
    assert type(a) is type(b), what
    if isinstance(a, dict):
        assert a.keys() == b.keys(), what
        for k in a:
            _assert_same(a[k], b[k], f"{what}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), what
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{what}[{i}]")
    else:
        np.testing.assert_array_equal(a, b, err_msg=what)
        assert np.shape(a) == np.shape(b) and getattr(a, "dtype", None) == getattr(b, "dtype", None), what


def _working():
    return [c for c in CASES if not any(m.name == "xfail" for m in c.marks)]


def test_reliability_page_quotes_the_corpus_size():
    page = " ".join((GOLDEN.parent.parent / "docs" / "reliability.md").read_text().split())
    programs = len({case.func for case in CASES})
    assert f"`tests/corpus.py` holds {programs} programs ({len(CASES)} cases)" in page


def test_no_input_array_is_modified_anywhere_in_the_corpus():
    for case in _working():
        args = _args(case)
        before = _copy(args)
        srcgrad.grad(case.func, wrt=case.wrt)(*args)
        for name, a, b in zip(inspect.signature(case.func).parameters, args, before):
            _assert_same(a, b, f"{case.func.__name__} changed {name}")


def test_calling_the_gradient_twice_gives_identical_results():
    for case in _working():
        g = srcgrad.grad(case.func, wrt=case.wrt)
        args = _args(case)
        first = g(*args)
        second = g(*args)
        _assert_same(first, second, case.func.__name__)


# ---------------------------------------------------------------------------------------------
# Exact values for the scalar programs of the tutorial.


def test_tutorial_scalars_have_their_textbook_derivatives():
    value, dx = srcgrad.grad(C.polynomial)(3.0)
    assert value == 3.0**3 + 3.0**2 + 3.0 + 5 and dx == 34.0 and type(dx) is float
    value, (dw, dy) = srcgrad.grad(C.per_sample_loss, wrt=("w", "y"))(0.5, 2.0, 3.0)
    assert value == 4.0 and dw == 2 * (1.0 - 3.0) * 2.0 and dy == -2 * (1.0 - 3.0)
    _, (dw1, dw2, db) = srcgrad.grad(C.quadratic, wrt=("w1", "w2", "b"))(1.5, -0.5, 0.25, 2.0)
    assert (dw1, dw2, db) == (4.0, 2.0, 1.0)


def test_per_sample_sgd_converges():
    step = srcgrad.grad(C.per_sample_loss)
    w = 0.0
    data = [(1.0, 2.0), (2.0, 4.0), (3.0, 6.0)]
    for _ in range(50):
        for x, y in data:
            _, dw = step(w, x, y)
            w -= 0.05 * dw
    assert w == pytest.approx(2.0, abs=1e-6)


def test_cube_root_by_newton_has_the_closed_form_derivative():
    # d/da a^(1/3) = 1 / (3 a^(2/3)); srcgrad returns 0.0: the body's `x**3 - a` is shared with
    # the loop test's, and the gradient reaching that shared value is dropped
    value, da = srcgrad.grad(C.newton_cube_root)(2.0)
    assert value == pytest.approx(2.0 ** (1 / 3))
    assert da == pytest.approx(1 / (3 * 2.0 ** (2 / 3)))


def test_fibonacci_by_tuple_assignment():
    # (prev, cur) -> (cur, cur + prev) five times from (1, 1): 13 = 5 * prev + 8 * cur
    value, grads = srcgrad.grad(C.fibonacci, wrt=("prev", "cur"))(1.0, 1.0)
    assert value == C.fibonacci(1.0, 1.0) == 13.0  # srcgrad's forward pass gives 32.0
    assert grads == (5.0, 8.0)


# ---------------------------------------------------------------------------------------------
# Golden listings of the generated code.


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
        ("corpus_rnn", C.rnn_loss, ("Wx", "Wh", "b")),
        ("corpus_branch", C.value_branch, ("x", "w")),
        ("corpus_while", C.converge_to_equilibrium, ("b", "c")),
    ],
)
def test_golden_source(name, func, wrt):
    _golden(name, srcgrad.source(func, wrt=wrt))


# ---------------------------------------------------------------------------------------------
# Programs srcgrad refuses: the error names the construct, the file and the line.


def _line_of(func, text):
    lines, start = inspect.getsourcelines(func)
    for i, line in enumerate(lines):
        if text in line:
            return start + i
    raise AssertionError(text)


def _refused(exc, func, text, *fragments):
    message = str(exc.value)
    assert f'File "{CORPUS_FILE}", line {_line_of(func, text)}' in message, message
    assert text.strip() in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


REFUSED = [
    (
        C.stacked_scores,
        srcgrad.UnsupportedSyntaxError,
        "[np.sum(x * w) for x in xs if np.sum(x) > 0]",
        ["comprehension with several `for`s or an `if`"],
    ),
    (
        C.alias_then_add_in_place,
        srcgrad.UnsupportedSyntaxError,
        "before = h",
        ["`h += ...` (line", "'before' and 'h' may hold one array", "Write `h = h + ...`", ".copy()"],
    ),
    (C.no_rule_function, srcgrad.NoRuleError, "np.fft.hfft(x)", ["numpy.fft.hfft", "srcgrad.extend.adjoint"]),
]


@pytest.mark.parametrize("func, error, text, fragments", REFUSED, ids=[r[0].__name__ for r in REFUSED])
def test_unsupported_constructs_are_refused_with_file_line_and_construct(func, error, text, fragments):
    with pytest.raises(error) as info:
        srcgrad.source(func)
    _refused(info, func, text, *fragments)


def test_a_helper_adding_in_place_to_its_parameter_is_refused_at_the_helpers_line():
    with pytest.raises(srcgrad.UnsupportedSyntaxError) as info:
        srcgrad.source(C.helper_adds_in_place)
    _refused(
        info, C.step_in_place, "    h += x", "on a parameter of a helper", "caller's array", "h = h + ..."
    )
