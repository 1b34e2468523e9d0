"""The faulty rows of load jobs: every anomaly kept in ``system.hdb_job_error``, beside its job.

A load's job thread writes its anomalies there itself, a batch at a time (one write per
committed batch, never through the registry's hot path), keyed by job id, line and sequence
so that a key range is one job's errors in line order. The job record carries the counts
(``error_count``, ``rejected``); get_job adds the first :data:`~loadmaster.formats.anomalies.KEPT`
errors from here, get_job_errors pages through all of them, and whoever deletes job records
deletes their errors with :func:`delete_job_errors`.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from loadmaster.errors import InvalidRequestError
from loadmaster.formats.anomalies import KEPT, Anomaly, AnomalyLog
from loadmaster.jobs.context import JobContext
from loadmaster.names import SYSTEM_DATABASE
from loadmaster.storage import AttributeInfo, Condition, Store, Table

ERROR_TABLE = "hdb_job_error"
#: Errors written per transaction when deleting.
_DELETE_CHUNK = 10_000
_FIELDS = ("line", "column", "reason", "value")
_ATTRIBUTES = [
    AttributeInfo(name="id", type="String", is_primary_key=True),
    # Read only through the primary key's order: no index to keep up.
    *(AttributeInfo(name=name, indexed=False) for name in ("job_id", *_FIELDS)),
]


def _exists(store: Store) -> bool:
    return store.has_database(SYSTEM_DATABASE) and ERROR_TABLE in store.table_names(SYSTEM_DATABASE)


def error_table(store: Store) -> Table:
    """Return ``system.hdb_job_error``, creating it on first use."""
    if not _exists(store):
        try:
            store.create_table(SYSTEM_DATABASE, ERROR_TABLE, "id", _ATTRIBUTES)
        except InvalidRequestError:
            if not _exists(store):
                raise  # not a job that created it meanwhile
    return store.table(SYSTEM_DATABASE, ERROR_TABLE)


def _key(job_id: str, line: int, seq: int) -> str:
    # Zero-padded so that the text order is (job, line, seq).
    return f"{job_id}/{line:012d}/{seq:09d}"


def _prefix(job_id: str) -> str:
    return f"{job_id}/"


def _view(record: dict[str, Any]) -> dict[str, Any]:
    return {name: record.get(name) for name in _FIELDS}


def read_job_errors(
    store: Store, job_id: str, offset: int = 0, limit: int = KEPT
) -> list[dict[str, Any]]:
    """Return a job's errors ``{"line", "column", "reason", "value"}`` in line order."""
    if not _exists(store):
        return []
    table = store.table(SYSTEM_DATABASE, ERROR_TABLE)
    found = table.search(
        [Condition(attribute="id", type="starts_with", value=_prefix(job_id))],
        limit=limit,
        offset=offset,
    )
    return [_view(record) for record in found]


def with_errors(record: dict[str, Any], store: Store) -> dict[str, Any]:
    """Add ``errors`` (the first anomalies, in line order) to a load job's get_job record."""
    if "error_count" not in record:
        return record
    errors = read_job_errors(store, record["id"], 0, KEPT) if record["error_count"] else []
    return {**record, "errors": errors}


def delete_job_errors(store: Store, job_ids: Iterable[str]) -> int:
    """Delete the errors of these jobs (call it when their job records are deleted).

    Returns:
        How many errors were deleted.
    """
    if not _exists(store):
        return 0
    table = store.table(SYSTEM_DATABASE, ERROR_TABLE)
    deleted = 0
    for job_id in job_ids:
        while True:
            keys = [
                record["id"]
                for record in table.search(
                    [Condition(attribute="id", type="starts_with", value=_prefix(job_id))],
                    limit=_DELETE_CHUNK,
                )
            ]
            if not keys:
                break
            deleted += len(table.delete(keys))
    return deleted


class ErrorRecorder:
    """Count a load's anomalies and rejected rows, store them, and show the counts live.

    The counts go on the job record as ``error_count`` and ``rejected`` (from the start, so a
    clean load shows zeros); the anomalies go to the error table as they are found.
    """

    def __init__(self, job: JobContext) -> None:
        self._job = job
        self._table: Table | None = None
        self.log = AnomalyLog()
        job.progress(error_count=0, rejected=0)

    def record(self, anomalies: Sequence[Anomaly], rejected: int = 0, faulty: int = 0) -> None:
        """Store anomalies found since the last call; count rows rejected and faulty too."""
        log = self.log
        log.rejected += rejected
        log.faulty_rows += faulty
        if anomalies:
            seq = log.count
            log.add(anomalies)
            if self._table is None:
                self._table = error_table(self._job.store)
            job_id = self._job.job_id
            self._table.write(
                [
                    {
                        "id": _key(job_id, found.line, seq + i),
                        "job_id": job_id,
                        "line": found.line,
                        "column": found.column,
                        "reason": found.reason,
                        "value": found.value,
                    }
                    for i, found in enumerate(anomalies, start=1)
                ],
                "insert",
            )
        if anomalies or rejected:
            self._job.progress(error_count=log.count, rejected=log.rejected)
