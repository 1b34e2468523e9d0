"""Field checks shared by handlers, worded as HarperDB words them."""

from typing import Any

from loadmaster.errors import InvalidRequestError, NotFoundError, TableNotFoundError
from loadmaster.operations.schema import DEFAULT_DATABASE, TableOp
from loadmaster.storage import Store, Table

SYSTEM_DATABASE = "system"


def blank(value: Any) -> bool:
    """Tell whether a required field is missing or empty."""
    return value is None or value == ""


def require(value: Any, field: str) -> Any:
    """Return ``value``, or raise ``'<field>' is required`` when it is missing."""
    if blank(value):
        raise InvalidRequestError(f"'{field}' is required")
    return value


def check_name(value: Any, kind: str) -> str:
    """Check a database, table or attribute name and return it as a string."""
    if not isinstance(value, str):
        raise InvalidRequestError(f"{kind} names must be strings")
    if "/" in value or "`" in value:
        raise InvalidRequestError(f"{kind} names cannot include backticks or forward slashes")
    if len(value) > 250:
        raise InvalidRequestError(f"{kind} cannot exceed 250 characters")
    return value


def user_database(db: str) -> str:
    """Refuse the reserved ``system`` database in data operations."""
    if db == SYSTEM_DATABASE:
        raise InvalidRequestError(
            "The 'system' database holds loadmaster's own tables and cannot be used here"
        )
    return db


def find_table(store: Store, db: str, table: str) -> Table:
    """Return a table; the default database ``data`` always exists, even before its first table.

    Raises:
        DatabaseNotFoundError: Another database is missing.
        TableNotFoundError: The table is missing.
    """
    if db == DEFAULT_DATABASE and not store.has_database(db):
        raise TableNotFoundError(db, table)
    return store.table(db, table)


def table_of(op: TableOp, store: Store, *, status: int | None = None) -> Table:
    """Return the table an operation names.

    Args:
        op: The operation.
        store: The store to look in.
        status: The status a missing database or table is answered with, when it is not 404
            (HarperDB answers 400 for inserts and job submits).
    """
    name = require(op.table, "table")
    db = user_database(op.db)
    try:
        return find_table(store, db, str(name))
    except NotFoundError as exc:
        if status is not None:
            exc.status_code = status
        raise


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


def attributes_list(value: Any) -> list[str]:
    """Check ``get_attributes``: absent means every attribute (``*``)."""
    if value is None:
        return ["*"]
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        raise InvalidRequestError("'get_attributes' must be an array of strings")
    return value


def non_negative_int(value: Any, field: str) -> int | None:
    """Check an optional ``limit`` / ``offset``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidRequestError(f"'{field}' must be a non-negative integer")
    return value
