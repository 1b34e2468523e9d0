"""Our own small typed tree of a parsed SQL statement; nothing here knows sqlglot."""

from dataclasses import dataclass, field
from typing import Any, TypeAlias


@dataclass(frozen=True, slots=True)
class Column:
    """A column reference, ``name`` or ``qualifier.name``."""

    name: str
    qualifier: str | None = None


@dataclass(frozen=True, slots=True)
class Literal:
    """A constant: number, string, boolean; ``null`` is :class:`Null`."""

    value: Any


@dataclass(frozen=True, slots=True)
class Null:
    """The NULL literal (JavaScript's undefined inside alasql)."""


@dataclass(frozen=True, slots=True)
class Star:
    """``*`` or ``qualifier.*`` in a select list, or the argument of ``COUNT(*)``."""

    qualifier: str | None = None


@dataclass(frozen=True, slots=True)
class Func:
    """A function call; ``name`` is as written."""

    name: str
    args: tuple["Expr", ...] = ()
    distinct: bool = False


@dataclass(frozen=True, slots=True)
class Binary:
    """A binary operator: arithmetic, comparison, ``AND``/``OR``, ``||``, ``LIKE``, ``REGEXP``."""

    op: str
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True, slots=True)
class Unary:
    """``NOT x`` or ``-x``."""

    op: str
    operand: "Expr"


@dataclass(frozen=True, slots=True)
class Between:
    """``x [NOT] BETWEEN low AND high``."""

    operand: "Expr"
    low: "Expr"
    high: "Expr"
    negated: bool = False


@dataclass(frozen=True, slots=True)
class InList:
    """``x [NOT] IN (a, b, ...)``."""

    operand: "Expr"
    items: tuple["Expr", ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class IsNull:
    """``x IS [NOT] NULL``."""

    operand: "Expr"
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Case:
    """``CASE [operand] WHEN ... THEN ... [ELSE ...] END``."""

    whens: tuple[tuple["Expr", "Expr"], ...]
    default: "Expr | None" = None
    operand: "Expr | None" = None


@dataclass(frozen=True, slots=True)
class Cast:
    """``CAST(x AS type)``."""

    operand: "Expr"
    type: str


@dataclass(frozen=True, slots=True)
class SubSelect:
    """A sub-select: HarperDB checks its columns against the outer tables, then fails."""

    columns: tuple[Column, ...]


@dataclass(frozen=True, slots=True)
class Arrow:
    """alasql's ``x->key`` (read a property of an object value)."""

    operand: "Expr"
    key: str


Expr: TypeAlias = (
    Column
    | Literal
    | Null
    | Star
    | Func
    | Binary
    | Unary
    | Between
    | InList
    | IsNull
    | Case
    | Cast
    | Arrow
    | SubSelect
)


@dataclass(frozen=True, slots=True)
class TableRef:
    """A table in FROM/JOIN/INSERT/UPDATE/DELETE; ``database`` is None when not written."""

    name: str
    database: str | None = None
    alias: str | None = None

    @property
    def label(self) -> str:
        """Return the name columns may be qualified with: the alias, else the table name."""
        return self.alias or self.name


@dataclass(frozen=True, slots=True)
class Join:
    """A JOIN: ``inner``, ``left``, ``right`` or ``full``, with its ON condition."""

    kind: str
    table: TableRef
    on: Expr | None


@dataclass(frozen=True, slots=True)
class SelectItem:
    """One select-list entry and its alias, if any."""

    expr: Expr
    alias: str | None = None


@dataclass(frozen=True, slots=True)
class OrderItem:
    """One ORDER BY key."""

    expr: Expr
    descending: bool = False


@dataclass(frozen=True, slots=True)
class Select:
    """A SELECT statement."""

    items: tuple[SelectItem, ...]
    table: TableRef | None = None
    joins: tuple[Join, ...] = ()
    where: Expr | None = None
    group_by: tuple[Expr, ...] = ()
    having: Expr | None = None
    order_by: tuple[OrderItem, ...] = ()
    limit: int | None = None
    offset: int | None = None
    distinct: bool = False

    @property
    def tables(self) -> tuple[TableRef, ...]:
        """Return FROM's table and the joined ones, in order."""
        if self.table is None:
            return ()
        return (self.table, *(j.table for j in self.joins))


@dataclass(frozen=True, slots=True)
class Insert:
    """An INSERT ... VALUES statement; ``columns`` is None without a column list."""

    table: TableRef
    columns: tuple[str, ...] | None
    rows: tuple[tuple[Expr, ...], ...] = ()
    from_select: bool = False


@dataclass(frozen=True, slots=True)
class Update:
    """An UPDATE statement."""

    table: TableRef
    assignments: tuple[tuple[str, Expr], ...]
    where: Expr | None = None


@dataclass(frozen=True, slots=True)
class Delete:
    """A DELETE statement."""

    table: TableRef
    where: Expr | None = None


Statement = Select | Insert | Update | Delete


@dataclass(frozen=True, slots=True)
class Parsed:
    """A parsed statement with the text it came from."""

    statement: Statement
    text: str
    tables: tuple[TableRef, ...] = field(default=())


def children(node: Expr) -> list[Expr]:
    """Return the direct sub-expressions of an expression (none for columns and literals)."""
    if isinstance(node, Binary):
        return [node.left, node.right]
    if isinstance(node, Unary | IsNull | Cast | Arrow):
        return [node.operand]
    if isinstance(node, Between):
        return [node.operand, node.low, node.high]
    if isinstance(node, InList):
        return [node.operand, *node.items]
    if isinstance(node, Func):
        return list(node.args)
    if isinstance(node, Case):
        parts = [x for pair in node.whens for x in pair]
        return parts + [x for x in (node.default, node.operand) if x is not None]
    return []
