"""Job records read from disk, kept while nothing new is committed.

A client polling ``get_job`` for a finished job reads the same record again and again. A
stored record only changes by a commit to its environment (a webhook's outcome, a deletion,
retention), so a record read when the environment's last commit was ``N`` is still the current
one while the last commit is ``N``; any commit at all (say, another job's progress) sends the
next read to disk again.
"""

from loadmaster.actors.job_record import JobRecord, record_from_stored
from loadmaster.storage import Table

__all__ = ["StoredJobs"]

#: Records kept at most; when full, the cache starts again empty.
KEPT = 1024


class StoredJobs:
    """Reads job records from the job table; safe from any thread."""

    def __init__(self, table: Table) -> None:
        self._table = table
        #: job id -> (the last commit when it was read, the record)
        self._kept: dict[str, tuple[int, JobRecord]] = {}

    def get(self, job_id: str) -> JobRecord | None:
        """Return the stored record of a job, or None."""
        # Taken before the read: a commit between the two makes this entry never match again.
        commit = self._table.last_commit()
        kept = self._kept.get(job_id)
        if kept is not None and kept[0] == commit:
            return kept[1]
        found = self._table.get([job_id])
        if not found:
            return None
        record = record_from_stored(found[0])
        if len(self._kept) >= KEPT:
            self._kept.clear()
        self._kept[job_id] = (commit, record)
        return record
