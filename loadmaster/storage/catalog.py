"""The catalog of one environment: its databases and tables, kept in the ``__catalog__`` db.

The catalog is read once when the environment opens and then served from memory. Changes are
written in the same write transaction as the data they describe and reach the in-memory copy
only after that transaction commits (see :meth:`Env.write`).
"""

import struct
from typing import Any

import lmdb
import msgspec

from loadmaster.storage.env import Env, WriteTxn

__all__ = [
    "CREATED",
    "UPDATED",
    "AttributeInfo",
    "AttributeMeta",
    "AuditDbs",
    "Catalog",
    "DatabaseMeta",
    "TableMeta",
    "TableState",
]

CREATED = "__createdtime__"
UPDATED = "__updatedtime__"

_CATALOG_DB = b"__catalog__"
_pack_attr_id = struct.Struct(">H").pack
MAX_ATTRIBUTES = 0xFFFF


class AttributeInfo(msgspec.Struct, frozen=True, kw_only=True):
    """Describe one attribute of a table (typed when the table is schema-defined)."""

    name: str
    type: str | None = None
    is_primary_key: bool = False
    indexed: bool = True


class AttributeMeta(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Store one attribute in the catalog; ``id`` prefixes its keys in the table's index db."""

    name: str
    id: int
    type: str | None = None
    is_primary_key: bool = False
    indexed: bool = True


class DatabaseMeta(msgspec.Struct, frozen=True, kw_only=True):
    """Store one database in the catalog."""

    name: str
    seq: int


class TableMeta(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Store one table in the catalog."""

    database: str
    name: str
    primary_key: str
    schema_defined: bool = False
    attributes: tuple[AttributeMeta, ...]
    seq: int
    next_attr_id: int
    next_id: int
    last_updated_record: float | None = None
    #: Whether writes are recorded in the table's audit log (HarperDB's per-table flag).
    audit: bool = False


_db_encoder = msgspec.msgpack.Encoder()
_db_decoder = msgspec.msgpack.Decoder(DatabaseMeta)
_table_decoder = msgspec.msgpack.Decoder(TableMeta)


def _table_key(database: str, table: str) -> bytes:
    return b"t:" + database.encode() + b"\x00" + table.encode()


def _database_key(database: str) -> bytes:
    return b"d:" + database.encode()


def dbi_names(database: str, table: str) -> tuple[bytes, bytes]:
    """Return the names of a table's primary and index databases."""
    suffix = f"{database}.{table}".encode()
    return b"t:" + suffix, b"i:" + suffix


def audit_dbi_names(database: str, table: str) -> tuple[bytes, bytes]:
    """Return the names of a table's audit databases: entries, and their (dupsort) index."""
    suffix = f"{database}.{table}".encode()
    return b"a:" + suffix, b"x:" + suffix


#: A table's audit databases: entries keyed by time, and the username / primary key index.
AuditDbs = tuple["lmdb._Database", "lmdb._Database"]


class TableState:
    """Hold a table's catalog entry, its open named databases and lookups derived from them."""

    __slots__ = ("attrs", "audit", "index", "meta", "prefixes", "primary")

    def __init__(
        self,
        meta: TableMeta,
        primary: "lmdb._Database",
        index: "lmdb._Database",
        previous: "TableState | None" = None,
        audit: AuditDbs | None = None,
    ) -> None:
        self.meta = meta
        self.primary = primary
        self.index = index
        #: The audit log's entries and index dbs; None when the table is not audited.
        self.audit: AuditDbs | None = audit if previous is None else previous.audit
        self.attrs: dict[str, AttributeMeta]
        self.prefixes: dict[str, bytes]
        if previous is not None and previous.meta.attributes is meta.attributes:
            self.attrs = previous.attrs
            self.prefixes = previous.prefixes
        else:
            self.attrs = {a.name: a for a in meta.attributes}
            self.prefixes = {a.name: _pack_attr_id(a.id) for a in meta.attributes}

    def replace(self, **changes: Any) -> "TableState":
        """Return a copy with some catalog fields changed."""
        return TableState(
            msgspec.structs.replace(self.meta, **changes), self.primary, self.index, self
        )


def open_audit_dbs(env: Env, wtxn: WriteTxn, database: str, table: str) -> AuditDbs:
    """Open (creating) a table's audit databases inside a write transaction."""
    entries, index = audit_dbi_names(database, table)
    return env.open_db(wtxn, entries), env.open_db(wtxn, index, dupsort=True)


class Catalog:
    """Serve one environment's catalog from memory and persist its changes."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.databases: dict[str, DatabaseMeta] = {}
        self.tables: dict[tuple[str, str], TableState] = {}
        self._db: lmdb._Database | None = None
        env.write(self._load)

    def _load(self, wtxn: WriteTxn) -> None:
        catalog_db = self.env.open_db(wtxn, _CATALOG_DB)
        databases: dict[str, DatabaseMeta] = {}
        tables: dict[tuple[str, str], TableState] = {}
        for key, value in wtxn.txn.cursor(catalog_db):
            if key.startswith(b"d:"):
                dmeta = _db_decoder.decode(value)
                databases[dmeta.name] = dmeta
            elif key.startswith(b"t:"):
                tmeta = _table_decoder.decode(value)
                primary_name, index_name = dbi_names(tmeta.database, tmeta.name)
                tables[(tmeta.database, tmeta.name)] = TableState(
                    tmeta,
                    self.env.open_db(wtxn, primary_name),
                    self.env.open_db(wtxn, index_name, dupsort=True),
                    audit=open_audit_dbs(self.env, wtxn, tmeta.database, tmeta.name)
                    if tmeta.audit
                    else None,
                )

        def publish() -> None:
            self._db = catalog_db
            self.databases = databases
            self.tables = tables

        wtxn.after_commit(publish)

    @property
    def db(self) -> "lmdb._Database":
        """Return the handle of the ``__catalog__`` named database."""
        if self._db is None:
            raise RuntimeError("catalog used before it was loaded")
        return self._db

    def next_database_seq(self) -> int:
        """Return a sequence number that orders a new database after the existing ones."""
        return max((d.seq for d in self.databases.values()), default=0) + 1

    def next_table_seq(self) -> int:
        """Return a sequence number that orders a new table after the existing ones."""
        return max((t.meta.seq for t in self.tables.values()), default=0) + 1

    def put_database(self, wtxn: WriteTxn, meta: DatabaseMeta) -> None:
        """Write a database entry; the in-memory catalog follows on commit."""
        wtxn.txn.put(_database_key(meta.name), _db_encoder.encode(meta), db=self.db)

        def publish() -> None:
            self.databases = {**self.databases, meta.name: meta}

        wtxn.after_commit(publish)

    def delete_database(self, wtxn: WriteTxn, database: str) -> None:
        """Delete a database entry (its tables are deleted separately)."""
        wtxn.txn.delete(_database_key(database), db=self.db)

        def publish() -> None:
            databases = dict(self.databases)
            databases.pop(database, None)
            self.databases = databases

        wtxn.after_commit(publish)

    def put_table(self, wtxn: WriteTxn, state: TableState) -> None:
        """Write a table entry; the in-memory catalog follows on commit."""
        meta = state.meta
        wtxn.txn.put(_table_key(meta.database, meta.name), _db_encoder.encode(meta), db=self.db)

        def publish() -> None:
            self.tables = {**self.tables, (meta.database, meta.name): state}

        wtxn.after_commit(publish)

    def delete_table(self, wtxn: WriteTxn, database: str, table: str) -> None:
        """Drop a table's named databases and its entry."""
        state = self.tables[(database, table)]
        wtxn.txn.drop(state.primary, delete=True)
        wtxn.txn.drop(state.index, delete=True)
        if state.audit is not None:
            for db in state.audit:
                wtxn.txn.drop(db, delete=True)
        wtxn.txn.delete(_table_key(database, table), db=self.db)

        def publish() -> None:
            tables = dict(self.tables)
            tables.pop((database, table), None)
            self.tables = tables

        wtxn.after_commit(publish)
