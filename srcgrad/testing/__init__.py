"""Check srcgrad's derivatives against float64 central finite differences.

`check_grads(f, *args, wrt=...)` computes the gradients with `srcgrad.grad` and compares, for
a few random unit directions `v` per parameter, the directional derivative `<gradient, v>` they
give with the central difference `(f(x + h v) - f(x - h v)) / 2h` of `f` evaluated in float64.
One direction costs two calls of `f` whatever the parameter's size, so large arrays are cheap to
check, and a wrong element still shows in every direction (with weight `v[i]`).

With `mode="forward"` it checks forward mode instead: along the same directions, the
Jacobian-vector product `srcgrad.jvp` computes must match the central difference, and
`<gradient, v>` from reverse mode; `mode="both"` checks the two modes.

When a direction disagrees, `check_grads` bisects the direction's support (halves of the
elements, two more calls of `f` each) to find the element that accounts for the difference and
reports it; `GradientMismatch` carries the parameter, direction, element and both numbers as
attributes. When the function is not differentiable at the point (a kink: `abs` or a leaky ReLU
at 0), the one-sided differences disagree there, and the message says so instead of blaming the
derivative. `assert_grads_close` is the same check for use in a pytest `assert`-style test.

Tolerances scale with the gradient's dtype and size: float64 gradients must agree to about 1e-6
relative to the gradient's root-mean-square element, lower precisions to 1e-3 of its norm. An
apparent mismatch is re-examined with steps 4h and h/4 first, and forgiven when the finite
differences themselves are that uncertain (large values, strong curvature).

Hypothesis strategies for inputs live in `srcgrad.testing.strategies` (needs hypothesis).
"""

from __future__ import annotations

import copy
import weakref

import numpy as np

from ..api import grad
from ..functions.arguments import holds_floats, is_nested, is_record, path_text, record_fields
from ..functions.arguments import leaves as _leaves
from ..functions.arguments import skeleton as _skeleton
from ..functions.gradient import GradFunction

__all__ = ["check_grads", "assert_grads_close", "GradientMismatch"]

MODES = ("reverse", "forward", "both")


