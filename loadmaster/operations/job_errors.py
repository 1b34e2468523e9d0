"""The faulty rows of load jobs: ``errors`` on get_job, and the get_job_errors operation."""

from typing import Any

import msgspec

from loadmaster.errors import InvalidRequestError
from loadmaster.formats.anomalies import KEPT
from loadmaster.jobs.row_errors import read_job_errors
from loadmaster.operations import schema as s
from loadmaster.operations.access import EVERYONE
from loadmaster.operations.handler_context import Context
from loadmaster.operations.table import operation

#: Most errors one get_job_errors answer holds.
MAX_LIMIT = 1000


def _count(value: Any, default: int, low: int, high: int | None, problem: str) -> int:
    if value is None:
        return default
    if type(value) is not int or value < low or (high is not None and value > high):
        raise InvalidRequestError(problem)
    return value


@operation(s.GetJobErrors, access=EVERYONE)
def get_job_errors(op: s.GetJobErrors, ctx: Context) -> dict[str, Any]:
    """Return ``{"errors": [...], "total": N}``: a page of a load job's faulty rows.

    Jobs are seen as get_job sees them: a caller who is not a super user sees only their own,
    and another user's job answers as an unknown one (no errors, total 0).
    """
    job_id = op.id
    if job_id is msgspec.UNSET:
        raise InvalidRequestError("'id' is required")
    if not isinstance(job_id, str) or not job_id:
        raise InvalidRequestError("'id' must be a job id (a non-empty string)")
    offset = _count(op.offset, 0, 0, None, "'offset' must be a non-negative integer")
    limit = _count(
        op.limit, KEPT, 1, MAX_LIMIT, f"'limit' must be an integer from 1 to {MAX_LIMIT}"
    )
    record = ctx.jobs.get(job_id)
    if record is None or (not ctx.user.super_user and record.get("user") != ctx.user.username):
        return {"errors": [], "total": 0}
    return {
        "errors": read_job_errors(ctx.store, job_id, offset, limit),
        "total": record.get("error_count", 0),
    }
