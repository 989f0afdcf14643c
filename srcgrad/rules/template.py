"""Rule templates: small Python functions whose body is the derivative, written as NumPy.

A template's parameters are `g` (the gradient arriving at the result), `ans` (the result), and
the operation's own parameters (`x`, `y`, `axis=None`, ...). Each assignment to `d<param>` is the
gradient contribution for that parameter; other assignments are named temporaries. `np` is the
user's NumPy module, and the helpers of `srcgrad.runtime` may be called by name. `fill(s, x)` is
the scalar `s` spread over the shape of `x`, which later rules can often fold away.

An `if` in a template is decided when the code is generated, from literal arguments; when an
argument is a variable, the `else` branch is used, so it must hold the general form.

One template can serve a family of functions (the tails of each scipy.stats distribution) through
constants bound when it is registered: `adjoint(key, name="gamma_cdf", constants={"DIST":
"gamma", "SHAPES": ("a",)})`. In the body, a name bound to a literal (a string, number, bool or
None) is that literal, so an `if` on it is decided; a name bound to a tuple of names must be the
template's `*NAME` parameter, which then stands for parameters of those names written in its
place (the parameters after it, keyword-only in the template as Python requires after `*`, are
ordinary ones again), and `*NAME` in a call of the body spreads them. `name` names the rule, the
template's own name by default. A template's other free names are refused, closures included:
its value is its source, not the function object. docs/rules.md shows such a rule with the
values in place of the names, in its code and its comments.
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
import warnings

import gast
import numpy

from .. import runtime
from ..frontend import read_source
from ..syntax import call, name, names_in, neg, substitute, walk

SPECIAL = ("g", "ans")
SYMBOLIC = ("np", "fill")


class TemplateError(Exception):
    """A rule template is malformed (a bug in the rule, not in the user's function)."""


# Arguments a rule reads for their shape or truth value only, on which the result does not
# depend differentiably: no gradient is right for them, whatever they are computed from.
CONSTANT_IN = {
    "full_like": ("a",),
    "where": ("condition",),
    "select": ("condlist",),
    "multivariate_normal_entropy": ("mean",),  # the entropy does not depend on the mean
}


class Rule:
    """One reverse-mode rule, built from its template function.

    Registering a rule only records the template: its signature and its parsed body are made at
    first use, since a program uses a handful of the table's rules and importing the table is
    part of the first gradient's time.
    """

    special = SPECIAL  # the template parameters that are not the operation's
    # a keyword of the function -> the template's name for that parameter, where the function's
    # own name is taken (odeint's `t`, the name of a tangent): set after registering the rule
    keywords: dict[str, str] = {}

    def __init__(
        self,
        template,
        keys,
        name: str | None = None,
        constants: dict | None = None,
        partials: bool = False,
    ):
        self.template = template
        self.keys = keys
        self.constants = dict(constants or {})  # names bound at registration (the docstring's end)
        self.partials = partials  # the template states partial derivatives (`registry.elementwise`)
        self._name = name
        self._body: list[gast.stmt] | None = None

    @functools.cached_property
    def params(self) -> list[inspect.Parameter]:
        """The operation's own parameters: the template's, less `g` and `ans`, with a `*NAME`
        bound to a tuple of names written out as those parameters."""
        params, spread = [], False
        for p in inspect.signature(self.template).parameters.values():
            if p.name in self.special:
                continue
            if p.kind is p.VAR_POSITIONAL and p.name in self.constants:
                names, spread = self.constants[p.name], True
                if not (isinstance(names, tuple) and all(isinstance(n, str) for n in names)):
                    raise TemplateError(
                        f"rule {self.name!r}: *{p.name} is bound to {names!r}, not a tuple of names"
                    )
                params += [inspect.Parameter(n, p.POSITIONAL_OR_KEYWORD) for n in names]
            elif spread and p.kind is p.KEYWORD_ONLY:
                params.append(p.replace(kind=p.POSITIONAL_OR_KEYWORD))
            else:
                params.append(p)
        return params

    @functools.cached_property
    def signature(self) -> inspect.Signature:
        return inspect.Signature(self.params)

    @functools.cached_property
    def uses_ans(self) -> bool:
        """Whether the template reads the operation's result (`tanh`'s does): one made from
        partial derivatives may read it without naming it (`broadcast_like(t, ans)`)."""
        if "ans" in inspect.signature(self.template).parameters:
            return True
        return self.partials and any("ans" in set(names_in(s)) for s in _assignments(self.body()))

    @property
    def name(self) -> str:
        return self._name or self.template.__name__

    @functools.cached_property
    def differentiates(self) -> frozenset:
        """The parameters the template gives a gradient (or tangent part) for, in any branch:
        an argument outside them that depends on a differentiated parameter would lose that
        dependence, so the passes refuse it rather than give it no gradient."""
        params = {p.name for p in self.params}
        found, pending = set(), list(self.body())
        while pending:
            stmt = pending.pop()
            if isinstance(stmt, gast.If):
                pending += stmt.body + stmt.orelse
            elif isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
                target = stmt.targets[0].id
                if target.startswith("d") and target[1:] in params:
                    found.add(target[1:])
        return frozenset(found)

    def check_differentiable(self, op, bound: dict, carries, location, what: str = "rule") -> None:
        """Refuse an operation whose argument depends on a differentiated parameter (`carries`)
        where the rule gives no gradient for it (an index such as `np.r_[x, y]`'s, the `num` of
        a call): a silent zero would be a wrong gradient."""
        from ..errors import UnsupportedSyntaxError
        from ..syntax import to_source

        if getattr(op.key, "__module__", "").startswith("srcgrad.runtime"):
            return  # a helper of generated code: its shape-only arguments (`unbroadcast(g, x)`)
        exempt = CONSTANT_IN.get(self.name.removesuffix("_tangent"), ())
        for param, atom in bound.items():
            if param in self.differentiates or param in exempt:
                continue
            if not any(carries(n) for n in walk(atom) if isinstance(n, gast.Name)):  # `np.s_[x, 1:3]` too
                continue
            hint = (
                "Compute it from values that are not differentiated, wrap it in "
                "srcgrad.stop_gradient(...) if its derivative should be ignored, or register a rule "
                "that differentiates it (docs/rules.md)."
            )
            if op.key == "getitem":  # `np.r_[x, y]` is an index into np.r_
                hint = (
                    "An index carries no gradient. To join arrays, write np.concatenate([x, y]) "
                    "for np.r_[x, y], and np.stack([x, y], axis=-1) for np.c_[x, y] of 1-D arrays."
                )
            raise UnsupportedSyntaxError(
                f"srcgrad's {what} for {op.label} gives no derivative in its argument {param!r}, "
                f"but here that argument (`{to_source(atom)}`) depends on the values being "
                "differentiated.",
                location,
                hint=hint,
            )
        for atom in bound.values():  # each item of a sequence argument gets one gradient
            if isinstance(atom, (gast.Tuple, gast.List)) and any(
                isinstance(e, (gast.Tuple, gast.List))
                and any(carries(n) for n in walk(e) if isinstance(n, gast.Name))
                for e in atom.elts
            ):
                raise UnsupportedSyntaxError(
                    f"srcgrad passes a list or tuple of arrays to {op.label}, not a list of lists.",
                    location,
                    hint="Stack the inner lists into arrays first: np.stack(inner).",
                )

    def body(self) -> list[gast.stmt]:
        if self._body is None:
            self._body = self._parse()
        return self._body

    def _parse(self) -> list[gast.stmt]:
        lines, _, module = read_source(self.template)
        if module is None:
            module = ast.parse(textwrap.dedent("".join(lines)))
        statements = module.body[0].body
        first = statements[0] if statements else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            statements = statements[1:]  # the docstring
        # only the body becomes gast, each statement as it would within the whole function: the
        # decorator and the parameters were a third of the conversion, paid at a rule's first use
        body = [gast.ast_to_gast(stmt) for stmt in statements]
        if self.constants:
            body = self._bind_constants(body)
        known = {p.name for p in self.params} | set(self.special) | set(SYMBOLIC) | set(runtime.__all__)
        if self.partials:
            named = {"g", "t"} & set(inspect.signature(self.template).parameters)
            if named:
                raise TemplateError(
                    f"rule {self.name!r} states partial derivatives: its parameters are `ans` and "
                    f"the function's own, not {sorted(named)[0]!r} (both rules are made from it)"
                )
            _validate(self.name, body, known - {"g", "t"})
            return self._from_partials(body)
        _validate(self.name, body, known)
        return body

    def _from_partials(self, body: list[gast.stmt]) -> list[gast.stmt]:
        """The template made from a statement of partial derivatives (see `registry.elementwise`):
        each `d<param> = ∂` becomes that parameter's part, `self.part` of it; temporaries stay."""
        params = [p.name for p in self.params]
        statements = list(_assignments(body))
        parts = {s.targets[0].id[1:] for s in statements if _part_of(s, params)}
        if not parts:
            raise TemplateError(
                f"rule {self.name!r} states no derivative: write `d<param> = ...` for a parameter "
                f"of the function ({', '.join(params)})"
            )
        operands = {p.name for p in self.params if p.default is inspect.Parameter.empty} | parts
        reads: dict[str, set] = {}  # each temporary's names, through the temporaries it reads
        for stmt in statements:
            target = stmt.targets[0].id
            if _part_of(stmt, params):
                read = set(names_in(stmt.value)) & {f"d{p}" for p in parts}
                if read:
                    raise TemplateError(
                        f"rule {self.name!r}: a derivative reads another, {sorted(read)[0]!r}"
                    )
                continue
            reads[target] = {m for n in names_in(stmt.value) for m in reads.get(n, {n}) | {n}}
        broadcasting = operands if len(operands) > 1 else None
        return [self._made(stmt, params, broadcasting, reads) for stmt in body]

    def _made(self, stmt, params, operands, reads):
        if isinstance(stmt, gast.If):
            return gast.If(
                test=stmt.test,
                body=[self._made(s, params, operands, reads) for s in stmt.body],
                orelse=[self._made(s, params, operands, reads) for s in stmt.orelse],
            )
        if not _part_of(stmt, params):
            return stmt
        param = stmt.targets[0].id[1:]
        read = {m for n in names_in(stmt.value) for m in reads.get(n, {n}) | {n}}
        value = self.part(param, stmt.value, operands, read)
        return gast.Assign(targets=stmt.targets, value=value, type_comment=None)

    def part(self, param: str, derivative, operands, read) -> gast.expr:
        """The gradient of `param` from its partial derivative: `g * ∂`, summed back to the
        parameter's shape (`unbroadcast`) where the function broadcasts (`operands` is the set of
        its operands then, else None), with a minus in front of the whole."""
        negated, product = _times(name("g"), derivative)
        if operands is None:
            return _times(neg(name("g")) if negated else name("g"), derivative)[1]
        summed = call(name("unbroadcast"), [product, name(param)])
        return neg(summed) if negated else summed

    def _bind_constants(self, body: list[gast.stmt]) -> list[gast.stmt]:
        """The body with each bound name replaced by its literal, or by the tuple of parameters
        it stands for, spread where it is starred (`log_density(DIST, x, *SHAPES, loc, scale)`)."""
        from ..syntax import const, name

        signature = inspect.signature(self.template).parameters.values()
        spread = {p.name for p in signature if p.kind is p.VAR_POSITIONAL}
        mapping = {}
        for bound, value in self.constants.items():
            if isinstance(value, tuple):
                if bound not in spread:
                    raise TemplateError(
                        f"rule {self.name!r}: {bound!r} is bound to a tuple but is no `*` parameter"
                    )
                mapping[bound] = gast.Tuple(elts=[name(n) for n in value], ctx=gast.Load())
            elif value is None or isinstance(value, (str, int, float, bool)):
                mapping[bound] = const(value)
            else:
                raise TemplateError(f"rule {self.name!r}: {bound!r} is bound to {value!r}, not a literal")
        return [_spread(substitute(stmt, mapping)) for stmt in body]

    def bind(self, args, kwargs) -> dict[str, gast.expr]:
        """Map the rule's parameters to the call's atoms; raise TypeError if they do not fit."""
        from ..syntax import const

        bound = self.signature.bind(*args, **{self.keywords.get(k, k): v for k, v in kwargs.items()})
        mapping = {}
        for p in self.params:
            if p.name in bound.arguments:
                mapping[p.name] = bound.arguments[p.name]
            elif p.default is not inspect.Parameter.empty:
                mapping[p.name] = const(p.default)
        return mapping

    def bind_operation(self, op, args, location, what: str = "rule") -> dict[str, gast.expr]:
        """`bind` for an operation of the user's code: a call the rule does not take is the
        user's error, at `location`."""
        from ..errors import UnsupportedSyntaxError

        try:
            return self.bind(args, op.kwargs)
        except TypeError as exc:
            raise UnsupportedSyntaxError(
                f"srcgrad's {what} for {op.label} does not take these arguments: {exc}.",
                location,
                hint="Pass only the arguments the rule lists (docs/rules.md), or register your own rule.",
            ) from None

    def expand(self, mapping: dict[str, gast.expr], fresh) -> list[tuple[str, str, gast.expr]]:
        """The template's statements with `mapping` substituted and static `if`s decided.

        Returns ("local", new_name, expr) for temporaries (named by `fresh(base)`) and
        ("grad", param, expr) for each gradient contribution, in template order.
        """
        mapping = dict(mapping)
        out: list[tuple[str, str, gast.expr]] = []
        params = {p.name for p in self.params}
        self._expand(self.body(), mapping, fresh, params, out)
        return out

    def _expand(self, stmts, mapping, fresh, params, out):
        for stmt in stmts:
            if isinstance(stmt, gast.If):
                branch = stmt.body if _decide(substitute(stmt.test, mapping)) else stmt.orelse
                self._expand(branch, mapping, fresh, params, out)
                continue
            target = stmt.targets[0].id
            value = substitute(stmt.value, mapping)
            if target.startswith("d") and target[1:] in params:
                out.append(("grad", target[1:], value))
            else:
                new = fresh(target)
                mapping[target] = gast.Name(id=new, ctx=gast.Load(), annotation=None, type_comment=None)
                out.append(("local", new, value))


def _part_of(stmt, params) -> bool:
    """Whether `stmt` is a `d<param> = ...` line of a template."""
    target = stmt.targets[0].id
    return target.startswith("d") and target[1:] in params


def _times(s: gast.expr, derivative: gast.expr) -> tuple[bool, gast.expr]:
    """`s` (the gradient `g` or the tangent `t`) times `derivative`, written as a person would:
    in front of a product (`2 * x`: `s * 2 * x`), in place of a numerator of 1 (`1 / x`: `s / x`),
    on a numerator that is a sum (`(a - b) / 2`: `s * (a - b) / 2`), and `s * (...)` around
    anything else (`1 - ans**2`, `x / r`); and whether a leading minus (`-np.sin(x)`, `-1 / y`,
    `-ans / y`) was taken out, for the caller to put in front."""
    if isinstance(derivative, gast.UnaryOp) and isinstance(derivative.op, gast.USub):
        negated, product = _times(s, derivative.operand)
        return not negated, product
    if isinstance(derivative, gast.Constant) and derivative.value == 1 and type(derivative.value) is not bool:
        return False, s
    if isinstance(derivative, gast.BinOp) and (
        isinstance(derivative.op, gast.Mult)
        or isinstance(derivative.op, gast.Div)
        and _leads(derivative.left)
    ):
        negated, left = _times(s, derivative.left)
        return negated, gast.BinOp(left=left, op=derivative.op, right=derivative.right)
    return False, gast.BinOp(left=s, op=gast.Mult(), right=derivative)


def _leads(numerator: gast.expr) -> bool:
    """Whether `s` joins a quotient's numerator (`1 / y`, `-ans / y`, `2 * x / y`, `(x / r) / r`,
    `(a - b) / 2`), rather than multiplying a quotient of one value by another whole, which may
    be a bounded ratio or a constant (`s * (x / r)`, `s * (np.pi / 180)`)."""
    if isinstance(numerator, gast.Constant):
        return numerator.value == 1
    if isinstance(numerator, gast.UnaryOp):
        return isinstance(numerator.op, gast.USub)
    return isinstance(numerator, gast.BinOp) and isinstance(
        numerator.op, (gast.Mult, gast.Div, gast.Add, gast.Sub)
    )


def _decide(test: gast.expr) -> bool:
    """Evaluate a template condition made of literals; False if it depends on a variable."""
    if any(True for _ in names_in(test)):
        return False
    expression = ast.Expression(body=gast.gast_to_ast(test))
    ast.fix_missing_locations(expression)
    with warnings.catch_warnings():  # `0 is None` is a fine question to ask of a literal here
        warnings.simplefilter("ignore", SyntaxWarning)
        code = compile(expression, "<srcgrad rule condition>", "eval")
    return bool(eval(code, {"__builtins__": {}}))


def _spread(node: gast.AST) -> gast.AST:
    """`node` with each `*(a, b)` in a call's arguments, a tuple or a list written out: `a, b`."""
    for child in walk(node):
        for field in ("args", "elts"):
            items = getattr(child, field, None)
            if isinstance(items, list) and any(_spreads(item) for item in items):
                items[:] = [e for item in items for e in (item.value.elts if _spreads(item) else [item])]
    return node


def _spreads(node) -> bool:
    return isinstance(node, gast.Starred) and isinstance(node.value, gast.Tuple)


def _validate(rule: str, body: list[gast.stmt], known: set[str]) -> None:
    for stmt in body:
        if isinstance(stmt, gast.If):
            _validate(rule, stmt.body + stmt.orelse, known)
            continue
        if not (
            isinstance(stmt, gast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], gast.Name)
        ):
            raise TemplateError(f"rule {rule!r}: only `name = expression` and `if` may appear in a template")
        for used in names_in(stmt.value):
            if used not in known:
                raise TemplateError(f"rule {rule!r} uses {used!r}, which is neither a parameter nor a helper")
        known.add(stmt.targets[0].id)


