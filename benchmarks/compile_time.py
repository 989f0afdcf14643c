"""How the time of a gradient's first call grows with the length of the differentiated program.

    python benchmarks/compile_time.py            # N = 25, 100, 400, 1600, 2000
    python benchmarks/compile_time.py --quick    # N = 25, 100, 400
    python benchmarks/compile_time.py --sizes 50,500

Each program is a chain of N array statements, taking in turn a tanh of a matrix product, a
sine, a leaky ReLU written with np.maximum and a sigmoid, then `np.sum` of the last. It is
written to a file (srcgrad reads source) and differentiated in this process after a small
warm-up function has loaded srcgrad's pipeline, so the figures are generation and compilation,
not imports. For each N it prints the first call (reads, generates and compiles the code for any
shapes, then runs it), the second call (writes the code specialised to the call's shapes) and
the first call's milliseconds per statement. The last line is the ratio of the largest N's
milliseconds per statement to the smallest's: near 1 when the cost is linear in the program, N
times larger when it is quadratic. The target (issue 20) is about 1.5 ms per statement up to
2,000 statements on an idle core.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

STATEMENTS = (
    "h = np.tanh(h @ W)",
    "h = np.sin(h)",
    "h = np.maximum(h, 0.1 * h)",
    "h = 1 / (1 + np.exp(-h))",
)


def chain(n: int, folder: Path):
    """The function `chain(W, x)` of n statements, from its own module file."""
    body = "".join(f"    {STATEMENTS[i % len(STATEMENTS)]}\n" for i in range(n))
    path = folder / f"chain_{n}.py"
    path.write_text(f"import numpy as np\n\n\ndef chain(W, x):\n    h = x\n{body}    return np.sum(h)\n")
    spec = importlib.util.spec_from_file_location(f"chain_{n}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.chain


def measure(n: int, folder: Path) -> tuple[float, float]:
    """Seconds of the first and of the second call of the gradient of an n-statement chain."""
    import srcgrad

    gradient = srcgrad.grad(chain(n, folder), wrt=("W",))
    W, x = np.eye(3) * 0.5, np.ones((2, 3))
    begin = time.perf_counter()
    value, (dW,) = gradient(W, x)
    first = time.perf_counter() - begin
    begin = time.perf_counter()
    gradient(W, x)
    second = time.perf_counter() - begin
    assert np.isfinite(value) and dW.shape == W.shape
    return first, second


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", help="comma-separated statement counts")
    parser.add_argument("--quick", action="store_true", help="N = 25, 100, 400 only")
    args = parser.parse_args(argv)
    sizes = [25, 100, 400] if args.quick else [25, 100, 400, 1600, 2000]
    if args.sizes:
        sizes = [int(s) for s in args.sizes.split(",")]
    per_statement = []
    with tempfile.TemporaryDirectory() as folder:
        measure(3, Path(folder))  # loads the pipeline: the figures below are the work itself
        print(f"{'N':>6} {'first call':>11} {'second call':>12} {'ms/statement':>13}")
        for n in sizes:
            first, second = measure(n, Path(folder))
            per_statement.append(1000 * first / n)
            print(f"{n:>6} {first:>10.2f}s {second:>11.2f}s {per_statement[-1]:>13.2f}")
    print(f"ms/statement at N={sizes[-1]} / at N={sizes[0]}: {per_statement[-1] / per_statement[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
