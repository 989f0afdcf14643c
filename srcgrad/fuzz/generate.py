"""Random NumPy programs from srcgrad's supported subset, as a hypothesis strategy.

`programs()` draws a `Program`: a module with a main function of a few parameters (arrays and
Python floats, some differentiated, some data) returning a scalar, and helper functions it
calls. Every draw is a valid program by construction, so that nothing is thrown away:

- shapes: the generator knows the shape of every variable and only combines values whose
  shapes fit (broadcasting, matmul's inner dimension, concatenate's other axes, indices in
  range), so no program fails with a NumPy shape error;
- values: each variable carries an upper bound of its absolute value, derived from the bound of
  the inputs (`program.HIGH`) through each operation. An operand that would make a product, a
  power, an `exp` or a matmul grow past `SQUASH_ABOVE` is squashed first (`np.tanh`, ...), and
  every division is by a value kept away from zero (`1 + y * y`, `2 + np.cos(y)`). Loops get a
  budget: a loop-carried variable may not grow in an iteration, and an accumulator grows by at
  most `LOOP_BUDGET` per iteration. So values stay small and finite differences meaningful;
- aliasing: `acc += ...` changes an array in place, which would change every other name for
  the same array. In-place updates are therefore only ever made to accumulators, which the
  generator keeps private: no view of one (`acc.T`, `acc[0]`, `for row in acc`), no second name
  for one (`b = acc`) and no helper argument is ever made of one. (Aliased `+=` is a known
  srcgrad bug, `known.FEATURES["aliased_augassign"]`, generated only when that is allowed.)

Hypothesis shrinks a failing program by its draws: fewer statements, simpler operations (each
choice's first option is the simplest), smaller dimensions. Input values are not drawn here:
`Program.inputs(seed)` makes them from a NumPy generator, see `srcgrad.fuzz.program`.

What each program uses is in `program.features` (names such as "for_range", "helper",
"matmul", "reduction_axis"); `Config.exclude` removes operations or statement kinds by those
names or by their own names (the `_stmt_*` and table entries below).

Real programs (autograd's examples) use more than one function of arrays, and `NEW_FEATURES`
names what the generator draws for that, each a feature of its own:

- containers: parameters that are lists, tuples and dicts of arrays (a list of `(W, b)`
  tuples), read through literal keys and indices, loops (`for w in ws`, `enumerate`, `zip`,
  `range(len(ws))`, slices, `.values()`, `.items()`, keys), `list(d.values())[0]`, library calls
  (`np.stack(ws)`, `sum(ws)`, `np.concatenate((ws, vs))`), comprehensions, unpacking, and passed
  whole to a helper or inside a tuple. A `_Container` in the scope stands for one; its items all
  have one shape where loops may carry values through them (`x = np.tanh(x * w)`);
- lists the function builds (`parts = parts + [item]` in a loop), containers from then on;
- the module around the functions: data arrays and numbers at module level that functions read
  (and that helpers' parameters or locals shadow), functions imported by bare name
  (`from numpy import tanh`, `from scipy.special import logsumexp`: `Program.imports`), and the
  main function as a closure made by a factory (reading its names, defaults from it), with
  helpers that are closures too.

Programs that need a container's items to be alike keep them so; bounds are as above (module
data is in [-1, 1]). `Config.focus` makes named features at every chance (with what they need,
`FOCUS`), so that a test finds programs with one feature in a few draws; then no variable is left
unread (a statement that does not count cannot show a bug).
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field, replace

import numpy as np
from hypothesis import strategies as st

from . import known
from .program import HIGH, Param, Program

__all__ = ["Config", "DEFAULT_CONFIG", "IMPLIES", "KNOWN_BUGS", "MAY_BE_REFUSED", "NEW_FEATURES", "programs"]

# Python operator precedence, to parenthesize only where needed (the programs read like code
# people write, and srcgrad's parser sees the same shapes of trees it sees in real code).
ATOM, POW, UNARY, MUL, ADD, CMP, IFEXP = 100, 90, 80, 70, 60, 50, 10

MAX_NDIM = 3
MAX_SIDE = 8  # intermediate values; parameters have sides 1..PARAM_SIDE
PARAM_SIDE = 4
MAX_SIZE = 64
SQUASH_ABOVE = 3.0  # an operand of a growing operation bigger than this is squashed first
LOOP_BUDGET = 3.0  # the most one iteration adds to each of its loop's accumulators
MAX_DEPTH = 2  # nesting of compound statements (loops, branches), helpers' bodies included
MAX_HELPER_DEPTH = 2  # helpers calling helpers

# Features srcgrad gets wrong today, left out by default (see srcgrad.fuzz.known).
KNOWN_BUGS = known.FEATURES

# Features of real programs the fuzzer generates since srcgrad gave silently wrong gradients and
# crashed on them (autograd's examples): the campaign summary counts them per class.
NEW_FEATURES = (
    # parameters that are containers, and the ways a function reads them
    "list_param",
    "tuple_param",
    "nested_param",  # a list of (W, b) tuples
    "dict_uniform",  # a dict of arrays of one shape (its values can be looped over, stacked)
    "container_index",  # ws[0], layers[1][0], params["W"]
    "container_negative_index",  # ws[-1]
    "container_for",
    "container_enumerate",
    "container_zip",
    "container_zip_unequal",  # zip(ws, vs) with vs shorter
    "container_range_len",  # for i in range(len(ws)): ... ws[i]
    "container_slice",  # ws[1:]
    "container_unpack",  # W, b = wb
    "dict_values",
    "dict_items",
    "dict_keys",
    "list_of_values",  # list(d.values())[0]
    "container_library",  # np.stack(ws), np.concatenate(list(d.values()))
    "container_sum",  # sum(ws), sum(d.values()): the builtin over a list
    "container_comprehension",  # np.stack([f(w) for w in ws]), sum(f(w) for w in ws)
    "container_to_helper",
    "container_in_tuple",  # helper((ws,), x)
    "container_in_tuple_library",  # np.concatenate((ws, vs)), np.stack((ws,))
    # the module around the functions
    "module_data",  # a data array (or number) at module level that functions read
    "shadow_global",  # a helper's parameter or local has a module global's name
    "shadow_local",  # a helper's local has the name of the caller's parameter or local
    "bare_import",  # from numpy import tanh, exp
    "scipy_import",  # from scipy.special import logsumexp, expit, gammaln
    "bare_import_return",  # a helper returns a call of a function imported by bare name
    "bare_import_helper",  # a helper's other statements call one
    "closure_main",  # the main function made by a factory: `loss = make_loss(0.5)`
    "closure_default",  # def loss(x, y=alpha): a default from the factory
    "closure_default_shadow",  # def loss(x, alpha=alpha)
    "closure_helper",  # a helper in the factory that reads the factory's names
    # lists the function builds
    "list_build",  # parts = parts + [item] in a loop
    "list_build_stack",  # then np.stack(parts), sum(parts)
    "list_build_iter",  # then for p in parts, or a comprehension over it
    "list_build_index",  # then parts[0]
    "list_build_unpack",  # then h, = parts
    "list_build_concatenate",  # then np.concatenate(parts)
    "dict_values_list",  # list(d.values()) (stacked, indexed, ...), sum(d.values())
    "dict_in_tuple_library",  # np.concatenate((list(d.values()),))
    "dict_iter_direct",  # for k in d: ... d[k]
    "dict_iter",  # for v in d.values(), for k, v in d.items(), for k in d, [... for v in d.values()]
)

# What a feature of NEW_FEATURES needs made (with `Config.focus`): other features, statement
# kinds ("assign", "helper_call", "container_loop", ...) and expression kinds ("container",
# "imported", ...), each taken at every chance.
_LOOPS = {"list_param", "container_loop"}
_DICT_LOOPS = {"dict_uniform", "container_loop"}
_READS = {"list_param", "container", "assign"}
FOCUS: dict[str, set[str]] = {
    "list_param": {"container_param"},
    "tuple_param": {"container_param"},
    "nested_param": {"container_param"},
    "dict_uniform": {"container_param"},
    "container_index": _READS,
    "container_negative_index": _READS | {"container_index"},
    "container_for": _LOOPS,
    "container_enumerate": _LOOPS,
    "container_zip": _LOOPS,
    "container_zip_unequal": _LOOPS | {"container_zip"},
    "container_range_len": _LOOPS,
    "container_slice": _LOOPS,
    "container_unpack": {"tuple_param", "container_unpack"},
    "dict_values": _DICT_LOOPS,
    "dict_items": _DICT_LOOPS,
    "dict_keys": _DICT_LOOPS,
    "dict_iter": _DICT_LOOPS,
    "dict_iter_direct": _DICT_LOOPS | {"dict_keys", "dict_iter"},
    "dict_in_tuple_library": {"dict_uniform", "container", "assign", "container_in_tuple_library"},
    "list_of_values": {"dict_uniform", "container", "assign"},
    "dict_values_list": {"dict_uniform", "container", "assign"},
    "container_library": _READS,
    "container_sum": _READS,
    "container_comprehension": _READS,
    "container_in_tuple_library": _READS,
    "container_to_helper": {"list_param", "container_helper", "assign"},
    "container_in_tuple": {"list_param", "container_helper", "assign"},
    "shadow_global": {"module_data", "helper_call"},
    "shadow_local": {"helper_call"},
    "bare_import": {"imported", "assign"},
    "scipy_import": {"imported", "assign"},
    "bare_import_return": {"bare_import", "helper_expr"},
    "bare_import_helper": {"bare_import", "helper_call", "imported", "ifexp_stmt"},
    "closure_default": {"closure_main"},
    "closure_default_shadow": {"closure_main", "closure_default"},
    "closure_helper": {"closure_main", "helper_call"},
    "list_build_stack": {"list_build"},
    "list_build_iter": {"list_build"},
    "list_build_index": {"list_build"},
    "list_build_unpack": {"list_build", "container_unpack"},
    "list_build_concatenate": {"list_build"},
}


# Features that come only with another: a dict's values are read as a list or iterated, a default
# of the factory's name is a default from the factory.
IMPLIES: dict[str, tuple[str, ...]] = {
    "dict_values": ("dict_values_list", "dict_iter"),  # one of them
    "dict_items": ("dict_iter",),
    "dict_keys": ("dict_iter",),
    "list_of_values": ("dict_values_list",),
    "closure_default_shadow": ("closure_default",),
    "dict_iter_direct": ("dict_iter",),
    "dict_in_tuple_library": ("container_in_tuple_library",),
}


def _focus(names) -> frozenset[str]:
    """`names` with everything they need (FOCUS, transitively)."""
    todo, done = list(names), set()
    while todo:
        name = todo.pop()
        if name not in done:
            done.add(name)
            todo += FOCUS.get(name, ())
    return frozenset(done)


# Features srcgrad documents as not supported (docs/subset.md, "Not yet"): a program with one may
# be refused with a proper error; the tests accept that for these programs only.
MAY_BE_REFUSED = frozenset(
    {"container_sum", "container_in_tuple_library", "dict_in_tuple_library", "closure_helper"}
    | {"list_build_iter", "list_build_index", "list_build_unpack", "list_build_concatenate"}
)


@dataclass(frozen=True)
class Config:
    """What the generator may produce.

    `exclude` names features, statement kinds or operations to leave out (see the module
    docstring); by default the known srcgrad bugs. `focus` names features of NEW_FEATURES to
    make at every chance (with what they need, `FOCUS`): a test that wants programs with one
    feature then finds them in a few draws.
    """

    exclude: frozenset[str] = frozenset(KNOWN_BUGS)
    max_statements: int = 6
    max_params: int = 4
    focus: frozenset[str] = frozenset()

    def allows(self, *names: str) -> bool:
        return not any(name in self.exclude for name in names)


DEFAULT_CONFIG = Config()


def programs(config: Config = DEFAULT_CONFIG) -> st.SearchStrategy[Program]:
    """A hypothesis strategy of random programs (see the module docstring)."""
    return _programs(config)


@st.composite
def _programs(draw, config):
    return _Builder(draw, config).program()


@st.composite
def _span(draw, builder, method, *args):
    """Run `method` with its draws nested in one hypothesis draw. The shrinker sees where a
    statement's (or an expression's) choices begin and end, so it can drop or simplify the
    statement as a whole instead of stumbling over the draws of the ones after it."""
    outer = builder._draw
    builder._draw = draw
    try:
        return method(*args)
    finally:
        builder._draw = outer


# -- values and variables -----------------------------------------------------------------------


@dataclass(frozen=True)
class Expr:
    """An expression's source text, the shape and bound of its value.

    `alias` names the variable whose array the value may be (a view of): set for a bare name
    and propagated by views (`x.T`, `x[0]`, `x.reshape(...)`); None for a fresh array.
    """

    text: str
    shape: tuple[int, ...]
    bound: float
    prec: int = ATOM
    alias: str | None = None
    plain: bool = False  # made by an operation whose derivative rule does not read its result


@dataclass
class Var:
    name: str
    shape: tuple[int, ...]
    bound: float
    accumulator: bool = False  # private: the only name of its array, so `+=` is safe
    assignable: bool = True  # False for `params["W"]`
    dict_leaf: bool = False  # may be the array of a dict parameter's leaf (or a helper's parameter)
    plain: bool = True  # its value came from a `plain` expression (a loop may carry it)
    repeats: bool = False  # may hold equal elements by construction (broadcast, tile, zeros)


@dataclass(frozen=True)
class IntVar:
    """A loop index or counter: an int in [low, high)."""

    name: str
    low: int
    high: int


@dataclass
class _Loop:
    kind: str  # "for" or "while"
    trips: int  # at most this many iterations
    caps: dict[str, float]  # outer variable -> largest bound an iteration may leave in it
    budgets: dict[str, float]  # this loop's accumulators -> bound an iteration may still add
    body: _Scope | None = None
    names_at_exit: set[str] | None = None  # body names when the first break/continue came
    literal_tuple: tuple[str, ...] = ()  # `for w in (a, b):`, the names in the tuple
    iterables: tuple[str, ...] = ()  # `for row in x:`, `zip(x, y)`: the names iterated over
    exits: bool = True  # break/continue may leave it (not while it builds a list)


@dataclass
class _Scope:
    """Where statements go: the variables in reach, the enclosing loop, the output lines."""

    out: list[str]
    indent: int
    vars: dict[str, Var]
    ints: dict[str, IntVar] = field(default_factory=dict)
    depth: int = 0
    loop: _Loop | None = None
    fixed: frozenset[str] = frozenset()  # names whose shape must not change (outer names)
    helper_depth: int = 0
    last: str | None = None  # the variable assigned most recently
    in_loop: bool = False  # runs once per iteration of some loop (or comprehension)
    maybe_unbound: frozenset[str] = frozenset()  # assigned in only some arms of a branch
    conditional: bool = False  # an if arm, or a loop body after a break or continue
    assigned: set[str] = field(default_factory=set)  # names assigned in this block
    in_tuple_loop: bool = False  # inside a loop over a literal tuple
    hidden: frozenset[str] = frozenset()  # names in use that no statement may touch (loop levels)
    containers: dict[str, _Container] = field(default_factory=dict)  # dicts, lists, tuples in reach
    in_factory: bool = False  # inside the factory around the main function (closures may read it)
    shadow: frozenset[str] = frozenset()  # names of the caller's this helper may reuse for locals

    def emit(self, line: str) -> None:
        self.out.append("    " * self.indent + line)

    def child(self, *, loop: _Loop | None = None, indent: int | None = None) -> _Scope:
        """A nested block: copies of the variables, outer names fixed in shape."""
        return _Scope(
            out=self.out,
            indent=self.indent + 1 if indent is None else indent,
            vars={k: replace(v) for k, v in self.vars.items()},
            ints=dict(self.ints),
            depth=self.depth + 1,
            loop=loop if loop is not None else self.loop,
            fixed=self.fixed | frozenset(self.vars),
            helper_depth=self.helper_depth,
            last=self.last,
            in_loop=self.in_loop or loop is not None,
            maybe_unbound=self.maybe_unbound,
            in_tuple_loop=self.in_tuple_loop or (loop is not None and bool(loop.literal_tuple)),
            hidden=self.hidden,
            containers=dict(self.containers),
            in_factory=self.in_factory,
            shadow=self.shadow,
        )

    def cap(self, name: str) -> float:
        if self.loop is not None and name in self.loop.caps:
            return self.loop.caps[name]
        return math.inf

    def is_accumulator(self, name: str | None) -> bool:
        return name is not None and name in self.vars and self.vars[name].accumulator


@dataclass
class _Helper:
    name: str
    params: list[tuple[str, tuple[int, ...], float]]  # name, shape, largest bound it accepts
    keyword: tuple[str, float] | None  # a float parameter with a literal default
    in_loop: bool  # defined for a call in a loop: follows the rules of loop bodies
    returns: list[tuple[tuple[int, ...], float]]  # shape and bound of each returned value
    lines: list[str]
    container: bool = False  # takes a container (whole, or in a tuple): made for one call
    closure: bool = False  # defined in the factory around the main function, reading its names


@dataclass(frozen=True)
class _Container:
    """A dict, list or tuple of arrays in reach: a parameter (of the main function or of a
    helper) or a list the function built (`parts = parts + [item]`). `items` holds, for each
    key, the shape of the array there, or a tuple of shapes where the item is a tuple of arrays
    (`layers[i]` is `(W, b)`)."""

    name: str
    kind: str  # "dict", "list" or "tuple"
    keys: tuple  # strings for a dict, 0..n-1 for a list or a tuple
    items: tuple  # per key: a shape, or a tuple of shapes
    bound: float
    built: bool = False  # a list the function built in a loop

    @property
    def uniform(self) -> bool:
        """Every item alike, so a loop over the items may carry values through it."""
        return len(set(self.items)) == 1

    @property
    def pairs(self) -> bool:
        return _is_pair(self.items[0])

    def read(self, key) -> str:
        return f'{self.name}["{key}"]' if self.kind == "dict" else f"{self.name}[{key}]"

    def values(self) -> str:
        """The items as an iterable argument: `ws`, `list(d.values())`."""
        return f"list({self.name}.values())" if self.kind == "dict" else self.name


def _is_pair(item) -> bool:
    return bool(item) and isinstance(item[0], tuple)


@dataclass
class _Factory:
    """`def make(alpha): offset = ...; def loss(x, y=alpha): ...; return loss`, then
    `loss = make(0.5)`: the main function as a closure."""

    name: str
    args: list[tuple[str, str]]  # parameter, the literal it is called with
    lines: list[str]  # its body before the main function (locals the closure reads)
    vars: dict[str, Var]  # what the closure may read: parameters and locals
    defaults: list[str] = field(default_factory=list)  # "y=alpha" in the main signature


# -- shapes -------------------------------------------------------------------------------------


def _broadcast(*shapes):
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        return None


def _fits_into(shape, target) -> bool:
    """`x op= value` keeps x's shape: value broadcasts to exactly `target`."""
    return _broadcast(shape, target) == tuple(target)


