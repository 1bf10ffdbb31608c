"""Benchmarks: scripts that print figures and the machine they ran on (see docs/benchmarks.md)."""
