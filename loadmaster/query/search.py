"""The NoSQL searches, checked into typed Structs and run against a table, streamed.

The checks run in HarperDB's order (``get_attributes`` first, then the search's own fields),
so that a request with several faults is refused for the same one as before.
"""

from collections.abc import Callable, Iterator, Mapping
from itertools import islice
from typing import Any, Literal

import msgspec

from loadmaster.auth.permissions import readable_attributes
from loadmaster.auth.system_rules import SECRET_FIELDS
from loadmaster.errors import InvalidRequestError, NotFoundError, ServerError
from loadmaster.models import User
from loadmaster.names import SYSTEM_DATABASE
from loadmaster.query.fields import Refusal, attributes_list, keys_list, paging_number, require
from loadmaster.storage import Condition, ConditionGroup, Table
from loadmaster.storage.conditions import CONDITION_TYPES
from loadmaster.storage.search import wildcard_condition

Operator = Literal["and", "or"]


class ValueSearch(msgspec.Struct, frozen=True, kw_only=True):
    """A checked ``search_by_value``: records whose attribute matches a value (``*`` wildcards)."""

    attribute: str
    value: Any
    attributes: list[str]
    offset: int | None = None
    limit: int | None = None
    reverse: bool = False


class ConditionSearch(msgspec.Struct, frozen=True, kw_only=True):
    """A checked ``search_by_conditions``: conditions joined by ``operator``, maybe nested."""

    conditions: list[Condition | ConditionGroup]
    operator: Operator
    attributes: list[str]
    offset: int = 0
    limit: int | None = None
    sort: list[tuple[str, bool]] | None = None
    reverse: bool = False


class IdSearch(msgspec.Struct, frozen=True, kw_only=True):
    """A checked ``search_by_id`` / ``search_by_hash``: records by primary key, in that order."""

    ids: list[Any]
    attributes: list[str]


Search = ValueSearch | ConditionSearch | IdSearch


def value_search(
    *,
    search_attribute: Any,
    search_value: Any,
    get_attributes: Any,
    offset: Any,
    limit: Any,
    reverse: Any = None,
) -> ValueSearch:
    """Check the fields of a search_by_value (HarperDB answers bad paging with a 500).

    Raises:
        InvalidRequestError: A field is missing or of the wrong type (HarperDB's wording).
        ServerError: ``limit`` below 1 or ``offset`` below 0.
    """
    attributes = attributes_list(get_attributes, error=ServerError)
    attribute = require(search_attribute, "search_attribute")
    if search_value is None:
        raise InvalidRequestError("'search_value' is required")
    return ValueSearch(
        attribute=str(attribute),
        value=search_value,
        attributes=attributes,
        offset=paging_number(offset, "offset", 0, ServerError),
        limit=paging_number(limit, "limit", 1, ServerError),
        reverse=reverse is True,
    )


def condition_search(
    *,
    conditions: Any,
    operator: Any,
    get_attributes: Any,
    offset: Any,
    limit: Any,
    sort: Any,
    reverse: Any = None,
) -> ConditionSearch:
    """Check the fields of a search_by_conditions.

    Raises:
        InvalidRequestError: A field is missing or of the wrong type (HarperDB's wording).
    """
    attributes = attributes_list(get_attributes)
    parsed = parse_conditions(require(conditions, "conditions"))
    if not parsed:
        raise InvalidRequestError("'conditions' must contain at least 1 items")
    return ConditionSearch(
        conditions=parsed,
        operator=_operator(operator),
        attributes=attributes,
        limit=paging_number(limit, "limit", 1, InvalidRequestError),
        offset=paging_number(offset, "offset", 0, InvalidRequestError) or 0,
        sort=_sort(sort),
        reverse=reverse is True,
    )


