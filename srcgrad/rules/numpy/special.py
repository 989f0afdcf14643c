"""Numerically careful special functions: sigmoid, softmax, logsumexp and friends.

Rules here stay finite at large and infinite inputs where the math allows. Those for
`scipy.special` are registered only when SciPy is installed.
"""
