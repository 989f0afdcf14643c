"""srcgrad: reverse-mode gradients of NumPy functions, as readable generated Python source."""

from . import extend
from .api import grad, source, stop_gradient
from .errors import (
    ArgumentTypeError,
    NonScalarOutputError,
    NoRuleError,
    SourceUnavailableError,
    SrcgradError,
    UnsupportedSyntaxError,
    WrtError,
)

__version__ = "0.1.0"

__all__ = [
    "grad",
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
]
