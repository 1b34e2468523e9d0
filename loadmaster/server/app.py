"""The front door: ``POST /`` for operations (a plain ASGI route); ``GET /health``, uploads,
job events, ``/ui/``, metrics and OpenAPI on Starlette."""

from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from loadmaster.errors import LoadmasterError
from loadmaster.operations.table import OPERATIONS
from loadmaster.server.access_log import AccessLog
from loadmaster.server.asgi import ASGIApp, Receive, Scope, Send
from loadmaster.server.cors import cors_middleware
from loadmaster.server.job_stream import job_events_route
from loadmaster.server.jobs_page import (
    jobs_page_routes,
    openapi_paths as jobs_page_paths,
)
from loadmaster.server.metrics import Metrics
from loadmaster.server.openapi import OpenAPIEndpoint
from loadmaster.server.operations_route import JSON, OperationsRoute, encode_json, error_answer
from loadmaster.server.pipeline import Pipeline
from loadmaster.server.uploads import UploadRoute, openapi_paths as upload_paths

if TYPE_CHECKING:
    from loadmaster.instance import Instance


def json_response(body: Any, status: int = 200, media_type: str = JSON) -> Response:
    """Encode an answer with msgspec; ``Content-Type`` is exactly ``application/json``."""
    return _response(status, encode_json(body), media_type)


def error_response(exc: LoadmasterError) -> Response:
    """Render any loadmaster error as a Starlette response (see :func:`error_answer`)."""
    return _response(*error_answer(exc))


def _response(status: int, body: bytes, media_type: str) -> Response:
    response = Response(body, status_code=status)
    response.headers["content-type"] = media_type
    return response


class _Front:
    """Send ``POST /`` straight to its route, the rest to Starlette (inside the access log).

    Operations are nearly every request a server answers (clients polling ``get_job``), and
    Starlette's error and exception middleware and its router add a good part of a small
    request's cost; the route catches its own errors. With CORS on, everything goes through
    Starlette, whose CORS middleware answers preflights and adds the headers.
    """

    __slots__ = ("_operations", "_rest")

    def __init__(self, operations: ASGIApp, rest: Starlette) -> None:
        self._operations = operations
        self._rest = rest

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/" and scope["method"] == "POST":
            await self._operations(scope, receive, send)
        else:
            await self._rest(scope, receive, send)


def create_app(instance: "Instance") -> ASGIApp:
    """Build the ASGI app answering the Operations API of ``instance``."""
    pipeline = Pipeline(instance)
    credentials = pipeline.credentials
    operations = OperationsRoute(instance, pipeline)

    async def health(_: Request) -> Response:
        return PlainTextResponse("HarperDB is running.")

    metrics = Metrics()
    instance.jobs.events.add_listener(metrics.on_job_event)
    cors = cors_middleware(instance.settings)
    app = Starlette(
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
        middleware=[*cors, Middleware(AccessLog, metrics=metrics, operations=OPERATIONS)]
        if cors
        else [],
    )
    if cors:
        # Preflights are answered (and left out of the access log) by the CORS middleware.
        return app
    return AccessLog(_Front(operations, app), metrics=metrics, operations=OPERATIONS)
