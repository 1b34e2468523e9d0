"""The audit log in storage: one entry per write transaction, in that transaction, indexed."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from loadmaster.storage import Store, audit, prepare_inserts
from loadmaster.storage.write import clock


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "data", map_size=1 << 26) as opened:
        yield opened


def test_each_write_is_one_entry_with_the_writer_and_the_stored_records(store: Store) -> None:
    dogs = store.create_table("dev", "dog", "id", audit=True)
    first = dogs.write([{"id": 2, "name": "Kato"}, {"id": 1, "name": "Penny"}], "insert", user="a")
    dogs.write([{"id": 1, "breed": "Mutt"}, {"id": 9, "breed": "x"}], "update", user="b")
    dogs.write([{"name": "generated"}], "upsert")
    assert dogs.delete([3, 1], user="a") == [1]

    log = dogs.audit_log.between(0, float("inf"))
    assert [(e.operation, e.user_name) for e in log] == [
        ("insert", "a"),
        ("update", "b"),
        ("upsert", None),
        ("delete", "a"),
    ]
    assert log[0].timestamp == first.txn_time
    assert log[0].hash_values == [2, 1]  # the request's order
    assert log[0].records == [
        {
            "id": 2,
            "name": "Kato",
            "__createdtime__": first.txn_time,
            "__updatedtime__": first.txn_time,
        },
        {
            "id": 1,
            "name": "Penny",
            "__createdtime__": first.txn_time,
            "__updatedtime__": first.txn_time,
        },
    ]
    # An update logs the whole record as stored, and only the records it wrote.
    assert log[1].hash_values == [1]
    assert log[1].records is not None
    assert log[1].records[0]["name"] == "Penny"
    assert log[1].records[0]["breed"] == "Mutt"
    assert log[1].records[0]["__updatedtime__"] == log[1].timestamp
    # Generated keys are shown; deletes hold no records.
    assert isinstance(log[2].hash_values[0], int)
    assert log[3].hash_values == [1]
    assert log[3].records is None


def test_ranges_users_and_keys_are_looked_up(store: Store) -> None:
    dogs = store.create_table("dev", "dog", "id", audit=True)
    stamps = [dogs.write([{"id": i}], "upsert", user=f"u{i % 2}").txn_time for i in range(6)]
    log = dogs.audit_log
    assert [e.hash_values for e in log.between(stamps[1], stamps[3])] == [[1], [2], [3]]
    assert [e.hash_values for e in log.between(stamps[4], float("inf"))] == [[4], [5]]
    assert log.between(stamps[3], stamps[1]) == []
    assert len(log.between(0, float("inf"), limit=2)) == 2
    assert [e.hash_values for e in log.by_user("u1")] == [[1], [3], [5]]
    assert log.by_user("nobody") == []
    dogs.write([{"id": 1, "x": 1}, {"id": 2}], "upsert", user="u9")
    history = log.by_key(1)
    assert [(e.user_name, i) for e, i in history] == [("u1", 0), ("u9", 0)]
    assert log.by_key(2)[-1][1] == 1
    assert log.by_key("1") == []  # keys match type-strictly
    assert log.by_key({"not": "a key"}) == []


def test_long_keys_and_user_names_are_checked_after_truncation(store: Store) -> None:
    dogs = store.create_table("dev", "dog", "id", audit=True)
    base = "k" * 505
    dogs.write([{"id": base + "a"}, {"id": base + "b"}], "insert", user="x" * 600)
    dogs.write([{"id": base + "b", "v": 1}], "upsert", user="x" * 599)
    assert [e.operation for e, _ in dogs.audit_log.by_key(base + "a")] == ["insert"]
    assert [e.operation for e, _ in dogs.audit_log.by_key(base + "b")] == ["insert", "upsert"]
    assert [e.operation for e in dogs.audit_log.by_user("x" * 600)] == ["insert"]


def test_prepared_batches_are_one_entry_each(store: Store) -> None:
    dogs = store.create_table("dev", "dog", "id", audit=True)
    dogs.write([{"id": 5, "name": "old"}], "insert", user="first")
    layout = dogs.layout()
    batch = prepare_inserts(layout, [{"id": i, "name": f"n{i}"} for i in range(10)], clock.tick())
    assert batch is not None
    assert dogs.apply(batch, user="loader") == 9  # 5 existed: skipped, not logged
    entry = dogs.audit_log.by_user("loader")[0]
    assert entry.operation == "insert"
    assert sorted(entry.hash_values) == [0, 1, 2, 3, 4, 6, 7, 8, 9]
    assert entry.records is not None
    assert {r["name"] for r in entry.records} == {f"n{i}" for i in range(10) if i != 5}
    assert all(r["__updatedtime__"] == entry.timestamp for r in entry.records)


def test_tables_without_audit_record_nothing(store: Store) -> None:
    plain = store.create_table("dev", "plain", "id")
    plain.write([{"id": 1}], "insert", user="a")
    plain.delete([1], user="a")
    assert plain.audit_log.between(0, float("inf")) == []
    assert list(plain.audit_log.delete_before(float("inf"))) == []
    assert plain.describe()["audit"] is False
    assert plain.describe()["db_audit_size"] == 0


def test_delete_before_removes_old_entries_and_their_index(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "DELETE_CHUNK", 7)
    dogs = store.create_table("dev", "dog", "id", audit=True)
    stamps = [dogs.write([{"id": i % 3}], "upsert", user="u").txn_time for i in range(60)]
    cut = stamps[40]
    assert list(dogs.audit_log.delete_before(cut)) == [7, 7, 7, 7, 7, 5]
    assert len(dogs.audit_log.between(0, float("inf"))) == 20
    assert len(dogs.audit_log.by_user("u")) == 20
    assert all(e.timestamp >= cut for e, _ in dogs.audit_log.by_key(1))
    assert sum(dogs.audit_log.delete_before(-5)) == 0
    assert sum(dogs.audit_log.delete_before(float("inf"))) == 20
    assert dogs.audit_log.by_user("u") == []


def test_the_log_survives_reopening_and_goes_with_its_table(tmp_path: Path) -> None:
    with Store.open(tmp_path / "d", map_size=1 << 26) as store:
        store.create_table("dev", "dog", "id", audit=True).write([{"id": 1}], "insert", user="a")
    with Store.open(tmp_path / "d", map_size=1 << 26) as store:
        dogs = store.table("dev", "dog")
        assert dogs.describe()["audit"] is True
        assert dogs.describe()["db_audit_size"] > 0
        assert [e.user_name for e, _ in dogs.audit_log.by_key(1)] == ["a"]
        assert store.audited_tables() == [("dev", "dog")]
        store.drop_table("dev", "dog")
        again = store.create_table("dev", "dog", "id", audit=True)
        assert again.audit_log.between(0, float("inf")) == []


def test_entries_of_every_size_decode(store: Store) -> None:
    dogs = store.create_table("dev", "dog", "id", audit=True)
    for size in (1, 15, 16, 65_535, 65_536):
        dogs.write([{"id": i, "s": size} for i in range(size)], "upsert", user=f"u{size}")
        (entry,) = dogs.audit_log.by_user(f"u{size}")
        assert entry.records is not None
        assert len(entry.records) == len(entry.hash_values) == size
        assert entry.records[-1] == {**entry.records[-1], "id": size - 1, "s": size}
