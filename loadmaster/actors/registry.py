"""JobRegistry: the only writer of ``system.hdb_job``; answers job queries."""

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import msgspec
import pykka

from loadmaster.actors.messages import (
    AwaitReady,
    DeleteJobsBefore,
    JobFinished,
    JobProgress,
    RecordJob,
    SearchJobs,
)
from loadmaster.formats import to_iso_utc
from loadmaster.models import FINISHED, JobStatus
from loadmaster.storage import Condition, Store, Table

log = logging.getLogger(__name__)

SYSTEM = "system"
JOB_TABLE = "hdb_job"
CREATED = "__createdtime__"
#: Progress of a running job is written at most this often; the final state always is.
PROGRESS_WRITE_INTERVAL = 0.5
#: Dirty records are written when the inbox is empty, or at the latest when this many have
#: piled up or the oldest has waited this long (a steady stream of messages never empties it).
FLUSH_RECORDS = 512
FLUSH_DELAY = 0.05
COUNTERS = ("processed", "total", "bytes_read", "bytes_total")
_RUNNING_ORDER = ("id", "type", "start_datetime", "created_datetime", "status", "user")
_FINISHED_ORDER = (
    "id",
    "result",
    "status",
    "message",
    "end_datetime",
    "type",
    "start_datetime",
    "created_datetime",
    "user",
)
_SEARCH_ORDER = (
    "id",
    "created_datetime",
    "end_datetime",
    "message",
    "start_datetime",
    "status",
    "type",
    "user",
)


def now_ms() -> int:
    """Return the current time as integer epoch milliseconds (job datetimes are integers)."""
    return time.time_ns() // 1_000_000


def interrupted_message(reason: str) -> str:
    """Word the message of a job that could not finish (after upstream PR #2645)."""
    return f"Job was interrupted: {reason}. Rerun the operation."


def job_table(store: Store) -> Table:
    """Return ``system.hdb_job``, creating it on first use."""
    if not store.has_database(SYSTEM) or JOB_TABLE not in store.table_names(SYSTEM):
        store.create_table(SYSTEM, JOB_TABLE, "id")
    return store.table(SYSTEM, JOB_TABLE)


def get_job_view(record: dict[str, Any]) -> dict[str, Any]:
    """Shape a stored record as get_job answers it: only fields that are set, no request."""
    order = _FINISHED_ORDER if record.get("status") in FINISHED else _RUNNING_ORDER
    view = {key: record[key] for key in order if record.get(key) is not None}
    view.update({key: record[key] for key in COUNTERS if record.get(key) is not None})
    return view


def search_view(record: dict[str, Any]) -> dict[str, Any]:
    """Shape a stored record as search_jobs_by_start_date answers it (null-filled, no result)."""
    view = {key: record.get(key) for key in _SEARCH_ORDER}
    for key in ("start_datetime", "end_datetime"):
        value = view[key]
        if value:
            view[f"{key}_converted"] = to_iso_utc(value)
    return view


def read_job(live: dict[str, dict[str, Any]], table: Table, job_id: str) -> dict[str, Any] | None:
    """Return a job as get_job shows it, from the registry's live records or from disk.

    Safe from any thread and never blocks: LMDB readers do not wait for writers.
    """
    record = live.get(job_id)
    if record is None:
        found = table.get([job_id])
        if not found:
            return None
        record = found[0]
    return get_job_view(record)