class TangentRule(Rule):
    """One forward-mode rule, built from its template function.

    A tangent template's parameters are `t`, `ans` (the result, if the rule reads it) and the
    operation's own. Each assignment to `d<param>` is the part of the result's tangent that the
    tangent of `<param>` brings, with `t` standing for that tangent; the forward pass adds up the
    parts of the parameters that carry one. Other assignments are temporaries and may not read
    `t`, since they are shared by every part. For a sequence parameter (`np.concatenate`'s
    arrays), `t` is the list of the elements' tangents, zeros for the constant ones.
    """

    special = ("t", "ans")

    def _parse(self) -> list[gast.stmt]:
        body = super()._parse()
        params = {p.name for p in self.params}
        for stmt in _assignments(body):
            target = stmt.targets[0].id
            is_part = target.startswith("d") and target[1:] in params
            if not is_part and "t" in set(names_in(stmt.value)):
                raise TemplateError(
                    f"tangent rule {self.name!r}: the temporary {target!r} reads `t`; only the "
                    "`d<param>` parts may, each with its own parameter's tangent"
                )
        return body

    def part(self, param: str, derivative, operands, read) -> gast.expr:
        """The tangent part of `param` from its partial derivative: `t * ∂`, of the result's shape.
        Where the function broadcasts (`operands` is the set of its operands then, else None), a
        part that is `t` itself is spread with `broadcast_like(t, ans)`, and so is one whose
        derivative reads neither `ans` nor the other operands (`read`), which `t * ∂` alone might
        leave short of the result's shape."""
        negated, product = _times(name("t"), derivative)
        shaped = "ans" in read or operands is None or operands - {param} <= read
        if shaped and not (operands is not None and isinstance(product, gast.Name)):
            return _times(neg(name("t")) if negated else name("t"), derivative)[1]
        spread = call(name("broadcast_like"), [product, name("ans")])
        return neg(spread) if negated else spread

    def expand_parts(self, mapping, tangents: dict, fresh) -> list[tuple[str, str, gast.expr]]:
        """The template with `mapping` substituted: ("local", new_name, expr) for temporaries and
        ("part", param, expr) for each parameter in `tangents` (param -> its tangent)."""
        mapping = dict(mapping)
        out: list[tuple[str, str, gast.expr]] = []
        params = {p.name for p in self.params}
        self._expand_parts(self.body(), mapping, tangents, fresh, params, out)
        return out

    def _expand_parts(self, stmts, mapping, tangents, fresh, params, out):
        for stmt in stmts:
            if isinstance(stmt, gast.If):
                branch = stmt.body if _decide(substitute(stmt.test, mapping)) else stmt.orelse
                self._expand_parts(branch, mapping, tangents, fresh, params, out)
                continue
            target = stmt.targets[0].id
            if target.startswith("d") and target[1:] in params:
                if target[1:] in tangents:
                    value = substitute(stmt.value, dict(mapping, t=tangents[target[1:]]))
                    out.append(("part", target[1:], value))
                continue
            new = fresh(target)
            value = substitute(stmt.value, mapping)
            mapping[target] = gast.Name(id=new, ctx=gast.Load(), annotation=None, type_comment=None)
            out.append(("local", new, value))


