"""Second derivatives with srcgrad: a polynomial, Newton's method, and curvature of the XOR network.

1. d/dx and d²/dx² of x**3 + x**2 + x + 5 at x = 3, as in the nested-GradientTape tutorial:
   `grad(grad(f))` transforms the code `grad` generated for f once more.
2. Newton's method on a smooth convex function of a vector, each step solving with the Hessian
   that `hessian` builds a column at a time from Hessian-vector products.
3. Hessian-vector products of the XOR loss (forward mode over its gradient code): checked against
   differences of gradients, then used in power iteration for the sharpest curvature.
Run: python examples/higher_order.py
"""

import numpy as np

import srcgrad


def f(x):
    return x**3 + x**2 + x + 5


def objective(x, A, b):
    # a smooth, strictly convex function: log-sum-exp of an affine map, plus a small ridge
    z = A @ x - b
    m = np.max(z)
    return m + np.log(np.sum(np.exp(z - m))) + 0.05 * np.sum(x**2)


def xor_loss(W1, B1, W2, B2, X, Y):
    H1 = np.maximum(X @ W1 + B1, 0.2 * (X @ W1 + B1))
    Out = 1 / (1 + np.exp(-(H1 @ W2 + B2)))
    return np.sum((Y - Out) ** 2)


def polynomial(verbose=True):
    second = srcgrad.grad(srcgrad.grad(f, with_value=False))
    first, curvature = second(3.0)
    if verbose:
        print(f"f'(3) = {first}, f''(3) = {curvature}")
        print("the code of the second derivative (forward mode over the gradient's code):")
        print(second.source)
    return first, curvature


def newton(verbose=True, steps=8):
    rng = np.random.default_rng(0)
    A, b = rng.normal(size=(20, 5)), rng.normal(size=20)
    gradient = srcgrad.grad(objective, with_value=False)
    hess = srcgrad.hessian(objective)
    x = np.zeros(5)
    norms = []
    for step in range(steps):
        g = gradient(x, A, b)
        norms.append(float(np.linalg.norm(g)))
        if verbose:
            print(f"Newton step {step}: objective {objective(x, A, b):.12f}  |gradient| {norms[-1]:.2e}")
        if norms[-1] < 1e-12:
            break
        x = x - np.linalg.solve(hess(x, A, b), g)
    return x, norms


def xor_curvature(verbose=True, iterations=30):
    rng = np.random.default_rng(1)
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    Y = np.array([[0.0], [1.0], [1.0], [0.0]])
    # biases away from 0, so that no unit sits at the leaky ReLU's kink (for the difference check)
    params = [rng.normal(0, 1, (2, 3)), rng.normal(0, 0.5, 3), rng.normal(0, 1, (3, 1)), np.zeros(1)]
    wrt = ("W1", "B1", "W2", "B2")
    hvp = srcgrad.hvp(xor_loss, wrt=wrt)
    gradient = srcgrad.grad(xor_loss, wrt=wrt, with_value=False)

    v = [rng.normal(size=p.shape) for p in params]
    products = hvp(*params, X, Y, *v)
    h = 1e-6
    plus = gradient(*[p + h * d for p, d in zip(params, v)], X, Y)
    minus = gradient(*[p - h * d for p, d in zip(params, v)], X, Y)
    error = max(np.max(np.abs(hv - (a - c) / (2 * h))) for hv, a, c in zip(products, plus, minus))

    # power iteration: the largest-magnitude eigenvalue of the Hessian, from products alone
    eigenvalue = 0.0
    for _ in range(iterations):
        norm = np.sqrt(sum(np.sum(d**2) for d in v))
        v = [d / norm for d in v]
        products = hvp(*params, X, Y, *v)
        eigenvalue = sum(np.sum(d * hv) for d, hv in zip(v, products))
        v = list(products)
    if verbose:
        print(f"XOR Hessian-vector product vs differences of gradients: largest difference {error:.1e}")
        print(f"XOR sharpest curvature (power iteration, {iterations} products): {eigenvalue:.6f}")
    return error, eigenvalue


def main(verbose=True):
    results = polynomial(verbose)
    if verbose:
        print()
    newton_result = newton(verbose)
    if verbose:
        print()
    return results, newton_result, xor_curvature(verbose)


if __name__ == "__main__":
    main()
