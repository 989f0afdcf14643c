"""The `srcgrad` command: show the generated code, export it as a module, check it.

    srcgrad show path/to/file.py:function [--wrt W1,B1] [--mode reverse|forward|hvp] [--stage all]
    srcgrad export path/to/file.py:function [--wrt W1,B1] -o grad_module.py
    srcgrad check path/to/file.py:function [--wrt W1,B1] [--mode reverse|forward|both] [--examples N]

Every error is one line (and, for an error in the user's code, the excerpt srcgrad's exceptions
carry) on stderr with exit code 2; `--debug` adds the Python traceback.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import io
import keyword
import os
import pathlib
import sys
import tokenize
import traceback

STAGES = {  # --stage name -> (key in Build.stages, header)
    "anf": ("anf", "A-normal form: one operation per statement"),
    "activity": ("activity", "activity: the names that carry a gradient"),
    "raw-adjoint": ("raw adjoint", "raw adjoint: the reverse pass before simplification"),
    "simplified": ("final", "simplified: the generated code"),
}


SHOW_MODES = ("reverse", "forward", "hvp")
CHECK_MODES = ("reverse", "forward", "both")


class UsageError(Exception):
    """A problem with the command line or the target file: reported as one line, exit code 2."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.handler(args)
    except UsageError as exc:
        return _fail(f"srcgrad {args.command}: error: {exc}", args.debug)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a message and exit code 2
        from .errors import SrcgradError

        if isinstance(exc, SrcgradError):  # already says where in the user's code, and what to do
            return _fail(f"srcgrad {args.command}: error: {exc}", args.debug)
        return _fail(f"srcgrad {args.command}: error: {type(exc).__name__}: {exc}", args.debug)


def _fail(message: str, debug: bool) -> int:
    if debug:
        traceback.print_exc()
    print(message, file=sys.stderr)
    return 2


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("target", metavar="path/to/file.py:function", help="the function to differentiate")
    common.add_argument(
        "--wrt", help="comma-separated parameters to differentiate with respect to (default: the first)"
    )
    common.add_argument("--debug", action="store_true", help="show the Python traceback of an error")

    parser = argparse.ArgumentParser(
        prog="srcgrad", description="Gradients of NumPy functions, as readable generated source code."
    )
    parser.set_defaults(command=None, debug=False)
    sub = parser.add_subparsers(title="commands", metavar="{show,export,check}")

    show = sub.add_parser("show", parents=[common], help="print the generated gradient code")
    show.add_argument(
        "--mode",
        choices=SHOW_MODES,
        default="reverse",
        help="reverse: the gradient (srcgrad.grad); forward: the Jacobian-vector product "
        "(srcgrad.jvp); hvp: the Hessian-vector product (forward over reverse, srcgrad.hvp)",
    )
    show.add_argument(
        "--stage",
        choices=[*STAGES, "all"],
        help="print the code after a pipeline stage (all: each one, with a header); "
        "reverse mode only, except simplified",
    )
    show.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    show.set_defaults(command="show", handler=_show)

    export = sub.add_parser("export", parents=[common], help="write a standalone module needing only NumPy")
    export.add_argument("-o", "--output", required=True, help="the module file to write")
    export.set_defaults(command="export", handler=_export)

    check = sub.add_parser("check", parents=[common], help="check the gradient against finite differences")
    check.add_argument("--examples", type=int, default=100, help="random inputs to try (default 100)")
    check.add_argument("--seed", type=int, default=None)
    check.add_argument(
        "--mode",
        choices=CHECK_MODES,
        default="reverse",
        help="reverse: the gradient; forward: the Jacobian-vector products (srcgrad.jvp); both",
    )
    check.set_defaults(command="check", handler=_check)
    return parser


# -- commands ---------------------------------------------------------------------------------


def _show(args) -> int:
    if args.mode != "reverse" and args.stage not in (None, "simplified"):
        raise UsageError(
            f"--stage {args.stage} is for --mode reverse; --mode {args.mode} shows the generated "
            f"code only (no --stage, or --stage simplified)."
        )
    g = load_gradient(args.target, args.wrt)
    if args.mode != "reverse":
        text = derived(g, args.mode).source
    elif args.stage is None:
        text = g.source
    else:
        stages = g.stages()
        chosen = STAGES if args.stage == "all" else {args.stage: STAGES[args.stage]}
        parts = []
        for key, header in chosen.values():
            body = stages[key].rstrip("\n")
            parts.append(f"# === {header} ===\n{body}\n" if args.stage == "all" else body + "\n")
        text = "\n".join(parts)
    if _use_color(args.color, sys.stdout):
        text = highlight(text)
    sys.stdout.write(text)
    return 0


