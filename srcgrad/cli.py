"""The `srcgrad` command: show the generated code, export it as a module, check it.

    srcgrad show path/to/file.py:function [--wrt W1,B1] [--mode reverse|forward|hvp] [--stage all]
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

from .loading import UsageError, derived, load_gradient, split_target

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
