"""Deterministic names for temporaries and adjoints that never clash with the user's names."""

from __future__ import annotations

import builtins
import keyword


class Namer:
    """Hands out fresh identifiers: `base`, then `base_2`, `base_3`, ...

    >>> n = Namer(reserved={"x"})
    >>> n.fresh("x"), n.fresh("t"), n.fresh("t")
    ('x_2', 't', 't_2')
    """

    def __init__(self, reserved=()):
        self.taken = set(reserved) | set(keyword.kwlist) | {n for n in dir(builtins) if not n.startswith("_")}
        self.tried: dict[str, int] = {}  # base -> the last k tried for it, so each k is tried once

    def fresh(self, base: str) -> str:
        base = base if base.isidentifier() and not keyword.iskeyword(base) else "t"
        candidate, k = base, self.tried.get(base, 1)
        if k > 1:
            candidate = f"{base}_{k}"
        while candidate in self.taken:
            k += 1
            candidate = f"{base}_{k}"
        self.tried[base] = k
        self.taken.add(candidate)
        return candidate

    def claim(self, identifier: str) -> str:
        """Take `identifier` itself (a user variable's own name)."""
        self.taken.add(identifier)
        return identifier


def function_identifier(fn) -> str:
    """A Python identifier for the function `fn`: its name, or `lambda_` for a lambda."""
    name = getattr(fn, "__name__", "")
    return name if name.isidentifier() and not keyword.iskeyword(name) else "lambda_"
