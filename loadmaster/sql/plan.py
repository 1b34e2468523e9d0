"""Which rows of each table a statement reads: HarperDB's index prefetch (§3.2) on our indexes.

HarperDB loads, per table, the union of what an index search finds for each ``column op
literal`` of the WHERE (``=``/``IN`` exact, ``<``…``>=`` ranges), or every row when the WHERE
holds an OR or IS NULL, or a column of the table is used any other way; the whole WHERE then
runs on those rows. We reproduce that, and narrow it further by the conditions every result row
must meet (top-level AND terms: equality, IN, ranges, BETWEEN, ``LIKE 'abc%'``), so such
queries read the index and the matching records only, never the whole table.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import product
from typing import Any

from loadmaster.sql import nodes as n
from loadmaster.sql.aggregates import hashable
from loadmaster.sql.jsvalues import js_number, js_str
from loadmaster.sql.scope import Scope
from loadmaster.storage import Condition, Table, decode_key
from loadmaster.storage.keyed import (
    array_index,
    candidate_keys,
    fetch,
    in_row_order,
    scan_in_row_order,
)

__all__ = ["Prefetch", "normalize_where", "plan_reads"]

_RANGES = {
    "<": "less_than",
    "<=": "less_than_equal",
    ">": "greater_than",
    ">=": "greater_than_equal",
}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
_MAX_CASE_VARIANTS = 64


def _bool_text(value: Any) -> Any:
    if value == "true":
        return True
    if value == "false":
        return False
    return value


def _in_item(value: Any) -> Any:
    if value in ("true", "false"):
        return value == "true"
    if isinstance(value, str) and value.strip() != "":
        number = js_number(value)
        if number == number and js_str(number) == value:
            return number
    return value


def normalize_where(node: n.Expr | None) -> n.Expr | None:
    """Apply HarperDB's literal rewriting to a WHERE: ``'true'``/``'false'`` become booleans
    next to a column, and canonical number strings in ``IN`` lists become numbers."""
    if node is None:
        return None
    if isinstance(node, n.Binary):
        left, right = normalize_where(node.left), normalize_where(node.right)
        assert left is not None  # noqa: S101 - both sides exist
        assert right is not None  # noqa: S101
        if isinstance(left, n.Column) and isinstance(right, n.Literal):
            right = n.Literal(_bool_text(right.value))
        elif isinstance(right, n.Column) and isinstance(left, n.Literal):
            left = n.Literal(_bool_text(left.value))
        return n.Binary(node.op, left, right)
    if isinstance(node, n.Unary):
        inner = normalize_where(node.operand)
        assert inner is not None  # noqa: S101
        return n.Unary(node.op, inner)
    if isinstance(node, n.InList) and isinstance(node.operand, n.Column):
        items = tuple(
            n.Literal(_in_item(i.value)) if isinstance(i, n.Literal) else i for i in node.items
        )
        return n.InList(node.operand, items, node.negated)
    return node


@dataclass
class _Reads:
    """What one table's prefetch found: leaf searches, and whether a column is fully loaded."""

    searches: list[list[Condition]]
    full: bool = False


def _walk_columns(node: n.Expr, scope: Scope, out: dict[int, _Reads]) -> None:
    """Record every column of ``node`` as fully loaded (it is not a simple comparison)."""
    if isinstance(node, n.Column):
        found = scope.find(node)
        if found is not None:
            out.setdefault(found[0], _Reads([])).full = True
        return
    for child in n.children(node):
        _walk_columns(child, scope, out)


def _leaf(node: n.Expr, scope: Scope) -> tuple[int, list[Condition]] | None:
    """Return ``(table, searches)`` when ``node`` is a comparison HarperDB prefetches."""
    if isinstance(node, n.Binary) and node.op in ("=", *_RANGES):
        column, literal, op = node.left, node.right, node.op
        if isinstance(literal, n.Column) and isinstance(column, n.Literal) and op == "=":
            column, literal = literal, column
        if not isinstance(column, n.Column) or not isinstance(literal, n.Literal):
            return None
        found = scope.find(column)
        if found is None:
            return None
        if op == "=":
            return found[0], [Condition(attribute=found[1], type="equals", value=literal.value)]
        return found[0], _range(found[1], op, literal.value)
    if isinstance(node, n.InList) and not node.negated and isinstance(node.operand, n.Column):
        if not all(isinstance(i, n.Literal) for i in node.items):
            return None
        found = scope.find(node.operand)
        if found is None:
            return None
        values = [i.value for i in node.items if isinstance(i, n.Literal)]
        return found[0], [Condition(attribute=found[1], type="equals", value=v) for v in values]
    return None


