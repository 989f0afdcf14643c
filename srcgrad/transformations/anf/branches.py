"""Lowering `if` statements and `a if c else b`: each branch is lowered in a copy of the
environment, and the two are joined after it: a variable the branches leave different gets one
name in both, the name of its last definition in a branch (renamed in the other) or a copy. A
mixin of `Lowering`: it swaps the environment, the reuse table and the block for each branch."""

from __future__ import annotations

import gast
import numpy

from ...errors import UnsupportedSyntaxError
from ...frontend import MISSING
from ...ir import JOIN, Assign, For, If, Op, walk
from ...syntax import const, key_of, name
from ...syntax import walk as walk_tree
from .atoms import is_struct


class Branches:
    def lower_if(self, stmt: gast.If) -> None:
        decided = self.decided_test(stmt.test)
        if decided is not None:  # `isinstance(v, dict)` of a part of a nested parameter: one branch
            self.lower_block(stmt.body if decided else stmt.orelse)
            return
        test = self.expr(stmt.test)
        self.lower_branches(
            test, (lambda: self.lower_block(stmt.body), lambda: self.lower_block(stmt.orelse)), stmt
        )

    def lower_branches(self, test, branches, origin) -> None:
        """An `if` on the atom `test`: each of the two `branches` lowers its block in a copy of
        the environment, which are joined after it."""
        lowered = []
        before_env, before_cse, outer = dict(self.env), dict(self.cse), self.body
        for lower in branches:
            self.env, self.cse, self.body = dict(before_env), dict(before_cse), []
            lower()
            lowered.append((self.env, self.body))
        self.cse, self.body, self.origin = before_cse, outer, origin
        self.env = self.join(lowered, origin)
        self.body.append(If(test=test, body=lowered[0][1], orelse=lowered[1][1], origin=origin))

    def decided_test(self, test) -> bool | None:
        """True or False for the test of an `if` that the classes known here decide, so that only
        that branch is written out: `isinstance(v, T)` (or `not isinstance(v, T)`) where `v` is
        a part of a nested parameter (a dict, list or tuple, a NamedTuple or dataclass, or a
        leaf, which is an array or a float and no container), a parameter differentiated (an
        array or a float), a list or tuple made in the function, or a constant. None for any
        other test: the code tests it as it runs."""
        negated = False
        while isinstance(test, gast.UnaryOp) and isinstance(test.op, gast.Not):
            test, negated = test.operand, not negated
        if not (isinstance(test, gast.Call) and len(test.args) == 2 and not test.keywords):
            return None
        func = test.func
        if not (
            isinstance(func, gast.Name)
            and func.id not in self.env
            and self.source.resolve(func) is isinstance
        ):
            return None
        atom = self.known_part(test.args[0])
        classes = _classes(self.source, test.args[1])
        if atom is None or classes is None:
            return None
        result = self.is_instance(atom, classes)
        return None if result is None else result != negated

    def known_part(self, node):
        """The atom of `node` when reading it writes no statement: a variable, or an item of a
        part of a nested parameter with a key known here (`v[0]`, `v[k]` in a loop written out)."""
        root = node
        while isinstance(root, gast.Subscript):
            key = root.slice
            known = isinstance(key, gast.Name) and isinstance(self.env.get(key.id), gast.Constant)
            if not (isinstance(key, gast.Constant) or known):
                return None
            root = root.value
        if not (isinstance(root, gast.Name) and root.id in self.env):
            return None
        if root is not node and not is_struct(self.env[root.id]):
            return None
        return self.expr(node)

    def is_instance(self, atom, classes: tuple) -> bool | None:
        """`isinstance` of the value `atom` stands for, when what is known of it decides."""
        if is_struct(atom):
            cls = self.nested.python_type(atom)
            if self.nested.is_record(atom):  # the code is generated for this very class
                return issubclass(cls, classes)
        elif isinstance(atom, gast.Tuple):
            return issubclass(list if getattr(atom, "srcgrad_list", False) else tuple, classes)
        elif isinstance(atom, gast.List):
            return issubclass(list, classes)
        elif isinstance(atom, gast.Constant):
            return isinstance(atom.value, classes)
        elif isinstance(atom, gast.Name) and (self.nested.is_leaf(atom.id) or atom.id in self.wrt):
            # an array or a float: a leaf of a nested parameter, or a parameter differentiated
            return False if all(c in _CONTAINERS for c in classes) else None
        else:
            return None
        if issubclass(cls, classes):  # a dict, list or tuple (or an instance of a subclass)
            return True
        if all(c in _BUILTINS and not issubclass(c, cls) for c in classes):
            return False  # no subclass of `cls` is one of these
        return None

    def expr_IfExp(self, node, hint):
        """`a if c else b` is an `if` statement that assigns one name in both branches (only the
        branch taken, when the classes known here decide the test: `decided_test`)."""
        decided = self.decided_test(node.test)
        if decided is not None:
            return self.expr(node.body if decided else node.orelse, hint)
        test = self.expr(node.test)
        key = " value"  # an environment key no user variable can have
        branches = []
        before_env, before_cse, outer = dict(self.env), dict(self.cse), self.body
        for branch in (node.body, node.orelse):
            self.env, self.cse, self.body = dict(before_env), dict(before_cse), []
            self.env[key] = self.expr(branch)
            branches.append((self.env, self.body))
        self.cse, self.body = before_cse, outer
        target = self.version(hint) if hint else self.namer.fresh(self.bases.pop(id(node), "choice"))
        env = self.join(branches, self.origin, names={key: target})
        self.env = {k: v for k, v in env.items() if not k.startswith(" ")}
        self.body.append(If(test=test, body=branches[0][1], orelse=branches[1][1], origin=self.origin))
        return env[key]

    def join(self, branches, origin, names=None) -> dict:
        """The environment after an `if`. A variable the branches leave different gets one name in
        both: the name of its last definition in a branch (renamed in the other), or a copy."""
        names = names or {}
        (then_env, then_body), (else_env, else_body) = branches
        renames = ({}, {})
        env = {}
        claimed = set()  # the names joined values already go under
        for var in sorted(set(then_env) | set(else_env)):
            a, b = (_renamed(e.get(var), r) for e, r in ((then_env, renames[0]), (else_env, renames[1])))
            if (a is None) != (b is None) and not var.startswith(" "):
                # first assigned in one branch: None in the other, so that code after the `if`
                # (a loop's first copy of it) can read it where Python would not yet
                a, b = (const(None) if a is None else a), (const(None) if b is None else b)
            if a is None or b is None or key_of(a) == key_of(b):
                env[var] = a if a is not None else b
                continue
            if any(isinstance(v, (gast.Tuple, gast.List)) or is_struct(v) for v in (a, b)):
                shown = var if not var.startswith(" ") else "the value"
                raise UnsupportedSyntaxError(  # items known here in one branch, others in the other
                    f"srcgrad follows a list or tuple made in the function item by item, so the "
                    f"branches of this `if` may not leave {shown!r} holding different ones.",
                    (getattr(origin, "srcgrad_source", None) or self.source).location(origin),
                    hint="Build the list after the `if` from values each branch sets "
                    "(`h = ...` in both, then `parts = parts + [h]`), or stack it in each branch.",
                )
            local = [_local_def(then_body, a), _local_def(else_body, b)]
            if any(local) and (a if local[0] else b).id in claimed:  # `x = f(x); h = x`: x_2 is h's
                local = [False, False]
            if var in names:
                joined = names[var]
            elif local[0] or local[1]:
                joined = (a if local[0] else b).id
            else:
                joined = self.version(var)
            self.defined.add(var.strip())
            self.user_named.add(joined)
            for i, (body, atom) in enumerate(((then_body, a), (else_body, b))):
                if isinstance(atom, gast.Name) and atom.id == joined:
                    continue
                if local[i] and atom.id not in claimed:  # (a claimed name is another variable's)
                    renames[i][atom.id] = joined
                    _rename(body, atom.id, joined)
                else:
                    op = Op(JOIN, [atom], label="copy", pure=False, node=origin)
                    body.append(Assign(joined, atom, op, origin))
            claimed.add(joined)
            env[var] = name(joined)
        return env


