"""The job record: one frozen Struct, how it is stored, and how job queries show it.

The registry alone builds records, and publishes each change as a new object (never mutating
one a reader may hold); readers on other threads only ever see whole records.
"""

import time
from collections.abc import Mapping
from typing import Any

import msgspec

from loadmaster.formats import to_iso_utc
from loadmaster.models import FINISHED
from loadmaster.storage import Store, Table

__all__ = [
    "JOB_TABLE",
    "SYSTEM",
    "JobMessage",
    "JobRecord",
    "get_job_view",
    "job_table",
    "now_ms",
    "record_from_stored",
    "search_view",
]

SYSTEM = "system"
JOB_TABLE = "hdb_job"

#: A job's final message: text, or HarperDB's permission-failure object.
JobMessage = str | dict[str, Any]


class JobRecord(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One job, as the registry keeps it; ``None`` means "not set" (never shown, spec §12.1).

    The HarperDB fields come first, in the order a finished job shows them; loadmaster's
    additions (live counters, queue and job control) follow.
    """

    id: str
    result: Any = None
    status: str
    message: JobMessage | None = None
    end_datetime: int | None = None
    type: str
    start_datetime: int | None = None
    created_datetime: int | None = None
    user: str
    #: The request while the job runs, secrets removed; cleared when it ends (spec §2.2).
    request: dict[str, Any] | None = None
    processed: int | None = None
    total: int | None = None
    percent: float | None = None
    rate: float | None = None
    eta_seconds: float | None = None
    bytes_read: int | None = None
    bytes_total: int | None = None
    #: Load jobs: faulty rows seen, and rows not loaded because of one.
    error_count: int | None = None
    rejected: int | None = None
    #: Texts about the request (unknown fields ignored).
    warnings: list[str] | None = None
    #: Place in the queue of a CREATED job waiting for a slot (1 = next).
    queue_position: int | None = None
    cancelled: bool | None = None
    cancelled_by: str | None = None
    job_key: str | None = None
    timeout: float | None = None
    notify_url: str | None = None
    notify: dict[str, Any] | None = None
    #: The webhook may go to any address (a super user's job); else the URL rule applies.
    notify_any: bool | None = None
    #: What the job works on, for search_jobs (not shown: the request says it while it runs).
    database: str | None = None
    table: str | None = None


#: get_job's key order for a running job and for a finished one (spec §12.1).
_RUNNING_ORDER = ("id", "type", "start_datetime", "created_datetime", "status", "user")
_FINISHED_ORDER = (
    "id",
    "result",
    "status",
    "message",
    "end_datetime",
    "type",
    "start_datetime",
    "created_datetime",
    "user",
)
#: loadmaster's additions, shown after HarperDB's fields when set.
_ADDITIONS = (
    "processed",
    "total",
    "bytes_read",
    "bytes_total",
    "error_count",
    "rejected",
    "warnings",
    "percent",
    "rate",
    "eta_seconds",
    "queue_position",
    "cancelled",
    "cancelled_by",
    "job_key",
    "timeout",
    "notify",
)
_SEARCH_ORDER = (
    "id",
    "created_datetime",
    "end_datetime",
    "message",
    "start_datetime",
    "status",
    "type",
    "user",
)
_FIELDS = frozenset(JobRecord.__struct_fields__)


def now_ms() -> int:
    """Return the current time as integer epoch milliseconds (job datetimes are integers)."""
    return time.time_ns() // 1_000_000


def job_table(store: Store) -> Table:
    """Return ``system.hdb_job``, creating it on first use."""
    if not store.has_database(SYSTEM) or JOB_TABLE not in store.table_names(SYSTEM):
        store.create_table(SYSTEM, JOB_TABLE, "id")
    return store.table(SYSTEM, JOB_TABLE)


def record_from_stored(stored: Mapping[str, Any]) -> JobRecord:
    """Turn a stored row into a record; unknown keys (the table's timestamps) are dropped.

    A row of an older layout (a field missing or of another type) keeps what fits.
    """
    values = {k: v for k, v in stored.items() if k in _FIELDS}
    values.setdefault("id", "")
    values.setdefault("status", "")
    values.setdefault("type", "")
    values.setdefault("user", "")
    try:
        return msgspec.convert(values, JobRecord, strict=False)
    except msgspec.ValidationError:
        kept = {
            k: values[k] for k in ("id", "status", "type", "user") if isinstance(values[k], str)
        }
        message = values.get("message")
        if isinstance(message, str | dict):
            kept["message"] = message
        return msgspec.convert(kept, JobRecord, strict=False)


def get_job_view(record: JobRecord) -> dict[str, Any]:
    """Shape a record as get_job answers it: only fields that are set, no request."""
    order = _FINISHED_ORDER if record.status in FINISHED else _RUNNING_ORDER
    view = {key: value for key in order if (value := getattr(record, key)) is not None}
    for key in _ADDITIONS:
        value = getattr(record, key)
        if value is not None:
            view[key] = value
    return view


def search_view(record: JobRecord) -> dict[str, Any]:
    """Shape a record as search_jobs_by_start_date answers it (null-filled, no result)."""
    view = {key: getattr(record, key) for key in _SEARCH_ORDER}
    for key in ("start_datetime", "end_datetime"):
        value = view[key]
        if value:
            view[f"{key}_converted"] = to_iso_utc(value)
    return view