def _range(attribute: str, op: str, value: Any) -> list[Condition]:
    """Return HarperDB's range search: its index orders numbers before strings, so ``> 5``
    also finds every string and ``< 'b'`` every number (JavaScript then decides)."""
    found = [Condition(attribute=attribute, type=_RANGES[op], value=value)]
    if _is_number(value) and op in (">", ">="):
        found.append(_ALL_STRINGS(attribute))
    elif isinstance(value, str) and op in ("<", "<="):
        found.append(_ALL_NUMBERS(attribute))
    return found


def _ALL_STRINGS(attribute: str) -> Condition:  # noqa: N802 - reads as a constant search
    return Condition(attribute=attribute, type="starts_with", value="")


def _ALL_NUMBERS(attribute: str) -> Condition:  # noqa: N802
    return Condition(attribute=attribute, type="less_than_equal", value=float("inf"))


def _has(node: n.Expr, kinds: tuple[type, ...], op: str | None = None) -> bool:
    if isinstance(node, kinds) and (op is None or getattr(node, "op", None) == op):
        return True
    return any(_has(c, kinds, op) for c in n.children(node))


def _harper_reads(where: n.Expr, scope: Scope, out: dict[int, _Reads]) -> None:
    leaf = _leaf(where, scope)
    if leaf is not None:
        out.setdefault(leaf[0], _Reads([])).searches.append(leaf[1])
    elif isinstance(where, n.Binary) and where.op == "AND":
        _harper_reads(where.left, scope, out)
        _harper_reads(where.right, scope, out)
    elif isinstance(where, n.Unary) and where.op == "NOT":
        _harper_reads(where.operand, scope, out)
    else:
        _walk_columns(where, scope, out)


def _conjuncts(node: n.Expr) -> Iterator[n.Expr]:
    if isinstance(node, n.Binary) and node.op == "AND":
        yield from _conjuncts(node.left)
        yield from _conjuncts(node.right)
    else:
        yield node


def _case_variants(prefix: str) -> list[str] | None:
    letters = sum(1 for ch in prefix if ch.lower() != ch.upper())
    if 2**letters > _MAX_CASE_VARIANTS:
        return None
    choices = [sorted({ch.lower(), ch.upper()}) for ch in prefix]
    return ["".join(p) for p in product(*choices)]


def _is_number(value: Any) -> bool:
    return type(value) is int or type(value) is float


def _like_prefix(pattern: str) -> str | None:
    cut = min((i for i, ch in enumerate(pattern) if ch in "%_["), default=len(pattern))
    prefix = pattern[:cut]
    if prefix == "" or prefix[0] in "0123456789+-. " or "true".startswith(prefix.lower()):
        return None  # numbers and booleans are LIKE-matched through their text too
    if "false".startswith(prefix.lower()) or "null".startswith(prefix.lower()):
        return None
    return prefix


def _narrowing(node: n.Expr, scope: Scope) -> tuple[int, list[Condition]] | None:
    """Return an index search every row meeting the required term ``node`` is found by."""
    if isinstance(node, n.Binary) and node.op in _RANGES:
        # JavaScript coerces ('5' > 4): a number's range plus every string is a superset of
        # the matches; a string literal may match any number, so it narrows nothing.
        leaf = _leaf(node, scope)
        if leaf is None or not _is_number(leaf[1][0].value):
            return None
        attribute = leaf[1][0].attribute
        return leaf[0], [leaf[1][0], _ALL_STRINGS(attribute)]
    leaf = _leaf(node, scope)
    if leaf is not None:
        return leaf
    if isinstance(node, n.Between) and not node.negated and isinstance(node.operand, n.Column):
        found = scope.find(node.operand)
        low, high = node.low, node.high
        if found is None or not isinstance(low, n.Literal) or not isinstance(high, n.Literal):
            return None
        if not (_is_number(low.value) and _is_number(high.value)):
            return None
        value = [low.value, high.value]
        between = Condition(attribute=found[1], type="between", value=value)
        return found[0], [between, _ALL_STRINGS(found[1])]
    if isinstance(node, n.Binary) and node.op == "LIKE" and isinstance(node.left, n.Column):
        right = node.right
        if not isinstance(right, n.Literal) or not isinstance(right.value, str):
            return None
        found = scope.find(node.left)
        prefix = _like_prefix(right.value)
        variants = _case_variants(prefix) if prefix is not None else None
        if found is None or variants is None:
            return None
        return found[0], [
            Condition(attribute=found[1], type="starts_with", value=v) for v in variants
        ]
    return None


