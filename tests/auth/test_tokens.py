"""Token signing: the key file, expiry on an injected clock, kinds, tampering."""

import base64
import json
import stat
from pathlib import Path

import jwt
import pytest

from loadmaster.auth.tokens import KEY_FILE, TokenSigner, load_or_create_key
from loadmaster.errors import AuthenticationError


def test_key_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path)
    path = tmp_path / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) == 64
    assert load_or_create_key(tmp_path) == key


def test_a_key_file_readable_by_others_is_restricted(tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path)
    path = tmp_path / KEY_FILE
    path.chmod(0o644)
    assert load_or_create_key(tmp_path) == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_short_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_text("00" * 8)
    (tmp_path / KEY_FILE).chmod(0o600)
    with pytest.raises(ValueError, match="shorter than 256 bits"):
        load_or_create_key(tmp_path)


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def signer(tmp_path: Path, clock: Clock) -> TokenSigner:
    return TokenSigner(load_or_create_key(tmp_path), clock=clock)


def test_a_token_carries_user_kind_and_lifetime(signer: TokenSigner, clock: Clock) -> None:
    token = signer.issue("bob", "operation", 60)
    claims = signer.verify(token, "operation")
    assert claims["username"] == "bob"
    assert claims["sub"] == "operation"
    assert claims["exp"] - claims["iat"] == 60
    assert signer.issue("bob", "operation", 60) != token


def test_a_token_expires(signer: TokenSigner, clock: Clock) -> None:
    token = signer.issue("bob", "operation", 60)
    clock.now += 59
    signer.verify(token, "operation")
    clock.now += 1
    with pytest.raises(AuthenticationError, match=r"^invalid token$"):
        signer.verify(token, "operation")


def test_one_kind_never_stands_in_for_the_other(signer: TokenSigner) -> None:
    with pytest.raises(AuthenticationError, match=r"^invalid token$"):
        signer.verify(signer.issue("bob", "refresh", 60), "operation")
    with pytest.raises(AuthenticationError, match=r"^invalid token$"):
        signer.verify(signer.issue("bob", "operation", 60), "refresh")


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_tampered_unsigned_and_foreign_tokens_are_refused(
    signer: TokenSigner, clock: Clock
) -> None:
    token = signer.issue("bob", "operation", 60)
    header, _payload, signature = token.split(".")
    forged = ".".join(
        (header, _b64({"username": "HDB_ADMIN", "sub": "operation", "exp": 2e9}), signature)
    )
    unsigned = ".".join(
        (
            _b64({"alg": "none", "typ": "JWT"}),
            _b64({"username": "HDB_ADMIN", "sub": "operation", "exp": 2e9}),
            "",
        )
    )
    foreign = jwt.encode(
        {"username": "bob", "sub": "operation", "iat": 0, "exp": 2e9}, b"k" * 64, "HS256"
    )
    for bad in (forged, unsigned, foreign, "not-a-token", ""):
        with pytest.raises(AuthenticationError, match=r"^invalid token$"):
            signer.verify(bad, "operation")
