"""Train a small tanh RNN to add up a sequence, with srcgrad's gradients through the time loop.

Each input is a sequence of 10 numbers; the network reads one number per step into a hidden
state of 16 units and, after the last step, predicts the sum. The backward pass srcgrad
generates replays the loop in reverse, popping the values each step saved.
Run: python examples/rnn.py
"""

import numpy as np

import srcgrad


def step(x, h, Wx, Wh, b):
    return np.tanh(x @ Wx + h @ Wh + b)


@srcgrad.grad(wrt=("Wx", "Wh", "b", "Wo", "bo"))
def loss(Wx, Wh, b, Wo, bo, xs, y):
    h = np.zeros((xs.shape[1], Wh.shape[0]))
    for t in range(xs.shape[0]):
        h = step(xs[t], h, Wx, Wh, b)
    prediction = h @ Wo + bo
    return np.mean((prediction - y) ** 2)


def batch(rng, steps=10, size=32):
    xs = rng.uniform(-0.5, 0.5, size=(steps, size, 1))
    return xs, xs.sum(axis=0)


def main(iterations=600, learning_rate=0.1, seed=0, verbose=True):
    rng = np.random.default_rng(seed)
    hidden = 16
    params = [
        rng.normal(0, 0.5, (1, hidden)),
        rng.normal(0, 0.3, (hidden, hidden)),
        np.zeros(hidden),
        rng.normal(0, 0.3, (hidden, 1)),
        np.zeros(1),
    ]
    first = None
    for i in range(iterations):
        xs, y = batch(rng)
        value, grads = loss(*params, xs, y)
        params = [p - learning_rate * g for p, g in zip(params, grads)]
        first = value if first is None else first
        if verbose and i % 100 == 0:
            print(f"iteration {i:4d}  loss {value:.4f}")
    xs, y = batch(np.random.default_rng(seed + 1))
    final, _ = loss(*params, xs, y)
    if verbose:
        baseline = np.mean(y**2)
        print(f"held-out loss {final:.4f} (it started at {first:.4f}; predicting 0 scores {baseline:.4f})")
        print("\nThe generated gradient:\n")
        print(loss.source)
    return first, final


if __name__ == "__main__":
    main()
