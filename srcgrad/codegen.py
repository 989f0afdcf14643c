"""Assemble the generated function: forward statements, adjoint blocks, comments, the factory.

The printed function is plain Python. Comments are not part of Python's AST, so each comment
travels through `ast.unparse` as a marker statement and is swapped for its text afterwards.
The function is wrapped in a factory whose parameters supply the runtime helpers (and
closed-over values), so the generated code reads the user's module globals live.
"""

from __future__ import annotations

import ast
import math

import gast

from . import backends, runtime
from .frontend import SourceFunction
from .ir import ITEM, Assign, Effect, For, If, Program, Record, assigned_names, effect_statement, walk
from .naming import Namer
from .optimizations.cleanup import eliminate_dead_code, inline_single_use, merge_accumulations, rematerialize
from .syntax import assign, attr, call, const, copy_tree, name, names_in, ret, to_source, tuple_, unparse
from .syntax import walk as walk_tree
from .transformations.reverse import Adjoint, Comment

FACTORY = "__srcgrad_factory__"
_MARK = "__srcgrad_comment_{}__"


class Generated(Record):
    __match_args__ = ("function_name", "text", "source", "free", "helpers", "arrays", "extra")

    def __init__(
        self, function_name: str, text: str, source: str, free: list, helpers=None, arrays=None, extra=()
    ):
        self.function_name = function_name
        self.text = text  # the whole module compiled (factory and function)
        self.source = source  # the generated function alone, as users read it
        self.free = free  # factory parameters: helpers and closed-over names
        self.helpers = {} if helpers is None else helpers  # factory parameter -> runtime helper it binds
        # factory parameters the user's globals supply: NumPy, its functions, scipy.special,
        # bound to their counterparts in the call's backend
        self.arrays = [] if arrays is None else arrays
        self.extra = list(extra)  # parameters after the user's: tangents, a cotangent


def generate(
    program: Program,
    adjoint: Adjoint,
    wrt: list[str],
    single: bool,
    namer: Namer,
    check_finite: bool = False,
    seed: str | None = None,
) -> Generated:
    """The gradient function: the user's parameters (and with `seed`, the cotangent of the
    result after them: a vector-Jacobian product), returning the value and the gradients."""
    gradients = [_assemble(program, adjoint, p) for p in wrt]
    grads = gradients[0] if single else tuple_(gradients)
    # the backward pass restores loop values under their own names: keep what is returned apart
    restored = {n for _, names in (adjoint.saves or {}).values() for n in names if isinstance(n, str)}
    checkpoints = _checkpoint_names(program, namer)
    for loop in _checkpointed_loops(program):  # the backward pass runs these loops again
        restored |= assigned_names([loop])
    kept, returned_parts = [], []
    for part in [program.result.value, program.result.aux]:
        if isinstance(part, gast.Name) and part.id in restored:
            copy_name = namer.fresh(program.source.name if not kept else "aux")
            kept.append(assign(copy_name, part))
            part = name(copy_name)
        returned_parts.append(part)
    returned = returned_parts[0] if program.result.aux is None else tuple_(returned_parts)
    result = ret(tuple_([returned, grads]))

    forward = _forward_block(program.body, adjoint.saves, checkpoints)
    impure = {s.target for s in walk(program.body) if isinstance(s, Assign) and not s.op.pure}
    _tag_blocks(adjoint.statements)
    backward = kept + [s for s in adjoint.statements if not isinstance(s, Comment)]
    if checkpoints:
        backward = _with_recomputed_segments(backward, adjoint.saves, checkpoints)
    backward = eliminate_dead_code(backward, live=set(names_in(result)))
    temporaries = {s.target for s in walk(program.body) if isinstance(s, Assign)} - set(program.user_names)
    # adjoints of temporaries and rule-local values read once fold into their reader
    adjoint_of = {v: k for k, v in adjoint.names.items()}
    foldable = {n for n in assigned_names(backward) if adjoint_of.get(n, n) not in program.user_names}
    foldable -= set(program.params)
    backward = merge_accumulations(inline_single_use(backward, [result], foldable))
    backward = eliminate_dead_code(backward, live=set(names_in(result)))  # what folding left unused
    large = {t for t in temporaries if _elements(adjoint.facts, t) >= LARGE}
    read_back = {n for s in [*backward, result] for n in names_in(s)}
    backward = rematerialize(forward, backward, large, set(program.params) | read_back)
    live = {n for s in [*backward, result] for n in names_in(s)}
    forward = eliminate_dead_code(forward, live=live, keep=impure)
    # a temporary keeps its line while its adjoint is in the code, so `dX` always has an `X`;
    # except a large array, which a name would keep alive to the end of the backward pass
    present = live | assigned_names(backward)
    named = {p for p, d in adjoint.names.items() if d in present} - large
    forward = inline_single_use(forward, [*backward, result], temporaries - named - impure)
    backward = _with_comments_between(backward)
    if check_finite:
        backward = _with_finite_checks(backward, program)
    # a runtime helper whose name the user's code also uses (a global `unreduce` of theirs) is
    # bound under another name, so each keeps its meaning
    helpers = _helper_names(program, namer)
    _rename_calls(backward, {h: a for h, a in helpers.items() if a != h})

    comments: dict[str, str] = {}
    body = list(forward)
    if forward and backward:
        comments[_MARK.format("blank")] = ""
        body.append(gast.Expr(value=name(_MARK.format("blank"))))
    body += _render(backward, comments, program.source)
    marker = _MARK.format("return")
    value, grads_text = to_source(returned), to_source(grads)
    comments[marker] = f"return {value}, {grads_text}"
    body.append(gast.Expr(value=name(marker)))
    fname = namer.fresh(program.source.name + ("_grad" if seed is None else "_vjp"))
    return _package(program, body, result, comments, fname, helpers, [seed] if seed else [])


