"""The export jobs' shared part: run the search_operation and encode its records, streamed."""

import errno
import os
import time
from collections.abc import Callable, Iterator, Mapping
from itertools import chain
from typing import Any, NamedTuple

import msgspec

from loadmaster.errors import InvalidRequestError
from loadmaster.formats import gzip_chunks, iter_csv, iter_json_array, iter_ndjson
from loadmaster.jobs.context import JobContext
from loadmaster.jobs.file_roots import check_file_path
from loadmaster.models import User
from loadmaster.names import database_of
from loadmaster.query import (
    Search,
    condition_search,
    expected_count,
    id_search,
    matches,
    table_at,
    value_search,
)
from loadmaster.settings import Settings
from loadmaster.sql import PreparedSql
from loadmaster.storage import Table

FORMATS = ("json", "csv", "ndjson")
#: How an export may be compressed (loadmaster's addition): the name, and the suffix added.
COMPRESSIONS = {"gzip": ".gz"}
SEARCH_OPERATIONS = ("search_by_value", "search_by_hash", "search_by_conditions")
_ALLOWED = "search_by_value, search_by_hash, sql, search_by_conditions"
#: What a ``filename`` may not contain: it names a file in ``path``, never another place.
_FILENAME_FORBIDDEN = ("/", "\\", "..", "\x00")
#: Exports are readable by the server's user only (they hold table data).
_FILE_MODE = 0o600


class ExportRequest(msgspec.Struct, frozen=True, kw_only=True):
    """What an export job is asked: the format, the search, and where to write (checked
    inside the job, as HarperDB does)."""

    format: Any = None
    search_operation: Any = None
    #: export_local: the directory and the file name (without its suffix).
    path: Any = None
    filename: Any = None
    #: export_to_s3: the bucket, key and credentials.
    s3: Any = None
    #: None, or ``gzip`` (checked when the job is submitted: :func:`check_compress`).
    compress: str | None = None
    #: A ``sql`` search operation, parsed and permission-checked before the job started.
    sql: PreparedSql | None = None


def check_format(value: Any) -> str:
    """Check an export's ``format``."""
    if value is None or value == "":
        raise InvalidRequestError("format missing")
    if value not in FORMATS:
        raise InvalidRequestError("format invalid. must be one of the following values: json, csv")
    return str(value)


def check_compress(value: Any) -> str | None:
    """Check an export's ``compress`` field (loadmaster's addition): absent, or ``gzip``."""
    if value is None or (isinstance(value, str) and value in COMPRESSIONS):
        return value
    raise InvalidRequestError(f"'compress' must be one of [{', '.join(COMPRESSIONS)}]")


def file_suffix(fmt: str, compress: str | None) -> str:
    """Return the suffix of an export's file or key: ``.csv``, ``.ndjson.gz``, ..."""
    return f".{fmt}{COMPRESSIONS[compress] if compress is not None else ''}"


def parse_search(value: Any) -> dict[str, Any]:
    """Check an export's ``search_operation``; return it (its fields are checked on use)."""
    if value is None:
        raise InvalidRequestError("Cannot read properties of undefined (reading 'operation')")
    if not isinstance(value, dict):
        raise InvalidRequestError("search_operation must be an object")
    name = value.get("operation")
    if name is None or name == "":
        raise InvalidRequestError("search_operation.operation missing")
    if name == "sql":
        raise InvalidRequestError(
            "SQL is not supported here: a sql search_operation is parsed and checked "
            "before the job starts (ExportRequest.sql)"
        )
    if name not in SEARCH_OPERATIONS:
        raise InvalidRequestError(
            f"searchOperation.operation must be one of the following values: {_ALLOWED}"
        )
    return value


def _export_attributes(search: Search, table: Table) -> list[str]:
    if search.attributes == ["*"]:
        # HarperDB's exports list every attribute sorted by name (spec §12.1).
        return sorted(table.attribute_names())
    return search.attributes


def _checked(fields: Mapping[str, Any]) -> Search:
    get = fields.get
    if fields["operation"] == "search_by_value":
        return value_search(
            search_attribute=get("search_attribute"),
            search_value=get("search_value"),
            get_attributes=get("get_attributes"),
            offset=get("offset"),
            limit=get("limit"),
        )
    if fields["operation"] == "search_by_conditions":
        return condition_search(
            conditions=get("conditions"),
            operator=get("operator", "and"),
            get_attributes=get("get_attributes"),
            offset=get("offset"),
            limit=get("limit"),
            sort=get("sort"),
        )
    ids = get("ids") if get("ids") is not None else get("hash_values")
    return id_search(ids=ids, get_attributes=get("get_attributes"), field="hash_values")


class Found(NamedTuple):
    """What an export's search found: whole records (streamed), the columns to export, and
    the function shaping a record to exactly those columns (null-filled, in order)."""

    records: Iterator[Any]
    columns: list[str]
    project: Callable[[Mapping[str, Any]], dict[str, Any]]
    #: How many records it will yield, when that is cheap to know up front (progress).
    total: int | None = None


