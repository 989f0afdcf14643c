"""The benchmark run: checks, interleaved timings, first calls, memory, RNN scaling; then the report.

`run.py` has set the threading environment before this module (and so NumPy) is imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import srcgrad

from . import checks, machine, memory, peers, report, timing
from .workloads import BY_NAME, WORKLOADS, Workload, rnn_hand, rnn_inputs, rnn_loss

ROOT = Path(__file__).resolve().parent.parent
SCALING_STEPS = (25, 50, 100, 200)
SEED = 0


@dataclass
class Options:
    quick: bool
    only: tuple[str, ...]
    rounds: int
    threads: str  # "1" or "default"
    write: bool
    output: Path
    argv: str  # as given, for the report

    @property
    def clock(self) -> str:
        """CPU time with one pinned thread, wall time otherwise (see timing.py)."""
        return "cpu" if self.threads == "1" else "wall"

    @property
    def batch_seconds(self) -> float:
        """How long one timed batch of calls should take: a few milliseconds (see timing.py)."""
        return 0.001 if self.quick else 0.005


def shout(lines: list[str]) -> None:
    """A failed check: loud on stderr, so that it is not lost among the numbers."""
    for line in lines:
        print(f"!!! {line}", file=sys.stderr, flush=True)


def is_float32(args: tuple) -> bool:
    return any(isinstance(a, np.ndarray) and a.dtype == np.float32 for a in args)


def build_systems(workload: Workload, args: tuple, peer_names: list[str]) -> list[peers.System]:
    """The hand-written code, srcgrad as a user calls it, srcgrad's generated function alone
    (no argument checks, no conversion of the results: the wrapper's cost is the difference),
    and the installed peers."""
    gradient = srcgrad.grad(workload.program, wrt=workload.wrt)
    gradient(*args)  # generate and compile now, not in the first timed batch
    gradient(*args)  # the second call with the same shapes writes the fast entry (srcgrad/entry.py)
    systems = [
        peers.System("hand", lambda: workload.hand(*args)),
        peers.System("srcgrad", lambda: gradient(*args)),
    ]
    # private attributes: skip the column if they go
    variant = getattr(getattr(gradient, "_fast", None), "variant", None)
    compiled = getattr(variant, "compiled", None)
    if compiled is not None:
        systems.append(peers.System("srcgrad code", lambda: compiled(*args)))
    for name in peer_names:
        try:
            systems.extend(peers.BUILDERS[name](workload, args))
        except Exception as exc:  # a peer that cannot run the program is a finding, not a crash
            shout([f"{workload.name}: {name} failed to run: {type(exc).__name__}: {exc}"])
    return systems


def check_systems(workload: Workload, args: tuple, systems: list[peers.System]) -> None:
    """Compare every system with the hand-written code; failures are kept on each system (and
    shouted), and srcgrad's gradients must also have their parameters' dtypes."""
    reference = workload.hand(*args)
    float32 = is_float32(args)
    for system in systems[1:]:
        dtypes = checks.dtypes_of(workload, args) if system.name == "srcgrad" else None
        try:
            system.problems = checks.compare(
                workload, reference, system.call(), float32=float32, dtypes=dtypes
            )
        except Exception as exc:
            system.problems = [f"raised {type(exc).__name__}: {exc}"]
        if system.problems:
            shout([f"{workload.name}: {system.name} is WRONG, its timing is invalid:"] + system.problems)


def run_workload(workload: Workload, options: Options, peer_names: list[str]) -> dict:
    args = workload.make_inputs(np.random.default_rng(SEED))
    directions = 1 if options.quick else 2
    hand_problems = checks.finite_differences(workload, args, np.random.default_rng(SEED + 1), directions)
    if hand_problems:
        shout(
            [f"{workload.name}: the hand-written gradient is WRONG, no ratio means anything:"] + hand_problems
        )
    systems = build_systems(workload, args, peer_names)
    check_systems(workload, args, systems)
    timings = timing.interleaved(
        {s.name: s.call for s in systems}, options.rounds, options.batch_seconds, options.clock
    )
    hand = timings["hand"]
    result = {"hand_problems": hand_problems, "systems": {}}
    for system in systems:
        t = timings[system.name]
        entry = {
            "median_s": t.median,
            "batch": t.batch,
            "rounds": len(t.per_call),
            "problems": system.problems,
        }
        if system.name != "hand":
            r = timing.ratio(t, hand)
            entry["ratio"] = [r.median, r.low, r.high]
        if system.first_call is not None:
            entry["first_call_s"] = system.first_call
        result["systems"][system.name] = entry
    summary = "  ".join(
        f"{name} {format(timing.ratio(timings[name], hand))}" for name in timings if name != "hand"
    )
    print(f"  hand {report.seconds(hand.median)} per call;  {summary}", flush=True)
    if workload.measure_memory and options.threads == "1":
        result["memory"] = measure_memory(workload, args, systems)
    return result


def measure_memory(workload: Workload, args: tuple, systems: list[peers.System]) -> dict:
    """Peak bytes of one call for the systems that allocate through NumPy (JAX does not)."""
    peaks = {}
    for system in systems:
        if system.name in ("hand", "srcgrad", "autograd"):
            peaks[system.name] = memory.peak_bytes(system.call)
    text = ", ".join(f"{name} {report.mebibytes(b)}" for name, b in peaks.items())
    print(f"  peak memory of one call: {text}", flush=True)
    return peaks


def first_calls(names: list[str], clock: str) -> dict:
    """srcgrad's first call of each workload, each in a fresh interpreter (see firstcall.py).

    Twice: with srcgrad's bytecode cached, as after any install (the headline number), and with
    no bytecode at all, as on the first import after installing or upgrading. Both use a
    private bytecode directory, so that neither the source tree nor the environment's
    PYTHONDONTWRITEBYTECODE decides which case is measured.
    """
    results = {}
    with tempfile.TemporaryDirectory(prefix="srcgrad-bench-") as scratch:
        cached = os.environ.copy()
        cached.pop("PYTHONDONTWRITEBYTECODE", None)
        cached["PYTHONPYCACHEPREFIX"] = os.path.join(scratch, "cached")
        uncached = {
            **cached,
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONPYCACHEPREFIX": os.path.join(scratch, "none"),
        }
        if names:
            _first_call(names[0], cached, clock)  # writes the bytecode of everything a first call imports
        for name in names:
            result = _first_call(name, cached, clock)
            cold = _first_call(name, uncached, clock)
            if result is None or cold is None:
                continue
            result["first_call_no_pyc"] = cold["import_srcgrad"] + cold["first_call"]
            results[name] = result
            print(
                f"  {name}: import srcgrad {report.seconds(result['import_srcgrad'])}, "
                f"first call {report.seconds(result['first_call'])} "
                f"(a later call {report.seconds(result['steady_call'])}), "
                f"another function {report.seconds(result['second_generate'])}; without bytecode "
                f"import + first call {report.seconds(result['first_call_no_pyc'])}",
                flush=True,
            )
    return results


def _first_call(name: str, env: dict, clock: str) -> dict | None:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.firstcall", name, clock],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    if completed.returncode != 0:
        shout([f"first-call measurement of {name} failed:", completed.stderr.strip()])
        return None
    return json.loads(completed.stdout.strip().splitlines()[-1])


def rnn_scaling(options: Options) -> list[dict]:
    """Time and peak memory of the RNN at several lengths: both should grow linearly in T."""
    gradient = srcgrad.grad(rnn_loss, wrt=BY_NAME["rnn"].wrt)
    rows = []
    for steps in SCALING_STEPS:
        args = rnn_inputs(np.random.default_rng(SEED), steps=steps)
        gradient(*args)
        systems = {"hand": lambda args=args: rnn_hand(*args), "srcgrad": lambda args=args: gradient(*args)}
        timings = timing.interleaved(
            systems, max(3, options.rounds // 3), options.batch_seconds, options.clock
        )
        r = timing.ratio(timings["srcgrad"], timings["hand"])
        row = {
            "steps": steps,
            "hand_s": timings["hand"].median,
            "srcgrad_s": timings["srcgrad"].median,
            "ratio": [r.median, r.low, r.high],
            "hand_peak": memory.peak_bytes(systems["hand"]),
            "srcgrad_peak": memory.peak_bytes(systems["srcgrad"]),
        }
        rows.append(row)
        print(
            f"  T={steps:4d}: hand {report.seconds(row['hand_s'])}, "
            f"srcgrad {report.seconds(row['srcgrad_s'])} "
            f"({r:}); peak hand {report.mebibytes(row['hand_peak'])}, "
            f"srcgrad {report.mebibytes(row['srcgrad_peak'])}",
            flush=True,
        )
    return rows


def main(options: Options) -> int:
    found, notes = peers.available()
    peer_names = [name for name in peers.BUILDERS if name in found]
    info = machine.describe(options.threads, found)
    info["options"] = options.argv
    info["clock"] = options.clock
    print(f"srcgrad benchmarks: {info['cpu']}, {info['python']}, NumPy {info['numpy']} ({info['blas']})")
    pinned = ", ".join(map(str, info["pinned_to"] or []))
    threads = f"1 (pinned to core {pinned})" if options.threads == "1" else "default"
    print(f"threads: {threads}; rounds {options.rounds}; peers: {', '.join(peer_names) or 'none'}")
    for note in notes:
        print(f"  note: {note}")
    busy = info["load_start"] and info["load_start"][0] > 0.5 * (info["cores"] or 1)
    if busy:
        print(
            f"  warning: load average {info['load_start'][0]} on {info['cores']} cores: other processes are "
            "running. One-thread ratios, timed by CPU time, stay usable; default-threading times will not "
            "(BLAS threads on oversubscribed cores)."
        )

    selected = [w for w in WORKLOADS if not options.only or w.name in options.only]
    run = report.Run(info)
    failed = False
    for workload in selected:
        print(f"\n{workload.name} ({workload.shapes})", flush=True)
        result = run_workload(workload, options, peer_names)
        failed |= bool(result["hand_problems"] or result["systems"]["srcgrad"]["problems"])
        run.add_ratios(workload.name, result)
    if options.threads == "1":
        names = [w.name for w in selected]
        if options.quick:  # three interpreters instead of thirteen: the one with a target
            names = names[:1] if "xor" not in names else ["xor"]
        print("\nfirst calls (a fresh interpreter each)", flush=True)
        run.first_calls = first_calls(names, options.clock)
        if "rnn" in [w.name for w in selected]:
            print("\nRNN scaling with sequence length", flush=True)
            run.rnn_scaling = rnn_scaling(options)
    else:
        print("\n(first calls, memory and RNN scaling are measured in the single-thread run only)")

    info["load_end"] = machine.load()
    print("\n" + report.console_summary(run))
    if options.write:
        options.output.write_text(report.render(report.merge(options.output, run)))
        shown = options.output.relative_to(ROOT) if options.output.is_relative_to(ROOT) else options.output
        print(f"wrote {shown}")
    if failed:
        shout(["a gradient check failed (see above): exit status 1"])
    return 1 if failed else 0
