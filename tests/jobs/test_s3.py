"""import_from_s3 and export_to_s3 against moto's S3 server on 127.0.0.1."""

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import msgspec
import pytest

from loadmaster.errors import LoadmasterError
from loadmaster.jobs.context import JobCancelledError
from loadmaster.jobs.export import ExportRequest
from loadmaster.jobs.jsonload import JSON_BATCH, load_json_chunks
from loadmaster.jobs.s3 import export_to_s3, import_from_s3, s3_client, validate_s3
from loadmaster.settings import Settings
from loadmaster.storage import Store
from tests.remote_fixtures import REGION, SECRET_KEY, make_job, s3_admin, s3_request

RECORDS = [
    {"id": 1, "name": "plain", "score": 1.5, "active": True, "zip": "007", "meta": {"a": [1, 2]}},
    {
        "id": 2,
        "name": 'a "quoted",\nmultiline',
        "score": -3,
        "active": False,
        "zip": "",
        "meta": [],
    },
    {"id": 3, "name": "ünïcode ✓", "score": 0.1, "active": True, "zip": "1e5", "meta": {"b": "x"}},
]

# The servers on 127.0.0.1 and the store are fixtures shared by the URL and S3 tests.
pytest_plugins = ["tests.remote_fixtures"]


@pytest.fixture
def store(job_store: Store) -> Store:
    job_store.create_table("data", "t", "id")
    return job_store


def rows(store: Store, table: str = "t") -> list[dict[str, Any]]:
    found = [
        {k: v for k, v in r.items() if not k.startswith("__")}
        for r in store.table("data", table).scan()
    ]
    return sorted(found, key=lambda r: r["id"])


def put(endpoint: str, bucket: str, key: str, body: bytes) -> None:
    s3_admin(endpoint).put_object(Bucket=bucket, Key=key, Body=body)


def run_import(store: Store, endpoint: str, bucket: str, key: str, **extra: Any) -> str:
    job = make_job(store, s3_endpoint_url=endpoint)
    request = s3_request(bucket, key, **extra)
    return import_from_s3(job, request, db="data", table="t", action="insert")


def import_failure(store: Store, endpoint: str, bucket: str, key: str, **extra: Any) -> str:
    with pytest.raises(LoadmasterError) as caught:
        run_import(store, endpoint, bucket, key, **extra)
    assert SECRET_KEY not in caught.value.message
    return caught.value.message


def search_all(table: str = "t") -> dict[str, Any]:
    return {
        "operation": "search_by_value",
        "table": table,
        "search_attribute": "id",
        "search_value": "*",
        "get_attributes": ["*"],
    }


# --- validation ---------------------------------------------------------------------------


def test_validate_s3_missing_object_lists_every_field() -> None:
    assert validate_s3(None) == [
        "S3 can't be blank",
        "S3 aws access key id can't be blank",
        "S3 aws secret access key can't be blank",
        "S3 bucket can't be blank",
        "S3 key can't be blank",
        "S3 region can't be blank",
    ]
    assert validate_s3({})[0] == "S3 can't be blank"


def test_validate_s3_field_rules() -> None:
    good = s3_request("bucket", "dir/file.json")
    assert validate_s3(good) == []
    assert validate_s3(good | {"bucket": 5, "region": "  "}) == [
        "S3 bucket  must be a 'String' value",
        "S3 region can't be blank",
    ]
    ext = "S3 key must include one of the following valid file extensions - '.csv', '.json'"
    for key in ("file.CSV", "file.txt", "file", "dir/.csv"):
        assert validate_s3(good | {"key": key}) == [ext]
    assert validate_s3(good | {"key": "a.b.csv"}) == []


