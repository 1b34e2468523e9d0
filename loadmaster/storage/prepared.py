"""Insert batches prepared away from the write transaction, possibly in another process.

A bulk load spends most of its Python time turning records into keys: encoding primary keys,
building and sorting index keys, encoding record values. :func:`prepare_inserts` does all of
that from a :class:`TableLayout` snapshot, so a worker process can do it while the writer
commits the previous batch; :func:`apply_prepared` then only checks the snapshot still holds,
skips existing keys and puts sorted bytes, inside one short transaction.
"""

import struct
from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any

import msgspec

from loadmaster.errors import InvalidRequestError, TableNotFoundError
from loadmaster.storage.audit import record as record_audit
from loadmaster.storage.catalog import CREATED, MAX_ATTRIBUTES, UPDATED, AttributeMeta, Catalog
from loadmaster.storage.codec import encode_pk, encode_records
from loadmaster.storage.env import WriteTxn
from loadmaster.storage.indexing import MISSING, index_column
from loadmaster.storage.keys import encode_number, encode_number_column

__all__ = ["PreparedBatch", "StaleLayoutError", "TableLayout", "apply_prepared", "prepare_inserts"]

_pack_attr_id = struct.Struct(">H").pack
_TIMESTAMPS = (CREATED, UPDATED)
_encode_msgpack = msgspec.msgpack.Encoder().encode


class TableLayout(msgspec.Struct, kw_only=True):
    """What preparing inserts needs to know of a table: a snapshot, extended as batches add
    attributes (it is the preparer's own copy)."""

    database: str
    table: str
    primary_key: str
    #: attribute name → (id, indexed)
    attributes: dict[str, tuple[int, bool]]
    next_attr_id: int
    stamped: bool


class PreparedBatch(msgspec.Struct, kw_only=True):
    """Sorted, encoded inserts of one batch, ready for one write transaction."""

    #: Attributes first added by this batch, in id order: (name, id).
    new_attributes: list[tuple[str, int]]
    #: Every attribute id the index keys were built with: (name, id).
    used_attributes: list[tuple[str, int]]
    keys: list[bytes]
    values: list[bytes]
    index_keys: list[bytes]
    index_pks: list[bytes]
    ts: float
    #: Records in the batch, including duplicates of a key within it (skipped).
    records: int


class StaleLayoutError(Exception):
    """Raised when the table changed since the layout a batch was prepared with was taken."""


def layout_of(catalog: Catalog, database: str, table: str) -> TableLayout:
    """Take a layout snapshot of a table."""
    state = catalog.tables.get((database, table))
    if state is None:
        raise TableNotFoundError(database, table)
    meta = state.meta
    return TableLayout(
        database=database,
        table=table,
        primary_key=meta.primary_key,
        attributes={a.name: (a.id, a.indexed) for a in meta.attributes},
        next_attr_id=meta.next_attr_id,
        stamped=CREATED in state.attrs and UPDATED in state.attrs,
    )


def prepare_inserts(
    layout: TableLayout, records: Sequence[Mapping[str, Any]], ts: float
) -> PreparedBatch | None:
    """Prepare a batch of inserts, or return None when it needs the general write path.

    The general path is needed when a record lacks its primary key (ids are generated inside
    the transaction). New attributes are given the next ids of ``layout``, which is updated.

    Raises:
        InvalidRequestError: a bad attribute name or primary key value.
    """
    pk_attr = layout.primary_key
    try:
        pk_values = list(map(itemgetter(pk_attr), records))
    except KeyError:
        return None
    if None in pk_values:
        return None
    keys = encode_number_column(b"", pk_values) or [encode_pk(v) for v in pk_values]
    unique = dict(zip(keys, records, strict=True))
    if len(unique) != len(keys):  # a later duplicate is skipped, as insert skips it: keep first
        unique = {}
        for key, record in zip(keys, records, strict=True):
            unique.setdefault(key, record)
    ordered = sorted(unique)
    rows = list(map(unique.__getitem__, ordered))
    names: dict[str, None] = dict.fromkeys(records[0])
    if set().union(*records) - names.keys():  # rows with other keys: keep first-seen order
        for record in records:
            names.update(dict.fromkeys(record))
    client_stamps = any(name in names for name in _TIMESTAMPS)
    if client_stamps:
        # Clients may not set these (HarperDB drops their values silently).
        rows = [{n: v for n, v in r.items() if n not in _TIMESTAMPS} for r in rows]
        for name in _TIMESTAMPS:
            names.pop(name, None)
    new_attributes = _add_attributes(layout, names)
    index_keys: list[bytes] = []
    index_pks: list[bytes] = []
    used: list[tuple[str, int]] = []
    stamps = _TIMESTAMPS if layout.stamped else ()
    for name in sorted((*names, *stamps), key=lambda n: layout.attributes[n][0]):
        attr_id, indexed = layout.attributes[name]
        used.append((name, attr_id))
        if not indexed or name == pk_attr:
            continue
        prefix = _pack_attr_id(attr_id)
        if name in _TIMESTAMPS:
            index_keys += [prefix + encode_number(ts)] * len(ordered)
            index_pks += ordered
            continue
        try:
            column: list[Any] = list(map(itemgetter(name), rows))
        except KeyError:
            column = [r.get(name, MISSING) for r in rows]
        _sorted_pairs(index_column(prefix, column), ordered, index_keys, index_pks)
    return PreparedBatch(
        new_attributes=new_attributes,
        used_attributes=used,
        keys=ordered,
        values=_encode_stamped(rows, ts) if layout.stamped else encode_records(rows),
        index_keys=index_keys,
        index_pks=index_pks,
        ts=ts,
        records=len(records),
    )


