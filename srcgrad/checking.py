"""`srcgrad check FILE.py:FUNCTION`: fuzz a function's gradients against finite differences.

`run_check` loads the file as a module, draws arguments with hypothesis (their shapes from a
`<function>_example()` in the module, else from the parameters' annotations, see
docs/testing.md), and runs `srcgrad.testing.check_grads` on each draw (`mode` "reverse", the
gradient; "forward", the Jacobian-vector products of `srcgrad.jvp`; or "both"). A mismatch is
shrunk by hypothesis to a minimal input, printed as Python to paste. Exit codes: 0 all examples agree,
1 a gradient mismatch (or srcgrad's gradient raised where the function did not), 2 a usage or
user error (bad target, no way to draw inputs, code srcgrad cannot differentiate).

Finite differences disagree with any correct gradient at a kink (`abs` at 0, ties of `maximum`),
and hypothesis likes such points (zeros, repeated values). So, as in `srcgrad.fuzz`, a mismatch
counts only if it shows again at two of three nearby points (every float moved by about 1e-3):
a wrong derivative persists there, a kink does not.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import re
import sys
import time
import traceback
import warnings
from dataclasses import dataclass

import numpy as np

from .api import grad
from .errors import ArgumentTypeError, NoGradientError, SrcgradError, describe
from .functions.gradient import GradFunction
from .loading import UsageError, example_arguments
from .loading import load_module as load_file
from .testing import MODES, GradientMismatch, check_grads

__all__ = ["run_check", "parse_annotation", "CheckUsageError"]

NEARBY_POINTS, NEEDED = 3, 2
PERTURBATION = 1e-3
DIM_SIDES = (1, 4)  # a named dimension of an annotation is drawn in this range, once per example
DEFAULT_RANGE = (-2.0, 2.0)


class CheckUsageError(Exception):
    """A problem with the command's target or inputs (exit code 2); the message is one line,
    possibly followed by a source excerpt."""


# -- loading the target -----------------------------------------------------------------------


def parse_target(target: str) -> tuple[str, str]:
    path, sep, name = target.rpartition(":")
    if not sep or not path or not name:
        raise CheckUsageError(f"expected path/to/file.py:function, got {target!r}")
    if not name.isidentifier():
        raise CheckUsageError(f"{name!r} in {target!r} is not a function name")
    if not os.path.isfile(path):
        raise CheckUsageError(f"no such file: {path}")
    if not path.endswith(".py"):
        raise CheckUsageError(f"{path} is not a Python file (.py)")
    return path, name


def load_module(path: str):
    """The file imported as a module, as `srcgrad show` and `export` import it."""
    try:
        return load_file(path)
    except UsageError as exc:
        raise CheckUsageError(str(exc).rstrip(".")) from exc


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return type(exc).__name__ + (f": {text[0]}" if text else "")


def _where(exc: BaseException, path: str) -> str:
    """The deepest frame of `exc` in the user's file, as a source excerpt."""
    path = os.path.abspath(path)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) == path]
    if not frames:
        return ""
    f = frames[-1]
    return f'\n  File "{f.filename}", line {f.lineno}, in {f.name}\n    {(f.line or "").strip()}'


# -- the inputs ---------------------------------------------------------------------------------

_DTYPES = {
    "float": np.float64,
    "float64": np.float64,
    "f64": np.float64,
    "float32": np.float32,
    "f32": np.float32,
    "float16": np.float16,
    "f16": np.float16,
}
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_ANNOTATION = re.compile(
    rf"^\s*(?P<dtype>[a-z0-9]+)\s*(?:\[(?P<dims>[^\]]*)\])?"
    rf"\s*(?:in\s*[\[(]\s*(?P<low>{_NUMBER})\s*,\s*(?P<high>{_NUMBER})\s*[\])])?\s*$"
)


@dataclass(frozen=True)
class ArraySpec:
    """A parameter annotated `"float64[n, 3] in [0.1, 2]"`: dtype, dims (ints and names), range.
    `dims` None means a Python float (annotated `float`)."""

    dtype: np.dtype
    dims: tuple | None
    low: float
    high: float


