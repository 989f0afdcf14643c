"""Runtime helpers for the special rules (see srcgrad/rules/numpy/special.py)."""

import numpy as np  # noqa: F401

__all__: list[str] = []
