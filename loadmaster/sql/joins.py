"""Combine the rows of a statement's tables: FROM, then each JOIN in turn (§8).

An ON of the form ``a.x = b.y`` (the new table against an earlier one) is a hash join; any
other ON is tried against every pair. Outer-join gaps are ``None`` records. The FROM table's
order is the outer order; unmatched right-hand rows of RIGHT/FULL joins come last.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from loadmaster.sql.aggregates import hashable
from loadmaster.sql.expressions import Fn, truth
from loadmaster.sql.jsvalues import is_null

__all__ = ["JoinStep", "join_rows"]

Row = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class JoinStep:
    """One JOIN: its kind, the right table's records, its ON, and an equi-join key pair."""

    kind: str
    records: Callable[[], Iterator[dict[str, Any]]]
    on: Fn
    left_key: Fn | None = None
    right_key: Fn | None = None


def _matches(step: JoinStep, position: int, width: int) -> Callable[[Row], list[int]]:
    right = list(step.records())
    pad = (None,) * (width - position - 1)
    if step.left_key is not None and step.right_key is not None:
        buckets: dict[Any, list[int]] = {}
        right_key = step.right_key
        for i, record in enumerate(right):
            value = right_key((None,) * position + (record, *pad))
            if not is_null(value) and not isinstance(value, list | dict):
                buckets.setdefault(hashable(value), []).append(i)
        left_key = step.left_key

        def hashed(row: Row) -> list[int]:
            value = left_key(row)
            if is_null(value) or isinstance(value, list | dict):
                return []
            return buckets.get(hashable(value), [])

        candidates: Callable[[Row], list[int]] = hashed
    else:
        everything = list(range(len(right)))

        def candidates(_row: Row) -> list[int]:
            return everything

    on = step.on

    def find(row: Row) -> list[int]:
        return [i for i in candidates(row) if truth(on((*row, right[i], *pad)))]

    find.right = right  # type: ignore[attr-defined]
    return find


def join_rows(first: Iterator[dict[str, Any]], steps: list[JoinStep]) -> Iterator[Row]:
    """Yield the joined rows as tuples of records (width: 1 + number of joins)."""
    width = 1 + len(steps)
    rows: Iterator[Row] = ((record,) for record in first)
    if not steps:
        return rows
    for position, step in enumerate(steps, 1):
        rows = _join(rows, step, position, width)
    return ((*row, *(None,) * (width - len(row))) for row in rows)


def _join(rows: Iterator[Row], step: JoinStep, position: int, width: int) -> Iterator[Row]:
    find = _matches(step, position, width)
    right: list[dict[str, Any]] = find.right  # type: ignore[attr-defined]
    used: set[int] = set()
    keep_left = step.kind in ("left", "full")
    keep_right = step.kind in ("right", "full")
    for row in rows:
        padded = (*row, *(None,) * (position - len(row)))
        found = find(padded)
        if found:
            used.update(found)
            for i in found:
                yield (*padded, right[i])
        elif keep_left:
            yield (*padded, None)
    if keep_right:
        for i, record in enumerate(right):
            if i not in used:
                yield (*(None,) * position, record)
