"""Real remote sources for the URL and S3 job tests, bound to 127.0.0.1 only.

* ``moto_endpoint``: moto's S3 server in a thread, for the whole session.
* ``http_server`` / ``http_source``: a small threaded HTTP server (one per session, emptied
  for each test) whose routes serve CSV bodies, errors, redirects, a stalled body and a body
  cut short, and record the headers they received.
* ``job_store`` and :func:`make_job`: a real LMDB store and a job context over it.

Test modules load it with ``pytest_plugins`` and also import its helpers, so pytest must not
try to rewrite it (it holds no asserts): PYTEST_DONT_REWRITE.
"""

import functools
import http.server
import logging
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from loadmaster.jobs.context import JobContext
from loadmaster.models import EMBEDDED_USER
from loadmaster.settings import Settings
from loadmaster.storage import Store

ACCESS_KEY = "AKIDLOADMASTERTEST"
SECRET_KEY = "loadmaster-test-secret-value"
REGION = "us-east-1"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """Start moto's S3 server on 127.0.0.1 and a free port; yield its URL."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@functools.cache
def s3_admin(endpoint: str) -> Any:
    """Return a boto3 S3 client for test setup and checks (not the code under test)."""
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(s3={"addressing_style": "path"}),
    )


@pytest.fixture
def s3_bucket(moto_endpoint: str) -> str:
    """Create a bucket with a fresh name (moto's state lives for the whole session)."""
    name = f"lm-{uuid.uuid4().hex[:12]}"
    s3_admin(moto_endpoint).create_bucket(Bucket=name)
    return name


def s3_request(bucket: str, key: str, **extra: Any) -> dict[str, Any]:
    """Return an ``s3`` request object for the tests' bucket and key."""
    return {
        "aws_access_key_id": ACCESS_KEY,
        "aws_secret_access_key": SECRET_KEY,
        "bucket": bucket,
        "key": key,
        "region": REGION,
        **extra,
    }


@pytest.fixture
def job_store(tmp_path: Path) -> Iterator[Store]:
    """Open a real store in a temporary directory."""
    with Store.open(tmp_path / "db") as store:
        yield store


def make_job(store: Store, **settings: Any) -> JobContext:
    """Return a job context over ``store`` with these settings (the rest default)."""
    return JobContext(
        job_id=str(uuid.uuid4()),
        store=store,
        settings=Settings(**settings),
        user=EMBEDDED_USER,
    )


# --- HTTP source ---------------------------------------------------------------------------


@dataclass
class Route:
    """What the HTTP source answers on one path."""

    body: bytes = b""
    status: int = 200
    reason: str | None = None
    content_type: str | None = "text/csv"
    headers: dict[str, str] = field(default_factory=dict)
    #: "send" (the whole body), "stall" (headers and body, then wait for teardown before
    #: ending it), "stall_headers" (wait before answering), "cut" (announce more bytes than
    #: sent, then close).
    mode: str = "send"
    extra_length: int = 0


class HttpSource:
    """A threaded HTTP server on 127.0.0.1 serving the routes a test adds."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.received: list[dict[str, str]] = []
        self.release = threading.Event()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        """Return the URL of a path on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def add(self, path: str, body: bytes = b"", **route: Any) -> str:
        """Serve ``path``; return its URL."""
        self.routes[path] = Route(body=body, **route)
        return self.url(path)

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Release stalled handlers, then stop serving and close the socket."""
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def _handler(source: HttpSource) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            pass  # keep test output clean

        def do_GET(self) -> None:
            source.received.append(dict(self.headers.items()))
            route = source.routes.get(self.path.partition("?")[0])
            if route is None:
                self.send_response(404, "File not found")
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                return
            if route.mode == "stall_headers":
                source.release.wait(30)
                return
            self.send_response(route.status, route.reason)
            if route.content_type is not None:
                self.send_header("Content-Type", route.content_type)
            for name, value in route.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(route.body) + route.extra_length))
            self.end_headers()
            self.wfile.write(route.body)
            self.wfile.flush()
            if route.mode == "stall":
                source.release.wait(30)
            self.close_connection = True

    return Handler


@pytest.fixture(scope="session")
def http_server() -> Iterator[HttpSource]:
    """Start the HTTP source on 127.0.0.1 and a free port, once for the session."""
    source = HttpSource()
    source.start()
    try:
        yield source
    finally:
        source.stop()


@pytest.fixture
def http_source(http_server: HttpSource) -> HttpSource:
    """Give a test the HTTP source with no routes and no recorded requests."""
    http_server.routes.clear()
    http_server.received.clear()
    return http_server


def refused_port() -> int:
    """Return a loopback port nothing listens on (bound, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