def test_client_endpoint_from_request_or_settings(moto_endpoint: str) -> None:
    request = s3_request("b", "k.csv")
    from_settings = s3_client(request, Settings(s3_endpoint_url=moto_endpoint))
    assert from_settings.meta.endpoint_url == moto_endpoint
    assert from_settings.meta.config.s3 == {"addressing_style": "path"}  # type: ignore[attr-defined]
    other = "http://127.0.0.1:1"
    from_request = s3_client(
        request | {"endpoint_url": other}, Settings(s3_endpoint_url=moto_endpoint)
    )
    assert from_request.meta.endpoint_url == other
    aws = s3_client(request, Settings())
    assert aws.meta.endpoint_url.endswith(".amazonaws.com")


# --- imports ------------------------------------------------------------------------------


def test_csv_import_keeps_quoted_newlines_and_parses_json_cells(
    store: Store, moto_endpoint: str, s3_bucket: str
) -> None:
    body = (
        b'id,name,meta,zip\n1,"two\nlines","{""a"": [1, 2]}",007\n2,"x,y","[1, {""b"": null}]",17\n'
    )
    put(moto_endpoint, s3_bucket, "in/data.csv", body)
    job = make_job(store, s3_endpoint_url=moto_endpoint)
    message = import_from_s3(
        job, s3_request(s3_bucket, "in/data.csv"), db="data", table="t", action="insert"
    )
    assert message == "successfully loaded 2 of 2 records"
    assert rows(store) == [
        {"id": 1, "name": "two\nlines", "meta": {"a": [1, 2]}, "zip": "007"},
        {"id": 2, "name": "x,y", "meta": [1, {"b": None}], "zip": 17},
    ]
    assert job.counters["bytes_total"] == job.counters["bytes_read"] == len(body)


def test_json_import_casts_json_strings_at_any_depth(
    store: Store, moto_endpoint: str, s3_bucket: str
) -> None:
    records = [
        {"id": i, "n": i * 1.5, "tags": ["a", '{"deep": true}'], "raw": '[1, "2"]', "s": "{no"}
        for i in range(12)
    ]
    put(moto_endpoint, s3_bucket, "in.json", json.dumps(records, indent=2).encode())
    message = run_import(store, moto_endpoint, s3_bucket, "in.json", endpoint_url=moto_endpoint)
    assert message == "successfully loaded 12 of 12 records"
    assert rows(store) == [
        {"id": i, "n": i * 1.5, "tags": ["a", {"deep": True}], "raw": [1, "2"], "s": "{no"}
        for i in range(12)
    ]


def test_json_import_in_batches(store: Store, moto_endpoint: str, s3_bucket: str) -> None:
    count = 2 * JSON_BATCH + 17
    body = msgspec.json.encode([{"id": i, "v": f"v{i}"} for i in range(count)])
    put(moto_endpoint, s3_bucket, "many.json", body)
    job = make_job(store, s3_endpoint_url=moto_endpoint)
    message = import_from_s3(
        job, s3_request(s3_bucket, "many.json"), db="data", table="t", action="insert"
    )
    assert message == f"successfully loaded {count} of {count} records"
    assert store.table("data", "t").record_count() == count
    assert job.counters["processed"] == count


def test_json_import_rejects_what_is_not_an_array_of_objects(
    store: Store, moto_endpoint: str, s3_bucket: str
) -> None:
    put(moto_endpoint, s3_bucket, "obj.json", b'{"id": 1}')
    assert import_failure(store, moto_endpoint, s3_bucket, "obj.json") == (
        "Invalid JSON: expected a top-level array of objects"
    )
    put(moto_endpoint, s3_bucket, "cut.json", b'[{"id": 1}, {"id": 2')
    assert import_failure(store, moto_endpoint, s3_bucket, "cut.json") == (
        "Invalid JSON: the array is incomplete"
    )


def test_json_column_names_checked_per_batch(store: Store) -> None:
    good = [{"id": i} for i in range(JSON_BATCH)]
    body = msgspec.json.encode([*good, {"id": -1, "a/b": 1}, {"id": -2}])
    with pytest.raises(LoadmasterError) as caught:
        load_json_chunks(make_job(store), [body], db="data", table="t", action="insert")
    assert caught.value.message == (
        f"Invalid column name 'a/b', cancelling load operation (after loading {JSON_BATCH} records)"
    )
    assert store.table("data", "t").record_count() == JSON_BATCH


