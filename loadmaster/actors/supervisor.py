"""JobSupervisor: creates job records, queues and starts one JobActor per job, stops them.

A job runs once its record is on disk and a slot is free (at most ``max_running_jobs`` run).
One that has to wait is ``CREATED`` with its ``queue_position`` until it starts. A cancel or
a timeout asks a running job to stop at its next batch boundary; one that does not stop
within ``job_stop_grace`` (a hung source) is settled ERROR and its slot freed.
"""

import contextlib
import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

import pykka

from loadmaster import wording
from loadmaster.actors.job import JobActor, StopRequest
from loadmaster.actors.job_record import JobRecord, now_ms
from loadmaster.actors.messages import (
    CancelJob,
    JobActorStopped,
    JobDeadline,
    JobOutcome,
    JobRun,
    JobStarted,
    QueuePositions,
    RecordJob,
    RecordPersisted,
    RunJob,
    StartJob,
    StopOverdue,
)
from loadmaster.actors.timers import Timer, call_later
from loadmaster.jobs.context import JobContext
from loadmaster.models import JobStatus

if TYPE_CHECKING:
    from loadmaster.settings import Settings
    from loadmaster.storage import Store

__all__ = ["JobSupervisor"]

log = logging.getLogger(__name__)

#: Finds the id of a user's job with a job key (None when there is none, or it was deleted).
KeyLookup = Callable[[str, str], str | None]


class _Job:
    """A job the supervisor knows: waiting for its record, for a slot, or running."""

    __slots__ = (
        "context",
        "key",
        "kind",
        "persisted",
        "position",
        "ref",
        "run",
        "stop",
        "timeout",
        "timers",
    )

    def __init__(self, context: JobContext, kind: str, run: JobRun, timeout: float | None) -> None:
        self.context = context
        self.kind = kind
        self.run = run
        self.timeout = timeout
        #: Its record is on disk: only then may it run (its submitter was answered).
        self.persisted = False
        #: Its queue position while its record says CREATED (it waits for a slot).
        self.position = 0
        self.key: tuple[str, str] | None = None
        self.stop = StopRequest()
        self.ref: pykka.ActorRef[Any] | None = None
        self.timers: list[Timer] = []


