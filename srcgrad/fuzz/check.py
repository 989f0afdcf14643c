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

Forward mode and second order are checked against reverse mode, which the checks above tie to
the original function (`forward`, `second_order`):

- `srcgrad.jvp` along two random unit directions v gives the original's value and the tangent
  `<gradient, v>` (srcgrad's reverse-mode gradient) to about 1e-7 of the sizes of the terms:
  both are exact derivatives of the same code, so only rounding separates them. The tangent must
  be like the value (type, shape, float dtype), the call must leave the inputs and tangents
  alone, and a second call must give identical results.
- `srcgrad.hvp` along v against central differences of srcgrad's own gradients along v (steps
  HVP_STEP and HVP_STEP_CHECK), and the Hessian's symmetry, `<u, H v> = <v, H u>`; for a float
  parameter y, also `grad(grad(f, wrt=y, with_value=False), wrt=y)` against differences of the
  gradient's y component. Each product must be shaped like its parameter.

A disagreement is a suspicion and becomes a failure the same way as above (at two of three
nearby points; for the differenced Hessian, where the two steps agree with each other): second
derivatives are undefined at a kink or jump of the gradient, and generated programs have many.
A missing tangent rule (`NoRuleError`, "no forward-mode (tangent) rule") is not a failure: the
check is skipped and `Outcome.skipped` names the function. So is a container parameter (dict,
list, tuple) `jvp` refuses (the check then runs over the other parameters), and any other proper
refusal of jvp or hvp (see below).

Each program ends in one of four classes (`Outcome.verdict`):

- "pass": every check held;
- "refused": srcgrad declined the program with one of its user-facing errors
  (`UnsupportedSyntaxError`, `NoRuleError`, ...) whose message names the program's file and a
  line of it, is at most REFUSAL_LIMIT characters long and shows no array. That is srcgrad
  working as documented, not a failure;
- "wrong": a number or a property of the result is wrong: a gradient differs from finite
  differences or autograd, a value, jvp or hvp is off, an input array was changed, a gradient
  has the wrong kind or shares memory, two calls differ;
- "internal": anything else srcgrad raised: an exception from inside the generated code, an
  'internal error', a user-facing error without the user's file and line (or too long, or with
  an array's repr in it), a check that never finished.

(And, outside the four: "rejected", "invalid" and "known", see `Outcome`.)
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import importlib.util
import inspect
import itertools
import linecache
import math
import os
import re
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
from .program import Program, leaf_at, with_leaf

__all__ = ["Outcome", "check_program", "loaded_module", "autograd_available"]

FD_STEP, FD_STEP_CHECK = 1e-6, 1e-5
PERTURBATION = 1e-3
NEARBY_POINTS, NEEDED = 3, 2
VALUE_LIMIT = 1e6  # a program whose value is bigger (or not finite) is rejected, not checked
GRADIENT_LIMIT = 1e7
TIME_LIMIT = 20.0  # seconds for checking one program; more means something loops forever
FORWARD_DIRECTIONS = 2  # random directions jvp is checked along
FORWARD_RTOL = 1e-7  # of the sum of |gradient_i * v_i| and |tangent|: rounding only
HVP_STEP, HVP_STEP_CHECK = 1e-5, 1e-4  # central differences of gradients along v
SYMMETRY_RTOL = 1e-7
REFUSAL_LIMIT = 2000  # characters: a longer refusal is no message a user can read