def generate_forward(
    program: Program,
    tangents,
    wrt: list[str],
    seeds: dict[str, str],
    namer: Namer,
    select: int | None = None,
) -> Generated:
    """The forward-mode function: the user's parameters, then one tangent per `wrt` parameter
    (named by `seeds`), returning the value and its tangent (zeros when no parameter reaches it);
    with `select`, the tangent of that item of a returned tuple only (the gradients' of code
    `grad` generated, which returns the value and the gradients)."""
    value = program.result.value
    tangent = tangents.result
    body = list(tangents.statements)
    if select is not None and isinstance(tangent, gast.Tuple):  # one item's tangent only
        tangent = tangent.elts[select]
    named = isinstance(tangent, gast.Name) and isinstance(value, gast.Name)
    if named and tangent.id not in seeds.values() and tangents.names.get(value.id) != tangent.id:
        # the result's tangent named after the result (`df`), not after the temporary it came from
        wanted = namer.fresh(("t" if program.source.generated else "d") + value.id)
        if tangent.id != wanted:
            body = _renamed(body, tangent.id, wanted)
            tangents.names = {p: wanted if t == tangent.id else t for p, t in tangents.names.items()}
            tangent = name(wanted)
    if tangent is None:
        zero = namer.fresh("d" + (value.id if isinstance(value, gast.Name) else "value"))
        body.append(assign(zero, call(attr(name(program.numpy_alias), "zeros_like"), [value])))
        tangent = name(zero)
    returned = value if program.result.aux is None else tuple_([value, program.result.aux])
    result = ret(tuple_([returned, tangent]))
    impure = {s.target for s in walk(program.body) if isinstance(s, Assign) and not s.op.pure}
    body = eliminate_dead_code(body, live=set(names_in(result)), keep=impure)
    temporaries = {s.target for s in walk(program.body) if isinstance(s, Assign)} - set(program.user_names)
    tangent_of = {t: p for p, t in tangents.names.items()}
    foldable = {n for n in assigned_names(body) if tangent_of.get(n, n) not in program.user_names}
    foldable = (foldable | temporaries) - set(program.params) - impure - set(seeds.values())
    body = inline_single_use(body, [result], foldable)
    helpers = _helper_names(program, namer)
    _rename_calls(body, {h: a for h, a in helpers.items() if a != h})
    comments = {_MARK.format("return"): f"return {to_source(returned)}, {to_source(tangent)}"}
    body.append(gast.Expr(value=name(_MARK.format("return"))))
    fname = namer.fresh(program.source.name + "_jvp")
    extra = [seeds[p] for p in wrt]
    return _package(program, body, result, comments, fname, helpers, extra)


