"""Records: insert, update, upsert, delete, and the NoSQL searches."""

from typing import Any

from loadmaster import wording
from loadmaster.auth import system_rules
from loadmaster.errors import InvalidRequestError, ServerError
from loadmaster.names import SYSTEM_DATABASE, Action
from loadmaster.operations import schema as s, system_writes
from loadmaster.operations.access import delete_access, read_access, write_access
from loadmaster.operations.checks import check_strings, table_of
from loadmaster.operations.handler_context import Context
from loadmaster.operations.table import operation
from loadmaster.query import (
    condition_search,
    id_search,
    records_list,
    require,
    results,
    system_table,
    value_search,
)
from loadmaster.storage import Table, WriteResult

UPDATE_KEY_MISSING = "a valid hash attribute must be provided with update record"
MAX_ATTRIBUTE_BYTES = 250


def _search_table(op: s.TableOp, ctx: Context) -> Table:
    if op.db == SYSTEM_DATABASE:
        system_rules.check_read(ctx.user, ctx.store, require(op.table, "table"))
        return system_table(ctx.store, op.table)
    return table_of(op, ctx.store)


def _check_records(records: list[dict[str, Any]], primary_key: str, action: Action) -> None:
    """HarperDB's refusals of a write before anything is written (ops-more §9)."""
    seen: set[str] = set()
    for record in records:
        for name in record:
            if name in seen:
                continue
            seen.add(name)
            if len(name.encode()) > MAX_ATTRIBUTE_BYTES:
                raise InvalidRequestError(
                    f"transaction aborted due to attribute name {name} being too long. "
                    f"Attribute names cannot be longer than {MAX_ATTRIBUTE_BYTES} bytes."
                )
        key = record.get(primary_key)
        if action == "update" and (key is None or key == ""):
            raise InvalidRequestError(f"{UPDATE_KEY_MISSING}, check log for more info")
        if action == "upsert" and key == "null":
            raise InvalidRequestError(
                "Invalid hash value: 'null' is not a valid hash attribute value, "
                "check log for more info"
            )


def _write(op: s.Insert | s.Update | s.Upsert, ctx: Context, action: Action) -> WriteResult:
    system = op.db == SYSTEM_DATABASE
    if system:
        system_rules.check_write(ctx.user, ctx.store, require(op.table, "table"), action)
        table = system_table(ctx.store, op.table)
    else:
        table = table_of(op, ctx.store, status=400)
    records = records_list(op.records)
    _check_records(records, table.primary_key, action)
    try:
        if system:
            return system_writes.write(ctx, table, records, action)
        return table.write(records, action, user=ctx.user.username)
    except InvalidRequestError as exc:
        if exc.message == UPDATE_KEY_MISSING:
            raise InvalidRequestError(f"{UPDATE_KEY_MISSING}, check log for more info") from exc
        raise


@operation(s.Insert, access=write_access("insert"))
def insert(op: s.Insert, ctx: Context) -> dict[str, Any]:
    """Insert records; records whose primary key exists are skipped."""
    result = _write(op, ctx, "insert")
    total = len(result.written) + len(result.skipped)
    return {
        "message": f"inserted {len(result.written)} of {total} records",
        "inserted_hashes": result.written,
        "skipped_hashes": result.skipped,
    }


@operation(s.Update, access=write_access("update"))
def update(op: s.Update, ctx: Context) -> dict[str, Any]:
    """Merge records into existing ones; missing primary keys are skipped."""
    result = _write(op, ctx, "update")
    total = len(result.written) + len(result.skipped)
    return {
        "message": f"updated {len(result.written)} of {total} records",
        "update_hashes": result.written,
        "skipped_hashes": result.skipped,
    }


@operation(s.Upsert, access=write_access("upsert"))
def upsert(op: s.Upsert, ctx: Context) -> dict[str, Any]:
    """Insert new records and merge existing ones."""
    result = _write(op, ctx, "upsert")
    return {
        "message": f"upserted {len(result.written)} of {len(result.written)} records",
        "upserted_hashes": result.written,
    }


@operation(s.Delete, access=delete_access())
def delete(op: s.Delete, ctx: Context) -> dict[str, Any]:
    """Delete records by primary key; HarperDB lists unknown ids as deleted too."""
    ids = op.ids if op.ids is not None else op.hash_values
    if ids is None:
        raise InvalidRequestError("'hash_values' is required")
    if not isinstance(ids, list):
        raise InvalidRequestError("'hash_values' must be an array")
    if op.db == SYSTEM_DATABASE:
        system_rules.check_write(ctx.user, ctx.store, op.table, "delete")
        system_writes.delete(ctx, system_table(ctx.store, op.table), ids)
    else:
        table_of(op, ctx.store).delete(ids, user=ctx.user.username)
    return {
        "message": wording.deleted(len(ids), len(ids)),
        "deleted_hashes": ids,
        "skipped_hashes": [],
    }


def _by_id(op: s.SearchById | s.SearchByHash, ctx: Context, field: str) -> list[dict[str, Any]]:
    ids = op.ids if op.ids is not None else op.hash_values
    if op.database is not None:
        check_strings([("database", op.database), ("table", op.table)], ServerError)
    search = id_search(
        ids=ids,
        get_attributes=op.get_attributes,
        field=field,
        error=ServerError,
        required=field == "hash_values",
    )
    return list(results(search, _search_table(op, ctx), ctx.user))


@operation(s.SearchById, access=read_access())
def search_by_id(op: s.SearchById, ctx: Context) -> list[dict[str, Any]]:
    """Read records by primary key."""
    return _by_id(op, ctx, "ids")


@operation(s.SearchByHash, access=read_access())
def search_by_hash(op: s.SearchByHash, ctx: Context) -> list[dict[str, Any]]:
    """Read records by primary key (the older name)."""
    return _by_id(op, ctx, "hash_values")


@operation(s.SearchByValue, access=read_access())
def search_by_value(op: s.SearchByValue, ctx: Context) -> list[dict[str, Any]]:
    """Read records whose attribute matches a value (``*`` wildcards)."""
    table = _search_table(op, ctx)
    search = value_search(
        search_attribute=op.search_attribute,
        search_value=op.search_value,
        get_attributes=op.get_attributes,
        offset=op.offset,
        limit=op.limit,
        reverse=op.reverse if op.reverse is not None else op.desc,
    )
    return list(results(search, table, ctx.user))


@operation(s.SearchByConditions, access=read_access())
def search_by_conditions(op: s.SearchByConditions, ctx: Context) -> list[dict[str, Any]]:
    """Read records matching conditions joined by ``and`` / ``or``, possibly nested."""
    table = _search_table(op, ctx)
    search = condition_search(
        conditions=op.conditions,
        operator=op.operator,
        get_attributes=op.get_attributes,
        offset=op.offset,
        limit=op.limit,
        sort=op.sort,
        reverse=op.reverse if op.reverse is not None else op.desc,
    )
    return list(results(search, table, ctx.user))
