"""Python's own numeric builtins: `max(a, b)` and `min(a, b)` of two values are NumPy's
maximum and minimum (same rules, adjoint and tangent, same tie convention); `max(iterable)`
has no rule. `abs` shares `np.abs`'s rules in the elementwise section."""

import builtins

from ..registry import adjoint, tangent
from .elementwise import maximum, maximum_tangent, minimum, minimum_tangent

adjoint(builtins.max)(maximum)
tangent(builtins.max)(maximum_tangent)
adjoint(builtins.min)(minimum)
tangent(builtins.min)(minimum_tangent)
