"""LMDB storage: databases, tables, records, indexes and searches.

Open a :class:`Store` on a data directory, get a :class:`Table` from it, and write, read and
search records there. Keys are encoded by :func:`encode_key` so that byte order is value order.
"""

from loadmaster.storage.catalog import AttributeInfo
from loadmaster.storage.conditions import Condition, ConditionGroup
from loadmaster.storage.keys import decode_key, encode_key
from loadmaster.storage.prepared import (
    PreparedBatch,
    StaleLayoutError,
    TableLayout,
    prepare_inserts,
)
from loadmaster.storage.store import Store
from loadmaster.storage.table import Table
from loadmaster.storage.write import WriteResult

__all__ = [
    "AttributeInfo",
    "Condition",
    "ConditionGroup",
    "PreparedBatch",
    "StaleLayoutError",
    "Store",
    "Table",
    "TableLayout",
    "WriteResult",
    "decode_key",
    "encode_key",
    "prepare_inserts",
]
