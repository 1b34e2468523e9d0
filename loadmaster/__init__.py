"""loadmaster: a HarperDB-compatible Operations API server whose heart is asynchronous jobs.

Embedded use::

    import loadmaster

    with loadmaster.open("./data") as db:
        db.operation({"operation": "create_table", "table": "dog", "primary_key": "id"})

The heavy parts load on first use (``loadmaster.open``, ``loadmaster.Client``), so a command
line that only talks to a server does not import the storage, the jobs or the HTTP server.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from loadmaster import package
from loadmaster.errors import (
    AuthenticationError,
    InvalidRequestError,
    LoadmasterError,
    NotFoundError,
    PermissionDeniedError,
)
from loadmaster.settings import Settings

if TYPE_CHECKING:
    __version__: str
    from loadmaster.client import Client, Job
    from loadmaster.instance import Instance, open_instance as open  # noqa: A004
    from loadmaster.server import BackgroundServer


def _serve(instance: "Instance", host: str, port: int) -> "BackgroundServer":
    # The embedded core never imports the HTTP server; the package puts the two together.
    from loadmaster.server import serve_in_background

    return serve_in_background(instance, host, port)


package.use_server(_serve)

#: Public names loaded on first use: name -> (module, attribute).
_LAZY = {
    "Client": ("loadmaster.client", "Client"),
    "Job": ("loadmaster.client", "Job"),
    "Instance": ("loadmaster.instance", "Instance"),
    "open": ("loadmaster.instance", "open_instance"),
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        return package.version()
    found = _LAZY.get(name)
    if found is None:
        raise AttributeError(f"module 'loadmaster' has no attribute {name!r}")
    value = getattr(import_module(found[0]), found[1])
    globals()[name] = value
    return value


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
