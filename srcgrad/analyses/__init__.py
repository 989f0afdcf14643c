"""Analyses: each reads a program and returns facts about it."""
