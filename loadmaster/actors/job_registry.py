"""JobRegistry: the only writer of ``system.hdb_job``; answers job queries.

A failed write never stops it: the records of that write stay dirty and are written again
later (on a timer, see :mod:`.write_schedule`), a poison record is found by writing the batch
record by record, and only the records that could not be written fail (a new job's submitter
gets HarperDB's 500, and the job never runs).
"""

import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

import msgspec
import pykka

from loadmaster import wording
from loadmaster.actors import job_queries
from loadmaster.actors.job_index import JobIndex
from loadmaster.actors.job_record import (
    JobRecord,
    job_table,
    now_ms,
    record_from_stored,
)
from loadmaster.actors.messages import (
    AwaitReady,
    DeleteJobRecord,
    DeleteJobsBefore,
    JobNotified,
    JobOutcome,
    JobProgress,
    JobStarted,
    Purge,
    QueuePositions,
    RecordJob,
    SearchJobPage,
    SearchJobs,
    WriteRecords,
)
from loadmaster.actors.progress import Pace
from loadmaster.actors.record_removal import RecordRemoval
from loadmaster.actors.record_writer import RecordWriter, environmental, reason
from loadmaster.actors.timers import Timer, call_later
from loadmaster.actors.write_schedule import WriteSchedule
from loadmaster.models import FINISHED, JobStatus
from loadmaster.storage import Condition, Store

if TYPE_CHECKING:
    from loadmaster.settings import Settings

__all__ = ["JobRegistry"]

log = logging.getLogger(__name__)

#: Progress of a running job is written at most this often; the final state always is.
PROGRESS_WRITE_INTERVAL = 0.5
#: Finished records past retention are deleted this often (and at start), this many at once.
PURGE_INTERVAL = 3600.0
COUNTERS = frozenset({"processed", "total", "bytes_read", "bytes_total", "error_count", "rejected"})


