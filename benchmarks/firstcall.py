"""Time srcgrad's first call of one workload in this (fresh) process; print the times as JSON.

Run by the suite as `python -m benchmarks.firstcall NAME CLOCK` (CLOCK: cpu or wall) in a new
interpreter for each workload, because srcgrad caches compiled gradients in-process and imports
its pipeline at the first call: only a fresh process shows what a user's first call costs. The
second function is generated in the same process after `srcgrad.clear_cache()`, so it pays
generation and compilation again but no imports: the cost of each further function a program
differentiates.
"""

from __future__ import annotations

import json
import statistics
import sys
import time


def measure(name: str, clock=time.perf_counter) -> dict:
    start = clock()
    import numpy as np

    numpy_loaded = clock()
    import srcgrad

    srcgrad_loaded = clock()
    from .workloads import BY_NAME

    workload = BY_NAME[name]
    args = workload.make_inputs(np.random.default_rng(0))
    gradient = srcgrad.grad(workload.program, wrt=workload.wrt)

    begin = clock()
    gradient(*args)  # generates, compiles and runs
    first_call = clock() - begin

    runs = []
    for _ in range(7):
        begin = clock()
        gradient(*args)
        runs.append(clock() - begin)

    srcgrad.clear_cache()
    second = srcgrad.grad(workload.program, wrt=workload.wrt)
    begin = clock()
    _ = second.source  # generates and compiles, runs nothing
    generate = clock() - begin
    return {
        "import_numpy": numpy_loaded - start,
        "import_srcgrad": srcgrad_loaded - numpy_loaded,
        "first_call": first_call,
        "steady_call": statistics.median(runs),
        "second_generate": generate,
    }


if __name__ == "__main__":
    clocks = {"cpu": time.process_time, "wall": time.perf_counter}
    print(json.dumps(measure(sys.argv[1], clocks[sys.argv[2] if len(sys.argv) > 2 else "wall"])))
