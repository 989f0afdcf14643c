"""The fast way in: a generated entry point for the argument types and shapes a function gets.

`GradFunction.__call__` checks every argument, chooses the backend and the code specialised to
the arguments' shapes, and checks every gradient it hands back (and `JvpFunction` likewise for
its tangents). For a 4×20 network that costs
more than the gradient's own arithmetic (which runs in about 20 µs), and for a function of
Python floats it costs five times the arithmetic. So once a function has been called twice
with arguments of the same types, shapes and dtypes, srcgrad writes one more function for
exactly that case: it tests that the arguments are again of those types, shapes and dtypes,
runs the body of the specialised gradient in place (no second call), and checks only what
the code itself cannot promise (the dtype of each gradient, and that the value is a scalar).
Anything else goes the general way. For the XOR loss it reads:

    def xor_loss(W1, B1, W2, B2, X, Y):
        if (type(W1) is ndarray and W1.shape == (2, 20) and W1.dtype is dtype_0 and ...
                and rules.version == 3 and globals_.get('np', missing) is guard_0):
            try:
                ... the specialised gradient's body ...
            except Exception as exc:
                failed(exc, W1, B1, W2, B2, X, Y)
            if type(xor_loss) in scalars and dW1.dtype is W1.dtype and dW1.shape == W1.shape ...:
                return xor_loss, (dW1, dB1, dW2, dB2)
            return finish(xor_loss, (dW1, dB1, dW2, dB2), W1, B1, W2, B2, X, Y)
        return slow(W1, B1, W2, B2, X, Y)

(its helper names are spelt `__srcgrad_..._`, so that they cannot meet the user's). A gradient
is handed back unchecked only when the code computes it as a new array (an arithmetic result,
a NumPy function that allocates, a reduction), so it can be neither an argument nor a view of
one, nor another gradient; the entry is not written otherwise.
"""

from __future__ import annotations

import ast
import linecache
import numbers
from collections.abc import Callable

import numpy as np

from .cache import NUMBER_GUARD
from .naming import function_identifier
from .rules import registry

# Types an argument not differentiated may have at the fast entry; the code reads them as the
# general path does, so only their type is tested.
_PLAIN = (float, int, bool, str, type(None))
# NumPy functions whose result is always a new array (without `out=`)
_ALLOCATING = {
    "where",
    "zeros",
    "ones",
    "full",
    "zeros_like",
    "ones_like",
    "full_like",
    "outer",
    "dot",
    "matmul",
    "tensordot",
    "sum",
    "mean",
    "prod",
    "cumsum",
    "clip",
}
_ALLOCATING_METHODS = {"sum", "mean", "prod", "copy", "cumsum", "max", "min"}
_P = "__srcgrad_{}__"


class Entry:
    """A compiled entry point and what it was written for."""

    def __init__(self, function: Callable, variant):
        self.function = function
        self.variant = variant  # the cache entry of the specialised gradient it inlines


def eligible_types(values: dict, wrt: list[str]) -> bool:
    """Whether a call with these arguments (name -> value) can have a fast entry."""
    for n, v in values.items():
        t = type(v)
        if t is np.ndarray:
            continue
        if n in wrt and t is not float:
            return False
        if n not in wrt and t not in _PLAIN:
            return False
    return True