class JobRegistry(pykka.ThreadingActor):
    """Owns job records: persists them, coalesces progress, answers get_job and searches.

    ``live`` holds the records of running jobs (and of finished ones until written); it is
    shared with readers on other threads, which get a record without a message: the registry
    only ever replaces a record with a new frozen one, and drops a finished record only after
    it is on disk.

    Writes are group-committed: a message that changes a record only marks it dirty, and the
    dirty records are written in one transaction (when, :mod:`.write_schedule` says), so a
    burst of submits costs a few fsyncs, not one per job. Running jobs are
    kept in memory, so their live counters are answered without a disk read; their progress
    is written at most every ``PROGRESS_WRITE_INTERVAL`` seconds.
    """

    def __init__(
        self,
        store: Store,
        live: dict[str, JobRecord],
        on_change: Callable[[JobRecord], None] = lambda _: None,
        settings: "Settings | None" = None,
        notify: Callable[[JobRecord], None] = lambda _: None,
        on_finished: Callable[[JobRecord], None] = lambda _: None,
        on_started: Callable[[JobRecord], None] = lambda _: None,
    ) -> None:
        """Own the job table of ``store``; ``on_change(record)`` is called (on the
        registry's thread, so it must be quick) whenever a job's live record changes;
        ``notify(record)`` sends a finished job's webhook; ``on_finished(record)`` is called
        once when a job that ran (or was to run) in this process ends; ``on_started(record)``
        when a queued job gets its slot."""
        super().__init__()
        self._on_change = on_change
        self._notify = notify
        self._on_finished = on_finished
        self._on_started = on_started
        self._retention_days = settings.job_retention_days if settings is not None else 0.0
        self._index = JobIndex()
        self._paces: dict[str, Pace] = {}
        self._purge_timer: Timer | None = None
        self._table = job_table(store)
        self._writer = RecordWriter(self._table)
        self._removal = RecordRemoval(store, self._table, self._index, self._writer)
        self._live = live
        self._written_at: dict[str, float] = {}
        self._schedule = WriteSchedule(self._wake)
        #: Submitters waiting for a new record to be on disk.
        self._acks: dict[str, Future[str | None]] = {}
        #: Finished records, dropped from ``live`` once written.
        self._finished: set[str] = set()

    def on_start(self) -> None:
        """Settle jobs that an earlier process left unfinished (spec §2.6).

        They are settled in memory at once (get_job answers ERROR) and written like any
        change, so a start on a full disk works and the write is retried until it succeeds.
        """
        try:
            self._index.load(self._table.scan())
            orphans = [
                row
                for status in (JobStatus.CREATED, JobStatus.IN_PROGRESS)
                for row in self._table.search(
                    [Condition(attribute="status", type="equals", value=status.value)]
                )
            ]
        except Exception:
            log.exception("could not read the job records")
            return
        finally:
            self._purge()
        if not orphans:
            return
        message = wording.interrupted("an earlier loadmaster process exited before it finished")
        end = now_ms()
        for row in orphans:
            record = msgspec.structs.replace(
                record_from_stored(row),
                status=JobStatus.ERROR.value,
                message=message,
                end_datetime=end,
                request=None,
            )
            self._publish(record, stored=row)
            self._ended(record.id)
        log.warning("settling %d interrupted job(s) as ERROR", len(orphans))
        self._flush()

    def on_stop(self) -> None:
        """Write whatever is still dirty (once: the process is going away)."""
        self._schedule.cancel()
        if self._purge_timer is not None:
            self._purge_timer.cancel()
        self._flush(retry=False)

    def on_receive(self, message: Any) -> Any:
        """Handle one message, then flush if nothing else is waiting; never stop on an error."""
        try:
            return self._handle(message)
        except Exception:
            if isinstance(
                message,
                SearchJobs | SearchJobPage | DeleteJobRecord | DeleteJobsBefore | AwaitReady,
            ):
                raise  # an ask: the error travels back to the asker and the actor lives
            log.exception("job registry failed to handle %r", type(message).__name__)
            return None
        finally:
            if self._schedule.due(waited_for=bool(self._acks), idle=self.actor_inbox.empty()):
                self._flush()

    def _handle(self, message: Any) -> Any:
        match message:
            case JobProgress(job_id=job_id, counters=counters):
                self._progress(job_id, counters)
            case JobOutcome():
                self._finish(message)
            case SearchJobs(from_ms=from_ms, to_ms=to_ms):
                self._flush()
                return job_queries.by_start_date(self._table, self._live, from_ms, to_ms)
            case RecordJob(record=record, persisted=persisted):
                self._publish(record)
                self._acks[record.id] = persisted
            case WriteRecords():
                self._schedule.woken()
                self._flush()
            case JobStarted(job_id=job_id, start_datetime=start):
                self._started(job_id, start)
            case QueuePositions(positions=positions):
                self._positions(positions)
            case SearchJobPage():
                return job_queries.page(self._index, self._table, self._live, message)
            case DeleteJobRecord(job_id=job_id):
                return self._delete(job_id)
            case DeleteJobsBefore(before_ms=before_ms, limit=limit):
                self._flush()
                return self._removal.before(before_ms, limit, self._live)
            case JobNotified(job_id=job_id, notify=notify):
                self._notified(job_id, notify)
            case Purge():
                self._purge_timer = None
                self._purge()
            case AwaitReady():
                pass
            case _:
                log.warning("job registry ignored unknown message %r", message)
        return None

    def _publish(self, record: JobRecord, stored: dict[str, Any] | None = None) -> None:
        """Make ``record`` the live state of its job, and mark it to be written."""
        job_id = record.id
        self._set(record)
        if stored is not None:
            self._writer.stored(job_id, stored)
        self._schedule.mark(job_id)

    def _set(self, record: JobRecord) -> None:
        """Show ``record`` as its job's live state (without writing it)."""
        self._live[record.id] = record
        self._index.put(record)
        try:
            self._on_change(record)
        except Exception:
            log.exception("a job change listener failed")

    # ------------------------------------------------------------------ writing

    def _flush(self, *, retry: bool = True) -> None:
        """Write every dirty record; acknowledge, drop finished ones and notify; never raise."""
        if not self._schedule.dirty:
            return
        ids = self._schedule.take()
        try:
            failed = self._writer.write([self._live[job_id] for job_id in ids])
        except Exception as bug:  # a bug here must not stop the registry either
            log.exception("job registry could not write %d record(s)", len(ids))
            failed = dict.fromkeys(ids, bug)
        now = time.monotonic()
        for job_id in ids:
            if job_id in failed:
                continue
            self._written_at[job_id] = now
            ack = self._acks.pop(job_id, None)
            if ack is not None:
                ack.set_result(None)
            if job_id in self._finished:
                self._finished.discard(job_id)
                self._live.pop(job_id, None)
                self._written_at.pop(job_id, None)
                self._writer.forget(job_id)
                self._paces.pop(job_id, None)
        for job_id, error in failed.items():
            self._failed(job_id, error)
        if retry:
            self._schedule.written(failed=bool(failed))

    def _failed(self, job_id: str, exc: BaseException) -> None:
        """Keep a record that could not be written dirty; fail a new job's submit."""
        record = self._live.get(job_id)
        if record is None:
            return
        if not environmental(exc):
            # The record itself cannot be stored: keep only what is known to encode.
            record = self._writer.scrub(record)
        ack = self._acks.pop(job_id, None)
        if ack is not None:
            # Its submitter is told it failed, so the job never runs: say so on the record.
            ack.set_exception(exc)
            record = msgspec.structs.replace(
                record,
                status=JobStatus.ERROR.value,
                message=f"There was an error running {record.type} job with id {job_id}"
                f" - {reason(exc)}",
                end_datetime=now_ms(),
                request=None,
            )
            self._publish(record)
            self._ended(job_id)
            self._tell_finished(record)
            return
        self._publish(record)

    def _wake(self) -> None:
        """Tell the registry to write its dirty records (on the timer thread)."""
        with contextlib.suppress(pykka.ActorDeadError):
            self.actor_ref.tell(WriteRecords())

    # ------------------------------------------------------------------ changes

    def _progress(self, job_id: str, counters: dict[str, int]) -> None:
        record = self._live.get(job_id)
        if record is None or record.status in FINISHED:
            return
        known = {k: v for k, v in counters.items() if k in COUNTERS}
        record = msgspec.structs.replace(record, **known)
        pace = self._paces.get(job_id)
        if pace is None:
            pace = self._paces[job_id] = Pace()
        record = msgspec.structs.replace(record, **pace.figures(record))
        if time.monotonic() - self._written_at.get(job_id, 0.0) >= PROGRESS_WRITE_INTERVAL:
            self._publish(record)
        else:
            self._set(record)

    def _started(self, job_id: str, start: int) -> None:
        record = self._live.get(job_id)
        if record is None or record.status in FINISHED:
            return
        started = msgspec.structs.replace(
            record, status=JobStatus.IN_PROGRESS.value, start_datetime=start, queue_position=None
        )
        self._publish(started)
        try:
            self._on_started(started)
        except Exception:
            log.exception("a job start listener failed")

    def _positions(self, positions: dict[str, int]) -> None:
        # Shown at once, written with the next change: a restart settles queued jobs anyway.
        for job_id, position in positions.items():
            record = self._live.get(job_id)
            if record is not None and record.status == JobStatus.CREATED:
                moved = msgspec.structs.replace(record, queue_position=position)
                self._live[job_id] = moved  # the index does not change
                self._on_change(moved)

    def _finish(self, done: JobOutcome) -> None:
        job_id = done.job_id
        record = self._live.get(job_id)
        stored = None
        if record is None:
            found = self._table.get([job_id])
            if not found or found[0].get("status") in FINISHED:
                return  # unknown, or already settled (e.g. at shutdown): the first end wins
            stored = found[0]
            record = record_from_stored(stored)
        elif record.status in FINISHED:
            return
        changes: dict[str, Any] = {k: v for k, v in done.counters.items() if k in COUNTERS}
        changes.update(
            status=done.status.value,
            message=done.message,
            end_datetime=now_ms(),
            request=None,
            queue_position=None,
            rate=None,
            eta_seconds=None,
        )
        knows_total = record.total is not None or record.bytes_total is not None
        if done.status == JobStatus.COMPLETE and (
            knows_total or "total" in changes or "bytes_total" in changes
        ):
            # Whether or not a progress report came through before the end.
            changes["percent"] = 100.0
        if done.result is not msgspec.UNSET:
            changes["result"] = done.result
        if done.cancelled_by is not None:
            changes.update(cancelled=True, cancelled_by=done.cancelled_by)
        final = msgspec.structs.replace(record, **changes)
        self._publish(final, stored=stored)
        self._ended(job_id)
        self._tell_finished(final)
        if final.notify_url is not None:
            self._notify(final)

    def _notified(self, job_id: str, notify: dict[str, Any]) -> None:
        record = self._live.get(job_id)
        stored = None
        if record is None:
            found = self._table.get([job_id])
            if not found:
                return  # deleted meanwhile
            stored = found[0]
            record = record_from_stored(stored)
        self._publish(msgspec.structs.replace(record, notify=notify), stored=stored)
        if record.status in FINISHED:
            self._finished.add(job_id)

    def _tell_finished(self, record: JobRecord) -> None:
        try:
            self._on_finished(record)
        except Exception:
            log.exception("a job end listener failed")

    def _ended(self, job_id: str) -> None:
        """Note that a job's live record is final: it is dropped once written."""
        self._finished.add(job_id)

    def _delete(self, job_id: str) -> str:
        record = self._live.get(job_id)
        if record is not None and record.status not in FINISHED:
            return "running"
        if record is not None:
            # Finished but not yet written: it will not be.
            self._schedule.discard(job_id)
            self._finished.discard(job_id)
            self._live.pop(job_id, None)
        deleted = self._removal.remove([job_id])
        return "deleted" if deleted or record is not None else "missing"

    def _purge(self) -> None:
        """Delete finished records past retention, then look again in an hour."""
        if self._retention_days <= 0:
            return
        ref = self.actor_ref

        def tell() -> None:
            with contextlib.suppress(pykka.ActorDeadError):
                ref.tell(Purge())

        self._purge_timer = call_later(PURGE_INTERVAL, tell)
        try:
            old = self._removal.expired(self._live, self._retention_days)
        except Exception:
            log.exception("could not delete job records past retention")
            return
        if old:
            log.info("deleted %d job record(s) older than %g days", old, self._retention_days)
