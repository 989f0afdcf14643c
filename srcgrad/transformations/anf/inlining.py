"""Inlining the user's own functions: a call to a plain function of the user's (one with no rule)
is lowered as the callee's body in place, its parameters bound to the call's atoms and its names
kept apart from the caller's; a parameter bound to a function (`nonlinearity=np.tanh`) calls
that function. A mixin of `Lowering`: while a helper is lowered it swaps the current function,
environment and names for the helper's, and restores the caller's after."""

from __future__ import annotations

import builtins
import inspect

import gast
import numpy

from ... import fence
from ...aliasing import params_changed_in_place
from ...analyses.scope import is_users_function, is_users_object
from ...errors import UnsupportedSyntaxError
from ...frontend import MISSING, SourceFunction, read_function
from ...syntax import const, copy_tree, name, names_in, tuple_
from ...syntax import walk as walk_tree
from ..desugar import grow_lists, lists_made, rewrite_everyday, rewrite_loops
from .atoms import is_list_literal, is_struct, params_of, root_of, stored_names
from .calls import CONTAINER_METHODS, IN_PLACE_METHODS
from .closures import thread_lists
from .generators import MANGLE, yield_from_as_loops


class Inlining:
    def is_users_function(self, target) -> bool:
        """A plain function of the user's, with no rule: its body is inlined and differentiated."""
        return is_users_function(target) and not self.is_pure(target)

    def inline(self, function, args, kwargs, node, hint):
        """The call's value, with the callee's body lowered in place (its names kept apart)."""
        where = self.source.location(node)
        self.refuse_recursion(function, function.__name__, where, [*args, *kwargs.values()])
        callee = read_function(function)
        callee.resolved = self.source.resolved  # the helper bakes in global names too
        signature = inspect.signature(function)
        fence.check(
            callee, helper=True, changed_params=self.arrays_given_up(callee, signature, args, kwargs, node)
        )
        self.bind_free_names(callee)

        def default(param: str):
            value = signature.parameters[param].default
            if _literal(value):
                return const(value)
            expr = _global_default(callee, signature.parameters[param])
            if expr is not None:
                self.free_atoms.add(root_of(expr).id)
                return expr  # `nonlinearity=np.tanh`: the global it names
            # `def acquisition(x, y=y)`, `_r=onp.sum` in a loop: the value the `def` gave it, bound
            # into the code as the differentiated function's own defaults are (codegen.py)
            bound = self.bound_name(f"default_{param}", value)
            self.free_atoms.add(bound)
            return name(bound)

        env = self.bind_arguments(callee, args, kwargs, default, where)
        consumer = (
            self.start_generator(function.__name__, node) if inspect.isgeneratorfunction(function) else None
        )
        return self.lower_inlined(callee, env, function, hint, consumer=consumer)

    def returns_nothing(self, function, node) -> bool:
        """Whether `function`, called as a statement, returns no value (a plot, a log line): it
        is then called as it is, once, and carries no gradient. One that writes into its
        arguments is refused: the values after the call would not be the ones differentiated."""
        callee = read_function(function)
        own = list(fence.own_nodes(callee.tree))
        if any(isinstance(n, gast.Return) and n.value is not None for n in own):
            return False
        params = set(params_of(callee.tree.args))
        for n in own:
            changed = None
            if isinstance(n, gast.Assign):  # `x[i] = ...`, `x.a = ...` on an argument
                bases = [_base(t) for t in n.targets if isinstance(t, (gast.Subscript, gast.Attribute))]
                changed = next((b for b in bases if b in params), None)
            elif isinstance(n, gast.AugAssign):  # `x += ...` changes an array argument in place
                changed = _base(n.target) if _base(n.target) in params else None
            elif isinstance(n, gast.Call):
                f = n.func
                method = f.attr if isinstance(f, gast.Attribute) else None
                if method in IN_PLACE_METHODS | CONTAINER_METHODS and _base(f.value) in params:
                    changed = _base(f.value)
                if any(k.arg == "out" for k in n.keywords):
                    changed = "out="
            if changed is not None:
                raise UnsupportedSyntaxError(
                    f"{function.__name__!r} returns nothing and changes its argument {changed!r} in "
                    "place; srcgrad runs such a function as it is, so the values after the call "
                    "would not be the ones it differentiates.",
                    callee.location(n),
                    hint="Return the new value instead of changing the argument.",
                )
        return True

    def arrays_given_up(self, callee, signature, args, kwargs, node) -> set[str]:
        """The parameters `x` of the helper whose `x -= ...` (which changes the caller's array
        in place, in Python) srcgrad may compute as `x = x - ...`: those whose argument is a
        variable of the caller that nothing reads after the call (`vx, vy = project(vx2, vy2)`),
        so that no name would see the array Python changed."""
        changed = params_changed_in_place(callee)
        if not changed:
            return set()
        try:
            bound = signature.bind(*args, **kwargs).arguments
        except TypeError:
            return set()
        given_up = set()
        for param in changed:
            atom = bound.get(param)
            if not isinstance(atom, gast.Name):
                continue
            if atom.id in self.params and (self.inlining or atom.id not in self.top.params):
                continue  # a helper's own parameter: its caller's array, which Python changes
            holders = [k for k, v in self.env.items() if atom.id in set(names_in(v))]  # `parts = [a]` too
            if not any(h.startswith(MANGLE) or _read_after(self.source, h, node) for h in holders):
                given_up.add(param)
        return given_up

    def refuse_recursion(self, function, label: str, where, args=()) -> None:
        """A call of a function being written out is written out again when srcgrad can see
        where the recursion ends: when an argument is a part of a nested parameter (a dict,
        list or tuple passed in), whose `isinstance` tests (branches.py `decided_test`) pick
        the branch, or a list or tuple made in the function; up to MAX_RECURSION calls deep.
        Any other recursive call is refused: its end depends on values of the running code."""
        depth = sum(1 for f in self.inlining if f is function)
        if not depth:
            return
        parts = any(
            is_struct(a) or is_list_literal(a) or self.nested.is_leaf(getattr(a, "id", "")) for a in args
        )
        if parts and depth < MAX_RECURSION:
            return
        why = (
            f"it goes deeper than {MAX_RECURSION} calls"
            if parts
            else "none of its arguments is a part of a nested parameter or a list made in the "
            "function, so where it ends depends on values known only when the code runs"
        )
        raise UnsupportedSyntaxError(
            f"srcgrad cannot differentiate the recursive call to {label!r}: it writes out a "
            f"recursive call only while the structure of the arguments decides where the recursion "
            f"ends, and here {why}.",
            where,
            hint="Write the recursion as a loop; a recursion over the parts of a dict, list or tuple "
            "passed in is written out when `isinstance` tests on them decide each branch.",
        )

    def bind_arguments(self, callee: SourceFunction, args, kwargs, default, where) -> dict:
        """The callee's parameters bound to the call's atoms, as Python binds them: positional,
        then by keyword, then `default(name)`; a `*args` parameter holds the extra positional
        arguments as a tuple."""
        if any(isinstance(a, gast.Starred) for a in args):
            raise UnsupportedSyntaxError(
                f"srcgrad passes `*xs` to {callee.name!r} when the items of `xs` are known where "
                "it is called (a tuple or list made in the function, or a nested parameter).",
                where,
                hint="Pass the arguments one by one.",
            )
        spec = callee.tree.args
        positional = [a.id for a in [*spec.posonlyargs, *spec.args]]
        keyword_only = [a.id for a in spec.kwonlyargs]
        fname = callee.name
        env = dict(zip(positional, args))
        extra = list(args[len(positional) :])
        if extra and spec.vararg is None:
            raise UnsupportedSyntaxError(
                f"this call to {fname!r} gives {len(args)} positional arguments, but it takes "
                f"{len(positional)}.",
                where,
            )
        if spec.vararg is not None:
            env[spec.vararg.id] = tuple_(extra)
        by_name = set(positional[len(spec.posonlyargs) :]) | set(keyword_only)
        for key, atom in kwargs.items():
            if key not in by_name:
                what = "a parameter passed by keyword to" if spec.kwarg is not None else "no parameter of"
                raise UnsupportedSyntaxError(
                    f"this call gives {key!r}, {what} {fname!r}"
                    + (" (srcgrad does not follow `**` parameters yet)." if spec.kwarg is not None else "."),
                    where,
                )
            if key in env:
                raise UnsupportedSyntaxError(f"this call gives {fname!r} two values for {key!r}.", where)
            env[key] = atom
        for param in positional + keyword_only:
            if param not in env:
                env[param] = default(param)
        if spec.kwarg is not None:
            reads = {
                n.id
                for n in walk_tree(callee.tree)
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)
            }
            if spec.kwarg.id in reads:
                raise UnsupportedSyntaxError(
                    f"srcgrad cannot inline {fname!r}: it reads its `**{spec.kwarg.id}` parameter.",
                    callee.location(callee.tree),
                    hint="Give the helper named parameters.",
                )
        return env

    def lower_inlined(
        self, callee: SourceFunction, env: dict, function, hint, written_back=(), consumer=None
    ):
        """The callee's body lowered in place with its parameters bound to `env`; the value of
        its `return`. `function` marks it as being inlined (a call back to it is recursion).
        A function without `return` returns None; `written_back` names the lists of its caller
        it adds to (closures.py), whose last values the caller's variables take. A generator is
        written out with the body of the loop over it (`consumer`) at each `yield`
        (generators.py): the loop's variables go through it, and come out with their last values."""
        if not callee.generated:
            lists = lists_made(callee.tree)
            grow_lists(callee.tree)
            thread_lists(callee, lists)
        rewrite_everyday(callee.tree, self.namer)  # one `return`, at the end (desugar.py)
        body = callee.tree.body
        if not isinstance(body[-1], gast.Return):  # falls off its end: `return None`, placed there
            end = body[-1]  # (not at the last statement's start, where it would be quoted for it)
            ended = gast.Return(value=None, lineno=end.end_lineno, col_offset=end.end_col_offset)
            ended.end_lineno, ended.end_col_offset = end.end_lineno, end.end_col_offset
            body.append(ended)
        returned = callee.tree.body[-1].value
        named = hint is not None and not isinstance(returned, (gast.Name, gast.Constant, gast.Tuple))
        result_name = self.version(hint) if named else None  # the caller's name, as if written there
        if consumer is not None:  # the loop's variables, under keys of their own
            env.update({MANGLE + k: v for k, v in self.env.items()})
        saved = (self.source, self.env, self.defined, self.assigned, self.params, self.origin)
        self.source, self.env, self.defined, self.params = callee, env, set(env), list(env)
        self.assigned = stored_names(callee.tree)
        self.inlining.append(function)
        self.callers.append(saved[1])
        self.frames.append(saved[0])
        self.inline_starts.append((self.body, len(self.body)))
        if consumer is not None:
            callee.tree.body = yield_from_as_loops(callee.tree.body, self.synthetic)
            self.generating.append(consumer)
        try:
            for stmt in rewrite_loops(callee.tree.body[:-1], self.namer):
                self.origin = stmt
                self.lower_statement(stmt)
            self.origin = callee.tree.body[-1]
            self.origin.srcgrad_source = callee  # its `return`, quoted from the helper's lines
            if result_name is not None:
                self.exact[id(returned)] = result_name
            value = self.expr(returned, hint=hint) if returned is not None else const(None)
            back = {n: self.env[n] for n in written_back if n in self.env}
            if consumer is not None:  # the loop's variables, as the generator's last item left them
                back = {k[len(MANGLE) :]: v for k, v in self.env.items() if k.startswith(MANGLE)}
                saved[1].clear()
        finally:
            if consumer is not None:
                self.generating.pop()
            self.close_frame(callee, self.env)
            self.inlining.pop()
            self.callers.pop()
            self.frames.pop()
            self.inline_starts.pop()
            self.source, self.env, self.defined, self.assigned, self.params, self.origin = saved
        self.env.update(back)
        return value

    def known_value(self, atom):
        """The object an atom stands for when the code is generated: a global or a value bound
        into the code (an object a loop over a module's list is written out for), or, for an
        argument of one of your classes, its class (`type_of`); else MISSING."""
        if isinstance(atom, gast.Name) and atom.id in self.free_atoms:
            if atom.id in self.top.source.closure:
                return self.top.source.closure[atom.id]
            return self.source.lookup(atom.id)
        if isinstance(atom, gast.Name) and atom.id in self.object_args:
            return self.object_args[atom.id]
        return MISSING

    def known_attribute(self, base, attr: str):
        """`obj.attr` of an object known here, as a name bound into the code, when what it
        holds decides the code (one of your objects, a list or tuple of them, a function): the
        code is generated again if the object's attribute is rebound. None otherwise (an array
        or a number is read as the code runs)."""
        obj = self.known_value(base)
        if obj is MISSING or not is_users_object(obj):
            return None
        own = getattr(obj, "__dict__", None)
        if not isinstance(own, dict) or attr not in own:
            return None
        value = own[attr]
        listed = isinstance(value, (list, tuple)) and any(is_users_object(v) for v in value)
        if not (is_users_object(value) or listed or inspect.isfunction(value)):
            return None
        self.source.resolved.append((own, attr, value))  # a guard: rebinding it makes new code
        chosen = self.bound_name(attr, value)
        self.free_atoms.add(chosen)
        return name(chosen)

    def users_method(self, base, method: str):
        """(function, whether it takes the object as `self`) for `base.method(...)` when `base`
        is an object of one of your classes known here (a module's object, an item of a module's
        list written out, an argument of that class): the method's source is written out."""
        value = self.known_value(base)
        if value is MISSING or not is_users_object(value):
            return None
        cls = type(value)
        found = inspect.getattr_static(cls, method, None)
        if isinstance(found, staticmethod) and is_users_function(found.__func__):
            return found.__func__, False
        if inspect.isfunction(found) and is_users_function(found) and not self.is_pure(found):
            return found, True
        return None

    def function_argument(self, func):
        """The function an argument of the differentiated function holds (`act` with
        `act=np.tanh`), when `func` reads that argument; else MISSING."""
        if isinstance(func, gast.Name) and func.id in self.function_args:
            return self.function_args[func.id]
        return MISSING

    def bind_free_names(self, callee: SourceFunction) -> None:
        """Make the free names of `callee` mean in the generated code what they mean in the
        helper. The generated code runs in the differentiated function's module; a name the
        helper reads from its own module (another file), from a function it is nested in, or
        that the differentiated function uses for a variable of its own, is renamed, and the
        value it names is bound into the generated code (as closed-over values are), guarded so
        that the code is generated again if the helper's module rebinds it."""
        local = set(params_of(callee.tree.args)) | stored_names(callee.tree)
        free = sorted(
            {
                n.id
                for n in walk_tree(callee.tree)
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)
            }
            - local
        )
        renames = {}
        for identifier in free:
            value = callee.lookup(identifier)
            if value is MISSING or self.top_meaning(identifier) is value:
                continue
            renames[identifier] = self.bound_name(identifier, value)
        if not renames:
            return
        for node in walk_tree(callee.tree):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) and node.id in renames:
                node.id = renames[node.id]
        callee.closure = {**callee.closure, **{new: callee.lookup(old) for old, new in renames.items()}}

    def top_meaning(self, identifier: str):
        """What `identifier` means where the generated code runs: the differentiated function's
        closure, its module, or a builtin; MISSING for a name of its own (a parameter or a
        variable), whose value a helper's global of the same name is not."""
        top = self.top
        if identifier in top.params or identifier in top.assigned:
            return MISSING
        if identifier in top.source.closure:
            return top.source.closure[identifier]
        if identifier in top.source.globals:
            return top.source.globals[identifier]
        return getattr(builtins, identifier, MISSING)

    def bound_name(self, identifier: str, value) -> str:
        """The name under which the generated code reads `value`, a helper's `identifier`:
        NumPy's own name, a global of the differentiated function's module that holds the same
        object, or a new name bound into the generated code."""
        if value is numpy:
            return self.numpy_alias
        known = self.bound_values.get(id(value))
        if known is not None and self.top.source.closure.get(known) is value:
            return known
        for candidate, held in self.top.source.globals.items():
            same = held is value and self.top_meaning(candidate) is value and not candidate.startswith("_")
            if same and (candidate in self.global_reads or candidate not in self.namer.taken):
                return self.namer.claim(candidate)  # no name srcgrad writes may hide it now
        top = self.top.source
        unknown = identifier not in top.globals and identifier not in top.closure
        unknown = unknown and identifier not in self.used and not hasattr(builtins, identifier)
        chosen = self.namer.claim(identifier) if unknown else self.namer.fresh(identifier)
        top.closure[chosen] = value  # bound through the factory, like a closed-over value
        self.bound_values[id(value)] = chosen
        return chosen

    def called_function(self, func):
        """The expression a call calls: a parameter of an inlined helper bound to a function
        (`nonlinearity(h)` with `nonlinearity=np.tanh`) calls that function."""
        if not (isinstance(func, gast.Name) and func.id in self.env):
            return func
        bound = self.env[func.id]
        if isinstance(bound, gast.Name) and (
            bound.id in self.local_functions or bound.id in self.function_args
        ):
            return bound  # a function defined in the code, or passed in: the call reads it
        root = root_of(bound)
        free = isinstance(root, gast.Name) and root.id in self.free_atoms  # not a variable's value
        if free and isinstance(bound, (gast.Name, gast.Attribute)) and not is_struct(bound):
            value = self.static_value(bound)  # a global, or a value bound into the code (a default)
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


