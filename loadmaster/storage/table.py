"""A table: records keyed by primary key, every scalar attribute indexed."""

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Literal

from loadmaster.errors import InvalidRequestError, ServerError
from loadmaster.storage.audit import AuditLog, audit_size
from loadmaster.storage.catalog import (
    CREATED,
    MAX_ATTRIBUTES,
    UPDATED,
    AttributeInfo,
    AttributeMeta,
    Catalog,
    TableState,
)
from loadmaster.storage.codec import decode_record, decode_records, encode_records, lookup_pk
from loadmaster.storage.conditions import Condition, ConditionGroup
from loadmaster.storage.counts import count_matches
from loadmaster.storage.env import WriteTxn
from loadmaster.storage.indexing import index_key, is_truncated
from loadmaster.storage.keys import MAX_KEY_SIZE, NAN_KEY, decode_key, key_kind
from loadmaster.storage.prepared import PreparedBatch, TableLayout, apply_prepared, layout_of
from loadmaster.storage.reads import IndexRange, get_many, scan_index, scan_primary, table_state
from loadmaster.storage.search import check_paging, plan_search, run_search, wildcard_condition
from loadmaster.storage.write import (
    WriteResult,
    check_attribute_name,
    delete_records,
    write_records,
)

__all__ = ["Table"]