# Outcome kinds (see Outcome.fail) that mean a wrong result; every other kind is an internal error.
WRONG_KINDS = frozenset(
    {"value", "gradient", "autograd", "mutation", "memory", "kind", "nondeterministic"}
    | {"jvp", "jvp-value", "jvp-kind", "hvp", "hvp-symmetry", "hvp-kind", "nested", "nested-value"}
    | {"nested-kind"}
)


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

    `status` is "passed", "refused" (srcgrad declined the program properly: `refusal` is the
    error's first line), "failed" (srcgrad is wrong or broke: `problems` says how, `verdict`
    whether "wrong" or "internal"), "known" (failed, but only the way a known, still open
    srcgrad bug fails: `known` names it, see `srcgrad.fuzz.known`), "rejected" (the program's
    value is not in a sane range, so it was not checked) or "invalid" (the program does not run
    as plain NumPy: a bug of the generator, not of srcgrad).
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
    forward_checked: bool = False  # jvp compared with reverse mode
    hvp_checked: bool = False  # hvp compared with differenced gradients
    nested_checked: bool = False  # grad of a grad compared with differenced gradients
    skipped: list[str] = field(default_factory=list)  # "jvp: no tangent rule for numpy.foo", ...
    refusal: str = ""  # with status "refused": the error's type and first line

    @property
    def ok(self) -> bool:
        return self.status in ("passed", "refused", "rejected", "known")

    @property
    def verdict(self) -> str:
        """The class of the program: "pass", "refused", "wrong" or "internal" (see the module
        docstring); "rejected", "invalid" or "known" for one not checked or failing a known way."""
        if self.status == "failed":
            return "wrong" if self.kinds & WRONG_KINDS else "internal"
        return {"passed": "pass"}.get(self.status, self.status)

    def fail(self, kind: str, message: str) -> None:
        self.status = "failed"
        self.kinds.add(kind)
        self.problems.append(f"[{kind}] {message}")

    def report(self) -> str:
        status = f"{self.status} ({self.verdict.upper()})" if self.status == "failed" else self.status
        lines = [f"{status}: program {self.program.name!r}, wrt={self.program.wrt}, input seed {self.seed}"]
        if self.refusal:
            lines.append(f"refusal: {self.refusal}")
        lines.append("parameters: " + ", ".join(p.describe() for p in self.program.params))
        lines += self.problems
        lines += [f"note: {n}" for n in self.notes]
        lines += [f"skipped: {n}" for n in self.skipped]
        lines += ["source:", self.program.source()]
        return "\n".join(lines)


def _srcgrad(function, wrt):
    import srcgrad

    return srcgrad.grad(function, wrt=wrt)


def _jvp(function, wrt):
    import srcgrad

    return srcgrad.jvp(function, wrt=wrt)


def _hvp(function, wrt):
    import srcgrad

    return srcgrad.hvp(function, wrt=wrt)


def _nested(function, name):
    import srcgrad

    return srcgrad.grad(srcgrad.grad(function, wrt=name, with_value=False), wrt=name)


