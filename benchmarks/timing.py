"""Interleaved timing: every system of a workload is timed in every round, so that whatever the
machine does meanwhile (another process, a frequency change, a cache flushed by a neighbour) hits
all of them alike, and the ratio to the hand-written code within a round cancels most of it.

Each round times a *batch* of calls per system, sized so the batch takes a few milliseconds: long
enough that the clock's resolution and the loop's own cost vanish, short enough that a round of
all systems stays well inside one quiet stretch of the machine. The garbage collector is off
during a batch (as in `timeit`) and runs between rounds, so no system pays for another's garbage.

Which clock: with one thread pinned to one core, the process's CPU time (user and system, all
its threads) is the time its work took, and unlike the wall clock it does not count the time
other processes held the core. On a shared machine (this project's developers and CI share two
cores) that is the difference between a spread of ±5% and one of ±50%; on a quiet machine the
two agree. With the libraries' own threading, CPU time would add up the threads, so the wall
clock is used there.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}


@dataclass
class Timing:
    """Per-call seconds of each round for one system."""

    name: str
    batch: int  # calls per batch
    per_call: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.per_call)


@dataclass
class Ratio:
    """A system's time over the reference's, round by round: median and interquartile range."""

    median: float
    low: float  # 25th percentile
    high: float  # 75th percentile

    def __format__(self, spec: str) -> str:
        return f"{self.median:.2f}× ({self.low:.2f}–{self.high:.2f})"


def time_batch(
    call: Callable[[], object], calls: int, clock: Callable[[], float] = time.perf_counter
) -> float:
    """Seconds for `calls` calls of `call` by `clock`, with the collector off."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = clock()
        for _ in range(calls):
            call()
        return clock() - start
    finally:
        if enabled:
            gc.enable()


def batch_size(call: Callable[[], object], target: float, clock: Callable[[], float]) -> int:
    """How many calls of `call` take about `target` seconds (at least one)."""
    call()  # warm: first-touch page faults, lazily built caches
    calls = 1
    while True:
        elapsed = time_batch(call, calls, clock)
        if elapsed >= target / 4 or calls >= 1 << 22:
            return max(1, round(calls * target / max(elapsed, 1e-9)))
        calls *= 4


def interleaved(
    systems: dict[str, Callable[[], object]], rounds: int, target: float, clock: str = "wall", warmup: int = 2
) -> dict[str, Timing]:
    """Time every system in every round by `clock` ("cpu" or "wall"); the order within a round
    rotates, so that no system always runs first (cold caches) or right after the slowest one."""
    tick = CLOCKS[clock]
    timings = {name: Timing(name, batch_size(call, target, tick)) for name, call in systems.items()}
    names = list(systems)
    for _ in range(warmup):
        for name in names:
            time_batch(systems[name], timings[name].batch, tick)
    for r in range(rounds):
        gc.collect()
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            timing = timings[name]
            timing.per_call.append(time_batch(systems[name], timing.batch, tick) / timing.batch)
    return timings


def ratio(timing: Timing, reference: Timing) -> Ratio:
    """`timing` over `reference` per round (both were timed in each round), summarised."""
    ratios = sorted(t / r for t, r in zip(timing.per_call, reference.per_call))
    if len(ratios) < 2:
        return Ratio(ratios[0], ratios[0], ratios[0])
    low, _, high = statistics.quantiles(ratios, n=4, method="inclusive")
    return Ratio(statistics.median(ratios), low, high)
