"""``loadmaster.Client`` against a real server on 127.0.0.1 (and moto's S3, a local HTTP source)."""

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import loadmaster
from loadmaster.errors import ConflictError
from loadmaster.instance import Instance
from loadmaster.server.serve import BackgroundServer
from tests.conftest import ADMIN_PASSWORD
from tests.remote_fixtures import ACCESS_KEY, REGION, SECRET_KEY, HttpSource, refused_port, s3_admin

pytest_plugins = ["tests.remote_fixtures"]
pytestmark = pytest.mark.e2e


@pytest.fixture
def client(server: BackgroundServer) -> Iterator[loadmaster.Client]:
    with loadmaster.Client(server.url, user="HDB_ADMIN", password=ADMIN_PASSWORD) as lm:
        lm.operation(
            {"operation": "create_table", "database": "dev", "table": "dog", "primary_key": "id"}
        )
        yield lm


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, moto_endpoint: str) -> str:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_endpoint)
    return moto_endpoint


def test_operations_jobs_and_typed_records(client: loadmaster.Client) -> None:
    assert "dev" in client.operation({"operation": "describe_all"})
    job_id = client.submit(
        {
            "operation": "csv_data_load",
            "database": "dev",
            "table": "dog",
            "data": "id,name\n1,Penny\n2,Kato\n",
        }
    )
    job = client.wait(job_id, timeout=30)
    assert isinstance(job, loadmaster.Job)
    assert (job.id, job.status, job.type) == (job_id, "COMPLETE", "csv_data_load")
    assert job.finished
    assert job.message == "successfully loaded 2 of 2 records"
    assert job.processed == 2
    assert client.job(job_id) == job


def test_errors_are_the_embedded_errors(
    server: BackgroundServer, client: loadmaster.Client
) -> None:
    with pytest.raises(loadmaster.NotFoundError) as missing:
        client.operation({"operation": "describe_table", "database": "dev", "table": "cat"})
    assert missing.value.status_code == 404
    assert missing.value.message == "Table 'dev.cat' does not exist"
    with pytest.raises(loadmaster.InvalidRequestError) as bad:
        client.operation({"operation": "no_such_thing"})
    assert bad.value.status_code == 400
    with pytest.raises(loadmaster.NotFoundError):
        client.job("00000000-0000-0000-0000-000000000000")
    wrong = loadmaster.Client(server.url, user="HDB_ADMIN", password="wrong")
    with wrong, pytest.raises(loadmaster.AuthenticationError) as refused:
        wrong.operation({"operation": "describe_all"})
    assert (refused.value.status_code, refused.value.message) == (401, "Login failed")
    nowhere = loadmaster.Client(f"http://127.0.0.1:{refused_port()}")
    with nowhere, pytest.raises(loadmaster.LoadmasterError, match="cannot reach") as unreachable:
        nowhere.operation({"operation": "describe_all"})
    assert unreachable.value.status_code == 503


def test_permission_errors_carry_harperdbs_body(
    server: BackgroundServer, client: loadmaster.Client
) -> None:
    client.operation(
        {
            "operation": "add_role",
            "role": "none",
            "permission": {
                "dev": {
                    "tables": {
                        "dog": {
                            "read": False,
                            "insert": False,
                            "update": False,
                            "delete": False,
                            "attribute_permissions": [],
                        }
                    }
                }
            },
        }
    )
    client.operation(
        {
            "operation": "add_user",
            "role": "none",
            "username": "nobody",
            "password": "nobody-pw",
            "active": True,
        }
    )
    refused_body = {"operation": "search_by_id", "database": "dev", "table": "dog", "ids": [1]}
    nobody = loadmaster.Client(server.url, user="nobody", password="nobody-pw")
    with nobody, pytest.raises(loadmaster.PermissionDeniedError) as denied:
        nobody.operation(refused_body)
    assert denied.value.status_code == 403
    raw = httpx.post(server.url, json=refused_body, auth=("nobody", "nobody-pw"))
    assert (raw.status_code, raw.json()) == (403, denied.value.body())


def test_a_token_authenticates(server: BackgroundServer, client: loadmaster.Client) -> None:
    tokens = client.operation(
        {
            "operation": "create_authentication_tokens",
            "username": "HDB_ADMIN",
            "password": ADMIN_PASSWORD,
        }
    )
    with loadmaster.Client(server.url, token=tokens["operation_token"]) as by_token:
        assert "dev" in by_token.operation({"operation": "describe_all"})


def test_load_a_local_file_with_progress(
    tmp_path: Path, client: loadmaster.Client, instance: Instance
) -> None:
    path = tmp_path / "dogs.csv"
    path.write_text("id,name\n" + "".join(f"{i},dog{i}\n" for i in range(20_000)))
    sent: list[tuple[int, int | None]] = []
    job_id = client.load(
        path, "dog", "dev", on_upload=lambda done, total: sent.append((done, total))
    )
    job = client.wait(job_id, timeout=60)
    assert (job.status, job.type) == ("COMPLETE", "csv_upload_load")
    assert job.message == "successfully loaded 20000 of 20000 records"
    size = path.stat().st_size
    assert sent[-1] == (size, size)
    assert job.bytes_total == size
    with pytest.raises(loadmaster.InvalidRequestError, match="cannot read"):
        client.load(tmp_path / "missing.csv", "dog", "dev")


