"""Purge audit log entries older than the retention period (HarperDB's ``auditRetention``).

A daemon thread wakes every tenth of the retention (at most hourly, at least every minute) and
deletes, table by table and in short transactions, the entries older than the retention.
"""

import logging
import re
import threading
import time
from typing import TYPE_CHECKING

from loadmaster.errors import LoadmasterError

if TYPE_CHECKING:
    from loadmaster.storage import Store

log = logging.getLogger(__name__)

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800, "y": 31_557_600}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)?\s*$")


def retention_seconds(text: str) -> float:
    """Parse HarperDB's duration syntax (``3d``, ``12h``, ``90m``, ``3600``: seconds).

    Raises:
        ValueError: not a number with an optional unit.
    """
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"invalid setting: audit_retention {text!r} is not like '3d' or '12h'")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


class AuditRetention:
    """Run the purge thread; :meth:`start`, then :meth:`stop` (idempotent)."""

    def __init__(self, store: "Store", retention: float) -> None:
        self._store = store
        self._retention = retention
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="loadmaster-audit", daemon=True)

    @property
    def interval(self) -> float:
        """Return the seconds between purges."""
        return min(max(self._retention / 10, 60.0), 3_600.0)

    def start(self) -> None:
        """Start purging in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for it (a purge in progress ends after its chunk)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def purge(self) -> int:
        """Delete every audited table's entries older than the retention; return how many."""
        before = (time.time() - self._retention) * 1000
        deleted = 0
        for db, table in self._store.audited_tables():
            if self._stop.is_set():
                break
            try:
                for count in self._store.table(db, table).audit_log.delete_before(before):
                    deleted += count
                    if self._stop.is_set():
                        break
            except LoadmasterError:
                continue  # dropped meanwhile, or the store is closing
        return deleted

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.purge()
            except Exception:
                log.exception("purging the audit log failed; retrying later")
