"""Salted scrypt password hashes: the only form in which a password is ever stored."""

import base64
import hashlib
import hmac
import secrets

# RFC 7914's interactive parameters: ~16 MiB and tens of milliseconds per check, which is why
# verified credentials are cached (see users.py) instead of re-hashed on every request.
_N, _R, _P = 1 << 14, 8, 1
_PREFIX = "scrypt"


def hash_password(password: str) -> str:
    """Return ``scrypt$N$r$p$salt$hash`` for a password, with a fresh random salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "$".join(
        (_PREFIX, str(_N), str(_R), str(_P), _b64(salt), _b64(digest)),
    )


def verify_password(password: str, stored: str) -> bool:
    """Tell whether ``password`` matches a hash made by :func:`hash_password`."""
    try:
        prefix, n, r, p, salt, digest = stored.split("$")
        if prefix != _PREFIX:
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def generate_password() -> str:
    """Return a random password for the first super user."""
    return secrets.token_urlsafe(18)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()
