"""Markers users write in their own code: plain functions when the code runs as Python, read by
srcgrad when it differentiates the code. They import nothing of srcgrad, so that every layer
(rules included) can name them."""

from __future__ import annotations


def stop_gradient(x):
    """`x` itself, as a value that carries no gradient: what depends on it through here is constant.

    >>> stop_gradient(3.0)
    3.0
    """
    return x


def checkpointed(steps, snapshots=None):
    """`steps` itself (a `range`), marking the `for` loop over it for checkpointing: under
    srcgrad's reverse mode, the loop keeps its state at the start of about sqrt(len(steps))
    segments (or of `snapshots` segments) instead of every iteration's values, and the backward
    pass runs each segment forward again, keeping its values, before running its adjoint. Memory
    grows with sqrt(T) instead of T, for about one more forward pass of the loop.

        for t in srcgrad.checkpointed(range(T)):
            h = np.tanh(h @ W + xs[t])

    >>> checkpointed(range(3))
    range(0, 3)
    """
    if snapshots is not None and not (isinstance(snapshots, int) and snapshots >= 1):
        raise ValueError(f"srcgrad.checkpointed needs snapshots=None or an int >= 1, not {snapshots!r}")
    return steps
