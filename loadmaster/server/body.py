"""Reading a request body within its limits: size, total time and a floor rate.

The size limit depends on who is calling: a caller proven by the ``Authorization`` header
may send up to ``max_body_bytes``; anyone else only ``max_unauthenticated_body_bytes``
(enough for credentials in the body), so nobody can make the server hold a big body before
it knows who sends it. A body must arrive within ``body_timeout`` and, after a short grace,
at least at ``body_min_rate`` bytes per second on average, or the request is answered 408:
a slow sender cannot hold a connection and its buffer for long.

Deadlines are kept by one watchdog task per event loop that looks at the bodies being read
a few times a second and cancels the late ones, so the common case (a body that is there at
once) costs a dictionary entry, not a timer.
"""

import asyncio
from collections.abc import Callable

from starlette.requests import ClientDisconnect

from loadmaster.errors import LoadmasterError, PayloadTooLargeError, RequestTimeoutError
from loadmaster.server.asgi import Receive

#: Seconds a body may take before the floor rate applies (a connection's slow start).
GRACE_SECONDS = 5.0
#: How often the watchdog looks for late bodies.
SWEEP_SECONDS = 0.1


class BodyReader:
    """Reads request bodies within a total time and a floor rate.

    Args:
        seconds: Seconds the whole body may take.
        min_rate: Bytes per second the body must average after :data:`GRACE_SECONDS`
            (0: no floor).
    """

    def __init__(self, *, seconds: float, min_rate: float) -> None:
        self._seconds = seconds
        self._min_rate = min_rate
        # The tasks reading a body -> when they are late.
        self._deadlines: dict[asyncio.Task[object], float] = {}
        self._late: set[asyncio.Task[object]] = set()
        self._watchdog: asyncio.Task[None] | None = None

    def _deadline(self, start: float, size: int) -> float:
        if self._min_rate > 0:
            return start + min(self._seconds, GRACE_SECONDS + size / self._min_rate)
        return start + self._seconds

    async def read(
        self,
        receive: Receive,
        declared: str | None,
        limit: int,
        too_large: Callable[[], LoadmasterError] | None = None,
    ) -> bytes:
        """Read the whole body of a request.

        Args:
            receive: The request's ASGI ``receive``.
            declared: Its ``Content-Length`` header, if any.
            limit: The most bytes accepted.
            too_large: Builds the error for a body over ``limit`` (413 by default).

        Raises:
            PayloadTooLargeError: The body (or its declared length) is over ``limit``;
                nothing beyond the limit was read, and what was read is dropped.
            RequestTimeoutError: The body came too slowly.
            ClientDisconnect: The client went away.
        """

        def refuse() -> LoadmasterError:
            if too_large is not None:
                return too_large()
            return PayloadTooLargeError(f"Request body is larger than {limit} bytes")

        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise refuse()
        task = asyncio.current_task()
        assert task is not None  # noqa: S101 - called from a request's task
        loop = asyncio.get_running_loop()
        if self._watchdog is None or self._watchdog.done():
            self._watchdog = loop.create_task(self._watch(), name="loadmaster-body-watchdog")
        start = loop.time()
        deadlines = self._deadlines
        deadlines[task] = self._deadline(start, 0)
        parts: list[bytes] = []
        size = 0
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise ClientDisconnect
                chunk = message.get("body", b"")
                if chunk:
                    size += len(chunk)
                    if size > limit:
                        parts.clear()
                        raise refuse()
                    parts.append(chunk)
                if not message.get("more_body", False):
                    break
                deadlines[task] = self._deadline(start, size)
        except asyncio.CancelledError:
            if task not in self._late:
                raise
            self._late.discard(task)
            task.uncancel()
            parts.clear()
            raise RequestTimeoutError(
                "Request body was not received in time: send it faster (within "
                f"{self._seconds:g} s, at least {self._min_rate:g} bytes/s)"
            ) from None
        finally:
            deadlines.pop(task, None)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            now = loop.time()
            for task, deadline in list(self._deadlines.items()):
                if deadline <= now and task not in self._late:
                    self._late.add(task)
                    task.cancel()
