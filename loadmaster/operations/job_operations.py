"""Job operations: synchronous checks (400, no job), then a job; and the job queries."""

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from loadmaster.actors import get_job_view
from loadmaster.actors.encodable import encodable
from loadmaster.actors.job_record import JOB_TABLE
from loadmaster.auth import system_rules
from loadmaster.errors import InvalidRequestError, ServerError, SystemDatabaseWriteError
from loadmaster.formats import check_encoding, parse_moment_iso
from loadmaster.jobs import (
    csv_load,
    delete_before,
    export,
    jsonload,
    s3 as s3_job,
    url as url_job,
)
from loadmaster.jobs.context import JobContext
from loadmaster.jobs.file_roots import check_file_path
from loadmaster.jobs.load_policy import LoadOptions, load_options, option_problems
from loadmaster.jobs.outbound import check_url
from loadmaster.jobs.row_errors import with_errors
from loadmaster.models import FINISHED, User
from loadmaster.names import ACTIONS, SYSTEM_DATABASE, Action, blank, name_problems
from loadmaster.operations import schema as s
from loadmaster.operations.access import EVERYONE, Access, SuperUser, load_access, load_needs
from loadmaster.operations.checks import table_of
from loadmaster.operations.deferred import Submitted
from loadmaster.operations.handler_context import Context
from loadmaster.operations.job_control import JobWait, job_options, wait_seconds
from loadmaster.operations.request_warnings import warnings_for
from loadmaster.operations.table import operation, tag_of
from loadmaster.sql import PreparedSql, is_sql_search, prepare_sql
from loadmaster.storage import Store

#: Request fields never recorded on a job: credentials and bulky payloads.
_SECRET_FIELDS = ("username", "password")
#: The fields of an ``s3`` object kept on the record (credentials never are).
_S3_RECORDED = ("bucket", "key", "region", "endpoint_url")


def recorded_request(op: s.Operation) -> dict[str, Any]:
    """Return the request as stored on the job record: no secrets, no inline CSV payload.

    It is built from the operation's known fields only (unknown keys were dropped when the
    body was decoded, and inside ``s3`` only known keys are kept), with every value made
    storable: a record must be written whatever a client sent.
    """
    request: dict[str, Any] = msgspec.to_builtins(op)
    for name in _SECRET_FIELDS:
        request.pop(name, None)
    if isinstance(request.get("s3"), dict):
        request["s3"] = {k: request["s3"][k] for k in _S3_RECORDED if k in request["s3"]}
    if isinstance(request.get("passthrough_headers"), dict):
        # Header values are often credentials (Authorization, API keys): keep only the names.
        request["passthrough_headers"] = dict.fromkeys(request["passthrough_headers"], "<redacted>")
    if isinstance(request.get("data"), str):
        request["data"] = f"<{len(request['data'])} characters>"
    recorded: dict[str, Any] = encodable(request)
    return recorded


def start_job(op: s.Operation, ctx: Context, run: Callable[[JobContext], Any]) -> Submitted:
    """Start a job; the caller answers with ``Submitted.answer`` once its record is on disk
    (see ``dispatch.resolve``), without holding a thread meanwhile when on an event loop."""
    options = job_options(op, ctx.user, ctx.settings, warnings_for(op))
    job_id, persisted = ctx.jobs.start_job(
        type=tag_of(type(op)), user=ctx.user, request=recorded_request(op), run=run, options=options
    )
    return Submitted(
        job_id, persisted, ctx.settings.ask_timeout, options.job_key, list(options.warnings)
    )


# --- synchronous validation (spec §3.1) --------------------------------------------------------


def _validate_js_names(op: s.TableOp, problems: list[str]) -> None:
    """validate.js rules for ``schema``/``database`` and ``table`` names."""
    for label, value in (("Database" if op.database is not None else "Schema", op.db),):
        _name_rules(label, value, problems)
    if blank(op.table):
        problems.append("Table can't be blank")
    else:
        _name_rules("Table", op.table, problems)


def _name_rules(label: str, value: Any, problems: list[str]) -> None:
    problems += name_problems(value, label, not_a_string="{kind} must be a string")


