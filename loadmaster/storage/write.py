"""Writing a batch of records into a table: one call, one write transaction.

Everything that can be checked without the database (attribute names, primary key types, typed
values) is checked before the transaction starts; anything that fails inside it aborts it, so a
call writes all of its records or none. Index and primary puts are gathered, sorted and written
with ``putmulti`` (sorted batch inserts are markedly faster in LMDB).
"""

import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import msgspec

from loadmaster.errors import InvalidRequestError, TableNotFoundError
from loadmaster.storage.audit import record as record_audit
from loadmaster.storage.catalog import (
    CREATED,
    MAX_ATTRIBUTES,
    UPDATED,
    AttributeMeta,
    Catalog,
    TableState,
)
from loadmaster.storage.codec import decode_record, encode_pk, encode_records, lookup_pk
from loadmaster.storage.coerce import coercer
from loadmaster.storage.env import WriteTxn
from loadmaster.storage.indexing import MISSING, constant_pairs, index_key, index_pairs
from loadmaster.storage.keys import encode_number

__all__ = ["WriteResult", "check_attribute_name", "clock", "delete_records", "write_records"]

Action = Literal["insert", "update", "upsert"]
_ACTIONS = frozenset({"insert", "update", "upsert"})
_TIMESTAMPS = frozenset({CREATED, UPDATED})
#: Types whose equal values have equal index keys (an update that keeps one skips its index).
_SAME_KEY = frozenset({str, int, float, bool, type(None)})
UPDATE_WITHOUT_KEY = "a valid hash attribute must be provided with update record"


class WriteResult(msgspec.Struct, frozen=True, kw_only=True):
    """Report what one write call did."""

    written: list[Any]
    """Primary keys written, in input order; ``None`` for generated keys."""
    skipped: list[Any]
    """Primary keys skipped: existing ones for insert, missing ones for update."""
    txn_time: float
    """The epoch-millisecond time stamped on every record of the batch."""


def check_attribute_name(name: Any) -> str:
    """Return ``name`` if it can name an attribute, else raise HarperDB's 400."""
    if type(name) is not str or "/" in name or "`" in name:
        raise InvalidRequestError("Attribute names cannot include backticks or forward slashes")
    return name


def _first_seen(records: Sequence[Mapping[str, Any]], wanted: set[str]) -> list[str]:
    order: list[str] = []
    remaining = set(wanted)
    for record in records:
        for name in record:
            if name in remaining:
                order.append(name)
                remaining.discard(name)
        if not remaining:
            break
    return order


