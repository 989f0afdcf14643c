"""The builder's state and its primitives: draws (integers, coins, choices, each a hypothesis
draw so that shrinking simplifies them), the features a program shows, and fresh names from the
pools below."""

from __future__ import annotations

from hypothesis import strategies as st

from .config import Config, _focus
from .scope import Var, _Factory, _Helper, _Scope


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


class _Base:
    """The state all the builder's mixins share, its draws and its names (`_Builder`: builder.py)."""

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
