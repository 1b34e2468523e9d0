"""JSON Web Tokens for ``Authorization: Bearer``: operation and refresh tokens, HS256.

The signing key is generated at first start and kept in ``<data>/.jwt-key`` (mode 0600), so
tokens survive a restart and anyone who can read the data directory can mint them: the key is
as sensitive as the data itself. A token names its kind in ``sub`` (``operation`` or
``refresh``) so one kind can never stand in for the other.
"""

import hashlib
import logging
import os
import secrets
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import jwt

from loadmaster.errors import AuthenticationError

log = logging.getLogger(__name__)

KEY_FILE = ".jwt-key"
INVALID_TOKEN = "invalid token"  # noqa: S105 - an error message, not a secret
_ALGORITHM = "HS256"
#: 512 bits: HS256 needs at least 256, and PyJWT warns below that.
_KEY_BYTES = 64

TokenKind = Literal["operation", "refresh"]


def load_or_create_key(data_dir: Path) -> bytes:
    """Return the signing key of a data directory, creating ``.jwt-key`` (0600) if missing."""
    path = data_dir / KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    key = secrets.token_bytes(_KEY_BYTES)
    with os.fdopen(fd, "w") as out:
        out.write(key.hex() + "\n")
    return key


def _read_key(path: Path) -> bytes:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("%s was readable by others (mode %o); restricting it to 0600", path, mode)
        path.chmod(0o600)
    try:
        key = bytes.fromhex(path.read_text().strip())
    except ValueError as exc:
        raise ValueError(f"{path} does not hold a hex-encoded key") from exc
    if len(key) < 32:
        raise ValueError(f"{path} holds a key shorter than 256 bits")
    return key


def token_digest(token: str) -> str:
    """Return the digest under which a refresh token is remembered (never the token itself)."""
    return hashlib.sha256(token.encode()).hexdigest()


class TokenSigner:
    """Issue and check tokens with one key.

    Args:
        key: The HMAC key.
        clock: Epoch seconds; injectable so that expiry is testable without waiting.
    """

    def __init__(self, key: bytes, *, clock: Callable[[], float] = time.time) -> None:
        self._key = key
        self.clock = clock

    def issue(self, username: str, kind: TokenKind, ttl: int, *, uid: str | None = None) -> str:
        """Return a signed token for a user, valid for ``ttl`` seconds from now.

        Args:
            username: The user's name.
            kind: ``operation`` or ``refresh``.
            ttl: Lifetime in seconds.
            uid: The identity of the user record; the user store refuses a token whose
                user record has another (dropped and re-created, or a new password).
        """
        now = int(self.clock())
        claims: dict[str, Any] = {
            "username": username,
            "sub": kind,
            "iat": now,
            "exp": now + ttl,
            # Two tokens minted in the same second must still differ (refresh tokens are
            # remembered by digest, and the newest one replaces the older).
            "jti": secrets.token_hex(8),
        }
        if uid is not None:
            claims["uid"] = uid
        return jwt.encode(claims, self._key, algorithm=_ALGORITHM)

    def verify(self, token: str, kind: TokenKind) -> dict[str, Any]:
        """Return the claims of a valid, unexpired token of ``kind``.

        Raises:
            AuthenticationError: ``invalid token`` for a malformed, wrongly signed, expired or
                wrong-kind token.
        """
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=[_ALGORITHM],
                # Time claims are checked below against the injectable clock.
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
        except jwt.InvalidTokenError as exc:
            raise AuthenticationError(INVALID_TOKEN) from exc
        exp = claims.get("exp")
        if (
            claims.get("sub") != kind
            or not isinstance(claims.get("username"), str)
            or isinstance(exp, bool)
            or not isinstance(exp, int | float)
            or exp <= self.clock()
        ):
            raise AuthenticationError(INVALID_TOKEN)
        return claims
