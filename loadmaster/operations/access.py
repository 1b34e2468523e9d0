"""Who may run an operation: declared with its handler on ``@operation``, checked before it.

Fails closed: an operation that declares no access is refused to every caller who is not a
super user, as HarperDB refuses its super-user-only operations.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from loadmaster.auth import permissions, system_rules
from loadmaster.auth.authorization import (
    check_database_visible,
    check_structure,
    check_table_access,
)
from loadmaster.errors import NotFoundError, PermissionDeniedError, SystemDatabaseWriteError
from loadmaster.models import User
from loadmaster.names import SYSTEM_DATABASE
from loadmaster.operations import schema as s
from loadmaster.storage import Store

__all__ = [
    "EVERYONE",
    "Access",
    "DatabaseVisible",
    "Everyone",
    "Restricted",
    "SuperUser",
    "TableAccess",
    "delete_access",
    "describe_access",
    "load_access",
    "load_needs",
    "read_access",
    "write_access",
]


class Access:
    """How a caller who is not a super user (but has a role) is checked for one operation."""

    def check(self, op: Any, user: User, store: Store) -> None:
        """Refuse the operation unless the caller's role allows it.

        Raises:
            PermissionDeniedError: HarperDB's 403 body.
        """
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Restricted(Access):
    """Only super users; ``name`` is the operation's name in the refusal."""

    name: str

    def check(self, _op: Any, _user: User, _store: Store) -> None:
        """Refuse every caller who is not a super user."""
        raise PermissionDeniedError.restricted(self.name)


@dataclass(frozen=True, slots=True)
class SuperUser(Access):
    """HarperDB's super-user-only operations; ``structure_user`` roles may run the DDL ones."""

    name: str

    def check(self, op: Any, user: User, _store: Store) -> None:
        """Refuse unless the role's ``structure_user`` covers the operation's database."""
        db = op.db if isinstance(op, s.DatabaseOp) else ""
        if db == SYSTEM_DATABASE:
            if self.name in _SYSTEM_REMOVALS:
                raise SystemDatabaseWriteError
            if self.name == "createAttribute":
                system_rules.refuse_insert(getattr(op, "table", None))
        check_structure(user, self.name, db)


#: The structure operations that would remove something of the system database.
_SYSTEM_REMOVALS = frozenset({"dropSchema", "dropTable", "dropAttribute"})


class Everyone(Access):
    """Every caller with a role: the operation touches no table, or filters what it shows."""

    def check(self, _op: Any, _user: User, _store: Store) -> None:
        """Allow."""


EVERYONE = Everyone()


class DatabaseVisible(Access):
    """Describing a database: only one the role may see (else it "does not exist")."""

    def check(self, op: Any, user: User, store: Store) -> None:
        """Refuse a database the role may not see (the system database: any role)."""
        if op.db == SYSTEM_DATABASE:
            system_rules.check_describe(user, store, None)
        check_database_visible(user, op.db)


@dataclass(frozen=True, slots=True)
class TableAccess(Access):
    """A table operation: table permissions, and attribute permissions on what it touches."""

    needs: Callable[[Any], Sequence[str]]
    #: The attributes the operation touches and the permissions it needs on each, if any.
    attributes: Callable[[Any], tuple[Sequence[str], Sequence[str]]] | None = None
    #: HarperDB's refusal of the operation on a system table (one always comes: roles never
    #: grant the system database); without it, the permission object naming ``needs``.
    system: Callable[[Any, User, Store], None] | None = None
    #: Whether a missing table the role lists is refused as HarperDB refuses it to searches
    #: (403, the not-found text in ``invalid_schema_items``) rather than by the handler.
    hide_missing: bool = False

    def check(self, op: Any, user: User, store: Store) -> None:
        """Refuse unless the role grants what the operation needs on its table."""
        if op.db == SYSTEM_DATABASE:
            if self.system is not None:
                self.system(op, user, store)
            system_rules.refuse_load(op.table, list(self.needs(op)))
        if op.table is None or op.table == "":
            return  # the handler answers 400 "'table' is required" before touching anything
        touched = self.attributes(op) if self.attributes is not None else None
        check_table_access(user, store, op.db, str(op.table), self.needs(op), touched)
        if self.hide_missing:
            try:
                store.table(op.db, str(op.table))
            except NotFoundError as exc:
                raise PermissionDeniedError(invalid_schema_items=[exc.message]) from exc


def _always(*needs: str) -> Callable[[Any], Sequence[str]]:
    return lambda _op: needs


def read_access() -> TableAccess:
    """Searches: ``read`` on the table and on every attribute projected or searched on."""
    return TableAccess(
        _always("read"),
        lambda op: (_read_attributes(op), ("read",)),
        lambda op, user, store: system_rules.check_read(user, store, op.table),
        hide_missing=True,
    )


def describe_access() -> TableAccess:
    """describe_table: like a search, but system metadata is refused with its own text."""
    return TableAccess(
        _always("read"),
        lambda op: (_read_attributes(op), ("read",)),
        lambda op, user, store: system_rules.check_describe(user, store, op.table),
        hide_missing=True,
    )


def write_access(action: system_rules.Write) -> TableAccess:
    """insert / update / upsert: the action's permissions on the table and written attributes."""
    needs = permissions.WRITE_NEEDS[action]
    return TableAccess(
        _always(*needs),
        lambda op: (_record_attributes(op), needs),
        lambda op, user, store: system_rules.check_write(user, store, op.table, action),
    )


def load_access() -> TableAccess:
    """Bulk loads (spec §8): an explicit insert or update needs only that; upsert and no
    action need both."""
    return TableAccess(load_needs)


def delete_access() -> TableAccess:
    """Deletes by primary key: ``delete`` on the table."""
    return TableAccess(
        _always("delete"),
        system=lambda op, user, store: system_rules.check_write(user, store, op.table, "delete"),
    )


def load_needs(op: Any) -> Sequence[str]:
    """Return what a bulk load needs on its table, by its ``action``."""
    if op.action in ("insert", "update"):
        return (op.action,)
    return ("insert", "update")


def _record_attributes(op: Any) -> list[str]:
    records = getattr(op, "records", None)
    if not isinstance(records, list):
        return []
    names: dict[str, None] = {}
    for record in records:
        if isinstance(record, dict):
            names.update(dict.fromkeys(record))
    return list(names)


def _read_attributes(op: Any) -> list[str]:
    names: dict[str, None] = {}
    wanted = getattr(op, "get_attributes", None)
    if isinstance(wanted, list):
        names.update(dict.fromkeys(a for a in wanted if isinstance(a, str) and a != "*"))
    attribute = getattr(op, "search_attribute", None)
    if isinstance(attribute, str):
        names[attribute] = None
    _condition_attributes(getattr(op, "conditions", None), names)
    return list(names)


def _condition_attributes(conditions: Any, names: dict[str, None]) -> None:
    # Searching on an attribute reveals its values, so conditions need read like projections.
    if not isinstance(conditions, list):
        return
    for item in conditions:
        if not isinstance(item, dict):
            continue
        if "conditions" in item:
            _condition_attributes(item["conditions"], names)
        elif isinstance(item.get("search_attribute"), str):
            names[item["search_attribute"]] = None
