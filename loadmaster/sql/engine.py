"""The entry points: run one SQL statement for a caller, or prepare one for an export."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from loadmaster.errors import SEARCH_PROBLEM, LoadmasterError, PermissionDeniedError, SqlError
from loadmaster.models import User
from loadmaster.sql import nodes as n
from loadmaster.sql.access import Access
from loadmaster.sql.parse import parse_sql
from loadmaster.sql.select import SelectPlan, prepare_select
from loadmaster.sql.write import run_delete, run_insert, run_update
from loadmaster.storage import Store

__all__ = ["PreparedSql", "is_sql_search", "prepare_sql", "run_sql"]


def is_sql_search(search: Any) -> bool:
    """Tell whether an export's ``search_operation`` is a ``sql`` one."""
    return isinstance(search, dict) and search.get("operation") == "sql"


#: Python's failures of an expression no check foresaw (as alasql would throw).
_EVALUATION_FAILURES = (
    TypeError,
    ValueError,
    ArithmeticError,
    KeyError,
    IndexError,
    RecursionError,
)


def _write(statement: n.Statement, store: Store, user: User) -> dict[str, Any]:
    access = Access(user, store)
    if isinstance(statement, n.Insert):
        return run_insert(statement, store, access)
    if isinstance(statement, n.Update):
        return run_update(statement, store, access)
    assert isinstance(statement, n.Delete)  # noqa: S101 - parse_sql returns only these
    return run_delete(statement, store, access)


def run_sql(text: Any, store: Store, user: User) -> list[dict[str, Any]] | dict[str, Any]:
    """Run one statement as ``user``: a list of rows for SELECT, an answer object otherwise.

    Raises:
        LoadmasterError: HarperDB's answer for a bad, refused or failing statement (§16).
    """
    statement = parse_sql(text)
    if isinstance(statement, n.Select):
        plan = prepare_select(statement, store, Access(user, store))
        try:
            return list(plan.rows())
        except _EVALUATION_FAILURES as exc:
            # alasql throwing while it runs the statement: HarperDB's one answer for that.
            raise SqlError(SEARCH_PROBLEM) from exc
    return _write(statement, store, user)


#: Python's failures of an expression no check foresaw (as alasql would throw).
_EVALUATION_FAILURES = (
    TypeError,
    ValueError,
    ArithmeticError,
    KeyError,
    IndexError,
    RecursionError,
)


@dataclass
class PreparedSql:
    """A statement parsed and permission-checked before an export job starts.

    ``columns`` are the result keys of a SELECT when known in advance (empty otherwise).
    """

    statement: n.Statement
    store: Store = field(repr=False)
    user: User = field(repr=False)
    plan: SelectPlan | None = None
    deferred: LoadmasterError | None = None
    columns: list[str] = field(default_factory=list)

    def rows(self) -> Iterator[dict[str, Any]]:
        """Run the statement; yield its rows (a write yields its one answer object)."""
        return self.counted()[0]

    def counted(self) -> tuple[Iterator[dict[str, Any]], int | None]:
        """Run the statement; return its rows and, when known before they are read, how
        many there are."""
        if self.deferred is not None:
            raise self.deferred
        if self.plan is not None:
            return self.plan.counted()
        return iter([_write(self.statement, self.store, self.user)]), 1

    def records(
        self,
    ) -> tuple[Iterator[dict[str, Any]], int | None, Callable[[Any], Any] | None]:
        """Run the statement for streaming: its stored records unshaped, their number when
        known, and what shapes one into its row, when the rows are plain records; else as
        :meth:`counted`, and None."""
        plan = self.plan
        if self.deferred is None and plan is not None and plan.records is not None:
            rows, total = plan.records()
            return rows, total, plan.shape
        rows, total = self.counted()
        return rows, total, None


def prepare_sql(text: Any, store: Store, user: User) -> PreparedSql:
    """Parse and check a statement for an export (§15).

    Parse errors and permission refusals raise at once; any other failure (a missing table)
    is kept and raised when the job runs the statement, as HarperDB reports it on the job.

    Raises:
        InvalidRequestError: The SQL is missing or does not parse (400).
        PermissionDeniedError: The caller may not run it (403).
    """
    statement = parse_sql(text)
    prepared = PreparedSql(statement, store, user)
    if isinstance(statement, n.Select):
        try:
            prepared.plan = prepare_select(statement, store, Access(user, store))
        except PermissionDeniedError:
            raise
        except LoadmasterError as exc:
            prepared.deferred = exc
        else:
            prepared.columns = prepared.plan.keys
    return prepared
