"""Helpers that generated gradient code calls where one NumPy expression would not do.

Each takes the incoming gradient `g` and the values it needs, and works for any shapes NumPy
accepts. One module per section of the rule table; `__all__` is every helper's name, which is
what rule templates may call.
"""

from . import core
from .core import *  # noqa: F403

__all__ = [*core.__all__]
