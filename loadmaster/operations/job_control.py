"""Job control beyond HarperDB: cancel_job, delete_job, search_jobs, and get_job's ``wait``.

Every user sees and acts on their own jobs only; super users on every job. A job another
user owns answers as an unknown one would (404), so job ids cannot be probed.
"""

import asyncio
import contextlib
import time
from typing import Any
from urllib.parse import urlsplit

from loadmaster.actors import JobRecord, get_job_view
from loadmaster.actors.job_index import JobFilter, Key
from loadmaster.actors.messages import JobOptions
from loadmaster.errors import ConflictError, InvalidRequestError, NotFoundError
from loadmaster.formats import parse_moment_iso
from loadmaster.jobs.outbound import check_url
from loadmaster.jobs.row_errors import with_errors
from loadmaster.models import FINISHED, JobStatus, User
from loadmaster.names import DEFAULT_DATABASE
from loadmaster.operations import schema as s
from loadmaster.operations.access import EVERYONE
from loadmaster.operations.deferred import Deferred
from loadmaster.operations.handler_context import Context
from loadmaster.operations.table import operation
from loadmaster.settings import Settings

__all__ = ["JOB_TYPES", "JobWait", "job_options", "wait_seconds"]

#: The operations that start a job: the values of a record's ``type``.
JOB_TYPES = (
    "csv_data_load",
    "csv_file_load",
    "csv_url_load",
    "json_data_load",
    "json_file_load",
    "json_url_load",
    "csv_upload_load",
    "json_upload_load",
    "import_from_s3",
    "export_local",
    "export_to_s3",
    "delete_records_before",
    "delete_files_before",
    "delete_audit_logs_before",
)
MAX_JOB_KEY = 200
#: A year: longer is no limit at all (and a bigger number may not even be a float).
MAX_TIMEOUT = 366 * 86_400
MAX_URL = 2000
MAX_WAIT = 60.0
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def job_options(
    op: s.Operation, user: User, settings: Settings, warnings: list[str] | None = None
) -> JobOptions:
    """Check a job operation's job-control fields (400 when bad) and gather them, with the
    request's ``warnings`` (unknown fields) to show on the answer and the record.

    Raises:
        InvalidRequestError: A bad ``job_key``, ``timeout`` or ``notify_url`` (for a user who
            is not a super user, one that reaches a loopback or private address).
    """
    key = op.job_key
    if key is not None and (not isinstance(key, str) or not key or len(key) > MAX_JOB_KEY):
        raise InvalidRequestError(f"'job_key' must be a string of 1 to {MAX_JOB_KEY} characters")
    timeout = op.timeout
    if timeout is not None and (not _number(timeout) or not 0 < timeout <= MAX_TIMEOUT):
        raise InvalidRequestError("'timeout' must be a positive number of seconds")
    url = op.notify_url
    if url is not None:
        if not isinstance(url, str) or not url or len(url) > MAX_URL:
            raise InvalidRequestError(f"'notify_url' must be a URL of at most {MAX_URL} characters")
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise InvalidRequestError("'notify_url' must be an http or https URL")
        check_url(url, user, settings)
    database, table = _target(op)
    return JobOptions(
        job_key=key,
        timeout=None if timeout is None else float(timeout),
        notify_url=url,
        notify_any=user.super_user,
        database=database,
        table=table,
        warnings=tuple(warnings or ()),
    )


def _target(op: s.Operation) -> tuple[str | None, str | None]:
    """Return the database and table a job works on, as far as its request says."""
    if isinstance(op, s.TableOp):
        return op.db, op.table if isinstance(op.table, str) else None
    search = getattr(op, "search_operation", None)
    if isinstance(search, dict):
        database = search.get("database") or search.get("schema") or DEFAULT_DATABASE
        table = search.get("table")
        return (
            database if isinstance(database, str) else None,
            table if isinstance(table, str) else None,
        )
    return None, None


def _job_id(value: Any) -> str:
    if value is None:
        raise InvalidRequestError("'id' is required")
    if not isinstance(value, str) or not value:
        raise InvalidRequestError("'id' must be a non-empty string")
    return value


def _visible(ctx: Context, job_id: str) -> JobRecord:
    """Return the caller's job (any job for a super user), else 404."""
    record = ctx.jobs.record(job_id)
    if record is None or not (ctx.user.super_user or record.user == ctx.user.username):
        raise NotFoundError(f"Job {job_id} not found")
    return record


@operation(s.CancelJob, access=EVERYONE)
def cancel_job(op: s.CancelJob, ctx: Context) -> dict[str, str]:
    """Ask a queued or running job to stop; it ends ERROR at its next batch boundary."""
    job_id = _job_id(op.id)
    record = _visible(ctx, job_id)
    if record.status in FINISHED:
        raise ConflictError(f"Job {job_id} has already finished")
    ctx.jobs.cancel(job_id, ctx.user.username)
    return {"message": f"Cancelling job {job_id}"}


