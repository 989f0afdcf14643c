"""`srcgrad export`: the generated gradient as a standalone module that needs only NumPy.

The module holds the user's function, the generated gradient, the runtime helpers that gradient
calls (found by name analysis over srcgrad/runtime and copied with their source text), and the
values the factory would have bound or the user's module would have supplied, written as
imports or literal constants. What cannot be written down that way is refused with a clear error.

`srcgrad.grad` generates code of its own for each nesting of dicts, lists and tuples its
parameters arrive in (`W1 = params["W1"]`, one line a leaf); the code for floats and arrays
indexes such a parameter as an array. So the module holds one generated function for each
nesting known at export (from example arguments, or from the calls the grad object has made),
and `_variant` picks the one for a call's parameters, or refuses a nesting it has no code for.
"""

from __future__ import annotations

import ast
import builtins
import datetime
import functools
import inspect
import io
import math
import textwrap
import tokenize
import types

import numpy as np

from . import backends, runtime
from .errors import SrcgradError

# where helpers may come from, in the order they are written out
_SOURCE_MODULES = (
    "errors",
    "core",
    "elementwise",
    "reductions",
    "linalg",
    "decompositions",
    "shape",
    "special",
)

# the names the module defines besides the helpers' (see _CHOICE and _Exporter._choice)
_CHOICE_NAMES = ("_structure_of", "_variant", "_shown", "_VARIANTS", "_FUNCTION", "_WRT")

# module_of without srcgrad.backends: NumPy, or CuPy for CuPy arrays (imported only then)
_MODULE_OF = '''\
def module_of(*values):
    """The array library of the values: CuPy for CuPy arrays, else NumPy."""
    for v in values:
        if type(v).__module__.partition(".")[0] == "cupy":
            import cupy

            return cupy
    return np
'''

# what srcgrad.grad does to each gradient after the generated code returns it
# (functions.arguments.gradient_tree_like)
_LIKE = '''\
def _like(g, p):
    """The gradient `g` as srcgrad.grad returns it for the parameter `p`: for dicts, lists and
    tuples, the same nesting of the leaves'; a Python float for a float, else an array of `p`'s
    dtype that owns its memory (the generated code may return a read-only broadcast view, or a
    view of an argument)."""
    if isinstance(p, dict):
        return {k: _like(g[k], p[k]) for k in p}
    if isinstance(p, (list, tuple)):
        return type(p)(_like(gi, pi) for gi, pi in zip(g, p))
    if type(p) is float:
        return float(g)
    if isinstance(p, np.generic):
        return p.dtype.type(g)
    if type(p) is np.ndarray:
        g = np.asarray(g)
        if g.dtype != p.dtype:
            return g.astype(p.dtype)
        return g.copy() if g.base is not None or not g.flags.writeable else g
    return g.astype(p.dtype) if g.dtype != p.dtype else g.copy()
'''


# the nesting of the parameters a call brings (functions.arguments.structure_of, without its checks), and the
# choice of the generated code for it (the module's _VARIANTS, _FUNCTION and _WRT, see _Exporter)
_CHOICE = '''\
def _structure_of(value):
    """The nesting of dicts, lists and tuples in `value`, as srcgrad.grad keys its generated code
    on it; None for a float or an array."""
    if isinstance(value, dict):
        keys = tuple(value)
        return ("dict", keys, tuple(_structure_of(value[k]) for k in keys))
    if isinstance(value, (list, tuple)):
        kind = "list" if isinstance(value, list) else "tuple"
        return (kind, len(value), tuple(_structure_of(v) for v in value))
    return None


def _variant(*params):
    """The generated code for parameters nested like these: srcgrad.grad generates code for each
    nesting of dicts, lists and tuples, and this module has the ones known when it was exported.
    Another nesting is refused: the code for one would compute nonsense on another."""
    key = tuple(_structure_of(p) for p in params)
    code = _VARIANTS.get(None if all(s is None for s in key) else key)
    if code is not None:
        return code
    known = [(None,) * len(key) if k is None else k for k in _VARIANTS]
    i = next((i for i, s in enumerate(key) if s not in [k[i] for k in known]), 0)
    exported = " or ".join(dict.fromkeys(_shown(k[i]) for k in known))
    raise TypeError(
        f"{_FUNCTION}_grad has no code for {_WRT[i]} = {_shown(key[i])}: it was exported for "
        f"{_WRT[i]} = {exported}. srcgrad generates code for each nesting of dicts, lists and "
        f"tuples; export {_FUNCTION} again with arguments like these as its example (a "
        f"{_FUNCTION}_example() in its module returning them, which srcgrad export calls)."
    )
'''


