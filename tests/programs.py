"""User-style straight-line programs, differentiated by the tests (their source must be real)."""

import numpy
import numpy as np
from numpy import exp, tanh

SLOPE = 0.2


def xor_loss(W1, B1, W2, B2, X, Y):
    H1 = np.maximum(X @ W1 + B1, 0.2 * (X @ W1 + B1))  # leaky ReLU
    Out = 1 / (1 + np.exp(-(H1 @ W2 + B2)))  # sigmoid
    return np.sum(np.square(Y - Out))


def mlp_loss(w1, b1, w2, b2, w3, b3, x, y):
    h1 = np.maximum(x @ w1 + b1, 0.0)
    h2 = np.maximum(h1 @ w2 + b2, 0.0)
    out = h2 @ w3 + b3
    return np.mean((y - out) ** 2)


def logreg_loss(w, b, X, y):
    p = 1 / (1 + np.exp(-(X @ w + b)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def bare_numpy(x):
    return numpy.sum(numpy.tanh(x) ** 2)


def imported_names(x):
    return exp(tanh(x)).sum()


def global_constant(x):
    return np.sum(np.maximum(x, SLOPE * x))


def methods(x, w):
    z = x.dot(w).T
    return z.reshape(-1).mean() + x.T.sum(axis=0).sum()


def reassigned(x):
    h = x * 2.0
    h = np.tanh(h)
    h += x
    a, b = h, x * 3.0
    a = b = a * b
    return np.sum(a + b)


def printed(x):
    y = np.exp(x)
    print("forward value", np.sum(y))
    return np.sum(y)


def unused_branch(x, y):
    wasted = np.exp(y)
    z = x * 2.0
    return np.sum(z)


def scale_by_shape(x):
    n = x.size
    return np.sum(x) / n


def _settle_step(h, W):
    return np.tanh(h @ W)


def settle(params, x, scale):
    """A loop with a break and a branch, on dict parameters and a float (issue 19's program)."""
    h = x * params["a"]
    steps = 0
    while np.sum(h * h) > 0.5:
        h = _settle_step(h, params["W"]) * 0.9
        steps += 1
        if steps >= 10:
            break
    out = np.sum(h) * scale
    if out > 0:
        out = out * 2.0
    return out
