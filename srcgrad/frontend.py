"""Read a user's function: its source as a gast tree, where it lives, and what its free names mean."""

from __future__ import annotations

import ast
import bisect
import builtins
import contextlib
import functools
import inspect
import linecache
import textwrap
import tokenize
from dataclasses import dataclass, field

import gast
import numpy

from .errors import Location, SourceUnavailableError, UnsupportedSyntaxError, describe
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
    # (namespace, name, object) for each global or builtin name looked up, in the function's
    # module or an inlined helper's: what the generated code bakes in
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

    def statement(self, node: gast.AST) -> gast.stmt | None:
        """The user's statement `node` is, or was made from (a desugared loop's flag, a lowered
        comprehension): the innermost of the function's statements at its place, if any."""
        at = (getattr(node, "lineno", None), getattr(node, "col_offset", None))
        if None in at:
            return None
        found = self._statements_at.get(at, MISSING)
        if found is MISSING:
            spans, starts, parents = self._spans
            # the last statement to start at or before `at`, else the innermost statement that
            # holds it and holds `at` too: statements nest, so it is one of its enclosing ones
            i = bisect.bisect_right(starts, at) - 1
            while i >= 0 and spans[i][1] < at:
                i = parents[i]
            found = self._statements_at[at] = spans[i][2] if i >= 0 else None
        return found

    @functools.cached_property
    def _spans(self) -> tuple:
        """(start, end, statement) for each of the function's statements, in the order they
        start (an inner statement after the one holding it), their starts, and the index of the
        statement holding each (-1 for none): read once, for `statement`."""
        spans = sorted(
            (
                ((s.lineno, s.col_offset), (s.end_lineno, s.end_col_offset), s)
                for s in walk(self.tree)
                if isinstance(s, gast.stmt) and s is not self.tree
            ),
            key=lambda span: span[0],
        )
        parents, open_ = [], []  # open_: the indices of the statements holding the current one
        for i, (start, _, _) in enumerate(spans):
            while open_ and spans[open_[-1]][1] < start:
                open_.pop()
            parents.append(open_[-1] if open_ else -1)
            open_.append(i)
        return spans, [span[0] for span in spans], parents

    @functools.cached_property
    def _statements_at(self) -> dict:
        return {}  # (line, column) -> the statement `statement` found there

    def quote(self, node: gast.AST) -> str | None:
        """The user's statement `node` is, or was made from, as the file has it, on one line: a
        compound statement by its head, up to its colon; runs of whitespace collapsed, comments
        left out. None for a node with no place among the function's statements."""
        stmt = self.statement(node)
        if stmt is None:
            return None
        head = isinstance(stmt, (gast.If, gast.For, gast.While, gast.With, gast.Try, gast.FunctionDef))
        end_line = len(self.lines) if head else stmt.end_lineno  # a head: as far as its colon
        text = [line.rstrip("\r\n").encode() for line in self.lines[stmt.lineno - 1 : end_line]]
        if not head:  # offsets count bytes of the dedented lines
            text[-1] = text[-1][: stmt.end_col_offset + self.indent]
        text[0] = text[0][stmt.col_offset + self.indent :]
        try:
            return _one_line(tokenize.generate_tokens(iter([t.decode() + "\n" for t in text]).__next__), head)
        except (tokenize.TokenError, SyntaxError, UnicodeDecodeError):
            return None

    def lookup(self, identifier: str):
        """The object a free name of the function refers to, or MISSING."""
        if identifier in self.closure:
            return self.closure[identifier]
        value = self.globals.get(identifier, MISSING)
        self.resolved.append((self.globals, identifier, value))
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


_SKIPPED = {
    tokenize.COMMENT,
    tokenize.NL,
    tokenize.NEWLINE,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENDMARKER,
}


def _one_line(tokens, head: bool) -> str:
    """The tokens' text on one line: one space where the source broke a line or left spaces,
    none inside brackets broken over lines; with `head`, up to the first colon outside brackets."""
    out, prev, depth = "", None, 0
    for tok in tokens:
        if tok.type in _SKIPPED:
            continue
        if prev is not None and prev.end != tok.start:
            broken = prev.end[0] != tok.start[0]
            out += "" if broken and (prev.string in "([{" or tok.string in ")]}") else " "
        out += tok.string
        prev = tok
        depth += (tok.string in "([{") - (tok.string in ")]}") if tok.type == tokenize.OP else 0
        if head and depth == 0 and tok.type == tokenize.OP and tok.string == ":":
            break
    return " ".join(out.split()) if "\n" in out else out


