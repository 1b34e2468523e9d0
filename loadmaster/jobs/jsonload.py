"""JSON imports: a top-level JSON array of objects, streamed into a table in batches.

The array is split by :class:`loadmaster.formats.JsonArraySplitter`; this module
batches its records and commits them.
"""

from collections.abc import Iterable, Iterator
from typing import Any

from loadmaster.formats import JsonArraySplitter, check_column_names
from loadmaster.jobs.context import JobContext
from loadmaster.jobs.csv_load import Action, commit_records, run_load
from loadmaster.jobs.load_policy import DEFAULT_OPTIONS, LoadOptions
from loadmaster.jobs.row_errors import ErrorRecorder

#: Records per write transaction of a JSON import (HarperDB's chunk size).
JSON_BATCH = 5000


def load_json_chunks(
    job: JobContext,
    chunks: Iterable[bytes],
    *,
    db: str,
    table: str,
    action: Action,
    options: LoadOptions = DEFAULT_OPTIONS,
) -> str:
    """Stream a top-level JSON array of objects into a table, 5000 records per transaction.

    String values holding JSON objects or arrays are parsed, at any depth (HarperDB's
    ``autoCastJSONDeep``). A failure after some batches were committed names how many
    records were loaded. With ``validate_only`` every batch is checked and none written.
    """
    recorder = ErrorRecorder(job)
    # HarperDB checks the first record of each batch: JSON records need not share keys.
    return run_load(
        job,
        commit_records(
            job,
            _json_batches(chunks, JSON_BATCH),
            db=db,
            table=table,
            action=action,
            check=lambda batch: check_column_names(list(batch[0])),
            validate_only=options.validate_only,
        ),
        recorder=recorder,
        options=options,
    )


def _json_batches(chunks: Iterable[bytes], size: int) -> Iterator[list[dict[str, Any]]]:
    splitter = JsonArraySplitter()
    pending: list[dict[str, Any]] = []
    for chunk in chunks:
        pending += splitter.feed(chunk)
        if len(pending) >= size:
            full = len(pending) - len(pending) % size
            for at in range(0, full, size):
                yield pending[at : at + size]
            pending = pending[full:]
    pending += splitter.close()
    for at in range(0, len(pending), size):
        yield pending[at : at + size]
