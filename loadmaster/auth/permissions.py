"""What a role allows, by HarperDB's model: tables, then attributes.

A role's ``permission`` object grants, per database and table, ``read``, ``insert``,
``update`` and ``delete``; a table missing from it is not accessible (and not even shown).
``structure_user`` (true, or a list of databases) grants everything in those databases.
When a table lists ``attribute_permissions``, only the listed attributes are accessible, with
the listed ``read`` / ``insert`` / ``update``; every other attribute is hidden, and the primary
key gets whatever any listed attribute gets. An item the role cannot see at all is reported as
not existing (``invalid_schema_items``); one it can see but may not use is reported in
``unauthorized_access`` with the permissions it lacks.

Super users pass every check here; callers test :attr:`User.super_user` first on hot paths.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from loadmaster.errors import PermissionDeniedError, TimestampWriteError
from loadmaster.models import User
from loadmaster.storage import Table

CRUD = ("read", "insert", "update", "delete")
TIMESTAMPS = frozenset({"__createdtime__", "__updatedtime__"})
#: What writing an attribute needs, per write action.
WRITE_NEEDS: dict[str, tuple[str, ...]] = {
    "insert": ("insert",),
    "update": ("update",),
    "upsert": ("insert", "update"),
}
#: HarperDB's internal names of the operations a ``structure_user`` may run.
_DATABASE_OPERATIONS = frozenset({"createSchema", "dropSchema"})
_TABLE_OPERATIONS = frozenset({"createTable", "dropTable", "createAttribute", "dropAttribute"})
_FULL: dict[str, Any] = dict.fromkeys(CRUD, True)


def database_missing(db: str) -> PermissionDeniedError:
    """Return the refusal of a database the role cannot see."""
    return PermissionDeniedError(invalid_schema_items=[f"database '{db}' does not exist"])


def table_missing(db: str, table: str) -> PermissionDeniedError:
    """Return the refusal of a table the role cannot see."""
    return PermissionDeniedError(invalid_schema_items=[f"Table '{db}.{table}' does not exist"])


def _permission(user: User) -> dict[str, Any]:
    return user.role.permission if user.role is not None else {}


def _structure_user(permission: dict[str, Any], db: str) -> bool:
    value = permission.get("structure_user")
    return value is True or (isinstance(value, list) and db in value)


def _granted_tables(permission: dict[str, Any], db: str) -> dict[str, Any]:
    entry = permission.get(db)
    tables = entry.get("tables") if isinstance(entry, dict) else None
    return tables if isinstance(tables, dict) else {}


def table_grant(user: User, db: str, table: str) -> dict[str, Any] | None:
    """Return the role's permission object for one table, or None when it grants nothing."""
    permission = _permission(user)
    if _structure_user(permission, db):
        return _FULL
    grant = _granted_tables(permission, db).get(table)
    return grant if isinstance(grant, dict) else None


def _describable(grant: dict[str, Any] | None) -> bool:
    return grant is not None and any(grant.get(p) is True for p in CRUD)


def database_visible(user: User, db: str) -> bool:
    """Tell whether the role may know that a database exists."""
    if user.super_user:
        return True
    permission = _permission(user)
    if _structure_user(permission, db):
        return True
    return any(
        isinstance(g, dict) and _describable(g) for g in _granted_tables(permission, db).values()
    )


def table_visible(user: User, db: str, table: str) -> bool:
    """Tell whether the role may know that a table exists."""
    return user.super_user or _describable(table_grant(user, db, table))


def structure_allows(user: User, internal_name: str, db: str) -> bool:
    """Tell whether a ``structure_user`` role may run a super-user-only DDL operation on ``db``.

    ``structure_user: true`` may create and drop databases, tables and attributes; a list of
    databases allows tables and attributes in those databases only.
    """
    value = _permission(user).get("structure_user")
    if internal_name in _DATABASE_OPERATIONS:
        return value is True
    if internal_name in _TABLE_OPERATIONS:
        return value is True or (isinstance(value, list) and db in value)
    return False


