"""Managing users and roles: add, alter, drop, list; answered and worded as HarperDB.

Each change runs inside :meth:`UserStore.changing`, which serialises check-then-write changes
and clears the credential and token caches afterwards. No change may leave the instance
without an active super user when it has one (HarperDB 5 refuses that too): that would lock
every administrator out.
"""

import dataclasses
from collections.abc import Callable
from typing import Any

import msgspec

from loadmaster.auth.passwords import hash_password
from loadmaster.auth.role_validation import validate_role
from loadmaster.auth.roles import (
    CREATED,
    UPDATED,
    altered_role_answer,
    as_written,
    role_answer,
    role_in_user_info,
    with_system_tables,
)
from loadmaster.auth.users import UserStore, new_uid
from loadmaster.errors import ConflictError, InvalidRequestError, NotFoundError
from loadmaster.models import User
from loadmaster.names import SYSTEM_DATABASE
from loadmaster.storage import Condition

LAST_SUPER_USER = (
    "Rejected: this change would leave the instance with no active super_user. "
    "Grant super_user to another active user first."
)
ROLE_NOT_FOUND = "Role not found"
INVALID_ROLE_ID = "Invalid role id"
#: Fields of a user record never shown to anyone.
_SECRET_FIELDS = frozenset({"password", "refresh_token", "uid"})


@dataclasses.dataclass(frozen=True, slots=True)
class _Account:
    username: str
    active: bool
    role_id: Any
    super_user: bool


# -- users ------------------------------------------------------------------------------------


def add_user(users: UserStore, username: str, password: str, role: str, *, active: bool) -> str:
    """Add a user holding the role named ``role``.

    Raises:
        NotFoundError: No role has that name.
        ConflictError: The user exists.
    """
    hashed = hash_password(password)
    with users.changing():
        found = users.roles.by_name(role)
        if found is None:
            raise NotFoundError(f"{role} role not found")
        record = {
            "username": username,
            "password": hashed,
            "role": found["id"],
            "active": active,
            "uid": new_uid(),
        }
        if users.user_table.write([record], "insert").skipped:
            raise ConflictError(f"User {username} already exists")
    return f"{username} successfully added"


def alter_user(
    users: UserStore,
    username: str,
    *,
    password: str | None = None,
    role: str | None = None,
    active: bool | None = None,
) -> dict[str, Any]:
    """Change a user's password, role (by name) or active flag.

    A new password also gives the user a new identity, so every token issued before (both
    kinds) stops working.

    An unknown user is answered as a skipped update, as HarperDB does.

    Raises:
        NotFoundError: No role with that name.
        ConflictError: The change would leave no active super user.
    """
    changes: dict[str, Any] = {"username": username}
    if password is not None:
        changes["password"] = hash_password(password)
        changes["refresh_token"] = None
        changes["uid"] = new_uid()
    with users.changing():
        if not users.user_table.get([username]):
            # HarperDB answers an unknown user as a skipped update.
            return {
                "message": "updated 0 of 1 records",
                "txn_time": 0,
                "update_hashes": [],
                "skipped_hashes": [username],
            }
        record = users.user_record(username)
        if role is not None:
            found = users.roles.by_name(role)
            if found is None:
                raise NotFoundError(f"Update failed.  Requested '{role}' role not found.")
            changes["role"] = found["id"]
        if active is not None:
            changes["active"] = active
        if role is not None or active is not None:
            new_role = changes.get("role", record.get("role"))
            new_active = changes.get("active", record.get("active") is True)

            def altered(account: _Account, permissions: dict[Any, Any]) -> _Account:
                if account.username != username:
                    return account
                return _Account(
                    username, new_active, new_role, _is_super(permissions.get(new_role))
                )

            _check_super_user_remains(users, altered)
        users.user_table.write([changes], "update")
    return {
        "message": "updated 1 of 1 records",
        "txn_time": 0,
        "update_hashes": [username],
        "skipped_hashes": [],
    }


def drop_user(users: UserStore, username: str) -> str:
    """Delete a user.

    Raises:
        NotFoundError: No such user.
        ConflictError: The user is the last active super user.
    """
    with users.changing():
        users.user_record(username)
        _check_super_user_remains(users, lambda a, _: None if a.username == username else a)
        users.user_table.delete([username])
    return f"{username} successfully deleted"


def list_users(users: UserStore) -> list[dict[str, Any]]:
    """Return every user with their role record, without secrets."""
    tables = users.store.table_names(SYSTEM_DATABASE)
    roles = {r.get("id"): role_answer(with_system_tables(r, tables)) for r in users.roles.all()}
    return [_user_answer(r, roles.get(r.get("role"))) for r in users.user_table.scan()]


