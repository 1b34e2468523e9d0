"""loadmaster: a HarperDB-compatible Operations API server whose heart is asynchronous jobs.

Embedded use::

    import loadmaster

    with loadmaster.open("./data") as db:
        db.operation({"operation": "create_table", "table": "dog", "primary_key": "id"})
"""

from loadmaster.errors import (
    AuthenticationError,
    InvalidRequestError,
    LoadmasterError,
    NotFoundError,
    PermissionDeniedError,
)
from loadmaster.instance import Instance, open_instance as open  # noqa: A004 - the public name
from loadmaster.settings import Settings

__version__ = "0.1.0"

__all__ = [
    "AuthenticationError",
    "Instance",
    "InvalidRequestError",
    "LoadmasterError",
    "NotFoundError",
    "PermissionDeniedError",
    "Settings",
    "__version__",
    "open",
]
