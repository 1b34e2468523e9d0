"""JSON loads (file, data, URL, S3) report faulty rows as CSV loads do, and obey on_error."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import loadmaster
from loadmaster.errors import InvalidRequestError
from loadmaster.instance import Instance
from loadmaster.jobs.load_policy import LoadOptions
from loadmaster.jobs.row_errors import read_job_errors
from loadmaster.jobs.s3 import import_from_s3
from loadmaster.storage import Store
from tests.jobs.test_bad_rows import OPTION_REFUSALS
from tests.remote_fixtures import HttpSource, make_job, s3_admin, s3_request

pytest_plugins = ["tests.remote_fixtures"]

# Lines: 1 fine, 2 not JSON, 3 blank, 4 not an object, 5 empty id, 6 null id, 7 no id (one is
# made up: fine), 8 fine.
SOURCE = (
    b'{"id":1,"v":"a"}\n{"id":2,\n\n[1,2]\n{"id":"","v":"e"}\n{"id":null,"v":"f"}\n'
    b'{"v":"g"}\n{"id":8,"v":"h"}\n'
)
ERRORS = [
    {"line": 2, "column": None, "reason": "not valid JSON", "value": '{"id":2,'},
    {"line": 4, "column": None, "reason": "not a JSON object", "value": "[1,2]"},
    {"line": 5, "column": "id", "reason": "empty primary key", "value": ""},
    {"line": 6, "column": "id", "reason": "null primary key", "value": "null"},
]


@pytest.fixture(params=["in_process", "worker"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Instance]:
    """Every case runs on both paths: in-process, and parsed by the worker process."""
    threshold = 0 if request.param == "worker" else -1
    with loadmaster.open(
        tmp_path / "d", admin_password="pw", parallel_load_min_bytes=threshold
    ) as db:
        db.operation({"operation": "create_table", "table": "t", "primary_key": "id"})
        yield db


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "bad.ndjson"
    path.write_bytes(SOURCE)
    return path


def run(db: Instance, **body: Any) -> dict[str, Any]:
    answer = db.operation({"table": "t", **body})
    assert "warnings" not in answer  # the load options are fields of every JSON load
    db.wait_for_job(answer["job_id"], timeout=60)
    (record,) = db.operation({"operation": "get_job", "id": answer["job_id"]})
    return dict(record)


def values(db: Instance) -> list[Any]:
    found = db.operation(
        {"operation": "search_by_value", "table": "t", "search_attribute": "v", "search_value": "*"}
    )
    return sorted(r["v"] for r in found)


def test_continue_rejects_what_cannot_load_and_loads_the_rest(db: Instance, source: Path) -> None:
    record = run(db, operation="json_file_load", file_path=str(source))
    assert (record["status"], record["message"]) == (
        "COMPLETE",
        "successfully loaded 5 of 5 records",
    )
    assert (record["error_count"], record["rejected"]) == (4, 2)
    assert record["errors"] == ERRORS
    assert db.operation({"operation": "get_job_errors", "id": record["id"]}) == {
        "errors": ERRORS,
        "total": 4,
    }
    # HarperDB's result for the faulty keys: an empty key is stored, a null one made up.
    assert values(db) == ["a", "e", "f", "g", "h"]


def test_skip_abort_and_max_errors(db: Instance, source: Path) -> None:
    path = str(source)
    record = run(db, operation="json_file_load", file_path=path, on_error="skip")
    assert record["message"] == "successfully loaded 3 of 3 records"
    assert (record["error_count"], record["rejected"]) == (4, 4)
    assert values(db) == ["a", "g", "h"]
    record = run(db, operation="json_file_load", file_path=path, on_error="abort", action="upsert")
    assert (record["status"], record["message"]) == (
        "ERROR",
        "Load aborted at line 2: not valid JSON; 1 records were already loaded",
    )
    assert record["errors"] == ERRORS[:1]
    record = run(
        db,
        operation="json_file_load",
        file_path=path,
        on_error="skip",
        max_errors=1,
        action="upsert",
    )
    assert (record["status"], record["message"]) == (
        "ERROR",
        "Load aborted: more than 1 rows were rejected, the last at line 4: not a JSON object; "
        "1 records were already loaded",
    )


def test_validate_only_reads_everything_and_writes_nothing(db: Instance, source: Path) -> None:
    record = run(db, operation="json_file_load", file_path=str(source), validate_only=True)
    assert (record["status"], record["message"]) == (
        "COMPLETE",
        "validated 7 records, 4 with errors",
    )
    assert record["errors"] == ERRORS
    assert values(db) == []


def test_json_data_load_text_and_records(db: Instance) -> None:
    record = run(db, operation="json_data_load", data=SOURCE.decode(), on_error="skip")
    assert record["message"] == "successfully loaded 3 of 3 records"
    assert record["errors"] == ERRORS
    # Records already decoded: a record's line is its place in the array.
    data = [{"id": 10, "v": "x"}, {"id": "", "v": "y"}, {"id": 12, "v": "z"}]
    record = run(db, operation="json_data_load", data=data, on_error="abort")
    assert record["message"] == (
        "Load aborted at line 2: empty primary key (column 'id'); 1 records were already loaded"
    )
    record = run(db, operation="json_data_load", data=data, validate_only=True)
    assert record["message"] == "validated 3 records, 1 with errors"
    assert values(db) == ["a", "g", "h", "x"]


def test_json_url_load_skips(db: Instance, http_source: HttpSource) -> None:
    url = http_source.add("/bad.ndjson", SOURCE, content_type="application/x-ndjson")
    record = run(db, operation="json_url_load", json_url=url, on_error="skip")
    assert record["message"] == "successfully loaded 3 of 3 records"
    assert record["errors"] == ERRORS


def test_bad_options_are_refused_before_any_job(db: Instance, source: Path) -> None:
    for fields, error in OPTION_REFUSALS:
        for body in (
            {"operation": "json_file_load", "file_path": str(source)},
            {"operation": "json_data_load", "data": "{}"},
            {"operation": "json_url_load", "json_url": "http://127.0.0.1:9/x.ndjson"},
        ):
            with pytest.raises(InvalidRequestError) as caught:
                db.operation({**body, "table": "t", **fields})
            assert (caught.value.message, caught.value.status_code) == (error, 400)


def test_s3_ndjson_and_json_keys(job_store: Store, moto_endpoint: str, s3_bucket: str) -> None:
    job_store.create_table("data", "t", "id")
    admin = s3_admin(moto_endpoint)
    admin.put_object(Bucket=s3_bucket, Key="in/bad.ndjson", Body=SOURCE)
    request = s3_request(s3_bucket, "in/bad.ndjson")
    job = make_job(job_store, s3_endpoint_url=moto_endpoint)
    dry = import_from_s3(
        job, request, db="data", table="t", action="insert", options=LoadOptions(validate_only=True)
    )
    assert dry == "validated 7 records, 4 with errors"
    assert read_job_errors(job_store, job.job_id) == ERRORS
    assert job_store.table("data", "t").record_count() == 0
    job = make_job(job_store, s3_endpoint_url=moto_endpoint)
    message = import_from_s3(
        job, request, db="data", table="t", action="insert", options=LoadOptions(on_error="skip")
    )
    assert message == "successfully loaded 3 of 3 records"
    assert (job.counters["error_count"], job.counters["rejected"]) == (4, 4)
    # A .json key is an array: its elements are judged at the line where they begin.
    admin.put_object(Bucket=s3_bucket, Key="in/r.json", Body=b'[{"id": 20},\n 5,\n {"id": ""}]')
    job = make_job(job_store, s3_endpoint_url=moto_endpoint)
    message = import_from_s3(
        job, s3_request(s3_bucket, "in/r.json"), db="data", table="t", action="upsert"
    )
    assert message == "successfully loaded 2 of 2 records"
    assert [(e["line"], e["reason"]) for e in read_job_errors(job_store, job.job_id)] == [
        (2, "not a JSON object"),
        (3, "empty primary key"),
    ]
