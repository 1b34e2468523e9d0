"""Hostile request bodies: malformed JSON is a 400, big or slow bodies are refused early.

Every attack here answered 500 or was read in full before (issue 10, items 3 and 4).
"""

import select
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import loadmaster
from loadmaster.instance import Instance
from loadmaster.operations.dispatch import INT_OUT_OF_RANGE, MAX_DEPTH, TOO_DEEP
from loadmaster.server import body as body_module
from loadmaster.server.serve import BackgroundServer
from tests.conftest import ADMIN_AUTH, basic

pytestmark = pytest.mark.e2e

BAD_ENVELOPE = {"statusCode": 400, "error": "Bad Request"}
DEEP = b"[" * 5000 + b"]" * 5000
JUST_TOO_DEEP = b'{"operation": "insert", "records": ' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}"
MALFORMED: list[tuple[str, bytes, str | None]] = [
    ("huge exponent", b"1e999999", "Number out of range"),
    ("huge exponent in a field", b'{"operation": "insert", "records": [1e999999]}', None),
    ("nesting 5,000 deep", DEEP, TOO_DEEP),
    ("nesting 5,000 deep in a field", b'{"operation": "get_job", "id": ' + DEEP + b"}", TOO_DEEP),
    ("one level too deep", JUST_TOO_DEEP, TOO_DEEP),
    ("truncated", b'{"operation": 0.66', "Input data was truncated"),
    ("trailing comma", b"[1,]", None),
    ("big integer in an array", b"[18446744073709551616]", INT_OUT_OF_RANGE),
    ("small integer in an array", b"[-9223372036854775809]", INT_OUT_OF_RANGE),
    (
        "big integer in a record",
        b'{"operation": "insert", "table": "t", "records": [{"id": 18446744073709551616}]}',
        INT_OUT_OF_RANGE,
    ),
    ("5,000-digit integer", b"[1" + b"0" * 5000 + b"]", None),
    ("invalid UTF-8", b'{"operation": "get_job", "id": "\xff\xfe"}', None),
    ("lone continuation byte", b'{"operation": "\x80"}', None),
    ("NUL bytes", b"\x00\x00\x00", None),
]
NON_OBJECTS = [b"5", b'"text"', b"true", b"[1, 2]", b"[]", b"1.5"]


@pytest.fixture
def small_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BackgroundServer]:
    monkeypatch.setattr(body_module, "GRACE_SECONDS", 0.3)
    with loadmaster.open(
        tmp_path / "d",
        admin_password="pw",
        max_unauthenticated_body_bytes=64 << 10,
        body_timeout=1.0,
        body_min_rate=1000,
    ) as db:
        yield db.serve()


#: One client for all (a client per request would spend the test building TLS contexts).
CLIENT = httpx.Client(timeout=30)


@pytest.fixture(scope="module", autouse=True)
def _close_the_client() -> Iterator[None]:
    yield
    CLIENT.close()


def post(server: BackgroundServer, content: bytes, auth: str | None) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if auth is not None:
        headers["authorization"] = auth
    return CLIENT.post(server.url + "/", content=content, headers=headers)


@pytest.mark.parametrize("auth", [ADMIN_AUTH, None], ids=["admin", "anonymous"])
def test_malformed_bodies_are_400(server: BackgroundServer, auth: str | None) -> None:
    answers = {name: post(server, content, auth) for name, content, _ in MALFORMED}
    for name, _, message in MALFORMED:
        response = answers[name]
        assert response.status_code == 400, (name, response.text)
        error = response.json()["error"]
        assert isinstance(error, str), name
        assert error, name
        if message is not None:
            assert error == message, name


@pytest.mark.parametrize("auth", [ADMIN_AUTH, None], ids=["admin", "anonymous"])
def test_non_object_bodies_are_400_in_fastifys_envelope(
    server: BackgroundServer, auth: str | None
) -> None:
    for content in NON_OBJECTS:
        response = post(server, content, auth)
        assert response.status_code == 400, content
        assert response.json() == {
            **BAD_ENVELOPE,
            "message": "Request body must include an 'operation' property.",
        }


def test_a_non_string_operation_stays_harperdbs_500(server: BackgroundServer) -> None:
    response = post(server, b'{"operation": 5}', ADMIN_AUTH)
    assert (response.status_code, response.json()) == (
        500,
        {"error": "'operation' must be a string"},
    )


def test_the_server_still_answers_after_the_attacks(server: BackgroundServer) -> None:
    for _, content, _ in MALFORMED:
        post(server, content, None)
    response = post(server, b'{"operation": "describe_all"}', ADMIN_AUTH)
    assert (response.status_code, response.json()) == (200, {})


# --- bodies before the caller is known ---------------------------------------------------------