def _shown(structure) -> str:
    """A nesting as a message shows it, e.g. `{'W': array, 'b': [array, array]}` (the export
    writes this function into the module too)."""
    if structure is None:
        return "a float or an array"
    kind, keys, items = structure
    parts = ["array" if v is None else _shown(v) for v in items]
    if kind == "dict":
        return "{" + ", ".join(f"{k!r}: {v}" for k, v in zip(keys, parts)) + "}"
    text = ", ".join(parts)
    return f"[{text}]" if kind == "list" else f"({text}{',' if len(parts) == 1 else ''})"


class ExportError(SrcgradError):
    """The gradient cannot be written as a standalone module."""


def export_source(grad_function, origin: str = "", version: str = "", examples=None) -> str:
    """The standalone module's text for a `srcgrad.grad` object (its function, wrt and options).

    The module has the code for float and array parameters, and the code for each nesting of
    dicts, lists and tuples the parameters come in, of the calls in `examples` (each a tuple of
    positional arguments or a dict of them by name, what `check` reads from `<function>_example()`;
    by default that function's, when the function's module has one) and of the calls the grad
    object has made. A parameter the function indexes by key needs one of those."""
    from .pipeline import build

    g = grad_function
    keys = _nestings(g, examples)
    results = []
    try:
        results.append((None, build(g.fn, g.wrt, g.single, g.has_aux)))
    except SrcgradError:
        if not keys:
            raise
    keyed = _keyed_parameters(results[0][1].generated.source, g.wrt) if results else []
    if keyed:  # the code for arrays would index that parameter as an array: no call can use it
        results = []
        if not keys:
            name, key = keyed[0]
            raise ExportError(
                f"cannot export {g.fn.__name__!r}: it reads its parameter {name!r} by key "
                f"({name}[{key!r}]), and srcgrad generates the gradient's code for the nesting of "
                f"dicts, lists and tuples {name!r} comes in, which export does not know.",
                hint=f"Give example arguments: define {g.fn.__name__}_example() in its module, returning "
                "the arguments of one call (as for srcgrad check), or pass them to export_source(..., "
                "examples=[args]), or call the grad object on them before export_source.",
            )
    for key in keys:
        results.append((key, build(g.fn, g.wrt, g.single, g.has_aux, dict(key))))
    return _Exporter(g, results, origin, version).render()


def _nestings(g, examples) -> list[tuple]:
    """The nestings of the parameters to export code for, as srcgrad.grad keys its code
    (parameter, structure) for each of wrt: of the example calls, then of the grad object's calls."""
    from .functions.arguments import structure_of
    from .loading import call_of, example_arguments

    fn = g.fn
    if examples is None:
        try:
            found = example_arguments(fn.__globals__, fn.__name__)
        except Exception as exc:
            what = f"{type(exc).__name__}: {exc}"
            raise ExportError(
                f"cannot export {fn.__name__!r}: {fn.__name__}_example(), which gives the "
                f"nesting of its parameters, raised {what}."
            ) from exc
        calls = [] if found is None else [found]
    else:  # as `check` reads them: by name, positional, or the one argument
        calls = [call_of(sample) for sample in examples]
    keys = []
    for args, kwargs in calls:
        try:
            bound = g.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise ExportError(
                f"cannot export {fn.__name__!r}: its example arguments do not fit its parameters: {exc}."
            ) from None
        bound.apply_defaults()
        params = [bound.arguments[w] for w in g.wrt]
        if any(isinstance(p, (dict, list, tuple)) for p in params):
            keys.append(tuple((w, structure_of(p, w)) for w, p in zip(g.wrt, params)))
    # the nestings of the grad object's NumPy calls: keys that are a (parameter, structure) each
    for structures, backend, _ in getattr(g, "_variants", {}):
        if structures is not None and backend == "numpy":
            keys.append(structures)
    return list(dict.fromkeys(keys))


