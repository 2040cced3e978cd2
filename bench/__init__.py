"""Benchmarks: each prints its numbers and compares alternatives in the same run."""
