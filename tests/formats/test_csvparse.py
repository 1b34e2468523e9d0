"""CSV parsing as HarperDB's papaparse 5.5.3 reads loads (spec §5.1, §12.1), streamed."""

from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import pytest

from loadmaster.errors import InvalidRequestError
from loadmaster.formats.csv_dialect import guess_delimiter
from loadmaster.formats.csv_header import check_column_names, record_builder
from loadmaster.formats.csv_reader import CsvStream, parse_csv_text


def _stream(data: bytes, *cuts: int, **options: Any) -> CsvStream:
    """Build a stream from ``data`` split into chunks at the given byte offsets."""
    bounds = [0, *cuts, len(data)]
    return CsvStream([data[a:b] for a, b in pairwise(bounds)], **options)


def _all(stream: CsvStream, size: int = 1000) -> list[dict[str, Any]]:
    return [record for batch in stream.batches(size) for record in batch]


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a\tb\tc\n1\t2\t3\n", "\t"),
        ("a|b|c\n1|2|3\n", "|"),
        ("a;b;c\n1;2;3\n", ";"),
        ("a\x1eb\n1\x1e2\n", "\x1e"),
        ("a\x1fb\n1\x1f2\n", "\x1f"),
        # ';' gives more fields a row, and the same count on every row.
        ("a;b;c\n1,5;2;3\n4,5,6;5;6\n", ";"),
        # ',' gives more fields but a changing count; ';' (later) must also beat its average.
        ("a,b,c;d\n1,2,3,4;5\n6,7,8;9\n", ","),
        ("a;b;c\n1;2;3\n4;5;6\n", ";"),
        # A delimiter inside quotes does not count.
        ('"x,y";b\n"1,2";3\n', ";"),
        # Nothing gives two fields a row: papaparse falls back to ','.
        ("name\nSmith; John\nalone\n", ","),
        ("", ","),
    ],
)
def test_guess_delimiter(text: str, delimiter: str) -> None:
    assert guess_delimiter(text) == delimiter


@pytest.mark.parametrize(
    ("text", "header", "records"),
    [
        ("id,name\n1,a\n2,b\n", ["id", "name"], [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]),
        ("a\tb\n1\t2\n", ["a", "b"], [{"a": 1, "b": 2}]),
        ("a|b\n1|2\n", ["a", "b"], [{"a": 1, "b": 2}]),
        ("a;b\n1;2\n", ["a", "b"], [{"a": 1, "b": 2}]),
        # Header names are not trimmed.
        ("id, rando\n1, x\n", ["id", " rando"], [{"id": 1, " rando": " x"}]),
        # Duplicates are renamed name_1, name_2... skipping names already in the header.
        (
            "a,a,a_1,a\n1,2,3,4\n",
            ["a", "a_2", "a_1", "a_3"],
            [{"a": 1, "a_2": 2, "a_1": 3, "a_3": 4}],
        ),
        ("a,b,a,b,a\n1,2,3,4,5\n", ["a", "b", "a_1", "b_1", "a_2"], None),
        # Only truly empty lines are skipped: ",," and blanks make records.
        (
            "a,b,c\n,,\n\n  \n1,2,3\n",
            ["a", "b", "c"],
            [{"a": "", "b": "", "c": ""}, {"a": "  "}, {"a": 1, "b": 2, "c": 3}],
        ),
        # A quoted empty line is as empty as an empty one.
        ('a,b\n""\n1,2\n', ["a", "b"], [{"a": 1, "b": 2}]),
        # Ragged rows: short rows lack keys, long rows carry their extra cells.
        (
            "a,b,c\n1,2\n1,2,3,4,null\n",
            ["a", "b", "c"],
            [{"a": 1, "b": 2}, {"a": 1, "b": 2, "c": 3, "__parsed_extra": [4, None]}],
        ),
        # RFC 4180 quotes: "" escapes, quoted delimiters and newlines, every line ending.
        (
            'a,b\r\n"x ""y""","1,2"\r\n"multi\nline",z\r\n',
            ["a", "b"],
            [{"a": 'x "y"', "b": "1,2"}, {"a": "multi\nline", "b": "z"}],
        ),
        ("a,b\r1,2\r3,4", ["a", "b"], [{"a": 1, "b": 2}, {"a": 3, "b": 4}]),
        # Unterminated quote: the rest of the input becomes the cell, no error (spec §12.1).
        ('id,v\n700,"open\n701,b\n', ["id", "v"], [{"id": 700, "v": "open\n701,b\n"}]),
        # Leading empty lines are skipped before the header.
        ("\n\nx,y\n1,2\n", ["x", "y"], [{"x": 1, "y": 2}]),
        # One column: empty lines are still skipped.
        ("n\n1\n\n2\n", ["n"], [{"n": 1}, {"n": 2}]),
        ("", [], []),
        ("\n\n", [], []),
        ("a,b\n", ["a", "b"], []),
        ("a,b", ["a", "b"], []),
        ("\ufeffid,name\n1,x\n", ["id", "name"], [{"id": 1, "name": "x"}]),
        ("a.b,c\n1,2\n", ["a.b", "c"], [{"a.b": 1, "c": 2}]),
    ],
)
def test_parse_csv_text(text: str, header: list[str], records: list[dict[str, Any]] | None) -> None:
    got_header, got_records = parse_csv_text(text)
    assert got_header == header
    if records is not None:
        assert got_records == records
    # The streamed parser reads bytes to the same result, whatever the chunking.
    assert _stream(text.encode()).header == header
    assert _all(_stream(text.encode(), keep_parsed_extra=True, json_cells=False)) == got_records