class GradientMismatch(AssertionError):
    """The generated derivative disagrees with finite differences (the message says where).

    Attributes (None where they do not apply): `function` (its name), `parameter` (the `wrt`
    parameter, with the path into a nested one, e.g. `params['W1']`), `direction` (the index of
    the random direction), `element` (the index of the element found to differ, a tuple),
    `analytic` and `numeric` (srcgrad's and the central difference's numbers, for the element if
    one was found, else for the direction), `tolerance`, `seed`, and `mode`: `"reverse"` (the
    gradient is off), `"forward"` (the Jacobian-vector product is off) or `"forward-reverse"`
    (the two modes disagree while the central difference agrees with forward mode; `analytic` is
    then the Jacobian-vector product and `numeric` reverse mode's `<gradient, v>`). `kink` is
    True when `f` is not differentiable at the point (its one-sided differences disagree, and
    no derivative can match the central difference there).
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
        mode: str | None = None,
        kink: bool = False,
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
        self.mode = mode
        self.kink = kink


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
    """Assert that srcgrad's derivatives of `f` at `args` match central differences.

    Returns `(value, gradients)` as `grad(f, wrt=wrt)` computed them. Raises GradientMismatch
    naming the parameter, the direction and both numbers when they disagree (and, with `locate`,
    the element responsible), and when a gradient's shape, dtype or type differs from its
    parameter's. `directions` random unit directions are tried per parameter (drawn from
    `seed`); `rtol`/`atol` replace the dtype-based tolerances; `eps` is the finite-difference
    step. `mode="forward"` checks forward mode instead of the gradient: along the same
    directions, `srcgrad.jvp(f, wrt=...)` must match the central difference and reverse mode's
    `<gradient, v>` (the gradient is still computed and returned); `mode="both"` checks both
    modes. Forward mode does not take nested (dict, list, tuple, NamedTuple, dataclass)
    parameters yet: asking for it with one raises NotImplementedError. A nested parameter's
    gradient must be nested alike: for a NamedTuple or dataclass, an instance of its class,
    holding the parameter's own values in the fields that are not differentiated.
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
    if mode != "reverse":
        for name in g.wrt:
            if is_nested(params.arguments[name]):
                raise NotImplementedError(
                    f"check_grads(mode={mode!r}): forward mode does not take nested parameters "
                    f"(dicts, lists, tuples, NamedTuples, dataclasses) yet, and {name!r} of "
                    f"{raw.__name__!r} is a "
                    f"{type(params.arguments[name]).__name__}; check it with mode='reverse'."
                )
    expected = raw(*_fresh(args), **_fresh(kwargs))  # a function may write into its arguments
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
        _check_nesting(name, gradient, params.arguments[name])
        for path, leaf in _leaves(params.arguments[name]):
            checks.append((name, path, _get(gradient, path), leaf))

    def at(name, path, v, h):
        """The sum of `f` (in float64) with the leaf at `path` moved by `h v`."""
        moved = dict(args64)
        moved[name] = _put(args64[name], path, _shift(_get(args64[name], path), v, h))
        return float(np.sum(_call(raw, params, moved)))

    def directional(name, path, v, h):
        """The central difference of `f` (in float64) along `v` in the leaf at `path`."""
        return (at(name, path, v, h) - at(name, path, v, -h)) / (2 * h)

    def refuse_kink(name, path, v, element, a, r, facts):
        """Raise GradientMismatch(kink=True) if `f` is not differentiable at the point along `v`
        (the unit vector of `element`, when the bisection found one): its one-sided differences
        disagree, by more than the tolerance, at step h and still at h/4. A smooth function's
        one-sided slopes differ by about h times its curvature, so they close in as h shrinks; a
        kink's do not. `facts` are the failure's (label, k, who, analytic, numeric, mode)."""
        if element is not None:
            v = np.zeros(np.shape(v))
            v[element] = 1.0
        centre = at(name, path, v, 0.0)
        (left, right), (left_4, right_4) = (
            ((centre - at(name, path, v, -h)) / h, (at(name, path, v, h) - centre) / h)
            for h in (eps, eps / 4)
        )
        gap = abs(right - left)
        if gap <= a + r * max(abs(left), abs(right)) or abs(right_4 - left_4) <= gap / 2:
            return
        label, k, who, analytic, numeric, mode = facts
        where = f"at element {list(element)}" if element is not None else f"along random direction {k}"
        raise GradientMismatch(
            f"{raw.__name__!r} is not differentiable here: the one-sided differences disagree {where} "
            f"of {label!r} (left slope {left:.6g}, right slope {right:.6g}), so no derivative can match the "
            f"central difference ({numeric!r}, their mean) and {who}'s {analytic!r} cannot be checked at "
            f"this point (random direction {k} of {directions}, seed {seed}). Check at a point off the "
            "kink (srcgrad.testing.strategies keeps draws away from given values with `avoid=`).",
            function=raw.__name__,
            parameter=label,
            direction=k,
            element=element,
            analytic=analytic,
            numeric=numeric,
            seed=seed,
            mode=mode,
            kink=True,
        )

    def prepare(name, path, gradient, p):
        """The leaf's label, its gradient in float64, its tolerances and random directions."""
        label = name + path_text(params.arguments[name], path)
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
        vs = []
        for _ in range(directions):
            v = rng.standard_normal(np.shape(p))
            vs.append(v / max(np.linalg.norm(v), 1e-300))
        return label, g64, r, a, vs

    def spread(name, path, v, numeric):
        """How uncertain the central difference itself is: with a 4x larger step its truncation
        error grows 16x, with a 4x smaller one its rounding noise grows 4x, so their spread
        bounds the error of the step used."""
        wide, narrow = directional(name, path, v, 4 * eps), directional(name, path, v, eps / 4)
        return max(abs(wide - numeric), abs(narrow - numeric))

    prepared, numerics = [], {}  # numerics: (check, direction) -> central difference, for "both"
    for i, (name, path, gradient, p) in enumerate(checks if mode != "forward" else ()):
        label, g64, r, a, vs = prepare(name, path, gradient, p)
        prepared.append((label, g64, r, a, vs))
        for k, v in enumerate(vs):
            numeric = numerics[i, k] = directional(name, path, v, eps)
            analytic = float(np.sum(g64 * v))
            allowed = a + r * max(abs(numeric), abs(analytic))
            if abs(numeric - analytic) <= allowed:
                continue
            # Before blaming srcgrad, ask how uncertain the central difference itself is.
            if abs(numeric - analytic) <= allowed + spread(name, path, v, numeric):
                continue
            where = ""
            element, el_analytic, el_numeric = None, None, None
            if locate and np.ndim(p) > 0 and np.size(p) > 1:
                element, el_analytic, el_numeric = _locate(directional, name, path, v, eps, _dot(g64))
                where = _where(element, el_analytic, el_numeric, a, r, "srcgrad")
                if where.startswith("\nNo single"):
                    element = None
            found = (el_analytic, el_numeric) if element is not None else (analytic, numeric)
            refuse_kink(name, path, v, element, a, r, (label, k, "srcgrad", *found, "reverse"))
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
                mode="reverse",
            )
    if mode != "reverse":
        if not prepared:
            prepared = [prepare(*check) for check in checks]
        forward = _Forward(g, args, kwargs, params.arguments, expected)
        for i, ((name, path, _, p), (label, g64, r, a, vs)) in enumerate(zip(checks, prepared)):
            for k, v in enumerate(vs):
                numeric = numerics[i, k] if (i, k) in numerics else directional(name, path, v, eps)
                tangent = forward(name, v)
                allowed = a + r * max(abs(numeric), abs(tangent))
                off = abs(numeric - tangent)
                if off > allowed and off > allowed + spread(name, path, v, numeric):
                    where = ""
                    element, el_analytic, el_numeric = None, None, None
                    if locate and np.ndim(p) > 0 and np.size(p) > 1:
                        element, el_analytic, el_numeric = _locate(
                            directional, name, path, v, eps, lambda part, sub, name=name: forward(name, sub)
                        )
                        where = _where(element, el_analytic, el_numeric, a, r, "forward mode")
                        if where.startswith("\nNo single"):
                            element = None
                    found = (el_analytic, el_numeric) if element is not None else (tangent, numeric)
                    refuse_kink(name, path, v, element, a, r, (label, k, "forward mode", *found, "forward"))
                    raise GradientMismatch(
                        f"forward mode (jvp) of {raw.__name__!r} with respect to {label!r} disagrees "
                        f"with finite differences in random direction {k} of {directions} (seed "
                        f"{seed}): the Jacobian-vector product is {tangent!r}, central differences "
                        f"give {numeric!r} (difference {off:.3g}, allowed "
                        f"{allowed:.3g}: rtol {r:g}, atol {a:g}).{where}\n"
                        f"generated code:\n{forward.jvp.source}",
                        function=raw.__name__,
                        parameter=label,
                        direction=k,
                        element=element,
                        analytic=el_analytic if element is not None else tangent,
                        numeric=el_numeric if element is not None else numeric,
                        tolerance=allowed,
                        seed=seed,
                        mode="forward",
                    )
                reverse = float(np.sum(g64 * v))
                allowed = a + r * max(abs(tangent), abs(reverse))
                if abs(tangent - reverse) <= allowed:
                    continue
                closer = (
                    "closer to forward mode's: the gradient (reverse mode) is the likely culprit; "
                    "check_grads(mode='reverse') checks it alone."
                    if abs(numeric - tangent) < abs(numeric - reverse)
                    else "closer to reverse mode's."
                )
                raise GradientMismatch(
                    f"forward mode (jvp) and reverse mode (grad) of {raw.__name__!r} disagree with "
                    f"respect to {label!r} in random direction {k} of {directions} (seed {seed}): "
                    f"the Jacobian-vector product is {tangent!r}, <gradient, v> is {reverse!r} "
                    f"(difference {abs(tangent - reverse):.3g}, allowed {allowed:.3g}: rtol {r:g}, "
                    f"atol {a:g}). Central differences give {numeric!r}, {closer}\n"
                    f"generated code:\n{forward.jvp.source}\n{g.source}",
                    function=raw.__name__,
                    parameter=label,
                    direction=k,
                    analytic=tangent,
                    numeric=reverse,
                    tolerance=allowed,
                    seed=seed,
                    mode="forward-reverse",
                )
    return value, (grads[0] if single else grads)


