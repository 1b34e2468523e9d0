"""The store: a data directory holding user databases and the ``system`` database.

Two LMDB environments live under the data directory: ``data/`` for user databases and
``system/`` for the database named ``system`` (job, user and role tables), so that writing a job
record never waits behind a large data write transaction.
"""

import os
import secrets
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Literal

from loadmaster.errors import DatabaseNotFoundError, InvalidRequestError, TableNotFoundError
from loadmaster.names import SYSTEM_DATABASE
from loadmaster.storage.catalog import (
    CREATED,
    UPDATED,
    AttributeInfo,
    AttributeMeta,
    Catalog,
    DatabaseMeta,
    TableMeta,
    TableState,
    dbi_names,
    open_audit_dbs,
)
from loadmaster.storage.env import Env, WriteTxn
from loadmaster.storage.table import Table
from loadmaster.storage.write import check_attribute_name

__all__ = ["Store"]

_MAX_NAME_BYTES = 200


class Store:
    """Open databases and tables of one data directory; open with :meth:`Store.open`."""

    def __init__(self, data: Catalog, system: Catalog) -> None:
        self._data = data
        self._system = system
        self._tables: dict[tuple[str, str], tuple[int, Table]] = {}
        self._lock = threading.Lock()
        self._closed = False

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, map_size: int = 1 << 40) -> "Store":
        """Open (creating) the store in directory ``path``.

        Args:
            path: the data directory; ``data/`` and ``system/`` are made inside it.
            map_size: the initial LMDB map size of each environment (address space only; the
                files grow as used, and the map doubles when it fills up).
        """
        root = Path(path)
        data = Env(root / "data", map_size=map_size)
        try:
            system = Env(root / SYSTEM_DATABASE, map_size=map_size)
        except BaseException:
            data.close()
            raise
        try:
            return cls(Catalog(data), Catalog(system))
        except BaseException:
            data.close()
            system.close()
            raise

    def close(self) -> None:
        """Close both environments; idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            self._system.env.close()
        finally:
            self._data.env.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @staticmethod
    def validate_name(kind: Literal["database", "table"], name: object) -> str:
        """Return ``name`` if it can name a database or table, else raise a 400."""
        label = kind.capitalize()
        if type(name) is not str or not name:
            raise InvalidRequestError(f"'{kind}' is required")
        if "/" in name or "`" in name:
            raise InvalidRequestError(f"{label} names cannot include backticks or forward slashes")
        if "\x00" in name:
            raise InvalidRequestError(f"{label} names cannot include NUL characters")
        if len(name.encode()) > _MAX_NAME_BYTES:
            raise InvalidRequestError(
                f"{label} names cannot be longer than {_MAX_NAME_BYTES} bytes"
            )
        return name

    def _catalog(self, database: str) -> Catalog:
        return self._system if database == SYSTEM_DATABASE else self._data

    # ---------------------------------------------------------------- databases

    def create_database(self, database: str) -> None:
        """Create a database.

        Raises:
            InvalidRequestError: the name is not allowed or the database exists.
        """
        self.validate_name("database", database)
        catalog = self._catalog(database)

        def body(wtxn: WriteTxn) -> None:
            if database in catalog.databases:
                raise InvalidRequestError(f"database '{database}' already exists")
            catalog.put_database(wtxn, DatabaseMeta(name=database, seq=catalog.next_database_seq()))

        catalog.env.write(body)

    def drop_database(self, database: str) -> None:
        """Drop a database and all its tables.

        Raises:
            DatabaseNotFoundError: no such database.
        """
        catalog = self._catalog(database)

        def body(wtxn: WriteTxn) -> None:
            if database not in catalog.databases:
                raise DatabaseNotFoundError(database)
            for db, table in list(catalog.tables):
                if db == database:
                    catalog.delete_table(wtxn, db, table)
            catalog.delete_database(wtxn, database)

        catalog.env.write(body, exclusive=True)
        with self._lock:
            for key in [k for k in self._tables if k[0] == database]:
                del self._tables[key]

    def database_names(self) -> list[str]:
        """Return the user databases' names, sorted (never ``system``)."""
        return sorted(d for d in self._data.databases if d != SYSTEM_DATABASE)

    def has_database(self, database: str) -> bool:
        """Tell whether a database exists."""
        return database in self._catalog(database).databases

    # ---------------------------------------------------------------- tables

    def create_table(
        self,
        database: str,
        table: str,
        primary_key: str,
        attributes: Sequence[AttributeInfo] | None = None,
        *,
        audit: bool = False,
    ) -> Table:
        """Create a table (and its database when missing).

        Without ``attributes`` the table is dynamic: it gets ``__createdtime__`` and
        ``__updatedtime__`` and new attributes as records bring them. With ``attributes`` it is
        schema-defined: those typed attributes (the primary key is added if absent), no
        automatic timestamps unless declared. With ``audit`` every write transaction of the
        table is recorded in its audit log.

        Raises:
            InvalidRequestError: a bad name, or the table exists.
        """
        self.validate_name("database", database)
        self.validate_name("table", table)
        check_attribute_name(primary_key)
        metas = _initial_attributes(primary_key, attributes)
        catalog = self._catalog(database)

        def body(wtxn: WriteTxn) -> None:
            if (database, table) in catalog.tables:
                raise InvalidRequestError(f"Table '{table}' already exists in '{database}'")
            primary_name, index_name = dbi_names(database, table)
            for other in catalog.tables:
                if dbi_names(*other)[0] == primary_name:
                    raise InvalidRequestError(
                        f"Table '{table}' in '{database}' clashes with table '{other[1]}' "
                        f"in '{other[0]}'"
                    )
            if database not in catalog.databases:
                catalog.put_database(
                    wtxn, DatabaseMeta(name=database, seq=catalog.next_database_seq())
                )
            meta = TableMeta(
                database=database,
                name=table,
                primary_key=primary_key,
                schema_defined=attributes is not None,
                attributes=metas,
                seq=catalog.next_table_seq(),
                next_attr_id=len(metas) + 1,
                next_id=int(time.time() * 1000) * 100 + secrets.randbelow(100),
                audit=audit,
            )
            primary = catalog.env.open_db(wtxn, primary_name)
            index = catalog.env.open_db(wtxn, index_name, dupsort=True)
            logs = open_audit_dbs(catalog.env, wtxn, database, table) if audit else None
            catalog.put_table(wtxn, TableState(meta, primary, index, audit=logs))

        catalog.env.write(body)
        return self.table(database, table)

    def drop_table(self, database: str, table: str) -> None:
        """Drop a table and its data.

        Raises:
            DatabaseNotFoundError: no such database.
            TableNotFoundError: no such table in an existing database.
        """
        catalog = self._catalog(database)

        def body(wtxn: WriteTxn) -> None:
            self._check(catalog, database, table)
            catalog.delete_table(wtxn, database, table)

        catalog.env.write(body, exclusive=True)
        with self._lock:
            self._tables.pop((database, table), None)

    @staticmethod
    def _check(catalog: Catalog, database: str, table: str) -> TableState:
        if database not in catalog.databases:
            raise DatabaseNotFoundError(database)
        state = catalog.tables.get((database, table))
        if state is None:
            raise TableNotFoundError(database, table)
        return state

    def table(self, database: str, table: str) -> Table:
        """Return a table.

        Raises:
            DatabaseNotFoundError: no such database (checked first).
            TableNotFoundError: no such table in an existing database.
        """
        catalog = self._catalog(database)
        state = self._check(catalog, database, table)
        with self._lock:
            cached = self._tables.get((database, table))
            if cached is not None and cached[0] == state.meta.seq:
                return cached[1]
            handle = Table(catalog, database, table)
            self._tables[(database, table)] = (state.meta.seq, handle)
            return handle

    def table_names(self, database: str) -> list[str]:
        """Return a database's table names in creation order.

        Raises:
            DatabaseNotFoundError: no such database.
        """
        catalog = self._catalog(database)
        if database not in catalog.databases:
            raise DatabaseNotFoundError(database)
        states = [s for (db, _), s in catalog.tables.items() if db == database]
        return [s.meta.name for s in sorted(states, key=lambda s: s.meta.seq)]

    def audited_tables(self) -> list[tuple[str, str]]:
        """Return ``(database, table)`` of every table that records an audit log."""
        return [k for c in (self._data, self._system) for k, s in c.tables.items() if s.meta.audit]

    def tree_stats(self, database: str) -> dict[str, dict[str, int]]:
        """Return LMDB's B-tree figures of each table's records in a database, by table name."""
        catalog = self._catalog(database)
        states = sorted(
            (s for (db, _), s in catalog.tables.items() if db == database), key=lambda s: s.meta.seq
        )
        with catalog.env.read() as txn:
            stats = [(s.meta.name, txn.stat(s.primary)) for s in states]
        return {
            name: {
                "treeDepth": stat["depth"],
                "treeBranchPageCount": stat["branch_pages"],
                "treeLeafPageCount": stat["leaf_pages"],
                "entryCount": stat["entries"],
                "overflowPages": stat["overflow_pages"],
            }
            for name, stat in stats
        }


def _initial_attributes(
    primary_key: str, attributes: Sequence[AttributeInfo] | None
) -> tuple[AttributeMeta, ...]:
    if attributes is None:
        return (
            AttributeMeta(name=primary_key, id=1, is_primary_key=True),
            AttributeMeta(name=CREATED, id=2),
            AttributeMeta(name=UPDATED, id=3),
        )
    metas: list[AttributeMeta] = []
    seen: set[str] = set()
    for info in attributes:
        check_attribute_name(info.name)
        if info.name in seen:
            raise InvalidRequestError(f"attribute '{info.name}' is declared twice")
        seen.add(info.name)
        metas.append(
            AttributeMeta(
                name=info.name,
                id=len(metas) + 1,
                type=info.type,
                is_primary_key=info.name == primary_key,
                indexed=info.indexed,
            )
        )
    if primary_key not in seen:
        metas.insert(0, AttributeMeta(name=primary_key, id=len(metas) + 1, is_primary_key=True))
    return tuple(metas)
