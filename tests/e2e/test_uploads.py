"""``PUT /load/<database>/<table>``: bodies streamed into tables by a real server."""

import gzip
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from loadmaster.instance import Instance
from loadmaster.server import body_stream
from loadmaster.server.serve import BackgroundServer
from tests.conftest import ADMIN_AUTH, ADMIN_PASSWORD, basic

pytestmark = pytest.mark.e2e
CSV = {"content-type": "text/csv", "authorization": ADMIN_AUTH}


def rows(count: int, start: int = 0) -> bytes:
    return "".join(f"{i},dog{i},{i % 20}\n" for i in range(start, start + count)).encode()


@pytest.fixture
def dog(instance: Instance) -> Instance:
    instance.operation(
        {"operation": "create_table", "database": "dev", "table": "dog", "primary_key": "id"}
    )
    return instance


def count(instance: Instance) -> int:
    described = instance.operation(
        {"operation": "describe_table", "database": "dev", "table": "dog"}
    )
    return int(described["record_count"])


def test_a_csv_body_is_loaded_as_a_job(server: BackgroundServer, dog: Instance) -> None:
    body = b"id,name,age\n" + rows(1000)
    answer = httpx.put(server.url + "/load/dev/dog", content=body, headers=CSV)
    assert answer.status_code == 200, answer.text
    job_id = answer.json()["job_id"]
    assert answer.json()["message"] == f"Starting job with id {job_id}"
    record = dog.wait_for_job(job_id, 30)
    assert record is not None
    assert record["status"] == "COMPLETE"
    assert record["type"] == "csv_upload_load"
    assert record["message"] == "successfully loaded 1000 of 1000 records"
    assert record["bytes_read"] == record["bytes_total"] == len(body)
    assert count(dog) == 1000
    found = dog.operation(
        {
            "operation": "search_by_id",
            "database": "dev",
            "table": "dog",
            "ids": [7],
            "get_attributes": ["*"],
        }
    )
    assert (found[0]["name"], found[0]["age"]) == ("dog7", 7)


def test_a_big_streamed_body_flows_through_a_bounded_queue(
    server: BackgroundServer, dog: Instance
) -> None:
    """100k rows sent in small chunks, without a length: all loaded, memory bounded."""
    most = 0
    original = body_stream.BodyStream.put

    async def counting_put(self: body_stream.BodyStream, chunk: bytes) -> bool:
        nonlocal most
        most = max(most, len(self._queue))
        return await original(self, chunk)

    def body() -> Iterator[bytes]:
        yield b"id,name,age\n"
        for start in range(0, 100_000, 1_000):
            yield rows(1_000, start)

    body_stream.BodyStream.put = counting_put  # type: ignore[method-assign]
    try:
        answer = httpx.put(server.url + "/load/dev/dog", content=body(), headers=CSV, timeout=120)
    finally:
        body_stream.BodyStream.put = original  # type: ignore[method-assign]
    record = dog.wait_for_job(answer.json()["job_id"], 120)
    assert record is not None
    assert record["message"] == "successfully loaded 100000 of 100000 records"
    assert "bytes_total" not in record  # chunked: the size was not announced
    assert count(dog) == 100_000
    assert 0 < most <= body_stream.MAX_CHUNKS


def test_counters_are_live_while_the_body_is_still_arriving(
    server: BackgroundServer, dog: Instance
) -> None:
    seen: list[dict[str, Any]] = []

    def body() -> Iterator[bytes]:
        yield b"id,name,age\n" + rows(20_000)
        # The job exists before the answer: find it and watch its counters move.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not seen:
            jobs = dog.operation(
                {
                    "operation": "search_jobs_by_start_date",
                    "from_date": "2000-01-01",
                    "to_date": "2100-01-01",
                }
            )
            running = [j for j in jobs if j["type"] == "csv_upload_load"]
            if running:
                record = dog.operation({"operation": "get_job", "id": running[0]["id"]})[0]
                if record.get("bytes_read"):
                    seen.append(record)
            time.sleep(0.05)
        yield rows(10, 20_000)

    answer = httpx.put(server.url + "/load/dev/dog", content=body(), headers=CSV, timeout=60)
    assert seen, "the job never showed bytes read while the body was arriving"
    assert seen[0]["status"] == "IN_PROGRESS"
    record = dog.wait_for_job(answer.json()["job_id"], 60)
    assert record is not None
    assert record["message"] == "successfully loaded 20010 of 20010 records"


