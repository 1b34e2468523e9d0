"""What a job kind gets to do its work: storage, settings, the caller, progress and cancel."""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from loadmaster.errors import JobCancelledError

if TYPE_CHECKING:
    from loadmaster.models import User
    from loadmaster.settings import Settings
    from loadmaster.storage import Store

#: Progress is relayed to the registry at most this often (it coalesces further).
PROGRESS_INTERVAL = 0.2


@dataclass
class JobContext:
    """The services and hooks a job kind uses; it knows nothing of actors or HTTP."""

    job_id: str
    store: "Store"
    settings: "Settings"
    user: "User"
    report: Callable[[dict[str, int]], None] = lambda _counters: None
    cancelled: threading.Event = field(default_factory=threading.Event)
    counters: dict[str, int] = field(default_factory=dict)
    _reported_at: float = 0.0

    def progress(self, **counters: int) -> None:
        """Record live counters (processed, total, bytes_read, bytes_total); relay them now
        and then, and stop the job if the server is shutting down."""
        self.counters.update(counters)
        self.check_cancelled()
        now = time.monotonic()
        if now - self._reported_at >= PROGRESS_INTERVAL:
            self._reported_at = now
            self.report(dict(self.counters))

    def check_cancelled(self) -> None:
        """Raise :class:`JobCancelledError` when the job has been asked to stop."""
        if self.cancelled.is_set():
            raise JobCancelledError("the server shut down before it finished")
