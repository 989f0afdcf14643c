"""Array backends: NumPy, CuPy and Dask run the same generated source.

The generated function never names a module itself: the user's `np` (and any NumPy or
`scipy.special` function the user imported by name) is a parameter of the factory that
`compile.py` calls, bound to NumPy, to CuPy (with `cupyx.scipy.special`), or to `dask.array`.
Which one is chosen at each call from the types of the arguments. CuPy and Dask are imported
only when an argument of theirs arrives, so NumPy users need neither.
"""

from __future__ import annotations

import functools
import types
from dataclasses import dataclass, field

import numpy as np

from .errors import ArgumentTypeError, UnsupportedBackendError

SUPPORTED = "numpy.ndarray, cupy.ndarray or dask.array.Array (or Python and NumPy floats)"

# where a value the generated code reads may come from: (dotted path in NumPy/SciPy, the path
# of its counterpart in a backend's namespace)
_SOURCES = ("numpy", "numpy.linalg", "numpy.fft", "scipy.special")


@dataclass
class Backend:
    """One array library: its namespace for `np.*`, and for `scipy.special.*`."""

    name: str  # "numpy", "cupy", "dask"
    label: str  # as messages print the array type
    modules: dict = field(repr=False, default_factory=dict)  # "numpy" / "numpy.linalg" / ... -> module

    def translate(self, value):
        """The counterpart in this backend of a module or function the user's code reads."""
        if self.name == "numpy":
            return value
        path = _path_of(value)
        if path is None:
            return value
        module, _, attr = path.rpartition(".")
        if isinstance(value, types.ModuleType):
            return self.module(path)
        counterpart = getattr(self.module(module), attr, None)
        if counterpart is None:
            raise UnsupportedBackendError(
                f"{path} has no counterpart in {self.label}, so srcgrad cannot run this function "
                f"on {self.label} arrays.",
                hint="Call it with NumPy arrays, or compute that part yourself and pass it in.",
            )
        return counterpart

    def module(self, path: str):
        """This backend's namespace for the NumPy or SciPy module at `path`."""
        if path == "scipy":
            return _Scipy(self)
        found = self.modules.get(path)
        if found is None:
            raise UnsupportedBackendError(
                f"{self.label} has no counterpart of {path}, so srcgrad cannot run this function "
                f"on {self.label} arrays.",
                hint="Call it with NumPy arrays.",
            )
        return found


class _Scipy:
    """`scipy` as a backend sees it: only its `special` module is used by generated code."""

    def __init__(self, backend: Backend):
        self.special = backend.module("scipy.special")


NUMPY = Backend("numpy", "NumPy")
_loaded: dict[str, Backend] = {}


def backend_named(name: str) -> Backend:
    if name == "numpy":
        return NUMPY
    if name not in _loaded:
        _loaded[name] = _load(name)
    return _loaded[name]


def _load(name: str) -> Backend:
    if name == "cupy":
        import cupy
        import cupyx.scipy.special

        modules = {"numpy": _CupyNumpy(cupy), "numpy.linalg": cupy.linalg, "numpy.fft": cupy.fft}
        modules["scipy.special"] = cupyx.scipy.special
        return Backend("cupy", "CuPy", modules)
    import dask.array

    numpy = _DaskNumpy(dask.array)
    modules = {"numpy": numpy, "numpy.linalg": numpy.linalg, "numpy.fft": numpy.fft}
    modules["scipy.special"] = _DaskUfuncs()
    return Backend("dask", "Dask", modules)


# reductions and others whose positional parameters after the first two differ in Dask
# (np.sum(a, axis, dtype, out, keepdims) against dask's (a, axis, dtype, keepdims, ...))
_NUMPY_POSITIONS = (
    "sum", "prod", "mean", "max", "min", "std", "var", "nansum", "nanmean", "nanmax", "nanmin",
    "nanprod", "cumsum", "cumprod", "argmax", "argmin", "linspace", "median",
)  # fmt: skip


def _by_keyword(numpy_function, dask_function):
    """`dask_function` called with NumPy's meaning of each positional argument."""
    import inspect

    names = [p.name for p in inspect.signature(numpy_function).parameters.values()]

    def call(a, *args, **kwargs):
        kwargs.update(zip(names[1:], args))
        return dask_function(a, **kwargs)

    call.__name__ = numpy_function.__name__
    return call


class _Checked:
    """A Dask module (`dask.array.linalg`) reduced to the functions that mean there what they
    mean in NumPy; any other names the NumPy function it lacks."""

    def __init__(self, module, numpy_path: str, same: dict):
        self._module, self._path, self._same = module, numpy_path, same

    def __getattr__(self, attr):
        if attr not in self._same:
            raise _missing(f"{self._path}.{attr}")
        found = self._same[attr]
        return getattr(self._module, attr) if found is None else found


