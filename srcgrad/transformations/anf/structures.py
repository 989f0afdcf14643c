"""Parameters given as nested dicts, lists and tuples of arrays (`params["W1"]`, `layers[0][1]`):
a name per leaf, read once at the top of the function (`W1 = params["W1"]`), and the references
that stand for a part of one while the lowering follows it through indexing, loops, `.values()`,
`.items()` and `.get()`. A collaborator of the lowering: it knows the structures and the leaves'
names, nothing of the statements being lowered."""

from __future__ import annotations

import gast

from ...errors import UnsupportedSyntaxError
from ...ir import LEAF, Assign, Op
from ...syntax import const, name, tuple_
from .atoms import is_struct, struct_ref


class NestedParameters:
    def __init__(self, structures: dict):
        # parameter -> (kind, keys or length, children); a child None is a leaf (an array)
        self.structures = structures
        self.leaf_paths: dict[str, dict] = {}  # parameter -> {path: leaf name}, once read

    def read_leaves(self, namer, origin) -> list[Assign]:
        """`W1 = params["W1"]`, one statement a leaf, the leaf named after its key."""
        statements = []
        for param, structure in self.structures.items():
            self.leaf_paths[param] = {}
            for path in _paths(structure):
                leaf = namer.fresh(_leaf_base(param, path))
                access = name(param)
                for key in path:
                    access = gast.Subscript(value=access, slice=const(key), ctx=gast.Load())
                statements.append(Assign(leaf, access, Op(LEAF, [], label="parameter"), origin))
                self.leaf_paths[param][path] = leaf
        return statements

    def leaves(self) -> dict[str, list[str]]:
        """Parameter -> the names of its leaves, in order."""
        return {param: list(paths.values()) for param, paths in self.leaf_paths.items()}

    def is_leaf(self, identifier: str) -> bool:
        return any(identifier in paths.values() for paths in self.leaf_paths.values())

    def atom(self, param: str, path):
        """The leaf's name, or a reference to the part (a dict, list or tuple) at `path`."""
        if _subtree(self.structures[param], path) is None:
            return name(self.leaf_paths[param][path])
        return struct_ref(param, path)

    def keys(self, ref) -> list:
        """The keys (a dict) or indices (a list or tuple) of the part `ref` refers to."""
        param, path = ref.srcgrad_struct
        return _children(_subtree(self.structures[param], path))

    def parts(self, ref) -> list:
        param, path = ref.srcgrad_struct
        return [self.atom(param, (*path, k)) for k in self.keys(ref)]

    def is_dict(self, ref) -> bool:
        param, path = ref.srcgrad_struct
        return _subtree(self.structures[param], path)[0] == "dict"

    def child(self, ref, key, source, node):
        """`params["W1"]` on a nested parameter: the leaf's name, or a reference to the part."""
        param, path = ref.srcgrad_struct
        children = self.keys(ref)
        if key is None or key not in children:
            raise UnsupportedSyntaxError(
                f"parts of the parameter {param!r} can be read with literal keys and indices "
                f"({', '.join(map(repr, children)) or 'it is empty'}), or looped over.",
                source.location(node),
                hint="Write params['W1'] or layers[0], or `for W, b in layers:`.",
            )
        return self.atom(param, (*path, key))

    def flat_sequence(self, atom):
        """A part of a nested parameter that is a list or tuple of arrays, as a tuple of their
        names (a function taking a sequence of arrays gets one gradient per array)."""
        if not is_struct(atom):
            return atom
        param, path = atom.srcgrad_struct
        structure = _subtree(self.structures[param], path)
        if structure[0] == "dict" or any(child is not None for child in structure[2]):
            return atom
        return tuple_([self.atom(param, (*path, i)) for i in range(structure[1])])

    def method(self, ref, method, args, kwargs, source, node):
        """`params.values()`, `.keys()`, `.items()`, `.get(key)` of a nested parameter: its parts,
        as a list srcgrad follows item by item."""
        param = ref.srcgrad_struct[0]
        keys = self.keys(ref)
        parts = self.parts(ref)
        if self.is_dict(ref) and method in ("values", "keys", "items") and not args and not kwargs:
            chosen = {
                "values": parts,
                "keys": [const(k) for k in keys],
                "items": [tuple_([const(k), p]) for k, p in zip(keys, parts)],
            }[method]
            listed = tuple_(chosen)
            listed.srcgrad_list = True
            return listed
        if self.is_dict(ref) and method == "get" and len(args) in (1, 2) and not kwargs:
            key = args[0].value if isinstance(args[0], gast.Constant) else None
            if key not in keys and len(args) == 2:
                return args[1]
            return self.child(ref, key, source, node)
        raise UnsupportedSyntaxError(
            f"srcgrad follows the parameter {param!r} through indexing, loops, .values(), .keys(), "
            f".items() and .get(), not `.{method}()`.",
            source.location(node),
            hint="Read its arrays (params['W1'], list(params.values())) and work on those.",
        )


def _paths(structure, prefix=()):
    """The paths to the leaves of a parameter structure, in order."""
    if structure is None:
        yield prefix
        return
    for key, child in zip(_children(structure), structure[2]):
        yield from _paths(child, (*prefix, key))


def _children(structure) -> list:
    if structure is None:
        return []
    kind, keys, _ = structure
    return list(keys) if kind == "dict" else list(range(keys))


def _subtree(structure, path):
    for key in path:
        structure = structure[2][_children(structure).index(key)]
    return structure


def _leaf_base(param: str, path) -> str:
    if len(path) == 1 and isinstance(path[0], str) and path[0].isidentifier():
        return path[0]  # params["W1"] is W1
    return "_".join([param, *(str(k) for k in path)])