def send_and_read(
    server: BackgroundServer, head: bytes, chunks: Iterator[bytes]
) -> tuple[bytes, int]:
    """Send a request's head, then chunks until the server answers; return what it answered
    (read until it closes the connection) and the body bytes sent."""
    sock = socket.create_connection((server.host, server.port), timeout=15)
    sent = 0
    try:
        sock.sendall(head)
        for chunk in chunks:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        answer = b""
        while True:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            answer += data
    finally:
        sock.close()
    return answer, sent


def chunked(total: int, size: int = 64 << 10) -> Iterator[bytes]:
    piece = b"%x\r\n" % size + b"a" * size + b"\r\n"
    for _ in range(total // size):
        yield piece


def head(auth: str | None, extra: str = "transfer-encoding: chunked") -> bytes:
    lines = ["POST / HTTP/1.1", "host: 127.0.0.1", "content-type: application/json", extra]
    if auth is not None:
        lines.append(f"authorization: {auth}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def status_and_body(answer: bytes) -> tuple[int, Any]:
    status_line, _, rest = answer.partition(b"\r\n")
    _, _, payload = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), payload


@pytest.mark.parametrize(
    ("auth", "status", "error"),
    [
        (None, 413, b"the most accepted before the caller is known"),
        (basic("HDB_ADMIN", "wrong"), 401, b"Login failed"),
        ("Bearer not-a-token", 401, b"invalid token"),
    ],
    ids=["no header", "wrong password", "bad token"],
)
def test_an_unknown_caller_is_refused_after_the_unauthenticated_limit(
    small_limits: BackgroundServer, auth: str | None, status: int, error: bytes
) -> None:
    # 256 MiB offered: the server stops after 64 KiB and closes, long before the end.
    answer, sent = send_and_read(small_limits, head(auth), chunked(256 << 20))
    code, payload = status_and_body(answer)
    assert code == status
    assert error in payload
    assert sent < 64 << 20


def test_a_declared_length_over_the_limit_is_refused_before_reading(
    small_limits: BackgroundServer,
) -> None:
    answer, sent = send_and_read(small_limits, head(None, "content-length: 10000000"), iter([]))
    assert status_and_body(answer)[0] == 413
    assert sent == 0


def test_a_known_caller_may_send_a_big_body(small_limits: BackgroundServer) -> None:
    data = "id,name\n" + "".join(f"{i},{'n' * 90}\n" for i in range(2000))
    auth = basic("HDB_ADMIN", "pw")
    created = post(
        small_limits, b'{"operation":"create_table","table":"t","primary_key":"id"}', auth
    )
    assert created.status_code == 200
    body = httpx.post(
        small_limits.url + "/",
        json={"operation": "csv_data_load", "table": "t", "data": data},
        headers={"authorization": auth},
    )
    assert len(data) > 64 << 10
    assert body.status_code == 200, body.text


def test_body_credentials_within_the_limit_still_work(small_limits: BackgroundServer) -> None:
    response = httpx.post(
        small_limits.url + "/",
        json={"operation": "describe_all", "username": "HDB_ADMIN", "password": "pw"},
    )
    assert (response.status_code, response.json()) == (200, {})


def dribble(count: int) -> Iterator[bytes]:
    # One byte at a time, each after the previous was sent: 1 byte per select() timeout.
    for _ in range(count):
        select.select([], [], [], 0.05)
        yield b" "


def test_a_body_slower_than_the_floor_rate_is_408_and_closed(
    small_limits: BackgroundServer,
) -> None:
    answer, sent = send_and_read(
        small_limits, head(basic("HDB_ADMIN", "pw"), "content-length: 100000"), dribble(1000)
    )
    code, payload = status_and_body(answer)
    assert code == 408
    assert b"not received in time" in payload
    assert sent < 1000


def test_a_body_taking_longer_than_the_timeout_is_408(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with loadmaster.open(
        tmp_path / "d", admin_password="pw", body_timeout=0.5, body_min_rate=0
    ) as db:
        server = db.serve()
        answer, sent = send_and_read(server, head(None, "content-length: 100000"), dribble(1000))
    assert status_and_body(answer)[0] == 408
    assert sent < 1000


def test_the_server_answers_others_after_refusing(small_limits: BackgroundServer) -> None:
    send_and_read(small_limits, head(None), chunked(4 << 20))
    response = post(small_limits, b'{"operation": "describe_all"}', basic("HDB_ADMIN", "pw"))
    assert (response.status_code, response.json()) == (200, {})


def test_the_defaults_are_a_mebibyte_and_a_minute(instance: Instance) -> None:
    assert instance.settings.max_unauthenticated_body_bytes == 1 << 20
    assert instance.settings.body_timeout == 60.0
