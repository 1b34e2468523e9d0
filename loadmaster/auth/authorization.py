"""The checks a caller who is not a super user goes through; each operation says which it needs.

The operations declare their access with their handler (``loadmaster.operations.access``); the
checks themselves, which know roles and tables but no operation, live here.
"""

from collections.abc import Sequence

from loadmaster.auth import permissions
from loadmaster.errors import NotFoundError, PermissionDeniedError
from loadmaster.models import User
from loadmaster.storage import Store

__all__ = ["check_database_visible", "check_structure", "check_table_access"]


def check_structure(user: User, super_user_name: str, db: str) -> None:
    """Refuse a super-user-only operation unless the role's ``structure_user`` allows it on db.

    Raises:
        PermissionDeniedError: HarperDB's "restricted to 'super_user' roles" refusal.
    """
    if not permissions.structure_allows(user, super_user_name, db):
        raise PermissionDeniedError.restricted(super_user_name)


def check_database_visible(user: User, db: str) -> None:
    """Refuse to describe a database the role may not know of (as if it did not exist)."""
    if not permissions.database_visible(user, db):
        raise permissions.database_missing(db)


def check_table_access(
    user: User,
    store: Store,
    db: str,
    table: str,
    needs: Sequence[str],
    attributes: tuple[Sequence[str], Sequence[str]] | None = None,
) -> None:
    """Refuse unless the role grants ``needs`` on ``db.table`` (and on the attributes touched).

    Args:
        user: The caller; has a role and is not a super user.
        store: The store, to learn the table's primary key and attributes.
        db: The database.
        table: The table.
        needs: The table permissions the operation needs (``read``, ``insert``, ...).
        attributes: The attributes the operation touches and what it needs on each, when the
            role's attribute rules apply to it.

    Raises:
        PermissionDeniedError: The role does not allow it (HarperDB's 403 body), or a write
            names a timestamp the role lists (``TimestampWriteError``).
    """
    permissions.check_table(user, db, table, needs)
    try:
        found = store.table(db, table)
    except NotFoundError:
        return  # the handler answers with the not-found error HarperDB gives for this operation
    if attributes is None:
        return
    names, attribute_needs = attributes
    writes = any(need != "read" for need in attribute_needs)
    rules = permissions.table_rules(user, found)
    if rules is None:
        return  # written timestamps are ignored, as for a super user (ops-more §9)
    if writes:
        rules.refuse_timestamp_writes(names)
    rules.check(names, attribute_needs)
