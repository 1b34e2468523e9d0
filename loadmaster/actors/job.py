"""JobActor: runs one job on its own thread and reports how it ended."""

import contextlib
import errno
import logging
from typing import Any

import msgspec
import pykka

from loadmaster import wording
from loadmaster.actors.job_record import JobMessage
from loadmaster.actors.messages import JobActorStopped, JobOutcome, JobProgress, JobRun, RunJob
from loadmaster.errors import JobCancelledError, LoadmasterError, PermissionDeniedError
from loadmaster.jobs.context import JobContext
from loadmaster.models import JobStatus

log = logging.getLogger(__name__)


def error_message(exc: BaseException) -> JobMessage:
    """Turn a job's exception into its ERROR message (an object for permission failures)."""
    if isinstance(exc, PermissionDeniedError):
        return exc.body()
    if isinstance(exc, LoadmasterError):
        return exc.message
    return str(exc) or type(exc).__name__


def _disk_full(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return True
        exc = exc.__cause__
    return False


class StopRequest:
    """Why the supervisor asked a running job to stop (before it sets the cancel event)."""

    __slots__ = ("cancelled_by", "timeout")

    def __init__(self) -> None:
        self.cancelled_by: str | None = None
        self.timeout: float | None = None

    def message(self, kind: str, processed: int) -> str | None:
        """Word how the job ended when it was stopped on purpose; None if it was not."""
        if self.cancelled_by is not None:
            return wording.cancelled(self.cancelled_by, kind, processed)
        if self.timeout is not None:
            return wording.timed_out(self.timeout, kind, processed)
        return None


class JobActor(pykka.ThreadingActor):
    """Runs one job kind and tells the registry its outcome, whatever the job does.

    A string result ends the job COMPLETE with that message; another value ends it COMPLETE
    with ``Successfully completed job: <id>`` and that value as ``result``; an exception ends
    it ERROR with the exception's message.
    """

    # A job stuck in a dead source must not keep the process alive at exit; the supervisor
    # settles such a job as ERROR before it gives up on it.
    use_daemon_thread = True

    def __init__(
        self,
        *,
        context: JobContext,
        run: JobRun,
        kind: str = "",
        stop: StopRequest | None = None,
        registry: pykka.ActorRef[Any],
        supervisor: pykka.ActorRef[Any],
    ) -> None:
        super().__init__()
        self._context = context
        self._run = run
        self._kind = kind
        self._stop_request = stop or StopRequest()
        self._registry = registry
        self._supervisor = supervisor
        context.report = self._report

    def _report(self, counters: dict[str, int]) -> None:
        with contextlib.suppress(pykka.ActorDeadError):
            self._registry.tell(JobProgress(job_id=self._context.job_id, counters=counters))

    def on_receive(self, message: Any) -> None:
        """Run the job when told to; nothing else is expected; never stop on an error."""
        if not isinstance(message, RunJob):
            return
        try:
            self._execute()
        except Exception:
            log.exception("job %s could not report how it ended", self._context.job_id)
            self._failed_safely("The job's worker stopped unexpectedly")

    def _execute(self) -> None:
        job_id = self._context.job_id
        try:
            outcome = self._run(self._context)
        except Exception as exc:  # noqa: BLE001 - a failed job is data; _error logs it
            stopped = self._stop_request.message(
                self._kind, self._context.counters.get("processed", 0)
            )
            if stopped is not None:
                finished = self._failed(stopped, cancelled_by=self._stop_request.cancelled_by)
            else:
                finished = self._error(exc)
        else:
            if isinstance(outcome, str):
                finished = self._done(outcome, msgspec.UNSET)
            else:
                finished = self._done(wording.completed(job_id), outcome)
        # After shutdown has settled this job, neither the registry nor the supervisor is
        # listening any more: the record already says ERROR, so there is nothing to tell.
        with contextlib.suppress(pykka.ActorDeadError):
            self._registry.tell(finished)
        with contextlib.suppress(pykka.ActorDeadError):
            self._supervisor.tell(JobActorStopped(job_id=job_id))
        self.actor_ref.stop(block=False)

    def _error(self, exc: Exception) -> JobOutcome:
        if isinstance(exc, JobCancelledError):
            return self._failed(wording.interrupted(exc.message))
        if not isinstance(exc, LoadmasterError):
            log.warning("job %s failed", self._context.job_id, exc_info=exc)
        message = error_message(exc)
        if _disk_full(exc) and isinstance(message, str) and "(after " not in message:
            processed = self._context.counters.get("processed", 0)
            message = wording.after(message, self._kind, processed)
        return self._failed(message)

    def _done(self, message: str, result: Any) -> JobOutcome:
        return JobOutcome(
            job_id=self._context.job_id,
            status=JobStatus.COMPLETE,
            message=message,
            result=result,
            counters=dict(self._context.counters),
        )

    def _failed(self, message: JobMessage, cancelled_by: str | None = None) -> JobOutcome:
        return JobOutcome(
            job_id=self._context.job_id,
            status=JobStatus.ERROR,
            message=message,
            counters=dict(self._context.counters),
            cancelled_by=cancelled_by,
        )

    def _failed_safely(self, message: str) -> None:
        with contextlib.suppress(pykka.ActorDeadError):
            self._registry.tell(self._failed(message))
        with contextlib.suppress(pykka.ActorDeadError):
            self._supervisor.tell(JobActorStopped(job_id=self._context.job_id))
        self.actor_ref.stop(block=False)

    def on_failure(self, *_: object) -> None:
        """Report the job as failed if the actor itself broke outside the job code."""
        with contextlib.suppress(pykka.ActorDeadError):
            self._registry.tell(self._failed("The job's worker stopped unexpectedly"))
        with contextlib.suppress(pykka.ActorDeadError):
            self._supervisor.tell(JobActorStopped(job_id=self._context.job_id))
