"""Read the code `grad` generated as a function to transform again (higher-order derivatives).

The gradient's source is parsed like a user's function: its free names are the user's globals,
and the run-time helpers and closed-over values its factory binds. Its loop stacks (`saved = []`,
`saved.append(...)`, `saved.pop()`) lower to operations of their own, which forward mode follows
with a stack of tangents beside each.
"""

from __future__ import annotations

import gast

from .frontend import SourceFunction


def read_generated(grad, shapes=None) -> SourceFunction:
    """The gradient code of the `GradFunction` `grad` as a SourceFunction: for arguments of any
    shape, or with `shapes` (its key of argument shapes), specialised to them."""
    from .compile import bindings

    entry = grad.variant(shapes=shapes, show=False)  # what `.source` shows stays as it was
    compiled, build = entry.compiled, entry.build
    generated = build.generated
    # helpers and closed-over values; NumPy and what the user imported of it stay their globals
    bound = bindings(generated, grad.fn.__globals__, build.source.closure)
    closure = {k: v for k, v in bound.items() if k not in generated.arrays}
    tree = gast.parse(generated.source).body[0]
    text = generated.text.splitlines()
    start = next(i for i, line in enumerate(text) if line.startswith(f"    def {generated.function_name}("))
    return SourceFunction(
        func=compiled,
        tree=tree,
        filename=compiled.__code__.co_filename,
        first_line=start + 1,  # the function's line in the compiled module, inside the factory
        indent=4,
        lines=[line[4:] for line in text[start:]],
        globals=grad.fn.__globals__,
        closure=closure,
        generated=True,
    )