def _export(args) -> int:
    from . import __version__
    from .export import export_source

    g = load_gradient(args.target, args.wrt)
    path, _ = _split_target(args.target)
    text = export_source(g, origin=path, version=__version__)
    try:
        pathlib.Path(args.output).write_text(text)
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    print(
        f"wrote {args.output}: {g.fn.__name__} and {g.fn.__name__}_grad (needs only NumPy)", file=sys.stderr
    )
    return 0


def _check(args) -> int:
    from .checking import run_check

    wrt = args.wrt.split(",") if args.wrt else None
    return run_check(args.target, wrt, args.examples, args.seed, args.debug, mode=args.mode)


# -- loading the user's function -------------------------------------------------------------


def _split_target(target: str) -> tuple[str, str]:
    path, colon, qualname = target.rpartition(":")
    if not colon or not path or not qualname:
        raise UsageError(f"expected path/to/file.py:function, got {target!r}.")
    return path, qualname


def load_function(target: str):
    """The object `path/to/file.py:name` names, the file imported as a module (its directory on
    sys.path, so that its own imports of sibling modules work)."""
    path, qualname = _split_target(target)
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
    from .api import GradFunction, grad

    value = load_function(target)
    names = None
    if wrt:
        names = [int(w) if w.strip().lstrip("-").isdigit() else w.strip() for w in wrt.split(",")]
    if isinstance(value, GradFunction):
        if names is None:
            return value
        value = value.fn
    if not inspect.isfunction(value):
        _, qualname = _split_target(target)
        raise UsageError(f"{qualname} is a {type(value).__name__}, not a function.")
    if names is None:
        return grad(value)
    return grad(value, wrt=names[0] if len(names) == 1 else tuple(names))


def derived(g, mode: str):
    """`srcgrad.jvp` ("forward") or `srcgrad.hvp` ("hvp") of the function and parameters of the
    grad function `g` (as `load_gradient` made it)."""
    from .modes import hvp, jvp

    wrt = g.wrt[0] if g.single else tuple(g.wrt)
    if mode == "forward":
        return jvp(g.fn, wrt=wrt, has_aux=g.has_aux)
    return hvp(g.fn, wrt=wrt)


# -- syntax highlighting ----------------------------------------------------------------------

_RESET = "\033[0m"
_COLORS = {
    "keyword": "\033[1;35m",  # bold magenta
    "string": "\033[32m",  # green
    "number": "\033[36m",  # cyan
    "comment": "\033[90m",  # grey: other comments recede
    "grad of": "\033[1;33m",  # bold yellow: the `# grad of:` block headers are what to look for
    "definition": "\033[1;34m",  # bold blue: the function's name
}


def _use_color(choice: str, stream) -> bool:
    if choice != "auto":
        return choice == "always"
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")


def highlight(text: str) -> str:
    """`text` with ANSI colors on keywords, strings, numbers, comments and defined names; the text
    unchanged when it does not tokenize."""
    starts = [0]  # offset of each line's first character
    for line in text.splitlines(True):
        starts.append(starts[-1] + len(line))
    out, position, previous = [], 0, None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            kind = _kind(tok, previous)
            if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                previous = tok
            if kind is None:
                continue
            begin = starts[tok.start[0] - 1] + tok.start[1]
            end = starts[tok.end[0] - 1] + tok.end[1]
            out += [text[position:begin], _COLORS[kind], text[begin:end], _RESET]
            position = end
    except (tokenize.TokenError, SyntaxError, IndexError):
        return text
    out.append(text[position:])
    return "".join(out)


def _kind(tok, previous) -> str | None:
    if tok.type == tokenize.COMMENT:
        return "grad of" if tok.string.startswith("# grad of:") else "comment"
    if tok.type == tokenize.STRING:
        return "string"
    if tok.type == tokenize.NUMBER:
        return "number"
    if tok.type == tokenize.NAME:
        if keyword.iskeyword(tok.string):
            return "keyword"
        if previous is not None and previous.type == tokenize.NAME and previous.string in ("def", "class"):
            return "definition"
    return None
