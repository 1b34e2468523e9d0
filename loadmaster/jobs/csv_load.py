"""The CSV load jobs: csv_data_load (text in the request) and csv_file_load (a server file).

Other sources (URL, S3) feed :func:`load_csv_chunks` with their own byte chunks.
"""

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from loadmaster import wording
from loadmaster.auth.permissions import check_records_write, table_rules
from loadmaster.errors import (
    InvalidRequestError,
    LoadAbortedError,
    LoadError,
    LoadmasterError,
    PermissionDeniedError,
)
from loadmaster.formats import (
    CsvStream,
    check_column_names,
    coerce_records,
    column_types,
    decompressed,
    utf8_chunks,
)
from loadmaster.formats.csv_reader import CsvText
from loadmaster.jobs import parallel_load
from loadmaster.jobs.context import JobContext
from loadmaster.jobs.file_roots import check_file_path
from loadmaster.jobs.load_policy import (
    DEFAULT_OPTIONS,
    LoadOptions,
    aborted,
    recorded_batches,
    validated_message,
)
from loadmaster.jobs.row_errors import ErrorRecorder
from loadmaster.names import Action

#: Rows per write transaction for streamed loads.
BATCH_ROWS = 20_000
#: Bytes per read from a file.
READ_CHUNK = 2 << 20
UPDATE_KEY_MISSING = "a valid hash attribute must be provided with update record"


def load_csv_text(
    job: JobContext,
    data: str,
    *,
    db: str,
    table: str,
    action: Action,
    options: LoadOptions = DEFAULT_OPTIONS,
) -> str:
    """Run csv_data_load: parse the whole text, then write it in one transaction.

    A long row's extra cells are dropped, as file loads drop them (and reported), not kept
    as ``__parsed_extra`` as HarperDB's csv_data_load keeps them.
    """
    target = job.store.table(db, table)
    recorder = ErrorRecorder(job)
    parser = CsvText(
        data,
        keep_parsed_extra=False,
        json_cells=False,
        column_types=column_types(target),
        checks=options.checks(target.primary_key),
    )
    header = parser.read_header()
    records: list[dict[str, Any]] = []
    try:
        for batch in recorded_batches(parser, recorder, 50_000):
            records += batch
    except LoadAbortedError as exc:
        raise aborted(exc, 0) from exc
    if options.validate_only:
        if records:
            check_column_names(header)
        return validated_message(len(records), recorder)
    if not records:
        return "No records parsed from csv file."
    check_column_names(header)
    check_records_write(job.user, target, records, action)
    job.progress(processed=0, total=len(records))
    try:
        result = target.write(records, action, user=job.user.username, coerced=True)
    except InvalidRequestError as exc:
        if exc.message == UPDATE_KEY_MISSING:
            raise InvalidRequestError(f"{UPDATE_KEY_MISSING}, check log for more info") from exc
        raise
    job.progress(processed=len(records))
    return wording.loaded(len(result.written), len(records))


def file_chunks(path: str, job: JobContext) -> Iterator[bytes]:
    """Read a file in chunks, reporting bytes read; a directory fails as Node words it."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed in finally; a generator owns it
    except IsADirectoryError as exc:
        raise InvalidRequestError("EISDIR: illegal operation on a directory, read") from exc
    except FileNotFoundError as exc:
        raise InvalidRequestError(f"ENOENT: no such file or directory, open '{path}'") from exc
    except PermissionError as exc:
        raise InvalidRequestError(f"EACCES: permission denied, open '{path}'") from exc
    try:
        total = os.fstat(handle.fileno()).st_size
        done = 0
        job.progress(bytes_read=0, bytes_total=total)
        while chunk := handle.read(READ_CHUNK):
            done += len(chunk)
            job.progress(bytes_read=done)
            yield chunk
    except IsADirectoryError as exc:
        raise InvalidRequestError("EISDIR: illegal operation on a directory, read") from exc
    finally:
        handle.close()


def load_csv_file(
    job: JobContext,
    path: str,
    *,
    db: str,
    table: str,
    action: Action,
    encoding: str = "utf-8",
    options: LoadOptions = DEFAULT_OPTIONS,
) -> str:
    """Run csv_file_load: stream the file in batches, one write transaction per batch."""
    check_file_path(path, job.user, job.settings)  # again: a queued job may start much later
    return load_csv_chunks(
        job,
        file_chunks(path, job),
        db=db,
        table=table,
        action=action,
        size_hint=file_size(path),
        encoding=encoding,
        options=options,
    )


def file_size(path: str) -> int | None:
    """Return a file's size, or None when it cannot be read (file_chunks() words that)."""
    try:
        return os.stat(path).st_size
    except OSError:
        return None