def user_info(users: UserStore, user: User) -> dict[str, Any]:
    """Describe the calling user and their role (never a password)."""
    found = users.user_table.get([user.username])
    active = found[0].get("active") is True if found else user.active
    role = users.roles.get(found[0].get("role")) if found else None
    if role is None and user.role is not None:
        role = users.roles.get(user.role.id) or msgspec.to_builtins(user.role)
    return {
        "active": active,
        "username": user.username,
        "role": (
            role_in_user_info(with_system_tables(role, users.store.table_names(SYSTEM_DATABASE)))
            if role is not None
            else None
        ),
    }


def _user_answer(record: dict[str, Any], role: dict[str, Any] | None) -> dict[str, Any]:
    shaped: dict[str, Any] = {
        "username": record.get("username"),
        "active": record.get("active"),
        "role": role,
    }
    for key in (UPDATED, CREATED):
        if key in record:
            shaped[key] = record[key]
    for key, value in record.items():
        if key not in shaped and key not in _SECRET_FIELDS:
            shaped[key] = value
    return shaped


# -- roles ------------------------------------------------------------------------------------


def add_role(users: UserStore, role: Any, permission: Any, role_id: Any = None) -> dict[str, Any]:
    """Create a role; answer with its record. Its id is its name unless ``role_id`` is given.

    An explicit id that another role already has is answered with the request, and nothing is
    stored (as HarperDB skips that insert silently).

    Raises:
        RolePermissionsError: The permission JSON is invalid.
        ConflictError: A role with that name exists.
    """
    validate_role(users.store, role=role, role_id=role_id, permission=permission, altering=False)
    if role_id is None:
        record = {"role": role, "permission": permission, "id": role}
    else:
        record = {"role": role, "id": role_id, "permission": permission}
    with users.changing():
        if users.roles.by_name(role) is not None:
            raise ConflictError(f"A role with name '{role}' already exists")
        if users.roles.table.write([record], "insert").skipped:
            return record
    stored = users.roles.get(record["id"])
    return as_written(stored) if stored is not None else record


def alter_role(users: UserStore, role_id: Any, role: Any, permission: Any) -> dict[str, Any]:
    """Replace a role's permission object (and rename it when ``role`` is given).

    Raises:
        RolePermissionsError: The permission JSON is invalid.
        InvalidRequestError: No role has that id (``Invalid role id``).
        ConflictError: The new name is taken, or no active super user would remain.
    """
    validate_role(users.store, role=role, role_id=role_id, permission=permission, altering=True)
    with users.changing():
        existing = users.roles.get(role_id)
        if existing is None:
            raise InvalidRequestError(INVALID_ROLE_ID)
        if role is not None and role != existing.get("role") and users.roles.by_name(role):
            raise ConflictError(f"A role with name '{role}' already exists")
        super_user = _is_super(permission)
        _check_super_user_remains(
            users,
            lambda a, _: (
                dataclasses.replace(a, super_user=super_user) if a.role_id == role_id else a
            ),
        )
        changes = {"id": role_id, "permission": permission}
        if role is not None:
            changes["role"] = role
        users.roles.table.write([changes], "update")
    return altered_role_answer(users.roles.get(role_id) or {**existing, **changes})


def drop_role(users: UserStore, role_id: Any) -> str:
    """Delete a role that no active user holds.

    Raises:
        NotFoundError: No role has that id.
        ConflictError: An active user holds the role.
    """
    with users.changing():
        existing = users.roles.get(role_id)
        if existing is None:
            raise NotFoundError(ROLE_NOT_FOUND)
        name = existing.get("role")
        holders = users.user_table.search(
            [Condition(attribute="role", type="equals", value=role_id)]
        )
        if any(h.get("active") is True for h in holders):
            raise ConflictError(
                f"Cannot drop role {name} as it has active user(s) tied to this role"
            )
        users.roles.table.delete([role_id])
    return f"{name} successfully deleted"


def list_roles(users: UserStore) -> list[dict[str, Any]]:
    """Return every role record in id order, keys as they were written."""
    return [as_written(r) for r in users.roles.all()]


# -- the last super user ----------------------------------------------------------------------


def _is_super(permission: Any) -> bool:
    return isinstance(permission, dict) and permission.get("super_user") is True


def _check_super_user_remains(
    users: UserStore, change: Callable[[_Account, dict[Any, Any]], _Account | None]
) -> None:
    """Refuse a change after which no active super user would exist (if one exists now)."""
    permissions = {r.get("id"): r.get("permission") for r in users.roles.all()}
    present = remains = False
    for record in users.user_table.scan():
        role_id = record.get("role")
        account = _Account(
            username=record["username"],
            active=record.get("active") is True,
            role_id=role_id,
            super_user=_is_super(permissions.get(role_id)),
        )
        after = change(account, permissions)
        present = present or (account.active and account.super_user)
        remains = remains or (after is not None and after.active and after.super_user)
    if present and not remains:
        raise ConflictError(LAST_SUPER_USER)
