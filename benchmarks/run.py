"""Benchmark srcgrad against hand-written NumPy and its peers: `python benchmarks/run.py --help`.

This file sets up the process and nothing else: thread counts are read by OpenBLAS, MKL, OpenMP
and XLA when they load, so they must be in the environment before NumPy (or JAX) is imported;
only then does it import the suite. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/run.py",
        description="Time srcgrad's gradients against hand-written NumPy, autograd and JAX; "
        "write docs/benchmarks.md.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a few short rounds: a smoke test, not numbers to quote"
    )
    parser.add_argument(
        "--only", default="", help="comma-separated workloads, e.g. xor,mlp (default: all six)"
    )
    parser.add_argument(
        "--rounds", type=int, default=None, help="timing rounds per workload (default 31, quick 3)"
    )
    parser.add_argument(
        "--threads",
        choices=("1", "default"),
        default="1",
        help="1 (default): one thread, pinned to one core, for the headline table; "
        "default: the libraries' own threading, for the second table",
    )
    parser.add_argument(
        "--no-write", dest="write", action="store_false", help="print only; leave docs/benchmarks.md alone"
    )
    parser.add_argument(
        "--output", type=Path, default=ROOT / "docs" / "benchmarks.md", help=argparse.SUPPRESS
    )
    return parser.parse_args(argv)


def limit_to_one_thread() -> None:
    """Environment for one thread everywhere, and the process pinned to one core.

    The variables stop the libraries from starting thread pools; the pinning makes sure that
    whatever starts threads anyway (XLA's own pools) shares one core, and keeps the process from
    migrating between cores in the middle of a measurement.
    """
    os.environ.update(ONE_THREAD)
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_cpu_multi_thread_eigen" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} {XLA_ONE_THREAD}".strip()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})


def main(argv: list[str]) -> int:
    args = parse(argv)
    if args.threads == "1":
        limit_to_one_thread()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")  # no probing for accelerators
    sys.path.insert(0, str(ROOT))  # the suite is the package `benchmarks` next to srcgrad

    from benchmarks import suite  # only now: NumPy loads with the environment above
    from benchmarks.workloads import BY_NAME

    only = tuple(name.strip() for name in args.only.split(",") if name.strip())
    unknown = [name for name in only if name not in BY_NAME]
    if unknown:
        print(
            f"unknown workload {', '.join(unknown)}; the workloads are {', '.join(BY_NAME)}", file=sys.stderr
        )
        return 2
    rounds = args.rounds if args.rounds is not None else (3 if args.quick else 31)
    if rounds < 1:
        print("--rounds must be at least 1", file=sys.stderr)
        return 2
    options = suite.Options(
        quick=args.quick,
        only=only,
        rounds=rounds,
        threads=args.threads,
        write=args.write,
        output=args.output.resolve(),
        argv=" ".join(argv),
    )
    return suite.main(options)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