def _shape_ok(shape) -> bool:
    return (
        shape is not None
        and len(shape) <= MAX_NDIM
        and all(1 <= s <= MAX_SIDE for s in shape)
        and math.prod(shape) <= MAX_SIZE
    )


def _matmul_shape(a, b):
    """The shape of `a @ b`, or None if they do not multiply; and the contracted length."""
    if not a or not b:
        return None, 0
    if len(a) == 1 and len(b) == 1:
        return ((), a[0]) if a[0] == b[0] else (None, 0)
    if len(a) == 1:
        return (b[:-2] + b[-1:], a[0]) if b[-2] == a[0] else (None, 0)
    if len(b) == 1:
        return (a[:-1], b[0]) if a[-1] == b[0] else (None, 0)
    if a[-1] != b[-2]:
        return None, 0
    batch = _broadcast(a[:-2], b[:-2])
    return (None, 0) if batch is None else (batch + (a[-2], b[-1]), a[-1])


def _tuple_text(items) -> str:
    items = list(items)
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(str(i) for i in items)})"


def _paren(e: Expr, need: int) -> str:
    return e.text if e.prec >= need else f"({e.text})"


def _literal(value: float) -> Expr:
    return Expr(repr(float(value)), (), abs(value), ATOM if value >= 0 else UNARY)


def _call(fn: str, *args: str, shape, bound, alias=None, plain=False) -> Expr:
    return Expr(f"{fn}({', '.join(args)})", tuple(shape), float(bound), ATOM, alias, plain)


# -- the builder --------------------------------------------------------------------------------

_NAMES = ["h", "z", "u", "v", "y", "out", "tmp", "r", "q", "e", "hidden", "act"]
# Names srcgrad's generated code uses for its own temporaries: a user may use them too.
_TRICKY_NAMES = ["add", "mul", "saved", "cond", "mask", "summed", "tanh", "shape_0", "ans", "g", "avg"]
_WRT_NAMES = ["x", "W", "b", "w", "theta", "V", "c"]
_DATA_NAMES = ["X", "Y", "data", "target", "bias_in"]
_INT_NAMES = ["t", "i", "k", "step", "j"]
_ROW_NAMES = ["row", "x_t", "item", "w_i", "r_t"]
_ACC_NAMES = ["acc", "total", "state", "carry", "running"]
_HELPER_NAMES = ["layer", "step_fn", "score", "mix", "squash", "cell", "blend"]
_HELPER_PARAMS = ["x", "w", "h", "a", "b", "z", "v"]
_RESERVED = {"np", "sum", "abs", "range", "len", "enumerate", "zip", "max", "min", "float", "SCALE"}
_RESERVED |= {"list", "dict", "tuple"}
_LIST_NAMES = ["ws", "layers", "vs", "blocks"]
_DICT_NAMES = ["coeffs", "weights", "theta_d"]
_TUPLE_NAMES = ["pair", "wb", "consts"]
_CONTAINER_PARAMS = ["ws", "items", "ps", "group"]  # a helper's container parameter
_ITEM_NAMES = ["w", "v", "p", "item", "layer_w"]  # loop targets over a container
_PAIR_NAMES = [("W", "b"), ("A", "c"), ("W_l", "b_l")]
_KEY_NAMES = ["k", "key", "name"]
_LIST_BUILT = ["parts", "outs", "items", "hs", "terms"]
_GLOBAL_NAMES = ["inputs", "targets", "centers", "grid", "offsets"]  # module-level data
_FACTORY_NAMES = ["make_loss", "make_model", "build", "factory"]
_FACTORY_PARAMS = ["alpha", "beta", "gain", "shift"]
_FACTORY_LOCALS = ["basis", "table", "w0"]
_DEFAULT_NAMES = ["y", "k", "eps", "off"]
# Functions imported by bare name: module -> names (see _x_imported)
_IMPORTABLE = {"numpy": ("tanh", "exp"), "scipy.special": ("logsumexp", "expit", "gammaln")}
_CONSTANTS = [0.5, 2.0, 1.5, 0.25, -1.0, 0.1, 3.0]


