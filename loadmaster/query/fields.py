"""Field checks of searches and writes, and table lookup, worded as HarperDB words them."""

from typing import Any

from loadmaster.errors import (
    DatabaseNotFoundError,
    InvalidRequestError,
    ServerError,
    SystemDatabaseWriteError,
    TableNotFoundError,
)
from loadmaster.names import DEFAULT_DATABASE, SYSTEM_DATABASE, blank
from loadmaster.storage import Store, Table


def require(value: Any, field: str) -> Any:
    """Return ``value``, or raise ``'<field>' is required`` when it is missing."""
    if blank(value):
        raise InvalidRequestError(f"'{field}' is required")
    return value


def user_database(db: str) -> str:
    """Refuse the ``system`` database where nothing may change it (HarperDB's 403 text).

    Operations that HarperDB lets use the system database check its rules first
    (``auth.system_rules``) and then look the table up with :func:`system_table`.
    """
    if db == SYSTEM_DATABASE:
        raise SystemDatabaseWriteError
    return db


def system_table(store: Store, table: Any) -> Table:
    """Return a system table the caller was allowed to use (``auth.system_rules``)."""
    return store.table(SYSTEM_DATABASE, str(require(table, "table")))


def find_table(store: Store, db: str, table: str, *, status: int | None = None) -> Table:
    """Return a table; the default database ``data`` always exists, even before its first table.

    Args:
        store: The store to look in.
        db: The database.
        table: The table.
        status: The status a missing database or table is answered with, when it is not 404
            (HarperDB answers 400 for inserts and job submits).

    Raises:
        DatabaseNotFoundError: Another database is missing.
        TableNotFoundError: The table is missing.
    """
    if db == DEFAULT_DATABASE and not store.has_database(db):
        raise TableNotFoundError(db, table, status_code=status)
    try:
        return store.table(db, table)
    except TableNotFoundError as exc:
        if status is None:
            raise
        raise TableNotFoundError(exc.database, exc.table, status_code=status) from exc
    except DatabaseNotFoundError as exc:
        if status is None:
            raise
        raise DatabaseNotFoundError(exc.database, status_code=status) from exc


def table_at(store: Store, db: str, table: Any, *, status: int | None = None) -> Table:
    """Return the table a request names: ``table`` required, ``system`` refused (403), then
    looked up (see :func:`find_table` for ``status``)."""
    name = require(table, "table")
    return find_table(store, user_database(db), str(name), status=status)


def records_list(value: Any) -> list[dict[str, Any]]:
    """Check a ``records`` field: present, an array, and of objects."""
    if value is None:
        raise InvalidRequestError("'records' is required")
    if not isinstance(value, list):
        raise InvalidRequestError("'records' must be an array")
    for record in value:
        if not isinstance(record, dict):
            raise InvalidRequestError("'records' must be an array of objects")
    return value


Refusal = type[InvalidRequestError] | type[ServerError]


def _names(value: Any) -> bool:
    # Names may be sent as numbers: they then match no attribute (HarperDB's "unknown
    # attribute '4289'"), but they are not malformed.
    return all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in value)


def attributes_list(
    value: Any, *, error: Refusal = InvalidRequestError, required: bool = False
) -> list[str]:
    """Check ``get_attributes``: absent means every attribute (``*``) unless ``required``;
    refusals are ``error`` (HarperDB answers 500 in the searches by id and value)."""
    if value is None:
        if required:
            raise error("'get_attributes' is required")
        return ["*"]
    if not isinstance(value, list):
        raise error("'get_attributes' must be an array")
    if required and not value:
        raise error("'get_attributes' must contain at least 1 item")
    if not _names(value):
        raise error("'get_attributes' must be strings or numbers")
    return value


def keys_list(value: Any, field: str, *, error: Refusal = InvalidRequestError) -> list[Any]:
    """Check the primary keys of a search by id (``ids`` / ``hash_values``)."""
    if value is None:
        raise error(f"'{field}' is required")
    if not isinstance(value, list):
        raise error(f"'{field}' must be an array")
    if not _names(value):
        raise error(f"'{field}' must be strings or numbers")
    return value


def paging_number(value: Any, field: str, least: int, error: Refusal) -> int | None:
    """Check an optional ``limit`` (``least`` 1) or ``offset`` (0) as HarperDB does: numeric
    strings are numbers; a violation is ``error`` (a 500 in search_by_value, else a 400)."""
    if value is None:
        return None
    number = value
    if isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            number = None
    if isinstance(number, float) and number.is_integer():
        number = int(number)
    if isinstance(number, bool) or not isinstance(number, int):
        raise error(f"'{field}' must be a number")
    if number < least:
        raise error(f"'{field}' must be greater than or equal to {least}")
    return number
