"""What forward mode and second derivatives cost: `python benchmarks/higher_order.py --help`.

The forward-mode issue asks for "a Hessian-vector product `hvp` that costs a small constant
times one gradient". This command measures that on the benchmark workloads (workloads.py): per
workload, in interleaved rounds (timing.py), the plain loss `f`, srcgrad's gradient `grad`, its
forward derivative `jvp` along random tangents, and its Hessian-vector product `hvp` along
random vectors; the ratios hvp/grad and jvp/f within each round, as medians with 25th-75th
percentiles; for comparison, the same ratio for JAX (jitted forward-over-reverse against the
jitted gradient) when JAX is installed; and `hessian` against n Hessian-vector products for a
small smooth function of n = 5 and 50 parameters (the objective of examples/higher_order.py).

Before anything is timed, each workload's `hvp` is checked against central differences of
srcgrad's own gradients (float64, rtol 1e-4), its `jvp` against the gradient's inner product
with the tangents, and JAX's products against srcgrad's. A workload that fails is shouted about,
not timed, and the exit status is 1.

It is a command of its own, not part of `benchmarks/run.py` nor of the tests. Like run.py it
limits every library to one thread and pins the process to one core before NumPy or JAX is
imported, and times by the process's CPU time.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the package `benchmarks` next to srcgrad
    sys.path.insert(0, str(ROOT))

from benchmarks.run import limit_to_one_thread  # noqa: E402  (run.py imports no NumPy)

DOC = ROOT / "docs" / "higher-order.md"
MARKER = "<!-- higher-order benchmark -->"
NEXT_HEADING = "## What forward mode does not do yet"  # the section goes before it


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/higher_order.py",
        description="Time srcgrad's jvp, hvp and hessian against its gradient and the plain loss "
        "(and JAX's forward over reverse against its gradient, when installed).",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a few short rounds: a smoke test, not numbers to quote"
    )
    parser.add_argument(
        "--rounds", type=int, default=None, help="timing rounds per workload (default 31, quick 3)"
    )
    parser.add_argument("--only", default="", help="comma-separated workloads, e.g. xor,mlp (default: all)")
    parser.add_argument(
        "--write",
        action="store_true",
        help=f"replace the section between the {MARKER} markers of docs/higher-order.md",
    )
    parser.add_argument("--output", type=Path, default=DOC, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    rounds = args.rounds if args.rounds is not None else (3 if args.quick else 31)
    if rounds < 1:
        print("--rounds must be at least 1", file=sys.stderr)
        return 2
    limit_to_one_thread()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")  # no probing for accelerators
    # only now: NumPy (and JAX) load with the environment above
    return _Bench(args, rounds).run()


class _Bench:
    """The run; its methods import NumPy and srcgrad, which `main` must not do before the thread
    environment is set."""

    def __init__(self, args: argparse.Namespace, rounds: int):
        self.args = args
        self.rounds = rounds
        self.batch_seconds = 0.002 if args.quick else 0.005  # timing.py: a batch of a few ms
        self.failed = False

    def run(self) -> int:
        import numpy as np

        from benchmarks import machine
        from benchmarks.workloads import BY_NAME, WORKLOADS

        only = [n.strip() for n in self.args.only.split(",") if n.strip()]
        unknown = [n for n in only if n not in BY_NAME]
        if unknown:
            print(
                f"unknown workload {', '.join(unknown)}; the workloads are {', '.join(BY_NAME)}",
                file=sys.stderr,
            )
            return 2
        workloads = [BY_NAME[n] for n in only] if only else list(WORKLOADS)
        jax_note = self.setup_jax()
        info = machine.describe("1", {"JAX": self.jax_version} if self.jax_version else {})
        print(
            f"{info['cpu']}, pinned to core {info['pinned_to']}, load {info['load_start']}; "
            f"{self.rounds} rounds; {jax_note}",
            flush=True,
        )
        rows, skipped = [], []
        for workload in workloads:
            print(f"{workload.name}: ", end="", flush=True)
            args = workload.make_inputs(np.random.default_rng(0))
            try:
                row = self.measure(workload, args)
            except _Skip as skip:
                print(f"skipped: {skip}", flush=True)
                skipped.append(f"{workload.name}: {skip}")
                continue
            rows.append(row)
            print(self.summary(row), flush=True)
        print("hessian: ", end="", flush=True)
        hessian_rows = self.hessians()
        info["load_end"] = machine.load()
        text = self.render(rows, skipped, hessian_rows, info, jax_note)
        print()
        print(text)
        if self.args.write:
            if self.args.quick:
                print("\n--quick numbers are not for quoting: not writing them", file=sys.stderr)
            elif self.failed:
                print("\na check failed: not writing the numbers", file=sys.stderr)
            else:
                write_section(self.args.output, text)
                print(f"\nwrote the section of {self.args.output}")
        return 1 if self.failed else 0

    # -----------------------------------------------------------------------------------------
    # JAX, optional

    def setup_jax(self) -> str:
        from benchmarks.peers import version

        self.jax_version = None
        try:
            import jax
        except ImportError:
            return "JAX not installed: its column is skipped (pip install jax)"
        jax.config.update("jax_enable_x64", True)  # the float64 workloads stay float64
        self.jax_version = version("jax") or "?"
        return f"JAX {self.jax_version} (jaxlib {version('jaxlib') or '?'})"

    def jax_calls(self, workload, args, vectors):
        """Jitted `grad` and forward-over-reverse `hvp` of the workload's own program run on
        jax.numpy; the parameters form one tuple, the other arguments are passed (not closed
        over, which would make them constants of the compiled program)."""
        import jax
        import jax.numpy as jnp
        import numpy as np

        from benchmarks.workloads import rebind

        program = rebind(workload.program, jnp)
        positions = _positions(workload)

        def loss(params, others):
            it_p, it_o = iter(params), iter(others)
            return program(*(next(it_p) if i in positions else next(it_o) for i in range(len(args))))

        convert = lambda a: jnp.asarray(a) if isinstance(a, np.ndarray) else a  # noqa: E731
        params = tuple(convert(args[i]) for i in positions)
        others = tuple(convert(a) for i, a in enumerate(args) if i not in positions)
        tangents = tuple(convert(v) for v in vectors)
        gradient = jax.jit(jax.grad(loss))
        hvp = jax.jit(lambda p, v, o: jax.jvp(lambda q: jax.grad(loss)(q, o), (p,), (v,))[1])
        jax.block_until_ready((params, others, tangents))
        jax.block_until_ready(gradient(params, others))  # trace and compile now
        products = jax.block_until_ready(hvp(params, tangents, others))
        return (
            lambda: jax.block_until_ready(gradient(params, others)),
            lambda: jax.block_until_ready(hvp(params, tangents, others)),
            [np.asarray(p) for p in products],
        )

    # -----------------------------------------------------------------------------------------
    # One workload

    def measure(self, workload, args) -> dict:
        import numpy as np

        import srcgrad
        from benchmarks import timing

        rng = np.random.default_rng(1)
        problems = check_workload(workload, args, rng)  # raises _Skip where srcgrad cannot
        positions = _positions(workload)
        vectors = [_random_like(args[i], rng) for i in positions]
        gradient = srcgrad.grad(workload.program, wrt=workload.wrt)
        jvp = srcgrad.jvp(workload.program, wrt=workload.wrt)
        hvp = srcgrad.hvp(workload.program, wrt=workload.wrt)
        for _ in range(3):  # generate, compile, and (grad) write the fast entry for these shapes
            gradient(*args)
            jvp(*args, *vectors)
            products = hvp(*args, *vectors)
        problems += float32_agreement(workload, args, vectors, products)
        systems = {
            "f": lambda: workload.program(*args),
            "grad": lambda: gradient(*args),
            "jvp": lambda: jvp(*args, *vectors),
            "hvp": lambda: hvp(*args, *vectors),
        }
        systems.update(generated_code(gradient, hvp, args, vectors))
        jax_problems = []
        if self.jax_version:
            try:
                jax_grad, jax_hvp, jax_products = self.jax_calls(workload, args, vectors)
            except Exception as exc:  # a finding about JAX, not a reason to stop
                jax_problems = [f"JAX failed to run: {type(exc).__name__}: {exc}"]
            else:
                float32 = any(isinstance(a, np.ndarray) and a.dtype == np.float32 for a in args)
                products = list(_as_tuple(workload, products))
                rtol = 1e-4 if float32 else 1e-6  # float32: sums in another order round otherwise
                jax_problems = agreement(workload, products, jax_products, "JAX", rtol=rtol)
                systems["JAX grad"], systems["JAX hvp"] = jax_grad, jax_hvp
        if problems:
            self.failed = True
            shout([f"{workload.name}: srcgrad is WRONG, not timed:"] + problems)
            raise _Skip("failed its check (see above)")
        if jax_problems:
            shout([f"{workload.name}: {p}" for p in jax_problems])
        timings = timing.interleaved(systems, self.rounds, self.batch_seconds, "cpu")
        row = {
            "workload": workload,
            "times": {name: t.median for name, t in timings.items()},
            "batches": {name: t.batch for name, t in timings.items()},
            "hvp/grad": timing.ratio(timings["hvp"], timings["grad"]),
            "jvp/f": timing.ratio(timings["jvp"], timings["f"]),
            "grad/f": timing.ratio(timings["grad"], timings["f"]),
        }
        if "hvp code" in timings:
            row["hvp/grad code"] = timing.ratio(timings["hvp code"], timings["grad code"])
        if "JAX hvp" in timings:
            row["JAX hvp/grad"] = timing.ratio(timings["JAX hvp"], timings["JAX grad"])
        row["jax_problems"] = jax_problems
        return row

    @staticmethod
    def summary(row: dict) -> str:
        parts = [
            f"{key} {row[key]}"
            for key in ("hvp/grad", "hvp/grad code", "jvp/f", "grad/f", "JAX hvp/grad")
            if key in row
        ]
        return "  ".join(parts)

    # -----------------------------------------------------------------------------------------
    # hessian against n hvp

    def hessians(self) -> list[dict]:
        objective = _example_objective()
        rows = []
        for n in (5, 50):
            row = self.hessian_row(objective, n)
            if row is not None:
                rows.append(row)
                print(f"n = {n}: hessian / (n·hvp) {row['ratio']}  ", end="", flush=True)
        print(flush=True)
        return rows

    def hessian_row(self, objective, n: int) -> dict | None:
        """`hessian` against n `hvp` calls for `objective` of n parameters, with A of 4n rows."""
        import numpy as np

        import srcgrad
        from benchmarks import timing

        rng = np.random.default_rng(n)
        A, b = rng.normal(size=(4 * n, n)), rng.normal(size=4 * n)
        x = rng.normal(0, 0.3, size=n)
        v = rng.normal(size=n)
        hvp = srcgrad.hvp(objective)
        hessian = srcgrad.hessian(objective)
        for _ in range(3):
            product = hvp(x, A, b, v)
            H = hessian(x, A, b)
        problems = []
        if not np.allclose(H @ v, product, rtol=1e-10, atol=1e-12 * np.max(np.abs(product))):
            problems.append("hessian(x) @ v differs from hvp(x, v)")
        if not np.allclose(H, H.T, rtol=1e-10, atol=1e-12 * np.max(np.abs(H))):
            problems.append("the Hessian is not symmetric")
        gradient = srcgrad.grad(objective, with_value=False)
        unit = v / np.linalg.norm(v)
        estimates = _central_difference(lambda x_: gradient(x_, A, b), x, unit)
        if not any(_close(product / np.linalg.norm(v), e, RTOL_HVP) for _, e in estimates):
            problems.append("hvp differs from central differences of the gradient")
        if problems:
            self.failed = True
            shout([f"objective, n = {n}: srcgrad is WRONG, not timed:"] + problems)
            return None
        timings = timing.interleaved(
            {"hvp": lambda: hvp(x, A, b, v), "hessian": lambda: hessian(x, A, b)},
            self.rounds,
            self.batch_seconds,
            "cpu",
        )
        ratios = [h / (n * p) for h, p in zip(timings["hessian"].per_call, timings["hvp"].per_call)]
        hvp_time, hessian_time = timings["hvp"].median, timings["hessian"].median
        return {"n": n, "hvp": hvp_time, "hessian": hessian_time, "ratio": _summarise(sorted(ratios))}

    # -----------------------------------------------------------------------------------------
    # The tables

    def render(self, rows, skipped, hessian_rows, info, jax_note) -> str:
        from benchmarks.report import seconds

        jax_column = any("JAX hvp/grad" in row for row in rows)
        header = [
            "workload",
            "inputs",
            "t(f)",
            "t(grad)",
            "t(jvp)",
            "t(hvp)",
            "jvp / f",
            "hvp / grad",
            "hvp / grad: generated code alone",
        ]
        if jax_column:
            header.append("JAX: hvp / grad (jit)")
        lines = [_row(header), _row(["---"] * len(header))]
        for row in rows:
            w, t = row["workload"], row["times"]
            cells = [
                w.name,
                w.shapes,
                seconds(t["f"]),
                seconds(t["grad"]),
                seconds(t["jvp"]),
                seconds(t["hvp"]),
                f"{row['jvp/f']}",
                f"**{row['hvp/grad']}**",
                f"{row['hvp/grad code']}" if "hvp/grad code" in row else "–",
            ]
            if jax_column:
                jax = row.get("JAX hvp/grad")
                cells.append(f"{jax}" if jax and not row["jax_problems"] else "–")
            lines.append(_row(cells))
        parts = ["\n".join(lines)]
        notes = []
        if skipped:
            notes.append("Skipped: " + "; ".join(skipped) + ".")
        for row in rows:
            if row["jax_problems"]:
                notes.append(f"{row['workload'].name}, JAX: " + "; ".join(row["jax_problems"]) + ".")
        if not jax_column:
            notes.append(jax_note + ".")
        if notes:
            parts.append("\n".join(notes))
        if hessian_rows:
            hess = [
                _row(["objective", "t(hvp)", "t(hessian)", "t(hessian) / (n · t(hvp))"]),
                _row(["---"] * 4),
            ]
            for r in hessian_rows:
                hess.append(
                    _row(
                        [
                            f"n = {r['n']} (A {4 * r['n']}×{r['n']})",
                            seconds(r["hvp"]),
                            seconds(r["hessian"]),
                            f"{r['ratio']}",
                        ]
                    )
                )
            parts.append("\n".join(hess))
        load = ""
        if info.get("load_start") and info.get("load_end"):
            start, end = info["load_start"], info["load_end"]
            load = f"; load average (1, 5, 15 min) {start} at the start, {end} at the end"
        parts.append(
            f"_Measured {info['date']} on {info['cpu']} ({info['cores']} cores, pinned to core "
            f"{info['pinned_to']}){load}; {info['python']}, NumPy {info['numpy']} ({info['blas']}), "
            f"srcgrad {info['srcgrad']}; {jax_note}; {self.rounds} rounds, times are medians "
            f"of the process's CPU time per call._"
        )
        return "\n\n".join(parts)


class _Skip(Exception):
    """A workload srcgrad's hvp cannot run: reported with its reason, not timed."""