class _DaskUfuncs:
    """`scipy.special` on Dask: its ufuncs apply lazily to each block (Dask maps any ufunc);
    its other functions (`logsumexp`, `softmax`) would pull the array into memory."""

    def __getattr__(self, attr):
        import scipy.special

        value = getattr(scipy.special, attr)
        if not isinstance(value, np.ufunc):
            raise _missing(f"scipy.special.{attr}")
        return value


def _missing(path: str) -> UnsupportedBackendError:
    return UnsupportedBackendError(
        f"{path} has no counterpart in dask.array, so srcgrad cannot run this function on Dask arrays.",
        hint="Call it with NumPy arrays, or apply it blockwise yourself with dask.array.map_blocks.",
    )


def _numpy2_clip(clip):
    """`clip` that also takes NumPy 2.1's `min=`/`max=` (srcgrad writes `x.clip(a, b)` so);
    CuPy's and Dask's take only `a_min`/`a_max`, or positions."""

    def call(a, a_min=None, a_max=None, *, min=None, max=None, **kwargs):
        return clip(a, a_min if min is None else min, a_max if max is None else max, **kwargs)

    return call


class _CupyNumpy:
    """`np` on the CuPy backend: `cupy` itself, but for the NumPy 2 keywords its functions lack
    (srcgrad writes `x.clip(a, b)` as `np.clip(x, min=a, max=b)`)."""

    def __init__(self, cupy):
        self._cp = cupy
        self.__name__ = "cupy"
        self.clip = _numpy2_clip(cupy.clip)

    def __getattr__(self, attr):
        value = getattr(self._cp, attr)
        setattr(self, attr, value)  # looked up once
        return value

    def reshape(self, a, shape=None, order="C", *, newshape=None, **kwargs):
        return self._cp.reshape(a, shape if newshape is None else newshape, order, **kwargs)


class _DaskNumpy:
    """`np` on the Dask backend: `dask.array`'s functions, NumPy's dtypes and constants.

    A NumPy function that `dask.array` lacks raises a clear error naming it, rather than
    letting NumPy turn a lazy array into one in memory.
    """

    def __init__(self, da):
        self._da = da
        self.__name__ = "dask.array"
        # NumPy functions dask.array lacks that have an exact lazy form
        self.size = lambda a, axis=None: a.size if axis is None else a.shape[axis]
        self.copy = lambda a: a  # Dask arrays are never changed in place
        self.amax, self.amin = da.max, da.min
        self.inner = lambda a, b: a * b if a.ndim == 0 or b.ndim == 0 else self.tensordot(a, b, (-1, -1))
        for name in _NUMPY_POSITIONS:  # Dask's third or later positional parameter means another thing
            setattr(self, name, _by_keyword(getattr(np, name), getattr(da, name)))
        self.finfo = np.finfo
        self.clip = _numpy2_clip(da.clip)
        self.s_, self.index_exp = np.s_, np.index_exp
        # Dask's cholesky returns the upper factor unless told; its svd, qr and lstsq take other
        # arguments: only these four mean what NumPy's do
        lower = functools.partial(da.linalg.cholesky, lower=True)
        same = {"solve": None, "inv": None, "norm": None, "cholesky": lower}
        self.linalg = _Checked(da.linalg, "numpy.linalg", same)
        self.fft = _Checked(da.fft, "numpy.fft", {})

    def full_like(self, a, fill_value, dtype=None, **kwargs):
        if isinstance(fill_value, self._da.Array):  # dask.array.full_like wants a number
            dtype = dtype or a.dtype
            return (self._da.zeros_like(a, dtype=dtype, **kwargs) + fill_value).astype(dtype)
        return self._da.full_like(a, fill_value, dtype=dtype, **kwargs)

    def tensordot(self, a, b, axes=2):
        # dask.array.tensordot contracts the wrong axes when they are given as negative numbers
        if not isinstance(axes, int):
            first, second = axes
            first = [i % a.ndim for i in (first if isinstance(first, (list, tuple)) else [first])]
            second = [i % b.ndim for i in (second if isinstance(second, (list, tuple)) else [second])]
            axes = (first, second)
        return self._da.tensordot(a, b, axes=axes)

    def eye(self, N, M=None, k=0, dtype=float):
        # Dask's second parameter is chunks, and its offset rectangles come out wrong
        columns = self._da.arange(N if M is None else M)
        return (self._da.arange(N)[:, None] + k == columns).astype(dtype)

    def split(self, a, indices_or_sections, axis=0):
        n = a.shape[axis]
        if isinstance(indices_or_sections, int):
            if n % indices_or_sections:
                raise ValueError("array split does not result in an equal division")
            step = n // indices_or_sections
            indices_or_sections = range(step, n, step)
        return self._pieces(a, list(indices_or_sections), axis)

    def array_split(self, a, indices_or_sections, axis=0):
        n = a.shape[axis]
        if isinstance(indices_or_sections, int):  # as NumPy: the first n % k pieces one longer
            size, extra = divmod(n, indices_or_sections)
            bounds = [i * size + min(i, extra) for i in range(1, indices_or_sections)]
            return self._pieces(a, bounds, axis)
        return self._pieces(a, list(indices_or_sections), axis)

    def _pieces(self, a, bounds, axis):
        edges = [0, *bounds, a.shape[axis]]
        where = [slice(None)] * a.ndim
        out = []
        for lo, hi in zip(edges, edges[1:]):
            where[axis] = slice(lo, hi)
            out.append(a[tuple(where)])
        return out

    def __getattr__(self, attr):
        found = getattr(self._da, attr, None)
        if found is not None:
            setattr(self, attr, found)
            return found
        value = getattr(np, attr)  # AttributeError for names NumPy does not have either
        if isinstance(value, (type, np.dtype, float, int)) or value is None:  # dtypes, pi, newaxis
            setattr(self, attr, value)
            return value
        raise _missing(f"numpy.{attr}")


