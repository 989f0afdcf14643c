"""srcgrad: derivatives of NumPy functions (gradients, forward mode, Hessians), as readable
generated Python source."""

from . import extend
from .api import grad, hessian, hvp, jacobian, jvp, source, vjp
from .cache import cache_info, clear_cache
from .errors import (
    ArgumentTypeError,
    NoGradientError,
    NonFiniteGradientError,
    NonScalarOutputError,
    NoRuleError,
    SourceUnavailableError,
    SrcgradError,
    UnsupportedArgumentsError,
    UnsupportedBackendError,
    UnsupportedSyntaxError,
    WrtError,
)
from .markers import stop_gradient

__version__ = "0.1.0"

__all__ = [
    "grad",
    "jvp",
    "vjp",
    "hvp",
    "hessian",
    "jacobian",
    "extend",
    "source",
    "stop_gradient",
    "SrcgradError",
    "UnsupportedSyntaxError",
    "NoRuleError",
    "SourceUnavailableError",
    "NonScalarOutputError",
    "WrtError",
    "ArgumentTypeError",
    "NoGradientError",
    "NonFiniteGradientError",
    "UnsupportedArgumentsError",
    "UnsupportedBackendError",
    "cache_info",
    "clear_cache",
]