_CONTAINERS = (dict, list, tuple, set, frozenset, str, bytes)
_BUILTINS = (*_CONTAINERS, int, float, complex, bool, type(None), numpy.ndarray)


def _classes(source, node) -> tuple | None:
    """The classes an `isinstance` test names (`dict`, `(list, tuple)`), or None."""
    nodes = node.elts if isinstance(node, gast.Tuple) else [node]
    found = []
    for n in nodes:
        value = source.resolve(n) if isinstance(n, (gast.Name, gast.Attribute)) else MISSING
        if not isinstance(value, type):
            return None
        found.append(value)
    return tuple(found)


def _local_def(body, atom) -> bool:
    """Whether `atom` names a value assigned directly in `body` (a branch of an `if`)."""
    return isinstance(atom, gast.Name) and any(
        isinstance(s, Assign) and s.target == atom.id for s in walk(body)
    )


def _renamed(atom, renames):
    if isinstance(atom, gast.Name) and atom.id in renames:
        return name(renames[atom.id])
    return atom


def _rename(body, old: str, new: str) -> None:
    """Rename the value `old` to `new` in a block: its assignment and every read."""
    for stmt in walk(body):
        if isinstance(stmt, Assign) and stmt.target == old:
            stmt.target = new
        if isinstance(stmt, If):
            nodes = [stmt.test]
        elif isinstance(stmt, For):
            stmt.target = new if stmt.target == old else stmt.target
            stmt.carried = [(new if n == old else n, v) for n, v in stmt.carried]
            nodes = [e for e in (stmt.iter, stmt.test) if e is not None] + [v for _, v in stmt.carried]
        else:
            nodes = [stmt.value] + stmt.op.args + list(stmt.op.kwargs.values())
        for node in nodes:
            for n in walk_tree(node):
                if isinstance(n, gast.Name) and n.id == old:
                    n.id = new
