"""The checks that need no numbers: inputs left unchanged, calls repeatable bit for bit, and
results shaped like their parameters (type, shape, dtype, containers) in memory of their own."""

from __future__ import annotations

import numpy as np

from .outcome import Outcome


def _same_inputs(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same_inputs(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same_inputs(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return (
            isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and a.tobytes() == b.tobytes()
        )
    return type(a) is type(b) and (a == b or (a != a and b != b))


def _identical(a, b) -> bool:
    """Bit for bit the same result (value or gradient tree)."""
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_identical(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_identical(a[k], b[k]) for k in a)
    if type(a) is not type(b):
        return False
    if isinstance(a, (np.ndarray, np.generic)):
        return (
            a.dtype == b.dtype
            and np.shape(a) == np.shape(b)
            and np.asarray(a).tobytes() == np.asarray(b).tobytes()
        )
    return a == b or (a != a and b != b)


def _arrays(tree):
    if isinstance(tree, dict):
        for v in tree.values():
            yield from _arrays(v)
    elif isinstance(tree, (tuple, list)):
        for v in tree:
            yield from _arrays(v)
    elif isinstance(tree, np.ndarray):
        yield tree


def _same_inputs_tree(a, b) -> bool:
    return len(a) == len(b) and all(_same_inputs(x, y) for x, y in zip(a, b))


def _check_kinds(
    outcome: Outcome, gradients, base, names=None, what="gradient", kind="kind", others=()
) -> None:
    """Each gradient (or each `what`, of the parameters `names`) like its parameter (shape,
    dtype, float for a float), in its own memory (not that of `base` or of `others`)."""
    program = outcome.program
    names = program.wrt if names is None else names
    if not isinstance(gradients, tuple) or len(gradients) != len(names):
        outcome.fail(kind, f"expected a tuple of {len(names)} {what}s, got {type(gradients).__name__}")
        return
    values = dict(zip((p.name for p in program.params), base))
    for name, g in zip(names, gradients):
        pairs = []
        problem = _leaf_pairs(name, g, values[name], pairs)
        if problem:
            outcome.fail(kind, f"{what} for {problem}")
            continue
        for label, gi, pi in pairs:
            if isinstance(pi, float):
                if type(gi) is not float:
                    outcome.fail(kind, f"{what} for float {label!r} is a {type(gi).__name__}, not a float")
            elif type(gi) is not np.ndarray or gi.shape != pi.shape or gi.dtype != pi.dtype:
                got = f"{type(gi).__name__} {getattr(gi, 'dtype', '')} {np.shape(gi)}"
                outcome.fail(kind, f"{what} for {label!r} is {got}, not float64 {pi.shape}")
    inputs = list(_arrays(base)) + list(_arrays(list(others)))
    grads = list(_arrays(gradients))
    for i, g in enumerate(grads):
        shared = [a for a in inputs if np.shares_memory(g, a)]
        if shared:
            view = " that is a view" if any(a.base is not None for a in shared) else ""
            outcome.fail("memory", f"a {what} shares memory with an input array{view}")
        if any(np.shares_memory(g, h) for h in grads[i + 1 :]):
            outcome.fail("memory", f"two {what}s share memory")


def _leaf_pairs(label: str, g, p, pairs: list) -> str | None:
    """(label, gradient, parameter) for each leaf of the parameter `p` added to `pairs`; or what
    is wrong with the containers of `g` (not those of `p`: a dict for a dict, with the same keys;
    a list for a list, a tuple for a tuple, of the same length)."""
    if isinstance(p, dict):
        if not isinstance(g, dict) or g.keys() != p.keys():
            return f"{label!r} is not a dict with keys {list(p)}"
    elif isinstance(p, (list, tuple)):
        if type(g) is not type(p) or len(g) != len(p):
            return f"{label!r} is a {type(g).__name__}, not a {type(p).__name__} of {len(p)} items"
    else:
        pairs.append((label, g, p))
        return None
    for key in p if isinstance(p, dict) else range(len(p)):
        problem = _leaf_pairs(f"{label}[{key!r}]", g[key], p[key], pairs)
        if problem:
            return problem
    return None
