"""Searches: every condition type, and/or, nesting, paging, sorting, wildcards, ids_before."""

from typing import Any

import pytest

from loadmaster.errors import InvalidRequestError, ServerError
from loadmaster.storage import Condition, ConditionGroup, Store, Table

PEOPLE = [
    {"id": 1, "name": "Ann", "age": 30, "city": "Oslo", "score": 1.5},
    {"id": 2, "name": "Bob", "age": 25, "city": "Rome"},
    {"id": 3, "name": "Cid", "age": 35.5, "city": "Oslo", "score": None},
    {"id": 4, "name": "Dee", "age": "30", "city": "Bergen"},
    {"id": 5, "name": "Eve", "age": 40, "city": "Rome", "tags": ["a"]},
    {"id": 6, "name": "Annabel", "age": True, "city": "Oslo"},
]


@pytest.fixture
def people(store: Store) -> Table:
    table = store.create_table("dev", "people", "id")
    table.write(PEOPLE, "insert")
    return table


def ids(records: Any) -> list[Any]:
    return [r["id"] for r in records]


def cond(attribute: str, kind: str, value: Any) -> Condition:
    return Condition(attribute=attribute, type=kind, value=value)


@pytest.mark.parametrize(
    ("attribute", "kind", "value", "expected"),
    [
        ("age", "equals", 30, [1]),
        ("age", "equals", 30.0, [1]),
        ("age", "equals", "30", [4]),
        ("age", "equals", True, [6]),
        # ops-more §8.2: equals null also finds records without the attribute.
        ("score", "equals", None, [2, 3, 4, 5, 6]),
        ("name", "contains", "nn", [1, 6]),
        ("name", "starts_with", "Ann", [1, 6]),
        ("name", "ends_with", "e", [4, 5]),
        ("age", "greater_than", 30, [3, 5]),
        ("age", "greater_than_equal", 30, [1, 3, 5]),
        ("age", "less_than", 30, [2]),
        # ops-more §8.2: in the driving index's order (value, then id), not by id.
        ("age", "less_than_equal", 30, [2, 1]),
        ("age", "between", [25, 35.5], [2, 1, 3]),
        ("age", "between", [25, "z"], []),
        ("name", "between", ["B", "D"], [2, 3]),
        ("name", "greater_than", "Cid", [4, 5]),
        ("age", "not_equal", 30, [2, 3, 4, 5, 6]),
        ("id", "equals", 3, [3]),
        ("id", "greater_than", 4, [5, 6]),
        ("id", "between", [2, 3], [2, 3]),
        ("id", "not_equal", 3, [1, 2, 4, 5, 6]),
        ("nope", "equals", 1, []),
        ("nope", "not_equal", 1, [1, 2, 3, 4, 5, 6]),
        ("tags", "equals", ["a"], [5]),
    ],
)
def test_condition_types(
    people: Table, attribute: str, kind: str, value: Any, expected: list[int]
) -> None:
    assert ids(people.search([cond(attribute, kind, value)])) == expected


def test_and_or_and_nesting(people: Table) -> None:
    oslo = cond("city", "equals", "Oslo")
    old = cond("age", "greater_than_equal", 30)
    assert ids(people.search([oslo, old])) == [1, 3]
    # ops-more §8.2: an or is the union in condition order.
    assert ids(people.search([oslo, old], "or")) == [1, 3, 6, 5]
    nested = ConditionGroup(
        operator="or", conditions=[cond("city", "equals", "Rome"), cond("name", "equals", "Dee")]
    )
    assert ids(people.search([nested, cond("age", "not_equal", 40)])) == [2, 4]
    assert ids(people.search([])) == [1, 2, 3, 4, 5, 6]


def test_limit_offset_and_sort(people: Table) -> None:
    every = [cond("id", "greater_than", 0)]
    assert ids(people.search(every, limit=2, offset=1)) == [2, 3]
    by_city = people.search(every, sort=[("city", False), ("name", True)])
    assert ids(by_city) == [4, 3, 6, 1, 5, 2]
    assert ids(people.search(every, sort=[("score", True)], limit=2)) == [1, 3]
    with pytest.raises(InvalidRequestError):
        people.search(every, limit=-1)


def test_malformed_conditions_raise_at_once(people: Table) -> None:
    with pytest.raises(InvalidRequestError):
        people.search([cond("age", "like", 1)])
    with pytest.raises(InvalidRequestError):
        people.search([cond("age", "between", [1])])
    with pytest.raises(InvalidRequestError):
        people.search([cond("age", "equals", 1)], "xor")  # type: ignore[arg-type]


def test_search_value_wildcards(people: Table) -> None:
    assert ids(people.search_value("name", "*")) == [1, 2, 3, 4, 5, 6]
    assert ids(people.search_value("name", "Ann*")) == [1, 6]
    assert ids(people.search_value("name", "*e")) == [4, 5]
    assert ids(people.search_value("name", "*nn*")) == [1, 6]
    assert ids(people.search_value("name", "Bob")) == [2]
    assert ids(people.search_value("age", 40)) == [5]
    assert ids(people.search_value("id", 2)) == [2]
    assert ids(people.search_value("id", "*")) == [1, 2, 3, 4, 5, 6]


