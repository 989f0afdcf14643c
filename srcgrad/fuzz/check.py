"""Check one generated program: srcgrad against the original function run as plain NumPy.

`check_program(program, seed)` loads the program as a real module (srcgrad reads source with
`inspect`), differentiates its main function with srcgrad and compares, at the inputs
`program.inputs(seed)`:

- the value srcgrad returns with the value of the original function;
- every element of every gradient with float64 central finite differences of the original;
- the gradients with autograd's, when autograd is installed (a second oracle: the same source
  run with `np` bound to `autograd.numpy`);
- and, exactly: the inputs are unchanged after the call, a second call gives bit-identical
  results, each gradient has its parameter's shape, dtype and type and owns its memory.

Finite differences are only meaningful where the function is smooth, and generated programs
have kinks (abs, maximum), jumps (branches and masks on data, data-dependent trip counts) and
ties. A numerical disagreement at the drawn inputs is therefore only a suspicion. It becomes a
failure if it shows again at two of three nearby points (every input moved by about 1e-3):
there a gradient mismatch must also be *clean*, finite differences with steps 1e-6 and 1e-5
agreeing with each other but not with srcgrad. A kink or jump near the drawn point makes
the two steps disagree or moves out of reach at the nearby points, while a wrong derivative
rule, a lost contribution or a wrong branch persists at every nearby point (they stay on the
same branches). Autograd's disagreement is discounted where clean finite differences side with
srcgrad (autograd has conventions of its own, e.g. nan for `np.std` of one element).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import importlib.util
import itertools
import linecache
import math
import os
import shutil
import signal
import sys
import tempfile
import threading
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .known import known_failure
from .program import Program

__all__ = ["Outcome", "check_program", "loaded_module", "autograd_available"]

FD_STEP, FD_STEP_CHECK = 1e-6, 1e-5
PERTURBATION = 1e-3
NEARBY_POINTS, NEEDED = 3, 2
VALUE_LIMIT = 1e6  # a program whose value is bigger (or not finite) is rejected, not checked
GRADIENT_LIMIT = 1e7
TIME_LIMIT = 20.0  # seconds for checking one program; more means something loops forever


class Timeout(Exception):
    """Checking a program took longer than TIME_LIMIT (an endless loop, most likely)."""


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Raise Timeout in the block after `seconds` (main thread only: elsewhere, no limit)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum, frame):
        raise Timeout(f"still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_directory: str | None = None
_counter = itertools.count()


def _module_directory() -> str:
    """One temporary directory per process for the generated modules, removed at exit."""
    global _directory
    if _directory is None or not os.path.isdir(_directory):
        _directory = tempfile.mkdtemp(prefix="srcgrad-fuzz-")
        import atexit

        atexit.register(shutil.rmtree, _directory, True)
    return _directory


@contextlib.contextmanager
def loaded_module(source: str, keep: bool = False):
    """`source` as an imported module, its file on disk while the block runs.

    srcgrad reads functions with `inspect.getsource`, which needs a file (or a linecache entry
    that claims one). A real file is the simplest thing that is right for every path inspect
    takes. The module name (not starting with "srcgrad": srcgrad takes such modules for its
    own and does not inline their functions) is unique per call (process id, counter, hash of the source) and
    the module is never put in `sys.modules`, so nothing leaks between programs; the file and
    its linecache entry go away afterwards unless `keep` is true or the block raised (then
    the file stays for a traceback to show, until the process exits).
    """
    digest = hashlib.sha1(source.encode()).hexdigest()[:10]
    name = f"fuzzed_program_{os.getpid()}_{next(_counter)}_{digest}"
    path = os.path.join(_module_directory(), name + ".py")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert name not in sys.modules
    failed = False
    try:
        yield module
    except BaseException:
        failed = True
        raise
    finally:
        if not (keep or failed):
            os.remove(path)
            linecache.cache.pop(path, None)


def autograd_available() -> bool:
    try:
        import autograd  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class Outcome:
    """What checking one program found.

    `status` is "passed", "failed" (srcgrad is wrong: `problems` says how), "known" (failed,
    but only the way a known, still open srcgrad bug fails: `known` names it, see
    `srcgrad.fuzz.known`), "rejected" (the program's value is not in a sane range, so it was
    not checked) or "invalid" (the program does not run as plain NumPy: a bug of the
    generator, not of srcgrad).
    """

    program: Program
    seed: int
    status: str = "passed"
    problems: list[str] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    autograd_checked: bool = False
    known: set[str] = field(default_factory=set)
    stage: str = "loading"  # what the check was doing (said when it runs out of time)

    @property
    def ok(self) -> bool:
        return self.status in ("passed", "rejected", "known")

    def fail(self, kind: str, message: str) -> None:
        self.status = "failed"
        self.kinds.add(kind)
        self.problems.append(f"[{kind}] {message}")

    def report(self) -> str:
        lines = [
            f"{self.status}: program {self.program.name!r}, wrt={self.program.wrt}, input seed {self.seed}"
        ]
        lines += self.problems
        lines += [f"note: {n}" for n in self.notes]
        lines += ["source:", self.program.source()]
        return "\n".join(lines)


def _srcgrad(function, wrt):
    import srcgrad

    return srcgrad.grad(function, wrt=wrt)


def check_program(
    program: Program, seed: int, *, differentiate=None, autograd=None, inputs=None, known_bugs=True
) -> Outcome:
    """Check `program` at `program.inputs(seed)` (or at `inputs`); see the module docstring.

    `differentiate(function, wrt)` makes the gradient function (srcgrad's `grad` by default;
    the tests pass a broken one to see that the checks catch it). `autograd` is True, False or
    None (use it when installed). With `known_bugs`, a failure that only shows known bugs
    gets the status "known".
    """
    outcome = Outcome(program, seed)
    differentiate = differentiate or _srcgrad
    use_autograd = autograd_available() if autograd is None else autograd
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        with loaded_module(program.source()) as module:
            try:
                with _time_limit(TIME_LIMIT):
                    _check(outcome, module, differentiate, use_autograd, inputs)
            except Timeout as exc:
                outcome.problems = [p for p in outcome.problems if "[hang]" not in p]
                outcome.fail("hang", f"checking the program did not finish: {exc}; stage: {outcome.stage}")
    if outcome.status == "failed" and known_bugs:
        names = [known_failure(problem) for problem in outcome.problems]
        if all(names):
            outcome.status = "known"
            outcome.known = set(names)
    return outcome


class _Case:
    """The original function, srcgrad's gradient function and the leaves differentiated."""

    def __init__(self, program, function, gradient, autograd_gradient):
        self.program = program
        self.function = function
        self.gradient = gradient
        self.autograd_gradient = autograd_gradient
        self.leaves = []  # (parameter position, dict key or None, shape or None for a float)
        positions = {p.name: i for i, p in enumerate(program.params)}
        for p in program.params:
            if not p.wrt:
                continue
            if p.leaves is not None:
                self.leaves += [(positions[p.name], key, shape) for key, shape in p.leaves]
            else:
                self.leaves.append((positions[p.name], None, p.shape))

    def labels(self) -> list[str]:
        labels = []
        for position, key, shape in self.leaves:
            name = self.program.params[position].name + ("" if key is None else f"[{key!r}]")
            if not shape:
                labels.append(name)
            else:
                labels += [f"{name}[{', '.join(map(str, i))}]" for i in np.ndindex(*shape)]
        return labels

    def flatten(self, gradients) -> np.ndarray:
        """srcgrad's (or autograd's) gradients, one number per differentiated element."""
        by_param = dict(zip(self.program.wrt, gradients))
        parts = []
        for position, key, _ in self.leaves:
            g = by_param[self.program.params[position].name]
            if key is not None:
                g = g[key]
            parts.append(np.ravel(np.asarray(g, dtype=np.float64)))
        return np.concatenate(parts) if parts else np.zeros(0)

    def shifted(self, point, flat_index: int, delta: float):
        """`point` with one differentiated element moved by `delta` (a copy)."""
        for position, key, shape in self.leaves:
            size = 1 if shape is None else math.prod(shape)
            if flat_index >= size:
                flat_index -= size
                continue
            point = list(point)
            container = point[position]
            value = container[key] if key is not None else container
            if shape is None:
                value = float(value) + delta
            else:
                value = value.copy()
                value.reshape(-1)[flat_index] += delta
            if key is not None:
                point[position] = {**container, key: value}
            else:
                point[position] = value
            return point
        raise IndexError(flat_index)

    def central(self, point, step: float, indices=None) -> np.ndarray:
        indices = range(len(self.labels())) if indices is None else indices
        out = []
        for i in indices:
            up = float(self.function(*self.shifted(point, i, step)))
            down = float(self.function(*self.shifted(point, i, -step)))
            out.append((up - down) / (2 * step))
        return np.array(out, dtype=np.float64)


