"""The whole transformation on one screen: user function in, gradient source out."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import fence
from .analyses.activity import active_names
from .codegen import Generated, generate
from .frontend import SourceFunction, read_function
from .ir import Program
from .naming import Namer
from .transformations.anf import dump, lower
from .transformations.reverse import reverse


@dataclass
class Build:
    source: SourceFunction
    program: Program
    generated: Generated
    stages: dict[str, str] = field(default_factory=dict)


def build(func, wrt: list[str], single: bool, has_aux: bool = False, structures=None) -> Build:
    # gast tree, file and line, free names resolved on demand; a SourceFunction read already
    source = func if isinstance(func, SourceFunction) else read_function(func)
    fence.check(source)  # reject unsupported constructs with the user's line
    program = lower(source, has_aux, structures)  # A-normal form: one operation per statement
    leaves = [leaf for p in wrt for leaf in program.leaves.get(p, [p])]  # of nested parameters
    active = active_names(program, leaves)  # varied and useful: only these get adjoints
    namer = Namer(program.reserved)
    adjoint = reverse(program, leaves, active, namer)  # rules inlined in reverse, simplified
    generated = generate(program, adjoint, wrt, single, namer)  # DCE, inlining, comments
    return Build(source, program, generated, stages={"anf": dump(program), "final": generated.source})
