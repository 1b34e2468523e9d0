"""Webhooks to a real receiver on 127.0.0.1: retries, the signature, the record's ``notify``."""

import hashlib
import hmac
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import loadmaster
from loadmaster.actors import webhooks
from loadmaster.instance import Instance
from tests.conftest import ADMIN_AUTH, ADMIN_PASSWORD, basic

pytestmark = pytest.mark.e2e
SECRET = "webhook-test-secret"


class Receiver:
    """An HTTP server on 127.0.0.1 answering POSTs with the statuses it is given, in order."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.done = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver([500])
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def signed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Instance]:
    monkeypatch.setattr(webhooks, "BACKOFF", 0.01)
    with loadmaster.open(
        tmp_path / "data", admin_password=ADMIN_PASSWORD, webhook_secret=SECRET
    ) as db:
        yield db


def test_the_final_record_is_posted_retried_and_signed(
    signed: Instance, receiver: Receiver
) -> None:
    server = signed.serve("127.0.0.1", 0)
    with httpx.Client(base_url=server.url, headers={"authorization": ADMIN_AUTH}) as http:
        http.post("/", json={"operation": "create_table", "table": "t", "primary_key": "id"})
        job_id = http.post(
            "/",
            json={
                "operation": "csv_data_load",
                "table": "t",
                "data": "id\n1\n",
                "notify_url": receiver.url,
            },
        ).json()["job_id"]
        # The record's notify field arrives after both attempts: wait on its changes.
        while True:
            change = signed.jobs.next_change(job_id)
            record = signed.jobs.get(job_id)
            assert record is not None
            if "notify" in record:
                break
            change.result(timeout=30)
        assert record["notify"] == {"status": 200, "attempts": 2}
        assert len(receiver.received) == 2
        headers, body = receiver.received[-1]
        sent = json.loads(body)
        assert (sent["id"], sent["status"]) == (job_id, "COMPLETE")
        expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers[webhooks.SIGNATURE_HEADER] == f"sha256={expected}"
        shown = http.post("/", json={"operation": "get_job", "id": job_id}).json()[0]
        assert shown["notify"] == {"status": 200, "attempts": 2}


def test_a_user_who_is_not_super_cannot_notify_loopback(
    instance: Instance, h1: httpx.Client, receiver: Receiver
) -> None:
    h1.post("/", json={"operation": "create_table", "table": "t", "primary_key": "id"})
    h1.post(
        "/",
        json={
            "operation": "add_role",
            "role": "loader",
            "permission": {
                "data": {
                    "tables": {
                        "t": {
                            "read": True,
                            "insert": True,
                            "update": True,
                            "delete": False,
                            "attribute_permissions": [],
                        }
                    }
                }
            },
        },
    )
    h1.post(
        "/",
        json={
            "operation": "add_user",
            "role": "loader",
            "username": "ann",
            "password": "pw",
            "active": True,
        },
    )
    body = {
        "operation": "csv_data_load",
        "table": "t",
        "data": "id\n1\n",
        "notify_url": receiver.url,
    }
    refused = h1.post("/", json=body, headers={"authorization": basic("ann", "pw")})
    assert refused.status_code == 400
    assert refused.json() == {
        "error": f"URL '{receiver.url}' is not allowed: its host is a loopback address "
        "(server-side fetches reach only public addresses)"
    }
    assert receiver.received == []
