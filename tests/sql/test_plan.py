"""The prefetch plan reads the index, not the table: equality, ranges, BETWEEN, prefix LIKE;
and a LIMIT without ORDER BY stops reading early (sql spec §3.2, issue 13)."""

import pytest

from loadmaster.instance import Instance
from tests.sql.conftest import answer, ids, where

ROWS = 5000


@pytest.fixture
def big(instance: Instance) -> Instance:
    instance.operation(
        {"operation": "create_table", "database": "b", "table": "big", "primary_key": "id"}
    )
    records = [{"id": i, "n": i % 100, "s": f"name{i}"} for i in range(ROWS)]
    instance.operation({"operation": "insert", "database": "b", "table": "big", "records": records})
    return instance


def reads(instance: Instance, sql: str) -> tuple[int, list[object]]:
    table = instance.store.table("b", "big")
    table.stats_records_read = 0
    rows = answer(instance, sql)
    assert isinstance(rows, list), rows
    return table.stats_records_read, ids(rows)


def test_conditions_are_index_scans(big: Instance) -> None:
    assert reads(big, "SELECT id FROM b.big WHERE n = 5")[0] == 50
    assert reads(big, "SELECT id FROM b.big WHERE n IN (5, 6)")[0] == 100
    assert reads(big, "SELECT id FROM b.big WHERE n > 97")[0] == 100
    assert reads(big, "SELECT id FROM b.big WHERE n BETWEEN 3 AND 4")[0] == 100
    count, found = reads(big, "SELECT id FROM b.big WHERE s LIKE 'NAME19%'")
    assert count == 111
    assert found[:3] == [19, 190, 191]
    count, found = reads(big, "SELECT id FROM b.big WHERE n = 5 AND s LIKE '%05'")
    assert count == 50
    assert found[:3] == [105, 205, 305]
    assert len(found) == 49
    assert reads(big, "SELECT id FROM b.big WHERE id = 7") == (1, [7])


def test_limit_without_order_by_stops_early(big: Instance) -> None:
    count, found = reads(big, "SELECT id FROM b.big LIMIT 5 OFFSET 10")
    assert found == [10, 11, 12, 13, 14]
    assert count < ROWS
    count, found = reads(big, "SELECT id FROM b.big WHERE s LIKE '%9' LIMIT 3")
    assert found == [9, 19, 29]
    assert count < ROWS


def test_or_and_is_null_read_everything(big: Instance) -> None:
    count, found = reads(big, "SELECT id FROM b.big WHERE n = 5 OR id = 1")
    assert count == ROWS
    assert found[:3] == [1, 5, 105]
    assert reads(big, "SELECT id FROM b.big WHERE s IS NULL") == (ROWS, [])


def test_count_star(big: Instance) -> None:
    assert answer(big, "SELECT COUNT(*) FROM b.big") == [{"COUNT(*)": ROWS}]
    assert answer(big, "SELECT COUNT(*) AS c FROM b.big WHERE n < 10") == [{"c": 500}]


def test_string_ranges_follow_harperdb(dogs: Instance) -> None:
    # A string literal's range finds no numbers; a number's range finds every string, and
    # JavaScript's comparison then decides.
    assert where(dogs, "age >= '0'") == []
    assert ids(answer(dogs, "SELECT code FROM sqlp.strs WHERE code > 5"), "code") == [
        "9",
        "10",
        "011",
    ]
    # Array-index keys first; the others in primary-key order (HarperDB: the range's order).
    assert ids(answer(dogs, "SELECT code FROM sqlp.strs WHERE val >= -1"), "code") == [
        "10",
        "011",
        "C",
        "a",
        "aa",
        "b",
    ]