def check_table(user: User, db: str, table: str, needs: Sequence[str]) -> None:
    """Refuse unless the role may use ``db.table`` with every permission in ``needs``.

    Raises:
        PermissionDeniedError: The database or table is hidden from the role, or the role lacks
            some of ``needs`` (only the missing ones are listed).
    """
    if user.super_user:
        return
    if not database_visible(user, db):
        raise database_missing(db)
    grant = table_grant(user, db, table)
    if grant is None or not _describable(grant):
        raise table_missing(db, table)
    missing = [p for p in needs if grant.get(p) is not True]
    if missing:
        raise PermissionDeniedError(
            [
                {
                    "schema": db,
                    "table": table,
                    "required_table_permissions": missing,
                    "required_attribute_permissions": [],
                }
            ]
        )


@dataclass(frozen=True, slots=True)
class AttributeRule:
    """What a role may do with one attribute."""

    read: bool = False
    insert: bool = False
    update: bool = False

    @property
    def visible(self) -> bool:
        """Tell whether the role may know the attribute exists."""
        return self.read or self.insert or self.update

    def allows(self, permission: str) -> bool:
        """Tell whether the rule grants ``read``, ``insert`` or ``update``."""
        return bool(getattr(self, permission, False))


_HIDDEN = AttributeRule()


class TableRules:
    """The attribute rules of one role on one table that has ``attribute_permissions``."""

    def __init__(
        self, db: str, table: str, rules: dict[str, AttributeRule], listed: frozenset[str]
    ) -> None:
        self.db = db
        self.table = table
        self._rules = rules
        #: The attributes the role names (the primary key gets a rule without being named).
        self.listed = listed

    def refuse_timestamp_writes(self, attributes: Iterable[str]) -> None:
        """Refuse writing a timestamp the role names (ops-more §9, sql §14.4).

        A timestamp it does not name is left to :meth:`check`, which finds it hidden.

        Raises:
            TimestampWriteError: Some attribute is a timestamp the role names.
        """
        if any(a in TIMESTAMPS and a in self.listed for a in attributes):
            raise TimestampWriteError

    def rule(self, attribute: str) -> AttributeRule:
        """Return the rule of an attribute (hidden when the role does not list it)."""
        return self._rules.get(attribute, _HIDDEN)

    def check(self, attributes: Iterable[str], needs: Sequence[str]) -> None:
        """Refuse unless every attribute is visible and allows every permission in ``needs``.

        Raises:
            PermissionDeniedError: Hidden attributes are named as not existing; visible ones
                list the permissions they lack.
        """
        invalid: list[str] = []
        required: list[dict[str, Any]] = []
        for name in attributes:
            rule = self.rule(name)
            if not rule.visible:
                invalid.append(f"Attribute '{name}' does not exist on '{self.db}.{self.table}'")
                continue
            missing = [p for p in needs if not rule.allows(p)]
            if missing:
                required.append({"attribute_name": name, "required_permissions": missing})
        if not invalid and not required:
            return
        unauthorized: list[Any] = []
        if required:
            unauthorized.append(
                {
                    "schema": self.db,
                    "table": self.table,
                    "required_table_permissions": [],
                    "required_attribute_permissions": required,
                }
            )
        raise PermissionDeniedError(unauthorized, invalid)

    def readable(self, attribute_names: Iterable[str]) -> list[str]:
        """Return the names the role may read, in the order given."""
        return [name for name in attribute_names if self.rule(name).read]


