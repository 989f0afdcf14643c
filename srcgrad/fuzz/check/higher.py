"""Forward mode and second order, checked against reverse mode: `srcgrad.jvp` against the
gradient along random directions, `srcgrad.hvp` and grad of a grad against differences of the
gradient (see the package docstring)."""

from __future__ import annotations

import copy

import numpy as np

from .case import _Case, _close
from .exact import _check_kinds, _identical, _same_inputs_tree
from .outcome import Outcome, _clip, _improper_refusal, _missing_rule, _refuses_containers

FORWARD_DIRECTIONS = 2  # random directions jvp is checked along
FORWARD_RTOL = 1e-7  # of the sum of |gradient_i * v_i| and |tangent|: rounding only
HVP_STEP, HVP_STEP_CHECK = 1e-5, 1e-4  # central differences of gradients along v
SYMMETRY_RTOL = 1e-7


def _jvp(function, wrt):
    import srcgrad

    return srcgrad.jvp(function, wrt=wrt)


def _hvp(function, wrt):
    import srcgrad

    return srcgrad.hvp(function, wrt=wrt)


def _nested(function, name):
    import srcgrad

    return srcgrad.grad(srcgrad.grad(function, wrt=name, with_value=False), wrt=name)


def _unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


def _first_call(outcome: Outcome, case: _Case, mode: str, make, base, directions):
    """Make srcgrad's `mode` function (jvp or hvp) with `make` and call it once along the first
    direction: (function, parameters, unit directions, result, tangents), or None when it was
    skipped (a missing tangent rule) or failed. A dict parameter that it refuses is left out."""
    program = outcome.program
    names = program.wrt
    while True:
        mask = case.mask(names)
        units = [_unit(d * mask) for d in directions]
        tangents = case.tangents(units[0], names)
        try:
            function = make(case.function, tuple(names))
            result = case.call(function, base, tangents)
        except Exception as exc:
            rule = _missing_rule(exc)
            if rule is not None:
                outcome.skipped.append(f"{mode}: no tangent rule for {rule}")
                return None
            if _refuses_containers(exc, program, names):
                outcome.skipped.append(
                    f"{mode}: takes no container parameter (documented; checked without them)"
                )
                names = tuple(n for n in names if n not in {p.name for p in program.params if p.leaves})
                if names:
                    continue
                return None
            flaw = _improper_refusal(exc, case.path)
            if flaw is None:
                outcome.skipped.append(f"{mode}: refused: {type(exc).__name__}: {str(exc).splitlines()[0]}")
                return None
            message = f"srcgrad's {mode} raised {type(exc).__name__} ({flaw}): {_clip(str(exc))}"
            outcome.fail(f"{mode}-error", message)
            return None
        return function, names, units, result, tangents


def _setup_forward(outcome: Outcome, case: _Case, base, directions, make) -> None:
    """srcgrad's jvp, called once; its exact properties (the numbers: `_numeric`)."""
    pristine = copy.deepcopy(base)
    made = _first_call(outcome, case, "jvp", make, base, directions)
    if made is None:
        return
    function, names, units, first, tangents = made
    if not (isinstance(first, tuple) and len(first) == 2):
        outcome.fail("jvp-kind", f"jvp returned a {type(first).__name__}, not (value, tangent)")
        return
    value, tangent = first
    like = type(value) is type(tangent) and np.shape(tangent) == np.shape(value)
    if not like or np.asarray(tangent).dtype.kind != "f":

        def describe(x):
            return f"a {type(x).__name__} (shape {np.shape(x)}, dtype {np.asarray(x).dtype})"

        outcome.fail("jvp-kind", f"the tangent is {describe(tangent)}, the value {describe(value)}")
        return
    if not _same_inputs_tree(base, pristine):
        outcome.fail("mutation", "srcgrad's jvp changed its input arrays")
        base[:] = copy.deepcopy(pristine)
    if not _same_inputs_tree(tangents, case.tangents(units[0], names)):
        outcome.fail("mutation", "srcgrad's jvp changed its tangent arrays")
    try:
        second = case.call(function, base, case.tangents(units[0], names))
    except Exception as exc:
        outcome.fail("jvp-error", f"the second call of jvp raised {type(exc).__name__}: {exc}")
        return
    if not _identical(first, second):
        outcome.fail("nondeterministic", "two calls of jvp with the same inputs gave different results")
    case.forward, case.forward_names, case.forward_directions = function, names, units
    outcome.forward_checked = True


def _setup_second(outcome: Outcome, case: _Case, base, directions, make) -> None:
    """srcgrad's hvp (and, for a float parameter, grad of a grad), called once; the kinds of
    their results (the numbers: `_numeric`)."""
    pristine = copy.deepcopy(base)
    made = _first_call(outcome, case, "hvp", make, base, directions)
    if made is not None:
        function, names, units, products, tangents = made
        problems = len(outcome.problems)
        _check_kinds(outcome, products, base, names, "Hessian-vector product", "hvp-kind", tangents)
        if not _same_inputs_tree(base, pristine):
            outcome.fail("mutation", "srcgrad's hvp changed its input arrays")
            base[:] = copy.deepcopy(pristine)
        if len(outcome.problems) == problems:  # numbers only from products of the right kind
            case.second, case.second_names, case.second_directions = function, names, units
            outcome.hvp_checked = True
    floats = [p.name for p in outcome.program.params if p.wrt and p.shape is None and p.leaves is None]
    if not floats:
        return
    name = floats[0]
    try:
        nested = _nested(case.function, name)
        _, result = nested(*base)
    except Exception as exc:
        rule = _missing_rule(exc)
        flaw = _improper_refusal(exc, case.path) if rule is None else None
        if rule is not None:
            outcome.skipped.append(f"grad of grad: no tangent rule for {rule}")
        elif flaw is None:
            outcome.skipped.append(f"grad of grad: refused: {type(exc).__name__}: {str(exc).splitlines()[0]}")
        else:
            message = f"srcgrad's grad of a grad raised {type(exc).__name__} ({flaw}): {_clip(str(exc))}"
            outcome.fail("nested-error", message)
        return
    if type(result) is not float:
        outcome.fail("nested-kind", f"grad of a grad for float {name!r} is a {type(result).__name__}")
        return
    index = int(np.flatnonzero(case.mask((name,)))[0])
    case.nested.append((name, nested, index))
    outcome.nested_checked = True


