"""JobSystem: starts the registry, then the supervisor; stops them in reverse."""

import contextlib
import threading
import time
import uuid
from concurrent.futures import Future
from functools import partial
from typing import TYPE_CHECKING, Any

import pykka

from loadmaster.actors.job_events import JobEvents
from loadmaster.actors.job_index import JobFilter, Key
from loadmaster.actors.job_record import JobRecord, get_job_view, job_table
from loadmaster.actors.job_registry import JobRegistry
from loadmaster.actors.messages import (
    AwaitReady,
    CancelJob,
    DeleteJobRecord,
    DeleteJobsBefore,
    JobNotified,
    JobOptions,
    JobRun,
    SearchJobPage,
    SearchJobs,
    StartJob,
)
from loadmaster.actors.stored_jobs import StoredJobs
from loadmaster.actors.supervisor import JobSupervisor
from loadmaster.actors.webhooks import Notifier
from loadmaster.errors import ServiceUnavailableError
from loadmaster.models import FINISHED, User
from loadmaster.storage import Condition

if TYPE_CHECKING:
    from loadmaster.settings import Settings
    from loadmaster.storage import Store


class JobSystem:
    """The job runtime seen from the operations: submit jobs, read their records.

    Calls block on actor answers, so they are made from worker threads (the HTTP layer runs
    handlers in a thread pool), never awaited on an event loop.
    """

    def __init__(self, store: "Store", settings: "Settings") -> None:
        self._store = store
        self._settings = settings
        self._registry: pykka.ActorRef[Any] | None = None
        self._supervisor: pykka.ActorRef[Any] | None = None
        self._finished = threading.Condition()
        #: Shared with the registry, which alone writes it (see JobRegistry).
        self._live: dict[str, JobRecord] = {}
        self._table = job_table(store)
        self._stored = StoredJobs(self._table)
        self._generation = 0
        #: One future per watched job, resolved with its next change (shared by watchers).
        self._watchers: dict[str, Future[JobRecord]] = {}
        self._watch_lock = threading.Lock()
        self._notifier = Notifier(self._notified, settings)
        #: Jobs starting and ending, told to listeners (the job log, the server's metrics).
        self.events = JobEvents()

    def start(self) -> None:
        """Start the registry (which settles interrupted jobs), then the supervisor."""
        self._registry = JobRegistry.start(
            self._store,
            self._live,
            self._changed_record,
            self._settings,
            self._webhook,
            self._job_ended,
            self._queued_job_started,
        )
        # Jobs are read without asking the registry: wait until it has settled interrupted
        # ones, so that no reader sees them as still running.
        self._ask(self._registry, AwaitReady())
        self._supervisor = JobSupervisor.start(
            registry=self._registry,
            store=self._store,
            settings=self._settings,
            find_key=self.find_key,
        )

    def stop(self) -> None:
        """Stop the supervisor (and its jobs), then the registry."""
        supervisor, self._supervisor = self._supervisor, None
        registry, self._registry = self._registry, None
        try:
            if supervisor is not None:
                supervisor.stop(block=True, timeout=self._settings.job_stop_grace * 3)
        finally:
            self._notifier.close()
            if registry is not None:
                registry.stop(block=True, timeout=self._settings.job_stop_grace)

    def _webhook(self, record: JobRecord) -> None:
        self._notifier.send(record, any_address=bool(record.notify_any))

    def _notified(self, job_id: str, notify: dict[str, Any]) -> None:
        registry = self._registry
        if registry is not None:
            with contextlib.suppress(pykka.ActorDeadError):
                registry.tell(JobNotified(job_id=job_id, notify=notify))

    def _queued_job_started(self, record: JobRecord) -> None:
        """Called by the registry, on its thread, when a queued job gets its slot."""
        self.events.started(record.id, record.type, record.user, record.request, record.status)

    def _job_ended(self, record: JobRecord) -> None:
        """Called by the registry, on its thread, once per job when its record becomes final."""
        self.events.ended(get_job_view(record))

    def _changed_record(self, record: JobRecord) -> None:
        """Called by the registry, on its thread, with each new live record."""
        if self._watchers:
            with self._watch_lock:
                future = self._watchers.pop(record.id, None)
            if future is not None and not future.done():
                future.set_result(record)
        if record.status in FINISHED:
            with self._finished:
                self._generation += 1
                self._finished.notify_all()

    def next_change(self, job_id: str) -> "Future[JobRecord]":
        """Return a future resolved with the job's next live record (shared by all callers).

        Check the record again after taking the future: a change just before is not in it.
        """
        with self._watch_lock:
            future = self._watchers.get(job_id)
            if future is None:
                future = self._watchers[job_id] = Future()
            return future

    def _changed(self, seen: int) -> bool:
        return self._generation != seen

    def wait(self, job_id: str, timeout: float) -> dict[str, Any] | None:
        """Wait until a job is COMPLETE or ERROR; return its record (None if unknown).

        Raises:
            TimeoutError: The job did not end within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            with self._finished:
                seen = self._generation
            record = self.get(job_id)
            if record is None or record.get("status") in FINISHED:
                return record
            with self._finished:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"job {job_id} did not end within {timeout} s")
                self._finished.wait_for(partial(self._changed, seen), remaining)

    def _ask(self, ref: pykka.ActorRef[Any] | None, message: Any) -> Any:
        if ref is None:
            raise ServiceUnavailableError("The job system is not running")
        try:
            return ref.ask(message, timeout=self._settings.ask_timeout)
        except (pykka.Timeout, pykka.ActorDeadError) as exc:
            raise ServiceUnavailableError("The job system did not answer in time") from exc

    def start_job(
        self,
        *,
        type: str,  # noqa: A002 - the wire name of the field
        user: User,
        request: dict[str, Any],
        run: JobRun,
        options: JobOptions | None = None,
    ) -> tuple[str, "Future[str | None]"]:
        """Start a job without waiting: return its id and the future of its record on disk.

        The future is resolved with None once the record is written, or at once with the
        id of the user's existing job with the same ``job_key`` (nothing is started). It
        fails with the write's error when the record could not be written; the job then
        never runs.

        Raises:
            ServiceUnavailableError: The job system is not running.
        """
        if self._supervisor is None:
            raise ServiceUnavailableError("The job system is not running")
        job_id = str(uuid.uuid4())
        persisted: Future[str | None] = Future()

        def recorded(done: "Future[str | None]") -> None:
            # A new record on disk (not the answer of an existing job_key).
            if not done.cancelled() and done.exception() is None and done.result() is None:
                live = self._live.get(job_id)
                status = live.status if live is not None else "IN_PROGRESS"
                self.events.started(job_id, type, user.username, request, status)

        persisted.add_done_callback(recorded)
        try:
            self._supervisor.tell(
                StartJob(
                    job_id=job_id,
                    persisted=persisted,
                    type=type,
                    user=user,
                    request=request,
                    run=run,
                    options=options or JobOptions(),
                )
            )
        except pykka.ActorDeadError as exc:
            raise ServiceUnavailableError("The job system is not running") from exc
        return job_id, persisted

    def submit(
        self,
        *,
        type: str,  # noqa: A002 - the wire name of the field
        user: User,
        request: dict[str, Any],
        run: JobRun,
    ) -> str:
        """Start a job and return its id once its IN_PROGRESS record is on disk.

        Raises:
            Exception: The record could not be written (the write's error).
            TimeoutError: The job system did not answer in time.
        """
        job_id, persisted = self.start_job(type=type, user=user, request=request, run=run)
        persisted.result(timeout=self._settings.ask_timeout)
        return job_id

    def record(self, job_id: str) -> JobRecord | None:
        """Return a job's record, from the registry's live records or from disk, or None.

        Safe from any thread and never blocks: LMDB readers do not wait for writers.
        """
        record = self._live.get(job_id)
        if record is not None:
            return record
        return self._stored.get(job_id)

    def get(self, job_id: str) -> dict[str, Any] | None:
        """Return a job record as get_job shows it, or None."""
        record = self.record(job_id)
        return None if record is None else get_job_view(record)

    def search(self, from_ms: float, to_ms: float) -> list[dict[str, Any]]:
        """Return the jobs with ``from_ms < start_datetime < to_ms``, oldest first."""
        result: list[dict[str, Any]] = self._ask(
            self._registry, SearchJobs(from_ms=from_ms, to_ms=to_ms)
        )
        return result

    def find_key(self, user: str, job_key: str) -> str | None:
        """Return the id of the user's job recorded with ``job_key``, if any."""
        for row in self._table.search(
            [Condition(attribute="job_key", type="equals", value=job_key)]
        ):
            if row.get("user") == user:
                job_id: str = row["id"]
                return job_id
        return None

    def cancel(self, job_id: str, by: str) -> None:
        """Ask the supervisor to stop a queued or running job (no wait for it to stop)."""
        if self._supervisor is None:
            raise ServiceUnavailableError("The job system is not running")
        try:
            self._supervisor.tell(CancelJob(job_id=job_id, by=by))
        except pykka.ActorDeadError as exc:
            raise ServiceUnavailableError("The job system is not running") from exc

    def delete(self, job_id: str) -> str:
        """Delete a finished job's record: "deleted", or "running" / "missing"."""
        answer: str = self._ask(self._registry, DeleteJobRecord(job_id=job_id))
        return answer

    def search_page(
        self, wanted: JobFilter, *, descending: bool, after: Key | None, limit: int
    ) -> tuple[list[dict[str, Any]], Key | None]:
        """Return one page of jobs as get_job shows them, and the cursor of the next."""
        page: tuple[list[dict[str, Any]], Key | None] = self._ask(
            self._registry,
            SearchJobPage(wanted=wanted, descending=descending, after=after, limit=limit),
        )
        return page

    def delete_jobs_before(self, before_ms: float, limit: int) -> tuple[int, int]:
        """Have the registry delete finished job records created before ``before_ms``.

        Returns:
            How many it deleted (at most ``limit``), and how many there were to delete.
        """
        result: tuple[int, int] = self._ask(
            self._registry, DeleteJobsBefore(before_ms=before_ms, limit=limit)
        )
        return result
