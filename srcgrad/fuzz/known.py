"""srcgrad bugs the fuzzer has found and that are not fixed yet (in committed code).

The default test run must stay green while they are open, and a campaign should look for new
bugs rather than rediscover these. Two mechanisms, each as precise as the bug allows:

- `FEATURES`: generator features that trigger a bug on their own. The default `Config`
  excludes them, so such programs are not generated at all.
- `SIGNATURES`: bugs that depend on more than one feature (so excluding one would lose too
  much coverage), recognized by the exact failure they cause. A program whose every problem
  matches a signature gets the status "known" instead of "failed".

`python -m srcgrad.fuzz --include-known-bugs` turns both off. When a bug is fixed, delete its
entry here: the fuzzer then checks that feature again.
"""

from __future__ import annotations

__all__ = ["FEATURES", "SIGNATURES", "known_failure"]

FEATURES: dict[str, str] = {
    "aliased_augassign": (
        "`b = a; a += x` then reading `b`: NumPy changes the array both names refer to. Not a bug "
        "any more: srcgrad refuses the program (fence.py names both lines), which the checker "
        "would count as an error, so the generator does not write it (tests/test_corpus.py "
        "checks the refusal)."
    ),
    # The fuzzer's features of real programs (generate.NEW_FEATURES) found 18 bugs, all fixed
    # or refused with a true message now (docs/reliability.md). A new one goes here until its
    # fix: tests/test_fuzz.py then expects the feature's programs to fail, and to pass after.
}

# (bug, text that the problem message contains): all of them must occur in one problem.
SIGNATURES: dict[str, tuple[str, tuple[str, ...]]] = {}


def known_failure(problem: str) -> str | None:
    """The name of the known bug that `problem` (an Outcome's problem line) shows, or None."""
    for name, (_, parts) in SIGNATURES.items():
        if all(part in problem for part in parts):
            return name
    return None
