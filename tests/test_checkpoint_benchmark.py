"""benchmarks/checkpoint.py runs and reports what it says (a smoke test on short loops; its
figures are the benchmark's, never asserted here, except that the gradients agree)."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_checkpoint_benchmark_reports_each_form_and_the_ratios():
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "checkpoint.py"), "--steps", "30,60", "--repeats", "1"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    lines = run.stdout.splitlines()
    rows = [line.split() for line in lines[2:8]]
    assert [(r[0], r[1]) for r in rows] == [(t, f) for t in ("30", "60") for f in ("plain", "sqrt", "ten")]
    assert all(float(r[4]) == 0.0 for r in rows), lines  # the same gradient as the plain loop
    assert lines[8].startswith("T = 60, sqrt / plain: memory ") and lines[9].startswith("T = 60, ten / plain")
