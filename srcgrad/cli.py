"""The `srcgrad` command: show the generated code, export it as a module, check it.

    srcgrad show path/to/file.py:function [--wrt W1,B1] [--mode reverse|forward|hvp] [--stage all]
                                          [--example]
    srcgrad export path/to/file.py:function [--wrt W1,B1] -o grad_module.py
    srcgrad check path/to/file.py:function [--wrt W1,B1] [--mode reverse|forward|both] [--examples N]

Every error is one line (and, for an error in the user's code, the excerpt srcgrad's exceptions
carry) on stderr with exit code 2; `--debug` adds the Python traceback.
"""

from __future__ import annotations

import argparse
import io
import keyword
import os
import pathlib
import sys
import tokenize
import traceback

from .loading import UsageError, derived, example_arguments, load_gradient, split_target

STAGES = {  # --stage name -> (key in Build.stages, header)
    "anf": ("anf", "A-normal form: one operation per statement"),
    "activity": ("activity", "activity: the names that carry a gradient"),
    "raw-adjoint": ("raw adjoint", "raw adjoint: the reverse pass before simplification"),
    "simplified": ("final", "simplified: the generated code"),
}


SHOW_MODES = ("reverse", "forward", "hvp")
CHECK_MODES = ("reverse", "forward", "both")


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
    show.add_argument(
        "--example",
        action="store_true",
        help="the code a call with the arguments of <function>_example() runs (specialised to "
        "their shapes), instead of the code for arguments of any shape",
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
    if args.example and args.stage not in (None, "simplified"):
        raise UsageError(
            f"--stage {args.stage} shows the code for arguments of any shape; --example shows the "
            f"generated code only (no --stage, or --stage simplified)."
        )
    g = load_gradient(args.target, args.wrt)
    if args.example:
        text = _example_source(g, args.target, args.mode)
    elif args.mode != "reverse":
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


def _example_source(g, target: str, mode: str) -> str:
    """The code of `mode` that one call with the arguments of `<function>_example()` runs, after
    a first line saying so: the gradient called with them; jvp and hvp with tangents of ones."""
    path, qualname = split_target(target)
    name = qualname.rpartition(".")[2]
    try:
        example = example_arguments(g.fn.__globals__, name)
    except Exception as exc:
        raise UsageError(f"{name}_example() raised {type(exc).__name__}: {exc}") from exc
    if example is None:
        raise UsageError(
            f"--example calls {name}_example(), and {path} has none: define it to return the "
            f"arguments of one call of {name} (a tuple, or a dict by name; see docs/testing.md)."
        )
    args, kwargs = example
    try:
        bound = g.signature.bind(*args, **kwargs)
    except TypeError as exc:
        raise UsageError(f"{name}_example() returns arguments {name} does not accept: {exc}") from None
    if mode == "reverse":
        f = g
        g(*args, **kwargs)
    else:
        f = derived(g, mode)
        ones = [_ones_like(bound.arguments[w]) for w in g.wrt]
        f(*bound.args, *ones, **bound.kwargs)
    described = ", ".join(f"{k} {_describe(v)}" for k, v in bound.arguments.items())
    return f"# the code for {name}_example()'s arguments: {described}\n{f.source}"


def _ones_like(value):
    """A tangent of ones of `value`'s shape and nesting."""
    import numpy as np

    if isinstance(value, dict):
        return {k: _ones_like(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_ones_like(v) for v in value)
    return np.ones_like(value) if isinstance(value, np.ndarray) else 1.0


def _describe(value) -> str:
    """`float64[2, 20]` for an array, the type's name for anything else."""
    shape = getattr(value, "shape", None)
    if shape is None or not hasattr(value, "dtype"):
        return type(value).__name__
    return f"{value.dtype}[{', '.join(map(str, shape))}]"


def _export(args) -> int:
    from . import __version__
    from .export import export_source

    g = load_gradient(args.target, args.wrt)
    path, _ = split_target(args.target)
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
