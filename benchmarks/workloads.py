"""The six workloads of /work/shared/WORKLOADS.md: each user program, its hand-written gradient,
and its inputs.

The *programs* are written the way a user writes plain NumPy, with no eye on srcgrad: they read
only the global `np`, so the peers run the very same code with `np` bound to `autograd.numpy` or
`jax.numpy` (see `rebind`), and every system differentiates the same text.

The *hand-written* functions are the yardstick. Their forward pass is the program's own,
operation for operation (srcgrad cannot be asked to rewrite the user's loss), and keeps what the
backward pass needs; their backward pass is written by someone who knows the math and NumPy and
takes ordinary care: nothing recomputed, a reduction where a reduction is due, the RNN's weight
gradients as one matrix product over all steps, `(p - y) / n` for logistic regression; but no
heroics (no `out=` juggling, no fused kernels). So a ratio to hand measures what srcgrad adds:
its backward pass and its wrapper. Each returns what `srcgrad.grad` of its program returns:
`(value, gradients)`, the gradients a tuple in `wrt` order, or one gradient when `wrt` names a
single parameter.
"""

from __future__ import annotations

import builtins
import types
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# ---------------------------------------------------------------------------------------------
# The user programs.


def xor_loss(W1, B1, W2, B2, X, Y):
    Z1 = X @ W1 + B1
    H = np.maximum(Z1, 0.2 * Z1)  # leaky ReLU
    Out = 1 / (1 + np.exp(-(H @ W2 + B2)))
    return np.sum((Y - Out) ** 2)


def mlp_loss(w1, b1, w2, b2, w3, b3, x, y):
    h1 = np.maximum(x @ w1 + b1, 0)
    h2 = np.maximum(h1 @ w2 + b2, 0)
    out = h2 @ w3 + b3
    return np.mean((y - out) ** 2)


def poly(x):
    return x**3 + x**2 + x + 5


def rnn_loss(Wx, Wh, b, xs):
    # WORKLOADS.md writes zeros((32, 64)) and range(50); the shapes of the inputs say the same,
    # and reading them lets the scaling table run this very program at other lengths.
    h = np.zeros((xs.shape[1], Wh.shape[0]))
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
    return np.sum(h**2)


def logreg_loss(w, b, X, y):
    p = 1 / (1 + np.exp(-(X @ w + b)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def linfit_loss(w, x, y):
    return (x * w - y) ** 2


# ---------------------------------------------------------------------------------------------
# The hand-written forward and backward passes.


def xor_hand(W1, B1, W2, B2, X, Y):
    Z1 = X @ W1 + B1
    H = np.maximum(Z1, 0.2 * Z1)
    Out = 1 / (1 + np.exp(-(H @ W2 + B2)))
    R = Y - Out
    value = np.sum(R**2)
    dS = -2 * R * Out * (1 - Out)  # through the squared error and the sigmoid at once
    dH = dS @ W2.T
    dZ1 = np.where(Z1 >= 0, dH, 0.2 * dH)  # Z1 >= 0.2 * Z1 exactly when Z1 >= 0
    return value, (X.T @ dZ1, dZ1.sum(axis=0), H.T @ dS, dS.sum(axis=0))


def mlp_hand(w1, b1, w2, b2, w3, b3, x, y):
    a1 = x @ w1 + b1
    h1 = np.maximum(a1, 0)
    a2 = h1 @ w2 + b2
    h2 = np.maximum(a2, 0)
    r = y - (h2 @ w3 + b3)
    value = np.mean(r**2)
    dout = (-2 / r.size) * r  # a Python float times float32: stays float32
    da2 = np.where(a2 >= 0, dout @ w3.T, 0)
    da1 = np.where(a1 >= 0, da2 @ w2.T, 0)
    grads = (x.T @ da1, da1.sum(axis=0), h1.T @ da2, da2.sum(axis=0), h2.T @ dout, dout.sum(axis=0))
    return value, grads


def poly_hand(x):
    return x**3 + x**2 + x + 5, 3 * x**2 + 2 * x + 1


def rnn_hand(Wx, Wh, b, xs):
    steps, batch, _ = xs.shape
    hidden = Wh.shape[0]
    hs = np.empty((steps + 1, batch, hidden))  # hs[t] is the state before step t
    hs[0] = 0.0
    for t in range(steps):
        hs[t + 1] = np.tanh(xs[t] @ Wx + hs[t] @ Wh + b)
    value = np.sum(hs[steps] ** 2)
    da = np.empty((steps, batch, hidden))  # gradient at each step's pre-activation
    dh = 2 * hs[steps]
    for t in range(steps - 1, -1, -1):
        da[t] = dh * (1 - hs[t + 1] ** 2)
        if t:
            dh = da[t] @ Wh.T
    flat_da = da.reshape(steps * batch, hidden)
    # the weight gradients of all steps in one product each
    dWx = xs.reshape(steps * batch, -1).T @ flat_da
    dWh = hs[:steps].reshape(steps * batch, hidden).T @ flat_da
    return value, (dWx, dWh, flat_da.sum(axis=0))


def logreg_hand(w, b, X, y):
    p = 1 / (1 + np.exp(-(X @ w + b)))
    value = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    d = (p - y) / y.size  # through the mean, the cross-entropy and the sigmoid at once
    return value, (d @ X, float(d.sum()))


def linfit_hand(w, x, y):
    r = x * w - y
    return r**2, 2 * r * x


# ---------------------------------------------------------------------------------------------
# Inputs.


def xor_inputs(rng):
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    Y = np.array([[0.0], [1.0], [1.0], [0.0]])
    W1 = rng.uniform(-1, 1, size=(2, 20))
    B1 = rng.uniform(-1, 1, size=20)
    W2 = rng.uniform(-1, 1, size=(20, 1))
    B2 = rng.uniform(-1, 1, size=1)
    return W1, B1, W2, B2, X, Y


def mlp_inputs(rng):
    f32 = np.float32
    sizes = (784, 256, 128, 10)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params.append(rng.normal(0, np.sqrt(2 / fan_in), size=(fan_in, fan_out)).astype(f32))
        params.append(rng.normal(0, 0.01, size=fan_out).astype(f32))
    x = rng.random((200, 784), dtype=f32)
    y = np.eye(10, dtype=f32)[rng.integers(0, 10, size=200)]
    return (*params, x, y)


def poly_inputs(rng):
    return (3.0,)


def rnn_inputs(rng, steps=50):
    xs = rng.normal(0, 1, size=(steps, 32, 16))
    Wx = rng.normal(0, 1 / np.sqrt(16), size=(16, 64))
    Wh = rng.normal(0, 0.9 / np.sqrt(64), size=(64, 64))  # keeps the state away from saturation
    b = rng.normal(0, 0.1, size=64)
    return Wx, Wh, b, xs


def logreg_inputs(rng):
    n, d = 100_000, 100
    X = rng.normal(0, 1, size=(n, d))
    truth = rng.normal(0, 1 / np.sqrt(d), size=d)
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ truth)))).astype(np.float64)
    w = rng.normal(0, 0.1 / np.sqrt(d), size=d)
    return w, 0.1, X, y


