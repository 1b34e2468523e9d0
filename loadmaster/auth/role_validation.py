"""Validation of a role's permission JSON (``add_role`` / ``alter_role``), worded as HarperDB.

Problems are gathered, not raised one by one: those about the role as a whole go to
``main_permissions``, those about one table to ``schema_permissions["<db>_<table>"]``, and one
400 answer carries them all.
"""

import re
from typing import Any

from loadmaster.errors import RolePermissionsError
from loadmaster.names import SYSTEM_DATABASE
from loadmaster.storage import Store

ROLE_PERMS_ERROR = "Errors in the role permissions JSON provided"
ROLE_TYPES = ("super_user", "cluster_user")
STRUCTURE_USER = "structure_user"
CRUD = ("read", "insert", "update", "delete")
ATTRIBUTE_CRU = ("read", "insert", "update")
_TABLE_KEYS = frozenset({"attribute_permissions", *CRUD})
_ATTRIBUTE_KEYS = frozenset({"attribute_name", *ATTRIBUTE_CRU, "delete"})
#: validate.js ``format: '[\w\-\_]+'`` (anchored, as validate.js anchors it).
_NAME = re.compile(r"[\w\-]+", re.ASCII)


class _Problems:
    def __init__(self) -> None:
        self.main: list[str] = []
        self.tables: dict[str, list[str]] = {}

    def add(self, message: str, db: str | None = None, table: str | None = None) -> None:
        if db is None:
            self.main.append(message)
        else:
            self.tables.setdefault(f"{db}_{table}" if table else db, []).append(message)

    def raise_any(self) -> None:
        if self.main or self.tables:
            raise RolePermissionsError(ROLE_PERMS_ERROR, self.main, self.tables)


def _bad_name(value: Any) -> bool:
    return not isinstance(value, str) or _NAME.fullmatch(value) is None


def validate_role(
    store: Store, *, role: Any, role_id: Any, permission: Any, altering: bool
) -> None:
    """Check an add_role (``altering=False``) or alter_role request.

    Raises:
        RolePermissionsError: Anything is wrong; every problem is listed.
    """
    problems = _Problems()
    if not altering and role is None:
        problems.add("Role can't be blank")
    elif role is not None and _bad_name(role):
        problems.add("Role is invalid")
    if altering and role_id is None:
        problems.add("Id can't be blank")
    elif role_id is not None and _bad_name(role_id):
        problems.add("Id is invalid")
    if permission is None:
        problems.add("Permission can't be blank")
    elif not isinstance(permission, dict):
        problems.add("Value for 'permission' must be an object of role and database permissions")
    else:
        _check_permission(store, permission, problems)
    problems.raise_any()


def _check_permission(store: Store, permission: dict[str, Any], problems: _Problems) -> None:
    if permission.get("super_user") is True and len(permission) > 1:
        problems.add("Roles with 'super_user' set to true cannot have other permissions set.")
    for kind in ROLE_TYPES:
        value = permission.get(kind)
        if value and not isinstance(value, bool):
            problems.add(f"Value for '{kind}' permission must be a boolean")
    for item, value in permission.items():
        if item in ROLE_TYPES:
            continue
        if item == STRUCTURE_USER:
            _check_structure_user(store, value, problems)
            continue
        if not _database_exists(store, item):
            problems.add(f"database '{item}' does not exist")
            continue
        tables = value.get("tables") if isinstance(value, dict) else None
        if isinstance(tables, dict):
            for table, grant in tables.items():
                _check_table(store, item, table, grant, problems)


def _database_exists(store: Store, db: str) -> bool:
    # Roles never grant the system database: its tables are loadmaster's own.
    return bool(db) and db != SYSTEM_DATABASE and store.has_database(db)


def _check_structure_user(store: Store, value: Any, problems: _Problems) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, list):
        for db in value:
            if not isinstance(db, str) or not _database_exists(store, db):
                problems.add(f"database '{db}' does not exist")
        return
    problems.add(f"Value for '{STRUCTURE_USER}' permission must be a boolean or Array")


def _check_table(store: Store, db: str, table: str, grant: Any, problems: _Problems) -> None:
    if not table or table not in store.table_names(db):
        problems.add(f"Table '{db}.{table}' does not exist")
        return
    grant = grant if isinstance(grant, dict) else {}
    for key in grant:
        if key not in _TABLE_KEYS:
            problems.add(f"Invalid table permission key value '{key}'", db, table)
    for perm in CRUD:
        value = grant.get(perm)
        if value is None:
            problems.add(f"Missing table {perm.upper()} permission", db, table)
        elif not isinstance(value, bool):
            problems.add(f"Table {perm.upper()} permission must be a boolean", db, table)
    if "attribute_permissions" not in grant:
        problems.add("Missing 'attribute_permissions' array", db, table)
        return
    attribute_permissions = grant["attribute_permissions"]
    if attribute_permissions is None:
        return
    if not isinstance(attribute_permissions, list):
        problems.add("Value for 'attribute_permissions' must be an array", db, table)
        return
    known = set(store.table(db, table).attribute_names())
    granted = dict.fromkeys(ATTRIBUTE_CRU, False)
    for entry in attribute_permissions:
        entry = entry if isinstance(entry, dict) else {}
        for key in entry:
            if key not in _ATTRIBUTE_KEYS:
                problems.add(f"Invalid attribute permission key value '{key}'", db, table)
        name = entry.get("attribute_name")
        if name is None:
            problems.add(
                "Permission object in 'attribute_permission' missing an 'attribute_name'",
                db,
                table,
            )
            continue
        if name not in known:
            problems.add(f"Invalid attribute '{name}' in 'attribute_permissions'", db, table)
            continue
        for perm in ATTRIBUTE_CRU:
            value = entry.get(perm)
            if value is None:
                problems.add(f"{perm.upper()} attribute permission missing for '{name}'", db, table)
            elif not isinstance(value, bool):
                problems.add(
                    f"{perm.upper()} attribute permission for '{name}' must be a boolean", db, table
                )
            elif value:
                granted[perm] = True
    if any(grant.get(perm) is False and granted[perm] for perm in ATTRIBUTE_CRU):
        problems.add(
            f"You have a conflict with TABLE permissions for '{db}.{table}' being false and "
            "ATTRIBUTE permissions being true",
            db,
            table,
        )