class LinearTangent(TangentRule):
    """The forward-mode rule of a function linear in each parameter it differentiates (or
    multilinear, as `np.dot` is): the part of each such parameter is the function itself, with
    that parameter's tangent `t` in its place (`registry.linear`). Its statements are made from
    the reverse-mode rule's parameters: required ones by position, the others by keyword, left
    out of the generated call where the call has their default."""

    def __init__(self, adjoint_rule: Rule, function: str, key=None):
        super().__init__(adjoint_rule.template, adjoint_rule.keys, f"{adjoint_rule.name}_tangent")
        self.adjoint_rule = adjoint_rule
        self.function = function  # how templates spell the function: "np.reshape", "np.fft.fftshift"
        self.key = key  # the function itself, whose own defaults say which arguments may be left out
        self.partials = True  # made, not written: docs/rules.md shows the statements it makes

    @functools.cached_property
    def defaults(self) -> dict:
        """The parameters a generated call may leave out at their default: those whose default
        in the template is the function's own in this NumPy (np.take_along_axis's `axis` has
        none before NumPy 2.3, and must be passed there)."""
        template = {p.name: p.default for p in self.params if p.default is not inspect.Parameter.empty}
        try:
            own = inspect.signature(self.key).parameters
        except (TypeError, ValueError):  # no signature to read (a C function): the template's
            return template
        absent = getattr(numpy, "_NoValue", None)  # NumPy's "not passed" (np.sum's keepdims)
        kept = {n: p.default for n, p in own.items() if p.default is not p.empty}
        return {n: d for n, d in template.items() if n in kept and (kept[n] is absent or kept[n] == d)}

    @functools.cached_property
    def params(self) -> list[inspect.Parameter]:
        return self.adjoint_rule.params

    uses_ans = False

    def _parse(self) -> list[gast.stmt]:
        lines = []
        for p in self.params:
            if p.name not in self.adjoint_rule.differentiates:
                continue
            args = [
                ("t" if q.name == p.name else q.name)
                if q.default is inspect.Parameter.empty
                else f"{q.name}={'t' if q.name == p.name else q.name}"
                for q in self.params
            ]
            lines.append(f"d{p.name} = {self.function}({', '.join(args)})")
        return [gast.ast_to_gast(stmt) for stmt in ast.parse("\n".join(lines)).body]

    def expand_parts(self, mapping, tangents: dict, fresh) -> list[tuple[str, str, gast.expr]]:
        out = super().expand_parts(mapping, tangents, fresh)
        for _, _, value in out:
            value.keywords = [k for k in value.keywords if not _is_default(k, self.defaults)]
        return out


def _is_default(keyword: gast.keyword, defaults: dict) -> bool:
    """Whether a keyword argument passes its parameter's default, written as a literal."""
    if keyword.arg not in defaults or not isinstance(keyword.value, gast.Constant):
        return False
    default, value = defaults[keyword.arg], keyword.value.value
    return type(default) is type(value) and default == value


def _assignments(body):
    for stmt in body:
        if isinstance(stmt, gast.If):
            yield from _assignments(stmt.body + stmt.orelse)
        else:
            yield stmt
