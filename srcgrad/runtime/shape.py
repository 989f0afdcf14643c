"""Runtime helpers for the shape rules (see srcgrad/rules/numpy/shape.py)."""

import numpy as np  # noqa: F401

__all__: list[str] = []
