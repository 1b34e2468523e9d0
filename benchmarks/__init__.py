"""The loadmaster benchmark harness: ``python -m benchmarks [SCENARIO ...]`` (see README.md)."""
