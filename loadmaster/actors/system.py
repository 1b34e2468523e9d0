"""JobSystem: starts the registry, then the supervisor; stops them in reverse."""

import threading
import time
import uuid
from concurrent.futures import Future
from functools import partial
from typing import TYPE_CHECKING, Any

import pykka

from loadmaster.actors.job_record import JobRecord, get_job_view, job_table, record_from_stored
from loadmaster.actors.job_registry import JobRegistry
from loadmaster.actors.messages import AwaitReady, JobRun, SearchJobs, StartJob
from loadmaster.actors.supervisor import JobSupervisor
from loadmaster.errors import ServiceUnavailableError
from loadmaster.models import FINISHED, User

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
        self._generation = 0

    def start(self) -> None:
        """Start the registry (which settles interrupted jobs), then the supervisor."""
        self._registry = JobRegistry.start(self._store, self._live, self._notify)
        # Jobs are read without asking the registry: wait until it has settled interrupted
        # ones, so that no reader sees them as still running.
        self._ask(self._registry, AwaitReady())
        self._supervisor = JobSupervisor.start(
            registry=self._registry, store=self._store, settings=self._settings
        )

    def stop(self) -> None:
        """Stop the supervisor (and its jobs), then the registry."""
        supervisor, self._supervisor = self._supervisor, None
        registry, self._registry = self._registry, None
        try:
            if supervisor is not None:
                supervisor.stop(block=True, timeout=self._settings.job_stop_grace * 3)
        finally:
            if registry is not None:
                registry.stop(block=True, timeout=self._settings.job_stop_grace)

    def _notify(self, _job_id: str) -> None:
        with self._finished:
            self._generation += 1
            self._finished.notify_all()

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
    ) -> tuple[str, "Future[None]"]:
        """Start a job without waiting: return its id and the future of its record on disk.

        The future fails with the write's error when the record could not be written; the
        job then never runs.

        Raises:
            ServiceUnavailableError: The job system is not running.
        """
        if self._supervisor is None:
            raise ServiceUnavailableError("The job system is not running")
        job_id = str(uuid.uuid4())
        persisted: Future[None] = Future()
        try:
            self._supervisor.tell(
                StartJob(
                    job_id=job_id,
                    persisted=persisted,
                    type=type,
                    user=user,
                    request=request,
                    run=run,
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
        found = self._table.get([job_id])
        return record_from_stored(found[0]) if found else None

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
