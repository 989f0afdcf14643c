"""docs/benchmarks.md: the tables, rendered from the measurements, and a person's own section.

The file carries its measurements as JSON in an HTML comment at its end (invisible on GitHub).
A run merges its results into them and renders the whole file again, so `--only rnn` or
`--threads default` updates its own rows and tables and keeps the others, each table row
naming the run it comes from when more than one run contributes. The section
"## Where srcgrad stands" is written by a person: a run keeps its text as it finds it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .workloads import BY_NAME, WORKLOADS

HUMAN_HEADING = "## Where srcgrad stands"
HUMAN_PLACEHOLDER = (
    "_Not written yet: this section is for a person's reading of the numbers (what is fast, what "
    "is not and why, what is being done about it). `benchmarks/run.py` keeps its text, everything "
    "from the heading to the next `## ` heading, when it rewrites the rest of the file._"
)
DATA_START = "<!-- srcgrad-benchmark-data (read by benchmarks/run.py to merge runs; do not edit)"
DATA_END = "-->"
COLUMNS = ("srcgrad", "srcgrad code", "autograd", "JAX", "JAX jit")
FIRST_CALL_TARGET = ("xor", 0.020)  # the first XOR call under 20 ms
THREADS_TITLE = {"1": "one thread", "default": "default threading"}
CLOCK_TITLE = {"cpu": "the process's CPU time", "wall": "the wall clock"}


class Run:
    """The results of this run, before they are merged into the file's."""

    def __init__(self, info: dict):
        self.info = info
        self.ratios: dict = {}
        self.memory: dict = {}
        self.first_calls: dict = {}
        self.rnn_scaling: list | None = None

    def add_ratios(self, name: str, result: dict) -> None:
        self.ratios[name] = {k: v for k, v in result.items() if k != "memory"}
        if "memory" in result:
            self.memory[name] = result["memory"]


# ---------------------------------------------------------------------------------------------
# Units.


def seconds(s: float | None) -> str:
    if s is None:
        return "–"
    if s < 1e-3:
        return f"{s * 1e6:.3g} µs"
    if s < 1:
        return f"{s * 1e3:.3g} ms"
    return f"{s:.3g} s"


def mebibytes(b: float | None) -> str:
    if b is None:
        return "–"
    if b < 1 << 20:
        return f"{b / 1024:.3g} KiB"
    return f"{b / (1 << 20):.3g} MiB"


def times(r: list[float]) -> str:
    median, low, high = r
    return f"{median:.2f}× ({low:.2f}–{high:.2f})"


# ---------------------------------------------------------------------------------------------
# Reading the previous file and merging.


def read_existing(path: Path | None) -> tuple[dict, str]:
    """The measurements stored in `path` and the text of its human section (placeholder if none)."""
    if path is None or not path.exists():
        return {}, HUMAN_PLACEHOLDER
    text = path.read_text()
    data = {}
    start = text.find(DATA_START)
    if start >= 0:
        end = text.find(DATA_END, start)
        try:
            data = json.loads(text[start + len(DATA_START) : end])
        except ValueError:
            data = {}  # a damaged block: start afresh rather than fail the run
    return data, human_section(text)


def human_section(text: str) -> str:
    """The lines after HUMAN_HEADING up to the next level-2 heading or the data block."""
    lines = text.split("\n")
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == HUMAN_HEADING)
    except StopIteration:
        return HUMAN_PLACEHOLDER
    body = []
    for line in lines[start + 1 :]:
        if line.startswith("## ") or line.startswith(DATA_START):
            break
        body.append(line)
    return "\n".join(body).strip("\n") or HUMAN_PLACEHOLDER