def assert_grads_close(f, *args, wrt=None, **options) -> None:
    """`check_grads` as an assertion: returns None, or raises GradientMismatch (an
    AssertionError) whose message names the parameter, the random direction, the element that
    differs and both numbers. Accepts `check_grads`' options."""
    __tracebackhide__ = True
    check_grads(f, *args, wrt=wrt, **options)


_JVPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # GradFunction -> its jvp


class _Forward:
    """`jvp(f, wrt=...)` of a grad function's `f` and `wrt`, called with a tangent for one
    parameter (zeros for the others): returns the directional derivative as a float, after
    checking the value and the tangent's shape against `f`'s own value on the first call."""

    def __init__(self, g, args, kwargs, arguments, expected):
        from ..functions.products import JvpFunction

        self.jvp = _JVPS.get(g)
        if self.jvp is None:
            self.jvp = _JVPS[g] = JvpFunction(g.fn, tuple(g.wrt), g.has_aux)
        self.g, self.args, self.kwargs, self.expected = g, args, kwargs, expected
        self.params = {w: arguments[w] for w in g.wrt}
        self.checked = False

    def __call__(self, name, v) -> float:
        tangents = [v if w == name else _zeros_like(p) for w, p in self.params.items()]
        value, tangent = self.jvp._with_tangents(self.args, self.kwargs, tangents)
        if not self.checked:
            self._check(value, tangent)
        return float(np.sum(np.asarray(tangent, dtype=np.float64)))

    def _check(self, value, tangent):
        __tracebackhide__ = True
        self.checked = True
        fn, expected = self.g.fn.__name__, self.expected
        if self.g.has_aux:
            value, expected = value[0], expected[0]
        if not np.allclose(value, expected, rtol=1e-6, atol=1e-12, equal_nan=True):
            raise GradientMismatch(
                f"forward mode (jvp): value {value!r} differs from the original function's "
                f"{expected!r}\ngenerated code:\n{self.jvp.source}",
                function=fn,
                analytic=_scalar(value),
                numeric=_scalar(expected),
                mode="forward",
            )
        if np.shape(tangent) != np.shape(value):
            raise GradientMismatch(
                f"forward mode (jvp): the tangent of {fn!r} has shape {np.shape(tangent)}, not the "
                f"value's shape {np.shape(value)}\ngenerated code:\n{self.jvp.source}",
                function=fn,
                mode="forward",
            )


