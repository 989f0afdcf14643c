"""The systems compared with srcgrad, each optional: one that is not installed is skipped with a
note, and never becomes a dependency of srcgrad.

Every peer runs the workload's own program (see `workloads.rebind`), on inputs converted to its
own array type before timing, so a timed call is one "loss and gradients" and nothing else. JAX
dispatches asynchronously, so its calls wait for their results (`block_until_ready`): otherwise
they would time the dispatch, not the work.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata

import numpy as np

from .workloads import Workload, rebind


@dataclass
class System:
    """One way to compute a workload's loss and gradients, ready to time."""

    name: str  # the column of the report
    call: Callable[[], object]  # loss and gradients on prepared inputs
    problems: list[str] = field(default_factory=list)  # failed checks: its timing is invalid
    first_call: float | None = None  # seconds, for systems that compile at the first call


def version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def available() -> tuple[dict[str, str], list[str]]:
    """Peer versions by name, and notes on the ones skipped."""
    found, notes = {}, []
    for name, distribution, module in (("autograd", "autograd", "autograd"), ("JAX", "jax", "jax")):
        try:
            __import__(module)
        except ImportError:
            notes.append(f"{name}: not installed, skipped (`pip install {distribution}`)")
            continue
        found[name] = version(distribution) or "?"
    if "JAX" in found:
        found["jaxlib"] = version("jaxlib") or "?"
    notes.append(
        "PyTorch: not benchmarked (optional in WORKLOADS.md; it cannot run the NumPy programs as written)"
    )
    return found, notes


def autograd_systems(workload: Workload, args: tuple) -> list[System]:
    import autograd
    import autograd.numpy as anp

    value_and_grad = autograd.value_and_grad(rebind(workload.program, anp), argnum=workload.argnums)
    return [System("autograd", lambda: value_and_grad(*args))]


_jax_configured = False


def jax_systems(workload: Workload, args: tuple) -> list[System]:
    """JAX without `jit` (operation by operation) and with it; the first jitted call, which
    traces and compiles, is timed on its own and reported apart."""
    global _jax_configured
    import jax
    import jax.numpy as jnp

    if not _jax_configured:  # float64 workloads must stay float64 to be compared at rtol 1e-6
        jax.config.update("jax_enable_x64", True)
        _jax_configured = True
    program = rebind(workload.program, jnp)
    value_and_grad = jax.value_and_grad(program, argnums=workload.argnums)
    jitted = jax.jit(value_and_grad)
    inputs = tuple(jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in args)
    jax.block_until_ready(inputs)
    start = time.perf_counter()
    jax.block_until_ready(jitted(*inputs))
    first = time.perf_counter() - start
    return [
        System("JAX", lambda: jax.block_until_ready(value_and_grad(*inputs))),
        System("JAX jit", lambda: jax.block_until_ready(jitted(*inputs)), first_call=first),
    ]


BUILDERS = {"autograd": autograd_systems, "JAX": jax_systems}
