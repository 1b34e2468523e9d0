"""`loadmaster serve` as a real process: it serves, and SIGTERM ends it and its jobs cleanly."""

import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import basic
from tests.remote_fixtures import HttpSource

pytest_plugins = ["tests.remote_fixtures"]
pytestmark = pytest.mark.e2e
AUTH = {"authorization": basic("HDB_ADMIN", "pw")}
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def start_server(data: Path, port: int, **settings: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "LOADMASTER_ADMIN_PASSWORD": "pw",
        "LOADMASTER_SOURCE_READ_TIMEOUT": "3",
        "PYTHONPATH": str(ROOT),
        **settings,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "loadmaster", "serve", "--port", str(port), "--data", str(data)],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 30
    seen = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stderr], [], [], deadline - time.monotonic())
        if not ready:
            break
        line = process.stderr.readline()
        seen.append(line)
        if "serving the Operations API" in line:
            return process
        if not line:
            break
    process.kill()
    raise AssertionError("server did not start: " + "".join(seen))


def test_sigterm_stops_the_server_and_settles_running_jobs(
    tmp_path: Path, http_source: HttpSource
) -> None:
    data, port = tmp_path / "data", free_port()
    url = http_source.add("/slow.csv", b"id,name\n1,a\n", extra_length=1000, mode="stall")
    server = start_server(data, port)
    try:
        base = f"http://127.0.0.1:{port}/"
        answer = httpx.post(
            base,
            json={"operation": "create_table", "table": "t", "primary_key": "id"},
            headers=AUTH,
        )
        assert answer.status_code == 200
        job = httpx.post(
            base, json={"operation": "csv_url_load", "table": "t", "csv_url": url}, headers=AUTH
        ).json()
        (record,) = httpx.post(
            base, json={"operation": "get_job", "id": job["job_id"]}, headers=AUTH
        ).json()
        assert record["status"] == "IN_PROGRESS"
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0
    finally:
        if server.poll() is None:
            server.kill()
        server.wait()
        assert server.stderr is not None
        server.stderr.close()
    server = start_server(data, port)
    try:
        (record,) = httpx.post(
            f"http://127.0.0.1:{port}/",
            json={"operation": "get_job", "id": job["job_id"]},
            headers=AUTH,
        ).json()
        assert record["status"] == "ERROR"
        assert record["message"] == (
            "Job was interrupted: the server shut down before it finished. Rerun the operation."
        )
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0
        assert server.stderr is not None
        server.stderr.close()
