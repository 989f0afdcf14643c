"""The arguments of a call and the values returned: which parameters are differentiated, whether
an argument can be, the nesting of dict, list, tuple, NamedTuple and dataclass parameters, and
each gradient or tangent made a value like its parameter that owns its memory (never an argument,
nor a view of one)."""

from __future__ import annotations

import dataclasses
import inspect

import numpy as np

from .. import backends
from ..analyses.scope import is_users_object
from ..errors import (
    ArgumentTypeError,
    ComplexValueError,
    Location,
    SrcgradError,
    UnsupportedBackendError,
    WrtError,
    describe,
)
from ..frontend import def_location
from ..ir import FUNCTION_ARGUMENT, INSTANCE_ARGUMENT

POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
SCALARS = (float, np.float64, np.float32)


def resolve_wrt(f, signature, wrt) -> list[str]:
    params = list(signature.parameters.values())
    names = [p.name for p in params]
    if not params:
        raise WrtError(
            f"{f.__name__!r} has no parameters to differentiate with respect to.", _wrt_location(f)
        )
    items = [params[0].name] if wrt is None else (list(wrt) if isinstance(wrt, (tuple, list)) else [wrt])
    if not items:
        raise WrtError("wrt is empty: name at least one parameter.", _wrt_location(f))
    resolved = []
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool):
            if not -len(params) <= item < len(params):
                raise WrtError(
                    f"wrt index {item} is out of range: {f.__name__!r} has "
                    f"{len(params)} parameters ({', '.join(names)}).",
                    _wrt_location(f),
                )
            item = names[item]
        if not isinstance(item, str) or item not in names:
            raise WrtError(
                f"wrt={item!r} is not a parameter of {f.__name__!r}; its parameters are {', '.join(names)}.",
                _wrt_location(f),
            )
        kind = signature.parameters[item].kind
        if kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            raise WrtError(
                f"wrt={item!r} names a *args/**kwargs parameter; name a single parameter.", _wrt_location(f)
            )
        if item in resolved:
            raise WrtError(f"wrt names {item!r} twice.", _wrt_location(f))
        resolved.append(item)
    return resolved


def _wrt_location(f) -> Location:
    """The `def` line of `f`, for a WrtError (found only when one is raised)."""
    code = f.__code__
    return def_location(f) or Location(code.co_filename, code.co_firstlineno, function=f.__name__)


def structure_of(value, path: str):
    """The nesting of dicts, lists, tuples, NamedTuples and dataclasses in `value`, as a hashable
    description; each leaf must be a floating-point value (`path` names it in the error
    otherwise). A NamedTuple or dataclass instance (a record) is `(RECORD kind, names of the
    fields differentiated, their structures)`: its kind says its class, all its field names and
    the fields that decide the code (`record_kind`); a field that holds no floating-point value
    is read as it is, not differentiated, and left out of the rest."""
    if is_record(value):
        fields = record_fields(value)
        differentiated = [(n, v) for n, v in fields if holds_floats(v)]
        kind = record_kind(value, fields, path)
        parts = tuple(structure_of(v, f"{path}.{n}") for n, v in differentiated)
        return (kind, tuple(n for n, _ in differentiated), parts)
    if isinstance(value, dict):
        keys = tuple(value)
        return ("dict", keys, tuple(structure_of(value[k], f"{path}[{k!r}]") for k in keys))
    if isinstance(value, (list, tuple)):
        kind = "list" if isinstance(value, list) else "tuple"
        return (kind, len(value), tuple(structure_of(v, f"{path}[{i}]") for i, v in enumerate(value)))
    if not ((type(value) is np.ndarray and value.dtype.kind == "f") or type(value) is float):
        check_differentiable(path, value)
    return None


def structures_of(wrt: list[str], params: list):
    """The key of the code for a call's differentiated arguments (`params`, one per `wrt`
    parameter): None when each is a float or an array, else the nesting of each (`structure_of`,
    None for a plain one). Raises ArgumentTypeError for a value that cannot be differentiated."""
    for w, p in zip(wrt, params):
        if not ((type(p) is np.ndarray and p.dtype.kind == "f") or type(p) is float):
            if is_nested(p):
                return tuple((w, structure_of(p, w)) for w, p in zip(wrt, params))
            check_differentiable(w, p)
    return None


