"""The audit log of a table: one entry per write transaction, written inside that transaction.

Two named databases per audited table (see :func:`catalog.open_audit_dbs`):

* entries: ``big-endian double(timestamp)`` → the entry (msgpack array: operation, user name,
  timestamp, encoded primary keys, the records as stored, or None for a delete). The key of a
  positive double orders as the time does, so a time range is one cursor scan.
* index (dupsort): ``b"U" + user name`` and ``b"H" + encoded primary key`` → timestamp keys, so
  "what did this user write" and "the history of this record" are lookups, oldest first. Keys
  longer than LMDB's limit are truncated and the entry is checked on the way out.

The records are the msgpack bytes already encoded for the table, embedded as they are, so
recording a batch costs one put of the batch's bytes plus one index pair per record.
"""

import math
import struct
from collections.abc import Iterator, Sequence
from typing import Any

import msgspec

from loadmaster.storage.catalog import Catalog, TableState
from loadmaster.storage.codec import lookup_pk
from loadmaster.storage.env import WriteTxn
from loadmaster.storage.keys import MAX_KEY_SIZE, decode_key

__all__ = [
    "AuditEntry",
    "AuditLog",
    "audit_size",
    "delete_entries_before",
    "entries_between",
    "entries_by_key",
    "entries_by_user",
    "record",
]

_pack_ts = struct.Struct(">d").pack
_USER = b"U"
_KEY = b"H"
#: Entries deleted per write transaction by :func:`delete_entries_before`.
DELETE_CHUNK = 1_000


class AuditEntry(msgspec.Struct, array_like=True, frozen=True):
    """One write transaction of one table, as stored in its audit log."""

    operation: str
    user_name: str | None
    timestamp: float
    #: The encoded primary keys of the records, in the order of ``records``.
    keys: list[bytes]
    #: The records as stored after the write (None for a delete: every record is gone); a
    #: ``msgspec.Raw`` msgpack array when written.
    records: Any

    @property
    def hash_values(self) -> list[Any]:
        """Return the primary key values."""
        return [decode_key(k) for k in self.keys]


class _Head(msgspec.Struct, array_like=True, frozen=True):
    """An entry without decoding its records (what deleting it needs)."""

    operation: str
    user_name: str | None
    timestamp: float
    keys: list[bytes]
    records: msgspec.Raw


_encode = msgspec.msgpack.Encoder().encode
_decode_entry = msgspec.msgpack.Decoder(AuditEntry).decode
_decode_head = msgspec.msgpack.Decoder(_Head).decode


def _index_key(tag: bytes, value: bytes) -> bytes:
    return (tag + value)[:MAX_KEY_SIZE]


def record(
    wtxn: WriteTxn,
    state: TableState,
    operation: str,
    user: str | None,
    ts: float,
    keys: Sequence[bytes],
    values: Sequence[bytes] | None,
) -> None:
    """Add the entry of one write transaction to the table's audit log, if it has one.

    Args:
        wtxn: the write transaction that wrote the records.
        state: the table.
        operation: ``insert``, ``update``, ``upsert`` or ``delete``.
        user: the writer's user name; None for writes the server makes itself.
        ts: the transaction's timestamp (the records' ``__updatedtime__``).
        keys: the encoded primary keys written or deleted.
        values: the encoded records as stored, parallel to ``keys``; None for a delete.
    """
    if state.audit is None or not keys:
        return
    entries, index = state.audit
    txn = wtxn.txn
    # The records go in as one msgpack array of the bytes already encoded for the table.
    records = None if values is None else msgspec.Raw(_array_header(len(values)) + b"".join(values))
    while True:
        stamp = _pack_ts(ts)
        entry = AuditEntry(operation, user, ts, list(keys), records)
        if txn.put(stamp, _encode(entry), db=entries, overwrite=False):
            break
        # Only after the clock went back across a restart: keep every entry.
        ts = math.nextafter(ts, math.inf)
    pairs = [(_KEY + k, stamp) for k in keys]
    if max(map(len, keys)) >= MAX_KEY_SIZE:
        pairs = [(k[:MAX_KEY_SIZE], v) for k, v in pairs]
    if user is not None:
        pairs.append((_index_key(_USER, user.encode()), stamp))
    pairs.sort()  # nearly free when the keys came sorted (batches of a load do)
    txn.cursor(index).putmulti(pairs, dupdata=True)


def _array_header(n: int) -> bytes:
    if n < 16:
        return bytes((0x90 | n,))
    if n < 0x10000:
        return b"\xdc" + n.to_bytes(2, "big")
    return b"\xdd" + n.to_bytes(4, "big")


def _state(catalog: Catalog, database: str, table: str) -> TableState | None:
    return catalog.tables.get((database, table))


