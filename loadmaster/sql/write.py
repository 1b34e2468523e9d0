"""INSERT, UPDATE and DELETE with HarperDB's answers and error texts (§10-§12)."""

from collections.abc import Iterator
from typing import Any

from loadmaster import wording
from loadmaster.errors import (
    DatabaseNotFoundError,
    EvaluationError,
    InvalidRequestError,
    NotFoundError,
    SqlError,
    TableNotFoundError,
)
from loadmaster.sql import nodes as n
from loadmaster.sql.access import Access
from loadmaster.sql.expressions import Compiler, truth
from loadmaster.sql.jsvalues import UNDEF
from loadmaster.sql.plan import normalize_where, plan_reads
from loadmaster.sql.scope import Scope, Source
from loadmaster.storage import Store, Table

__all__ = ["run_delete", "run_insert", "run_update"]

DEFAULT_DATABASE = "data"
INSERT_PROBLEM = "There was a problem performing this insert. Please check the logs and try again."
BAD_NAME = "Attribute names cannot include backticks or forward slashes"
_MAX_NAME_BYTES = 250


def _check_names(names: tuple[str, ...]) -> None:
    for name in names:
        if "/" in name or "`" in name:
            raise InvalidRequestError(BAD_NAME)
        if len(name.encode()) > _MAX_NAME_BYTES:
            raise InvalidRequestError(
                f"transaction aborted due to attribute name {name} being too long. "
                "Attribute names cannot be longer than 250 bytes."
            )


def _insert_table(store: Store, ref: n.TableRef) -> Table:
    db = ref.database or DEFAULT_DATABASE
    try:
        return store.table(db, ref.name)
    except (DatabaseNotFoundError, TableNotFoundError) as exc:
        exc.status_code = 400
        raise


def run_insert(stmt: n.Insert, store: Store, access: Access) -> dict[str, Any]:
    """Insert the VALUES rows; existing primary keys are skipped."""
    ref = stmt.table
    access.check_system([ref], "insert")
    if not access.super_user:
        access.check_tables([n.TableRef(ref.name, ref.database or DEFAULT_DATABASE)], "insert")
    table = _insert_table(store, ref)
    if stmt.from_select:
        raise SqlError(INSERT_PROBLEM)
    if stmt.columns is None:
        raise SqlError("Cannot read properties of undefined (reading 'map')")
    _check_names(stmt.columns)
    names = access.check_timestamp_writes(table, stmt.columns)
    access.check_attributes(table, names, "insert")
    access.raise_if_refused()
    compiler = Compiler(None)
    records: list[dict[str, Any]] = []
    try:
        for row in stmt.rows:
            if len(row) != len(stmt.columns):
                raise SqlError(INSERT_PROBLEM)
            values = [compiler.compile(v)(()) for v in row]
            record = {
                c: (None if v is UNDEF else v) for c, v in zip(stmt.columns, values, strict=True)
            }
            records.append(record)
    except (SqlError, EvaluationError) as exc:
        raise SqlError(INSERT_PROBLEM) from exc
    result = table.write(records, "insert", user=access.user.username)
    total = len(result.written) + len(result.skipped)
    return {
        "message": f"inserted {len(result.written)} of {total} records",
        "inserted_hashes": result.written,
        "skipped_hashes": result.skipped,
    }


def _write_table(store: Store, ref: n.TableRef, access: Access, need: str) -> Table:
    if ref.database is None:
        raise SqlError("schema undefined does not exist")
    access.check_system([ref], need)
    access.check_tables([ref], need)
    try:
        return store.table(ref.database, ref.name)
    except NotFoundError as exc:
        raise SqlError(f"table {ref.database}.{ref.name} does not exist") from exc


def _matching(
    table: Table, ref: n.TableRef, where: n.Expr | None, access: Access, need: str | None
) -> tuple[Scope, Iterator[dict[str, Any]]]:
    names = tuple(table.attribute_names())
    scope = Scope([Source(ref, names, table.primary_key, names)])
    normalized = normalize_where(where)
    test = Compiler(scope).compile(normalized) if normalized is not None else None
    if need is not None:
        access.check_attributes(table, scope.used[0], need)
    reads = plan_reads(normalized, [], scope, [table])

    def rows() -> Iterator[dict[str, Any]]:
        for record in reads[0].records():
            if test is None or truth(test((record,))):
                yield record

    return scope, rows()


def run_update(stmt: n.Update, store: Store, access: Access) -> dict[str, Any]:
    """Apply SET to every record the WHERE finds, as the NoSQL update does."""
    table = _write_table(store, stmt.table, access, "update")
    columns = tuple(name for name, _ in stmt.assignments)
    _check_names(columns)
    names = access.check_timestamp_writes(table, columns)
    access.check_attributes(table, names, "update")
    scope, found = _matching(table, stmt.table, stmt.where, access, "update")
    access.raise_if_refused()
    compiler = Compiler(scope)
    setters = [(name, compiler.compile(expr)) for name, expr in stmt.assignments]
    pk = table.primary_key
    updates: list[dict[str, Any]] = []
    for record in found:
        change: dict[str, Any] = {pk: record.get(pk)}
        for name, fn in setters:
            value = fn((record,))
            change[name] = None if value is UNDEF else value
        updates.append(change)
    result = table.write(updates, "update", user=access.user.username) if updates else None
    written = result.written if result else []
    skipped = result.skipped if result else []
    return {
        "message": f"updated {len(written)} of {len(written) + len(skipped)} records",
        "update_hashes": written,
        "skipped_hashes": skipped,
    }


def run_delete(stmt: n.Delete, store: Store, access: Access) -> dict[str, Any]:
    """Delete every record the WHERE finds."""
    table = _write_table(store, stmt.table, access, "delete")
    _, found = _matching(table, stmt.table, stmt.where, access, None)
    access.raise_if_refused()
    pk = table.primary_key
    ids = [record.get(pk) for record in found]
    deleted = table.delete(ids, user=access.user.username) if ids else []
    return {
        "message": wording.deleted(len(deleted), len(ids)),
        "deleted_hashes": deleted,
        "skipped_hashes": [i for i in ids if i not in deleted],
    }