def on_worker(job: JobContext, db: str, table: str, size_hint: int | None) -> bool:
    """Say whether a source of ``size_hint`` bytes (None: unknown) is parsed by the worker.

    Sources of at least ``settings.parallel_load_min_bytes`` (or of unknown size) are: the
    worker's start-up, about a tenth of a second, is not worth it for small ones. A role that
    limits attributes gets the in-process path: its records are checked per batch there, and
    the worker sends no records to check.
    """
    threshold = job.settings.parallel_load_min_bytes
    return (
        threshold >= 0
        and (size_hint is None or size_hint >= threshold)
        and table_rules(job.user, job.store.table(db, table)) is None
    )


def load_csv_chunks(
    job: JobContext,
    chunks: Iterable[bytes],
    *,
    db: str,
    table: str,
    action: Action,
    size_hint: int | None = None,
    encoding: str = "utf-8",
    options: LoadOptions = DEFAULT_OPTIONS,
) -> str:
    """Stream CSV bytes into a table in batches; report progress; return the final message.

    The source may be gzip or zstd (told by its magic bytes; ``size_hint`` is then the
    compressed size) and in any accepted ``encoding``.

    Big sources are parsed by a worker process (see :mod:`parse_worker` and :func:`on_worker`)
    while this thread commits.
    The header is checked before anything is written. A failure after some batches were
    committed names how many records were loaded, so the client knows what is in the table.
    Faulty rows are stored as the job's errors and handled as ``options`` say.
    """
    recorder = ErrorRecorder(job)
    chunks = utf8_chunks(decompressed(chunks), encoding)
    if on_worker(job, db, table, size_hint):
        commits = parallel_load.commit_batches(
            job, chunks, db=db, table=table, action=action, options=options, recorder=recorder
        )
        return run_load(job, commits, recorder=recorder, options=options)
    target = job.store.table(db, table)
    stream = CsvStream(
        chunks,
        keep_parsed_extra=False,
        json_cells=True,
        column_types=column_types(target),
        checks=options.checks(target.primary_key),
    )
    # Every row shares the header, so checking it before the first write is enough.
    return run_load(
        job,
        commit_records(
            job,
            recorded_batches(stream, recorder, BATCH_ROWS),
            db=db,
            table=table,
            action=action,
            check=lambda _batch: check_column_names(stream.header),
            coerce=False,
            validate_only=options.validate_only,
        ),
        recorder=recorder,
        options=options,
    )


def commit_records(
    job: JobContext,
    batches: Iterable[list[dict[str, Any]]],
    *,
    db: str,
    table: str,
    action: Action,
    check: Callable[[list[dict[str, Any]]], None],
    coerce: bool = True,
    validate_only: bool = False,
) -> Iterator[tuple[int, int]]:
    """Write batches of records, one transaction each, yielding ``(written, rows)`` per batch.

    ``check`` runs before each batch is written; ``coerce`` says whether typed attributes
    still need coercing (CSV streams already typed the raw text); ``validate_only`` checks
    every batch and writes none.
    """
    target = job.store.table(db, table)
    types = column_types(target) if coerce else {}
    for batch in batches:
        check(batch)
        check_records_write(job.user, target, batch, action)
        if types:
            coerce_records(batch, types)
        if validate_only:
            yield 0, len(batch)
            continue
        # The cells were coerced in the load's wording: not again in the insert's.
        yield (
            len(target.write(batch, action, user=job.user.username, coerced=True).written),
            len(batch),
        )


def run_load(
    job: JobContext,
    commits: Iterable[tuple[int, int]],
    *,
    recorder: ErrorRecorder | None = None,
    options: LoadOptions = DEFAULT_OPTIONS,
) -> str:
    """Drive a load's commits, reporting progress; return the final message.

    A failure after some batches were committed names how many records were loaded, so the
    client knows what is in the table; so does a stop at a faulty row.
    """
    written = total = 0
    try:
        for batch_written, batch_rows in commits:
            written += batch_written
            total += batch_rows
            job.progress(processed=total)
    except PermissionDeniedError:
        raise
    except LoadAbortedError as exc:
        raise aborted(exc, written) from exc
    except Exception as exc:
        if written == 0:
            raise
        message = exc.message if isinstance(exc, LoadmasterError) else str(exc) or repr(exc)
        raise LoadError(wording.after(message, "load", written)) from exc
    if options.validate_only and recorder is not None:
        return validated_message(total, recorder)
    return wording.loaded(written, total)
