"""The tables a statement reads and how its column references resolve against them (§3.1)."""

from dataclasses import dataclass

from loadmaster.errors import SqlError
from loadmaster.sql import nodes as n

__all__ = ["Scope", "Source"]


@dataclass(frozen=True, slots=True)
class Source:
    """One table of a statement: its reference and its attributes in describe order."""

    ref: n.TableRef
    attributes: tuple[str, ...]
    primary_key: str
    #: What ``*`` expands to: every attribute, or what a restricted role may read (§14.2).
    star: tuple[str, ...] = ()


class Scope:
    """Resolve columns to ``(table index, attribute)``; unknown or ambiguous ones are 500s."""

    def __init__(self, sources: list[Source]) -> None:
        self.sources = sources
        self._sets = [frozenset(s.attributes) for s in sources]
        self.used: list[dict[str, None]] = [{} for _ in sources]

    def find(self, column: n.Column) -> tuple[int, str] | None:
        """Resolve a column, or return None when no table has it (ambiguity still raises)."""
        if column.qualifier is not None:
            for i, source in enumerate(self.sources):
                if source.ref.label == column.qualifier and column.name in self._sets[i]:
                    return i, column.name
            return None
        found = [i for i, names in enumerate(self._sets) if column.name in names]
        if len(found) > 1:
            raise SqlError(f"ambiguous column reference {column.name}")
        return (found[0], column.name) if found else None

    def resolve(self, column: n.Column) -> tuple[int, str]:
        """Resolve a column and remember it as used (for prefetch and permission checks)."""
        found = self.find(column)
        if found is None:
            name = f"{column.qualifier}.{column.name}" if column.qualifier else column.name
            raise SqlError(f"unknown column {name}")
        self.used[found[0]][found[1]] = None
        return found

    def star(self, qualifier: str | None) -> list[tuple[int, str]]:
        """Expand ``*`` (every table) or ``qualifier.*``."""
        out: list[tuple[int, str]] = []
        for i, source in enumerate(self.sources):
            if qualifier is None or source.ref.label == qualifier:
                out.extend((i, a) for a in source.star)
        return out
