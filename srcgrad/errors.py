"""The exceptions srcgrad raises, each quoting the user's source and saying what to do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """A place in the user's source: file, 1-based line, 0-based columns, the line's text."""

    filename: str
    lineno: int
    col: int = 0
    end_col: int | None = None
    function: str | None = None
    text: str = ""

    def render(self) -> str:
        where = f'  File "{self.filename}", line {self.lineno}'
        if self.function:
            where += f", in {self.function}"
        if not self.text:
            return where
        stripped = self.text.lstrip()
        indent = len(self.text) - len(stripped)
        start = max(self.col - indent, 0)
        end = self.end_col - indent if self.end_col and self.end_col > self.col else len(stripped)
        marks = " " * start + "^" * max(min(end, len(stripped)) - start, 1)
        return f"{where}\n    {stripped.rstrip()}\n    {marks}"


class SrcgradError(Exception):
    """Base class of every error srcgrad raises about the user's code or call.

    Its `message` says what went wrong, `location` is the place in the user's source it is about
    (a `Location`: `filename`, `lineno`, `text`, ...) or None, and `hint` says what to do, or is
    None; `str()` of the error joins the three.
    """

    def __init__(self, message: str, location: Location | None = None, hint: str | None = None):
        self.message = message
        self.location = location
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        parts = [self.message]
        if self.location is not None:
            parts.append(self.location.render())
        if self.hint:
            parts.append(self.hint)
        return "\n".join(parts)


class UnsupportedSyntaxError(SrcgradError):
    """The function uses a Python construct srcgrad cannot differentiate (yet)."""


class NoRuleError(SrcgradError):
    """A value the result depends on comes from a function with no derivative rule."""


class SourceUnavailableError(SrcgradError):
    """The function's source code cannot be read, so it cannot be transformed."""


class NonScalarOutputError(SrcgradError, ValueError):
    """`grad` needs a function returning a scalar; this one returned an array."""


class WrtError(SrcgradError, ValueError):
    """`wrt` names a parameter the function does not have, or one that cannot carry a gradient."""


class ComplexValueError(SrcgradError, TypeError):
    """The function returned a complex number: srcgrad differentiates real-valued functions."""


class ArgumentTypeError(SrcgradError, TypeError):
    """An argument to differentiate with respect to is not a floating-point value."""


class NoGradientError(SrcgradError, ValueError):
    """At these argument values the function has no derivative srcgrad can give (raised by the
    generated code, e.g. for `np.linalg.pinv` whose `rcond` cut a nonzero singular value)."""


class UnsupportedArgumentsError(SrcgradError, NotImplementedError):
    """The function is differentiable, but srcgrad's rule does not cover these arguments (raised by
    the generated code, e.g. for `np.pad` with `mode='maximum'`)."""


class NonFiniteGradientError(SrcgradError, FloatingPointError):
    """With `check_finite=True`: a gradient became NaN or infinite; the location is the user's
    statement whose gradient the generated code was computing."""


class UnsupportedBackendError(SrcgradError, NotImplementedError):
    """A function the code needs has no counterpart in the array library of the arguments."""


def describe(value) -> str:
    """`value` as a message names it, never with an array's elements: a scalar, `None` or a short
    string as itself; an array (of any library) by its type, shape and dtype; a list, tuple or
    dict by its length; anything else by its type."""
    if value is None or isinstance(value, (bool, int, float, complex)):
        return repr(value)
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else f"a str of {len(value)} characters"
    kind = type(value)
    qualname = kind.__qualname__
    if kind.__module__ != "builtins":
        qualname = f"{kind.__module__}.{qualname}"
    shape, dtype = getattr(value, "shape", None), getattr(value, "dtype", None)
    if isinstance(shape, tuple) and dtype is not None:
        if shape == () and kind.__module__ == "numpy" and kind.__name__ != "ndarray":  # np.int64(3)
            try:
                return f"{kind.__module__}.{kind.__name__}({value.item()!r})"
            except (TypeError, ValueError):  # pragma: no cover - a scalar without .item()
                pass
        label = "a NumPy array" if qualname == "numpy.ndarray" else _a(qualname)
        return f"{label} of shape {shape} and dtype {dtype}"
    if isinstance(value, (list, tuple, dict, set, frozenset)):
        try:
            count = len(value)
        except TypeError:  # pragma: no cover
            count = None
        items = "item" if count == 1 else "items"
        return f"{_a(qualname)} of {count} {items}" if count is not None else _a(qualname)
    return "an object" if kind is object else f"{_a(qualname)} object"


def _a(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun
