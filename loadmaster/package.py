"""What the package says about itself, and what its top plugs into the layers below it.

The embedded core (``instance``) never imports the HTTP server: ``loadmaster/__init__`` sets
the server factory here, and :meth:`loadmaster.instance.Instance.serve` reads it. Nothing here
imports anything of loadmaster, so every layer may read it.
"""

from collections.abc import Callable
from importlib import metadata
from typing import Any

__all__ = ["ServerFactory", "server_factory", "use_server", "version"]

#: Starts an HTTP server for an instance: ``(instance, host, port) -> server``.
ServerFactory = Callable[[Any, str, int], Any]
_server_factory: list[ServerFactory] = []


def version() -> str:
    """Return the installed package's version (``0+unknown`` in a tree never installed)."""
    try:
        return metadata.version("loadmaster")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def use_server(factory: ServerFactory) -> None:
    """Set how :meth:`Instance.serve` starts an HTTP server."""
    _server_factory[:] = [factory]


def server_factory() -> ServerFactory | None:
    """Return what starts an HTTP server, or None when nothing set one."""
    return _server_factory[0] if _server_factory else None