def _coerce_typed(state: TableState, records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    typed = [(a.name, coercer(a.type)) for a in state.meta.attributes if a.type is not None]
    out = []
    for record in records:
        copy = dict(record)
        for name, coerce in typed:
            if name in copy:
                copy[name] = coerce(copy[name], name)
        out.append(copy)
    return out


class _Clock:
    """Hand out one epoch-ms float per write, strictly increasing within the process."""

    def __init__(self) -> None:
        self._last = 0.0

    def tick(self) -> float:
        now = time.time() * 1000
        if now <= self._last:
            now = self._last + 0.001
        self._last = now
        return now


clock = _Clock()


def write_records(
    catalog: Catalog,
    database: str,
    table: str,
    records: Sequence[Mapping[str, Any]],
    action: Action,
    *,
    user: str | None = None,
    coerced: bool = False,
) -> WriteResult:
    """Insert, update or upsert ``records`` in one transaction (see :meth:`Table.write`)."""
    if action not in _ACTIONS:
        raise InvalidRequestError("'action' must be one of [insert, update, upsert]")
    state = catalog.tables.get((database, table))
    if state is None:
        raise TableNotFoundError(database, table)
    if not records:
        return WriteResult(written=[], skipped=[], txn_time=clock.tick())
    try:
        names: set[Any] = set().union(*records)
    except TypeError:
        raise InvalidRequestError("records must be objects") from None
    for name in names - state.attrs.keys():
        check_attribute_name(name)
    if state.meta.schema_defined and not coerced:
        records = _coerce_typed(state, records)
    pk_attr = state.meta.primary_key
    pk_values = [r.get(pk_attr) for r in records]
    if action == "update" and None in pk_values:
        raise InvalidRequestError(UPDATE_WITHOUT_KEY)
    pks = [None if v is None else encode_pk(v) for v in pk_values]

    def body(wtxn: WriteTxn) -> WriteResult:
        current = catalog.tables.get((database, table))
        if current is None:
            raise TableNotFoundError(database, table)
        return _Batch(catalog, current, wtxn).run(records, names, pk_values, pks, action, user)

    return catalog.env.write(body)


def delete_records(
    catalog: Catalog, database: str, table: str, ids: Sequence[Any], *, user: str | None = None
) -> list[Any]:
    """Delete records by primary key in one transaction (see :meth:`Table.delete`)."""
    keyed = [(k, i) for i in ids if (k := lookup_pk(i)) is not None]
    if not keyed:
        return []

    def body(wtxn: WriteTxn) -> list[Any]:
        state = catalog.tables.get((database, table))
        if state is None:
            raise TableNotFoundError(database, table)
        txn = wtxn.txn
        primary, index, prefixes = state.primary, state.index, state.prefixes
        pk_attr = state.meta.primary_key
        deleted: list[Any] = []
        gone: list[bytes] = []
        for key, given in keyed:
            raw = txn.pop(key, db=primary)
            if raw is None:
                continue
            for name, value in decode_record(raw).items():
                prefix = prefixes.get(name)
                if prefix is None or name == pk_attr:
                    continue
                ikey = index_key(prefix, value)
                if ikey is not None:
                    txn.delete(ikey, key, db=index)
            deleted.append(given)
            gone.append(key)
        if deleted:
            ts = clock.tick()
            record_audit(wtxn, state, "delete", user, ts, gone, None)
            catalog.put_table(wtxn, state.replace(last_updated_record=ts))
        return deleted

    return catalog.env.write(body)


class _Batch:
    """The work of one write transaction."""

    def __init__(self, catalog: Catalog, state: TableState, wtxn: WriteTxn) -> None:
        self.catalog = catalog
        self.state = state
        self.wtxn = wtxn
        self.txn = wtxn.txn
        self.ts = clock.tick()

    def _add_attributes(self, records: Sequence[Mapping[str, Any]], names: set[Any]) -> None:
        new = names - self.state.attrs.keys() - _TIMESTAMPS
        if not new:
            return
        meta = self.state.meta
        next_attr = meta.next_attr_id
        added = []
        for name in _first_seen(records, new):
            if next_attr > MAX_ATTRIBUTES:
                raise InvalidRequestError(f"too many attributes in {meta.database}.{meta.name}")
            added.append(AttributeMeta(name=name, id=next_attr))
            next_attr += 1
        self.state = self.state.replace(
            attributes=(*meta.attributes, *added), next_attr_id=next_attr
        )

    def run(
        self,
        records: Sequence[Mapping[str, Any]],
        names: set[Any],
        pk_values: list[Any],
        pks: list[bytes | None],
        action: Action,
        user: str | None,
    ) -> WriteResult:
        self._add_attributes(records, names)
        state = self.state
        meta = state.meta
        txn = self.txn
        primary = state.primary
        ts = self.ts
        pk_attr = meta.primary_key
        stamp_created = CREATED in state.attrs
        stamp_updated = UPDATED in state.attrs
        occupied = txn.stat(primary)["entries"] > 0
        existing: dict[bytes, bytes] = {}
        if occupied:
            wanted = sorted({k for k in pks if k is not None})
            if wanted:
                existing = dict(txn.cursor(primary).getmulti(wanted))

        def fresh(record: Mapping[str, Any]) -> dict[str, Any]:
            if stamp_created and stamp_updated:
                return {**record, CREATED: ts, UPDATED: ts}
            new = dict(record)
            new.pop(CREATED, None)
            new.pop(UPDATED, None)
            if stamp_created:
                new[CREATED] = ts
            if stamp_updated:
                new[UPDATED] = ts
            return new

        def merged(prev: dict[str, Any], record: Mapping[str, Any]) -> dict[str, Any]:
            new = {**prev, **record}
            if stamp_created:
                new[CREATED] = prev.get(CREATED, ts)
            else:
                new.pop(CREATED, None)
            if stamp_updated:
                new[UPDATED] = ts
            else:
                new.pop(UPDATED, None)
            return new

        final: dict[bytes, dict[str, Any]] = {}
        old: dict[bytes, dict[str, Any]] = {}
        written: list[Any] = []
        skipped: list[Any] = []
        next_id = meta.next_id
        for record, key, pk_value in zip(records, pks, pk_values, strict=True):
            if key is None:
                while True:
                    generated = next_id
                    next_id += 1
                    key = encode_number(generated)
                    if key not in final and (not occupied or txn.get(key, db=primary) is None):
                        break
                final[key] = fresh({**record, pk_attr: generated})
                written.append(None)
                continue
            if action == "insert":
                if key in final or key in existing:
                    skipped.append(pk_value)
                    continue
                final[key] = fresh(record)
                written.append(pk_value)
                continue
            prev = final.get(key)
            if prev is None:
                raw = existing.get(key)
                if raw is not None:
                    prev = old[key] = decode_record(raw)
            if prev is None:
                if action == "update":
                    skipped.append(pk_value)
                    continue
                final[key] = fresh(record)
            else:
                final[key] = merged(prev, record)
            written.append(pk_value)

        if final:
            self._write(final, old, stamp_created and stamp_updated, action, user)
        changes: dict[str, Any] = {}
        if next_id != meta.next_id:
            changes["next_id"] = next_id
        if written:
            changes["last_updated_record"] = ts
        if changes:
            self.state = self.state.replace(**changes)
        if self.state is not self.catalog.tables.get((meta.database, meta.name)):
            self.catalog.put_table(self.wtxn, self.state)
        return WriteResult(written=written, skipped=skipped, txn_time=ts)

    def _write(
        self,
        final: dict[bytes, dict[str, Any]],
        old: dict[bytes, dict[str, Any]],
        stamped: bool,
        action: Action,
        user: str | None,
    ) -> None:
        state = self.state
        pk_attr = state.meta.primary_key
        keys = sorted(final)
        values = encode_records([final[k] for k in keys])
        pairs: list[tuple[bytes, bytes]] = []
        removed: list[tuple[bytes, bytes]] = []
        fresh_keys = [k for k in keys if k not in old] if old else keys
        if fresh_keys:
            fresh = [final[k] for k in fresh_keys]
            names: set[str] = set().union(*fresh)
            for name in names:
                attr = state.attrs.get(name)
                if attr is None or not attr.indexed or name == pk_attr:
                    continue
                prefix = state.prefixes[name]
                if stamped and name in _TIMESTAMPS:
                    ts_key = prefix + encode_number(self.ts)
                    pairs.extend(constant_pairs(ts_key, fresh_keys))
                else:
                    pairs.extend(
                        index_pairs(prefix, [r.get(name, MISSING) for r in fresh], fresh_keys)
                    )
        for key, prev in old.items():
            new = final[key]
            for name in prev.keys() | new.keys():
                was, now = prev.get(name, MISSING), new.get(name, MISSING)
                if was is now or (type(was) is type(now) and type(now) in _SAME_KEY and was == now):
                    continue  # an unchanged value keeps its index entry
                attr = state.attrs.get(name)
                if attr is None or not attr.indexed or name == pk_attr:
                    continue
                prefix = state.prefixes[name]
                before = index_key(prefix, was)
                after = index_key(prefix, now)
                if before != after:
                    if before is not None:
                        removed.append((before, key))
                    if after is not None:
                        pairs.append((after, key))
        txn = self.txn
        if removed:
            removed.sort()
            delete = txn.delete
            index = state.index
            for ikey, pk in removed:
                delete(ikey, pk, db=index)
        if pairs:
            pairs.sort()
            txn.cursor(state.index).putmulti(pairs, dupdata=True)
        txn.cursor(state.primary).putmulti(zip(keys, values, strict=True))
        if state.audit is not None:
            # The entry lists the records in the order the request gave them.
            stored = dict(zip(keys, values, strict=True))
            order = list(final)
            record_audit(self.wtxn, state, action, user, self.ts, order, [stored[k] for k in order])
