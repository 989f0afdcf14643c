"""The whole transformation on one screen: user function in, gradient source out."""

from __future__ import annotations

import copy
import re

import gast

from . import fence
from .analyses.activity import active_names
from .analyses.exact import infer
from .codegen import Generated, generate, generate_forward, quoted
from .frontend import SourceFunction, read_function
from .ir import Program, Record
from .naming import Namer
from .syntax import assign, const, name, to_source
from .transformations.anf import check_list_writes, dump, lower
from .transformations.forward import forward
from .transformations.reverse import Comment, reverse


class Build(Record):
    __match_args__ = ("source", "program", "generated", "stages")

    def __init__(self, source: SourceFunction, program: Program, generated: Generated, stages=None):
        self.source = source
        self.program = program
        self.generated = generated
        self.stages = {} if stages is None else stages  # stage name -> listing (when asked for)


def build(
    func,
    wrt: list[str],
    single: bool,
    has_aux: bool = False,
    structures=None,
    check_finite: bool = False,
    stages: bool = False,
    shapes: dict | None = None,
    cotangent: bool = False,
) -> Build:
    """The generated code of `func`; with `stages`, also the code after each stage (a quarter of
    the time of a build, so only `GradFunction.stages()` and `srcgrad show --stage` ask); with
    `shapes` (parameter -> exact shape, `()` for a float), specialised to those shapes; with
    `cotangent`, the result's gradient is a parameter after the function's own (`vjp`)."""
    # gast tree, file and line, free names resolved on demand; a SourceFunction read already
    source = func if isinstance(func, SourceFunction) else read_function(func)
    fence.check(source)  # reject unsupported constructs with the user's line
    program = lower(source, has_aux, structures, wrt)  # A-normal form: one operation per statement
    leaves = [leaf for p in wrt for leaf in program.leaves.get(p, [p])]  # of nested parameters
    active = active_names(program, leaves)  # varied and useful: only these get adjoints
    check_list_writes(program, active)  # `xs[i] = v` only into lists that carry no gradient
    namer = Namer(program.reserved)
    exact = infer(program, shapes) if shapes else None  # what the arguments' shapes decide
    seed = None
    if cotangent:
        result = program.result.value
        seed = namer.fresh("d" + (result.id if hasattr(result, "id") else source.name))
    adjoint = reverse(program, leaves, active, namer, exact, seed)  # rules inlined in reverse, simplified
    listings = {}
    if stages:
        listings = {"anf": dump(program), "activity": _activity(program, leaves, active)}
        # before generate() folds and prunes it
        listings["raw adjoint"] = _raw_adjoint(adjoint.statements, source)
    generated = generate(program, adjoint, wrt, single, namer, check_finite, seed)  # DCE, inlining, comments
    listings["final"] = generated.source
    return Build(source, program, generated, stages=listings)


def build_forward(
    func,
    wrt: list[str],
    has_aux: bool = False,
    stages: bool = False,
    select: int | None = None,
    shapes: dict | None = None,
    seeds: list[str] | None = None,
    structures=None,
) -> Build:
    """The forward-mode code of `func`: its value and the tangent of its value, for one tangent
    per `wrt` parameter (passed after the function's own arguments, named by `seeds` where they
    are free); with `select`, the tangent of that item of the returned tuple only; with
    `shapes`, specialised to those argument shapes; with `structures` (as for `build`), the
    tangent of a nested parameter is nested alike, and read a leaf at a time (`dW1 = dparams["W1"]`)."""
    source = func if isinstance(func, SourceFunction) else read_function(func)
    fence.check(source)
    program = lower(source, has_aux, structures, wrt=wrt)
    leaves = [leaf for p in wrt for leaf in program.leaves.get(p, [p])]  # of nested parameters
    active = active_names(program, leaves)  # tangents only for values the parameters reach, that matter
    check_list_writes(program, active)
    namer = Namer(program.reserved)
    wanted = seeds or ["d" + p for p in wrt]
    seeds = {p: namer.fresh(n) for p, n in zip(wrt, wanted)}
    exact = None
    if shapes:
        exact = infer(program, shapes)
        exact.update({seeds[p]: exact[p] for p in wrt if p in exact})  # a tangent has its value's shape
    reads, leaf_seeds = _leaf_tangents(program, wrt, seeds, namer)
    tangents = forward(program, leaf_seeds, active, namer, exact)  # rules inlined in program order
    if reads:  # after the leaves' own reads (`W1 = params["W1"]`), which open the function
        statements = tangents.statements
        first = next((i for i, s in enumerate(statements) if not _assigns(s, leaf_seeds)), len(statements))
        statements[first:first] = reads
    generated = generate_forward(program, tangents, wrt, seeds, namer, select)  # DCE, inlining
    listings = {"anf": dump(program), "activity": _activity(program, leaves, active)} if stages else {}
    listings["final"] = generated.source
    return Build(source, program, generated, stages=listings)


