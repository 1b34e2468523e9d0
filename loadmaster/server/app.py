"""The Starlette front door: ``POST /`` for operations, ``GET /health``."""

import logging
from typing import TYPE_CHECKING, Any

import msgspec
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from loadmaster.errors import (
    InvalidRequestError,
    LoadmasterError,
    MalformedBodyError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from loadmaster.operations.deferred import Deferred
from loadmaster.server.job_events import job_events_route
from loadmaster.server.pipeline import Answered, Pipeline

if TYPE_CHECKING:
    from loadmaster.instance import Instance

log = logging.getLogger(__name__)

JSON = "application/json"
_ENCODER = msgspec.json.Encoder()


def json_response(body: Any, status: int = 200, media_type: str = JSON) -> Response:
    """Encode an answer with msgspec; ``Content-Type`` is exactly ``application/json``."""
    response = Response(_ENCODER.encode(body), status_code=status)
    response.headers["content-type"] = media_type
    return response


def error_response(exc: LoadmasterError) -> Response:
    """Render any loadmaster error: the one place errors become HTTP answers."""
    media_type = MalformedBodyError.content_type if isinstance(exc, MalformedBodyError) else JSON
    return json_response(exc.body(), exc.status_code, media_type)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"Request body is larger than {limit} bytes")
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"Request body is larger than {limit} bytes")
        parts.append(chunk)
    return b"".join(parts)


def _media_type(request: Request) -> str | None:
    content_type = request.headers.get("content-type")
    if content_type is None:
        return None
    return content_type.split(";", 1)[0].strip().lower()


def create_app(instance: "Instance") -> Starlette:
    """Build the ASGI app answering the Operations API of ``instance``."""
    limit = instance.settings.max_body_bytes
    pipeline = Pipeline(instance)

    async def operations(request: Request) -> Response:
        try:
            media_type = _media_type(request)
            if media_type not in (JSON, "text/plain"):
                shown = request.headers.get("content-type", "undefined")
                raise UnsupportedMediaTypeError(f"Unsupported Media Type: {shown}")
            raw = await _read_body(request, limit)
            if not raw.strip():
                if media_type == JSON:
                    raise InvalidRequestError(
                        "Body cannot be empty when content-type is set to 'application/json'"
                    )
                raise MalformedBodyError("Request body must include an 'operation' property.")
            if media_type == "text/plain":
                # HarperDB keeps a text/plain body as a string: never an operation.
                raise MalformedBodyError("Request body must include an 'operation' property.")
            authorization = request.headers.get("authorization")
            started = pipeline.inline(raw, authorization)
            if isinstance(started, Deferred):
                await started.wait_async()
                result = started.answer
            elif isinstance(started, Answered):
                result = started.body
            else:
                client = request.client.host if request.client is not None else None
                result = await run_in_threadpool(pipeline.handle, raw, authorization, client)
                if isinstance(result, Deferred):
                    await result.wait_async()
                    result = result.answer
        except LoadmasterError as exc:
            return error_response(exc)
        except Exception:
            log.exception("operation failed unexpectedly")
            return json_response({"error": "Internal server error, see the server log"}, 500)
        return json_response(result)

    async def health(_: Request) -> Response:
        return PlainTextResponse("HarperDB is running.")

    return Starlette(
        routes=[
            Route("/", operations, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
            Route(
                "/jobs/{job_id}/events",
                job_events_route(instance, error_response),
                methods=["GET"],
            ),
        ]
    )
