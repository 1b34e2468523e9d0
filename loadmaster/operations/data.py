"""Records: insert, update, upsert, delete, and the NoSQL searches."""

from collections.abc import Callable, Iterator, Mapping
from itertools import islice
from typing import Any

from loadmaster.auth.permissions import readable_attributes
from loadmaster.errors import InvalidRequestError
from loadmaster.jobs.delete_before import deleted_message
from loadmaster.models import User
from loadmaster.operations import schema as s
from loadmaster.operations.checks import (
    attributes_list,
    non_negative_int,
    records_list,
    require,
    table_of,
)
from loadmaster.operations.context import Context
from loadmaster.operations.registry import operation
from loadmaster.storage import Condition, ConditionGroup, Table
from loadmaster.storage.conditions import CONDITION_TYPES

UPDATE_KEY_MISSING = "a valid hash attribute must be provided with update record"


def _write(op: s.Insert | s.Update | s.Upsert, ctx: Context, action: s.Action) -> Any:
    table = table_of(op, ctx.store, status=400)
    records = records_list(op.records)
    try:
        return table.write(records, action)
    except InvalidRequestError as exc:
        if exc.message == UPDATE_KEY_MISSING:
            raise InvalidRequestError(f"{UPDATE_KEY_MISSING}, check log for more info") from exc
        raise


@operation(s.Insert)
def insert(op: s.Insert, ctx: Context) -> dict[str, Any]:
    """Insert records; records whose primary key exists are skipped."""
    result = _write(op, ctx, "insert")
    total = len(result.written) + len(result.skipped)
    return {
        "message": f"inserted {len(result.written)} of {total} records",
        "inserted_hashes": result.written,
        "skipped_hashes": result.skipped,
    }


@operation(s.Update)
def update(op: s.Update, ctx: Context) -> dict[str, Any]:
    """Merge records into existing ones; missing primary keys are skipped."""
    result = _write(op, ctx, "update")
    total = len(result.written) + len(result.skipped)
    return {
        "message": f"updated {len(result.written)} of {total} records",
        "update_hashes": result.written,
        "skipped_hashes": result.skipped,
    }


@operation(s.Upsert)
def upsert(op: s.Upsert, ctx: Context) -> dict[str, Any]:
    """Insert new records and merge existing ones."""
    result = _write(op, ctx, "upsert")
    return {
        "message": f"upserted {len(result.written)} of {len(result.written)} records",
        "upserted_hashes": result.written,
    }


@operation(s.Delete)
def delete(op: s.Delete, ctx: Context) -> dict[str, Any]:
    """Delete records by primary key; HarperDB lists unknown ids as deleted too."""
    ids = op.ids if op.ids is not None else op.hash_values
    if ids is None:
        raise InvalidRequestError("'hash_values' is required")
    if not isinstance(ids, list):
        raise InvalidRequestError("'hash_values' must be an array")
    table = table_of(op, ctx.store)
    table.delete(ids)
    return {
        "message": deleted_message(len(ids), len(ids)),
        "deleted_hashes": ids,
        "skipped_hashes": [],
    }


def _by_id(op: s.SearchById | s.SearchByHash, ctx: Context, field: str) -> list[dict[str, Any]]:
    ids = op.ids if op.ids is not None else op.hash_values
    if ids is None:
        raise InvalidRequestError(f"'{field}' is required")
    if not isinstance(ids, list):
        raise InvalidRequestError(f"'{field}' must be an array")
    table = table_of(op, ctx.store)
    project = table.projector(
        readable_attributes(ctx.user, table, attributes_list(op.get_attributes))
    )
    return [project(r) for r in table.get(ids)]


@operation(s.SearchById)
def search_by_id(op: s.SearchById, ctx: Context) -> list[dict[str, Any]]:
    """Read records by primary key."""
    return _by_id(op, ctx, "ids")


@operation(s.SearchByHash)
def search_by_hash(op: s.SearchByHash, ctx: Context) -> list[dict[str, Any]]:
    """Read records by primary key (the older name)."""
    return _by_id(op, ctx, "hash_values")


def _page(records: Iterator[dict[str, Any]], offset: int | None, limit: int | None) -> Any:
    start = offset or 0
    return islice(records, start, None if limit is None else start + limit)