# ---------------------------------------------------------------------------------------------
# Checks

RTOL_HVP = 1e-4  # hvp against central differences of the gradient
STEPS = (1e-5, 1e-6, 1e-7)  # relative to the parameters' norm; see `check_workload`


def shout(lines: list[str]) -> None:
    for line in lines:
        print(f"!!! {line}", file=sys.stderr, flush=True)


def _positions(workload) -> tuple[int, ...]:
    argnums = workload.argnums
    return (argnums,) if isinstance(argnums, int) else argnums


def _as_tuple(workload, result) -> tuple:
    return workload.as_tuple(result)


def generated_code(gradient, hvp, args, vectors) -> dict:
    """The generated functions of `gradient` (its fast entry) and `hvp` called directly, without
    the wrappers' argument checks and result conversion, as run.py's "srcgrad code" column: the
    difference to the calls is the wrappers' cost. Read from private attributes; empty if they
    have gone."""
    try:
        grad_code = gradient._fast.variant.compiled
        entry = hvp.jvp._shown
        hvp_code = entry.compiled
        named = dict(zip(entry.build.generated.extra, vectors))
        hvp_code(*args, **named)
    except Exception:
        return {}
    return {"grad code": lambda: grad_code(*args), "hvp code": lambda: hvp_code(*args, **named)}