class JobSupervisor(pykka.ThreadingActor):
    """Starts jobs and tracks the running ones, in start order."""

    def __init__(
        self,
        *,
        registry: pykka.ActorRef[Any],
        store: "Store",
        settings: "Settings",
        find_key: KeyLookup = lambda _user, _key: None,
    ) -> None:
        super().__init__()
        self._registry = registry
        self._store = store
        self._settings = settings
        self._find_key = find_key
        self._running: dict[str, _Job] = {}
        #: Jobs waiting for a free slot (CREATED), in submit order; one with a slot at submit
        #: is in ``_running`` at once, its actor told to run when its record is on disk.
        self._queued: deque[_Job] = deque()
        #: Job keys of jobs whose records are not on disk yet: (user, key) → job id.
        self._keys: dict[tuple[str, str], str] = {}

    def on_receive(self, message: Any) -> Any:
        """Handle one told message; never stop on an error."""
        try:
            match message:
                case StartJob():
                    self._start(message)
                case RecordPersisted(job_id=job_id, error=error):
                    self._persisted(job_id, error)
                case JobActorStopped(job_id=job_id):
                    self._ended(job_id)
                case CancelJob(job_id=job_id, by=by):
                    self._cancel(job_id, by)
                case JobDeadline(job_id=job_id):
                    self._deadline(job_id)
                case StopOverdue(job_id=job_id):
                    self._overdue(job_id)
        except Exception as exc:
            log.exception("job supervisor failed to handle %r", type(message).__name__)
            if isinstance(message, StartJob) and not message.persisted.done():
                message.persisted.set_exception(exc)
        return None

    # ------------------------------------------------------------------ submit

    def _start(self, start: StartJob) -> None:
        job_id = start.job_id
        options = start.options
        key = None
        if options.job_key is not None:
            key = (start.user.username, options.job_key)
            existing = self._existing(key)
            if existing is not None:
                start.persisted.set_result(existing)
                return
        now = now_ms()
        job = _Job(
            JobContext(job_id=job_id, store=self._store, settings=self._settings, user=start.user),
            start.type,
            start.run,
            options.timeout if options.timeout is not None else self._settings.job_timeout,
        )
        job.key = key
        waits = len(self._running) + len(self._queued) >= self._settings.max_running_jobs
        if waits:
            self._queued.append(job)
        if key is not None:
            self._keys[key] = job_id
        # HarperDB writes CREATED and at once IN_PROGRESS, and clients only ever see the
        # latter; one record, written once, says the same. A job that has to wait for a
        # slot says CREATED (with its place in the queue) until it starts.
        record = JobRecord(
            id=job_id,
            type=start.type,
            user=start.user.username,
            status=(JobStatus.CREATED if waits else JobStatus.IN_PROGRESS).value,
            created_datetime=now,
            start_datetime=None if waits else now,
            request=start.request,
            queue_position=self._position_of(len(self._queued) - 1) if waits else None,
            job_key=options.job_key,
            timeout=options.timeout,
            notify_url=options.notify_url,
            notify_any=options.notify_any if options.notify_url is not None else None,
            database=options.database,
            table=options.table,
            warnings=list(options.warnings) or None,
        )
        job.position = record.queue_position or 0
        # Told before the job can run, so the registry has the record before any progress.
        self._registry.tell(RecordJob(record=record, persisted=start.persisted))
        if not waits and not self._spawn(job):
            return
        ref = self.actor_ref
        actor = job.ref

        def persisted(future: "Future[str | None]") -> None:
            error = future.exception()
            if error is None and actor is not None:
                # Straight from the registry's thread: the job starts one hop sooner.
                with contextlib.suppress(pykka.ActorDeadError):
                    actor.tell(RunJob())
            with contextlib.suppress(pykka.ActorDeadError):
                ref.tell(RecordPersisted(job_id=job_id, error=error))

        start.persisted.add_done_callback(persisted)

    def _spawn(self, job: _Job) -> bool:
        """Start a job's actor (it runs once told ``RunJob``) and give it a slot."""
        job_id = job.context.job_id
        try:
            job.ref = JobActor.start(
                context=job.context,
                run=job.run,
                kind=job.kind,
                stop=job.stop,
                registry=self._registry,
                supervisor=self.actor_ref,
            )
        except Exception as exc:
            log.exception("could not start job %s", job_id)
            self._registry.tell(
                JobOutcome(
                    job_id=job_id,
                    status=JobStatus.ERROR,
                    message=f"There was an error running {job.kind} job with id {job_id} - {exc}",
                )
            )
            return False
        self._running[job_id] = job
        return True

    def _run_timers(self, job: _Job) -> None:
        if job.timeout is not None:
            job.timers.append(self._later(job.timeout, JobDeadline(job_id=job.context.job_id)))

    def _existing(self, key: tuple[str, str]) -> str | None:
        known = self._keys.get(key)
        if known is not None and (known in self._running or self._find_queued(known)):
            return known
        return self._find_key(*key)

    @staticmethod
    def _position_of(index: int) -> int:
        """Return the queue position of the queued job at ``index`` (1 = next to start)."""
        return index + 1

    def _find_queued(self, job_id: str) -> _Job | None:
        for job in self._queued:
            if job.context.job_id == job_id:
                return job
        return None

    def _persisted(self, job_id: str, error: BaseException | None) -> None:
        running = self._running.get(job_id)
        if running is not None:
            # Its key is on disk now (or never will be): find_key answers for it from here.
            self._forget_key(running)
            if error is None:
                self._run_timers(running)
                return
            # Its actor was started but never told to run: stop it and free the slot.
            self._running.pop(job_id)
            if running.ref is not None:
                with contextlib.suppress(pykka.ActorDeadError):
                    running.ref.stop(block=False)
            self._start_queued()
            return
        job = self._find_queued(job_id)
        if job is None:
            return
        self._forget_key(job)
        if error is not None:
            # The submitter got a 500 and the registry settles the record: never run it.
            self._queued.remove(job)
            self._start_queued()
            self._update_positions()
            return
        job.persisted = True
        self._start_queued()

    def _forget_key(self, job: _Job) -> None:
        if job.key is not None and self._keys.get(job.key) == job.context.job_id:
            del self._keys[job.key]

    # ------------------------------------------------------------------ running

    def _start_queued(self) -> None:
        """Start queued jobs, oldest first, while fewer than the limit run."""
        started = False
        while (
            self._queued
            and self._queued[0].persisted
            and len(self._running) < self._settings.max_running_jobs
        ):
            job = self._queued.popleft()
            started = True
            self._registry.tell(JobStarted(job_id=job.context.job_id, start_datetime=now_ms()))
            if self._spawn(job) and job.ref is not None:
                self._run_timers(job)
                job.ref.tell(RunJob())
        if started:
            self._update_positions()

    def _update_positions(self) -> None:
        positions: dict[str, int] = {}
        for index, job in enumerate(self._queued):
            position = self._position_of(index)
            if position != job.position:
                job.position = position
                positions[job.context.job_id] = position
        if positions:
            self._registry.tell(QueuePositions(positions=positions))

    def _later(self, delay: float, message: Any) -> Timer:
        ref = self.actor_ref

        def tell() -> None:
            with contextlib.suppress(pykka.ActorDeadError):
                ref.tell(message)

        return call_later(delay, tell)

    def _ended(self, job_id: str) -> None:
        job = self._running.pop(job_id, None)
        if job is not None:
            for timer in job.timers:
                timer.cancel()
        self._start_queued()

    # ------------------------------------------------------------------ stopping

    def _cancel(self, job_id: str, by: str) -> None:
        queued = self._find_queued(job_id)
        if queued is not None:
            self._queued.remove(queued)
            queued.stop.cancelled_by = by
            self._registry.tell(self._stopped_outcome(queued))
            self._update_positions()
            return
        running = self._running.get(job_id)
        if running is None or running.context.cancelled.is_set():
            return  # finished meanwhile, or already stopping
        running.stop.cancelled_by = by
        self._ask_to_stop(running)

    def _deadline(self, job_id: str) -> None:
        job = self._running.get(job_id)
        if job is None or job.context.cancelled.is_set():
            return
        job.stop.timeout = job.timeout
        self._ask_to_stop(job)

    def _ask_to_stop(self, job: _Job) -> None:
        job.context.cancelled.set()
        grace = self._settings.job_stop_grace
        job.timers.append(self._later(grace, StopOverdue(job_id=job.context.job_id)))

    def _overdue(self, job_id: str) -> None:
        job = self._running.pop(job_id, None)
        if job is None:
            return
        log.warning("job %s did not stop in time; settling it and freeing its slot", job_id)
        self._registry.tell(self._stopped_outcome(job))
        self._start_queued()

    @staticmethod
    def _stopped_outcome(job: _Job) -> JobOutcome:
        counters = dict(job.context.counters)
        message = job.stop.message(job.kind, counters.get("processed", 0))
        return JobOutcome(
            job_id=job.context.job_id,
            status=JobStatus.ERROR,
            message=message or wording.interrupted("it was stopped"),
            counters=counters,
            cancelled_by=job.stop.cancelled_by,
        )

    def on_stop(self) -> None:
        """Settle queued jobs; stop running ones, newest first, settling any that will not."""
        interrupted = wording.interrupted("the server shut down before it finished")
        for job in self._queued:
            self._registry.tell(
                JobOutcome(job_id=job.context.job_id, status=JobStatus.ERROR, message=interrupted)
            )
        self._queued.clear()
        for job in self._running.values():
            for timer in job.timers:
                timer.cancel()
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
