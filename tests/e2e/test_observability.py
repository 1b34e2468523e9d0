"""Access log, job log lines, JSON logs and ``GET /metrics`` of a real server on 127.0.0.1."""

import io
import json
import logging
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import loadmaster
from loadmaster.server.log_setup import configure_logging
from loadmaster.server.serve import BackgroundServer
from tests.conftest import ADMIN_AUTH, ADMIN_PASSWORD, basic

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


class LogWatch(logging.Handler):
    """Keeps the records of some loggers; waits for one that matches."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._changed = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        with self._changed:
            self.records.append(record)
            self._changed.notify_all()

    def wait_for(self, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """Return the ``event`` fields of the first record that matches (10 s at most)."""
        deadline = time.monotonic() + 10
        with self._changed:
            while True:
                for record in self.records:
                    event = getattr(record, "event", None)
                    if isinstance(event, dict) and match(event):
                        return event
                remaining = deadline - time.monotonic()
                assert remaining > 0, [r.getMessage() for r in self.records]
                self._changed.wait(remaining)

    def text(self) -> str:
        with self._changed:
            return "\n".join(r.getMessage() + repr(getattr(r, "event", "")) for r in self.records)


@pytest.fixture
def logs() -> Iterator[LogWatch]:
    watch = LogWatch()
    loggers = [logging.getLogger(name) for name in ("loadmaster.access", "loadmaster.jobs")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(watch)
        logger.setLevel(logging.INFO)
    yield watch
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(watch)
        logger.setLevel(level)


def post(server: BackgroundServer, body: dict[str, Any], auth: str | None = ADMIN_AUTH) -> Any:
    headers = {"authorization": auth} if auth else {}
    return httpx.post(server.url + "/", json=body, headers=headers, timeout=30)


def test_each_request_has_an_access_log_line_without_secrets(
    server: BackgroundServer, logs: LogWatch
) -> None:
    answer = post(server, {"operation": "describe_all"})
    assert answer.status_code == 200
    line = logs.wait_for(lambda e: e.get("operation") == "describe_all")
    assert line["method"] == "POST"
    assert line["path"] == "/"
    assert line["status"] == 200
    assert line["user"] == "HDB_ADMIN"
    assert line["duration_ms"] >= 0

    refused = post(server, {"operation": "describe_all"}, basic("HDB_ADMIN", "not-the-password"))
    assert refused.status_code == 401
    line = logs.wait_for(lambda e: e.get("status") == 401)
    assert line["user"] == "HDB_ADMIN"
    httpx.get(server.url + "/health?token=secret-in-query")
    line = logs.wait_for(lambda e: e.get("path") == "/health")
    assert line["status"] == 200
    shown = logs.text()
    for secret in ("not-the-password", ADMIN_PASSWORD, "secret-in-query", ADMIN_AUTH[6:]):
        assert secret not in shown


def test_a_job_logs_its_start_and_its_end(server: BackgroundServer, logs: LogWatch) -> None:
    post(
        server,
        {"operation": "create_table", "database": "dev", "table": "dog", "primary_key": "id"},
    )
    data = "id,name\n1,Penny\n2,Kato\n"
    job = post(
        server, {"operation": "csv_data_load", "database": "dev", "table": "dog", "data": data}
    )
    job_id = job.json()["job_id"]
    started = logs.wait_for(lambda e: e.get("event") == "job_started" and e["id"] == job_id)
    assert started["type"] == "csv_data_load"
    assert started["user"] == "HDB_ADMIN"
    assert (started["database"], started["table"]) == ("dev", "dog")
    ended = logs.wait_for(lambda e: e.get("event") == "job_ended" and e["id"] == job_id)
    assert ended["status"] == "COMPLETE"
    assert ended["records"] == 2
    assert ended["message"] == "successfully loaded 2 of 2 records"
    assert ended["duration"] >= 0
    assert (ended["database"], ended["table"]) == ("dev", "dog")


def test_a_failed_job_logs_a_warning_with_its_message(
    server: BackgroundServer, logs: LogWatch
) -> None:
    post(server, {"operation": "create_table", "table": "t", "primary_key": "id"})
    job = post(
        server, {"operation": "csv_url_load", "table": "t", "csv_url": "http://127.0.0.1:9/x.csv"}
    ).json()
    ended = logs.wait_for(lambda e: e.get("event") == "job_ended" and e["id"] == job["job_id"])
    assert ended["status"] == "ERROR"
    (record,) = [
        r
        for r in logs.records
        if getattr(r, "event", {}).get("id") == job["job_id"] and r.event["event"] == "job_ended"  # type: ignore[attr-defined]
    ]
    assert record.levelno == logging.WARNING
    assert ended["message"] in record.getMessage()


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in {text}")


def test_metrics_count_jobs_records_and_requests(server: BackgroundServer, logs: LogWatch) -> None:
    assert httpx.get(server.url + "/metrics").status_code == 401
    assert httpx.get(server.url + "/metrics").json() == {"error": "Must login"}
    wrong = httpx.get(server.url + "/metrics", headers={"authorization": basic("x", "y")})
    assert wrong.status_code == 401

    post(server, {"operation": "create_table", "table": "dog", "primary_key": "id"})
    job = post(server, {"operation": "csv_data_load", "table": "dog", "data": "id\n1\n2\n3\n"})
    record = post(server, {"operation": "get_job", "id": job.json()["job_id"]})
    assert record.status_code == 200
    logs.wait_for(lambda e: e.get("event") == "job_ended")
    assert post(server, {"operation": "no_such_operation"}).status_code == 400
    logs.wait_for(lambda e: e.get("status") == 400)

    scraped = httpx.get(server.url + "/metrics", headers={"authorization": ADMIN_AUTH})
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    text = scraped.text
    assert metric(text, 'loadmaster_jobs_total{status="COMPLETE",type="csv_data_load"}') == 1
    assert metric(text, 'loadmaster_jobs_started_total{type="csv_data_load"}') == 1
    assert metric(text, "loadmaster_records_loaded_total") == 3
    assert metric(text, "loadmaster_records_exported_total") == 0
    assert metric(text, "loadmaster_jobs_running") == 0
    assert metric(text, "loadmaster_jobs_queued") == 0
    assert (
        metric(
            text, 'loadmaster_job_duration_seconds_count{status="COMPLETE",type="csv_data_load"}'
        )
        == 1
    )
    assert metric(text, 'loadmaster_http_requests_total{operation="get_job",status="200"}') == 1
    assert metric(text, 'loadmaster_http_requests_total{operation="unknown",status="400"}') == 1
    assert metric(text, 'loadmaster_http_requests_total{operation="metrics",status="401"}') == 3
    assert metric(text, 'loadmaster_http_request_duration_seconds_count{operation="get_job"}') == 1
    # A made-up operation name never becomes a label of its own.
    assert "no_such_operation" not in text


def test_metrics_can_be_public(tmp_path: Path) -> None:
    with loadmaster.open(tmp_path / "d", admin_password="pw", metrics_public=True) as db:
        server = db.serve("127.0.0.1", 0)
        scraped = httpx.get(server.url + "/metrics")
        assert scraped.status_code == 200
        assert "loadmaster_jobs_running 0.0" in scraped.text


def test_json_log_lines_carry_the_fields() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("info", "json", stream)
        logging.getLogger("loadmaster.access").info(
            "a line", extra={"event": {"event": "request", "status": 200}}
        )
        logging.getLogger("loadmaster.other").debug("not shown at INFO")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    (line,) = stream.getvalue().splitlines()
    decoded = json.loads(line)
    assert decoded["message"] == "a line"
    assert decoded["level"] == "INFO"
    assert decoded["logger"] == "loadmaster.access"
    assert decoded["status"] == 200
    assert decoded["time"].endswith("Z")
    with pytest.raises(ValueError, match="invalid log level"):
        configure_logging("chatty", "text", stream)
    with pytest.raises(ValueError, match="invalid log format"):
        configure_logging("INFO", "xml", stream)


def test_serve_logs_json_lines_when_asked(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "LOADMASTER_ADMIN_PASSWORD": "pw",
        "LOADMASTER_LOG_FORMAT": "json",
        "PYTHONPATH": str(ROOT),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "loadmaster",
            "serve",
            "--port",
            "0",
            "--data",
            str(tmp_path / "d"),
            "--log-level",
            "info",
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stderr is not None
    try:
        lines: list[str] = []
        while not any("serving the Operations API" in line for line in lines):
            ready, _, _ = select.select([process.stderr], [], [], 30)
            assert ready, lines
            line = process.stderr.readline()
            assert line, lines
            lines.append(line)
        decoded = [json.loads(line) for line in lines]
        assert decoded[-1]["level"] == "INFO"
        assert decoded[-1]["logger"] == "loadmaster"
    finally:
        process.terminate()
        process.wait(30)
        process.stderr.close()