def _random_like(param, rng):
    """A random vector shaped and typed like `param` (a float for a float)."""
    if isinstance(param, float):
        return float(rng.normal())
    return rng.normal(size=param.shape).astype(param.dtype)


def _central_difference(gradient, params, direction):
    """For each step of STEPS: (step, the central difference of `gradient` along `direction`),
    `params` and `direction` being one parameter or lists of them, `gradient` a function of the
    parameters returning a gradient or a tuple of them."""
    import numpy as np

    many = isinstance(params, list)
    ps, ds = (params, direction) if many else ([params], [direction])
    scale = max(1.0, float(np.sqrt(sum(np.sum(np.square(p)) for p in ps))))
    for relative in STEPS:
        h = relative * scale
        plus = gradient(*[p + h * d for p, d in zip(ps, ds)]) if many else gradient(ps[0] + h * ds[0])
        minus = gradient(*[p - h * d for p, d in zip(ps, ds)]) if many else gradient(ps[0] - h * ds[0])
        if not many:
            yield h, (np.asarray(plus) - np.asarray(minus)) / (2 * h)
        else:
            plus, minus = (
                (plus if isinstance(plus, tuple) else (plus,)),
                (minus if isinstance(minus, tuple) else (minus,)),
            )
            yield h, [(np.asarray(a) - np.asarray(c)) / (2 * h) for a, c in zip(plus, minus)]


