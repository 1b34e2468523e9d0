"""The ASGI types of the server's plain ASGI parts (the access log, ``POST /``), and one rule."""

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["ASGIApp", "Message", "Receive", "Scope", "Send", "must_close"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def must_close(scope: Scope) -> bool:
    """Tell whether an answer sent before the whole body was read must end the connection.

    The rest of the body is never read, so an HTTP/1 connection cannot carry another request;
    a client told ``connection: close`` does not try to reuse it. HTTP/2 ends only the stream.
    """
    return scope.get("http_version") in ("1.0", "1.1")