class _Builder:
    def __init__(self, draw, config: Config):
        self._draw = draw
        self.config = config
        self.features: set[str] = set()
        self.helpers: list[_Helper] = []
        self.module_names: set[str] = set()
        self.comprehension_names: set[str] = set()
        self.uses_constant = False
        self.imports: dict[str, list[str]] = {}  # module -> names imported from it
        self.imported: list[str] = []  # those names
        self.used_imports: set[str] = set()
        self.globals: dict[str, Var] = {}  # module-level data the functions read
        self.global_lines: list[str] = []
        self.factory: _Factory | None = None
        self.must_read: set[str] = set()  # globals a helper shadows: the main function reads them
        self.param_names: set[str] = set()  # the main function's
        self.main_locals: set[str] = set()
        self.helper_locals: set[str] = set()
        self.leaf_features: dict[str, str] = {}  # a leaf's text -> the feature it shows (if read)
        self.focus = _focus(config.focus)
        self.in_return = False  # drawing a helper's returned values

    # -- drawing ---------------------------------------------------------------------------

    def integer(self, low: int, high: int) -> int:
        return self._draw(st.integers(low, high))

    def flip(self) -> bool:
        """A coin; False is where shrinking goes, so True should add something."""
        return self._draw(st.booleans())

    def choose(self, options):
        options = list(options)
        return options[self.integer(0, len(options) - 1)]

    def allowed(self, options):
        return [o for o in options if self.config.allows(o)]

    def mark(self, *features: str) -> None:
        self.features.update(features)

    def wants(self, *names: str) -> bool:
        """Whether `Config.focus` asks for one of these (then a coin for them comes up True)."""
        return bool(self.focus.intersection(names))

    def prefer(self, options, names=lambda option: (option,)):
        """The options `Config.focus` asks for (by `names(option)`), or all if none."""
        options = list(options)
        return [o for o in options if self.wants(*names(o))] or options

    # -- names -----------------------------------------------------------------------------

    def _taken(self, scope: _Scope) -> set[str]:
        taken = set(scope.vars) | set(scope.ints) | scope.hidden | (self.module_names - scope.shadow)
        taken |= _RESERVED | set(scope.containers)
        if scope.in_loop and not self.config.allows("maybe_unbound_in_loop"):
            taken |= scope.maybe_unbound
        if not self.config.allows("comprehension_name_reuse"):
            taken |= self.comprehension_names
        return taken

    def fresh(self, scope: _Scope, pool=None) -> str:
        taken = self._taken(scope)
        if pool is None and scope.shadow - taken and self.integer(0, 2) == 2:
            pool = sorted(scope.shadow - taken)  # a name the caller (or another helper) uses
            self.mark("shadow_local")
        if pool is None:
            pool = list(_NAMES)
            if self.config.allows("tricky_name"):
                pool += _TRICKY_NAMES + [f"d{p}" for p in self.wrt_names]
        base = self.choose(pool)
        name, n = base, 2
        while name in taken:
            name, n = f"{base}{n}", n + 1
        if base in _TRICKY_NAMES or base.startswith("d") and base[1:] in self.wrt_names:
            self.mark("tricky_name")
        return name

    # -- the program -------------------------------------------------------------------------

    def program(self) -> Program:
        params, scope = self._parameters()
        self.module_names.add(self.main_name)
        self.block(scope, 1, self.config.max_statements)
        result = self._return(scope)
        scope.emit(f"return {result}")
        signature = ", ".join([p.name for p in params] + (self.factory.defaults if self.factory else []))
        main = [f"def {self.main_name}({signature}):", *scope.out]
        if self.factory is not None:
            main = self._factory_source(main)
        helpers = ["\n".join(h.lines) for h in self.helpers if not h.closure]
        code = "\n\n\n".join([*helpers, "\n".join(main)]) + "\n"
        header = (["SCALE = 0.7"] if self.uses_constant else []) + self.global_lines
        if self.uses_constant:
            self.mark("module_constant")
        if header:
            code = "\n".join(header) + "\n\n\n" + code
        for text, feature in self.leaf_features.items():
            if text in code:
                self.mark(feature)
        imports = []
        for module, names in self.imports.items():
            used = tuple(n for n in names if n in self.used_imports)
            if used:
                imports.append((module, used))
        return Program(self.main_name, tuple(params), code, frozenset(self.features), tuple(imports))

    def _factory_source(self, main: list[str]) -> list[str]:
        """The main function's lines (indented one level already) inside its factory."""
        f = self.factory
        lines = [f"def {f.name}({', '.join(a for a, _ in f.args)}):"]
        lines += ["    " + line for line in f.lines]
        for helper in self.helpers:
            if helper.closure:
                lines += ["    " + line for line in helper.lines] + [""]
        lines += ["    " + line for line in main]
        lines += [
            f"    return {self.main_name}",
            "",
            "",
            f"{self.main_name} = {f.name}({', '.join(v for _, v in f.args)})",
        ]
        return lines

    def _parameters(self):
        dims = {"m": self.integer(1, PARAM_SIDE), "n": self.integer(1, PARAM_SIDE), "k": self.integer(1, 3)}
        templates = [("n",), ("m", "n"), (), None, ("m",), ("n", "k"), ("k",), ("1", "n"), ("m", "1")]
        templates.append(("m", "n", "k"))
        count = self.integer(1, self.config.max_params)
        self.main_name = self.choose(["f", "loss", "model", "objective"])
        self.module_names.add(self.main_name)
        params, used = [], set()
        scope = _Scope(out=[], indent=1, vars={})
        self._module_level(dims, scope)
        if self.config.allows("dict_param") and self.integer(0, 5) == 5:
            m, n = dims["m"], dims["n"]
            leaves = ((("W",), (m, n)), (("b",), (n,)))
            params.append(Param("params", None, True, leaves, ("dict",)))
            used.add("params")
            for (key,), shape in leaves:
                text = f'params["{key}"]'
                scope.vars[text] = Var(text, shape, HIGH, assignable=False, dict_leaf=True)
            scope.containers["params"] = _Container("params", "dict", ("W", "b"), ((m, n), (n,)), HIGH)
            self.mark("dict_param")
        if self.config.allows("container_param") and (
            self.wants("container_param") or self.integer(0, 2) == 2
        ):
            for _ in range(self.integer(1, 2)):
                self._container_param(dims, params, used, scope)
        for i in range(count):
            template = self.choose(templates)
            wrt = (not params or bool(self.focus)) if i == 0 else self.flip()
            if template is None and not self.config.allows("float_param"):
                template = ()
            pool = [n for n in (_WRT_NAMES if wrt else _DATA_NAMES) if n not in used]
            name = self.choose(pool)
            used.add(name)
            if template is None:
                shape = None
                self.mark("float_param")
            else:
                shape = tuple(int(d) if d.isdigit() else dims[d] for d in template)
            params.append(Param(name, shape, wrt))
            scope.vars[name] = Var(name, () if shape is None else shape, HIGH)
            if not wrt:
                self.mark("data_param")
        self.wrt_names = [p.name for p in params if p.wrt]
        self.module_names.update(used)
        self.param_names = set(used)
        if self.factory is not None:
            self._closure_defaults(scope)
        return params, scope

    def _return(self, scope: _Scope) -> str:
        terms = []
        if scope.last is not None and scope.last in scope.vars:
            terms.append(self._scalar_term(self._leaf_of(scope.vars[scope.last])))
        for _ in range(self.integer(0 if terms else 1, 2)):
            terms.append(self._scalar_term(self.expr(scope, 1)))
        for name in sorted(self.must_read):  # a global some helper's local shadows: read it here
            if name in scope.vars and not re.search(rf"\b{name}\b", "\n".join(scope.out + terms)):
                terms.append(self._scalar_term(self._x_binary(scope, 1, self._leaf_of(scope.vars[name]))))
        text = terms[0]
        for term in terms[1:]:
            op = self.choose(["+", "-", "+ 0.5 *"])
            text = f"{text} {op} {term}"
        for name in self._unread(scope, [text]):  # with a focus: no dead code (a bug may be in it)
            text = f"{text} + np.mean({name})"
        return text

    def _unread(self, scope: _Scope, texts) -> list[str]:
        """With `Config.focus`, the variables this function assigned and nothing read after; else
        none. (The program's value then depends on every statement.)"""
        if not self.focus:
            return []
        unread = []
        for name in sorted(scope.assigned):
            if name not in scope.vars or "[" in name:
                continue
            after = [line for line in scope.out if not re.match(rf"\s*{re.escape(name)}\b[^=]*=[^=]", line)]
            if not re.search(rf"\b{re.escape(name)}\b", "\n".join(after + list(texts))):
                unread.append(name)
        return unread

    def _scalar_term(self, e: Expr) -> str:
        form = self.choose(["sum", "mean", "bare", "square"])
        if form == "bare" and e.shape == ():
            return _paren(e, ADD + 1)
        if form == "square":
            return f"np.sum({_paren(e, POW + 1)} ** 2)"
        return f"np.{'mean' if form == 'mean' else 'sum'}({e.text})"

    # -- statements --------------------------------------------------------------------------

    STATEMENTS = [
        "assign",
        "reassign",
        "accumulate",
        "unpack",
        "multi_target",
        "ifexp_stmt",
        "if_else",
        "for_loop",
        "while_loop",
        "helper_call",
        "break_if",
        "continue_if",
        "aliased_augassign",
    ]

    def block(self, scope: _Scope, low: int, high: int) -> None:
        for _ in range(self.integer(low, high)):
            self.statement(scope)

    def statement(self, scope: _Scope) -> None:
        self._draw(_span(self, self._statement, scope))

    def _statement(self, scope: _Scope) -> None:
        kinds = self.allowed(self.STATEMENTS)
        if any(c.uniform for c in scope.containers.values()):
            kinds += self.allowed(["container_loop"]) * 3  # its many forms: a chance for each
        if any(c.kind != "dict" for c in scope.containers.values()):
            kinds += self.allowed(["container_unpack"])
        kinds += self.allowed(["list_build"])
        kinds = self.prefer(kinds)
        for _ in range(3):
            kind = self.choose(kinds)
            if getattr(self, f"_stmt_{kind}")(scope):
                return
        self._stmt_assign(scope)

    def prepare(self, scope: _Scope, name: str, e: Expr) -> Expr | None:
        """`e` made fit to be assigned to `name`, or None if the rules forbid it.

        An outer name keeps its shape in a loop or branch; in a loop its bound may not grow
        (squashed if it would); an accumulator never becomes a second name of an array, nor an
        array a second name of one.
        """
        old = scope.vars.get(name)
        if old is not None and not old.assignable:
            return None
        if (
            old is not None
            and old.dict_leaf
            and scope.in_loop
            and not self.config.allows("dict_leaf_rebind_in_loop")
        ):
            return None
        carried = old is not None and scope.loop is not None and name in scope.loop.caps
        if carried and not old.plain and not self.config.allows("carry_result"):
            return None
        if old is not None and name in scope.fixed and e.shape != old.shape:
            return None
        if scope.is_accumulator(e.alias) or (old is not None and old.accumulator and e.alias is not None):
            e = _call("np.copy", e.text, shape=e.shape, bound=e.bound)
        # `h = x` (or `h = x if c else y`) right after x was assigned in this if arm
        if scope.conditional and not self.config.allows("alias_in_branch"):
            names = {e.text} if e.alias == e.text else set()
            if e.prec == IFEXP:
                names = set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", e.text))
            if names & scope.assigned:
                e = _call("np.copy", e.text, shape=e.shape, bound=e.bound, plain=True)
        if e.bound > scope.cap(name):
            e = self.squash(e)
        return e

    def record(self, scope: _Scope, name: str, e: Expr, accumulator: bool = False) -> None:
        old = scope.vars.get(name)
        if old is not None:
            self.mark("reassign")
            accumulator = accumulator or old.accumulator
        source = scope.vars.get(e.alias) if e.alias else None
        dict_leaf = e.alias == "?" or (source is not None and (source.dict_leaf or not source.assignable))
        plain = e.plain or e.alias is not None or accumulator
        var = Var(name, e.shape, e.bound, accumulator=accumulator, dict_leaf=dict_leaf, plain=plain)
        var.repeats = self.repeats(scope, e.text)
        scope.vars[name] = var
        scope.assigned.add(name)
        scope.last = name
        (self.helper_locals if scope.helper_depth else self.main_locals).add(name)

    REPEATING = ("np.zeros", "np.ones", "np.full", "broadcast_to", "np.tile", "np.repeat", "np.take", "[[")
    REPEATING += (
        "np.stack",
        "np.concatenate",
        "np.hstack",
        "np.vstack",
        "np.pad",
        "np.diag",
        "np.tri",
        "None",
    )

    def repeats(self, scope: _Scope, text: str) -> bool:
        """Whether a value with this source may hold equal elements by construction: over-
        approximated from the text (a repeating operation, or a variable that may repeat)."""
        if any(token in text for token in self.REPEATING):
            return True
        words = set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", text))
        return any(v.repeats for name, v in scope.vars.items() if name in words)

    def _stmt_assign(self, scope):
        name = self.fresh(scope)
        e = self.prepare(scope, name, self.expr(scope, 2))
        scope.emit(f"{name} = {e.text}")
        self.record(scope, name, e)
        return True

    def _stmt_reassign(self, scope):
        names = [v.name for v in scope.vars.values() if v.assignable and not v.accumulator]
        if not names:
            return False
        var = scope.vars[self.choose(names)]
        x = self._leaf_of(var)
        if var.name in scope.fixed:
            e = self.expr_with_shape(scope, var.shape, first=x)
        else:
            e = self.apply(scope, x, 1)
        e = self.prepare(scope, var.name, e)
        if e is None:
            return False
        scope.emit(f"{var.name} = {e.text}")
        self.record(scope, var.name, e)
        return True

    def _accumulators(self, scope):
        """Accumulators an update may grow here: a loop's own, or any outside loops."""
        if scope.loop is None:
            return [v for v in scope.vars.values() if v.accumulator]
        return [scope.vars[n] for n, left in scope.loop.budgets.items() if left >= 1.0 and n in scope.vars]

    def _stmt_accumulate(self, scope):
        accs = self._accumulators(scope)
        if not accs:
            return self._stmt_declare_accumulator(scope)
        acc = self.choose(accs)
        term = self.fit(scope, self.expr(scope, 2), acc.shape)
        budget = scope.loop.budgets[acc.name] if scope.loop is not None else math.inf
        if term.bound > min(budget, SQUASH_ABOVE * 4):
            term = self.squash(term)
        form = self.choose(["+=", "= +", "-=", "= -", "*=", "= + swapped"])
        if form == "*=":
            term = self.squash(term) if term.bound > 1.0 else term
            scope.emit(f"{acc.name} *= {term.text}")
            grown = acc.bound
        elif form in ("+=", "-="):
            scope.emit(f"{acc.name} {form} {term.text}")
            grown = acc.bound + term.bound
        elif form == "= + swapped":
            scope.emit(f"{acc.name} = {_paren(term, ADD)} + {acc.name}")
            grown = acc.bound + term.bound
        else:
            scope.emit(f"{acc.name} = {acc.name} {form[-1]} {_paren(term, ADD + 1)}")
            grown = acc.bound + term.bound
        self.mark("augassign" if form[-1] == "=" else "accumulate")
        if scope.loop is not None:
            scope.loop.budgets[acc.name] -= term.bound if form != "*=" else 0.0
            self.mark("loop_accumulate")
        else:
            acc.bound = grown
        scope.last = acc.name
        return True

    def _stmt_declare_accumulator(self, scope) -> Var:
        """`acc = <fresh value>`: a private array (or float) that `+=` may update in place."""
        name = self.fresh(scope, _ACC_NAMES)
        arrays = [v for v in scope.vars.values() if v.shape]
        form = self.choose(["zero", "zeros", "zeros_like", "scaled", "ones_like"])
        if form == "zero" or not arrays:
            e = _literal(0.0)
        else:
            like = self.choose(arrays)
            if form == "zeros":
                shape_text = _tuple_text(like.shape) if self.flip() else f"{like.name}.shape"
                e = _call("np.zeros", shape_text, shape=like.shape, bound=0.0)
            elif form == "zeros_like":
                e = _call("np.zeros_like", like.name, shape=like.shape, bound=0.0)
            elif form == "ones_like":
                e = _call("np.ones_like", like.name, shape=like.shape, bound=1.0)
            else:
                e = Expr(f"{_paren(self._leaf_of(like), MUL)} * 0.5", like.shape, like.bound / 2, MUL)
        scope.emit(f"{name} = {e.text}")
        scope.vars[name] = Var(name, e.shape, e.bound, accumulator=True, repeats=True)
        return scope.vars[name]

    def _stmt_aliased_augassign(self, scope):
        """Known bug: a second name for an array, then `+=` on the first (NumPy changes both)."""
        acc = self._stmt_declare_accumulator(scope)
        alias = self.fresh(scope)
        scope.emit(f"{alias} = {acc.name}")
        term = self.squash(self.fit(scope, self.expr(scope, 1), acc.shape))
        scope.emit(f"{acc.name} += {term.text}")
        scope.vars[alias] = Var(alias, acc.shape, acc.bound + term.bound)
        acc.bound += term.bound
        acc.accumulator = False  # it has a second name now
        scope.last = alias
        self.mark("aliased_augassign")
        return True

    def _stmt_unpack(self, scope):
        first, second = self.fresh(scope), None
        taken = {first}
        swappable = [
            (a, b)
            for a in scope.vars.values()
            for b in scope.vars.values()
            if a.name < b.name and a.shape == b.shape and a.assignable and b.assignable
            if not (a.accumulator or b.accumulator)
        ]
        if scope.in_loop and not self.config.allows("swap_in_loop"):
            swappable = []
        if swappable and self.flip():
            a, b = self.choose(swappable)
            ea = self.prepare(scope, a.name, self._leaf_of(b))
            eb = self.prepare(scope, b.name, self._leaf_of(a))
            if ea is None or eb is None:
                return False
            scope.emit(f"{a.name}, {b.name} = {ea.text}, {eb.text}")
            self.record(scope, a.name, ea)
            self.record(scope, b.name, eb)
            self.mark("tuple_unpack", "swap", *(["swap_in_loop"] if scope.in_loop else []))
            return True
        second = self.fresh(replace(scope, vars={**scope.vars, **{n: None for n in taken}}))
        e1 = self.prepare(scope, first, self.expr(scope, 1))
        e2 = self.prepare(scope, second, self.expr(scope, 1))
        scope.emit(f"{first}, {second} = {_paren(e1, IFEXP + 1)}, {_paren(e2, IFEXP + 1)}")
        self.record(scope, first, e1)
        self.record(scope, second, e2)
        self.mark("tuple_unpack")
        return True

    def _stmt_multi_target(self, scope):
        first = self.fresh(scope)
        second = self.fresh(replace(scope, vars={**scope.vars, first: None}))
        e = self.prepare(scope, first, self.expr(scope, 2))
        scope.emit(f"{first} = {second} = {e.text}")
        self.record(scope, second, replace(e, alias=None))
        self.record(scope, first, replace(e, alias=None))
        self.mark("multi_target")
        return True

    def branch_ok(self, scope: _Scope) -> bool:
        """Branches may be generated here (see known bug "branch_in_loop")."""
        return not scope.in_loop or self.config.allows("branch_in_loop")

    def _stmt_ifexp_stmt(self, scope):
        if not self.branch_ok(scope):
            return False
        e = self._x_ifexp(scope, 1)
        name = self.fresh(scope)
        e = self.prepare(scope, name, e)
        scope.emit(f"{name} = {e.text}")
        self.record(scope, name, e)
        return True

    def _stmt_if_else(self, scope):
        if scope.depth >= MAX_DEPTH or not self.branch_ok(scope):
            return False
        cond = self.condition(scope)
        joined = self.fresh(scope) if self.flip() else None
        branches, join_shape = [], None
        arms = ["if"] + (["elif"] if self.flip() else []) + (["else"] if self.flip() else [])
        for arm in arms:
            if arm == "if":
                scope.emit(f"if {cond}:")
            elif arm == "elif":
                scope.emit(f"elif {self.condition(scope)}:")
                self.mark("elif")
            else:
                scope.emit("else:")
            body = scope.child()
            body.conditional = True
            self.block(body, 0 if joined else 1, 2)
            if joined is not None:
                if join_shape is None:
                    e = self.expr(body, 1)
                    join_shape = e.shape
                else:
                    e = self.expr_with_shape(body, join_shape, depth=1)
                e = self.prepare(body, joined, e)
                body.emit(f"{joined} = {e.text}")
                self.record(body, joined, e)
                body.last = joined
            branches.append(body)
        if "else" not in arms:
            branches.append(scope.child())  # the path that runs no branch
        self._merge(scope, branches)
        self.mark("if_else", *(["branch_in_loop"] if scope.in_loop else []))
        return True

    def _merge(self, scope: _Scope, branches: list[_Scope]) -> None:
        """The variables after a branch: those every path defines, with the same shape."""
        merged = {}
        for name in branches[0].vars:
            versions = [b.vars.get(name) for b in branches]
            if any(v is None for v in versions) or len({v.shape for v in versions}) != 1:
                continue
            merged[name] = Var(
                name,
                versions[0].shape,
                max(v.bound for v in versions),
                accumulator=all(v.accumulator for v in versions),
                assignable=versions[0].assignable,
                dict_leaf=any(v.dict_leaf for v in versions),
                plain=all(v.plain for v in versions),
                repeats=any(v.repeats for v in versions),
            )
        dropped = {name for b in branches for name in b.vars if name not in merged}
        for b in branches:
            scope.assigned |= b.assigned
        scope.maybe_unbound = scope.maybe_unbound | dropped
        scope.vars = merged
        lasts = {b.last for b in branches}
        scope.last = branches[0].last if len(lasts) == 1 and branches[0].last in merged else scope.last
        if scope.last not in merged:
            scope.last = None

    def _enter_loop(self, scope: _Scope, kind: str, trips: int) -> tuple[_Loop, _Scope]:
        """Set up a loop's body: outer values may not grow, accumulators get their budget."""
        loop = _Loop(kind, trips, caps={}, budgets={})
        accs = []
        if self.flip() and self.config.allows("loop_accumulate"):
            accs.append(self._stmt_declare_accumulator(scope))
        return loop, accs

    def _loop_body(
        self, scope: _Scope, loop: _Loop, accs, targets: dict, ints: dict, header: str, first=None
    ):
        scope.emit(header)
        body = scope.child(loop=loop)
        for var in body.vars.values():
            var.bound = max(var.bound, 1.0)
            loop.caps[var.name] = var.bound
        for acc in accs:
            grown = acc.bound + loop.trips * LOOP_BUDGET
            body.vars[acc.name].bound = grown
            loop.caps[acc.name] = grown
            loop.budgets[acc.name] = LOOP_BUDGET
        body.vars.update(targets)
        body.ints.update(ints)
        if scope.in_loop and not self.config.allows("rebind_nested_iterable"):
            for name in loop.iterables:
                if name in body.vars:
                    body.vars[name].assignable = False
        if not self.config.allows("tuple_loop_rebind"):
            for name in loop.literal_tuple:  # Python iterates the tuple built before the loop
                if name in body.vars:
                    body.vars[name].assignable = False
        loop.body = body
        if scope.loop is not None:
            self.mark("nested_loop")
        if first is not None and first(body):  # the body's first statement
            self.block(body, 0, 2)
        else:
            self.block(body, 1, 3)
        for acc in accs:  # every declared accumulator gets its update
            if loop.budgets[acc.name] >= 1.0:
                saved = loop.budgets
                loop.budgets = {acc.name: saved[acc.name]}
                self._stmt_accumulate(body)
                loop.budgets = saved | loop.budgets
        return body

    def _leave_loop(self, scope: _Scope, loop: _Loop, body: _Scope):
        """The variables after a loop: all the body's, except those first assigned after a
        `break` or `continue` (an early exit may have skipped them)."""
        keep = loop.names_at_exit if loop.names_at_exit is not None else set(body.vars)
        scope.vars = {k: v for k, v in body.vars.items() if k in keep}
        scope.assigned |= body.assigned
        scope.maybe_unbound = scope.maybe_unbound | body.maybe_unbound | (set(body.vars) - keep)
        if any(name not in loop.caps for name in scope.vars):
            self.mark("var_after_loop")
        scope.last = body.last if body.last in scope.vars else None

    def loop_ok(self, scope: _Scope) -> bool:
        """Loops may be generated here (see known bug "loop_in_tuple_loop")."""
        return scope.depth < MAX_DEPTH and (
            not scope.in_tuple_loop or self.config.allows("loop_in_tuple_loop")
        )

    def _stmt_for_loop(self, scope):
        if not self.loop_ok(scope):
            return False
        header = self._for_header(scope)
        if header is None:
            return False
        text, trips, targets, ints, feature = header
        self.mark(feature)
        loop, accs = self._enter_loop(scope, "for", trips)
        if feature == "for_tuple":
            loop.literal_tuple = tuple(text[text.index("(") + 1 : text.rindex(")")].split(", "))
        elif feature in ("for_rows", "for_enumerate", "for_zip"):
            inside = text[text.index(" in ") + 4 : -1]
            loop.iterables = tuple(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", inside))
        body = self._loop_body(scope, loop, accs, targets, ints, text)
        assignable = {name: var.assignable for name, var in scope.vars.items()}
        self._leave_loop(scope, loop, body)
        for name, var in scope.vars.items():  # undo what _loop_body froze for the loop
            var.assignable = assignable.get(name, var.assignable)
        if targets and any(name in scope.vars for name in targets):
            if self.config.allows("target_after_loop"):
                self.mark("target_after_loop")
            else:
                scope.vars = {k: v for k, v in scope.vars.items() if k not in targets}
                scope.last = scope.last if scope.last in scope.vars else None
        return True

    def _for_header(self, scope):
        """`for ... in ...:` with the loop's trip count and what it binds."""
        arrays = [
            v for v in scope.vars.values() if v.shape and not v.accumulator and 1 <= v.shape[0] <= PARAM_SIDE
        ]
        kinds = ["range", "range_start", "range_step", "range_reversed"]
        same = [(a, b) for a in scope.vars.values() for b in scope.vars.values() if a.name < b.name]
        same = [(a, b) for a, b in same if a.shape == b.shape and not (a.accumulator or b.accumulator)]
        # a family first, then a kind in it: a flat list would make the last kinds rare
        if arrays and self.flip():
            kinds = ["range_shape", "range_len", "rows", "enumerate", "zip"] + ["tuple"] * bool(same)
        kind = self.choose(self.allowed(kinds) or ["range"])
        index = self.fresh(scope, _INT_NAMES)
        if kind == "range":
            n = self.integer(1, 4)
            return f"for {index} in range({n}):", n, {}, {index: IntVar(index, 0, n)}, "for_range"
        if kind == "range_start":
            a = self.integer(1, 2)
            b = a + self.integer(1, 3)
            return f"for {index} in range({a}, {b}):", b - a, {}, {index: IntVar(index, a, b)}, "for_range"
        if kind == "range_step":
            n = self.integer(2, 6)
            counted = {index: IntVar(index, 0, n)}
            return f"for {index} in range(0, {n}, 2):", (n + 1) // 2, {}, counted, "for_range"
        if kind == "range_reversed":
            n = self.integer(1, 4)
            text = f"for {index} in range({n - 1}, -1, -1):"
            return text, n, {}, {index: IntVar(index, 0, n)}, "for_range"
        if kind == "tuple":
            a, b = self.choose(same)
            items = [a.name, b.name] + ([a.name] if self.flip() else [])
            row = self.fresh(scope, _ROW_NAMES)
            text = f"for {row} in ({', '.join(items)}):"
            leaf = a.dict_leaf or b.dict_leaf or not (a.assignable and b.assignable)
            target = Var(row, a.shape, max(a.bound, b.bound), dict_leaf=leaf)
            return text, len(items), {row: target}, {}, "for_tuple"
        x = self.choose(arrays)
        n = x.shape[0]
        counted = {index: IntVar(index, 0, n)}
        if kind == "range_shape":
            return f"for {index} in range({x.name}.shape[0]):", n, {}, counted, "for_range"
        if kind == "range_len":
            return f"for {index} in range(len({x.name})):", n, {}, counted, "for_range"
        row = self.fresh(replace(scope, ints={**scope.ints, index: None}), _ROW_NAMES)
        row_var = Var(row, x.shape[1:], x.bound, dict_leaf=x.dict_leaf or not x.assignable)
        if kind == "rows":
            return f"for {row} in {x.name}:", n, {row: row_var}, {}, "for_rows"
        if kind == "enumerate":
            text = f"for {index}, {row} in enumerate({x.name}):"
            return text, n, {row: row_var}, {index: IntVar(index, 0, n)}, "for_enumerate"
        if kind == "zip":
            partners = [a for a in arrays if a.name != x.name] or [x]
            y = self.choose(partners)
            taken = replace(scope, vars={**scope.vars, row: None}, ints={**scope.ints, index: None})
            other = self.fresh(taken)
            trips = min(n, y.shape[0])
            other_var = Var(other, y.shape[1:], y.bound, dict_leaf=y.dict_leaf or not y.assignable)
            targets = {row: row_var, other: other_var}
            return f"for {row}, {other} in zip({x.name}, {y.name}):", trips, targets, {}, "for_zip"

    def _stmt_while_loop(self, scope):
        if not self.loop_ok(scope):
            return False
        if self.config.allows("while_data") and self.integer(0, 2) == 2:
            return self._while_data(scope)
        counter = self.fresh(scope, ["i", "n_iter", "count", "it"])
        n = self.integer(1, 4)
        loop, accs = self._enter_loop(scope, "while", n)
        scope.emit(f"{counter} = 0")
        limit = str(n)
        arrays = [v for v in scope.vars.values() if v.shape and v.shape[0] == n and self.flip()]
        if arrays:
            limit = f"{arrays[0].name}.shape[0]"
        header = f"while {counter} < {limit}:"
        body = self._loop_body(scope, loop, accs, {}, {counter: IntVar(counter, 0, n)}, header)
        body.emit(f"{counter} {'+= 1' if self.flip() else f'= {counter} + 1'}")
        self._leave_loop(scope, loop, body)
        self.mark("while_counter")
        return True

    def _while_data(self, scope):
        """A while loop whose trip count depends on the data: 2 to 4 iterations."""
        level = self.fresh(scope, ["s", "level", "progress"])
        loop, accs = self._enter_loop(scope, "while", 4)
        scope.emit(f"{level} = 0.0")
        scope.hidden = scope.hidden | {level}  # the body's loops must not reuse the name
        body = self._loop_body(scope, loop, accs, {}, {}, f"while {level} < 2.0:")
        x = self.leaf(body)
        body.emit(f"{level} = {level} + 0.75 + 0.25 * np.tanh(np.sum({x.text}))")
        self._leave_loop(scope, loop, body)
        self.mark("while_data", "nonsmooth")
        return True

    def _loop_exit(self, scope, word):
        loop = scope.loop
        if loop is None or loop.body is not scope or not loop.exits:
            return False
        if word == "continue" and loop.kind != "for":
            return False  # a counter after it would be skipped: an endless loop
        if loop.literal_tuple and not self.config.allows("exit_in_tuple_loop"):
            return False
        scope.emit(f"if {self.condition(scope)}:")
        scope.emit(f"    {word}")
        if loop.names_at_exit is None:
            loop.names_at_exit = set(scope.vars)
        # after the loop, each name holds what it held at the exit or at the end of the body
        scope.fixed = scope.fixed | frozenset(scope.vars)
        scope.conditional = True  # what follows runs only when the exit was not taken
        scope.assigned = set()
        self.mark(word)
        return True

    def _stmt_break_if(self, scope):
        return self._loop_exit(scope, "break")

    def _stmt_continue_if(self, scope):
        return self._loop_exit(scope, "continue")

    # -- the module around the main function ---------------------------------------------------

    def _module_level(self, dims, scope: _Scope) -> None:
        """What the module holds besides functions: bare-name imports, data arrays the
        functions read as globals, and the factory whose closure the main function may be."""
        for module, names in _IMPORTABLE.items():
            feature = "bare_import" if module == "numpy" else "scipy_import"
            if self.config.allows(feature) and (self.wants(feature) or self.integer(0, 3) == 3):
                chosen = [n for n in names if self.flip()] or [names[0]]
                self.imports[module] = chosen
                self.imported += chosen
        self.module_names.update(self.imported)
        if self.config.allows("module_data") and (self.wants("module_data") or self.integer(0, 3) == 3):
            for _ in range(self.integer(1, 2)):
                name = self.fresh(scope, _GLOBAL_NAMES)
                shape = self.choose([(dims["n"],), (dims["m"], dims["n"]), (), (dims["m"],)])
                if shape == ():
                    value = self.choose([0.3, -0.6, 1.2])
                    self.global_lines.append(f"{name} = {value!r}")
                    bound = abs(value)
                else:
                    self.global_lines.append(f"{name} = {self._data_text(shape, '')}")
                    bound = 1.0
                self.module_names.add(name)
                self.globals[name] = Var(name, shape, bound, assignable=False)
                scope.vars[name] = replace(self.globals[name])
            self.mark("module_data")
        if self.config.allows("closure_main") and (self.wants("closure_main") or self.integer(0, 4) == 4):
            self._factory(dims, scope)

    def _data_text(self, shape, factor: str) -> str:
        """Fixed data in [-1, 1] of `shape`, away from ties: `np.cos(np.arange(1.0, 7.0))`."""
        size = math.prod(shape)
        text = f"np.cos({factor}np.arange(1.0, {size + 1}.0))"
        return text if len(shape) == 1 else f"{text}.reshape({', '.join(map(str, shape))})"

    def _factory(self, dims, scope: _Scope) -> None:
        name = self.fresh(scope, _FACTORY_NAMES)
        self.module_names.add(name)
        factory = _Factory(name, [], [], {})
        for _ in range(self.integer(1, 2)):
            param = self.fresh(scope, _FACTORY_PARAMS)
            value = self.choose([0.5, -1.0, 1.5, 0.25, 2.0])
            factory.args.append((param, repr(value)))
            factory.vars[param] = Var(param, (), abs(value), assignable=False)
            self.module_names.add(param)
        if self.flip():  # a local of the factory that the closure reads
            local = self.fresh(scope, _FACTORY_LOCALS)
            shape = self.choose([(dims["n"],), (dims["m"], dims["n"])])
            factory.lines.append(f"{local} = {self._data_text(shape, factory.args[0][0] + ' * ')}")
            factory.vars[local] = Var(local, shape, 1.0, assignable=False)
            self.module_names.add(local)
        for var in factory.vars.values():
            scope.vars[var.name] = replace(var)
        scope.in_factory = True
        self.factory = factory
        self.mark("closure_main")

    def _closure_defaults(self, scope: _Scope) -> None:
        """`def loss(x, y=alpha)`: parameters with defaults from the factory (not passed)."""
        if not self.config.allows("closure_default") or not (self.wants("closure_default") or self.flip()):
            return
        source = self.choose(sorted(self.factory.vars))
        same = self.config.allows("closure_default_shadow")
        same = same and (self.wants("closure_default_shadow") or self.flip())
        name = source if same else self.fresh(scope, _DEFAULT_NAMES)
        self.factory.defaults.append(f"{name}={source}")
        scope.vars[name] = replace(self.factory.vars[source], name=name)
        self.module_names.add(name)
        self.param_names.add(name)
        self.mark("closure_default", *(["closure_default_shadow"] if same else []))

    # -- containers --------------------------------------------------------------------------

    def _container_param(self, dims, params: list, used: set, scope: _Scope) -> None:
        """A list, tuple or dict parameter (a list of (W, b) tuples for "nested_param")."""
        kinds = self.allowed(["list_param", "tuple_param", "nested_param", "dict_uniform"])
        if not kinds:
            return
        kind = self.choose(self.prefer(kinds))
        n = self.integer(2, 3)
        shape = self.choose([(dims["n"],), (dims["m"], dims["n"]), (dims["k"],), ()])
        if kind == "list_param":
            pool, ckind, keys, items = _LIST_NAMES, "list", tuple(range(n)), (shape,) * n
        elif kind == "tuple_param":
            pool, ckind, keys = _TUPLE_NAMES, "tuple", tuple(range(n))
            items = (shape,) * n
            if self.flip():  # (W, b)
                items, keys = ((dims["m"], dims["n"]), (dims["n"],)), (0, 1)
        elif kind == "nested_param":
            d = dims["n"]
            pool, ckind, keys, items = _LIST_NAMES, "list", tuple(range(n)), (((d, d), (d,)),) * n
        else:
            pool, ckind = _DICT_NAMES, "dict"
            keys = self.choose([("a", "b", "c"), ("w1", "w2", "w3")])[:n]
            items = (shape,) * n
        name = self.choose([p for p in pool if p not in used])
        used.add(name)
        wrt = not params or self.wants("container_param") or self.flip()
        if _is_pair(items[0]):
            leaves = tuple(((key, j), s) for key, item in zip(keys, items) for j, s in enumerate(item))
            kinds_ = (ckind, "tuple")
        else:
            leaves = tuple(((key,), s) for key, s in zip(keys, items))
            kinds_ = (ckind,)
        params.append(Param(name, None, wrt, leaves, kinds_))
        container = _Container(name, ckind, keys, items, HIGH)
        scope.containers[name] = container
        self.mark(kind, *([] if kind != "dict_uniform" else ["dict_param"]))
        if not wrt:
            self.mark("data_param")
        if self.config.allows("container_index") and self.flip():  # a leaf in reach everywhere
            key = self.choose(keys)
            item = items[keys.index(key)]
            text = container.read(key)
            if _is_pair(item):
                j = self.integer(0, len(item) - 1)
                text, item = f"{text}[{j}]", item[j]
            scope.vars[text] = Var(text, item, HIGH, assignable=False, dict_leaf=True)
            self.leaf_features[text] = "container_index"

    CONTAINER_FORMS = {  # form of _x_container -> the feature it shows
        "index": "container_index",
        "stack": "container_library",
        "concatenate": "container_library",
        "sum": "container_sum",
        "slice": "container_slice",
        "list_values": "list_of_values",
        "comprehension": "container_comprehension",
        "in_tuple": "container_in_tuple_library",
    }

    def _x_container(self, scope, depth, only: _Container | None = None, forms=None):
        """An expression reading a container: an item (`ws[1]`, `layers[0][1]`), the items
        through a library call (`np.stack(ws)`, `np.concatenate(list(d.values()))`,
        `sum(ws)`), a slice of them (`ws[1:]`), `list(d.values())[0]`, a comprehension."""
        pool = list(scope.containers.values()) if only is None else [only]
        if not pool:
            return None
        c = self.choose(pool)
        n = len(c.keys)
        if forms is None:
            forms = ["index"]
            if c.uniform and not c.pairs:
                forms += ["stack", "concatenate", "sum", "comprehension", "in_tuple"]
                forms += ["slice"] if c.kind != "dict" and n >= 2 else []
            if c.kind == "dict":
                forms += ["list_values"]
        forms = [f for f in forms if self.config.allows(f, self.CONTAINER_FORMS[f], *self._uses(c, f))]
        forms = [f for f in forms if self._seldom_refused(c, f)]
        if not forms:
            return None
        form = self.choose(self.prefer(forms, lambda f: (self.CONTAINER_FORMS[f], *self._uses(c, f))))
        self.mark(self.CONTAINER_FORMS[form], *self._uses(c, form))
        if form == "index":
            i = self.integer(0, n - 1)
            key = c.keys[i]
            negative = self.config.allows("container_negative_index")
            if c.kind != "dict" and negative and (self.wants("container_negative_index") or self.flip()):
                key = i - n  # ws[-1]
                self.mark("container_negative_index")
            text, item = c.read(key), c.items[i]
            if _is_pair(item):
                j = self.integer(0, len(item) - 1)
                text, item = f"{text}[{j}]", item[j]
            return Expr(text, item, c.bound, ATOM, "?")
        s = c.items[0]
        values = c.values()
        if c.kind == "dict":
            self.mark("dict_values")
        if form == "in_tuple":  # np.concatenate((ws, vs)): lists as parts of a tuple argument
            same = [o for o in scope.containers.values() if o.uniform and not o.pairs and o.items[0] == s]
            other = self.choose(same) if self.flip() else None
            m = 0 if other is None else len(other.keys)
            parts = _tuple_text([values] + ([] if other is None else [other.values()]))
            if other is not None and other.built:
                self.mark("list_build_stack")
            if m == n and self.flip() and _shape_ok((2, n) + s):
                return Expr(f"np.stack({parts})", (2, n) + s, max(c.bound, other.bound))
            if _shape_ok((n + m,) + s):
                bound = c.bound if other is None else max(c.bound, other.bound)
                return Expr(f"np.concatenate({parts})", (n + m,) + s, bound)
            form = "stack"
        if form == "list_values":
            i = self.integer(0, n - 1)
            return Expr(f"list({c.name}.values())[{i}]", c.items[i], c.bound, ATOM, "?")
        if form == "slice":
            a = self.choose(["1:", ":-1", "::-1"])
            values = f"{c.name}[{a}]"
            n = n if a == "::-1" else n - 1
            form = self.choose(["stack"] + self.allowed(["container_sum"]))
        if form == "comprehension":
            inner = scope.child(indent=scope.indent)
            inner.in_loop = True
            w = self.fresh(inner, _ITEM_NAMES)
            self.comprehension_names.add(w)
            inner.vars[w] = Var(w, s, c.bound, dict_leaf=True)
            e = self.apply_elementwise(inner, self._leaf_of(inner.vars[w]))
            if c.kind == "dict":
                values = f"{c.name}.values()"
            if self.flip() and _shape_ok((n,) + e.shape):
                return Expr(f"np.stack([{e.text} for {w} in {values}])", (n,) + e.shape, e.bound)
            return Expr(f"sum({e.text} for {w} in {values})", e.shape, n * e.bound)
        if form in ("sum", "container_sum") or not _shape_ok((n,) + s):
            if not self.config.allows("container_sum"):
                return self._x_container(scope, depth, only=c, forms=["index"])
            if c.kind == "dict" and values.startswith("list(") and self.flip():
                values = f"{c.name}.values()"
            self.mark("container_sum")
            return Expr(f"sum({values})", s, n * c.bound)
        if form == "concatenate" and s:
            axis = self.choose([0, -1]) if len(s) > 1 else 0
            shape = list(s)
            shape[axis] *= n
            if _shape_ok(tuple(shape)):
                axis_arg = f", axis={axis}" if axis else ""
                return Expr(f"np.concatenate({values}{axis_arg})", tuple(shape), c.bound)
        return Expr(f"np.stack({values})", (n,) + s, c.bound)

    @staticmethod
    def _uses(c: _Container, form: str) -> tuple[str, ...]:
        """The features a read of `c` in this form shows besides the form's own: for a list the
        function built, its items read one by one (an index, unpacking), iterated (a loop, a
        comprehension), concatenated, or stacked (or summed) at once; for a dict, its values
        taken as a list (`list(d.values())`, `sum(d.values())`) or iterated (`for v in
        d.values()`, `d.items()`, keys, a comprehension)."""
        if c.kind == "dict":
            if form in ("values", "items", "keys", "comprehension"):
                return ("dict_iter",)
            if form == "in_tuple":
                return ("dict_values_list", "dict_in_tuple_library")
            return ("dict_values_list",) if form not in ("index", "keys", "loop") else ()
        if not c.built:
            return ()
        if form in ("index", "unpack"):
            return ("list_build_index",) if form == "index" else ("list_build_unpack",)
        if form in ("comprehension", "loop", "for", "enumerate", "range_len", "slice", "zip"):
            return ("list_build_iter",)
        return ("list_build_concatenate",) if form == "concatenate" else ("list_build_stack",)

    def _seldom_refused(self, c: _Container, form: str) -> bool:
        """Whether to read `c` in this form: a read srcgrad documents it refuses (MAY_BE_REFUSED:
        the items of a list the function built read back) only one time in five, or when
        `Config.focus` asks for it (else most programs with built lists would be refused)."""
        refused = [name for name in self._uses(c, form) if name in MAY_BE_REFUSED]
        return not refused or self.wants(*refused) or self.integer(0, 4) == 4

    CONTAINER_LOOPS = {  # form of _stmt_container_loop -> the feature it shows
        "for": "container_for",
        "enumerate": "container_enumerate",
        "zip": "container_zip",
        "range_len": "container_range_len",
        "slice": "container_slice",
        "values": "dict_values",
        "items": "dict_items",
        "keys": "dict_keys",
    }

    def _item_targets(self, scope: _Scope, c: _Container, item, taken: dict):
        """Loop targets for one item of `c`: its text in the header and the variables."""
        reserved = replace(scope, vars={**scope.vars, **taken})
        if _is_pair(item):
            first, second = self.choose(_PAIR_NAMES)
            a = self.fresh(reserved, [first])
            b = self.fresh(replace(reserved, vars={**reserved.vars, a: None}), [second])
            targets = {
                a: Var(a, item[0], c.bound, dict_leaf=True),
                b: Var(b, item[1], c.bound, dict_leaf=True),
            }
            return f"{a}, {b}", targets
        w = self.fresh(reserved, _ITEM_NAMES)
        return w, {w: Var(w, item, c.bound, dict_leaf=True)}

    def _stmt_container_loop(self, scope, only: _Container | None = None):
        """A for loop over a container's items: `for w in ws`, `enumerate`, `zip`, `range(len(ws))`
        reading `ws[i]`, a slice, a dict's `.values()`, `.items()`, keys."""
        if not self.loop_ok(scope):
            return False
        pool = [c for c in scope.containers.values() if c.uniform] if only is None else [only]
        pool = [
            c for c in pool if c.uniform and (c.kind == "dict" or self.config.allows(*self._uses(c, "loop")))
        ]
        pool = [c for c in pool if self._seldom_refused(c, "loop")]
        if not pool:
            return False
        c = self.choose(
            self.prefer(pool, lambda c: ("dict_uniform",) if c.kind == "dict" else ("list_param",))
        )
        n, item = len(c.keys), c.items[0]
        if c.kind == "dict":
            forms = ["values", "items", "keys"]
        else:
            forms = ["for", "enumerate", "range_len"] + (["slice"] if n >= 2 else [])
            forms += ["zip"] if not c.pairs else []
        forms = [f for f in forms if self.config.allows(self.CONTAINER_LOOPS[f], *self._uses(c, f))]
        if not forms:
            return False
        form = self.choose(self.prefer(forms, lambda f: (self.CONTAINER_LOOPS[f], *self._uses(c, f))))
        index = self.fresh(scope, _INT_NAMES)
        reserved = {index: None}
        ints, trips, key = {}, n, None
        if form in ("for", "enumerate", "values", "slice"):
            text, targets = self._item_targets(scope, c, item, reserved)
            inside = c.name if c.kind != "dict" else f"{c.name}.values()"
            if form == "slice":
                a = self.choose(["1:", ":-1", "::-1"])
                inside, trips = f"{c.name}[{a}]", n if a == "::-1" else n - 1
            if form == "enumerate":
                text, inside = f"{index}, {_paren_targets(text)}", f"enumerate({inside})"
                ints = {index: IntVar(index, 0, n)}
            header = f"for {text} in {inside}:"
        elif form == "items":
            key = self.fresh(replace(scope, vars={**scope.vars, **reserved}), _KEY_NAMES)
            text, targets = self._item_targets(scope, c, item, {**reserved, key: None})
            header = f"for {key}, {text} in {c.name}.items():"
        elif form == "keys":
            key = self.fresh(replace(scope, vars={**scope.vars, **reserved}), _KEY_NAMES)
            targets = {
                f"{c.name}[{key}]": Var(f"{c.name}[{key}]", item, c.bound, assignable=False, dict_leaf=True)
            }
            direct = self.config.allows("dict_iter_direct") and (
                self.wants("dict_iter_direct") or self.flip()
            )
            header = f"for {key} in {c.name}{'' if direct else '.keys()'}:"
            if direct:
                self.mark("dict_iter_direct")
        elif form == "range_len":
            ints = {index: IntVar(index, 0, n)}
            read = f"{c.name}[{index}]"
            parts = [(f"{read}[{j}]", s) for j, s in enumerate(item)] if _is_pair(item) else [(read, item)]
            targets = {t: Var(t, s, c.bound, assignable=False, dict_leaf=True) for t, s in parts}
            header = f"for {index} in range(len({c.name})):"
        else:  # zip with another container, the same one shifted, or an array's rows
            text, targets = self._item_targets(scope, c, item, reserved)
            others = [o for o in scope.containers.values() if o.uniform and not o.pairs and o.name != c.name]
            arrays = [
                v for v in scope.vars.values() if v.shape and not v.accumulator and v.shape[0] <= PARAM_SIDE
            ]
            if not self.config.allows("container_zip_unequal"):  # a known bug: only equal lengths
                others = [o for o in others if len(o.keys) == n]
                arrays = [x for x in arrays if x.shape[0] == n]
            elif self.wants("container_zip_unequal"):
                others = [o for o in others if len(o.keys) < n] or others
                arrays = [x for x in arrays if x.shape[0] < n] or arrays
            kinds = (
                self.allowed(["container_slice"])
                + (["container"] if others else [])
                + (["rows"] if arrays else [])
            )
            if not kinds:
                return False
            kind = self.choose(self.prefer(kinds, lambda k: ("list_param",) if k == "container" else (k,)))
            if kind == "container":
                o = self.choose(others)
                other, more = self._item_targets(scope, o, o.items[0], {**reserved, **targets})
                partner, trips = o.values(), min(n, len(o.keys))
            elif kind == "rows":
                x = self.choose(arrays)
                other, _ = self._item_targets(scope, c, (), {**reserved, **targets})
                more = {other: Var(other, x.shape[1:], x.bound, dict_leaf=x.dict_leaf or not x.assignable)}
                partner, trips = x.name, min(n, x.shape[0])
            else:  # zip(ws, ws[1:])
                other, more = self._item_targets(scope, c, item, {**reserved, **targets})
                partner, trips = f"{c.name}[1:]", n - 1
                self.mark("container_slice")
            targets = {**targets, **more}
            header = f"for {text}, {other} in zip({c.name}, {partner}):"
            if trips < 1:
                return False
            if kind != "container_slice" and trips != n:
                self.mark("container_zip_unequal")
        self.mark(self.CONTAINER_LOOPS[form], *self._uses(c, form))
        if form == "enumerate":
            self.mark("for_enumerate")
        loop, accs = self._enter_loop(scope, "for", trips)
        hidden = scope.hidden
        if key is not None:  # `d[k]` reads it: the body must not rebind it
            scope.hidden = hidden | {key}
        carry = self.wants(self.CONTAINER_LOOPS[form]) or self.flip()
        first = (lambda body: self._carry_through(body, targets)) if carry else None
        body = self._loop_body(scope, loop, accs, targets, ints, header, first)
        scope.hidden = hidden
        assignable = {name: var.assignable for name, var in scope.vars.items()}
        self._leave_loop(scope, loop, body)
        for name, var in scope.vars.items():
            var.assignable = assignable.get(name, var.assignable)
        keep = self.config.allows("target_after_loop")
        scope.vars = {k: v for k, v in scope.vars.items() if k not in targets or (keep and "[" not in k)}
        scope.last = scope.last if scope.last in scope.vars else None
        return True

    def _carry_through(self, body: _Scope, targets: dict) -> bool:
        """`x = np.tanh(x * w)`, `h = np.tanh(h @ W + b)`: a variable from outside the loop
        carried through the items (a network's layers), so that each item counts."""
        items = [body.vars[name] for name in targets if name in body.vars]
        outer = [
            v for v in body.vars.values() if v.name in body.loop.caps and v.assignable and not v.accumulator
        ]
        if len(items) == 2 and len(items[0].shape) == 2 and items[0].shape[0] == items[0].shape[1]:
            W, b = items
            fits = [
                v for v in outer if v.shape and v.shape[-1] == W.shape[0] and _fits_into(b.shape, v.shape)
            ]
            if not fits:
                return False
            v = self.choose(fits)
            e = Expr(f"np.tanh({_paren(self._leaf_of(v), MUL)} @ {W.name} + {b.name})", v.shape, 1.0)
        else:
            t = items[0]
            fits = [v for v in outer if _fits_into(t.shape, v.shape)]
            if not fits:
                return False
            v = self.choose(fits)
            op = self.choose(["*", "+"])
            e = Expr(
                f"np.tanh({_paren(self._leaf_of(v), MUL)} {op} {_paren(self._leaf_of(t), MUL + 1)})",
                v.shape,
                1.0,
            )
        e = self.prepare(body, v.name, e)
        if e is None:
            return False
        body.emit(f"{v.name} = {e.text}")
        self.record(body, v.name, e)
        return True

    def _stmt_container_unpack(self, scope, only: _Container | None = None):
        """`W, b = wb`: a tuple's (or a list's) items as variables."""
        pool = [c for c in scope.containers.values() if c.kind != "dict" and len(c.keys) <= 3]
        pool = pool if only is None else [c for c in pool if c is only]
        pool = [c for c in pool if self.config.allows(*self._uses(c, "unpack"))]
        if not pool or not self.config.allows("container_unpack"):
            return False
        c = self.choose(pool)
        names, reserved = [], {}
        for item in c.items:
            if _is_pair(item):
                return False
            name = self.fresh(replace(scope, vars={**scope.vars, **reserved}))
            reserved[name] = None
            names.append(name)
        scope.emit(f"{', '.join(names)}{',' if len(names) == 1 else ''} = {c.name}")
        for name, item in zip(names, c.items):
            self.record(scope, name, Expr(name, item, c.bound, ATOM, "?"))
        self.mark("container_unpack", *self._uses(c, "unpack"))
        return True

    def _stmt_list_build(self, scope):
        """`parts = []`, a loop doing `parts = parts + [item]`, then the list used: stacked,
        summed, iterated or passed on (it is a container from then on)."""
        if not self.loop_ok(scope):
            return False
        name = self.fresh(scope, _LIST_BUILT)
        arrays = [
            v for v in scope.vars.values() if v.shape and not v.accumulator and v.shape[0] <= PARAM_SIDE
        ]
        uniform = [c for c in scope.containers.values() if c.uniform and not c.pairs]
        uniform = [
            c for c in uniform if self.config.allows(*self._uses(c, "values" if c.kind == "dict" else "loop"))
        ]
        kind = self.choose(["range"] + (["rows"] if arrays else []) + (["container"] if uniform else []))
        index = self.fresh(replace(scope, hidden=scope.hidden | {name}), _INT_NAMES)
        ints, targets = {}, {}
        if kind == "range":
            n = self.integer(1, 4)
            ints = {index: IntVar(index, 0, n)}
            header = f"for {index} in range({n}):"
        elif kind == "rows":
            x = self.choose(arrays)
            n = x.shape[0]
            row = self.fresh(replace(scope, hidden=scope.hidden | {name}), _ROW_NAMES)
            targets = {row: Var(row, x.shape[1:], x.bound, dict_leaf=x.dict_leaf or not x.assignable)}
            header = f"for {row} in {x.name}:"
            self.mark("for_rows")
        else:
            c = self.choose(uniform)
            n = len(c.keys)
            text, targets = self._item_targets(
                replace(scope, hidden=scope.hidden | {name}), c, c.items[0], {}
            )
            header = f"for {text} in {c.name if c.kind != 'dict' else c.name + '.values()'}:"
            self.mark("container_for" if c.kind != "dict" else "dict_values")
            self.mark(*self._uses(c, "values" if c.kind == "dict" else "loop"))
        scope.emit(f"{name} = []")
        scope.hidden = scope.hidden | {name}
        loop, accs = self._enter_loop(scope, "for", n)
        loop.exits = False  # every iteration adds its item
        body = self._loop_body(scope, loop, accs, targets, ints, header)
        item = self.expr(body, 2)
        if body.is_accumulator(item.alias):
            item = _call("np.copy", item.text, shape=item.shape, bound=item.bound)
        if item.bound > SQUASH_ABOVE * 4:
            item = self.squash(item)
        body.emit(f"{name} = {name} + [{item.text}]")
        self._leave_loop(scope, loop, body)
        scope.vars = {k: v for k, v in scope.vars.items() if k not in targets}
        scope.last = scope.last if scope.last in scope.vars else None
        scope.hidden = scope.hidden - {name}
        built = _Container(name, "list", tuple(range(n)), (item.shape,) * n, item.bound, built=True)
        scope.containers[name] = built
        self.mark("list_build")
        if self.wants("list_build_unpack") and self._stmt_container_unpack(scope, only=built):
            return True
        if self.flip() and self._stmt_container_loop(scope, only=built):
            return True
        uses = [["stack", "sum", "concatenate", "index"]]
        if self.wants("list_build_concatenate"):  # its bug shows when the list is stacked too
            uses = [["stack"], ["concatenate"]]
        made = []
        for forms in uses:
            e = self._x_container(scope, 1, only=built, forms=forms)
            if e is None:
                return True
            target = self.fresh(scope)
            e = self.prepare(scope, target, e)
            scope.emit(f"{target} = {e.text}")
            self.record(scope, target, e)
            made.append(e)
        if len(made) == 2:  # both count
            target = self.fresh(scope)
            bound = sum(math.prod(e.shape) * e.bound for e in made)
            scope.emit(f"{target} = {' + '.join(f'np.sum({e.text})' for e in made)}")
            self.record(scope, target, Expr(target, (), bound))
        return True

    def _x_container_helper(self, scope, depth):
        """`helper(ws, x)` or `helper((ws,), x)`: a helper given a whole container."""
        if scope.helper_depth >= MAX_HELPER_DEPTH or not scope.containers or scope.in_tuple_loop:
            return None
        forms = self.allowed(["container_to_helper", "container_in_tuple"])
        if not forms:
            return None
        packed = self.choose(self.prefer(forms)) == "container_in_tuple"
        c = self.choose(list(scope.containers.values()))
        candidates = [v for v in scope.vars.values() if not v.accumulator]
        if not candidates:
            return None
        args = [self.choose(candidates) for _ in range(self.integer(1, 2))]
        helper = self._define_helper(scope, args, 1, container=c, packed=packed)
        lead = f"({c.name},)" if packed else c.name
        text = f"{helper.name}({', '.join([lead] + [a.name for a in args])})"
        self.mark("helper", *(["helper_nested"] if scope.helper_depth > 0 else []))
        shape, bound = helper.returns[0]
        return Expr(text, shape, bound, ATOM, "?")

    # -- functions imported by bare name -------------------------------------------------------

    def _x_imported(self, scope, depth, x=None):
        """`tanh(x)`, `exp(x)`, `expit(x)`, `gammaln(2.0 + x ** 2)`, `logsumexp(x, axis=0)`:
        functions the module imported by bare name."""
        if not self.imported:
            return None
        if scope.helper_depth > 0:  # see known bugs "bare_import_return", "bare_import_helper"
            feature = "bare_import_return" if self.in_return else "bare_import_helper"
            if not self.config.allows(feature):
                return None
            self.mark(feature)
        scipy = _IMPORTABLE["scipy.special"]
        fn = self.choose(
            self.prefer(self.imported, lambda n: ("scipy_import" if n in scipy else "bare_import",))
        )
        x = x or self.operand(scope, depth)
        self.used_imports.add(fn)
        self.mark("bare_import" if fn in _IMPORTABLE["numpy"] else "scipy_import")
        if fn == "tanh":
            return _call(fn, x.text, shape=x.shape, bound=min(x.bound, 1.0))
        if fn == "expit":
            return _call(fn, x.text, shape=x.shape, bound=1.0)
        if fn == "exp":
            x = self.small(x, 2.5)
            return _call(fn, x.text, shape=x.shape, bound=math.exp(x.bound))
        if fn == "gammaln":
            x = self.small(x)
            return _call(
                fn, f"2.0 + {_paren(x, POW + 1)} ** 2", shape=x.shape, bound=math.lgamma(2 + x.bound**2)
            )
        n, shape, args = math.prod(x.shape), (), []
        if len(x.shape) >= 1 and self.flip():
            axis = self.integer(0, len(x.shape) - 1)
            n, shape = x.shape[axis], tuple(d for i, d in enumerate(x.shape) if i != axis)
            args = [f"axis={axis}"]
            self.mark("reduction_axis")
        self.mark("reduction")
        return _call(fn, x.text, *args, shape=shape, bound=x.bound + math.log(n))

    # -- helpers -----------------------------------------------------------------------------

    def _stmt_helper_call(self, scope):
        call = self.helper_call(scope, want=self.choose([1, 2]))
        if call is None:
            return False
        text, results = call
        if len(results) == 1:
            name = self.fresh(scope)
            e = self.prepare(scope, name, replace(results[0], text=text))
            scope.emit(f"{name} = {e.text}")
            self.record(scope, name, e)
            return True
        first = self.fresh(scope)
        second = self.fresh(replace(scope, vars={**scope.vars, first: None}))
        scope.emit(f"{first}, {second} = {text}")
        for name, e in zip((first, second), results):
            self.record(scope, name, replace(e, alias="?"))
        self.mark("helper_tuple")
        return True

    def helper_call(self, scope: _Scope, want: int):
        """`helper(args)` text and its results: a helper defined for these shapes, or one
        already defined whose parameters these variables fit."""
        if scope.helper_depth >= MAX_HELPER_DEPTH:
            return None
        candidates = [v for v in scope.vars.values() if not v.accumulator]
        if not candidates:
            return None
        reusable = []
        for helper in self.helpers:
            if len(helper.returns) != want or (scope.in_loop and not helper.in_loop) or scope.in_tuple_loop:
                continue  # a helper made for straight-line code may hold what loops may not
            if helper.container or (helper.closure and not scope.in_factory):
                continue  # made for one call; or not reachable from here
            args = []
            for _, shape, bound in helper.params:
                fits = [v for v in candidates if v.shape == shape and v.bound <= bound]
                if not fits:
                    break
                args.append(self.choose(fits))
            else:
                reusable.append((helper, args))
        if reusable and self.flip():
            helper, args = self.choose(reusable)
            self.mark("helper_reused")
        else:
            args = [self.choose(candidates) for _ in range(self.integer(1, 3))]
            helper = self._define_helper(scope, args, want)
        parts, keyword = [], False
        for (pname, _, _), arg in zip(helper.params, args):
            keyword = keyword or (len(parts) > 0 and self.integer(0, 3) == 3)  # then all keywords
            parts.append(f"{pname}={arg.name}" if keyword else arg.name)
            if keyword:
                self.mark("helper_kwarg")
        if helper.keyword is not None and self.flip():
            value = self.choose([1.5, 0.5, 2.0])
            parts.append(f"{helper.keyword[0]}={value}")
            self.mark("helper_kwarg")
        if scope.helper_depth > 0:
            self.mark("helper_nested")
        self.mark("helper")
        text = f"{helper.name}({', '.join(parts)})"
        return text, [Expr(text, shape, bound, ATOM, "?") for shape, bound in helper.returns]

    def _define_helper(
        self, scope: _Scope, args: list[Var], want: int, container: _Container | None = None, packed=False
    ) -> _Helper:
        """A new helper for these arguments (and `container`, passed whole or, `packed`, as the
        only item of a tuple). It may be a closure in the main function's factory, shadow a
        module global with a parameter or a local, reuse names the caller uses, and return a
        call of a function imported by bare name."""
        name = self.fresh(_Scope(out=[], indent=0, vars={}), _HELPER_NAMES)
        self.module_names.add(name)
        in_return, self.in_return = self.in_return, False  # (this helper may be in a caller's return)
        names = []
        for _ in args:
            names.append(self.choose([p for p in _HELPER_PARAMS if p not in names]))
        closure = self.factory is not None and scope.in_factory and self.config.allows("closure_helper")
        closure = closure and (self.wants("closure_helper") or self.integer(0, 2) == 2)
        shadowed = None
        shadow = self.config.allows("shadow_global") and (
            self.wants("shadow_global") or self.integer(0, 2) == 2
        )
        if self.globals and shadow:
            shadowed = self.choose(sorted(self.globals))
            if names and self.flip():  # `def predict(w, inputs): inputs = np.tanh(inputs)`
                names[self.integer(0, len(names) - 1)] = shadowed
        params = [(p, a.shape, max(a.bound, 2.0)) for p, a in zip(names, args)]
        keyword = ("scale", 0.5) if self.flip() else None
        inner = _Scope(
            in_tuple_loop=scope.in_tuple_loop,
            out=[],
            indent=1,
            vars={},
            depth=scope.depth + 1,
            helper_depth=scope.helper_depth + 1,
            in_loop=scope.in_loop,
            in_factory=closure,
        )
        for var in self.globals.values():
            inner.vars[var.name] = replace(var)
        if closure:
            for var in self.factory.vars.values():
                inner.vars[var.name] = replace(var)
        for p, shape, bound in params:  # a call may bind one to a dict's leaf
            inner.vars[p] = Var(p, shape, bound, dict_leaf=True)
        if keyword is not None:  # stays a float: the results may scale by it at the end
            inner.vars[keyword[0]] = Var(keyword[0], (), 2.0, assignable=False)
        if self.config.allows("shadow_local") and (self.wants("shadow_local") or self.flip()):
            protected = self.module_names - self.param_names
            inner.shadow = frozenset(self.param_names | self.main_locals | self.helper_locals) - protected
            inner.shadow -= set(inner.vars)
        lead, prologue = [], 0
        if container is not None:
            taken = set(inner.vars) | self.module_names - self.param_names | _RESERVED
            pool = [container.name] if container.name not in taken and self.flip() else []
            cname = self.choose(pool or [n for n in _CONTAINER_PARAMS if n not in taken])
            if packed:  # `odeint(rhs, y0, t, (params,))`: the helper takes the tuple apart
                outer = self.choose(["args", "packed", "extra"])
                lead = [outer]
                inner.emit(
                    self.choose([f"{cname}, = {outer}", f"({cname},) = {outer}", f"{cname} = {outer}[0]"])
                )
                prologue = 1
                self.mark("container_in_tuple")
            else:
                lead = [cname]
                self.mark("container_to_helper")
            inner.containers[cname] = replace(container, name=cname)
        if shadowed is not None:
            if shadowed in names:
                e = self.apply_elementwise(inner, self._leaf_of(inner.vars[shadowed]))
            else:  # a local of the global's name: the global is out of reach in this helper
                del inner.vars[shadowed]
                e = self.expr(inner, 1)
            e = self.prepare(inner, shadowed, e)
            inner.emit(f"{shadowed} = {e.text}")
            self.record(inner, shadowed, e)
            self.must_read.add(shadowed)
            self.mark("shadow_global")
        if container is not None and self.flip():
            self._stmt_container_loop(inner, only=inner.containers[cname])
        self.block(inner, 0, 2)
        self.in_return = True
        results = [self.expr(inner, 2) for _ in range(want)]
        if container is not None:
            body = "\n".join(inner.out[prologue:] + [e.text for e in results])
            if not re.search(rf"\b{cname}\b", body):  # read it after all
                e, c = results[0], self._x_container(inner, 1, only=inner.containers[cname])
                if c is not None:
                    c = self.fit(inner, c, e.shape)
                    results[0] = Expr(
                        f"{_paren(e, ADD)} + {_paren(c, ADD + 1)}", e.shape, e.bound + c.bound, ADD
                    )
        if keyword is not None and not any(keyword[0] in e.text for e in results):
            e = results[0]
            results[0] = Expr(f"{_paren(e, MUL)} * {keyword[0]}", e.shape, e.bound * 2.0, MUL)
        if closure:  # reads the factory's parameter: a closure
            p = self.choose([a for a, _ in self.factory.args])
            e, b = results[0], self.factory.vars[p].bound
            results[0] = Expr(f"{_paren(e, MUL)} * {p}", e.shape, e.bound * b, MUL)
            self.mark("closure_helper")
        for local in self._unread(inner, [e.text for e in results]):
            e = results[0]
            results[0] = Expr(
                f"{_paren(e, ADD)} + np.mean({local})", e.shape, e.bound + inner.vars[local].bound, ADD
            )
        wrap = self.imported and self.config.allows("bare_import_return")
        if wrap and (self.wants("bare_import_return") or self.integer(0, 2) == 2):
            results[0] = self._x_imported(inner, 1, results[0]) or results[0]  # `return logsumexp(...)`
        self.in_return = in_return
        returned = ", ".join(_paren(e, IFEXP + 1) for e in results)
        if any(re.search(rf"(?<![.\w]){name}\(", returned) for name in self.imported):
            self.mark("bare_import_return")
        inner.emit(f"return {returned}")
        signature = ", ".join(lead + names) + (f", {keyword[0]}={keyword[1]}" if keyword else "")
        if signature.startswith(", "):
            signature = signature[2:]
        lines = [f"def {name}({signature}):", *inner.out]
        returns = [(e.shape, e.bound) for e in results]
        helper = _Helper(name, params, keyword, scope.in_loop, returns, lines, container is not None, closure)
        self.helpers.append(helper)
        return helper

    # -- conditions ----------------------------------------------------------------------------

    def condition(self, scope: _Scope) -> str:
        kinds = ["sum", "mean", "max", "scalar", "norm"]
        if scope.ints:
            kinds += ["int_parity", "int_compare"]
        arrays = [v for v in scope.vars.values() if v.shape]
        if arrays:
            kinds.append("shape")
        kind = self.choose(kinds)
        c = self.choose(["0.0", "0.5", "-0.5", "1.0"])
        if kind in ("int_parity", "int_compare"):
            t = self.choose(list(scope.ints.values()))
            self.mark("branch_static")
            if kind == "int_parity":
                return f"{t.name} % 2 == 0"
            return f"{t.name} > {self.integer(t.low, max(t.low, t.high - 1))}"
        if kind == "shape":
            self.mark("branch_static")
            return f"{self.choose(arrays).name}.shape[0] > 2"
        self.mark("branch_data", "nonsmooth")
        e = self.operand(scope, 1)
        if kind == "scalar":
            e = self.fit(scope, e, ())
            return f"{_paren(e, CMP + 1)} > {c}"
        if kind == "norm":
            return f"np.linalg.norm({e.text}) > 1.0"
        op = "<" if kind == "mean" else ">"
        return f"np.{kind}({e.text}) {op} {c}"

    # -- expressions ---------------------------------------------------------------------------

    EXPRESSIONS = [
        "leaf",
        "unary",
        "binary",
        "reduction",
        "matmul",
        "index",
        "shape_op",
        "join",
        "where",
        "ifexp",
        "comprehension",
        "helper_expr",
        "masked_sum",
    ]

    def expr(self, scope: _Scope, depth: int) -> Expr:
        return self._draw(_span(self, self._expr, scope, depth))

    def _expr(self, scope: _Scope, depth: int) -> Expr:
        kinds = self.allowed(self.EXPRESSIONS if depth > 0 else ["leaf", "unary"])
        if self.imported:
            kinds += self.allowed(["imported"])
        if scope.containers:
            kinds += self.allowed(["container"] + (["container_helper"] if depth > 0 else []))
        kinds = self.prefer(kinds)
        for _ in range(4):
            kind = self.choose(kinds)
            e = getattr(self, f"_x_{kind}")(scope, depth)
            if e is not None:
                return e
        return self.leaf(scope)

    def apply(self, scope: _Scope, x: Expr, depth: int) -> Expr:
        """An operation with `x` as its first operand."""
        kinds = self.allowed(["unary", "binary", "reduction", "matmul", "index", "shape_op", "join", "where"])
        if self.imported:
            kinds += self.allowed(["imported"])
        for _ in range(4):
            e = getattr(self, f"_x_{self.choose(kinds)}")(scope, depth, x)
            if e is not None:
                return e
        return self._x_unary(scope, depth, x)

    def operand(self, scope: _Scope, depth: int, ok=lambda e: True) -> Expr | None:
        if depth > 0 and self.integer(0, 2) == 2:
            e = self.expr(scope, depth - 1)
            if ok(e):
                return e
        return self.leaf(scope, ok)

    def _leaf_of(self, var: Var) -> Expr:
        return Expr(var.name, var.shape, var.bound, ATOM, var.name)

    def leaf(self, scope: _Scope, ok=lambda e: True) -> Expr | None:
        leaves = [self._leaf_of(v) for v in scope.vars.values()]
        leaves = [e for e in leaves if ok(e)]
        if not leaves:
            return None
        return self.choose(leaves)

    def _x_leaf(self, scope, depth):
        return self.leaf(scope)

    def viewable(self, scope: _Scope):
        """May be viewed (indexed, transposed, iterated): an array that is no accumulator."""
        return lambda e: bool(e.shape) and not scope.is_accumulator(e.alias)

    def squash(self, e: Expr) -> Expr:
        """`e` mapped into [-1, 1] (so that what is built from it stays small)."""
        form = self.choose(["tanh", "sin", "ratio"])
        self.mark("elementwise")
        if form == "ratio":
            return Expr(f"{_paren(e, MUL)} / (1 + {_paren(e, MUL + 1)} ** 2)", e.shape, 0.5, MUL)
        return _call(f"np.{form}", e.text, shape=e.shape, bound=1.0)

    def small(self, e: Expr, limit: float = SQUASH_ABOVE) -> Expr:
        return self.squash(e) if e.bound > limit else e

    def fit(self, scope: _Scope, e: Expr, target) -> Expr:
        """`e`, or a reduction of it, with a shape that broadcasts to exactly `target`."""
        if _fits_into(e.shape, target):
            return e
        for k in range(1, len(e.shape)):
            if _fits_into(e.shape[k:], target):
                n = math.prod(e.shape[:k])
                axis = "0" if k == 1 else _tuple_text(range(k))
                self.mark("reduction", "reduction_axis")
                return _call("np.sum", e.text, f"axis={axis}", shape=e.shape[k:], bound=n * e.bound)
        self.mark("reduction")
        if self.flip():
            return _call("np.mean", e.text, shape=(), bound=e.bound)
        return _call("np.sum", e.text, shape=(), bound=math.prod(e.shape) * e.bound)

    def expr_with_shape(self, scope: _Scope, shape, first: Expr | None = None, depth: int = 1) -> Expr:
        """An expression of exactly `shape` (for both arms of a branch, or a loop-carried value)."""
        if first is not None:
            kinds = self.allowed(["unary", "binary", "where"])
            e = getattr(self, f"_x_{self.choose(kinds)}")(scope, 1, first)
            if e is None or e.shape != shape:
                e = self._x_unary(scope, 1, first)
        else:
            same = [v for v in scope.vars.values() if v.shape == tuple(shape)]
            if same and self.flip():
                e = self.apply_elementwise(scope, self._leaf_of(self.choose(same)))
            else:
                e = self.fit(scope, self.expr(scope, depth), shape)
        if e.shape == tuple(shape):
            return e
        form = self.choose(["zeros", "broadcast_to", "ones"])
        s = _tuple_text(shape)
        self.mark("broadcast")
        if form == "zeros":
            return Expr(f"np.zeros({s}) + {_paren(e, ADD + 1)}", tuple(shape), e.bound, ADD)
        if form == "ones":
            return Expr(f"{_paren(e, MUL)} * np.ones({s})", tuple(shape), e.bound, MUL)
        self.mark("shape_op")
        return _call("np.broadcast_to", e.text, s, shape=shape, bound=e.bound, alias=e.alias)

    def apply_elementwise(self, scope, x):
        kinds = self.allowed(["unary", "binary"])
        e = getattr(self, f"_x_{self.choose(kinds)}")(scope, 1, x)
        return e if e is not None and e.shape == x.shape else self._x_unary(scope, 1, x)

    # Elementwise functions of one argument: (name, render(x) -> (text, prec), bound(b),
    # allowed(x), smooth). Each keeps the value bounded for a bounded x; `allowed` refuses an
    # x whose bound would make the result too big.
    UNARY = [
        ("tanh", lambda x: (f"np.tanh({x.text})", ATOM), lambda b: min(b, 1.0), None, True),
        ("sin", lambda x: (f"np.sin({x.text})", ATOM), lambda b: min(b, 1.0), None, True),
        ("cos", lambda x: (f"np.cos({x.text})", ATOM), lambda b: 1.0, None, True),
        ("sigmoid", lambda x: (f"1 / (1 + np.exp(-{_paren(x, POW)}))", MUL), lambda b: 1.0, None, True),
        ("exp", lambda x: (f"np.exp({x.text})", ATOM), math.exp, lambda b: b <= 2.5, True),
        ("gauss", lambda x: (f"np.exp(-{_paren(x, POW + 1)} ** 2)", ATOM), lambda b: 1.0, None, True),
        (
            "log_sq",
            lambda x: (f"np.log(1 + {_paren(x, UNARY)} * {_paren(x, UNARY)})", ATOM),
            lambda b: math.log1p(b * b),
            None,
            True,
        ),
        (
            "log1p_sq",
            lambda x: (f"np.log1p({_paren(x, POW + 1)} ** 2)", ATOM),
            lambda b: math.log1p(b * b),
            None,
            True,
        ),
        (
            "sqrt_sq",
            lambda x: (f"np.sqrt({_paren(x, UNARY)} * {_paren(x, UNARY)} + 1)", ATOM),
            lambda b: math.sqrt(b * b + 1),
            None,
            True,
        ),
        (
            "ratio",
            lambda x: (f"{_paren(x, MUL)} / (1 + {_paren(x, UNARY)} * {_paren(x, UNARY)})", MUL),
            lambda b: min(b, 0.5),
            None,
            True,
        ),
        ("arctan", lambda x: (f"np.arctan({x.text})", ATOM), lambda b: min(b, math.pi / 2), None, True),
        ("square", lambda x: (f"np.square({x.text})", ATOM), lambda b: b * b, lambda b: b <= 4, True),
        ("pow2", lambda x: (f"{_paren(x, POW + 1)} ** 2", POW), lambda b: b * b, lambda b: b <= 4, True),
        ("pow3", lambda x: (f"{_paren(x, POW + 1)} ** 3", POW), lambda b: b**3, lambda b: b <= 2.5, True),
        ("neg", lambda x: (f"-{_paren(x, POW)}", UNARY), lambda b: b, None, True),
        ("scale", lambda x: (f"0.5 * {_paren(x, MUL + 1)}", MUL), lambda b: 0.5 * b, None, True),
        ("affine", lambda x: (f"{_paren(x, MUL)} * 1.5 + 0.25", ADD), lambda b: 1.5 * b + 0.25, None, True),
        ("sinh", lambda x: (f"np.sinh({x.text})", ATOM), math.sinh, lambda b: b <= 2.5, True),
        ("cosh", lambda x: (f"np.cosh({x.text})", ATOM), math.cosh, lambda b: b <= 2.5, True),
        ("expm1", lambda x: (f"np.expm1({x.text})", ATOM), math.expm1, lambda b: b <= 2.5, True),
        ("hypot1", lambda x: (f"np.hypot({x.text}, 1.0)", ATOM), lambda b: math.hypot(b, 1), None, True),
        (
            "softsign",
            lambda x: (f"{_paren(x, MUL)} / (1 + np.abs({x.text}))", MUL),
            lambda b: min(b, 1.0),
            None,
            True,
        ),
        ("copy", lambda x: (f"np.copy({x.text})", ATOM), lambda b: b, None, True),
        ("abs", lambda x: (f"np.abs({x.text})", ATOM), lambda b: b, None, False),
        ("abs_builtin", lambda x: (f"abs({x.text})", ATOM), lambda b: b, None, False),
        ("relu", lambda x: (f"np.maximum({x.text}, 0.0)", ATOM), lambda b: b, None, False),
        (
            "leaky_relu",
            lambda x: (f"np.maximum({x.text}, 0.1 * {_paren(x, MUL + 1)})", ATOM),
            lambda b: b,
            None,
            False,
        ),
        ("clip", lambda x: (f"np.clip({x.text}, -0.5, 0.5)", ATOM), lambda b: min(b, 0.5), None, False),
        ("sign_mul", lambda x: (f"np.sign({x.text}) * {_paren(x, MUL + 1)}", MUL), lambda b: b, None, False),
    ]
    UNARY_ARRAY = ["clip_method", "cumsum", "sort"]  # need an array (methods, axes)

    def _x_unary(self, scope, depth, x=None):
        x = x or self.operand(scope, depth)
        table = {name: (render, bound, ok, smooth) for name, render, bound, ok, smooth in self.UNARY}
        names = [n for n, (_, _, ok, _) in table.items() if ok is None or ok(x.bound)]
        if x.shape:
            names += self.UNARY_ARRAY
        name = self.choose(self.allowed(names))
        self.mark("elementwise")
        if name == "clip_method":
            self.mark("method", "nonsmooth")
            return Expr(f"{_paren(x, ATOM)}.clip(-1.0, 1.0)", x.shape, min(x.bound, 1.0))
        if name == "cumsum":
            axis = self.integer(-len(x.shape), len(x.shape) - 1)
            self.mark("cumulative")
            return _call("np.cumsum", x.text, f"axis={axis}", shape=x.shape, bound=x.shape[axis] * x.bound)
        if name == "sort":
            self.mark("nonsmooth", "sort")
            return _call("np.sort", x.text, shape=x.shape, bound=x.bound)
        render, bound, _, smooth = table[name]
        if not smooth:
            self.mark("nonsmooth")
        text, prec = render(x)
        return Expr(text, x.shape, bound(x.bound), prec)

    BINARY = ["add", "sub", "mul", "div_safe", "div_cos", "maximum", "minimum", "logaddexp"]
    BINARY += ["pow_var", "hypot", "np_add", "np_multiply"]

    def partner(self, scope: _Scope, x: Expr, depth: int) -> Expr:
        """A second operand that broadcasts with `x` (a variable, a constant, or a loop index)."""
        kinds = ["variable", "constant"]
        if scope.ints:
            kinds.append("index")
        kind = self.choose(kinds)
        if kind == "variable":
            y = self.operand(scope, depth, lambda e: _shape_ok(_broadcast(x.shape, e.shape)))
            if y is not None:
                return y
        if kind == "index":
            t = self.choose(list(scope.ints.values()))
            self.mark("loop_index")
            return Expr(f"({t.name} + 1) * 0.5", (), (abs(t.high) + 1) * 0.5, MUL)
        if self.flip() and self.config.allows("module_constant"):
            self.uses_constant = True
            return Expr("SCALE", (), 0.7)
        return _literal(self.choose(_CONSTANTS))

    def _x_binary(self, scope, depth, x=None):
        x = x or self.operand(scope, depth)
        y = self.partner(scope, x, depth)
        if self.flip() and y.alias is None and y.text[0].isdigit():
            x, y = y, x  # `2.0 * x` as well as `x * 2.0`
        shape = _broadcast(x.shape, y.shape)
        name = self.choose(self.allowed(self.BINARY))
        self.mark("elementwise")
        if x.shape != y.shape and x.shape and y.shape:
            self.mark("broadcast")
        if name in ("add", "sub", "np_add"):
            bound = x.bound + y.bound
            if name == "np_add":
                return _call("np.add", x.text, y.text, shape=shape, bound=bound)
            op = "+" if name == "add" else "-"
            return Expr(f"{_paren(x, ADD)} {op} {_paren(y, ADD + 1)}", shape, bound, ADD, plain=True)
        if name in ("mul", "np_multiply"):
            x, y = self.small(x), self.small(y)
            if name == "np_multiply":
                return _call("np.multiply", x.text, y.text, shape=shape, bound=x.bound * y.bound)
            text = f"{_paren(x, MUL)} * {_paren(y, MUL + 1)}"
            return Expr(text, shape, x.bound * y.bound, MUL, plain=True)
        if name == "div_safe":
            text = f"{_paren(x, MUL)} / (1 + {_paren(y, UNARY)} * {_paren(y, UNARY)})"
            return Expr(text, shape, x.bound, MUL)
        if name == "div_cos":
            return Expr(f"{_paren(x, MUL)} / (2 + np.cos({y.text}))", shape, x.bound, MUL)
        if name in ("maximum", "minimum"):
            self.mark("nonsmooth", "maximum")
            return _call(f"np.{name}", x.text, y.text, shape=shape, bound=max(x.bound, y.bound))
        if name == "logaddexp":
            return _call("np.logaddexp", x.text, y.text, shape=shape, bound=max(x.bound, y.bound) + 0.7)
        if name == "pow_var":
            x = self.small(x)
            text = f"(1 + {_paren(x, UNARY)} * {_paren(x, UNARY)}) ** np.tanh({y.text})"
            self.mark("power")
            return Expr(text, shape, 1 + x.bound**2, POW)
        return _call("np.hypot", x.text, y.text, shape=shape, bound=x.bound + y.bound)

    REDUCTIONS = ["sum", "mean", "max", "min", "prod", "var", "std", "norm"]

    def _x_reduction(self, scope, depth, x=None):
        x = x or self.operand(scope, depth, lambda e: bool(e.shape))
        if x is None or not x.shape:
            return None
        fn = self.choose(self.allowed(self.REDUCTIONS))
        if fn == "std" and not self.config.allows("std_of_repeats") and self.repeats(scope, x.text):
            fn = "var"
        ndim = len(x.shape)
        axis_kind = self.choose(["none", "int", "negative"] + (["tuple"] if ndim >= 2 else []))
        if axis_kind == "none" or fn == "norm" and axis_kind == "tuple":
            axes = tuple(range(ndim))
            axis_text = None
        elif axis_kind == "tuple":
            a = self.integer(0, ndim - 1)
            b = self.choose([i for i in range(ndim) if i != a])
            axes = tuple(sorted((a, b)))
            axis_text = _tuple_text((a, b))
        else:
            a = self.integer(0, ndim - 1)
            axes = (a,)
            axis_text = str(a - ndim if axis_kind == "negative" else a)
        keepdims = axis_text is not None and self.integer(0, 2) == 2
        n = math.prod(x.shape[a] for a in axes)
        if fn == "prod":
            x = self.small(x, 1.0) if n > 3 else self.small(x, 1.5)
        bound = {
            "sum": n * x.bound,
            "mean": x.bound,
            "max": x.bound,
            "min": x.bound,
            "prod": x.bound**n,
            "var": x.bound**2,
            "std": x.bound,
            "norm": math.sqrt(n) * x.bound,
        }[fn]
        if keepdims:
            shape = tuple(1 if i in axes else s for i, s in enumerate(x.shape))
        else:
            shape = tuple(s for i, s in enumerate(x.shape) if i not in axes)
        args = []
        if axis_text is not None:
            args.append(f"axis={axis_text}")
            self.mark("reduction_axis")
        if keepdims:
            args.append("keepdims=True")
            self.mark("keepdims")
        if fn in ("var", "std") and n >= 2 and self.integer(0, 3) == 3:
            args.append("ddof=1")
            bound *= 2
        self.mark("reduction")
        if fn in ("max", "min"):
            self.mark("nonsmooth")
        if fn == "norm":
            return _call("np.linalg.norm", x.text, *args, shape=shape, bound=bound)
        if fn in ("sum", "mean", "max", "prod") and self.integer(0, 2) == 2:
            self.mark("method")
            return Expr(f"{_paren(x, ATOM)}.{fn}({', '.join(args)})", shape, bound)
        return _call(f"np.{fn}", x.text, *args, shape=shape, bound=bound)

    MATMULS = ["matmul", "np_matmul", "dot", "matmul", "einsum", "tensordot", "matmul", "inner", "outer"]

    def _x_matmul(self, scope, depth, x=None):
        x = x or self.operand(scope, depth, lambda e: bool(e.shape))
        if x is None or not x.shape:
            return None
        x = self.small(x)
        form = self.choose(self.allowed(self.MATMULS))
        self.mark("matmul")
        if form in ("einsum", "outer", "inner", "tensordot"):
            return self._contraction(scope, depth, x, form)
        partners = [
            e
            for e in (self._leaf_of(v) for v in scope.vars.values())
            if _shape_ok(_matmul_shape(x.shape, e.shape)[0])
            and (form != "dot" or (len(x.shape) <= 2 and len(e.shape) <= 2))
        ]
        if partners:
            y = self.small(self.choose(partners))
        elif len(x.shape) == 2:
            y = Expr(f"{_paren(x, ATOM)}.T", x.shape[::-1], x.bound, ATOM)
            if self.flip():
                x, y = y, x
            self.mark("transpose")
        else:
            return None
        shape, k = _matmul_shape(x.shape, y.shape)
        bound = k * x.bound * y.bound
        if form == "np_matmul":
            e = _call("np.matmul", x.text, y.text, shape=shape, bound=bound)
        elif form == "dot":
            self.mark("dot")
            e = _call("np.dot", x.text, y.text, shape=shape, bound=bound)
        else:
            e = Expr(f"{_paren(x, MUL)} @ {_paren(y, MUL + 1)}", shape, bound, MUL, plain=True)
        if e.shape and form == "matmul" and self.flip():
            chain = [v for v in scope.vars.values() if _shape_ok(_matmul_shape(e.shape, v.shape)[0])]
            if chain and e.bound <= 40.0:
                z = self.small(self._leaf_of(self.choose(chain)), 1.0)
                shape, k = _matmul_shape(e.shape, z.shape)
                e = Expr(f"{e.text} @ {_paren(z, MUL + 1)}", shape, k * e.bound * z.bound, MUL, plain=True)
                self.mark("matmul_chain")
        return e

    def _contraction(self, scope, depth, x, form):
        """np.einsum, np.tensordot, np.inner, np.outer on `x` and a variable that fits."""
        others = [self._leaf_of(v) for v in scope.vars.values() if v.shape]
        if form == "outer":
            if not others:
                return None
            y = self.small(self.choose(others))
            shape = (math.prod(x.shape), math.prod(y.shape))
            if not _shape_ok(shape):
                return None
            self.mark("outer")
            return _call("np.outer", x.text, y.text, shape=shape, bound=x.bound * y.bound)
        if form == "inner":
            fits = [y for y in others if y.shape[-1] == x.shape[-1]]
            fits = [y for y in fits if _shape_ok(x.shape[:-1] + y.shape[:-1])]
            if not fits:
                return None
            y = self.small(self.choose(fits))
            shape = x.shape[:-1] + y.shape[:-1]
            self.mark("inner")
            return _call("np.inner", x.text, y.text, shape=shape, bound=x.shape[-1] * x.bound * y.bound)
        if form == "tensordot":
            fits = [y for y in others if y.shape[0] == x.shape[-1] and _shape_ok(x.shape[:-1] + y.shape[1:])]
            if not fits:
                return None
            y = self.small(self.choose(fits))
            shape = x.shape[:-1] + y.shape[1:]
            self.mark("tensordot")
            bound = x.shape[-1] * x.bound * y.bound
            return _call("np.tensordot", x.text, y.text, "axes=1", shape=shape, bound=bound)
        letters = "ijk"[: len(x.shape)]
        patterns = []  # (subscripts, y or None, shape, contracted length)
        if len(x.shape) == 2:
            patterns.append(("ij->ji", None, x.shape[::-1], 1))
            patterns.append(("ij->j", None, x.shape[1:], x.shape[0]))
            if x.shape[0] == x.shape[1]:
                patterns.append(("ii->", None, (), x.shape[0]))
        for y in others:
            if len(x.shape) == 2 and len(y.shape) == 2 and y.shape[0] == x.shape[1]:
                patterns.append(("ij,jk->ik", y, (x.shape[0], y.shape[1]), x.shape[1]))
            if len(x.shape) == 2 and len(y.shape) == 1 and y.shape[0] == x.shape[1]:
                patterns.append(("ij,j->i", y, x.shape[:1], x.shape[1]))
            if y.shape == x.shape:
                patterns.append((f"{letters},{letters}->", y, (), math.prod(x.shape)))
        if not patterns:
            return None
        subscripts, y, shape, k = self.choose(patterns)
        self.mark("einsum")
        if y is None:
            return _call("np.einsum", f'"{subscripts}"', x.text, shape=shape, bound=k * x.bound)
        y = self.small(y)
        return _call("np.einsum", f'"{subscripts}"', x.text, y.text, shape=shape, bound=k * x.bound * y.bound)

    def _x_index(self, scope, depth, x=None):
        if x is not None and not self.viewable(scope)(x):
            return None
        x = x or self.operand(scope, depth, self.viewable(scope))
        if x is None:
            return None
        s, ndim = x.shape, len(x.shape)
        base = _paren(x, ATOM)
        n = s[0]
        kinds = ["int", "slice", "step", "reverse", "list_index", "take", "newaxis"]
        if ndim >= 2:
            kinds += ["column", "element", "slice2", "column_slice"]
        loop_ints = [t for t in scope.ints.values() if t.low >= 0]
        if loop_ints:
            kinds.append("loop")
        kind = self.choose(self.allowed(kinds))
        view = x.alias
        if kind == "int":
            i = self.integer(-n, n - 1)
            self.mark("index_int")
            return Expr(f"{base}[{i}]", s[1:], x.bound, ATOM, view)
        if kind == "loop":
            t = self.choose(loop_ints)
            self.mark("loop_index", "index_int")
            if t.high <= n:
                return Expr(f"{base}[{t.name}]", s[1:], x.bound, ATOM, view)
            return Expr(f"{base}[{t.name} % {n}]", s[1:], x.bound, ATOM, view)
        if kind == "slice":
            a = self.integer(0, n - 1)
            b = self.integer(a + 1, n)
            text = f"{a}:{b}" if b < n else f"{a}:"
            if a == 0 and b < n and self.flip():
                text = f":{b - n}" if b - n < 0 else f":{b}"
            self.mark("slice")
            return Expr(f"{base}[{text}]", (b - a,) + s[1:], x.bound, ATOM, view)
        if kind == "step":
            self.mark("slice")
            return Expr(f"{base}[::2]", ((n + 1) // 2,) + s[1:], x.bound, ATOM, view)
        if kind == "reverse":
            self.mark("slice")
            return Expr(f"{base}[::-1]", s, x.bound, ATOM, view)
        if kind == "list_index":
            idx = [self.integer(0, n - 1) for _ in range(self.integer(1, 4))]
            self.mark("fancy_index", "list_index")
            return Expr(f"{base}[{idx}]", (len(idx),) + s[1:], x.bound)
        if kind == "take":
            axis = self.integer(0, ndim - 1)
            idx = [self.integer(0, s[axis] - 1) for _ in range(self.integer(1, 3))]
            shape = s[:axis] + (len(idx),) + s[axis + 1 :]
            self.mark("fancy_index")
            return _call("np.take", x.text, str(idx), f"axis={axis}", shape=shape, bound=x.bound)
        if kind == "newaxis":
            if ndim >= MAX_NDIM:
                return None
            self.mark("newaxis")
            if self.flip():
                return Expr(f"{base}[None]", (1,) + s, x.bound, ATOM, view)
            return Expr(f"{base}[:, None]", s[:1] + (1,) + s[1:], x.bound, ATOM, view)
        m = s[1]
        if kind == "column":
            j = self.integer(-m, m - 1)
            self.mark("index_int")
            return Expr(f"{base}[:, {j}]", s[:1] + s[2:], x.bound, ATOM, view)
        if kind == "element":
            self.mark("index_int")
            i, j = self.integer(0, n - 1), self.integer(0, m - 1)
            return Expr(f"{base}[{i}, {j}]", s[2:], x.bound, ATOM, view)
        if kind == "slice2":
            if n < 2:
                return None
            self.mark("slice")
            return Expr(f"{base}[1:, ::2]", (n - 1, (m + 1) // 2) + s[2:], x.bound, ATOM, view)
        if m < 2:
            return None
        self.mark("slice")
        return Expr(f"{base}[:, 1:]", (n, m - 1) + s[2:], x.bound, ATOM, view)

    def _x_masked_sum(self, scope, depth):
        """`np.sum(x[x > c])`: a boolean mask, so the part read has a data-dependent size."""
        x = self.leaf(scope, self.viewable(scope))
        if x is None:
            return None
        same = [v for v in scope.vars.values() if v.shape == x.shape]
        m = self._leaf_of(self.choose(same))
        c = self.choose(["0.0", "0.3", "-0.3"])
        self.mark("mask_index", "nonsmooth")
        return _call("np.sum", f"{x.text}[{m.text} > {c}]", shape=(), bound=math.prod(x.shape) * x.bound)

    SHAPE_OPS = ["T", "transpose", "reshape", "ravel", "expand_dims", "squeeze", "swapaxes", "moveaxis"]
    SHAPE_OPS += ["flip", "roll", "broadcast_to", "tile", "repeat", "triangle", "diagonal", "pad"]
    SHAPE_OPS += ["atleast_2d"]

    def _x_shape_op(self, scope, depth, x=None):
        if x is not None and not self.viewable(scope)(x):
            return None
        x = x or self.operand(scope, depth, self.viewable(scope))
        if x is None:
            return None
        s, ndim, base = x.shape, len(x.shape), _paren(x, ATOM)
        op = self.choose(self.allowed(self.SHAPE_OPS))
        b, view = x.bound, x.alias
        self.mark("shape_op")
        if op == "T":
            if ndim < 2:
                return None
            self.mark("transpose")
            return Expr(f"{base}.T", s[::-1], b, ATOM, view)
        if op == "transpose":
            if ndim < 2:
                return None
            self.mark("transpose")
            perm = self.choose(list(itertools.permutations(range(ndim)))[1:])  # not the identity
            shape = tuple(s[p] for p in perm)
            if self.flip():
                return Expr(f"{base}.transpose({', '.join(map(str, perm))})", shape, b, ATOM, view)
            return _call("np.transpose", x.text, _tuple_text(perm), shape=shape, bound=b, alias=view)
        if op == "reshape":
            options = [t for t in _factorizations(math.prod(s)) if t != s]
            if not options:
                return None
            shape = self.choose(options)
            parts = list(shape)
            if len(parts) > 1 and self.flip():
                parts[self.integer(0, len(parts) - 1)] = -1
            self.mark("reshape")
            if self.flip():
                return Expr(f"{base}.reshape({', '.join(map(str, parts))})", shape, b, ATOM, view)
            return _call("np.reshape", x.text, _tuple_text(parts), shape=shape, bound=b, alias=view)
        if op == "ravel":
            self.mark("reshape")
            text = f"{base}.ravel()" if self.flip() else f"np.ravel({x.text})"
            return Expr(text, (math.prod(s),), b, ATOM, view)
        if op == "expand_dims":
            if ndim >= MAX_NDIM:
                return None
            axis = self.integer(-ndim - 1, ndim)
            shape = list(s)
            shape.insert(axis if axis >= 0 else ndim + 1 + axis, 1)
            return _call("np.expand_dims", x.text, str(axis), shape=shape, bound=b, alias=view)
        if op == "squeeze":
            if 1 not in s:
                return None
            return _call("np.squeeze", x.text, shape=tuple(d for d in s if d != 1), bound=b, alias=view)
        if op in ("swapaxes", "moveaxis"):
            if ndim < 2:
                return None
            a = self.integer(0, ndim - 1)
            c = self.choose([i for i in range(ndim) if i != a])
            self.mark("transpose")
            if op == "swapaxes":
                shape = list(s)
                shape[a], shape[c] = shape[c], shape[a]
            else:
                shape = list(s)
                shape.insert(c, shape.pop(a))
            return _call(f"np.{op}", x.text, str(a), str(c), shape=shape, bound=b, alias=view)
        if op == "flip":
            form = self.choose(["axis", "all", "ud", "lr"])
            if form == "lr" and ndim >= 2:
                return _call("np.fliplr", x.text, shape=s, bound=b, alias=view)
            if form == "ud":
                return _call("np.flipud", x.text, shape=s, bound=b, alias=view)
            if form == "axis":
                axis = f"axis={self.integer(0, ndim - 1)}"
                return _call("np.flip", x.text, axis, shape=s, bound=b, alias=view)
            return _call("np.flip", x.text, shape=s, bound=b, alias=view)
        if op == "roll":
            shift = self.choose([1, -1, 2])
            if self.flip():
                axis = f"axis={self.integer(0, ndim - 1)}"
                return _call("np.roll", x.text, str(shift), axis, shape=s, bound=b)
            return _call("np.roll", x.text, str(shift), shape=s, bound=b)
        if op == "broadcast_to":
            shape = (self.integer(2, 3),) + s
            if not _shape_ok(shape):
                return None
            self.mark("broadcast")
            return _call("np.broadcast_to", x.text, _tuple_text(shape), shape=shape, bound=b, alias=view)
        if op == "tile":
            shape = s[:-1] + (2 * s[-1],)
            if not _shape_ok(shape):
                return None
            return _call("np.tile", x.text, "2", shape=shape, bound=b)
        if op == "repeat":
            axis = self.integer(0, ndim - 1)
            shape = s[:axis] + (2 * s[axis],) + s[axis + 1 :]
            if not _shape_ok(shape):
                return None
            return _call("np.repeat", x.text, "2", f"axis={axis}", shape=shape, bound=b)
        if op == "triangle":
            if ndim != 2:
                return None
            return _call(f"np.{self.choose(['triu', 'tril'])}", x.text, shape=s, bound=b)
        if op == "diagonal":
            if ndim == 1:
                if not _shape_ok((s[0], s[0])):
                    return None
                return _call("np.diag", x.text, shape=(s[0], s[0]), bound=b)
            if ndim != 2:
                return None
            form = self.choose(["diagonal", "trace", "diag"])
            if form == "trace":
                self.mark("reduction")
                return _call("np.trace", x.text, shape=(), bound=min(s) * b)
            return _call(f"np.{form}", x.text, shape=(min(s),), bound=b, alias=view)
        if op == "pad":
            shape = tuple(d + 2 for d in s)
            if not _shape_ok(shape):
                return None
            return _call("np.pad", x.text, "1", shape=shape, bound=b)
        if ndim > 1:
            return None
        return _call("np.atleast_2d", x.text, shape=(1,) * (2 - ndim) + s, bound=b, alias=view)

    def _x_join(self, scope, depth, x=None):
        x = x or self.operand(scope, depth, lambda e: bool(e.shape))
        if x is None or not x.shape:
            return None
        s, ndim = x.shape, len(x.shape)
        form = self.choose(self.allowed(["concatenate", "stack", "hstack", "vstack"]))
        if form == "stack":
            axis = self.integer(-ndim - 1, ndim)
            partners = [v for v in scope.vars.values() if v.shape == s]
            shape = list(s)
            shape.insert(axis if axis >= 0 else ndim + 1 + axis, 2)
            axis_arg = [] if axis == 0 and self.flip() else [f"axis={axis}"]
        else:
            if form == "concatenate":
                axis = self.integer(0, ndim - 1)
            elif form == "hstack":
                axis = 0 if ndim == 1 else 1
            else:
                axis = 0
            if form == "vstack" and ndim == 1:
                partners = [v for v in scope.vars.values() if v.shape == s]
                shape = [2, s[0]]
            else:
                partners = [
                    v
                    for v in scope.vars.values()
                    if len(v.shape) == ndim and all(v.shape[i] == s[i] for i in range(ndim) if i != axis)
                ]
                shape = None
            axis_arg = [f"axis={axis}"] if form == "concatenate" and (axis != 0 or self.flip()) else []
        if partners and self.flip():
            y = self._leaf_of(self.choose(partners))
        else:
            y = self.apply_elementwise(scope, x)
        if shape is None:
            shape = list(s)
            shape[axis] = s[axis] + y.shape[axis]
        shape = tuple(shape)
        if not _shape_ok(shape):
            return None
        parts = f"[{x.text}, {y.text}]" if self.flip() else f"({x.text}, {y.text})"
        self.mark("stack" if form == "stack" or (form == "vstack" and ndim == 1) else "concatenate")
        return _call(f"np.{form}", parts, *axis_arg, shape=shape, bound=max(x.bound, y.bound))

    def _x_where(self, scope, depth, x=None):
        x = x or self.operand(scope, depth)
        y = self.partner(scope, x, depth)
        c = self.leaf(scope, lambda e: _shape_ok(_broadcast(e.shape, x.shape, y.shape))) or x
        shape = _broadcast(c.shape, x.shape, y.shape)
        threshold = self.choose(["0.0", "0.5", "-0.3"])
        self.mark("where", "nonsmooth")
        cond = f"{_paren(c, CMP + 1)} > {threshold}"
        return _call("np.where", cond, x.text, y.text, shape=shape, bound=max(x.bound, y.bound))

    def _x_ifexp(self, scope, depth, x=None):
        if not self.branch_ok(scope):
            return None
        x = x or self.expr(scope, max(depth - 1, 0))
        other = self.expr_with_shape(scope, x.shape, depth=max(depth - 1, 0))
        cond = self.condition(scope)
        self.mark("ifexp", *(["branch_in_loop"] if scope.in_loop else []))
        alias = other.alias if scope.is_accumulator(other.alias) else (x.alias or other.alias)
        text = f"{_paren(x, IFEXP + 1)} if {cond} else {_paren(other, IFEXP)}"
        return Expr(text, x.shape, max(x.bound, other.bound), IFEXP, alias)

    def _x_comprehension(self, scope, depth):
        """`sum(... for t in range(n))`, `np.stack([... for row in x])`."""
        if scope.helper_depth + scope.depth >= MAX_DEPTH + 1 or not self.loop_ok(scope):
            return None
        index = self.fresh(scope, _INT_NAMES)
        self.comprehension_names.add(index)
        inner = scope.child(indent=scope.indent)
        inner.in_loop = True
        form = self.choose(["sum_range", "stack_range", "stack_rows"])
        rows = [v for v in scope.vars.values() if v.shape and not v.accumulator and v.shape[0] <= PARAM_SIDE]
        if form == "stack_rows" and rows:
            x = self.choose(rows)
            inner.vars[index] = Var(index, x.shape[1:], x.bound)
            e = self.apply_elementwise(inner, self._leaf_of(inner.vars[index]))
            text = f"np.stack([{e.text} for {index} in {x.name}])"
            self.mark("comprehension", "stack")
            shape = (x.shape[0],) + e.shape
            return Expr(text, shape, e.bound, ATOM) if _shape_ok(shape) else None
        n = self.integer(1, 3)
        inner.ints[index] = IntVar(index, 0, n)
        e = self.expr(inner, max(depth - 1, 0))
        if index not in e.text:
            e = self.small(e)
            e = Expr(f"{_paren(e, MUL)} * ({index} + 1)", e.shape, e.bound * n, MUL)
        self.mark("comprehension")
        if form == "sum_range" or not _shape_ok((n,) + e.shape):
            return Expr(f"sum({e.text} for {index} in range({n}))", e.shape, n * e.bound, ATOM)
        self.mark("stack")
        return Expr(f"np.stack([{e.text} for {index} in range({n})])", (n,) + e.shape, e.bound, ATOM)

    def _x_helper_expr(self, scope, depth):
        call = self.helper_call(scope, want=1)
        if call is None:
            return None
        return call[1][0]


def _paren_targets(text: str) -> str:
    """`W, b` as `(W, b)` where it is one target of several (`for i, (W, b) in ...`)."""
    return f"({text})" if "," in text else text


def _factorizations(size: int):
    """Shapes with `size` elements: up to 3 axes, sides 1..MAX_SIDE (for reshape)."""
    shapes = []
    for a in range(1, MAX_SIDE + 1):
        if size % a:
            continue
        if a == size:
            shapes.append((a,))
        for b in range(1, MAX_SIDE + 1):
            if (size // a) % b:
                continue
            c = size // a // b
            if c == 1:
                shapes.append((a, b))
            if c <= MAX_SIDE and (a, b, c) != (1, 1, 1):
                shapes.append((a, b, c))
    return sorted(set(s for s in shapes if _shape_ok(s)), key=lambda t: (len(t), t))