def _path_of(value) -> str | None:
    """`"numpy.linalg.norm"` for `np.linalg.norm`: where in NumPy or `scipy.special` a module,
    function or ufunc the user's code reads lives; None for anything else."""
    if isinstance(value, types.ModuleType):
        name = value.__name__
        if name in _SOURCES or name == "scipy":
            return name
        return None
    table = _functions()
    return table.get(id(value))


_table: dict[int, str] | None = None


def _functions() -> dict[int, str]:
    global _table
    if _table is None:
        import importlib
        import sys

        table = {}
        for module_name in reversed(_SOURCES):  # numpy's own name wins when both export one
            if module_name == "scipy.special" and "scipy" not in sys.modules:
                continue
            module = importlib.import_module(module_name)
            for attr in dir(module):
                value = getattr(module, attr, None)
                if callable(value) and not isinstance(value, type):
                    table[id(value)] = f"{module_name}.{attr}"
        _table = table
    return _table


def is_array_namespace(value) -> bool:
    """Whether generated code should read `value` through the backend (NumPy, its functions,
    `scipy.special`) rather than from the user's globals."""
    return _path_of(value) is not None


def kind_of(value) -> str | None:
    """The backend an argument belongs to: "numpy", "cupy", "dask", or None for values that
    fit any backend (Python numbers, NumPy scalars, None, strings) and containers."""
    t = type(value)
    if t is np.ndarray:
        return "numpy"
    root = t.__module__.partition(".")[0]
    if root == "cupy" and t.__name__ == "ndarray":
        return "cupy"
    if root == "dask" and t.__name__ == "Array":
        return "dask"
    if isinstance(value, np.ndarray):
        return "numpy"
    return None


def foreign(value) -> bool:
    """An array of a library srcgrad does not support (a torch tensor, a JAX array)."""
    if isinstance(value, (np.ndarray, np.generic)) or kind_of(value) is not None:
        return False
    t = type(value)
    return t.__module__.partition(".")[0] not in ("builtins",) and (
        hasattr(value, "__array__") or hasattr(value, "__array_namespace__") or hasattr(value, "__dlpack__")
    )


def choose(named: list) -> Backend:
    """The backend for a call, from `(parameter name, value)` pairs of its array arguments."""
    kinds: dict[str, str] = {}
    for param, value in named:
        kind = kind_of(value)
        if kind is None:
            if foreign(value):
                t = type(value)
                raise ArgumentTypeError(
                    f"{param} is a {t.__module__}.{t.__qualname__}, which srcgrad cannot differentiate "
                    f"through; it runs the generated code on {SUPPORTED}.",
                    hint=f"Convert it, e.g. {param}=np.asarray({param}) (for a torch tensor: "
                    f"{param}.detach().cpu().numpy()).",
                )
            continue
        kinds.setdefault(kind, param)
    if "dask" in kinds and "cupy" not in kinds:  # Dask takes NumPy arrays as one-chunk arrays
        return backend_named("dask")
    if len(kinds) > 1:
        (a, pa), (b, pb) = list(kinds.items())[:2]
        raise ArgumentTypeError(
            f"the arguments mix array libraries: {pa} is a {_LABELS[a]} array and {pb} a "
            f"{_LABELS[b]} one; srcgrad runs one backend per call.",
            hint="Move them to one library first (cupy.asarray, dask.array.from_array, or .get() / "
            ".compute() for NumPy).",
        )
    return backend_named(next(iter(kinds), "numpy"))


_LABELS = {"numpy": "NumPy", "cupy": "CuPy", "dask": "Dask"}
