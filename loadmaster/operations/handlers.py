"""Imports every handler module so that each registers its operations, exactly once."""

import importlib

_MODULES = ("ddl", "data", "job_operations", "job_control", "user_operations")


def load() -> None:
    """Import the handler modules (idempotent: Python imports each module once)."""
    for name in _MODULES:
        importlib.import_module(f"loadmaster.operations.{name}")
