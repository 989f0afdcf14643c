"""Every ```python block of README.md and docs/*.md is run or compared here, one test per block.

The convention (also in docs/how-it-works.md, "Testing the code on these pages"):

- A ```python block is run. The blocks of one file run in order, in one namespace that starts
  with `np` (NumPy) and `srcgrad` imported. A block is compiled under the Markdown file's own
  path and line numbers, so srcgrad reads the functions it defines from the Markdown file, and a
  traceback points at the page and line.
- A ```python block that shows code srcgrad prints is compared, not run. It is marked by an HTML
  comment on the line above it, `<!-- doc-test: compare: EXPR -->`: EXPR is evaluated in the
  file's namespace, and the block's lines must appear, consecutively, in str(EXPR). A line that is
  just `...` leaves lines out: the pieces around it must appear in that order. A block starting
  with `def NAME_grad(`, where NAME is a srcgrad gradient defined above, is compared with
  `NAME.source` without a marker.
- `<!-- doc-test: output -->` above a ```text block: the block is compared, the same way, with
  what the ```python block before it printed (paths made relative to the repository).
- `<!-- doc-test: skip: REASON -->` above a block: not run; the test is skipped with REASON and
  the block's file and line.
- `<!-- doc-test: requires MODULE -->` above a block: run if MODULE can be imported, skipped
  with a reason if not.
- `<!-- doc-test: setup` ... `-->`: code hidden from the rendered page, run at that point, for
  data a block needs but the page need not show.
- Other fences (```sh, ```text without the marker, plain ```) are not Python and are not
  collected.

Files this test may not mark (README.md and the generated docs/rules.md) get their setup code
and markers from PRELUDE and OVERRIDES below. Changes a block makes to the rule table (through
srcgrad.extend) are undone after its file has run.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import io
import pathlib
import re
import traceback
from dataclasses import dataclass

import numpy as np
import pytest

import srcgrad
from srcgrad import rules

ROOT = pathlib.Path(__file__).resolve().parent.parent
FILES = ["README.md", *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md"))]

# Setup run before a file's first block, for files whose text this test may not change.
PRELUDE = {
    "README.md": """
