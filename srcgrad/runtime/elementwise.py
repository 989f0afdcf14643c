"""Runtime helpers for the elementwise rules (see srcgrad/rules/numpy/elementwise.py)."""

import numpy as np  # noqa: F401

__all__: list[str] = []
