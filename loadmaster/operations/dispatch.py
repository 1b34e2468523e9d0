"""Decode a request body once, check who may run it, and run its handler.

HTTP and embedded calls meet here: after decoding, both go through :func:`execute`.
"""

from typing import Any

import msgspec

from loadmaster.actors.system import Submitted
from loadmaster.errors import (
    InvalidJSONError,
    InvalidRequestError,
    MalformedBodyError,
    PermissionDeniedError,
    ServerError,
)
from loadmaster.operations import handlers
from loadmaster.operations.handler_context import Context
from loadmaster.operations.schema import Operation
from loadmaster.operations.table import OPERATIONS, tag_of

handlers.load()
_JSON = msgspec.json.Decoder()

MISSING_OPERATION = "Request body must include an 'operation' property."
#: Deepest nesting of arrays and objects a body may have (serde_json's default limit too):
#: deeper values would only reach recursive code further on.
MAX_DEPTH = 128
#: Integers a body may hold: what a record can store (64-bit, signed or unsigned).
MIN_INT, MAX_INT = -(1 << 63), (1 << 64) - 1
TOO_DEEP = f"JSON is nested too deeply (more than {MAX_DEPTH} levels)"
INT_OUT_OF_RANGE = f"Integer out of range (from {MIN_INT} to {MAX_INT})"


def parse(raw: bytes) -> object:
    """Decode a JSON request body, once, into plain values within the body limits.

    Raises:
        InvalidJSONError: The body is not JSON (also truncated, invalid UTF-8, a number out of
            range), or is nested deeper than :data:`MAX_DEPTH`.
    """
    try:
        body = _JSON.decode(raw)
    except RecursionError as exc:
        raise InvalidJSONError(TOO_DEEP) from exc
    except msgspec.DecodeError as exc:
        raise InvalidJSONError(str(exc)) from exc
    _check_bounds(body)
    return body


def _check_bounds(body: object) -> None:
    # Iterative, so that the check itself cannot recurse too deeply; scalars other than
    # integers need no look.
    if type(body) is int:
        _check_int(body)
    if type(body) is not dict and type(body) is not list:
        return
    stack: list[tuple[Any, int]] = [(body, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InvalidJSONError(TOO_DEEP)
        for child in node.values() if type(node) is dict else node:
            kind = type(child)
            if kind is int:
                _check_int(child)
            elif kind is dict or kind is list:
                stack.append((child, depth + 1))


def _check_int(value: int) -> None:
    if not MIN_INT <= value <= MAX_INT:
        raise InvalidJSONError(INT_OUT_OF_RANGE)


def classify(body: object) -> InvalidRequestError | ServerError | None:
    """Say what is wrong with a body that is not an operation.

    Returns None when the body names a known operation.
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


def operation_of(body: object, *, strict: bool = True) -> Operation:
    """Turn a decoded body into its operation.

    Args:
        body: The decoded body (from :func:`parse`, or a dict given in-process).
        strict: False for in-process bodies, whose values may be coerced (``"1"`` for 1).

    Raises:
        MalformedBodyError: The body is not an object.
        InvalidRequestError: It names no known operation, or a field is wrong.
        ServerError: ``operation`` is not a string (HarperDB answers 500 here).
    """
    problem = classify(body)
    if problem is not None:
        raise problem
    assert isinstance(body, dict)  # noqa: S101 - classify() refused everything else
    try:
        op: Operation = msgspec.convert(body, OPERATIONS[body["operation"]].type, strict=strict)
    except msgspec.ValidationError as exc:
        raise InvalidRequestError(_field_message(exc)) from exc
    return op


def decode(raw: bytes) -> Operation:
    """Decode a JSON request body into its operation (:func:`parse`, then
    :func:`operation_of`)."""
    return operation_of(parse(raw))


def convert(body: object) -> Operation:
    """Turn an in-process body (a dict) into its operation, with the same checks as ``decode``."""
    return operation_of(body, strict=False)


def _field_message(exc: msgspec.ValidationError) -> str:
    return str(exc).replace("`$.", "`")


def body_credentials(body: object) -> tuple[str, str] | None:
    """Return ``(username, password)`` sent in a decoded body, if any."""
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
    if isinstance(result, Submitted):
        result.wait()
        return result.answer
    return result


def begin(op: Operation, ctx: Context) -> Any:
    """Authorize and run one operation; a job operation returns its :class:`Submitted` job,
    whose answer is due once its record is on disk (:func:`resolve`, or awaited)."""
    authorize(op, ctx)
    return OPERATIONS[tag_of(type(op))].handler(op, ctx)


def execute(op: Operation, ctx: Context) -> Any:
    """Authorize and run one operation for the caller in ``ctx``; return its answer body."""
    return resolve(begin(op, ctx))
