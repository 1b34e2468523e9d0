"""Paging and ordering of the NoSQL searches over real HTTP (ops-more §8)."""

from typing import Any

import httpx
import pytest

from loadmaster.instance import Instance
from tests.e2e.answers import ok, post

pytestmark = pytest.mark.e2e

# Built so that every example of ops-more §8.2 holds: (id, group, location, age).
ROWS = [
    (1, "A", "Denver, NC", 5),
    (2, "A", "Denver, CO", 5),
    (3, "B", "Austin, TX", 8),
    (4, "A", "Boulder, CO", 3),
    (5, "B", "Denver, CO", 6),
    (6, "C", "Austin, TX", 1),
    (7, "C", "Denver, CO", 2),
    (8, "A", "Denver, NC", 2),
    (9, "C", "Boulder, CO", 8),
    (10, "D", "Denver, CO", 10),
    (11, "C", "Denver, CO", None),
]


def ids(records: list[dict[str, Any]]) -> list[Any]:
    return [r["id"] for r in records]


@pytest.fixture
def dogs(h1: httpx.Client) -> httpx.Client:
    ok(h1, {"operation": "create_table", "database": "dev", "table": "dog", "primary_key": "id"})
    records = [{"id": i, "group": g, "location": loc, "age": a} for i, g, loc, a in ROWS]
    ok(h1, {"operation": "insert", "database": "dev", "table": "dog", "records": records})
    return h1


def by_value(client: httpx.Client, table: str = "dog", **fields: Any) -> tuple[int, Any]:
    body = {"operation": "search_by_value", "database": "dev", "table": table, **fields}
    return post(client, {"search_attribute": "id", "search_value": "*", **body})


def by_conditions(client: httpx.Client, *conditions: Any, **fields: Any) -> tuple[int, Any]:
    body = {"operation": "search_by_conditions", "database": "dev", "table": "dog"}
    return post(client, {**body, "conditions": list(conditions), **fields})


def cond(attribute: str, kind: str, value: Any) -> dict[str, Any]:
    return {"search_attribute": attribute, "search_type": kind, "search_value": value}


def test_search_by_value_pages_after_reversing(h1: httpx.Client) -> None:
    ok(h1, {"operation": "create_table", "database": "dev", "table": "n", "primary_key": "id"})
    records = [{"id": i} for i in range(1, 31)]
    ok(h1, {"operation": "insert", "database": "dev", "table": "n", "records": records})
    status, found = by_value(h1, "n", reverse=True, offset=5, limit=5)
    assert (status, ids(found)) == (200, [25, 24, 23, 22, 21])
    assert ids(by_value(h1, "n", desc=True, limit=2)[1]) == [30, 29]
    assert ids(by_value(h1, "n", limit="5")[1]) == [1, 2, 3, 4, 5]
    assert ids(by_value(h1, "n", reverse="yes", limit=2)[1]) == [1, 2]
    assert by_value(h1, "n", offset=40) == (200, [])
    assert by_value(h1, "n", limit=0) == (
        500,
        {"error": "'limit' must be greater than or equal to 1"},
    )
    assert by_value(h1, "n", offset=-1) == (
        500,
        {"error": "'offset' must be greater than or equal to 0"},
    )


def test_search_by_value_orders_by_the_index_it_walks(h1: httpx.Client, dogs: httpx.Client) -> None:
    ok(h1, {"operation": "create_table", "database": "dev", "table": "k", "primary_key": "id"})
    numbers = [10, 3, -1, 4294967296, 2, 0, 1.5]
    strings = ["b", "aa", "9", "a", "C", "10", "011"]
    records = [{"id": k} for k in numbers + strings]
    ok(h1, {"operation": "insert", "database": "dev", "table": "k", "records": records})
    everything = ids(by_value(h1, "k")[1])
    assert everything == [-1, 0, 1.5, 2, 3, 10, 4294967296, "011", "10", "9", "C", "a", "aa", "b"]
    # "*" ignores the attribute and walks the primary key.
    assert ids(by_value(dogs, search_attribute="location")[1]) == list(range(1, 12))
    starts = by_value(dogs, search_attribute="location", search_value="Denver*")[1]
    assert ids(starts) == [2, 5, 7, 10, 11, 1, 8]
    ends = by_value(dogs, search_attribute="location", search_value="*CO", reverse=True)[1]
    assert ids(ends) == [11, 10, 7, 5, 2, 9, 4]
    assert ids(by_value(dogs, search_attribute="group", search_value="C")[1]) == [6, 7, 9, 11]


