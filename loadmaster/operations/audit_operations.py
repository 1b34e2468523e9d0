"""The audit log: ``read_audit_log`` and the ``delete_audit_logs_before`` job (ops-more §1, §2)."""

import math
from typing import Any

from loadmaster.actors.system import Submitted
from loadmaster.errors import InvalidRequestError, ServerError
from loadmaster.jobs.delete_audit_before import delete_audit_logs_before as delete_job
from loadmaster.names import blank
from loadmaster.operations import schema as s
from loadmaster.operations.handler_context import Context
from loadmaster.operations.job_operations import start_job
from loadmaster.operations.table import operation
from loadmaster.query import find_table
from loadmaster.storage.audit import AuditEntry, AuditLog

AUDIT_DISABLED = "To use this operation audit log must be enabled in harperdb-config.yaml"
NOT_ITERABLE = "t.search_values is not iterable"
_SEARCH_TYPES = ("timestamp", "username", "hash_value")


def js_string(value: Any) -> str:
    """Word a JSON value as JavaScript's ``String()`` does (HarperDB's keys and messages)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if isinstance(value, dict):
        return "[object Object]"
    if isinstance(value, list):
        return ",".join("" if v is None else js_string(v) for v in value)
    return str(value)


def _number(value: Any) -> float | None:
    """Return a JSON number or numeric string as a float, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip()) if value.strip() else None
        except ValueError:
            return None
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
        return None if number != number else number
    return None


def _transaction(entry: AuditEntry) -> dict[str, Any]:
    body: dict[str, Any] = {"operation": entry.operation}
    if entry.user_name is not None:
        body["user_name"] = entry.user_name
    body["timestamp"] = entry.timestamp
    body["hash_values"] = entry.hash_values
    body["records"] = entry.records if entry.records is not None else [None] * len(entry.keys)
    return body


def _history_item(entry: AuditEntry, position: int) -> dict[str, Any]:
    deleted = entry.records is None
    body: dict[str, Any] = {
        "operation": "delete" if deleted else "upsert",
        "timestamp": entry.timestamp,
    }
    if entry.user_name is not None:
        body["user_name"] = entry.user_name
    body["hash_values"] = [entry.hash_values[position]]
    body["records"] = [None if entry.records is None else entry.records[position]]
    return body


def _values(op: s.ReadAuditLog) -> list[Any]:
    if not isinstance(op.search_values, list):
        raise ServerError(NOT_ITERABLE)
    return op.search_values


def _by_time(op: s.ReadAuditLog, log: AuditLog) -> list[dict[str, Any]]:
    values = [] if op.search_values is None else _values(op)
    bounds: list[float] = []
    for value in values[:2]:
        number = _number(value)
        if number is None:
            raise InvalidRequestError(
                f"Invalid timestamp '{js_string(value)}' in 'search_values': "
                "timestamps are epoch milliseconds"
            )
        bounds.append(number)
    start = bounds[0] if bounds else 0.0
    end = bounds[1] if len(bounds) > 1 else math.inf
    limit = op.limit
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise InvalidRequestError("'limit' must be a non-negative integer")
    return [_transaction(e) for e in log.between(start, end, limit)]


def _by_user(op: s.ReadAuditLog, log: AuditLog) -> dict[str, list[dict[str, Any]]]:
    if op.search_values is None:
        return {}
    found: dict[str, list[dict[str, Any]]] = {}
    for name in _values(op):
        if isinstance(name, str) and name not in found:
            entries = [_transaction(e) for e in log.by_user(name)]
            if entries:
                found[name] = entries
    return found


def _by_key(op: s.ReadAuditLog, log: AuditLog) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for value in _values(op):
        found[js_string(value)] = [_history_item(e, i) for e, i in log.by_key(value)]
    return found


@operation(s.ReadAuditLog, super_user="readAuditLog")
def read_audit_log(op: s.ReadAuditLog, ctx: Context) -> Any:
    """Read a table's audit log: all or a time range, by user names, or by primary keys."""
    if not ctx.settings.audit_log:
        raise InvalidRequestError(AUDIT_DISABLED)
    # HarperDB takes the database only as ``schema`` here.
    if blank(op.schema):
        raise ServerError("database is required")
    if blank(op.table):
        raise ServerError("table is required")
    log = find_table(ctx.store, js_string(op.schema), js_string(op.table)).audit_log
    search_type = "timestamp" if op.search_type is None else op.search_type
    if search_type not in _SEARCH_TYPES:
        raise ServerError(f"Invalid searchType '{js_string(search_type)}'")
    if search_type == "username":
        return _by_user(op, log)
    if search_type == "hash_value":
        return _by_key(op, log)
    return _by_time(op, log)


@operation(s.DeleteAuditLogsBefore, super_user="deleteAuditLogsBefore")
def delete_audit_logs_before(op: s.DeleteAuditLogsBefore, ctx: Context) -> Submitted:
    """Start a job deleting a table's audit entries older than ``timestamp`` (epoch ms)."""
    problems: list[str] = []
    before: float | None = None
    if blank(op.timestamp):
        problems.append("'timestamp' is required")
    else:
        before = _number(op.timestamp)
        if before is None:
            problems.append("'timestamp' is invalid")
    if blank(op.table):
        problems.append("'table' is required")
    if problems:
        raise InvalidRequestError(". ".join(problems))
    assert before is not None  # noqa: S101 - checked above
    db, table, stop = op.db, js_string(op.table), before
    return start_job(op, ctx, lambda job: delete_job(job, db, table, stop))
