"""Access log lines go to logging in batches: soon, all of them, with their request's time."""

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from loadmaster.server.access_lines import BATCH_LINES, AccessLines
from loadmaster.server.access_log import AccessLog
from loadmaster.server.asgi import Message, Receive, Scope, Send
from loadmaster.server.metrics import Metrics

ARGS = ("127.0.0.1", "POST", "/", "get_job", 200, 0.25, "HDB_ADMIN")


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.arrived: asyncio.Event | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        if self.arrived is not None:
            self.arrived.set()


@pytest.fixture
def kept() -> Iterator[Kept]:
    handler = Kept()
    logger = logging.getLogger("loadmaster.access")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_a_line_is_logged_soon_with_the_time_of_its_request(kept: Kept) -> None:
    async def main() -> None:
        kept.arrived = asyncio.Event()
        lines = AccessLines()
        lines.add(1_764_590_400.25, ARGS, {"event": "request", "status": 200})
        assert kept.records == []  # waits for company, briefly
        await asyncio.wait_for(kept.arrived.wait(), 5)

    asyncio.run(main())
    (record,) = kept.records
    assert record.getMessage() == "127.0.0.1 POST / get_job 200 0.25ms user=HDB_ADMIN"
    assert (record.created, record.msecs) == (1_764_590_400.25, 250.0)
    assert record.event == {"event": "request", "status": 200}  # type: ignore[attr-defined]


def test_a_full_batch_is_logged_at_once(kept: Kept) -> None:
    async def main() -> None:
        lines = AccessLines()
        for n in range(BATCH_LINES):
            lines.add(1_764_590_400.0 + n, ARGS, {"n": n})
        assert [r.event["n"] for r in kept.records] == list(range(BATCH_LINES))  # type: ignore[attr-defined]

    asyncio.run(main())


def test_waiting_lines_are_logged_when_the_server_stops(kept: Kept) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                pass
            await send({"type": "lifespan.shutdown.complete"})
            return
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def main() -> None:
        logged = AccessLog(app, metrics=Metrics(), operations=["get_job"])
        sent: list[Message] = []

        async def keep(message: Message) -> None:
            sent.append(message)

        async def nothing() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        http: dict[str, Any] = {"type": "http", "path": "/health", "method": "GET", "headers": []}
        await logged(http, nothing, keep)
        assert kept.records == []
        stops = iter([{"type": "lifespan.shutdown"}])

        async def stop() -> Message:
            return next(stops)

        await logged({"type": "lifespan"}, stop, keep)
        assert sent[-1] == {"type": "lifespan.shutdown.complete"}
        assert [r.event["status"] for r in kept.records] == [204]  # type: ignore[attr-defined]

    asyncio.run(main())
