"""Benchmarks: commands anyone can run (python -m benchmarks.<name>), never timed tests."""
