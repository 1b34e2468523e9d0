"""Timers: call a function later, from one daemon thread shared by every caller.

Actors use it to tell themselves something later (retry a failed write, end a job that ran out
of time), so that what is due happens even when no other message arrives. Callbacks must be
quick (a ``tell``); one that raises is logged and the timers go on.
"""

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

__all__ = ["Timer", "call_later"]

log = logging.getLogger(__name__)


class Timer:
    """A pending call; :meth:`cancel` stops it if it has not run yet."""

    __slots__ = ("cancelled", "due", "func")

    def __init__(self, due: float, func: Callable[[], object]) -> None:
        self.due = due
        self.func = func
        self.cancelled = False

    def cancel(self) -> None:
        """Do not run this call."""
        self.cancelled = True


class _Timers:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Timer]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def call_later(self, delay: float, func: Callable[[], object]) -> Timer:
        timer = Timer(time.monotonic() + max(0.0, delay), func)
        with self._wake:
            heapq.heappush(self._heap, (timer.due, next(self._order), timer))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="loadmaster-timers", daemon=True
                )
                self._thread.start()
            self._wake.notify()
        return timer

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._wake.wait(timeout)
                _, _, timer = heapq.heappop(self._heap)
            if timer.cancelled:
                continue
            try:
                timer.func()
            except Exception:
                log.exception("a timer callback failed")


_TIMERS = _Timers()


def call_later(delay: float, func: Callable[[], object]) -> Timer:
    """Call ``func()`` on the timer thread after ``delay`` seconds; return its Timer."""
    return _TIMERS.call_later(delay, func)