def id_search(
    *,
    ids: Any,
    get_attributes: Any,
    field: str,
    error: Refusal = InvalidRequestError,
    required: bool = False,
) -> IdSearch:
    """Check the fields of a search by primary key; ``field`` names the ids in refusals,
    ``error`` is their kind (HarperDB: a 500), ``required`` whether get_attributes is."""
    attributes = attributes_list(get_attributes, error=error, required=required)
    # HarperDB answers bad hash_values with a 500; ``ids`` is loadmaster's name (400s).
    keys_error = error if field == "hash_values" else InvalidRequestError
    return IdSearch(ids=keys_list(ids, field, error=keys_error), attributes=attributes)


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
            raise InvalidRequestError(f'Unknown query comparator "{kind}"')
        if "search_value" not in item:
            raise InvalidRequestError("'search_value' is required")
        search_value = item["search_value"]
        if kind == "between" and not (isinstance(search_value, list) and len(search_value) == 2):
            raise InvalidRequestError("'search_value' must be an array of two values for between")
        parsed.append(Condition(attribute=attribute, type=kind, value=search_value))
    return parsed


def _operator(value: Any) -> Operator:
    if not isinstance(value, str) or value.lower() not in ("and", "or"):
        raise InvalidRequestError("'operator' must be one of [and, or]")
    return "and" if value.lower() == "and" else "or"


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


def _page(records: Iterator[dict[str, Any]], offset: int | None, limit: int | None) -> Any:
    start = offset or 0
    return islice(records, start, None if limit is None else start + limit)


def _check_attributes(search: ConditionSearch, table: Table) -> None:
    known = set(table.attribute_names())
    pending: list[Condition | ConditionGroup] = list(search.conditions)
    while pending:
        node = pending.pop(0)
        if isinstance(node, ConditionGroup):
            pending[:0] = node.conditions
        elif node.attribute not in known:
            raise InvalidRequestError(f"unknown attribute '{node.attribute}'")
    for attribute, _ in search.sort or ():
        if attribute not in known:
            raise NotFoundError(f"{attribute} is not a defined attribute")


def matches(search: Search, table: Table) -> Iterator[dict[str, Any]]:
    """Run a search and return the whole matching records, streamed (unless sorted), in
    HarperDB's order (ops-more §8)."""
    if isinstance(search, ValueSearch):
        found = table.search_value(search.attribute, search.value, reverse=search.reverse)
        paged: Iterator[dict[str, Any]] = _page(found, search.offset, search.limit)
        return paged
    if isinstance(search, ConditionSearch):
        _check_attributes(search, table)
        return table.search(
            search.conditions,
            search.operator,
            limit=search.limit,
            offset=search.offset,
            sort=search.sort,
            reverse=search.reverse,
        )
    return iter(table.get(search.ids))


def expected_count(search: Search, table: Table) -> int | None:
    """Return how many records :func:`matches` will yield, when the table's count or an
    index tells without reading them (progress totals); else None."""
    if isinstance(search, IdSearch):
        return len(search.ids)
    if isinstance(search, ValueSearch):
        condition = wildcard_condition(search.attribute, search.value)
        found = table.record_count() if condition is None else table.count([condition])
    elif search.sort is not None and search.sort[0][0] != table.primary_key:
        # Sorting through an index leaves out the records without its attribute.
        return None
    else:
        found = table.count(search.conditions, search.operator)
    if found is None:
        return None
    found = max(0, found - (search.offset or 0))
    return found if search.limit is None else min(found, search.limit)


def projector(
    search: Search, table: Table, user: User | None = None
) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """Shape records for ``get_attributes``; with ``user``, ``*`` is narrowed to what that
    user's role may read."""
    attributes = search.attributes
    if user is not None:
        attributes = readable_attributes(user, table, attributes)
    if table.database == SYSTEM_DATABASE:
        # Password hashes and token digests are never answered, not even to super users.
        if "*" in attributes:
            attributes = table.attribute_names()
        attributes = [a for a in attributes if a not in SECRET_FIELDS]
    return table.projector(attributes)


def results(search: Search, table: Table, user: User | None = None) -> Iterator[dict[str, Any]]:
    """Run a search and return projected records, streamed when unsorted."""
    project = projector(search, table, user)
    return map(project, matches(search, table))
