"""A super user's NoSQL writes to ``system.hdb_user`` and ``system.hdb_role``.

HarperDB writes these records as sent, so a wrong one leaves a user who cannot log in or a
role the server cannot read. Here each record goes through the operation that manages it
(``add_user`` / ``alter_user`` / ``drop_user``, ``add_role`` / ``alter_role`` / ``drop_role``):
the same validation, password hashing, cache invalidation and last-super-user rule, one record
after the other. A refused record stops the batch with that operation's error; the records
before it stay written. ``hdb_nodes`` has no rules of its own and is written as it is.
"""

from collections.abc import Callable, Sequence
from typing import Any

from loadmaster.errors import InvalidRequestError
from loadmaster.names import Action, blank
from loadmaster.operations import schema as s, user_operations
from loadmaster.operations.handler_context import Context
from loadmaster.storage import Table, WriteResult

__all__ = ["delete", "write"]

UPDATE_WITHOUT_KEY = "a valid hash attribute must be provided with update record"
_TIMESTAMPS = frozenset({"__createdtime__", "__updatedtime__"})
_USER_FIELDS = ("username", "password", "role", "active")
_ROLE_FIELDS = ("id", "role", "permission")


def write(
    ctx: Context, table: Table, records: Sequence[dict[str, Any]], action: Action
) -> WriteResult:
    """Insert, update or upsert records of a writable system table.

    Raises:
        LoadmasterError: The first refused record's error (HarperDB's wording of the operation
            that manages it).
    """
    if table.name == "hdb_user":
        return _apply(records, action, _user_writer(ctx), _USER_FIELDS, "username", table)
    if table.name == "hdb_role":
        return _apply(records, action, _role_writer(ctx), _ROLE_FIELDS, "id", table)
    return table.write(records, action, user=ctx.user.username)


def delete(ctx: Context, table: Table, ids: list[Any]) -> None:
    """Delete records of a writable system table by primary key (unknown ones are no error)."""
    if table.name == "hdb_user":
        for username in ids:
            if table.get([username]):
                user_operations.drop_user(s.DropUser(username=username), ctx)
    elif table.name == "hdb_role":
        for role_id in ids:
            if table.get([role_id]):
                user_operations.drop_role(s.DropRole(id=role_id), ctx)
    else:
        table.delete(ids)


# Writes one record: (the record, the stored one or None) -> its primary key.
_Writer = Callable[[dict[str, Any], dict[str, Any] | None], Any]


def _apply(
    records: Sequence[dict[str, Any]],
    action: Action,
    writer: _Writer,
    fields: tuple[str, ...],
    key: str,
    table: Table,
) -> WriteResult:
    for record in records:
        unknown = [name for name in record if name not in fields and name not in _TIMESTAMPS]
        if unknown:
            raise InvalidRequestError(
                f"Attribute '{unknown[0]}' cannot be written to system.{table.name}; "
                f"its records take {', '.join(fields)}"
            )
        if action == "update" and blank(record.get(key)):
            raise InvalidRequestError(UPDATE_WITHOUT_KEY)
    written: list[Any] = []
    skipped: list[Any] = []
    for record in records:
        found = table.get([record[key]]) if not blank(record.get(key)) else []
        stored = found[0] if found else None
        if (action == "insert" and stored is not None) or (action == "update" and stored is None):
            skipped.append(record.get(key))
            continue
        written.append(writer(record, stored))
    return WriteResult(written=written, skipped=skipped, txn_time=0.0)


def _user_writer(ctx: Context) -> _Writer:
    def role_name(value: Any) -> Any:
        # User records hold a role's id; add_user and alter_user take its name.
        found = ctx.users.roles.get(value)
        return found.get("role") if found is not None else value

    def write_user(record: dict[str, Any], stored: dict[str, Any] | None) -> Any:
        username = record.get("username")
        role = role_name(record["role"]) if "role" in record else None
        if stored is None:
            op = s.AddUser(
                username=username,
                password=record.get("password"),
                role=role,
                active=record.get("active"),
            )
            user_operations.add_user(op, ctx)
        elif any(name in record for name in ("password", "role", "active")):
            altered = s.AlterUser(
                username=username,
                password=record.get("password"),
                role=role,
                active=record.get("active"),
            )
            user_operations.alter_user(altered, ctx)
        return username

    return write_user


def _role_writer(ctx: Context) -> _Writer:
    def write_role(record: dict[str, Any], stored: dict[str, Any] | None) -> Any:
        if stored is None:
            op = s.AddRole(
                role=record.get("role"), id=record.get("id"), permission=record.get("permission")
            )
            return user_operations.add_role(op, ctx)["id"]
        altered = s.AlterRole(
            id=record["id"],
            role=record.get("role"),
            permission=record.get("permission", stored.get("permission")),
        )
        user_operations.alter_role(altered, ctx)
        return record["id"]

    return write_role