def _helper_names(program: Program, namer: Namer) -> dict[str, str]:
    """The name each runtime helper is bound under: its own, unless the user's code uses that
    name for something else (a global `unreduce` of theirs); in code srcgrad generated, the name
    is the helper itself."""
    helpers = {h: h for h in runtime.__all__}
    for h in sorted(set(runtime.__all__) & program.user_identifiers):
        if program.source.closure.get(h, None) is not getattr(runtime, h):
            helpers[h] = namer.fresh(h)
    return helpers


def _default_values(program: Program, args: gast.arguments) -> dict:
    """Replace each default of the generated function's parameters that is not a literal with a
    name the factory binds to the user function's own default value, and return those names and
    values. A default is evaluated where the user's `def` ran (`def f(x, y=y)` inside another
    function reads that function's `y`), so its expression cannot be evaluated again here."""
    func = program.source.func
    names = [a.id for a in args.posonlyargs + args.args]
    positional = names[len(names) - len(args.defaults) :]
    given = list(getattr(func, "__defaults__", None) or ())
    kw_given = getattr(func, "__kwdefaults__", None) or {}
    if len(given) != len(positional):
        return {}
    taken = {n.id for n in walk_tree(program.source.tree) if isinstance(n, gast.Name)} | set(program.reserved)
    out = {}

    def bind(param: str, value) -> gast.expr:
        base, k = "default_" + param, 1
        candidate = base
        while candidate in taken or candidate in out:
            k += 1
            candidate = f"{base}_{k}"
        out[candidate] = value
        return name(candidate)

    for i, (param, expr) in enumerate(zip(positional, args.defaults)):
        if not _is_literal(expr):
            args.defaults[i] = bind(param, given[i])
    for i, (param, expr) in enumerate(zip(args.kwonlyargs, args.kw_defaults)):
        if expr is not None and not _is_literal(expr) and param.id in kw_given:
            args.kw_defaults[i] = bind(param.id, kw_given[param.id])
    program.source.closure.update(out)  # bound through the factory like closed-over values
    return out


def _is_literal(expr: gast.expr) -> bool:
    try:
        ast.literal_eval(gast.gast_to_ast(copy_tree(expr)))
    except (ValueError, TypeError, SyntaxError, RecursionError):
        return False
    return True


def _renamed(stmts, old: str, new: str) -> list:
    """`stmts` with every use and binding of the name `old` as `new`."""
    for stmt in stmts:
        for node in walk_tree(stmt):
            if isinstance(node, gast.Name) and node.id == old:
                node.id = new
    return stmts


