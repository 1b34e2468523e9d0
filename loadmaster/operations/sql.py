"""The ``sql`` operation: one SQL statement, answered synchronously (sql spec §1)."""

from typing import Any

from loadmaster.operations import schema as s
from loadmaster.operations.access import EVERYONE
from loadmaster.operations.handler_context import Context
from loadmaster.operations.table import operation
from loadmaster.sql import run_sql


@operation(s.Sql, access=EVERYONE)
def sql(op: s.Sql, ctx: Context) -> list[dict[str, Any]] | dict[str, Any]:
    """Run the statement with the caller's permissions (checked by the SQL layer, §14)."""
    return run_sql(op.sql, ctx.store, ctx.user)