@dataclass
class Prefetch:
    """The rows one table contributes: every row, or the records of these primary keys."""

    table: Table
    keys: list[bytes] | None
    #: The index answered the whole WHERE exactly (number or boolean equality): the rows
    #: need not be tested again.
    exact: bool = False

    def records(self) -> Iterator[dict[str, Any]]:
        """Yield the rows in HarperDB's row order (§6.1), streamed."""
        if self.keys is None:
            return scan_in_row_order(self.table)
        return fetch(self.table, self.keys)


def _keys(table: Table, searches: list[list[Condition]], union: bool) -> list[bytes] | None:
    result: set[bytes] | None = None
    for search in searches:
        found = candidate_keys(table, search, "or")
        if found is None:
            if union:
                return None
            continue
        if result is None:
            result = set(found)
        elif union:
            result.update(found)
        else:
            result.intersection_update(found)
    return None if result is None else sorted(result)


def plan_reads(
    where: n.Expr | None, joins: list[n.Expr], scope: Scope, tables: list[Table]
) -> list[Prefetch]:
    """Decide which rows each table of a statement reads (WHERE already normalized)."""
    reads: dict[int, _Reads] = {}
    everything = where is None or _has(where, (n.Binary,), "OR") or _has(where, (n.IsNull,))
    if where is not None and not everything:
        _harper_reads(where, scope, reads)
    for on in joins:
        _walk_columns(on, scope, reads)
    narrowing: dict[int, list[list[Condition]]] = {}
    if where is not None:
        for term in _conjuncts(where):
            found = _narrowing(term, scope)
            if found is not None:
                narrowing.setdefault(found[0], []).append(found[1])
    plans: list[Prefetch] = []
    for index, table in enumerate(tables):
        read = reads.get(index)
        keys: list[bytes] | None = None
        if not everything and read is not None and not read.full and read.searches:
            keys = _keys(table, read.searches, union=True)
        narrow = narrowing.get(index)
        if narrow and keys is not None and read is not None:
            # A term that is the prefetch's only search narrows nothing further.
            narrow = [search for search in narrow if read.searches != [search]]
        if narrow:
            narrowed = _keys(table, narrow, union=False)
            if narrowed is not None:
                keys = narrowed if keys is None else sorted(set(keys) & set(narrowed))
        exact = keys is not None and where is not None and _exact_on(where, scope) == index
        ordered = None if keys is None else in_row_order(keys)
        listed = _primary_key_list(read, table) if ordered is not None and not narrow else None
        if ordered is not None and listed is not None:
            ordered = _listed_order(ordered, listed)
        plans.append(Prefetch(table, ordered, exact))
    return plans


def _primary_key_list(read: _Reads | None, table: Table) -> list[Any] | None:
    """Return the values of a prefetch that is one ``pk IN (...)`` (or ``pk = v``)."""
    if read is None or len(read.searches) != 1:
        return None
    search = read.searches[0]
    if any(c.attribute != table.primary_key or c.type != "equals" for c in search):
        return None
    return [c.value for c in search]


def _listed_order(keys: list[bytes], values: list[Any]) -> list[bytes]:
    """Order keys that are not array indexes as the IN list names them (HarperDB §6.1)."""
    rank: dict[Any, int] = {}
    for position, value in enumerate(values):
        rank.setdefault(hashable(value), position)
    head = [k for k in keys if array_index(decode_key(k)) is not None]
    rest = [k for k in keys if array_index(decode_key(k)) is None]
    rest.sort(key=lambda k: rank.get(hashable(decode_key(k)), len(values)))
    return head + rest


def _exact_on(where: n.Expr, scope: Scope) -> int | None:
    """Return the table whose index answers ``where`` exactly: one ``=``/``IN`` of numbers or
    booleans, whose index keys are never truncated and compare as JavaScript's ``===``."""
    leaf = _leaf(where, scope)
    if leaf is None or len(scope.sources) != 1:
        return None
    for condition in leaf[1]:
        value = condition.value
        if condition.type != "equals" or not (_is_number(value) or type(value) is bool):
            return None
        if type(value) is float and value != value:
            return None
    return leaf[0]
