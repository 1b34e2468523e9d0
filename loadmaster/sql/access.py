"""Who may run a statement: the table and attribute checks of sql §14 and the system rules of §13.

Super users pass everything but the ``system`` rules. For other roles every problem is
collected, in discovery order, into one 403 permission object; a statement on one database
stops after the table checks when they found something, one spanning several databases also
runs the attribute checks (HarperDB's ``verifyPermsAst``).
"""

from collections.abc import Iterable, Sequence
from typing import Any

from loadmaster.auth import permissions
from loadmaster.auth.system_rules import SECRET_FIELDS
from loadmaster.errors import PermissionDeniedError, SystemDatabaseWriteError
from loadmaster.models import User
from loadmaster.names import SYSTEM_DATABASE
from loadmaster.sql import nodes as n
from loadmaster.storage import Store, Table

__all__ = ["SECRET_FIELDS", "SYSTEM", "Access"]

SYSTEM = SYSTEM_DATABASE


def _table_entry(db: str, table: str, needs: list[str]) -> dict[str, Any]:
    return {
        "schema": db,
        "table": table,
        "required_table_permissions": needs,
        "required_attribute_permissions": [],
    }


class Access:
    """The permission checks of one caller for one statement."""

    def __init__(self, user: User, store: Store) -> None:
        self.user = user
        self.store = store
        self.unauthorized: list[Any] = []
        self.invalid: list[str] = []

    @property
    def super_user(self) -> bool:
        """Tell whether the caller skips the role checks."""
        return self.user.super_user

    def _merge(self, exc: PermissionDeniedError) -> None:
        self.unauthorized.extend(exc.unauthorized_access)
        self.invalid.extend(exc.invalid_schema_items)

    def raise_if_refused(self) -> None:
        """Raise the collected problems as one 403, if there are any."""
        if self.unauthorized or self.invalid:
            raise PermissionDeniedError(self.unauthorized, self.invalid)

    def check_system(self, refs: Sequence[n.TableRef], need: str) -> None:
        """Apply §13: system tables are read-only, and readable by super users only."""
        for ref in refs:
            if ref.database != SYSTEM:
                continue
            if need in ("update", "delete"):
                raise SystemDatabaseWriteError
            if need == "insert" or not self.super_user:
                self.unauthorized.append(_table_entry(SYSTEM, ref.name, [need]))
            elif not self.store.has_database(SYSTEM) or ref.name not in self.store.table_names(
                SYSTEM
            ):
                self.invalid.append(f"Table '{SYSTEM}.{ref.name}' does not exist")
        self.raise_if_refused()

    def check_tables(self, refs: Sequence[n.TableRef], need: str) -> bool:
        """Check the tables (§14.1 steps 1-2); return whether attribute checks should follow.

        Raises:
            PermissionDeniedError: A single-database statement found table problems.
        """
        if self.super_user:
            return True
        seen: set[tuple[str, str]] = set()
        for ref in refs:
            db = str(ref.database)
            if db == SYSTEM or (db, ref.name) in seen:
                continue
            seen.add((db, ref.name))
            try:
                permissions.check_table(self.user, db, ref.name, [need])
                if not self.store.has_database(db):
                    raise permissions.database_missing(db)
                if ref.name not in self.store.table_names(db):
                    raise permissions.table_missing(db, ref.name)
            except PermissionDeniedError as exc:
                self._merge(exc)
        databases = {r.database for r in refs}
        if len(databases) < 2:
            self.raise_if_refused()
        return not (self.unauthorized or self.invalid) or len(databases) > 1

    def star(self, table: Table) -> tuple[str, ...]:
        """Return what ``*`` expands to on a table for this caller (§14.2)."""
        names = table.attribute_names()
        if self.super_user:
            return tuple(names)
        rules = permissions.table_rules(self.user, table)
        if rules is None:
            return tuple(names)
        listed = rules.listed
        pk = table.primary_key
        readable = [a for a in names if a in listed and rules.rule(a).read]
        if not readable:
            return ()
        return tuple(readable) if pk in listed else (*readable, pk)

    def check_attributes(self, table: Table, attributes: Iterable[str], need: str) -> None:
        """Collect the attribute problems of one table (§14.1 step 3)."""
        if self.super_user:
            return
        rules = permissions.table_rules(self.user, table)
        if rules is None:
            return
        try:
            rules.check(attributes, [need])
        except PermissionDeniedError as exc:
            self._merge(exc)

    def check_timestamp_writes(self, table: Table, attributes: Iterable[str]) -> list[str]:
        """Refuse writing a timestamp the role lists (§14.4); return the attributes to check."""
        names = list(attributes)
        if self.super_user:
            return names
        rules = permissions.table_rules(self.user, table)
        if rules is None:
            return [a for a in names if a not in permissions.TIMESTAMPS]
        rules.refuse_timestamp_writes(names)
        return names
