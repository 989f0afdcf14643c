"""The user's function from a command line's `path/to/file.py:function`: the file imported as a
module (its folder on sys.path), the object the name leads to, and the gradient of it that
`srcgrad show`, `export` and `check` work on."""

from __future__ import annotations

import importlib.util
import inspect
import pathlib
import sys
import traceback


class UsageError(Exception):
    """A problem with the command line or the target file: reported as one line, exit code 2."""


def split_target(target: str) -> tuple[str, str]:
    path, colon, qualname = target.rpartition(":")
    if not colon or not path or not qualname:
        raise UsageError(f"expected path/to/file.py:function, got {target!r}.")
    return path, qualname


def load_function(target: str):
    """The object `path/to/file.py:name` names, the file imported as a module (its directory on
    sys.path, so that its own imports of sibling modules work)."""
    path, qualname = split_target(target)
    value = load_module(path)
    for part in qualname.split("."):
        if not hasattr(value, part):
            raise UsageError(f"{path} has no function {qualname!r}.")
        value = getattr(value, part)
    return value


def load_module(path: str):
    """The file at `path` imported as a module (shared by show, export and check)."""
    file = pathlib.Path(path)
    if not file.is_file():
        raise UsageError(f"no such file: {path}.")
    try:
        file.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}.") from None
    name = file.stem if file.stem.isidentifier() and file.stem not in sys.modules else "__srcgrad_target__"
    spec = importlib.util.spec_from_file_location(name, file)
    module = importlib.util.module_from_spec(spec)
    folder = str(file.resolve().parent)
    sys.path.insert(0, folder)
    sys.modules[name] = module  # dataclasses and pickling look the module up by name
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        from .errors import SrcgradError

        if isinstance(exc, SrcgradError):
            raise
        raise UsageError(f"importing {path} failed: {_where(exc, file)}{type(exc).__name__}: {exc}") from exc
    finally:
        sys.path.remove(folder)
    return module


def _where(exc: Exception, file: pathlib.Path) -> str:
    """`line N: ` of the deepest frame of the user's file in the traceback, or nothing."""
    if isinstance(exc, SyntaxError) and exc.lineno:
        return f"line {exc.lineno}: "
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if pathlib.Path(frame.f_code.co_filename).resolve() == file.resolve():
            line = lineno
    return f"line {line}: " if line else ""


def load_gradient(target: str, wrt: str | None):
    """`srcgrad.grad` of the function `target` names; a function decorated with `srcgrad.grad`
    keeps its own wrt unless `wrt` (comma-separated) is given."""
    from .api import grad
    from .functions.gradient import GradFunction

    value = load_function(target)
    names = None
    if wrt:
        names = [int(w) if w.strip().lstrip("-").isdigit() else w.strip() for w in wrt.split(",")]
    if isinstance(value, GradFunction):
        if names is None:
            return value
        value = value.fn
    if not inspect.isfunction(value):
        _, qualname = split_target(target)
        raise UsageError(f"{qualname} is a {type(value).__name__}, not a function.")
    if names is None:
        return grad(value)
    return grad(value, wrt=names[0] if len(names) == 1 else tuple(names))


def derived(g, mode: str):
    """`srcgrad.jvp` ("forward") or `srcgrad.hvp` ("hvp") of the function and parameters of the
    grad function `g` (as `load_gradient` made it)."""
    from .api import hvp, jvp

    wrt = g.wrt[0] if g.single else tuple(g.wrt)
    if mode == "forward":
        return jvp(g.fn, wrt=wrt, has_aux=g.has_aux)
    return hvp(g.fn, wrt=wrt)


def example_arguments(namespace: dict, name: str):
    """`(args, kwargs)` of one call of `name`, from `<name>_example()` in `namespace` (a module's
    globals), or None if there is no such function. The convention `srcgrad check` and `srcgrad show
    --example` share: it returns the arguments as a tuple or list, a dict of them by name, or the
    one argument itself. An exception the function raises propagates."""
    make = namespace.get(f"{name}_example")
    if make is None or not callable(make):
        return None
    return call_of(make())


def call_of(sample):
    """`(args, kwargs)` of the call an example stands for: a dict gives the arguments by name, a
    tuple or list by position, anything else is the one argument."""
    if isinstance(sample, dict):
        return (), dict(sample)
    return (tuple(sample) if isinstance(sample, (tuple, list)) else (sample,)), {}
