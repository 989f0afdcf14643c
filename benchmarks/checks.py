"""Correctness before speed: the hand-written gradients against finite differences, and every
timed system against the hand-written gradients.

A timing of wrong gradients is worthless, and a fast wrong answer is the easiest way to win a
benchmark; so nothing is timed before these checks have run, and a system that fails them has its
numbers marked invalid in the report.
"""

from __future__ import annotations

import numpy as np

RTOL = 1e-6  # WORKLOADS.md: gradients agree with the hand-written ones to rtol 1e-6
# An element-wise floor under RTOL, relative to the largest entry of the gradient: an entry that
# is a sum of terms cancelling to almost nothing keeps only the absolute accuracy of its terms, so
# two correct summation orders can disagree there by more than RTOL of the tiny entry itself.
FLOOR = 1e-9
STEP = 1e-5  # central-difference step along a unit direction, relative to the parameter's size
EPS64 = np.finfo(np.float64).eps


def to_float64(value):
    """A floating array as float64 (finite differences in float32 are too coarse to check)."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value.astype(np.float64)
    return value


def _replace(args: tuple, position: int, value) -> tuple:
    return (*args[:position], value, *args[position + 1 :])


def _positions(workload) -> tuple[int, ...]:
    argnums = workload.argnums
    return (argnums,) if isinstance(argnums, int) else argnums


def finite_differences(workload, args: tuple, rng: np.random.Generator, directions: int = 3) -> list[str]:
    """Problems found checking `workload.hand` against float64 central differences.

    Random projections instead of one difference per element: `<grad, v>` against
    `(f(p + h v) - f(p - h v)) / 2h` for a few random unit directions `v` per parameter costs
    two evaluations each, so the full-size inputs (100000×100 for logreg) are checked, not a
    miniature. A wrong element shows up in a random projection with probability one.
    """
    args = tuple(to_float64(a) for a in args)
    value, grads = workload.hand(*args)
    grads = workload.as_tuple(grads)
    problems = []
    for name, position, grad in zip(workload.wrt_names, _positions(workload), grads):
        param = args[position]
        scale = max(1.0, float(np.linalg.norm(param)))
        step = STEP * scale
        for _ in range(directions):
            if isinstance(param, float):
                direction = float(rng.choice([-1.0, 1.0]))
            else:
                direction = rng.normal(size=param.shape)
                direction /= np.linalg.norm(direction)
            plus = workload.hand(*_replace(args, position, param + step * direction))[0]
            minus = workload.hand(*_replace(args, position, param - step * direction))[0]
            estimate = (plus - minus) / (2 * step)
            exact = float(np.vdot(grad, direction))
            # truncation O(step²) is far below this; rounding is about eps·|f| / step
            tolerance = RTOL * float(np.linalg.norm(grad)) + 8 * EPS64 * abs(float(value)) / step
            if not abs(estimate - exact) <= tolerance:
                problems.append(
                    f"hand-written d/d{name} disagrees with finite differences: <grad, v> = {exact:.10g}, "
                    f"difference quotient {estimate:.10g} (tolerance {tolerance:.2g})"
                )
    return problems


def compare(workload, reference, result, *, float32: bool, dtypes: tuple | None = None) -> list[str]:
    """Problems found comparing `result = (value, gradients)` with the hand-written `reference`.

    Float64 workloads compare element-wise with RTOL (and FLOOR); float32 ones normwise, as
    `‖g - ref‖ <= RTOL·‖ref‖`: element-wise agreement of float32 sums computed in different orders
    is a property of rounding, not of correctness. `dtypes`, when given, are the dtypes each
    gradient must have (srcgrad promises the parameter's own).
    """
    problems = []
    ref_value, ref_grads = reference
    value, grads = result
    if not np.isclose(float(value), float(ref_value), rtol=RTOL, atol=0):
        problems.append(f"value {float(value)!r} differs from the hand-written {float(ref_value)!r}")
    grads, ref_grads = workload.as_tuple(grads), workload.as_tuple(ref_grads)
    for i, (name, g, ref) in enumerate(zip(workload.wrt_names, grads, ref_grads)):
        if dtypes is not None:
            wanted = dtypes[i]
            got = type(g) if wanted is float else getattr(g, "dtype", type(g))
            if got != wanted:
                problems.append(f"d{name} is a {got}, not a {wanted} like its parameter")
        g = np.asarray(g, dtype=np.float64)
        ref = np.asarray(ref, dtype=np.float64)
        if g.shape != ref.shape:
            problems.append(f"d{name} has shape {g.shape}, the hand-written one {ref.shape}")
            continue
        if float32:
            error = float(np.linalg.norm(g - ref))
            bound = RTOL * float(np.linalg.norm(ref))
            if not error <= bound:
                problems.append(f"d{name}: normwise difference {error:.3g} > {bound:.3g} (rtol {RTOL:g})")
        else:
            floor = FLOOR * float(np.max(np.abs(ref))) if ref.size else 0.0
            bad = ~(np.abs(g - ref) <= RTOL * np.abs(ref) + floor)
            if bad.any():
                worst = int(np.argmax(np.where(bad, np.abs(g - ref), -1.0)))
                problems.append(
                    f"d{name}: {int(bad.sum())} of {g.size} elements differ beyond rtol {RTOL:g}, "
                    f"e.g. {g.flat[worst]!r} against {ref.flat[worst]!r}"
                )
    return problems


def dtypes_of(workload, args: tuple) -> tuple:
    """The dtype (or `float`) each gradient must have: its parameter's."""
    out = []
    for position in _positions(workload):
        param = args[position]
        out.append(float if isinstance(param, float) else param.dtype)
    return tuple(out)
