"""The JSON load jobs: NDJSON or a top-level array of objects, streamed into a table.

json_data_load (the request's data), json_file_load (a server file), and the JSON sources of
json_url_load and import_from_s3 all come through :func:`load_json_chunks`; the format is
decided by the source's first byte that is not blank (``[``: an array, else NDJSON).
"""

from collections.abc import Iterable, Iterator
from typing import Any

from loadmaster.formats import (
    JsonArraySplitter,
    check_column_names,
    decompressed,
    json_splitter,
    utf8_chunks,
)
from loadmaster.jobs.context import JobContext
from loadmaster.jobs.csv_load import commit_records, file_chunks, run_load
from loadmaster.jobs.file_roots import check_file_path
from loadmaster.names import Action

#: Records per write transaction of a JSON import (HarperDB's chunk size).
JSON_BATCH = 5000


def load_json_chunks(
    job: JobContext,
    chunks: Iterable[bytes],
    *,
    db: str,
    table: str,
    action: Action,
    encoding: str = "utf-8",
    array_only: bool = False,
) -> str:
    """Stream JSON records into a table, 5000 records per transaction.

    The source is NDJSON or a top-level array (told by its first byte that is not blank), or
    with ``array_only`` an array as HarperDB's ``.json`` imports require; it may be gzip or
    zstd (told by its magic bytes) and in any accepted encoding.
    String values holding JSON objects or arrays are parsed, at any depth (HarperDB's
    ``autoCastJSONDeep``). A failure after some batches were committed names how many
    records were loaded.
    """
    text = utf8_chunks(decompressed(chunks), encoding)
    batches = _json_batches(text, JSON_BATCH, array_only=array_only)
    return load_json_records(job, batches, db=db, table=table, action=action)


def load_json_records(
    job: JobContext,
    batches: Iterable[list[dict[str, Any]]],
    *,
    db: str,
    table: str,
    action: Action,
) -> str:
    """Commit batches of JSON records; return ``successfully loaded N of M records``."""
    # HarperDB checks the first record of each batch: JSON records need not share keys.
    return run_load(
        job,
        commit_records(
            job,
            batches,
            db=db,
            table=table,
            action=action,
            check=lambda batch: check_column_names(list(batch[0])),
        ),
    )


def load_json_file(
    job: JobContext, path: str, *, db: str, table: str, action: Action, encoding: str = "utf-8"
) -> str:
    """Run json_file_load: stream the file in batches, one write transaction per batch."""
    check_file_path(path, job.user, job.settings)  # again: a queued job may start much later
    return load_json_chunks(
        job, file_chunks(path, job), db=db, table=table, action=action, encoding=encoding
    )


def load_json_data(
    job: JobContext, data: str | list[dict[str, Any]], *, db: str, table: str, action: Action
) -> str:
    """Run json_data_load: JSON text (NDJSON or an array), or records already decoded."""
    if isinstance(data, str):
        return load_json_chunks(job, [data.encode()], db=db, table=table, action=action)
    job.progress(processed=0, total=len(data))
    batches = (data[at : at + JSON_BATCH] for at in range(0, len(data), JSON_BATCH))
    return load_json_records(job, batches, db=db, table=table, action=action)


def _json_batches(
    chunks: Iterable[bytes], size: int, *, array_only: bool
) -> Iterator[list[dict[str, Any]]]:
    splitter = JsonArraySplitter() if array_only else json_splitter()
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
