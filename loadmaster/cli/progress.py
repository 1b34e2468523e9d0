"""Progress of a job on the terminal: a live bar on a TTY (rich), plain lines elsewhere."""

import sys
import time
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn

from loadmaster.client import Job

__all__ = ["PLAIN_INTERVAL", "Bar", "PlainLines", "Reporter", "reporter"]

#: Seconds between two plain progress lines.
PLAIN_INTERVAL = 5.0


class Reporter(Protocol):
    """What the commands tell about a running load or export."""

    def sent(self, done: int, total: int | None) -> None:
        """A local file is being sent: ``done`` of ``total`` bytes."""

    def job(self, job: Job) -> None:
        """The job's latest record."""

    def close(self) -> None:
        """The job ended (its final record was given to :meth:`job`)."""


class _Rate:
    """Rows per second over the job's life, and the time left, when the server says none."""

    def __init__(self) -> None:
        self._started = time.monotonic()

    def describe(self, job: Job) -> tuple[str, str]:
        rows = job.processed or 0
        elapsed = time.monotonic() - self._started
        rate = job.rate if job.rate is not None else (rows / elapsed if elapsed > 0 else 0.0)
        eta = job.eta_seconds
        fraction = job.progress
        if eta is None and fraction and 0 < fraction < 1:
            eta = elapsed * (1 - fraction) / fraction
        shown_eta = "-" if eta is None or job.finished else f"{eta:,.0f}s"
        return f"{rate:,.0f} rows/s", shown_eta


def _summary(job: Job, rate: str, eta: str) -> str:
    parts = [f"{job.processed or 0:,} rows"]
    fraction = job.progress
    if fraction is not None:
        parts.append(f"{fraction * 100:.1f}%")
    parts += [rate, f"ETA {eta}", f"{job.rejected or 0:,} rejected"]
    return ", ".join(parts)


class PlainLines:
    """One line on stderr every few seconds (and a last one), for logs and pipes."""

    def __init__(self, label: str, out: TextIO, interval: float = PLAIN_INTERVAL) -> None:
        self._label = label
        self._out = out
        self._interval = interval
        self._last = 0.0
        self._latest: Job | None = None
        self._rate = _Rate()

    def _due(self) -> bool:
        now = time.monotonic()
        if now - self._last < self._interval:
            return False
        self._last = now
        return True

    def sent(self, done: int, total: int | None) -> None:
        """Print the bytes sent, at most every few seconds."""
        if self._due():
            of = f" of {total:,}" if total else ""
            print(f"{self._label}: sent {done:,}{of} bytes", file=self._out, flush=True)

    def job(self, job: Job) -> None:
        """Print the job's progress, at most every few seconds."""
        self._latest = job
        if self._due():
            self._print(job)

    def _print(self, job: Job) -> None:
        rate, eta = self._rate.describe(job)
        print(
            f"{self._label}: {job.status}, {_summary(job, rate, eta)}", file=self._out, flush=True
        )

    def close(self) -> None:
        """Print the last state."""
        if self._latest is not None:
            self._print(self._latest)


class Bar:
    """A live rich progress bar on the terminal: percent, rows, rows/s, ETA, rejected rows."""

    def __init__(self, label: str, console: Console) -> None:
        self._rate = _Rate()
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[detail]}"),
            console=console,
            refresh_per_second=8,
        )
        self._task: TaskID = self._progress.add_task(label, total=None, detail="starting")
        self._progress.start()

    def sent(self, done: int, total: int | None) -> None:
        """Show the bytes sent of a local file."""
        of = f" of {total:,}" if total else ""
        self._progress.update(
            self._task, total=total, completed=done, detail=f"sent {done:,}{of} bytes"
        )

    def job(self, job: Job) -> None:
        """Show the job's progress."""
        rate, eta = self._rate.describe(job)
        fraction = job.progress
        if job.status == "COMPLETE":
            fraction = 1.0
        self._progress.update(
            self._task,
            total=None if fraction is None else 1000,
            completed=0 if fraction is None else fraction * 1000,
            detail=_summary(job, rate, eta),
        )

    def close(self) -> None:
        """Leave the last bar on the screen."""
        self._progress.stop()


def reporter(label: str, *, quiet: bool = False) -> Reporter | None:
    """Return a bar when stderr is a terminal, else plain lines (None when ``quiet``)."""
    if quiet:
        return None
    console = Console(stderr=True)
    if console.is_terminal:
        return Bar(label, console)
    return PlainLines(label, sys.stderr)
