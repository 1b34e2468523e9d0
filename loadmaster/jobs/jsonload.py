"""The JSON load jobs: NDJSON or a top-level array of objects, streamed into a table.

json_data_load (the request's data), json_file_load (a server file), and the JSON sources of
json_url_load and import_from_s3 all come through :func:`load_json_chunks`; the format is
decided by the source's first byte that is not blank (``[``: an array, else NDJSON).
"""

from collections.abc import Iterable
from typing import Any

from loadmaster.formats import check_column_names, decompressed, utf8_chunks
from loadmaster.formats.json_rows import JsonRows, RecordRows
from loadmaster.jobs import parallel_load
from loadmaster.jobs.context import JobContext
from loadmaster.jobs.csv_load import commit_records, file_chunks, file_size, on_worker, run_load
from loadmaster.jobs.file_roots import check_file_path
from loadmaster.jobs.load_policy import DEFAULT_OPTIONS, LoadOptions, recorded_batches
from loadmaster.jobs.row_errors import ErrorRecorder
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
    size_hint: int | None = None,
    options: LoadOptions = DEFAULT_OPTIONS,
) -> str:
    """Stream JSON records into a table, 5000 records per transaction (in the worker's
    batches when a big source is parsed by the worker process, as CSV is: :func:`on_worker`).

    The source is NDJSON or a top-level array (told by its first byte that is not blank), or
    with ``array_only`` an array as HarperDB's ``.json`` imports require; it may be gzip or
    zstd (told by its magic bytes) and in any accepted encoding.
    String values holding JSON objects or arrays are parsed, at any depth (HarperDB's
    ``autoCastJSONDeep``). A failure after some batches were committed names how many
    records were loaded. Faulty rows (a line that is not JSON or not an object, a null or
    empty primary key) are stored as the job's errors and handled as ``options`` say; with
    ``options.validate_only`` every batch is checked, none written.
    """
    text = utf8_chunks(decompressed(chunks), encoding)
    if on_worker(job, db, table, size_hint):
        recorder = ErrorRecorder(job)
        commits = parallel_load.commit_batches(
            job,
            text,
            db=db,
            table=table,
            action=action,
            options=options,
            recorder=recorder,
            source_format="json",
            array_only=array_only,
            chunk_rows=JSON_BATCH,  # HarperDB checks the first record of each chunk
        )
        return run_load(job, commits, recorder=recorder, options=options)
    checks = options.checks(job.store.table(db, table).primary_key)
    rows = JsonRows(text, checks=checks, array_only=array_only)
    return _load_rows(job, rows, db=db, table=table, action=action, options=options)


def _load_rows(
    job: JobContext,
    rows: JsonRows | RecordRows,
    *,
    db: str,
    table: str,
    action: Action,
    options: LoadOptions,
) -> str:
    """Commit a JSON source's batches; return ``successfully loaded N of M records``."""
    recorder = ErrorRecorder(job)
    # HarperDB checks the first record of each batch: JSON records need not share keys.
    return run_load(
        job,
        commit_records(
            job,
            recorded_batches(rows, recorder, JSON_BATCH),
            db=db,
            table=table,
            action=action,
            check=lambda batch: check_column_names(list(batch[0])),
            validate_only=options.validate_only,
        ),
        recorder=recorder,
        options=options,
    )


def load_json_file(
    job: JobContext,
    path: str,
    *,
    db: str,
    table: str,
    action: Action,
    encoding: str = "utf-8",
    options: LoadOptions = DEFAULT_OPTIONS,
) -> str:
    """Run json_file_load: stream the file in batches, one write transaction per batch."""
    check_file_path(path, job.user, job.settings)  # again: a queued job may start much later
    return load_json_chunks(
        job,
        file_chunks(path, job),
        db=db,
        table=table,
        action=action,
        encoding=encoding,
        size_hint=file_size(path),
        options=options,
    )


def load_json_data(
    job: JobContext,
    data: str | list[dict[str, Any]],
    *,
    db: str,
    table: str,
    action: Action,
    options: LoadOptions = DEFAULT_OPTIONS,
) -> str:
    """Run json_data_load: JSON text (NDJSON or an array), or records already decoded."""
    if isinstance(data, str):
        encoded = data.encode()
        return load_json_chunks(
            job,
            [encoded],
            db=db,
            table=table,
            action=action,
            size_hint=len(encoded),
            options=options,
        )
    job.progress(processed=0, total=len(data))
    checks = options.checks(job.store.table(db, table).primary_key)
    rows = RecordRows(data, checks=checks)
    return _load_rows(job, rows, db=db, table=table, action=action, options=options)
