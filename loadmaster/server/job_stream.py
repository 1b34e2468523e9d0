"""``GET /jobs/<id>/events``: a job's progress as server-sent events, then its final record.

Authenticated like ``POST /`` (Basic or Bearer header); browsers' EventSource cannot send
headers, so a ``token`` query parameter (an operation token) is accepted too. Each change of
the live record is sent as ``event: progress`` (at most ``EVENTS_PER_SECOND``, only when it
changed), the finished record as ``event: done``, and the stream ends. Listeners wait on the
job's next change (one future per job, shared by all of them), never poll.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

import msgspec
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from loadmaster.actors import JobRecord, get_job_view
from loadmaster.errors import LoadmasterError, NotFoundError
from loadmaster.jobs.row_errors import with_errors
from loadmaster.models import FINISHED
from loadmaster.server.credentials import Credentials

if TYPE_CHECKING:
    from loadmaster.actors import JobSystem
    from loadmaster.instance import Instance
    from loadmaster.storage import Store

__all__ = ["EVENTS_PER_SECOND", "job_events_route"]

EVENTS_PER_SECOND = 4
#: A comment line is sent after this long without a change, so proxies keep the stream open.
KEEP_ALIVE = 15.0
_ENCODER = msgspec.json.Encoder()


def _event(name: str, record: JobRecord, store: "Store") -> bytes:
    # The record as get_job shows it, a load's first faulty rows included.
    view = with_errors(get_job_view(record), store)
    return b"event: " + name.encode() + b"\ndata: " + _ENCODER.encode(view) + b"\n\n"


async def _stream(
    jobs: "JobSystem", job_id: str, record: JobRecord, store: "Store"
) -> AsyncIterator[bytes]:
    spacing = 1.0 / EVENTS_PER_SECOND
    sent: JobRecord | None = None
    sent_at = 0.0
    current: JobRecord | None = record
    while current is not None:
        if current.status in FINISHED:
            yield _event("done", current, store)
            return
        if current != sent:
            yield _event("progress", current, store)
            sent, sent_at = current, time.monotonic()
        change = jobs.next_change(job_id)
        if jobs.record(job_id) == current:  # no change since it was read: wait for one
            try:
                await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(change)), KEEP_ALIVE)
            except TimeoutError:
                yield b": keep-alive\n\n"
        delay = sent_at + spacing - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        current = jobs.record(job_id)


def job_events_route(
    instance: "Instance",
    credentials: Credentials,
    error_response: Callable[[LoadmasterError], Response],
) -> Callable[[Request], Awaitable[Response]]:
    """Return the Starlette endpoint of ``GET /jobs/{job_id}/events`` for ``instance``."""

    async def job_events(request: Request) -> Response:
        job_id = request.path_params["job_id"]
        authorization = request.headers.get("authorization")
        token = request.query_params.get("token")
        if not authorization and token:
            authorization = f"Bearer {token}"
        client = request.client.host if request.client is not None else None
        try:
            user = await credentials.header_user(authorization, client)
            record = instance.jobs.record(job_id)
            if record is None or not (user.super_user or record.user == user.username):
                raise NotFoundError(f"Job {job_id} not found")
        except LoadmasterError as exc:
            return error_response(exc)
        return StreamingResponse(
            _stream(instance.jobs, job_id, record, instance.store),
            media_type="text/event-stream",
            headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
        )

    return job_events