MAX_RECURSION = 32  # calls of one function inside each other, written out


def _global_default(callee: SourceFunction, param) -> gast.expr | None:
    """A helper's default written as a module-level name (`np.tanh`, `W0`) that still names
    the default's value, as an expression the inlined code can read; else None."""
    args = callee.tree.args
    positional = args.posonlyargs + args.args
    pairs = list(zip(positional[len(positional) - len(args.defaults) :], args.defaults))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
    expr = next((d for a, d in pairs if a.id == param.name), None)
    if not isinstance(root_of(expr), gast.Name):
        return None
    if callee.resolve(expr) is not param.default:
        return None
    return copy_tree(expr)


def _literal(value) -> bool:
    if isinstance(value, tuple):
        return all(_literal(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))


def _read_after(source: SourceFunction, var: str, call) -> bool:
    """Whether the function reads `var` after `call` (later in its statement too, as Python
    evaluates left to right; or, in a loop around the call, before it: the next iteration)."""
    if getattr(call, "end_lineno", None) is None:
        return True
    start, end = (call.lineno, call.col_offset), (call.end_lineno, call.end_col_offset)
    loops = [
        ((n.lineno, n.col_offset), (n.end_lineno, n.end_col_offset))
        for n in walk_tree(source.tree)
        if isinstance(n, (gast.For, gast.While))
    ]
    around = [(a, b) for a, b in loops if a <= start and end <= b]
    for n in walk_tree(source.tree):
        if isinstance(n, gast.Name) and n.id == var and isinstance(n.ctx, gast.Load):
            at = (n.lineno, n.col_offset)
            if at >= end or (at < start and any(a <= at <= b for a, b in around)):
                return True
    return False


def _base(target: gast.expr) -> str | None:
    """The name an assignment target writes into: `x` of `x[i].a`."""
    while isinstance(target, (gast.Subscript, gast.Attribute)):
        target = target.value
    return target.id if isinstance(target, gast.Name) else None
