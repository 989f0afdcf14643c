"""Train a logistic regression on a Dask cluster, with srcgrad's gradients.

2,000,000 rows of 50 standard normal features (800 MB of float64) are generated on the cluster's
workers, with labels y = (X @ w_true + noise > 0). The model is trained by full-batch gradient
descent: each epoch, srcgrad's gradient function, given Dask arrays, runs the same generated code
as for NumPy with `np` bound to `dask.array` and returns the loss and gradients as lazy arrays;
the cluster computes them, and only the loss, the 50 weights' gradient and the bias's travel back
to this process. The workers run only NumPy and Dask: they do not need srcgrad installed.

Run: python examples/dask_logreg.py [--rows N] [--epochs K] [--quick]
(--quick: 200,000 rows and 2 epochs, for CI.) Needs dask[distributed].

By default the script starts a cluster of worker processes on this machine. To use a real
cluster, start a scheduler and workers there (`dask scheduler`, `dask worker tcp://...:8786`) and
set SRCGRAD_DASK_SCHEDULER=tcp://scheduler-address:8786, or replace LocalCluster in `connect` with
Client("tcp://scheduler-address:8786").
"""

import argparse
import contextlib
import logging
import os
import sys
import time

import dask.array as da
import numpy as np
from dask.distributed import Client, LocalCluster, progress, wait

import srcgrad

COLS = 50
CHUNK_ROWS = 100_000  # 40 MB blocks: per-task overhead is negligible, and a worker holds several
ROWS, EPOCHS = 2_000_000, 5
QUICK_ROWS, QUICK_EPOCHS = 200_000, 2
# The loss's curvature is at most 1/4 of the features' covariance (the identity here), so gradient
# descent is stable for steps up to 8; 4 gets most of the way in a few epochs.
LEARNING_RATE = 4.0


@srcgrad.grad(wrt=("w", "b"))
def loss(w, b, X, y):
    z = X @ w + b
    return np.mean(np.logaddexp(0.0, z) - y * z)  # labels y in {0, 1}


def make_data(rows, seed=0):
    """X and y as lazy Dask arrays: each block is drawn on the worker that computes it."""
    rng = da.random.default_rng(seed)
    X = rng.standard_normal((rows, COLS), chunks=(min(CHUNK_ROWS, rows), COLS))
    noise = rng.standard_normal(rows, chunks=X.chunks[0])
    w_true = np.random.default_rng(seed).normal(0.0, 3.0 / np.sqrt(COLS), COLS)  # X @ w_true: std 3
    y = (X @ w_true + noise > 0).astype(np.float64)
    return X, y


@contextlib.contextmanager
def connect():
    """A client of the cluster named by SRCGRAD_DASK_SCHEDULER, else of a new local one."""
    address = os.environ.get("SRCGRAD_DASK_SCHEDULER")
    if address:  # a real cluster: e.g. tcp://scheduler-address:8786
        with Client(address) as client:
            yield client
        return
    # Worker processes on this machine, one per core as LocalCluster chooses; no dashboard.
    with (
        LocalCluster(host="127.0.0.1", dashboard_address=None, silence_logs=logging.ERROR) as cluster,
        Client(cluster) as client,
    ):
        yield client


def run(client, collections, show_progress):
    """Start computing `collections` on the cluster, showing distributed's progress bar."""
    futures = client.compute(collections)
    if show_progress:
        # distributed's text bar writes to stdout; on stderr it stays out of the printed results
        with contextlib.redirect_stdout(sys.stderr):
            progress(futures)
    return client.gather(futures)


def main(rows=None, epochs=None, quick=False, learning_rate=LEARNING_RATE, seed=0, show_progress=None):
    """Train; return the loss before each epoch and after the last one, and the final accuracy."""
    rows = rows or (QUICK_ROWS if quick else ROWS)
    epochs = epochs or (QUICK_EPOCHS if quick else EPOCHS)
    if show_progress is None:  # a bar redrawn with \r is noise in a log file
        show_progress = sys.stderr.isatty()
    start = time.perf_counter()
    with connect() as client:
        workers = len(client.scheduler_info()["workers"])
        print(f"{rows:,} x {COLS} float64 ({rows * COLS * 8 / 1e6:,.0f} MB) on {workers} Dask workers")
        X, y = make_data(rows, seed)
        began = time.perf_counter()
        # Keep the data in the workers' memory across epochs: it is generated (on a real cluster,
        # read) once rather than every epoch. Drop this line if it does not fit there.
        X, y = client.persist([X, y])
        if show_progress:
            with contextlib.redirect_stdout(sys.stderr):
                progress([X, y])
        wait([X, y])  # so that the first epoch's time is its own
        print(f"data generated on the workers in {time.perf_counter() - began:.1f} s")

        w, b = np.zeros(COLS), 0.0
        losses = []
        for epoch in range(epochs):
            began = time.perf_counter()
            value, (dw, db) = loss(w, b, X, y)  # lazy: this builds the task graph only
            value, dw, db = run(client, [value, dw, db], show_progress)
            w, b = w - learning_rate * dw, b - learning_rate * float(db)
            losses.append(float(value))
            print(f"epoch {epoch + 1}/{epochs}  loss {value:.6f}  ({time.perf_counter() - began:.1f} s)")

        value, _ = loss(w, b, X, y)  # Dask computes only the loss's part of the graph
        accuracy = da.mean((X @ w + b > 0) == (y > 0.5))
        value, accuracy = run(client, [value, accuracy], show_progress)
        losses.append(float(value))
    print(f"final loss {value:.6f}  accuracy {accuracy:.4f}  ({time.perf_counter() - start:.1f} s in all)")
    return losses, float(accuracy)


def _arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--rows", type=int, help=f"rows of data (default {ROWS:,})")
    parser.add_argument("--epochs", type=int, help=f"gradient descent steps (default {EPOCHS})")
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_ROWS:,} rows and {QUICK_EPOCHS} epochs, for CI"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":  # the guard matters: worker processes re-import this file
    main(**vars(_arguments()))
