"""Fit y = w*x and y = w1*x**2 + w2*x + b by per-sample SGD on plain Python floats.

The seed tutorials' first models, with srcgrad's gradients: no arrays, no framework, one gradient
call per sample. Run: python examples/linear_fit.py
"""

import srcgrad


@srcgrad.grad(wrt="w")
def line_loss(w, x, y):
    return (x * w - y) ** 2


@srcgrad.grad(wrt=("w1", "w2", "b"))
def quadratic_loss(w1, w2, b, x, y):
    prediction = w1 * x**2 + w2 * x + b
    return (prediction - y) ** 2


def fit_line(epochs=50, learning_rate=0.01):
    xs, ys = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.0]  # y = 2x
    w = 0.5
    for _ in range(epochs):
        for x, y in zip(xs, ys):
            _, dw = line_loss(w, x, y)
            w -= learning_rate * dw
    return w


def fit_quadratic(epochs=2000, learning_rate=0.01):
    xs = [-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0]
    ys = [2 * x**2 - 3 * x + 1 for x in xs]  # y = 2x^2 - 3x + 1
    w1, w2, b = 0.0, 0.0, 0.0
    for _ in range(epochs):
        for x, y in zip(xs, ys):
            _, (d1, d2, db) = quadratic_loss(w1, w2, b, x, y)
            w1, w2, b = w1 - learning_rate * d1, w2 - learning_rate * d2, b - learning_rate * db
    return w1, w2, b


def main():
    w = fit_line()
    print(f"y = w*x:            w = {w:.4f}; prediction at x = 5: {w * 5:.4f}")
    w1, w2, b = fit_quadratic()
    prediction = w1 * 25 + w2 * 5 + b
    fitted = f"w1 = {w1:.4f}, w2 = {w2:.4f}, b = {b:.4f}"
    print(f"y = w1*x^2+w2*x+b:  {fitted}; prediction at x = 5: {prediction:.4f}")
    print("\nThe gradient of the line's loss, as srcgrad generated it:\n")
    print(line_loss.source)
    return w, (w1, w2, b)


if __name__ == "__main__":
    main()
