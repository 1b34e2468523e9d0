"""JobSystem: starts the registry, then the supervisor; stops them in reverse."""

import asyncio
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from typing import TYPE_CHECKING, Any

import pykka

from loadmaster.actors.job_events import JobEvents
from loadmaster.actors.messages import AwaitReady, DeleteJobsBefore, SearchJobs, StartJob
from loadmaster.actors.registry import JobRegistry, job_table, read_job
from loadmaster.actors.supervisor import JobSupervisor
from loadmaster.errors import ServerError, ServiceUnavailableError
from loadmaster.jobs.context import JobContext
from loadmaster.models import FINISHED, User

if TYPE_CHECKING:
    from loadmaster.settings import Settings
    from loadmaster.storage import Store


class Submitted:
    """A job that was started: its id, and the future of its IN_PROGRESS record on disk.

    HarperDB answers a submit only once the record is IN_PROGRESS: threads call
    :meth:`wait`, the event loop awaits :meth:`wait_async` (no thread is held meanwhile).
    """

    __slots__ = ("_persisted", "_timeout", "job_id")

    def __init__(self, job_id: str, persisted: "Future[None]", timeout: float) -> None:
        self.job_id = job_id
        self._persisted = persisted
        self._timeout = timeout

    @property
    def answer(self) -> dict[str, str]:
        """Return HarperDB's answer to the submit (once the record is on disk)."""
        return {"message": f"Starting job with id {self.job_id}", "job_id": self.job_id}

    def wait(self) -> None:
        """Block until the record is on disk.

        Raises:
            ServerError: It could not be written. ServiceUnavailableError: not in time.
        """
        try:
            self._persisted.result(timeout=self._timeout)
        except TimeoutError as exc:
            raise ServiceUnavailableError("The job system did not answer in time") from exc
        except Exception as exc:
            raise ServerError(f"There was an error executing job: {exc}") from exc

    async def wait_async(self) -> None:
        """Wait, on an event loop, until the record is on disk (errors as :meth:`wait`)."""
        try:
            await asyncio.wait_for(asyncio.wrap_future(self._persisted), self._timeout)
        except TimeoutError as exc:
            raise ServiceUnavailableError("The job system did not answer in time") from exc
        except Exception as exc:
            raise ServerError(f"There was an error executing job: {exc}") from exc


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
        self._live: dict[str, dict[str, Any]] = {}
        self._table = job_table(store)
        self._generation = 0
        #: Jobs starting and ending, told to listeners (the job log, the server's metrics).
        self.events = JobEvents()

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

    def _notify(self, job_id: str) -> None:
        record = self.get(job_id)
        if record is not None:
            self.events.ended(record)
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
        run: Callable[[JobContext], Any],
    ) -> "Submitted":
        """Start a job without waiting: return its id and the future of its record on disk.

        Raises:
            ServiceUnavailableError: The job system is not running.
        """
        if self._supervisor is None:
            raise ServiceUnavailableError("The job system is not running")
        job_id = str(uuid.uuid4())
        persisted: Future[None] = Future()

        def recorded(done: "Future[None]") -> None:
            if not done.cancelled() and done.exception() is None:
                self.events.started(job_id, type, user.username, request, "IN_PROGRESS")

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
                )
            )
        except pykka.ActorDeadError as exc:
            raise ServiceUnavailableError("The job system is not running") from exc
        return Submitted(job_id, persisted, self._settings.ask_timeout)

    def submit(
        self,
        *,
        type: str,  # noqa: A002 - the wire name of the field
        user: User,
        request: dict[str, Any],
        run: Callable[[JobContext], Any],
    ) -> str:
        """Start a job and return its id once its IN_PROGRESS record is on disk.

        Raises:
            ServerError: The record could not be written (HarperDB's wording).
            ServiceUnavailableError: The job system did not answer in time.
        """
        submitted = self.start_job(type=type, user=user, request=request, run=run)
        submitted.wait()
        return submitted.job_id

    def get(self, job_id: str) -> dict[str, Any] | None:
        """Return a job record as get_job shows it, or None."""
        return read_job(self._live, self._table, job_id)

    def search(self, from_ms: float, to_ms: float) -> list[dict[str, Any]]:
        """Return the jobs with ``from_ms < start_datetime < to_ms``, oldest first."""
        result: list[dict[str, Any]] = self._ask(
            self._registry, SearchJobs(from_ms=from_ms, to_ms=to_ms)
        )
        return result

    def delete_jobs_before(self, before_ms: float, limit: int) -> tuple[int, int]:
        """Have the registry delete finished job records created before ``before_ms``.

        Returns:
            How many it deleted (at most ``limit``), and how many there were to delete.
        """
        result: tuple[int, int] = self._ask(
            self._registry, DeleteJobsBefore(before_ms=before_ms, limit=limit)
        )
        return result
