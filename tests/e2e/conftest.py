"""A real loadmaster server on 127.0.0.1 and a free port, HTTP/1.1 and HTTP/2 clients, and a
server whose cancels of a hung job are quick, with a source that hangs."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import loadmaster
from loadmaster.instance import Instance
from loadmaster.server.serve import BackgroundServer
from tests.conftest import ADMIN_AUTH, ADMIN_PASSWORD
from tests.remote_fixtures import HttpSource


@pytest.fixture
def server(instance: Instance) -> BackgroundServer:
    return instance.serve("127.0.0.1", 0)


@pytest.fixture
def h1(server: BackgroundServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers={"authorization": ADMIN_AUTH}) as client:
        yield client


@pytest.fixture
def h2(server: BackgroundServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=server.url, http1=False, http2=True, headers={"authorization": ADMIN_AUTH}
    ) as client:
        yield client


@pytest.fixture
def quick_stop_instance(tmp_path: Path) -> Iterator[Instance]:
    """An instance with table ``dev.dog`` whose cancelled jobs on a hung source are settled
    after 0.3 s (the default grace is 10 s)."""
    with loadmaster.open(
        tmp_path / "quick-stop", admin_password=ADMIN_PASSWORD, job_stop_grace=0.3
    ) as db:
        db.operation(
            {"operation": "create_table", "database": "dev", "table": "dog", "primary_key": "id"}
        )
        yield db


@pytest.fixture
def quick_stop_server(quick_stop_instance: Instance) -> BackgroundServer:
    return quick_stop_instance.serve("127.0.0.1", 0)


@pytest.fixture
def stalled_url(quick_stop_instance: Instance) -> Iterator[str]:
    """Return the URL of a CSV whose body stalls until the test ends.

    Its own HTTP source, so releasing the stall touches no other test; set up after the
    instance, so the stalled job's thread ends before the instance closes.
    """
    source = HttpSource()
    source.start()
    try:
        yield source.add("/slow.csv", b"id,name\n1,a\n", extra_length=1000, mode="stall")
    finally:
        source.stop()
