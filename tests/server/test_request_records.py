"""Answered requests are counted and logged in batches: soon, all of them, with their time."""

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from loadmaster.server.access_log import AccessLog
from loadmaster.server.asgi import Message, Receive, Scope, Send
from loadmaster.server.metrics import Metrics
from loadmaster.server.request_records import BATCH_REQUESTS, Answered, RequestRecords

COUNTED = b'loadmaster_http_requests_total{operation="get_job",status="200"}'


def answered(created: float = 1_764_590_400.25, **fields: Any) -> Answered:
    base: dict[str, Any] = {
        "created": created,
        "label": "get_job",
        "status": 200,
        "seconds": 0.00025,
        "client": "127.0.0.1",
        "method": "POST",
        "path": "/",
        "operation": "get_job",
        "user": "HDB_ADMIN",
        "logged": True,
    }
    return Answered(**{**base, **fields})


def counted(metrics: Metrics) -> float:
    for line in metrics.scrape().splitlines():
        if line.startswith(COUNTED):
            return float(line.split()[-1])
    return 0.0


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


def test_a_request_is_logged_soon_with_its_time(kept: Kept) -> None:
    async def main() -> None:
        kept.arrived = asyncio.Event()
        RequestRecords(Metrics()).add(answered())
        assert kept.records == []  # waits for company, briefly
        await asyncio.wait_for(kept.arrived.wait(), 5)

    asyncio.run(main())
    (record,) = kept.records
    assert record.getMessage() == "127.0.0.1 POST / get_job 200 0.25ms user=HDB_ADMIN"
    assert (record.created, record.msecs) == (1_764_590_400.25, 250.0)
    assert record.event == {  # type: ignore[attr-defined]
        "event": "request",
        "client": "127.0.0.1",
        "method": "POST",
        "path": "/",
        "operation": "get_job",
        "status": 200,
        "duration_ms": 0.25,
        "user": "HDB_ADMIN",
    }


def test_a_full_batch_is_handled_at_once_and_a_scrape_counts_what_waits(kept: Kept) -> None:
    async def main() -> None:
        metrics = Metrics()
        records = RequestRecords(metrics)
        for n in range(BATCH_REQUESTS):
            records.add(answered(1_764_590_400.0 + n, logged=n % 2 == 0))
        assert [r.created for r in kept.records] == [1_764_590_400.0 + n for n in range(0, 64, 2)]
        records.add(answered(operation="unknown", label="unknown", user=None))
        assert counted(metrics) == BATCH_REQUESTS
        records.add(answered())
        assert counted(metrics) == BATCH_REQUESTS + 1  # the scrape counted it first
        unknown = kept.records[BATCH_REQUESTS // 2]
        assert unknown.getMessage() == "127.0.0.1 POST / - 200 0.25ms user=-"

    asyncio.run(main())


def test_waiting_requests_are_recorded_when_the_server_stops(kept: Kept) -> None:
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