def _keyed_parameters(source: str, wrt: list[str]) -> list[tuple[str, str]]:
    """(parameter, key) for each `parameter["key"]` of the code for arrays (helpers inlined): a
    parameter only a dict can be."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in wrt:
            key = node.slice.value if isinstance(node.slice, ast.Constant) else None
            if isinstance(key, str):
                found.append((node.value.id, key))
    return found


class _Exporter:
    def __init__(self, grad_function, results, origin, version):
        self.g = grad_function
        self.fn = grad_function.fn
        self.results = results  # (nesting key or None, Build): the code for each nesting
        self.result = results[0][1]
        self.generated = self.result.generated
        self.origin = origin or inspect.getsourcefile(self.fn) or "?"
        self.version = version
        self.imports: dict[str, str] = {}  # bound name -> import line
        self.constants: dict[str, str] = {}  # bound name -> literal text
        self.user_functions: dict[str, str] = {}  # name -> source, the user's module functions
        self.bound: dict[str, object] = {}  # every module-level name the user's code needs -> value

    # -- the parts ---------------------------------------------------------------------------

    def render(self) -> str:
        generated = self.generated
        name = generated.function_name
        variants = []  # (nesting key, private name, its text, its def) for each generated function
        helper_aliases, needed = {}, set()
        for i, (key, result) in enumerate(self.results):
            private = f"_{name}" if i == 0 else f"_{name}_{i}"
            source = result.generated.source
            variants.append(
                (key, private, self._with_renamed_def(source, name, private), ast.parse(source).body[0])
            )
            self._bind_factory(result, helper_aliases, needed)
        forward_text, forward_def = self._forward()
        for free_name in _globals_read(forward_def):
            if free_name not in self.result.source.closure:
                self._resolve(free_name, self.fn, f"{self.fn.__name__!r}")
            else:
                self._bind_closure(free_name, self.result.source.closure[free_name])

        helpers_text, helper_names, helper_imports = _helpers(needed)
        privates = {private for _, private, _, _ in variants}
        clash = set(self.bound) | set(self.user_functions) | {self.fn.__name__} | privates
        clash &= helper_names | {"_like", name, *_CHOICE_NAMES}
        clash -= {n for n in clash if self.bound.get(n, None) is np}
        if clash:
            raise ExportError(
                f"cannot export {self.fn.__name__!r}: its module's name {sorted(clash)[0]!r} is also the "
                "name of a helper the exported module defines.",
                hint="Rename it in your module.",
            )

        out = [self._header(), "", "from __future__ import annotations", ""]
        import_lines = sorted(set(helper_imports) | {"import numpy as np"} | set(self.imports.values()))
        out += [line for line in import_lines if line.startswith("import ")]
        out += [line for line in import_lines if line.startswith("from ")]
        out += ["", f"__all__ = [{self.fn.__name__!r}, {name!r}]", ""]
        if self.constants:
            out += ["# values of your module (or closure) the code reads, as they were at export time"]
            out += [f"{n} = {text}" for n, text in sorted(self.constants.items())]
            out.append("")
        for alias, helper in sorted(helper_aliases.items()):
            out.append(f"{alias} = {helper}  # bound under another name: your code uses {helper!r}")
        out += ["", f"# the function differentiated, from {self.origin}", ""]
        for text in self.user_functions.values():
            out += [text.rstrip("\n"), "", ""]
        out += [forward_text.rstrip("\n"), "", ""]
        out += [self._wrapper(variants[0][3]), "", ""]
        out += ["# the code srcgrad generated (gradients before the dtype and copy step of _like)", ""]
        for key, _, text, _ in variants:
            if len(variants) > 1:
                out.append(f"# for {self._nesting(key)}")
            out += [text.rstrip("\n"), "", ""]
        out += self._choice(variants)
        out += ["# what srcgrad.grad does around the generated code (_like, _variant), then the runtime"]
        out += ["# helpers, copied from srcgrad/runtime (and srcgrad/errors.py)", ""]
        out += [_LIKE.rstrip("\n"), "", "", _CHOICE.rstrip("\n"), "", ""]
        out += [inspect.getsource(_shown).rstrip("\n"), "", "", helpers_text.rstrip("\n")]
        text = "\n".join(out) + "\n"
        compile(text, "<export>", "exec")  # what we write must at least be Python
        return text

    def _bind_factory(self, result, helper_aliases: dict, needed: set) -> None:
        """Bind what the factory binds for one generated function (helpers, closed-over values,
        NumPy and what the user took from it) and the globals it reads; note its helpers."""
        generated = result.generated
        for free in generated.free:
            if free in generated.helpers:
                needed.add(generated.helpers[free])
                if generated.helpers[free] != free:
                    helper_aliases[free] = generated.helpers[free]
            elif free in result.source.closure:
                self._bind_closure(free, result.source.closure[free])
            elif free in generated.arrays:
                self._bind(free, self.fn.__globals__[free], "the gradient")
            else:  # the NumPy name srcgrad supplies when the user imported none
                self._bind(free, np, "the gradient")
        for free_name in _globals_read(ast.parse(generated.source).body[0]) - set(generated.free):
            self._resolve(free_name, self.fn, "the gradient")

    def _nesting(self, key) -> str:
        """What a generated function is for, as its comment says."""
        if key is None:
            return "float and array parameters"
        return ", ".join(f"{w} = {_shown(s)}" for w, s in key)

    def _choice(self, variants) -> list[str]:
        """The lines of `_FUNCTION`, `_WRT` and `_VARIANTS`, which `_variant` reads."""
        lines = [
            "# the generated code for each nesting of the parameters, for _variant (None: floats and arrays)"
        ]
        lines += [f"_FUNCTION = {self.fn.__name__!r}", f"_WRT = {tuple(self.g.wrt)!r}", "_VARIANTS = {"]
        for key, private, _, _ in variants:
            literal = "None" if key is None else _key_literal(tuple(s for _, s in key))
            if literal is None:
                raise ExportError(
                    f"cannot export {self.fn.__name__!r}: the keys of its dict parameters cannot be "
                    "written into a standalone module.",
                    hint="Use strings or numbers as the keys.",
                )
            lines.append(f"    {literal}: {private},")
        return [*lines, "}", "", ""]

    def _header(self) -> str:
        wrt = ", ".join(self.g.wrt)
        today = datetime.date.today().isoformat()
        return (
            f"# Generated by srcgrad {self.version} on {today} from {self.origin}, function "
            f"{self.fn.__qualname__},\n# with respect to {wrt}. Needs only NumPy (CuPy arrays work through "
            f"NumPy's dispatch).\n# Do not edit: run srcgrad export again after changing the function."
        )

    def _wrapper(self, grad_def: ast.FunctionDef) -> str:
        """The public `<name>_grad`: the generated function for the parameters' nesting, then
        `_like` on each gradient."""
        signature = ast.FunctionDef(
            name=self.generated.function_name,
            args=grad_def.args,
            body=[ast.Pass()],
            decorator_list=[],
            returns=None,
            type_params=[],
        )
        header = ast.unparse(ast.fix_missing_locations(signature)).splitlines()[0]
        a = grad_def.args
        call = [p.arg for p in a.posonlyargs + a.args]
        call += [f"*{a.vararg.arg}"] if a.vararg else []
        call += [f"{p.arg}={p.arg}" for p in a.kwonlyargs]
        call += [f"**{a.kwarg.arg}"] if a.kwarg else []
        if self.g.single:
            grads = f"_like(grads, {self.g.wrt[0]})"
        else:
            parts = [f"_like(grads[{i}], {w})" for i, w in enumerate(self.g.wrt)]
            grads = "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
        doc = (
            f'    """{self.fn.__name__}\'s value and its gradients with respect to {", ".join(self.g.wrt)}, '
            f'as srcgrad.grad returns them."""'
        )
        chosen = f"_variant({', '.join(self.g.wrt)})"
        body = [doc, f"    value, grads = {chosen}({', '.join(call)})", f"    grads = {grads}"]
        if not self.g.with_value:
            body.append("    return (grads, value[1])" if self.g.has_aux else "    return grads")
        else:
            body.append("    return value, grads")
        return "\n".join([header, *body])

    def _forward(self):
        """The user's function, its decorators dropped, dedented."""
        text = textwrap.dedent(inspect.getsource(self.fn))
        tree = ast.parse(text).body[0]
        start = tree.lineno - 1  # the def line, below any decorator
        text = "".join(text.splitlines(True)[start:])
        return text, ast.parse(text).body[0]

    @staticmethod
    def _with_renamed_def(source: str, old: str, new: str) -> str:
        first, _, rest = source.partition("\n")
        return first.replace(f"def {old}(", f"def {new}(", 1) + "\n" + rest

    # -- binding names -----------------------------------------------------------------------

    def _resolve(self, name: str, owner, reader: str) -> None:
        """Bind a global name `owner`'s code reads: from its module, else a builtin."""
        if name in self.bound or name in self.user_functions:
            return
        scope = owner.__globals__
        if name not in scope:
            if hasattr(builtins, name):
                return
            raise ExportError(
                f"cannot export {self.fn.__name__!r}: {reader} reads {name!r}, which is not defined."
            )
        self._bind(name, scope[name], reader, owner)

    def _bind(self, name: str, value, reader: str, owner=None) -> None:
        if name in self.bound:
            return
        path = backends._path_of(value)
        if path is not None or isinstance(value, types.ModuleType):
            self.bound[name] = value
            self.imports[name] = _import_line(name, value, path)
            if path == "scipy":  # `import scipy` alone may not load scipy.special
                self.imports["scipy.special"] = "import scipy.special"
            return
        if inspect.isfunction(value) and owner is not None and value.__module__ == owner.__module__:
            # a function of the user's module the code calls (one srcgrad does not inline)
            text = textwrap.dedent(inspect.getsource(value))
            tree = ast.parse(text).body[0]
            self.user_functions[name] = "".join(text.splitlines(True)[tree.lineno - 1 :])
            for inner in _globals_read(ast.parse(self.user_functions[name]).body[0]):
                self._resolve(inner, value, f"{value.__name__!r}")
            return
        literal = _literal(value)
        if literal is None:
            raise ExportError(
                f"cannot export {self.fn.__name__!r}: {reader} reads the global {name!r}, a "
                f"{type(value).__name__}, which cannot be written into a standalone module.",
                hint="Make it a number, string or small array constant, or pass it as a parameter.",
            )
        self.bound[name] = value
        self.constants[name] = literal

    def _bind_closure(self, name: str, value) -> None:
        literal = _literal(value)
        if literal is None:
            raise ExportError(
                f"cannot export {self.fn.__name__!r}: it closes over {name!r}, a {type(value).__name__}, "
                "which cannot be written into a standalone module.",
                hint="Define the function at module level and pass the value as a parameter.",
            )
        self.bound[name] = value
        self.constants[name] = literal