# -- records: NamedTuple and dataclass instances --------------------------------------------------

RECORD = "record"  # the first item of a record's kind (see structure_of)


def is_record(value) -> bool:
    """Whether `value` is an instance of a NamedTuple (or collections.namedtuple) class or of a
    dataclass."""
    if isinstance(value, tuple):
        return isinstance(getattr(type(value), "_fields", None), tuple)
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def is_nested(value) -> bool:
    """A value srcgrad follows part by part: a dict, list, tuple, NamedTuple or dataclass."""
    return isinstance(value, (dict, list, tuple)) or is_record(value)


def record_fields(value) -> list[tuple[str, object]]:
    """(name, value) for each field of a record, in the class's order (a dataclass's fields with
    `init=False` too; one the instance has no value for is left out)."""
    if isinstance(value, tuple):
        return list(zip(type(value)._fields, value))
    missing = object()
    found = [(f.name, getattr(value, f.name, missing)) for f in dataclasses.fields(value)]
    return [(n, v) for n, v in found if v is not missing]


def record_kind(value, fields, path: str) -> tuple:
    """The kind of a record in its structure: (RECORD, its class, the names of its fields, the
    fields that decide the code, as (name, value): a function, which the code calls by its rule
    or writes out, or one of the user's objects, whose methods it writes out (as an
    `ObjectKey`)). The class is part of the key of the code, so two classes with the same fields
    never share it; so are those fields' values. A dataclass that srcgrad cannot make a
    gradient of (`rebuild_record`) is refused here, before anything runs."""
    cls = type(value)
    if not isinstance(value, tuple) and cls.__new__ is not object.__new__:
        raise ArgumentTypeError(
            f"srcgrad returns the gradient with respect to {path} as an instance of {cls.__qualname__} "
            f"holding the gradients in its fields, made without calling {cls.__qualname__}'s __init__ "
            f"(which may check or change the values it is given); {cls.__qualname__} has a "
            "__new__ of its own (or a base class that is not a plain object), so it cannot be made "
            "that way.",
            hint=f"Pass the arrays of {path} as a dict, a NamedTuple or a dataclass without a "
            "__new__ of its own.",
        )
    bound = tuple(
        (n, v if is_function(v) else ObjectKey((INSTANCE_ARGUMENT, v)))
        for n, v in fields
        if not holds_floats(v) and (is_function(v) or is_users_object(v))
    )
    return (RECORD, cls, tuple(n for n, _ in fields), bound)


def is_function(value) -> bool:
    return inspect.isfunction(value) or inspect.isbuiltin(value) or isinstance(value, np.ufunc)


def holds_floats(value) -> bool:
    """Whether a record's field is differentiated: it is, or holds, a floating-point number or
    array (or a complex one, or an array of a library srcgrad does not take, refused then with
    the reason). Any other field (an int, a string, None, an array of integers, a function) is
    read as it is."""
    if type(value) is float or isinstance(value, (float, complex, np.floating, np.complexfloating)):
        return True
    if is_nested(value):
        return any(holds_floats(leaf) for _, leaf in leaves(value))
    if backends.kind_of(value) is None:
        return backends.foreign(value)
    return value.dtype.kind in ("f", "c")


def rebuild_record(record, values: dict):
    """A record of `record`'s class whose fields hold `values` (field name -> value), and
    `record`'s own values in the others. A NamedTuple is made by `_make`; a dataclass without
    calling its `__init__` (nor `__post_init__`): each field set as it is (on a frozen one
    too), so that a gradient is exactly the gradients of the fields, `init=False` fields
    included, never checked or changed as a parameter would be."""
    cls = type(record)
    if isinstance(record, tuple):
        return cls._make(values.get(n, v) for n, v in zip(cls._fields, record))
    made = object.__new__(cls)
    for n, v in record_fields(record):
        object.__setattr__(made, n, values.get(n, v))
    return made


