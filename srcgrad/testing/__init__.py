"""Check srcgrad's gradients against float64 central finite differences.

`check_grads(f, *args, wrt=...)` computes the gradients with `srcgrad.grad` and compares, for
a few random unit directions `v` per parameter, the directional derivative `<gradient, v>` they
give with the central difference `(f(x + h v) - f(x - h v)) / 2h` of `f` evaluated in float64.
One direction costs two calls of `f` whatever the parameter's size, so large arrays are cheap to
check, and a wrong element still shows in every direction (with weight `v[i]`).

When a direction disagrees, `check_grads` bisects the direction's support (halves of the
elements, two more calls of `f` each) to find the element that accounts for the difference and
reports it; `GradientMismatch` carries the parameter, direction, element and both numbers as
attributes. `assert_grads_close` is the same check for use in a pytest `assert`-style test.

Tolerances scale with the gradient's dtype and size: float64 gradients must agree to about 1e-6
relative to the gradient's root-mean-square element, lower precisions to 1e-3 of its norm. An
apparent mismatch is re-examined with steps 4h and h/4 first, and forgiven when the finite
differences themselves are that uncertain (large values, strong curvature).

Hypothesis strategies for inputs live in `srcgrad.testing.strategies` (needs hypothesis).
"""

from __future__ import annotations

import numpy as np

from ..api import GradFunction, grad
from ..api import leaves as _leaves

__all__ = ["check_grads", "assert_grads_close", "GradientMismatch"]

MODES = ("reverse", "forward", "both")


class GradientMismatch(AssertionError):
    """The generated gradient disagrees with finite differences (the message says where).

    Attributes (None where they do not apply): `function` (its name), `parameter` (the `wrt`
    parameter, with the path into a nested one, e.g. `params['W1']`), `direction` (the index of
    the random direction), `element` (the index of the element found to differ, a tuple),
    `analytic` and `numeric` (srcgrad's and the central difference's numbers, for the element if
    one was found, else for the direction), `tolerance` and `seed`.
    """

    def __init__(
        self,
        message: str,
        *,
        function: str | None = None,
        parameter: str | None = None,
        direction: int | None = None,
        element: tuple | None = None,
        analytic: float | None = None,
        numeric: float | None = None,
        tolerance: float | None = None,
        seed: int | None = None,
    ):
        super().__init__(message)
        self.function = function
        self.parameter = parameter
        self.direction = direction
        self.element = element
        self.analytic = analytic
        self.numeric = numeric
        self.tolerance = tolerance
        self.seed = seed


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
    locate: bool = True,
    mode: str = "reverse",
    **kwargs,
):
    """Assert that srcgrad's gradients of `f` at `args` match central differences.

    Returns `(value, gradients)` as `grad(f, wrt=wrt)` computed them. Raises GradientMismatch
    naming the parameter, the direction and both numbers when they disagree (and, with `locate`,
    the element responsible), and when a gradient's shape, dtype or type differs from its
    parameter's. `directions` random unit directions are tried per parameter (drawn from
    `seed`); `rtol`/`atol` replace the dtype-based tolerances; `eps` is the finite-difference
    step. `mode="forward"` or `"both"` also checks forward mode, which srcgrad does not have yet
    (they raise NotImplementedError; see `_check_forward`).
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not this function's internals
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    g = f if isinstance(f, GradFunction) else grad(f, wrt=wrt)
    raw = g.fn
    value, grads = g(*args, **kwargs)
    single = g.single
    grads = (grads,) if single else tuple(grads)
    params = g.signature.bind(*args, **kwargs)
    params.apply_defaults()
    expected = raw(*args, **kwargs)
    if not np.allclose(value, expected, rtol=1e-6, atol=1e-12, equal_nan=True):
        raise GradientMismatch(
            f"value {value!r} differs from the original function's {expected!r}",
            function=raw.__name__,
            analytic=_scalar(value),
            numeric=_scalar(expected),
        )

    args64 = {k: _tree64(v) for k, v in params.arguments.items()}
    rng = np.random.default_rng(seed)
    checks = []
    for name, gradient in zip(g.wrt, grads):  # a nested parameter is checked leaf by leaf
        for path, leaf in _leaves(params.arguments[name]):
            checks.append((name, path, _get(gradient, path), leaf))

    def directional(name, path, v, h):
        """The central difference of `f` (in float64) along `v` in the leaf at `path`."""
        plus, minus = dict(args64), dict(args64)
        start = _get(args64[name], path)
        plus[name] = _put(args64[name], path, _shift(start, v, h))
        minus[name] = _put(args64[name], path, _shift(start, v, -h))
        return (float(np.sum(raw(**plus))) - float(np.sum(raw(**minus)))) / (2 * h)

    if mode != "reverse":
        _check_forward(g, args, kwargs, checks, rng)
        if mode == "forward":
            return value, (grads[0] if single else grads)
    for name, path, gradient, p in checks:
        label = name + "".join(f"[{k!r}]" for k in path)
        _check_kind(label, gradient, p)
        g64 = np.asarray(gradient, dtype=np.float64)
        low = isinstance(gradient, (np.ndarray, np.generic)) and gradient.dtype.itemsize < 8
        r = rtol if rtol is not None else (2e-3 if low else 1e-5)
        norm = float(np.linalg.norm(np.ravel(g64)))
        # A low-precision gradient's rounding errors can add up along a direction to about its
        # norm times eps; a float64 one's cannot, so its scale is the root-mean-square element
        # (the typical size of <gradient, v> for a unit v): a 1% error in one element of a
        # large array then still exceeds the tolerance.
        scale = 1.0 + (norm if low else norm / np.sqrt(max(g64.size, 1)))
        a = atol if atol is not None else (1e-3 if low else 1e-6) * scale
        for k in range(directions):
            v = rng.standard_normal(np.shape(p))
            v = v / max(np.linalg.norm(v), 1e-300)
            numeric = directional(name, path, v, eps)
            analytic = float(np.sum(g64 * v))
            allowed = a + r * max(abs(numeric), abs(analytic))
            if abs(numeric - analytic) <= allowed:
                continue
            # Before blaming srcgrad, ask how uncertain the central difference itself is: with
            # a 4x larger step its truncation error grows 16x, with a 4x smaller one its
            # rounding noise grows 4x, so their spread bounds the error of the step used.
            wide, narrow = directional(name, path, v, 4 * eps), directional(name, path, v, eps / 4)
            spread = max(abs(wide - numeric), abs(narrow - numeric))
            if abs(numeric - analytic) <= allowed + spread:
                continue
            where = ""
            element, el_analytic, el_numeric = None, None, None
            if locate and np.ndim(p) > 0 and np.size(p) > 1:
                element, el_analytic, el_numeric = _locate(directional, name, path, g64, v, eps)
                if abs(el_analytic - el_numeric) <= a + r * max(abs(el_analytic), abs(el_numeric)):
                    where = (
                        f"\nNo single element accounts for it: element {list(element)}, the largest "
                        f"share, agrees (srcgrad {el_analytic!r}, central differences {el_numeric!r})."
                    )
                    element = None
                else:
                    where = (
                        f"\nThe difference is in element {list(element)}: srcgrad gives {el_analytic!r}, "
                        f"central differences give {el_numeric!r} ({_relative(el_analytic, el_numeric)})."
                    )
            raise GradientMismatch(
                f"gradient of {raw.__name__!r} with respect to {label!r} disagrees with finite "
                f"differences in random direction {k} of {directions} (seed {seed}): srcgrad gives "
                f"{analytic!r}, central differences give {numeric!r} (difference "
                f"{abs(numeric - analytic):.3g}, allowed {allowed:.3g}: rtol {r:g}, atol {a:g})."
                f"{where}\ngenerated code:\n{g.source}",
                function=raw.__name__,
                parameter=label,
                direction=k,
                element=element,
                analytic=el_analytic if element is not None else analytic,
                numeric=el_numeric if element is not None else numeric,
                tolerance=allowed,
                seed=seed,
            )
    return value, (grads[0] if single else grads)


def assert_grads_close(f, *args, wrt=None, **options) -> None:
    """`check_grads` as an assertion: returns None, or raises GradientMismatch (an
    AssertionError) whose message names the parameter, the random direction, the element that
    differs and both numbers. Accepts `check_grads`' options."""
    __tracebackhide__ = True
    check_grads(f, *args, wrt=wrt, **options)


