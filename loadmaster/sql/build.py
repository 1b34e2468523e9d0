"""Translate a sqlglot tree into our statement nodes (the only module that reads sqlglot trees)."""

from typing import Any

from sqlglot import exp

from loadmaster.errors import ServerError
from loadmaster.sql import nodes as n

__all__ = ["build_statement"]

INSERT_PROBLEM = "There was a problem performing this insert. Please check the logs and try again."

_BINARY: dict[type[exp.Expression], str] = {
    exp.Add: "+",
    exp.Sub: "-",
    exp.Mul: "*",
    exp.Div: "/",
    exp.Mod: "%",
    exp.DPipe: "||",
    exp.EQ: "=",
    exp.NEQ: "!=",
    exp.LT: "<",
    exp.LTE: "<=",
    exp.GT: ">",
    exp.GTE: ">=",
    exp.And: "AND",
    exp.Or: "OR",
    exp.RegexpLike: "REGEXP",
}
_NAMED_COLUMNS = frozenset({"CURRENT_DATE", "CURRENT_TIMESTAMP", "CURRENT_TIME"})


class _UnsupportedError(Exception):
    """An expression alasql would fail on (reported as HarperDB's 500 for the statement)."""


def _name(node: Any) -> str:
    if isinstance(node, exp.Identifier):
        return str(node.this)
    if isinstance(node, exp.Expression):
        return str(node.name)
    return str(node)


def _literal(node: exp.Literal) -> n.Literal:
    if node.is_string:
        return n.Literal(str(node.this))
    text = str(node.this)
    try:
        number = float(text)
    except ValueError as exc:
        raise _UnsupportedError(text) from exc
    if number.is_integer() and "." not in text and "e" not in text.lower():
        return n.Literal(int(text))
    return n.Literal(int(number) if number.is_integer() and abs(number) < 2**53 else number)


def expr(node: exp.Expression) -> n.Expr:
    """Translate one sqlglot expression."""
    if isinstance(node, exp.Paren):
        return expr(node.this)
    if isinstance(node, exp.Literal):
        return _literal(node)
    if isinstance(node, exp.Boolean):
        return n.Literal(bool(node.this))
    if isinstance(node, exp.Null):
        return n.Null()
    if isinstance(node, exp.Star):
        return n.Star()
    if isinstance(node, exp.Column):
        if isinstance(node.this, exp.Star):
            return n.Star(node.table or None)
        name = _name(node.this)
        quoted = isinstance(node.this, exp.Identifier) and node.this.quoted
        if not node.table and not quoted and name.upper() in _NAMED_COLUMNS:
            return n.Func(name)
        if not node.table and not quoted and name == "undefined":
            return n.Null()
        return n.Column(name, node.table or None)
    if isinstance(node, exp.Neg):
        inner = expr(node.this)
        if isinstance(inner, n.Literal) and isinstance(inner.value, int | float):
            return n.Literal(-inner.value)
        return n.Unary("-", inner)
    if isinstance(node, exp.Not):
        inner = expr(node.this)
        if isinstance(inner, n.InList):
            return n.InList(inner.operand, inner.items, not inner.negated)
        if isinstance(inner, n.IsNull):
            return n.IsNull(inner.operand, not inner.negated)
        if isinstance(inner, n.Between) and not isinstance(node.this, exp.Paren):
            return n.Between(inner.operand, inner.low, inner.high, not inner.negated)
        return n.Unary("NOT", inner)
    op = _BINARY.get(type(node))
    if op is not None:
        return n.Binary(op, expr(node.this), expr(node.expression))
    if isinstance(node, exp.Like):
        like = n.Binary("LIKE", expr(node.this), expr(node.expression))
        return n.Unary("NOT", like) if node.args.get("negate") else like
    if isinstance(node, exp.ILike):
        return n.Binary("LIKE", expr(node.this), expr(node.expression))
    if isinstance(node, exp.Between):
        return n.Between(expr(node.this), expr(node.args["low"]), expr(node.args["high"]))
    if isinstance(node, exp.In):
        query = node.args.get("query")
        if query is not None:
            columns = tuple(
                n.Column(c.name, c.table or None)
                for c in query.find_all(exp.Column)
                if not isinstance(c.this, exp.Star)
            )
            return n.InList(expr(node.this), (n.SubSelect(columns),))
        return n.InList(expr(node.this), tuple(expr(e) for e in node.expressions))
    if isinstance(node, exp.Is):
        if not isinstance(node.expression, exp.Null):
            raise _UnsupportedError("IS")
        return n.IsNull(expr(node.this))
    if isinstance(node, exp.Count):
        arg = node.this
        if isinstance(arg, exp.Distinct):
            return n.Func("COUNT", tuple(expr(e) for e in arg.expressions), distinct=True)
        return n.Func("COUNT", (expr(arg),) if arg is not None else ())
    if isinstance(node, exp.Anonymous):
        args = node.expressions
        if len(args) == 1 and isinstance(args[0], exp.Distinct):
            distinct_args = tuple(expr(e) for e in args[0].expressions)
            return n.Func(str(node.this), distinct_args, distinct=True)
        return n.Func(str(node.this), tuple(expr(e) for e in args))
    if isinstance(node, exp.If):
        false = node.args.get("false")
        otherwise = expr(false) if false is not None else n.Null()
        return n.Func("IIF", (expr(node.this), expr(node.args["true"]), otherwise))
    if isinstance(node, exp.Case):
        whens = tuple((expr(w.this), expr(w.args["true"])) for w in node.args.get("ifs") or [])
        default = node.args.get("default")
        operand = node.this
        return n.Case(
            whens,
            expr(default) if default is not None else None,
            expr(operand) if operand is not None else None,
        )
    if isinstance(node, exp.Cast):
        target = node.args.get("to")
        name = target.this.value if isinstance(target, exp.DataType) else ""
        return n.Cast(expr(node.this), str(name).upper())
    if isinstance(node, exp.JSONExtract):
        key = node.expression
        return n.Arrow(expr(node.this), _name(key) if isinstance(key, exp.Column) else str(key))
    raise _UnsupportedError(type(node).__name__)


