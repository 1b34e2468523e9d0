"""``POST /``: one Operations API request, served as a plain ASGI app.

Every client's requests come here, ``get_job`` polling above all, so the route reads what it
needs from the ASGI scope and sends its answer as two ASGI messages, without Starlette's
``Request`` and ``Response`` objects around them. It answers what those would have: the JSON
body with its ``Content-Length`` and ``Content-Type``.
"""

import logging
from typing import TYPE_CHECKING

import msgspec
from starlette.requests import ClientDisconnect

from loadmaster.errors import (
    InvalidRequestError,
    LoadmasterError,
    MalformedBodyError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from loadmaster.server.asgi import Receive, Scope, Send, must_close
from loadmaster.server.body import BodyReader
from loadmaster.server.pipeline import Pipeline

if TYPE_CHECKING:
    from loadmaster.instance import Instance

__all__ = ["JSON", "OperationsRoute", "encode_json", "error_answer"]

# The logger these lines always had, from before the route had a module of its own.
log = logging.getLogger("loadmaster.server.app")

JSON = "application/json"
_JSON = JSON.encode()
encode_json = msgspec.json.Encoder().encode


def error_answer(exc: LoadmasterError) -> tuple[int, bytes, str]:
    """Render any loadmaster error as its status, JSON body and content type: the one place
    errors become HTTP answers."""
    media_type = MalformedBodyError.content_type if isinstance(exc, MalformedBodyError) else JSON
    return exc.status_code, encode_json(exc.body()), media_type


class OperationsRoute:
    """The ASGI app of ``POST /`` for one instance."""

    def __init__(self, instance: "Instance", pipeline: Pipeline) -> None:
        settings = instance.settings
        self._max_body = settings.max_body_bytes
        self._unauthenticated_limit = min(
            settings.max_unauthenticated_body_bytes, settings.max_body_bytes
        )
        self._pipeline = pipeline
        self._credentials = pipeline.credentials
        self._bodies = BodyReader(seconds=settings.body_timeout, min_rate=settings.body_min_rate)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one request."""
        content_type = authorization = declared = None
        for name, value in scope["headers"]:
            # The first of each, as Starlette's Headers.get() answers it.
            if name == b"content-type" and content_type is None:
                content_type = value.decode("latin-1")
            elif name == b"authorization" and authorization is None:
                authorization = value.decode("latin-1")
            elif name == b"content-length" and declared is None:
                declared = value.decode("latin-1")
        close = False
        try:
            status, body, media_type, close = await self._answer(
                scope, receive, content_type, authorization, declared
            )
        except ClientDisconnect:
            status, body, media_type = 400, b"", None
        except Exception:
            log.exception("operation failed unexpectedly")
            status, media_type = 500, _JSON
            body = encode_json({"error": "Internal server error, see the server log"})
        headers = [(b"content-length", str(len(body)).encode())]
        if media_type is not None:
            headers.append((b"content-type", media_type))
        if close:
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _answer(
        self,
        scope: Scope,
        receive: Receive,
        content_type: str | None,
        authorization: str | None,
        declared: str | None,
    ) -> tuple[int, bytes, bytes | None, bool]:
        body_read = False
        try:
            media_type = None
            if content_type is not None:
                media_type = content_type.split(";", 1)[0].strip().lower()
            if media_type not in (JSON, "text/plain"):
                shown = content_type if content_type is not None else "undefined"
                raise UnsupportedMediaTypeError(f"Unsupported Media Type: {shown}")
            peer = scope.get("client")
            client = peer[0] if peer else None
            # Who calls is known before the body is read: only they may send a big one.
            header = await self._credentials.header(authorization, client)
            if header.user is not None:
                raw = await self._bodies.read(receive, declared, self._max_body)
            else:
                limit = self._unauthenticated_limit
                raw = await self._bodies.read(
                    receive,
                    declared,
                    limit,
                    too_large=lambda: (
                        header.error
                        or PayloadTooLargeError(
                            f"Request body is larger than {limit} bytes, the most "
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
            result = await self._pipeline.answer(raw, header, client)
        except LoadmasterError as exc:
            status, body, media_type = error_answer(exc)
            close = not body_read and must_close(scope)
            return status, body, media_type.encode(), close
        return 200, encode_json(result), _JSON, False