def _check_forward(g, args, kwargs, checks, rng):
    """Hook for forward mode (issue 5): compare the Jacobian-vector product srcgrad generates,
    `jvp(x; v)`, with the same central difference along `v`, and with `<gradient, v>` from
    reverse mode, for the directions of the reverse check. Until srcgrad has forward mode there
    is nothing to call."""
    from .. import api

    jvp = getattr(api, "jvp", None)
    if jvp is None:
        raise NotImplementedError(
            "check_grads(mode='forward'): srcgrad has no forward mode yet; use mode='reverse'."
        )
    raise NotImplementedError("check_grads(mode='forward'): the forward check is not written yet.")


def _locate(directional, name, path, g64, v, eps):
    """The element of the leaf that accounts for most of the disagreement along `v`: bisect the
    elements where `v` is nonzero, keeping the half whose own directional difference disagrees
    more, then compare that element's derivative alone. Returns (index, analytic, numeric)."""
    flat_v = np.ravel(v)
    flat_g = np.ravel(g64)
    idx = np.flatnonzero(flat_v)

    def residual(part):
        sub = np.zeros_like(flat_v)
        sub[part] = flat_v[part]
        sub = sub.reshape(np.shape(v))
        return abs(directional(name, path, sub, eps) - float(flat_g[part] @ flat_v[part]))

    while len(idx) > 1:
        half = len(idx) // 2
        left, right = idx[:half], idx[half:]
        idx = left if residual(left) >= residual(right) else right
    i = int(idx[0])
    unit = np.zeros_like(flat_v)
    unit[i] = 1.0
    numeric = directional(name, path, unit.reshape(np.shape(v)), eps)
    return tuple(int(j) for j in np.unravel_index(i, np.shape(v))), float(flat_g[i]), numeric


def _relative(a, b):
    d = abs(a - b)
    m = max(abs(a), abs(b))
    return f"difference {d:.3g}, {100 * d / m:.3g}% of the larger" if m else f"difference {d:.3g}"


def _scalar(x):
    try:
        return float(np.asarray(x, dtype=np.float64).ravel()[0])
    except (TypeError, ValueError, IndexError):
        return None


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
