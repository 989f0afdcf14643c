"""Memory and time of a checkpointed loop's gradient against the plain loop's (issue 20).

    python benchmarks/checkpoint.py                  # T = 1,000 to 100,000; plain up to 10,000
    python benchmarks/checkpoint.py --quick          # T = 200 and 1,000: the smoke test
    python benchmarks/checkpoint.py --steps 3000 --plain-up-to 3000

The program is an RNN over T steps (batch 32, hidden 128, inputs of 16), its loss the sum of
squares of the last state, in three forms written to a module file (srcgrad reads source):
`plain` (`for t in range(T)`), `sqrt` (`for t in srcgrad.checkpointed(range(T))`: about sqrt(T)
segments) and `ten` (`srcgrad.checkpointed(range(T), snapshots=10)`: ten segments, so one
segment of T / 10 steps is kept at a time). For each T and form it measures the peak memory of
one gradient call (bytes alive at once, by tracemalloc: see benchmarks/memory.py), its time (the
median of a few calls, after a warm-up) and the largest difference of its gradient from the plain
loop's (or, past --plain-up-to, from the sqrt form's). The ratio lines at the end compare, at
T = 3,000, each checkpointed form with the plain loop: the issue's targets are at most 10% of
the memory and 3x the time, with the same gradient.

BLAS runs on one thread here (unless OPENBLAS_NUM_THREADS or OMP_NUM_THREADS says otherwise):
the products are small (32 x 128), and with OpenBLAS's threads on a 2-core machine that had
other work, one call of the same code took 4 s or 55 s from run to run.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
if not any(variable in os.environ for variable in THREADS):  # before NumPy loads its BLAS
    os.environ.update(dict.fromkeys(THREADS, "1"))

import numpy as np  # noqa: E402

if __package__ in (None, ""):  # run as a script: benchmarks/ is not a package on sys.path then
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.memory import peak_bytes  # noqa: E402

PROGRAM = """
import numpy as np
import srcgrad


def plain(Wx, Wh, b, xs):
    h = np.zeros((xs.shape[1], Wh.shape[0]))
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
    return np.sum(h**2)


def sqrt(Wx, Wh, b, xs):
    h = np.zeros((xs.shape[1], Wh.shape[0]))
    for t in srcgrad.checkpointed(range(xs.shape[0])):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
    return np.sum(h**2)


def ten(Wx, Wh, b, xs):
    h = np.zeros((xs.shape[1], Wh.shape[0]))
    for t in srcgrad.checkpointed(range(xs.shape[0]), snapshots=10):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
    return np.sum(h**2)
"""

FORMS = ("plain", "sqrt", "ten")
BATCH, HIDDEN, INPUTS = 32, 128, 16


def programs(folder: Path) -> dict:
    path = folder / "checkpoint_programs.py"
    path.write_text(PROGRAM)
    spec = importlib.util.spec_from_file_location("checkpoint_programs", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {form: getattr(module, form) for form in FORMS}


def inputs(steps: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    Wx = rng.normal(0, 1 / np.sqrt(INPUTS), size=(INPUTS, HIDDEN))
    Wh = rng.normal(0, 0.9 / np.sqrt(HIDDEN), size=(HIDDEN, HIDDEN))
    b = rng.normal(0, 0.1, size=HIDDEN)
    xs = rng.normal(0, 1, size=(steps, BATCH, INPUTS))
    return Wx, Wh, b, xs


def measure(gradient, args, repeats: int):
    """(peak bytes, median seconds, gradients) of `gradient(*args)`."""
    peak = peak_bytes(lambda: gradient(*args))
    times = []
    for _ in range(repeats):
        begin = time.perf_counter()
        _, grads = gradient(*args)
        times.append(time.perf_counter() - begin)
    return peak, statistics.median(times), grads


def main(argv=None) -> int:
    import srcgrad

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="T = 200 and 1,000, one timed call each")
    parser.add_argument("--steps", help="comma-separated loop lengths")
    parser.add_argument("--plain-up-to", type=int, default=10_000, help="longest T the plain loop runs")
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args(argv)
    if options.steps:
        lengths = [int(s) for s in options.steps.split(",")]
    else:
        lengths = [200, 1000] if options.quick else [1_000, 3_000, 10_000, 30_000, 100_000]
    repeats = 1 if options.quick else options.repeats

    with tempfile.TemporaryDirectory() as folder:
        functions = programs(Path(folder))
        gradients = {f: srcgrad.grad(fn, wrt=("Wx", "Wh", "b")) for f, fn in functions.items()}
        print(f"RNN, batch {BATCH}, hidden {HIDDEN}: peak memory and time of one gradient call")
        print(f"{'T':>8} {'form':>6} {'peak MiB':>10} {'seconds':>9} {'max |grad - plain|':>20}")
        rows = {}
        for steps in lengths:
            args = inputs(steps)
            reference = None
            for form in FORMS:
                if form == "plain" and steps > options.plain_up_to:
                    continue
                peak, seconds, grads = measure(gradients[form], args, repeats)
                if reference is None:
                    reference = grads
                difference = max(float(np.max(np.abs(g - r))) for g, r in zip(grads, reference))
                rows[steps, form] = (peak, seconds, difference)
                print(f"{steps:>8} {form:>6} {peak / 2**20:>10.1f} {seconds:>9.3f} {difference:>20.2e}")
        at = 3_000 if (3_000, "plain") in rows else max(t for t, f in rows if f == "plain")
        plain_peak, plain_time, _ = rows[at, "plain"]
        for form in ("sqrt", "ten"):
            peak, seconds, difference = rows[at, form]
            print(
                f"T = {at}, {form} / plain: memory {peak / plain_peak:.3f} (target <= 0.10), "
                f"time {seconds / plain_time:.2f}x (target <= 3), gradient difference {difference:.1e}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
