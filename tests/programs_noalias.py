"""A module that imports NumPy functions by name only: srcgrad must supply `np` itself."""

from numpy import exp, maximum
from numpy import sum as total


def softish(x, y):
    return total(exp(maximum(x, y)) * x)
