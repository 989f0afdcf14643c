"""Read a user's function: its source as a gast tree, where it lives, and what its free names mean."""

from __future__ import annotations

import ast
import builtins
import contextlib
import inspect
import textwrap
from dataclasses import dataclass, field

import gast
import numpy

from .errors import Location, SourceUnavailableError, UnsupportedSyntaxError
from .syntax import walk

MISSING = object()


@dataclass
class SourceFunction:
    """A parsed user function and everything needed to point back into its file."""

    func: object
    tree: gast.FunctionDef
    filename: str
    first_line: int  # file line of the parsed source's line 1
    indent: int  # columns removed by dedenting
    lines: list[str]  # the function's lines, as in the file
    globals: dict = field(repr=False, default_factory=dict)
    closure: dict = field(repr=False, default_factory=dict)
    # (name, object) for each global or builtin name looked up: what the generated code bakes in
    resolved: list = field(repr=False, default_factory=list)
    # code srcgrad generated (a gradient differentiated again): its loop stacks are lowered too
    generated: bool = False

    @property
    def name(self) -> str:
        return self.tree.name

    def location(self, node: gast.AST | None) -> Location:
        lineno = getattr(node, "lineno", None) or self.tree.lineno
        text = self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else ""
        col = getattr(node, "col_offset", None)
        end_col = getattr(node, "end_col_offset", None)
        end_line = getattr(node, "end_lineno", lineno)
        if end_line != lineno:
            end_col = None
        return Location(
            filename=self.filename,
            lineno=lineno + self.first_line - 1,
            col=(col or 0) + self.indent,
            end_col=end_col + self.indent if end_col is not None else None,
            function=self.name,
            text=text.rstrip("\n"),
        )

    def lookup(self, identifier: str):
        """The object a free name of the function refers to, or MISSING."""
        if identifier in self.closure:
            return self.closure[identifier]
        value = self.globals.get(identifier, MISSING)
        self.resolved.append((identifier, value))
        if value is MISSING:
            return getattr(builtins, identifier, MISSING)
        return value

    def resolve(self, node: gast.expr):
        """The object a dotted free expression (`np.linalg.norm`) refers to, or MISSING."""
        if isinstance(node, gast.Name):
            return self.lookup(node.id)
        if isinstance(node, gast.Attribute):
            base = self.resolve(node.value)
            if base is MISSING:
                return MISSING
            return getattr(base, node.attr, MISSING)
        return MISSING

    def numpy_names(self) -> list[str]:
        """Global names bound to the numpy module, the ones the function uses first."""
        used = [n.id for n in walk(self.tree) if isinstance(n, gast.Name)]
        bound = [k for k, v in self.globals.items() if v is numpy]
        return sorted(set(bound), key=lambda k: (k not in used, used.index(k) if k in used else 0, k))


def require_def(func) -> None:
    """Raise unless `func` is a Python function srcgrad could transform."""
    if not inspect.isfunction(func):
        raise SourceUnavailableError(
            "srcgrad differentiates Python functions defined with `def`; "
            f"got {type(func).__name__} {func!r}.",
            hint="Wrap the computation in a `def` function and pass that.",
        )
    code = func.__code__
    if func.__name__ == "<lambda>":
        raise UnsupportedSyntaxError(
            "srcgrad cannot differentiate a lambda.",
            Location(code.co_filename, code.co_firstlineno),
            hint="Write it as a `def` function: srcgrad needs a function with its own source block.",
        )


def read_source(func) -> tuple[list[str], int, ast.Module | None]:
    """The lines of `func`'s `def` block and the number of the first, as `inspect.getsourcelines`
    gives them but found without tokenizing; and the lines dedented and parsed by `ast`, when
    finding the block's end parsed them already (None when inspect had to decide).

    inspect finds where a `def` block ends with Python's pure-Python tokenizer, whose first use
    compiles a large regular expression: 3.5 ms of a program's first gradient. The block ends at
    the first line of code indented no deeper than the `def`, so the C parser can confirm it: if
    the lines up to there parse as exactly this one function, the block is its statements plus
    the comment lines after them that inspect keeps. When they do not (a continuation line or a
    string less indented than the `def`, a file edited since import), inspect decides.
    """
    func = inspect.unwrap(func)
    lines, start = inspect.findsource(func)
    found = _def_block(lines[start:], func.__name__)
    if found is None:
        return inspect.getblock(lines[start:]), start + 1, None
    block, module = found
    return block, start + 1, module


