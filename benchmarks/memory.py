"""Peak memory of a server process and its children, in two views.

LMDB maps its data file, so every page a load writes or an export reads counts in the
process's RSS as a file-backed page (reclaimable page cache). RSS therefore grows with the
table even when the code streams. Two figures keep that apart:

- **RSS**: what ``top`` shows, the mapped LMDB pages included: the larger of the main
  process's high-water mark (``VmHWM``, reset through ``/proc/<pid>/clear_refs`` when the
  measurement starts) and the largest sum of ``VmRSS`` over the process tree.
- **anonymous**: the largest sum of ``RssAnon + RssShmem`` over the process tree: heap,
  buffers and other private memory, the part that streaming must keep constant.

Both sums are sampled every 20 ms from ``/proc/<pid>/status`` (cheap counters, so sampling
does not slow the server), and include job worker processes.
"""

import os
import threading
from dataclasses import dataclass

from benchmarks.report import Figure, figure

_MB = 1024 / 1e6  # KiB → MB (10^6 bytes)


def _status(pid: int, *fields: str) -> dict[str, int]:
    found = dict.fromkeys(fields, 0)
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                name, _, rest = line.partition(":")
                if name in found:
                    found[name] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return found


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as children:
                found.extend(int(c) for c in children.read().split())
    except (OSError, ValueError):
        pass
    return found


def tree(pid: int) -> list[int]:
    """Return ``pid`` and all its descendants alive now."""
    out: list[int] = []
    todo = [pid]
    while todo and len(out) < 1000:
        current = todo.pop()
        out.append(current)
        todo.extend(_children(current))
    return out


@dataclass(frozen=True)
class Memory:
    """The peaks of one measurement, in MB."""

    rss_mb: float
    anon_mb: float
    processes: int

    def describe(self) -> str:
        """Return e.g. ``RSS 1549 MB, anonymous 210 MB, 2 processes``."""
        count = f"{self.processes} process" + ("es" if self.processes > 1 else "")
        return f"RSS {self.rss_mb:.0f} MB, anonymous {self.anon_mb:.0f} MB, {count}"


class MemoryWatch:
    """Follow the peak memory of a process tree while a measurement runs (a context manager)."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.pid = pid
        self.interval = interval
        self._rss_kib = 0
        self._anon_kib = 0
        self._processes = 1
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="memory-sampler", daemon=True)

    def __enter__(self) -> "MemoryWatch":
        try:
            with open(f"/proc/{self.pid}/clear_refs", "w", encoding="ascii") as refs:
                refs.write("5")
        except OSError:
            pass  # then VmHWM counts from the process's start: still an upper bound
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _sample(self) -> None:
        while not self._stop.is_set():
            rss = anon = 0
            pids = tree(self.pid)
            for pid in pids:
                status = _status(pid, "VmRSS", "RssAnon", "RssShmem")
                rss += status["VmRSS"]
                anon += status["RssAnon"] + status["RssShmem"]
            self._rss_kib = max(self._rss_kib, rss)
            self._anon_kib = max(self._anon_kib, anon)
            self._processes = max(self._processes, len(pids))
            self._stop.wait(self.interval)

    def result(self) -> Memory:
        """Return the peaks; call it while the process still lives (its VmHWM goes with it)."""
        hwm = _status(self.pid, "VmHWM")["VmHWM"]
        return Memory(
            rss_mb=max(hwm, self._rss_kib) * _MB,
            anon_mb=self._anon_kib * _MB,
            processes=self._processes,
        )


def memory_figures(
    scenario: str,
    memories: list[Memory],
    *,
    target_mb: float | None = None,
    reference: str | None = None,
    reference_memories: list[Memory] | None = None,
    max_ratio: float | None = None,
    label: str = "",
) -> list[Figure]:
    """Return the anonymous-memory and the RSS figure of a scenario's runs.

    Args:
        scenario: Scenario name.
        memories: One measurement per run.
        target_mb: Upper bound of the median, checked on both figures.
        reference: Name of the reference memories, if any.
        reference_memories: Measurements to compare with (e.g. at fewer rows).
        max_ratio: Upper bound of median ÷ reference median.
        label: Appended to the metric, e.g. ``at 5,000,000 rows``.
    """
    ref = reference_memories or []
    bound = f"< {target_mb:.0f} MB" if target_mb is not None else ""
    if max_ratio is not None:
        bound = f"{bound}, ≤ {max_ratio}x reference".lstrip(", ")
    suffix = f" {label}" if label else ""
    return [
        figure(
            scenario,
            f"server peak anonymous memory{suffix}",
            "MB",
            [m.anon_mb for m in memories],
            reference=reference,
            reference_runs=[m.anon_mb for m in ref],
            target=bound or "-",
            maximum=target_mb,
            max_ratio=max_ratio,
            note="heap and buffers of server + workers; LMDB's mapped pages excluded",
        ),
        figure(
            scenario,
            f"server peak RSS{suffix}",
            "MB",
            [m.rss_mb for m in memories],
            reference=reference,
            reference_runs=[m.rss_mb for m in ref],
            target=f"{bound} (RSS counts mapped LMDB pages)" if bound else "-",
            maximum=target_mb,
            max_ratio=max_ratio,
            note=f"last run: {memories[-1].describe()}",
        ),
    ]