def _import_line(name: str, value, path: str | None) -> str:
    if isinstance(value, types.ModuleType):
        full = value.__name__
        parent, _, last = full.rpartition(".")
        if not parent:
            return f"import {full}" if name == full else f"import {full} as {name}"
        return f"from {parent} import {last}" + ("" if last == name else f" as {name}")
    module, _, attr = path.rpartition(".")
    return f"from {module} import {attr}" + ("" if attr == name else f" as {name}")


def _literal(value) -> str | None:
    """Python text that evaluates to `value`, for numbers, strings, containers of them and small
    NumPy arrays; None for anything else."""
    if value is None or isinstance(value, (bool, int, str, bytes)):
        return repr(value)
    if type(value) is float:
        return repr(value) if math.isfinite(value) else f"float({repr(value)!r})"
    if type(value) is complex:
        return f"complex({_literal(value.real)}, {_literal(value.imag)})"
    if isinstance(value, np.generic) and value.dtype.kind in "biufc":
        return f"np.{value.dtype.name}({_literal(value.item())})"
    if isinstance(value, (tuple, list)):
        parts = [_literal(v) for v in value]
        if any(p is None for p in parts):
            return None
        if isinstance(value, tuple):
            return "(" + "".join(p + ", " for p in parts).rstrip(" ") + ")" if parts else "()"
        return "[" + ", ".join(parts) + "]"
    if isinstance(value, dict):
        items = [(_literal(k), _literal(v)) for k, v in value.items()]
        if any(k is None or v is None for k, v in items):
            return None
        return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"
    if type(value) is np.ndarray and value.dtype.kind in "biuf" and value.size <= 10_000:
        flat = [_literal(v) for v in value.ravel().tolist()]
        return f"np.array([{', '.join(flat)}], dtype={value.dtype.name!r}).reshape({value.shape!r})"
    return None


