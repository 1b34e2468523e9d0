"""Faulty CSV rows are found as they are parsed, each at its exact line, and handled by policy."""

from itertools import pairwise
from typing import Any

import pytest

from loadmaster.errors import LoadAbortedError
from loadmaster.formats.anomalies import (
    EMPTY_PRIMARY_KEY,
    INVALID_BYTES,
    NULL_PRIMARY_KEY,
    TOO_FEW_FIELDS,
    TOO_MANY_FIELDS,
    UNTERMINATED_QUOTE,
    Anomaly,
    AnomalyLog,
    RowChecks,
    anomaly,
)
from loadmaster.formats.csv_reader import CsvStream, CsvText
from loadmaster.formats.encodings import utf8_chunks


def parse(
    data: bytes, *cuts: int, size: int = 1000, **checks: Any
) -> tuple[list[dict[str, Any]], list[Anomaly], CsvStream]:
    bounds = [0, *cuts, len(data)]
    stream = CsvStream(
        [data[a:b] for a, b in pairwise(bounds)], checks=RowChecks(primary_key="id", **checks)
    )
    records = [r for batch in stream.batches(size) for r in batch]
    return records, stream.take_anomalies(), stream


def where(found: list[Anomaly]) -> list[tuple[int, str | None, str]]:
    return [(a.line, a.column, a.reason) for a in found]


# Lines: 1 header, 2-3 a quoted CRLF cell, 4 short, 5 long, 6 empty id, 7 null id, 8 a \r
# line ending, 9 bad byte, 10-12 an unterminated quote swallowing the rest.
MIXED = (
    b'id,name,note\r\n1,a,"multi\r\nline"\r\n2,b\r\n3,c,d,e\r\n,empty,x\r\nnull,n,x\r\n'
    b'8,cr,x\r9,caf\xe9,x\n10,"open\r\n11,z,y\r\n12,q,r\r\n'
)


def test_every_fault_at_its_line_continue_keeps_harperdb_records() -> None:
    records, found, stream = parse(MIXED)
    assert where(found) == [
        (4, "note", TOO_FEW_FIELDS),
        (5, None, TOO_MANY_FIELDS),
        (6, "id", EMPTY_PRIMARY_KEY),
        (7, "id", NULL_PRIMARY_KEY),
        (9, "name", INVALID_BYTES),
        (10, "name", UNTERMINATED_QUOTE),
    ]
    assert [a.value for a in found][:2] == ["2,b", "e"]
    # What HarperDB loads: the quote swallows lines 11 and 12.
    assert [r["id"] for r in records] == [1, 2, 3, "", None, 8, 9, 10]
    assert records[-1]["name"] == "open\r\n11,z,y\r\n12,q,r\r\n"
    assert records[2] == {"id": 3, "name": "c", "note": "d"}
    assert (stream.rejected, stream.faulty_rows) == (0, 6)


@pytest.mark.parametrize("cut", range(1, len(MIXED), 7))
def test_lines_do_not_depend_on_chunk_boundaries(cut: int) -> None:
    assert where(parse(MIXED, cut)[1]) == where(parse(MIXED)[1])


def test_skip_leaves_faulty_rows_out_and_reads_on_after_an_unterminated_quote() -> None:
    records, found, stream = parse(MIXED, on_error="skip")
    assert [r["id"] for r in records] == [1, 8, 11, 12]
    assert len(found) == 6
    assert (stream.rejected, stream.faulty_rows, stream.rows) == (6, 6, 4)


def test_skip_reads_on_from_the_source_text_after_the_quote_line() -> None:
    # Inside the field that never closed, the source's quotes were all doubled: they come back.
    data = b'id,v\n1,"a\n2,b ""x""\n3,""\n4,ok'
    records, found, _ = parse(data, on_error="skip")
    assert where(found) == [(2, "v", UNTERMINATED_QUOTE)]
    assert found[0].value == 'a\n2,b "x"\n3,"\n4,ok'
    assert records == [{"id": 2, "v": 'b ""x""'}, {"id": 3, "v": ""}, {"id": 4, "v": "ok"}]


def test_unterminated_quote_is_reported_where_the_quoted_field_began() -> None:
    # Row 2 begins on line 2; its second field's quote opens on line 3 and never closes.
    data = b'id,a,b\n1,"x\ny","open\nmore\n'
    _, found, _ = parse(data)
    assert where(found) == [(3, "b", UNTERMINATED_QUOTE)]


def test_abort_yields_the_rows_before_and_names_the_line() -> None:
    data = b"id,v\n" + b"".join(b"%d,x\n" % i for i in range(1, 1200)) + b"1200,x,extra\n1201,y\n"
    stream = CsvStream([data], checks=RowChecks(primary_key="id", on_error="abort"))
    batches = stream.batches(500)
    loaded = next(batches) + next(batches) + next(batches)  # the last one cut at the fault
    with pytest.raises(LoadAbortedError) as caught:
        next(batches)
    assert caught.value.message == "Load aborted at line 1201: too many fields"
    assert len(loaded) == 1199
    assert where(stream.take_anomalies()) == [(1201, None, TOO_MANY_FIELDS)]


