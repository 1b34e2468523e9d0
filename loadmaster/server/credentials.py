"""Who is calling: the Authorization header (Basic or Bearer), else body credentials.

The two token operations authenticate differently: ``create_authentication_tokens`` checks
the credentials in its own body (no header needed), and ``refresh_operation_token`` is
authenticated by its refresh token, sent in the body or as a Bearer token.
"""

import base64
import binascii

import msgspec

from loadmaster.auth.users import INVALID_CREDENTIALS, UserStore
from loadmaster.errors import AuthenticationError
from loadmaster.models import User
from loadmaster.operations.schema import (
    CreateAuthenticationTokens,
    Operation,
    RefreshOperationToken,
)

MUST_LOGIN = "Must login"
#: Operations that authenticate their own body instead of the usual credentials.
TOKEN_OPERATIONS = (CreateAuthenticationTokens, RefreshOperationToken)


def authenticate(
    users: UserStore,
    authorization: str | None,
    body_credentials: tuple[str, str] | None,
    client: str | None = None,
) -> User:
    """Return the caller named by the request.

    Args:
        users: The user store.
        authorization: The ``Authorization`` header, if any.
        body_credentials: ``(username, password)`` from the body, tried without a header.
        client: The client's address, counted for failed logins.

    Raises:
        AuthenticationError: No usable credentials (``Must login``), bad ones (``Login
            failed``, ``Invalid character``, ``invalid token``), or an inactive user.
    """
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        scheme = scheme.lower()
        if scheme == "basic":
            username, password = _basic(value.strip())
            return users.authenticate(username, password, client)
        if scheme == "bearer":
            return users.authenticate_token(value.strip())
    if body_credentials is not None:
        return users.authenticate(*body_credentials, client)
    raise AuthenticationError(MUST_LOGIN)


def authenticate_token_request(
    users: UserStore,
    op: CreateAuthenticationTokens | RefreshOperationToken,
    authorization: str | None,
    client: str | None = None,
) -> tuple[Operation, User]:
    """Authenticate a token operation; return it (with a Bearer refresh token moved into its
    body) and the caller.

    Raises:
        AuthenticationError: ``invalid credentials`` for wrong body credentials, ``invalid
            token`` for a bad refresh token, else as :func:`authenticate`.
    """
    if isinstance(op, CreateAuthenticationTokens):
        if op.username is None and op.password is None:
            return op, authenticate(users, authorization, None, client)
        if not isinstance(op.username, str) or not isinstance(op.password, str):
            raise AuthenticationError(INVALID_CREDENTIALS)
        try:
            return op, users.authenticate(op.username, op.password, client)
        except AuthenticationError as exc:
            raise AuthenticationError(INVALID_CREDENTIALS) from exc
    if op.refresh_token is None:
        bearer = _bearer(authorization)
        if bearer is not None:
            op = msgspec.structs.replace(op, refresh_token=bearer)
    if isinstance(op.refresh_token, str) and op.refresh_token:
        return op, users.refresh_token_user(op.refresh_token)
    return op, authenticate(users, authorization, None, client)


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def cached_caller(users: UserStore, authorization: str | None) -> User | None:
    """Return the caller of a Basic header whose credentials are cached, else None.

    Cheap and non-blocking: anything else (tokens, unverified or wrong credentials) is left
    to :func:`authenticate` on a worker thread.
    """
    if not authorization or authorization[:6].lower() != "basic ":
        return None
    try:
        username, password = _basic(authorization[6:].strip())
    except AuthenticationError:
        return None
    return users.cached(username, password)


def _basic(value: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise AuthenticationError("Invalid character") from exc
    username, sep, password = decoded.partition(":")
    if not sep:
        raise AuthenticationError("Login failed")
    return username, password