def parse_annotation(annotation) -> ArraySpec | None:
    """The ArraySpec of a parameter annotation, or None if it is not one (see docs/testing.md).

    >>> parse_annotation("f32[n, 3] in [0.5, 2]")
    ArraySpec(dtype=dtype('float32'), dims=('n', 3), low=0.5, high=2.0)
    >>> parse_annotation(float).dims is None
    True
    """
    if annotation is float:
        annotation = "float"
    if not isinstance(annotation, str):
        return None
    m = _ANNOTATION.match(annotation)
    if not m or m["dtype"] not in _DTYPES:
        return None
    low, high = (float(m["low"]), float(m["high"])) if m["low"] is not None else DEFAULT_RANGE
    if not low < high:
        raise CheckUsageError(f"annotation {annotation!r}: the range needs low < high")
    if m["dims"] is None:
        if m["dtype"] != "float":
            return None  # "float64" alone: a NumPy scalar type name, not ours to guess
        return ArraySpec(np.dtype(np.float64), None, low, high)
    dims = []
    for d in (d.strip() for d in m["dims"].split(",")):
        if d.isdigit():
            dims.append(int(d))
        elif d.isidentifier():
            dims.append(d)
        elif d:
            raise CheckUsageError(f"annotation {annotation!r}: {d!r} is neither a length nor a name")
    return ArraySpec(np.dtype(_DTYPES[m["dtype"]]), tuple(dims), low, high)


def example_strategy(fn, module, name):
    """(strategy of (args, kwargs), description, names of nested parameters) for `fn`: from
    `<name>_example()` if the module has one, else from the annotations."""
    from hypothesis import strategies as st

    from .testing.strategies import like

    signature = inspect.signature(fn)
    try:
        example = example_arguments(vars(module), name)
    except Exception as exc:
        where = _where(exc, module.__file__)
        raise CheckUsageError(f"{name}_example() raised {_one_line(exc)}{where}") from exc
    if example is not None:
        args, kwargs = example
        try:
            signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise CheckUsageError(
                f"{name}_example() returns arguments {name} does not accept: {exc}"
            ) from exc
        strategy = st.tuples(
            st.tuples(*map(like, args)), st.fixed_dictionaries({k: like(v) for k, v in kwargs.items()})
        )
        bound = signature.bind(*args, **kwargs).arguments
        nested = {k for k, v in bound.items() if isinstance(v, (dict, list, tuple))}
        return strategy, f"shapes from {name}_example()", nested

    specs, missing = {}, []
    for p in signature.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        spec = parse_annotation(p.annotation) if p.annotation is not p.empty else None
        if spec is not None:
            specs[p.name] = (p, spec)
        elif p.default is p.empty:
            missing.append(p.name)
    if missing:
        raise CheckUsageError(
            f"cannot draw inputs for {name}: no {name}_example() in {os.path.basename(module.__file__)} "
            f"and no shape annotation on {', '.join(missing)} "
            f'(annotate like  W: "float64[n, 3]", or see docs/testing.md)'
        )
    if not specs:
        raise CheckUsageError(f"cannot draw inputs for {name}: it has no parameters to draw")
    names = sorted({d for _, s in specs.values() for d in (s.dims or ()) if isinstance(d, str)})

    @st.composite
    def draw_inputs(draw):
        sides = {n: draw(st.integers(*DIM_SIDES)) for n in names}
        args, kwargs = [], {}
        for pname, (p, spec) in specs.items():
            elements = st.floats(
                spec.low, spec.high, allow_nan=False, allow_infinity=False, allow_subnormal=False
            )
            if spec.dims is None:
                value = draw(elements)
            else:
                from hypothesis.extra import numpy as hnp

                shape = tuple(sides[d] if isinstance(d, str) else d for d in spec.dims)
                a = draw(hnp.arrays(np.float64, shape, elements=elements)).astype(spec.dtype)
                value = np.clip(a, spec.dtype.type(spec.low), spec.dtype.type(spec.high)).astype(spec.dtype)
            if p.kind is p.KEYWORD_ONLY or kwargs:  # after a skipped (defaulted) one, go by name
                kwargs[pname] = value
            elif list(signature.parameters).index(pname) == len(args):
                args.append(value)
            else:
                kwargs[pname] = value
        return tuple(args), kwargs

    return draw_inputs(), "shapes from annotations", set()


