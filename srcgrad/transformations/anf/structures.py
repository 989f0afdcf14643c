"""Parameters given as nested dicts, lists, tuples, NamedTuples and dataclasses of arrays
(`params["W1"]`, `layers[0][1]`, `p.W`): a name per leaf, read once at the top of the function
(`W1 = params["W1"]`, `W = p.W`), and the references that stand for a part of one while the
lowering follows it through indexing, attributes, loops, `.values()`, `.items()` and `.get()`.
A collaborator of the lowering: it knows the structures and the leaves' names, nothing of the
statements being lowered.

A structure is `(kind, keys, children)`, a child None for a leaf (an array or a float): kind
"dict" with its keys, "list" or "tuple" with its length, or for a NamedTuple or dataclass
instance (a record) `(RECORD, class, field names, fields that decide the code)` with the names
of the fields differentiated (functions/arguments.py `structure_of`). A record's other fields
(an int, a string, a function, one of your objects) are read at the top too
(`n_layers = p.n_layers`), with no gradient; one that holds a function is called as a function
passed in is, one that holds one of your objects has its methods written out.
Past the lowering a record is a dict of its fields differentiated (`program_structures`): the
generated code returns its gradient as one (`{'W': dW, 'b': db}`), which the caller makes an
instance of the record's class again."""

from __future__ import annotations

import gast

from ...errors import UnsupportedSyntaxError
from ...ir import INSTANCE_ARGUMENT, LEAF, Assign, Op
from ...syntax import const, name, tuple_
from .atoms import is_struct, struct_ref

RECORD = "record"  # the first item of a record's kind (functions/arguments.py RECORD)