def merge(path: Path | None, run: Run) -> dict:
    """The file's measurements with this run's replacing what it measured again (this run's
    alone when `path` is None)."""
    data, human = read_existing(path)
    data = _same_yardstick(data, run.info["workloads_digest"])
    runs = data.get("runs", {})
    run_id = str(max((int(k) for k in runs), default=0) + 1)
    runs[run_id] = run.info
    ratios = data.setdefault("ratios", {})
    table = ratios.setdefault(run.info["threads"], {})
    for name, entry in run.ratios.items():
        table[name] = {**entry, "run": run_id}
    memory = data.setdefault("memory", {})
    for name, peaks in run.memory.items():
        memory[name] = {"peaks": peaks, "run": run_id}
    first = data.setdefault("first_calls", {})
    for name, entry in run.first_calls.items():
        first[name] = {**entry, "run": run_id}
    if run.rnn_scaling is not None:
        data["rnn_scaling"] = {"rows": run.rnn_scaling, "run": run_id}
    used = _runs_used(data)
    data["runs"] = {k: v for k, v in runs.items() if k in used}
    data["human"] = human
    data["latest"] = run_id
    return data


def _same_yardstick(data: dict, digest: str) -> dict:
    """`data` without the results of runs whose workloads (programs, hand-written code, inputs)
    differ from this run's: a ratio to another yardstick does not belong in the same table."""
    stale = {k for k, info in data.get("runs", {}).items() if info.get("workloads_digest") != digest}
    if not stale:
        return data

    def fresh(entries: dict) -> dict:
        return {name: e for name, e in entries.items() if e["run"] not in stale}

    data["ratios"] = {threads: fresh(table) for threads, table in data.get("ratios", {}).items()}
    data["memory"] = fresh(data.get("memory", {}))
    data["first_calls"] = fresh(data.get("first_calls", {}))
    if data.get("rnn_scaling", {}).get("run") in stale:
        del data["rnn_scaling"]
    return data


def _runs_used(data: dict) -> set[str]:
    used = set()
    for table in data.get("ratios", {}).values():
        used |= {e["run"] for e in table.values()}
    used |= {e["run"] for e in data.get("memory", {}).values()}
    used |= {e["run"] for e in data.get("first_calls", {}).values()}
    if "rnn_scaling" in data:
        used.add(data["rnn_scaling"]["run"])
    return used


# ---------------------------------------------------------------------------------------------
# Rendering.


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _order(names) -> list[str]:
    return [w.name for w in WORKLOADS if w.name in names]


class _Labels:
    """Run labels for rows, shown only when the tables mix runs."""

    def __init__(self, data: dict):
        self.many = len(data.get("runs", {})) > 1

    def __call__(self, entry: dict) -> str:
        return f" (run {entry['run']})" if self.many else ""


def ratio_cell(entry: dict | None) -> str:
    if entry is None:
        return "–"
    cell = times(entry["ratio"])
    return f"**invalid** ({cell})" if entry["problems"] else cell


def ratio_table(data: dict, threads: str) -> str:
    table = data.get("ratios", {}).get(threads)
    if not table:
        flag = "" if threads == "1" else " --threads default"
        return f"_Not measured yet: run `python benchmarks/run.py{flag}`._"
    label = _Labels(data)
    columns = [c for c in COLUMNS if any(c in e["systems"] for e in table.values())]
    rows = []
    for name in _order(table):
        entry = table[name]
        cells = [ratio_cell(entry["systems"].get(c)) for c in columns]
        warn = " **hand-written gradient failed its check**" if entry["hand_problems"] else ""
        rows.append(
            [f"{name}{label(entry)}{warn}", BY_NAME[name].shapes, *cells, f"≤ {BY_NAME[name].target:.2f}×"]
        )
    return _table(["workload", "inputs", *columns, "srcgrad target"], rows)


def absolute_table(data: dict, threads: str) -> str:
    table = data.get("ratios", {}).get(threads)
    if not table:
        return "_Not measured yet._"
    label = _Labels(data)
    columns = ["hand", *[c for c in COLUMNS if any(c in e["systems"] for e in table.values())]]
    rows = []
    for name in _order(table):
        systems = table[name]["systems"]
        cells = [seconds(systems[c]["median_s"]) if c in systems else "–" for c in columns]
        hand = systems["hand"]
        rows.append([f"{name}{label(table[name])}", *cells, f"{hand['rounds']} × {hand['batch']}"])
    return _table(["workload", *columns, "rounds × calls per batch (hand)"], rows)


