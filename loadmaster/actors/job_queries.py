"""The registry's reads: search_jobs_by_start_date, search_jobs pages, expired records."""

from collections.abc import Mapping
from typing import Any

from loadmaster.actors.job_index import JobIndex, Key
from loadmaster.actors.job_record import JobRecord, get_job_view, record_from_stored, search_view
from loadmaster.actors.messages import SearchJobPage
from loadmaster.storage import Condition, Table

__all__ = ["by_start_date", "expired", "page"]

_DAY_MS = 86_400_000


def _record(live: Mapping[str, JobRecord], row: dict[str, Any]) -> JobRecord:
    return live.get(row["id"]) or record_from_stored(row)


def by_start_date(
    table: Table, live: Mapping[str, JobRecord], from_ms: float, to_ms: float
) -> list[dict[str, Any]]:
    """Return the jobs with ``from_ms < start_datetime < to_ms``, oldest first."""
    rows = table.search(
        [
            Condition(attribute="start_datetime", type="greater_than", value=from_ms),
            Condition(attribute="start_datetime", type="less_than", value=to_ms),
        ],
        sort=[("start_datetime", False)],
    )
    return [search_view(_record(live, row)) for row in rows]


def page(
    index: JobIndex, table: Table, live: Mapping[str, JobRecord], ask: SearchJobPage
) -> tuple[list[dict[str, Any]], Key | None]:
    """Return one search_jobs page as get_job shows its jobs, and the next cursor."""
    ids, after = index.page(ask.wanted, descending=ask.descending, after=ask.after, limit=ask.limit)
    missing = [job_id for job_id in ids if job_id not in live]
    stored = {row["id"]: row for row in table.get(missing)} if missing else {}
    views = []
    for job_id in ids:
        record = live.get(job_id)
        if record is None:
            row = stored.get(job_id)
            if row is None:
                continue
            record = record_from_stored(row)
        views.append(get_job_view(record))
    return views, after


def expired(table: Table, live: Mapping[str, JobRecord], days: float, now: int) -> list[Any]:
    """Return the ids of finished records that ended more than ``days`` ago."""
    cutoff = now - int(days * _DAY_MS)
    return [job_id for job_id in table.ids_before("end_datetime", cutoff) if job_id not in live]
