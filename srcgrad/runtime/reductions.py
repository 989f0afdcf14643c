"""Runtime helpers for the reductions rules (see srcgrad/rules/numpy/reductions.py)."""

import numpy as np  # noqa: F401

__all__: list[str] = []
