"""Deleting job records: one, those before a date (a cleanup of ``system.hdb_job``), and those
past retention; a job's faulty rows, its index entries and its write state go with it.

Only the registry calls these, on its own thread (it alone writes the job table).
"""

from collections.abc import Mapping, Sequence
from typing import Any

from loadmaster.actors import job_queries
from loadmaster.actors.job_index import JobIndex
from loadmaster.actors.job_record import JobRecord, now_ms
from loadmaster.actors.record_writer import RecordWriter
from loadmaster.jobs.row_errors import delete_job_errors
from loadmaster.storage import Store, Table

__all__ = ["CREATED", "PURGE_CHUNK", "RecordRemoval"]

#: Job records deleted by delete_records_before on system.hdb_job are chosen by this time.
CREATED = "__createdtime__"
#: Records deleted per transaction when retention purges them.
PURGE_CHUNK = 10_000


class RecordRemoval:
    """Deletes job records from the table and from what the registry keeps about them."""

    def __init__(self, store: Store, table: Table, index: JobIndex, writer: RecordWriter) -> None:
        self._store = store
        self._table = table
        self._index = index
        self._writer = writer

    def remove(self, ids: Sequence[str]) -> list[Any]:
        """Delete these records; return the ids that were on disk."""
        deleted: list[Any] = self._table.delete(list(ids))
        delete_job_errors(self._store, ids)  # a job's faulty rows go with its record
        for job_id in ids:
            self._index.remove(job_id)
            self._writer.forget(job_id)
        return deleted

    def before(
        self, before_ms: float, limit: int, live: Mapping[str, JobRecord]
    ) -> tuple[int, int]:
        """Delete at most ``limit`` finished records created before ``before_ms``; return how
        many were deleted and how many there were."""
        # Records of running jobs stay: the registry writes them again until they end.
        ids = [i for i in self._table.ids_before(CREATED, before_ms) if i not in live]
        return len(self.remove(ids[:limit])), len(ids)

    def expired(self, live: Mapping[str, JobRecord], days: float) -> int:
        """Delete the finished records older than ``days``; return how many."""
        old = job_queries.expired(self._table, live, days, now_ms())
        for start in range(0, len(old), PURGE_CHUNK):
            self.remove(old[start : start + PURGE_CHUNK])
        return len(old)
