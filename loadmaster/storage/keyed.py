"""Reads for the SQL engine: primary keys of a search, records by key, HarperDB's row order.

HarperDB answers a SELECT without ORDER BY in the order of a JavaScript object keyed by
primary key (sql spec §6.1): keys that are canonical array indexes (integers 0 ... 2**32 - 2, as
numbers or as digit strings without leading zeros) first, ascending, then every other key in
index order. :func:`scan_in_row_order` streams a whole table in that order without holding it.
"""

import re
import struct
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from loadmaster.storage.codec import decode_records
from loadmaster.storage.conditions import Condition, ConditionGroup
from loadmaster.storage.keys import NUM_TAG, STR_TAG, decode_key, encode_key
from loadmaster.storage.reads import get_many, scan_primary, table_state
from loadmaster.storage.search import plan_search
from loadmaster.storage.table import Table

__all__ = ["array_index", "candidate_keys", "fetch", "in_row_order", "scan_in_row_order"]

_LIMIT = 2**32 - 1
_DIGITS = re.compile(r"(0|[1-9][0-9]*)\Z")
_LOW = encode_key(0)
_HIGH = encode_key(_LIMIT)


def array_index(key: Any) -> int | None:
    """Return the array index a primary key reads as in JavaScript, or None."""
    if type(key) is int:
        return key if 0 <= key < _LIMIT else None
    if type(key) is float:
        return int(key) if key.is_integer() and 0 <= key < _LIMIT else None
    if type(key) is str and _DIGITS.match(key):
        value = int(key)
        return value if value < _LIMIT else None
    return None


def candidate_keys(
    table: Table,
    conditions: Sequence[Condition | ConditionGroup],
    operator: Literal["and", "or"] = "and",
) -> list[bytes] | None:
    """Return the sorted primary keys the index finds for ``conditions``, or None when the
    conditions cannot be answered from an index (the caller must scan)."""
    catalog = table._catalog  # storage-internal: the same package
    state = table_state(catalog, table.database, table.name)
    plan = plan_search(state, list(conditions), operator)
    if not plan.indexed:
        return None
    with catalog.env.read() as txn:
        return plan.candidates(txn, state, None)


def fetch(table: Table, keys: Sequence[bytes]) -> Iterator[dict[str, Any]]:
    """Yield the records of these primary keys, in the given order, read in chunks."""
    catalog = table._catalog  # storage-internal: the same package
    for chunk in get_many(catalog, table.database, table.name, keys):
        records = decode_records([v for _, v in chunk])
        table.stats_records_read += len(records)
        yield from records


def in_row_order(keys: Sequence[bytes]) -> list[bytes]:
    """Reorder sorted primary keys as HarperDB's rows come: array indexes first, ascending."""
    low, high = bisect_left(keys, _LOW), bisect_left(keys, _HIGH)
    digits, after = bisect_left(keys, STR_TAG + b"0"), bisect_left(keys, STR_TAG + b":")
    middle = keys[low:high]
    if digits == after and _all_integral([(k, b"") for k in middle]):
        # The common case: integer keys, no digit strings; sorted bytes are numeric order.
        return [*middle, *keys[:low], *keys[high:]]
    indexed: dict[int, bytes] = {}
    rest: list[bytes] = []
    for key in keys:
        position = array_index(decode_key(key))
        if position is None:
            rest.append(key)
        else:
            indexed.setdefault(position, key)
    return [indexed[i] for i in sorted(indexed)] + rest


def _scan(table: Table, start: bytes, stop: bytes | None) -> Iterator[list[tuple[bytes, bytes]]]:
    catalog = table._catalog  # storage-internal: the same package
    return scan_primary(catalog, table.database, table.name, start=start or b"\x00", stop=stop)


def _records(table: Table, chunk: list[tuple[bytes, bytes]]) -> list[dict[str, Any]]:
    records = decode_records([v for _, v in chunk])
    table.stats_records_read += len(records)
    return records


def scan_in_row_order(table: Table) -> Iterator[dict[str, Any]]:
    """Yield every record of a table in HarperDB's row order, streamed.

    Memory holds only the digit-string keys that are array indexes and the fractional number
    keys between 0 and 2**32 (both rare), never the table.
    """
    text_indexes: list[tuple[int, bytes]] = []
    for chunk in _scan(table, STR_TAG + b"0", STR_TAG + b":"):
        for key, _ in chunk:
            position = array_index(decode_key(key))
            if position is not None:
                text_indexes.append((position, key))
    text_indexes.sort()
    taken = {key for _, key in text_indexes}
    fractions: list[bytes] = []
    pending = 0
    for chunk in _scan(table, _LOW, _HIGH):
        if not text_indexes and _all_integral(chunk):
            yield from _records(table, chunk)
            continue
        whole: list[tuple[bytes, bytes]] = []
        for item in chunk:
            position = array_index(decode_key(item[0]))
            if position is None:
                fractions.append(item[0])
                continue
            while pending < len(text_indexes) and text_indexes[pending][0] < position:
                whole.extend(_fetch_raw(table, [text_indexes[pending][1]]))
                pending += 1
            if pending < len(text_indexes) and text_indexes[pending][0] == position:
                pending += 1  # the number and the string collapse into one row
            whole.append(item)
        yield from _records(table, whole)
    yield from fetch(table, [key for _, key in text_indexes[pending:]])
    for chunk in _scan(table, b"", _LOW):
        yield from _records(table, chunk)
    yield from fetch(table, fractions)
    for chunk in _scan(table, _HIGH, STR_TAG):
        yield from _records(table, chunk)
    for chunk in _scan(table, STR_TAG, None):
        yield from _records(table, [item for item in chunk if item[0] not in taken])


def _all_integral(chunk: list[tuple[bytes, bytes]]) -> bool:
    """Tell whether every key of a chunk of non-negative number keys is an integer, in a few
    C-level passes (the common case of integer ids)."""
    n = len(chunk)
    if n == 0:
        return True
    payload = b"".join([key[1:] for key, _ in chunk])
    if len(payload) != 8 * n:
        return False  # some key is a big int with a suffix
    # A key's payload read as a double is the value with its sign flipped: integral alike.
    return all(map(float.is_integer, struct.unpack(f">{n}d", payload)))


def _fetch_raw(table: Table, keys: list[bytes]) -> list[tuple[bytes, bytes]]:
    catalog = table._catalog  # storage-internal: the same package
    return [item for chunk in get_many(catalog, table.database, table.name, keys) for item in chunk]


assert NUM_TAG < STR_TAG  # noqa: S101 - the scan order above relies on it
