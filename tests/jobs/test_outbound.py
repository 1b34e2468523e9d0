"""URL loads of a user who is not a super user, against a real HTTP server on 127.0.0.1.

Injected resolvers give names to the loopback server; which loopback addresses count as
"public" is set by the allow list, so every connection a test could make goes to 127.0.0.0/8.
"""

import http.server
import socket
import ssl
import threading
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import pytest

from loadmaster.errors import FetchRefusedError, LoadmasterError
from loadmaster.jobs.context import JobContext
from loadmaster.jobs.outbound import GuardedTransport, check_url
from loadmaster.jobs.url import load_csv_url
from loadmaster.models import EMBEDDED_USER, Role, User
from loadmaster.net_rules import AllowList
from loadmaster.settings import Settings
from loadmaster.storage import Store
from tests.remote_fixtures import HttpSource

pytest_plugins = ["tests.remote_fixtures"]

LOADER = User(
    username="loader",
    role=Role(
        role="loader",
        id="loader",
        permission={
            "data": {
                "tables": {
                    "t": {
                        "read": False,
                        "insert": True,
                        "update": True,
                        "delete": False,
                        "attribute_permissions": [],
                    }
                }
            }
        },
    ),
)
REFUSAL = "(server-side fetches reach only public addresses)"


class Resolver:
    """Answers each call for a name with the next list of addresses (the last one repeats)."""

    def __init__(self, *answers: Sequence[str]) -> None:
        self.answers = [list(a) for a in answers]
        self.calls = 0

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls += 1
        return self.answers[min(self.calls, len(self.answers)) - 1]


@pytest.fixture
def store(job_store: Store) -> Store:
    job_store.create_table("data", "t", "id")
    return job_store


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A listening socket on 127.0.0.1 that nothing accepts from: a connection made to it
    waits in its backlog, where :func:`accepted` finds it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.settimeout(0.0)  # non-blocking accept()
        yield sock


def accepted(sock: socket.socket) -> int:
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


def job(store: Store, user: User = LOADER, **settings: Any) -> JobContext:
    # Parsed in this process: the worker's start-up would only slow these small loads.
    return JobContext(
        job_id=str(uuid.uuid4()),
        store=store,
        settings=Settings(parallel_load_min_bytes=-1, **settings),
        user=user,
    )


def load(context: JobContext, url: str, resolver: Resolver | None = None) -> str:
    extra = {"resolver": resolver} if resolver is not None else {}
    return load_csv_url(context, url, headers=None, db="data", table="t", action="insert", **extra)


def failure(context: JobContext, url: str, resolver: Resolver | None = None) -> str:
    with pytest.raises(LoadmasterError) as caught:
        load(context, url, resolver)
    return caught.value.message


def test_loopback_is_refused_at_connect_without_connecting(
    store: Store, listener: socket.socket
) -> None:
    port = listener.getsockname()[1]
    for url in (
        f"http://127.0.0.1:{port}/a.csv",
        f"http://localhost:{port}/a.csv",
        f"http://2130706433:{port}/a.csv",
        f"http://[::ffff:127.0.0.1]:{port}/a.csv",
    ):
        assert failure(job(store), url) == (
            f"CSV Load failed from URL: {url}, URL '{url}' is not allowed: its host "
            f"{'is' if '[' in url or '127.0.0.1' in url else 'resolves to'} a loopback "
            f"address {REFUSAL}"
        )
    assert accepted(listener) == 0


def test_a_super_user_is_not_limited(store: Store, http_source: HttpSource) -> None:
    url = http_source.add("/a.csv", b"id\n1\n")
    assert load(job(store, EMBEDDED_USER), url) == "successfully loaded 1 of 1 records"


def test_the_connection_goes_to_the_checked_address(store: Store, http_source: HttpSource) -> None:
    http_source.add("/a.csv", b"id\n1\n2\n")
    resolver = Resolver(["127.0.0.1"])
    url = f"http://files.test:{http_source.port}/a.csv"
    context = job(store, url_allow_hosts="127.0.0.1")
    assert load(context, url, resolver) == "successfully loaded 2 of 2 records"
    assert resolver.calls == 1
    # The name stays in the Host header, as if the name had been connected to.
    assert http_source.received[-1]["Host"] == f"files.test:{http_source.port}"