def search_records(job: JobContext, fields: Mapping[str, Any]) -> Found:
    """Run a search (as :func:`parse_search` returned it) as the job's caller."""
    db = database_of(fields.get("database"), fields.get("schema"))
    table = table_at(job.store, db, fields.get("table"))
    search = _checked(fields)
    columns = _export_attributes(search, table)
    project = table.projector(columns)  # also refuses unknown attributes before any output
    return Found(matches(search, table), columns, project, expected_count(search, table))


def sql_records(sql: PreparedSql) -> Found:
    """Run a prepared SQL search operation; its rows are exported as they are, streamed.

    The columns are the first row's keys, as json2csv takes them (spec sql §15). Rows that
    are plain stored records are shaped only where the format needs it (JSON), as for a
    NoSQL search; the CSV writer reads its columns from the records themselves.
    """
    rows, total, shape = sql.records()
    if shape is not None:
        return Found(rows, sql.columns, shape, total)
    first = next(rows, None)
    if first is None:
        return Found(iter(()), sql.columns, _as_is, total)
    return Found(chain((first,), rows), list(first), _as_is, total)


def _as_is(row: Mapping[str, Any]) -> Any:
    return row


def found_records(job: JobContext, op: ExportRequest) -> Found:
    """Run the export's search: its prepared SQL, else its NoSQL search operation."""
    if op.sql is not None:
        return sql_records(op.sql)
    return search_records(job, parse_search(op.search_operation))


def encode(fmt: str, found: Found, job: JobContext, compress: str | None = None) -> Iterator[bytes]:
    """Encode records as a compact JSON array, NDJSON or CSV, counting them as progress;
    gzip the stream when asked.

    JSON needs each record shaped to the columns; the CSV writer reads the columns from whole
    records itself (missing ones are empty cells), so it skips building those dicts.
    """

    def counted() -> Iterator[Any]:
        done = 0
        if found.total is not None:
            job.progress(processed=0, total=found.total)
        for done, record in enumerate(found.records, 1):
            if done % 10_000 == 0:
                job.progress(processed=done)
            yield record
        job.progress(processed=done)

    if fmt == "json":
        chunks = iter_json_array(map(found.project, counted()))
    elif fmt == "ndjson":
        chunks = iter_ndjson(map(found.project, counted()))
    else:
        chunks = iter_csv(counted(), columns=found.columns, chunk_records=5000)
    return gzip_chunks(chunks) if compress == "gzip" else chunks


def node_error(exc: OSError, syscall: str, path: str) -> str:
    """Word a file-system error as Node does (``ENOENT: no such file or directory, open 'p'``);
    HarperDB clients see these texts."""
    code = errno.errorcode.get(exc.errno or 0, "EIO")
    description = (exc.strerror or "i/o error").lower()
    return f"{code}: {description}, {syscall} '{path}'"


def check_destination(op: ExportRequest, user: User, settings: Settings) -> None:
    """Refuse an export_local ``filename`` that would leave ``path`` (400), and a ``path``
    outside the caller's file roots (403), before the path is looked at.

    Raises:
        InvalidRequestError: The filename holds ``/``, ``\\``, ``..`` or a NUL character.
        FileOutsideRootsError: The path resolves outside the file roots.
    """
    if op.filename not in (None, "") and any(c in str(op.filename) for c in _FILENAME_FORBIDDEN):
        raise InvalidRequestError(
            "filename must name a file in 'path': it may not contain '/', '\\', '..' or NUL"
        )
    if op.path not in (None, ""):
        check_file_path(str(op.path), user, settings)


def export_local(job: JobContext, op: ExportRequest) -> dict[str, str]:
    """Write a search result to ``<path>/<filename or now>.<format>`` on the server."""
    fmt = check_format(op.format)
    if op.path is None or op.path == "":
        raise InvalidRequestError("path is missing.")
    check_destination(op, job.user, job.settings)  # again: a queued job may start much later
    if op.sql is None:
        parse_search(op.search_operation)
    directory = str(op.path)
    if not os.path.exists(directory):
        raise InvalidRequestError(f"path '{directory}' does not exist")
    if not os.path.isdir(directory):
        raise InvalidRequestError(
            f"path '{directory}' is not a directory, please supply a valid folder path"
        )
    name = str(op.filename) if op.filename not in (None, "") else str(int(time.time() * 1000))
    target = os.path.join(directory.rstrip("/") or "/", name + file_suffix(fmt, op.compress))
    found = found_records(job, op)
    partial = os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.{job.job_id}")
    # O_EXCL: never through a file or link already there (nor removing it after); the
    # rename keeps the mode.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    try:
        fd = os.open(partial, flags, _FILE_MODE)
    except OSError as exc:
        raise InvalidRequestError(node_error(exc, "open", target)) from exc
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in encode(fmt, found, job, op.compress):
                out.write(chunk)
        os.replace(partial, target)
    except OSError as exc:
        raise InvalidRequestError(node_error(exc, "open", target)) from exc
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return {"message": f"Successfully exported {fmt.upper()} locally.", "path": target}
