"""The store: databases, tables, the catalog across reopen, describe, map growth, threads."""

import threading
from pathlib import Path

import pytest

import loadmaster.storage
from loadmaster.errors import (
    DatabaseNotFoundError,
    InvalidRequestError,
    StorageError,
    TableNotFoundError,
)
from loadmaster.storage import AttributeInfo, Condition, Store, Table


def test_public_surface() -> None:
    assert sorted(loadmaster.storage.__all__) == [
        "AttributeInfo",
        "Condition",
        "ConditionGroup",
        "PreparedBatch",
        "StaleLayoutError",
        "Store",
        "Table",
        "TableLayout",
        "WriteResult",
        "decode_key",
        "encode_key",
        "prepare_inserts",
    ]


def test_databases(store: Store) -> None:
    store.create_database("b")
    store.create_database("a")
    with pytest.raises(InvalidRequestError, match="database 'a' already exists"):
        store.create_database("a")
    store.create_table("system", "hdb_job", "id")
    assert store.database_names() == ["a", "b"]
    assert store.has_database("system")
    assert not store.has_database("c")
    store.drop_database("b")
    assert store.database_names() == ["a"]
    with pytest.raises(DatabaseNotFoundError, match="database 'b' does not exist") as info:
        store.drop_database("b")
    assert info.value.status_code == 404


def test_tables_and_not_found_errors(store: Store) -> None:
    store.create_table("dev", "t2", "id")
    store.create_table("dev", "t1", "code")
    assert store.table_names("dev") == ["t2", "t1"]
    with pytest.raises(InvalidRequestError, match="Table 't1' already exists in 'dev'"):
        store.create_table("dev", "t1", "id")
    with pytest.raises(DatabaseNotFoundError):
        store.table("nope", "t1")
    with pytest.raises(TableNotFoundError, match=r"Table 'dev.t3' does not exist") as info:
        store.table("dev", "t3")
    assert info.value.status_code == 404
    with pytest.raises(TableNotFoundError):
        store.drop_table("dev", "t3")
    with pytest.raises(DatabaseNotFoundError):
        store.table_names("nope")
    assert store.table("dev", "t1") is store.table("dev", "t1")


@pytest.mark.parametrize("name", ["a/b", "a`b", ""])
def test_bad_names_are_refused(store: Store, name: str) -> None:
    with pytest.raises(InvalidRequestError):
        store.create_table("dev", name, "id")
    with pytest.raises(InvalidRequestError):
        store.create_database(name)


def test_drop_table_removes_data(store: Store) -> None:
    table = store.create_table("dev", "t", "id")
    table.write([{"id": 1, "a": "x"}], "insert")
    store.drop_table("dev", "t")
    with pytest.raises(TableNotFoundError):
        table.get([1])
    again = store.create_table("dev", "t", "id")
    assert again.record_count() == 0
    assert list(again.search_value("a", "x")) == []
    assert again.attribute_names() == ["id", "__createdtime__", "__updatedtime__"]


def test_drop_database_removes_its_tables(store: Store) -> None:
    store.create_table("dev", "t", "id").write([{"id": 1}], "insert")
    store.create_table("other", "t", "id").write([{"id": 2}], "insert")
    store.drop_database("dev")
    with pytest.raises(DatabaseNotFoundError):
        store.table("dev", "t")
    assert store.create_table("dev", "t", "id").record_count() == 0
    assert store.table("other", "t").get([2])[0]["id"] == 2