def write(owner, variant, values: dict, helpers: dict) -> Entry | None:
    """The entry for calls like this one (`values`: parameter -> this call's argument), inlining
    `variant`'s specialised code, or None when this code cannot have one.

    `owner` is the `functions.compiled.Compiled` the entry is for; its `_entry_outputs` says when
    the code's results go back unchecked, and what goes back (a gradient and a jvp differ).
    `helpers` holds what the entry calls besides the code's own names: `slow(*args)` (the
    general path), `finish(value, outputs, *args)` and `failed(exc, *args)`.
    """
    from .compile import bindings

    generated = variant.build.generated
    lines = generated.source.splitlines()
    header, body, returned = lines[0], lines[1:-1], lines[-1].strip()
    try:
        tree = ast.parse(generated.source).body[0]
    except SyntaxError:
        return None
    value, outputs = _returned(tree)
    if value is None or tree.args.vararg or tree.args.kwarg:
        return None
    params = [a.arg for a in tree.args.posonlyargs + tree.args.args]
    keyword_only = [a.arg for a in tree.args.kwonlyargs]
    if any(n not in values for n in params + keyword_only):
        return None  # the code names a parameter otherwise than the call does
    fresh = _fresh_names(tree, generated.free)

    names: dict = {}  # entry parameter -> the object it is bound to

    def bind(obj, hint: str) -> str:
        n = _P.format(f"{hint}_{len(names)}")
        names[n] = obj
        return n

    ndarray = bind(np.ndarray, "ndarray")
    tests = []
    for n in params + keyword_only:
        v = values[n]
        if type(v) is np.ndarray:
            dtype = bind(v.dtype, "dtype")
            tests.append(f"type({n}) is {ndarray} and {n}.shape == {v.shape!r} and {n}.dtype is {dtype}")
        elif v is None:
            tests.append(f"{n} is None")
        else:
            tests.append(f"type({n}) is {bind(type(v), 'type')}")
    tests.append(f"{bind(registry, 'rules')}.version == {variant.rules_version}")
    namespaces = {id(variant.globals): bind(variant.globals, "globals")}
    missing = bind(object(), "missing")
    for namespace, gname, kind, expected in variant.guards:
        if id(namespace) not in namespaces:  # the module of a helper inlined from another file
            namespaces[id(namespace)] = bind(namespace, "globals")
        read = f"{namespaces[id(namespace)]}.get({gname!r}, {missing})"
        if kind == NUMBER_GUARD:  # a number, read live
            tests.append(f"{bind(_is_number, 'is_number')}({read})")
        else:
            tests.append(f"{read} is {bind(expected, 'guard')}")

    made = owner._entry_outputs(value, outputs, values, fresh, bind, ndarray)
    if made is None:
        return None
    checks, result, handed = made
    call_args = ", ".join(params + [f"{k}={k}" for k in keyword_only])
    slow, finish, failed = (bind(helpers[k], k) for k in ("slow", "finish", "failed"))
    exc = _P.format("exc")
    name = function_identifier(owner.fn)  # `lambda_` for a lambda
    out = [
        header.replace(f"def {generated.function_name}(", f"def {name}(", 1),
        "    if (",
        *[f"        {t} and" for t in tests[:-1]],
        f"        {tests[-1]}",
        "    ):",
        "        try:",
        *[f"        {line}" if line.strip() else "" for line in body],
        f"        except Exception as {exc}:",
        f"            {failed}({exc}, {call_args})",
        "        if (",
        *[f"            {c} and" for c in checks[:-1]],
        f"            {checks[-1]}",
        "        ):",
        f"            return {result}",
        f"        return {finish}({handed}, {call_args})",
        f"    return {slow}({call_args})",
    ]
    assert returned.startswith("return ")
    import hashlib  # here: a program that never differentiates anything need not load it

    digest = hashlib.sha1("\n".join(out).encode()).hexdigest()[:10]
    factory = _P.format("entry_factory")
    own = bindings(generated, variant.globals, dict(variant.closure))
    text = "\n".join(
        [
            f"def {factory}({', '.join([*own, *names])}):",
            *["    " + line for line in out],
            f"    return {name}",
        ]
    )
    filename = f"<srcgrad: {name} entry {digest}>"
    linecache.cache[filename] = (len(text), None, [line + "\n" for line in text.splitlines()], filename)
    namespace: dict = {}
    exec(compile(text + "\n", filename, "exec"), variant.globals, namespace)
    function = namespace[factory](**own, **names)
    function.__qualname__ = owner.fn.__qualname__
    return Entry(function, variant)


def _is_number(value) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def _returned(fn: ast.FunctionDef):
    """(value name, [output names]) of the code's final `return value, outputs` (the gradients,
    or a tangent), or (None, None) when they are not plain names."""
    last = fn.body[-1]
    if not (isinstance(last, ast.Return) and isinstance(last.value, ast.Tuple) and len(last.value.elts) == 2):
        return None, None
    value, grads = last.value.elts
    items = grads.elts if isinstance(grads, ast.Tuple) else [grads]
    if not isinstance(value, ast.Name) or not all(isinstance(g, ast.Name) for g in items):
        return None, None
    return value.id, [g.id for g in items]


def _fresh_names(fn: ast.FunctionDef, free: list[str]) -> set[str]:
    """Names every binding of which makes a new object: arithmetic, allocating NumPy calls,
    reductions. Such a name never holds an argument, a view of one, or another name's array."""
    verdict: dict[str, bool] = {}
    params = {a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs}
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    ok = _allocates(node.value, free)
                    verdict[target.id] = verdict.get(target.id, True) and ok
                else:  # tuple unpacking (a loop's saved values), subscripts
                    for n in ast.walk(target):
                        if isinstance(n, ast.Name):
                            verdict[n.id] = False
        elif isinstance(node, (ast.For, ast.AnnAssign, ast.NamedExpr)):
            for n in ast.walk(node.target):
                if isinstance(n, ast.Name):
                    verdict[n.id] = False
    return {n for n, ok in verdict.items() if ok and n not in params}


def _allocates(e: ast.expr, free: list[str]) -> bool:
    if isinstance(e, ast.BinOp):
        return True
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, (ast.USub, ast.UAdd)):
        return True
    if (
        isinstance(e, ast.Call)
        and isinstance(e.func, ast.Attribute)
        and not any(k.arg == "out" for k in e.keywords)
    ):
        owner, attribute = e.func.value, e.func.attr
        if isinstance(owner, ast.Name) and owner.id in free:  # np.where(...): a NumPy function
            return attribute in _ALLOCATING or isinstance(getattr(np, attribute, None), np.ufunc)
        return attribute in _ALLOCATING_METHODS
    return False
