"""Who is calling: the Authorization header (Basic or Bearer), else body credentials."""

import base64
import binascii

from loadmaster.auth.users import UserStore
from loadmaster.errors import AuthenticationError
from loadmaster.models import User

MUST_LOGIN = "Must login"


def authenticate(
    users: UserStore, authorization: str | None, body_credentials: tuple[str, str] | None
) -> User:
    """Return the caller named by the request.

    Raises:
        AuthenticationError: No usable credentials (``Must login``), bad ones (``Login
            failed``, ``Invalid character``, ``invalid token``), or an inactive user.
    """
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        scheme = scheme.lower()
        if scheme == "basic":
            return users.authenticate(*_basic(value.strip()))
        if scheme == "bearer":
            return users.authenticate_token(value.strip())
    if body_credentials is not None:
        return users.authenticate(*body_credentials)
    raise AuthenticationError(MUST_LOGIN)


def _basic(value: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise AuthenticationError("Invalid character") from exc
    username, sep, password = decoded.partition(":")
    if not sep:
        raise AuthenticationError("Login failed")
    return username, password