def entries_between(
    catalog: Catalog, database: str, table: str, start: float, end: float, limit: int | None
) -> list[AuditEntry]:
    """Return the entries with ``start <= timestamp <= end``, oldest first, at most ``limit``."""
    state = _state(catalog, database, table)
    if state is None or state.audit is None or start > end:
        return []
    entries = state.audit[0]
    raw: list[bytes] = []
    stop = _pack_ts(end)
    with catalog.env.read() as txn:
        cursor = txn.cursor(entries)
        if cursor.set_range(_pack_ts(max(start, 0.0))):
            for key, value in cursor:
                if key > stop or (limit is not None and len(raw) >= limit):
                    break
                raw.append(value)
    return [_decode_entry(v) for v in raw]


def _indexed(state: TableState, catalog: Catalog, ikey: bytes) -> list[AuditEntry]:
    assert state.audit is not None  # noqa: S101 - callers checked
    entries, index = state.audit
    raw: list[bytes] = []
    with catalog.env.read() as txn:
        cursor = txn.cursor(index)
        if cursor.set_key(ikey):
            stamps = list(cursor.iternext_dup())
            for stamp in stamps:
                value = txn.get(stamp, db=entries)
                if value is not None:
                    raw.append(value)
    return [_decode_entry(v) for v in raw]


def entries_by_user(catalog: Catalog, database: str, table: str, user: str) -> list[AuditEntry]:
    """Return the entries written by ``user``, oldest first."""
    state = _state(catalog, database, table)
    if state is None or state.audit is None:
        return []
    found = _indexed(state, catalog, _index_key(_USER, user.encode()))
    return [e for e in found if e.user_name == user]


def entries_by_key(
    catalog: Catalog, database: str, table: str, value: Any
) -> list[tuple[AuditEntry, int]]:
    """Return the entries that wrote or deleted the record with primary key ``value``, oldest
    first, each with the position of that record in the entry."""
    state = _state(catalog, database, table)
    key = lookup_pk(value)
    if state is None or state.audit is None or key is None:
        return []
    out: list[tuple[AuditEntry, int]] = []
    for entry in _indexed(state, catalog, _index_key(_KEY, key)):
        out.extend((entry, i) for i, k in enumerate(entry.keys) if k == key)
    return out


def _delete_chunk(wtxn: WriteTxn, state: TableState, stop: bytes) -> int:
    assert state.audit is not None  # noqa: S101 - callers checked
    entries, index = state.audit
    txn = wtxn.txn
    doomed: list[tuple[bytes, bytes]] = []
    pairs: list[tuple[bytes, bytes]] = []
    for stamp, value in txn.cursor(entries):
        if stamp >= stop or len(doomed) >= DELETE_CHUNK:
            break
        doomed.append((stamp, value))
    for stamp, value in doomed:
        head = _decode_head(value)
        pairs.extend((_index_key(_KEY, k), stamp) for k in head.keys)
        if head.user_name is not None:
            pairs.append((_index_key(_USER, head.user_name.encode()), stamp))
        txn.delete(stamp, db=entries)
    pairs.sort()
    delete = txn.delete
    for ikey, stamp in pairs:
        delete(ikey, stamp, db=index)
    return len(doomed)


def delete_entries_before(
    catalog: Catalog, database: str, table: str, before: float
) -> Iterator[int]:
    """Delete the entries older than ``before``, a chunk per write transaction; yield how many
    each chunk deleted."""
    stop = _pack_ts(before) if before > 0 else b""
    while stop:

        def body(wtxn: WriteTxn) -> int:
            state = _state(catalog, database, table)
            if state is None or state.audit is None:
                return 0
            return _delete_chunk(wtxn, state, stop)

        deleted = catalog.env.write(body)
        if not deleted:
            return
        yield deleted


def audit_size(catalog: Catalog, state: TableState) -> int:
    """Return the bytes of pages the table's audit log uses."""
    if state.audit is None:
        return 0
    with catalog.env.read() as txn:
        stats = [txn.stat(db) for db in state.audit]
    psize = catalog.env.lmdb_env.stat()["psize"]
    return sum(s["branch_pages"] + s["leaf_pages"] + s["overflow_pages"] for s in stats) * psize


class AuditLog:
    """Read and prune one table's audit log; get one from :attr:`Table.audit_log`."""

    def __init__(self, catalog: Catalog, database: str, table: str) -> None:
        self._catalog = catalog
        self.database = database
        self.table = table

    def between(self, start: float, end: float, limit: int | None = None) -> list[AuditEntry]:
        """Return the entries with ``start <= timestamp <= end``, oldest first."""
        return entries_between(self._catalog, self.database, self.table, start, end, limit)

    def by_user(self, user: str) -> list[AuditEntry]:
        """Return the entries written by ``user``, oldest first."""
        return entries_by_user(self._catalog, self.database, self.table, user)

    def by_key(self, value: Any) -> list[tuple[AuditEntry, int]]:
        """Return the history of one record: entries and the record's position in each."""
        return entries_by_key(self._catalog, self.database, self.table, value)

    def delete_before(self, before: float) -> Iterator[int]:
        """Delete entries older than ``before`` (epoch ms), a chunk per transaction; yield
        how many each chunk deleted."""
        return delete_entries_before(self._catalog, self.database, self.table, before)