def _def_block(lines: list[str], name: str) -> tuple[list[str], ast.Module] | None:
    """The lines of the `def` block opening `lines` (decorators first), as `inspect.getblock`
    returns them, and their parse; None if the C parser cannot confirm where the block ends."""
    margin = _indentation(lines[0])
    header = next((i for i, line in enumerate(lines) if _is_def(line, margin)), None)
    if header is None:
        return None
    after = next((i for i in range(header + 1, len(lines)) if _ends_block(lines[i], margin)), len(lines))
    end = max(i for i in range(header, after) if _is_code(lines[i])) + 1  # then comments, blank lines
    try:
        module = ast.parse(textwrap.dedent("".join(lines[:end])))
    except (SyntaxError, ValueError):  # cut inside a bracket or a string: not the block's end
        return None
    tree = module.body[0] if len(module.body) == 1 else None
    if not isinstance(tree, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    if tree.name != name or tree.end_lineno != end:
        return None
    # inspect keeps the comment lines after the last statement that are indented at least as deep
    # as the body's first line, unless that line is the `def`'s own (`def f(x): return x`)
    first = tree.body[0]
    body = lines[first.lineno - 1]
    if _indentation(body) != margin + first.col_offset:
        return lines[:end], module
    if lines[first.lineno - 2].rstrip().endswith("\\"):  # continues the `def` line after all
        return None
    deep = _indentation(body)
    kept = [i for i in range(end, after) if _is_comment(lines[i]) and _indentation(lines[i]) >= deep]
    return lines[: max(kept, default=end - 1) + 1], module  # comments change no parse


def _indentation(line: str) -> int:
    return len(line) - len(line.lstrip())


def _is_def(line: str, margin: int) -> bool:
    words = line.split(None, 2)
    return _indentation(line) == margin and (words[:1] == ["def"] or words[:2] == ["async", "def"])


def _is_code(line: str) -> bool:
    """Neither blank nor only a comment."""
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _ends_block(line: str, margin: int) -> bool:
    """Whether `line` may start a statement after the block: code indented no deeper than the
    `def`, and not the closing bracket of its parameters (`) -> float:`)."""
    return _is_code(line) and _indentation(line) <= margin and not line.lstrip().startswith((")", "]", "}"))


def read_function(func) -> SourceFunction:
    """Parse `func`'s source; raise SourceUnavailableError if Python cannot show it to us."""
    require_def(func)
    code = func.__code__
    try:
        if code.co_filename == "<string>":  # exec() of a string: whatever linecache holds is not it
            raise OSError("it was made by exec() from a string")
        lines, first_line, parsed = read_source(func)
    except (OSError, TypeError) as exc:
        raise SourceUnavailableError(
            f"srcgrad cannot read the source of {func.__qualname__!r} "
            f"(defined in {code.co_filename!r}): {exc}.",
            hint="srcgrad transforms source code, so the function must be defined with `def` in a "
            "file, a module or a notebook cell, not built by exec() or typed at a plain REPL.",
        ) from None
    source = "".join(lines)
    dedented = textwrap.dedent(source)
    indent = len(lines[0]) - len(lines[0].lstrip()) if lines else 0
    try:
        module = gast.parse(dedented) if parsed is None else gast.ast_to_gast(parsed)
    except SyntaxError as exc:  # e.g. a function that is one line of a larger expression
        raise SourceUnavailableError(
            f"srcgrad could not parse the source of {func.__qualname__!r}: {exc.msg}.",
            Location(code.co_filename, first_line),
            hint="Define the function with a plain `def` block.",
        ) from None
    tree = module.body[0] if module.body else None
    if isinstance(tree, gast.FunctionDef) and tree.name != func.__name__ and func.__name__ != "<lambda>":
        raise SourceUnavailableError(  # the lines Python found are another function's
            f"srcgrad cannot read the source of {func.__qualname__!r}: the lines at "
            f"{code.co_filename}:{first_line} define {tree.name!r}.",
            hint="Define the function with `def` in a file or a notebook cell, and do not edit the "
            "file after importing it (or reload the module).",
        )
    if not isinstance(tree, gast.FunctionDef):
        raise UnsupportedSyntaxError(
            f"srcgrad expected a `def` block for {func.__qualname__!r}.",
            Location(code.co_filename, first_line),
        )
    closure = {}
    if func.__closure__:
        for var, cell in zip(code.co_freevars, func.__closure__):
            with contextlib.suppress(ValueError):  # an empty cell: not assigned yet
                closure[var] = cell.cell_contents
    return SourceFunction(
        func=func,
        tree=tree,
        filename=inspect.getsourcefile(func) or code.co_filename,
        first_line=first_line,
        indent=indent,
        lines=[line.rstrip("\n") for line in lines],
        globals=func.__globals__,
        closure=closure,
    )