def test_and_is_driven_by_the_cheapest_condition(dogs: httpx.Client) -> None:
    between = cond("group", "between", ["A", "C"])
    denver = cond("location", "contains", "Denver")
    assert ids(by_conditions(dogs, between, denver)[1]) == [1, 2, 8, 5, 7, 11]
    assert ids(by_conditions(dogs, denver, between)[1]) == [1, 2, 8, 5, 7, 11]
    assert ids(by_conditions(dogs, denver)[1]) == [2, 5, 7, 10, 11, 1, 8]
    starts = cond("location", "starts_with", "Denver")
    assert ids(by_conditions(dogs, starts, offset=3, limit=2)[1]) == [10, 11]
    assert ids(by_conditions(dogs, starts, offset=3, limit=10)[1]) == [10, 11, 1, 8]
    assert ids(by_conditions(dogs, cond("age", "greater_than", 4))[1]) == [1, 2, 5, 3, 9, 10]
    assert ids(by_conditions(dogs, cond("age", "greater_than", 4), reverse=True)[1]) == [
        10,
        9,
        3,
        5,
        2,
        1,
    ]
    assert ids(by_conditions(dogs, cond("age", "equals", None))[1]) == [11]
    assert by_conditions(dogs, starts, offset=20) == (200, [])


def test_or_is_the_union_in_condition_order(dogs: httpx.Client) -> None:
    either = (cond("group", "equals", "D"), cond("age", "equals", 8))
    assert ids(by_conditions(dogs, *either, operator="or")[1]) == [10, 3, 9]
    assert ids(by_conditions(dogs, *either, operator="OR", offset=1, limit=2)[1]) == [3, 9]


def test_sort(dogs: httpx.Client) -> None:
    denver = cond("location", "contains", "Denver")
    by_age = {"attribute": "age", "descending": True}
    # The age index drives: id 11 (age null) is not returned, ties come in reverse key order.
    assert ids(by_conditions(dogs, denver, sort=by_age)[1]) == [10, 5, 2, 1, 8, 7]
    then_age = {"attribute": "location", "next": by_age}
    found = by_conditions(dogs, cond("group", "equals", "C"), sort=then_age)[1]
    assert ids(found) == [6, 9, 7, 11]
    assert by_conditions(dogs, denver, sort={"attribute": "nope"}) == (
        404,
        {"error": "nope is not a defined attribute"},
    )


def test_search_by_conditions_refusals(dogs: httpx.Client) -> None:
    denver = cond("location", "contains", "Denver")
    assert by_conditions(dogs, denver, limit=0) == (
        400,
        {"error": "'limit' must be greater than or equal to 1"},
    )
    assert by_conditions(dogs) == (400, {"error": "'conditions' must contain at least 1 items"})
    assert by_conditions(dogs, cond("age", "bigger", 1)) == (
        400,
        {"error": 'Unknown query comparator "bigger"'},
    )
    assert by_conditions(dogs, cond("color", "equals", "red")) == (
        400,
        {"error": "unknown attribute 'color'"},
    )


def test_paged_index_searches_stop_early(instance: Instance, h1: httpx.Client) -> None:
    ok(h1, {"operation": "create_table", "database": "dev", "table": "big", "primary_key": "id"})
    records = [{"id": i, "name": f"n{i:05d}", "bucket": i % 7} for i in range(5000)]
    ok(h1, {"operation": "insert", "database": "dev", "table": "big", "records": records})
    table = instance.store.table("dev", "big")
    before = table.stats_records_read
    found = by_value(h1, "big", search_attribute="name", search_value="n0*", limit=3)[1]
    assert [r["name"] for r in found] == ["n00000", "n00001", "n00002"]
    backwards = by_value(h1, "big", reverse=True, limit=3)[1]
    assert ids(backwards) == [4999, 4998, 4997]
    bucket = by_conditions_on(h1, "big", cond("bucket", "equals", 3), limit=2)
    assert ids(bucket) == [3, 10]
    # Each read at most a chunk of records, never the table.
    assert 0 < table.stats_records_read - before <= 3 * 1000


def by_conditions_on(client: httpx.Client, table: str, *conditions: Any, **fields: Any) -> Any:
    body = {"operation": "search_by_conditions", "database": "dev", "table": table}
    return ok(client, {**body, "conditions": list(conditions), **fields})
