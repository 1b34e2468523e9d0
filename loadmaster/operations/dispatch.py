"""Decode a request body once, check who may run it, and run its handler.

HTTP and embedded calls meet here: after decoding, both go through :func:`execute`.
"""

from typing import Any

import msgspec

from loadmaster.errors import (
    InvalidJSONError,
    InvalidRequestError,
    MalformedBodyError,
    PermissionDeniedError,
    ServerError,
)
from loadmaster.operations import handlers
from loadmaster.operations.deferred import Deferred
from loadmaster.operations.handler_context import Context
from loadmaster.operations.schema import Operation
from loadmaster.operations.table import OPERATIONS, Codec, tag_of

handlers.load()
CODEC = Codec()
_ANY_JSON = msgspec.json.Decoder()

MISSING_OPERATION = "Request body must include an 'operation' property."


def classify(body: object) -> InvalidRequestError | ServerError | None:
    """Say what is wrong with a body that did not decode into an operation.

    Returns None when the body names a known operation (its fields must be at fault).
    """
    if body is None:
        return MalformedBodyError("Cannot read properties of null (reading 'operation')")
    if not isinstance(body, dict):
        return MalformedBodyError(MISSING_OPERATION)
    name = body.get("operation")
    if name is None:
        return InvalidRequestError(MISSING_OPERATION)
    if not isinstance(name, str):
        return ServerError("'operation' must be a string")
    if name not in OPERATIONS:
        return InvalidRequestError(f"Operation '{name}' not found")
    return None


def decode(raw: bytes) -> Operation:
    """Decode a JSON request body into its operation.

    Raises:
        InvalidRequestError: The body is not JSON, not an object, or names no known operation.
        ServerError: ``operation`` is not a string (HarperDB answers 500 here).
    """
    try:
        op: Operation = CODEC.json.decode(raw)
    except msgspec.ValidationError as exc:
        problem = classify(_ANY_JSON.decode(raw))
        raise problem or InvalidRequestError(_field_message(exc)) from exc
    except msgspec.DecodeError as exc:
        raise InvalidJSONError(str(exc)) from exc
    return op


def convert(body: object) -> Operation:
    """Turn an in-process body (a dict) into its operation, with the same checks as ``decode``."""
    problem = classify(body)
    if problem is not None:
        raise problem
    assert isinstance(body, dict)  # noqa: S101 - classify() refused everything else
    try:
        return CODEC.convert(body)
    except msgspec.ValidationError as exc:
        raise InvalidRequestError(_field_message(exc)) from exc


def _field_message(exc: msgspec.ValidationError) -> str:
    return str(exc).replace("`$.", "`")


def body_credentials(raw: bytes) -> tuple[str, str] | None:
    """Return ``(username, password)`` sent in a body that failed to decode, if any."""
    try:
        body = _ANY_JSON.decode(raw)
    except msgspec.DecodeError:
        return None
    if isinstance(body, dict):
        user, password = body.get("username"), body.get("password")
        if isinstance(user, str) and isinstance(password, str):
            return user, password
    return None


def authorize(op: Operation, ctx: Context) -> None:
    """Refuse the operation when the caller's role may not run it.

    Super users pass; everyone else needs a role, and then what the role grants on the
    databases, tables and attributes the operation touches (as its ``@operation`` declares).

    Raises:
        PermissionDeniedError: The role does not allow the operation (HarperDB's 403 body).
    """
    user = ctx.user
    if user.super_user:
        return
    if user.role is None:
        raise PermissionDeniedError(
            [
                f"User {user.username} has no role or permissions.  "
                "Please assign the user a valid role."
            ]
        )
    OPERATIONS[tag_of(type(op))].access.check(op, user, ctx.store)


def resolve(result: Any) -> Any:
    """Turn a handler's result into its answer, waiting for a started job's record."""
    if isinstance(result, Deferred):
        result.wait()
        return result.answer
    return result


def begin(op: Operation, ctx: Context) -> Any:
    """Authorize and run one operation; a job operation returns a :class:`Deferred`,
    whose answer is due once its record is on disk (:func:`resolve`, or awaited)."""
    authorize(op, ctx)
    return OPERATIONS[tag_of(type(op))].handler(op, ctx)


def execute(op: Operation, ctx: Context) -> Any:
    """Authorize and run one operation for the caller in ``ctx``; return its answer body."""
    return resolve(begin(op, ctx))