def test_gzip_and_json_bodies(server: BackgroundServer, dog: Instance) -> None:
    zipped = gzip.compress(b"id,name,age\n" + rows(300))
    answer = httpx.post(
        server.url + "/load/dev/dog?action=upsert",
        content=zipped,
        headers={**CSV, "content-encoding": "gzip"},
    )
    record = dog.wait_for_job(answer.json()["job_id"], 30)
    assert record is not None
    assert record["message"] == "successfully loaded 300 of 300 records"
    assert record["bytes_read"] == len(zipped)

    body = b'[{"id": 1000, "name": "json dog"}, {"id": 1001, "name": "another"}]'
    answer = httpx.put(
        server.url + "/load/dev/dog",
        content=body,
        headers={**CSV, "content-type": "application/json"},
    )
    record = dog.wait_for_job(answer.json()["job_id"], 30)
    assert record is not None
    assert record["type"] == "json_upload_load"
    assert record["message"] == "successfully loaded 2 of 2 records"

    ndjson = '{"id": 2000, "name": "Caf\u00e9"}\n{"id": 2001, "name": "x"}\n'.encode("latin-1")
    answer = httpx.put(
        server.url + "/load/dev/dog?encoding=latin-1",
        content=ndjson,
        headers={**CSV, "content-type": "application/x-ndjson"},
    )
    record = dog.wait_for_job(answer.json()["job_id"], 30)
    assert record is not None
    assert record["message"] == "successfully loaded 2 of 2 records", record
    found = dog.operation(
        {
            "operation": "search_by_id",
            "database": "dev",
            "table": "dog",
            "ids": [2000],
            "get_attributes": ["name"],
        }
    )
    assert found == [{"name": "Caf\u00e9"}]
    assert count(dog) == 304


def test_a_broken_gzip_body_ends_the_job_in_error(server: BackgroundServer, dog: Instance) -> None:
    answer = httpx.put(
        server.url + "/load/dev/dog",
        content=b"not gzip at all",
        headers={**CSV, "content-encoding": "gzip"},
    )
    record = dog.wait_for_job(answer.json()["job_id"], 30)
    assert record is not None
    assert record["status"] == "ERROR"
    assert "not valid gzip" in record["message"]


@pytest.mark.parametrize(
    ("path", "headers", "status", "error"),
    [
        ("/load/dev/dog", {"content-type": "text/csv"}, 401, "Must login"),
        (
            "/load/dev/dog",
            {**CSV, "authorization": basic("HDB_ADMIN", "wrong")},
            401,
            "Login failed",
        ),
        (
            "/load/dev/dog",
            {**CSV, "content-type": "image/png"},
            415,
            "Unsupported Media Type: image/png; send text/csv, application/csv, "
            "application/json, application/x-ndjson, application/jsonl",
        ),
        (
            "/load/dev/dog",
            {**CSV, "content-encoding": "br"},
            415,
            "Unsupported Content-Encoding: br; send gzip",
        ),
        (
            "/load/dev/dog?acton=upsert",
            CSV,
            400,
            "Unknown query parameter 'acton'; "
            "known: action, encoding, on_error, max_errors, validate_only",
        ),
        (
            "/load/dev/dog?action=insert&action=upsert",
            CSV,
            400,
            "Query parameter 'action' is given more than once",
        ),
        (
            "/load/dev/dog?action=merge",
            CSV,
            400,
            "Action is required and must be either insert, update, or upsert",
        ),
        ("/load/dev/cat", CSV, 400, "Table 'dev.cat' does not exist"),
        ("/load/nodb/dog", CSV, 400, "database 'nodb' does not exist"),
    ],
)
def test_bad_requests_are_refused_before_a_job_starts(
    server: BackgroundServer,
    dog: Instance,
    path: str,
    headers: dict[str, str],
    status: int,
    error: str,
) -> None:
    answer = httpx.put(server.url + path, content=b"id\n1\n", headers=headers)
    assert (answer.status_code, answer.json()) == (status, {"error": error})
    jobs = dog.operation(
        {
            "operation": "search_jobs_by_start_date",
            "from_date": "2000-01-01",
            "to_date": "2100-01-01",
        }
    )
    assert jobs == []


