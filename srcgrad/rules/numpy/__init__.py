"""Reverse-mode rules for NumPy and Python arithmetic, readable as math.

Conventions: `g` is the gradient arriving at the result `ans`; `dx` is the contribution to the
gradient of parameter `x`. Binary operations broadcast, so their contributions pass through
`unbroadcast`, which the generator removes wherever shapes are known to agree. Each rule with
a kink or a tie says in one comment what it does there.

The table is a package, one module per section, as a textbook orders them: `elementwise`,
`reductions`, `linalg`, `shape`, `indexing`, `python` (builtins), and `special` (numerically
careful special functions, also reached through `scipy.special` where SciPy is installed).
"""

from . import elementwise, indexing, linalg, python, reductions, shape, special  # noqa: F401  (each registers its rules)