def test_catalog_survives_reopen(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        store.create_database("empty")
        table = store.create_table("dev", "dog", "id")
        table.write([{"id": 1, "name": "Penny", "age": 5}], "insert")
        store.create_table("dev", "cat", "id")
        store.create_table("system", "hdb_job", "id").write([{"id": "j"}], "insert")
        described = table.describe()
    with Store.open(tmp_path) as store:
        assert store.database_names() == ["dev", "empty"]
        assert store.table_names("dev") == ["dog", "cat"]
        table = store.table("dev", "dog")
        assert table.describe() == described
        assert [r["id"] for r in table.search_value("name", "Penny")] == [1]
        assert store.table("system", "hdb_job").get(["j"])[0]["id"] == "j"
    assert (tmp_path / "data").is_dir()
    assert (tmp_path / "system").is_dir()


def test_describe_matches_harperdb(dogs: Table) -> None:
    described = dogs.describe()
    assert list(described) == [
        "schema",
        "name",
        "hash_attribute",
        "audit",
        "schema_defined",
        "attributes",
        "db_size",
        "sources",
        "record_count",
        "table_size",
        "db_audit_size",
    ]
    dogs.write([{"id": 1, "name": "Penny"}], "insert")
    described = dogs.describe()
    assert described["schema"] == "dev"
    assert described["hash_attribute"] == "id"
    assert described["attributes"] == [
        {"attribute": "id", "is_primary_key": True},
        {"attribute": "__createdtime__", "indexed": True},
        {"attribute": "__updatedtime__", "indexed": True},
        {"attribute": "name", "indexed": True},
    ]
    assert described["record_count"] == 1
    assert described["sources"] == []
    assert described["audit"] is False  # create_table (the operation) defaults it to the setting
    assert isinstance(described["last_updated_record"], float)
    assert described["db_size"] >= described["table_size"] > 0


def test_describe_typed_table(store: Store) -> None:
    table = store.create_table(
        "dev",
        "typed",
        "id",
        [
            AttributeInfo(name="name", type="String"),
            AttributeInfo(name="id", type="Int", is_primary_key=True),
            AttributeInfo(name="age", type="Int", indexed=False),
        ],
    )
    described = table.describe()
    assert described["schema_defined"] is True
    assert described["attributes"] == [
        {"attribute": "id", "type": "Int", "is_primary_key": True},
        {"attribute": "name", "type": "String", "indexed": True},
        {"attribute": "age", "type": "Int"},
    ]
    table.write([{"id": 1, "age": 3}, {"id": 2, "age": 4}], "insert")
    found = table.search([Condition(attribute="age", type="equals", value=4)])
    assert [r["id"] for r in found] == [2]


def test_map_grows_when_full(tmp_path: Path) -> None:
    note = "n" * 1000
    with Store.open(tmp_path, map_size=1 << 20) as store:
        table = store.create_table("dev", "big", "id")
        for start in range(0, 5000, 1000):
            table.write(
                [{"id": i, "note": note, "i": i} for i in range(start, start + 1000)], "insert"
            )
        assert table.record_count() == 5000
        assert table.describe()["db_size"] > 4 << 20
        assert [r["i"] for r in table.get([0, 4999])] == [0, 4999]
    with Store.open(tmp_path, map_size=1 << 20) as store:
        table = store.table("dev", "big")
        assert sum(1 for _ in table.scan()) == 5000
        assert [r["id"] for r in table.search_value("i", 1234)] == [1234]


def test_concurrent_writers_and_readers(store: Store) -> None:
    table = store.create_table("dev", "busy", "id")
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def writer(base: int) -> None:
        try:
            start.wait(timeout=10)
            for n in range(20):
                rows = [{"id": base + n * 50 + i, "w": base} for i in range(50)]
                table.write(rows, "insert")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    def reader() -> None:
        try:
            start.wait(timeout=10)
            for _ in range(20):
                list(table.search_value("w", 0))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(b,)) for b in (0, 10_000, 20_000)]
    threads.append(threading.Thread(target=reader))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert table.record_count() == 3000
    assert len(list(table.search_value("w", 20_000))) == 1000


def test_closed_store(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    table = store.create_table("dev", "t", "id")
    store.close()
    store.close()
    with pytest.raises(StorageError, match="closed"):
        table.write([{"id": 1}], "insert")
