"""csv_url_load and import_from_s3 report and handle faulty rows as file loads do, both paths."""

from typing import Any

import pytest

from loadmaster.errors import LoadAbortedError
from loadmaster.jobs.load_policy import LoadOptions
from loadmaster.jobs.row_errors import read_job_errors
from loadmaster.jobs.s3 import import_from_s3
from loadmaster.jobs.url import load_csv_url
from loadmaster.storage import Store
from tests.remote_fixtures import HttpSource, make_job, s3_admin, s3_request

pytest_plugins = ["tests.remote_fixtures"]

BODY = b'id,v\r\n1,a\r\n2\r\n3,"c\r\nc"\r\n4,d,x\r\n,e\r\n6,f\r\n7,"open\r\n8,h\r\n'
ERRORS = [
    {"line": 3, "column": "v", "reason": "too few fields", "value": "2"},
    {"line": 6, "column": None, "reason": "too many fields", "value": "x"},
    {"line": 7, "column": "id", "reason": "empty primary key", "value": ""},
    {"line": 9, "column": "v", "reason": "unterminated quote", "value": "open\r\n8,h\r\n"},
]
PATHS = pytest.mark.parametrize("threshold", [-1, 0], ids=["in_process", "worker"])


@pytest.fixture
def store(job_store: Store) -> Store:
    job_store.create_table("data", "t", "id")
    return job_store


def ids(store: Store) -> list[Any]:
    return sorted(r["id"] for r in store.table("data", "t").scan())


@PATHS
def test_url_load_skip(store: Store, http_source: HttpSource, threshold: int) -> None:
    url = http_source.add("/bad.csv", BODY)
    job = make_job(store, parallel_load_min_bytes=threshold)
    message = load_csv_url(
        job,
        url,
        headers=None,
        db="data",
        table="t",
        action="insert",
        options=LoadOptions(on_error="skip"),
    )
    assert message == "successfully loaded 4 of 4 records"
    assert ids(store) == [1, 3, 6, 8]
    assert read_job_errors(store, job.job_id) == ERRORS
    assert (job.counters["error_count"], job.counters["rejected"]) == (4, 4)


@PATHS
def test_url_load_abort(store: Store, http_source: HttpSource, threshold: int) -> None:
    url = http_source.add("/bad.csv", BODY)
    job = make_job(store, parallel_load_min_bytes=threshold)
    with pytest.raises(LoadAbortedError) as caught:
        load_csv_url(
            job,
            url,
            headers=None,
            db="data",
            table="t",
            action="insert",
            options=LoadOptions(on_error="abort"),
        )
    assert caught.value.message == (
        "Load aborted at line 3: too few fields (column 'v'); 1 records were already loaded"
    )
    assert ids(store) == [1]


@PATHS
def test_s3_csv_import_continue_and_validate(
    store: Store, moto_endpoint: str, s3_bucket: str, threshold: int
) -> None:
    s3_admin(moto_endpoint).put_object(Bucket=s3_bucket, Key="in/bad.csv", Body=BODY)
    request = s3_request(s3_bucket, "in/bad.csv")
    job = make_job(store, s3_endpoint_url=moto_endpoint, parallel_load_min_bytes=threshold)
    dry = import_from_s3(
        job, request, db="data", table="t", action="insert", options=LoadOptions(validate_only=True)
    )
    assert dry == "validated 8 records, 4 with errors"
    assert ids(store) == []
    assert read_job_errors(store, job.job_id) == ERRORS
    job = make_job(store, s3_endpoint_url=moto_endpoint, parallel_load_min_bytes=threshold)
    message = import_from_s3(job, request, db="data", table="t", action="insert")
    assert message == "successfully loaded 7 of 7 records"
    assert read_job_errors(store, job.job_id) == ERRORS


def test_s3_json_import_validate_only_writes_nothing(
    store: Store, moto_endpoint: str, s3_bucket: str
) -> None:
    s3_admin(moto_endpoint).put_object(
        Bucket=s3_bucket, Key="in/r.json", Body=b'[{"id": 1}, {"id": 2}]'
    )
    job = make_job(store, s3_endpoint_url=moto_endpoint)
    options = LoadOptions(validate_only=True)
    message = import_from_s3(
        job,
        s3_request(s3_bucket, "in/r.json"),
        db="data",
        table="t",
        action="insert",
        options=options,
    )
    assert message == "validated 2 records, 0 with errors"
    assert ids(store) == []
