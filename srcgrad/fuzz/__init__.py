"""A fuzzer for srcgrad: random NumPy programs, differentiated and checked.

`programs()` (in `generate`) is a hypothesis strategy of random programs from the subset srcgrad
supports, with shapes and value ranges tracked so that each one runs; `check_program()` (in
`check`) differentiates one and compares srcgrad with finite differences of the original, with
autograd when it is installed, and with itself (inputs unchanged, calls repeatable).
Programs may have parameters that are lists, tuples and dicts of arrays, read module-level
data, call functions imported by bare name, and be closures (`generate.NEW_FEATURES`); each
ends as pass, refused (a proper refusal), wrong or internal (`Outcome.verdict`).
`tests/test_fuzz.py` runs a fixed set of programs with every test run;
`python -m srcgrad.fuzz --minutes N` runs a campaign. Needs hypothesis (srcgrad itself does not).
"""

from .check import Outcome, autograd_available, check_program, loaded_module
from .generate import DEFAULT_CONFIG, IMPLIES, KNOWN_BUGS, MAY_BE_REFUSED, NEW_FEATURES, Config, programs
from .program import Param, Program

__all__ = [
    "Config",
    "DEFAULT_CONFIG",
    "IMPLIES",
    "KNOWN_BUGS",
    "MAY_BE_REFUSED",
    "NEW_FEATURES",
    "Outcome",
    "Param",
    "Program",
    "autograd_available",
    "check_program",
    "loaded_module",
    "programs",
]