def _package(program: Program, body, result, comments, fname, helpers, extra=()) -> Generated:
    """The function named `fname` with the user's parameters (and `extra` ones after them), in
    its factory, printed with its comments."""
    user = program.source.tree
    args = copy_tree(user.args)
    for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
        if a is not None:
            a.annotation = None
    defaults = _default_values(program, args)
    if extra:  # after the positional parameters; keyword-only if the user's have defaults or *args
        params = [gast.Name(id=n, ctx=gast.Param(), annotation=None, type_comment=None) for n in extra]
        if args.defaults or args.vararg is not None or args.kwonlyargs:
            args.kwonlyargs = args.kwonlyargs + params
            args.kw_defaults = args.kw_defaults + [None] * len(params)
        else:
            args.args = args.args + params
    function = gast.FunctionDef(
        name=fname, args=args, body=body, decorator_list=[], returns=None, type_comment=None, type_params=[]
    )
    used = {n for stmt in [*body, result] for n in names_in(stmt)}
    bound = {alias: h for h, alias in helpers.items()}
    free = sorted(n for n in used if n in bound and (n not in runtime.__all__ or helpers[n] == n))
    if program.numpy_injected:
        free.insert(0, program.numpy_alias)
    # NumPy, its functions and scipy.special, read through the factory: the backend binds them
    stores = (n for n in walk_tree(function) if isinstance(n, gast.Name) and not isinstance(n.ctx, gast.Load))
    local = {n.id for n in stores} | set(free)
    scope = program.source.globals
    arrays = sorted(n for n in used - local if n in scope and backends.is_array_namespace(scope[n]))
    free = arrays + free
    free += sorted(n for n in program.source.closure if n in used and n not in bound)
    free += sorted(defaults)
    factory = gast.FunctionDef(
        name=FACTORY,
        args=gast.arguments(
            args=[gast.Name(id=n, ctx=gast.Param(), annotation=None, type_comment=None) for n in free],
            posonlyargs=[],
            vararg=None,
            kwonlyargs=[],
            kw_defaults=[],
            kwarg=None,
            defaults=[],
        ),
        body=[function, ret(name(fname))],
        decorator_list=[],
        returns=None,
        type_comment=None,
        type_params=[],
    )
    module = gast.gast_to_ast(gast.Module(body=[factory], type_ignores=[]))
    text = _with_comments(unparse(module), comments) + "\n"
    inner = [line[4:] for line in text.splitlines()[1:-1]]
    source = "\n".join(inner).strip("\n") + "\n"
    generated = Generated(function_name=fname, text=text, source=source, free=free, helpers=bound)
    generated.arrays = arrays
    generated.extra = list(extra)
    return generated


LARGE = 1 << 16  # elements: an array this large is recomputed or freed rather than held (memory)


def _elements(facts, n: str) -> int:
    """The number of elements of `n`, when the call's argument shapes decide it; else 0."""
    shape = facts.exact_shape(name(n))
    return 0 if shape is None else math.prod(shape)


def _assemble(program: Program, adjoint: Adjoint, param: str, path=()) -> gast.expr:
    """A parameter's gradient: for nested dicts, lists and tuples, the same nesting of its leaves'."""
    if param not in program.structures:
        return adjoint.gradients[param]
    structure = program.structures[param]
    for key in path:
        keys = list(structure[1]) if structure[0] == "dict" else list(range(structure[1]))
        structure = structure[2][keys.index(key)]
    if structure is None:
        return adjoint.gradients[program.leaf_paths[param][path]]
    kind, keys, _ = structure
    if kind == "dict":
        values = [_assemble(program, adjoint, param, (*path, k)) for k in keys]
        return gast.Dict(keys=[const(k) for k in keys], values=values)
    parts = [_assemble(program, adjoint, param, (*path, i)) for i in range(keys)]
    return gast.List(elts=parts, ctx=gast.Load()) if kind == "list" else tuple_(parts)


def _rename_calls(stmts, renames: dict) -> None:
    if not renames:
        return
    for stmt in stmts:
        if isinstance(stmt, gast.AST):
            for node in walk_tree(stmt):
                func = getattr(node, "func", None)
                if isinstance(node, gast.Call) and isinstance(func, gast.Name) and func.id in renames:
                    func.id = renames[func.id]


