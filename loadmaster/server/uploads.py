"""``PUT /load/<database>/<table>`` (also ``POST``): a CSV or JSON body streamed into a table.

``curl -T dogs.csv -u user:pass http://127.0.0.1:9925/load/dev/dog`` loads a local file
without wrapping it in JSON. The caller is authenticated from the ``Authorization`` header
before any body byte is read; the body then flows into the load job as it arrives (see
:mod:`loadmaster.server.body_stream`), so its size is not limited and the job shows live
counters from the first chunk. The answer comes once the body is received: the job's id,
and its final record when it has already finished. The query parameters are the load's
request fields (``?action=upsert&on_error=skip&max_errors=10``), checked as ``POST /`` checks
them.
"""

import asyncio
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from loadmaster.errors import (
    InvalidRequestError,
    LoadmasterError,
    UnsupportedMediaTypeError,
)
from loadmaster.models import FINISHED, User
from loadmaster.operations.uploads import UploadFormat, start_upload
from loadmaster.server.asgi import must_close
from loadmaster.server.body_stream import BodyStream
from loadmaster.server.credentials import Credentials
from loadmaster.server.openapi import error_responses

if TYPE_CHECKING:
    from loadmaster.instance import Instance

__all__ = ["MEDIA_TYPES", "QUERY_PARAMETERS", "UploadRoute", "openapi_paths"]

#: Body media types and the loader each goes to.
MEDIA_TYPES: dict[str, UploadFormat] = {
    "text/csv": "csv",
    "application/csv": "csv",
    "application/json": "json",
    "application/x-ndjson": "json",
    "application/jsonl": "json",
}
#: What ``curl -T`` and other plain uploads send (nothing, or a generic type): CSV.
_UNTYPED = ("", "application/octet-stream", "text/plain")
#: Request fields accepted as query parameters.
QUERY_PARAMETERS = ("action", "encoding", "on_error", "max_errors", "validate_only")
#: Query texts read as the JSON values a request body would carry (others stay text, to be
#: refused with the body's wording).
_INTEGER = re.compile(r"-?[0-9]+")
_BOOLEANS = {"true": True, "false": False}


class UploadRoute:
    """The upload route of one instance."""

    def __init__(
        self,
        instance: "Instance",
        credentials: Credentials,
        render_json: Callable[[Any], Response],
        render_error: Callable[[LoadmasterError], Response],
    ) -> None:
        self._instance = instance
        self._credentials = credentials
        self._render_json = render_json
        self._render_error = render_error

    async def answer(self, request: Request) -> Response:
        """Load one request body; answer with the job's id (and record, if it has ended)."""
        try:
            user = await self._caller(request)
            body_format, gzip = _body_format(request)
            action = _parameter(request, "action", "insert")
            encoding = _parameter(request, "encoding", None)
            on_error = _parameter(request, "on_error", None)
            max_errors = _parameter(request, "max_errors", None)
            validate_only = _parameter(request, "validate_only", None)
            database = request.path_params["database"]
            table = request.path_params["table"]
            declared = request.headers.get("content-length")
            size = int(declared) if declared is not None and declared.isdigit() else None
            body = BodyStream(asyncio.get_running_loop(), size)
            try:
                submitted = start_upload(
                    self._instance.context(user),
                    database=database,
                    table=table,
                    action=action,
                    body_format=body_format,
                    gzip=gzip,
                    encoding=encoding,
                    body=body,
                    on_error=on_error,
                    max_errors=_integer(max_errors),
                    validate_only=_boolean(validate_only),
                )
                await submitted.wait_async()
                read_all = await _pump(request, body)
            except BaseException as exc:
                body.end(exc)  # a job waiting for the rest must not wait forever
                raise
        except LoadmasterError as exc:
            return _unread(request, self._render_error(exc))
        answer: dict[str, Any] = dict(submitted.answer)
        record = self._instance.jobs.get(submitted.job_id)
        if record is not None and record.get("status") in FINISHED:
            answer["job"] = record
        response = self._render_json(answer)
        return response if read_all else _unread(request, response)

    async def _caller(self, request: Request) -> User:
        """Authenticate the header's credentials (a body never carries them here)."""
        client = request.client.host if request.client is not None else None
        return await self._credentials.header_user(request.headers.get("authorization"), client)