def _validate_action(action: Any, problems: list[str]) -> None:
    if action not in ACTIONS and action is not None:
        problems.append("Action is required and must be either insert, update, or upsert")


def _raise(problems: list[str], separator: str) -> None:
    if problems:
        raise InvalidRequestError(separator.join(problems))


def _load_target(op: s.TableOp, ctx: Context) -> None:
    """Check that a load's table exists; no load may write a system table (not even a
    super user's: only the NoSQL write operations may, ops-more §6.3)."""
    if op.db == SYSTEM_DATABASE:
        system_rules.refuse_load(op.table, list(load_needs(op)))
    table_of(op, ctx.store, status=400)


def _action(op: Any) -> Action:
    action: Action = op.action if op.action is not None else "insert"
    return action


def _validate_options(op: s.LoadOp, problems: list[str]) -> None:
    problems += option_problems(op.on_error, op.max_errors, op.validate_only)


def _options(op: s.LoadOp) -> LoadOptions:
    """Return a load's options (``on_error``, ``max_errors``, ``validate_only``)."""
    return load_options(op.on_error, op.max_errors, op.validate_only)


@operation(s.CsvDataLoad, access=load_access())
def csv_data_load(op: s.CsvDataLoad, ctx: Context) -> Submitted:
    """Load CSV text from the request into a table."""
    problems: list[str] = []
    _validate_js_names(op, problems)
    _validate_action(op.action, problems)
    if op.data is None:
        problems.append("Data  is required")
    elif not isinstance(op.data, str):
        problems.append("Data must be a string")
    _validate_options(op, problems)
    _raise(problems, ",")
    _load_target(op, ctx)
    data, db, table, action, options = op.data, op.db, str(op.table), _action(op), _options(op)
    return start_job(
        op,
        ctx,
        lambda job: csv_load.load_csv_text(
            job, data, db=db, table=table, action=action, options=options
        ),
    )


def _file_load(
    op: s.CsvFileLoad | s.JsonFileLoad, ctx: Context, load: Callable[..., str]
) -> Submitted:
    problems: list[str] = []
    _validate_js_names(op, problems)
    _validate_action(op.action, problems)
    if blank(op.file_path):
        problems.append("File path  is required")
    elif not isinstance(op.file_path, str):
        problems.append("File path must be a string")
    _validate_options(op, problems)
    _raise(problems, ",")
    _load_target(op, ctx)
    encoding = check_encoding(op.encoding)
    path = op.file_path
    # Before the file is looked at, so that files outside cannot be probed for existence.
    check_file_path(path, ctx.user, ctx.settings)
    if not os.path.exists(path):
        raise InvalidRequestError(f"No such file or directory {path}")
    if not os.access(path, os.R_OK):
        raise InvalidRequestError(f"Permission denied {path}")
    db, table, action, options = op.db, str(op.table), _action(op), _options(op)
    return start_job(
        op,
        ctx,
        lambda job: load(
            job, path, db=db, table=table, action=action, encoding=encoding, options=options
        ),
    )


@operation(s.CsvFileLoad, access=load_access())
def csv_file_load(op: s.CsvFileLoad, ctx: Context) -> Submitted:
    """Load a CSV file (maybe gzip or zstd) from the server's disk into a table."""
    return _file_load(op, ctx, csv_load.load_csv_file)


@operation(s.JsonFileLoad, access=load_access())
def json_file_load(op: s.JsonFileLoad, ctx: Context) -> Submitted:
    """Load an NDJSON or JSON-array file (maybe gzip or zstd) from the server's disk."""
    return _file_load(op, ctx, jsonload.load_json_file)


def _url_load(op: s.CsvUrlLoad | s.JsonUrlLoad, ctx: Context, url: Any, fmt: str) -> Submitted:
    field = f"{fmt}_url"
    problems = url_job.validate_url_load(op.table, url, _action(op), op.passthrough_headers, field)
    _validate_options(op, problems)
    _raise(problems, ". ")
    _load_target(op, ctx)
    encoding = check_encoding(op.encoding)
    check_url(str(url), ctx.user, ctx.settings)
    address, headers = str(url), op.passthrough_headers
    db, table, action, options = op.db, str(op.table), _action(op), _options(op)
    return start_job(
        op,
        ctx,
        lambda job: url_job.load_csv_url(
            job,
            address,
            headers=headers,
            db=db,
            table=table,
            action=action,
            encoding=encoding,
            fmt=fmt,
            options=options,
        ),
    )