def _key_literal(key) -> str | None:
    """`repr(key)` for a nesting key, if it reads back as a key the module's lookup finds (dict
    keys that are strings, numbers, None and tuples of them); else None."""
    text = repr(key)
    try:
        return text if ast.literal_eval(text) == key else None
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _globals_read(function: ast.FunctionDef) -> set[str]:
    """Names a function reads that it does not bind: its parameters' defaults, its body."""
    stores, loads = set(), set()
    a = function.args
    for p in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]:
        if p is not None:
            stores.add(p.arg)
    for node in ast.walk(function):
        if isinstance(node, ast.Name):
            (loads if isinstance(node.ctx, ast.Load) else stores).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node is not function:
            stores.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            stores.update((al.asname or al.name).partition(".")[0] for al in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            stores.add(node.name)
    return loads - stores


# -- runtime helpers ---------------------------------------------------------------------------


class _Definition:
    """One top-level statement of a runtime module: what it defines, its text, what it reads."""

    def __init__(self, module: str, names: list[str], text: str, first: int, reads: set[str], relative: dict):
        self.module, self.names, self.text, self.first = module, names, text, first
        self.reads, self.relative = reads, relative


@functools.cache  # parsing the runtime's modules is most of an export's time; their source is fixed
def _module_definitions(module: str) -> tuple[dict[str, _Definition], dict[str, tuple[str, str]], dict]:
    """A runtime module's definitions by name, its `from .x import y` names, and its plain imports
    (read, not changed, by `_helpers`)."""
    if module == "errors":
        from . import errors as mod
    else:
        mod = getattr(runtime, module)
    source = inspect.getsource(mod)
    lines = source.splitlines(True)
    tree = ast.parse(source)
    definitions, relative, plain = {}, {}, {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            origin = (node.module or "").rpartition(".")[2] if node.level == 1 else node.module
            for al in node.names:
                relative[al.asname or al.name] = (origin, al.name)
            continue
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for al in node.names:
                plain[(al.asname or al.name).partition(".")[0]] = ast.get_source_segment(source, node)
            continue
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names = [node.name]
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            if names == ["__all__"]:
                continue
        else:
            continue  # the module docstring
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        text = "".join(lines[first - 1 : node.end_lineno])
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            reads = _globals_read(node) if isinstance(node, ast.FunctionDef) else _class_reads(node)
            local = _local_relative_imports(node)
            reads |= set(local)  # their import lines are dropped: the export defines these names
        else:
            reads, local = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} - set(names), {}
        for d in getattr(node, "decorator_list", []):
            reads |= {n.id for n in ast.walk(d) if isinstance(n, ast.Name)}
        definition = _Definition(module, names, text, first, reads, local)
        for n in names:
            definitions[n] = definition
    return definitions, relative, plain


def _class_reads(node: ast.ClassDef) -> set[str]:
    reads = {n.id for b in node.bases for n in ast.walk(b) if isinstance(n, ast.Name)}
    for item in node.body:
        if isinstance(item, ast.FunctionDef):
            reads |= _globals_read(item)
            reads |= {n.id for d in item.decorator_list for n in ast.walk(d) if isinstance(n, ast.Name)}
    return reads - {n.target.id for n in node.body if isinstance(n, ast.AnnAssign)}


def _local_relative_imports(node) -> dict:
    """`from ..errors import X` inside a helper's body: X -> (module, name, line numbers)."""
    found = {}
    for sub in ast.walk(node):
        if isinstance(sub, ast.ImportFrom) and sub.level > 0:
            origin = (sub.module or "").rpartition(".")[2]
            for al in sub.names:
                found[al.asname or al.name] = (origin, al.name, (sub.lineno, sub.end_lineno))
    return found


def _helpers(needed: set[str]) -> tuple[str, set[str], list[str]]:
    """The text of the helpers `needed` (runtime.__all__ names) and of everything they use,
    the names it defines, and the imports it needs."""
    tables = {m: _module_definitions(m) for m in _SOURCE_MODULES}
    home = {}  # public helper -> the module defining it
    for m in _SOURCE_MODULES[1:]:
        for n in getattr(runtime, m).__all__:
            home[n] = m
    chosen: dict[tuple[str, str], _Definition] = {}
    imports: set[str] = set()
    pending = [(home.get(n, "core"), n) for n in sorted(needed)]
    while pending:
        module, n = pending.pop()
        definitions, relative, plain = tables[module]
        if n in relative:  # `from .core import _shape`
            pending.append(relative[n])
            continue
        if n in plain:
            imports.add(plain[n])
            continue
        if (module, n) in chosen or n not in definitions:
            continue  # a builtin, or a name local to the helper
        definition = definitions[n]
        chosen[(module, n)] = definition
        if module == "core" and n == "module_of":  # no srcgrad.backends in the export
            continue
        for read in definition.reads:
            if read in definition.relative:
                origin, original, _ = definition.relative[read]
                if origin not in tables:
                    raise ExportError(f"internal error: the runtime helper {n!r} imports srcgrad.{origin}.")
                pending.append((origin, original))
            else:
                pending.append((module, read))
    # one name each: a private helper two modules define differently gets a module suffix
    by_name: dict[str, set[str]] = {}
    for (_, n), d in chosen.items():
        by_name.setdefault(n, set()).add(d.text)
    renames = {
        (module, n): f"{n}_{module}" for (module, n) in chosen if len(by_name[n]) > 1 and module != "core"
    }
    texts, emitted, seen = [], set(), set()
    order = {m: i for i, m in enumerate(_SOURCE_MODULES)}
    for (module, n), d in sorted(chosen.items(), key=lambda kv: (order[kv[0][0]], kv[1].first)):
        if id(d) in emitted:
            continue
        emitted.add(id(d))
        text = _MODULE_OF if (module, n) == ("core", "module_of") else _without_relative_imports(d)
        local = {old: new for (m, old), new in renames.items() if m == module}
        if local:
            text = _rename_tokens(text, local)
        if (module, n) not in renames and d.text in seen:  # the same text in two modules
            continue
        seen.add(d.text)
        texts.append(text.rstrip("\n"))
    names = {renames.get(k, k[1]) for k in chosen} | {"np"}
    return "\n\n\n".join(texts) + "\n", names, sorted(imports | {"import numpy as np"})


def _without_relative_imports(d: _Definition) -> str:
    """A helper's text without its `from ..errors import X` lines (X is defined in the export)."""
    if not d.relative:
        return d.text
    drop = set()
    for _, _, (start, end) in d.relative.values():
        drop |= set(range(start - d.first, end - d.first + 1))  # module line numbers -> text's
    lines = d.text.splitlines(True)
    text = "".join(line for i, line in enumerate(lines) if i not in drop)
    try:
        ast.parse(text)
    except SyntaxError:  # the import was a block's only statement
        indent = [line[: len(line) - len(line.lstrip())] for line in lines]
        text = "".join(line if i not in drop else indent[i] + "pass\n" for i, line in enumerate(lines))
    return text


def _rename_tokens(text: str, renames: dict[str, str]) -> str:
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    lines = text.splitlines(True)
    for tok in reversed(tokens):
        if tok.type == tokenize.NAME and tok.string in renames:
            row, col = tok.start
            line = lines[row - 1]
            lines[row - 1] = line[:col] + renames[tok.string] + line[tok.end[1] :]
    return "".join(lines)
