"""Sources as they arrive: gzip and zstd inflated by their bytes, encodings, NDJSON lines."""

import codecs
import gzip
import os
from collections.abc import Iterator

import pytest
import zstandard

from loadmaster.errors import InvalidRequestError
from loadmaster.formats import (
    JsonArrayError,
    NdjsonSplitter,
    check_encoding,
    decompressed,
    gzip_chunks,
    json_splitter,
    utf8_chunks,
)

DATA = os.urandom(3000) * 20 + b"id,name\n1,Penny\n" * 20_000


def pieces(data: bytes, size: int = 7001) -> Iterator[bytes]:
    for at in range(0, len(data), size):
        yield data[at : at + size]


@pytest.mark.parametrize("size", [1, 3, 4096, 1 << 20])
def test_gzip_and_zstd_are_told_by_their_bytes(size: int) -> None:
    for packed in (gzip.compress(DATA), zstandard.ZstdCompressor().compress(DATA)):
        assert b"".join(decompressed(pieces(packed, size))) == DATA
    assert b"".join(decompressed(pieces(DATA, size))) == DATA


def test_concatenated_members_and_frames_are_one_stream() -> None:
    assert b"".join(decompressed([gzip.compress(b"a\n") + gzip.compress(b"b\n")])) == b"a\nb\n"
    zstd = zstandard.ZstdCompressor()
    assert b"".join(decompressed([zstd.compress(b"a\n") + zstd.compress(b"b\n")])) == b"a\nb\n"


def test_empty_and_tiny_sources_pass_through() -> None:
    assert list(decompressed([])) == []
    assert b"".join(decompressed([b"x"])) == b"x"
    assert b"".join(decompressed([b"\x1f"])) == b"\x1f"


@pytest.mark.parametrize(
    ("packed", "message"),
    [
        (gzip.compress(DATA, mtime=0)[:-50], "The gzip source ends before its data does"),
        (
            zstandard.ZstdCompressor().compress(DATA)[:-50],
            "The zstd source ends before its data does",
        ),
        (b"\x1f\x8b\x08\x00garbage-garbage-garbage", "The gzip source is corrupt"),
        (b"\x28\xb5\x2f\xfdgarbage-garbage-garbage", "The zstd source is corrupt"),
    ],
)
def test_cut_or_corrupt_sources_are_refused(packed: bytes, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        b"".join(decompressed(pieces(packed, 999)))


def test_a_compression_bomb_is_inflated_in_bounded_pieces() -> None:
    zeros = 300 << 20
    for packed in (
        gzip.compress(b"\0" * zeros, 9),
        zstandard.ZstdCompressor().compress(b"\0" * zeros),
    ):
        sizes = [len(out) for out in decompressed([packed])]
        assert sum(sizes) == zeros
        assert max(sizes) <= 16 << 20


def test_gzip_chunks_round_trips() -> None:
    assert gzip.decompress(b"".join(gzip_chunks(pieces(DATA)))) == DATA


TEXT = "id,name\n1,Café\n2,naïve €uro\n"


@pytest.mark.parametrize(
    ("encoding", "raw"),
    [
        ("latin-1", TEXT.replace("€", "E").encode("latin-1")),
        ("cp1252", TEXT.encode("cp1252")),
        ("utf-16", TEXT.encode("utf-16")),
        ("utf-16le", TEXT.encode("utf-16-le")),
        ("utf-8-sig", codecs.BOM_UTF8 + TEXT.encode()),
    ],
)
def test_encodings_become_utf8_across_chunk_boundaries(encoding: str, raw: bytes) -> None:
    expected = TEXT.replace("€", "E") if encoding == "latin-1" else TEXT
    out = b"".join(utf8_chunks(pieces(raw, 1), check_encoding(encoding))).decode("utf-8-sig")
    assert out == expected


def test_a_utf16_bom_is_recognised_without_being_told() -> None:
    for raw in (TEXT.encode("utf-16-le"), TEXT.encode("utf-16-be")):
        bom = codecs.BOM_UTF16_LE if raw == TEXT.encode("utf-16-le") else codecs.BOM_UTF16_BE
        assert b"".join(utf8_chunks([bom + raw])).decode() == TEXT


def test_utf8_passes_through_untouched() -> None:
    # Bad bytes are left to the parsers, which replace them as Node's decoder does.
    chunks = [b"id\n", b"\xff\n"]
    assert list(utf8_chunks(chunks)) == chunks


@pytest.mark.parametrize("value", ["ebcdic", 5, "", ["utf-8"]])
def test_unknown_encodings_are_refused(value: object) -> None:
    with pytest.raises(InvalidRequestError, match="'encoding' must be one of"):
        check_encoding(value)


def split(splitter: NdjsonSplitter | object, data: bytes, size: int) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for chunk in pieces(data, size):
        out += splitter.feed(chunk)  # type: ignore[attr-defined]
    return out + splitter.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("size", [1, 5, 1 << 16])
def test_ndjson_lines_with_blank_lines_and_crlf(size: int) -> None:
    data = b'\xef\xbb\xbf{"id":1}\r\n\r\n{"id":2,"doc":"{\\"a\\":[1]}"}\n{"id":3}'
    assert split(NdjsonSplitter(), data, size) == [
        {"id": 1},
        {"id": 2, "doc": {"a": [1]}},
        {"id": 3},
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"id":1}\n{"id":\n{"id":3}\n', "Invalid JSON on line 2: "),
        (b'{"id":1}\r\n\r\n[1,2]\n', "Invalid JSON on line 3: not an object"),
        (b'{"id":1}\n"text"', "Invalid JSON on line 2: not an object"),
        (b'{"id":1}\n{"id":2},{"id":3}\n', "Invalid JSON on line 2: "),
    ],
)
def test_ndjson_names_the_first_bad_line(data: bytes, message: str) -> None:
    for size in (2, 1 << 16):
        with pytest.raises(JsonArrayError, match=message):
            split(NdjsonSplitter(), data, size)


def test_the_first_byte_decides_between_an_array_and_ndjson() -> None:
    assert split(json_splitter(), b'  \n [{"id":1},\n{"id":2}]', 3) == [{"id": 1}, {"id": 2}]
    assert split(json_splitter(), b'\n{"id":1}\n{"id":2}\n', 3) == [{"id": 1}, {"id": 2}]
    assert split(json_splitter(), b"  \n", 1) == []
