"""Counting what a search matches from its index alone, without reading a record.

A job shows ``percent`` and ``eta_seconds`` only when it knows its ``total``: an export whose
search is one condition that an index answers exactly can count its records up front, in
far less time than reading them. Equality is one ``set_key`` and a duplicate count; a range
(``between``, ``greater_than``, ``starts_with``...) steps once per distinct value. Where only
the records could tell (a truncated long value, several conditions, no index, ``contains``
and ``ends_with``, whose walk over every value of the attribute is most of their search), the
count is unknown.
"""

from collections.abc import Sequence
from typing import Literal

import lmdb

from loadmaster.storage.catalog import Catalog
from loadmaster.storage.conditions import Condition, ConditionGroup
from loadmaster.storage.indexing import is_truncated
from loadmaster.storage.keys import NAN_KEY
from loadmaster.storage.reads import IndexRange, table_state
from loadmaster.storage.search import plan_search, single_leaf

__all__ = ["count_matches", "count_run"]


def count_run(
    txn: "lmdb.Transaction[bytes]", db: "lmdb._Database", run: IndexRange, *, dups: bool, nan: bytes
) -> int | None:
    """Count the entries of a run (``dups``: an index, whose duplicates are primary keys).

    ``nan`` is the key of NaN, which no range matches. Returns None when the index cannot
    answer exactly (a run with a key filter, or a truncated key in it).
    """
    if run.key_filter is not None:
        return None
    cursor = txn.cursor(db)
    if run.exact:
        if is_truncated(run.start):
            return None
        if not cursor.set_key(run.start):
            return 0
        return cursor.count() if dups else 1
    stop = run.stop
    if stop is not None and stop <= run.start:
        return 0
    total = 0
    found = cursor.set_range(run.start)
    step = cursor.next_nodup if dups else cursor.next
    while found:
        key = cursor.key()
        if stop is not None and key >= stop:
            break
        if is_truncated(key):
            return None
        if key != nan:
            total += cursor.count() if dups else 1
        found = step()
    return total


def count_matches(
    catalog: Catalog,
    database: str,
    table: str,
    conditions: Sequence[Condition | ConditionGroup],
    operator: Literal["and", "or"],
) -> int | None:
    """Count the records matching ``conditions`` when they are one condition an index (or
    the primary key) answers exactly; else None."""
    state = table_state(catalog, database, table)
    leaf = single_leaf(plan_search(state, conditions, operator))
    if leaf is None or leaf.leaf.run is None:
        return None
    run = leaf.leaf.run
    if leaf.never or run.stop == run.start:
        return 0
    with catalog.env.read() as txn:
        if leaf.primary:
            return count_run(txn, state.primary, run, dups=False, nan=NAN_KEY)
        assert leaf.prefix is not None  # noqa: S101 - an indexed leaf has its prefix
        return count_run(txn, state.index, run, dups=True, nan=leaf.prefix + NAN_KEY)
