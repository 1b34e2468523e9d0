"""Messages between the job actors: frozen Structs, each naming sender, receiver and reply."""

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import msgspec

from loadmaster.actors.job_record import JobMessage, JobRecord
from loadmaster.jobs.context import JobContext
from loadmaster.models import JobStatus, User

#: What a job does: ``run(context)``; its return value or exception decides the outcome.
JobRun = Callable[[JobContext], Any]


class Message(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every actor message."""


class StartJob(Message, frozen=True):
    """Front door → JobSupervisor, by tell. No reply: ``persisted`` is resolved once the
    job's IN_PROGRESS record is on disk (the caller chose the id)."""

    job_id: str
    persisted: Future[None]
    type: str
    user: User
    #: The request as recorded on the job while it runs, secrets already removed.
    request: dict[str, Any]
    run: JobRun


class JobActorStopped(Message, frozen=True):
    """JobActor → JobSupervisor, by tell, after its outcome was sent: the slot is free.
    No reply."""

    job_id: str


class RecordPersisted(Message, frozen=True):
    """JobSupervisor → itself, by tell, when a new job's record was written (or could not
    be: ``error``). Only then may the job run. No reply."""

    job_id: str
    error: BaseException | None = None


class RunJob(Message, frozen=True):
    """JobSupervisor → JobActor, by tell, once the record is IN_PROGRESS. No reply."""


class RecordJob(Message, frozen=True):
    """JobSupervisor → JobRegistry, by tell: a new IN_PROGRESS record. ``persisted`` is
    resolved once the record is on disk (group-committed with others), or fails with the
    write's error (the job must then not run)."""

    record: JobRecord
    persisted: Future[None]


class JobProgress(Message, frozen=True):
    """JobActor → JobRegistry, by tell, while the job runs. No reply."""

    job_id: str
    counters: dict[str, int]


class JobOutcome(Message, frozen=True):
    """JobActor or JobSupervisor → JobRegistry, by tell: how the job ended. No reply."""

    job_id: str
    status: JobStatus
    message: JobMessage
    result: Any = msgspec.UNSET
    counters: dict[str, int] = msgspec.field(default_factory=dict)


class RetryWrites(Message, frozen=True):
    """Timer → JobRegistry, by tell: write the records a failed write left dirty. No reply."""


class AwaitReady(Message, frozen=True):
    """JobSystem → JobRegistry, by ask, once at start. Reply: None, after start-up settling
    (pykka runs ``on_start`` before any message)."""


class SearchJobs(Message, frozen=True):
    """Front door → JobRegistry, by ask. Reply: rows with from < start_datetime < to."""

    from_ms: float
    to_ms: float