def test_load_from_a_url(client: loadmaster.Client, http_source: HttpSource) -> None:
    url = http_source.add("/dogs.csv", b"id,name\n1,a\n2,b\n3,c\n")
    job = client.wait(client.load(url, "dog", "dev", action="upsert"), timeout=30)
    assert (job.type, job.message) == ("csv_url_load", "successfully loaded 3 of 3 records")


def test_load_from_s3_and_export_to_s3(
    client: loadmaster.Client, aws_env: str, s3_bucket: str
) -> None:
    s3 = s3_admin(aws_env)
    s3.put_object(Bucket=s3_bucket, Key="dogs.csv", Body=b"id,name\n1,a\n2,b\n")
    job = client.wait(client.load(f"s3://{s3_bucket}/dogs.csv", "dog", "dev"), timeout=30)
    assert (job.type, job.status) == ("import_from_s3", "COMPLETE"), job.message
    assert job.message == "successfully loaded 2 of 2 records"
    job = client.wait(client.export("dog", f"s3://{s3_bucket}/out/dogs.json", "json", "dev"), 30)
    assert (job.type, job.status) == ("export_to_s3", "COMPLETE"), job.message
    exported = s3.get_object(Bucket=s3_bucket, Key="out/dogs.json")["Body"].read()
    assert sorted(d["id"] for d in loadmaster_json(exported)) == [1, 2]


def loadmaster_json(raw: bytes) -> list[dict[str, object]]:
    decoded: list[dict[str, object]] = json.loads(raw)
    return decoded


def test_export_to_a_file_on_the_server(tmp_path: Path, client: loadmaster.Client) -> None:
    client.wait(
        client.submit(
            {
                "operation": "csv_data_load",
                "database": "dev",
                "table": "dog",
                "data": "id,name\n1,Penny\n",
            }
        ),
        30,
    )
    job = client.wait(client.export("dog", str(tmp_path / "dogs.csv"), "csv", "dev"), 30)
    assert job.status == "COMPLETE", job.message
    header, row = (tmp_path / "dogs.csv").read_text().splitlines()
    assert '"id","name"' in header
    assert row.endswith(',1,"Penny"')


def test_wait_gives_up_after_its_timeout(tmp_path: Path, http_source: HttpSource) -> None:
    url = http_source.add("/slow.csv", b"id,name\n1,a\n", extra_length=1000, mode="stall")
    with loadmaster.open(tmp_path / "d", admin_password="pw", source_read_timeout=2) as db:
        db.operation({"operation": "create_table", "table": "dog", "primary_key": "id"})
        server = db.serve("127.0.0.1", 0)
        with loadmaster.Client(server.url, user="HDB_ADMIN", password="pw") as lm:
            job_id = lm.load(url, "dog")
            with pytest.raises(TimeoutError):
                lm.wait(job_id, timeout=0.5)
            job = lm.wait(job_id, timeout=30)
    assert job.status == "ERROR"
    assert "after loading" in job.message or "timed out" in job.message.lower(), job.message


def test_jobs_filters_a_page_of_search_jobs(client: loadmaster.Client) -> None:
    loads = [
        client.submit(
            {"operation": "csv_data_load", "database": "dev", "table": "dog", "data": f"id\n{i}\n"}
        )
        for i in range(3)
    ]
    failed = client.load(f"http://127.0.0.1:{refused_port()}/dogs.csv", "dog", "dev")
    for job_id in (*loads, failed):
        client.wait(job_id, timeout=30)

    every = client.jobs()
    assert all(isinstance(job, loadmaster.Job) for job in every)
    assert [job.id for job in every] == [failed, *reversed(loads)]  # newest first
    assert [job.id for job in client.jobs(order="asc", limit=2)] == loads[:2]
    assert [job.id for job in client.jobs(type="csv_data_load", limit=1)] == [loads[-1]]
    (error,) = client.jobs(status="ERROR")
    assert (error.id, error.type, error.status) == (failed, "csv_url_load", "ERROR")
    assert len(client.jobs(status=["COMPLETE", "ERROR"], user="HDB_ADMIN")) == 4
    assert client.jobs(user="nobody") == []
    # The cursor: a page and the next one, and every job page by page.
    first, cursor = client.jobs_page(order="asc", limit=3)
    assert [job.id for job in first] == loads
    assert cursor is not None
    rest, after = client.jobs_page(order="asc", limit=3, next=cursor)
    assert ([job.id for job in rest], after) == ([failed], None)
    assert [job.id for job in client.iter_jobs(limit=1)] == [failed, *reversed(loads)]
    with pytest.raises(loadmaster.InvalidRequestError, match="Unknown job status 'DONE'"):
        client.jobs(status="DONE")


def test_cancel_a_running_job(quick_stop_server: BackgroundServer, stalled_url: str) -> None:
    with loadmaster.Client(quick_stop_server.url, user="HDB_ADMIN", password=ADMIN_PASSWORD) as lm:
        job_id = lm.load(stalled_url, "dog", "dev")
        assert lm.job(job_id).status == "IN_PROGRESS"
        assert lm.cancel(job_id) == f"Cancelling job {job_id}"
        job = lm.wait(job_id, timeout=30)
        assert (job.status, job.cancelled, job.cancelled_by) == ("ERROR", True, "HDB_ADMIN")
        assert job.message.startswith("Job was cancelled by HDB_ADMIN")
        with pytest.raises(ConflictError) as finished:
            lm.cancel(job_id)
        assert (finished.value.status_code, finished.value.message) == (
            409,
            f"Job {job_id} has already finished",
        )
        with pytest.raises(loadmaster.NotFoundError):
            lm.cancel("no-such-job")
