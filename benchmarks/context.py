"""What every scenario gets: options, a temp dir, the generated CSV files, shared fixtures."""

import contextlib
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from benchmarks import datagen
from benchmarks.report import Figure

T = TypeVar("T")


@dataclass(frozen=True)
class Options:
    """The command line, resolved (quick mode applied)."""

    rows: int
    runs: int
    quick: bool
    insert_rows: int
    rows_rss: int | None
    wrk_seconds: float
    small_jobs: int
    burst: int
    job_records: int = 100_000


class Context:
    """The state of one benchmark run; ``close()`` stops fixtures and removes the temp dir."""

    def __init__(self, options: Options, tmp_root: Path | None = None) -> None:
        self.options = options
        self.tmp = Path(tempfile.mkdtemp(prefix="loadmaster-bench-", dir=tmp_root))
        self.figures: list[Figure] = []
        self.memo: dict[str, Any] = {}
        self.stack = contextlib.ExitStack()
        self._started = time.monotonic()
        self._csv: dict[int, Path] = {}
        self._serial = 0

    def log(self, message: str) -> None:
        """Print progress to stderr (stdout carries the table)."""
        print(f"[{time.monotonic() - self._started:7.1f}s] {message}", file=sys.stderr, flush=True)

    def add(self, figure: Figure) -> None:
        """Record a figure."""
        self.figures.append(figure)

    def csv(self, rows: int) -> Path:
        """Return the path of the generated CSV of ``rows`` rows (written once per run)."""
        if rows not in self._csv:
            self.log(f"generating a CSV of {rows:,} rows")
            self._csv[rows] = datagen.write_csv(self.tmp / f"people_{rows}.csv", rows)
        return self._csv[rows]

    def cached(self, key: str, build: Callable[[], T]) -> T:
        """Return the fixture stored under ``key``, building it on first use."""
        if key not in self.memo:
            self.memo[key] = build()
        value: T = self.memo[key]
        return value

    @contextlib.contextmanager
    def scratch(self, name: str) -> Iterator[Path]:
        """Yield a fresh directory under the temp dir, removed afterwards."""
        self._serial += 1
        path = self.tmp / f"{name}-{self._serial}"
        path.mkdir()
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)

    def keep(self, name: str) -> Path:
        """Return a fresh directory that lives until the end of the run."""
        self._serial += 1
        path = self.tmp / f"{name}-{self._serial}"
        path.mkdir()
        return path

    def close(self) -> None:
        """Stop every shared fixture (servers) and remove the temp dir."""
        try:
            self.stack.close()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