def _close(a, b, atol, rtol):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.abs(a - b) <= atol + rtol * np.maximum(np.abs(a), np.abs(b))


def _perturb(point, rng):
    """Every float input moved by about PERTURBATION (differentiated or not)."""

    def move(value):
        if isinstance(value, dict):
            return {k: move(v) for k, v in value.items()}
        if isinstance(value, float):
            return value + PERTURBATION * float(rng.standard_normal())
        return value + PERTURBATION * rng.standard_normal(value.shape)

    return [move(v) for v in point]


def _same_inputs(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same_inputs(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        return (
            isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and a.tobytes() == b.tobytes()
        )
    return type(a) is type(b) and (a == b or (a != a and b != b))


def _identical(a, b) -> bool:
    """Bit for bit the same result (value or gradient tree)."""
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_identical(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_identical(a[k], b[k]) for k in a)
    if type(a) is not type(b):
        return False
    if isinstance(a, (np.ndarray, np.generic)):
        return (
            a.dtype == b.dtype
            and np.shape(a) == np.shape(b)
            and np.asarray(a).tobytes() == np.asarray(b).tobytes()
        )
    return a == b or (a != a and b != b)


def _arrays(tree):
    if isinstance(tree, dict):
        for v in tree.values():
            yield from _arrays(v)
    elif isinstance(tree, (tuple, list)):
        for v in tree:
            yield from _arrays(v)
    elif isinstance(tree, np.ndarray):
        yield tree


def _check(outcome: Outcome, module, differentiate, use_autograd: bool, inputs) -> None:
    """The original first (a program NumPy rejects is the generator's bug), then srcgrad's
    exact properties, then the numerical comparison."""
    program = outcome.program
    function = getattr(module, program.name)
    base = program.inputs(outcome.seed) if inputs is None else inputs
    pristine = copy.deepcopy(base)
    outcome.stage = "running the original function"
    try:
        expected = function(*base)
    except Exception:
        outcome.status = "invalid"
        outcome.problems.append("the program fails as plain NumPy:\n" + traceback.format_exc(limit=-3))
        return
    if not _same_inputs_tree(base, pristine):
        outcome.status = "invalid"
        outcome.problems.append("the program changes its inputs when run as plain NumPy")
        return
    if not (np.ndim(expected) == 0 and np.isfinite(expected) and abs(expected) <= VALUE_LIMIT):
        outcome.status = "rejected"
        outcome.notes.append(f"value {expected!r} is out of the sane range")
        return

    outcome.stage = "generating and running srcgrad's gradient"
    try:
        gradient = differentiate(function, program.wrt)
        first = gradient(*base)
    except Exception as exc:
        outcome.fail("error", f"srcgrad raised {type(exc).__name__}: {exc}")
        return
    _check_kinds(outcome, first[1], base)  # against the arrays that were passed in
    if not _same_inputs_tree(base, pristine):
        outcome.fail("mutation", "srcgrad's gradient function changed its input arrays")
        base = copy.deepcopy(pristine)
    try:
        second = gradient(*base)
    except Exception as exc:
        outcome.fail("error", f"the second call raised {type(exc).__name__}: {exc}")
        return
    if not _identical(first, second):
        outcome.fail("nondeterministic", "two calls with the same inputs gave different results")

    autograd_gradient = _autograd_gradient(program, outcome) if use_autograd else None
    case = _Case(program, function, gradient, autograd_gradient)
    outcome.stage = "comparing at the inputs and nearby points"
    try:
        _compare(outcome, case, base)
    except Exception as exc:
        outcome.fail("error", f"srcgrad's gradient function raised {type(exc).__name__}: {exc}")


def _compare(outcome: Outcome, case: _Case, base) -> None:
    """The numerical checks: suspicions at `base`, confirmed or dismissed at nearby points."""
    autograd_gradient = case.autograd_gradient
    suspicions = _numeric(case, base, confirm=False, notes=outcome.notes)
    if suspicions is None:
        outcome.status = "rejected"
        outcome.notes.append("finite differences are out of the sane range")
        return
    outcome.autograd_checked = autograd_gradient is not None and "autograd-error" not in suspicions
    suspicions.pop("autograd-error", None)
    if not suspicions:
        return
    rng = np.random.default_rng([outcome.seed, 1])
    seen = Counter()
    nearby = []
    for _ in range(NEARBY_POINTS):
        point = _perturb(base, rng)
        found = _numeric(case, point, confirm=True, notes=[])
        if found is None:
            continue
        seen.update(k for k in found if k in suspicions)
        nearby.append(found)
    for kind, message in suspicions.items():
        if seen[kind] >= NEEDED:
            again = [f[kind] for f in nearby if kind in f]
            outcome.fail(
                kind, f"{message}\n  and at {seen[kind]} of {NEARBY_POINTS} nearby points, e.g. {again[0]}"
            )
        else:
            outcome.notes.append(
                f"dismissed ({seen[kind]} of {NEARBY_POINTS} nearby points agree, a kink or jump): {message}"
            )


def _same_inputs_tree(a, b) -> bool:
    return len(a) == len(b) and all(_same_inputs(x, y) for x, y in zip(a, b))


def _check_kinds(outcome: Outcome, gradients, base) -> None:
    """Each gradient like its parameter (shape, dtype, float for a float), in its own memory."""
    program = outcome.program
    if not isinstance(gradients, tuple) or len(gradients) != len(program.wrt):
        outcome.fail(
            "kind", f"expected a tuple of {len(program.wrt)} gradients, got {type(gradients).__name__}"
        )
        return
    values = dict(zip((p.name for p in program.params), base))
    for name, g in zip(program.wrt, gradients):
        p = values[name]
        pairs = [(name, g, p)]
        if isinstance(p, dict):
            if not isinstance(g, dict) or g.keys() != p.keys():
                outcome.fail("kind", f"gradient for {name!r} is not a dict with keys {list(p)}")
                continue
            pairs = [(f"{name}[{k!r}]", g[k], p[k]) for k in p]
        for label, gi, pi in pairs:
            if isinstance(pi, float):
                if type(gi) is not float:
                    outcome.fail(
                        "kind", f"gradient for float {label!r} is a {type(gi).__name__}, not a float"
                    )
            elif type(gi) is not np.ndarray or gi.shape != pi.shape or gi.dtype != pi.dtype:
                got = f"{type(gi).__name__} {getattr(gi, 'dtype', '')} {np.shape(gi)}"
                outcome.fail("kind", f"gradient for {label!r} is {got}, not float64 {pi.shape}")
    inputs = list(_arrays(base))
    grads = list(_arrays(gradients))
    for i, g in enumerate(grads):
        shared = [a for a in inputs if np.shares_memory(g, a)]
        if shared:
            view = " that is a view" if any(a.base is not None for a in shared) else ""
            outcome.fail("memory", f"a gradient shares memory with an input array{view}")
        if any(np.shares_memory(g, h) for h in grads[i + 1 :]):
            outcome.fail("memory", "two gradients share memory")


def _autograd_gradient(program: Program, outcome: Outcome):
    """The same source with `np` as autograd.numpy, differentiated by autograd (or None)."""
    import autograd

    namespace = {"__name__": "srcgrad_fuzz_autograd"}
    try:
        exec(compile(program.source("autograd.numpy"), "<srcgrad fuzz: autograd>", "exec"), namespace)
    except Exception as exc:
        outcome.notes.append(f"autograd could not load this program: {type(exc).__name__}: {exc}")
        return None
    positions = tuple(i for i, p in enumerate(program.params) if p.wrt)
    return autograd.grad(namespace[program.name], argnum=positions)


def _numeric(case: _Case, point, confirm: bool, notes: list[str]):
    """Numerical disagreements at `point`, kind -> message; None if the point is not sane.

    Without `confirm` every disagreement with finite differences of step FD_STEP counts (a
    suspicion, cheap to look for). With `confirm`, a gradient element counts only where steps
    FD_STEP and FD_STEP_CHECK agree with each other and not with srcgrad.
    """
    found = {}
    expected = float(case.function(*point))
    if not (math.isfinite(expected) and abs(expected) <= VALUE_LIMIT):
        return None
    value, gradients = case.gradient(*point)
    try:
        value = float(value)
    except (TypeError, ValueError):  # e.g. None: say so rather than fail comparing it
        found["value"] = f"srcgrad's value is {value!r}, the original function's {expected!r}"
    else:
        if not _close(value, expected, 1e-9, 1e-9):
            found["value"] = f"srcgrad's value {value!r}, the original function's {expected!r}"
    labels = case.labels()
    analytic = case.flatten(gradients)
    numeric = case.central(point, FD_STEP)
    if not np.all(np.isfinite(numeric)) or np.max(np.abs(numeric), initial=0.0) > GRADIENT_LIMIT:
        return None
    atol, rtol = 1e-5 * (1 + abs(expected)), 1e-4
    bad = np.flatnonzero(~_close(analytic, numeric, atol, rtol))
    if bad.size:
        check = case.central(point, FD_STEP_CHECK, bad) if confirm else None
        if confirm:
            clean = _close(numeric[bad], check, atol, rtol)
            keep = clean & ~_close(analytic[bad], check, atol, rtol)
            check, bad = check[keep], bad[keep]
        if bad.size:
            worst = int(np.argmax(np.abs(analytic[bad] - numeric[bad])))
            i = bad[worst]
            also = "" if check is None else f" ({check[worst]!r} with step {FD_STEP_CHECK:g})"
            found["gradient"] = (
                f"d/d{labels[i]}: srcgrad {analytic[i]!r}, finite differences {numeric[i]!r}{also}"
                f"; {bad.size} of {len(labels)} elements differ"
            )
    if case.autograd_gradient is not None:
        try:
            other = case.flatten(case.autograd_gradient(*point))
        except Exception as exc:
            notes.append(f"autograd could not differentiate this program: {type(exc).__name__}: {exc}")
            found["autograd-error"] = ""
            return found
        bad = np.flatnonzero(~_close(analytic, other, 1e-8 * (1 + abs(expected)), 1e-7))
        if bad.size:
            check = case.central(point, FD_STEP_CHECK, bad)
            sides_with_srcgrad = _close(numeric[bad], check, atol, rtol) & _close(
                analytic[bad], check, atol, rtol
            )
            if np.all(sides_with_srcgrad):
                notes.append(
                    f"autograd disagrees on {bad.size} elements where finite differences agree with srcgrad"
                )
            else:
                i = bad[~sides_with_srcgrad][0]
                found["autograd"] = (
                    f"d/d{labels[i]}: srcgrad {analytic[i]!r}, autograd {other[i]!r}, "
                    f"finite differences {numeric[i]!r}"
                )
    return found
