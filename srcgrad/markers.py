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
