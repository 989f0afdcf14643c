"""Lower a user function to A-normal form: one operation per statement, every value named.

Each user variable keeps its name for its first value; a reassignment gets a new version
(`h`, `h_2`, ...), so the backward pass can read any value the forward pass made. Nested
expressions become temporaries named after the operation (`XW1` for `X @ W1`, `exp` for
`np.exp(...)`), method calls on arrays become NumPy calls, and an operation that is already
computed is reused (common-subexpression elimination).

>>> import numpy as np
>>> def f(W, X):
...     H = np.tanh(X @ W + 1.0)
...     return np.sum(H * H)
>>> from srcgrad.frontend import read_function
>>> print(dump(lower(read_function(f))))
XW = X @ W
add = XW + 1.0
H = np.tanh(add)
mul = H * H
f = np.sum(mul)
return f
"""

from __future__ import annotations

import copy
import inspect
import operator

import gast
import numpy

from .. import fence, rules, runtime
from ..analyses.scope import global_reads, is_users_function
from ..errors import UnsupportedSyntaxError
from ..frontend import MISSING, SourceFunction, read_function
from ..ir import Assign, Effect, For, If, Op, Program, Return, walk
from ..naming import Namer
from ..syntax import const, copy_tree, is_number, key_of, name, names_in, to_source, tuple_
from ..syntax import walk as walk_tree
from .desugar import rewrite_loops

BINARY = {
    gast.Add: (operator.add, "add"),
    gast.Sub: (operator.sub, "sub"),
    gast.Mult: (operator.mul, "mul"),
    gast.Div: (operator.truediv, "div"),
    gast.Pow: (operator.pow, "pow"),
    gast.MatMult: (operator.matmul, "matmul"),
    gast.FloorDiv: (operator.floordiv, "floordiv"),
    gast.Mod: (operator.mod, "mod"),
    gast.BitAnd: (operator.and_, "both"),
    gast.BitOr: (operator.or_, "either"),
    gast.BitXor: (operator.xor, "xor"),
    gast.LShift: (operator.lshift, "lshift"),
    gast.RShift: (operator.rshift, "rshift"),
}
UNARY = {
    gast.USub: (operator.neg, "neg"),
    gast.UAdd: (operator.pos, "pos"),
    gast.Not: (operator.not_, "negated"),
    gast.Invert: (operator.invert, "inverted"),
}
ARRAY_ATTRIBUTES = {"shape", "ndim", "size", "dtype"}
# Array methods that mean a NumPy function of the array; the rest keep their method form.
# Array methods with a NumPy function of another name; the others use the function of their own
# name (`x.sum(axis=0)` is `np.sum(x, axis=0)`) when the rule table knows it.
METHOD_FUNCTIONS = {"flatten": "ravel", "conj": "conjugate"}
VARARG_METHODS = {"reshape", "transpose"}  # x.reshape(2, 3) is x.reshape((2, 3))
# Methods whose positional parameters are named differently from the function's.
METHOD_POSITIONALS = {"clip": ("min", "max")}  # x.clip(0, 1) is np.clip(x, min=0, max=1)
# Methods that change the array they are called on: never allowed in differentiated code.
IN_PLACE_METHODS = {"sort", "fill", "resize", "put", "partition", "itemset", "setfield", "setflags"}
# Methods that change a list, dict or set in place (no NumPy array has them).
CONTAINER_METHODS = {"append", "extend", "insert", "pop", "remove", "clear", "reverse", "update"}
CONTAINER_METHODS |= {"setdefault", "popitem", "add", "discard"}
# Temporaries named after these functions would shadow a builtin.
BASE_NAMES = {"sum": "summed", "mean": "avg", "abs": "absval", "max": "largest", "min": "smallest"}


def lower(source: SourceFunction, has_aux: bool = False, structures=None, wrt=()) -> Program:
    """`wrt`: the parameters differentiated, which are arrays, floats or nested parameters."""
    lowering = _Lowering(source, has_aux, structures or {})
    lowering.wrt = set(wrt or ())
    return lowering.run()


def dump(program: Program) -> str:
    """The lowered program as Python lines (for doctests and `--stage anf`)."""
    lines = _dump_block(program.body, "")
    returned = program.result.value
    if program.result.aux is not None:
        returned = tuple_([returned, program.result.aux])
    lines.append(f"return {to_source(returned)}")
    return "\n".join(lines)


def _dump_block(stmts, indent: str) -> list[str]:
    lines = []
    for stmt in stmts:
        if isinstance(stmt, Assign):
            lines.append(f"{indent}{stmt.target} = {to_source(stmt.value)}")
        elif isinstance(stmt, For) and stmt.iter is None:
            lines.append(f"{indent}while True:")
            lines += _dump_block(stmt.test_body, indent + "    ")
            lines.append(f"{indent}    if not {to_source(stmt.test)}: break")
            lines += _dump_block(stmt.body, indent + "    ")
            lines += [f"{indent}    {n} = {to_source(v)}" for n, v in stmt.carried]
        elif isinstance(stmt, For):
            lines.append(f"{indent}for {stmt.target} in {to_source(stmt.iter)}:")
            lines += _dump_block(stmt.body, indent + "    ")
            lines += [f"{indent}    {n} = {to_source(v)}" for n, v in stmt.carried]
        elif isinstance(stmt, If):
            lines.append(f"{indent}if {to_source(stmt.test)}:")
            lines += _dump_block(stmt.body, indent + "    ") or [indent + "    pass"]
            if stmt.orelse:
                lines.append(f"{indent}else:")
                lines += _dump_block(stmt.orelse, indent + "    ")
        else:
            lines.append(indent + to_source(stmt.value))
    return lines


def _split_count(op) -> int | None:
    """The number of parts `np.split(x, sections)` makes, when a literal says it."""
    sections = op.args[1] if len(op.args) > 1 else op.kwargs.get("indices_or_sections")
    if isinstance(sections, gast.Constant) and type(sections.value) is int:
        return sections.value
    if isinstance(sections, (gast.Tuple, gast.List)):
        return len(sections.elts) + 1
    return None


TUPLE_RESULTS = {  # functions returning a tuple: how many items, from the call
    numpy.linalg.eigh: lambda op: 2,
    numpy.linalg.slogdet: lambda op: 2,
    numpy.split: _split_count,
    numpy.array_split: _split_count,
}


def _as_written(atom):
    """A list passed to a call stays a list (`ungetitem(g, x, [2, 0, 2])` picks rows; a tuple
    there would index several axes)."""
    if isinstance(atom, gast.Tuple) and getattr(atom, "srcgrad_list", False):
        listed = gast.List(elts=atom.elts, ctx=gast.Load())
        listed.srcgrad_list = True
        return listed
    return atom


def _is_list_literal(atom) -> bool:
    """A list written in the function (`[]`, `[a, b]`), as the lowering holds it."""
    return isinstance(atom, (gast.Tuple, gast.List)) and getattr(atom, "srcgrad_list", False)


def _new_stack(targets, value, stacks: set) -> bool:
    return (
        len(targets) == 1
        and isinstance(targets[0], gast.Name)
        and targets[0].id in stacks
        and isinstance(value, gast.List)
        and not value.elts
    )


def _stack_names(tree) -> set:
    """The lists generated code uses as stacks: `saved.append(...)`, `saved.pop()` (a list it
    builds with `parts = parts + [item]` is not one)."""
    return {
        n.func.value.id
        for n in walk_tree(tree)
        if isinstance(n, gast.Call)
        and isinstance(n.func, gast.Attribute)
        and n.func.attr in ("append", "pop")
        and isinstance(n.func.value, gast.Name)
    }


def _params(args: gast.arguments) -> list[str]:
    names = [a.id for a in args.posonlyargs + args.args]
    if args.vararg:
        names.append(args.vararg.id)
    names += [a.id for a in args.kwonlyargs]
    if args.kwarg:
        names.append(args.kwarg.id)
    return names


