"""Lowering a call: a function with a rule (or none to differentiate) is one operation; a
function of the user's is inlined (inlining.py); `len`, `sum`, `list` and `tuple` of a list or
nested parameter known here are computed here; a method of an array is its NumPy function
(`x.sum(axis=0)` is `np.sum(x, axis=0)`) or keeps its method form; a method that changes its
object in place is refused. A mixin of `Lowering`: it writes the block through `emit`."""

from __future__ import annotations

import inspect
import operator

import gast
import numpy

from ... import rules
from ...errors import UnsupportedSyntaxError
from ...frontend import MISSING
from ...ir import POP, PUSH, Op
from ...syntax import const, copy_tree, is_number, name, to_source, tuple_
from .atoms import as_written, is_struct, keywords, root_of
from .checks import check_no_struct

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


class Calls:
    def expr_Call(self, node, hint, effect=False):
        func = node.func
        decided = self.decided_test(node)  # `isinstance(params, list)`, decided as for an `if`
        if decided is not None:
            return const(decided)
        if node.args and isinstance(node.args[0], (gast.ListComp, gast.GeneratorExp)):
            return self.comprehension_call(node, hint)
        if self.items_of_generator(node):  # `list(layers(w))`: the list a loop over it builds
            return self.generator_items(node, hint)
        args = self.call_arguments(node)
        kwargs = {kw.arg: as_written(self.expr(kw.value)) for kw in node.keywords}
        if "out" in kwargs:
            raise UnsupportedSyntaxError(
                "`out=` writes into an existing array, which srcgrad does not differentiate.",
                self.source.location(node),
                hint="Drop `out=` and assign the result to a new name.",
            )
        if isinstance(func, gast.Call):  # `srcgrad.grad(f)(x)`: the function the inner call makes
            func = self.expr(func)
        called = self.env.get(func.id) if isinstance(func, gast.Name) else None
        if is_struct(called) and self.nested.is_record(called):  # `layer(h)`: its class's __call__
            return self.record_method(copy_tree(called), func, "__call__", args, kwargs, hint, effect)
        func = self.called_function(func)
        if isinstance(func, gast.Subscript):  # `fs[0](x)`: a function read from a list made here
            func = self.expr(func)
        local = self.local_called(func)
        if local is not None:
            return self.inline_local(local, args, kwargs, node, hint)
        if isinstance(func, gast.Attribute) and not self.is_free(func):
            return self.method_call(func, args, kwargs, hint, effect)
        target = self.function_argument(func)
        if target is MISSING:
            target = self.source.resolve(func)
        if target is MISSING and not isinstance(func, gast.Constant):  # a value bound into the code
            target = self.static_value(func)
        if target is MISSING:
            self.undefined(func)
        if _is_transform(target):
            return self.make_transform(target, func, args, kwargs, node)
        if inspect.ismethod(target) and self.is_users_function(target.__func__):
            # `model.predict(x)` on a module's object of one of your classes: `self` is the object
            owner = self.expr(func.value)
            return self.inline(target.__func__, [owner, *args], kwargs, node, hint)
        if self.is_users_function(target):
            if effect and self.returns_nothing(target, node):  # `plot(ax, x)`: run, not differentiated
                return self.call(func, target, args, kwargs, hint, effect)
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
        if target in (sorted, reversed) and known is not None:  # sorted(params): its keys, sorted
            ordered = _ordered(target, known)
            if ordered is not None:
                return ordered
        owner = getattr(target, "__self__", None)
        if isinstance(owner, (list, dict, set, numpy.ndarray)) and getattr(target, "__name__", None) in (
            CONTAINER_METHODS | IN_PLACE_METHODS
        ):  # `LOG.append(h)` on a module's list: it would keep the value outside the gradient
            raise UnsupportedSyntaxError(
                f"`.{target.__name__}()` changes a {type(owner).__name__} that does not belong to "
                f"{self.source.name!r} in place, which srcgrad does not differentiate.",
                self.source.location(node),
                hint="Build a list in the function (`parts = []`, then `parts.append(item)`), and "
                "return what should be kept.",
            )
        if target in (numpy.array, numpy.asarray) and args and self.listed(args[0]):
            # `np.array([a, b])`: the items stacked (a nested list, each level in turn)
            return self.stacked(args[0], target, args[1:], kwargs, node, hint)
        args = [self.nested.flat_sequence(a) for a in args]  # np.concatenate(xs) with xs a list parameter
        check_no_struct([*args, *kwargs.values()], self.source, node, to_source(func))
        return self.call(func, target, args, kwargs, hint, effect)

    def make_transform(self, transform, func, args, kwargs, node):
        """`srcgrad.grad(f, with_value=False)` read in differentiated code, with arguments known
        before the code runs (a function of yours, literal options): made here, once, and bound
        into the generated code under a name of its own (`f_grad`), which the code calls and
        whose calls have a rule (rules/gradients.py), as for a gradient made at module level."""
        values = [self.static_value(a) for a in args]
        options = {k: self.static_value(v) for k, v in kwargs.items()}
        given = [*zip(args, values), *zip(kwargs.values(), options.values())]
        unknown = [a for a, v in given if v is MISSING]
        if unknown:
            inside = any(isinstance(a, gast.Name) and a.id in self.local_functions for a in unknown)
            why = "a function defined inside the code differentiated" if inside else "computed as it runs"
            raise UnsupportedSyntaxError(
                f"srcgrad makes `{to_source(func)}(...)` inside differentiated code when its "
                "arguments are known before the code runs (a function of yours, literal options); "
                f"here {', '.join(f'`{to_source(a)}`' for a in unknown)} is {why}.",
                self.source.location(node),
                hint="Make the gradient function at module level (g = srcgrad.grad(f, with_value=False), "
                "f defined at module level too) and call it here.",
            )
        made = transform(*values, **options)
        named = getattr(values[0], "__name__", "f") if values else "f"
        stem = f"{named}_{transform.__name__}" if named.isidentifier() else transform.__name__
        bound = self.bound_name(stem, made)
        self.free_atoms.add(bound)
        return name(bound)

    def static_value(self, atom):
        """The Python value of an argument atom known before the code runs: a literal, a tuple
        or list of them, or a name of the module or closure, or a value bound into the code, and
        attributes of these (`known_value`); else MISSING."""
        if isinstance(atom, gast.Constant):
            return atom.value
        if isinstance(atom, (gast.Tuple, gast.List)) and not is_struct(atom):
            items = [self.static_value(e) for e in atom.elts]
            if any(v is MISSING for v in items):
                return MISSING
            return list(items) if isinstance(atom, gast.List) else tuple(items)
        root = root_of(atom)
        if not (isinstance(root, gast.Name) and root.id in self.free_atoms) or is_struct(atom):
            return MISSING
        value = self.known_value(root)
        for part in reversed(_attributes(atom)):
            value = getattr(value, part, MISSING) if value is not MISSING else MISSING
        return value

    def items_of_generator(self, node) -> bool:
        """Whether `node` is `list(gen(...))` or `tuple(gen(...))` of a generator of yours."""
        func = node.func
        return (
            len(node.args) == 1
            and not node.keywords
            and isinstance(func, gast.Name)
            and func.id not in self.env
            and self.source.resolve(func) in (list, tuple)
            and self.generator_of(node.args[0]) is not None
        )

    def call_arguments(self, node) -> list:
        """The call's positional arguments as atoms; `*xs` gives the items of `xs` where they
        are known here (a tuple or list made in the function, `*args`, a nested parameter), and
        stays `*xs` otherwise (`rs.randn(*x.shape)`)."""
        args = []
        for a in node.args:
            if not isinstance(a, gast.Starred):
                args.append(as_written(self.expr(a)))
                continue
            atom = self.expr(a.value)
            items = (
                self.elements_of(atom, a) if not is_struct(atom) or not self.nested.is_dict(atom) else None
            )
            if items is None:
                args.append(gast.Starred(value=atom, ctx=gast.Load()))
            else:
                args += [as_written(item) for item in items]
        return args

    def listed(self, atom) -> bool:
        """A list or tuple made in the function (its items known here, or built by a loop)."""
        if isinstance(atom, (gast.Tuple, gast.List)):
            return True
        return isinstance(atom, gast.Name) and atom.id in self.lists()

    def stacked(self, items, target, rest, kwargs, node, hint):
        """`np.array(items)` of a list made in the function, as `np.stack(items)`: the same array
        when the items have one shape (np.array refuses ragged ones too). A dtype is applied to
        the stacked array; other options are refused."""
        if rest or set(kwargs) - {"dtype"}:
            raise UnsupportedSyntaxError(
                f"srcgrad makes `{to_source(node.func)}` of a list made in the function with "
                "`dtype=` at most.",
                self.source.location(node),
                hint="Pass the list and a dtype only, or stack the items with np.stack.",
            )
        if isinstance(items, (gast.Tuple, gast.List)):
            parts = [self.stacked(e, target, [], {}, node, None) if self.listed(e) else e for e in items.elts]
            items = gast.List(elts=parts, ctx=gast.Load())
        stack = gast.Attribute(value=name(self.numpy_alias), attr="stack", ctx=gast.Load())
        value = self.call(stack, numpy.stack, [items], {}, hint if "dtype" not in kwargs else None)
        if "dtype" not in kwargs:
            return value
        cast = gast.Attribute(value=name(self.numpy_alias), attr="asarray", ctx=gast.Load())
        return self.call(cast, numpy.asarray, [value], kwargs, hint)

    def call(self, func, target, args, kwargs, hint, effect=False):
        """`func(*args, **kwargs)`, calling `target`, as one operation: its value named after it."""
        label = to_source(func)
        if any(isinstance(a, gast.Starred) for a in args) and rules.lookup(target) is not None:
            raise UnsupportedSyntaxError(
                f"srcgrad differentiates `{label}(*xs)` when the items of `xs` are known here (a "
                "tuple or list made in the function, `*args`, a nested parameter).",
                self.source.location(self.nodes[-1]) if self.nodes else self.source.location(None),
                hint="Pass the items one by one.",
            )
        op = Op(target, args, kwargs, label=f"{label}()", pure=self.is_pure(target))
        value = gast.Call(func=copy_tree(func), args=args, keywords=keywords(kwargs))
        base = label.rsplit(".", 1)[-1]
        return self.emit(value, op, hint, BASE_NAMES.get(base, base), effect)

    def method_call(self, func, args, kwargs, hint, effect):
        base = self.expr(func.value)
        method = func.attr
        if is_struct(base) and self.nested.is_record(base):
            return self.record_method(base, func, method, args, kwargs, hint, effect)
        if is_struct(base):
            return self.nested.method(base, method, args, kwargs, self.source, func)
        inlined = self.users_method(base, method)
        if inlined is not None:  # `layer.forward(h)` on an object of one of your classes
            function, bound_self = inlined
            return self.inline(function, [base, *args] if bound_self else args, kwargs, func, hint)
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
            op = Op(PUSH if method == "append" else POP, [base, *args], label=f".{method}()", pure=False)
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
        as_method = gast.Call(func=bound, args=args, keywords=keywords(kwargs))
        if function is not None and self.is_pure(function):  # x.max(axis=0) is np.max(x, axis=0)
            printed = gast.Attribute(value=name(self.numpy_alias), attr=function.__name__, ctx=gast.Load())
            value = gast.Call(func=printed, args=[base, *args], keywords=keywords(kwargs))
            op = Op(function, [base, *args], kwargs, label=f".{method}()")
            return self.emit(value, op, hint, BASE_NAMES.get(method, method), effect)
        key = "." + method  # a rule for the method itself, e.g. ".astype"
        if self.is_pure(key):
            op = Op(key, [base, *args], kwargs, label=f".{method}()")
            return self.emit(as_method, op, hint, method, effect)
        op = Op(None, [base, *args], kwargs, label=f".{method}()", pure=False)
        return self.emit(as_method, op, hint, method, effect)

    # -- NamedTuple and dataclass parameters (records) ----------------------------------------

    def record_attribute(self, base, node, hint):
        """`p.W` on a record parameter: the field's atom (a leaf, a part, or a field read as it
        is); a property of the record's class, written in Python, is written out like a
        method."""
        found = self.nested.field(base, node.attr)
        if found is not None:
            return found
        member = inspect.getattr_static(self.nested.record_class(base), node.attr, None)
        if isinstance(member, property) and member.fget is not None and self.is_users_function(member.fget):
            return self.inline(member.fget, [base], {}, node, hint)
        raise self.nested.no_attribute(base, node.attr, self.source, node)

    def record_method(self, base, func, method, args, kwargs, hint, effect):
        """`p.forward(x)` on a record parameter: the method of its class, written out with `self`
        the record (a static method without it); `p.act(h)` calls the function the field `act`
        holds, as for a function passed in. Any other method is refused."""
        field = self.nested.field(base, method)
        if field is not None:
            target = self.function_args.get(field.id) if isinstance(field, gast.Name) else None
            if target is None:
                raise UnsupportedSyntaxError(
                    f"`{to_source(func)}` calls the field {method!r} of "
                    f"{self.nested.shown(*base.srcgrad_struct)!r}, which holds no function.",
                    self.source.location(func),
                )
            if self.is_users_function(target):
                return self.inline(target, args, kwargs, func, hint)
            return self.call(field, target, args, kwargs, hint, effect)
        member = inspect.getattr_static(self.nested.record_class(base), method, None)
        if isinstance(member, staticmethod) and self.is_users_function(member.__func__):
            return self.inline(member.__func__, args, kwargs, func, hint)
        if inspect.isfunction(member) and self.is_users_function(member):
            return self.inline(member, [base, *args], kwargs, func, hint)
        return self.nested.method(base, method, args, kwargs, self.source, func)


def _ordered(target, known: list):
    """`sorted(xs)` or `reversed(xs)` of items known here, as a list of them: for `sorted`, when
    they are constants (the keys of a dict parameter). None otherwise."""
    if target is reversed:
        items = known[::-1]
    elif all(isinstance(k, gast.Constant) for k in known):
        try:
            items = [const(v) for v in sorted(k.value for k in known)]
        except TypeError:  # keys that do not compare: Python's sorted() raises it as the code runs
            return None
    else:
        return None
    listed = tuple_(items)
    listed.srcgrad_list = True
    return listed


def _is_transform(target) -> bool:
    """Whether `target` is one of srcgrad's transforms (`srcgrad.grad`, `srcgrad.hvp`, ...): a
    public function of srcgrad/api.py that makes a function (`srcgrad.source` makes a string)."""
    named = getattr(target, "__name__", "_")
    return getattr(target, "__module__", None) == "srcgrad.api" and named[0] != "_" and named != "source"


def _attributes(atom) -> list[str]:
    """The attribute names of a dotted expression, outermost first (`a.b.c` -> c, b)."""
    names = []
    while isinstance(atom, gast.Attribute):
        names.append(atom.attr)
        atom = atom.value
    return names