def test_starts_with_on_string_primary_keys(store: Store) -> None:
    table = store.create_table("dev", "s", "code")
    table.write([{"code": c} for c in ["ab", "abc", "b", "a\xff", "ab\U0001f600"]], "insert")
    assert [r["code"] for r in table.search_value("code", "ab*")] == ["ab", "abc", "ab\U0001f600"]
    assert [r["code"] for r in table.search_value("code", "*c")] == ["abc"]


def test_ids_before(people: Table) -> None:
    assert sorted(people.ids_before("age", 35.5)) == [1, 2]
    assert sorted(people.ids_before("name", "B")) == [1, 6]
    assert sorted(people.ids_before("id", 3)) == [1, 2]
    assert list(people.ids_before("nope", 3)) == []
    created = people.get([1])[0]["__createdtime__"]
    assert list(people.ids_before("__createdtime__", created)) == []
    assert sorted(people.ids_before("__createdtime__", created + 1)) == [1, 2, 3, 4, 5, 6]


def test_ids_before_while_deleting_in_chunks(store: Store) -> None:
    table = store.create_table("dev", "many", "id")
    table.write([{"id": i, "v": i % 7} for i in range(3000)], "insert")
    deleted = 0
    batch: list[Any] = []
    for pk in table.ids_before("v", 3):
        batch.append(pk)
        if len(batch) == 500:
            deleted += len(table.delete(batch))
            batch = []
    deleted += len(table.delete(batch))
    assert deleted == sum(1 for i in range(3000) if i % 7 < 3)
    assert all(r["v"] >= 3 for r in table.scan())


def test_equals_reads_only_matching_records(store: Store) -> None:
    table = store.create_table("dev", "big", "id")
    table.write(
        [{"id": i, "bucket": i % 1000, "tag": f"t{i % 500}"} for i in range(20_000)], "insert"
    )
    table.stats_records_read = 0
    assert len(list(table.search([cond("bucket", "equals", 7)]))) == 20
    assert table.stats_records_read == 20
    table.stats_records_read = 0
    found = list(table.search([cond("tag", "equals", "t7"), cond("bucket", "equals", 7)]))
    assert ids(found) == list(range(7, 20_000, 1000))
    assert table.stats_records_read == 20
    table.stats_records_read = 0
    assert len(list(table.search([cond("bucket", "between", [10, 11])]))) == 40
    assert len(list(table.search_value("tag", "t49*"))) == 440
    assert len(list(table.search([cond("id", "less_than", 5)]))) == 5
    assert table.stats_records_read == 40 + 440 + 5
    table.stats_records_read = 0
    assert len(list(table.search([cond("bucket", "not_equal", 1)], limit=3))) == 3
    assert table.stats_records_read < 20_000


def test_long_strings_are_indexed_by_prefix(store: Store) -> None:
    table = store.create_table("dev", "long", "id")
    shared = "x" * 600
    a, b = shared + "a" * 1400, shared + "b" * 1400
    table.write([{"id": 1, "s": a}, {"id": 2, "s": b}, {"id": 3, "s": shared}], "insert")
    assert ids(table.search([cond("s", "equals", a)])) == [1]
    assert ids(table.search([cond("s", "equals", b)])) == [2]
    assert ids(table.search([cond("s", "equals", shared)])) == [3]
    assert ids(table.search([cond("s", "starts_with", shared + "a")])) == [1]
    assert ids(table.search([cond("s", "starts_with", shared)])) == [1, 2, 3]
    assert ids(table.search([cond("s", "greater_than", a)])) == [2]
    assert ids(table.search([cond("s", "less_than", b)])) == [1, 3]
    assert ids(table.search([cond("s", "ends_with", "b")])) == [2]
    assert sorted(table.ids_before("s", b)) == [1, 3]
    table.delete([1])
    assert ids(table.search([cond("s", "starts_with", shared)])) == [2, 3]


def test_project(people: Table) -> None:
    record = people.get([2])[0]
    assert list(people.project(record, ["*"])) == [
        "id",
        "__createdtime__",
        "__updatedtime__",
        "name",
        "age",
        "city",
        "score",
        "tags",
    ]
    assert people.project(record, ["*"])["score"] is None
    assert people.project(record, ["city", "id", "score"]) == {
        "city": "Rome",
        "id": 2,
        "score": None,
    }
    with pytest.raises(ServerError, match="unknown attribute 'nope'"):
        people.project(record, ["id", "nope"])


def test_scan_streams_in_key_order(store: Store) -> None:
    table = store.create_table("dev", "order", "id")
    table.write([{"id": i} for i in range(2500, 0, -1)], "insert")
    table.write([{"id": "a"}, {"id": -1.5}], "insert")
    scanned = ids(table.scan())
    assert scanned == [-1.5, *range(1, 2501), "a"]
