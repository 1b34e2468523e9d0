"""Messages between the job actors: frozen Structs, each naming sender, receiver and reply."""

from concurrent.futures import Future
from typing import Any

import msgspec

from loadmaster.models import JobStatus, User


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
    #: ``run(context)`` does the job; its return value or exception decides the outcome.
    run: Any


class JobEnded(Message, frozen=True):
    """JobActor → JobSupervisor, by tell, after the final state was sent. No reply."""

    job_id: str


class RunJob(Message, frozen=True):
    """JobSupervisor → JobActor, by tell, once the record is IN_PROGRESS. No reply."""


class RecordJob(Message, frozen=True):
    """JobSupervisor → JobRegistry, by tell: a new IN_PROGRESS record. ``persisted`` is
    resolved once the record is on disk (group-committed with others)."""

    record: dict[str, Any]
    persisted: Future[None]


class JobProgress(Message, frozen=True):
    """JobActor → JobRegistry, by tell, while the job runs. No reply."""

    job_id: str
    counters: dict[str, int]


class JobFinished(Message, frozen=True):
    """JobActor or JobSupervisor → JobRegistry, by tell: the final state. No reply."""

    job_id: str
    status: JobStatus
    message: Any
    result: Any = msgspec.UNSET
    counters: dict[str, int] = msgspec.field(default_factory=dict)


class AwaitReady(Message, frozen=True):
    """JobSystem → JobRegistry, by ask, once at start. Reply: None, after start-up settling
    (pykka runs ``on_start`` before any message)."""


class SearchJobs(Message, frozen=True):
    """Front door → JobRegistry, by ask. Reply: rows with from < start_datetime < to."""

    from_ms: float
    to_ms: float


class DeleteJobsBefore(Message, frozen=True):
    """A delete_records_before job on ``system.hdb_job`` → JobRegistry, by ask. Reply:
    ``(deleted, deletable)``: how many finished job records created before ``before_ms`` were
    deleted now (at most ``limit``), and how many there were before this message."""

    before_ms: float
    limit: int