def _tag_blocks(statements: list) -> None:
    """Mark each adjoint statement with the Comment of its block (copies keep the mark)."""
    block = None
    for stmt in statements:
        if isinstance(stmt, Comment):
            block = stmt
        else:
            stmt.srcgrad_block = block


def _with_comments_between(kept: list) -> list:
    """Each block's Comment, before the first statement of the block still in the code."""
    out, last = [], None
    for stmt in kept:
        block = getattr(stmt, "srcgrad_block", None)
        if block is not None and block is not last:
            out.append(block)
            last = block
        out.append(stmt)
    return out


def _with_finite_checks(stmts, program: Program, block=None) -> list:
    """After each gradient assigned, `check_finite(g, file, line, name)`: the user's line whose
    gradient is being computed (from the block's Comment) is named when a NaN or inf appears."""
    out = []
    for stmt in stmts:
        out.append(stmt)
        if isinstance(stmt, Comment):
            block = stmt
        elif isinstance(stmt, (gast.If, gast.For, gast.While)):
            stmt.body = _with_finite_checks(stmt.body, program, block)
            stmt.orelse = _with_finite_checks(stmt.orelse, program, block)
        elif isinstance(stmt, gast.Assign) and block is not None:
            block = getattr(stmt, "srcgrad_block", None) or block
            origin = block.origin
            where = getattr(origin, "srcgrad_source", program.source).location(origin)
            for target in stmt.targets[0].elts if isinstance(stmt.targets[0], gast.Tuple) else stmt.targets:
                if isinstance(target, gast.Name):
                    args = [name(target.id), const(where.filename), const(where.lineno), const(target.id)]
                    out.append(gast.Expr(value=call(name("check_finite"), args)))
    return out


def _render(stmts, comments: dict, source: SourceFunction, last: list | None = None) -> list:
    """Comments as marker statements, in nested blocks too; none that would quote again the
    user's statement the comment printed last quotes (the blocks of a desugared loop's flags, of
    a comprehension's element, are part of the statement the comment above names)."""
    out, last = [], [None] if last is None else last
    for stmt in stmts:
        if isinstance(stmt, Comment):
            user = getattr(stmt.origin, "srcgrad_source", source).statement(stmt.origin)
            text = quoted(stmt.origin, source)
            if text is not None and user is not last[0]:
                last[0] = user
                marker = _MARK.format(len(comments))
                comments[marker] = "# grad of: " + text
                out.append(gast.Expr(value=name(marker)))
        elif isinstance(stmt, (gast.If, gast.For, gast.While)):
            stmt.body = _render(stmt.body, comments, source, last)
            stmt.orelse = _render(stmt.orelse, comments, source, last)
            if all(_is_marker(s) for s in stmt.orelse):  # its statements were all dead: no block
                stmt.orelse = []
            if all(_is_marker(s) for s in stmt.body):
                stmt.body.append(gast.Pass())
            out.append(stmt)
        else:
            out.append(stmt)
    return out


def _is_marker(stmt) -> bool:
    return (
        isinstance(stmt, gast.Expr)
        and isinstance(stmt.value, gast.Name)
        and stmt.value.id.startswith(_MARK.split("{")[0])
    )


def _forward_block(stmts, saves, checkpoints=None) -> list:
    out = []
    stmts = list(stmts)
    for k, stmt in enumerate(stmts):
        if stmt is None:  # an item of a tuple unpacked below
            continue
        unpacked = _unpacking(stmts, k)
        if unpacked is not None:
            out.append(unpacked)
        elif isinstance(stmt, For) and checkpoints and id(stmt) in checkpoints:
            out += _checkpointed_loop(stmt, saves, checkpoints[id(stmt)])
        elif isinstance(stmt, For):
            out += _forward_loop(stmt, saves)
        elif isinstance(stmt, If):
            branches = []
            for i, block in enumerate((stmt.body, stmt.orelse)):
                branch = _forward_block(block, saves, checkpoints)
                if (id(stmt), i) in saves:  # in a loop: the values only this branch made
                    branch.append(_push(*saves[(id(stmt), i)]))
                branches.append(branch)
            out.append(gast.If(test=stmt.test, body=branches[0] or [gast.Pass()], orelse=branches[1]))
        else:
            out.append(_forward_statement(stmt))
    return out