@operation(s.CsvUrlLoad, access=load_access())
def csv_url_load(op: s.CsvUrlLoad, ctx: Context) -> Submitted:
    """Load a CSV file from a URL into a table, streamed."""
    return _url_load(op, ctx, op.csv_url, "csv")


@operation(s.JsonUrlLoad, access=load_access())
def json_url_load(op: s.JsonUrlLoad, ctx: Context) -> Submitted:
    """Load an NDJSON or JSON-array file from a URL into a table, streamed."""
    return _url_load(op, ctx, op.json_url, "json")


@operation(s.ImportFromS3, access=load_access())
def import_from_s3(op: s.ImportFromS3, ctx: Context) -> Submitted:
    """Load a CSV or JSON object from S3 into a table, streamed."""
    problems: list[str] = []
    _validate_js_names(op, problems)
    _validate_action(op.action, problems)
    problems += s3_job.validate_s3(op.s3)
    _validate_options(op, problems)
    _raise(problems, ",")
    _load_target(op, ctx)
    encoding = check_encoding(op.encoding)
    request, db, table, action = dict(op.s3), op.db, str(op.table), _action(op)
    if isinstance(request.get("endpoint_url"), str):
        # boto3 resolves and connects on its own: the request's endpoint is judged at submit.
        check_url(request["endpoint_url"], ctx.user, ctx.settings)
    options = _options(op)
    return start_job(
        op,
        ctx,
        lambda job: s3_job.import_from_s3(
            job, request, db=db, table=table, action=action, encoding=encoding, options=options
        ),
    )


def _records(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(record, dict) for record in value)


@operation(s.JsonDataLoad, access=load_access())
def json_data_load(op: s.JsonDataLoad, ctx: Context) -> Submitted:
    """Load JSON from the request (NDJSON or array text, or an array of objects)."""
    problems: list[str] = []
    _validate_js_names(op, problems)
    _validate_action(op.action, problems)
    data = op.data
    if data is None:
        problems.append("Data  is required")
    elif not isinstance(data, str) and not _records(data):
        problems.append("Data must be a string or an array of objects")
    _validate_options(op, problems)
    _raise(problems, ",")
    _load_target(op, ctx)
    db, table, action, options = op.db, str(op.table), _action(op), _options(op)
    return start_job(
        op,
        ctx,
        lambda job: jsonload.load_json_data(
            job, data, db=db, table=table, action=action, options=options
        ),
    )


def _validate_date(op: s.DeleteRecordsBefore | s.DeleteFilesBefore) -> None:
    problems: list[str] = []
    if blank(op.table):
        problems.append("'table' is required")
    if op.date is None:
        problems.append("'date' is required")
    elif not isinstance(op.date, str) or parse_moment_iso(op.date) is None:
        problems.append("'date' must be in ISO 8601 date format")
    _raise(problems, ". ")


def _delete_before(op: s.DeleteRecordsBefore | s.DeleteFilesBefore, ctx: Context) -> Any:
    _validate_date(op)
    db, table, date = op.db, str(op.table), str(op.date)
    if db == SYSTEM_DATABASE:
        # A super user's cleanup of old job records, done by the registry that writes them;
        # every other system table is HarperDB's refusal.
        if table != JOB_TABLE:
            raise SystemDatabaseWriteError
        chunk = ctx.jobs.delete_jobs_before
        return start_job(op, ctx, lambda job: delete_before.delete_jobs_before(job, chunk, date))
    return start_job(op, ctx, lambda job: delete_before.delete_records_before(job, db, table, date))


operation(s.DeleteRecordsBefore, super_user="deleteFilesBefore")(_delete_before)
operation(s.DeleteFilesBefore, super_user="deleteFilesBefore")(_delete_before)


