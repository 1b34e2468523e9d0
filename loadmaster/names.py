"""Names every layer shares: the write actions, the reserved databases, the name rule."""

from typing import Any, Literal

__all__ = [
    "ACTIONS",
    "DEFAULT_DATABASE",
    "SYSTEM_DATABASE",
    "Action",
    "blank",
    "database_of",
    "name_problems",
]

#: How a write treats an existing primary key: skip it, merge into it, or either.
Action = Literal["insert", "update", "upsert"]
ACTIONS: tuple[Action, ...] = ("insert", "update", "upsert")
#: The database of users, roles and jobs; data operations may not use it.
SYSTEM_DATABASE = "system"
#: The database an operation names when it names none (it always exists for lookups).
DEFAULT_DATABASE = "data"
#: Longest database, table or attribute name HarperDB accepts.
MAX_NAME_LENGTH = 250


def blank(value: Any) -> bool:
    """Tell whether a required field is missing or empty."""
    return value is None or value == ""


def database_of(database: Any, schema: Any) -> str:
    """Return the database a request names: ``database``, else ``schema``, else ``data``."""
    if database is not None:
        return str(database)
    if schema is not None:
        return str(schema)
    return DEFAULT_DATABASE


def name_problems(
    value: Any, kind: str, *, not_a_string: str = "{kind} names must be strings"
) -> list[str]:
    """Say what is wrong with a database, table or attribute name (HarperDB's wording).

    Args:
        value: The name as sent.
        kind: What it names, as the message starts: ``Database``, ``Table``, ``Attribute``.
        not_a_string: The wording for a value that is no string (the job validators of
            HarperDB say ``{kind} must be a string``).

    Returns:
        Every problem, in HarperDB's order; empty when the name is acceptable.
    """
    if not isinstance(value, str):
        return [not_a_string.format(kind=kind)]
    problems = []
    if "/" in value or "`" in value:
        problems.append(f"{kind} names cannot include backticks or forward slashes")
    if len(value) > MAX_NAME_LENGTH:
        problems.append(f"{kind} cannot exceed {MAX_NAME_LENGTH} characters")
    return problems
