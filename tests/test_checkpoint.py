"""Checkpointed loops (`for t in srcgrad.checkpointed(range(T))`, issue 20): the same derivatives
as the plain loop in every mode, code that shows the schedule, less memory, and clear refusals."""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest

import srcgrad
from srcgrad.runtime import checkpoint_segments
from srcgrad.testing import check_grads


def rnn(W, U, h0, xs):
    h = h0
    for t in srcgrad.checkpointed(range(xs.shape[0])):
        h = np.tanh(h @ W + xs[t] @ U)
    return np.sum(h**2)


def rnn_plain(W, U, h0, xs):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(h @ W + xs[t] @ U)
    return np.sum(h**2)


def branchy(W, xs):
    h = np.zeros(W.shape[0])
    total = 0.0
    for t in srcgrad.checkpointed(range(xs.shape[0]), snapshots=3):
        a = np.tanh(W @ h + xs[t])
        if np.sum(a) > 0:
            h = a * 0.9
        else:
            h = np.maximum(a, 0.1 * a)
        total = total + np.sum(h * h)
    return total + np.sum(h)


def stepped(W, xs):
    h = xs[0]
    c = xs[1] * 0.5
    for t in srcgrad.checkpointed(range(1, xs.shape[0], 2)):
        h, c = np.tanh(W @ c) + xs[t], np.sin(h) * c
    return np.sum(h * c)


def with_inner_loop(W, xs):
    h = xs[0]
    for t in srcgrad.checkpointed(range(xs.shape[0])):
        for k in range(2):
            h = np.tanh(W @ h) + xs[t] * k
    return np.sum(h**2)


def inside_if(W, xs, flag):
    h = xs[0]
    if flag:
        for t in srcgrad.checkpointed(range(xs.shape[0]), 4):
            h = np.cos(W @ h) * xs[t]
    return np.sum(h)


def _inputs(seed=1, steps=9):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(3, 3)) * 0.4, rng.normal(size=(steps, 3))


@pytest.mark.parametrize("f", [branchy, stepped, with_inner_loop])
def test_derivatives_in_every_mode(f):
    W, xs = _inputs()
    check_grads(f, W, xs, wrt=("W", "xs"))
    check_grads(f, W, xs, wrt=("W", "xs"), mode="forward")
    v = np.ones_like(W)
    g = srcgrad.grad(f, wrt=("W",), with_value=False)
    expected = (g(W + 1e-5 * v, xs)[0] - g(W - 1e-5 * v, xs)[0]) / 2e-5
    np.testing.assert_allclose(srcgrad.hvp(f, wrt=("W",))(W, xs, v)[0], expected, rtol=1e-5, atol=1e-7)


def test_a_loop_in_a_branch():
    W, xs = _inputs()
    check_grads(inside_if, W, xs, True, wrt=("W", "xs"))
    check_grads(inside_if, W, xs, False, wrt=("W", "xs"))


@pytest.mark.parametrize("steps", [0, 1, 2, 7, 16, 17])
def test_the_same_gradient_as_the_plain_loop(steps):
    rng = np.random.default_rng(steps)
    W, U = rng.normal(size=(4, 4)) * 0.3, rng.normal(size=(3, 4)) * 0.3
    h0, xs = rng.normal(size=(2, 4)), rng.normal(size=(steps, 2, 3))
    value, grads = srcgrad.grad(rnn, wrt=("W", "U", "h0"))(W, U, h0, xs)
    plain_value, plain = srcgrad.grad(rnn_plain, wrt=("W", "U", "h0"))(W, U, h0, xs)
    assert value == plain_value
    for a, b in zip(grads, plain):
        np.testing.assert_array_equal(a, b)  # the same operations in the same order


def test_the_generated_code_shows_the_schedule():
    source = srcgrad.source(rnn, wrt=("W", "U"))
    forward, backward = source.split("# grad of: return")
    assert "for first, stop in checkpoint_segments(range(shape_0), None):" in forward, source
    assert "checkpoints.append((first, stop, h))" in forward, source
    assert "saved.append" not in forward, source  # nothing kept per iteration on the way forward
    assert "first, stop, h = checkpoints.pop()" in backward, source
    assert "saved.append" in backward and "while saved:" in backward, source


def _peak(call) -> int:
    call()
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        call()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_it_keeps_far_fewer_values():
    """900 steps of a 16 x 64 state: the plain loop keeps every step's values (about 2.6 MiB per
    100 steps), the checkpointed one 30 starts and one segment's values (benchmarks/checkpoint.py
    measures the issue's 3,000-step RNN)."""
    rng = np.random.default_rng(0)
    W, U = rng.normal(size=(64, 64)) * 0.1, rng.normal(size=(8, 64)) * 0.3
    h0, xs = np.zeros((16, 64)), rng.normal(size=(900, 16, 8))
    checkpointed = srcgrad.grad(rnn, wrt=("W", "U"))
    plain = srcgrad.grad(rnn_plain, wrt=("W", "U"))
    assert _peak(lambda: checkpointed(W, U, h0, xs)) < 0.15 * _peak(lambda: plain(W, U, h0, xs))


def test_segments():
    assert checkpoint_segments(range(0)) == []
    assert checkpoint_segments(range(9)) == [(0, 3), (3, 6), (6, 9)]
    assert checkpoint_segments(range(10), snapshots=1) == [(0, 10)]
    assert checkpoint_segments(range(3), snapshots=10) == [(0, 1), (1, 2), (2, 3)]
    for steps in (range(17), range(2, 40, 3), range(10, 0, -2)):
        for snapshots in (None, 1, 2, 5, 100):
            covered = [
                t
                for first, stop in checkpoint_segments(steps, snapshots)
                for t in range(first, stop, steps.step)
            ]
            assert covered == list(steps)


def nested_in_a_loop(W, xs):
    h = xs[0]
    for k in range(2):
        for t in srcgrad.checkpointed(range(xs.shape[0])):
            h = np.tanh(W @ h)
    return np.sum(h)


def over_an_array(W, xs):
    h = xs[0]
    for x in srcgrad.checkpointed(xs):
        h = np.tanh(W @ h + x)
    return np.sum(h)


def test_refusals_name_the_line():
    W, xs = _inputs()
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match="not inside another loop") as info:
        srcgrad.grad(nested_in_a_loop)(W, xs)
    assert "test_checkpoint.py" in str(info.value)
    with pytest.raises(srcgrad.UnsupportedSyntaxError, match=r"takes a range\(\.\.\.\)") as info:
        srcgrad.grad(over_an_array)(W, xs)
    assert "srcgrad.checkpointed(xs)" in str(info.value)


def test_the_marker_is_the_range_itself_in_plain_python():
    assert srcgrad.checkpointed(range(4), snapshots=2) == range(4)
    with pytest.raises(ValueError, match="snapshots"):
        srcgrad.checkpointed(range(4), snapshots=0)