def _close(products, estimates, rtol: float) -> bool:
    """Element-wise within rtol, with a floor of rtol times the largest estimate of all (an
    element that is a sum of cancelling terms keeps only the absolute accuracy of its terms)."""
    import numpy as np

    products = products if isinstance(products, list) else [products]
    estimates = estimates if isinstance(estimates, list) else [estimates]
    floor = rtol * max(float(np.max(np.abs(e))) if np.size(e) else 0.0 for e in estimates)
    return all(
        np.shape(p) == np.shape(e) and bool(np.all(np.abs(np.asarray(p) - e) <= rtol * np.abs(e) + floor))
        for p, e in zip(products, estimates)
    )


def check_workload(workload, args, rng) -> list[str]:
    """Problems with srcgrad's hvp and jvp of `workload`, in float64 (the float32 MLP too:
    float32 differences are too coarse to check anything at rtol 1e-4).

    `hvp` along a random unit direction against central differences of srcgrad's gradients. The
    difference is tried at a few steps (STEPS): a kink of ReLU crossed by the step makes one
    difference quotient wrong, while a wrong product is wrong at every step. `jvp` against the
    inner product of srcgrad's gradient with the tangents. Raises `_Skip` if hvp or jvp raise.
    """
    import numpy as np

    import srcgrad
    from benchmarks.checks import to_float64

    args = tuple(to_float64(a) for a in args)
    positions = _positions(workload)
    params = [args[i] for i in positions]
    vectors = [_random_like(p, rng) for p in params]
    norm = float(np.sqrt(sum(np.sum(np.square(v)) for v in vectors)))
    vectors = [v / norm for v in vectors]
    try:
        products = srcgrad.hvp(workload.program, wrt=workload.wrt)(*args, *vectors)
    except Exception as exc:
        raise _Skip(f"srcgrad.hvp raises {type(exc).__name__}: {exc}") from exc
    try:
        _, slope = srcgrad.jvp(workload.program, wrt=workload.wrt)(*args, *vectors)
    except Exception as exc:
        raise _Skip(f"srcgrad.jvp raises {type(exc).__name__}: {exc}") from exc
    products = list(_as_tuple(workload, products))
    gradient = srcgrad.grad(workload.program, wrt=workload.wrt, with_value=False)

    def gradient_at(*ps):
        full = list(args)
        for i, p in zip(positions, ps):
            full[i] = p
        return gradient(*full)

    problems = []
    tried = []
    for step, estimates in _central_difference(gradient_at, params, vectors):
        if _close(products, estimates, RTOL_HVP):
            break
        worst = max(
            float(np.max(np.abs(np.asarray(p) - e) / (np.abs(e) + 1e-300)))
            for p, e in zip(products, estimates)
        )
        tried.append(f"step {step:.2g}: largest relative difference {worst:.2g}")
    else:
        problems.append(
            f"hvp differs from central differences of the gradient beyond rtol {RTOL_HVP:g}: "
            + "; ".join(tried)
        )
    grads = _as_tuple(workload, gradient(*args))
    inner = sum(float(np.vdot(g, v)) for g, v in zip(grads, vectors))
    bound = 1e-8 * float(np.sqrt(sum(np.sum(np.square(g)) for g in grads))) + 1e-300
    if not abs(float(slope) - inner) <= bound:
        problems.append(f"jvp {float(slope)!r} differs from <grad, tangents> {inner!r}")
    return problems


