"""When the job registry writes the job records it changed: at once for a waiting submitter,
in groups otherwise.

A submit is answered only once its record is on disk, so a record somebody waits for is written
as soon as the registry's inbox is empty. Other changes (a job starting, its progress, its end)
wait up to :data:`SETTLE` seconds for more, so that a burst of small jobs costs a write per group
of changes, not one for each job's start and another for its end (a commit and its fsync cost
more than the records in it). A restart still finds every job it answered for, and settles the
ones that had not ended (spec §2.6). A failed write is retried after :data:`RETRY_MIN`,
doubling up to :data:`RETRY_MAX` while writes keep failing.
"""

import time
from collections.abc import Callable

from loadmaster.actors.timers import Timer, call_later

__all__ = ["FLUSH_DELAY", "FLUSH_RECORDS", "RETRY_MAX", "RETRY_MIN", "SETTLE", "WriteSchedule"]

#: Dirty records are written at the latest when this many have piled up, or the oldest has
#: waited this long (a steady stream of messages never empties the inbox).
FLUSH_RECORDS = 512
FLUSH_DELAY = 0.05
#: Changes nobody waits for are written once the oldest has waited this long.
SETTLE = 0.02
RETRY_MIN = 0.1
RETRY_MAX = 5.0


class WriteSchedule:
    """The dirty records of the registry (its thread only), and when to write them.

    ``wake`` is called from the timer thread when a settle or a retry is due; it must tell the
    registry to write its dirty records. ``clock`` tells the time in seconds (tests set it).
    """

    __slots__ = ("_clock", "_delay", "_retrying", "_since", "_timer", "_wake", "dirty")

    def __init__(
        self, wake: Callable[[], None], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._wake = wake
        self._clock = clock
        #: Ids of the records to write, in the order they changed.
        self.dirty: dict[str, None] = {}
        self._since = 0.0
        self._timer: Timer | None = None
        self._retrying = False
        self._delay = RETRY_MIN

    def mark(self, job_id: str) -> None:
        """Note that a record changed and is to be written."""
        if not self.dirty:
            self._since = self._clock()
        self.dirty[job_id] = None

    def discard(self, job_id: str) -> None:
        """Do not write a record (it was deleted)."""
        self.dirty.pop(job_id, None)

    def take(self) -> list[str]:
        """Return the ids to write now, and forget them."""
        ids = list(self.dirty)
        self.dirty = {}
        if self._timer is not None and not self._retrying:
            self._timer.cancel()
            self._timer = None
        return ids

    def due(self, *, waited_for: bool, idle: bool) -> bool:
        """Tell whether to write now; when not, make sure the registry is woken to write.

        Args:
            waited_for: a submitter waits for a dirty record.
            idle: the registry's inbox is empty.
        """
        if not self.dirty:
            return False
        age = self._clock() - self._since
        if waited_for:
            return idle or age >= FLUSH_DELAY or len(self.dirty) >= FLUSH_RECORDS
        if self._retrying:
            return False  # the retry's timer wakes the registry
        if age >= SETTLE or len(self.dirty) >= FLUSH_RECORDS:
            return True
        if self._timer is None:
            self._timer = call_later(SETTLE - age, self._wake)
        return False

    def woken(self) -> None:
        """Note that the timer woke the registry (it writes now)."""
        self._timer = None
        self._retrying = False

    def written(self, *, failed: bool) -> None:
        """Note the outcome of a write: after a failure, wake the registry to retry later."""
        if not failed:
            self._delay = RETRY_MIN
            if self._retrying:
                self.cancel()
                self._retrying = False
            return
        if self._retrying:
            return
        if self._timer is not None:
            self._timer.cancel()
        delay, self._delay = self._delay, min(self._delay * 2, RETRY_MAX)
        self._retrying = True
        self._timer = call_later(delay, self._wake)

    def cancel(self) -> None:
        """Stop a pending wake-up (the registry stops)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
