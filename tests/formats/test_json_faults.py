"""Faulty rows of JSON sources (NDJSON, arrays, decoded records), each at its line, by policy."""

from typing import Any

import pytest

from loadmaster.errors import JsonArrayError, LoadAbortedError
from loadmaster.formats.anomalies import RowChecks
from loadmaster.formats.json_rows import JsonRows, RecordRows

# Lines: 1 fine, 2 not JSON, 3 blank, 4 not an object, 5 empty id, 6 null id, 7 no id (the
# table makes one up: fine), 8 fine; CRLF line ends.
NDJSON = (
    b'{"id":1,"v":"a"}\r\n{"id":2,\r\n\r\n[1,2]\r\n{"id":"","v":"e"}\r\n{"id":null}\r\n'
    b'{"v":"g"}\r\n{"id":8,"doc":"{\\"x\\":1}"}\r\n'
)
NDJSON_FAULTS = [
    (2, None, "not valid JSON", '{"id":2,'),
    (4, None, "not a JSON object", "[1,2]"),
    (5, "id", "empty primary key", ""),
    (6, "id", "null primary key", "null"),
]
# The same faults in an array, elements spread over lines, a brace inside a string.
ARRAY = (
    b'[\n  {"id": 1, "v": "a"},\n  "text",\n  {"id": "", "v": "}"},\n'
    b'  {"id": null},\n  {"v": "g"},\n  {"id": 8, "doc": "{\\"x\\":1}"}\n]\n'
)
ARRAY_FAULTS = [
    (3, None, "not a JSON object", '"text"'),
    (4, "id", "empty primary key", ""),
    (5, "id", "null primary key", "null"),
]


def read(
    data: bytes, size: int, *, array_only: bool = False, batch: int = 2, **checks: Any
) -> tuple[list[dict[str, Any]], list[tuple[int, str | None, str, str]], JsonRows]:
    chunks = [data[at : at + size] for at in range(0, len(data), size)]
    rows = JsonRows(chunks, checks=RowChecks(primary_key="id", **checks), array_only=array_only)
    records = [record for part in rows.batches(batch) for record in part]
    found = [(a.line, a.column, a.reason, a.value) for a in rows.take_anomalies()]
    return records, found, rows


SIZES = pytest.mark.parametrize("size", [1, 7, 1 << 16])


@SIZES
def test_ndjson_continue_rejects_what_cannot_load_and_keeps_faulty_keys(size: int) -> None:
    records, found, rows = read(NDJSON, size)
    assert found == NDJSON_FAULTS
    assert [r.get("id", "-") for r in records] == [1, "", None, "-", 8]
    assert records[-1]["doc"] == {"x": 1}  # JSON text is still parsed on the slow path
    assert (rows.rejected, rows.faulty_rows) == (2, 4)


@SIZES
def test_ndjson_skip_and_abort(size: int) -> None:
    records, found, rows = read(NDJSON, size, on_error="skip")
    assert [r.get("id", "-") for r in records] == [1, "-", 8]
    assert (len(found), rows.rejected) == (4, 4)
    with pytest.raises(LoadAbortedError) as caught:
        read(NDJSON, size, on_error="abort")
    assert caught.value.message == "Load aborted at line 2: not valid JSON"


@SIZES
def test_ndjson_max_errors_stops_after_the_records_before(size: int) -> None:
    rows = JsonRows(
        [NDJSON[at : at + size] for at in range(0, len(NDJSON), size)],
        checks=RowChecks(primary_key="id", on_error="skip", max_errors=2),
    )
    batches = rows.batches(10)
    seen = [r["id"] for r in next(batches)]
    with pytest.raises(LoadAbortedError) as caught:
        next(batches)
    assert caught.value.message == (
        "Load aborted: more than 2 rows were rejected, the last at line 5: "
        "empty primary key (column 'id')"
    )
    assert seen == [1]


@SIZES
@pytest.mark.parametrize("array_only", [False, True])
def test_array_elements_are_judged_at_their_lines(size: int, array_only: bool) -> None:
    records, found, rows = read(ARRAY, size, array_only=array_only)
    assert found == ARRAY_FAULTS
    assert [r.get("id", "-") for r in records] == [1, "", None, "-", 8]
    assert records[1]["v"] == "}"
    assert records[-1]["doc"] == {"x": 1}
    assert rows.rejected == 1
    records, _, rows = read(ARRAY, size, array_only=array_only, on_error="skip")
    assert [r.get("id", "-") for r in records] == [1, "-", 8]


@SIZES
def test_an_array_of_values_that_are_not_objects(size: int) -> None:
    records, found, _ = read(b'[1,\n"a",\n{"id": 3}, 4]', size)
    assert records == [{"id": 3}]
    assert [(line, value) for line, _, _, value in found] == [(1, "1"), (2, '"a"'), (3, "4")]


@SIZES
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b'[{"id": 1},\n{"id": 2} x]',
            "Invalid JSON: expected ',' or ']' between elements (line 2)",
        ),
        (b'[{"id": 1},\n\n{"id": tru}]', "Invalid JSON: JSON is malformed"),
        (b'[{"id": 1},\n{"id": 2},\n]', "Invalid JSON: trailing comma in the array (line 3)"),
    ],
)
def test_an_array_that_is_not_json_names_the_line(size: int, data: bytes, message: str) -> None:
    with pytest.raises(JsonArrayError) as caught:
        read(data, size)
    assert caught.value.message.startswith(message)
    if "malformed" in message:
        assert caught.value.message.endswith("(line 3)")


def test_values_are_cut_to_200_characters() -> None:
    line = b'{"id": "' + b"x" * 500 + b"\n"
    _, found, _ = read(line, 1 << 16)
    assert [(line, reason, len(value)) for line, _, reason, value in found] == [
        (1, "not valid JSON", 200)
    ]


def test_a_clean_source_has_no_faults() -> None:
    data = b"".join(b'{"id": %d}\n' % i for i in range(100))
    records, found, rows = read(data, 1 << 16, batch=30)
    assert (len(records), found, rows.rejected, rows.faulty_rows) == (100, [], 0, 0)


def test_decoded_records_are_judged_by_their_place() -> None:
    data: list[dict[str, Any]] = [{"id": 1}, {"id": ""}, {"id": 3}, {"id": None}, {"id": 5}]
    rows = RecordRows(data, checks=RowChecks(primary_key="id", on_error="skip"))
    assert [r["id"] for part in rows.batches(2) for r in part] == [1, 3, 5]
    assert [(a.line, a.reason) for a in rows.take_anomalies()] == [
        (2, "empty primary key"),
        (4, "null primary key"),
    ]
    rows = RecordRows(data, checks=RowChecks(primary_key="id", on_error="abort"))
    with pytest.raises(LoadAbortedError, match="at line 2: empty primary key"):
        list(rows.batches(2))
