"""srcgrad's function transforms, for the runtime helpers that differentiate a function known
only when the generated code runs: odeint's right-hand side (`integrate.py`) and a gradient
function called inside differentiated code (`gradients.py`).

The transforms (`srcgrad.vjp`, `srcgrad.jvp`, `srcgrad.hvp`) sit above the runtime, which
imports nothing above it: srcgrad/api.py puts them here when srcgrad is imported.
"""

from __future__ import annotations

transforms: dict = {}  # "vjp", "jvp", "hvp" -> srcgrad's function of that name


def transform(kind: str):
    """srcgrad's transform `kind` ("vjp", "jvp" or "hvp")."""
    made = transforms.get(kind)
    if made is None:  # generated code runs only after srcgrad was imported; this is a safeguard
        import importlib

        importlib.import_module("srcgrad.api")
        made = transforms[kind]
    return made