def _sorted_pairs(
    column: list[bytes | None], pks: list[bytes], keys_out: list[bytes], pks_out: list[bytes]
) -> None:
    """Append one attribute's (index key, primary key) pairs, sorted, skipping unindexed ones.

    ``pks`` is sorted, so a stable sort on the index key alone orders the pairs fully; a column
    with few distinct values is grouped instead, which is linear.
    """
    if None in column:
        kept = [i for i, k in enumerate(column) if k is not None]
        column = [column[i] for i in kept]
        pks = [pks[i] for i in kept]
    distinct = set(column)
    if len(distinct) * 4 <= len(column):
        groups: dict[Any, list[bytes]] = {key: [] for key in sorted(distinct)}  # type: ignore[type-var]
        for key, pk in zip(column, pks, strict=True):
            groups[key].append(pk)
        for key, members in groups.items():
            keys_out += [key] * len(members)
            pks_out += members
        return
    order = sorted(range(len(column)), key=column.__getitem__)  # type: ignore[arg-type]
    keys_out += map(column.__getitem__, order)  # type: ignore[arg-type]
    pks_out += map(pks.__getitem__, order)


def _encode_stamped(rows: list[Mapping[str, Any]], ts: float) -> list[bytes]:
    """Encode records with both timestamps added, without copying each record.

    The two timestamp entries are appended to each encoded msgpack map and its entry count
    raised by two (maps that are not fixmap/map16 take the copying path).
    """
    suffix = _encode_msgpack([CREATED, ts, UPDATED, ts])[1:]  # the array's items, headerless
    out: list[bytes] = []
    for encoded, row in zip(encode_records(rows), rows, strict=True):
        head = encoded[0]
        if 0x80 <= head <= 0x8D:
            out.append(bytes((head + 2,)) + encoded[1:] + suffix)
        elif head == 0xDE and (count := int.from_bytes(encoded[1:3], "big")) <= 0xFFFD:
            out.append(b"\xde" + (count + 2).to_bytes(2, "big") + encoded[3:] + suffix)
        else:
            out += encode_records([{**row, CREATED: ts, UPDATED: ts}])
    return out


def _add_attributes(layout: TableLayout, names: Mapping[str, None]) -> list[tuple[str, int]]:
    added: list[tuple[str, int]] = []
    for name in names:
        if name in layout.attributes:
            continue
        if type(name) is not str or "/" in name or "`" in name:
            raise InvalidRequestError("Attribute names cannot include backticks or forward slashes")
        if layout.next_attr_id > MAX_ATTRIBUTES:
            raise InvalidRequestError(f"too many attributes in {layout.database}.{layout.table}")
        layout.attributes[name] = (layout.next_attr_id, True)
        added.append((name, layout.next_attr_id))
        layout.next_attr_id += 1
    return added


def apply_prepared(
    catalog: Catalog, batch: PreparedBatch, database: str, table: str, *, user: str | None = None
) -> int:
    """Write a prepared batch in one transaction; return how many records were inserted.

    Keys that already exist are skipped (insert semantics). The inserted records are one
    audit log entry, written by ``user``.

    Raises:
        StaleLayoutError: the table's attributes no longer match the batch's layout (another
            writer added attributes); nothing was written.
    """

    def body(wtxn: WriteTxn) -> int:
        state = catalog.tables.get((database, table))
        if state is None:
            raise TableNotFoundError(database, table)
        meta = state.meta
        next_id = meta.next_attr_id
        for name, attr_id in batch.new_attributes:
            if name in state.attrs or attr_id != next_id:
                raise StaleLayoutError(name)
            next_id += 1
        new_names = {name for name, _ in batch.new_attributes}
        for name, attr_id in batch.used_attributes:
            if name not in new_names and (
                name not in state.attrs or state.attrs[name].id != attr_id
            ):
                raise StaleLayoutError(name)
        txn = wtxn.txn
        keys, values = batch.keys, batch.values
        index_keys, index_pks = batch.index_keys, batch.index_pks
        if txn.stat(state.primary)["entries"]:
            existing = {k for k, _ in txn.cursor(state.primary).getmulti(keys)}
            if existing:
                kept = [i for i, k in enumerate(keys) if k not in existing]
                keys = [keys[i] for i in kept]
                values = [values[i] for i in kept]
                pairs = [
                    (k, p) for k, p in zip(index_keys, index_pks, strict=True) if p not in existing
                ]
                index_keys = [k for k, _ in pairs]
                index_pks = [p for _, p in pairs]
        if not keys:
            return 0
        txn.cursor(state.index).putmulti(zip(index_keys, index_pks, strict=True), dupdata=True)
        txn.cursor(state.primary).putmulti(zip(keys, values, strict=True))
        record_audit(wtxn, state, "insert", user, batch.ts, keys, values)
        changes: dict[str, Any] = {"last_updated_record": batch.ts}
        if batch.new_attributes:
            changes["attributes"] = (
                *meta.attributes,
                *(AttributeMeta(name=n, id=i) for n, i in batch.new_attributes),
            )
            changes["next_attr_id"] = next_id
        catalog.put_table(wtxn, state.replace(**changes))
        return len(keys)

    return catalog.env.write(body)
