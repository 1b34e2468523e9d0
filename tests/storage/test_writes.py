"""Writes: insert, update, upsert, delete, generated keys, timestamps, typed tables."""

import math
from pathlib import Path

import pytest

from loadmaster.errors import InvalidRequestError
from loadmaster.storage import AttributeInfo, Condition, Store, Table


def test_insert_skips_existing_and_reports_input_order(dogs: Table) -> None:
    first = dogs.write([{"id": 1, "name": "Penny"}, {"id": 2, "name": "Kato"}], "insert")
    assert first.written == [1, 2]
    assert first.skipped == []
    second = dogs.write([{"id": 3, "name": "Rex"}, {"id": 1, "name": "Other"}], "insert")
    assert second.written == [3]
    assert second.skipped == [1]
    assert dogs.get([1])[0]["name"] == "Penny"


def test_duplicate_keys_within_one_insert_keep_the_first(dogs: Table) -> None:
    result = dogs.write([{"id": 1, "n": "a"}, {"id": 1, "n": "b"}], "insert")
    assert result.written == [1]
    assert result.skipped == [1]
    assert dogs.get([1])[0]["n"] == "a"
    assert dogs.record_count() == 1


def test_update_merges_and_skips_missing(dogs: Table) -> None:
    dogs.write([{"id": 1, "name": "Penny", "age": 5}], "insert")
    result = dogs.write([{"id": 1, "age": 6}, {"id": 2, "age": 1}], "update")
    assert result.written == [1]
    assert result.skipped == [2]
    record = dogs.get([1])[0]
    assert record["name"] == "Penny"
    assert record["age"] == 6
    assert dogs.get([2]) == []


def test_update_within_one_batch_applies_in_order(dogs: Table) -> None:
    dogs.write([{"id": 1, "a": 0}], "insert")
    dogs.write([{"id": 1, "a": 1}, {"id": 1, "b": 2}], "update")
    record = dogs.get([1])[0]
    assert (record["a"], record["b"]) == (1, 2)
    assert [r["id"] for r in dogs.search([Condition(attribute="a", type="equals", value=0)])] == []


def test_update_without_key_is_refused(dogs: Table) -> None:
    with pytest.raises(InvalidRequestError, match="a valid hash attribute must be provided"):
        dogs.write([{"id": 1}, {"name": "x"}], "update")
    assert dogs.record_count() == 0


def test_upsert_merges_or_writes(dogs: Table) -> None:
    dogs.write([{"id": 1, "name": "Penny", "age": 5}], "insert")
    result = dogs.write([{"id": 1, "age": 9}, {"id": 2, "name": "Kato"}], "upsert")
    assert result.written == [1, 2]
    assert result.skipped == []
    assert dogs.get([1, 2]) == [
        {**dogs.get([1])[0], "name": "Penny", "age": 9},
        {**dogs.get([2])[0], "name": "Kato"},
    ]
    assert dogs.get([1])[0]["name"] == "Penny"


def test_generated_keys_are_consecutive_ints_reported_as_none(dogs: Table) -> None:
    result = dogs.write(
        [{"name": "a"}, {"id": None, "name": "b"}, {"id": 7, "name": "c"}], "insert"
    )
    assert result.written == [None, None, 7]
    ids = sorted(r["id"] for r in dogs.scan() if r["name"] in ("a", "b"))
    assert all(type(i) is int and i > 10**12 for i in ids)
    assert ids[1] == ids[0] + 1
    more = dogs.write([{"name": "d"}], "upsert")
    assert more.written == [None]
    (d,) = [r for r in dogs.scan() if r["name"] == "d"]
    assert d["id"] == ids[1] + 1


def test_generated_keys_differ_between_tables(store: Store) -> None:
    a = store.create_table("dev", "a", "id")
    b = store.create_table("dev", "b", "id")
    a.write([{"x": 1}], "insert")
    b.write([{"x": 1}], "insert")
    assert next(a.scan())["id"] != next(b.scan())["id"]