def _forward_numeric(case: _Case, point, expected: float, analytic: np.ndarray, found: dict) -> None:
    """jvp along each direction: the original's value, and `<gradient, v>` up to rounding."""
    labels = case.labels()
    for v in case.forward_directions:
        value, tangent = case.call(case.forward, point, case.tangents(v, case.forward_names))
        if not _close(float(value), expected, 1e-9, 1e-9):
            found["jvp-value"] = f"jvp's value {float(value)!r}, the original function's {expected!r}"
        tangent = float(tangent)
        dot = float(analytic @ v)
        terms = np.abs(analytic) * np.abs(v)
        scale = float(np.sum(terms)) + abs(dot) + abs(tangent)
        if not abs(tangent - dot) <= 1e-10 + FORWARD_RTOL * scale:  # also catches nan
            biggest = np.argsort(-terms)[:3]
            along = ", ".join(f"{labels[i]} {v[i]:.3g}" for i in biggest if v[i])
            found["jvp"] = (
                f"jvp's tangent {tangent!r}, <gradient, v> {dot!r} (difference {tangent - dot:.3g}); "
                f"v along {along}{', ...' if len(labels) > 3 else ''}"
            )


def _second_numeric(case: _Case, point, analytic: np.ndarray, confirm: bool, found: dict) -> None:
    """hvp along v against differenced gradients and the Hessian's symmetry; grad of a grad.

    Without `confirm` every disagreement with differences of step HVP_STEP counts; with it, only
    those where steps HVP_STEP and HVP_STEP_CHECK agree with each other and not with srcgrad."""
    labels = case.labels()
    atol, rtol = 1e-5 * (1 + float(np.max(np.abs(analytic), initial=0.0))), 1e-4

    def compare(computed, along, indices):
        """Flat indices where `computed` (at `indices`) and the differenced gradients along
        `along` disagree, with the differences (one or both steps)."""
        differenced = case.differenced(point, along, HVP_STEP)[indices]
        if not np.all(np.isfinite(differenced)):
            return np.zeros(0, dtype=int), differenced, None  # the gradient blows up nearby
        bad = np.flatnonzero(~_close(computed, differenced, atol, rtol))
        check = None
        if bad.size and confirm:
            check = case.differenced(point, along, HVP_STEP_CHECK)[indices][bad]
            keep = _close(differenced[bad], check, atol, rtol) & ~_close(computed[bad], check, atol, rtol)
            bad, check = bad[keep], check[keep]
        return bad, differenced, check

    if case.second is not None:
        names = case.second_names
        indices = np.flatnonzero(case.mask(names))
        v, u = case.second_directions
        hv = case.flatten(case.call(case.second, point, case.tangents(v, names)), names)
        bad, differenced, check = compare(hv, v, indices)
        if bad.size:
            worst = int(np.argmax(np.abs(hv[bad] - differenced[bad])))
            i = bad[worst]
            also = "" if check is None else f" ({float(check[worst])!r} with step {HVP_STEP_CHECK:g})"
            found["hvp"] = (
                f"(H v)[{labels[indices[i]]}]: srcgrad's hvp {float(hv[i])!r}, differenced gradients "
                f"{float(differenced[i])!r}{also}; {bad.size} of {indices.size} elements differ"
            )
        hu = case.flatten(case.call(case.second, point, case.tangents(u, names)), names)
        a, b = float(u[indices] @ hv), float(v[indices] @ hu)
        scale = float(np.abs(u[indices]) @ np.abs(hv) + np.abs(v[indices]) @ np.abs(hu))
        if not abs(a - b) <= 1e-10 * (1 + scale) + SYMMETRY_RTOL * scale:
            found["hvp-symmetry"] = f"<u, H v> {a!r} but <v, H u> {b!r} (u, v random unit vectors)"
    for name, nested, index in case.nested:
        gradient, second = nested(*point)
        if not _close(float(gradient), analytic[index], 1e-9, 1e-9):
            found["nested-value"] = (
                f"grad of a grad's value for {name!r}: {float(gradient)!r}, srcgrad's gradient "
                f"{float(analytic[index])!r}"
            )
        basis = np.zeros(case.size)
        basis[index] = 1.0
        bad, differenced, check = compare(np.array([float(second)]), basis, np.array([index]))
        if bad.size:
            also = "" if check is None else f" ({float(check[0])!r} with step {HVP_STEP_CHECK:g})"
            found["nested"] = (
                f"d2/d{name}2: srcgrad's grad of a grad {float(second)!r}, differenced gradients "
                f"{float(differenced[0])!r}{also}"
            )