def path_text(value, path) -> str:
    """How the user spells the part of `value` at `path`: `['W1']`, `[0]`, `.W`, in turn."""
    text = ""
    for key in path:
        if is_record(value):
            text += f".{key}"
            value = getattr(value, key)
        else:
            text += f"[{key!r}]"
            value = value[key]
    return text


def function_arguments(named: dict, wrt) -> tuple:
    """(name, (FUNCTION_ARGUMENT, value)) for each argument that is a function (`act=np.tanh`, a
    lambda, a function of the user's) and is not differentiated: the code is generated for
    each such value, as for each structure of a nested parameter."""
    out = []
    for n, v in named.items():
        if n in wrt or isinstance(v, (type, np.ndarray, np.generic, int, float, complex, str, bytes)):
            continue
        if inspect.isfunction(v) or inspect.isbuiltin(v) or isinstance(v, np.ufunc) or inspect.ismethod(v):
            out.append((n, (FUNCTION_ARGUMENT, v)))
        elif is_users_object(v):  # `model.forward(x)` on it: code for its class's methods
            out.append((n, ObjectKey((INSTANCE_ARGUMENT, v))))
    return tuple(out)


class ObjectKey(tuple):
    """`(INSTANCE_ARGUMENT, obj)` as a key of the code. The code for one of the user's objects
    depends on its class (the methods written out) and on the attributes whose values the
    lowering binds into it (one of the user's objects, a list or tuple holding one, a function:
    anf/inlining.py `known_attribute`); arrays and numbers are read as the code runs. So two
    dataclass instances with the same class and those attributes share the code (a dataclass
    of data passed at each step is compiled for once); any other object keys it by identity.
    Never by the object's own `==`, which may compare arrays or be missing (a dataclass that
    is not frozen cannot be hashed)."""

    __slots__ = ()

    def _key(self):
        obj = self[1]
        if not dataclasses.is_dataclass(obj):
            return self[0], id(obj)
        own = getattr(obj, "__dict__", None)
        if not isinstance(own, dict):  # slots: no attribute is bound in
            return self[0], type(obj), ()
        return self[0], type(obj), tuple((k, id(v)) for k, v in own.items() if _bound_into_code(v))

    def __hash__(self):
        return hash(self._key())

    def __eq__(self, other):
        return isinstance(other, ObjectKey) and self._key() == other._key()

    def __ne__(self, other):
        return not self == other


def _bound_into_code(value) -> bool:
    """Whether the lowering binds an object's attribute holding `value` into the code."""
    listed = isinstance(value, (list, tuple)) and any(is_users_object(v) for v in value)
    return is_users_object(value) or listed or inspect.isfunction(value)


def skeleton(value) -> str:
    """The nesting of `value` for a message: `{'W': array (2, 3), 'b': [float, float]}`,
    `Layer(W=array (2, 3), n=int)`."""
    if is_record(value):
        fields = ", ".join(f"{n}={skeleton(v)}" for n, v in record_fields(value))
        return f"{type(value).__name__}({fields})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {skeleton(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(skeleton(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(skeleton(v) for v in value) + (",)" if len(value) == 1 else ")")
    if isinstance(value, np.ndarray):
        return f"array {value.shape}"
    return type(value).__name__


