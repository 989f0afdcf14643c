"""Python's own numeric builtins: `max(a, b)` and `min(a, b)` of two values are NumPy's
maximum and minimum (same rule, same tie convention); `max(iterable)` has no rule.
`abs` shares `np.abs`'s rule in the elementwise section."""

import builtins

from .. import adjoint
from .elementwise import maximum, minimum

adjoint(builtins.max)(maximum)
adjoint(builtins.min)(minimum)
