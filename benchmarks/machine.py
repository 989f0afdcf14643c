"""What the numbers were measured on: CPU, cores, threads, Python, NumPy and its BLAS, versions.

A ratio means little without the machine and the versions behind it, and a later run on another
machine must be told apart from a regression; so the report starts with this.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np

import srcgrad

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "XLA_FLAGS")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas() -> str:
    """NumPy's BLAS library and version, as NumPy's build configuration reports it."""
    try:
        config = np.show_config(mode="dicts")
        info = config["Build Dependencies"]["blas"]
        return f"{info.get('name', '?')} {info.get('version', '')}".strip()
    except Exception:  # older NumPy: no dict mode; the report just says so
        return "unknown"


def srcgrad_commit() -> str:
    """The checked-out commit of srcgrad's repository, marked when the tree has changes."""
    root = Path(srcgrad.__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" (with uncommitted changes)" if dirty else "")


def load() -> list[float] | None:
    """The 1, 5 and 15 minute load averages: other work on the machine makes the times noisy
    (the ratios less so: every system shares each round's conditions)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def cache_size() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("cache size"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def workloads_digest() -> str:
    """A fingerprint of workloads.py: results measured against other programs, hand-written
    code or inputs are not merged with this run's."""
    text = (Path(__file__).parent / "workloads.py").read_bytes()
    return hashlib.sha1(text).hexdigest()[:12]


def describe(threads: str, peers: dict[str, str]) -> dict:
    """The machine and software of this run, as plain data for the report."""
    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": cpu_model(),
        "cache": cache_size(),
        "load_start": load(),
        "cores": os.cpu_count(),
        "pinned_to": affinity if threads == "1" else None,
        "threads": threads,
        "thread_variables": {name: os.environ.get(name) for name in THREAD_VARIABLES if name in os.environ},
        "python": f"{platform.python_implementation()} {sys.version.split()[0]}",
        "platform": platform.platform(),
        "numpy": np.__version__,
        "blas": blas(),
        "srcgrad": f"{srcgrad.__version__}, commit {srcgrad_commit()}",
        "peers": peers,
        "workloads_digest": workloads_digest(),
    }
