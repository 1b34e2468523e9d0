"""Upload loads: a request body streamed into a table as a job (``PUT /load/<db>/<table>``).

The HTTP side hands over the body as an iterable of byte chunks that the job reads on its own
thread as they arrive; this module checks the request as a load through ``POST /`` is checked
(names, action, the table, the role's insert/update rights, the load options ``on_error``,
``max_errors`` and ``validate_only``) and starts the job.
"""

import zlib
from collections.abc import Iterable, Iterator
from typing import Any, Literal, Protocol

from loadmaster.actors.messages import JobOptions
from loadmaster.errors import InvalidRequestError
from loadmaster.formats import check_encoding
from loadmaster.jobs import csv_load, jsonload
from loadmaster.jobs.context import JobContext
from loadmaster.jobs.load_policy import load_options, option_problems
from loadmaster.names import ACTIONS, Action, name_problems
from loadmaster.operations import schema as s
from loadmaster.operations.checks import table_of
from loadmaster.operations.deferred import Submitted
from loadmaster.operations.dispatch import authorize
from loadmaster.operations.handler_context import Context

__all__ = ["UPLOAD_FORMATS", "UploadFormat", "start_upload"]

UploadFormat = Literal["csv", "json"]
#: The job type of an upload, by the body's format.
UPLOAD_FORMATS: dict[UploadFormat, str] = {"csv": "csv_upload_load", "json": "json_upload_load"}


class BodySource(Protocol):
    """The body of an upload, as the job reads it."""

    def chunks(self, job: JobContext) -> Iterator[bytes]:
        """Yield the body's chunks as they arrive (on the job's thread)."""

    def abandon(self) -> None:
        """Stop taking chunks: the job ended (perhaps before the body did)."""


def _gunzip(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Decompress a gzip stream chunk by chunk (constant memory)."""
    inflate = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        for chunk in chunks:
            out = inflate.decompress(chunk)
            if out:
                yield out
        rest = inflate.flush()
    except zlib.error as exc:
        raise InvalidRequestError(f"The body is not valid gzip: {exc}") from exc
    if not inflate.eof:
        raise InvalidRequestError("The gzip body ended before its end")
    if rest:
        yield rest


def start_upload(
    ctx: Context,
    *,
    database: str,
    table: str,
    action: Any,
    body_format: UploadFormat,
    gzip: bool,
    encoding: Any,
    body: BodySource,
    on_error: Any = None,
    max_errors: Any = None,
    validate_only: Any = None,
) -> Submitted:
    """Check an upload and start its job; the job reads ``body`` as it arrives.

    ``on_error``, ``max_errors`` and ``validate_only`` are checked and worded as in a load
    through ``POST /`` (``None``: not given).

    Raises:
        InvalidRequestError: A bad name, action or load option, or no such table (400, as
            loads answer).
        PermissionDeniedError: The role may not insert/update the table (as csv_file_load).
    """
    problems = name_problems(database, "Database") + name_problems(table, "Table")
    if action not in ACTIONS:
        problems.append("Action is required and must be either insert, update, or upsert")
    problems += option_problems(on_error, max_errors, validate_only)
    if problems:
        raise InvalidRequestError(",".join(problems))
    text_encoding = check_encoding(encoding)
    checked: Action = action
    options = load_options(on_error, max_errors, validate_only)
    given = {"on_error": on_error, "max_errors": max_errors, "validate_only": validate_only}
    as_load = s.CsvFileLoad(database=database, table=table, action=checked)
    authorize(as_load, ctx)
    table_of(as_load, ctx.store, status=400)

    def run(job: JobContext) -> str:
        source: Iterable[bytes] = body.chunks(job)
        if gzip:
            source = _gunzip(source)
        try:
            load = jsonload.load_json_chunks if body_format == "json" else csv_load.load_csv_chunks
            return load(
                job,
                source,
                db=database,
                table=table,
                action=checked,
                encoding=text_encoding,
                options=options,
            )
        finally:
            body.abandon()

    request = {
        "database": database,
        "table": table,
        "action": checked,
        "gzip": gzip,
        "encoding": text_encoding,
        **{name: value for name, value in given.items() if value is not None},
    }
    job_id, persisted = ctx.jobs.start_job(
        type=UPLOAD_FORMATS[body_format],
        user=ctx.user,
        request=request,
        run=run,
        options=JobOptions(database=database, table=table),
    )
    return Submitted(job_id, persisted, ctx.settings.ask_timeout)