# -- one example ---------------------------------------------------------------------------------


class _Failure(Exception):
    """A confirmed mismatch at `args, kwargs` (raised inside the hypothesis test, so it shrinks)."""

    def __init__(self, args, kwargs, cause):
        super().__init__(str(cause))
        self.call_args, self.call_kwargs, self.cause = args, kwargs, cause


class _Rejected(Exception):
    pass


def _perturbed(value, rng):
    """`value` with every float moved by about PERTURBATION of its size (a nearby point)."""
    if isinstance(value, dict):
        return {k: _perturbed(v, rng) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [_perturbed(v, rng) for v in value]
        return type(value)(items) if type(value) in (list, tuple) else type(value)(*items)
    if type(value) is float:
        return value + PERTURBATION * max(abs(value), 0.1) * float(rng.standard_normal())
    if isinstance(value, (np.ndarray, np.floating)) and np.issubdtype(value.dtype, np.floating):
        move = PERTURBATION * np.maximum(np.abs(value), 0.1) * rng.standard_normal(np.shape(value))
        moved = np.asarray(value + move).astype(value.dtype)
        return moved if isinstance(value, np.ndarray) else moved[()]
    return value


def _problem(g, args, kwargs, mode="reverse"):
    """None if the derivatives at (args, kwargs) agree with finite differences, else the
    GradientMismatch or the exception srcgrad's generated code raised. Raises _Rejected where the
    function itself fails or is not finite (nothing to compare)."""
    try:
        value = g.fn(*args, **kwargs)
    except Exception as exc:
        raise _Rejected(f"{g.fn.__name__} raised {_one_line(exc)}") from exc
    try:
        finite = bool(np.all(np.isfinite(np.asarray(value, dtype=np.float64))))
    except (TypeError, ValueError):
        finite = True
    if not finite:  # a number as itself; an array by its shape and dtype, never its elements
        if np.ndim(value) == 0:
            raise _Rejected(f"{g.fn.__name__} returned {float(value)!r}")
        raise _Rejected(f"{g.fn.__name__} returned {describe(value)} with NaN or infinite elements")
    try:
        check_grads(g, *args, mode=mode, **kwargs)
    except GradientMismatch as exc:
        return exc
    except NoGradientError as exc:  # no derivative at this point, by design: not a draw to check
        raise _Rejected(_one_line(exc)) from exc
    except SrcgradError:
        raise
    except Exception as exc:
        return exc
    return None


# -- the command ----------------------------------------------------------------------------------


class _Progress:
    """A text bar on stderr while examples run (only on a terminal)."""

    def __init__(self, total, stream):
        self.total, self.stream = total, stream
        self.active = hasattr(stream, "isatty") and stream.isatty()
        self.done = self.shrinks = 0
        self.last = 0.0

    def example(self):
        self.done += 1
        self._draw()

    def shrink(self):
        self.shrinks += 1
        self._draw()

    def _draw(self):
        now = time.monotonic()
        if not self.active or now - self.last < 0.05:
            return
        self.last = now
        if self.shrinks:
            text = f"found a mismatch; shrinking it ({self.shrinks} tries)"
        else:
            width = 30
            full = width * min(self.done, self.total) // max(self.total, 1)
            text = f"[{'#' * full}{'.' * (width - full)}] {min(self.done, self.total)}/{self.total} examples"
        self.stream.write("\r" + text + "\033[K")
        self.stream.flush()

    def close(self):
        if self.active:
            self.stream.write("\r\033[K")
            self.stream.flush()


def run_check(
    target: str,
    wrt: list[str] | None,
    examples: int = 100,
    seed: int | None = None,
    debug: bool = False,
    *,
    mode: str = "reverse",
    out=None,
    err=None,
) -> int:
    """Run `srcgrad check TARGET`; print the outcome; return the exit code (0, 1 or 2). `mode`
    is check_grads': "reverse" (the gradient), "forward" (srcgrad.jvp) or "both"."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    try:
        return _run(target, wrt, examples, seed, out, err, mode)
    except (CheckUsageError, SrcgradError) as exc:
        if debug:
            traceback.print_exc(file=err)
        print(f"srcgrad check: error: {exc}", file=err)
        return 2
    except KeyboardInterrupt:
        print("srcgrad check: interrupted", file=err)
        return 130


def _run(target, wrt, examples, seed, out, err, mode="reverse") -> int:
    try:
        from hypothesis import HealthCheck, Phase, Verbosity, given, settings
        from hypothesis import seed as hypothesis_seed
        from hypothesis.errors import FailedHealthCheck, Unsatisfiable
        from hypothesis.reporting import with_reporter
    except ImportError as exc:
        raise CheckUsageError("srcgrad check needs hypothesis: pip install hypothesis") from exc
    if examples < 1:
        raise CheckUsageError(f"--examples must be at least 1, got {examples}")
    if mode not in MODES:
        raise CheckUsageError(f"--mode must be one of {', '.join(MODES)}, got {mode!r}")
    path, name = parse_target(target)
    module = load_module(path)
    obj = getattr(module, name, None)
    if obj is None:
        defined = sorted(
            k for k, v in vars(module).items() if inspect.isfunction(v) or isinstance(v, GradFunction)
        )
        raise CheckUsageError(
            f"{path} has no function {name!r}" + (f" (it defines {', '.join(defined)})" if defined else "")
        )
    if isinstance(obj, GradFunction):
        fn, default_wrt = obj.fn, tuple(obj.wrt)
    elif inspect.isfunction(obj):
        fn, default_wrt = obj, None
    else:
        raise CheckUsageError(f"{path}:{name} is a {type(obj).__name__}, not a function")
    chosen = tuple(wrt) if wrt else default_wrt
    g = grad(fn, wrt=chosen if chosen is not None else (next(iter(inspect.signature(fn).parameters), 0),))
    strategy, described, nested = example_strategy(fn, module, name)
    if mode != "reverse" and nested.intersection(g.wrt):
        raise CheckUsageError(
            f"--mode {mode}: forward mode does not take nested parameters (dicts, lists, tuples) "
            f"yet, and {', '.join(sorted(nested.intersection(g.wrt)))} of {name} is one; "
            f"use --mode reverse"
        )
    if not nested.intersection(g.wrt):
        _ = g.source  # generate now: code srcgrad cannot differentiate is a user error, not a draw
        if mode != "reverse":  # and a function without a forward-mode (tangent) rule
            from .api import jvp

            _ = jvp(fn, wrt=tuple(g.wrt)).source
    seed = seed if seed is not None else int.from_bytes(os.urandom(4), "little")

    progress = _Progress(examples, err)
    state = {"abort": None, "failing": False, "rejected": None, "valid": 0}

    def examine(drawn):
        if state["abort"] is not None:
            return
        args, kwargs = drawn
        if state["failing"]:
            progress.shrink()
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                problem = _problem(g, args, kwargs, mode)
                if problem is not None:
                    # a kink or tie at this point, or a real bug: ask the nearby points
                    rng = np.random.default_rng(0)
                    confirmed = 0
                    for _ in range(NEARBY_POINTS):
                        near_args, near_kwargs = _perturbed(args, rng), _perturbed(kwargs, rng)
                        with contextlib.suppress(_Rejected):  # not finite there: no evidence
                            confirmed += _problem(g, near_args, near_kwargs, mode) is not None
                    if confirmed >= NEEDED:
                        state["failing"] = True
                        raise _Failure(args, kwargs, problem)
        except _Rejected as exc:
            state["rejected"] = state["rejected"] or str(exc)
            from hypothesis import reject

            reject()
        except (ArgumentTypeError, SrcgradError) as exc:
            state["abort"] = exc
            return
        if not state["failing"]:
            state["valid"] += 1
            progress.example()

    test = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=False,
        report_multiple_bugs=False,
        print_blob=False,
        verbosity=Verbosity.quiet,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )(given(strategy)(examine))
    test = hypothesis_seed(seed)(test)
    wrt_text = ", ".join(g.wrt)
    started = time.monotonic()
    failure = None
    try:
        with with_reporter(lambda *_: None):
            test()
    except _Failure as exc:
        failure = exc
    except (FailedHealthCheck, Unsatisfiable) as exc:
        reason = f" (e.g. {state['rejected']})" if state["rejected"] else ""
        raise CheckUsageError(
            f"could not draw inputs for {name} where it runs and returns a finite value{reason}; "
            f"check the ranges its inputs are drawn from ({described}, see docs/testing.md)"
        ) from exc
    finally:
        progress.close()
    elapsed = time.monotonic() - started
    if state["abort"] is not None:
        raise state["abort"]
    if failure is None:
        checked, also = {
            "reverse": ("gradients", ""),
            "forward": ("forward-mode derivatives (jvp)", " and the gradients"),
            "both": ("gradients and forward-mode derivatives (jvp)", ""),
        }[mode]
        print(
            f"ok: {name} ({path}): {checked} with respect to {wrt_text} match central differences"
            f"{also} on {state['valid']} examples ({described}, seed {seed}, {elapsed:.1f} s)",
            file=out,
        )
        return 0
    print(_report(failure, g, name, path, module, obj, wrt, seed, state["valid"], mode), file=out)
    return 1


# -- the report ------------------------------------------------------------------------------------


def _report(failure, g, name, path, module, obj, wrt, seed, valid, mode="reverse") -> str:
    cause = failure.cause
    lines = [f"FAIL: {name} ({path}), after {valid} passing examples (seed {seed}):"]
    if isinstance(cause, GradientMismatch):
        summary = str(cause).split("\ngenerated code:", 1)[0]
        lines += ["  " + line for line in summary.splitlines()]
    else:
        code = "gradient" if mode == "reverse" else "generated code"
        lines.append(f"  srcgrad's {code} raised {_one_line(cause)} where {name} itself ran")
    params = list(inspect.signature(g.fn).parameters)
    assigns, call = [], []
    for i, a in enumerate(failure.call_args):
        pname = params[i] if i < len(params) else f"arg{i}"
        assigns.append(f"{pname} = {to_python(a)}")
        call.append(pname)
    for k, v in failure.call_kwargs.items():
        assigns.append(f"{k} = {to_python(v)}")
        call.append(f"{k}={k}")
    directory = os.path.dirname(os.path.abspath(path))
    stem = os.path.splitext(os.path.basename(path))[0]
    wrt_arg = f", wrt={tuple(g.wrt)!r}"
    mode_arg = "" if mode == "reverse" else f", mode={mode!r}"
    target = name
    if isinstance(obj, GradFunction) and not wrt:
        wrt_arg = ""  # the decorated function carries its own wrt
    elif isinstance(obj, GradFunction):
        target = f"{name}.fn"
    lines += [
        "",
        "Minimal failing input (paste into Python to reproduce):",
        "",
        "import sys",
        "import numpy as np",
        "from srcgrad.testing import check_grads",
        f"sys.path.insert(0, {directory!r})",
        f"from {stem} import {name}" if stem.isidentifier() else f"# import {name} from {path}",
        *assigns,
        f"check_grads({target}, {', '.join(call)}{wrt_arg}{mode_arg})",
    ]
    return "\n".join(lines)


def to_python(value) -> str:
    """Python source that recreates `value` exactly (floats by their shortest repr).

    >>> to_python(np.array([[0.5, 1.0]], dtype=np.float32))
    'np.array([[0.5, 1.0]], dtype=np.float32)'
    >>> to_python({"b": np.zeros((2, 3)), "n": 3})
    "{'b': np.zeros((2, 3)), 'n': 3}"
    """
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {to_python(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(map(to_python, value)) + "]"
    if isinstance(value, tuple) and type(value) is tuple:
        return "(" + ", ".join(map(to_python, value)) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, np.ndarray):
        dtype = "" if value.dtype == np.float64 else f", dtype=np.{value.dtype.name}"
        if value.size > 1 and np.all(value == value.flat[0]):
            first = value.flat[0].item()
            if first == 0:
                return f"np.zeros({value.shape!r}{dtype})"
            return f"np.full({value.shape!r}, {first!r}{dtype})"
        return f"np.array({value.tolist()!r}{dtype})"
    if isinstance(value, np.generic):
        return f"np.{value.dtype.name}({value.item()!r})"
    return repr(value)