def rules_for(user: User, db: str, table: str, primary_key: str) -> TableRules | None:
    """Return the role's attribute rules on a table, or None when attributes are not limited."""
    if user.super_user:
        return None
    grant = table_grant(user, db, table)
    listed = grant.get("attribute_permissions") if grant is not None else None
    if not isinstance(listed, list) or not listed:
        return None
    rules: dict[str, AttributeRule] = {}
    for entry in listed:
        if not isinstance(entry, dict) or not isinstance(entry.get("attribute_name"), str):
            continue
        read = entry.get("read") is True
        if entry["attribute_name"] in TIMESTAMPS:
            # Timestamps are the server's: a role may only ever read them.
            rule = AttributeRule(read=read)
        else:
            rule = AttributeRule(
                read=read, insert=entry.get("insert") is True, update=entry.get("update") is True
            )
        rules[entry["attribute_name"]] = rule
    listed = frozenset(rules)
    if primary_key not in rules:
        granted = rules.values()
        rules[primary_key] = AttributeRule(
            read=any(r.read for r in granted),
            insert=any(r.insert for r in granted),
            update=any(r.update for r in granted),
        )
    return TableRules(db, table, rules, listed)


def table_rules(user: User, table: Table) -> TableRules | None:
    """Return the role's attribute rules on a table, or None when attributes are not limited."""
    return rules_for(user, table.database, table.name, table.primary_key)


def check_attribute_write(
    user: User,
    table: Table,
    attributes: Iterable[str],
    action: Literal["insert", "update", "upsert"],
) -> None:
    """Refuse writing these attributes with ``action`` unless the role allows it.

    New attributes (not yet in the table) are hidden from a role with attribute permissions,
    so they are refused as not existing, as HarperDB does. Timestamps are ignored: the server
    drops client values for them.

    Raises:
        PermissionDeniedError: Some attribute is hidden or lacks the needed permission.
    """
    rules = table_rules(user, table)
    if rules is not None:
        rules.check((a for a in attributes if a not in TIMESTAMPS), WRITE_NEEDS[action])


def check_records_write(
    user: User,
    table: Table,
    records: Iterable[Mapping[str, Any]],
    action: Literal["insert", "update", "upsert"],
) -> None:
    """Refuse writing these records with ``action`` unless the role allows every attribute.

    Costs nothing per record unless the role limits the table's attributes (the records are
    not even looked at then), so it may sit on the load path.

    Raises:
        PermissionDeniedError: As :func:`check_attribute_write`.
    """
    rules = table_rules(user, table)
    if rules is None:
        return
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record))
    rules.check((n for n in names if n not in TIMESTAMPS), WRITE_NEEDS[action])


def readable_attributes(user: User, table: Table, attributes: list[str]) -> list[str]:
    """Resolve ``get_attributes`` for a caller: ``*`` becomes only what the role may read.

    Named attributes are returned unchanged (authorization already checked them). With
    attribute permissions, ``*`` is the readable attributes plus the primary key, in table
    order (timestamps only when the role lists them as readable).
    """
    if "*" not in attributes:
        return attributes
    rules = table_rules(user, table)
    if rules is None:
        return attributes
    return rules.readable(table.attribute_names())


def visible_databases(user: User, names: Iterable[str]) -> list[str]:
    """Return the databases among ``names`` the role may know about."""
    return [db for db in names if database_visible(user, db)]


def visible_tables(user: User, db: str, described: dict[str, Any]) -> dict[str, Any]:
    """Filter ``{table: describe_table body}`` to what the role may see, attributes included."""
    if user.super_user:
        return described
    return {
        name: visible_description(user, db, name, body)
        for name, body in described.items()
        if table_visible(user, db, name)
    }


def visible_description(user: User, db: str, table: str, body: dict[str, Any]) -> dict[str, Any]:
    """Drop the attributes a role may not see from one ``describe_table`` body."""
    primary_key = body.get("hash_attribute")
    if user.super_user or not isinstance(primary_key, str):
        return body
    rules = rules_for(user, db, table, primary_key)
    attributes = body.get("attributes")
    if rules is None or not isinstance(attributes, list):
        return body
    shown = [a for a in attributes if rules.rule(str(a.get("attribute"))).visible]
    return {**body, "attributes": shown}
