"""Users and their credentials, kept in ``system.hdb_user``; operation and refresh tokens.

Changes to users and roles (see :mod:`.accounts`) run inside :meth:`UserStore.changing`,
which invalidates the caches of verified credentials and tokens afterwards, so a dropped,
deactivated or re-roled user is refused (or re-roled) from the next request on.
"""

import contextlib
import functools
import hashlib
import hmac
import os
import threading
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from loadmaster.auth.passwords import generate_password, hash_password, verify_password
from loadmaster.auth.roles import ROLE_TABLE, RoleRecords
from loadmaster.auth.throttle import LoginThrottle
from loadmaster.auth.tokens import INVALID_TOKEN, TokenSigner, load_or_create_key, token_digest
from loadmaster.errors import AuthenticationError, NotFoundError
from loadmaster.models import SUPER_ROLE, User
from loadmaster.names import SYSTEM_DATABASE
from loadmaster.storage import Store, Table

USER_TABLE = "hdb_user"
ADMIN = "HDB_ADMIN"
LOGIN_FAILED = "Login failed"
INACTIVE = "Cannot complete request: User is inactive"
INVALID_CREDENTIALS = "invalid credentials"
_CACHE_LIMIT = 10_000


def _digest(username: str, password: str) -> bytes:
    return hashlib.sha256(f"{username}\0{password}".encode()).digest()


def new_uid() -> str:
    """Return a fresh identity for a user record: tokens name it, so they die with it."""
    return uuid.uuid4().hex


@functools.cache
def _dummy_hash() -> str:
    # Checked against for unknown users, so that "no such user" costs as long as "wrong password".
    return hash_password(os.urandom(16).hex())