def test_an_unauthenticated_body_is_not_read(server: BackgroundServer, dog: Instance) -> None:
    sent = 0

    def endless() -> Iterator[bytes]:
        nonlocal sent
        while sent < 1 << 30:
            sent += 1 << 16
            yield b"x" * (1 << 16)

    try:
        answer = httpx.put(
            server.url + "/load/dev/dog",
            content=endless(),
            headers={"content-type": "text/csv"},
            timeout=5,
        )
    except httpx.HTTPError:
        pass  # the server may close the connection on a body it will not read
    else:
        assert answer.status_code == 401
    # Socket buffers take some megabytes; the server read none of it into a job or memory.
    assert sent < 64 << 20


def test_a_user_without_insert_rights_is_refused(server: BackgroundServer, dog: Instance) -> None:
    def role(name: str, insert: bool) -> None:
        rights = {
            "read": True,
            "insert": insert,
            "update": insert,
            "delete": False,
            "attribute_permissions": [],
        }
        permission = {"dev": {"tables": {"dog": rights}}}
        dog.operation({"operation": "add_role", "role": name, "permission": permission})
        dog.operation(
            {
                "operation": "add_user",
                "role": name,
                "username": name,
                "password": f"{name}-pw",
                "active": True,
            }
        )

    role("reader", insert=False)
    role("loader", insert=True)
    refused = httpx.put(
        server.url + "/load/dev/dog",
        content=b"id\n1\n",
        headers={**CSV, "authorization": basic("reader", "reader-pw")},
    )
    assert refused.status_code == 403
    assert refused.json()["error"].startswith("This operation is not authorized")
    assert count(dog) == 0
    allowed = httpx.put(
        server.url + "/load/dev/dog",
        content=b"id\n1\n",
        headers={**CSV, "authorization": basic("loader", "loader-pw")},
    )
    record = dog.wait_for_job(allowed.json()["job_id"], 30)
    assert record is not None
    assert (record["status"], record["user"]) == ("COMPLETE", "loader")


def test_an_untyped_upload_is_csv(server: BackgroundServer, dog: Instance) -> None:
    answer = httpx.put(
        server.url + "/load/dev/dog",
        content=b"id,name\n1,a\n",
        headers={"authorization": ADMIN_AUTH},
    )
    record = dog.wait_for_job(answer.json()["job_id"], 30)
    assert record is not None
    assert record["message"] == "successfully loaded 1 of 1 records"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_upload_file_just_works(
    server: BackgroundServer, dog: Instance, tmp_path: Path
) -> None:
    path = tmp_path / "dogs.csv"
    path.write_bytes(b"id,name,age\n" + rows(100))
    done = subprocess.run(
        [
            "curl",
            "-sS",
            "-T",
            str(path),
            "-u",
            f"HDB_ADMIN:{ADMIN_PASSWORD}",
            server.url + "/load/dev/dog",
        ],
        capture_output=True,
        check=True,
        timeout=60,
    )
    record = dog.wait_for_job(json.loads(done.stdout)["job_id"], 30)
    assert record is not None
    assert record["message"] == "successfully loaded 100 of 100 records"
