"""HarperDB's GROUP BY validation (§7), with its exact 500 texts."""

from loadmaster.errors import SqlError
from loadmaster.sql import nodes as n
from loadmaster.sql.functions import is_aggregate
from loadmaster.sql.naming import text_of
from loadmaster.sql.scope import Scope

__all__ = ["check_group_by"]


def _identity(node: n.Expr, scope: Scope | None) -> object:
    if isinstance(node, n.Column) and scope is not None:
        found = scope.find(node)
        return found if found is not None else node
    return node


def check_group_by(stmt: n.Select, scope: Scope | None) -> None:
    """Refuse a GROUP BY HarperDB refuses.

    Raises:
        SqlError: An unknown grouped column (select aliases included), a grouped column
            missing from the select list, or a plain selected column that is not grouped.
    """
    grouped: list[object] = []
    for node in stmt.group_by:
        if isinstance(node, n.Column) and (scope is None or scope.find(node) is None):
            raise SqlError(f"unknown column '{text_of(node)}' in group by")
        grouped.append(_identity(node, scope))
    selected: list[object] = []
    for item in stmt.items:
        node = item.expr
        if isinstance(node, n.Func) and (
            is_aggregate(node.name) or node.name.upper() == "DISTINCT_ARRAY"
        ):
            continue
        if isinstance(node, n.Star | n.Literal):
            continue
        identity = _identity(node, scope)
        selected.append(identity)
        if isinstance(node, n.Column) and identity not in grouped:
            raise SqlError(f"select column '{text_of(node)}' must be in group by")
    for node, identity in zip(stmt.group_by, grouped, strict=True):
        if identity not in selected:
            raise SqlError(f"group by column '{text_of(node)}' must be in select")