class _Lowering:
    def __init__(self, source: SourceFunction, has_aux: bool = False, structures=None):
        self.source = source
        self.has_aux = has_aux
        self.structures = {p: s for p, s in (structures or {}).items() if s is not None}
        tree = source.tree
        self.params = _params(tree.args)
        self.assigned = {
            n.id for n in walk_tree(tree) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)
        }
        used = {n.id for n in walk_tree(tree) if isinstance(n, gast.Name)}
        self.used = used
        # the globals this function and its helpers read, which no name srcgrad writes may hide
        self.global_reads = global_reads(source.func, source.globals) if source.func is not None else set()
        self.reserved = used | set(self.params) | {tree.name} | self.global_reads | set(runtime.__all__)
        aliases = source.numpy_names()
        self.numpy_injected = not aliases
        self.namer = Namer(self.reserved)
        self.numpy_alias = aliases[0] if aliases else self.namer.fresh("np")
        self.reserved.add(self.numpy_alias)
        self.env: dict[str, gast.expr] = {p: name(p) for p in self.params}
        self.defined: set[str] = set(self.params)
        self.user_named: set[str] = set()
        self.cse: dict[str, str] = {}
        self.body: list[Assign | Effect] = []
        self.origin: gast.stmt | None = None
        self.nodes: list[gast.expr] = []
        self.scalar_globals: set[str] = set()
        self.bases: dict[int, str] = {}  # names for temporaries whose use names them
        self.inlining: list = []  # the user's functions being inlined, innermost last
        self.inline_starts: list = []  # (block, length) when each began: what came before is the caller's
        self.pinned: list[set] = []  # names a loop may not go on under (the elements of an unrolled loop)
        self.callers: list[dict] = []  # the variables of the functions calling them
        self.identifiers: dict[int, set] = {}  # id(source) -> every name in its code
        self.exact: dict[int, str] = {}  # names chosen in advance for particular expressions
        self.list_names: set[str] = set()  # lists a comprehension or a loop builds, one item at a time
        self.tuples: dict[str, int | None] = {}  # values that are tuples a function returned -> length
        self.stacks = _stack_names(tree) if source.generated else set()  # generated code's loop stacks
        self.literal_lists: set[str] = set()  # loop variables that start as a list with items
        self.wrt: set[str] = set()  # the parameters differentiated (see `lower`)
        # the differentiated function itself, while its helpers are inlined
        self.top = _Top(source, list(self.params), set(self.assigned))

    def run(self) -> Program:
        self.check_hidden_globals()
        result = None
        leaves, leaf_paths = {}, {}
        for param, structure in self.structures.items():  # `W1 = params["W1"]`, one line a leaf
            leaf_paths[param] = {}
            self.origin = self.source.tree
            for path in _paths(structure):
                leaf = self.namer.fresh(_leaf_base(param, path))
                access = name(param)
                for key in path:
                    access = gast.Subscript(value=access, slice=const(key), ctx=gast.Load())
                self.body.append(Assign(leaf, access, Op("leaf", [], label="parameter"), self.origin))
                leaf_paths[param][path] = leaf
            leaves[param] = list(leaf_paths[param].values())
            self.env[param] = _struct_ref(param, ())
        self.leaf_paths = leaf_paths
        for stmt in rewrite_loops(self.source.tree.body, self.namer):
            self.origin = stmt
            if isinstance(stmt, gast.Return):
                result = self.lower_return(stmt)
            else:
                self.lower_statement(stmt)
        self.check_leaves_followed(result)
        self.check_lists_used_once(result)
        program = Program(
            source=self.source,
            params=self.params,
            body=self.body,
            result=result,
            user_names={t: t for t in self.user_named},
            reserved=set(self.namer.taken),
            numpy_alias=self.numpy_alias,
            numpy_injected=self.numpy_injected,
            scalar_globals=self.scalar_globals,
            user_identifiers=self.used | self.global_reads,  # the helpers' globals too
            structures=self.structures,
            leaves=leaves,
            leaf_paths=leaf_paths,
        )
        return program

    def check_leaves_followed(self, result) -> None:
        """The invariant of nested parameters: the lowered program reads a nested parameter only
        through its leaves (`W1 = params["W1"]`), so every read reaches the gradient. A read of
        the whole, through a way of reading it the lowering does not follow, is refused at its
        line: unchecked, the leaves would silently get no gradient from it."""
        if not self.structures:
            return
        whole = set(self.structures)
        reads = [
            (s, _reads(s)) for s in walk(self.body) if not (isinstance(s, Assign) and s.op.key == "leaf")
        ]
        if result is not None:
            reads.append((result, set(names_in(result.value))))
        for stmt, names in reads:
            names = set(names)
            if not names & whole:
                continue
            op = getattr(stmt, "op", None)
            node = (op.node if op is not None else None) or stmt.origin
            source = (op.source if op is not None else None) or getattr(stmt.origin, "srcgrad_source", None)
            param = sorted(names & whole)[0]
            raise UnsupportedSyntaxError(
                f"srcgrad follows the nested parameter {param!r} through indexing, loops, .values(), "
                ".items() and calls of your own functions, but not used whole as it is here.",
                (source or self.source).location(node),
                hint="Read its arrays (params['W1'], list(params.values())) and use those.",
            )

    def check_lists_used_once(self, result) -> None:
        """A list a loop builds (`parts = parts + [item]`) has its gradient built for one call
        that takes it (np.stack, np.concatenate, ...): a second use would add gradients of two
        different forms (a list and an array). Refused at the second use."""
        lists = self.list_names | self.literal_lists
        if not lists or self.source.generated:  # a gradient's own code reads its lists as it must
            return
        seen: dict[str, object] = {}
        uses = [s for s in walk(self.body) if isinstance(s, (Assign, Effect))]
        for stmt in uses:
            if stmt.op.key in ("append", "copy", "emptylist", len):
                continue
            for n in sorted(set(names_in(stmt.value)) & lists):
                if n in seen:
                    raise UnsupportedSyntaxError(
                        "srcgrad follows a list that a loop builds into one call that takes it; "
                        "this is a second one.",
                        (stmt.op.source or self.source).location(stmt.op.node or stmt.origin),
                        hint="Stack or join it once (`P = np.stack(parts)`) and use that array.",
                    )
                seen[n] = stmt

    def check_hidden_globals(self) -> None:
        """Refuse a parameter or closed-over variable of the function whose name a helper reads as
        a module global: the generated code, with the helper's lines inlined, would read the
        parameter there."""
        own = {n for n in self.used if n not in self.assigned and n not in self.params}
        helpers = self.global_reads - own  # what only the helpers read as globals
        closure = self.source.closure
        for var in sorted(helpers & (set(self.params) | set(closure))):
            if var in closure and closure[var] is self.source.globals.get(var, MISSING):
                continue  # the same object either way
            kind = "parameter" if var in self.params else "variable it closes over"
            raise UnsupportedSyntaxError(
                f"the {kind} {var!r} of {self.source.name!r} has the name of a module global that a "
                f"function it calls reads; with that function's lines written into the gradient, "
                f"they would read the {kind} instead.",
                self.source.location(self.source.tree),
                hint=f"Rename the {kind}, or pass the global {var!r} to that function as an argument.",
            )

    # -- statements -------------------------------------------------------------------------

    def lower_statement(self, stmt: gast.stmt) -> None:
        stmt.srcgrad_source = self.source  # whose lines it is on (a helper's, once inlined)
        if isinstance(stmt, gast.Assign):
            self.lower_assign(stmt.targets, stmt.value)
        elif isinstance(stmt, gast.AugAssign):
            value = gast.BinOp(left=copy.copy(stmt.target), op=stmt.op, right=stmt.value)
            gast.copy_location(value, stmt)
            load = gast.Name(id=stmt.target.id, ctx=gast.Load(), annotation=None, type_comment=None)
            value.left = gast.copy_location(load, stmt.target)
            self.lower_assign([stmt.target], value)
        elif isinstance(stmt, gast.Expr):
            if isinstance(stmt.value, gast.Call):
                self.expr(stmt.value, effect=True)
            elif not isinstance(stmt.value, gast.Constant):
                self.expr(stmt.value)
        elif isinstance(stmt, gast.If):
            self.lower_if(stmt)
        elif isinstance(stmt, (gast.For, gast.While)):
            self.lower_for(stmt)
        # `pass` lowers to nothing

    def lower_if(self, stmt: gast.If) -> None:
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

    def lower_block(self, stmts) -> None:
        for s in stmts:
            self.origin = s
            self.lower_statement(s)

    def lower_for(self, stmt) -> None:
        """A `for` loop over range(...), or a `while` loop (whose test is computed at the start
        of every iteration, inside the loop)."""
        is_while = isinstance(stmt, gast.While)
        entry_origin = self.origin  # the user statement the loop belongs to, restored after it
        if not is_while and isinstance(stmt.iter, (gast.Tuple, gast.List)):
            return self.unroll(stmt)
        if not is_while:
            elements = self.known_elements(stmt)
            if elements is not None:  # parts of a nested parameter, a list made in the function
                return self.unroll(stmt, elements)
        origin = stmt  # the user's loop, as comments and messages quote it
        iterable = None if is_while else stmt.iter
        items = []  # (target, sequence atom): `for x in xs` reads xs[i] at each iteration's start
        if not is_while and not (
            isinstance(iterable, gast.Call) and self.source.resolve(iterable.func) is range
        ):
            index, items, iterable = self.sequence_loop(stmt)
            stmt = copy.copy(stmt)
            stmt.target = index
        elif not is_while and not isinstance(stmt.target, gast.Name):
            where = self.source.location(stmt.target)
            raise UnsupportedSyntaxError("a range() loop has one loop variable.", where)
        loop_range = None
        if not is_while:
            if iterable.keywords or not 1 <= len(iterable.args) <= 3:
                where = self.source.location(iterable)
                raise UnsupportedSyntaxError("range() takes 1 to 3 positional arguments.", where)
            if items:  # already lowered by sequence_loop
                loop_range = iterable
            else:
                bounds = [self.expr(a) for a in iterable.args]
                loop_range = gast.Call(func=copy_tree(iterable.func), args=bounds, keywords=[])
        stores = (n for s in stmt.body for n in walk_tree(s))
        assigned = {n.id for n in stores if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
        item_names = {n.id for t, _ in items for n in walk_tree(t) if isinstance(n, gast.Name)}
        inside = set(map(id, walk_tree(origin)))
        read_elsewhere = {  # `row` read after `for row in X:` is the last row: carried like the rest
            n.id
            for n in walk_tree(self.source.tree)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and id(n) not in inside
        }
        assigned = (assigned - item_names) | (item_names & read_elsewhere)
        carried = sorted(assigned - ({stmt.target.id} if not is_while else set()))
        loop_names = {}
        for var in carried:  # one name per carried variable, holding its value at each iteration's start
            reusable = self.reusable(var)
            if reusable:  # the value before the loop has its own line: the loop continues under its name
                loop_names[var] = reusable
                self.cse = {k: v for k, v in self.cse.items() if v != reusable}
            else:
                loop_names[var] = self.version(var)
                start = self.env.get(var, const(None))
                if _is_list_literal(start) and not start.elts:  # `parts = []`, added to in the loop
                    empty = gast.List(elts=[], ctx=gast.Load())
                    op = Op("emptylist", [], label="[]", pure=False, node=stmt)
                    self.body.append(Assign(loop_names[var], empty, op, stmt))
                    self.list_names.add(loop_names[var])
                else:
                    # a variable first assigned in the loop starts as None, so each iteration can save it
                    self.copy_into(loop_names[var], start, stmt)
                    if _is_list_literal(start):
                        self.literal_lists.add(loop_names[var])
            self.env[var] = name(loop_names[var])
            if reusable is None and var in self.list_names:
                self.list_names.add(loop_names[var])
        target = None
        if not is_while:
            target = self.version(stmt.target.id)
            self.env[stmt.target.id] = name(target)
        before_cse, outer = dict(self.cse), self.body
        self.body = []
        test = None
        if is_while:
            self.origin = stmt
            test = self.expr(stmt.test)
            test_body, self.body = self.body, []
            self.cse = dict(before_cse)  # the test's values are not shared with the body
        for item_target, sequence in items:  # x = xs[i]
            self.origin = origin
            element = gast.Subscript(value=sequence, slice=name(target), ctx=gast.Load())
            op = Op("getitem", [sequence, name(target)], label="indexing")
            if isinstance(item_target, gast.Name):
                self.bind(item_target.id, self.emit(element, op, item_target.id, "item"))
            else:
                whole = self.emit(element, op, None, "_".join(t.id for t in item_target.elts))
                self.unpack_atom(item_target, whole)
        for s in stmt.body:
            self.origin = s
            self.lower_statement(s)
        body, self.body, self.cse, self.origin = self.body, outer, before_cse, entry_origin
        pairs = [(loop_names[v], self.env[v]) for v in carried]
        pairs = [(n, v) for n, v in pairs if not (isinstance(v, gast.Name) and v.id == n)]
        for var in carried:
            self.env[var] = name(loop_names[var])
        loop = For(target=target, iter=loop_range, body=body, carried=pairs, origin=origin)
        if is_while:
            loop.test_body, loop.test = test_body, test
        self.body.append(loop)

    def known_elements(self, stmt: gast.For):
        """The atoms a `for` loop binds, when their number is known here and the loop must be
        written out for srcgrad to follow them: the parts of a nested parameter (`for w in ws`,
        `enumerate(ws)`, `zip(ws, xs)`, `params.items()`, `ws[1:]`), a list made in the function,
        or a `range` with literal bounds whose index reads such a part (`ws[i]`). None otherwise
        (the loop stays a loop)."""
        iterable = stmt.iter
        func = self.source.resolve(iterable.func) if isinstance(iterable, gast.Call) else None
        if func is range:
            known = {k for k, v in self.env.items() if _is_struct(v) or _is_list_literal(v)}
            target = stmt.target.id if isinstance(stmt.target, gast.Name) else None
            if target is None or not _indexes_with(stmt.body, target, known):
                return None
            return self.static_elements(iterable)
        if func is enumerate and len(iterable.args) == 1 and not iterable.keywords:
            inner = self.known_elements(gast.For(target=None, iter=iterable.args[0], body=[], orelse=[]))
            if inner is None:
                return None
            return [
                _Guarded(i, atom.length, lambda i=i, atom=atom: tuple_([const(i), atom.build()]))
                if isinstance(atom, _Guarded)
                else tuple_([const(i), atom])
                for i, atom in enumerate(inner)
            ]
        if func is zip and iterable.args and not iterable.keywords:
            sequences = [self.expr(a) for a in iterable.args]
            if not any(_is_struct(a) or _is_list_literal(a) for a in sequences):
                iterable.srcgrad_lowered = sequences  # sequence_loop reads them again
                return None
            columns = [self.elements_of(a, node) for a, node in zip(sequences, iterable.args)]
            count = min(len(c) for c in columns if c is not None)
            unknown = [a for c, a in zip(columns, sequences) if c is None]
            for a in unknown:
                self.check_readable(a, iterable)
            if not unknown:
                return [tuple_([c[i] for c in columns]) for i in range(count)]
            # zipped with a sequence whose length is known only when the code runs (an array's
            # rows, a list that is not differentiated): zip stops at the shorter, so each
            # iteration written out runs only if that sequence has its item
            lengths = [self.emit(call_len(a), Op(len, [a], label="len()"), None, "n") for a in unknown]
            if len(lengths) > 1:
                lengths = [
                    self.emit(call_min(lengths), Op(min, lengths, label="min()", pure=False), None, "n")
                ]

            def build(i):
                return tuple_([c[i] if c is not None else self.row(a, i) for c, a in zip(columns, sequences)])

            return [_Guarded(i, lengths[0], lambda i=i: build(i)) for i in range(count)]
        if isinstance(iterable, gast.Call) and func is not MISSING and func is not None:
            return None  # range(), reversed() ...: an ordinary loop
        atom = self.expr(iterable)
        elements = self.elements_of(atom, iterable)
        if elements is None:
            iterable.srcgrad_lowered = [atom]
        return elements

    def elements_of(self, atom, node):
        """The parts of a nested parameter or the items of a list made in the function, as atoms;
        None for any other value. Iterating a dict gives its keys, as in Python."""
        if _is_list_literal(atom) or isinstance(atom, gast.Tuple):
            return list(atom.elts)
        if not _is_struct(atom):
            return None
        param, path = atom.srcgrad_struct
        structure = _subtree(self.structures[param], path)
        if structure[0] == "dict":
            return [const(k) for k in _children(structure)]
        return [self.struct_atom(param, (*path, k)) for k in _children(structure)]

    def row(self, atom, i: int):
        """`atom[i]`: an item of a sequence zipped with the parts of a parameter."""
        value = gast.Subscript(value=atom, slice=const(i), ctx=gast.Load())
        return self.emit(value, Op("getitem", [atom, const(i)], label="indexing"), None, "row")

    def guarded_iteration(self, stmt: gast.For, element: _Guarded) -> None:
        """One iteration of a zip loop written out, under `if i < n:` (n the length of the
        sequence known only at run time): an `if` whose other branch changes nothing."""
        self.origin = stmt
        compare = gast.Compare(left=const(element.index), ops=[gast.Lt()], comparators=[element.length])
        test = self.emit(
            compare, Op("compare", [const(element.index), element.length], label="<"), None, "more"
        )

        def taken():
            self.bind_target(stmt.target, element.build())
            self.lower_block(stmt.body)

        self.lower_branches(test, (taken, lambda: None), stmt)

    def reusable(self, var: str) -> str | None:
        """The name of `var`'s current value, if a loop may go on assigning it: a value assigned
        in this block that no other variable refers to."""
        atom = self.env.get(var)
        if not isinstance(atom, gast.Name) or atom.id in self.params:
            return None
        if any(atom.id in pinned for pinned in self.pinned):
            return None
        if any(atom.id in paths.values() for paths in self.leaf_paths.values()):
            return None  # a part of a nested parameter, which `params["b"]` goes on reading
        defining = next((s for s in self.body if isinstance(s, Assign) and s.target == atom.id), None)
        if defining is None:
            return None
        if self.inline_starts:  # in a helper: only a value the helper made itself (a value shared
            # with the caller's through common subexpressions may be bound to a caller's name later)
            body, start = self.inline_starts[-1]
            if body is self.body and not any(s is defining for s in self.body[start:]):
                return None
        # the loop overwrites the name: fine unless a backward pass reads the value before the
        # loop, as the operand of a statement or as the result its own rule uses (tanh's does)
        if any(atom.id in _reads(s) for s in walk(self.body) if s is not defining):
            return None
        rule = rules.lookup(defining.op.key) if defining.op.key is not None else None
        if rule is not None and rule.uses_ans:
            return None
        # another variable holding the value, also as an item of a list or tuple made in the
        # function (`parts = parts + [h]` written out: the list holds `h` itself)
        others = {n for k, v in self.env.items() if k != var for n in names_in(v)}
        others |= {n for env in self.callers for v in env.values() for n in names_in(v)}
        return None if atom.id in others else atom.id

    def unroll(self, stmt: gast.For, atoms=None) -> None:
        """A loop over a literal tuple or list (`for W, b in ((W1, b1), (W2, b2)):`), or over the
        parts of a nested parameter, is written out once per element."""
        literal = atoms is None
        if literal:  # Python builds the tuple before the loop: later rebinding does not change it
            self.origin = stmt
            elements = stmt.iter.elts
            atoms = [self.expr(e) for e in elements]
        # the elements still to come hold their values: no loop in the body may go on under their
        # names (`for row in (X, h2):` with a loop rebinding h2 in the body)
        self.pinned.append({n for a in atoms if not isinstance(a, _Guarded) for n in names_in(a)})
        try:
            for i, atom in enumerate(atoms):
                self.origin = stmt
                target = stmt.target
                if isinstance(atom, _Guarded):
                    self.guarded_iteration(stmt, atom)
                    continue
                if (
                    literal
                    and isinstance(target, (gast.Tuple, gast.List))
                    and not isinstance(atom, gast.Tuple)
                ):
                    self.unpack_atom(target, atom, rows=not isinstance(elements[i], gast.Call))
                else:
                    self.bind_target(target, atom)
                for s in stmt.body:
                    self.origin = s
                    self.lower_statement(s)
        finally:
            self.pinned.pop()

    def bind_target(self, target, atom) -> None:
        """Bind a name, or a tuple of names, to an atom already lowered (a part of a parameter)."""
        if isinstance(target, gast.Name):
            self.bind(target.id, atom)
            return
        if _is_struct(atom):
            param, path = atom.srcgrad_struct
            keys = _children(_subtree(self.structures[param], path))
            parts = [self.struct_atom(param, (*path, k)) for k in keys]
        elif isinstance(atom, (gast.Tuple, gast.List)):
            parts = atom.elts
        else:
            raise UnsupportedSyntaxError("cannot unpack this value here.", self.source.location(target))
        if len(parts) != len(target.elts):
            message = f"{len(parts)} values cannot be unpacked into {len(target.elts)} names."
            raise UnsupportedSyntaxError(message, self.source.location(target))
        for t, part in zip(target.elts, parts):
            self.bind_target(t, part)

    def sequence_loop(self, stmt: gast.For):
        """`for x in xs`, `for i, x in enumerate(xs)`, `for a, b in zip(xs, ys)`: a loop over an
        index, the loop variables read from the sequences at each iteration's start."""
        iterable, target = stmt.iter, stmt.target
        func = self.source.resolve(iterable.func) if isinstance(iterable, gast.Call) else None
        where = self.source.location(iterable)
        if func is enumerate:
            if not (isinstance(target, gast.Tuple) and len(target.elts) == 2 and len(iterable.args) == 1):
                raise UnsupportedSyntaxError("write `for i, x in enumerate(xs):`.", where)
            index, item = target.elts
            inner = iterable.args[0]
            if isinstance(inner, gast.Call) and self.source.resolve(inner.func) is zip:  # enumerate(zip(..))
                if not (isinstance(item, gast.Tuple) and len(item.elts) == len(inner.args)):
                    raise UnsupportedSyntaxError("unpack one loop variable per zipped sequence.", where)
                sequences, targets = [self.expr(a) for a in inner.args], list(item.elts)
            else:
                sequences, targets = self.lowered([inner]), [item]
        elif func is zip:
            if not (isinstance(target, gast.Tuple) and len(target.elts) == len(iterable.args)):
                raise UnsupportedSyntaxError("unpack one loop variable per zipped sequence.", where)
            index = gast.Name(id=self.synthetic("i"), ctx=gast.Store(), annotation=None, type_comment=None)
            sequences = getattr(iterable, "srcgrad_lowered", None) or self.lowered(iterable.args)
            targets = list(target.elts)
        else:
            index = gast.Name(id=self.synthetic("i"), ctx=gast.Store(), annotation=None, type_comment=None)
            sequences, targets = self.lowered([iterable]), [target]
            if self.maybe_dict(iterable, sequences[0]):  # `for k in d:` over a dict gives its keys
                listed = gast.Call(func=name("items_of"), args=[sequences[0]], keywords=[])
                op = Op(runtime.items_of, [sequences[0]], label="for ... in", pure=False)
                sequences = [self.emit(listed, op, None, f"{iterable.id}_items")]
        for sequence in sequences:
            self.check_readable(sequence, iterable)
        lengths = []
        for sequence in sequences:
            call_len = gast.Call(func=name("len"), args=[sequence], keywords=[])
            lengths.append(self.emit(call_len, Op(len, [sequence], label="len()"), None, "n"))
        count = lengths[0]
        if len(lengths) > 1:
            call_min = gast.Call(func=name("min"), args=lengths, keywords=[])
            count = self.emit(call_min, Op(min, lengths, label="min()", pure=False), None, "n")
        loop_range = gast.Call(func=name("range"), args=[count], keywords=[])
        return index, list(zip(targets, sequences)), loop_range

    def maybe_dict(self, node, atom) -> bool:
        """Whether a loop's sequence may be a dict: a parameter of the differentiated function
        (not one of those differentiated, which are arrays or followed by their parts) or a
        global, that the function does not use as an array (arithmetic, `.shape`, a NumPy
        call). Looping over `items_of(seq)` is right for any sequence; this only keeps the line
        out of the code where the sequence is plainly an array."""
        if not isinstance(atom, gast.Name) or _is_struct(atom) or atom.id in self.wrt:
            return False
        top = self.top
        if atom.id in top.params:
            if atom.id in top.assigned:
                return False
            tree, identifier = top.source.tree, atom.id
        elif isinstance(node, gast.Name) and node.id == atom.id and node.id not in self.env:
            if atom.id in self.assigned:
                return False
            tree, identifier = self.source.tree, atom.id  # a global
        else:
            return False
        source = top.source if tree is top.source.tree else self.source
        parents = {}
        for n in walk_tree(tree):
            for child in gast.iter_child_nodes(n):
                parents[id(child)] = n
        for n in walk_tree(tree):
            if not (isinstance(n, gast.Name) and n.id == identifier and isinstance(n.ctx, gast.Load)):
                continue
            parent = parents.get(id(n))
            if isinstance(parent, (gast.BinOp, gast.UnaryOp, gast.Compare, gast.AugAssign)):
                return False  # arithmetic: an array
            if isinstance(parent, gast.Attribute) and parent.attr not in ("keys", "values", "items", "get"):
                return False  # `.shape`, `.T`, `.sum()`: an array
            if isinstance(parent, gast.Call) and n in parent.args:
                called = source.resolve(parent.func)
                if called is not MISSING and not is_users_function(called) and called not in _SEQUENCE_CALLS:
                    return False  # given to NumPy: an array
        return True

    def lowered(self, nodes) -> list:
        """The atoms of `nodes`, lowered once: `known_elements` may have lowered them already."""
        atoms = []
        for node in nodes:
            done = getattr(node, "srcgrad_lowered", None)
            atoms.append(done[0] if done else self.expr(node))
        return atoms

    def check_readable(self, atom, node) -> None:
        """Refuse reading items back from a list a loop builds one item at a time: its gradient is
        followed into np.stack, np.concatenate and the like, not item by item."""
        if isinstance(atom, gast.Name) and atom.id in (self.list_names | self.literal_lists):
            raise UnsupportedSyntaxError(
                "srcgrad follows a list that a loop builds (`parts = parts + [item]`) into a call "
                "such as np.stack(parts) or np.concatenate(parts), but not when its items are read "
                "back one by one.",
                self.source.location(node),
                hint="Stack it first (`P = np.stack(parts)`) and read the rows of P, or compute "
                "what you need from each item inside the loop that builds the list.",
            )

    def unpack_atom(self, target: gast.Tuple, whole: gast.expr, rows: bool = False) -> None:
        """`a, b = whole`: items of a tuple a call returned, or (`rows`) the rows of an array."""
        count = len(target.elts)
        for i, t in enumerate(target.elts):
            item = gast.Subscript(value=whole, slice=const(i), ctx=gast.Load())
            if rows:
                op = Op("getitem", [whole, const(i)], label="unpacking")
            else:
                op = Op("item", [whole, const(i), const(count)], label="unpacking")
            if isinstance(t, gast.Tuple):
                self.unpack_atom(t, self.emit(item, op, None, "item"), rows)
            else:
                self.bind(t.id, self.emit(item, op, t.id, "item"))

    def synthetic(self, base: str) -> str:
        """A fresh name for a variable srcgrad writes into the user's code (a comprehension's
        total, a loop's index), unlike any name in the function being lowered (a helper's
        names are not reserved by the namer, which knows only the top function's)."""
        key = id(self.source)
        if key not in self.identifiers:
            tree = self.source.tree
            self.identifiers[key] = {n.id for n in walk_tree(tree) if isinstance(n, gast.Name)}
        while True:
            candidate = self.namer.fresh(base)
            if candidate not in self.identifiers[key]:
                return candidate

    def version(self, var: str) -> str:
        """A name for a new value of the user's variable `var`: `var` itself first, then `var_2`..."""
        # a helper's names never claim, nor a name a helper reads as a global (`inputs`, `tanh`)
        claim = var not in self.defined and not self.inlining and var not in self.global_reads
        new = self.namer.claim(var) if claim else self.namer.fresh(var)
        self.defined.add(var)
        self.user_named.add(new)
        return new

    def copy_into(self, target: str, atom: gast.expr, origin) -> None:
        op = Op("copy", [atom], label="copy", pure=False, node=origin)
        self.body.append(Assign(target, copy_tree(atom), op, origin))

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
            if any(isinstance(v, (gast.Tuple, gast.List)) or _is_struct(v) for v in (a, b)):
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
                    op = Op("copy", [atom], label="copy", pure=False, node=origin)
                    body.append(Assign(joined, atom, op, origin))
            claimed.add(joined)
            env[var] = name(joined)
        return env

    def lower_assign(self, targets: list[gast.expr], value: gast.expr) -> None:
        if self.source.generated and _new_stack(targets, value, self.stacks):  # `saved = []`, generated
            stack = self.version(targets[0].id)
            op = Op("stack", [], label="[]", pure=False, node=value, source=self.source)
            self.body.append(Assign(stack, gast.List(elts=[], ctx=gast.Load()), op, self.origin))
            self.env[targets[0].id] = name(stack)
            return
        for target in targets:
            if isinstance(target, (gast.Tuple, gast.List)):
                self.lower_unpack(target, value)
                return
        atom = self.expr(value, hint=targets[0].id)
        for target in targets:
            self.bind(target.id, atom)

    def lower_unpack(self, target: gast.Tuple, value: gast.expr) -> None:
        count = len(target.elts)
        if isinstance(value, (gast.Tuple, gast.List)):
            if len(value.elts) != count:
                raise UnsupportedSyntaxError(
                    f"{len(value.elts)} values cannot be unpacked into {count} names.",
                    self.source.location(value),
                )
            atoms = [self.expr(v, hint=t.id) for t, v in zip(target.elts, value.elts)]
        else:  # `sign, logdet = np.linalg.slogdet(A)`: name the tuple, then each item
            whole = self.expr(value, hint=None, base="_".join(t.id for t in target.elts))
            if _is_struct(whole):  # `W, b = layers[0]`
                self.bind_target(target, whole)
                return
            if isinstance(whole, (gast.Tuple, gast.List)):  # a helper that returned `a, b`
                if len(whole.elts) != count:
                    message = f"{len(whole.elts)} values cannot be unpacked into {count} names."
                    raise UnsupportedSyntaxError(message, self.source.location(value))
                for t, atom in zip(target.elts, whole.elts):
                    self.bind(t.id, atom)
                return
            self.check_readable(whole, value)
            self.unpack_atom(target, whole, rows=not isinstance(value, gast.Call))
            return
        for t, atom in zip(target.elts, atoms):
            self.bind(t.id, atom)

    def lower_return(self, stmt: gast.Return) -> Return:
        fname = self.source.name
        hint = fname if fname not in self.assigned and fname not in self.params else "value"
        value = stmt.value
        if not self.has_aux:
            return Return(
                value=self.expr(value, hint=hint) if value is not None else const(None), origin=stmt
            )
        if not (isinstance(value, gast.Tuple) and len(value.elts) == 2):
            raise UnsupportedSyntaxError(
                f"with has_aux=True, {fname!r} must return a pair: the value to differentiate and "
                "the auxiliary data.",
                self.source.location(stmt),
                hint="Write `return loss, aux`.",
            )
        atom = self.expr(value.elts[0], hint=hint)
        aux = self.expr(value.elts[1], hint="aux")
        return Return(value=atom, origin=stmt, aux=aux)

    def bind(self, user_var: str, atom: gast.expr) -> None:
        self.env[user_var] = atom

    # -- expressions ------------------------------------------------------------------------

    def expr(self, node: gast.expr, hint: str | None = None, effect: bool = False, base=None) -> gast.expr:
        """Lower `node`; return an atom (a name or a constant) that holds its value."""
        if base is not None:
            self.bases[id(node)] = base
        method = getattr(self, "expr_" + type(node).__name__)
        self.nodes.append(node)  # the innermost user expression being lowered, for messages
        try:
            return method(node, hint, effect) if isinstance(node, gast.Call) else method(node, hint)
        finally:
            self.nodes.pop()

    def expr_Name(self, node, hint):
        if node.id in self.env:
            return copy_tree(self.env[node.id])
        if node.id in self.assigned or node.id in self.params:
            raise UnsupportedSyntaxError(
                f"local variable {node.id!r} is read before it is assigned.",
                self.source.location(node),
            )
        value = self.source.lookup(node.id)
        if value is MISSING:
            self.undefined(node)
        if isinstance(value, (int, float, numpy.number)) and not isinstance(value, bool):
            self.scalar_globals.add(node.id)
        return name(node.id)

    def expr_Constant(self, node, hint):
        return const(node.value)

    def expr_Tuple(self, node, hint):
        return tuple_([self.expr(e) for e in node.elts])

    def expr_List(self, node, hint):
        elements = self.expr_Tuple(node, hint)
        elements.srcgrad_list = True  # a list, if it is used as an index (deepcopy keeps the mark)
        return elements

    def expr_Subscript(self, node, hint):
        base = self.expr(node.value)
        if isinstance(base, (gast.Tuple, gast.List)) or _is_struct(base):
            return self.part(base, node)
        if isinstance(base, gast.Name) and base.id in self.tuples:
            return self.tuple_item(base, node, hint)
        self.check_readable(base, node)
        index = self.index(node.slice)
        value = gast.Subscript(value=base, slice=index, ctx=gast.Load())
        op = Op("getitem", [base, _index_value(index, self.numpy_alias)], label="indexing")
        short = isinstance(base, gast.Name) and isinstance(index, (gast.Name, gast.Constant))
        label = f"{base.id}_{index.id if isinstance(index, gast.Name) else index.value}" if short else "item"
        return self.emit(value, op, hint, label if str(label).isidentifier() else "item")

    def part(self, base, node):
        """`xs[k]` or `xs[a:b]` on a list or tuple made in the function or on a nested parameter,
        with a key or bounds known here (literals, or a loop index of a loop written out)."""
        items = self.elements_of(base, node) if not _is_struct(base) else None
        if isinstance(node.slice, gast.Slice):
            bounds = [
                None if p is None else self.expr(p)
                for p in (node.slice.lower, node.slice.upper, node.slice.step)
            ]
            if all(b is None or (is_number(b) and type(b.value) is int) for b in bounds):
                keys = items if items is not None else self.elements_of(base, node)
                if keys is not None and not (_is_struct(base) and self.is_dict(base)):
                    picked = tuple_(keys[slice(*(None if b is None else b.value for b in bounds))])
                    picked.srcgrad_list = True
                    return picked
            key = None
        else:
            atom = self.expr(node.slice)
            key = atom.value if isinstance(atom, gast.Constant) else None
        if _is_struct(base):
            if isinstance(key, int) and not self.is_dict(base) and key < 0:
                key += len(self.elements_of(base, node))
            return self.struct_child(base, key, node)
        if type(key) is not int or not -len(items) <= key < len(items):
            raise UnsupportedSyntaxError(
                "a list or tuple made in the function can be indexed with a literal, or looped over.",
                self.source.location(node),
                hint="Loop over it (`for x in xs:`), or stack it into an array first (np.stack(xs)).",
            )
        return items[key]

    def is_dict(self, ref) -> bool:
        param, path = ref.srcgrad_struct
        return _subtree(self.structures[param], path)[0] == "dict"

    def tuple_item(self, base: gast.Name, node, hint):
        """An item of the tuple a function returned (`np.linalg.eigh(a)[0]`), like unpacking it."""
        count = self.tuples[base.id]
        index = node.slice
        if isinstance(index, gast.UnaryOp) and isinstance(index.op, gast.USub):  # x[-1]
            index = gast.Constant(value=-index.operand.value, kind=None) if is_number(index.operand) else None
        index = index.value if isinstance(index, gast.Constant) else None
        if count is None or type(index) is not int or not -count <= index < count:
            raise UnsupportedSyntaxError(
                f"srcgrad takes an item of the tuple `{to_source(node.value)}` returns by a literal "
                "index, when the number of items is known where the function is called.",
                self.source.location(node),
                hint="Unpack it (`a, b, c = np.split(x, 3)`), or give the sections as a literal.",
            )
        index %= count
        value = gast.Subscript(value=base, slice=const(index), ctx=gast.Load())
        op = Op("item", [base, const(index), const(count)], label="indexing")
        return self.emit(value, op, hint, f"{base.id}_{index}")

    def struct_child(self, ref, key, node):
        """`params["W1"]` on a nested parameter: the leaf's name, or a reference to the part."""
        param, path = ref.srcgrad_struct
        structure = _subtree(self.structures[param], path)
        children = _children(structure)
        if key is None or key not in children:
            raise UnsupportedSyntaxError(
                f"parts of the parameter {param!r} can be read with literal keys and indices "
                f"({', '.join(map(repr, children)) or 'it is empty'}), or looped over.",
                self.source.location(node),
                hint="Write params['W1'] or layers[0], or `for W, b in layers:`.",
            )
        return self.struct_atom(param, (*path, key))

    def flat_sequence(self, atom):
        """A part of a nested parameter that is a list or tuple of arrays, as a tuple of their
        names (a function taking a sequence of arrays gets one gradient per array)."""
        if not _is_struct(atom):
            return atom
        param, path = atom.srcgrad_struct
        structure = _subtree(self.structures[param], path)
        if structure[0] == "dict" or any(child is not None for child in structure[2]):
            return atom
        return tuple_([self.struct_atom(param, (*path, i)) for i in range(structure[1])])

    def struct_atom(self, param, path):
        if _subtree(self.structures[param], path) is None:
            return name(self.leaf_paths[param][path])
        return _struct_ref(param, path)

    def struct_elements(self, node):
        """The parts of a nested parameter a loop or `len` goes over, or None if `node` is not one."""
        method = None
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and not node.args:
            method, node = node.func.attr, node.func.value
        if not isinstance(node, (gast.Name, gast.Subscript)):
            return None
        ref = self.expr(node)
        if not _is_struct(ref):
            return None
        param, path = ref.srcgrad_struct
        children = _children(_subtree(self.structures[param], path))
        atoms = [self.struct_atom(param, (*path, k)) for k in children]
        if method == "items":
            return [gast.Tuple(elts=[const(k), a], ctx=gast.Load()) for k, a in zip(children, atoms)]
        is_dict = _subtree(self.structures[param], path)[0] == "dict"
        if method == "keys" or (method is None and is_dict):  # iterating a dict gives its keys
            return [const(k) for k in children]
        if method in (None, "values"):
            return atoms
        return None

    def index(self, node):
        """An index with every expression in it lowered to an atom (slices stay slices)."""
        if isinstance(node, gast.Slice):
            parts = [None if p is None else self.expr(p) for p in (node.lower, node.upper, node.step)]
            return gast.Slice(lower=parts[0], upper=parts[1], step=parts[2])
        if isinstance(node, gast.Tuple):
            return gast.Tuple(elts=[self.index(e) for e in node.elts], ctx=gast.Load())
        if isinstance(node, gast.List):  # indices to pick, as NumPy reads a list: not a tuple of axes
            return gast.List(elts=[self.index(e) for e in node.elts], ctx=gast.Load())
        atom = self.expr(node)
        if getattr(atom, "srcgrad_list", False):  # `i = [2, 0]` ... `x[i]`
            return gast.List(elts=atom.elts, ctx=gast.Load())
        return atom

    def expr_IfExp(self, node, hint):
        """`a if c else b` is an `if` statement that assigns one name in both branches."""
        test = self.expr(node.test)
        key = " value"  # an environment key no user variable can have
        branches = []
        before_env, before_cse, outer = dict(self.env), dict(self.cse), self.body
        for branch in (node.body, node.orelse):
            self.env, self.cse, self.body = dict(before_env), dict(before_cse), []
            self.env[key] = self.expr(branch)
            branches.append((self.env, self.body))
        self.cse, self.body = before_cse, outer
        target = self.version(hint) if hint else self.namer.fresh("choice")
        env = self.join(branches, self.origin, names={key: target})
        self.env = {k: v for k, v in env.items() if not k.startswith(" ")}
        self.body.append(If(test=test, body=branches[0][1], orelse=branches[1][1], origin=self.origin))
        return env[key]

    def expr_BoolOp(self, node, hint):
        raise UnsupportedSyntaxError(
            "srcgrad does not lower `and`/`or` yet.",
            self.source.location(node),
            hint="Use nested `if` statements, or `&`/`|` on boolean arrays.",
        )

    def expr_Attribute(self, node, hint):
        if self.is_free(node):
            if self.source.resolve(node) is MISSING:
                self.undefined(node)
            return copy_tree(node)
        base = self.expr(node.value)
        value = gast.Attribute(value=base, attr=node.attr, ctx=gast.Load())
        if node.attr == "T":
            short = isinstance(base, gast.Name) and len(base.id) <= 3
            op = Op("T", [base], label="x.T")
            return self.emit(value, op, hint, f"{base.id}T" if short else "transposed")
        key = node.attr if node.attr in ARRAY_ATTRIBUTES else None
        return self.emit(value, Op(key, [base], label=f".{node.attr}"), hint, node.attr)

    def expr_UnaryOp(self, node, hint):
        operand = self.expr(node.operand)
        if isinstance(node.op, gast.USub) and is_number(operand):
            return const(-operand.value)
        key, base = UNARY[type(node.op)]
        value = gast.UnaryOp(op=node.op, operand=operand)
        return self.emit(value, Op(key, [operand], label=to_source(value)), hint, base)

    def expr_BinOp(self, node, hint):
        left, right = self.expr(node.left), self.expr(node.right)
        appends = isinstance(left, gast.Name) and left.id in self.list_names
        if (
            appends
            and isinstance(node.right, gast.List)
            and len(right.elts) == 1
            and isinstance(node.op, gast.Add)
        ):
            right = gast.List(elts=right.elts, ctx=gast.Load())
            value = gast.BinOp(left=left, op=node.op, right=right)
            target = self.emit(
                value, Op("append", [left, right.elts[0]], label="+ [...]", pure=False), hint, "parts"
            )
            self.list_names.add(target.id)
            return target
        if _is_list_literal(left) and _is_list_literal(right) and isinstance(node.op, gast.Add):
            joined = tuple_([*left.elts, *right.elts])  # `[a] + [b]`: the list is known here
            joined.srcgrad_list = True
            return joined
        lists = self.list_names | self.literal_lists
        if any(isinstance(a, gast.Name) and a.id in lists for a in (left, right)):
            raise UnsupportedSyntaxError(  # `+` on a list joins lists, `*` repeats them: not arithmetic
                "srcgrad follows a list that a loop builds only as `parts = parts + [item]`, "
                "starting from `parts = []`.",
                self.source.location(node),
                hint="Add one item at a time (`parts = parts + [item]`) to a list that starts empty, "
                "or build the list with a comprehension.",
            )
        key, base = BINARY[type(node.op)]
        if is_number(left) and is_number(right):
            try:
                return const(key(left.value, right.value))
            except (ArithmeticError, ValueError):
                pass
        if key is operator.matmul and all(isinstance(a, gast.Name) and len(a.id) <= 3 for a in (left, right)):
            base = left.id + right.id
        value = gast.BinOp(left=left, op=node.op, right=right)
        return self.emit(value, Op(key, [left, right], label=_symbol(node.op)), hint, base)

    def expr_Compare(self, node, hint):
        left, right = self.expr(node.left), self.expr(node.comparators[0])
        value = gast.Compare(left=left, ops=node.ops, comparators=[right])
        return self.emit(value, Op("compare", [left, right], label="comparison"), hint, "cond")

    def expr_Call(self, node, hint, effect=False):
        func = node.func
        if node.args and isinstance(node.args[0], (gast.ListComp, gast.GeneratorExp)):
            return self.comprehension_call(node, hint)
        args = [_as_written(self.expr(a)) for a in node.args]
        kwargs = {kw.arg: _as_written(self.expr(kw.value)) for kw in node.keywords}
        if "out" in kwargs:
            raise UnsupportedSyntaxError(
                "`out=` writes into an existing array, which srcgrad does not differentiate.",
                self.source.location(node),
                hint="Drop `out=` and assign the result to a new name.",
            )
        func = self.called_function(func)
        if isinstance(func, gast.Attribute) and not self.is_free(func):
            return self.method_call(func, args, kwargs, hint, effect)
        target = self.source.resolve(func)
        if target is MISSING:
            self.undefined(func)
        if self.is_users_function(target):
            return self.inline(target, args, kwargs, node, hint)
        known = self.elements_of(args[0], node) if len(args) == 1 and not kwargs else None
        if target is len and known is not None:
            return const(len(known))
        if target is sum and known is not None and len(args) == 1:  # sum(ws), sum(d.values())
            total = const(0)
            for item in known:
                add = gast.BinOp(left=total, op=gast.Add(), right=item)
                total = (
                    item
                    if is_number(total) and total.value == 0
                    else self.emit(add, Op(operator.add, [total, item], label="+"), None, "total")
                )
            return total
        if target in (list, tuple) and known is not None:  # list(params.values()), tuple(ws)
            listed = tuple_(known)
            listed.srcgrad_list = target is list
            return listed
        args = [self.flat_sequence(a) for a in args]  # np.concatenate(xs) with xs a list parameter
        self.check_no_struct([*args, *kwargs.values()], node, to_source(func))
        label = to_source(func)
        op = Op(target, args, kwargs, label=f"{label}()", pure=self.is_pure(target))
        value = gast.Call(func=copy_tree(func), args=args, keywords=_keywords(kwargs))
        base = label.rsplit(".", 1)[-1]
        return self.emit(value, op, hint, BASE_NAMES.get(base, base), effect)

    def comprehension_call(self, node, hint):
        """`sum(f(x) for x in xs)` becomes a loop that adds up; `np.stack([f(x) for x in xs])`
        is written out element by element, when the elements can be counted here. As in Python,
        the comprehension's variables (and the loop's own) are gone after it."""
        target = node.args[0].generators[0].target
        scoped = {n.id for n in walk_tree(target) if isinstance(n, gast.Name)}
        before = {k: self.env[k] for k in scoped if k in self.env}
        known = set(self.env)
        value = self.lower_comprehension(node, hint)
        for var in scoped | (set(self.env) - known):
            if var in before:
                self.env[var] = before[var]
            else:
                self.env.pop(var, None)
        return value

    def lower_comprehension(self, node, hint):
        comp = node.args[0]
        generator = comp.generators[0]
        target = self.source.resolve(node.func)
        if target is sum:
            total = self.synthetic("total")
            start = node.args[1] if len(node.args) > 1 else gast.Constant(value=0.0, kind=None)
            add = gast.BinOp(left=name(total), op=gast.Add(), right=comp.elt)
            loop = gast.For(
                target=generator.target,
                iter=generator.iter,
                body=[gast.Assign(targets=[name(total, store=True)], value=add, type_comment=None)],
                orelse=[],
                type_comment=None,
            )
            for s in (gast.Assign(targets=[name(total, store=True)], value=start, type_comment=None), loop):
                gast.copy_location(s, node)
                self.lower_statement(s)
            return self.env[total]
        elements = self.static_elements(generator.iter)
        if elements is None:  # a loop that builds the list: `parts = parts + [f(x)]`
            parts = self.synthetic("parts")
            empty = gast.List(elts=[], ctx=gast.Load())
            self.body.append(Assign(parts, empty, Op("emptylist", [], label="[]", pure=False), self.origin))
            self.env[parts] = name(parts)
            self.defined.add(parts)
            self.list_names.add(parts)
            grow = gast.BinOp(
                left=name(parts), op=gast.Add(), right=gast.List(elts=[comp.elt], ctx=gast.Load())
            )
            loop = gast.For(
                target=generator.target,
                iter=generator.iter,
                orelse=[],
                type_comment=None,
                body=[gast.Assign(targets=[name(parts, store=True)], value=grow, type_comment=None)],
            )
            self.lower_statement(gast.copy_location(loop, node))
            first = self.env[parts]
        else:
            atoms = []
            for element in elements:
                self.bind_target(generator.target, element)
                atoms.append(self.expr(comp.elt))
            first = gast.List(elts=atoms, ctx=gast.Load())
        args = [first, *(self.expr(a) for a in node.args[1:])]
        kwargs = {kw.arg: self.expr(kw.value) for kw in node.keywords}
        label = to_source(node.func)
        op = Op(target, args, kwargs, label=f"{label}()", pure=self.is_pure(target))
        value = gast.Call(func=copy_tree(node.func), args=args, keywords=_keywords(kwargs))
        base = label.rsplit(".", 1)[-1]
        return self.emit(value, op, hint, BASE_NAMES.get(base, base))

    def static_elements(self, iterable):
        """The atoms a loop over `iterable` binds, if their number is known here; else None."""
        if isinstance(iterable, (gast.Tuple, gast.List)):
            return [self.expr(e) for e in iterable.elts]
        if isinstance(iterable, gast.Call) and self.source.resolve(iterable.func) is range:
            bounds = [self.expr(a) for a in iterable.args]
            if all(is_number(b) and isinstance(b.value, int) for b in bounds):
                return [const(i) for i in range(*(b.value for b in bounds))]
            return None
        if self.structures:
            return self.struct_elements(iterable)
        return None

    def is_users_function(self, target) -> bool:
        """A plain function of the user's, with no rule: its body is inlined and differentiated."""
        return is_users_function(target) and not self.is_pure(target)

    def inline(self, function, args, kwargs, node, hint):
        """The call's value, with the callee's body lowered in place (its names kept apart)."""
        where = self.source.location(node)
        if function in self.inlining:
            raise UnsupportedSyntaxError(
                f"srcgrad cannot differentiate the recursive call to {function.__name__!r}.",
                where,
                hint="Write the recursion as a loop.",
            )
        if function.__globals__ is not self.source.globals:
            raise UnsupportedSyntaxError(
                f"srcgrad differentiates calls to your own functions defined in the same module; "
                f"{function.__name__!r} comes from {function.__module__!r}.",
                where,
                hint="Define the helper in this module, or register a rule for it with srcgrad.extend.",
            )
        callee = read_function(function)
        callee.resolved = self.source.resolved  # the helper bakes in global names too
        fence.check(callee, helper=True)
        if callee.closure:
            raise UnsupportedSyntaxError(
                f"srcgrad cannot inline {function.__name__!r}: it reads variables of an enclosing "
                f"function ({', '.join(sorted(callee.closure))}).",
                callee.location(callee.tree),
                hint="Define the helper at module level and pass those values as arguments.",
            )
        try:
            bound = inspect.signature(function).bind(*args, **kwargs)
        except TypeError as exc:
            message = f"this call to {function.__name__!r} does not fit its parameters: {exc}."
            raise UnsupportedSyntaxError(message, where) from None
        env = {}
        for param in inspect.signature(function).parameters.values():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise UnsupportedSyntaxError(
                    f"srcgrad cannot inline {function.__name__!r}: it takes *{param.name}.",
                    callee.location(callee.tree),
                    hint="Give the helper named parameters.",
                )
            if param.name in bound.arguments:
                env[param.name] = bound.arguments[param.name]
            elif _literal(param.default):
                env[param.name] = const(param.default)
            elif (default := self.global_default(callee, param)) is not None:
                env[param.name] = default  # `nonlinearity=np.tanh`: the global it names
            else:
                raise UnsupportedSyntaxError(
                    f"srcgrad can inline {function.__name__!r} with defaults that are literals or "
                    f"module-level names; pass {param.name!r} explicitly.",
                    where,
                )
        returned = callee.tree.body[-1].value
        named = hint is not None and not isinstance(returned, (gast.Name, gast.Constant, gast.Tuple))
        result_name = self.version(hint) if named else None  # the caller's name, as if written there
        saved = (self.source, self.env, self.defined, self.assigned, self.params, self.origin)
        self.source, self.env, self.defined, self.params = callee, env, set(env), list(env)
        self.assigned = {
            n.id for n in walk_tree(callee.tree) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)
        }
        self.inlining.append(function)
        self.callers.append(saved[1])
        self.inline_starts.append((self.body, len(self.body)))
        try:
            for stmt in rewrite_loops(callee.tree.body[:-1], self.namer):
                self.origin = stmt
                self.lower_statement(stmt)
            self.origin = callee.tree.body[-1]
            if result_name is not None:
                self.exact[id(returned)] = result_name
            value = self.expr(returned, hint=hint) if returned is not None else const(None)
        finally:
            self.inlining.pop()
            self.callers.pop()
            self.inline_starts.pop()
            self.source, self.env, self.defined, self.assigned, self.params, self.origin = saved
        return value

    def global_default(self, callee: SourceFunction, param) -> gast.expr | None:
        """A helper's default written as a module-level name (`np.tanh`, `W0`) that still names
        the default's value, as an expression the inlined code can read; else None."""
        args = callee.tree.args
        positional = args.posonlyargs + args.args
        pairs = list(zip(positional[len(positional) - len(args.defaults) :], args.defaults))
        pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
        expr = next((d for a, d in pairs if a.id == param.name), None)
        root = expr
        while isinstance(root, gast.Attribute):
            root = root.value
        if not isinstance(root, gast.Name) or root.id in callee.closure:
            return None
        if callee.resolve(expr) is not param.default:
            return None
        return copy_tree(expr)

    def called_function(self, func):
        """The expression a call calls: a parameter of an inlined helper bound to a function
        (`nonlinearity(h)` with `nonlinearity=np.tanh`) calls that function."""
        if not (isinstance(func, gast.Name) and func.id in self.env):
            return func
        bound = self.env[func.id]
        if isinstance(bound, (gast.Name, gast.Attribute)) and not _is_struct(bound):
            value = self.source.resolve(bound)
            if value is not MISSING and callable(value):
                return bound
        if func.id in self.params:
            where = self.source.location(func)
            raise UnsupportedSyntaxError(
                f"{func.id!r} is a parameter of {self.source.name!r}, called as a function; srcgrad "
                "cannot yet differentiate a function that calls a function passed to it as an "
                "argument.",
                where,
                hint=f"Call the function by its own name here, or differentiate a wrapper that "
                f"passes it: `def loss(...): return {self.source.name}(..., np.tanh)` (srcgrad "
                "follows a function passed by name to a helper it writes out).",
            )
        return func

    def method_call(self, func, args, kwargs, hint, effect):
        base = self.expr(func.value)
        method = func.attr
        if _is_struct(base):
            return self.struct_method(base, method, args, kwargs, func)
        stack = self.source.generated and method in ("append", "pop") and isinstance(base, gast.Name)
        if method in CONTAINER_METHODS and not stack:
            raise UnsupportedSyntaxError(
                f"`.{method}()` changes a list (or dict, or set) in place, which srcgrad does not "
                "differentiate.",
                self.source.location(func),
                hint="Build a new list instead: a comprehension (`[f(x) for x in xs]`), or "
                "`parts = parts + [item]` in a loop.",
            )
        if method in IN_PLACE_METHODS:
            raise UnsupportedSyntaxError(
                f"`.{method}()` changes its array in place, which srcgrad does not differentiate.",
                self.source.location(func),
                hint=f"Use the function form, which returns a new array (e.g. np.{method}(x)).",
            )
        if stack:
            # the loop stack of code srcgrad generated: values pushed going forward, popped back
            stack_call = gast.Call(
                func=gast.Attribute(value=base, attr=method, ctx=gast.Load()), args=args, keywords=[]
            )
            op = Op("push" if method == "append" else "pop", [base, *args], label=f".{method}()", pure=False)
            return self.emit(stack_call, op, hint, "popped" if method == "pop" else method, effect)
        if method in VARARG_METHODS and len(args) > 1:
            args = [tuple_(args)]
        if method in METHOD_POSITIONALS:
            kwargs = {**dict(zip(METHOD_POSITIONALS[method], args)), **kwargs}
            args = args[len(METHOD_POSITIONALS[method]) :]
        if method in ("keys", "values", "items") and not args and not kwargs:
            # a dict's view (a dict that is not differentiated): a list, which loops index
            view = gast.Call(
                func=gast.Attribute(value=base, attr=method, ctx=gast.Load()), args=[], keywords=[]
            )
            listed = gast.Call(func=name("list"), args=[view], keywords=[])
            return self.emit(listed, Op(None, [base], label=f".{method}()", pure=False), hint, method, effect)
        function = getattr(numpy, METHOD_FUNCTIONS.get(method, method), None)
        bound = gast.Attribute(value=base, attr=method, ctx=gast.Load())
        as_method = gast.Call(func=bound, args=args, keywords=_keywords(kwargs))
        if function is not None and self.is_pure(function):  # x.max(axis=0) is np.max(x, axis=0)
            printed = gast.Attribute(value=name(self.numpy_alias), attr=function.__name__, ctx=gast.Load())
            value = gast.Call(func=printed, args=[base, *args], keywords=_keywords(kwargs))
            op = Op(function, [base, *args], kwargs, label=f".{method}()")
            return self.emit(value, op, hint, BASE_NAMES.get(method, method), effect)
        key = "." + method  # a rule for the method itself, e.g. ".astype"
        if self.is_pure(key):
            op = Op(key, [base, *args], kwargs, label=f".{method}()")
            return self.emit(as_method, op, hint, method, effect)
        op = Op(None, [base, *args], kwargs, label=f".{method}()", pure=False)
        return self.emit(as_method, op, hint, method, effect)

    def struct_method(self, ref, method, args, kwargs, func):
        """`params.values()`, `.keys()`, `.items()`, `.get(key)` of a nested parameter: its parts,
        as a list srcgrad follows item by item."""
        param, path = ref.srcgrad_struct
        structure = _subtree(self.structures[param], path)
        keys = _children(structure)
        parts = [self.struct_atom(param, (*path, k)) for k in keys]
        if structure[0] == "dict" and method in ("values", "keys", "items") and not args and not kwargs:
            chosen = {
                "values": parts,
                "keys": [const(k) for k in keys],
                "items": [tuple_([const(k), p]) for k, p in zip(keys, parts)],
            }[method]
            listed = tuple_(chosen)
            listed.srcgrad_list = True
            return listed
        if structure[0] == "dict" and method == "get" and len(args) in (1, 2) and not kwargs:
            key = args[0].value if isinstance(args[0], gast.Constant) else None
            if key not in keys and len(args) == 2:
                return args[1]
            return self.struct_child(ref, key, func)
        raise UnsupportedSyntaxError(
            f"srcgrad follows the parameter {param!r} through indexing, loops, .values(), .keys(), "
            f".items() and .get(), not `.{method}()`.",
            self.source.location(func),
            hint="Read its arrays (params['W1'], list(params.values())) and work on those.",
        )

    # -- helpers ----------------------------------------------------------------------------

    def check_no_struct(self, atoms, node, what: str) -> None:
        """Refuse a nested parameter (or a part of one that is not an array) used whole where
        srcgrad cannot follow its leaves: its gradient would be lost, never zero in silence."""
        for atom in atoms:
            found = next((n for n in walk_tree(atom) if _is_struct(n)), None)
            if found is None:
                continue
            param, path = found.srcgrad_struct
            part = param + "".join(f"[{k!r}]" for k in path)
            raise UnsupportedSyntaxError(
                f"srcgrad follows the nested parameter {part!r} through indexing, loops, .values(), "
                f".items() and calls of your own functions, and a list of arrays into functions "
                f"such as np.stack, but not passed whole to `{what}`.",
                self.source.location(node),
                hint="Read its arrays (params['W1'], list(params.values())) and pass those.",
            )

    def emit(self, value, op: Op, hint, base, effect=False) -> gast.expr:
        op.node = self.nodes[-1] if self.nodes else self.origin
        op.source = self.source
        self.check_no_struct([value], op.node, op.label or to_source(value))
        if effect:
            self.body.append(Effect(value=value, op=op, origin=self.origin))
            return const(None)
        key = key_of(value) if op.pure else None
        if key is not None and key in self.cse:
            self.exact.pop(id(self.nodes[-1]) if self.nodes else None, None)
            return name(self.cse[key])
        current = self.nodes[-1] if self.nodes else None
        if id(current) in self.exact:
            target = self.exact.pop(id(current))
            self.user_named.add(target)
        elif hint is not None:
            target = self.version(hint)
        else:
            current = self.nodes[-1] if self.nodes else None
            target = self.namer.fresh(self.bases.pop(id(current), base))
        if key is not None:
            self.cse[key] = target
        self.body.append(Assign(target=target, value=value, op=op, origin=self.origin))
        if op.key in TUPLE_RESULTS:  # `np.linalg.eigh(a)[0]`: an item of its tuple, by number
            self.tuples[target] = TUPLE_RESULTS[op.key](op)
        return name(target)

    def is_free(self, node: gast.expr) -> bool:
        """Whether a dotted expression starts from a global (`np.linalg`) rather than a local."""
        while isinstance(node, gast.Attribute):
            node = node.value
        return (
            isinstance(node, gast.Name)
            and node.id not in self.env
            and node.id not in self.assigned
            and node.id not in self.params
        )

    def is_pure(self, target) -> bool:
        return rules.lookup(target) is not None or rules.is_nondifferentiable(target)

    def undefined(self, node):
        raise UnsupportedSyntaxError(
            f"name {to_source(node)!r} is not defined.",
            self.source.location(node),
            hint="Define or import it at module level before calling the gradient.",
        )


