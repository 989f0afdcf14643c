"""Train the XOR network of the TensorFlow GradientTape tutorial with srcgrad's gradients.

A 2-20-1 network: leaky ReLU (slope 0.2), sigmoid output, summed squared error, plain SGD with
learning rate 0.1 for 1000 steps. Run: python examples/xor.py
"""

import numpy as np

import srcgrad


@srcgrad.grad(wrt=("W1", "B1", "W2", "B2"))
def loss(W1, B1, W2, B2, X, Y):
    H1 = np.maximum(X @ W1 + B1, 0.2 * (X @ W1 + B1))  # leaky ReLU
    Out = 1 / (1 + np.exp(-(H1 @ W2 + B2)))  # sigmoid
    return np.sum(np.square(Y - Out))


def loss_example():
    """Arguments of the shapes `loss` takes: `srcgrad check examples/xor.py:loss` draws values like
    these (docs/testing.md)."""
    rng = np.random.default_rng(0)
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    Y = np.array([[0.0], [1.0], [1.0], [0.0]])
    return (
        rng.uniform(-1, 1, (2, 20)),
        rng.uniform(-1, 1, 20),
        rng.uniform(-1, 1, (20, 1)),
        rng.uniform(-1, 1, 1),
        X,
        Y,
    )


def predict(W1, B1, W2, B2, X):
    H1 = np.maximum(X @ W1 + B1, 0.2 * (X @ W1 + B1))
    return 1 / (1 + np.exp(-(H1 @ W2 + B2)))


def main(steps=1000, learning_rate=0.1, seed=0):
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    Y = np.array([[0.0], [1.0], [1.0], [0.0]])
    rng = np.random.default_rng(seed)
    W1 = rng.uniform(-1, 1, size=(2, 20))
    B1 = rng.uniform(-1, 1, size=20)
    W2 = rng.uniform(-1, 1, size=(20, 1))
    B2 = rng.uniform(-1, 1, size=1)

    for step in range(steps):
        value, (dW1, dB1, dW2, dB2) = loss(W1, B1, W2, B2, X, Y)
        W1 -= learning_rate * dW1
        B1 -= learning_rate * dB1
        W2 -= learning_rate * dW2
        B2 -= learning_rate * dB2
        if step % 100 == 0:
            print(f"step {step:4d}  loss {value:.6f}")
    value, _ = loss(W1, B1, W2, B2, X, Y)
    print(f"final     loss {value:.6f}")
    print("predictions:")
    for x, p in zip(X, predict(W1, B1, W2, B2, X)):
        print(f"  {x[0]:.0f} xor {x[1]:.0f} -> {p[0]:.3f}")
    print("\nThe backward pass srcgrad generated:\n")
    print(loss.source)
    return value


if __name__ == "__main__":
    main()
