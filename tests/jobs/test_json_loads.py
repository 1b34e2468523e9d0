"""json_file_load, json_data_load, json_url_load, and compressed or re-encoded CSV sources."""

import gzip
from pathlib import Path
from typing import Any

import msgspec
import pytest
import zstandard

from loadmaster.errors import InvalidRequestError
from loadmaster.instance import Instance
from tests.conftest import run_job
from tests.remote_fixtures import HttpSource

RECORDS = [{"id": i, "name": f"dog {i}", "age": i % 15, "tags": ["a", "b"]} for i in range(1, 2001)]
pytest_plugins = ["tests.remote_fixtures"]
NDJSON = b"".join(msgspec.json.encode(r) + b"\n" for r in RECORDS)


def rows(instance: Instance, attributes: tuple[str, ...] = ("id", "name", "age", "tags")) -> Any:
    found = instance.operation(
        {
            "operation": "search_by_value",
            "table": "t",
            "search_attribute": "id",
            "search_value": "*",
            "get_attributes": list(attributes),
        }
    )
    return sorted(found, key=lambda r: r["id"])


@pytest.fixture
def table(instance: Instance) -> Instance:
    instance.operation({"operation": "create_table", "table": "t", "primary_key": "id"})
    return instance


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("dogs.ndjson", NDJSON),
        ("dogs.json", msgspec.json.encode(RECORDS)),
        ("dogs.ndjson.gz", gzip.compress(NDJSON, mtime=0)),
        ("dogs-without-suffix", zstandard.ZstdCompressor().compress(NDJSON)),
        ("dogs.jsonl", NDJSON.replace(b"\n", b"\r\n\r\n")),
    ],
)
def test_json_file_load_reads_ndjson_arrays_and_compressed_files(
    table: Instance, tmp_path: Path, name: str, body: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(body)
    record = run_job(table, operation="json_file_load", table="t", file_path=str(path))
    assert (record["status"], record["message"]) == (
        "COMPLETE",
        "successfully loaded 2000 of 2000 records",
    )
    assert record["type"] == "json_file_load"
    # Progress counts the bytes of the file as it is on disk (compressed or not).
    assert record["bytes_read"] == record["bytes_total"] == len(body)
    assert rows(table) == RECORDS


def test_json_file_load_names_the_bad_line(table: Instance, tmp_path: Path) -> None:
    path = tmp_path / "bad.ndjson"
    path.write_bytes(b'{"id": 1}\n{"id": 2}\n{"id": \n')
    # A line that is not JSON cannot be loaded: by default it is rejected, the rest load.
    record = run_job(table, operation="json_file_load", table="t", file_path=str(path))
    assert record["status"] == "COMPLETE"
    assert record["message"] == "successfully loaded 2 of 2 records"
    assert (record["error_count"], record["rejected"]) == (1, 1)
    assert table.operation({"operation": "get_job_errors", "id": record["id"]})["errors"] == [
        {"line": 3, "column": None, "reason": "not valid JSON", "value": '{"id":'}
    ]
    record = run_job(
        table, operation="json_file_load", table="t", file_path=str(path), on_error="abort"
    )
    assert record["status"] == "ERROR"
    assert record["message"] == (
        "Load aborted at line 3: not valid JSON; 0 records were already loaded"
    )


def test_json_file_load_checks_like_csv_file_load(table: Instance, tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        table.operation({"operation": "json_file_load", "table": "t"})
    assert caught.value.message == "File path  is required"
    with pytest.raises(InvalidRequestError) as caught:
        table.operation(
            {"operation": "json_file_load", "table": "t", "file_path": str(tmp_path / "none")}
        )
    assert caught.value.message == f"No such file or directory {tmp_path / 'none'}"
    with pytest.raises(InvalidRequestError) as caught:
        table.operation(
            {"operation": "json_file_load", "table": "t", "file_path": "x", "action": "merge"}
        )
    assert caught.value.message == "Action is required and must be either insert, update, or upsert"


@pytest.mark.parametrize("data", [NDJSON.decode(), msgspec.json.encode(RECORDS).decode(), RECORDS])
def test_json_data_load_takes_text_or_records(table: Instance, data: Any) -> None:
    record = run_job(table, operation="json_data_load", table="t", data=data)
    assert record["message"] == "successfully loaded 2000 of 2000 records"
    assert rows(table) == RECORDS
    assert "request" not in record


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (None, "Data  is required"),
        (5, "Data must be a string or an array of objects"),
        ([{"id": 1}, 2], "Data must be a string or an array of objects"),
    ],
)
def test_json_data_load_refuses_bad_data(table: Instance, data: Any, message: str) -> None:
    body: dict[str, Any] = {"operation": "json_data_load", "table": "t"}
    if data is not None:
        body["data"] = data
    with pytest.raises(InvalidRequestError) as caught:
        table.operation(body)
    assert caught.value.message == message


