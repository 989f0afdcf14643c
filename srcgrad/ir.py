"""The intermediate form between the user's tree and the generated code.

A function lowers to a list of statements in A-normal form: each `Assign` performs one
operation on atoms (names and constants) and binds a fresh name, so every value the backward
pass may need has a name and is never overwritten. Expressions stay gast nodes, so what a
statement prints as is exactly what it computes.
"""

from __future__ import annotations

import reprlib

import gast

from .frontend import SourceFunction
from .syntax import walk as walk_tree


class Record:
    """What `@dataclass` writes for each class below (and for the records of the reverse pass,
    code generation and the pipeline), written once: `__repr__` and field-wise
    `__eq__` over the fields `__match_args__` names, unhashable. Creating the seven as
    dataclasses compiled 21 methods at import, 2.5 ms of a program's first gradient (this module
    is imported by it)."""

    __match_args__: tuple[str, ...] = ()
    __hash__ = None

    @reprlib.recursive_repr()
    def __repr__(self) -> str:
        fields = ", ".join(f"{f}={getattr(self, f)!r}" for f in self.__match_args__)
        return f"{type(self).__qualname__}({fields})"

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        fields = self.__match_args__
        return tuple(getattr(self, f) for f in fields) == tuple(getattr(other, f) for f in fields)


class Kind:
    """An operation of the IR's own, which no rule selects: the passes give each its meaning."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name

    def __reduce__(self) -> str:
        return self.name  # a copy or a pickle is the same object, the module's


LEAF = Kind("LEAF")  # `W1 = params["W1"]`: a leaf of a nested parameter, read once at the top
ITEM = Kind("ITEM")  # `a = t[i]`: an item of the tuple a call returned (args: t, i, its length)
EMPTY_LIST = Kind("EMPTY_LIST")  # `parts = []`: a list a loop or a comprehension adds to
APPEND = Kind("APPEND")  # `parts_2 = parts + [item]` (args: parts, item)
# `h_3 = h_2`: the one name of a value that the branches of an `if`, or a loop's iterations, leave
# under different names (args: that value); carries its gradient through unchanged
JOIN = Kind("JOIN")
STACK = Kind("STACK")  # `saved = []`: a loop stack, in code srcgrad generated (a gradient's)
PUSH = Kind("PUSH")  # `saved.append(item)`, an Effect (args: saved, item)
POP = Kind("POP")  # `item = saved.pop()`, or an Effect (args: saved)
# `xs_2 = list_with_item(xs, i, v)`: `xs[i] = v` into a list the function made (args: xs, i, v); no
# derivative: allowed only where the list carries no gradient (anf/checks.py `check_list_writes`)
LIST_WRITE = Kind("LIST_WRITE")

# the "structure" of an argument that is a function (`act=np.tanh`): code is generated for each
# such value, as for each structure of a nested parameter; (FUNCTION_ARGUMENT, the function)
FUNCTION_ARGUMENT = "function"
# an argument that is an object of one of the user's classes: (INSTANCE_ARGUMENT, the object)
INSTANCE_ARGUMENT = "instance"


class Op(Record):
    """What an assignment computes: a rule key, its atom arguments, and words for messages."""

    __match_args__ = ("key", "args", "kwargs", "label", "pure", "node", "source")

    def __init__(
        self,
        key: object,  # the callable or attribute name that selects a rule, a Kind; None if unknown
        args: list[gast.expr] | None = None,
        kwargs: dict[str, gast.expr] | None = None,
        label: str = "",  # how the user wrote the operation, for messages
        pure: bool = True,  # free of side effects: may be shared, reordered or dropped
        node: gast.AST | None = None,  # the user's expression, for pointing at it in messages
        source: SourceFunction | None = None,  # the function `node` is in (a helper, when inlined)
    ):
        self.key = key
        self.args = [] if args is None else args
        self.kwargs = {} if kwargs is None else kwargs
        self.label = label
        self.pure = pure
        self.node = node
        self.source = source


class Assign(Record):
    __match_args__ = ("target", "value", "op", "origin")

    def __init__(self, target: str, value: gast.expr, op: Op, origin: gast.stmt):
        self.target = target
        self.value = value
        self.op = op
        self.origin = origin  # the user statement this was lowered from


# Marks on a call that the desugaring made of an `assert` or a `raise` statement (the `Effect`'s
# `op.node`): the generated code prints it as the statement again (`effect_statement`).
ASSERTS = "srcgrad_asserts"  # `AssertionError(test, message)`: `assert test, message`
RAISES = "srcgrad_raises"  # `Error(...)`: `raise Error(...)`


class Effect(Record):
    """A call kept for its side effect (`print(x)`); it binds nothing."""

    __match_args__ = ("value", "op", "origin")

    def __init__(self, value: gast.expr, op: Op, origin: gast.stmt):
        self.value = value
        self.op = op
        self.origin = origin


def effect_statement(stmt: Effect) -> gast.stmt:
    """The statement an `Effect` prints as: the call, or the `assert` or `raise` it stands for."""
    call = stmt.value
    if getattr(stmt.op.node, ASSERTS, False):
        return gast.Assert(test=call.args[0], msg=call.args[1] if len(call.args) > 1 else None)
    if getattr(stmt.op.node, RAISES, False):
        return gast.Raise(exc=call, cause=None)
    return gast.Expr(value=call)


class If(Record):
    """`if test: body else: orelse`. A variable that the branches leave with different values
    is assigned the same new name at the end of each branch (its join)."""

    __match_args__ = ("test", "body", "orelse", "origin")

    def __init__(self, test: gast.expr, body: list, orelse: list, origin: gast.stmt):
        self.test = test  # an atom
        self.body = body
        self.orelse = orelse
        self.origin = origin


class For(Record):
    """`for target in range(...)`. Each variable the body assigns is carried from one iteration
    to the next under one name (`h_2`): copied in before the loop, and at the end of each
    iteration from the body's last value (`carried` pairs that name with that value)."""

    __match_args__ = ("target", "iter", "body", "carried", "origin", "test_body", "test", "checkpoint")

    def __init__(
        self,
        target: str | None,
        iter: gast.expr | None,  # range(...) of atoms; None for a `while` loop
        body: list,
        carried: list,  # (loop name, value at the end of an iteration)
        origin: gast.stmt,
        test_body: list | None = None,  # `while`: computes `test` at each iteration's start
        test: gast.expr | None = None,
        # `for t in srcgrad.checkpointed(range(T), snapshots)`: the atom `snapshots` (a None
        # constant by default) for a loop whose reverse pass is checkpointed; None otherwise
        checkpoint: gast.expr | None = None,
    ):
        self.target = target
        self.iter = iter
        self.checkpoint = checkpoint
        self.body = body
        self.carried = carried
        self.origin = origin
        self.test_body = [] if test_body is None else test_body
        self.test = test


