"""Imports every handler module so that each registers its operations, exactly once."""

import importlib

_MODULES = (
    "ddl",
    "data",
    "job_operations",
    "user_operations",
    "audit_operations",
    "configuration",
    "system_information",
    "sql",
)


def load() -> None:
    """Import the handler modules (idempotent: Python imports each module once)."""
    for name in _MODULES:
        importlib.import_module(f"loadmaster.operations.{name}")
