"""Field checks of the handlers that take a wire operation, worded as HarperDB words them."""

from collections.abc import Sequence
from typing import Any

from loadmaster.errors import InvalidRequestError, ServerError
from loadmaster.names import name_problems
from loadmaster.operations.schema import DatabaseOp, TableOp
from loadmaster.query import table_at
from loadmaster.storage import Store, Table


def check_name(value: Any, kind: str) -> str:
    """Check a database, table or attribute name and return it as a string."""
    problems = name_problems(value, kind)
    if problems:
        raise InvalidRequestError(problems[0])
    return str(value)


def table_of(op: TableOp, store: Store, *, status: int | None = None) -> Table:
    """Return the table an operation names (see :func:`loadmaster.query.table_at`)."""
    return table_at(store, op.db, op.table, status=status)


def check_strings(
    fields: Sequence[tuple[str, Any]],
    error: type[InvalidRequestError] | type[ServerError] = InvalidRequestError,
) -> None:
    """Refuse names sent as numbers (or anything but strings) before anything else, every
    one named, as HarperDB's validators do (ops-more §7).

    Raises:
        InvalidRequestError: ``'<field>' must be a string`` (joined by ``. ``), or ``error``.
    """
    problems = [
        f"'{name}' must be a string"
        for name, value in fields
        if value is not None and not isinstance(value, str)
    ]
    if problems:
        raise error(". ".join(problems))


def database_fields(op: DatabaseOp, *, copied: bool) -> list[tuple[str, Any]]:
    """Return the database fields a validator names: ``database`` (and, where HarperDB copies
    it there first, ``schema`` too), else ``schema``."""
    if op.database is not None:
        return [("database", op.database)] + ([("schema", op.database)] if copied else [])
    return [("schema", op.schema)]