def check_program(
    program: Program,
    seed: int,
    *,
    differentiate=None,
    autograd=None,
    inputs=None,
    known_bugs=True,
    forward=True,
    second_order=False,
) -> Outcome:
    """Check `program` at `program.inputs(seed)` (or at `inputs`); see the module docstring.

    `differentiate(function, wrt)` makes the gradient function (srcgrad's `grad` by default;
    the tests pass a broken one to see that the checks catch it). `autograd` is True, False or
    None (use it when installed). With `known_bugs`, a failure that only shows known bugs
    gets the status "known". `forward` (check `jvp`) and `second_order` (check `hvp` and a
    grad of a grad) are booleans, or, to check something else, `forward(function, wrt)` making
    a jvp function and `second_order(function, wrt)` making an hvp function (wrt a tuple).
    """
    outcome = Outcome(program, seed)
    differentiate = differentiate or _srcgrad
    forward = _jvp if forward is True else forward or None
    second_order = _hvp if second_order is True else second_order or None
    use_autograd = autograd_available() if autograd is None else autograd
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        with loaded_module(program.source()) as module:
            try:
                with _time_limit(TIME_LIMIT):
                    _check(outcome, module, differentiate, use_autograd, inputs, forward, second_order)
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
        self.leaves = []  # (parameter position, path in a container (or ()), shape or None for a float)
        positions = {p.name: i for i, p in enumerate(program.params)}
        for p in program.params:
            if not p.wrt:
                continue
            if p.leaves is not None:
                self.leaves += [(positions[p.name], path, shape) for path, shape in p.leaves]
            else:
                self.leaves.append((positions[p.name], (), p.shape))
        self.offsets = []  # (start, size) of each leaf in the flat vector of all elements
        start = 0
        for _, _, shape in self.leaves:
            size = 1 if shape is None else math.prod(shape)
            self.offsets.append((start, size))
            start += size
        self.size = start
        # Set when forward mode / second order are checked (see _setup_forward, _setup_second):
        self.forward = None  # srcgrad's jvp function
        self.forward_names = ()  # the parameters it takes tangents for
        self.forward_directions = []  # flat unit vectors (0 outside forward_names)
        self.second = None  # srcgrad's hvp function
        self.second_names = ()
        self.second_directions = []  # v, u
        self.nested = []  # (parameter name, grad of a grad, its flat index)
        self.path = ""  # the program's file (refusals must name it)
        # Parameters after the program's, with defaults (`def loss(x, y=alpha)` in a factory):
        # then jvp takes its tangents by name only (docs/higher-order.md), and hvp its vectors
        # after all the parameters, so the defaults are passed.
        extra = list(inspect.signature(function).parameters.values())[len(program.params) :]
        self.defaults = [p.default for p in extra]

    def call(self, function, point, tangents):
        """A jvp or hvp `function` at `point` along `tangents` (by name where they must be)."""
        if not self.defaults:
            return function(*point, *tangents)
        names = getattr(function, "tangent_names", None)
        if names is None:
            return function(*point, *self.defaults, *tangents)
        return function(*point, **dict(zip(names, tangents)))

    def labels(self) -> list[str]:
        labels = []
        for position, path, shape in self.leaves:
            name = self.program.params[position].name + "".join(f"[{key!r}]" for key in path)
            if not shape:
                labels.append(name)
            else:
                labels += [f"{name}[{', '.join(map(str, i))}]" for i in np.ndindex(*shape)]
        return labels

    def flatten(self, gradients, names=None) -> np.ndarray:
        """srcgrad's (or autograd's) gradients, one number per differentiated element (of the
        parameters `names`, by default all of them, in the order of the flat vector)."""
        names = self.program.wrt if names is None else names
        by_param = dict(zip(names, gradients))
        parts = []
        for position, path, _ in self.leaves:
            if self.program.params[position].name not in by_param:
                continue
            g = leaf_at(by_param[self.program.params[position].name], path)
            parts.append(np.ravel(np.asarray(g, dtype=np.float64)))
        return np.concatenate(parts) if parts else np.zeros(0)

    def mask(self, names) -> np.ndarray:
        """True at the flat elements of the parameters `names`."""
        mask = np.zeros(self.size, dtype=bool)
        for (position, _, _), (start, size) in zip(self.leaves, self.offsets):
            if self.program.params[position].name in names:
                mask[start : start + size] = True
        return mask

    def tangents(self, flat: np.ndarray, names) -> list:
        """The flat vector `flat` as one value per parameter of `names`, each like the parameter:
        a float, an array of its shape, or a container of such arrays."""
        values, leaves = {}, {}
        for (position, _, shape), (start, size) in zip(self.leaves, self.offsets):
            param = self.program.params[position]
            piece = flat[start : start + size]
            value = float(piece[0]) if shape is None else piece.reshape(shape).copy()
            if param.leaves is None:
                values[param.name] = value
            else:
                leaves.setdefault(param.name, []).append(value)
        for param in self.program.params:
            if param.name in leaves:
                values[param.name] = param.build(leaves[param.name])
        return [values[name] for name in names]

    def moved(self, point, flat: np.ndarray, step: float):
        """`point` with every differentiated element moved by `step` times `flat` (a copy)."""
        point = list(point)
        for (position, path, shape), (start, size) in zip(self.leaves, self.offsets):
            piece = step * flat[start : start + size]
            value = leaf_at(point[position], path)
            value = float(value) + float(piece[0]) if shape is None else value + piece.reshape(shape)
            point[position] = with_leaf(point[position], path, value)
        return point

    def differenced(self, point, flat: np.ndarray, step: float) -> np.ndarray:
        """Central differences of srcgrad's gradients along `flat`: the Hessian times `flat`."""
        up = self.flatten(self.gradient(*self.moved(point, flat, step))[1])
        down = self.flatten(self.gradient(*self.moved(point, flat, -step))[1])
        return (up - down) / (2 * step)

    def shifted(self, point, flat_index: int, delta: float):
        """`point` with one differentiated element moved by `delta` (a copy)."""
        for position, path, shape in self.leaves:
            size = 1 if shape is None else math.prod(shape)
            if flat_index >= size:
                flat_index -= size
                continue
            point = list(point)
            value = leaf_at(point[position], path)
            if shape is None:
                value = float(value) + delta
            else:
                value = value.copy()
                value.reshape(-1)[flat_index] += delta
            point[position] = with_leaf(point[position], path, value)
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
        if isinstance(value, (list, tuple)):
            return type(value)(move(v) for v in value)
        if isinstance(value, float):
            return value + PERTURBATION * float(rng.standard_normal())
        return value + PERTURBATION * rng.standard_normal(value.shape)

    return [move(v) for v in point]


