"""Peak memory of one call, as the bytes `tracemalloc` sees allocated at once during it.

Why tracemalloc and not the process's RSS: NumPy reports every array buffer it allocates to
tracemalloc, so the peak of one call is exact and the same on every run, and it counts only what
the call itself allocates (its temporaries, saved values and results), not the inputs. An RSS delta
is neither: after a warm-up call glibc hands freed blocks back to the next call without the
kernel seeing anything, its mmap threshold moves with the sizes seen so far, and pages are
counted in 4 KiB steps; measuring peak RSS honestly needs a fresh process per system and still
includes the interpreter's own noise. What tracemalloc misses, allocations inside BLAS (its
per-thread buffers, made once at start-up), is the same for every system.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable


def peak_bytes(call: Callable[[], object]) -> int:
    """The largest number of bytes allocated and alive at once during one `call()`, results
    included; measured after a warm-up call, so one-time caches do not count."""
    call()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del result
    return peak - before
