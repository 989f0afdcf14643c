"""A logistic regression's gradient on a 2,000,000 x 50 Dask array (800 MB), on a local cluster.

The data is generated on two worker processes; srcgrad builds the lazy value and gradient in this
process and the workers compute them. The test checks what the Dask backend promises for data
that does not fit comfortably in one process: this process (the driver, which also runs the
scheduler) grows by far less than the array while the cluster computes, and the results equal
the textbook formulas evaluated block by block with NumPy, to 1e-10.
"""

import gc
import logging
import threading
import time

import numpy as np
import pytest

import srcgrad


def _distributed_missing() -> str | None:
    try:
        import dask.array  # noqa: F401
        import dask.distributed  # noqa: F401
    except ImportError as exc:
        return f"dask.distributed is not installed ({exc})"
    return None


pytestmark = [
    pytest.mark.dask,
    pytest.mark.skipif(_distributed_missing() is not None, reason=str(_distributed_missing())),
]

ROWS, COLS, CHUNK = 2_000_000, 50, 100_000  # 20 blocks of 40 MB
ARRAY_BYTES = ROWS * COLS * 8
DRIVER_LIMIT = 100 * 2**20
MiB = 2**20


def loss(w, b, X, y):
    z = X @ w + b
    return np.mean(np.logaddexp(0.0, z) - y * z)


def _data(seed=2024):
    """X and labels y, as lazy arrays whose blocks are drawn wherever they are computed.

    Dask seeds every block when the graph is built, so a block computed on a worker and the
    same block computed here hold the same numbers."""
    import dask.array as da

    rng = da.random.default_rng(seed)
    X = rng.standard_normal((ROWS, COLS), chunks=(CHUNK, COLS))
    noise = rng.standard_normal(ROWS, chunks=CHUNK)
    w_true = np.random.default_rng(seed).normal(0.0, 3.0 / np.sqrt(COLS), COLS)  # X @ w_true: std 3
    y = (X @ w_true + noise > 0).astype(np.float64)
    return X, y


def _status_kib(field: str) -> int:
    """A memory figure of this process from /proc/self/status (Linux), in KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


class PeakRSS:
    """How far this process's resident memory rose above its level at the start of the block.

    On Linux the kernel keeps the peak (VmHWM); writing 5 to /proc/self/clear_refs resets it to
    the current RSS, so the figure is exact for the block and misses no short spike. Elsewhere a
    thread samples the RSS every millisecond with psutil (a dependency of distributed): a spike
    large enough to matter takes far longer than that to touch its pages.
    """

    def __enter__(self):
        gc.collect()
        try:
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")
            self.method = "kernel peak RSS (VmHWM, reset via /proc/self/clear_refs)"
            self.start = _status_kib("VmRSS") * 1024
            self._thread = None
        except OSError:
            import psutil

            process = psutil.Process()
            self.method = "RSS sampled every 1 ms with psutil"
            self.start = self._top = process.memory_info().rss
            self._done = threading.Event()

            def sample():
                while not self._done.wait(0.001):
                    self._top = max(self._top, process.memory_info().rss)

            self._thread = threading.Thread(target=sample, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc):
        if self._thread is None:
            self.peak = _status_kib("VmHWM") * 1024
        else:
            self._done.set()
            self._thread.join()
            self.peak = self._top
        self.growth = self.peak - self.start
        return False


def _reset_worker_peaks(client) -> dict:
    """Reset each worker's peak RSS and return its RSS now, in bytes; {} where the kernel offers
    no reset (not Linux).

    The function run on the workers is nested, and reads no global of this module, so that
    cloudpickle sends it by value: the workers need not import this test module."""

    def reset():
        try:
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")
            with open("/proc/self/status") as status:
                return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))
        except OSError:
            return None

    start = client.run(reset)
    return start if None not in start.values() else {}


def _worker_peaks(client) -> dict:
    def peak():
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))

    return client.run(peak)


def _reference(X, y, w, b):
    """Loss and gradients from the textbook formulas, one block of rows at a time, in this process.

    The blocks are computed with the synchronous scheduler, here, not on the cluster; only one
    block (40 MB) is held at a time. softplus(z) = max(z, 0) + log1p(exp(-|z|)) and
    sigmoid(z) = 1 / (1 + exp(-z)) are written out rather than srcgrad's logaddexp route."""
    import dask

    n = X.shape[0]
    total, dw, db = 0.0, np.zeros(COLS), 0.0
    for i in range(X.numblocks[0]):
        Xi, yi = dask.compute(X.blocks[i], y.blocks[i], scheduler="sync")
        z = Xi @ w + b
        total += np.sum(np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))) - yi * z)
        residual = 1.0 / (1.0 + np.exp(-z)) - yi
        dw += Xi.T @ residual
        db += np.sum(residual)
    return total / n, dw / n, db / n


