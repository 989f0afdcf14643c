"""Explaining an exception raised inside generated code: the generated line that failed, the
user's line whose derivative it is part of (through the `# grad of:` comments, and through code
generated from generated code), and an internal error that names them but never the values."""

from __future__ import annotations

import linecache
import re

import gast

from .. import ir
from ..errors import Location, SrcgradError
from ..frontend import def_location


def generated_line(exc: Exception) -> tuple[str, str | None]:
    """The generated line an exception came from, and the user statement whose gradient it is
    part of (from the `# grad of:` comment above it; None in the forward part)."""
    tb, found = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.startswith("<srcgrad:"):
            found = tb
        tb = tb.tb_next
    if found is None:
        return "?", None
    lines = linecache.getlines(found.tb_frame.f_code.co_filename)
    index = found.tb_lineno - 1
    line = lines[index].strip() if 0 <= index < len(lines) else "?"
    for above in reversed(lines[:index]):
        text = above.strip()
        if text.startswith("# grad of: "):
            return line, text[len("# grad of: ") :]
        if not text:  # the blank line between the forward and the backward part
            break
    return line, None


def clip(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# an array's elements in a message: `array([`, or a bracketed run of two numbers or more
_ELEMENTS = re.compile(r"array\(|\[\s*[-+]?(?:\d|nan|inf)[^\]]*?[\s,]\s*[-+]?(?:\d|nan|inf)", re.IGNORECASE)


def exception_summary(exc: BaseException) -> str:
    """`Type: first line of the message`, short, and without it if it shows array elements."""
    lines = str(exc).strip().splitlines()
    text = lines[0].strip() if lines else ""
    if _ELEMENTS.search(str(exc)):
        text = "(its message, which shows array elements, is left out)"
    elif len(lines) > 1:
        text += " ..."
    text = clip(text, 200)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def internal_error(fn, exc: BaseException, entries: list, what: str, shown_by: str | None = None):
    """The error for generated code that raised where the user's function `fn` runs: it names
    `fn` with its file and the line of its `def`, and the user's line whose code failed, when
    the failing generated line maps back to one; never the values involved."""
    line, user = failure_site(exc, entries)
    name = fn.__name__
    defined = def_location(fn)
    message = (
        f"internal error: {what} srcgrad generated for {name!r} raised {exception_summary(exc)}, "
        f"but {name!r} itself runs on these arguments."
    )
    failed = f"The generated line that failed, `{clip(line)}`," if line else "The generated code that failed"
    if len(user) == 1:
        if defined is not None:
            message += f"\n{name!r} is defined in {defined.filename}, line {defined.lineno}."
        message += f"\n{failed} is part of the derivative of this line:"
        location = user[0]
    else:
        if user:
            lines = ", ".join(str(u.lineno) for u in user)
            message += f"\n{failed} is part of the derivative of one of the lines {lines} of {name!r}."
        else:
            message += f"\n{failed} could not be traced to a line of {name!r}."
        message += f" {name!r} is defined here:" if defined is not None else ""
        location = defined
    hint = (
        "Please report this, with the function and the arguments' shapes and dtypes; the traceback "
        f"above shows the generated code that failed, and {shown_by or f'srcgrad.source({name})'} "
        "prints it."
    )
    return SrcgradError(message, location, hint=hint)


def failure_site(exc: BaseException, entries: list) -> tuple[str | None, list[Location]]:
    """The generated line `exc` was raised from, and the user's lines it may be part of the
    derivative of (one, when it can be told): from the `# grad of:` comment above a backward
    line, or the name a forward line assigns; through code generated from generated code (`jvp`
    of a `grad`) down to the user's."""
    tb, found = exc.__traceback__, None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith("<srcgrad:") and " entry " not in filename:
            found = tb
        tb = tb.tb_next
    if found is None:
        return None, []
    filename, lineno = found.tb_frame.f_code.co_filename, found.tb_lineno
    lines = linecache.getlines(filename)
    line = lines[lineno - 1].strip() if 0 < lineno <= len(lines) else None
    try:
        places = _user_lines(filename, lineno, entries)
    except Exception:  # only a message is at stake: no location rather than another error
        places = []
    return line, places


def _user_lines(filename: str, lineno: int, entries: list, depth: int = 0) -> list[Location]:
    from ..codegen import quoted  # the code generator: loaded only once something failed

    build = next((e.build for e in entries if e.compiled.__code__.co_filename == filename), None)
    lines = linecache.getlines(filename)
    if build is None or not 0 < lineno <= len(lines) or depth > 3:
        return []
    program = build.program
    statements = list(ir.walk(program.body))
    statement = None
    for above in reversed(lines[:lineno]):
        text = above.strip()
        if text.startswith("# grad of: "):
            statement = text[len("# grad of: ") :]
            break
        if not text or text.startswith("def "):  # the forward part: no comment above
            break
    origins = []
    if statement is not None:
        candidates = {id(s.origin): s.origin for s in statements if isinstance(s.origin, gast.stmt)}
        candidates.setdefault(id(program.result.origin), program.result.origin)
        origins = [o for o in candidates.values() if quoted(o, build.source) == statement]
    elif statement is None:
        match = re.match(r"\s*(\w+)\s*=[^=]", lines[lineno - 1])
        if match:
            target = match[1]
            names = [target] + ([target[1:]] if target[:1] in ("d", "t") else [])  # a tangent `dz`
            for candidate in names:
                origins = [s.origin for s in statements if isinstance(s, ir.Assign) and s.target == candidate]
                if origins:
                    break
    places = {}
    for origin in origins:
        where = getattr(origin, "srcgrad_source", build.source).location(origin)
        if where.filename.startswith("<srcgrad:"):  # a line of generated code (jvp of a grad)
            for deeper in _user_lines(where.filename, where.lineno, entries, depth + 1):
                places[(deeper.filename, deeper.lineno)] = deeper
        else:
            places[(where.filename, where.lineno)] = where
    return sorted(places.values(), key=lambda where: (where.filename, where.lineno))