def test_json_url_load_streams_ndjson_and_gzip(table: Instance, http_source: HttpSource) -> None:
    url = http_source.add("/dogs.ndjson", NDJSON, content_type="application/x-ndjson")
    record = run_job(table, operation="json_url_load", table="t", json_url=url)
    assert record["message"] == "successfully loaded 2000 of 2000 records"
    packed = gzip.compress(NDJSON)
    url = http_source.add("/dogs.ndjson.gz", packed, content_type="application/gzip")
    record = run_job(table, operation="json_url_load", table="t", json_url=url, action="upsert")
    assert record["message"] == "successfully loaded 2000 of 2000 records"
    assert record["bytes_read"] == len(packed)
    assert rows(table) == RECORDS


def test_json_url_load_words_its_failures(table: Instance, http_source: HttpSource) -> None:
    url = http_source.add("/dogs.html", b"<html>", content_type="text/html")
    record = run_job(table, operation="json_url_load", table="t", json_url=url)
    assert record["message"] == (
        f"JSON Load failed from URL: {url}, unsupported content type: text/html"
    )
    with pytest.raises(InvalidRequestError) as caught:
        table.operation({"operation": "json_url_load", "table": "t"})
    assert caught.value.message == "'json_url' is required"


def test_csv_url_load_takes_a_content_encoded_body(
    table: Instance, http_source: HttpSource
) -> None:
    url = http_source.add(
        "/dogs.csv",
        gzip.compress(b"id,name\n1,Penny\n2,Kato\n"),
        content_type="text/csv",
        headers={"Content-Encoding": "gzip"},
    )
    record = run_job(table, operation="csv_url_load", table="t", csv_url=url)
    assert record["message"] == "successfully loaded 2 of 2 records"


CSV = "id,name\n1,Café\n2,Ünïcode\n"


@pytest.mark.parametrize(
    ("encoding", "raw"),
    [
        ("latin-1", CSV.encode("latin-1")),
        ("cp1252", CSV.encode("cp1252")),
        (None, CSV.encode("utf-16")),
        ("utf-8", gzip.compress(CSV.encode(), mtime=0)),
    ],
)
def test_csv_file_load_reads_encodings_and_compression(
    table: Instance, tmp_path: Path, encoding: str | None, raw: bytes
) -> None:
    path = tmp_path / "dogs.csv"
    path.write_bytes(raw)
    body: dict[str, Any] = {"operation": "csv_file_load", "table": "t", "file_path": str(path)}
    if encoding is not None:
        body["encoding"] = encoding
    record = run_job(table, **body)
    assert record["message"] == "successfully loaded 2 of 2 records"
    names = [r["name"] for r in rows(table, ("id", "name"))]
    assert names == ["Café", "Ünïcode"]


def test_an_unknown_encoding_is_refused_before_the_job(table: Instance, tmp_path: Path) -> None:
    path = tmp_path / "dogs.csv"
    path.write_text(CSV)
    with pytest.raises(InvalidRequestError) as caught:
        table.operation(
            {"operation": "csv_file_load", "table": "t", "file_path": str(path), "encoding": "x"}
        )
    assert caught.value.message.startswith("'encoding' must be one of [")
