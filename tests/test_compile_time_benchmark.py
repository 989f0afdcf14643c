"""benchmarks/compile_time.py runs and reports what it says (a smoke test on short chains; the
timings themselves are the benchmark's, never asserted here)."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_compile_time_benchmark_reports_each_size_and_the_ratio():
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "compile_time.py"), "--sizes", "4,12"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    lines = run.stdout.splitlines()
    assert lines[0].split() == ["N", "first", "call", "second", "call", "ms/statement"]
    assert [line.split()[0] for line in lines[1:3]] == ["4", "12"]
    assert lines[3].startswith("ms/statement at N=12 / at N=4: ")