_SEQUENCE_CALLS = (len, list, tuple, enumerate, zip, sorted, reversed, iter)


class _Top:
    def __init__(self, source, params, assigned):
        self.source, self.params, self.assigned = source, params, assigned


class _Guarded:
    """An element of a loop written out that exists only if a sequence known at run time has
    item `index` (`index < length`); `build()` lowers it, inside that test."""

    def __init__(self, index: int, length: gast.expr, build):
        self.index = index
        self.length = length
        self.build = build


def call_len(atom) -> gast.Call:
    return gast.Call(func=name("len"), args=[atom], keywords=[])


def call_min(atoms) -> gast.Call:
    return gast.Call(func=name("min"), args=list(atoms), keywords=[])


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


def _struct_ref(param: str, path) -> gast.Name:
    ref = name(param)
    ref.srcgrad_struct = (param, tuple(path))
    return ref


def _is_struct(atom) -> bool:
    return hasattr(atom, "srcgrad_struct")


def _indexes_with(body, index: str, sequences: set) -> bool:
    """Whether a statement of `body` reads an item of one of `sequences` by an index that uses the
    loop variable `index` (`ws[i]`, `params[keys[i]]`)."""
    return any(
        isinstance(n, gast.Subscript)
        and isinstance(n.value, gast.Name)
        and n.value.id in sequences
        and index in {m.id for m in walk_tree(n.slice) if isinstance(m, gast.Name)}
        for stmt in body
        for n in walk_tree(stmt)
    )


