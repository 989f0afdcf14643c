"""What checking one program concludes: the `Outcome`, its classes (pass, refused, wrong,
internal), and which of srcgrad's errors are proper refusals rather than internal errors."""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass, field

from ..program import Program

REFUSAL_LIMIT = 2000  # characters: a longer refusal is no message a user can read

# Outcome kinds (see Outcome.fail) that mean a wrong result; every other kind is an internal error.
WRONG_KINDS = frozenset(
    {"value", "gradient", "autograd", "mutation", "memory", "kind", "nondeterministic"}
    | {"jvp", "jvp-value", "jvp-kind", "hvp", "hvp-symmetry", "hvp-kind", "nested", "nested-value"}
    | {"nested-kind"}
)


@dataclass
class Outcome:
    """What checking one program found.

    `status` is "passed", "refused" (srcgrad declined the program properly: `refusal` is the
    error's first line), "failed" (srcgrad is wrong or broke: `problems` says how, `verdict`
    whether "wrong" or "internal"), "known" (failed, but only the way a known, still open
    srcgrad bug fails: `known` names it, see `srcgrad.fuzz.known`), "rejected" (the program's
    value is not in a sane range, so it was not checked) or "invalid" (the program does not run
    as plain NumPy: a bug of the generator, not of srcgrad).
    """

    program: Program
    seed: int
    status: str = "passed"
    problems: list[str] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    autograd_checked: bool = False
    known: set[str] = field(default_factory=set)
    stage: str = "loading"  # what the check was doing (said when it runs out of time)
    forward_checked: bool = False  # jvp compared with reverse mode
    hvp_checked: bool = False  # hvp compared with differenced gradients
    nested_checked: bool = False  # grad of a grad compared with differenced gradients
    skipped: list[str] = field(default_factory=list)  # "jvp: no tangent rule for numpy.foo", ...
    refusal: str = ""  # with status "refused": the error's type and first line

    @property
    def ok(self) -> bool:
        return self.status in ("passed", "refused", "rejected", "known")

    @property
    def verdict(self) -> str:
        """The class of the program: "pass", "refused", "wrong" or "internal" (see the module
        docstring); "rejected", "invalid" or "known" for one not checked or failing a known way."""
        if self.status == "failed":
            return "wrong" if self.kinds & WRONG_KINDS else "internal"
        return {"passed": "pass"}.get(self.status, self.status)

    def fail(self, kind: str, message: str) -> None:
        self.status = "failed"
        self.kinds.add(kind)
        self.problems.append(f"[{kind}] {message}")

    def report(self) -> str:
        status = f"{self.status} ({self.verdict.upper()})" if self.status == "failed" else self.status
        lines = [f"{status}: program {self.program.name!r}, wrt={self.program.wrt}, input seed {self.seed}"]
        if self.refusal:
            lines.append(f"refusal: {self.refusal}")
        lines.append("parameters: " + ", ".join(p.describe() for p in self.program.params))
        lines += self.problems
        lines += [f"note: {n}" for n in self.notes]
        lines += [f"skipped: {n}" for n in self.skipped]
        lines += ["source:", self.program.source()]
        return "\n".join(lines)


def _improper_refusal(exc: Exception, path: str) -> str | None:
    """None if `exc` is a proper refusal of the program in the file `path` (see the module
    docstring); else what makes it an internal error."""
    from srcgrad.errors import SrcgradError

    text = str(exc)
    if not isinstance(exc, SrcgradError):
        generated = [f.filename for f in traceback.extract_tb(exc.__traceback__)]
        inside = any(name.startswith("<srcgrad") for name in generated)
        inside = " raised inside srcgrad's generated code" if inside else ""
        return f"not one of srcgrad's user-facing errors{inside}"
    if type(exc) is SrcgradError or "internal error" in text:
        return "an internal error"
    lines = {int(n) for name, n in re.findall(r'File "([^"]+)", line (\d+)', text) if name == path}
    with open(path, encoding="utf-8") as fh:
        length = len(fh.read().splitlines())
    if not any(1 <= n <= length for n in lines):
        return "a refusal that names no line of the program's file"
    if len(text) > REFUSAL_LIMIT:
        return f"a refusal of {len(text)} characters"
    if re.search(r"array\(|\[\[?\s*-?\d+\.\d*(e[-+]?\d+)?\s+-?\d", text):
        return "a refusal that shows an array"
    return None


def _clip(text: str, limit: int = REFUSAL_LIMIT) -> str:
    return text if len(text) <= limit else text[:limit] + f" ... ({len(text) - limit} more characters)"


def _missing_rule(exc: Exception) -> str | None:
    """The function named by a NoRuleError for a missing tangent rule (else None)."""
    from srcgrad.errors import NoRuleError

    text = str(exc)
    if not isinstance(exc, NoRuleError) or "no forward-mode (tangent) rule" not in text:
        return None
    match = re.search(r"tangent\) rule for ([^\s,]+)", text)
    return match.group(1) if match else "?"


def _refuses_containers(exc: Exception, program: Program, names) -> bool:
    """jvp/hvp refused a container parameter (their tangents are floats or arrays only)."""
    from srcgrad.errors import ArgumentTypeError

    containers = {p.name for p in program.params if p.leaves is not None}
    said = re.search(r"is a (dict|list|tuple)\b", str(exc))
    return isinstance(exc, ArgumentTypeError) and bool(said) and bool(containers & set(names))
