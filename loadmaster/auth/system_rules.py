"""What anyone may do with the ``system`` database, by HarperDB's rules (ops-more §6).

Super users may describe and read every system table and write three of them (``hdb_nodes``,
``hdb_role``, ``hdb_user``) with the NoSQL write operations; nothing else writes there. Other
roles get HarperDB's refusals: a permission object for reads and inserts, the fixed refusal
text for anything that would update or remove. A non-super user never learns whether a system
table exists.
"""

from typing import Any, Literal, NoReturn

from loadmaster.errors import PermissionDeniedError, SystemDatabaseWriteError
from loadmaster.models import User
from loadmaster.names import SYSTEM_DATABASE
from loadmaster.storage import Store

__all__ = [
    "SECRET_FIELDS",
    "WRITABLE_TABLES",
    "check_describe",
    "check_read",
    "check_write",
    "refuse_insert",
    "refuse_load",
]

#: The system tables a super user may write with insert / update / upsert / delete.
WRITABLE_TABLES = frozenset({"hdb_nodes", "hdb_role", "hdb_user"})
#: Fields of system records never answered (a deliberate deviation: HarperDB returns the
#: password hash); the SQL engine hides the same ones.
SECRET_FIELDS = frozenset({"password", "refresh_token", "hash_function", "uid"})
METADATA_REFUSAL = (
    f"Your role does not have permission to view database metadata for '{SYSTEM_DATABASE}'"
)

Write = Literal["insert", "update", "upsert", "delete"]


def _entry(table: Any, needs: list[str]) -> dict[str, Any]:
    return {
        "schema": SYSTEM_DATABASE,
        "table": table,
        "required_table_permissions": needs,
        "required_attribute_permissions": [],
    }


def _exists(store: Store, table: Any) -> bool:
    return store.has_database(SYSTEM_DATABASE) and table in store.table_names(SYSTEM_DATABASE)


def _check_exists(store: Store, table: Any) -> None:
    if not _exists(store, table):
        raise PermissionDeniedError(
            invalid_schema_items=[f"Table '{SYSTEM_DATABASE}.{table}' does not exist"]
        )


def check_read(user: User, store: Store, table: Any) -> None:
    """Refuse a search of a system table unless a super user runs it on an existing table.

    Raises:
        PermissionDeniedError: HarperDB's 403 (permission object, or the missing table).
    """
    if not user.super_user:
        raise PermissionDeniedError([_entry(table, ["read"])])
    _check_exists(store, table)


def check_describe(user: User, store: Store, table: Any) -> None:
    """Refuse describing system metadata unless a super user asks (for an existing table).

    Raises:
        PermissionDeniedError: HarperDB's 403.
    """
    if table is not None and table != "":
        _check_exists(store, table)
    if not user.super_user:
        raise PermissionDeniedError([METADATA_REFUSAL])


def check_write(user: User, store: Store, table: Any, action: Write) -> None:
    """Refuse a NoSQL write to a system table unless HarperDB allows it.

    Raises:
        PermissionDeniedError: an insert that is not allowed, or a missing table.
        SystemDatabaseWriteError: an update, upsert or delete that is not allowed.
    """
    if user.super_user and isinstance(table, str) and table in WRITABLE_TABLES:
        _check_exists(store, table)
        return
    if action == "insert":
        refuse_insert(table)
    raise SystemDatabaseWriteError


def refuse_insert(table: Any) -> NoReturn:
    """Refuse adding to a system table (creating attributes, inserting where not allowed).

    Raises:
        PermissionDeniedError: always, with ``required_table_permissions: ["insert"]``.
    """
    raise PermissionDeniedError([_entry(table, ["insert"])])


def refuse_load(table: Any, needs: list[str]) -> NoReturn:
    """Refuse a bulk load into a system table: only the NoSQL write operations may write there.

    Raises:
        PermissionDeniedError: always, naming the permissions the load needs.
    """
    raise PermissionDeniedError([_entry(table, needs)])