def require_def(func, transform: str = "srcgrad.grad") -> None:
    """Raise unless `func` is a Python function srcgrad could transform (`transform`, the API
    called, for the rewrites the message suggests)."""
    if not inspect.isfunction(func):
        what, where, hint = _not_a_function(func, transform)
        raise SourceUnavailableError(
            f"srcgrad differentiates Python functions defined with `def`, from their source, but "
            f"this is {what}.",
            where,
            hint=hint,
        )


def def_location(func) -> Location | None:
    """Where `func` (a Python function) is defined: its file and the line of its `def` (after
    any decorators), with the line's text; None if it has no file."""
    code = getattr(func, "__code__", None)
    if code is None:
        return None
    try:
        filename = inspect.getsourcefile(func) or code.co_filename
    except TypeError:
        filename = code.co_filename
    lines = linecache.getlines(filename)
    lineno = code.co_firstlineno
    for i in range(lineno - 1, min(lineno + 30, len(lines))):  # past the decorators
        words = lines[i].split(None, 2)
        if words[:1] == ["def"] or words[:2] == ["async", "def"]:
            lineno = i + 1
            break
    text = lines[lineno - 1].rstrip("\n") if 0 < lineno <= len(lines) else ""
    indent = len(text) - len(text.lstrip())
    return Location(filename, lineno, col=indent, function=func.__qualname__, text=text)


def _not_a_function(func, transform: str) -> tuple[str, Location | None, str]:
    """What `func` is, where the function it stands for is defined, and the rewrite that gives
    srcgrad a `def` function; the values bound into it are never shown (they may be arrays)."""
    if isinstance(func, functools.partial):
        return _partial(func, transform)
    if inspect.ismethod(func):
        owner = func.__self__
        if inspect.isclass(owner):
            what = f"the class method {owner.__qualname__}.{func.__name__} (bound to its class)"
            path = f"{owner.__qualname__}.{func.__name__}.__func__"
            first = ("the class", owner.__qualname__)
        else:
            what = f"the method {func.__name__} bound to an instance of {type(owner).__qualname__}"
            path = f"{type(owner).__qualname__}.{func.__name__}"
            first = ("the instance", _instance_name(type(owner)))
        return what, def_location(func.__func__), _unbound_hint(func.__func__, path, first, transform)
    if inspect.isclass(func):
        method = "__call__" if inspect.isfunction(vars(func).get("__call__")) else "method"
        hint = (
            f"Pass the `def` function that computes the value to differentiate. For a method of "
            f"{func.__qualname__}, pass the function itself, with the instance as its first "
            f"argument: g = {transform}({func.__qualname__}.{method}, wrt=...), then "
            f"g({_instance_name(func)}, ...)."
        )
        return f"the class {func.__qualname__}", _class_location(func), hint
    if isinstance(func, (staticmethod, classmethod)):
        inner = func.__func__
        what = f"a {type(func).__name__} object wrapping {inner.__qualname__}"
        return what, def_location(inner), f"Pass the function itself: {transform}({inner.__qualname__})."
    if isinstance(func, numpy.ufunc) or (callable(func) and _library(func) in ("numpy", "scipy")):
        return _compiled(func, transform)
    if inspect.isbuiltin(func) or inspect.isroutine(func):
        name = getattr(func, "__qualname__", None) or getattr(func, "__name__", "this function")
        what = f"{name}, a built-in or compiled function with no Python source"
        return what, None, "Wrap the computation in a `def` function and pass that."
    call = inspect.getattr_static(type(func), "__call__", None)
    if inspect.isfunction(call):
        cls = type(func)
        what = f"an instance of {cls.__qualname__}, called through {cls.__qualname__}.__call__"
        first = ("the instance", _instance_name(cls))
        return what, def_location(call), _unbound_hint(call, f"{cls.__qualname__}.__call__", first, transform)
    what = describe(func) + ("" if callable(func) else ", which is not a function")
    hint = (
        f"Pass the `def` function to differentiate, and call what {transform} returns with the "
        f"arguments: {transform}(f)(x)."
    )
    return what, None, hint