def float32_agreement(workload, args, vectors, products) -> list[str]:
    """The products at the timed dtype against the float64 ones (for the float32 MLP: normwise,
    rtol 1e-3, so only a wrong product fails, not float32 rounding)."""
    import numpy as np

    import srcgrad
    from benchmarks.checks import to_float64

    if not any(isinstance(a, np.ndarray) and a.dtype == np.float32 for a in args):
        return []
    products = list(_as_tuple(workload, products))
    for p, i in zip(products, _positions(workload)):
        if np.asarray(p).dtype != args[i].dtype:
            return [f"a float32 parameter's product is {np.asarray(p).dtype}"]
    reference = srcgrad.hvp(workload.program, wrt=workload.wrt)(
        *(to_float64(a) for a in args), *(to_float64(v) for v in vectors)
    )
    return agreement(workload, products, list(_as_tuple(workload, reference)), "float32 hvp", rtol=1e-3)


def agreement(workload, products, others, what: str, rtol: float = 1e-6) -> list[str]:
    """Problems comparing `others` (JAX's products, or float32 ones) with srcgrad's, normwise
    per parameter."""
    import numpy as np

    problems = []
    for name, p, o in zip(workload.wrt_names, products, others):
        p, o = np.asarray(p, dtype=np.float64), np.asarray(o, dtype=np.float64)
        if p.shape != o.shape:
            problems.append(f"{what}: the product for {name} has shape {o.shape}, srcgrad's {p.shape}")
            continue
        error, size = float(np.linalg.norm(p - o)), float(np.linalg.norm(p))
        if not error <= rtol * size + 1e-300:
            problems.append(
                f"{what}: the product for {name} differs from srcgrad's by {error:.3g} (norm {size:.3g})"
            )
    return problems


def _summarise(ratios: list[float]):
    import statistics

    from benchmarks.timing import Ratio

    if len(ratios) < 2:
        return Ratio(ratios[0], ratios[0], ratios[0])
    low, _, high = statistics.quantiles(ratios, n=4, method="inclusive")
    return Ratio(statistics.median(ratios), low, high)


def _example_objective():
    """`objective` of examples/higher_order.py (the Newton example), imported from the file."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "_higher_order_example", ROOT / "examples" / "higher_order.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.objective


# ---------------------------------------------------------------------------------------------
# docs/higher-order.md


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def write_section(path: Path, body: str) -> None:
    """Replace the text between the two MARKER lines of `path` with `body`. The heading and the
    paragraph above the first marker are a person's text, and stay as they are."""
    text = path.read_text()
    if text.count(MARKER) != 2:
        raise SystemExit(
            f"{path}: expected two {MARKER} lines (in the section before {NEXT_HEADING!r}); "
            "add them, and the numbers are written between them"
        )
    start = text.index(MARKER)
    end = text.index(MARKER, start + len(MARKER)) + len(MARKER)
    path.write_text(text[:start] + f"{MARKER}\n\n{body}\n\n{MARKER}" + text[end:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
