"""Messages between the job actors: frozen Structs, each naming sender, receiver and reply."""

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import msgspec

from loadmaster.actors.job_index import JobFilter, Key
from loadmaster.actors.job_record import JobMessage, JobRecord
from loadmaster.jobs.context import JobContext
from loadmaster.models import JobStatus, User

#: What a job does: ``run(context)``; its return value or exception decides the outcome.
JobRun = Callable[[JobContext], Any]


class Message(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every actor message."""


class JobOptions(msgspec.Struct, frozen=True, kw_only=True):
    """How a job is controlled, from its request (already checked)."""

    #: Idempotency: the user's job with this key is answered instead of a new one.
    job_key: str | None = None
    #: Seconds the job may run before it is stopped and ends ERROR.
    timeout: float | None = None
    #: Where the final record is POSTed, and whether to any address (a super user's job).
    notify_url: str | None = None
    notify_any: bool = False
    #: What the job works on, for search_jobs.
    database: str | None = None
    table: str | None = None
    #: Texts about the request (unknown fields), on the answer and the record.
    warnings: tuple[str, ...] = ()


class StartJob(Message, frozen=True):
    """Front door → JobSupervisor, by tell. No reply: ``persisted`` is resolved once the
    job's record is on disk (the caller chose the id) with None, or at once with the id of
    the user's existing job with the same ``job_key``."""

    job_id: str
    persisted: "Future[str | None]"
    type: str
    user: User
    #: The request as recorded on the job while it runs, secrets already removed.
    request: dict[str, Any]
    run: JobRun
    options: JobOptions = JobOptions()


class CancelJob(Message, frozen=True):
    """Front door → JobSupervisor, by tell: stop a queued or running job. No reply."""

    job_id: str
    by: str


class JobDeadline(Message, frozen=True):
    """Timer → JobSupervisor, by tell: the job's timeout is over. No reply."""

    job_id: str


class StopOverdue(Message, frozen=True):
    """Timer → JobSupervisor, by tell: a job asked to stop did not; settle it and free its
    slot. No reply."""

    job_id: str


class JobStarted(Message, frozen=True):
    """JobSupervisor → JobRegistry, by tell: a queued (CREATED) job got its slot. No reply."""

    job_id: str
    start_datetime: int


class QueuePositions(Message, frozen=True):
    """JobSupervisor → JobRegistry, by tell: where queued jobs now stand (1 = next). No reply."""

    positions: dict[str, int]


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
    persisted: "Future[str | None]"


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
    #: Who cancelled the job, when it was cancelled.
    cancelled_by: str | None = None


class WriteRecords(Message, frozen=True):
    """Timer → JobRegistry, by tell: write the dirty records (changes have settled, or a failed
    write is retried). No reply."""


class AwaitReady(Message, frozen=True):
    """JobSystem → JobRegistry, by ask, once at start. Reply: None, after start-up settling
    (pykka runs ``on_start`` before any message)."""


class DeleteJobRecord(Message, frozen=True):
    """Front door → JobRegistry, by ask. Reply: "deleted", "running" or "missing"."""

    job_id: str


class SearchJobPage(Message, frozen=True):
    """Front door → JobRegistry, by ask. Reply: ``(get_job views, next cursor or None)``."""

    wanted: JobFilter
    descending: bool
    after: Key | None
    limit: int


class JobNotified(Message, frozen=True):
    """Webhook sender → JobRegistry, by tell: how the job's webhook went. No reply."""

    job_id: str
    notify: dict[str, Any]


class Purge(Message, frozen=True):
    """Timer → JobRegistry, by tell: delete finished records past retention. No reply."""


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