def _library(func) -> str:
    return (getattr(func, "__module__", None) or "").split(".")[0]


def _compiled(func, transform: str) -> tuple[str, None, str]:
    """A NumPy ufunc or another compiled NumPy or SciPy function: what to write instead."""
    name = getattr(func, "__name__", "f")
    ufunc = isinstance(func, numpy.ufunc)
    if getattr(numpy, name, None) is func:
        call = f"np.{name}"
    elif getattr(numpy.linalg, name, None) is func:
        call = f"np.linalg.{name}"
    else:
        call = name
    module = getattr(func, "__module__", None)
    if call.startswith("np."):  # a ufunc has no __module__ before NumPy 2.2
        module = "numpy" if call.count(".") == 1 else "numpy.linalg"
    path = f"{module}.{name}" if module else name
    what = f"{path}, {'a ufunc' if ufunc else 'a compiled library function'} with no Python source"
    body = f"np.sum({call}(x))" if ufunc else f"{call}(x)"
    reduce = "" if ufunc else " (reduced to one number, e.g. with np.sum, if it returns an array)"
    hint = (
        "srcgrad knows the derivatives of NumPy's functions where your own `def` function calls "
        f"them. Write one that computes the scalar to differentiate{reduce}, e.g.\n"
        f"    def f(x):\n        return {body}\n"
        f"and pass that: {transform}(f)."
    )
    return what, None, hint


def _partial(func: functools.partial, transform: str) -> tuple[str, Location | None, str]:
    """A `functools.partial`: the function under it, the names it binds (never their values),
    and the call with those values passed instead."""
    inner = func.func
    target = inner.__func__ if inspect.ismethod(inner) else inner
    label = getattr(target, "__qualname__", None) or describe(target)
    try:
        params = list(inspect.signature(inner).parameters.values())
    except (TypeError, ValueError):
        params = []
    by_position = [p.name for p in params[: len(func.args)]]
    bound = by_position + [k for k in func.keywords if k not in by_position]
    binding = f" (binding {', '.join(bound)})" if bound else ""
    what = f"a functools.partial of {label!r}{binding}"
    free = [p for p in params if p.name not in bound and p.default is p.empty and p.kind in _NAMED]
    if not inspect.isfunction(inner) or not free or any(p.kind not in _NAMED for p in params):
        hint = (
            f"Define a `def` function of the parameter to differentiate that calls {label} with the "
            "values the partial binds, in the module that defines it, and pass that."
        )
        return what, def_location(target), hint
    w, fname = free[0].name, inner.__name__
    args, by_keyword = [], False
    for p in params:
        if p.name not in bound and p.default is not p.empty:
            continue  # left to its default, as the partial leaves it
        by_keyword = by_keyword or p.name in func.keywords or p.kind == inspect.Parameter.KEYWORD_ONLY
        args.append(f"{p.name}={p.name}" if by_keyword else p.name)
    call = ", ".join(args)
    hint = (
        f"Differentiate {fname} itself and pass the values the partial binds at each call "
        f"(here named after their parameters):\n"
        f"    g = {transform}({fname}, wrt={w!r})\n"
        f"    g({call})\n"
        f"or define a function of {w} that calls {fname}, in the module that defines {fname} "
        f"(srcgrad differentiates through calls to functions of the same module), and pass that:\n"
        f"    def {fname}_{w}({w}):\n"
        f"        return {fname}({call})\n"
        f"    g = {transform}({fname}_{w})"
    )
    return what, def_location(target), hint


_NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def _unbound_hint(function, path: str, first: tuple[str, str], transform: str) -> str:
    """Differentiate the function under a method, `first` (the instance or the class: how the
    hint says it, the name it gives it) passed as its first argument."""
    params = list(inspect.signature(function).parameters)
    if len(params) < 2:
        return f"{path} has no parameter but {params[0] if params else 'none'} to differentiate."
    w, rest = params[1], ", ".join(params[1:])
    return (
        f"Pass the function itself, with {first[0]} as its first argument, and name the parameter "
        f"to differentiate:\n"
        f"    g = {transform}({path}, wrt={w!r})\n"
        f"    g({first[1]}, {rest})"
    )


