"""Optimizations: rewrites of generated code that keep its meaning and make it shorter."""
