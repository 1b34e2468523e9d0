"""Users and roles, kept in ``system.hdb_user`` and ``system.hdb_role``, and credential checks."""

import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import Any

import msgspec

from loadmaster.auth.passwords import generate_password, hash_password, verify_password
from loadmaster.errors import AuthenticationError, NotFoundError
from loadmaster.models import SUPER_ROLE, Role, User
from loadmaster.storage import Store

log = logging.getLogger(__name__)

SYSTEM = "system"
USER_TABLE = "hdb_user"
ROLE_TABLE = "hdb_role"
ADMIN = "HDB_ADMIN"
LOGIN_FAILED = "Login failed"
INACTIVE = "Cannot complete request: User is inactive"
_CACHE_LIMIT = 10_000


class UserStore:
    """Reads and writes users and roles, and verifies credentials.

    Verified credentials are cached by a digest of ``user:password`` (never the password
    itself) so that scrypt runs once per credential, not once per request; any change to a
    user or role clears the cache.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._verified: dict[bytes, User] = {}

    # -- set-up -------------------------------------------------------------------------------

    def bootstrap(self, data_dir: Path, admin_password: str | None) -> str | None:
        """Create the system tables and, on first start, the ``HDB_ADMIN`` super user.

        Returns:
            The generated admin password when one was generated now, else None.
        """
        for table, key in ((ROLE_TABLE, "id"), (USER_TABLE, "username")):
            if table not in self._names():
                self._store.create_table(SYSTEM, table, key)
        users = self._store.table(SYSTEM, USER_TABLE)
        if users.record_count():
            return None
        roles = self._store.table(SYSTEM, ROLE_TABLE)
        roles.write([msgspec.to_builtins(SUPER_ROLE)], "upsert")
        generated = None
        if admin_password is None:
            admin_password = generated = generate_password()
            path = data_dir / "admin-password"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(admin_password + "\n")
        self.add(ADMIN, admin_password, SUPER_ROLE.id, active=True)
        return generated

    def _names(self) -> list[str]:
        if not self._store.has_database(SYSTEM):
            return []
        return self._store.table_names(SYSTEM)

    # -- records ------------------------------------------------------------------------------

    def add(self, username: str, password: str, role_id: str, *, active: bool) -> None:
        """Store a new user with a hashed password."""
        record = {
            "username": username,
            "password": hash_password(password),
            "role": role_id,
            "active": active,
        }
        self._store.table(SYSTEM, USER_TABLE).write([record], "insert")
        self.invalidate()

    def invalidate(self) -> None:
        """Forget every cached credential (after any user or role change)."""
        with self._lock:
            self._verified.clear()

    def role(self, role_id: str) -> Role | None:
        """Return a role by id, or None."""
        found = self._store.table(SYSTEM, ROLE_TABLE).get([role_id])
        if not found:
            return None
        return _role(found[0])

    def user(self, username: str) -> User:
        """Return a user (without password) by name.

        Raises:
            NotFoundError: No such user.
        """
        found = self._store.table(SYSTEM, USER_TABLE).get([username])
        if not found:
            raise NotFoundError(f"User {username} does not exist")
        return self._user(found[0])

    def _user(self, record: dict[str, Any]) -> User:
        role_id = record.get("role")
        role = self.role(role_id) if isinstance(role_id, str) else None
        return User(username=record["username"], active=bool(record.get("active")), role=role)

    # -- credentials --------------------------------------------------------------------------

    def authenticate(self, username: str, password: str) -> User:
        """Return the user these credentials belong to.

        Raises:
            AuthenticationError: Unknown user, wrong password, or an inactive user.
        """
        digest = hashlib.sha256(f"{username}\0{password}".encode()).digest()
        with self._lock:
            cached = self._verified.get(digest)
        if cached is not None:
            return cached
        found = self._store.table(SYSTEM, USER_TABLE).get([username])
        stored = found[0].get("password") if found else None
        if not isinstance(stored, str) or not verify_password(password, stored):
            raise AuthenticationError(LOGIN_FAILED)
        user = self._user(found[0])
        if not user.active:
            raise AuthenticationError(INACTIVE)
        with self._lock:
            if len(self._verified) >= _CACHE_LIMIT:
                self._verified.clear()
            self._verified[digest] = user
        return user

    def authenticate_token(self, token: str) -> User:  # noqa: ARG002 - no tokens issued yet
        """Return the user an operation token belongs to.

        Raises:
            AuthenticationError: The token is not valid (tokens are not issued yet).
        """
        raise AuthenticationError("invalid token")


def _role(record: dict[str, Any]) -> Role:
    permission = record.get("permission")
    return Role(
        role=str(record.get("role")),
        id=str(record.get("id")),
        permission=permission if isinstance(permission, dict) else {},
    )
