"""Checking one program: `check_program` loads it as a real module (`loaded_module`), runs the
original and srcgrad's gradient under a time limit, then the exact checks and the numbers."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import importlib.util
import itertools
import linecache
import os
import shutil
import signal
import sys
import tempfile
import threading
import traceback
import warnings

import numpy as np

from ..known import known_failure
from ..program import Program
from .case import _Case
from .exact import _check_kinds, _identical, _same_inputs_tree
from .higher import FORWARD_DIRECTIONS, _hvp, _jvp, _setup_forward, _setup_second
from .numeric import VALUE_LIMIT, _autograd_gradient, _compare
from .outcome import Outcome, _clip, _improper_refusal

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


def _srcgrad(function, wrt):
    import srcgrad

    return srcgrad.grad(function, wrt=wrt)


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