def _table(node: exp.Expression) -> n.TableRef:
    if not isinstance(node, exp.Table) or not isinstance(node.this, exp.Identifier):
        raise _UnsupportedError("table")
    alias = node.alias or None
    return n.TableRef(name=node.name, database=node.db or None, alias=alias)


def _int(node: exp.Expression | None) -> int | None:
    if node is None:
        return None
    value = node.expression if isinstance(node, exp.Limit | exp.Offset) else node
    built = expr(value)
    if isinstance(built, n.Literal) and type(built.value) is int:
        return built.value
    raise _UnsupportedError("limit")


def _join(node: exp.Join) -> n.Join:
    on = node.args.get("on")
    if on is None or node.args.get("using"):
        raise _UnsupportedError("comma join")
    side = str(node.side or "").lower()
    kind = side if side in ("left", "right", "full") else "inner"
    return n.Join(kind, _table(node.this), expr(on))


def _select(node: exp.Select, top: int | None) -> n.Select:
    items = []
    for item in node.expressions:
        if isinstance(item, exp.Alias):
            items.append(n.SelectItem(expr(item.this), _name(item.args["alias"])))
        else:
            items.append(n.SelectItem(expr(item)))
    source = node.args.get("from_") or node.args.get("from")
    table = _table(source.this) if source is not None else None
    joins = tuple(_join(j) for j in node.args.get("joins") or [])
    where = node.args.get("where")
    group = node.args.get("group")
    having = node.args.get("having")
    order = node.args.get("order")
    limit = _int(node.args.get("limit"))
    return n.Select(
        items=tuple(items),
        table=table,
        joins=joins,
        where=expr(where.this) if where is not None else None,
        group_by=tuple(expr(g) for g in group.expressions) if group is not None else (),
        having=expr(having.this) if having is not None else None,
        order_by=tuple(
            n.OrderItem(expr(o.this), bool(o.args.get("desc"))) for o in order.expressions
        )
        if order is not None
        else (),
        limit=top if top is not None else limit,
        offset=_int(node.args.get("offset")),
        distinct=node.args.get("distinct") is not None,
    )


def _insert(node: exp.Insert) -> n.Insert:
    target = node.this
    columns: tuple[str, ...] | None = None
    if isinstance(target, exp.Schema):
        columns = tuple(_name(c) for c in target.expressions)
        target = target.this
    table = _table(target)
    source = node.expression
    if not isinstance(source, exp.Values):
        return n.Insert(table, columns, from_select=True)
    rows = []
    for row in source.expressions:
        values = row.expressions if isinstance(row, exp.Tuple) else [row]
        rows.append(tuple(expr(v) for v in values))
    return n.Insert(table, columns, tuple(rows))


def _update(node: exp.Update) -> n.Update:
    assignments = []
    for item in node.expressions:
        if not isinstance(item, exp.EQ):
            raise _UnsupportedError("SET")
        column = item.this
        name = _name(column.this) if isinstance(column, exp.Column) else _name(column)
        assignments.append((name, expr(item.expression)))
    where = node.args.get("where")
    return n.Update(_table(node.this), tuple(assignments), expr(where.this) if where else None)


def _delete(node: exp.Delete) -> n.Delete:
    where = node.args.get("where")
    return n.Delete(_table(node.this), expr(where.this) if where else None)


def build_statement(tree: exp.Expression, kind: str, top: int | None) -> n.Statement | None:
    """Translate a parsed statement of ``kind``; None when alasql could not run it.

    Raises:
        ServerError: An INSERT alasql cannot run (HarperDB's insert-problem text).
    """
    try:
        if kind == "select" and isinstance(tree, exp.Select):
            return _select(tree, top)
        if kind == "insert" and isinstance(tree, exp.Insert):
            return _insert(tree)
        if kind == "update" and isinstance(tree, exp.Update):
            return _update(tree)
        if kind == "delete" and isinstance(tree, exp.Delete):
            return _delete(tree)
    except _UnsupportedError as exc:
        if kind == "insert":
            raise ServerError(INSERT_PROBLEM) from exc
        return None
    if kind == "insert":
        raise ServerError(INSERT_PROBLEM)
    return None