def walk(stmts):
    """Every statement in `stmts`, nested blocks included, in program order."""
    for stmt in stmts:
        yield stmt
        if isinstance(stmt, If):
            yield from walk(stmt.body)
            yield from walk(stmt.orelse)
        elif isinstance(stmt, For):
            yield from walk(stmt.test_body)
            yield from walk(stmt.body)
            for loop_name, value in stmt.carried:
                yield Assign(loop_name, value, Op(JOIN, [value], label="copy", pure=False), stmt.origin)


def assigned_names(stmts, nested: bool = True) -> set[str]:
    """The names `stmts` bind. A lowered statement binds its target, a loop its counter and
    carried names too; with `nested`, what their blocks bind inside counts, and without, only
    what is bound at the level of `stmts` (not the values an `if` assigns). A gast statement
    (the adjoint code) binds every name stored to in it, inside its blocks too."""
    out = set()
    for s in walk(stmts) if nested else stmts:
        if isinstance(s, Assign):
            out.add(s.target)
        elif isinstance(s, For):
            out |= {s.target, *(loop_name for loop_name, _ in s.carried)}
        elif isinstance(s, gast.AST):
            names = (n for n in walk_tree(s) if isinstance(n, gast.Name))
            out.update(n.id for n in names if isinstance(n.ctx, gast.Store))
    out.discard(None)
    return out


class Return(Record):
    __match_args__ = ("value", "origin", "aux")

    def __init__(self, value: gast.expr, origin: gast.stmt, aux: gast.expr | None = None):
        self.value = value  # an atom: the value differentiated
        self.origin = origin
        self.aux = aux  # with has_aux, the second value returned alongside


class Program(Record):
    """A lowered function: parameters, straight-line body, and the names in play."""

    __match_args__ = (
        "source",
        "params",
        "body",
        "result",
        "user_names",
        "reserved",
        "numpy_alias",
        "numpy_injected",
        "scalar_globals",
        "user_identifiers",
        "structures",
        "leaves",
        "leaf_paths",
    )

    def __init__(
        self,
        source: SourceFunction,
        params: list[str],
        body: list,  # Assign, Effect and If statements
        result: Return,
        user_names: dict[str, str],  # lowered name -> user variable it versions (for naming adjoints)
        reserved: set[str],  # names the generated code must not rebind
        numpy_alias: str,  # the name generated code uses for the NumPy module
        numpy_injected: bool,  # True if srcgrad must supply that name itself
        scalar_globals: set[str] | None = None,  # free names bound to numbers
        user_identifiers: set[str] | None = None,  # every name the user's code mentions
        # a parameter of nested dicts, lists and tuples: its structure, and a name per leaf by path
        structures: dict | None = None,
        leaves: dict | None = None,  # parameter -> [leaf name, ...]
        leaf_paths: dict | None = None,  # parameter -> {path: leaf name}
    ):
        self.source = source
        self.params = params
        self.body = body
        self.result = result
        self.user_names = user_names
        self.reserved = reserved
        self.numpy_alias = numpy_alias
        self.numpy_injected = numpy_injected
        self.scalar_globals = set() if scalar_globals is None else scalar_globals
        self.user_identifiers = set() if user_identifiers is None else user_identifiers
        self.structures = {} if structures is None else structures
        self.leaves = {} if leaves is None else leaves
        self.leaf_paths = {} if leaf_paths is None else leaf_paths


def called_function(stmt: Assign):
    """The function a call statement calls, as the code names it (a rule made for a gradient
    function calls it again: `rules/gradients.py`); None for other statements."""
    return stmt.value.func if isinstance(stmt.value, gast.Call) else None
