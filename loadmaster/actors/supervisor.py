"""JobSupervisor: creates job records, starts one JobActor per job, stops them at shutdown."""

import contextlib
import logging
from collections import deque
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

import pykka

from loadmaster.actors.job import JobActor
from loadmaster.actors.job_record import JobRecord, interrupted_message, now_ms
from loadmaster.actors.messages import (
    JobActorStopped,
    JobOutcome,
    JobRun,
    RecordJob,
    RecordPersisted,
    RunJob,
    StartJob,
)
from loadmaster.jobs.context import JobContext
from loadmaster.models import JobStatus

if TYPE_CHECKING:
    from loadmaster.settings import Settings
    from loadmaster.storage import Store

__all__ = ["JobSupervisor"]

log = logging.getLogger(__name__)


class _Job:
    """A job the supervisor knows: waiting for its record, for a slot, or running."""

    __slots__ = ("context", "kind", "persisted", "ref", "run")

    def __init__(self, context: JobContext, kind: str, run: JobRun) -> None:
        self.context = context
        self.kind = kind
        self.run = run
        #: Its record is on disk: only then may it run (its submitter was answered).
        self.persisted = False
        self.ref: pykka.ActorRef[Any] | None = None


class JobSupervisor(pykka.ThreadingActor):
    """Starts jobs and tracks the running ones, in start order."""

    def __init__(
        self, *, registry: pykka.ActorRef[Any], store: "Store", settings: "Settings"
    ) -> None:
        super().__init__()
        self._registry = registry
        self._store = store
        self._settings = settings
        self._running: dict[str, _Job] = {}
        #: Jobs waiting for their record to be written, then for a free slot, in submit order.
        self._queued: deque[_Job] = deque()

    def on_receive(self, message: Any) -> Any:
        """Start a job, or forget one that ended (both told); never stop on an error."""
        try:
            match message:
                case StartJob():
                    self._start(message)
                case RecordPersisted(job_id=job_id, error=error):
                    self._persisted(job_id, error)
                case JobActorStopped(job_id=job_id):
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
        record = JobRecord(
            id=job_id,
            type=start.type,
            user=start.user.username,
            status=JobStatus.IN_PROGRESS.value,
            created_datetime=started,
            start_datetime=started,
            request=start.request,
        )
        context = JobContext(
            job_id=job_id, store=self._store, settings=self._settings, user=start.user
        )
        self._queued.append(_Job(context, start.type, start.run))
        # Told before the job can run, so the registry has the record before any progress.
        self._registry.tell(RecordJob(record=record, persisted=start.persisted))
        ref = self.actor_ref

        def persisted(future: "Future[None]") -> None:
            with contextlib.suppress(pykka.ActorDeadError):
                ref.tell(RecordPersisted(job_id=job_id, error=future.exception()))

        start.persisted.add_done_callback(persisted)

    def _persisted(self, job_id: str, error: BaseException | None) -> None:
        for job in self._queued:
            if job.context.job_id == job_id:
                break
        else:
            return
        if error is not None:
            # The submitter got a 500 and the registry settles the record: never run it.
            self._queued.remove(job)
            return
        job.persisted = True
        self._start_queued()

    def _start_queued(self) -> None:
        """Start queued jobs, oldest first, while fewer than the limit run."""
        while (
            self._queued
            and self._queued[0].persisted
            and len(self._running) < self._settings.max_running_jobs
        ):
            job = self._queued.popleft()
            job_id = job.context.job_id
            try:
                job.ref = JobActor.start(
                    context=job.context,
                    run=job.run,
                    kind=job.kind,
                    registry=self._registry,
                    supervisor=self.actor_ref,
                )
            except Exception as exc:
                log.exception("could not start job %s", job_id)
                self._registry.tell(
                    JobOutcome(
                        job_id=job_id,
                        status=JobStatus.ERROR,
                        message=f"There was an error running {job.kind} job with id "
                        f"{job_id} - {exc}",
                    )
                )
                continue
            self._running[job_id] = job
            job.ref.tell(RunJob())

    def on_stop(self) -> None:
        """Settle queued jobs; stop running ones, newest first, settling any that will not."""
        interrupted = interrupted_message("the server shut down before it finished")
        for job in self._queued:
            self._registry.tell(
                JobOutcome(job_id=job.context.job_id, status=JobStatus.ERROR, message=interrupted)
            )
        self._queued.clear()
        for job in self._running.values():
            job.context.cancelled.set()
        for job_id, job in reversed(list(self._running.items())):
            if job.ref is None:
                continue
            try:
                job.ref.stop(block=True, timeout=self._settings.job_stop_grace)
            except pykka.Timeout:
                log.warning("job %s did not stop in time; settling it as ERROR", job_id)
                self._registry.tell(
                    JobOutcome(job_id=job_id, status=JobStatus.ERROR, message=interrupted)
                )
        self._running.clear()
