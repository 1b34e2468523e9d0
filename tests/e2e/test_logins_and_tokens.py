"""Logins under attack and tokens of former users, over real HTTP.

Before: 24 threads of wrong passwords for HDB_ADMIN made every correct login of HDB_ADMIN, and
of any other user from the same address, answer 401; a dropped and re-created user's old
token worked, with the new role (issue 10, items 7 and 8).
"""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

import loadmaster
from loadmaster.auth import users as users_module
from loadmaster.auth.throttle import LoginThrottle
from loadmaster.auth.tokens import KEY_FILE
from loadmaster.instance import Instance
from loadmaster.server.credentials import CLEAN_SLOTS, THROTTLED_SLOTS
from loadmaster.server.serve import BackgroundServer
from tests.conftest import basic

pytestmark = pytest.mark.e2e

READER = {
    "super_user": False,
    "data": {
        "tables": {
            "dog": {
                "read": True,
                "insert": False,
                "update": False,
                "delete": False,
                "attribute_permissions": [],
            }
        }
    },
}
INVALID_TOKEN = (401, {"error": "invalid token"})


class Hashes:
    """Counts password hashes, and the most that ran at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = self.most = self.count = 0

    def wrap(self, verify: Any) -> Any:
        def counted(password: str, stored: str) -> bool:
            with self.lock:
                self.running += 1
                self.count += 1
                self.most = max(self.most, self.running)
            try:
                return bool(verify(password, stored))
            finally:
                with self.lock:
                    self.running -= 1

        return counted


@pytest.fixture
def flooded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Instance, Hashes]]:
    hashes = Hashes()
    monkeypatch.setattr(users_module, "verify_password", hashes.wrap(users_module.verify_password))
    with loadmaster.open(tmp_path / "d", admin_password="pw") as db:
        # Real waits, scaled down: the rules are the real ones, the suite stays fast.
        db.users.throttle = LoginThrottle(base_delay=0.01, max_delay=0.04, address_max_delay=0.01)
        db.operation({"operation": "create_table", "table": "dog", "primary_key": "id"})
        db.operation({"operation": "add_role", "role": "reader", "permission": READER})
        db.operation(
            {
                "operation": "add_user",
                "username": "alice",
                "password": "alice-pw",
                "role": "reader",
                "active": True,
            }
        )
        yield db, hashes


#: One client for every request (thread-safe; a client per request would spend the test
#: building TLS contexts).
CLIENT = httpx.Client(timeout=60, limits=httpx.Limits(max_connections=32))


@pytest.fixture(scope="module", autouse=True)
def _close_the_client() -> Iterator[None]:
    yield
    CLIENT.close()


def post(url: str, auth: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    response = CLIENT.post(
        url + "/", json=body or {"operation": "user_info"}, headers={"authorization": auth}
    )
    return response.status_code, response.json()


def test_a_flood_of_wrong_passwords_never_refuses_a_correct_one(
    flooded: tuple[Instance, Hashes],
) -> None:
    db, hashes = flooded
    server = db.serve()
    throttle = db.users.throttle
    wrong = [basic("HDB_ADMIN", f"guess-{i % 6}") for i in range(24 * 2)]
    with ThreadPoolExecutor(24) as pool:
        attacks = [pool.submit(post, server.url, auth) for auth in wrong]
        # Correct logins while the flood runs: the first ones are not cached yet.
        for future in attacks[:24]:
            future.result()
        assert throttle.failures(("user", "HDB_ADMIN")) >= 5
        admin = pool.submit(post, server.url, basic("HDB_ADMIN", "pw"))
        alice = pool.submit(post, server.url, basic("alice", "alice-pw"))
        assert admin.result()[0] == 200
        assert alice.result()[0] == 200
        answers = [f.result() for f in attacks]
    assert all(a == (401, {"error": "Login failed"}) for a in answers)
    # Never more than a few hashes at once, and a password already refused is not hashed again.
    assert hashes.most <= CLEAN_SLOTS + THROTTLED_SLOTS
    assert hashes.count < len(wrong)
    # The delays stay within the caps however long the flood: 4 s (here 0.04) for the user,
    # 1 s (here 0.01) for everyone else at the attacker's address.
    keys = throttle.keys("HDB_ADMIN", "127.0.0.1")
    assert throttle.delay(keys) <= 0.04
    assert throttle.delay(throttle.keys("bob", "127.0.0.1")) <= 0.01


def test_body_credentials_are_throttled_but_never_refused_when_right(
    flooded: tuple[Instance, Hashes],
) -> None:
    db, _ = flooded
    server = db.serve()
    for i in range(6):
        response = httpx.post(
            server.url + "/",
            json={"operation": "user_info", "username": "alice", "password": f"no-{i % 3}"},
        )
        assert response.status_code == 401
    assert db.users.throttle.failures(("user", "alice")) == 6
    response = httpx.post(
        server.url + "/",
        json={"operation": "user_info", "username": "alice", "password": "alice-pw"},
    )
    assert response.status_code == 200
    assert db.users.throttle.failures(("user", "alice")) == 0


# --- tokens die with their user ----------------------------------------------------------------


def tokens(server: BackgroundServer, username: str, password: str) -> dict[str, str]:
    response = httpx.post(
        server.url + "/",
        json={
            "operation": "create_authentication_tokens",
            "username": username,
            "password": password,
        },
    )
    assert response.status_code == 200, response.text
    answer: dict[str, str] = response.json()
    return answer


def bearer(server: BackgroundServer, token: str, body: dict[str, Any]) -> tuple[int, Any]:
    return post(server.url, f"Bearer {token}", body)


def test_a_dropped_and_recreated_users_old_tokens_are_refused(
    flooded: tuple[Instance, Hashes],
) -> None:
    db, _ = flooded
    server = db.serve()
    old = tokens(server, "alice", "alice-pw")
    assert bearer(server, old["operation_token"], {"operation": "user_info"})[0] == 200
    db.operation({"operation": "drop_user", "username": "alice"})
    db.operation({"operation": "add_role", "role": "boss", "permission": {"super_user": True}})
    db.operation(
        {
            "operation": "add_user",
            "username": "alice",
            "password": "alice-pw",
            "role": "boss",
            "active": True,
        }
    )
    assert bearer(server, old["operation_token"], {"operation": "describe_all"}) == INVALID_TOKEN
    assert bearer(server, old["refresh_token"], {"operation": "refresh_operation_token"}) == (
        INVALID_TOKEN
    )
    new = tokens(server, "alice", "alice-pw")
    assert bearer(server, new["operation_token"], {"operation": "describe_all"})[0] == 200


def test_a_new_password_ends_the_users_tokens(flooded: tuple[Instance, Hashes]) -> None:
    db, _ = flooded
    server = db.serve()
    old = tokens(server, "alice", "alice-pw")
    db.operation({"operation": "alter_user", "username": "alice", "password": "changed"})
    assert bearer(server, old["operation_token"], {"operation": "user_info"}) == INVALID_TOKEN
    new = tokens(server, "alice", "changed")
    assert bearer(server, new["operation_token"], {"operation": "user_info"})[0] == 200
    refreshed = bearer(server, new["refresh_token"], {"operation": "refresh_operation_token"})
    assert refreshed[0] == 200
    assert bearer(server, refreshed[1]["operation_token"], {"operation": "user_info"})[0] == 200
    # Other changes (role, active flag back on) keep the identity.
    db.operation({"operation": "alter_user", "username": "alice", "role": "reader"})
    assert bearer(server, new["operation_token"], {"operation": "user_info"})[0] == 200


def test_a_token_without_the_users_identity_is_refused(
    flooded: tuple[Instance, Hashes], tmp_path: Path
) -> None:
    db, _ = flooded
    server = db.serve()
    token = tokens(server, "alice", "alice-pw")["operation_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert isinstance(claims["uid"], str)
    key = bytes.fromhex((tmp_path / "d" / KEY_FILE).read_text().strip())
    for changed in ({k: v for k, v in claims.items() if k != "uid"}, {**claims, "uid": "x"}):
        forged = jwt.encode(changed, key, "HS256")
        assert bearer(server, forged, {"operation": "user_info"}) == INVALID_TOKEN


def test_users_stored_before_identities_get_one(tmp_path: Path) -> None:
    with loadmaster.open(tmp_path / "d", admin_password="pw") as db:
        db.users.user_table.write([{"username": "HDB_ADMIN", "uid": None}], "update")
    with loadmaster.open(tmp_path / "d", admin_password="pw") as db:
        uid = db.users.user_record("HDB_ADMIN")["uid"]
        assert isinstance(uid, str)
        listed = db.operation({"operation": "list_users"})
        assert "uid" not in listed[0]
