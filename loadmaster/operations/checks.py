"""Field checks of the handlers that take a wire operation, worded as HarperDB words them."""

from typing import Any

from loadmaster.errors import InvalidRequestError
from loadmaster.names import name_problems
from loadmaster.operations.schema import TableOp
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