def test_max_errors_stops_once_more_rows_were_rejected() -> None:
    data = b"id,v\n1,a\n2\n3,c\n4\n5\n6,f\n"
    stream = CsvStream([data], checks=RowChecks(primary_key="id", on_error="skip", max_errors=2))
    batches = stream.batches(100)
    loaded = next(batches)
    with pytest.raises(LoadAbortedError) as caught:
        next(batches)
    assert caught.value.message == (
        "Load aborted: more than 2 rows were rejected, the last at line 6: too few fields "
        "(column 'v')"
    )
    assert [r["id"] for r in loaded] == [1, 3]
    assert stream.rejected == 3


def test_clean_input_has_no_anomaly_and_the_same_records() -> None:
    lines = [b"id,name,note"] + [b'%d,"n %d","a\r\nb"' % (i, i) for i in range(3000)]
    data = b"\r\n".join(lines)  # no final line break
    records, found, _ = parse(data, 4097, 9000, size=700)
    assert found == []
    assert len(records) == 3000
    assert records[-1] == {"id": 2999, "name": "n 2999", "note": "a\r\nb"}


def test_ends_of_input_are_not_faults() -> None:
    assert parse(b"")[:2] == ([], [])
    assert parse(b"id,v\n")[:2] == ([], [])
    assert parse(b"id,v\n1,x")[:2] == ([{"id": 1, "v": "x"}], [])
    assert parse(b'id,v\n1,"x"')[:2] == ([{"id": 1, "v": "x"}], [])
    assert parse(b"id,v\n\n\n1,x\n\n")[:2] == ([{"id": 1, "v": "x"}], [])


def test_blank_lines_count_as_lines() -> None:
    _, found, _ = parse(b"id,v\n\n1,x\n\r\n\n2\n")
    assert where(found) == [(6, "v", TOO_FEW_FIELDS)]


def test_primary_key_faults_only_where_the_key_is_a_column() -> None:
    stream = CsvStream([b"name\n\nx\n,\n"], checks=RowChecks(primary_key="id"))
    assert [r for b in stream.batches(10) for r in b] == [{"name": "x"}, {"name": ""}]
    assert where(stream.take_anomalies()) == [(4, None, TOO_MANY_FIELDS)]


def test_typed_primary_key_empty_cell_is_a_fault() -> None:
    stream = CsvStream(
        [b"id,v\n1,a\n,b\n"], column_types={"id": "Int"}, checks=RowChecks(primary_key="id")
    )
    assert [r for b in stream.batches(10) for r in b] == [
        {"id": 1, "v": "a"},
        {"id": None, "v": "b"},
    ]
    assert where(stream.take_anomalies()) == [(3, "id", EMPTY_PRIMARY_KEY)]


def test_invalid_bytes_found_across_chunks_genuine_replacement_char_is_not() -> None:
    good = "\ufffd".encode()
    data = b"id,v\n" + b"".join(b"%d,ok\n" % i for i in range(1, 20000)) + b"20000,\xff\xfe\n"
    # A genuine U+FFFD far from any bad byte (reads are 256 KiB) is no fault.
    data += b"".join(b"%d,ok\n" % i for i in range(20001, 100_000)) + b"100000," + good + b"\n"
    _, found, _ = parse(data, 123_457)
    assert where(found) == [(20001, "v", INVALID_BYTES)]
    assert found[0].value == "\ufffd\ufffd"


def test_values_are_cut_to_200_characters() -> None:
    _, found, _ = parse(b"id,v\n1,x," + b"y" * 500 + b"\n")
    assert found[0].value == "y" * 200
    assert anomaly(1, None, "r", "z" * 300).value == "z" * 200


def test_csv_text_checks_as_the_stream_does() -> None:
    parser = CsvText("id,v\r\n1,a,b\r\n2,b\r\n", checks=RowChecks(primary_key="id"))
    assert parser.records() == [{"id": 1, "v": "a", "__parsed_extra": ["b"]}, {"id": 2, "v": "b"}]
    assert where(parser.take_anomalies()) == [(2, None, TOO_MANY_FIELDS)]


def test_log_keeps_the_first_by_line_whatever_the_order_found() -> None:
    log = AnomalyLog(kept=3)
    log.add(anomaly(line, None, "r", str(line)) for line in (9, 2, 7, 2, 1, 8))
    assert [(a.line, a.value) for a in log.first] == [(1, "1"), (2, "2"), (2, "2")]
    assert log.count == 6
    assert Anomaly(line=1, column=None, reason="r", value="").describe() == "line 1: r"


@pytest.mark.parametrize(
    ("codec", "data"),
    [
        ("cp1252", "id,v\n1,Café\n2,x\x81y\n".encode("latin-1")),
        # A lone surrogate (little-endian, after the BOM).
        ("utf-16", "id,v\n1,Café\n2,x".encode("utf-16") + b"\x00\xd8" + "y\n".encode("utf-16-le")),
    ],
)
def test_bytes_invalid_in_other_encodings_are_faults(codec: str, data: bytes) -> None:
    stream = CsvStream(utf8_chunks([data], codec), checks=RowChecks(primary_key="id"))
    records = [r for batch in stream.batches(10) for r in batch]
    assert records[0] == {"id": 1, "v": "Café"}
    found = stream.take_anomalies()
    assert [(a.line, a.column, a.reason) for a in found] == [(3, "v", INVALID_BYTES)]
    assert "\ufffd" in found[0].value
