"""The Starlette front door: ``POST /`` for operations, ``GET /health``, the other routes."""

import logging
from typing import TYPE_CHECKING, Any

import msgspec
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from loadmaster.errors import (
    InvalidRequestError,
    LoadmasterError,
    MalformedBodyError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from loadmaster.operations.table import OPERATIONS
from loadmaster.server.access_log import AccessLog
from loadmaster.server.body import BodyReader
from loadmaster.server.cors import cors_middleware
from loadmaster.server.job_stream import job_events_route
from loadmaster.server.jobs_page import (
    jobs_page_routes,
    openapi_paths as jobs_page_paths,
)
from loadmaster.server.metrics import Metrics
from loadmaster.server.openapi import OpenAPIEndpoint
from loadmaster.server.pipeline import Pipeline
from loadmaster.server.uploads import UploadRoute, openapi_paths as upload_paths

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


def _media_type(request: Request) -> str | None:
    content_type = request.headers.get("content-type")
    if content_type is None:
        return None
    return content_type.split(";", 1)[0].strip().lower()


def create_app(instance: "Instance") -> Starlette:
    """Build the ASGI app answering the Operations API of ``instance``."""
    settings = instance.settings
    unauthenticated_limit = min(settings.max_unauthenticated_body_bytes, settings.max_body_bytes)
    pipeline = Pipeline(instance)
    credentials = pipeline.credentials
    bodies = BodyReader(seconds=settings.body_timeout, min_rate=settings.body_min_rate)

    async def operations(request: Request) -> Response:
        body_read = False
        try:
            media_type = _media_type(request)
            if media_type not in (JSON, "text/plain"):
                shown = request.headers.get("content-type", "undefined")
                raise UnsupportedMediaTypeError(f"Unsupported Media Type: {shown}")
            client = request.client.host if request.client is not None else None
            # Who calls is known before the body is read: only they may send a big one.
            header = await credentials.header(request.headers.get("authorization"), client)
            if header.user is not None:
                raw = await bodies.read(request, settings.max_body_bytes)
            else:
                raw = await bodies.read(
                    request,
                    unauthenticated_limit,
                    too_large=lambda: (
                        header.error
                        or PayloadTooLargeError(
                            f"Request body is larger than {unauthenticated_limit} bytes, the most "
                            "accepted before the caller is known: send the credentials in the "
                            "Authorization header"
                        )
                    ),
                )
            body_read = True
            if not raw.strip():
                if media_type == JSON:
                    raise InvalidRequestError(
                        "Body cannot be empty when content-type is set to 'application/json'"
                    )
                raise MalformedBodyError("Request body must include an 'operation' property.")
            if media_type == "text/plain":
                # HarperDB keeps a text/plain body as a string: never an operation.
                raise MalformedBodyError("Request body must include an 'operation' property.")
            result = await pipeline.answer(raw, header, client)
        except LoadmasterError as exc:
            response = error_response(exc)
            if not body_read and request.scope.get("http_version") in ("1.0", "1.1"):
                # The rest of the body is never read: end the connection rather than keep it.
                response.headers["connection"] = "close"
            return response
        except ClientDisconnect:
            return Response(status_code=400)
        except Exception:
            log.exception("operation failed unexpectedly")
            return json_response({"error": "Internal server error, see the server log"}, 500)
        return json_response(result)

    async def health(_: Request) -> Response:
        return PlainTextResponse("HarperDB is running.")

    metrics = Metrics()
    instance.jobs.events.add_listener(metrics.on_job_event)
    return Starlette(
        routes=[
            Route("/", operations, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
            Route(
                "/metrics", metrics.endpoint(instance, credentials, error_response), methods=["GET"]
            ),
            Route(
                "/openapi.json",
                OpenAPIEndpoint({**upload_paths(), **jobs_page_paths()}).answer,
                methods=["GET"],
            ),
            Route(
                "/jobs/{job_id}/events",
                job_events_route(instance, credentials, error_response),
                methods=["GET"],
            ),
            Route(
                "/load/{database}/{table}",
                UploadRoute(instance, credentials, json_response, error_response).answer,
                methods=["PUT", "POST"],
            ),
            *jobs_page_routes(error_response),
        ],
        middleware=[
            *cors_middleware(instance.settings),
            Middleware(AccessLog, metrics=metrics, operations=OPERATIONS),
        ],
    )
