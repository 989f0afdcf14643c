"""The lowering's state and its statements: the environment (user variable -> atom holding its
value), the block being written, the names in play; assignments, unpacking, `return`. The class
puts together the rooms the package docstring lists."""

from __future__ import annotations

import copy

import gast

from ... import rules, runtime
from ...aliasing import container_kind
from ...analyses.scope import global_reads
from ...errors import UnsupportedSyntaxError
from ...frontend import SourceFunction
from ...ir import (
    FUNCTION_ARGUMENT,
    INSTANCE_ARGUMENT,
    ITEM,
    LIST_WRITE,
    STACK,
    Assign,
    Effect,
    Op,
    Program,
    Return,
)
from ...naming import Namer
from ...syntax import const, copy_tree, is_number, name, to_source, tuple_
from ...syntax import walk as walk_tree
from ..desugar import grow_lists, lists_made, rewrite_everyday, rewrite_loops
from .atoms import as_written, is_list_literal, is_struct, params_of, stored_names
from .branches import Branches
from .calls import Calls
from .checks import check_leaves_followed, check_lists_used_once, check_readable
from .closures import thread_lists
from .emitting import Emitting
from .expressions import Expressions, index_value
from .generators import Generators
from .inlining import Inlining
from .local import LocalFunctions
from .loops import Loops
from .structures import NestedParameters
from .unrolling import Unrolling


