"""The export jobs' shared part: run the search_operation and encode its records, streamed."""

import errno
import os
import time
from collections.abc import Callable, Iterator, Mapping
from itertools import chain
from typing import Any, NamedTuple

import msgspec

from loadmaster.errors import InvalidRequestError
from loadmaster.jobs.context import JobContext
from loadmaster.jobs.writers import iter_csv, iter_json_array
from loadmaster.operations import data, schema as s
from loadmaster.operations.checks import attributes_list, table_of
from loadmaster.sql import PreparedSql
from loadmaster.storage import Table

FORMATS = ("json", "csv")
SEARCH_OPERATIONS: dict[str, type[s.TableOp]] = {
    "search_by_value": s.SearchByValue,
    "search_by_hash": s.SearchByHash,
    "search_by_conditions": s.SearchByConditions,
}
_ALLOWED = "search_by_value, search_by_hash, sql, search_by_conditions"


def check_format(value: Any) -> str:
    """Check an export's ``format``."""
    if value is None or value == "":
        raise InvalidRequestError("format missing")
    if value not in FORMATS:
        raise InvalidRequestError("format invalid. must be one of the following values: json, csv")
    return str(value)


def parse_search(value: Any) -> s.TableOp:
    """Check an export's ``search_operation`` and turn it into its search operation."""
    if value is None:
        raise InvalidRequestError("Cannot read properties of undefined (reading 'operation')")
    if not isinstance(value, dict):
        raise InvalidRequestError("search_operation must be an object")
    name = value.get("operation")
    if name is None or name == "":
        raise InvalidRequestError("search_operation.operation missing")
    if name == "sql":
        raise InvalidRequestError(
            "SQL is not supported yet: use a search_operation of search_by_value, "
            "search_by_hash or search_by_conditions"
        )
    if name not in SEARCH_OPERATIONS:
        raise InvalidRequestError(
            f"searchOperation.operation must be one of the following values: {_ALLOWED}"
        )
    try:
        search: s.TableOp = msgspec.convert(value, SEARCH_OPERATIONS[name], strict=False)
    except msgspec.ValidationError as exc:
        raise InvalidRequestError(f"search_operation: {exc}") from exc
    return search


def _export_attributes(search: s.TableOp, table: Table) -> list[str]:
    attributes = attributes_list(getattr(search, "get_attributes", None))
    if attributes == ["*"]:
        # HarperDB's exports list every attribute sorted by name (spec §12.1).
        return sorted(table.attribute_names())
    return attributes


class Found(NamedTuple):
    """What an export's search found: whole records (streamed), the columns to export, and
    the function shaping a record to exactly those columns (null-filled, in order)."""

    records: Iterator[Any]
    columns: list[str]
    project: Callable[[Mapping[str, Any]], dict[str, Any]]


def search_records(job: JobContext, search: s.TableOp) -> Found:
    """Run a search as the job's caller; return what it found."""
    table = table_of(search, job.store)
    columns = _export_attributes(search, table)
    project = table.projector(columns)  # also refuses unknown attributes before any output
    if isinstance(search, s.SearchByValue):
        found: Iterator[Any] = data.value_matches(search, table)
    elif isinstance(search, s.SearchByConditions):
        found = data.condition_matches(search, table)
    else:
        assert isinstance(search, s.SearchByHash)  # noqa: S101 - parse_search allows only these
        ids = search.ids if search.ids is not None else search.hash_values
        if not isinstance(ids, list):
            raise InvalidRequestError("'hash_values' must be an array")
        found = iter(table.get(ids))
    return Found(found, columns, project)


def sql_records(sql: PreparedSql) -> Found:
    """Run a prepared SQL search operation; its rows are exported as they are, streamed.

    The columns are the first row's keys, as json2csv takes them (spec sql §15).
    """
    rows = sql.rows()
    first = next(rows, None)
    if first is None:
        return Found(iter(()), sql.columns, dict)
    return Found(chain((first,), rows), list(first), dict)


def encode(fmt: str, found: Found, job: JobContext) -> Iterator[bytes]:
    """Encode records as a compact JSON array or CSV, counting them as progress.

    JSON needs each record shaped to the columns; the CSV writer reads the columns from whole
    records itself (missing ones are empty cells), so it skips building those dicts.
    """

    def counted() -> Iterator[Any]:
        done = 0
        for done, record in enumerate(found.records, 1):
            if done % 10_000 == 0:
                job.progress(processed=done)
            yield record
        job.progress(processed=done)

    if fmt == "json":
        return iter_json_array(map(found.project, counted()))
    return iter_csv(counted(), columns=found.columns, chunk_records=5000)


def _given(search: s.TableOp | None) -> s.TableOp:
    assert search is not None  # noqa: S101 - parsed when there is no SQL
    return search


def node_error(exc: OSError, syscall: str, path: str) -> str:
    """Word a file-system error as Node does (``ENOENT: no such file or directory, open 'p'``);
    HarperDB clients see these texts."""
    code = errno.errorcode.get(exc.errno or 0, "EIO")
    description = (exc.strerror or "i/o error").lower()
    return f"{code}: {description}, {syscall} '{path}'"


def export_local(
    job: JobContext, op: s.ExportLocal, sql: PreparedSql | None = None
) -> dict[str, str]:
    """Write a search result (or the rows of ``sql``, parsed and checked before the job
    started) to ``<path>/<filename or now>.<format>`` on the server."""
    fmt = check_format(op.format)
    if op.path is None or op.path == "":
        raise InvalidRequestError("path is missing.")
    search = parse_search(op.search_operation) if sql is None else None
    directory = str(op.path)
    if not os.path.exists(directory):
        raise InvalidRequestError(f"path '{directory}' does not exist")
    if not os.path.isdir(directory):
        raise InvalidRequestError(
            f"path '{directory}' is not a directory, please supply a valid folder path"
        )
    name = str(op.filename) if op.filename not in (None, "") else str(int(time.time() * 1000))
    target = os.path.join(directory.rstrip("/") or "/", f"{name}.{fmt}")
    found = sql_records(sql) if sql is not None else search_records(job, _given(search))
    partial = os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.{job.job_id}")
    try:
        with open(partial, "wb") as out:
            for chunk in encode(fmt, found, job):
                out.write(chunk)
        os.replace(partial, target)
    except OSError as exc:
        raise InvalidRequestError(node_error(exc, "open", target)) from exc
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return {"message": f"Successfully exported {fmt.upper()} locally.", "path": target}