def _unpacking(stmts: list, k: int):
    """`a, b = parts` for the items `a = parts[0]`, `b = parts[1]` of a tuple of two, each at its
    place from `stmts[k]` on (which become None): the code reads as the user's unpacking, and
    srcgrad, differentiating the code again, knows the tuple's length from it (a literal index
    alone would not say it for `np.split(x, n)`)."""
    first = stmts[k]
    if not (isinstance(first, Assign) and first.op.key is ITEM and first.op.args[1].value == 0):
        return None
    base, count = first.op.args[0], first.op.args[2].value
    run = stmts[k : k + count]
    if count < 2 or len(run) < count:
        return None
    for i, s in enumerate(run):
        item = isinstance(s, Assign) and s.op.key is ITEM and s.op.args[1].value == i
        if not (item and _same_base(s, base)):
            return None
    stmts[k : k + count] = [None] * count
    targets = gast.Tuple(elts=[name(s.target, store=True) for s in run], ctx=gast.Store())
    return gast.Assign(targets=[targets], value=copy_tree(base), type_comment=None)


def _same_base(stmt: Assign, base: gast.expr) -> bool:
    other = stmt.op.args[0]
    return isinstance(other, gast.Name) and isinstance(base, gast.Name) and other.id == base.id


def _forward_loop(stmt: For, saves) -> list:
    """The loop, saving at the end of each iteration what the backward pass will read."""
    body = _forward_block(stmt.body, saves)
    before = []
    if id(stmt) in saves:
        stack, needed = saves[id(stmt)]
        before.append(assign(stack, gast.List(elts=[], ctx=gast.Load())))
        body.append(_push(stack, needed))
    if len(stmt.carried) == 1:
        body.append(assign(*stmt.carried[0]))
    elif stmt.carried:  # all at once: one carried value may be computed from another's old value
        targets = gast.Tuple(elts=[name(n, store=True) for n, _ in stmt.carried], ctx=gast.Store())
        values = tuple_([v for _, v in stmt.carried])
        body.append(gast.Assign(targets=[targets], value=values, type_comment=None))
    if stmt.iter is None:  # while: the test, computed afresh at the start of each iteration
        stop = gast.If(test=gast.UnaryOp(op=gast.Not(), operand=stmt.test), body=[gast.Break()], orelse=[])
        head = _forward_block(stmt.test_body, saves)
        return [*before, gast.While(test=const(True), body=[*head, stop, *body], orelse=[])]
    loop = gast.For(
        target=name(stmt.target, store=True),
        iter=stmt.iter,
        body=body or [gast.Pass()],
        orelse=[],
        type_comment=None,
    )
    return [*before, loop]


# -- checkpointed loops: `for t in srcgrad.checkpointed(range(T))` ---------------------------


def _checkpointed_loops(program: Program) -> list:
    return [s for s in walk(program.body) if isinstance(s, For) and s.checkpoint is not None]


def _checkpoint_names(program: Program, namer: Namer) -> dict:
    """id(loop) -> the names of its checkpoint stack and of a segment's bounds."""
    return {
        id(loop): (namer.fresh("checkpoints"), namer.fresh("first"), namer.fresh("stop"))
        for loop in _checkpointed_loops(program)
    }


