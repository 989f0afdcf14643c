"""The srcgrad benchmark suite: run it with `python benchmarks/run.py` (see benchmarks/README.md).

A package so that its modules share one namespace without shadowing anything installed; nothing
here is imported at package import, so that `run.py` can set the threading environment before
NumPy loads.
"""
