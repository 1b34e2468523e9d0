"""The registry's index of jobs for search_jobs: creation order, per status, type and user.

Job records are few and small next to the data, and the registry is their only writer, so it
keeps them ordered in memory: one sorted list of ``(created_datetime, id)`` keys for every job
and one per status, type and user. A page walks the shortest list that fits the filters from
its cursor and stops at the page size, so its cost does not grow with the number of jobs.
"""

import bisect
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from loadmaster.actors.job_record import JobRecord

__all__ = ["JobFilter", "JobIndex", "Key"]

#: ``(created_datetime, id)``: the order of a page, and its cursor.
Key = tuple[int, str]


class _Summary(NamedTuple):
    key: Key
    status: str
    type: str
    user: str
    database: str | None
    table: str | None


class JobFilter(NamedTuple):
    """What a page asks for; ``None`` accepts anything."""

    statuses: frozenset[str] | None = None
    types: frozenset[str] | None = None
    user: str | None = None
    database: str | None = None
    table: str | None = None
    from_ms: int | None = None
    to_ms: int | None = None

    def accepts(self, summary: _Summary) -> bool:
        """Tell whether a job matches every filter except the creation-time bounds."""
        return (
            (self.statuses is None or summary.status in self.statuses)
            and (self.types is None or summary.type in self.types)
            and (self.user is None or summary.user == self.user)
            and (self.database is None or summary.database == self.database)
            and (self.table is None or summary.table == self.table)
        )


class JobIndex:
    """Jobs in creation order, as lists per status, type and user (see the module doc)."""

    def __init__(self) -> None:
        self._all: list[Key] = []
        self._lists: dict[tuple[str, str], list[Key]] = {}
        self._jobs: dict[str, _Summary] = {}

    def __len__(self) -> int:
        return len(self._jobs)

    def load(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Index stored job rows at start, in bulk (one sort per list, not one insert per job)."""
        jobs = self._jobs
        for row in rows:
            job_id = row.get("id")
            if not isinstance(job_id, str):
                continue
            created = row.get("created_datetime")
            jobs[job_id] = _Summary(
                (created if isinstance(created, int) else 0, job_id),
                str(row.get("status")),
                str(row.get("type")),
                str(row.get("user")),
                row.get("database"),
                row.get("table"),
            )
        lists: dict[tuple[str, str], list[Key]] = {}
        for summary in jobs.values():
            for name in _names(summary):
                keys = lists.get(name)
                if keys is None:
                    keys = lists[name] = []
                keys.append(summary.key)
        for keys in lists.values():
            keys.sort()
        self._lists = lists
        self._all = sorted(summary.key for summary in jobs.values())

    def put(self, record: JobRecord) -> None:
        """Add a job or follow its change."""
        summary = _Summary(
            (record.created_datetime or 0, record.id),
            record.status,
            record.type,
            record.user,
            record.database,
            record.table,
        )
        old = self._jobs.get(record.id)
        if old == summary:
            return
        if old is not None:
            self._unlist(old)
        self._jobs[record.id] = summary
        _insort(self._all, summary.key)
        for name in _names(summary):
            _insort(self._lists.setdefault(name, []), summary.key)

    def remove(self, job_id: str) -> None:
        """Forget a deleted job."""
        old = self._jobs.pop(job_id, None)
        if old is not None:
            self._unlist(old)

    def _unlist(self, summary: _Summary) -> None:
        _discard(self._all, summary.key)
        for name in _names(summary):
            keys = self._lists.get(name)
            if keys is not None:
                _discard(keys, summary.key)
                if not keys:
                    del self._lists[name]

    def page(
        self, wanted: JobFilter, *, descending: bool, after: Key | None, limit: int
    ) -> tuple[list[str], Key | None]:
        """Return up to ``limit`` matching job ids after the cursor, and the next cursor.

        The next cursor is None when no job is left; jobs created meanwhile are never
        skipped nor repeated (they sort after every key of a descending walk's start).
        """
        ids: list[str] = []
        last: Key | None = None
        for key in self._walk(self._shortest(wanted), wanted, descending, after):
            if len(ids) == limit:
                return ids, last
            summary = self._jobs[key[1]]
            if wanted.accepts(summary):
                ids.append(key[1])
                last = key
        return ids, None

    def _shortest(self, wanted: JobFilter) -> list[Key]:
        choices = [self._all]
        for field, values in (("status", wanted.statuses), ("type", wanted.types)):
            if values is not None and len(values) == 1:
                choices.append(self._lists.get((field, next(iter(values))), []))
        if wanted.user is not None:
            choices.append(self._lists.get(("user", wanted.user), []))
        return min(choices, key=len)

    @staticmethod
    def _walk(
        keys: list[Key], wanted: JobFilter, descending: bool, after: Key | None
    ) -> Iterator[Key]:
        low = 0 if wanted.from_ms is None else bisect.bisect_left(keys, (wanted.from_ms, ""))
        high = len(keys) if wanted.to_ms is None else bisect.bisect_left(keys, (wanted.to_ms, ""))
        if descending:
            if after is not None:
                high = min(high, bisect.bisect_left(keys, after))
            for index in range(high - 1, low - 1, -1):
                yield keys[index]
        else:
            if after is not None:
                low = max(low, bisect.bisect_right(keys, after))
            for index in range(low, high):
                yield keys[index]


def _names(summary: _Summary) -> tuple[tuple[str, str], ...]:
    return (("status", summary.status), ("type", summary.type), ("user", summary.user))


def _insort(keys: list[Key], key: Key) -> None:
    if not keys or keys[-1] < key:
        keys.append(key)  # the usual case: the newest job
    else:
        bisect.insort(keys, key)


def _discard(keys: list[Key], key: Key) -> None:
    index = bisect.bisect_left(keys, key)
    if index < len(keys) and keys[index] == key:
        del keys[index]