def _unread(request: Request, response: Response) -> Response:
    """Answer before the whole body was read (see :func:`must_close`)."""
    if must_close(request.scope):
        response.headers["connection"] = "close"
    return response


async def _pump(request: Request, body: BodyStream) -> bool:
    """Hand the body to the job as it arrives; stop early when the job stopped reading.

    Returns:
        Whether the whole body was read.
    """
    try:
        async for chunk in request.stream():
            if chunk and not await body.put(chunk):
                return False  # the job ended (its record says why): the rest is not read
    except ClientDisconnect as exc:
        body.end(exc)
        raise InvalidRequestError("The client went away before the body was complete") from exc
    body.end()
    return True


def _body_format(request: Request) -> tuple[UploadFormat, bool]:
    shown = request.headers.get("content-type", "")
    media_type = shown.split(";", 1)[0].strip().lower()
    body_format = "csv" if media_type in _UNTYPED else MEDIA_TYPES.get(media_type)
    if body_format is None:
        raise UnsupportedMediaTypeError(
            f"Unsupported Media Type: {shown or 'undefined'}; send {', '.join(MEDIA_TYPES)}"
        )
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip"):
        raise UnsupportedMediaTypeError(f"Unsupported Content-Encoding: {encoding}; send gzip")
    return body_format, encoding == "gzip"


def _parameter(request: Request, name: str, default: str | None) -> str | None:
    params = request.query_params
    for given in params:
        if given not in QUERY_PARAMETERS:
            raise InvalidRequestError(
                f"Unknown query parameter '{given}'; known: {', '.join(QUERY_PARAMETERS)}"
            )
        if len(params.getlist(given)) > 1:
            raise InvalidRequestError(f"Query parameter '{given}' is given more than once")
    return params.get(name, default)


def _integer(text: str | None) -> int | str | None:
    return int(text) if text is not None and _INTEGER.fullmatch(text) else text


def _boolean(text: str | None) -> bool | str | None:
    return _BOOLEANS.get(text, text) if text is not None else None


def openapi_paths() -> dict[str, Any]:
    """Describe the route for ``/openapi.json``."""
    content = {
        media: {"schema": {"type": "string", "format": "binary"}}
        for media in (*MEDIA_TYPES, "application/octet-stream")
    }
    operation = {
        "summary": "Stream a CSV or JSON body into a table, as a load job",
        "description": "Authenticated from the Authorization header before the body is read. "
        "`Content-Encoding: gzip` is accepted. Answers once the body is received. Faulty rows "
        "(CSV and NDJSON alike) are reported on the job record and by get_job_errors, and "
        "handled as `on_error` says.",
        "parameters": [
            {"name": "database", "in": "path", "required": True, "schema": {"type": "string"}},
            {"name": "table", "in": "path", "required": True, "schema": {"type": "string"}},
            {
                "name": "action",
                "in": "query",
                "schema": {"enum": ["insert", "update", "upsert"], "default": "insert"},
            },
            {
                "name": "encoding",
                "in": "query",
                "schema": {"type": "string", "default": "utf-8"},
                "description": "utf-8, utf-8-sig, utf-16, latin-1 or cp1252",
            },
            {
                "name": "on_error",
                "in": "query",
                "schema": {"enum": ["continue", "skip", "abort"], "default": "continue"},
                "description": "continue: load what can be loaded, report faulty rows; "
                "skip: leave them out; abort: end the job ERROR at the first",
            },
            {
                "name": "max_errors",
                "in": "query",
                "schema": {"type": "integer", "minimum": 0},
                "description": "with on_error=skip: end the job ERROR once more rows than "
                "this were rejected",
            },
            {
                "name": "validate_only",
                "in": "query",
                "schema": {"type": "boolean", "default": False},
                "description": "read and check the whole body, write nothing",
            },
        ],
        "requestBody": {"required": True, "content": content},
        "responses": {
            "200": {
                "description": "The job started (its final record under `job` if it ended)",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            **error_responses(400, 401, 403, 415, 503),
        },
    }
    return {
        "/load/{database}/{table}": {
            "put": {**operation, "operationId": "upload"},
            "post": {**operation, "operationId": "upload_post"},
        }
    }