@operation(s.DeleteJob, access=EVERYONE)
def delete_job(op: s.DeleteJob, ctx: Context) -> dict[str, str]:
    """Delete a finished job's record."""
    job_id = _job_id(op.id)
    record = _visible(ctx, job_id)
    if record.status not in FINISHED or ctx.jobs.delete(job_id) == "running":
        raise ConflictError(f"Job {job_id} has not finished")
    return {"message": f"Job {job_id} deleted"}


# --- search_jobs -----------------------------------------------------------------------------


def _choices(value: Any, field: str, allowed: tuple[str, ...]) -> frozenset[str] | None:
    if value is None:
        return None
    values = value if isinstance(value, list) else [value]
    for item in values:
        if not isinstance(item, str) or item not in allowed:
            raise InvalidRequestError(f"Unknown job {field} {item!r}")
    return frozenset(values)


def _text(value: Any, field: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise InvalidRequestError(f"'{field}' must be a string")
    return value


def _bound(value: Any, field: str) -> int | None:
    if value is None:
        return None
    parsed = parse_moment_iso(value) if isinstance(value, str) else None
    if parsed is None:
        raise InvalidRequestError(f"'{field}' must be an ISO 8601 date, not {value!r}")
    return int(parsed) + (1 if parsed != int(parsed) else 0)


def _cursor(value: Any) -> Key | None:
    if value is None:
        return None
    created, sep, job_id = value.partition("_") if isinstance(value, str) else ("", "", "")
    if not sep or not created.isdigit() or len(created) > 20 or not job_id:
        raise InvalidRequestError("'next' must be a cursor given by search_jobs")
    return int(created), job_id


@operation(s.SearchJobs, access=EVERYONE)
def search_jobs(op: s.SearchJobs, ctx: Context) -> dict[str, Any]:
    """Return one page of jobs, newest (or oldest) first, and the cursor of the next page."""
    statuses = _choices(op.status, "status", tuple(JobStatus))
    types = _choices(op.type, "type", JOB_TYPES)
    user = _text(op.user, "user")
    limit = DEFAULT_LIMIT if op.limit is None else op.limit
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequestError(f"'limit' must be an integer from 1 to {MAX_LIMIT}")
    order = "desc" if op.order is None else op.order
    if order not in ("desc", "asc"):
        raise InvalidRequestError("'order' must be 'desc' or 'asc'")
    wanted = JobFilter(
        statuses=statuses,
        types=types,
        user=user,
        database=_text(op.database, "database"),
        table=_text(op.table, "table"),
        from_ms=_bound(op.from_date, "from_date"),
        to_ms=_bound(op.to_date, "to_date"),
    )
    after = _cursor(op.next)
    if not ctx.user.super_user:
        if user not in (None, ctx.user.username):
            return {"jobs": [], "next": None}
        wanted = wanted._replace(user=ctx.user.username)
    jobs, last = ctx.jobs.search_page(wanted, descending=order == "desc", after=after, limit=limit)
    return {"jobs": jobs, "next": None if last is None else f"{last[0]}_{last[1]}"}


# --- get_job with wait ---------------------------------------------------------------------


def wait_seconds(value: Any) -> float:
    """Check get_job's ``wait`` (seconds, up to 60).

    Raises:
        InvalidRequestError: It is not a number from 0 to 60.
    """
    if not _number(value) or not 0 <= value <= MAX_WAIT:
        raise InvalidRequestError(f"'wait' must be a number of seconds from 0 to {MAX_WAIT:g}")
    return float(value)


class JobWait(Deferred):
    """get_job's answer once the job has finished, or when the wait is over.

    On the event loop it awaits the job's next change (one future shared by every waiter
    of the job, resolved by the registry), so no thread is held while waiting.
    """

    __slots__ = ("_ctx", "_job_id", "_record", "_seconds")

    def __init__(self, ctx: Context, job_id: str, record: JobRecord, seconds: float) -> None:
        self._ctx = ctx
        self._job_id = job_id
        self._record: JobRecord | None = record
        self._seconds = seconds

    @property
    def answer(self) -> list[dict[str, Any]]:
        """Return ``[record]`` as get_job shows it (``[]`` if it was deleted meanwhile)."""
        if self._record is None:
            return []
        return [with_errors(get_job_view(self._record), self._ctx.store)]

    def wait(self) -> None:
        """Block until the job has finished or the wait is over."""
        with contextlib.suppress(TimeoutError):
            self._ctx.jobs.wait(self._job_id, self._seconds)
        self._record = self._ctx.jobs.record(self._job_id)

    async def wait_async(self) -> None:
        """Wait, on an event loop, until the job has finished or the wait is over."""
        jobs = self._ctx.jobs
        deadline = time.monotonic() + self._seconds
        record = self._record
        while record is not None and record.status not in FINISHED:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            change = jobs.next_change(self._job_id)
            current = jobs.record(self._job_id)
            if current != record:  # it changed before the future was taken
                record = current
                continue
            try:
                record = await asyncio.wait_for(
                    asyncio.shield(asyncio.wrap_future(change)), remaining
                )
            except TimeoutError:
                break
        self._record = jobs.record(self._job_id) if record is not None else None