def leaves(value, path=()):
    """(path, leaf) for each value in nested dicts, lists, tuples and records; a path is the
    keys, indices and field names that lead to the leaf. A record's fields that are not
    differentiated (`holds_floats`) are not leaves."""
    if is_record(value):
        for n, v in record_fields(value):
            if holds_floats(v):
                yield from leaves(v, (*path, n))
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, (*path, k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from leaves(v, (*path, i))
    else:
        yield path, value


def check_differentiable(name: str, value) -> None:
    if type(value) is float:
        return
    if backends.kind_of(value) in ("cupy", "dask") and value.dtype.kind == "f":
        return
    if isinstance(value, (np.ndarray, np.generic)) and np.issubdtype(value.dtype, np.floating):
        return
    if isinstance(value, (bool, np.bool_)) or (
        isinstance(value, (np.ndarray, np.generic)) and value.dtype == bool
    ):
        what = "a boolean"
    elif isinstance(value, (int, np.integer)) or (
        isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.integer)
    ):
        what = "an integer"
    elif value is None:
        what = "None"
    else:
        if backends.foreign(value):  # a torch tensor, a JAX array: name the supported libraries
            backends.choose([(name, value)])
        what = f"a {type(value).__name__}"
        if isinstance(value, np.ndarray) or backends.kind_of(value) is not None:
            what = f"an array of dtype {value.dtype}"
    raise ArgumentTypeError(
        f"gradient with respect to {name!r} needs a floating-point value, "
        f"but {_named(name, value)} is {what}.",
        hint=f"Pass a float, or a float array of NumPy, CuPy or Dask, e.g. "
        f"{name}=np.asarray({name}, dtype=float).",
    )


def _named(name: str, value) -> str:
    """`x=3` for a value short to show, else `x (a NumPy array of shape (3,) and dtype int64)`:
    never an array's elements."""
    shown = describe(value)
    if shown.startswith(("a ", "an ")):
        return f"{name} ({shown})"
    return f"{name}={shown}"


def root(a):
    while isinstance(a, np.ndarray) and a.base is not None:
        a = a.base
    return id(a)


def gradient_like(g, p, roots: set):
    """The gradient `g` as the same kind of value as the parameter `p`, owning its memory.

    `roots` holds the ids of the argument arrays and of the gradients returned so far; a
    gradient that is, or is a view of, one of them is copied.
    """
    refuse_complex(g, p)
    if type(p) is float:
        return float(g)
    if isinstance(p, np.generic):
        return p.dtype.type(g)
    fresh = type(g) is np.ndarray and g.base is None and id(g) not in roots
    if fresh and g.dtype == p.dtype and g.shape == p.shape:  # the common case
        roots.add(id(g))
        return g
    g = np.asarray(g)
    if g.shape != p.shape:
        raise SrcgradError(
            f"internal error: a gradient of shape {g.shape} was computed for a parameter of shape {p.shape}.",
            hint="Please report this with the function that caused it.",
        )
    return owned(g, p.dtype, roots)


def refuse_complex(derivative, like) -> None:
    """Raise if a derivative of a real value came out complex: complex values reached the
    function where srcgrad did not follow them (`analyses/complex_values.py` follows those made
    inside it), so the rules that are not holomorphic took them for real ones, and the real part
    could be wrong, not merely imprecise."""
    if _complex(derivative) and not _complex(like):
        raise ComplexValueError(
            "a derivative of a real value came out complex: complex values reached the function "
            "where srcgrad does not follow them (an argument that is not differentiated, or a "
            "library function's complex result), so it gives no derivative rather than a wrong one.",
            hint="srcgrad follows complex values made inside the function from real ones (`1j * x`, "
            "`x.astype(complex)`, np.fft): pass a complex argument as its real and imaginary parts "
            "and join them inside (`c = c_re + 1j * c_im`); docs/subset.md.",
        )


def _complex(value) -> bool:
    """Whether a value, or a part of a list or tuple of them, holds complex numbers."""
    if isinstance(value, (list, tuple)):
        return any(_complex(part) for part in value)
    return np.iscomplexobj(value)


def owned(a, dtype, roots: set):
    """The array `a` with `dtype`, sharing memory with no argument and no result returned so far
    (`roots`, which it joins)."""
    if np.iscomplexobj(a) and not np.issubdtype(dtype, np.complexfloating):
        refuse_complex(a, np.zeros((), dtype))
    if a.dtype != dtype:
        a = a.astype(dtype)
    elif not a.flags.writeable or root(a) in roots:
        a = a.copy()
    roots.add(root(a))
    return a


def gradient_tree_like(g, p, roots: set):
    return tree_like(g, p, lambda gi, pi: gradient_like(gi, pi, roots))


