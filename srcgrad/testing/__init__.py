"""Check srcgrad's gradients against float64 central finite differences.

`check_grads(f, *args, wrt=...)` computes the gradients with `srcgrad.grad` and compares, for
a few random directions per parameter, the directional derivative they give with a central
difference of `f` evaluated in float64. Tolerances scale with the gradients' dtype and size.
Hypothesis strategies for inputs live in `srcgrad.testing.strategies` (needs hypothesis).
"""

from __future__ import annotations

import numpy as np

from ..api import GradFunction, grad

__all__ = ["check_grads", "GradientMismatch"]


class GradientMismatch(AssertionError):
    """The generated gradient disagrees with finite differences (the message says where)."""


def _float64(x):
    if isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.floating):
        return x.astype(np.float64)
    if isinstance(x, np.generic) and np.issubdtype(x.dtype, np.floating):
        return np.float64(x)
    return x


def _shift(x, v, h):
    if isinstance(x, np.ndarray):
        return np.asarray(x + h * v, dtype=x.dtype)  # a 0-d array stays an array
    return type(x)(x + h * float(v))


def check_grads(
    f,
    *args,
    wrt=None,
    directions: int = 3,
    rtol: float | None = None,
    atol: float | None = None,
    eps: float = 1e-6,
    seed: int = 0,
    **kwargs,
):
    """Assert that srcgrad's gradients of `f` at `args` match central differences.

    Returns `(value, gradients)` as `grad(f, wrt=wrt)` computed them. Raises GradientMismatch
    naming the parameter, the direction and both numbers when they disagree, and when a
    gradient's shape, dtype or type differs from its parameter's.
    """
    g = f if isinstance(f, GradFunction) else grad(f, wrt=wrt)
    raw = g.fn
    value, grads = g(*args, **kwargs)
    single = g.single
    grads = (grads,) if single else tuple(grads)
    params = g.signature.bind(*args, **kwargs)
    params.apply_defaults()
    expected = raw(*args, **kwargs)
    if not np.allclose(value, expected, rtol=1e-6, atol=1e-12, equal_nan=True):
        raise GradientMismatch(f"value {value!r} differs from the original function's {expected!r}")

    args64 = {k: _tree64(v) for k, v in params.arguments.items()}
    rng = np.random.default_rng(seed)
    checks = []
    for name, gradient in zip(g.wrt, grads):  # a nested parameter is checked leaf by leaf
        for path, leaf in _leaves(params.arguments[name]):
            checks.append((name, path, _get(gradient, path), leaf))
    for name, path, gradient, p in checks:
        label = name + "".join(f"[{k!r}]" for k in path)
        _check_kind(label, gradient, p)
        low = isinstance(gradient, (np.ndarray, np.generic)) and gradient.dtype.itemsize < 8
        r = rtol if rtol is not None else (2e-3 if low else 1e-5)
        scale = 1.0 + float(np.linalg.norm(np.ravel(np.asarray(gradient, dtype=np.float64))))
        a = atol if atol is not None else (1e-3 if low else 1e-6) * scale
        for k in range(directions):
            v = rng.standard_normal(np.shape(p))
            v = v / max(np.linalg.norm(v), 1e-300)
            plus, minus = dict(args64), dict(args64)
            start = _get(args64[name], path)
            plus[name] = _put(args64[name], path, _shift(start, v, eps))
            minus[name] = _put(args64[name], path, _shift(start, v, -eps))
            numeric = (float(np.sum(raw(**plus))) - float(np.sum(raw(**minus)))) / (2 * eps)
            analytic = float(np.sum(np.asarray(gradient, dtype=np.float64) * v))
            if not abs(numeric - analytic) <= a + r * max(abs(numeric), abs(analytic)):
                raise GradientMismatch(
                    f"gradient of {raw.__name__!r} with respect to {label!r} disagrees with finite "
                    f"differences in random direction {k} (seed {seed}): srcgrad gives {analytic!r}, "
                    f"central differences give {numeric!r} (rtol {r:g}, atol {a:g}).\n"
                    f"generated code:\n{g.source}"
                )
    return value, (grads[0] if single else grads)


def _leaves(value, path=()):
    """(path, leaf) for each array or float in nested dicts, lists and tuples."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _leaves(v, (*path, i))
    else:
        yield path, value


def _get(value, path):
    for key in path:
        value = value[key]
    return value


def _put(value, path, new):
    """A copy of the nested `value` with the leaf at `path` replaced by `new`."""
    if not path:
        return new
    key, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, key: _put(value[key], rest, new)}
    items = list(value)
    items[key] = _put(items[key], rest, new)
    return type(value)(items)


def _tree64(value):
    if isinstance(value, dict):
        return {k: _tree64(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_tree64(v) for v in value)
    return _float64(value)


def _check_kind(name, gradient, p):
    if type(p) is float:
        if type(gradient) is not float:
            raise GradientMismatch(f"gradient for float {name!r} is a {type(gradient).__name__}, not a float")
        return
    if np.shape(gradient) != np.shape(p):
        raise GradientMismatch(f"gradient for {name!r} has shape {np.shape(gradient)}, not {np.shape(p)}")
    if getattr(gradient, "dtype", None) != getattr(p, "dtype", None):
        raise GradientMismatch(f"gradient for {name!r} has dtype {gradient.dtype}, not {p.dtype}")