def _leaf_tangents(program: Program, wrt: list[str], seeds: dict, namer: Namer):
    """The tangent of each leaf of a nested parameter, read off the parameter's tangent
    (`dW1 = dparams["W1"]`, named after the leaf), and the seeds of forward mode: a plain
    parameter's tangent, or a nested one's leaves'."""
    reads, leaf_seeds = [], {}
    for p in wrt:
        if p not in program.leaf_paths:
            leaf_seeds[p] = seeds[p]
            continue
        for path, leaf in program.leaf_paths[p].items():
            tangent = leaf_seeds[leaf] = namer.fresh("d" + leaf)
            access = name(seeds[p])
            for key in path:
                access = gast.Subscript(value=access, slice=const(key), ctx=gast.Load())
            reads.append(assign(tangent, access))
    return reads, leaf_seeds


def _assigns(stmt, names) -> bool:
    """Whether `stmt` assigns one of `names`."""
    return isinstance(stmt, gast.Assign) and getattr(stmt.targets[0], "id", None) in names


_TARGET = r"^\s*(\w+) = "  # compiled by `re` when a listing is asked for


def _activity(program: Program, leaves: list[str], active: set[str]) -> str:
    """The ANF listing with `# active` on each line whose result carries a gradient."""
    lines = [f"# with respect to: {', '.join(leaves)}", f"# active: {', '.join(sorted(active)) or '(none)'}"]
    for line in dump(program).splitlines():
        match = re.match(_TARGET, line)
        lines.append(f"{line}  # active" if match and match[1] in active else line)
    return "\n".join(lines)


def _raw_adjoint(statements: list, source: SourceFunction, indent: str = "") -> str:
    """The reverse pass as `reverse` made it: every statement, the block comments in place."""
    lines = []
    for stmt in statements:
        if isinstance(stmt, Comment):
            text = quoted(stmt.origin, source)
            lines += [] if text is None else [f"{indent}# grad of: {text}"]
        elif isinstance(stmt, (gast.If, gast.For, gast.While)) and _has_comment(stmt):
            # a block holding Comment markers: print its header, then its bodies the same way
            header = to_source(_emptied(stmt)).splitlines()[0]
            lines.append(indent + header)
            lines.append(_raw_adjoint(stmt.body, source, indent + "    ") or indent + "    pass")
            if stmt.orelse:
                lines.append(indent + "else:")
                lines.append(_raw_adjoint(stmt.orelse, source, indent + "    ") or indent + "    pass")
        else:
            lines += [indent + line for line in to_source(stmt).splitlines()]
    return "\n".join(lines)


def _has_comment(stmt) -> bool:
    """Whether a Comment marker is anywhere inside (to_source cannot print one)."""
    inner = [*getattr(stmt, "body", []), *getattr(stmt, "orelse", [])]
    return any(isinstance(s, Comment) or (isinstance(s, gast.stmt) and _has_comment(s)) for s in inner)


def _emptied(stmt):
    shell = copy.copy(stmt)
    shell.body, shell.orelse = [gast.Pass()], []
    return shell
