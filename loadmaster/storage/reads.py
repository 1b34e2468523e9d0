"""Short read transactions over a table: chunked scans, point gets and index walks.

No read transaction is held across a ``yield``: a scan reads a chunk, ends its transaction and
then hands the chunk out, resuming after the last key with a new transaction. So a consumer may
write (even to the same table) between chunks, map growth never waits for a slow consumer, and
old snapshots do not pin pages while a big export runs. The price is that a long scan is not one
snapshot: it sees records committed while it runs, each record once, in key order.
"""

from collections.abc import Callable, Iterator, Sequence
from itertools import islice
from typing import Final

import lmdb

from loadmaster.errors import TableNotFoundError
from loadmaster.storage.catalog import Catalog, TableState

__all__ = ["CHUNK", "IndexRange", "get_many", "scan_index", "scan_primary", "table_state"]

CHUNK: Final = 1000

KeyFilter = Callable[[bytes], bool]


def table_state(catalog: Catalog, database: str, table: str) -> TableState:
    """Return the current state of a table, or raise 404 when it has been dropped."""
    state = catalog.tables.get((database, table))
    if state is None:
        raise TableNotFoundError(database, table)
    return state


def _seek_after(cursor: "lmdb.Cursor[bytes]", key: bytes) -> bool:
    if not cursor.set_range(key):
        return False
    return cursor.key() != key or cursor.next()


def _seek_before(cursor: "lmdb.Cursor[bytes]", key: bytes) -> bool:
    if not cursor.set_range(key):
        return cursor.last()
    return cursor.prev()


def scan_primary(
    catalog: Catalog,
    database: str,
    table: str,
    *,
    start: bytes = b"",
    stop: bytes | None = None,
    chunk: int = CHUNK,
    reverse: bool = False,
) -> Iterator[list[tuple[bytes, bytes]]]:
    """Yield ``(primary key, record bytes)`` chunks in key order, ``start <= key < stop``
    (with ``reverse``: every record, last key first)."""
    after: bytes | None = None
    while True:
        state = table_state(catalog, database, table)
        with catalog.env.read() as txn:
            cursor = txn.cursor(state.primary)
            if reverse:
                found = cursor.last() if after is None else _seek_before(cursor, after)
                items = list(islice(cursor.iterprev(), chunk)) if found else []
            else:
                if after is None:
                    found = cursor.set_range(start) if start else cursor.first()
                else:
                    found = _seek_after(cursor, after)
                items = list(islice(cursor.iternext(), chunk)) if found else []
        if not reverse and stop is not None and items and items[-1][0] >= stop:
            items = [item for item in items if item[0] < stop]
            if items:
                yield items
            return
        if not items:
            return
        yield items
        if len(items) < chunk:
            return
        after = items[-1][0]


def get_many(
    catalog: Catalog, database: str, table: str, keys: Sequence[bytes], *, chunk: int = CHUNK
) -> Iterator[list[tuple[bytes, bytes]]]:
    """Yield chunks of ``(primary key, record bytes)`` for the keys that exist, in given order."""
    for begin in range(0, len(keys), chunk):
        part = keys[begin : begin + chunk]
        state = table_state(catalog, database, table)
        with catalog.env.read() as txn:
            get = txn.get
            primary = state.primary
            found = [(k, v) for k in part if (v := get(k, db=primary)) is not None]
        if found:
            yield found


class IndexRange:
    """A run of index (or primary) keys: ``start <= key < stop``, optionally filtered by key.

    ``exact`` marks a single-key run (equality), read with ``set_key`` and its duplicates.
    """

    __slots__ = ("exact", "key_filter", "start", "stop")

    def __init__(
        self,
        start: bytes,
        stop: bytes | None = None,
        *,
        exact: bool = False,
        key_filter: KeyFilter | None = None,
    ) -> None:
        self.start = start
        self.stop = stop
        self.exact = exact
        self.key_filter = key_filter


def walk_range(
    txn: "lmdb.Transaction[bytes]",
    db: "lmdb._Database",
    run: IndexRange,
    *,
    dup_values: bool,
    cap: int | None,
) -> list[bytes] | None:
    """Collect the primary keys of a run (index values, or primary keys themselves).

    Returns ``None`` when more than ``cap`` keys would be collected.
    """
    cursor = txn.cursor(db)
    out: list[bytes] = []
    if run.exact:
        if not cursor.set_key(run.start):
            return out
        if not dup_values:
            return [run.start]
        if cap is not None and cursor.count() > cap:
            return None
        return list(cursor.iternext_dup(keys=False))
    if not cursor.set_range(run.start):
        return out
    stop = run.stop
    key_filter = run.key_filter
    append = out.append
    for key, value in cursor.iternext():
        if stop is not None and key >= stop:
            break
        if key_filter is not None and not key_filter(key):
            continue
        append(value if dup_values else key)
        if cap is not None and len(out) > cap:
            return None
    return out


def scan_index(
    catalog: Catalog, database: str, table: str, run: IndexRange, *, chunk: int = CHUNK
) -> Iterator[list[tuple[bytes, bytes]]]:
    """Yield chunks of ``(index key, primary key)`` entries of a run, in index order."""
    position: tuple[bytes, bytes] | None = None
    while True:
        state = table_state(catalog, database, table)
        with catalog.env.read() as txn:
            cursor = txn.cursor(state.index)
            if position is None:
                found = cursor.set_range(run.start)
            elif cursor.set_range_dup(*position):
                found = cursor.item() != position or cursor.next()
            else:
                found = cursor.set_range(position[0]) and (
                    cursor.key() != position[0] or cursor.next_nodup()
                )
            items: list[tuple[bytes, bytes]] = []
            if found:
                stop = run.stop
                key_filter = run.key_filter
                for item in cursor.iternext():
                    if stop is not None and item[0] >= stop:
                        found = False
                        break
                    if key_filter is None or key_filter(item[0]):
                        items.append(item)
                        if len(items) >= chunk:
                            break
                else:
                    found = False
        if items:
            yield items
            position = items[-1]
        if not found:
            return