def tree_like(g, p, leaf):
    """`g`, what the generated code returns for the nested parameter `p` (a dict for a record, of
    the fields differentiated), nested as `p` is: `leaf(g part, p part)` at each leaf, and a
    record of `p`'s class for a record (`rebuild_record`), whose fields that are not
    differentiated hold `p`'s own values, so that it is a valid instance."""
    if is_record(p):
        parts = {n: tree_like(g[n], v, leaf) for n, v in record_fields(p) if holds_floats(v)}
        return rebuild_record(p, parts)
    if isinstance(p, dict):
        return {k: tree_like(g[k], p[k], leaf) for k in p}
    if isinstance(p, (list, tuple)):
        return type(p)(tree_like(gi, pi, leaf) for gi, pi in zip(g, p))
    return leaf(g, p)


def add_leaf_roots(value, roots: set) -> None:
    roots.update(root(leaf) for _, leaf in leaves(value) if isinstance(leaf, np.ndarray))


def gradient_like_on(xp, g, p, roots: set):
    """`gradient_like` on CuPy or Dask: an array of the backend with the parameter's dtype and shape
    (a Dask gradient stays lazy), never one of the arguments themselves."""
    refuse_complex(g, p)
    if type(p) is float and backends.kind_of(g) is None:
        return float(g)
    dtype = getattr(p, "dtype", None) or np.dtype(float)
    if backends.kind_of(g) is None or backends.kind_of(g) == "numpy":
        g = xp.asarray(g)
    if tuple(g.shape) != tuple(np.shape(p)):
        raise SrcgradError(
            f"internal error: a gradient of shape {g.shape} was computed for a parameter of "
            f"shape {np.shape(p)}.",
            hint="Please report this with the function that caused it.",
        )
    if g.dtype != dtype:
        g = g.astype(dtype)
    elif id(g) in roots and backends.kind_of(g) == "cupy":  # Dask arrays are never changed in place
        g = g.copy()
    roots.add(id(g))
    return g


def identifiers(fn) -> set:
    """Every name the function's code uses (its parameters and variables), from its code object."""
    code = fn.__code__
    return {*code.co_varnames, *code.co_names, *code.co_freevars, *code.co_cellvars, fn.__name__}


def user_call(signature, values):
    args, kwargs = [], {}
    for p in signature.parameters.values():
        if p.name not in values:
            continue
        if p.kind in POSITIONAL:
            args.append(values[p.name])
        elif p.kind == inspect.Parameter.VAR_POSITIONAL:
            args.extend(values[p.name])
        elif p.kind == inspect.Parameter.VAR_KEYWORD:
            kwargs.update(values[p.name])
        else:
            kwargs[p.name] = values[p.name]
    return args, kwargs


def check_parameter(w: str, value, what: str = "forward mode", nested: bool = False) -> None:
    """A float or a float array, or an error naming the parameter; with `nested`, also dicts,
    lists, tuples, NamedTuples and dataclasses of them, each leaf checked (and named by its
    path)."""
    if nested and is_nested(value):
        for path, leaf in leaves(value):
            check_parameter(w + path_text(value, path), leaf, what)
        return
    if not ((type(value) is np.ndarray and value.dtype.kind == "f") or type(value) is float):
        refuse_structure(w, value, what)
        check_differentiable(w, value)


