"""``GET /openapi.json``: the HTTP API as an OpenAPI 3.1 document.

The body of ``POST /`` is generated from the operation Structs (the same table the decoder is
built from, :data:`loadmaster.operations.table.OPERATIONS`): a ``oneOf`` discriminated on
``operation``, so an operation is never described twice. The other routes are described here,
beside the modules that serve them.
"""

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from loadmaster import package
from loadmaster.operations.table import OPERATIONS

__all__ = ["OpenAPIEndpoint", "error_responses", "openapi_document"]

_REF = "#/components/schemas/{name}"
_ERROR = {"$ref": "#/components/schemas/Error"}
_SECURITY: list[dict[str, list[str]]] = [{"basicAuth": []}, {"bearerAuth": []}]


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


def _errors(*statuses: int) -> dict[str, Any]:
    texts = {
        400: "Bad request: an unknown operation, a missing or invalid field",
        401: "No, wrong or inactive credentials",
        403: "The caller's role does not allow it",
        404: "A named thing does not exist",
        409: "A conflict: already exists, already finished",
        413: "The request body is too large",
        415: "Unsupported content type",
        500: "The server failed",
        503: "The job system did not answer in time",
    }
    return {str(status): _error(texts[status]) for status in statuses}


def _operations() -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the ``POST /`` body schema and the component schemas it refers to."""
    types = tuple(OPERATIONS[name].type for name in sorted(OPERATIONS))
    _, components = msgspec.json.schema_components(types, ref_template=_REF)
    body = {
        "oneOf": [{"$ref": _REF.format(name=t.__name__)} for t in types],
        "discriminator": {
            "propertyName": "operation",
            "mapping": {
                name: _REF.format(name=OPERATIONS[name].type.__name__)
                for name in sorted(OPERATIONS)
            },
        },
    }
    return body, components


def _text(description: str, media_type: str = "text/plain") -> dict[str, Any]:
    return {"description": description, "content": {media_type: {"schema": {"type": "string"}}}}


def openapi_document(version: str, extra_paths: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the OpenAPI 3.1 document of the server.

    Args:
        version: The package version, shown as the API's version.
        extra_paths: Path items of routes described by the modules that serve them.
    """
    body, components = _operations()
    components["Error"] = {
        "type": "object",
        "properties": {"error": {"type": "string"}},
        "required": ["error"],
        "description": "Every error answer; a 403 adds unauthorized_access and "
        "invalid_schema_items (HarperDB's body).",
    }
    paths: dict[str, Any] = {
        "/": {
            "post": {
                "operationId": "operation",
                "summary": "Run one operation of the Operations API",
                "description": "A job operation answers at once with "
                '`{"message": "Starting job with id <id>", "job_id": "<id>"}`.',
                "security": _SECURITY,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": body}},
                },
                "responses": {
                    "200": {
                        "description": "The operation's answer",
                        "content": {"application/json": {"schema": {}}},
                    },
                    **_errors(400, 401, 403, 404, 409, 413, 415, 500, 503),
                },
            }
        },
        "/health": {
            "get": {
                "operationId": "health",
                "summary": "Tell whether the server runs",
                "security": [],
                "responses": {"200": _text("Always `HarperDB is running.`")},
            }
        },
        "/metrics": {
            "get": {
                "operationId": "metrics",
                "summary": "Jobs and HTTP requests in the Prometheus text format",
                "description": "Public when LOADMASTER_METRICS_PUBLIC=true.",
                "security": [*_SECURITY, {}],
                "responses": {"200": _text("Prometheus text format 0.0.4"), **_errors(401)},
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "security": [],
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
        **(extra_paths or {}),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "loadmaster Operations API",
            "version": version,
            "description": "A HarperDB-compatible Operations API whose heart is asynchronous "
            "bulk jobs.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "basicAuth": {"type": "http", "scheme": "basic"},
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
        },
        "security": _SECURITY,
    }


def error_responses(*statuses: int) -> dict[str, Any]:
    """Return the error responses of a route, for the modules that describe their routes."""
    return _errors(*statuses)


class OpenAPIEndpoint:
    """``GET /openapi.json``, encoded once on first use (every operation is registered by then)."""

    def __init__(self, extra_paths: dict[str, Any] | None = None) -> None:
        self._extra_paths = extra_paths
        self._encoded: bytes | None = None

    async def answer(self, _: Request) -> Response:
        """Answer with the document (public: it holds no data)."""
        if self._encoded is None:
            document = openapi_document(package.version(), self._extra_paths)
            self._encoded = msgspec.json.encode(document)
        return Response(self._encoded, headers={"content-type": "application/json"})