def _same_inputs(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same_inputs(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same_inputs(x, y) for x, y in zip(a, b))
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


def _check(
    outcome: Outcome, module, differentiate, use_autograd: bool, inputs, forward, second_order
) -> None:
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
        flaw = _improper_refusal(exc, module.__file__)
        if flaw is None:
            outcome.status = "refused"
            outcome.refusal = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
            return
        outcome.fail("error", f"srcgrad raised {type(exc).__name__} ({flaw}): {_clip(str(exc))}")
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
    case.path = module.__file__
    rng = np.random.default_rng([outcome.seed, 2])
    directions = [rng.standard_normal(case.size) for _ in range(FORWARD_DIRECTIONS)]
    if forward is not None and case.size:
        outcome.stage = "generating and running srcgrad's jvp"
        _setup_forward(outcome, case, base, directions, forward)
    if second_order is not None and case.size:
        outcome.stage = "generating and running srcgrad's hvp"
        _setup_second(outcome, case, base, directions, second_order)
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


def _check_kinds(
    outcome: Outcome, gradients, base, names=None, what="gradient", kind="kind", others=()
) -> None:
    """Each gradient (or each `what`, of the parameters `names`) like its parameter (shape,
    dtype, float for a float), in its own memory (not that of `base` or of `others`)."""
    program = outcome.program
    names = program.wrt if names is None else names
    if not isinstance(gradients, tuple) or len(gradients) != len(names):
        outcome.fail(kind, f"expected a tuple of {len(names)} {what}s, got {type(gradients).__name__}")
        return
    values = dict(zip((p.name for p in program.params), base))
    for name, g in zip(names, gradients):
        pairs = []
        problem = _leaf_pairs(name, g, values[name], pairs)
        if problem:
            outcome.fail(kind, f"{what} for {problem}")
            continue
        for label, gi, pi in pairs:
            if isinstance(pi, float):
                if type(gi) is not float:
                    outcome.fail(kind, f"{what} for float {label!r} is a {type(gi).__name__}, not a float")
            elif type(gi) is not np.ndarray or gi.shape != pi.shape or gi.dtype != pi.dtype:
                got = f"{type(gi).__name__} {getattr(gi, 'dtype', '')} {np.shape(gi)}"
                outcome.fail(kind, f"{what} for {label!r} is {got}, not float64 {pi.shape}")
    inputs = list(_arrays(base)) + list(_arrays(list(others)))
    grads = list(_arrays(gradients))
    for i, g in enumerate(grads):
        shared = [a for a in inputs if np.shares_memory(g, a)]
        if shared:
            view = " that is a view" if any(a.base is not None for a in shared) else ""
            outcome.fail("memory", f"a {what} shares memory with an input array{view}")
        if any(np.shares_memory(g, h) for h in grads[i + 1 :]):
            outcome.fail("memory", f"two {what}s share memory")


def _leaf_pairs(label: str, g, p, pairs: list) -> str | None:
    """(label, gradient, parameter) for each leaf of the parameter `p` added to `pairs`; or what
    is wrong with the containers of `g` (not those of `p`: a dict for a dict, with the same keys;
    a list for a list, a tuple for a tuple, of the same length)."""
    if isinstance(p, dict):
        if not isinstance(g, dict) or g.keys() != p.keys():
            return f"{label!r} is not a dict with keys {list(p)}"
    elif isinstance(p, (list, tuple)):
        if type(g) is not type(p) or len(g) != len(p):
            return f"{label!r} is a {type(g).__name__}, not a {type(p).__name__} of {len(p)} items"
    else:
        pairs.append((label, g, p))
        return None
    for key in p if isinstance(p, dict) else range(len(p)):
        problem = _leaf_pairs(f"{label}[{key!r}]", g[key], p[key], pairs)
        if problem:
            return problem
    return None


def _improper_refusal(exc: Exception, path: str) -> str | None:
    """None if `exc` is a proper refusal of the program in the file `path` (see the module
    docstring); else what makes it an internal error."""
    from srcgrad.errors import SrcgradError

    text = str(exc)
    if not isinstance(exc, SrcgradError):
        generated = [f.filename for f in traceback.extract_tb(exc.__traceback__)]
        inside = any(name.startswith("<srcgrad") for name in generated)
        inside = " raised inside srcgrad's generated code" if inside else ""
        return f"not one of srcgrad's user-facing errors{inside}"
    if type(exc) is SrcgradError or "internal error" in text:
        return "an internal error"
    lines = {int(n) for name, n in re.findall(r'File "([^"]+)", line (\d+)', text) if name == path}
    with open(path, encoding="utf-8") as fh:
        length = len(fh.read().splitlines())
    if not any(1 <= n <= length for n in lines):
        return "a refusal that names no line of the program's file"
    if len(text) > REFUSAL_LIMIT:
        return f"a refusal of {len(text)} characters"
    if re.search(r"array\(|\[\[?\s*-?\d+\.\d*(e[-+]?\d+)?\s+-?\d", text):
        return "a refusal that shows an array"
    return None


def _clip(text: str, limit: int = REFUSAL_LIMIT) -> str:
    return text if len(text) <= limit else text[:limit] + f" ... ({len(text) - limit} more characters)"


def _missing_rule(exc: Exception) -> str | None:
    """The function named by a NoRuleError for a missing tangent rule (else None)."""
    from srcgrad.errors import NoRuleError

    text = str(exc)
    if not isinstance(exc, NoRuleError) or "no forward-mode (tangent) rule" not in text:
        return None
    match = re.search(r"tangent\) rule for ([^\s,]+)", text)
    return match.group(1) if match else "?"


def _refuses_containers(exc: Exception, program: Program, names) -> bool:
    """jvp/hvp refused a container parameter (their tangents are floats or arrays only)."""
    from srcgrad.errors import ArgumentTypeError

    containers = {p.name for p in program.params if p.leaves is not None}
    said = re.search(r"is a (dict|list|tuple)\b", str(exc))
    return isinstance(exc, ArgumentTypeError) and bool(said) and bool(containers & set(names))


def _unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


def _first_call(outcome: Outcome, case: _Case, mode: str, make, base, directions):
    """Make srcgrad's `mode` function (jvp or hvp) with `make` and call it once along the first
    direction: (function, parameters, unit directions, result, tangents), or None when it was
    skipped (a missing tangent rule) or failed. A dict parameter that it refuses is left out."""
    program = outcome.program
    names = program.wrt
    while True:
        mask = case.mask(names)
        units = [_unit(d * mask) for d in directions]
        tangents = case.tangents(units[0], names)
        try:
            function = make(case.function, tuple(names))
            result = case.call(function, base, tangents)
        except Exception as exc:
            rule = _missing_rule(exc)
            if rule is not None:
                outcome.skipped.append(f"{mode}: no tangent rule for {rule}")
                return None
            if _refuses_containers(exc, program, names):
                outcome.skipped.append(
                    f"{mode}: takes no container parameter (documented; checked without them)"
                )
                names = tuple(n for n in names if n not in {p.name for p in program.params if p.leaves})
                if names:
                    continue
                return None
            flaw = _improper_refusal(exc, case.path)
            if flaw is None:
                outcome.skipped.append(f"{mode}: refused: {type(exc).__name__}: {str(exc).splitlines()[0]}")
                return None
            message = f"srcgrad's {mode} raised {type(exc).__name__} ({flaw}): {_clip(str(exc))}"
            outcome.fail(f"{mode}-error", message)
            return None
        return function, names, units, result, tangents


def _setup_forward(outcome: Outcome, case: _Case, base, directions, make) -> None:
    """srcgrad's jvp, called once; its exact properties (the numbers: `_numeric`)."""
    pristine = copy.deepcopy(base)
    made = _first_call(outcome, case, "jvp", make, base, directions)
    if made is None:
        return
    function, names, units, first, tangents = made
    if not (isinstance(first, tuple) and len(first) == 2):
        outcome.fail("jvp-kind", f"jvp returned a {type(first).__name__}, not (value, tangent)")
        return
    value, tangent = first
    like = type(value) is type(tangent) and np.shape(tangent) == np.shape(value)
    if not like or np.asarray(tangent).dtype.kind != "f":

        def describe(x):
            return f"a {type(x).__name__} (shape {np.shape(x)}, dtype {np.asarray(x).dtype})"

        outcome.fail("jvp-kind", f"the tangent is {describe(tangent)}, the value {describe(value)}")
        return
    if not _same_inputs_tree(base, pristine):
        outcome.fail("mutation", "srcgrad's jvp changed its input arrays")
        base[:] = copy.deepcopy(pristine)
    if not _same_inputs_tree(tangents, case.tangents(units[0], names)):
        outcome.fail("mutation", "srcgrad's jvp changed its tangent arrays")
    try:
        second = case.call(function, base, case.tangents(units[0], names))
    except Exception as exc:
        outcome.fail("jvp-error", f"the second call of jvp raised {type(exc).__name__}: {exc}")
        return
    if not _identical(first, second):
        outcome.fail("nondeterministic", "two calls of jvp with the same inputs gave different results")
    case.forward, case.forward_names, case.forward_directions = function, names, units
    outcome.forward_checked = True


def _setup_second(outcome: Outcome, case: _Case, base, directions, make) -> None:
    """srcgrad's hvp (and, for a float parameter, grad of a grad), called once; the kinds of
    their results (the numbers: `_numeric`)."""
    pristine = copy.deepcopy(base)
    made = _first_call(outcome, case, "hvp", make, base, directions)
    if made is not None:
        function, names, units, products, tangents = made
        problems = len(outcome.problems)
        _check_kinds(outcome, products, base, names, "Hessian-vector product", "hvp-kind", tangents)
        if not _same_inputs_tree(base, pristine):
            outcome.fail("mutation", "srcgrad's hvp changed its input arrays")
            base[:] = copy.deepcopy(pristine)
        if len(outcome.problems) == problems:  # numbers only from products of the right kind
            case.second, case.second_names, case.second_directions = function, names, units
            outcome.hvp_checked = True
    floats = [p.name for p in outcome.program.params if p.wrt and p.shape is None and p.leaves is None]
    if not floats:
        return
    name = floats[0]
    try:
        nested = _nested(case.function, name)
        _, result = nested(*base)
    except Exception as exc:
        rule = _missing_rule(exc)
        flaw = _improper_refusal(exc, case.path) if rule is None else None
        if rule is not None:
            outcome.skipped.append(f"grad of grad: no tangent rule for {rule}")
        elif flaw is None:
            outcome.skipped.append(f"grad of grad: refused: {type(exc).__name__}: {str(exc).splitlines()[0]}")
        else:
            message = f"srcgrad's grad of a grad raised {type(exc).__name__} ({flaw}): {_clip(str(exc))}"
            outcome.fail("nested-error", message)
        return
    if type(result) is not float:
        outcome.fail("nested-kind", f"grad of a grad for float {name!r} is a {type(result).__name__}")
        return
    index = int(np.flatnonzero(case.mask((name,)))[0])
    case.nested.append((name, nested, index))
    outcome.nested_checked = True


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
    if case.forward is not None:
        try:
            _forward_numeric(case, point, expected, analytic, found)
        except Exception as exc:
            found["jvp-error"] = f"srcgrad's jvp raised {type(exc).__name__}: {exc}"
    if case.second is not None or case.nested:
        try:
            _second_numeric(case, point, analytic, confirm, found)
        except Exception as exc:
            found["hvp-error"] = f"srcgrad's hvp or grad of a grad raised {type(exc).__name__}: {exc}"
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


def _forward_numeric(case: _Case, point, expected: float, analytic: np.ndarray, found: dict) -> None:
    """jvp along each direction: the original's value, and `<gradient, v>` up to rounding."""
    labels = case.labels()
    for v in case.forward_directions:
        value, tangent = case.call(case.forward, point, case.tangents(v, case.forward_names))
        if not _close(float(value), expected, 1e-9, 1e-9):
            found["jvp-value"] = f"jvp's value {float(value)!r}, the original function's {expected!r}"
        tangent = float(tangent)
        dot = float(analytic @ v)
        terms = np.abs(analytic) * np.abs(v)
        scale = float(np.sum(terms)) + abs(dot) + abs(tangent)
        if not abs(tangent - dot) <= 1e-10 + FORWARD_RTOL * scale:  # also catches nan
            biggest = np.argsort(-terms)[:3]
            along = ", ".join(f"{labels[i]} {v[i]:.3g}" for i in biggest if v[i])
            found["jvp"] = (
                f"jvp's tangent {tangent!r}, <gradient, v> {dot!r} (difference {tangent - dot:.3g}); "
                f"v along {along}{', ...' if len(labels) > 3 else ''}"
            )


def _second_numeric(case: _Case, point, analytic: np.ndarray, confirm: bool, found: dict) -> None:
    """hvp along v against differenced gradients and the Hessian's symmetry; grad of a grad.

    Without `confirm` every disagreement with differences of step HVP_STEP counts; with it, only
    those where steps HVP_STEP and HVP_STEP_CHECK agree with each other and not with srcgrad."""
    labels = case.labels()
    atol, rtol = 1e-5 * (1 + float(np.max(np.abs(analytic), initial=0.0))), 1e-4

    def compare(computed, along, indices):
        """Flat indices where `computed` (at `indices`) and the differenced gradients along
        `along` disagree, with the differences (one or both steps)."""
        differenced = case.differenced(point, along, HVP_STEP)[indices]
        if not np.all(np.isfinite(differenced)):
            return np.zeros(0, dtype=int), differenced, None  # the gradient blows up nearby
        bad = np.flatnonzero(~_close(computed, differenced, atol, rtol))
        check = None
        if bad.size and confirm:
            check = case.differenced(point, along, HVP_STEP_CHECK)[indices][bad]
            keep = _close(differenced[bad], check, atol, rtol) & ~_close(computed[bad], check, atol, rtol)
            bad, check = bad[keep], check[keep]
        return bad, differenced, check

    if case.second is not None:
        names = case.second_names
        indices = np.flatnonzero(case.mask(names))
        v, u = case.second_directions
        hv = case.flatten(case.call(case.second, point, case.tangents(v, names)), names)
        bad, differenced, check = compare(hv, v, indices)
        if bad.size:
            worst = int(np.argmax(np.abs(hv[bad] - differenced[bad])))
            i = bad[worst]
            also = "" if check is None else f" ({float(check[worst])!r} with step {HVP_STEP_CHECK:g})"
            found["hvp"] = (
                f"(H v)[{labels[indices[i]]}]: srcgrad's hvp {float(hv[i])!r}, differenced gradients "
                f"{float(differenced[i])!r}{also}; {bad.size} of {indices.size} elements differ"
            )
        hu = case.flatten(case.call(case.second, point, case.tangents(u, names)), names)
        a, b = float(u[indices] @ hv), float(v[indices] @ hu)
        scale = float(np.abs(u[indices]) @ np.abs(hv) + np.abs(v[indices]) @ np.abs(hu))
        if not abs(a - b) <= 1e-10 * (1 + scale) + SYMMETRY_RTOL * scale:
            found["hvp-symmetry"] = f"<u, H v> {a!r} but <v, H u> {b!r} (u, v random unit vectors)"
    for name, nested, index in case.nested:
        gradient, second = nested(*point)
        if not _close(float(gradient), analytic[index], 1e-9, 1e-9):
            found["nested-value"] = (
                f"grad of a grad's value for {name!r}: {float(gradient)!r}, srcgrad's gradient "
                f"{float(analytic[index])!r}"
            )
        basis = np.zeros(case.size)
        basis[index] = 1.0
        bad, differenced, check = compare(np.array([float(second)]), basis, np.array([index]))
        if bad.size:
            also = "" if check is None else f" ({float(check[0])!r} with step {HVP_STEP_CHECK:g})"
            found["nested"] = (
                f"d2/d{name}2: srcgrad's grad of a grad {float(second)!r}, differenced gradients "
                f"{float(differenced[0])!r}{also}"
            )