def refuse_structure(w: str, value, what: str = "forward mode") -> None:
    """Refuse what forward mode and the functions built on it do not take yet, with the reason."""
    kind = backends.kind_of(value)
    if kind in ("cupy", "dask"):
        raise UnsupportedBackendError(
            f"{what} runs on NumPy arrays and floats for now, but {w} is a {kind} array.",
            hint="Pass NumPy arrays (e.g. .get() for CuPy, .compute() for Dask), or use "
            "srcgrad.grad, which runs on CuPy and Dask.",
        )
    if is_record(value):
        kind = "NamedTuple" if isinstance(value, tuple) else "dataclass"
        raise ArgumentTypeError(
            f"{what} takes floats and arrays, but {w} is a {type(value).__name__} (a {kind}): "
            f"parameters that are NamedTuples or dataclasses of arrays are not supported in {what} yet.",
            hint=f"Pass the arrays of {w} as parameters of their own, or use srcgrad.grad, "
            "or srcgrad.jvp or srcgrad.vjp of the function itself (they take them).",
        )
    if isinstance(value, (dict, list, tuple)):
        raise ArgumentTypeError(
            f"{what} takes floats and arrays, but {w} is a {type(value).__name__}: parameters "
            f"that are dicts, lists or tuples of arrays are not supported in {what} yet.",
            hint=f"Pass the arrays of {w} as parameters of their own, or use srcgrad.grad, "
            "or srcgrad.jvp or srcgrad.vjp of the function itself (they take them).",
        )


def tangent_like(w: str, primal, tangent):
    """The tangent for parameter `w`, checked against its value: a float for a float, else an
    array of the parameter's shape."""
    arrays = type(tangent) is np.ndarray and type(primal) is np.ndarray
    if arrays and tangent.shape == primal.shape and tangent.dtype == primal.dtype == np.float64:
        return tangent  # the common case
    refuse_structure(w, primal)
    if type(primal) is float:
        if isinstance(tangent, (int, float, np.integer, np.floating)) and not isinstance(tangent, bool):
            return float(tangent)
        if isinstance(tangent, np.ndarray) and tangent.shape == ():
            return float(tangent)
    elif isinstance(primal, (np.ndarray, np.generic)) and primal.dtype.kind == "f":
        t = np.asarray(tangent)
        if t.shape == np.shape(primal) and t.dtype.kind in "fiu" and t.dtype != bool:
            return t if t.dtype == primal.dtype else t.astype(primal.dtype)
        if t.shape != np.shape(primal):
            raise ArgumentTypeError(
                f"the tangent for {w!r} has shape {t.shape}, but {w} has shape {np.shape(primal)}.",
                hint=f"Pass a tangent of {w}'s shape (a direction in {w}'s space).",
            )
    else:
        check_differentiable(w, primal)
    raise ArgumentTypeError(
        f"the tangent for {w!r} must be a number like {w} (a float, or a float array of its "
        f"shape), but it is {describe(tangent)}.",
        hint=f"Pass e.g. np.ones_like({w}).",
    )


def tangent_tree_like(w: str, primal, tangent, name: str | None = None):
    """The tangent for a parameter `w` of nested dicts, lists and tuples: the same nesting (the
    same keys, lengths and kinds), each leaf checked against its part as `tangent_like` does.
    `name` is the tangent's own name, for the message when the nestings differ."""
    where = _nesting_difference(primal, tangent, w)
    if where is not None:
        called = f"the tangent {name} for {w!r}" if name else f"the tangent for {w!r}"
        raise ArgumentTypeError(
            f"{called} must have the structure of {w}, {skeleton(primal)}, but it has the "
            f"structure {skeleton(tangent)}: {where}.",
            hint=f"Pass a tangent nested like {w}, with an array of each part's shape (a float for "
            "a float), e.g. zeros for the parts to leave still.",
        )
    return _tangent_tree(w, primal, tangent)


def _tangent_tree(path: str, primal, tangent):
    """The tangent checked, as the generated code reads it: nested like the parameter, a record's
    as a dict of its fields differentiated (`dp['W']`)."""
    if is_record(primal):
        fields = [(n, v) for n, v in record_fields(primal) if holds_floats(v)]
        return {n: _tangent_tree(f"{path}.{n}", v, getattr(tangent, n)) for n, v in fields}
    if isinstance(primal, dict):
        return {k: _tangent_tree(f"{path}[{k!r}]", primal[k], tangent[k]) for k in primal}
    if isinstance(primal, (list, tuple)):
        parts = (_tangent_tree(f"{path}[{i}]", p, t) for i, (p, t) in enumerate(zip(primal, tangent)))
        return type(primal)(parts)
    return tangent_like(path, primal, tangent)


