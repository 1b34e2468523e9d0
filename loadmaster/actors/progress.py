"""Progress figures of a running job: percent done, recent rate, and time left.

``percent`` comes from records (``processed`` of ``total``) when the total is known, else from
bytes (``bytes_read`` of ``bytes_total``); ``rate`` is records per second over the last few
seconds; ``eta_seconds`` is what is left at the recent pace (records, else bytes).
"""

import time
from collections import deque
from typing import Any

from loadmaster.actors.job_record import JobRecord

__all__ = ["Pace"]

#: The rate is measured over about this many seconds.
WINDOW = 5.0


class Pace:
    """Recent samples of one job's counters."""

    __slots__ = ("_samples",)

    def __init__(self) -> None:
        self._samples: deque[tuple[float, int, int]] = deque()

    def figures(self, record: JobRecord) -> dict[str, Any]:
        """Add the record's counters as a sample; return its percent, rate and eta_seconds."""
        now = time.monotonic()
        processed = record.processed or 0
        read = record.bytes_read or 0
        samples = self._samples
        samples.append((now, processed, read))
        while len(samples) > 2 and now - samples[1][0] >= WINDOW:
            samples.popleft()
        first_at, first_processed, first_read = samples[0]
        elapsed = now - first_at
        rate = (processed - first_processed) / elapsed if elapsed > 0 else None
        byte_rate = (read - first_read) / elapsed if elapsed > 0 else None
        percent = eta = None
        if record.total:
            percent = min(100.0, 100.0 * processed / record.total)
            if rate:
                eta = max(0.0, (record.total - processed) / rate)
        elif record.bytes_total:
            percent = min(100.0, 100.0 * read / record.bytes_total)
            if byte_rate:
                eta = max(0.0, (record.bytes_total - read) / byte_rate)
        return {
            "percent": None if percent is None else round(percent, 1),
            "rate": None if rate is None else round(rate, 1),
            "eta_seconds": None if eta is None else round(eta, 1),
        }