class NestedParameters:
    def __init__(self, structures: dict):
        # parameter -> (kind, keys or length, children); a child None is a leaf (an array)
        self.structures = structures
        self.leaf_paths: dict[str, dict] = {}  # parameter -> {path: leaf name}, once read
        # parameter -> {path: name} of the records' fields read as they are (not differentiated)
        self.field_paths: dict[str, dict] = {}
        self.functions: dict[str, object] = {}  # such a field's name -> the function it holds
        self.objects: dict[str, object] = {}  # such a field's name -> the object of yours it holds

    def read_leaves(self, namer, origin) -> list[Assign]:
        """`W1 = params["W1"]`, `W = p.W`, one statement a leaf, the leaf named after its key;
        and a record's fields that are not differentiated (`n_layers = p.n_layers`)."""
        statements = []
        for param, structure in self.structures.items():
            self.leaf_paths[param] = {}
            self.field_paths[param] = {}
            for path, held in _entries(structure):
                target = namer.fresh(_leaf_base(param, path))
                access = self.access(param, path)
                if held is None:
                    statements.append(Assign(target, access, Op(LEAF, [], label="parameter"), origin))
                    self.leaf_paths[param][path] = target
                    continue
                op = Op(None, [], label="parameter field")
                statements.append(Assign(target, access, op, origin))
                self.field_paths[param][path] = target
                if isinstance(held, tuple) and held[0] == INSTANCE_ARGUMENT:
                    self.objects[target] = held[1]
                elif held is not _CONSTANT:
                    self.functions[target] = held
        return statements

    def access(self, param: str, path) -> gast.expr:
        """How the code reads the part at `path`: `params['W1']`, `layers[0].W`."""
        access, structure = name(param), self.structures[param]
        for key in path:
            if _is_record(structure):
                access = gast.Attribute(value=access, attr=key, ctx=gast.Load())
            else:
                access = gast.Subscript(value=access, slice=const(key), ctx=gast.Load())
            children = _children(structure)
            structure = structure[2][children.index(key)] if key in children else None
        return access

    def field_reads(self) -> set[str]:
        """The names of the records' fields read as they are (they read the parameter whole)."""
        return {n for paths in self.field_paths.values() for n in paths.values()}

    def program_structures(self) -> dict:
        """The structures as the passes after the lowering see them: a record as a dict of its
        fields differentiated."""
        return {param: _as_dicts(structure) for param, structure in self.structures.items()}

    def leaves(self) -> dict[str, list[str]]:
        """Parameter -> the names of its leaves, in order."""
        return {param: list(paths.values()) for param, paths in self.leaf_paths.items()}

    def is_leaf(self, identifier: str) -> bool:
        return any(identifier in paths.values() for paths in self.leaf_paths.values())

    def atom(self, param: str, path):
        """The leaf's name, a record's field's, or a reference to the part (a dict, list, tuple or
        record) at `path`."""
        if path in self.field_paths.get(param, {}):
            return name(self.field_paths[param][path])
        structure = _subtree(self.structures[param], path)
        if structure is None:
            return name(self.leaf_paths[param][path])
        ref = struct_ref(param, path)
        ref.srcgrad_shown = self.shown(param, path)  # for messages
        ref.srcgrad_record = structure[0][1].__qualname__ if _is_record(structure) else None
        return ref

    def shown(self, param: str, path) -> str:
        """The part at `path` as the user writes it: `params['W1']`, `layers[0].W`."""
        text, structure = param, self.structures[param]
        for key in path:
            text += f".{key}" if _is_record(structure) else f"[{key!r}]"
            children = _children(structure)
            structure = structure[2][children.index(key)] if key in children else None
        return text

    def keys(self, ref) -> list:
        """The keys (a dict) or indices (a list, a tuple or a NamedTuple) of the part `ref` refers
        to."""
        structure = self._structure(ref)
        if _is_record(structure):
            return list(range(len(structure[0][2])))
        return _children(structure)

    def parts(self, ref, where=None) -> list:
        """The atoms of the part's items, in order: a NamedTuple's fields, all of them. A
        dataclass has no order Python iterates: refused (at `where`)."""
        param, path = ref.srcgrad_struct
        structure = self._structure(ref)
        if _is_record(structure):
            if not _is_named_tuple(structure):
                raise self._not_a_sequence(ref, where)
            return [self.atom(param, (*path, field)) for field in structure[0][2]]
        return [self.atom(param, (*path, k)) for k in self.keys(ref)]

    def is_dict(self, ref) -> bool:
        return self._structure(ref)[0] == "dict"

    def is_record(self, ref) -> bool:
        return _is_record(self._structure(ref))

    def is_sequence(self, ref) -> bool:
        """Whether the part is a dict, list, tuple or NamedTuple (not a dataclass)."""
        structure = self._structure(ref)
        return not _is_record(structure) or _is_named_tuple(structure)

    def python_type(self, ref) -> type:
        """The class of the part `ref` stands for: a record's own class; for a dict, list or
        tuple, that class (the part is an instance of it, or of a subclass)."""
        structure = self._structure(ref)
        if _is_record(structure):
            return structure[0][1]
        return {"dict": dict, "list": list, "tuple": tuple}[structure[0]]

    def record_class(self, ref) -> type:
        return self._structure(ref)[0][1]

    def is_part(self, ref, steps) -> bool:
        """Whether reading `steps` (a record's field names, keys and indices) from the part `ref`
        refers to reaches a part that is not a leaf (a dict, list, tuple or record)."""
        structure = self._structure(ref)
        for step in steps:
            if _is_record(structure) and _is_named_tuple(structure) and type(step) is int:
                fields = structure[0][2]
                step = fields[step] if -len(fields) <= step < len(fields) else None
            children = _children(structure)
            if step not in children or isinstance(step, bool):
                return False
            structure = structure[2][children.index(step)]
        return structure is not None

    def field(self, ref, attr: str):
        """`p.W` on a record: the field's atom, or None if the record has no field `attr`."""
        param, path = ref.srcgrad_struct
        structure = self._structure(ref)
        if not _is_record(structure) or attr not in structure[0][2]:
            return None
        return self.atom(param, (*path, attr))

    def child(self, ref, key, source, node):
        """`params["W1"]` on a nested parameter: the leaf's name, or a reference to the part; on a
        NamedTuple, `p[0]` is its first field."""
        param, path = ref.srcgrad_struct
        structure = self._structure(ref)
        if _is_record(structure):
            fields = structure[0][2]
            if not _is_named_tuple(structure):
                raise self._not_a_sequence(ref, source.location(node))
            if type(key) is int and key < 0:  # p[-1]
                key += len(fields)
            if type(key) is not int or not 0 <= key < len(fields):
                raise UnsupportedSyntaxError(
                    f"the fields of the NamedTuple {self.shown(param, path)!r} can be read by name "
                    f"({', '.join(fields)}) or by a literal index (0 to {len(fields) - 1}), or "
                    "looped over.",
                    source.location(node),
                    hint=f"Write {self.shown(param, (*path, fields[0]))} or {self.shown(param, path)}[0]."
                    if fields
                    else None,
                )
            return self.atom(param, (*path, fields[key]))
        children = self.keys(ref)
        if key is None or key not in children:
            raise UnsupportedSyntaxError(
                f"parts of the parameter {param!r} can be read with literal keys and indices "
                f"({', '.join(map(repr, children)) or 'it is empty'}), or looped over.",
                source.location(node),
                hint="Write params['W1'] or layers[0], or `for W, b in layers:`.",
            )
        return self.atom(param, (*path, key))

    def no_attribute(self, ref, attr: str, source, node) -> UnsupportedSyntaxError:
        """The error for `p.attr` on a record that has no field `attr` srcgrad can read."""
        param, path = ref.srcgrad_struct
        fields = self._structure(ref)[0][2]
        cls = self.record_class(ref).__qualname__
        return UnsupportedSyntaxError(
            f"srcgrad reads the fields of {self.shown(param, path)!r}, an instance of {cls} "
            f"({', '.join(fields) or 'it has none'}), its properties and calls its methods; "
            f"`.{attr}` is none of these (an attribute set outside the fields, or one of the "
            "class's own that srcgrad does not follow, has no gradient it could give back).",
            source.location(node),
            hint=f"Declare {attr!r} as a field of {cls}, or compute it from the fields in the function.",
        )

    def flat_sequence(self, atom):
        """A part of a nested parameter that is a list, tuple or NamedTuple of arrays, as a tuple
        of their names (a function taking a sequence of arrays gets one gradient per array)."""
        if not is_struct(atom):
            return atom
        param, path = atom.srcgrad_struct
        structure = _subtree(self.structures[param], path)
        if _is_record(structure):
            fields = structure[0][2]
            if not _is_named_tuple(structure) or tuple(structure[1]) != tuple(fields):
                return atom
            if any(child is not None for child in structure[2]):
                return atom
            return tuple_([self.atom(param, (*path, f)) for f in fields])
        if structure[0] == "dict" or any(child is not None for child in structure[2]):
            return atom
        return tuple_([self.atom(param, (*path, i)) for i in range(structure[1])])

    def method(self, ref, method, args, kwargs, source, node):
        """`params.values()`, `.keys()`, `.items()`, `.get(key)` of a nested parameter: its parts,
        as a list srcgrad follows item by item."""
        param = ref.srcgrad_struct[0]
        if self.is_record(ref):
            cls = self.record_class(ref).__qualname__
            raise UnsupportedSyntaxError(
                f"srcgrad reads the fields of {self.shown(*ref.srcgrad_struct)!r}, an instance of {cls}, "
                f"and calls the methods of your class written in Python, not `.{method}()`.",
                source.location(node),
                hint="Read its fields (p.W) and work on those.",
            )
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

    def _structure(self, ref):
        param, path = ref.srcgrad_struct
        return _subtree(self.structures[param], path)

    def _not_a_sequence(self, ref, where) -> UnsupportedSyntaxError:
        param, path = ref.srcgrad_struct
        structure = self._structure(ref)
        cls, fields = structure[0][1].__qualname__, structure[0][2]
        return UnsupportedSyntaxError(
            f"{self.shown(param, path)!r} is an instance of the dataclass {cls}, which Python does not "
            f"index, loop over or unpack; srcgrad reads its fields by name ({', '.join(fields)}).",
            where,
            hint=f"Write {self.shown(param, (*path, fields[0]))}." if fields else None,
        )


