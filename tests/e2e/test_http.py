"""The Operations API over real HTTP/1.1 and HTTP/2 against a real Hypercorn server."""

import ssl
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

import loadmaster
from loadmaster.instance import Instance
from loadmaster.server.serve import BackgroundServer
from tests.conftest import ADMIN_AUTH, ADMIN_PASSWORD, basic

pytestmark = pytest.mark.e2e


def test_health(h1: httpx.Client) -> None:
    response = h1.get("/health")
    assert (response.status_code, response.text) == (200, "HarperDB is running.")


@pytest.mark.parametrize("client", ["h1", "h2"])
def test_operation_round_trip(client: str, request: pytest.FixtureRequest) -> None:
    http: httpx.Client = request.getfixturevalue(client)
    response = http.post("/", json={"operation": "create_table", "table": "t", "primary_key": "id"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"message": "table 'data.t' successfully created."}
    assert response.http_version == ("HTTP/2" if client == "h2" else "HTTP/1.1")


def test_more_than_a_thousand_requests_on_one_http2_connection(h2: httpx.Client) -> None:
    statuses = {
        h2.post("/", json={"operation": "get_job", "id": "x"}).status_code for _ in range(1100)
    }
    assert statuses == {200}


def post_raw(server: BackgroundServer, content: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(server.url + "/", content=content, headers=headers)


JSON = {"content-type": "application/json", "authorization": ADMIN_AUTH}


@pytest.mark.parametrize(
    ("content", "headers", "status", "body"),
    [
        (
            b"",
            JSON,
            400,
            {"error": "Body cannot be empty when content-type is set to 'application/json'"},
        ),
        (
            b'{"table": 1}',
            JSON,
            400,
            {"error": "Request body must include an 'operation' property."},
        ),
        (b'{"operation": "no_such_op"}', JSON, 400, {"error": "Operation 'no_such_op' not found"}),
        (
            # delete_job exists since issue 12; update_job is still unrouted, as in HarperDB.
            b'{"operation": "update_job", "id": "x"}',
            JSON,
            400,
            {"error": "Operation 'update_job' not found"},
        ),
        (
            b"[1, 2]",
            JSON,
            400,
            {
                "statusCode": 400,
                "error": "Bad Request",
                "message": "Request body must include an 'operation' property.",
            },
        ),
        (
            b"null",
            JSON,
            400,
            {
                "statusCode": 400,
                "error": "Bad Request",
                "message": "Cannot read properties of null (reading 'operation')",
            },
        ),
        (
            b"a=b",
            {"content-type": "application/x-www-form-urlencoded", "authorization": ADMIN_AUTH},
            415,
            {"error": "Unsupported Media Type: application/x-www-form-urlencoded"},
        ),
        (b"{}", {"authorization": ADMIN_AUTH}, 415, {"error": "Unsupported Media Type: undefined"}),
        (
            b'{"operation": "describe_all"}',
            {"content-type": "application/json"},
            401,
            {"error": "Must login"},
        ),
        (
            b'{"operation": "describe_all"}',
            {"content-type": "application/json", "authorization": basic("HDB_ADMIN", "wrong")},
            401,
            {"error": "Login failed"},
        ),
        (
            b'{"operation": "describe_all"}',
            {"content-type": "application/json", "authorization": "Basic %%%"},
            401,
            {"error": "Invalid character"},
        ),
        (
            b'{"operation": "describe_all"}',
            {"content-type": "application/json", "authorization": "Digest abc"},
            401,
            {"error": "Must login"},
        ),
        (
            b'{"operation": "describe_all"}',
            {"content-type": "application/json", "authorization": "Bearer not-a-token"},
            401,
            {"error": "invalid token"},
        ),
        (b'{"operation": "get_job"}', JSON, 400, {"error": "'id' is required"}),
        (b'{"operation": "get_job", "id": ""}', JSON, 500, {"error": "Invalid job ID specified."}),
    ],
)
def test_error_envelopes(
    server: BackgroundServer, content: bytes, headers: dict[str, str], status: int, body: Any
) -> None:
    response = post_raw(server, content, headers)
    assert (response.status_code, response.json()) == (status, body)
    assert "www-authenticate" not in response.headers


def test_broken_json_names_the_problem(server: BackgroundServer) -> None:
    response = post_raw(server, b'{"operation": ', JSON)
    assert response.status_code == 400
    assert response.json()["error"]


def test_non_object_bodies_use_fastify_content_type(server: BackgroundServer) -> None:
    response = post_raw(server, b'"text"', JSON)
    assert response.headers["content-type"] == "application/json; charset=utf-8"


def test_credentials_in_the_body_work(server: BackgroundServer) -> None:
    body = {"operation": "describe_all", "username": "HDB_ADMIN", "password": ADMIN_PASSWORD}
    response = httpx.post(server.url + "/", json=body)
    assert (response.status_code, response.json()) == (200, {})


def test_oversized_body_is_refused(tmp_path: Path) -> None:
    with loadmaster.open(tmp_path / "d", admin_password="pw", max_body_bytes=1000) as db:
        server = db.serve()
        response = httpx.post(
            server.url + "/",
            content=b'{"operation": "describe_all", "x": "' + b"a" * 2000 + b'"}',
            headers={"content-type": "application/json", "authorization": basic("HDB_ADMIN", "pw")},
        )
        assert response.status_code == 413


def test_csv_load_job_over_http(instance: Instance, h2: httpx.Client, tmp_path: Path) -> None:
    h2.post("/", json={"operation": "create_table", "table": "dog", "primary_key": "id"})
    path = tmp_path / "dogs.csv"
    path.write_text("id,name,age\n" + "".join(f"{i},dog {i},{i % 15}\n" for i in range(350)))
    answer = h2.post(
        "/", json={"operation": "csv_file_load", "table": "dog", "file_path": str(path)}
    ).json()
    job_id = answer["job_id"]
    assert answer == {"message": f"Starting job with id {job_id}", "job_id": job_id}
    first = h2.post("/", json={"operation": "get_job", "id": job_id}).json()
    assert first[0]["status"] in ("IN_PROGRESS", "COMPLETE")
    instance.wait_for_job(job_id, 30)
    (record,) = h2.post("/", json={"operation": "get_job", "id": job_id}).json()
    assert record["status"] == "COMPLETE"
    assert record["message"] == "successfully loaded 350 of 350 records"
    count = h2.post("/", json={"operation": "describe_table", "table": "dog"}).json()
    assert count["record_count"] == 350


def test_h2_over_tls_with_a_generated_certificate(tmp_path: Path) -> None:
    trustme = pytest.importorskip("trustme")
    authority = trustme.CA()
    cert = authority.issue_cert("127.0.0.1")
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    context = ssl.create_default_context()
    authority.configure_trust(context)
    with loadmaster.open(
        tmp_path / "d", admin_password="pw", certfile=certfile, keyfile=keyfile
    ) as db:
        server = db.serve()
        assert server.url.startswith("https://")
        with httpx.Client(verify=context, http2=True) as client:
            response = client.post(
                server.url + "/",
                json={"operation": "describe_all"},
                headers={"authorization": basic("HDB_ADMIN", "pw")},
            )
        assert response.status_code == 200
        assert response.http_version == "HTTP/2"


def test_killed_server_leaves_its_job_settled_as_error_on_restart(tmp_path: Path) -> None:
    """A real process dies mid-load; the next start settles its job as ERROR."""
    data = tmp_path / "data"
    script = f"""
import sys, os, signal
sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
import loadmaster
from loadmaster.jobs.context import JobContext

import threading
db = loadmaster.open({str(data)!r}, admin_password="pw")
go = threading.Event()
def dies(job: JobContext) -> str:
    job.progress(processed=1)
    go.wait(30)
    os.kill(os.getpid(), signal.SIGKILL)
    return "unreachable"
from loadmaster.models import EMBEDDED_USER
job_id = db.jobs.submit(type="csv_file_load", user=EMBEDDED_USER, request={{}}, run=dies)
print(job_id, flush=True)
go.set()
threading.Event().wait(30)
"""
    proc = subprocess.run(
        [__import__("sys").executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == -9, proc.stderr
    job_id = proc.stdout.strip()
    with loadmaster.open(data, admin_password="pw") as db:
        (record,) = db.operation({"operation": "get_job", "id": job_id})
    assert record["status"] == "ERROR"
    assert record["message"] == (
        "Job was interrupted: an earlier loadmaster process exited before it finished. "
        "Rerun the operation."
    )