def linfit_inputs(rng):
    return 0.5, 3.0, 6.0


# ---------------------------------------------------------------------------------------------
# The table.


@dataclass(frozen=True)
class Workload:
    """One benchmark: a user program, its hand-written gradient, its inputs and its target."""

    name: str
    program: Callable
    wrt: str | tuple[str, ...]  # as the user passes it to srcgrad.grad
    hand: Callable
    make_inputs: Callable  # (numpy Generator) -> the program's positional arguments
    shapes: str  # for the report
    target: float  # the target for srcgrad's time over the hand-written time
    measure_memory: bool = False  # large enough for peak memory to matter
    memory_target: float | None = None  # srcgrad's peak over the hand-written peak

    @property
    def wrt_names(self) -> tuple[str, ...]:
        return (self.wrt,) if isinstance(self.wrt, str) else tuple(self.wrt)

    @property
    def argnums(self) -> int | tuple[int, ...]:
        """`wrt` as positions, in the form the peers take (an int for a single parameter)."""
        names = list(self.program.__code__.co_varnames[: self.program.__code__.co_argcount])
        positions = tuple(names.index(w) for w in self.wrt_names)
        return positions[0] if isinstance(self.wrt, str) else positions

    def as_tuple(self, grads) -> tuple:
        """Gradients as a tuple whatever `wrt` was, for comparisons."""
        return (grads,) if isinstance(self.wrt, str) else tuple(grads)


WORKLOADS = (
    Workload(
        "xor",
        xor_loss,
        ("W1", "B1", "W2", "B2"),
        xor_hand,
        xor_inputs,
        "X 4×2, W1 2×20, W2 20×1; float64",
        target=1.3,
    ),
    Workload(
        "mlp",
        mlp_loss,
        ("w1", "b1", "w2", "b2", "w3", "b3"),
        mlp_hand,
        mlp_inputs,
        "784-256-128-10, batch 200; float32",
        target=1.10,
        measure_memory=True,
    ),
    Workload("poly", poly, "x", poly_hand, poly_inputs, "a Python float", target=2.0),
    Workload(
        "rnn",
        rnn_loss,
        ("Wx", "Wh", "b"),
        rnn_hand,
        rnn_inputs,
        "50 steps, batch 32, 16 → 64; float64",
        target=1.3,
    ),
    Workload(
        "logreg",
        logreg_loss,
        ("w", "b"),
        logreg_hand,
        logreg_inputs,
        "X 100000×100; float64",
        target=1.10,
        measure_memory=True,
        memory_target=1.2,
    ),
    Workload("linfit", linfit_loss, "w", linfit_hand, linfit_inputs, "Python floats", target=2.0),
)

BY_NAME = {w.name: w for w in WORKLOADS}


def rebind(program: Callable, numpy_module) -> Callable:
    """`program` with its global `np` bound to `numpy_module` (autograd's or JAX's NumPy).

    The programs read no other global, so this is the same code, run on another array library.
    """
    namespace = {"np": numpy_module, "__builtins__": builtins}
    return types.FunctionType(program.__code__, namespace, program.__name__, program.__defaults__)