_CONSTANT = object()  # a record's field read as it is that decides nothing of the code


def _entries(structure, prefix=()):
    """(path, None) for each leaf of a parameter structure, in order, and for each field of a
    record that is not differentiated (path, the function it holds, (INSTANCE_ARGUMENT, the
    object of yours it holds), or _CONSTANT)."""
    if structure is None:
        yield prefix, None
        return
    if _is_record(structure):
        children = dict(zip(structure[1], structure[2]))
        functions = dict(structure[0][3])
        for field in structure[0][2]:
            if field in children:
                yield from _entries(children[field], (*prefix, field))
            else:
                yield (*prefix, field), functions.get(field, _CONSTANT)
        return
    for key, child in zip(_children(structure), structure[2]):
        yield from _entries(child, (*prefix, key))


def _is_record(structure) -> bool:
    return structure is not None and isinstance(structure[0], tuple) and structure[0][0] == RECORD


def _is_named_tuple(structure) -> bool:
    return issubclass(structure[0][1], tuple)


def _as_dicts(structure):
    if structure is None:
        return None
    kind = "dict" if _is_record(structure) else structure[0]
    return (kind, structure[1], tuple(_as_dicts(child) for child in structure[2]))


def _children(structure) -> list:
    """The keys a structure's children are found under: a dict's keys, a record's fields
    differentiated, a list's or tuple's indices."""
    if structure is None:
        return []
    kind, keys, _ = structure
    return list(keys) if kind == "dict" or _is_record(structure) else list(range(keys))


def _subtree(structure, path):
    for key in path:
        structure = structure[2][_children(structure).index(key)]
    return structure


def _leaf_base(param: str, path) -> str:
    if len(path) == 1 and isinstance(path[0], str) and path[0].isidentifier():
        return path[0]  # params["W1"] is W1, p.W is W
    return "_".join([param, *(str(k) for k in path)])
