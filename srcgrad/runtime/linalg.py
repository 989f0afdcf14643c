"""Runtime helpers for the linalg rules (see srcgrad/rules/numpy/linalg.py)."""

import numpy as np  # noqa: F401

__all__: list[str] = []
