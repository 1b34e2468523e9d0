"""Start-up as a real process: one server per data directory, one-line start-up errors.

Before: a second server on a directory in use ran beside the first and settled its running
job as ERROR; a port in use gave a traceback after the data directory and a new admin
password were created; bad settings named nothing (issue 10, items 10 and 11).
"""

import logging
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import loadmaster
from loadmaster.errors import DataDirectoryInUseError
from loadmaster.storage.lockfile import LOCK_FILE
from tests.e2e.test_cli import AUTH, ROOT, free_port, start_server
from tests.remote_fixtures import HttpSource

pytest_plugins = ["tests.remote_fixtures"]
pytestmark = pytest.mark.e2e


def run_serve(
    args: list[str], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loadmaster", "serve", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "LOADMASTER_ADMIN_PASSWORD": "pw",
            **(env or {}),
        },
    )


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("loadmaster: error: ")
    return lines[0]


def snapshot(data: Path) -> set[str]:
    # Names only: the first server itself keeps writing its LMDB files.
    return {str(p.relative_to(data)) for p in data.rglob("*")}


def test_a_second_server_or_open_on_a_directory_in_use_stops_and_touches_nothing(
    tmp_path: Path, http_source: HttpSource
) -> None:
    data = tmp_path / "data"
    url = http_source.add("/slow.csv", b"id,name\n1,a\n", extra_length=1000, mode="stall")
    # The stalled load must still run when the second server has been refused, however slow
    # this machine is.
    first = start_server(data, free_port(), LOADMASTER_SOURCE_READ_TIMEOUT="120")
    try:
        base = first.args[first.args.index("--port") + 1]
        api = f"http://127.0.0.1:{base}/"
        httpx.post(
            api, json={"operation": "create_table", "table": "t", "primary_key": "id"}, headers=AUTH
        )
        job = httpx.post(
            api, json={"operation": "csv_url_load", "table": "t", "csv_url": url}, headers=AUTH
        ).json()
        before = snapshot(data)

        second = run_serve(["--port", str(free_port()), "--data", str(data)])
        assert second.returncode == 2
        line = one_line(second.stderr)
        assert str(data) in line
        assert f"pid {first.pid}" in line

        with pytest.raises(DataDirectoryInUseError) as refused:
            loadmaster.open(data, admin_password="other")
        assert str(data) in refused.value.message
        assert f"pid {first.pid}" in refused.value.message

        assert snapshot(data) == before
        assert (data / LOCK_FILE).read_text().strip() == str(first.pid)
        (record,) = httpx.post(
            api, json={"operation": "get_job", "id": job["job_id"]}, headers=AUTH
        ).json()
        # Not settled by the second one (its source may have timed out meanwhile, under load).
        assert record["status"] == "IN_PROGRESS" or not record["message"].startswith(
            "Job was interrupted"
        ), record
        first.send_signal(signal.SIGTERM)
        assert first.wait(30) == 0
    finally:
        if first.poll() is None:
            first.kill()
        first.wait()
        assert first.stderr is not None
        first.stderr.close()
    # Released when its holder ends: the next open works.
    with loadmaster.open(data, admin_password="pw") as db:
        (record,) = db.operation({"operation": "get_job", "id": job["job_id"]})
    assert record["status"] == "ERROR"
    assert (data / LOCK_FILE).exists()


def test_an_open_instance_holds_its_directory_until_closed(tmp_path: Path) -> None:
    with (
        loadmaster.open(tmp_path / "d", admin_password="pw"),
        pytest.raises(DataDirectoryInUseError, match=f"pid {os.getpid()}"),
    ):
        loadmaster.open(tmp_path / "d", admin_password="pw")
    with loadmaster.open(tmp_path / "d", admin_password="pw") as db:
        assert db.operation({"operation": "describe_all"}) == {}


def test_the_port_in_use_is_one_line_and_creates_nothing(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = run_serve(["--port", str(port), "--data", str(tmp_path / "new")])
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert f"127.0.0.1:{port}" in line
    assert "LOADMASTER_PORT" in line
    assert "in use" in line
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        ([], {"LOADMASTER_PORT": "abc"}, ["LOADMASTER_PORT=abc", "an integer from 0 to 65535"]),
        (["--port", "99999"], {}, ["--port=99999", "an integer from 0 to 65535"]),
        ([], {"LOADMASTER_MAX_RUNNING_JOBS": "0"}, ["LOADMASTER_MAX_RUNNING_JOBS=0", "from 1"]),
        ([], {"LOADMASTER_BODY_TIMEOUT": "soon"}, ["LOADMASTER_BODY_TIMEOUT=soon", "a number"]),
        (["--certfile", "cert.pem"], {}, ["--certfile", "keyfile", "LOADMASTER_KEYFILE"]),
        ([], {"LOADMASTER_KEYFILE": "key.pem"}, ["LOADMASTER_KEYFILE", "certfile"]),
        (
            ["--certfile", "missing.pem", "--keyfile", "missing.key"],
            {},
            ["cannot load the TLS certificate", "--certfile"],
        ),
    ],
    ids=[
        "bad env port",
        "port out of range",
        "no running jobs",
        "bad timeout",
        "cert only",
        "key only",
        "missing cert",
    ],
)
def test_bad_settings_are_one_line_exit_2_and_create_nothing(
    tmp_path: Path, args: list[str], env: dict[str, str], named: list[str]
) -> None:
    result = run_serve(["--data", str(tmp_path / "new"), *args], env)
    assert result.returncode == 2
    line = one_line(result.stderr)
    for text in named:
        assert text in line
    assert not (tmp_path / "new").exists()


def test_the_generated_admin_password_is_never_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOADMASTER_ADMIN_PASSWORD", raising=False)
    with caplog.at_level(logging.DEBUG), loadmaster.open(tmp_path / "d"):
        pass
    path = tmp_path / "d" / "admin-password"
    password = path.read_text().strip()
    assert path.stat().st_mode & 0o777 == 0o600
    assert str(path) in caplog.text
    assert password not in caplog.text
