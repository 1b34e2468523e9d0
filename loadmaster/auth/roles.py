"""Role records in ``system.hdb_role``: lookups, and the shapes HarperDB answers them in."""

from typing import Any

from loadmaster.models import Role
from loadmaster.names import SYSTEM_DATABASE
from loadmaster.storage import Store, Table

ROLE_TABLE = "hdb_role"
CREATED = "__createdtime__"
UPDATED = "__updatedtime__"
#: The roles every instance has; a role's id is its name unless it was given another.
BUILTIN_ROLES = ("super_user", "cluster_user")


class RoleRecords:
    """Read role records; the table is small, so name lookups scan it."""

    def __init__(self, store: Store) -> None:
        self._store = store

    @property
    def table(self) -> Table:
        """Return the ``system.hdb_role`` table."""
        return self._store.table(SYSTEM_DATABASE, ROLE_TABLE)

    def get(self, role_id: Any) -> dict[str, Any] | None:
        """Return a role record by id, or None."""
        if not isinstance(role_id, str | int | float) or isinstance(role_id, bool):
            return None
        found = self.table.get([role_id])
        return found[0] if found else None

    def by_name(self, name: Any) -> dict[str, Any] | None:
        """Return the role record named ``name`` (the ``role`` field), or None."""
        for record in self.table.scan():
            if record.get("role") == name:
                return record
        return None

    def add_builtins(self) -> None:
        """Store the built-in roles ``super_user`` and ``cluster_user`` unless they exist.

        Data directories of earlier versions lack ``cluster_user``; roles they hold keep their
        ids (uuids), so that clients that kept those ids still reach them.
        """
        missing = [
            {"role": name, "permission": {name: True}, "id": name}
            for name in BUILTIN_ROLES
            if self.get(name) is None and self.by_name(name) is None
        ]
        if missing:
            self.table.write(missing, "insert")

    def all(self) -> list[dict[str, Any]]:
        """Return every role record, in id order."""
        return list(self.table.scan())

    def model(self, role_id: Any) -> Role | None:
        """Return a role as attached to users, or None when it does not exist."""
        record = self.get(role_id)
        return to_model(record) if record is not None else None


def to_model(record: dict[str, Any]) -> Role:
    """Turn a role record into the :class:`Role` attached to an authenticated user."""
    permission = record.get("permission")
    return Role(
        role=str(record.get("role")),
        id=str(record.get("id")),
        permission=permission if isinstance(permission, dict) else {},
    )


def role_answer(record: dict[str, Any]) -> dict[str, Any]:
    """Shape a role record as add_role, alter_role and list_roles answer it."""
    return _ordered(record, ("role", "permission", "id", UPDATED, CREATED))


def as_written(record: dict[str, Any]) -> dict[str, Any]:
    """Shape a role record as add_role and list_roles answer it: its keys in the order they
    were written, then the timestamps."""
    shaped = {k: v for k, v in record.items() if k not in (CREATED, UPDATED)}
    shaped.update({k: record[k] for k in (UPDATED, CREATED) if k in record})
    return shaped


def with_system_tables(record: dict[str, Any], tables: list[str]) -> dict[str, Any]:
    """Add the ``system`` entry HarperDB shows in a user's role: every system table, readable
    by super users only, writable by no one (through the role)."""
    permission = record.get("permission")
    if not isinstance(permission, dict):
        return record
    read = permission.get("super_user") is True
    grant = {"read": read, "insert": False, "update": False, "delete": False}
    system = {"tables": {t: {**grant, "attribute_permissions": []} for t in tables}}
    return {**record, "permission": {**permission, SYSTEM_DATABASE: system}}


def altered_role_answer(record: dict[str, Any]) -> dict[str, Any]:
    """Shape a role record as alter_role answers it."""
    return _ordered(record, ("id", "role", "permission", UPDATED, CREATED))


def role_in_user_info(record: dict[str, Any]) -> dict[str, Any]:
    """Shape a role record as it appears inside user_info."""
    return _ordered(record, ("permission", "role", "id", UPDATED, CREATED))


def _ordered(record: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    shaped = {k: record[k] for k in keys if k in record}
    shaped.update({k: v for k, v in record.items() if k not in shaped})
    return shaped