def _reads(stmt) -> set:
    """The names a lowered statement reads (a loop: its range, test and carried values)."""
    if isinstance(stmt, (Assign, Effect)):
        return names_in(stmt.value)
    if isinstance(stmt, If):
        return names_in(stmt.test)
    if isinstance(stmt, For):
        parts = [stmt.iter, stmt.test, *(v for _, v in stmt.carried)]
        return {n for p in parts if p is not None for n in names_in(p)}
    return set()


def _literal(value) -> bool:
    if isinstance(value, tuple):
        return all(_literal(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))


def _index_value(index, numpy_alias: str) -> gast.expr:
    """The index as a value a function can take: `np.s_[1:, i]` where it holds slices."""
    if not any(isinstance(n, gast.Slice) for n in walk_tree(index)):
        return index
    s_ = gast.Attribute(value=name(numpy_alias), attr="s_", ctx=gast.Load())
    return gast.Subscript(value=s_, slice=copy_tree(index), ctx=gast.Load())


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


def _keywords(kwargs):
    return [gast.keyword(arg=k, value=v) for k, v in kwargs.items()]


def _symbol(op) -> str:
    return {
        gast.Add: "+",
        gast.Sub: "-",
        gast.Mult: "*",
        gast.Div: "/",
        gast.Pow: "**",
        gast.MatMult: "@",
        gast.FloorDiv: "//",
        gast.Mod: "%",
    }.get(type(op), type(op).__name__)
