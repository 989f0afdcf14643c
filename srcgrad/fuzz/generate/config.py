"""What the generator may produce: `Config`, the features of real programs it draws
(`NEW_FEATURES`), what each needs made (`FOCUS`) or comes with (`IMPLIES`), and which ones srcgrad
may refuse (`MAY_BE_REFUSED`) or gets wrong (`KNOWN_BUGS`)."""

from __future__ import annotations

from dataclasses import dataclass

from ..known import FEATURES

# Features srcgrad gets wrong today, left out by default (see srcgrad.fuzz.known).
KNOWN_BUGS = FEATURES

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
