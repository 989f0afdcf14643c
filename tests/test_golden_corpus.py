"""Golden listings of the generated code for every program of the corpus (tests/corpus.py).

For each program: grad's general code, grad's code specialised by a call, and the jvp and hvp
code, before and after a call. A change to the compiler that changes any of them fails here,
with the difference; review it, then rerun with SRCGRAD_UPDATE_GOLDEN=1 to accept it.
"""

import difflib
import os
import pathlib

import numpy as np
import pytest
from test_corpus import CASES, _args

import srcgrad

GOLDEN = pathlib.Path(__file__).parent / "golden" / "corpus"


def _attempt(make) -> str:
    try:
        return make()
    except srcgrad.SrcgradError as exc:
        return f"refused: {type(exc).__name__}: {str(exc).splitlines()[0]}\n"
    except (TypeError, ValueError) as exc:  # tangents for parameters that are not arrays
        return f"fails: {type(exc).__name__}\n"


def _tangents(args, func, wrt):
    names = list(srcgrad.grad(func, wrt=wrt).signature.parameters)
    return [_ones_like(args[names.index(w)]) for w in wrt]


def _ones_like(value):
    """Ones shaped like `value`, nested like it when it is a dict, list or tuple."""
    if isinstance(value, dict):
        return {k: _ones_like(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_ones_like(v) for v in value)
    return np.ones_like(value)


def listing(func, wrt, args) -> str:
    """The code srcgrad generates for `func` in each mode, as one text."""
    sections = []

    def grad_called():
        g = srcgrad.grad(func, wrt=wrt)
        g(*args)
        return g.source

    def called(transform):
        def make():
            f = transform(func, wrt=wrt)
            f(*args, *_tangents(args, func, wrt))
            return f.source

        return make

    for title, make in [
        ("grad", lambda: srcgrad.grad(func, wrt=wrt).source),
        ("grad, after a call", grad_called),
        ("jvp", lambda: srcgrad.jvp(func, wrt=wrt).source),
        ("jvp, after a call", called(srcgrad.jvp)),
        ("hvp", lambda: srcgrad.hvp(func, wrt=wrt).source),
        ("hvp, after a call", called(srcgrad.hvp)),
    ]:
        sections.append(f"## {title}\n{_attempt(make)}")
    return "\n".join(sections)


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_generated_code_is_unchanged(case, request):
    name = request.node.callspec.id
    text = listing(case.func, case.wrt, _args(case))
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("SRCGRAD_UPDATE_GOLDEN"):
        path.write_text(text)
    old = path.read_text()
    diff = "".join(difflib.unified_diff(old.splitlines(True), text.splitlines(True), "golden", "now", n=2))
    assert text == old, (
        f"the generated code for {name} changed; review, then rerun with "
        f"SRCGRAD_UPDATE_GOLDEN=1:\n{diff[:4000]}"
    )