@dataclass(frozen=True, slots=True)
class _ExportAccess(Access):
    """Exports are for super users, but with a ``sql`` search operation only the SQL checks
    apply, made before the job starts (sql spec §15)."""

    name: str

    def check(self, op: Any, user: User, store: Store) -> None:
        """Let a SQL export through to its own checks; else refuse as super-user-only."""
        if not is_sql_search(op.search_operation):
            SuperUser(self.name).check(op, user, store)


def _sql_search(op: s.ExportLocal | s.ExportToS3, ctx: Context) -> PreparedSql | None:
    """Parse and permission-check a ``sql`` search operation before the job (sql spec §15)."""
    search = op.search_operation
    if not is_sql_search(search):
        return None
    return prepare_sql(search.get("sql"), ctx.store, ctx.user)


@operation(s.ExportLocal, access=_ExportAccess("export_local"))
def export_local(op: s.ExportLocal, ctx: Context) -> Submitted:
    """Export a search result to a file on the server (checked inside the job, but SQL)."""
    request = export.ExportRequest(
        format=op.format,
        search_operation=op.search_operation,
        path=op.path,
        filename=op.filename,
        compress=export.check_compress(op.compress),
        sql=_sql_search(op, ctx),
    )
    export.check_destination(request, ctx.user, ctx.settings)
    return start_job(op, ctx, lambda job: export.export_local(job, request))


@operation(s.ExportToS3, access=_ExportAccess("export_to_s3"))
def export_to_s3(op: s.ExportToS3, ctx: Context) -> Submitted:
    """Export a search result to an S3 object (checked inside the job, but SQL)."""
    request = export.ExportRequest(
        format=op.format,
        search_operation=op.search_operation,
        s3=op.s3,
        compress=export.check_compress(op.compress),
        sql=_sql_search(op, ctx),
    )
    return start_job(op, ctx, lambda job: s3_job.export_to_s3(job, request))


# --- job queries ---------------------------------------------------------------------------

INVALID_JOB_ID = "Invalid job ID specified."
JOB_SEARCH_FAILED = "there was an error searching for jobs.  Please check the log for details."


@operation(s.GetJob, access=EVERYONE)
def get_job(op: s.GetJob, ctx: Context) -> list[dict[str, Any]] | JobWait:
    """Return ``[record]`` for a job id, or ``[]``; non-super users see only their own jobs.

    With ``wait`` (seconds), the answer waits until the job has finished or the wait is over.
    """
    job_id = op.id
    if job_id is msgspec.UNSET:
        raise InvalidRequestError("'id' is required")
    if job_id is None or job_id == "":
        raise ServerError(INVALID_JOB_ID)
    if isinstance(job_id, (list, dict)):
        raise ServerError(JOB_SEARCH_FAILED)
    if not isinstance(job_id, str):
        return []
    wait = None if op.wait is None else wait_seconds(op.wait)
    record = ctx.jobs.record(job_id)
    if record is None:
        return []
    if not ctx.user.super_user and record.user != ctx.user.username:
        return []
    if wait and record.status not in FINISHED:
        return JobWait(ctx, job_id, record, wait)
    return [with_errors(get_job_view(record), ctx.store)]


def _date_bound(value: Any, which: str, suffix: str) -> float:
    parsed = parse_moment_iso(value) if isinstance(value, str) else None
    if parsed is None:
        raise ServerError(
            "There was an error searching jobs by date: Error: Invalid "
            f"'{which}' date, must be in ISO-8601 format (YYYY-MM-DD){suffix}"
        )
    return parsed


@operation(s.SearchJobsByStartDate, super_user="handleGetJobsByStartDate")
def search_jobs_by_start_date(op: s.SearchJobsByStartDate, ctx: Context) -> list[dict[str, Any]]:
    """Return the jobs started strictly between two ISO-8601 dates, oldest first."""
    from_ms = _date_bound(op.from_date, "from", ".")
    to_ms = _date_bound(op.to_date, "to", "")
    return ctx.jobs.search(from_ms, to_ms)