def test_logreg_gradient_on_an_800_mb_array_on_a_local_cluster_stays_off_the_driver():
    import dask
    import dask.array as da
    from dask.distributed import Client, LocalCluster

    started = time.perf_counter()
    X, y = _data()
    assert X.nbytes == ARRAY_BYTES == 800_000_000
    w = np.random.default_rng(7).normal(0.0, 0.2, COLS)  # not the optimum: no cancellation in dw
    b = 0.25
    grad = srcgrad.grad(loss, wrt=("w", "b"))

    # 2 GiB per worker: ten times what each holds at a time here (a few 40 MB blocks, about
    # 200 MiB in all), and a bound that keeps a misbehaving graph from taking the whole machine.
    # No dashboard, and only loopback ports.
    with (
        LocalCluster(
            host="127.0.0.1",
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            memory_limit="2GiB",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        up = time.perf_counter()
        workers_start = _reset_worker_peaks(client)
        with PeakRSS() as driver:  # from building the graph to the computed results
            value, (dw, db) = grad(w, b, X, y)
            assert isinstance(value, da.Array) and isinstance(dw, da.Array) and isinstance(db, da.Array)
            assert dw.dtype == np.float64 and dw.shape == (COLS,)
            value, dw, db = dask.compute(value, dw, db)
        computed = time.perf_counter()
        workers_peak = _worker_peaks(client) if workers_start else {}
    closed = time.perf_counter()

    want_value, want_dw, want_db = _reference(X, y, w, b)
    done = time.perf_counter()

    worker_text = ", ".join(
        f"{workers_start[a] / MiB:.0f} -> {workers_peak[a] / MiB:.0f} MiB" for a in workers_peak
    )
    print(
        f"\ndriver peak RSS growth during the gradient: {driver.growth / MiB:.1f} MiB "
        f"(from {driver.start / MiB:.0f} to {driver.peak / MiB:.0f} MiB; {driver.method}); "
        f"workers' RSS before -> peak: {worker_text or 'not observable here'}"
    )
    print(
        f"cluster start {up - started:.1f} s, gradient {computed - up:.1f} s, "
        f"cluster close {closed - computed:.1f} s, NumPy reference {done - closed:.1f} s, "
        f"total {done - started:.1f} s; loss {float(value):.12f}"
    )

    assert driver.growth < DRIVER_LIMIT, (
        f"the driver's peak RSS grew by {driver.growth / MiB:.1f} MiB while the cluster computed the "
        f"gradient of an {ARRAY_BYTES / 1e6:.0f} MB array ({driver.method}); the limit is "
        f"{DRIVER_LIMIT / MiB:.0f} MiB"
    )
    assert np.shape(value) == () and np.shape(db) == ()
    np.testing.assert_allclose(value, want_value, rtol=1e-10)
    np.testing.assert_allclose(dw, want_dw, rtol=1e-10)
    np.testing.assert_allclose(db, want_db, rtol=1e-10)