class Lowering(
    Expressions, Calls, Branches, Loops, Unrolling, Inlining, LocalFunctions, Generators, Emitting
):
    def __init__(self, source: SourceFunction, has_aux: bool = False, structures=None, wrt=()):
        self.source = source
        self.has_aux = has_aux
        structures = dict(structures or {})
        # an argument that is a function: the value the code is generated for (`act=np.tanh`)
        self.function_args = {p: s[1] for p, s in structures.items() if _is_function(s)}
        # an argument that is an object of one of the user's classes: the object (its methods written out)
        self.object_args = {p: s[1] for p, s in structures.items() if _is_instance(s)}
        plain = {p: s for p, s in structures.items() if not (_is_function(s) or _is_instance(s))}
        self.nested = NestedParameters({p: s for p, s in plain.items() if s is not None})
        tree = source.tree
        self.params = params_of(tree.args)
        self.assigned = stored_names(tree)
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
        self.cse: dict[str, str] = {}  # an operation's key -> the name of its value, to reuse it
        self.body: list[Assign | Effect] = []
        self.origin: gast.stmt | None = None
        self.nodes: list[gast.expr] = []
        self.scalar_globals: set[str] = set()
        self.bases: dict[int, str] = {}  # names for temporaries whose use names them
        self.inlining: list = []  # the user's functions being inlined, innermost last
        self.inline_starts: list = []  # (block, length) when each began: what came before is the caller's
        self.pinned: list[set] = []  # names a loop may not go on under (the elements of an unrolled loop)
        self.callers: list[dict] = []  # the variables of the functions calling them
        self.frames: list[SourceFunction] = []  # those functions, in the same order
        self.local_functions: dict = {}  # marker name -> a function defined in the code (local.py)
        self.identifiers: dict[int, set] = {}  # id(source) -> every name in its code
        self.exact: dict[int, str] = {}  # names chosen in advance for particular expressions
        self.free_atoms: set[str] = set()  # atoms that name a global or a bound value, not a variable
        self.bound_values: dict[int, str] = {}  # id of a value a helper reads -> the name bound to it
        self.list_names: set[str] = set()  # lists a comprehension or a loop builds, one item at a time
        self.stacked_rows: dict[str, gast.Name] = {}  # a list a loop built -> np.stack of it, made once
        self.loop_depth = 0  # how many loops the statement being lowered is in
        self.tuples: dict[str, int | None] = {}  # values that are tuples a function returned -> length
        self.stacks = _stack_names(tree) if source.generated else set()  # generated code's loop stacks
        self.literal_lists: set[str] = set()  # loop variables that start as a list with items
        self.pending_loops: list = []  # loops over a generator whose call is being lowered
        self.generating: list = []  # the loops over the generators being written out, innermost last
        self.wrt: set[str] = set(wrt or ())  # the parameters differentiated
        # the differentiated function itself, while its helpers are inlined
        self.top = _Top(source, list(self.params), set(self.assigned))

    def run(self) -> Program:
        result = None
        self.origin = self.source.tree
        self.body += self.nested.read_leaves(self.namer, self.origin)  # `W1 = params["W1"]`, `W = p.W`
        self.function_args.update(self.nested.functions)  # `act = p.act`, a field holding np.tanh
        self.object_args.update(self.nested.objects)  # `sc = p.sc`, a field holding an object of yours
        for param in self.nested.structures:
            self.env[param] = self.nested.atom(param, ())
        if not self.source.generated:
            lists = lists_made(self.source.tree)
            grow_lists(self.source.tree)
            thread_lists(self.source, lists)  # a nested function's `leaves.append(v)` (closures.py)
        rewrite_everyday(self.source.tree, self.namer)
        for stmt in rewrite_loops(self.source.tree.body, self.namer):
            self.origin = stmt
            if isinstance(stmt, gast.Return):
                result = self.lower_return(stmt)
            else:
                self.lower_statement(stmt)
        self.check_functions_called(self.body, result)
        fields = self.nested.field_reads()  # `n_layers = p.n_layers`: read whole, as it is
        check_leaves_followed(self.body, result, self.nested.structures, self.source, fields)
        check_lists_used_once(self.body, self.list_names | self.literal_lists, self.source)
        return Program(
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
            structures=self.nested.program_structures(),
            leaves=self.nested.leaves(),
            leaf_paths=self.nested.leaf_paths,
        )

    def lists(self) -> set[str]:
        """The lists a loop builds or goes on adding to, which srcgrad follows into one call."""
        return self.list_names | self.literal_lists

    # -- statements -------------------------------------------------------------------------

    def lower_statement(self, stmt: gast.stmt) -> None:
        stmt.srcgrad_source = self.source  # whose lines it is on (a helper's, once inlined)
        if isinstance(stmt, gast.Assign):
            self.lower_assign(stmt.targets, stmt.value)
        elif isinstance(stmt, gast.AugAssign):
            value = gast.BinOp(left=copy.copy(stmt.target), op=stmt.op, right=stmt.value)
            gast.copy_location(value, stmt)
            if isinstance(stmt.target, gast.Subscript):  # `y[i] += v`: y[i] = y[i] + v
                load = gast.Subscript(
                    value=copy.copy(stmt.target.value), slice=stmt.target.slice, ctx=gast.Load()
                )
            else:
                load = gast.Name(id=stmt.target.id, ctx=gast.Load(), annotation=None, type_comment=None)
            value.left = gast.copy_location(load, stmt.target)
            self.lower_assign([stmt.target], value)
        elif isinstance(stmt, gast.Expr):
            if isinstance(stmt.value, (gast.Yield, gast.YieldFrom)):  # in a generator written out
                self.lower_yield(stmt.value)
            elif isinstance(stmt.value, gast.Call):
                self.expr(stmt.value, effect=True)
            elif not isinstance(stmt.value, gast.Constant):
                self.expr(stmt.value)
        elif isinstance(stmt, gast.If):
            self.lower_if(stmt)
        elif isinstance(stmt, (gast.For, gast.While)):
            self.lower_for(stmt)
        elif isinstance(stmt, gast.FunctionDef):
            self.define_function(stmt)
        # `pass` lowers to nothing

    def lower_block(self, stmts) -> None:
        for s in stmts:
            self.origin = s
            self.lower_statement(s)

    def lower_assign(self, targets: list[gast.expr], value: gast.expr) -> None:
        if self.source.generated and _new_stack(targets, value, self.stacks):  # `saved = []`, generated
            stack = self.version(targets[0].id)
            op = Op(STACK, [], label="[]", pure=False, node=value, source=self.source)
            self.body.append(Assign(stack, gast.List(elts=[], ctx=gast.Load()), op, self.origin))
            self.env[targets[0].id] = name(stack)
            return
        if len(targets) == 1 and isinstance(targets[0], gast.Subscript):
            self.lower_write(targets[0], value)
            return
        for target in targets:
            if isinstance(target, (gast.Tuple, gast.List)):
                self.lower_unpack(target, value)
                return
        atom = self.expr(value, hint=targets[0].id)
        for target in targets:
            self.bind(target.id, atom)

    def lower_write(self, target: gast.Subscript, value: gast.expr) -> None:
        """`y[index] = v`: `y_2 = with_item(y, index, v)`, a new array, so that every value the
        gradient reads keeps the contents it had when it was read. An array the function made,
        or a parameter of the function differentiated (whose caller's array stays unchanged);
        not an array of a caller or of the function around, nor a list, a dict or a part of a
        nested parameter."""
        where = self.source.location(target)
        base = target.value
        if not isinstance(base, gast.Name):
            raise UnsupportedSyntaxError(
                f"srcgrad differentiates writing into part of an array named by a variable "
                f"(`y[i] = ...`), not into `{to_source(base)}`.",
                where,
                hint="Index once with all the axes: `y[i, j] = ...` rather than `y[i][j] = ...`.",
            )
        var = base.id
        if var not in self.env:
            if var in self.assigned or var in self.params:
                raise UnsupportedSyntaxError(
                    f"local variable {var!r} is written into before it is assigned.", where
                )
            raise UnsupportedSyntaxError(
                f"{var!r} is not a variable of {self.source.name!r}: writing into it would change "
                "an array that belongs to the code around it.",
                where,
                hint=f"Make a new array in {self.source.name!r} (`{var} = {var}.copy()`), or return "
                "the values.",
            )
        if var in self.params and self.inlining:
            raise UnsupportedSyntaxError(
                f"writing into the parameter {var!r} of {self.source.name!r} would change the "
                "caller's array.",
                where,
                hint=f"Copy it first (`{var} = {var}.copy()`), or return the new array.",
            )
        if var not in self.assigned and var not in self.params:
            raise UnsupportedSyntaxError(
                f"{var!r} belongs to the function around {self.source.name!r}: writing into it "
                "would change that function's array.",
                where,
                hint=f"Copy it first (`{var} = {var}.copy()`), or return the new values.",
            )
        atom = self.env[var]
        if not is_struct(atom) and container_kind(self.source, var, target) == "list":
            self.lower_list_write(var, atom, target, value)
            return
        if (
            is_struct(atom)
            or isinstance(atom, (gast.Tuple, gast.List))
            or (isinstance(atom, gast.Name) and atom.id in self.lists())
        ):
            raise UnsupportedSyntaxError(
                f"srcgrad differentiates writing into part of an array; {var!r} is a list, a tuple "
                "or a nested parameter here.",
                where,
                hint=f"Build a new list instead (`{var} = {var}[:i] + [v] + {var}[i + 1:]`), or use "
                "an array.",
            )
        index = self.index(target.slice)
        written = self.expr(value)
        position = index_value(index, self.numpy_alias)
        call = gast.Call(func=name("with_item"), args=[atom, position, written], keywords=[])
        op = Op("setitem", [atom, copy_tree(position), written], label="assignment into part")
        self.bind(var, self.emit(call, op, var, var))

    def lower_list_write(self, var: str, atom, target: gast.Subscript, value: gast.expr) -> None:
        """`xs[i] = v` into a list the function made. A literal index into a list whose items are
        known here replaces that item (`xs = [a, b]`, then `xs[0] = c`: `xs` is `[c, b]`);
        otherwise `xs_2 = list_with_item(xs, i, v)`, a new list, as for an array. That one has no
        derivative: it is for lists that carry no gradient (shapes, axes, flags), and refused
        where the list does (`check_list_writes`, once the activity analysis has said which)."""
        if isinstance(atom, gast.Name) and atom.id in self.lists():
            raise UnsupportedSyntaxError(
                f"srcgrad follows the list {var!r}, which a loop builds, item by item into the call "
                "that takes it; writing into one of its items is not followed.",
                self.source.location(target),
                hint=f"Build the list with its final items (`{var} = {var} + [item]`), or stack it "
                "into an array first (np.stack) and write into that.",
            )
        index = self.index(target.slice)
        written = self.expr(value)
        if is_list_literal(atom) and is_number(index) and type(index.value) is int:
            items = list(atom.elts)
            if -len(items) <= index.value < len(items):
                items[index.value] = written
                listed = tuple_(items)
                listed.srcgrad_list = True
                self.bind(var, listed)
                return
        whole = as_written(atom)
        position = index_value(index, self.numpy_alias)
        call = gast.Call(func=name("list_with_item"), args=[whole, position, written], keywords=[])
        label = f"assignment into an item of the list `{var}`"
        op = Op(LIST_WRITE, [copy_tree(whole), copy_tree(position), written], label=label)
        self.bind(var, self.emit(call, op, var, var))

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
            if is_struct(whole):  # `W, b = layers[0]`
                self.bind_target(target, whole)
                return
            if isinstance(whole, (gast.Tuple, gast.List)):  # a helper that returned `a, b`
                if len(whole.elts) != count:
                    message = f"{len(whole.elts)} values cannot be unpacked into {count} names."
                    raise UnsupportedSyntaxError(message, self.source.location(value))
                for t, atom in zip(target.elts, whole.elts):
                    self.bind(t.id, atom)
                return
            check_readable(whole, self.lists(), self.source, value)
            self.unpack_atom(target, whole, rows=not isinstance(value, gast.Call))
            return
        for t, atom in zip(target.elts, atoms):
            self.bind(t.id, atom)

    def unpack_atom(self, target: gast.Tuple, whole: gast.expr, rows: bool = False) -> None:
        """`a, b = whole`: items of a tuple a call returned, or (`rows`) the rows of an array."""
        count = len(target.elts)
        for i, t in enumerate(target.elts):
            item = gast.Subscript(value=whole, slice=const(i), ctx=gast.Load())
            if rows:
                op = Op("getitem", [whole, const(i)], label="unpacking")
            else:
                op = Op(ITEM, [whole, const(i), const(count)], label="unpacking")
            if isinstance(t, gast.Tuple):
                self.unpack_atom(t, self.emit(item, op, None, "item"), rows)
            else:
                self.bind(t.id, self.emit(item, op, t.id, "item"))

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

    def bind_target(self, target, atom) -> None:
        """Bind a name, or a tuple of names, to an atom already lowered (a part of a parameter)."""
        if isinstance(target, gast.Name):
            self.bind(target.id, atom)
            return
        if is_struct(atom):
            parts = self.nested.parts(atom, self.source.location(target))
        elif isinstance(atom, (gast.Tuple, gast.List)):
            parts = atom.elts
        else:
            raise UnsupportedSyntaxError("cannot unpack this value here.", self.source.location(target))
        if len(parts) != len(target.elts):
            message = f"{len(parts)} values cannot be unpacked into {len(target.elts)} names."
            raise UnsupportedSyntaxError(message, self.source.location(target))
        for t, part in zip(target.elts, parts):
            self.bind_target(t, part)

    def elements_of(self, atom, node):
        """The parts of a nested parameter or the items of a list made in the function, as atoms;
        None for any other value. Iterating a dict gives its keys, as in Python."""
        if is_list_literal(atom) or isinstance(atom, gast.Tuple):
            return list(atom.elts)
        if not is_struct(atom):
            return None
        if self.nested.is_dict(atom):
            return [const(k) for k in self.nested.keys(atom)]
        if self.nested.is_record(atom) and not self.nested.is_sequence(atom):
            return None  # a dataclass: used whole, refused where it is (`len(p)`, `print(p)`)
        return self.nested.parts(atom, self.source.location(node))

    # -- what names mean --------------------------------------------------------------------

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


class _Top:
    def __init__(self, source, params, assigned):
        self.source, self.params, self.assigned = source, params, assigned


def _is_instance(structure) -> bool:
    return isinstance(structure, tuple) and len(structure) == 2 and structure[0] == INSTANCE_ARGUMENT


def _is_function(structure) -> bool:
    return isinstance(structure, tuple) and len(structure) == 2 and structure[0] == FUNCTION_ARGUMENT


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