def targets(data: dict) -> tuple[str, list[str]]:
    """The issue's targets next to the measured values, and the misses as sentences."""
    rows, misses = [], []
    table = data.get("ratios", {}).get("1", {})
    for workload in WORKLOADS:
        entry = table.get(workload.name)
        if entry is None:
            rows.append([f"{workload.name}: srcgrad ≤ {workload.target:.2f}× hand", "not measured", "–"])
            continue
        system = entry["systems"]["srcgrad"]
        measured = system["ratio"][0]
        met = measured <= workload.target and not system["problems"]
        rows.append(
            [f"{workload.name}: srcgrad ≤ {workload.target:.2f}× hand", times(system["ratio"]), _yes(met)]
        )
        if not met:
            misses.append(f"{workload.name}: {measured:.2f}× hand against ≤ {workload.target:.2f}×")
    for workload in WORKLOADS:
        if workload.memory_target is None:
            continue
        entry = data.get("memory", {}).get(workload.name)
        what = f"{workload.name}: srcgrad's peak memory ≤ {workload.memory_target:.1f}× hand's"
        if entry is None:
            rows.append([what, "not measured", "–"])
            continue
        peaks = entry["peaks"]
        measured = peaks["srcgrad"] / peaks["hand"]
        rows.append(
            [
                what,
                f"{measured:.2f}× ({mebibytes(peaks['srcgrad'])} / {mebibytes(peaks['hand'])})",
                _yes(measured <= workload.memory_target),
            ]
        )
        if measured > workload.memory_target:
            misses.append(
                f"{workload.name} memory: {measured:.2f}× hand's against ≤ {workload.memory_target:.1f}×"
            )
    name, limit = FIRST_CALL_TARGET
    entry = data.get("first_calls", {}).get(name)
    what = f"first {name} call (fresh process) < {seconds(limit)}"
    if entry is None:
        rows.append([what, "not measured", "–"])
    else:
        rows.append([what, seconds(entry["first_call"]), _yes(entry["first_call"] < limit)])
        if entry["first_call"] >= limit:
            misses.append(f"first {name} call: {seconds(entry['first_call'])} against < {seconds(limit)}")
    return _table(["target", "measured", "met"], rows), misses


def _yes(met: bool) -> str:
    return "yes" if met else "**no**"


def first_call_table(data: dict) -> str:
    table = data.get("first_calls", {})
    if not table:
        return "_Not measured yet._"
    jit = data.get("ratios", {}).get("1", {})
    label = _Labels(data)
    rows = []
    for name in _order(table):
        e = table[name]
        jax_first = jit.get(name, {}).get("systems", {}).get("JAX jit", {}).get("first_call_s")
        rows.append(
            [
                f"{name}{label(e)}",
                seconds(e["import_srcgrad"]),
                seconds(e["first_call"]),
                seconds(e["steady_call"]),
                seconds(e["second_generate"]),
                seconds(e.get("first_call_no_pyc")),
                seconds(jax_first),
            ]
        )
    header = [
        "workload",
        "import srcgrad",
        "first call, fresh process",
        "a later call",
        "another function: generate + compile",
        "import + first call, no bytecode cached",
        "JAX jit: first call",
    ]
    return _table(header, rows)


def memory_table(data: dict) -> str:
    table = data.get("memory", {})
    if not table:
        return "_Not measured yet._"
    label = _Labels(data)
    rows = []
    for name in _order(table):
        peaks = table[name]["peaks"]
        target = BY_NAME[name].memory_target
        rows.append(
            [
                f"{name}{label(table[name])}",
                mebibytes(peaks["hand"]),
                mebibytes(peaks["srcgrad"]),
                f"{peaks['srcgrad'] / peaks['hand']:.2f}×",
                mebibytes(peaks.get("autograd")),
                f"≤ {target:.1f}×" if target else "–",
            ]
        )
    return _table(["workload", "hand", "srcgrad", "srcgrad / hand", "autograd", "target"], rows)