def _nesting_difference(primal, tangent, path: str) -> str | None:
    """Where `tangent` is nested unlike `primal`, said in words; None if nowhere."""
    if is_record(primal):
        kind = type(primal).__name__
        if type(tangent) is not type(primal):
            return f"{path} is a {kind}, its tangent {_a_kind(tangent)}"
        fields = [(n, v) for n, v in record_fields(primal) if holds_floats(v)]
        items = [(f"{path}.{n}", v, getattr(tangent, n, None)) for n, v in fields]
    elif isinstance(primal, dict):
        if not isinstance(tangent, dict):
            return f"{path} is a dict, its tangent {_a_kind(tangent)}"
        if set(tangent) != set(primal):
            missing = ", ".join(repr(k) for k in primal if k not in tangent)
            extra = ", ".join(repr(k) for k in tangent if k not in primal)
            said = [f"lacks {missing}"] if missing else []
            said += [f"has {extra}, which {path} has not"] if extra else []
            return f"the tangent of {path} " + " and ".join(said)
        items = [(f"{path}[{k!r}]", primal[k], tangent[k]) for k in primal]
    elif isinstance(primal, (list, tuple)):
        kind = type(primal).__name__
        if type(tangent) is not type(primal):
            return f"{path} is a {kind}, its tangent {_a_kind(tangent)}"
        if len(tangent) != len(primal):
            return f"{path} is a {kind} of {len(primal)}, its tangent a {kind} of {len(tangent)}"
        items = [(f"{path}[{i}]", p, t) for i, (p, t) in enumerate(zip(primal, tangent))]
    else:
        if is_record(tangent) or (isinstance(tangent, (dict, list, tuple)) and not written_out(tangent)):
            return f"{path} is {_a_kind(primal)}, its tangent {_a_kind(tangent)}"
        return None
    for sub, p, t in items:
        where = _nesting_difference(p, t, sub)
        if where is not None:
            return where
    return None


def written_out(value) -> bool:
    """Whether a list or tuple is an array written out: numbers (no arrays), nested evenly."""
    if not all(isinstance(v, (int, float, np.integer, np.floating)) for _, v in leaves(value)):
        return False
    try:
        return np.asarray(value).dtype.kind in "fiu"
    except (TypeError, ValueError):  # ragged
        return False


def _a_kind(value) -> str:
    if isinstance(value, np.ndarray):
        return "an array"
    if is_nested(value):
        return f"a {type(value).__name__}"
    return describe(value)


def input_roots(values: dict) -> set:
    """The ids of the argument arrays, and of the arrays they are views of."""
    return {id(a) if a.base is None else root(a) for a in values.values() if isinstance(a, np.ndarray)}


def as_tangent(t, like, roots: set):
    """A result's tangent as a value like the result: a float for a float, else an array of its
    shape and dtype that owns its memory (never one of the arguments)."""
    fresh = type(t) is np.ndarray and t.base is None and id(t) not in roots
    if fresh and type(like) is np.ndarray and t.shape == like.shape and t.dtype == like.dtype:
        roots.add(id(t))  # the common case: a new array of the right kind
        return t
    if isinstance(like, tuple):
        return tuple(as_tangent(ti, li, roots) for ti, li in zip(t, like))
    refuse_complex(t, like)
    if type(like) is float:
        return float(t)
    if isinstance(like, np.generic):
        return like.dtype.type(t)
    if not isinstance(like, np.ndarray):
        return t
    t = np.asarray(t)
    if t.shape != like.shape:
        t = np.broadcast_to(t, like.shape)
    return owned(t, like.dtype, roots)


def zero_vector(p):
    return 0.0 if type(p) is float else np.zeros_like(p)


def basis_vector(p, index):
    """The unit vector of `p`'s shape with 1 at `index`."""
    if type(p) is float:
        return 1.0
    e = np.zeros_like(p)
    e[index] = 1
    return e


def as_value(block, like):
    """A result block as the kind of value its parameter is: a float for a float parameter."""
    if type(like) is float and np.ndim(block) == 0:
        return float(block)
    return block
