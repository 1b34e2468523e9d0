"""Counting a search from its index alone: exactly what the search yields, or unknown."""

from typing import Any

import pytest

from loadmaster.storage import Condition, ConditionGroup, Store, Table

LONG = "x" * 600  # longer than an index key: only the record can tell two such values apart
ROWS: list[dict[str, Any]] = [
    {"id": 1, "age": 30, "name": "Ann", "note": LONG + "a"},
    {"id": 2, "age": 30.0, "name": "Annabel", "note": LONG + "b"},
    {"id": 3, "age": "30", "name": "Bob", "note": "short"},
    {"id": 4, "age": float("nan"), "name": "Cid"},
    {"id": 5, "age": 41.5, "name": "Dee", "tags": ["a"]},
    {"id": 6, "age": True, "name": "Eve"},
    {"id": 7, "age": None, "name": "Ann"},
    {"id": 8, "name": "Fay"},
    {"id": 9, "age": -2, "name": "ann"},
]


@pytest.fixture
def table(store: Store) -> Table:
    table = store.create_table("dev", "counted", "id")
    table.write(ROWS, "insert")
    return table


def cond(attribute: str, kind: str, value: Any) -> Condition:
    return Condition(attribute=attribute, type=kind, value=value)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (cond("age", "equals", 30), 2),
        (cond("age", "equals", "30"), 1),
        (Condition(attribute="age", type="equals", value=True), 1),
        (cond("age", "equals", float("nan")), 1),
        (cond("name", "equals", "Ann"), 2),
        (cond("name", "equals", "nobody"), 0),
        (cond("age", "less_than", 31), 3),  # NaN is never in a range
        (cond("age", "less_than_equal", 30), 3),
        (cond("age", "greater_than", 30), 1),
        (cond("age", "between", [-5, 30]), 3),
        (cond("age", "between", [1, "z"]), 0),
        (cond("name", "starts_with", "Ann"), 3),
        (cond("name", "greater_than_equal", "B"), 6),  # "ann" too
        (cond("id", "equals", 3), 1),
        (cond("id", "equals", 99), 0),
        (cond("id", "between", [2, 6]), 5),
        (cond("id", "greater_than", 7), 2),
        (cond("unknown", "equals", 1), 0),
    ],
)
def test_an_indexed_condition_is_counted_as_the_search_finds_it(
    table: Table, condition: Condition, expected: int
) -> None:
    table.stats_records_read = 0
    counted = table.count([condition])
    assert table.stats_records_read == 0  # from the index alone
    assert counted == expected
    assert counted == len(list(table.search([condition])))


@pytest.mark.parametrize(
    "conditions",
    [
        [cond("note", "equals", LONG + "a")],  # a truncated key: two records share it
        [cond("note", "starts_with", LONG)],
        [cond("name", "contains", "nn")],  # walks every name: as dear as the search
        [cond("name", "ends_with", "n")],
        [cond("age", "equals", None)],  # null and missing are not both in the index
        [cond("age", "not_equal", 30)],
        [cond("tags", "equals", ["a"])],
        [cond("age", "equals", 30), cond("name", "equals", "Ann")],
        [ConditionGroup(operator="or", conditions=[cond("age", "equals", 30)] * 2)],
    ],
)
def test_what_only_the_records_can_tell_is_not_counted(
    table: Table, conditions: list[Condition | ConditionGroup]
) -> None:
    assert table.count(conditions) is None


def test_a_group_of_one_condition_is_that_condition(table: Table) -> None:
    nested = [ConditionGroup(operator="and", conditions=[cond("age", "equals", 30)])]
    assert table.count(nested, "or") == 2
