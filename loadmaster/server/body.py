"""Reading a request body within its limits: size, total time and a floor rate.

The size limit depends on who is calling: a caller proven by the ``Authorization`` header
may send up to ``max_body_bytes``; anyone else only ``max_unauthenticated_body_bytes``
(enough for credentials in the body), so nobody can make the server hold a big body before
it knows who sends it. A body must arrive within ``body_timeout`` and, after a short grace,
at least at ``body_min_rate`` bytes per second on average, or the request is answered 408:
a slow sender cannot hold a connection and its buffer for long.
"""

import asyncio
from collections.abc import Callable

from starlette.requests import ClientDisconnect, Request

from loadmaster.errors import LoadmasterError, PayloadTooLargeError, RequestTimeoutError

#: Seconds a body may take before the floor rate applies (a connection's slow start).
GRACE_SECONDS = 5.0


async def read_body(
    request: Request,
    limit: int,
    *,
    seconds: float,
    min_rate: float,
    too_large: Callable[[], LoadmasterError] | None = None,
) -> bytes:
    """Read the whole body of ``request``.

    Args:
        request: The request.
        limit: The most bytes accepted.
        seconds: Seconds the whole body may take.
        min_rate: Bytes per second the body must average after :data:`GRACE_SECONDS`
            (0: no floor).
        too_large: Builds the error for a body over ``limit`` (413 by default).

    Raises:
        PayloadTooLargeError: The body (or its declared length) is over ``limit``; nothing
            beyond the limit was read, and what was read is dropped.
        RequestTimeoutError: The body came too slowly.
        ClientDisconnect: The client went away.
    """

    def refuse() -> LoadmasterError:
        if too_large is not None:
            return too_large()
        return PayloadTooLargeError(f"Request body is larger than {limit} bytes")

    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise refuse()
    loop = asyncio.get_running_loop()
    start = loop.time()

    def deadline(size: int) -> float:
        if min_rate > 0:
            return start + min(seconds, GRACE_SECONDS + size / min_rate)
        return start + seconds

    parts: list[bytes] = []
    size = 0
    receive = request.receive
    try:
        async with asyncio.timeout_at(deadline(0)) as scope:
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
                scope.reschedule(deadline(size))
    except TimeoutError as exc:
        parts.clear()
        raise RequestTimeoutError(
            "Request body was not received in time: send it faster "
            f"(within {seconds:g} s, at least {min_rate:g} bytes/s)"
        ) from exc
    return parts[0] if len(parts) == 1 else b"".join(parts)