def _call(raw, bound, arguments):
    """`raw` called with `arguments` (every parameter by name, as the bound arguments with their
    defaults applied have them), *args and **kwargs spread out."""
    args, kwargs = [], {}
    arguments = _fresh(arguments)  # the function may write into them: each call gets its own
    for p in bound.signature.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            args.extend(arguments[p.name])
        elif p.kind is p.VAR_KEYWORD:
            kwargs.update(arguments[p.name])
        elif p.kind is p.KEYWORD_ONLY:
            kwargs[p.name] = arguments[p.name]
        else:
            args.append(arguments[p.name])
    return raw(*args, **kwargs)


def _dot(g64):
    """<gradient, sub> over the flat indices `part` where `sub` is nonzero."""
    flat_g = np.ravel(g64)
    return lambda part, sub: float(flat_g[part] @ np.ravel(sub)[part])


def _zeros_like(p):
    return 0.0 if type(p) is float else np.zeros_like(p)


def _where(element, analytic, numeric, a, r, who) -> str:
    """The sentence about the element `_locate` found; `who` names srcgrad's side."""
    if abs(analytic - numeric) <= a + r * max(abs(analytic), abs(numeric)):
        return (
            f"\nNo single element accounts for it: element {list(element)}, the largest "
            f"share, agrees ({who} {analytic!r}, central differences {numeric!r})."
        )
    return (
        f"\nThe difference is in element {list(element)}: {who} gives {analytic!r}, "
        f"central differences give {numeric!r} ({_relative(analytic, numeric)})."
    )