def test_a_header_builds_records_with_code_made_once() -> None:
    build = record_builder(["id", "it's"])
    assert record_builder(["id", "it's"]) is build  # one-row loads do not compile it again
    assert build([[1, 2], ["a", "b"]]) == [{"id": 1, "it's": "a"}, {"id": 2, "it's": "b"}]
    assert record_builder(["it's", "id"])([[1], ["a"]]) == [{"it's": 1, "id": "a"}]


def test_duplicates_are_not_renamed_behind_leading_empty_lines() -> None:
    # papaparse renames only when the header is the first row it parsed; the last cell wins.
    assert parse_csv_text("\na,a\n1,2\n") == (["a", "a"], [{"a": 2}])


def test_cells_are_typed() -> None:
    text = (
        "s,n,f,b,z,t,d\n"
        '"",17,1.50,true,null,007,2021-01-25T22:05:27.464Z\n'
        "x, 17 ,0.5,FALSE,NULL,1e3,2021-01-25T10:00+05:30\n"
        "y,-3,.5,True,undefined,Infinity,2021-01-25\n"
    )
    _, records = parse_csv_text(text)
    assert records == [
        {
            "s": "",
            "n": 17,
            "f": 1.5,
            "b": True,
            "z": None,
            "t": "007",
            "d": "2021-01-25T22:05:27.464Z",
        },
        {
            "s": "x",
            "n": 17,
            "f": 0.5,
            "b": False,
            "z": None,
            "t": "1e3",
            "d": "2021-01-25T04:30:00.000Z",
        },
        {"s": "y", "n": -3, "f": 0.5, "b": "True", "z": None, "t": "Infinity", "d": "2021-01-25"},
    ]


def test_nan_cell() -> None:
    _, records = parse_csv_text("v\nNaN\n")
    assert records[0]["v"] != records[0]["v"]


def test_json_cells_and_parsed_extra_flags() -> None:
    text = 'o,a\n"{""k"":[1,2]}","[true]",extra\n'
    assert parse_csv_text(text) == (
        ["o", "a"],
        [{"o": '{"k":[1,2]}', "a": "[true]", "__parsed_extra": ["extra"]}],
    )
    assert _all(_stream(text.encode())) == [{"o": {"k": [1, 2]}, "a": [True]}]
    assert parse_csv_text(text, keep_parsed_extra=False, json_cells=True)[1] == [
        {"o": {"k": [1, 2]}, "a": [True]}
    ]


SAMPLE = (
    "\ufeffid,name,note\r\n"
    '1,"Zoë","multi\r\nline, with ""quotes"""\r\n'
    "2,€uro,plain\r\n"
    '3,"日本","x"\r\n'
).encode()


def test_every_chunk_split_reads_the_same() -> None:
    # Covers a split BOM, split multibyte characters, a split \r\n and a split quoted newline.
    expected = [
        {"id": 1, "name": "Zoë", "note": 'multi\r\nline, with "quotes"'},
        {"id": 2, "name": "€uro", "note": "plain"},
        {"id": 3, "name": "日本", "note": "x"},
    ]
    assert _all(_stream(SAMPLE)) == expected
    for cut in range(1, len(SAMPLE)):
        stream = _stream(SAMPLE, cut)
        assert stream.header == ["id", "name", "note"], cut
        assert _all(stream) == expected, cut