def test_json_update_without_key_fails_before_writing(store: Store) -> None:
    with pytest.raises(LoadmasterError) as caught:
        load_json_chunks(make_job(store), [b'[{"x": 1}]'], db="data", table="t", action="update")
    assert caught.value.message == "a valid hash attribute must be provided with update record"


def test_missing_key_and_bucket(store: Store, moto_endpoint: str, s3_bucket: str) -> None:
    assert import_failure(store, moto_endpoint, s3_bucket, "nope.csv") == (
        "The specified key does not exist."
    )
    assert import_failure(store, moto_endpoint, "no-such-bucket-lm", "a.csv") == (
        "The specified bucket does not exist"
    )


@pytest.fixture
def enforced_auth(moto_endpoint: str) -> Iterator[str]:
    """Make moto check credentials and signatures (off by default); yield a real IAM key id."""
    iam = boto3.session.Session().client(
        "iam", endpoint_url=moto_endpoint, region_name=REGION,
        aws_access_key_id="setup", aws_secret_access_key="setup",
    )  # fmt: skip
    user = f"user-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    key_id = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    httpx.post(f"{moto_endpoint}/moto-api/reset-auth", content=b"0").raise_for_status()
    try:
        yield key_id
    finally:
        httpx.post(f"{moto_endpoint}/moto-api/reset-auth", content=b"inf").raise_for_status()


def test_bad_credentials_give_aws_message(
    store: Store, moto_endpoint: str, s3_bucket: str, enforced_auth: str
) -> None:
    assert import_failure(
        store, moto_endpoint, s3_bucket, "a.csv", aws_access_key_id="AKIDUNKNOWN"
    ) == ("The AWS Access Key Id you provided does not exist in our records.")
    assert import_failure(
        store, moto_endpoint, s3_bucket, "a.csv", aws_access_key_id=enforced_auth
    ) == (
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method."
    )


# --- exports ------------------------------------------------------------------------------


@pytest.fixture
def filled(store: Store) -> Store:
    store.table("data", "t").write(RECORDS, "insert")
    return store


def object_bytes(endpoint: str, bucket: str, key: str) -> bytes:
    body: bytes = s3_admin(endpoint).get_object(Bucket=bucket, Key=key)["Body"].read()
    return body


def test_json_export_result_and_round_trip(
    filled: Store, moto_endpoint: str, s3_bucket: str
) -> None:
    request = s3_request(s3_bucket, "out/dogs", endpoint_url=moto_endpoint)
    op = ExportRequest(format="json", s3=request, search_operation=search_all())
    result = export_to_s3(make_job(filled), op)
    assert result["Bucket"] == s3_bucket
    assert result["Key"] == "out/dogs.json"
    assert result["Location"] == f"{moto_endpoint}/{s3_bucket}/out/dogs.json"
    assert result["ETag"][0] == result["ETag"][-1] == '"'
    assert result["$metadata"]["httpStatusCode"] == 200
    assert result["$metadata"]["attempts"] == 1
    assert "VersionId" not in result
    exported = msgspec.json.decode(object_bytes(moto_endpoint, s3_bucket, "out/dogs.json"))
    assert [{k: v for k, v in r.items() if not k.startswith("__")} for r in exported] == RECORDS

    filled.create_table("data", "again", "id")
    job = make_job(filled, s3_endpoint_url=moto_endpoint)
    message = import_from_s3(
        job, s3_request(s3_bucket, "out/dogs.json"), db="data", table="again", action="insert"
    )
    assert message == "successfully loaded 3 of 3 records"
    assert rows(filled, "again") == RECORDS


