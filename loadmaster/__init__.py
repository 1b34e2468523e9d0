"""loadmaster: a HarperDB-compatible Operations API server whose heart is asynchronous jobs.

Embedded use::

    import loadmaster

    with loadmaster.open("./data") as db:
        db.operation({"operation": "create_table", "table": "dog", "primary_key": "id"})
"""

from importlib import metadata as _metadata

from loadmaster.client import Client, Job
from loadmaster.errors import (
    AuthenticationError,
    InvalidRequestError,
    LoadmasterError,
    NotFoundError,
    PermissionDeniedError,
)
from loadmaster.instance import Instance, open_instance as open, use_server  # noqa: A004
from loadmaster.server import serve_in_background
from loadmaster.settings import Settings

# The embedded core never imports the HTTP server; the package puts the two together.
use_server(serve_in_background)

try:
    __version__ = _metadata.version("loadmaster")
except _metadata.PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "AuthenticationError",
    "Client",
    "Instance",
    "InvalidRequestError",
    "Job",
    "LoadmasterError",
    "NotFoundError",
    "PermissionDeniedError",
    "Settings",
    "__version__",
    "open",
]