X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = np.array([[0.0], [1.0], [1.0], [0.0]])
rng = np.random.default_rng(0)
W1, B1 = rng.uniform(-1, 1, (2, 20)), rng.uniform(-1, 1, 20)
W2, B2 = rng.uniform(-1, 1, (20, 1)), rng.uniform(-1, 1, 1)
""",
    "docs/rules.md": "x = np.array([-1.0, 0.0, 0.5, 4.0])",
}

# Markers for blocks of files this test may not change, by (file, first line of the block).
OVERRIDES: dict[tuple[str, str], str] = {}

_FENCE = re.compile(r"^```(\S*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
_MARKER = re.compile(r"<!--\s*doc-test:\s*(.*?)\s*-->\s*\Z", re.S)
_SETUP = re.compile(r"<!--\s*doc-test:\s*setup\s*\n(.*?)-->", re.S)
_GENERATED = re.compile(r"def (\w+)_grad\(")


@dataclass
class Block:
    path: str
    line: int  # line of the code's first line in the file
    lang: str
    code: str
    marker: str  # the doc-test marker above it, or ""
    setup: list  # (line, code) of hidden setup comments between the previous block and this one


def _blocks(path: str) -> list[Block]:
    text = (ROOT / path).read_text()
    blocks, previous_end = [], 0
    for match in _FENCE.finditer(text):
        before = text[previous_end : match.start()]
        setup = [(text.count("\n", 0, previous_end + m.start(1)) + 1, m[1]) for m in _SETUP.finditer(before)]
        marker = _MARKER.search(before)
        code_line = text.count("\n", 0, match.start(2)) + 1
        code = match[2]
        marker_text = marker[1] if marker and not marker[1].startswith("setup") else ""
        first = code.strip().splitlines()[0] if code.strip() else ""
        marker_text = OVERRIDES.get((path, first), marker_text)
        blocks.append(Block(path, code_line, match[1], code, marker_text, setup))
        previous_end = match.end()
    return blocks


def _collected(block: Block) -> bool:
    return block.lang == "python" or (block.lang == "text" and block.marker == "output")


BLOCKS = [b for path in FILES for b in _blocks(path) if _collected(b)]


@dataclass
class Outcome:
    kind: str  # "ran", "compared", "skipped", "failed"
    detail: str = ""


def _contains(text: str, shown: str) -> str | None:
    """None if the lines of `shown` appear in `text` (pieces between `...` lines, in order), else
    a description of the first piece that does not."""
    lines = text.splitlines()
    pieces, piece = [], []
    for line in shown.rstrip("\n").splitlines():
        if line.strip() == "...":
            pieces.append(piece)
            piece = []
        else:
            piece.append(line)
    pieces.append(piece)
    at = 0
    for piece in pieces:
        if not piece:
            continue
        for start in range(at, len(lines) - len(piece) + 1):
            if lines[start : start + len(piece)] == piece:
                at = start + len(piece)
                break
        else:
            return (
                "these lines are not in what srcgrad shows (after the piece before):\n"
                + "\n".join(piece)
                + "\n\nwhat srcgrad shows:\n"
                + text
            )
    return None


def _rule_source(section: str) -> str:
    """The source of a section of the built-in rule table, for markers (`compare: rule_source(...)`)."""
    return inspect.getsource(importlib.import_module(f"srcgrad.rules.numpy.{section}"))


@contextlib.contextmanager
def _rule_table_kept():
    with contextlib.suppress(ImportError):
        import scipy.special  # noqa: F401  (a page may import it: its rules must be in the snapshot)
    rules.lookup(object())  # loads the built-in table, and the scipy.special rules with it
    adjoints, nondifferentiable = dict(rules.ADJOINTS), set(rules.NONDIFFERENTIABLE)
    tangents = dict(rules.TANGENTS)
    try:
        yield
    finally:
        changed = adjoints != rules.ADJOINTS or tangents != rules.TANGENTS
        if changed or nondifferentiable != rules.NONDIFFERENTIABLE:
            rules.ADJOINTS.clear()
            rules.ADJOINTS.update(adjoints)
            rules.TANGENTS.clear()
            rules.TANGENTS.update(tangents)
            rules.NONDIFFERENTIABLE.clear()
            rules.NONDIFFERENTIABLE.update(nondifferentiable)
            rules.registry.version += 1  # gradients compiled under the user's rule are stale


def _exec(code: str, path: str, line: int, namespace: dict) -> str:
    """Run `code` as if it stood at `line` of the Markdown file; what it printed."""
    padded = "\n" * (line - 1) + code
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(padded, str(ROOT / path), "exec"), namespace)
    return out.getvalue()


def _run(block: Block, namespace: dict, printed: str) -> tuple[Outcome, str]:
    """The outcome of one block, and what it printed."""
    marker = block.marker
    where = f"{block.path}:{block.line}"
    if marker.startswith("skip:"):
        return Outcome("skipped", f"{where}: {marker[5:].strip()}"), printed
    if marker.startswith("requires "):
        marker = ""  # checked, with its setup, by _missing
    if marker == "output":
        problem = _contains(printed.replace(str(ROOT) + "/", ""), block.code)
        return Outcome("failed" if problem else "compared", problem or ""), printed
    if marker.startswith("compare:"):
        shown = str(eval(marker[8:].strip(), namespace, {"rule_source": _rule_source}))
        problem = _contains(shown, block.code)
        return Outcome("failed" if problem else "compared", problem or ""), printed
    generated = _GENERATED.match(block.code)
    if generated and isinstance(namespace.get(generated[1]), srcgrad.functions.gradient.GradFunction):
        problem = _contains(namespace[generated[1]].source, block.code)
        return Outcome("failed" if problem else "compared", problem or ""), printed
    if marker:
        return Outcome("failed", f"{where}: unknown doc-test marker {marker!r}"), printed
    printed = _exec(block.code, block.path, block.line, namespace)
    return Outcome("ran"), printed


def _missing(block: Block) -> str:
    """Why a block marked `requires MODULE` cannot run here, or ""."""
    if not block.marker.startswith("requires "):
        return ""
    module = block.marker.split(None, 1)[1]
    try:
        importlib.import_module(module)
    except ImportError:
        return f"needs {module}, which is not installed (it is not a dependency of srcgrad)"
    return ""


@functools.cache
def _run_file(path: str) -> dict[int, Outcome]:
    namespace = {"__name__": "doc_" + re.sub(r"\W", "_", path), "np": np, "srcgrad": srcgrad}
    outcomes, printed, failed_before = {}, "", False
    with _rule_table_kept():
        if path in PRELUDE:
            exec(PRELUDE[path], namespace)
        for block in _blocks(path):
            if not _collected(block):
                continue
            missing = _missing(block)
            if missing:
                outcomes[block.line] = Outcome("skipped", f"{block.path}:{block.line}: {missing}")
                continue
            try:
                for line, code in block.setup:
                    _exec(code, path, line, namespace)
                outcome, printed = _run(block, namespace, printed)
            except Exception:
                outcome = Outcome("failed", traceback.format_exc(limit=-8))
            if outcome.kind == "failed" and failed_before:
                outcome.detail = "(an earlier block of this file failed too)\n" + outcome.detail
            failed_before |= outcome.kind == "failed"
            outcomes[block.line] = outcome
    return outcomes


@pytest.mark.parametrize("block", BLOCKS, ids=[f"{b.path}:{b.line}" for b in BLOCKS])
def test_doc_block(block):
    outcome = _run_file(block.path)[block.line]
    if outcome.kind == "skipped":
        pytest.skip(outcome.detail)
    if outcome.kind == "failed":
        pytest.fail(f"{block.path}:{block.line}:\n{outcome.detail}", pytrace=False)


def test_every_python_block_is_collected():
    """A Python block in another fence (```py, ```python3) would be silently left out."""
    for path in FILES:
        for block in _blocks(path):
            assert block.lang not in {"py", "python3", "pycon", "ipython"}, (
                f"{path}:{block.line}: write ```python so that the block is tested"
            )
