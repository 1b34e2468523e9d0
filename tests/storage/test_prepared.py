"""Inserts prepared away from the transaction store exactly what Table.write stores."""

import math
from pathlib import Path
from typing import Any

import lmdb
import pytest

from loadmaster.storage import StaleLayoutError, Store, prepare_inserts
from loadmaster.storage.keys import encode_number, encode_number_column


def _contents(store: Store, table: str) -> tuple[list[str], list[Any]]:
    """Return (records without timestamps, index entries without timestamp entries)."""
    t = store.table("data", table)
    # repr() so that NaN equals NaN; sorted so that key order does not matter.
    records = [
        repr(sorted((k, v) for k, v in r.items() if not k.startswith("__"))) for r in t.scan()
    ]
    state = t._catalog.tables[("data", table)]
    stamps = {state.attrs[n].id for n in ("__createdtime__", "__updatedtime__")}
    with t._catalog.env.read() as txn:
        entries = [
            (k, v) for k, v in txn.cursor(state.index) if int.from_bytes(k[:2], "big") not in stamps
        ]
    return records, entries


ROWS: list[dict[str, Any]] = [
    {"id": 3, "name": "c", "score": 1.5, "ok": True, "tags": ["x"], "n": None},
    {"id": 1, "name": "a", "score": -2.0, "ok": False, "city": "Oslo"},
    {"id": 2.5, "name": "b" * 600, "score": math.nan, "ok": True, "city": "Oslo"},
    {"id": "s", "name": "", "score": 7, "ok": False, "city": "Lima", "__createdtime__": 5},
    {"id": 1, "name": "duplicate id: skipped"},
]


def test_apply_stores_what_write_stores(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        for name in ("general", "prepared"):
            store.create_table("data", name, "id")
        store.table("data", "general").write(ROWS, "insert")
        target = store.table("data", "prepared")
        batch = prepare_inserts(target.layout(), ROWS, 1234.5)
        assert batch is not None
        assert target.apply(batch) == 4
        assert _contents(store, "prepared") == _contents(store, "general")
        assert target.attribute_names() == store.table("data", "general").attribute_names()
        (record,) = target.get([3])
        assert record["__createdtime__"] == record["__updatedtime__"] == 1234.5
        assert target.describe()["last_updated_record"] == 1234.5
        # Existing keys are skipped, as insert skips them.
        again = prepare_inserts(target.layout(), [{"id": 3, "name": "new"}, {"id": 9}], 2.0)
        assert again is not None
        assert target.apply(again) == 1
        assert target.get([3])[0]["name"] == "c"


def test_records_without_keys_take_the_general_path(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        table = store.create_table("data", "t", "id")
        assert prepare_inserts(table.layout(), [{"id": 1}, {"name": "x"}], 1.0) is None
        assert prepare_inserts(table.layout(), [{"id": None}], 1.0) is None


def test_a_stale_layout_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        table = store.create_table("data", "t", "id")
        layout = table.layout()
        batch = prepare_inserts(layout, [{"id": 1, "a": 1}], 1.0)
        assert batch is not None
        table.write([{"id": 2, "b": 1}], "insert")  # takes the id the batch assumed for "a"
        with pytest.raises(StaleLayoutError):
            table.apply(batch)
        assert table.get([1]) == []


def test_number_columns_encode_like_single_numbers() -> None:
    values = [0, 0.0, -0.0, 1, 2.5, 2**53, 1e-300, 7]
    assert encode_number_column(b"p", values) == [b"p" + encode_number(v) for v in values]
    for refused in ([1, -1], [math.nan], [math.inf], [2**53 + 1], [True], [], ["1"]):
        assert encode_number_column(b"", refused) is None


def test_lmdb_is_the_real_one() -> None:
    assert lmdb.version() >= (0, 9)