class UserStore:
    """Holds users and roles, verifies credentials, issues and checks tokens.

    Verified credentials are cached by a digest of ``user:password`` (never the password
    itself) so that scrypt runs once per credential, not once per request; verified operation
    tokens likewise until they expire. After any change to a user or role, cached tokens are
    checked afresh and cached credentials are re-read from the user record (scrypt runs again
    only if the stored hash changed).

    Args:
        store: The store holding the system tables.
        throttle: The failed-login slow-down (a default one when omitted).
    """

    def __init__(self, store: Store, *, throttle: LoginThrottle | None = None) -> None:
        self.store = store
        self.roles = RoleRecords(store)
        self.throttle = throttle or LoginThrottle()
        self._signer: TokenSigner | None = None
        self._lock = threading.Lock()
        # Serialises check-then-write changes (name clashes, the last super user).
        self._changes = threading.Lock()
        # digest of user:password -> (user, the password hash it was checked against, generation)
        self._verified: dict[bytes, tuple[User, str, int]] = {}
        self._tokens: dict[bytes, tuple[User, float]] = {}
        # digest of user:password -> the stored hash (or "" for no user) it failed against
        self._rejected: dict[bytes, str] = {}
        # Bumped by invalidate(): a check that began before a change must not cache its result.
        self._generation = 0

    # -- set-up -------------------------------------------------------------------------------

    def bootstrap(self, data_dir: Path, admin_password: str | None) -> str | None:
        """Create the system tables, the token key and, on first start, the ``HDB_ADMIN`` user.

        Returns:
            The generated admin password when one was generated now, else None.
        """
        self._signer = TokenSigner(load_or_create_key(data_dir))
        for table, key in ((ROLE_TABLE, "id"), (USER_TABLE, "username")):
            if table not in self._names():
                self.store.create_table(SYSTEM_DATABASE, table, key)
        self.roles.add_builtins()
        if self.user_table.record_count():
            self._give_identities()
            return None
        generated = None
        if admin_password is None:
            admin_password = generated = generate_password()
            path = data_dir / "admin-password"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(admin_password + "\n")
        self.add(ADMIN, admin_password, SUPER_ROLE.id, active=True)
        return generated

    def _give_identities(self) -> None:
        # Users stored before identities existed get one (their older tokens stop working).
        missing = [
            {"username": r["username"], "uid": new_uid()}
            for r in self.user_table.scan()
            if not isinstance(r.get("uid"), str)
        ]
        if missing:
            self.user_table.write(missing, "update")

    def _names(self) -> list[str]:
        if not self.store.has_database(SYSTEM_DATABASE):
            return []
        return self.store.table_names(SYSTEM_DATABASE)

    @property
    def user_table(self) -> Table:
        """Return the ``system.hdb_user`` table."""
        return self.store.table(SYSTEM_DATABASE, USER_TABLE)

    @property
    def tokens(self) -> TokenSigner:
        """Return the token signer (available once :meth:`bootstrap` ran)."""
        if self._signer is None:
            raise RuntimeError("UserStore.bootstrap() must run before tokens are used")
        return self._signer

    @contextlib.contextmanager
    def changing(self) -> Iterator[None]:
        """Hold the lock of user and role changes; forget cached credentials afterwards.

        Changes that check before they write (name clashes, the last super user) must not
        interleave, and whatever they changed must not be answered from a cache afterwards.
        """
        try:
            with self._changes:
                yield
        finally:
            self.invalidate()

    def invalidate(self) -> None:
        """Make every cached credential and token be checked again (after any user or role
        change).

        Cached credentials are re-read from the user record on their next use, and kept without
        running scrypt again only while the stored password hash is unchanged.
        """
        with self._lock:
            self._generation += 1
            self._tokens.clear()

    # -- users --------------------------------------------------------------------------------

    def add(self, username: str, password: str, role_id: str, *, active: bool) -> None:
        """Store a new user with a hashed password (no checks: see ``accounts.add_user``)."""
        record = {
            "username": username,
            "password": hash_password(password),
            "role": role_id,
            "active": active,
            "uid": new_uid(),
        }
        self.user_table.write([record], "insert")
        self.invalidate()

    def user(self, username: str) -> User:
        """Return a user (without password) by name.

        Raises:
            NotFoundError: No such user.
        """
        return self._model(self.user_record(username))

    def user_record(self, username: str) -> dict[str, Any]:
        """Return a user's stored record (with its password hash: never answer it).

        Raises:
            NotFoundError: No such user.
        """
        found = self.user_table.get([username])
        if not found:
            raise NotFoundError(f"User {username} does not exist")
        return found[0]

    def _model(self, record: dict[str, Any]) -> User:
        return User(
            username=record["username"],
            active=bool(record.get("active")),
            role=self.roles.model(record.get("role")),
        )

    # -- credentials --------------------------------------------------------------------------

    def cached(self, username: str, password: str) -> User | None:
        """Return the user of credentials verified before and unchanged since, else None.

        Never hashes, reads storage or sleeps, so it may run on an event loop.
        """
        digest = _digest(username, password)
        with self._lock:
            cached = self._verified.get(digest)
            if cached is not None and cached[2] == self._generation:
                return cached[0]
        return None

    def known(self, username: str, password: str) -> User | None:
        """Return the user of credentials verified before, without hashing; else None.

        Reads the user record when users or roles changed since (no hashing while the stored
        password hash is unchanged), so it may run on an event loop but not in a hot loop.

        Raises:
            AuthenticationError: The credentials' user is now inactive.
        """
        digest = _digest(username, password)
        with self._lock:
            cached = self._verified.get(digest)
            generation = self._generation
        if cached is None:
            return None
        user, checked_hash, cached_generation = cached
        if cached_generation == generation:
            return user
        found = self.user_table.get([username])
        if found and found[0].get("password") == checked_hash:
            # Users or roles changed since: same password hash, so only re-read the rest.
            return self._verified_user(digest, found[0], checked_hash, generation)
        return None

    def check(self, username: str, password: str, keys: Sequence[tuple[str, str]]) -> User:
        """Check a password (scrypt: tens of milliseconds of CPU) and count the outcome.

        Call it after the throttle's delay (:meth:`authenticate` waits it). A password that
        already failed against the same stored hash is refused again without hashing.

        Raises:
            AuthenticationError: Unknown user, wrong password, or an inactive user.
        """
        digest = _digest(username, password)
        with self._lock:
            generation = self._generation
        found = self.user_table.get([username])
        stored = found[0].get("password") if found else None
        checked = stored if isinstance(stored, str) else ""
        with self._lock:
            known_wrong = self._rejected.get(digest) == checked
        if known_wrong or not self._password_matches(password, stored):
            self.throttle.failed(keys)
            with self._lock:
                if len(self._rejected) >= _CACHE_LIMIT:
                    self._rejected.clear()
                self._rejected[digest] = checked
            raise AuthenticationError(LOGIN_FAILED)
        assert found  # noqa: S101 - a matching password has a user record
        self.throttle.succeeded(username)
        return self._verified_user(digest, found[0], checked, generation)

    @staticmethod
    def _password_matches(password: str, stored: object) -> bool:
        if not isinstance(stored, str):
            # "No such user" costs as long as "wrong password".
            verify_password(password, _dummy_hash())
            return False
        return verify_password(password, stored)

    def authenticate(self, username: str, password: str, client: str | None = None) -> User:
        """Return the user these credentials belong to, blocking the calling thread.

        Failed attempts are counted per user name and per client address, and further attempts
        on a name or address with many failures are delayed (see :mod:`.throttle`); the
        server does the same without holding a thread (``loadmaster.server.credentials``).

        Raises:
            AuthenticationError: Unknown user, wrong password, or an inactive user.
        """
        user = self.known(username, password)
        if user is not None:
            return user
        keys = self.throttle.keys(username, client)
        self.throttle.wait_before_attempt(keys)
        return self.check(username, password, keys)

    def _verified_user(
        self, digest: bytes, record: dict[str, Any], checked_hash: str, generation: int
    ) -> User:
        user = self._model(record)
        if not user.active:
            raise AuthenticationError(INACTIVE)
        with self._lock:
            if generation == self._generation:
                if len(self._verified) >= _CACHE_LIMIT:
                    self._verified.clear()
                self._verified[digest] = (user, checked_hash, generation)
        return user

    def authenticate_token(self, token: str) -> User:
        """Return the user an operation token belongs to.

        Raises:
            AuthenticationError: ``invalid token``: malformed, wrongly signed, expired, not an
                operation token, or its user was dropped or made inactive.
        """
        digest = hashlib.sha256(token.encode()).digest()
        with self._lock:
            cached = self._tokens.get(digest)
            generation = self._generation
        if cached is not None and cached[1] > self.tokens.clock():
            return cached[0]
        claims = self.tokens.verify(token, "operation")
        user, _ = self._token_user(claims)
        with self._lock:
            if generation == self._generation:
                if len(self._tokens) >= _CACHE_LIMIT:
                    self._tokens.clear()
                self._tokens[digest] = (user, float(claims["exp"]))
        return user

    def _token_user(self, claims: dict[str, Any]) -> tuple[User, dict[str, Any]]:
        found = self.user_table.get([claims["username"]])
        # A token names its user's identity too: a user dropped and re-created under the same
        # name (or given a new password) is a different user, and the old tokens are refused.
        if not found or claims.get("uid") is None or found[0].get("uid") != claims["uid"]:
            raise AuthenticationError(INVALID_TOKEN)
        user = self._model(found[0])
        if not user.active:
            raise AuthenticationError(INVALID_TOKEN)
        return user, found[0]

    def issue_tokens(self, user: User, operation_ttl: int, refresh_ttl: int) -> dict[str, str]:
        """Return a new operation and refresh token for a user.

        Only a digest of the refresh token is kept (on the user record); a newer one replaces
        it, so each user has one live refresh token, as in HarperDB.

        Raises:
            AuthenticationError: The user no longer exists.
        """
        found = self.user_table.get([user.username])
        uid = found[0].get("uid") if found else None
        if not isinstance(uid, str):
            raise AuthenticationError(INVALID_CREDENTIALS)
        operation_token = self.tokens.issue(user.username, "operation", operation_ttl, uid=uid)
        refresh_token = self.tokens.issue(user.username, "refresh", refresh_ttl, uid=uid)
        update = {"username": user.username, "refresh_token": token_digest(refresh_token)}
        if self.user_table.write([update], "update").skipped:
            raise AuthenticationError(INVALID_CREDENTIALS)
        return {"operation_token": operation_token, "refresh_token": refresh_token}

    def refresh_token_user(self, refresh_token: str) -> User:
        """Return the user a refresh token belongs to.

        Raises:
            AuthenticationError: ``invalid token`` for a bad, expired, replaced or wrong-kind
                token, or a dropped or inactive user.
        """
        claims = self.tokens.verify(refresh_token, "refresh")
        user, record = self._token_user(claims)
        stored = record.get("refresh_token")
        if not isinstance(stored, str) or not hmac.compare_digest(
            stored, token_digest(refresh_token)
        ):
            raise AuthenticationError(INVALID_TOKEN)
        return user

    def refresh(self, refresh_token: str, operation_ttl: int) -> dict[str, str]:
        """Return a new operation token for a valid refresh token.

        Raises:
            AuthenticationError: As :meth:`refresh_token_user`.
        """
        user = self.refresh_token_user(refresh_token)
        uid = self.tokens.verify(refresh_token, "refresh")["uid"]
        token = self.tokens.issue(user.username, "operation", operation_ttl, uid=uid)
        return {"operation_token": token}