def _projector(
    op: s.SearchByValue | s.SearchByConditions, table: Table, user: User | None
) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """Shape records for ``get_attributes``; with ``user``, ``*`` is narrowed to what that
    user's role may read."""
    attributes = attributes_list(op.get_attributes)
    if user is not None:
        attributes = readable_attributes(user, table, attributes)
    return table.projector(attributes)


def value_matches(op: s.SearchByValue, table: Table) -> Iterator[dict[str, Any]]:
    """Run a search_by_value and return the whole matching records, streamed."""
    attribute = require(op.search_attribute, "search_attribute")
    if op.search_value is None:
        raise InvalidRequestError("'search_value' is required")
    found = table.search_value(str(attribute), op.search_value)
    paged: Iterator[dict[str, Any]] = _page(
        found, non_negative_int(op.offset, "offset"), non_negative_int(op.limit, "limit")
    )
    return paged


def value_search(
    op: s.SearchByValue, table: Table, user: User | None = None
) -> Iterator[dict[str, Any]]:
    """Run a search_by_value and return projected records, streamed."""
    project = _projector(op, table, user)
    return map(project, value_matches(op, table))


@operation(s.SearchByValue)
def search_by_value(op: s.SearchByValue, ctx: Context) -> list[dict[str, Any]]:
    """Read records whose attribute matches a value (``*`` wildcards)."""
    return list(value_search(op, table_of(op, ctx.store), ctx.user))


def parse_conditions(value: Any) -> list[Condition | ConditionGroup]:
    """Turn HarperDB's ``conditions`` array (possibly nested) into storage conditions."""
    if not isinstance(value, list):
        raise InvalidRequestError("'conditions' must be an array")
    parsed: list[Condition | ConditionGroup] = []
    for item in value:
        if not isinstance(item, dict):
            raise InvalidRequestError("each condition must be an object")
        if "conditions" in item:
            operator = _operator(item.get("operator", "and"))
            parsed.append(
                ConditionGroup(operator=operator, conditions=parse_conditions(item["conditions"]))
            )
            continue
        attribute = item.get("search_attribute")
        if not isinstance(attribute, str) or attribute == "":
            raise InvalidRequestError("'search_attribute' is required")
        kind = item.get("search_type")
        if kind not in CONDITION_TYPES:
            raise InvalidRequestError(
                f"'search_type' must be one of [{', '.join(sorted(CONDITION_TYPES))}]"
            )
        if "search_value" not in item:
            raise InvalidRequestError("'search_value' is required")
        search_value = item["search_value"]
        if kind == "between" and not (isinstance(search_value, list) and len(search_value) == 2):
            raise InvalidRequestError("'search_value' must be an array of two values for between")
        parsed.append(Condition(attribute=attribute, type=kind, value=search_value))
    return parsed


def _operator(value: Any) -> Any:
    if not isinstance(value, str) or value.lower() not in ("and", "or"):
        raise InvalidRequestError("'operator' must be one of [and, or]")
    return value.lower()


def _sort(value: Any) -> list[tuple[str, bool]] | None:
    if value is None:
        return None
    keys: list[tuple[str, bool]] = []
    while value is not None:
        if not isinstance(value, dict) or not isinstance(value.get("attribute"), str):
            raise InvalidRequestError("'sort' must be an object with an 'attribute'")
        keys.append((value["attribute"], bool(value.get("descending", False))))
        value = value.get("next")
    return keys


def condition_matches(op: s.SearchByConditions, table: Table) -> Iterator[dict[str, Any]]:
    """Run a search_by_conditions and return the whole matching records (streamed unsorted)."""
    conditions = parse_conditions(require(op.conditions, "conditions"))
    return table.search(
        conditions,
        _operator(op.operator),
        limit=non_negative_int(op.limit, "limit"),
        offset=non_negative_int(op.offset, "offset") or 0,
        sort=_sort(op.sort),
    )


def conditions_search(
    op: s.SearchByConditions, table: Table, user: User | None = None
) -> Iterator[dict[str, Any]]:
    """Run a search_by_conditions and return projected records, streamed when unsorted."""
    project = _projector(op, table, user)
    return map(project, condition_matches(op, table))


@operation(s.SearchByConditions)
def search_by_conditions(op: s.SearchByConditions, ctx: Context) -> list[dict[str, Any]]:
    """Read records matching conditions joined by ``and`` / ``or``, possibly nested."""
    return list(conditions_search(op, table_of(op, ctx.store), ctx.user))
