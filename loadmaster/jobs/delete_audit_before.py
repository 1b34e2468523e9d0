"""The delete_audit_logs_before job: delete a table's audit log entries older than a time."""

from loadmaster import wording
from loadmaster.jobs.context import JobContext


def delete_audit_logs_before(job: JobContext, db: str, table: str, before: float) -> str:
    """Delete the table's audit entries with a timestamp before ``before`` (epoch ms).

    A missing database or table fails the job with HarperDB's not-found message; the job ends
    with HarperDB's generic success message (it has no result).
    """
    target = job.store.table(db, table)
    deleted = 0
    job.progress(processed=0)
    for count in target.audit_log.delete_before(before):
        deleted += count
        job.progress(processed=deleted)
    return wording.completed(job.job_id)
