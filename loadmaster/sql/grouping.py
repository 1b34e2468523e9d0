"""GROUP BY (§7): HarperDB's validation with its exact 500 texts, and the groups' aggregates."""

from collections.abc import Callable, Iterator
from typing import Any

from loadmaster.errors import SqlError
from loadmaster.sql import nodes as n
from loadmaster.sql.aggregates import aggregate, hashable
from loadmaster.sql.expressions import Compiler, Fn, Row
from loadmaster.sql.functions import is_aggregate
from loadmaster.sql.jsvalues import UNDEF
from loadmaster.sql.naming import text_of
from loadmaster.sql.scope import Scope

__all__ = ["check_group_by", "group_results", "groups"]


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


def group_results(
    stmt: n.Select, keys: list[str], compiler: Compiler, group_fns: list[Fn]
) -> Callable[[Row], None] | None:
    """Return what computes AGGR's values once a group's other aggregates are known.

    As alasql's group object ``g``: the grouped columns and the select list's aggregates by
    key, then each AGGR of the select list in order (a later AGGR reads an earlier one). The
    group object rides at the end of the row's aggregate values.
    """
    after = compiler.after
    if not after:
        return None
    grouped = [
        (node.name, fn)
        for node, fn in zip(stmt.group_by, group_fns, strict=True)
        if isinstance(node, n.Column)
    ]
    items = [i.expr for i in stmt.items if not isinstance(i.expr, n.Star)]
    listed = [
        (key, compiler.slots[id(expr)])
        for expr, key in zip(items, keys, strict=False)
        if id(expr) in compiler.slots
    ]
    # The select list's other aggregates, its AGGRs in order, then AGGRs elsewhere (HAVING...).
    aggregates = [(key, slot) for key, slot in listed if slot not in after]
    listed_aggr = [(key, slot, after[slot]) for key, slot in listed if slot in after]
    unlisted = [(slot, fn) for slot, fn in after.items() if slot not in {s for _, s in listed}]

    def finish(row: Row) -> None:
        values = row[-1]
        results = {name: fn(row) for name, fn in grouped}
        values.append(results)
        results.update((key, values[slot]) for key, slot in aggregates)
        for key, slot, fn in listed_aggr:
            values[slot] = results[key] = fn(row)
        for slot, fn in unlisted:
            values[slot] = fn(row)

    return finish


def groups(
    rows: Iterator[Row],
    group_fns: list[Fn],
    compiler: Compiler,
    always_one: bool,
    finish: Callable[[Row], None] | None,
) -> list[Row]:
    """Group rows by the GROUP BY values (first occurrence first); each group becomes its first
    row followed by its aggregate values (one group of none when ``always_one``)."""
    found: dict[Any, list[Row]] = {}
    for row in rows:
        key = tuple(hashable(fn(row)) for fn in group_fns)
        found.setdefault(key, []).append(row)
    if not found and always_one:
        found[()] = []
    out: list[Row] = []
    for members in found.values():
        values: list[Any] = []
        for node, arg in compiler.aggregates:
            if node.name.upper() == "AGGR":
                values.append(UNDEF)  # AGGR: computed by finish, over the results
                continue
            if arg is None:
                collected: list[Any] = [1] * len(members)
            else:
                collected = [arg(m) for m in members]
            values.append(aggregate(node.name, collected, distinct=node.distinct))
        first = (
            members[0]
            if members
            else (None,) * len(compiler.scope.sources if compiler.scope else ())
        )
        row = (*first, values)
        if finish is not None:
            finish(row)
        out.append(row)
    return out
