"""Writing job records: one transaction per batch, and which records a failed write was about.

A batch that fails is written again record by record, so that one record that cannot be
stored (a poison record) fails alone; a failure of the disk itself fails every record alike.
"""

import logging
from typing import Any

import msgspec

from loadmaster.actors.encodable import encodable
from loadmaster.actors.job_record import JobRecord
from loadmaster.errors import LoadmasterError, StorageError
from loadmaster.storage import Table

__all__ = ["RecordWriter", "environmental", "reason"]

log = logging.getLogger(__name__)


def environmental(exc: BaseException) -> bool:
    """Tell a failure of the disk (every record fails alike) from one of a record."""
    return isinstance(exc, OSError | StorageError)


def reason(exc: BaseException) -> str:
    """Word a write's failure for a job's message."""
    if isinstance(exc, LoadmasterError):
        return exc.message
    return str(exc) or type(exc).__name__


class RecordWriter:
    """Writes records to the job table, remembering which attributes each has on disk."""

    def __init__(self, table: Table) -> None:
        self._table = table
        #: The attributes each record has on disk, so that one that became unset is cleared.
        self._stored_keys: dict[str, frozenset[str]] = {}
        self._scrubbed: set[str] = set()

    def stored(self, job_id: str, row: dict[str, Any]) -> None:
        """Note a record as read from disk."""
        self._stored_keys[job_id] = frozenset(k for k, v in row.items() if v is not None)

    def forget(self, job_id: str) -> None:
        """Forget a record that left memory (written and finished, or deleted)."""
        self._stored_keys.pop(job_id, None)
        self._scrubbed.discard(job_id)

    def _row(self, record: JobRecord) -> dict[str, Any]:
        row = {k: v for k, v in msgspec.structs.asdict(record).items() if v is not None}
        for key in self._stored_keys.get(record.id, ()):
            row.setdefault(key, None)
        return row

    def write(self, records: list[JobRecord]) -> dict[str, BaseException]:
        """Write records in one transaction; on failure, one by one; return the failures."""
        rows = [self._row(record) for record in records]
        try:
            self._table.write(rows, "upsert")
        except Exception as exc:  # noqa: BLE001 - any failure: find which records it was
            log.warning("writing %d job record(s) failed: %s", len(rows), exc)
            if len(rows) == 1:
                return {records[0].id: exc}
            first = exc
        else:
            for row in rows:
                self.stored(row["id"], row)
            return {}
        failed: dict[str, BaseException] = {}
        for index, row in enumerate(rows):
            try:
                self._table.write([row], "upsert")
            except Exception as exc:  # noqa: BLE001 - kept dirty, retried, and logged above
                failed[row["id"]] = exc
                if environmental(exc):
                    # The disk, not this record: the others would fail the same way.
                    failed.update(dict.fromkeys((r["id"] for r in rows[index + 1 :]), exc))
                    break
            else:
                self.stored(row["id"], row)
        if not failed:  # the batch failed, each record alone went through
            log.warning("job records written one by one after: %s", first)
        return failed

    def scrub(self, record: JobRecord) -> JobRecord:
        """Return a record that cannot be stored with only what is known to encode."""
        if record.id in self._scrubbed:
            log.error("job record %s cannot be stored; keeping its bare fields", record.id)
            message = record.message if isinstance(record.message, str) else None
            return msgspec.structs.replace(record, result=None, request=None, message=message)
        self._scrubbed.add(record.id)
        return msgspec.structs.replace(
            record,
            result=encodable(record.result),
            request=None,
            message=encodable(record.message),
        )