def scaling_table(data: dict) -> str:
    scaling = data.get("rnn_scaling")
    if not scaling:
        return "_Not measured yet._"
    rows = []
    for row in scaling["rows"]:
        steps = row["steps"]
        rows.append(
            [
                str(steps),
                seconds(row["hand_s"]),
                seconds(row["srcgrad_s"]),
                times(row["ratio"]),
                seconds(row["srcgrad_s"] / steps),
                mebibytes(row["hand_peak"]),
                mebibytes(row["srcgrad_peak"]),
                mebibytes(row["srcgrad_peak"] / steps),
            ]
        )
    header = [
        "T",
        "hand",
        "srcgrad",
        "srcgrad / hand",
        "srcgrad per step",
        "hand peak",
        "srcgrad peak",
        "srcgrad peak per step",
    ]
    return _table(header, rows)


def machine_section(data: dict) -> str:
    parts = []
    for run_id, info in sorted(data.get("runs", {}).items(), key=lambda kv: int(kv[0])):
        title = f"Run {run_id}" if len(data["runs"]) > 1 else "This run"
        pinned = f", pinned to core {', '.join(map(str, info['pinned_to']))}" if info.get("pinned_to") else ""
        cache = f" ({info['cache']} cache)" if info.get("cache") else ""
        load = ""
        if info.get("load_start") and info.get("load_end"):
            start, end = info["load_start"], info["load_end"]
            load = f"; load average (1, 5, 15 min) {start} at the start, {end} at the end"
        command = f"python benchmarks/run.py {info['options']}".strip()
        variables = ", ".join(f"`{k}={v}`" for k, v in info.get("thread_variables", {}).items()) or "none set"
        peer_text = ", ".join(f"{k} {v}" for k, v in info.get("peers", {}).items()) or "none installed"
        parts.append(
            "\n".join(
                [
                    f"{title}: {info['date']}, `{command}`",
                    "",
                    f"- CPU: {info['cpu']}{cache}, {info['cores']} cores{load}",
                    f"- threads: {THREADS_TITLE[info['threads']]}{pinned}",
                    f"- timed by {CLOCK_TITLE[info['clock']]}",
                    f"- threading variables: {variables}",
                    f"- {info['python']} on {info['platform']}",
                    f"- NumPy {info['numpy']} with {info['blas']}",
                    f"- srcgrad {info['srcgrad']}",
                    f"- peers: {peer_text}",
                ]
            )
        )
    return "\n\n".join(parts)


def checks_section(data: dict) -> str:
    lines = []
    for threads, table in data.get("ratios", {}).items():
        for name in _order(table):
            entry = table[name]
            for problem in entry["hand_problems"]:
                lines.append(f"- {name}, hand-written ({THREADS_TITLE[threads]}): {problem}")
            for system, values in entry["systems"].items():
                for problem in values["problems"]:
                    lines.append(f"- {name}, {system} ({THREADS_TITLE[threads]}): {problem}")
    if not lines:
        return (
            "Every gradient above was checked before it was timed: the hand-written ones against "
            "float64 central differences along random directions, every system's against the "
            "hand-written ones (rtol 1e-6; normwise for float32). All agree."
        )
    return "These checks FAILED; the timings they concern are marked invalid:\n\n" + "\n".join(lines)


METHOD = """\
- One timed call is "loss and gradients" on inputs already prepared (JAX's converted to JAX
  arrays).
- The systems are timed round by round, every system in every round, in a rotating order; a round
  times a batch of calls per system sized to take a few milliseconds, with the garbage collector
  off during the batch. A ratio is the system's time over the hand-written code's in the same
  round; the table gives the median over rounds and, in brackets, the 25th and 75th percentiles.
- With one thread the clock is the process's CPU time (all its threads, user and system), which
  on a shared machine leaves out the time other processes held the core; on a quiet machine it
  equals the wall clock. With default threading it is the wall clock. First calls use the same
  clock as the run.
- `hand` is the program's own forward pass and a backward pass written by hand in NumPy
  ([benchmarks/workloads.py](../benchmarks/workloads.py)), so a ratio measures what srcgrad
  adds. `srcgrad` is `srcgrad.grad(program, wrt=...)` called as a user calls it (after two
  calls, so through the entry it writes for these argument types and shapes); `srcgrad code` the
  function srcgrad generated for these shapes, called directly (the difference is the entry's
  checks of the arguments and of the results); `JAX` is `jax.value_and_grad` run operation by
  operation and `JAX jit` the same under `jax.jit` (its first call, which compiles, is in the
  first-call table). Float64 workloads run JAX with `jax_enable_x64`.
- One thread: `OMP_NUM_THREADS`, `OPENBLAS_NUM_THREADS`, `MKL_NUM_THREADS` = 1 and
  `XLA_FLAGS=--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1` are set before
  NumPy is imported, and the process is pinned to one core.
- First calls run in a fresh interpreter per workload, with a private bytecode directory
  (`PYTHONPYCACHEPREFIX`) primed by one earlier run, or empty and unwritable for the
  no-bytecode column.
- Peak memory is the largest number of bytes NumPy had allocated at once during one call
  (`tracemalloc`, which sees every array buffer), results included, inputs not.
"""


