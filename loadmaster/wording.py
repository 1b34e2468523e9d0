"""HarperDB's wording of job answers and job messages, in one place.

Clients match these texts (``Starting job with id``, ``successfully loaded N of M records``), so
every job kind, the registry and the handlers word them here and nowhere else
(spec/harperdb-jobs.md §2.4, §12.1; the additions of loadmaster follow the same style).
"""


def started(job_id: str) -> str:
    """The submit answer's message of a job operation."""
    return f"Starting job with id {job_id}"


def job_key_exists(job_key: str) -> str:
    """The submit answer when the caller already has a job with this ``job_key``."""
    return f"Job with key {job_key} already exists"


def completed(job_id: str) -> str:
    """The message of a job that returned a result (or nothing to say) instead of a message."""
    return f"Successfully completed job: {job_id}"


def loaded(written: int, total: int) -> str:
    """The final message of a load (skipped rows stay in the total)."""
    return f"successfully loaded {written} of {total} records"


def validated(rows: int, faulty: int) -> str:
    """The final message of a dry run: every row read, and how many of them had a fault."""
    return f"validated {rows} records, {faulty} with errors"


def aborted_at(fault: str) -> str:
    """The message of a load stopped at a faulty row (``on_error: abort``)."""
    return f"Load aborted at {fault}"


def too_many_rejected(limit: int, fault: str) -> str:
    """The message of a load stopped once more than ``max_errors`` rows were rejected."""
    return f"Load aborted: more than {limit} rows were rejected, the last at {fault}"


def already_loaded(message: str, written: int) -> str:
    """Add to a stopped load's message how many records it had loaded."""
    return f"{message}; {written} records were already loaded"


def deleted(count: int, total: int) -> str:
    """A delete count as HarperDB words it (``record`` when there was one)."""
    noun = "record" if total == 1 else "records"
    return f"{count} of {total} {noun} successfully deleted"


def interrupted(reason: str) -> str:
    """The message of a job that could not finish (after upstream PR #2645)."""
    return f"Job was interrupted: {reason}. Rerun the operation."


def _verb_of(kind: str) -> str:
    """What a job of this kind does to its records: loading, exporting or deleting."""
    if kind.startswith("export"):
        return "exporting"
    if kind.startswith("delete"):
        return "deleting"
    return "loading"


def after(message: str, kind: str, processed: int) -> str:
    """Add to a job's ERROR message how far it got: ``… (after loading N records)``."""
    return f"{message} (after {_verb_of(kind)} {processed} records)"


def cancelled(by: str, kind: str, processed: int) -> str:
    """The message of a job stopped by ``cancel_job``."""
    return after(f"Job was cancelled by {by}", kind, processed)


def timed_out(seconds: float, kind: str, processed: int) -> str:
    """The message of a job stopped by its ``timeout``."""
    return after(f"Job exceeded its timeout of {seconds:g} s", kind, processed)