class Table:
    """Read and write one table; get one from :meth:`Store.table`.

    Attributes:
        database: the database the table belongs to.
        name: the table's name.
        primary_key: the primary key attribute.
        schema_defined: whether the table was created with typed attributes.
        stats_records_read: records decoded by reads of this object so far (diagnostics; lets
            tests prove that a search used the index).
    """

    def __init__(self, catalog: Catalog, database: str, name: str) -> None:
        state = table_state(catalog, database, name)
        self._catalog = catalog
        self.database = database
        self.name = name
        self.primary_key = state.meta.primary_key
        self.schema_defined = state.meta.schema_defined
        self.stats_records_read = 0

    def __repr__(self) -> str:
        return f"<Table {self.database}.{self.name}>"

    def _state(self) -> TableState:
        return table_state(self._catalog, self.database, self.name)

    def _count(self, n: int) -> None:
        self.stats_records_read += n

    # ---------------------------------------------------------------- attributes

    def attributes(self) -> list[AttributeInfo]:
        """Return the attributes: primary key, timestamps (if any), then creation order."""
        metas = self._state().meta.attributes
        first = [a for a in metas if a.is_primary_key]
        stamps = [a for name in (CREATED, UPDATED) for a in metas if a.name == name]
        rest = [a for a in metas if not a.is_primary_key and a.name not in (CREATED, UPDATED)]
        return [
            AttributeInfo(
                name=a.name, type=a.type, is_primary_key=a.is_primary_key, indexed=a.indexed
            )
            for a in (*first, *stamps, *rest)
        ]

    def attribute_names(self) -> list[str]:
        """Return the attribute names in :meth:`attributes` order."""
        return [a.name for a in self.attributes()]

    def create_attribute(self, name: str) -> None:
        """Add an (untyped, indexed) attribute.

        Raises:
            InvalidRequestError: the name is not allowed or the attribute exists.
        """
        check_attribute_name(name)

        def body(wtxn: WriteTxn) -> None:
            state = self._state()
            meta = state.meta
            if name in state.attrs:
                raise InvalidRequestError(
                    f"attribute '{name}' already exists in {self.database}.{self.name}"
                )
            if meta.next_attr_id > MAX_ATTRIBUTES:
                raise InvalidRequestError(f"too many attributes in {self.database}.{self.name}")
            added = AttributeMeta(name=name, id=meta.next_attr_id)
            self._catalog.put_table(
                wtxn,
                state.replace(
                    attributes=(*meta.attributes, added), next_attr_id=meta.next_attr_id + 1
                ),
            )

        self._catalog.env.write(body)

    def drop_attribute(self, name: str) -> None:
        """Remove an attribute, its values from every record and its index entries.

        Dropping an attribute the table does not have is not an error.

        Raises:
            InvalidRequestError: ``name`` is the primary key.
        """
        if name == self.primary_key:
            raise InvalidRequestError(f"cannot drop the primary key attribute '{name}'")

        def body(wtxn: WriteTxn) -> None:
            state = self._state()
            if name not in state.attrs:
                return
            txn = wtxn.txn
            cursor = txn.cursor(state.primary)
            for key, value in cursor.iternext():
                record = decode_record(value)
                if name in record:
                    del record[name]
                    cursor.put(key, encode_records([record])[0])
            prefix = state.prefixes[name]
            index = txn.cursor(state.index)
            if index.set_range(prefix):
                while index.key()[:2] == prefix:
                    index.delete(dupdata=True)
            meta = state.meta
            self._catalog.put_table(
                wtxn, state.replace(attributes=tuple(a for a in meta.attributes if a.name != name))
            )

        self._catalog.env.write(body)

    # ---------------------------------------------------------------- description

    def record_count(self) -> int:
        """Return the number of records."""
        state = self._state()
        with self._catalog.env.read() as txn:
            return txn.stat(state.primary)["entries"]

    def last_commit(self) -> int:
        """Return the id of the last write committed to this table's environment."""
        return self._catalog.env.last_commit()

    def describe(self) -> dict[str, Any]:
        """Return HarperDB's ``describe_table`` body for this table."""
        state = self._state()
        meta = state.meta
        attributes: list[dict[str, Any]] = []
        for a in self.attributes():
            entry: dict[str, Any] = {"attribute": a.name}
            if a.type is not None:
                entry["type"] = a.type
            if a.is_primary_key:
                entry["is_primary_key"] = True
            elif a.indexed:
                entry["indexed"] = True
            attributes.append(entry)
        env = self._catalog.env.lmdb_env
        with self._catalog.env.read() as txn:
            primary = txn.stat(state.primary)
            index = txn.stat(state.index)
            info = env.info()
            psize = env.stat()["psize"]
        pages = sum(
            s["branch_pages"] + s["leaf_pages"] + s["overflow_pages"] for s in (primary, index)
        )
        body: dict[str, Any] = {
            "schema": self.database,
            "name": self.name,
            "hash_attribute": meta.primary_key,
            "audit": meta.audit,
            "schema_defined": meta.schema_defined,
            "attributes": attributes,
            "db_size": (info["last_pgno"] + 1) * psize,
            "sources": [],
            "record_count": primary["entries"],
            "table_size": pages * psize,
            "db_audit_size": audit_size(self._catalog, state),
        }
        if meta.last_updated_record is not None:
            body["last_updated_record"] = meta.last_updated_record
        return body

    # ---------------------------------------------------------------- writes

    def write(
        self,
        records: Sequence[Mapping[str, Any]],
        action: Literal["insert", "update", "upsert"],
        *,
        user: str | None = None,
        coerced: bool = False,
    ) -> WriteResult:
        """Insert, update or upsert records in one transaction (all or nothing).

        * insert: a record whose primary key exists is skipped (not written).
        * update: a record whose primary key does not exist is skipped; an existing record is
          merged (attributes the update lacks keep their values).
        * upsert: merged when it exists, else written.

        A record without a primary key value gets a generated integer key (reported as
        ``None``). ``__createdtime__`` is set on the first write and kept, ``__updatedtime__``
        on every write, one epoch-ms float per call; values a client sends for them are
        dropped. New attributes are added to the table in the order first seen. ``user`` is the
        writer's user name, recorded in the audit log (None: a write the server makes itself).

        Typed attributes of a schema-defined table are coerced in the insert's wording unless
        ``coerced`` says the caller already coerced them (a load does, in its own wording).

        Raises:
            InvalidRequestError: a bad attribute name, primary key or typed value, or an update
                record without a primary key value.
        """
        return write_records(
            self._catalog, self.database, self.name, records, action, user=user, coerced=coerced
        )

    def layout(self) -> TableLayout:
        """Return a snapshot of what preparing inserts away from this table needs."""
        return layout_of(self._catalog, self.database, self.name)

    def apply(self, batch: PreparedBatch, *, user: str | None = None) -> int:
        """Write inserts prepared by :func:`prepare_inserts`; return how many were new.

        The batch is one entry of the audit log, written by ``user``.

        Raises:
            StaleLayoutError: another writer changed the table's attributes meanwhile; nothing
                was written and the batch must go through :meth:`write` instead.
        """
        return apply_prepared(self._catalog, batch, self.database, self.name, user=user)

    def delete(self, ids: Sequence[Any], *, user: str | None = None) -> list[Any]:
        """Delete records by primary key in one transaction; return the ids that existed.

        ``user`` is the writer's user name, recorded in the audit log.
        """
        return delete_records(self._catalog, self.database, self.name, ids, user=user)

    @property
    def audit_log(self) -> AuditLog:
        """Return the table's audit log (empty when the table is not audited)."""
        return AuditLog(self._catalog, self.database, self.name)

    # ---------------------------------------------------------------- reads

    def get(self, ids: Sequence[Any]) -> list[dict[str, Any]]:
        """Return the records with these primary keys, in the order asked; missing ones skipped."""
        keys = [k for i in ids if (k := lookup_pk(i)) is not None]
        out: list[dict[str, Any]] = []
        for chunk in get_many(self._catalog, self.database, self.name, keys):
            records = decode_records([v for _, v in chunk])
            self._count(len(records))
            out.extend(records)
        return out

    def project(self, record: Mapping[str, Any], attributes: Sequence[str]) -> dict[str, Any]:
        """Shape a record for ``get_attributes``.

        ``["*"]`` gives every table attribute in :meth:`attributes` order, missing ones as
        ``None``; a list of names gives those, in that order.

        Raises:
            ServerError: a named attribute the table does not have (HarperDB answers 500).
        """
        return self.projector(attributes)(record)

    def projector(self, attributes: Sequence[str]) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
        """Return a function shaping records for ``get_attributes`` (see :meth:`project`).

        Names are resolved and checked once, so a search projects each record cheaply.

        Raises:
            ServerError: a named attribute the table does not have (HarperDB answers 500).
        """
        if "*" in attributes:
            names = tuple(self.attribute_names())
        else:
            known = self._state().attrs
            for name in attributes:
                if name not in known:
                    raise ServerError(f"unknown attribute '{name}'")
            names = tuple(attributes)

        def project(record: Mapping[str, Any]) -> dict[str, Any]:
            get = record.get
            return {name: get(name) for name in names}

        return project

    def scan(self, *, reverse: bool = False) -> Iterator[dict[str, Any]]:
        """Yield every record in primary-key order (or backwards), streamed in chunks."""
        for chunk in scan_primary(self._catalog, self.database, self.name, reverse=reverse):
            records = decode_records([v for _, v in chunk])
            self._count(len(records))
            yield from records

    def search(
        self,
        conditions: Sequence[Condition | ConditionGroup],
        operator: Literal["and", "or"] = "and",
        *,
        limit: int | None = None,
        offset: int = 0,
        sort: Sequence[tuple[str, bool]] | None = None,
        reverse: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Yield the records matching ``conditions``, streamed in HarperDB's order (see
        :func:`run_search`: ``reverse``, ``sort`` as ``[(attribute, descending), ...]``); the
        plan is checked at once, so malformed conditions raise here, not on iteration.

        Raises:
            InvalidRequestError: an unknown condition type, a malformed ``between`` value, a
                bad operator or a negative limit/offset.
        """
        check_paging(limit, offset)
        plan = plan_search(self._state(), conditions, operator)
        return run_search(
            self._catalog,
            self.database,
            self.name,
            plan,
            limit=limit,
            offset=offset,
            sort=sort,
            counter=self._count,
            reverse=reverse,
        )

    def search_value(
        self, attribute: str, value: Any, *, reverse: bool = False
    ) -> Iterator[dict[str, Any]]:
        """Yield records as ``search_by_value`` does: ``"*"`` every record (by primary key),
        ``"abc*"`` starts with, ``"*abc"`` ends with, ``"*abc*"`` contains, else equality."""
        condition = wildcard_condition(attribute, value)
        if condition is None:
            return self.scan(reverse=reverse)
        return self.search([condition], reverse=reverse)

    def count(
        self,
        conditions: Sequence[Condition | ConditionGroup],
        operator: Literal["and", "or"] = "and",
    ) -> int | None:
        """Count the records :meth:`search` yields for ``conditions`` (before paging) from an
        index alone, without reading them; None when that takes the records (see
        :mod:`loadmaster.storage.counts`)."""
        return count_matches(self._catalog, self.database, self.name, conditions, operator)

    def ids_before(self, attribute: str, value: Any) -> Iterator[Any]:
        """Yield the primary keys of records whose ``attribute`` is below ``value``.

        Uses the index (or the primary db); values of another kind than ``value`` never count.
        """
        state = self._state()
        bound = index_key(b"", value)
        if bound is None or bound == NAN_KEY:
            return iter(())
        if attribute == state.meta.primary_key:
            return self._pks_before(bound)
        attr = state.attrs.get(attribute)
        if attr is None:
            return iter(())
        if not attr.indexed:
            condition = Condition(attribute=attribute, type="less_than", value=value)
            return (r[self.primary_key] for r in self.search([condition]))
        return self._indexed_before(state.prefixes[attribute], bound, value, attribute)

    def _pks_before(self, bound: bytes) -> Iterator[Any]:
        kind = key_kind(bound)
        start = bytes([kind])
        for chunk in scan_primary(self._catalog, self.database, self.name, start=start, stop=bound):
            for key, _ in chunk:
                if key != NAN_KEY:
                    yield decode_key(key)

    def _indexed_before(
        self, prefix: bytes, bound: bytes, value: Any, attribute: str
    ) -> Iterator[Any]:
        kind = key_kind(bound)
        limit = (prefix + bound)[:MAX_KEY_SIZE]
        run = IndexRange(prefix + bytes([kind]), limit + b"\x00")
        nan = prefix + NAN_KEY
        check = Condition(attribute=attribute, type="less_than", value=value)
        plan = plan_search(self._state(), [check], "and")
        for chunk in scan_index(self._catalog, self.database, self.name, run):
            unsure: list[bytes] = []
            for ikey, pk in chunk:
                if ikey == nan:
                    continue
                if ikey != limit:
                    yield decode_key(pk)
                elif is_truncated(ikey):
                    unsure.append(pk)
            for part in get_many(self._catalog, self.database, self.name, unsure):
                records = decode_records([v for _, v in part])
                self._count(len(records))
                for (pk, _), record in zip(part, records, strict=True):
                    if plan.predicate(record):
                        yield decode_key(pk)
