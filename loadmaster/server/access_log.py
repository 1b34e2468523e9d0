"""The access log and the HTTP metrics: one line and one count per request.

An ASGI middleware, so the routes stay as they are; requests are counted and logged a batch at
a time (:mod:`.request_records`). A line has the method, the path (never the query string: the
events route accepts a token there), the operation of a ``POST /`` body, the status, the
duration and the user the credentials name; never a body, a password or a token. The operation
is read from the body's first 64 KiB (and its last chunk) as the body goes by, so nothing is
decoded twice and big bodies are not copied.
"""

import base64
import binascii
import logging
import re
import time
from collections.abc import Collection

import msgspec

from loadmaster.server.asgi import ASGIApp, Message, Receive, Scope, Send
from loadmaster.server.metrics import Metrics
from loadmaster.server.request_records import Answered, RequestRecords

__all__ = ["AccessLog", "route_name"]

log = logging.getLogger("loadmaster.access")


_PEEK_BYTES = 64 << 10
_OPERATION = re.compile(rb'"operation"\s*:\s*"([A-Za-z_]{1,64})"')
_USERNAME = re.compile(rb'"username"\s*:\s*"([^"\\]{1,200})"')
_ROUTES = (
    ("/load/", "upload"),
    ("/jobs/", "job_events"),
    ("/ui", "ui"),
)
_EXACT_ROUTES = {"/health": "health", "/metrics": "metrics", "/openapi.json": "openapi"}


class _Claims(msgspec.Struct):
    username: str | None = None


_CLAIMS = msgspec.json.Decoder(_Claims)


def route_name(path: str) -> str:
    """Return the metrics label of a path other than ``/`` (a bounded set of names)."""
    exact = _EXACT_ROUTES.get(path)
    if exact is not None:
        return exact
    for prefix, name in _ROUTES:
        if path.startswith(prefix):
            return name
    return "other"


def _header_user(authorization: bytes) -> str | None:
    """Return the user an Authorization header names (not verified: the status says that)."""
    scheme, _, value = authorization.strip().partition(b" ")
    scheme = scheme.lower()
    try:
        if scheme == b"basic":
            username, sep, _ = base64.b64decode(value.strip(), validate=True).partition(b":")
            return username.decode() if sep else None
        if scheme == b"bearer":
            payload = value.strip().split(b".")[1]
            claims = _CLAIMS.decode(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
            return claims.username
    except (binascii.Error, IndexError, UnicodeDecodeError, ValueError, msgspec.DecodeError):
        return None
    return None


class _BodyPeek:
    """The first 64 KiB and the last chunk of a body, kept by reference as it goes by."""

    __slots__ = ("head", "size", "tail")

    def __init__(self) -> None:
        self.head: list[bytes] = []
        self.size = 0
        self.tail = b""

    def add(self, chunk: bytes) -> None:
        if self.size < _PEEK_BYTES:
            self.head.append(chunk)
        else:
            self.tail = chunk
        self.size += len(chunk)

    def find(self, pattern: re.Pattern[bytes]) -> str | None:
        head = self.head[0] if len(self.head) == 1 else b"".join(self.head)
        found = pattern.search(head) or pattern.search(self.tail)
        return found.group(1).decode() if found is not None else None


class AccessLog:
    """Wrap an ASGI app: log each HTTP request and count it in the metrics."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, operations: Collection[str]) -> None:
        self._app = app
        self._operations = frozenset(operations)
        self._records = RequestRecords(metrics)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one connection event; time and record HTTP requests."""
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # the app failed before it answered
        peek = _BodyPeek() if scope["path"] == "/" and scope["method"] == "POST" else None

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        async def receiving() -> Message:
            message = await receive()
            if peek is not None and message["type"] == "http.request":
                peek.add(message.get("body", b""))
            return message

        try:
            await self._app(scope, receiving, sending)
        finally:
            self._record(scope, peek, status, time.perf_counter() - started)

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the server's start and stop on; record the waiting requests when it stops."""

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                self._records.flush()
            return message

        try:
            await self._app(scope, receiving, send)
        finally:
            self._records.flush()

    def _record(self, scope: Scope, peek: _BodyPeek | None, status: int, seconds: float) -> None:
        path: str = scope["path"]
        operation: str | None = None  # the operation of a POST / body ("unknown": none)
        if peek is not None:
            found = peek.find(_OPERATION)
            label = operation = found if found in self._operations else "unknown"
        else:
            label = route_name(path)
        logged = log.isEnabledFor(logging.INFO)
        client = scope.get("client")
        self._records.add(
            Answered(
                created=time.time(),
                label=label,
                status=status,
                seconds=seconds,
                client=client[0] if client else "-",
                method=scope["method"],
                path=path,
                operation=operation,
                user=self._user(scope, peek) if logged else None,
                logged=logged,
            )
        )

    def _user(self, scope: Scope, peek: _BodyPeek | None) -> str | None:
        for name, value in scope["headers"]:
            if name == b"authorization":
                return _header_user(value)
        return peek.find(_USERNAME) if peek is not None else None