class JobRegistry(pykka.ThreadingActor):
    """Owns job records: persists them, coalesces progress, answers get_job and searches.

    ``live`` holds the records of running jobs (and of finished ones until written); it is
    shared with :func:`read_job`, which reads it from other threads without a message: the
    registry only ever replaces a record's fields in single ``dict.update`` calls, and drops a
    finished record only after it is on disk.

    Writes are group-committed: a message that changes a record only marks it dirty, and the
    dirty records are written in one transaction once the inbox is empty (or enough have
    piled up), so a burst of submits costs a few fsyncs, not one per job. Running jobs are
    kept in memory, so their live counters are answered without a disk read; their progress
    is written at most every ``PROGRESS_WRITE_INTERVAL`` seconds.
    """

    def __init__(
        self,
        store: Store,
        live: dict[str, dict[str, Any]],
        on_finished: Callable[[str], None] = lambda _: None,
    ) -> None:
        super().__init__()
        self._on_finished = on_finished
        self._table = job_table(store)
        self._live = live
        self._written_at: dict[str, float] = {}
        self._dirty: dict[str, None] = {}
        self._acks: list[Future[None]] = []
        self._finished: list[str] = []
        self._dirty_since = 0.0

    def on_start(self) -> None:
        """Settle jobs that an earlier process left unfinished (spec §2.6)."""
        orphans = [
            record
            for status in (JobStatus.CREATED, JobStatus.IN_PROGRESS)
            for record in self._table.search(
                [Condition(attribute="status", type="equals", value=status.value)]
            )
        ]
        if not orphans:
            return
        message = interrupted_message("an earlier loadmaster process exited before it finished")
        end = now_ms()
        self._table.write(
            [
                {
                    "id": r["id"],
                    "status": JobStatus.ERROR.value,
                    "message": message,
                    "end_datetime": end,
                    "request": None,
                }
                for r in orphans
            ],
            "upsert",
        )
        log.warning("settled %d interrupted job(s) as ERROR", len(orphans))

    def on_stop(self) -> None:
        """Write whatever is still dirty."""
        self._flush()

    def on_receive(self, message: Any) -> Any:
        """Handle one message, then flush if nothing else is waiting; never stop on an error."""
        try:
            return self._handle(message)
        except Exception:
            if isinstance(message, (SearchJobs, AwaitReady, DeleteJobsBefore)):
                raise  # an ask: the error travels back to the asker and the actor lives
            log.exception("job registry failed to handle %r", type(message).__name__)
            return None
        finally:
            if self._dirty and (
                self.actor_inbox.empty()
                or len(self._dirty) >= FLUSH_RECORDS
                or time.monotonic() - self._dirty_since >= FLUSH_DELAY
            ):
                self._flush()

    def _handle(self, message: Any) -> Any:
        match message:
            case JobProgress(job_id=job_id, counters=counters):
                self._progress(job_id, counters)
            case JobFinished():
                self._finish(message)
            case SearchJobs(from_ms=from_ms, to_ms=to_ms):
                self._flush()
                return self._search(from_ms, to_ms)
            case RecordJob(record=record, persisted=persisted):
                self._live[record["id"]] = dict(record)
                self._mark(record["id"])
                self._acks.append(persisted)
            case DeleteJobsBefore(before_ms=before_ms, limit=limit):
                self._flush()
                return self._delete_before(before_ms, limit)
            case AwaitReady():
                pass
            case _:
                log.warning("job registry ignored unknown message %r", message)
        return None

    def _mark(self, job_id: str) -> None:
        if not self._dirty:
            self._dirty_since = time.monotonic()
        self._dirty[job_id] = None

    def _flush(self) -> None:
        """Write every dirty record in one transaction, then acknowledge and notify."""
        if not self._dirty:
            return
        records = [self._live[job_id] for job_id in self._dirty]
        acks, finished = self._acks, self._finished
        self._dirty, self._acks, self._finished = {}, [], []
        try:
            self._table.write(records, "upsert")
        except Exception as exc:
            for ack in acks:
                ack.set_exception(exc)
            raise
        now = time.monotonic()
        for record in records:
            self._written_at[record["id"]] = now
        for ack in acks:
            ack.set_result(None)
        for job_id in finished:
            self._live.pop(job_id, None)
            self._written_at.pop(job_id, None)
            self._on_finished(job_id)

    def _progress(self, job_id: str, counters: dict[str, int]) -> None:
        live = self._live.get(job_id)
        if live is None or live.get("status") in FINISHED:
            return
        live.update(counters)
        if time.monotonic() - self._written_at.get(job_id, 0.0) >= PROGRESS_WRITE_INTERVAL:
            self._mark(job_id)

    def _finish(self, done: JobFinished) -> None:
        job_id = done.job_id
        live = self._live.get(job_id)
        if live is None:
            found = self._table.get([job_id])
            if not found or found[0].get("status") in FINISHED:
                return  # unknown, or already settled (e.g. at shutdown): the first end wins
            live = self._live[job_id] = found[0]
        elif live.get("status") in FINISHED:
            return
        live.update(done.counters)
        live.update(
            status=done.status.value,
            message=done.message,
            end_datetime=now_ms(),
            request=None,
        )
        if done.result is not msgspec.UNSET:
            live["result"] = done.result
        self._mark(job_id)
        self._finished.append(job_id)

    def _delete_before(self, before_ms: float, limit: int) -> tuple[int, int]:
        # Records of running jobs stay: the registry writes them again until they end.
        ids = [i for i in self._table.ids_before(CREATED, before_ms) if i not in self._live]
        deleted = self._table.delete(ids[:limit])
        for job_id in deleted:
            self._written_at.pop(job_id, None)
        return len(deleted), len(ids)

    def _search(self, from_ms: float, to_ms: float) -> list[dict[str, Any]]:
        rows = self._table.search(
            [
                Condition(attribute="start_datetime", type="greater_than", value=from_ms),
                Condition(attribute="start_datetime", type="less_than", value=to_ms),
            ],
            sort=[("start_datetime", False)],
        )
        return [search_view(self._live.get(r["id"], r)) for r in rows]