def test_one_byte_chunks() -> None:
    stream = CsvStream([SAMPLE[i : i + 1] for i in range(len(SAMPLE))])
    assert [r["id"] for r in _all(stream, 2)] == [1, 2, 3]
    assert stream.bytes_read == len(SAMPLE)


def test_invalid_utf8_is_replaced() -> None:
    assert _all(_stream(b"a,b\n\xff,2\n")) == [{"a": "\ufffd", "b": 2}]


def test_batches_are_exactly_sized_and_counted() -> None:
    lines = ["n,blank"] + [f"{i}," if i % 7 else "" for i in range(1, 2501)]
    stream = _stream(("\n".join(lines) + "\n").encode())
    sizes = []
    for batch in stream.batches(1000):
        sizes.append(len(batch))
        assert stream.rows == sum(sizes)
    assert sizes == [1000, 1000, 143]
    assert stream.header == ["n", "blank"]


def _big_input(rows: int) -> Iterator[bytes]:
    yield b"id,text\n"
    for start in range(0, rows, 1000):
        yield "".join(f"{i},{'x' * 90}\n" for i in range(start, start + 1000)).encode()


def test_streaming_reads_input_as_needed() -> None:
    stream = CsvStream(_big_input(50_000))
    batches = stream.batches(100)
    first = next(batches)
    assert [r["id"] for r in first] == list(range(100))
    # About one read buffer plus the delimiter sniff is read, not the ~4.6 MB of input.
    assert 0 < stream.bytes_read < 1_000_000
    total = len(first) + sum(len(b) for b in batches)
    assert total == stream.rows == 50_000
    assert stream.bytes_read == sum(map(len, _big_input(50_000)))


def test_header_is_available_before_batches() -> None:
    stream = _stream(b"a;b\n1;2\n")
    assert stream.read_header() == ["a", "b"]
    assert stream.delimiter == ";"
    assert _all(stream) == [{"a": 1, "b": 2}]


def test_large_cell() -> None:
    big = "y" * 300_000
    assert parse_csv_text(f"a,b\n1,{big}\n")[1] == [{"a": 1, "b": big}]


def test_column_types_coerce_instead_of_autocast() -> None:
    text = 'id,age,code,flag,j\n1,"007",0012,TRUE,"{""a"":1}"\n2,,12,false,x\n'
    types = {"age": "Int", "code": "String", "flag": "Boolean", "j": "String"}
    _, records = parse_csv_text(text, column_types=types)
    assert records == [
        {"id": 1, "age": 7, "code": "0012", "flag": True, "j": '{"a":1}'},
        {"id": 2, "age": None, "code": "12", "flag": False, "j": "x"},
    ]
    # File loads parse JSON-looking text after typing, as HarperDB's autoCastJSONDeep does.
    assert _all(_stream(text.encode(), column_types=types))[0]["j"] == {"a": 1}
    ragged = _all(_stream(b"id,age\n1\n2,5,6\n", column_types={"age": "Float"}))
    assert ragged == [{"id": 1}, {"id": 2, "age": 5.0}]


def test_column_types_failure() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_csv_text("id,age\n1,abc\n", column_types={"age": "Int"})
    assert caught.value.message == 'Invalid value for attribute age: "abc", expecting Int'
    with pytest.raises(InvalidRequestError, match=r'"1\.5", expecting Int'):
        _all(_stream(b"id,age\n1,2\n2\n3,1.5,x\n", column_types={"age": "Int"}))


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        next(_stream(b"a\n1\n").batches(0))


@pytest.mark.parametrize(
    "names", [["id", "name", " rando", "a.b", "~!@#$%^&*()-_=+[]{};:'\",<>?|"]]
)
def test_check_column_names_accepts(names: list[str]) -> None:
    check_column_names(names)


@pytest.mark.parametrize("bad", ["a/b", "back`tick", "tab\there", "é", "\x7f", "new\nline"])
def test_check_column_names_refuses(bad: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        check_column_names(["ok", bad, "also/bad"])
    assert caught.value.message == f"Invalid column name '{bad}', cancelling load operation"
    assert caught.value.status_code == 400
