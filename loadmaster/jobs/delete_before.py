"""The delete_records_before job: delete a table's records created before a date."""

from collections.abc import Callable
from itertools import islice

from loadmaster import wording
from loadmaster.errors import InvalidRequestError
from loadmaster.formats import parse_js_date
from loadmaster.jobs.context import JobContext

CHUNK = 10_000
CREATED = "__createdtime__"


def delete_records_before(job: JobContext, db: str, table: str, date: str) -> str:
    """Delete, in chunks of 10,000 (one transaction each), records created before ``date``."""
    before = parse_js_date(date)
    if before is None:
        raise InvalidRequestError("Invalid date, must be in ISO-8601 format (YYYY-MM-DD).")
    target = job.store.table(db, table)
    if CREATED not in target.attribute_names():
        raise InvalidRequestError(
            f"Table must have a '{CREATED}' attribute or @createdTime timestamp defined "
            "to perform this operation"
        )
    # Collect the ids first: deleting while a cursor walks the same index is not safe, and
    # the ids alone are small next to the records.
    ids = list(target.ids_before(CREATED, before))
    total = len(ids)
    if total == 0:
        return "No records found to delete"
    job.progress(processed=0, total=total)
    deleted = 0
    iterator = iter(ids)
    while chunk := list(islice(iterator, CHUNK)):
        deleted += len(target.delete(chunk, user=job.user.username))
        job.progress(processed=deleted)
    return wording.deleted(deleted, total)


def delete_jobs_before(
    job: JobContext, delete_chunk: Callable[[float, int], tuple[int, int]], date: str
) -> str:
    """Delete finished job records created before ``date``, a chunk at a time.

    ``delete_chunk(before_ms, limit)`` is the job registry's (it alone writes the job table)
    and answers ``(deleted, deletable)``; between chunks the registry serves other jobs.
    """
    before = parse_js_date(date)
    if before is None:
        raise InvalidRequestError("Invalid date, must be in ISO-8601 format (YYYY-MM-DD).")
    done, total = delete_chunk(before, CHUNK)
    if total == 0:
        return "No records found to delete"
    job.progress(processed=done, total=total)
    deleted = done
    while done and deleted < total:
        done, _ = delete_chunk(before, CHUNK)
        deleted += done
        job.progress(processed=deleted)
    return wording.deleted(deleted, total)