def _locate(directional, name, path, v, eps, analytic):
    """The element of the leaf that accounts for most of the disagreement along `v`: bisect the
    elements where `v` is nonzero, keeping the half whose own directional difference disagrees
    more, then compare that element's derivative alone. `analytic(part, sub)` is srcgrad's
    derivative along `sub`, the direction restricted to the flat indices `part`. Returns
    (index, analytic, numeric)."""
    flat_v = np.ravel(v)
    idx = np.flatnonzero(flat_v)

    def restricted(part, values):
        sub = np.zeros_like(flat_v)
        sub[part] = values
        return sub.reshape(np.shape(v))

    def residual(part):
        sub = restricted(part, flat_v[part])
        return abs(directional(name, path, sub, eps) - analytic(part, sub))

    while len(idx) > 1:
        half = len(idx) // 2
        left, right = idx[:half], idx[half:]
        idx = left if residual(left) >= residual(right) else right
    i = int(idx[0])
    unit = restricted([i], 1.0)
    numeric = directional(name, path, unit, eps)
    return tuple(int(j) for j in np.unravel_index(i, np.shape(v))), analytic([i], unit), numeric


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
        value = getattr(value, key) if is_record(value) else value[key]
    return value


def _put(value, path, new):
    """A copy of the nested `value` with the leaf at `path` replaced by `new`."""
    if not path:
        return new
    key, rest = path[0], path[1:]
    if is_record(value):
        return _with_fields(value, {key: _put(getattr(value, key), rest, new)})
    if isinstance(value, dict):
        return {**value, key: _put(value[key], rest, new)}
    items = list(value)
    items[key] = _put(items[key], rest, new)
    return type(value)(items)


def _tree_map(fn, value):
    """`value` with `fn` applied to each leaf of its dicts, lists, tuples, NamedTuples and
    dataclasses (the fields srcgrad differentiates)."""
    if is_record(value):
        return _with_fields(value, {n: _tree_map(fn, v) for n, v in record_fields(value) if holds_floats(v)})
    if isinstance(value, dict):
        return {k: _tree_map(fn, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)([_tree_map(fn, v) for v in value])
    return fn(value)


def _with_fields(record, values: dict):
    """A copy of a NamedTuple or dataclass instance with the fields `values` names changed: the
    object `f` would see had the caller made it with those values (a dataclass copied with its
    other attributes, its __init__ not run again)."""
    if isinstance(record, tuple):
        return record._replace(**values)
    made = copy.copy(record)
    for n, v in values.items():
        object.__setattr__(made, n, v)
    return made


def _check_nesting(label, gradient, p):
    """Raise GradientMismatch if the gradient of a nested parameter is not nested like it: the
    same kinds (a record of the parameter's class), keys and lengths, and in a record's fields
    that are not differentiated, the parameter's own values."""
    if is_record(p):
        if type(gradient) is not type(p):
            kinds = f"a {type(gradient).__name__}, not a {type(p).__name__}"
            raise GradientMismatch(f"gradient for {label!r} is {kinds}")
        for n, v in record_fields(p):
            held = getattr(gradient, n, None)
            if holds_floats(v):
                _check_nesting(f"{label}.{n}", held, v)
            elif held is not v:
                raise GradientMismatch(
                    f"gradient for {label!r} holds {held!r} in its field {n!r}, not the parameter's own {v!r}"
                )
    elif isinstance(p, (dict, list, tuple)):
        if type(gradient) is not type(p) or len(gradient) != len(p):
            shown = f"{_skeleton(gradient)}, not nested like {_skeleton(p)}"
            raise GradientMismatch(f"gradient for {label!r} is {shown}")
        for k in list(p) if isinstance(p, dict) else range(len(p)):
            _check_nesting(f"{label}[{k!r}]", gradient[k], p[k])


def _fresh(value):
    """`value` with every NumPy array in it copied."""
    return _tree_map(lambda v: v.copy() if isinstance(v, np.ndarray) else v, value)


def _tree64(value):
    return _tree_map(_float64, value)


def _check_kind(name, gradient, p):
    if type(p) is float:
        if type(gradient) is not float:
            raise GradientMismatch(f"gradient for float {name!r} is a {type(gradient).__name__}, not a float")
        return
    if np.shape(gradient) != np.shape(p):
        raise GradientMismatch(f"gradient for {name!r} has shape {np.shape(gradient)}, not {np.shape(p)}")
    if getattr(gradient, "dtype", None) != getattr(p, "dtype", None):
        raise GradientMismatch(f"gradient for {name!r} has dtype {gradient.dtype}, not {p.dtype}")
