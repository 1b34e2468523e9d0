"""Answered requests, counted in the metrics and logged a batch at a time.

As nginx's ``access_log ... buffer=`` does: an access log line (a log record, the handlers,
a write) and two metric updates are most of a small request's own cost when made alone, and
far less in a batch. A request waits at most :data:`FLUSH_SECONDS` (or until
:data:`BATCH_REQUESTS` wait, a scrape of ``GET /metrics``, or the server's shutdown), and its
log record keeps the time the request ended.
"""

import asyncio
import logging
from typing import NamedTuple

from loadmaster.server.metrics import Metrics

__all__ = ["BATCH_REQUESTS", "FLUSH_SECONDS", "Answered", "RequestRecords"]

log = logging.getLogger("loadmaster.access")

#: A batch is handled when this many requests wait, or when the first has waited this long.
BATCH_REQUESTS = 64
FLUSH_SECONDS = 0.1
#: An access log line: client, method, path, operation, status, milliseconds, user.
LINE = "%s %s %s %s %d %.2fms user=%s"


class Answered(NamedTuple):
    """One answered request, as the access log saw it."""

    #: When it ended (``time.time()``).
    created: float
    #: Its metrics label: the operation, ``unknown``, or the route.
    label: str
    status: int
    seconds: float
    client: str
    method: str
    path: str
    #: The operation of a ``POST /`` (``unknown`` when its body names none), else None.
    operation: str | None
    #: The user its credentials name.
    user: str | None
    #: Whether the access log was on when it ended.
    logged: bool


class RequestRecords:
    """The answered requests of one app's event loop, waiting to be counted and logged."""

    __slots__ = ("_metrics", "_waiting")

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics
        self._waiting: list[Answered] = []
        metrics.before_scrape(self.flush)

    def add(self, answered: Answered) -> None:
        """Queue one answered request (on the event loop)."""
        waiting = self._waiting
        waiting.append(answered)
        if len(waiting) >= BATCH_REQUESTS:
            self.flush()
        elif len(waiting) == 1:
            asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        """Count and log every waiting request now."""
        waiting, self._waiting = self._waiting, []
        observe = self._metrics.observe_request
        for answered in waiting:
            observe(answered.label, answered.status, answered.seconds)
            if answered.logged:
                _log(answered)


def _log(answered: Answered) -> None:
    milliseconds = answered.seconds * 1000
    operation = answered.operation
    args = (
        answered.client,
        answered.method,
        answered.path,
        operation if operation is not None and operation != "unknown" else "-",
        answered.status,
        milliseconds,
        answered.user or "-",
    )
    event = {
        "event": "request",
        "client": answered.client,
        "method": answered.method,
        "path": answered.path,
        "operation": operation,
        "status": answered.status,
        "duration_ms": round(milliseconds, 3),
        "user": answered.user,
    }
    # As log.info() would, less the search of the stack for the caller: the record names
    # this function, and says when the request ended.
    record = log.makeRecord(
        log.name, logging.INFO, __file__, 0, LINE, args, None, "_log", {"event": event}
    )
    created = answered.created
    record.relativeCreated -= (record.created - created) * 1000
    record.created = created
    record.msecs = int((created - int(created)) * 1000) + 0.0
    log.handle(record)
