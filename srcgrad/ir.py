"""The intermediate form between the user's tree and the generated code.

A function lowers to a list of statements in A-normal form: each `Assign` performs one
operation on atoms (names and constants) and binds a fresh name, so every value the backward
pass may need has a name and is never overwritten. Expressions stay gast nodes, so what a
statement prints as is exactly what it computes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gast

from .frontend import SourceFunction


@dataclass
class Op:
    """What an assignment computes: a rule key, its atom arguments, and words for messages."""

    key: object  # the callable or attribute name that selects a rule; None if unknown
    args: list[gast.expr] = field(default_factory=list)
    kwargs: dict[str, gast.expr] = field(default_factory=dict)
    label: str = ""  # how the user wrote the operation, for messages
    pure: bool = True  # free of side effects: may be shared, reordered or dropped
    node: gast.AST | None = None  # the user's expression, for pointing at it in messages
    source: SourceFunction | None = None  # the function `node` is in (a helper, when inlined)


@dataclass
class Assign:
    target: str
    value: gast.expr
    op: Op
    origin: gast.stmt  # the user statement this was lowered from


@dataclass
class Effect:
    """A call kept for its side effect (`print(x)`); it binds nothing."""

    value: gast.expr
    op: Op
    origin: gast.stmt


@dataclass
class If:
    """`if test: body else: orelse`. A variable that the branches leave with different values
    is assigned the same new name at the end of each branch (its join)."""

    test: gast.expr  # an atom
    body: list
    orelse: list
    origin: gast.stmt


@dataclass
class For:
    """`for target in range(...)`. Each variable the body assigns is carried from one iteration
    to the next under one name (`h_2`): copied in before the loop, and at the end of each
    iteration from the body's last value (`carried` pairs that name with that value)."""

    target: str | None
    iter: gast.expr | None  # range(...) of atoms; None for a `while` loop
    body: list
    carried: list  # (loop name, value at the end of an iteration)
    origin: gast.stmt
    test_body: list = field(default_factory=list)  # `while`: computes `test` at each iteration's start
    test: gast.expr | None = None


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
                yield Assign(loop_name, value, Op("copy", [value], label="copy", pure=False), stmt.origin)


@dataclass
class Return:
    value: gast.expr  # an atom: the value differentiated
    origin: gast.stmt
    aux: gast.expr | None = None  # with has_aux, the second value returned alongside


@dataclass
class Program:
    """A lowered function: parameters, straight-line body, and the names in play."""

    source: SourceFunction
    params: list[str]
    body: list  # Assign, Effect and If statements
    result: Return
    user_names: dict[str, str]  # lowered name -> user variable it versions (for naming adjoints)
    reserved: set[str]  # names the generated code must not rebind
    numpy_alias: str  # the name generated code uses for the NumPy module
    numpy_injected: bool  # True if srcgrad must supply that name itself
    scalar_globals: set[str] = field(default_factory=set)  # free names bound to numbers
    user_identifiers: set[str] = field(default_factory=set)  # every name the user's code mentions
    # a parameter of nested dicts, lists and tuples: its structure, and a name per leaf by path
    structures: dict = field(default_factory=dict)
    leaves: dict = field(default_factory=dict)  # parameter -> [leaf name, ...]
    leaf_paths: dict = field(default_factory=dict)  # parameter -> {path: leaf name}