def render(data: dict) -> str:
    target_table, misses = targets(data)
    miss_text = "Missed: " + "; ".join(misses) + "." if misses else "All targets met."
    sections = [
        "# srcgrad benchmarks",
        "Measured by `python benchmarks/run.py` (see [benchmarks/README.md](../benchmarks/README.md)). "
        'A run rewrites this file except the section "Where srcgrad stands", which is a person\'s to '
        "write and which the run keeps as it is.",
        "## The issue's targets",
        target_table,
        miss_text,
        HUMAN_HEADING,
        data["human"],
        "## Time relative to hand-written NumPy, one thread",
        "Median of (time / hand-written time) over rounds, 25th–75th percentile in brackets; "
        "1.00× is as fast as the hand-written code, lower is better.",
        ratio_table(data, "1"),
        "## Time per call, one thread",
        absolute_table(data, "1"),
        "## First calls",
        "srcgrad generates and compiles a gradient at its first call. Each workload runs in a "
        "fresh interpreter with srcgrad's bytecode cached (as after any install): `import srcgrad`, "
        "then the first call, which imports the pipeline, generates, compiles and runs once, "
        'then a later call. "Another function" is the generation and compilation of a second '
        "gradient in the same interpreter (after `srcgrad.clear_cache()`), with nothing left to "
        "import. The last srcgrad column is import and first call with no bytecode cached at all, "
        "as on the first import after installing or upgrading. JAX's first jitted call (tracing and "
        "XLA compilation) is measured in the main process, JAX already initialised.",
        first_call_table(data),
        "## Peak memory of one call",
        memory_table(data),
        "## RNN: scaling with the number of steps",
        "The same program at T steps (batch 32, 16 inputs, 64 hidden), one thread. Time and memory "
        "per step should stay flat: the backward pass saves each step's values once.",
        scaling_table(data),
        "## Time relative to hand-written NumPy, default threading",
        ratio_table(data, "default"),
        absolute_table(data, "default") if data.get("ratios", {}).get("default") else "",
        "## Checks",
        checks_section(data),
        "## Method",
        METHOD.rstrip(),
        "## Machine and versions",
        machine_section(data),
    ]
    stored = {k: v for k, v in data.items() if k not in ("human", "latest")}
    body = "\n\n".join(s for s in sections if s)
    return f"{body}\n\n{DATA_START}\n{json.dumps(stored, indent=1)}\n{DATA_END}\n"


def console_summary(run: Run) -> str:
    """This run's tables, for the terminal."""
    data = merge(None, run)
    threads = run.info["threads"]
    parts = [f"time relative to hand ({THREADS_TITLE[threads]}):", ratio_table(data, threads)]
    parts += ["", "time per call:", absolute_table(data, threads)]
    if threads == "1":
        parts += ["", "first calls:", first_call_table(data), "", "peak memory:", memory_table(data)]
        parts += ["", "RNN scaling:", scaling_table(data)]
        target_table, misses = targets(data)
        parts += ["", "targets:", target_table]
        parts += [f"MISSED: {m}" for m in misses]
    return re.sub(r"\*\*", "", "\n".join(parts))
