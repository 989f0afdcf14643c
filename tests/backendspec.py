"""Running the gradient tests on other backends: Dask here, CuPy where a CUDA device exists.

`BACKENDS` parametrizes a test over them. Dask runs on the CPU, so its tests always run when
dask is installed. CuPy's are skipped, with the reason shown, unless CuPy finds a device.
"""

import functools

import numpy as np
import pytest


@functools.cache
def cuda_missing() -> str | None:
    """Why CuPy cannot run here, or None when it can."""
    try:
        import cupy
    except ImportError as exc:
        return f"CuPy is not installed ({exc})"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # no driver, no device: CUDARuntimeError
        return f"CuPy has no CUDA device here ({type(exc).__name__}: {exc})"
    return None if count else "CuPy has no CUDA device here (0 devices)"


def dask_missing():
    try:
        import dask.array  # noqa: F401
    except ImportError as exc:
        return f"Dask is not installed ({exc})"
    return None


_REASONS = {"dask": dask_missing, "cupy": cuda_missing}


def backend_param(name):
    reason = _REASONS[name]()
    marks = [pytest.mark.skip(reason=reason)] if reason else []
    return pytest.param(name, marks=[getattr(pytest.mark, name), *marks], id=name)


BACKENDS = [backend_param("dask"), backend_param("cupy")]


def to_backend(value, backend: str):
    """`value` with every NumPy array (in dicts, lists and tuples too) moved to `backend`."""
    if isinstance(value, dict):
        return {k: to_backend(v, backend) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_backend(v, backend) for v in value)
    if not isinstance(value, np.ndarray):
        return value
    if backend == "cupy":
        import cupy

        return cupy.asarray(value)
    import dask.array as da

    chunks = tuple(max(1, (n + 1) // 2) for n in value.shape)  # two chunks per axis, to be split
    return da.from_array(value, chunks=chunks)


def kind(value) -> str:
    """ "numpy", "cupy" or "dask": the library of an array; "float" for a Python float."""
    if type(value) is float:
        return "float"
    root = type(value).__module__.partition(".")[0]
    return root if root in ("cupy", "dask") else "numpy"


def to_numpy(value):
    """Results of a backend, computed and copied to the host, in the same nesting."""
    if isinstance(value, dict):
        return {k: to_numpy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_numpy(v) for v in value)
    library = kind(value)
    if library == "dask":
        return to_numpy(value.compute())
    if library == "cupy":
        return value.get()
    return value


def leaves(value):
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in leaves(v)]
    if isinstance(value, (list, tuple)):
        return [leaf for v in value for leaf in leaves(v)]
    return [value]


def assert_same_on_backend(grad_function, args, backend: str, rtol=1e-10):
    """`grad_function` on `backend` gives NumPy's value and gradients (to `rtol`), as arrays of
    that backend with the parameters' dtypes and shapes."""
    value, grads = grad_function(*args)
    moved = to_backend(args, backend)
    got_value, got_grads = grad_function(*moved)
    bound = grad_function.signature.bind(*args).arguments
    params = [bound[w] for w in grad_function.wrt]
    params = leaves(params[0] if grad_function.single else params)
    for g, p in zip(leaves(got_grads), params):
        if isinstance(p, np.ndarray):  # a Python or NumPy float's gradient may be one
            assert kind(g) == backend, f"a gradient came back as {type(g).__module__}.{type(g).__name__}"
    host_value, host_grads = to_numpy((got_value, got_grads))
    np.testing.assert_allclose(host_value, value, rtol=rtol, atol=1e-300)
    for want, got in zip(leaves(grads), leaves(host_grads)):
        assert np.shape(got) == np.shape(want)
        assert np.result_type(got) == np.result_type(want), (np.result_type(got), np.result_type(want))
        np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-12 * (1 + np.max(np.abs(want), initial=0)))
