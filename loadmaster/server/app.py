"""The Starlette front door: ``POST /`` for operations, ``GET /health``."""

from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from loadmaster.errors import LoadmasterError, MalformedBodyError
from loadmaster.operations.table import OPERATIONS
from loadmaster.server.access_log import AccessLog
from loadmaster.server.cors import cors_middleware
from loadmaster.server.job_stream import job_events_route
from loadmaster.server.metrics import Metrics
from loadmaster.server.openapi import OpenAPIEndpoint
from loadmaster.server.operations_route import JSON, OperationsRoute, encode_json
from loadmaster.server.pipeline import Pipeline
from loadmaster.server.uploads import UploadRoute, openapi_paths as upload_paths

if TYPE_CHECKING:
    from loadmaster.instance import Instance


def json_response(body: Any, status: int = 200, media_type: str = JSON) -> Response:
    """Encode an answer with msgspec; ``Content-Type`` is exactly ``application/json``."""
    response = Response(encode_json(body), status_code=status)
    response.headers["content-type"] = media_type
    return response


def error_response(exc: LoadmasterError) -> Response:
    """Render any loadmaster error: the one place errors become HTTP answers."""
    media_type = MalformedBodyError.content_type if isinstance(exc, MalformedBodyError) else JSON
    return json_response(exc.body(), exc.status_code, media_type)


def create_app(instance: "Instance") -> Starlette:
    """Build the ASGI app answering the Operations API of ``instance``."""
    pipeline = Pipeline(instance)
    credentials = pipeline.credentials

    async def health(_: Request) -> Response:
        return PlainTextResponse("HarperDB is running.")

    metrics = Metrics()
    instance.jobs.events.add_listener(metrics.on_job_event)
    return Starlette(
        routes=[
            Route("/", OperationsRoute(instance, pipeline), methods=["POST"]),
            Route("/health", health, methods=["GET"]),
            Route(
                "/metrics", metrics.endpoint(instance, credentials, error_response), methods=["GET"]
            ),
            Route("/openapi.json", OpenAPIEndpoint(upload_paths()).answer, methods=["GET"]),
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
        ],
        middleware=[
            *cors_middleware(instance.settings),
            Middleware(AccessLog, metrics=metrics, operations=OPERATIONS),
        ],
    )