def _checkpointed_loop(stmt: For, saves, names) -> list:
    """The forward sweep of a checkpointed loop: the loop in segments, each keeping the carried
    values it starts with, and nothing per iteration.

        checkpoints = []
        for first, stop in checkpoint_segments(range(T), None):
            checkpoints.append((first, stop, h))
            for t in range(first, stop):
                ...
    """
    stack, first, stop = names
    own = saves.get(id(stmt), (None, []))[0]
    unsaved = {k: v for k, v in saves.items() if v[0] != own}  # the loop's own stack is not made
    segments = call(name("checkpoint_segments"), [stmt.iter, stmt.checkpoint])
    kept = tuple_([name(first), name(stop), *(name(n) for n, _ in stmt.carried)])
    keep = gast.Expr(value=call(attr(name(stack), "append"), [kept]))
    loop = gast.For(
        target=gast.Tuple(elts=[name(first, store=True), name(stop, store=True)], ctx=gast.Store()),
        iter=segments,
        body=[keep, *_forward_loop(_segment(stmt, first, stop), unsaved)],
        orelse=[],
        type_comment=None,
    )
    return [assign(stack, gast.List(elts=[], ctx=gast.Load())), loop]


def _segment(stmt: For, first: str, stop: str) -> For:
    """The loop `stmt` over one segment: `range(first, stop)`, with the range's step."""
    bounds = [name(first), name(stop), *stmt.iter.args[2:3]]
    return For(stmt.target, call(name("range"), bounds), stmt.body, stmt.carried, stmt.origin)


def _with_recomputed_segments(backward: list, saves, checkpoints: dict) -> list:
    """`backward` with the adjoint of each checkpointed loop (`while saved: ...`) run segment by
    segment, last first: the segment's start taken back off the checkpoint stack, the segment
    run forward again, saving what its adjoint reads, then the adjoint."""
    out = []
    for stmt in backward:
        loop = getattr(stmt, "srcgrad_checkpoint", None)
        if loop is not None:
            stack, first, stop = checkpoints[id(loop)]
            starts = [
                name(first, store=True),
                name(stop, store=True),
                *(name(n, store=True) for n, _ in loop.carried),
            ]
            pop = gast.Assign(
                targets=[gast.Tuple(elts=starts, ctx=gast.Store())],
                value=call(attr(name(stack), "pop"), []),
                type_comment=None,
            )
            segment = _segment(loop, first, stop)
            own = {id(segment): saves[id(loop)]} if id(loop) in saves else {}
            again = [copy_tree(s) for s in _forward_loop(segment, {**saves, **own})]
            out.append(gast.While(test=name(stack), body=[pop, *again, stmt], orelse=[]))
            continue
        for field in ("body", "orelse"):
            if isinstance(getattr(stmt, field, None), list):
                setattr(stmt, field, _with_recomputed_segments(getattr(stmt, field), saves, checkpoints))
        out.append(stmt)
    return out


def _push(stack: str, needed: list) -> gast.stmt:
    """`saved.append(...)` of the values (or, for `(name, alias)` entries, the shapes) needed."""
    values = [call(name("shape_of"), [name(e[0])]) if isinstance(e, tuple) else name(e) for e in needed]
    item = tuple_(values) if len(values) > 1 else values[0] if values else const(None)
    return gast.Expr(value=call(attr(name(stack), "append"), [item]))


def _forward_statement(stmt):
    if isinstance(stmt, Assign):
        return gast.Assign(targets=[name(stmt.target, store=True)], value=stmt.value, type_comment=None)
    assert isinstance(stmt, Effect)
    return effect_statement(stmt)


def quoted(stmt: gast.stmt, source: SourceFunction) -> str | None:
    """A user's statement as a `# grad of:` comment quotes it: its own text in the file, on one
    line, a block by its head (from the helper it was written in, for an inlined helper's); None
    for a statement the lowering made with no place in the user's code."""
    return getattr(stmt, "srcgrad_source", source).quote(stmt)


def _with_comments(text: str, comments: dict[str, str]) -> str:
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped in comments:
            comment = comments[stripped]
            lines.append(line[: len(line) - len(stripped)] + comment if comment else "")
        else:
            lines.append(line)
    return "\n".join(lines)
