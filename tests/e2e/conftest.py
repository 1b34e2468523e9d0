"""A real loadmaster server on 127.0.0.1 and a free port, and HTTP/1.1 and HTTP/2 clients."""

from collections.abc import Iterator

import httpx
import pytest

from loadmaster.instance import Instance
from loadmaster.server.serve import BackgroundServer
from tests.conftest import ADMIN_AUTH


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
