"""JobSupervisor: creates job records, starts one JobActor per job, stops them at shutdown."""

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pykka

from loadmaster.actors.job import JobActor
from loadmaster.actors.messages import JobEnded, JobFinished, RecordJob, RunJob, StartJob
from loadmaster.actors.registry import interrupted_message, now_ms
from loadmaster.jobs.context import JobContext
from loadmaster.models import JobStatus

if TYPE_CHECKING:
    from loadmaster.settings import Settings
    from loadmaster.storage import Store

log = logging.getLogger(__name__)


class _Running:
    __slots__ = ("cancelled", "ref")

    def __init__(self, ref: pykka.ActorRef[Any], cancelled: threading.Event) -> None:
        self.ref = ref
        self.cancelled = cancelled


class JobSupervisor(pykka.ThreadingActor):
    """Starts jobs and tracks the running ones, in start order."""

    def __init__(
        self, *, registry: pykka.ActorRef[Any], store: "Store", settings: "Settings"
    ) -> None:
        super().__init__()
        self._registry = registry
        self._store = store
        self._settings = settings
        self._running: dict[str, _Running] = {}
        #: Jobs waiting for a free slot (their records already say IN_PROGRESS).
        self._queued: deque[tuple[JobContext, str, Callable[[JobContext], Any]]] = deque()

    def on_receive(self, message: Any) -> Any:
        """Start a job, or forget one that ended (both told); never stop on an error."""
        try:
            match message:
                case StartJob():
                    self._start(message)
                case JobEnded(job_id=job_id):
                    self._running.pop(job_id, None)
                    self._start_queued()
        except Exception as exc:
            log.exception("job supervisor failed to handle %r", type(message).__name__)
            if isinstance(message, StartJob) and not message.persisted.done():
                message.persisted.set_exception(exc)
        return None

    def _start(self, start: StartJob) -> None:
        job_id = start.job_id
        started = now_ms()
        # HarperDB writes CREATED and at once IN_PROGRESS, and clients only ever see the
        # latter; one record, written once, says the same.
        record = {
            "id": job_id,
            "type": start.type,
            "user": start.user.username,
            "status": JobStatus.IN_PROGRESS.value,
            "created_datetime": started,
            "start_datetime": started,
            "request": start.request,
        }
        if start.warnings:
            record["warnings"] = start.warnings
        # Told before the job can run, so the registry has the record before any progress.
        self._registry.tell(RecordJob(record=record, persisted=start.persisted))
        context = JobContext(
            job_id=job_id, store=self._store, settings=self._settings, user=start.user
        )
        self._queued.append((context, start.type, start.run))
        self._start_queued()

    def _start_queued(self) -> None:
        """Start queued jobs, oldest first, while fewer than the limit run."""
        while self._queued and len(self._running) < self._settings.max_running_jobs:
            context, kind, run = self._queued.popleft()
            try:
                ref = JobActor.start(
                    context=context, run=run, registry=self._registry, supervisor=self.actor_ref
                )
            except Exception as exc:
                log.exception("could not start job %s", context.job_id)
                self._registry.tell(
                    JobFinished(
                        job_id=context.job_id,
                        status=JobStatus.ERROR,
                        message=f"There was an error running {kind} job with id "
                        f"{context.job_id} - {exc}",
                    )
                )
                continue
            self._running[context.job_id] = _Running(ref, context.cancelled)
            ref.tell(RunJob())

    def on_stop(self) -> None:
        """Settle queued jobs; stop running ones, newest first, settling any that will not."""
        interrupted = interrupted_message("the server shut down before it finished")
        for context, _, _ in self._queued:
            self._registry.tell(
                JobFinished(job_id=context.job_id, status=JobStatus.ERROR, message=interrupted)
            )
        self._queued.clear()
        for running in self._running.values():
            running.cancelled.set()
        for job_id, running in reversed(list(self._running.items())):
            try:
                running.ref.stop(block=True, timeout=self._settings.job_stop_grace)
            except pykka.Timeout:
                log.warning("job %s did not stop in time; settling it as ERROR", job_id)
                self._registry.tell(
                    JobFinished(job_id=job_id, status=JobStatus.ERROR, message=interrupted)
                )
        self._running.clear()