def test_generated_keys_survive_reopen(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        store.create_table("dev", "t", "id").write([{"x": 1}], "insert")
    with Store.open(tmp_path) as store:
        table = store.table("dev", "t")
        table.write([{"x": 2}], "insert")
        ids = [r["id"] for r in table.scan()]
    assert ids[1] == ids[0] + 1


def test_timestamps_one_per_write_kept_and_moved(dogs: Table) -> None:
    first = dogs.write([{"id": 1, "__createdtime__": 5, "__updatedtime__": 6}, {"id": 2}], "insert")
    assert isinstance(first.txn_time, float)
    for record in dogs.get([1, 2]):
        assert record["__createdtime__"] == record["__updatedtime__"] == first.txn_time
    second = dogs.write([{"id": 1, "x": 1, "__createdtime__": 1}], "upsert")
    assert second.txn_time > first.txn_time
    record = dogs.get([1])[0]
    assert record["__createdtime__"] == first.txn_time
    assert record["__updatedtime__"] == second.txn_time
    assert dogs.describe()["last_updated_record"] == second.txn_time


def test_new_attributes_are_added_in_first_seen_order(dogs: Table) -> None:
    dogs.write([{"id": 1, "b": 1}, {"id": 2, "a": 1, "b": 2, "c": 3}], "insert")
    assert dogs.attribute_names() == ["id", "__createdtime__", "__updatedtime__", "b", "a", "c"]


@pytest.mark.parametrize("name", ["a/b", "a`b"])
def test_bad_attribute_names_are_refused(dogs: Table, name: str) -> None:
    with pytest.raises(
        InvalidRequestError, match="Attribute names cannot include backticks or forward slashes"
    ):
        dogs.write([{"id": 1}, {"id": 2, name: 1}], "insert")
    assert dogs.record_count() == 0
    assert name not in dogs.attribute_names()


@pytest.mark.parametrize("bad", [True, {"a": 1}, [1], math.nan, math.inf, "x" * 600, 2**70])
def test_bad_primary_keys_are_refused(dogs: Table, bad: object) -> None:
    with pytest.raises(InvalidRequestError, match="Invalid primary key value"):
        dogs.write([{"id": 1}, {"id": bad}], "upsert")
    assert dogs.record_count() == 0


def test_keys_are_typed(dogs: Table) -> None:
    dogs.write([{"id": 1}, {"id": "1"}, {"id": 4}, {"id": 2.5}], "insert")
    assert [r["id"] for r in dogs.get([1, "1", 4, "007", 2.5, 3])] == [1, "1", 4, 2.5]
    assert dogs.get([1.0])[0]["id"] == 1


def test_unencodable_value_writes_nothing(dogs: Table) -> None:
    with pytest.raises(InvalidRequestError):
        dogs.write([{"id": 1}, {"id": 2, "big": 2**70}], "insert")
    assert dogs.record_count() == 0


def test_nan_values_are_stored(dogs: Table) -> None:
    dogs.write([{"id": 1, "v": math.nan}], "insert")
    assert math.isnan(dogs.get([1])[0]["v"])
    assert [r["id"] for r in dogs.search_value("v", math.nan)] == [1]


def test_delete_removes_records_and_index_entries(dogs: Table) -> None:
    dogs.write([{"id": i, "name": f"n{i % 2}", "tags": [i]} for i in range(6)], "insert")
    assert dogs.delete([0, 2, 99, {"bad": 1}]) == [0, 2]
    assert [r["id"] for r in dogs.search_value("name", "n0")] == [4]
    assert [r["id"] for r in dogs.scan()] == [1, 3, 4, 5]
    assert dogs.delete([]) == []


def test_update_moves_index_entries(dogs: Table) -> None:
    dogs.write([{"id": 1, "city": "Oslo"}], "insert")
    dogs.write([{"id": 1, "city": "Rome"}], "update")
    assert list(dogs.search_value("city", "Oslo")) == []
    assert [r["id"] for r in dogs.search_value("city", "Rome")] == [1]
    dogs.write([{"id": 1, "city": None}], "update")
    assert list(dogs.search_value("city", "Rome")) == []
    assert [r["id"] for r in dogs.search_value("city", None)] == [1]


def test_update_keeps_unchanged_entries_and_moves_retyped_ones(dogs: Table) -> None:
    dogs.write([{"id": 1, "name": "Rex", "flag": True, "n": 2, "x": math.nan}], "insert")
    dogs.write([{"id": 1, "name": "Rex", "flag": 1, "n": 2.0, "x": math.nan}], "update")
    assert [r["id"] for r in dogs.search_value("name", "Rex")] == [1]
    assert list(dogs.search_value("flag", value=True)) == []
    assert [r["id"] for r in dogs.search_value("flag", 1)] == [1]
    assert [r["id"] for r in dogs.search_value("n", 2)] == [1]
    assert [r["id"] for r in dogs.search_value("x", math.nan)] == [1]
    dogs.delete([1])
    # Counted from the index alone: an entry the update left behind would still count.
    for name, value in (("name", "Rex"), ("flag", True), ("flag", 1), ("n", 2), ("x", math.nan)):
        assert dogs.count([Condition(attribute=name, type="equals", value=value)]) == 0


def test_typed_table_coerces_and_refuses_all_or_nothing(store: Store) -> None:
    table = store.create_table(
        "dev",
        "typed",
        "id",
        [
            AttributeInfo(name="id", type="Int", is_primary_key=True),
            AttributeInfo(name="age", type="Int"),
            AttributeInfo(name="n", type="Float"),
            AttributeInfo(name="name", type="String", indexed=True),
            AttributeInfo(name="ok", type="Boolean", indexed=False),
        ],
    )
    result = table.write([{"id": "1", "age": "42", "n": "1.5", "name": 3, "ok": "TRUE"}], "insert")
    assert result.written == [1]
    assert table.get([1]) == [{"id": 1, "age": 42, "n": 1.5, "name": "3", "ok": True}]
    with pytest.raises(InvalidRequestError) as info:
        table.write([{"id": 2, "age": 1}, {"id": 3, "age": "abc"}], "insert")
    assert info.value.message == (
        'Value "abc" in property age must be an integer (from -2147483648 to 2147483647)'
    )
    with pytest.raises(InvalidRequestError) as info:
        table.write([{"id": 4, "n": "abc"}], "insert")
    assert info.value.message == 'Value "abc" in property n must be a number'
    with pytest.raises(InvalidRequestError, match="must be an integer"):
        table.write([{"id": 5, "age": 2**31}], "insert")
    assert table.record_count() == 1
    assert "__createdtime__" not in table.get([1])[0]


def test_write_of_nothing(dogs: Table) -> None:
    result = dogs.write([], "insert")
    assert (result.written, result.skipped) == ([], [])
    assert "last_updated_record" not in dogs.describe()


def test_unknown_action_is_refused(dogs: Table) -> None:
    with pytest.raises(InvalidRequestError):
        dogs.write([{"id": 1}], "replace")  # type: ignore[arg-type]


def test_create_and_drop_attribute(dogs: Table) -> None:
    dogs.write([{"id": 1, "a": "x", "b": {"deep": 1}}, {"id": 2, "a": "y"}], "insert")
    dogs.create_attribute("z")
    with pytest.raises(InvalidRequestError, match=r"attribute 'z' already exists in dev\.dog"):
        dogs.create_attribute("z")
    dogs.drop_attribute("a")
    dogs.drop_attribute("b")
    dogs.drop_attribute("never-there")
    assert "a" not in dogs.attribute_names()
    assert all("a" not in r and "b" not in r for r in dogs.scan())
    assert list(dogs.search_value("a", "x")) == []
    dogs.write([{"id": 3, "a": "x"}], "insert")
    assert [r["id"] for r in dogs.search_value("a", "x")] == [3]
