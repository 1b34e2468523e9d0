"""NDJSON and gzip exports (local and to moto's S3 server), and compressed NDJSON from S3."""

import gzip
import os
from pathlib import Path
from typing import Any

import msgspec
import pytest
import zstandard

from loadmaster.errors import InvalidRequestError
from loadmaster.instance import Instance
from tests.conftest import run_job
from tests.remote_fixtures import s3_admin, s3_request

pytest_plugins = ["tests.remote_fixtures"]
RECORDS = [{"id": i, "name": f"dog {i}", "age": i % 15} for i in range(1, 501)]
SEARCH = {
    "operation": "search_by_value",
    "table": "t",
    "search_attribute": "id",
    "search_value": "*",
    "get_attributes": ["id", "name", "age"],
}


@pytest.fixture
def table(instance: Instance) -> Instance:
    instance.operation({"operation": "create_table", "table": "t", "primary_key": "id"})
    instance.operation({"operation": "insert", "table": "t", "records": RECORDS})
    return instance


def lines(data: bytes) -> list[Any]:
    return [msgspec.json.decode(line) for line in data.splitlines()]


def test_export_local_ndjson(table: Instance, tmp_path: Path) -> None:
    record = run_job(
        table,
        operation="export_local",
        format="ndjson",
        path=str(tmp_path),
        filename="dogs",
        search_operation=SEARCH,
    )
    assert record["status"] == "COMPLETE"
    assert record["result"] == {
        "message": "Successfully exported NDJSON locally.",
        "path": str(tmp_path / "dogs.ndjson"),
    }
    data = (tmp_path / "dogs.ndjson").read_bytes()
    assert data.endswith(b"}\n")
    assert sorted(lines(data), key=lambda r: r["id"]) == RECORDS


@pytest.mark.parametrize("fmt", ["csv", "json", "ndjson"])
def test_export_local_gzip_adds_gz(table: Instance, tmp_path: Path, fmt: str) -> None:
    plain = run_job(
        table,
        operation="export_local",
        format=fmt,
        path=str(tmp_path),
        filename="plain",
        search_operation=SEARCH,
    )
    packed = run_job(
        table,
        operation="export_local",
        format=fmt,
        path=str(tmp_path),
        filename="packed",
        compress="gzip",
        search_operation=SEARCH,
    )
    assert packed["result"]["path"] == str(tmp_path / f"packed.{fmt}.gz")
    assert gzip.decompress((tmp_path / f"packed.{fmt}.gz").read_bytes()) == (
        Path(plain["result"]["path"]).read_bytes()
    )


@pytest.mark.parametrize("compress", ["zip", 1, True, ""])
def test_unknown_compression_is_refused_before_the_job(
    table: Instance, tmp_path: Path, compress: Any
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(InvalidRequestError) as caught:
        table.operation(
            {
                "operation": "export_local",
                "format": "csv",
                "path": str(out),
                "compress": compress,
                "search_operation": SEARCH,
            }
        )
    assert caught.value.message == "'compress' must be one of [gzip]"
    assert os.listdir(out) == []


def test_export_to_s3_ndjson_gzip(table: Instance, moto_endpoint: str, s3_bucket: str) -> None:
    record = run_job(
        table,
        operation="export_to_s3",
        format="ndjson",
        compress="gzip",
        s3=s3_request(s3_bucket, "exports/dogs", endpoint_url=moto_endpoint),
        search_operation=SEARCH,
    )
    assert record["status"] == "COMPLETE", record
    assert record["result"]["Key"] == "exports/dogs.ndjson.gz"
    stored = s3_admin(moto_endpoint).get_object(Bucket=s3_bucket, Key="exports/dogs.ndjson.gz")
    assert stored["ContentType"] == "application/gzip"
    body = gzip.decompress(stored["Body"].read())
    assert sorted(lines(body), key=lambda r: r["id"]) == RECORDS


@pytest.mark.parametrize(
    ("key", "packer"),
    [
        ("in.ndjson.gz", gzip.compress),
        ("in.jsonl.zst", zstandard.ZstdCompressor().compress),
        ("in.csv.gz", gzip.compress),
    ],
)
def test_import_from_s3_of_compressed_keys(
    instance: Instance, moto_endpoint: str, s3_bucket: str, key: str, packer: Any
) -> None:
    instance.operation({"operation": "create_table", "table": "t", "primary_key": "id"})
    if ".csv" in key:
        raw = b"id,name,age\n" + b"".join(
            f"{r['id']},{r['name']},{r['age']}\n".encode() for r in RECORDS
        )
    else:
        raw = b"".join(msgspec.json.encode(r) + b"\n" for r in RECORDS)
    s3_admin(moto_endpoint).put_object(Bucket=s3_bucket, Key=key, Body=packer(raw))
    record = run_job(
        instance,
        operation="import_from_s3",
        table="t",
        s3=s3_request(s3_bucket, key, endpoint_url=moto_endpoint),
    )
    assert record["message"] == "successfully loaded 500 of 500 records", record
    found = instance.operation({**SEARCH})
    assert sorted(found, key=lambda r: r["id"]) == RECORDS