def _instance_name(cls) -> str:
    name = cls.__name__.lower()
    ok = name.isidentifier() and name != cls.__name__ and not hasattr(builtins, name)
    return name if ok else "obj"


def _class_location(cls) -> Location | None:
    try:
        lines, start = inspect.findsource(cls)
        filename = inspect.getsourcefile(cls) or inspect.getfile(cls)
    except (OSError, TypeError):
        return None
    text = lines[start].rstrip("\n")
    return Location(filename, start + 1, col=len(text) - len(text.lstrip()), function=None, text=text)


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
    if func.__name__ == "<lambda>":
        return _read_lambda(func)
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


def _read_lambda(func) -> SourceFunction:
    """A lambda, read as the `def` it stands for: `f = lambda x: x * w` is `def f(x): return x * w`
    (named after the name it is assigned to, else `lambda_`). Its statement is found from its
    first line; a line with several lambdas of the same parameters is ambiguous and refused."""
    code = func.__code__
    where = Location(code.co_filename, code.co_firstlineno)
    try:
        lines, start = inspect.findsource(func)
    except (OSError, TypeError) as exc:
        raise SourceUnavailableError(
            f"srcgrad cannot read the source of this lambda (defined in {code.co_filename!r}): {exc}.",
            where,
            hint="Define the function with `def` in a file, a module or a notebook cell.",
        ) from None
    block, module = _statement_at(lines, start)
    if module is None:
        raise SourceUnavailableError("srcgrad could not parse the statement that defines this lambda.", where)
    count = code.co_argcount + code.co_kwonlyargcount
    stars = bool(code.co_flags & inspect.CO_VARARGS) + bool(code.co_flags & inspect.CO_VARKEYWORDS)
    params = list(code.co_varnames[: count + stars])
    found = []
    for node in gast.walk(module):
        if isinstance(node, gast.Lambda) and node.lineno == 1:
            spec = node.args
            named = [
                a.id
                for a in [*spec.posonlyargs, *spec.args, *spec.kwonlyargs, spec.vararg, spec.kwarg]
                if a is not None
            ]
            if sorted(named) == sorted(params):
                found.append(node)
    if len(found) != 1:
        raise SourceUnavailableError(
            "srcgrad cannot tell which lambda on this line is the one to differentiate."
            if found
            else "srcgrad could not find this lambda in its source line.",
            where,
            hint="Define the function with `def`.",
        )
    node = found[0]
    label = "lambda_"
    for stmt in gast.walk(module):
        named = isinstance(stmt, gast.Assign) and stmt.value is node and len(stmt.targets) == 1
        if named and isinstance(stmt.targets[0], gast.Name):
            label = stmt.targets[0].id
    tree = lambda_as_def(node, label)
    indent = len(block[0]) - len(block[0].lstrip()) if block else 0
    closure = {}
    for var, cell in zip(code.co_freevars, func.__closure__ or ()):
        with contextlib.suppress(ValueError):
            closure[var] = cell.cell_contents
    return SourceFunction(
        func=func,
        tree=tree,
        filename=inspect.getsourcefile(func) or code.co_filename,
        first_line=start + 1,
        indent=indent,
        lines=[line.rstrip("\n") for line in block],
        globals=func.__globals__,
        closure=closure,
    )


def lambda_as_def(node: gast.Lambda, label: str) -> gast.FunctionDef:
    """`lambda args: expr` as `def label(args): return expr`, at the lambda's place."""
    body = gast.copy_location(gast.Return(value=node.body), node.body)
    body.end_lineno, body.end_col_offset = node.body.end_lineno, node.body.end_col_offset
    tree = gast.FunctionDef(
        name=label,
        args=node.args,
        body=[body],
        decorator_list=[],
        returns=None,
        type_comment=None,
        type_params=[],
    )
    gast.copy_location(tree, node)
    tree.end_lineno, tree.end_col_offset = node.end_lineno, node.end_col_offset
    return tree


def _statement_at(lines: list[str], start: int):
    """The lines of the statement that starts at `lines[start]` (as few as parse), dedented and
    parsed; (lines, None) if no prefix of up to 50 lines parses."""
    for end in range(start + 1, min(start + 51, len(lines) + 1)):
        block = lines[start:end]
        try:
            return block, gast.parse(textwrap.dedent("".join(block)))
        except SyntaxError:
            continue
    return lines[start : start + 1], None
