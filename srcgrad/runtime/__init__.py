"""Helpers that generated gradient code calls where one NumPy expression would not do.

Each takes the incoming gradient `g` and the values it needs, and works for any shapes NumPy
accepts. One module per section of the rule table (linalg's in two: decompositions.py holds
the decompositions'); `__all__` is every helper's name, which is what rule templates may call.
"""

from . import core, decompositions, elementwise, fft, linalg, reductions, shape, signal, special
from .core import *  # noqa: F403
from .decompositions import *  # noqa: F403
from .elementwise import *  # noqa: F403
from .fft import *  # noqa: F403
from .linalg import *  # noqa: F403
from .reductions import *  # noqa: F403
from .shape import *  # noqa: F403
from .signal import *  # noqa: F403
from .special import *  # noqa: F403

__all__ = [*core.__all__, *elementwise.__all__, *reductions.__all__, *linalg.__all__, *decompositions.__all__]
__all__ += [*shape.__all__, *signal.__all__, *special.__all__, *fft.__all__]
from .gradients import *  # noqa: E402, F403  (a gradient function called in differentiated code)
from .integrate import *  # noqa: E402, F403  (the scipy.integrate rules' helpers)
from .scipy_linalg import *  # noqa: E402, F403  (the scipy.linalg rules' helpers)
from .stats import *  # noqa: E402, F403  (the scipy.stats rules' helpers)

__all__ += stats.__all__  # noqa: F405  (the imports above bind the submodules `stats` and `scipy_linalg`)
__all__ += scipy_linalg.__all__  # noqa: F405
__all__ += integrate.__all__  # noqa: F405
__all__ += gradients.__all__  # noqa: F405

# helpers with no tangent rule yet: a second derivative through one stops with a NoRuleError
FIRST_ORDER_ONLY = stats.FIRST_ORDER_ONLY | scipy_linalg.FIRST_ORDER_ONLY | signal.FIRST_ORDER_ONLY  # noqa: F405
FIRST_ORDER_ONLY |= integrate.FIRST_ORDER_ONLY | gradients.FIRST_ORDER_ONLY  # noqa: F405
FIRST_ORDER_ONLY |= decompositions.FIRST_ORDER_ONLY