def test_the_next_checked_address_is_tried_when_one_refuses(
    store: Store, http_source: HttpSource
) -> None:
    http_source.add("/a.csv", b"id\n1\n")
    # Nothing listens on 127.0.0.2 (the source is bound to 127.0.0.1).
    resolver = Resolver(["127.0.0.2", "127.0.0.1"])
    url = f"http://files.test:{http_source.port}/a.csv"
    context = job(store, url_allow_hosts="127.0.0.0/8")
    assert load(context, url, resolver) == "successfully loaded 1 of 1 records"


def test_dns_rebinding_is_refused_on_connect(store: Store, http_source: HttpSource) -> None:
    http_source.add("/a.csv", b"id\n1\n")
    # First answer: an allowed address (a public one, as far as the rules go); second
    # answer, when the job connects: loopback.
    resolver = Resolver(["127.0.0.1"], ["127.0.0.2"])
    url = f"http://files.test:{http_source.port}/a.csv"
    settings = {"url_allow_hosts": "127.0.0.1"}
    check_url(url, LOADER, Settings(**settings), resolver=resolver)  # the submit passes
    assert failure(job(store, **settings), url, resolver) == (
        f"CSV Load failed from URL: {url}, URL '{url}' is not allowed: its host resolves "
        f"to a loopback address {REFUSAL}"
    )
    assert resolver.calls == 2
    assert http_source.received == []


def test_a_redirect_to_loopback_is_refused(store: Store, http_source: HttpSource) -> None:
    target = f"http://127.0.0.1:{http_source.port}/a.csv"
    http_source.add("/a.csv", b"id\n1\n")
    http_source.add("/old", status=302, content_type=None, headers={"Location": target})
    url = f"http://files.test:{http_source.port}/old"
    # files.test is allowed by name, and its own address is the loopback server.
    context = job(store, url_allow_hosts="files.test")
    assert failure(context, url, Resolver(["127.0.0.1"])) == (
        f"CSV Load failed from URL: {url}, URL '{target}' is not allowed: its host is a "
        f"loopback address {REFUSAL}"
    )
    assert [r["Host"] for r in http_source.received] == [f"files.test:{http_source.port}"]


def test_an_unresolvable_name_fails_as_node_words_it(store: Store) -> None:
    def nowhere(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    assert failure(job(store), "http://nowhere.test/a.csv", nowhere) == (  # type: ignore[arg-type]
        "getaddrinfo ENOTFOUND nowhere.test"
    )


def test_submit_check(store: Store) -> None:
    resolver = Resolver(["10.0.0.8"])
    with pytest.raises(FetchRefusedError) as caught:
        check_url("http://user:pw@files.test/a.csv", LOADER, Settings(), resolver=resolver)
    assert caught.value.status_code == 400
    assert caught.value.message == (
        "URL 'http://user:***@files.test/a.csv' is not allowed: its host resolves to a "
        f"private address {REFUSAL}"
    )
    # Super users, allowed hosts, names that do not resolve yet and URLs that do not
    # parse pass the submit (the job then fails with its own message).
    check_url("http://files.test/a.csv", EMBEDDED_USER, Settings(), resolver=resolver)
    allowed = Settings(url_allow_hosts="files.test")
    check_url("http://files.test/a.csv", LOADER, allowed, resolver=resolver)

    def unresolvable(host: str, port: int) -> list[str]:
        raise OSError("no such name")

    check_url("http://later.test/a.csv", LOADER, Settings(), resolver=unresolvable)
    check_url("http://files.test:b:c/a.csv", LOADER, Settings(), resolver=resolver)
    check_url("http:///a.csv", LOADER, Settings(), resolver=resolver)


def test_over_tls_the_certificate_is_checked_against_the_name() -> None:
    trustme = pytest.importorskip("trustme")
    authority = trustme.CA()
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("files.test").configure_cert(server_side)
    client_side = ssl.create_default_context()
    authority.configure_trust(client_side)

    class Hello(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"hello")

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    server.socket = server_side.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        allow = AllowList.parse("127.0.0.1")
        resolver = Resolver(["127.0.0.1"])
        with httpx.Client(
            transport=GuardedTransport(allow=allow, resolver=resolver, verify=client_side)
        ) as client:
            assert client.get(f"https://files.test:{port}/").text == "hello"
            # The same address under a name the certificate does not hold is refused.
            with pytest.raises(httpx.ConnectError, match="certificate verify failed"):
                client.get(f"https://other.test:{port}/")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
