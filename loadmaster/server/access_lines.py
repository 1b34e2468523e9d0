"""Access log lines handed to logging a batch at a time, as nginx's ``access_log ... buffer=``
does: a line per request is most of a small request's own cost when made alone (a log
record, the handlers, a write), and far less in a batch.

A line waits at most :data:`FLUSH_SECONDS` (or until :data:`BATCH_LINES` are waiting, or the
server shuts down) and keeps the time of its request: its record says when the request ended.
"""

import asyncio
import logging
from typing import Any

__all__ = ["BATCH_LINES", "FLUSH_SECONDS", "AccessLines"]

log = logging.getLogger("loadmaster.access")

#: A batch is handed over when this many lines wait, or when the first has waited this long.
BATCH_LINES = 64
FLUSH_SECONDS = 0.1
#: An access log line: client, method, path, operation, status, milliseconds, user.
LINE = "%s %s %s %s %d %.2fms user=%s"


class AccessLines:
    """The access log lines of one app's event loop, waiting to be logged."""

    __slots__ = ("_waiting",)

    def __init__(self) -> None:
        self._waiting: list[tuple[float, tuple[Any, ...], dict[str, Any]]] = []

    def add(self, created: float, args: tuple[Any, ...], event: dict[str, Any]) -> None:
        """Queue one line: its time (``time.time()``), the arguments of :data:`LINE` and its
        fields (the record's ``event``). Call it on the event loop."""
        waiting = self._waiting
        waiting.append((created, args, event))
        if len(waiting) >= BATCH_LINES:
            self.flush()
        elif len(waiting) == 1:
            asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        """Log every waiting line now."""
        waiting, self._waiting = self._waiting, []
        for created, args, event in waiting:
            # As log.info() would, less the search of the stack for the caller: the record
            # names this function.
            record = log.makeRecord(
                log.name, logging.INFO, __file__, 0, LINE, args, None, "flush", {"event": event}
            )
            record.relativeCreated -= (record.created - created) * 1000
            record.created = created
            record.msecs = int((created - int(created)) * 1000) + 0.0
            log.handle(record)
