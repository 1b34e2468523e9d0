"""Export encoders: the compact JSON array and json2csv 5.0.7's CSV (spec §7, §12.1)."""

import csv
import io
import math
from collections import UserDict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from loadmaster.formats.writers import csv_cell, iter_csv, iter_json_array

RECORDS: list[dict[str, Any]] = [
    {
        "id": i,
        "name": f'name "{i}", with comma' if i % 3 == 0 else f"name{i}",
        "age": 18 + i % 80,
        "score": round(i * 1.37, 3),
        "active": i % 2 == 0,
        "city": "Oslo" if i % 5 else "",
        "note": "multi\nline" if i == 7 else "n" * (i % 50),
    }
    for i in range(2500)
]


def _json(records: Any, **options: Any) -> bytes:
    return b"".join(iter_json_array(records, **options))


def _csv(records: Any, **options: Any) -> bytes:
    return b"".join(iter_csv(records, **options))


def test_json_exact_bytes() -> None:
    assert _json([]) == b"[]"
    assert _json([{"a": 1}]) == b'[{"a":1}]'
    assert _json([{"a": 1, "b": "x"}, {"c": [1, {"d": None}]}]) == (
        b'[{"a":1,"b":"x"},{"c":[1,{"d":null}]}]'
    )
    assert _json([{"n": math.nan, "i": math.inf, "m": -math.inf}]) == (
        b'[{"n":null,"i":null,"m":null}]'
    )


@pytest.mark.parametrize("chunk", [1, 7, 1000, 5000])
def test_json_round_trips_in_any_chunking(chunk: int) -> None:
    chunks = list(iter_json_array(iter(RECORDS), chunk_records=chunk))
    assert all(isinstance(c, bytes) for c in chunks)
    assert b"\n" not in b"".join(chunks).replace(b"\\n", b"")
    assert msgspec.json.decode(b"".join(chunks)) == RECORDS


def test_json_streams_chunk_by_chunk() -> None:
    pulled = 0

    def source() -> Iterator[dict[str, int]]:
        nonlocal pulled
        for i in range(10):
            pulled += 1
            yield {"i": i}

    chunks = iter_json_array(source(), chunk_records=3)
    assert next(chunks) == b'[{"i":0},{"i":1},{"i":2}'
    assert pulled == 3
    assert b"".join(chunks) == b',{"i":3},{"i":4},{"i":5},{"i":6},{"i":7},{"i":8},{"i":9}]'


def test_json_accepts_other_mappings() -> None:
    assert _json([UserDict({"a": 1})]) == b'[{"a":1}]'


def test_csv_exact_bytes() -> None:
    records = [
        {
            "id": 1,
            "s": 'say "hi"',
            "code": "0012",
            "e3": "1e3",
            "empty": "",
            "none": None,
            "f": 3.0,
            "g": 0.1 + 0.2,
            "big": 1e21,
            "t": True,
            "nan": math.nan,
            "obj": {"a": [1, "q"]},
            "arr": [1, 2],
        },
        {"id": 2, "s": "x"},
    ]
    assert _csv(records) == (
        b'"id","s","code","e3","empty","none","f","g","big","t","nan","obj","arr"\n'
        b'1,"say ""hi""","0012","1e3","",,3,0.30000000000000004,1e+21,true,NaN,'
        b'"{""a"":[1,""q""]}","[1,2]"\n'
        b'2,"x",,,,,,,,,,,'
    )


def test_csv_has_no_trailing_newline_and_keeps_first_record_keys() -> None:
    assert _csv([{"a": 1, "b": 2}, {"b": 3, "c": 4}, {"a": 5}]) == b'"a","b"\n1,2\n,3\n5,'


def test_csv_drops_rows_whose_cells_are_all_empty() -> None:
    # json2csv skips a row when every cell is null or missing; an empty string is a value.
    records = [{"a": 1, "b": None}, {"c": 9}, {"a": None, "b": None}, {"a": None, "b": ""}]
    assert _csv(records) == b'"a","b"\n1,\n,""'


def test_csv_columns() -> None:
    records = [{"b": 2, "a": 1, "z": 0}]
    assert _csv(records, columns=["a", "b", "missing"]) == b'"a","b","missing"\n1,2,'
    # Declared columns give a header even when there are no records; inferred ones give nothing.
    assert _csv([], columns=["a", "b"]) == b'"a","b"'
    assert _csv([]) == b""
    assert _csv(records, columns=[]) == b""


def test_csv_mixed_column_types() -> None:
    records = [{"v": 1}, {"v": "1"}, {"v": 1.5}, {"v": False}, {"v": None}, {"v": 2.0}]
    assert _csv(records) == b'"v"\n1\n"1"\n1.5\nfalse\n2'


def test_csv_datetime_as_javascript_date() -> None:
    when = datetime(2021, 1, 25, 22, 21, 24, 781000, tzinfo=UTC)
    assert csv_cell(when) == '"2021-01-25T22:21:24.781Z"'


@pytest.mark.parametrize("chunk", [1, 3, 1000])
def test_csv_round_trips_through_csv_reader(chunk: int) -> None:
    data = _csv(iter(RECORDS), chunk_records=chunk)
    assert not data.endswith(b"\n")
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    assert rows[0] == list(RECORDS[0])
    assert len(rows) == len(RECORDS) + 1
    for record, row in zip(RECORDS, rows[1:], strict=True):
        assert row == [
            str(record["id"]),
            record["name"],
            str(record["age"]),
            repr(record["score"]).removesuffix(".0"),
            "true" if record["active"] else "false",
            record["city"],
            record["note"],
        ]


def test_csv_same_bytes_in_any_chunking() -> None:
    whole = _csv(RECORDS, chunk_records=10_000)
    assert _csv(RECORDS, chunk_records=1) == whole
    assert _csv(iter(RECORDS), chunk_records=333) == whole


def test_csv_accepts_other_mappings() -> None:
    assert _csv([UserDict({"a": 1, "b": "x"}), UserDict({"a": 2})]) == b'"a","b"\n1,"x"\n2,'
