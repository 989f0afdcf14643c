"""srcgrad: derivatives of NumPy functions (gradients, forward mode, Hessians), as readable
generated Python source."""

from . import extend
from .api import grad, hessian, hvp, jacobian, jvp, source, value_and_grad, vjp
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
from .markers import checkpointed, stop_gradient

__version__ = "0.1.0"


def __getattr__(name):
    # `srcgrad.testing` loads at first use, so `import srcgrad` stays cheap (the gradient
    # checker is not needed to compute gradients; its hypothesis strategies are a separate module)
    if name == "testing":
        import srcgrad.testing as testing  # not `from . import`, which would ask this hook again

        return testing
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "grad",
    "value_and_grad",
    "jvp",
    "vjp",
    "hvp",
    "hessian",
    "jacobian",
    "extend",
    "source",
    "stop_gradient",
    "checkpointed",
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
