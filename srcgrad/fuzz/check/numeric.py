"""The numerical comparison: srcgrad's value and gradients against finite differences of the
original and against autograd at a point, and suspicions confirmed or dismissed at nearby points."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from ..program import Program
from .case import _Case, _close
from .higher import _forward_numeric, _second_numeric
from .outcome import Outcome

FD_STEP, FD_STEP_CHECK = 1e-6, 1e-5
PERTURBATION = 1e-3
NEARBY_POINTS, NEEDED = 3, 2
VALUE_LIMIT = 1e6  # a program whose value is bigger (or not finite) is rejected, not checked
GRADIENT_LIMIT = 1e7


def _perturb(point, rng):
    """Every float input moved by about PERTURBATION (differentiated or not)."""

    def move(value):
        if isinstance(value, dict):
            return {k: move(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(move(v) for v in value)
        if isinstance(value, float):
            return value + PERTURBATION * float(rng.standard_normal())
        return value + PERTURBATION * rng.standard_normal(value.shape)

    return [move(v) for v in point]


def _compare(outcome: Outcome, case: _Case, base) -> None:
    """The numerical checks: suspicions at `base`, confirmed or dismissed at nearby points."""
    autograd_gradient = case.autograd_gradient
    suspicions = _numeric(case, base, confirm=False, notes=outcome.notes)
    if suspicions is None:
        outcome.status = "rejected"
        outcome.notes.append("finite differences are out of the sane range")
        return
    outcome.autograd_checked = autograd_gradient is not None and "autograd-error" not in suspicions
    suspicions.pop("autograd-error", None)
    if not suspicions:
        return
    rng = np.random.default_rng([outcome.seed, 1])
    seen = Counter()
    nearby = []
    for _ in range(NEARBY_POINTS):
        point = _perturb(base, rng)
        found = _numeric(case, point, confirm=True, notes=[])
        if found is None:
            continue
        seen.update(k for k in found if k in suspicions)
        nearby.append(found)
    for kind, message in suspicions.items():
        if seen[kind] >= NEEDED:
            again = [f[kind] for f in nearby if kind in f]
            outcome.fail(
                kind, f"{message}\n  and at {seen[kind]} of {NEARBY_POINTS} nearby points, e.g. {again[0]}"
            )
        else:
            outcome.notes.append(
                f"dismissed ({seen[kind]} of {NEARBY_POINTS} nearby points agree, a kink or jump): {message}"
            )


def _autograd_gradient(program: Program, outcome: Outcome):
    """The same source with `np` as autograd.numpy, differentiated by autograd (or None)."""
    import autograd

    namespace = {"__name__": "srcgrad_fuzz_autograd"}
    try:
        exec(compile(program.source("autograd.numpy"), "<srcgrad fuzz: autograd>", "exec"), namespace)
    except Exception as exc:
        outcome.notes.append(f"autograd could not load this program: {type(exc).__name__}: {exc}")
        return None
    positions = tuple(i for i, p in enumerate(program.params) if p.wrt)
    return autograd.grad(namespace[program.name], argnum=positions)


def _numeric(case: _Case, point, confirm: bool, notes: list[str]):
    """Numerical disagreements at `point`, kind -> message; None if the point is not sane.

    Without `confirm` every disagreement with finite differences of step FD_STEP counts (a
    suspicion, cheap to look for). With `confirm`, a gradient element counts only where steps
    FD_STEP and FD_STEP_CHECK agree with each other and not with srcgrad.
    """
    found = {}
    expected = float(case.function(*point))
    if not (math.isfinite(expected) and abs(expected) <= VALUE_LIMIT):
        return None
    value, gradients = case.gradient(*point)
    try:
        value = float(value)
    except (TypeError, ValueError):  # e.g. None: say so rather than fail comparing it
        found["value"] = f"srcgrad's value is {value!r}, the original function's {expected!r}"
    else:
        if not _close(value, expected, 1e-9, 1e-9):
            found["value"] = f"srcgrad's value {value!r}, the original function's {expected!r}"
    labels = case.labels()
    analytic = case.flatten(gradients)
    numeric = case.central(point, FD_STEP)
    if not np.all(np.isfinite(numeric)) or np.max(np.abs(numeric), initial=0.0) > GRADIENT_LIMIT:
        return None
    atol, rtol = 1e-5 * (1 + abs(expected)), 1e-4
    bad = np.flatnonzero(~_close(analytic, numeric, atol, rtol))
    if bad.size:
        check = case.central(point, FD_STEP_CHECK, bad) if confirm else None
        if confirm:
            clean = _close(numeric[bad], check, atol, rtol)
            keep = clean & ~_close(analytic[bad], check, atol, rtol)
            check, bad = check[keep], bad[keep]
        if bad.size:
            worst = int(np.argmax(np.abs(analytic[bad] - numeric[bad])))
            i = bad[worst]
            also = "" if check is None else f" ({check[worst]!r} with step {FD_STEP_CHECK:g})"
            found["gradient"] = (
                f"d/d{labels[i]}: srcgrad {analytic[i]!r}, finite differences {numeric[i]!r}{also}"
                f"; {bad.size} of {len(labels)} elements differ"
            )
    if case.forward is not None:
        try:
            _forward_numeric(case, point, expected, analytic, found)
        except Exception as exc:
            found["jvp-error"] = f"srcgrad's jvp raised {type(exc).__name__}: {exc}"
    if case.second is not None or case.nested:
        try:
            _second_numeric(case, point, analytic, confirm, found)
        except Exception as exc:
            found["hvp-error"] = f"srcgrad's hvp or grad of a grad raised {type(exc).__name__}: {exc}"
    if case.autograd_gradient is not None:
        try:
            other = case.flatten(case.autograd_gradient(*point))
        except Exception as exc:
            notes.append(f"autograd could not differentiate this program: {type(exc).__name__}: {exc}")
            found["autograd-error"] = ""
            return found
        bad = np.flatnonzero(~_close(analytic, other, 1e-8 * (1 + abs(expected)), 1e-7))
        if bad.size:
            check = case.central(point, FD_STEP_CHECK, bad)
            sides_with_srcgrad = _close(numeric[bad], check, atol, rtol) & _close(
                analytic[bad], check, atol, rtol
            )
            if np.all(sides_with_srcgrad):
                notes.append(
                    f"autograd disagrees on {bad.size} elements where finite differences agree with srcgrad"
                )
            else:
                i = bad[~sides_with_srcgrad][0]
                found["autograd"] = (
                    f"d/d{labels[i]}: srcgrad {analytic[i]!r}, autograd {other[i]!r}, "
                    f"finite differences {numeric[i]!r}"
                )
    return found