def test_csv_export_round_trip(filled: Store, moto_endpoint: str, s3_bucket: str) -> None:
    request = s3_request(s3_bucket, "dogs", endpoint_url=moto_endpoint)
    op = ExportRequest(format="csv", s3=request, search_operation=search_all())
    assert export_to_s3(make_job(filled), op)["Key"] == "dogs.csv"
    text = object_bytes(moto_endpoint, s3_bucket, "dogs.csv").decode()
    assert text.startswith('"__createdtime__","__updatedtime__","active","id","meta"')
    assert not text.endswith("\n")

    filled.create_table("data", "again", "id")
    job = make_job(filled, s3_endpoint_url=moto_endpoint)
    message = import_from_s3(
        job, s3_request(s3_bucket, "dogs.csv"), db="data", table="again", action="insert"
    )
    assert message == "successfully loaded 3 of 3 records"
    assert rows(filled, "again") == RECORDS


def test_multipart_export(store: Store, moto_endpoint: str, s3_bucket: str) -> None:
    table = store.table("data", "t")
    note = "n" * 120
    count = 80_000
    for start in range(0, count, 20_000):
        table.write([{"id": i, "note": note} for i in range(start, start + 20_000)], "insert")
    request = s3_request(s3_bucket, "big", endpoint_url=moto_endpoint)
    op = ExportRequest(
        format="json",
        s3=request,
        search_operation=search_all() | {"get_attributes": ["id", "note"]},
    )
    part_size = 5 << 20
    result = export_to_s3(make_job(store), op, part_size=part_size)
    body = object_bytes(moto_endpoint, s3_bucket, "big.json")
    parts = -(-len(body) // part_size)
    assert len(body) > 2 * part_size
    assert result["ETag"].endswith(f'-{parts}"')
    exported = msgspec.json.decode(body)
    assert exported == [{"id": i, "note": note} for i in range(count)]


def test_versioned_bucket_gives_version_id(
    filled: Store, moto_endpoint: str, s3_bucket: str
) -> None:
    admin = s3_admin(moto_endpoint)
    admin.put_bucket_versioning(Bucket=s3_bucket, VersioningConfiguration={"Status": "Enabled"})
    request = s3_request(s3_bucket, "v", endpoint_url=moto_endpoint)
    result = export_to_s3(
        make_job(filled), ExportRequest(format="json", s3=request, search_operation=search_all())
    )
    assert result["VersionId"] == admin.head_object(Bucket=s3_bucket, Key="v.json")["VersionId"]


def test_failed_export_aborts_the_multipart_upload(
    store: Store, moto_endpoint: str, s3_bucket: str
) -> None:
    store.table("data", "t").write([{"id": i} for i in range(25_000)], "insert")
    request = s3_request(s3_bucket, "gone", endpoint_url=moto_endpoint)
    op = ExportRequest(format="json", s3=request, search_operation=search_all())
    job = make_job(store)
    job.cancelled.set()  # the export stops at its first progress report (10,000 records)
    with pytest.raises(JobCancelledError):
        export_to_s3(job, op, part_size=16 << 10)
    admin = s3_admin(moto_endpoint)
    assert admin.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []
    assert admin.list_objects_v2(Bucket=s3_bucket).get("KeyCount") == 0


@pytest.mark.parametrize(
    ("fmt", "s3", "message"),
    [
        (None, {}, "format missing"),
        ("xml", {}, "format invalid. must be one of the following values: json, csv"),
        ("json", None, "S3 object is missing."),
        ("json", {"bucket": "b"}, "aws_access_key_id is missing."),
        ("csv", s3_request("b", "k") | {"region": ""}, "region is missing."),
    ],
)
def test_export_checks(store: Store, fmt: Any, s3: Any, message: str) -> None:
    op = ExportRequest(format=fmt, s3=s3, search_operation=search_all())
    with pytest.raises(LoadmasterError) as caught:
        export_to_s3(make_job(store), op)
    assert caught.value.message == message


def test_export_to_missing_bucket(filled: Store, moto_endpoint: str) -> None:
    request = s3_request("no-such-bucket-lm", "k", endpoint_url=moto_endpoint)
    op = ExportRequest(format="csv", s3=request, search_operation=search_all())
    with pytest.raises(LoadmasterError) as caught:
        export_to_s3(make_job(filled), op)
    assert caught.value.message == "The specified bucket does not exist"
