"""Compile expression nodes into Python functions of a row, with alasql's semantics (§5).

A row is a tuple holding one record (dict, or None for an outer-join gap) per table of the
statement; in a grouped query one more element holds the group's aggregate values. Comparisons,
arithmetic, LIKE, BETWEEN and IN with a null operand give ``None`` (SQL's unknown), which
drops the row in WHERE; only IS [NOT] NULL, AND and OR look at nulls.
"""

import re
from collections.abc import Callable
from typing import Any

from loadmaster.errors import EvaluationError, SqlError
from loadmaster.sql import nodes as n
from loadmaster.sql.functions import SearchJsonError, is_aggregate, resolve_function
from loadmaster.sql.jsvalues import (
    UNDEF,
    is_null,
    is_number,
    js_add,
    js_bool,
    js_loose_eq,
    js_lt,
    js_number,
    js_str,
    js_strict_eq,
    normalize_number,
)
from loadmaster.sql.scope import Scope

__all__ = ["Compiler", "Fn", "like_regex"]

Row = tuple[Any, ...]
Fn = Callable[[Row], Any]


def like_regex(pattern: str) -> re.Pattern[str]:
    """Translate an alasql LIKE pattern: anchored, case-insensitive, ``%``, ``_``, ``[...]``."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "%":
            out.append("[\\s\\S]*")
        elif ch == "_":
            out.append(".")
        elif ch == "[" and "]" in pattern[i + 1 :]:
            end = pattern.index("]", i + 1)
            inner = pattern[i + 1 : end]
            negate = inner.startswith("^")
            body = re.escape(inner[1:] if negate else inner).replace("\\-", "-")
            out.append(f"[{'^' if negate else ''}{body}]")
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("^" + "".join(out) + "$", re.IGNORECASE | re.DOTALL)


def _compare(op: str) -> Callable[[Any, Any], bool]:
    if op == "=":
        return js_strict_eq
    if op == "!=":
        return lambda a, b: not js_loose_eq(a, b)
    if op == "<":
        return js_lt
    if op == ">":
        return lambda a, b: js_lt(b, a)
    if op == "<=":
        return lambda a, b: not js_lt(b, a) and _ordered(a, b)
    return lambda a, b: not js_lt(a, b) and _ordered(a, b)


def _ordered(a: Any, b: Any) -> bool:
    # a <= b is false in JavaScript when either side converts to NaN.
    if type(a) is str and type(b) is str:
        return True
    x, y = js_number(a), js_number(b)
    return x == x and y == y


def _arith(op: str) -> Callable[[Any, Any], Any]:
    if op == "+":
        return js_add

    def run(a: Any, b: Any) -> Any:
        x, y = js_number(a), js_number(b)
        if op == "-":
            return normalize_number(x - y)
        if op == "*":
            return normalize_number(x * y)
        if op == "/":
            if y == 0:
                return float("nan") if x == 0 or x != x else float("inf") * (1 if x > 0 else -1)
            return normalize_number(x / y)
        if y == 0:
            return float("nan")
        return normalize_number(x - y * int(x / y)) if is_number(x) else float("nan")

    return run


class Compiler:
    """Compile the expressions of one statement against its scope.

    Args:
        scope: The statement's tables, or None for a statement without FROM.
        grouped: Aggregates read their value from the group slot instead of failing.
        aliases: Select-list aliases ORDER BY may use, by name.
    """

    def __init__(
        self,
        scope: Scope | None,
        *,
        grouped: bool = False,
        aliases: dict[str, Fn] | None = None,
    ) -> None:
        self.scope = scope
        self.grouped = grouped
        self.aliases = aliases or {}
        self.aggregates: list[tuple[n.Func, Fn | None]] = []
        #: alasql's AGGR: its slot → its argument, read over the group's results (``r[-1][-1]``).
        self.after: dict[int, Fn] = {}
        #: The slot of each aggregate call, by the call's node id.
        self.slots: dict[int, int] = {}

    def compile(self, node: n.Expr) -> Fn:
        """Return a function computing ``node`` for a row."""
        if isinstance(node, n.Literal):
            value = node.value
            return lambda _r: value
        if isinstance(node, n.Null):
            return lambda _r: UNDEF
        if isinstance(node, n.Column):
            return self._column(node)
        if isinstance(node, n.Func):
            return self._func(node)
        if isinstance(node, n.Binary):
            return self._binary(node)
        if isinstance(node, n.Unary):
            inner = self.compile(node.operand)
            if node.op == "NOT":

                def negate(r: Row) -> Any:
                    value = inner(r)
                    return None if is_null(value) else not js_bool(value)

                return negate

            def minus(r: Row) -> Any:
                value = inner(r)
                return None if is_null(value) else normalize_number(-js_number(value))

            return minus
        if isinstance(node, n.Between):
            return self._between(node)
        if isinstance(node, n.InList):
            return self._in(node)
        if isinstance(node, n.IsNull):
            inner = self.compile(node.operand)
            if node.negated:
                return lambda r: not is_null(inner(r))
            return lambda r: is_null(inner(r))
        if isinstance(node, n.Case):
            return self._case(node)
        if isinstance(node, n.Cast):
            return self._cast(node)
        if isinstance(node, n.SubSelect):
            for column in node.columns:
                self.compile(column)  # an unknown one is "unknown column" (checked outside)
            raise EvaluationError
        if isinstance(node, n.Arrow):
            inner = self.compile(node.operand)
            key = node.key

            def arrow(r: Row) -> Any:
                value = inner(r)
                if isinstance(value, dict):
                    return value.get(key, UNDEF)
                return UNDEF

            return arrow
        raise EvaluationError

    def _column(self, node: n.Column) -> Fn:
        if self.scope is None:
            raise SqlError(f"unknown column {node.name}")
        found = self.scope.find(node) if node.qualifier is None else None
        if found is None and node.qualifier is None and node.name in self.aliases:
            return self.aliases[node.name]
        index, name = self.scope.resolve(node)

        def column(r: Row) -> Any:
            record = r[index]
            return None if record is None else record.get(name)

        return column

    def _func(self, node: n.Func) -> Fn:
        if is_aggregate(node.name):
            if not self.grouped:
                raise EvaluationError
            slot = len(self.aggregates)
            self.slots[id(node)] = slot
            arg = None
            if node.name.upper() == "AGGR":
                self.after[slot] = (
                    _GroupCompiler(self).compile(node.args[0]) if node.args else lambda _r: UNDEF
                )
            elif node.args and not isinstance(node.args[0], n.Star):
                arg = Compiler(self.scope).compile(node.args[0])
            self.aggregates.append((node, arg))
            return lambda r: r[-1][slot]
        _, fn = resolve_function(node.name)
        args = [self.compile(a) for a in node.args]
        if fn is None:
            if not args:
                return lambda _r: UNDEF
            return args[-1]  # alasql keeps "(a, b)": the comma operator's last value
        call = fn

        def function(r: Row) -> Any:
            try:
                return call(*(a(r) for a in args))
            except (SearchJsonError, TypeError, ValueError, OverflowError, IndexError) as exc:
                raise EvaluationError from exc

        return function

    def _binary(self, node: n.Binary) -> Fn:
        left, right = self.compile(node.left), self.compile(node.right)
        op = node.op
        if op == "AND":

            def both(r: Row) -> Any:
                a = left(r)
                if a is not None and a is not UNDEF and not js_bool(a):
                    return False
                b = right(r)
                if b is not None and b is not UNDEF and not js_bool(b):
                    return False
                return None if is_null(a) or is_null(b) else True

            return both
        if op == "OR":

            def either(r: Row) -> Any:
                a = left(r)
                if not is_null(a) and js_bool(a):
                    return True
                b = right(r)
                if not is_null(b) and js_bool(b):
                    return True
                return None if is_null(a) or is_null(b) else False

            return either
        if op == "||":
            return lambda r: js_str_or_empty(left(r)) + js_str_or_empty(right(r))
        if op == "LIKE":
            return self._like(left, node.right, right)
        if op == "REGEXP":

            def regexp(r: Row) -> Any:
                value, pattern = left(r), right(r)
                if is_null(value) or is_null(pattern):
                    return None
                return re.search(js_str(pattern), js_str(value)) is not None

            return regexp
        check = _compare(op) if op in ("=", "!=", "<", ">", "<=", ">=") else _arith(op)

        def binary(r: Row) -> Any:
            a, b = left(r), right(r)
            if a is None or b is None or a is UNDEF or b is UNDEF:
                return None
            return check(a, b)

        return binary

    def _like(self, left: Fn, pattern_node: n.Expr, pattern: Fn) -> Fn:
        fixed = None
        if isinstance(pattern_node, n.Literal) and type(pattern_node.value) is str:
            fixed = like_regex(pattern_node.value)

        def like(r: Row) -> Any:
            value = left(r)
            if is_null(value):
                return None
            regex = fixed
            if regex is None:
                text = pattern(r)
                if is_null(text):
                    return None
                regex = like_regex(js_str(text))
            return regex.match(js_str(value)) is not None

        return like

    def _between(self, node: n.Between) -> Fn:
        value, low, high = (self.compile(x) for x in (node.operand, node.low, node.high))
        ge, le = _compare(">="), _compare("<=")
        negated = node.negated

        def between(r: Row) -> Any:
            x, a, b = value(r), low(r), high(r)
            if is_null(x) or is_null(a) or is_null(b):
                return None
            inside = ge(x, a) and le(x, b)
            return not inside if negated else inside

        return between

    def _in(self, node: n.InList) -> Fn:
        value = self.compile(node.operand)
        items = [self.compile(i) for i in node.items]
        negated = node.negated

        def member(r: Row) -> Any:
            x = value(r)
            if is_null(x):
                return None
            found = any(not is_null(v) and js_strict_eq(x, v) for v in (i(r) for i in items))
            return not found if negated else found

        return member

    def _case(self, node: n.Case) -> Fn:
        whens = [(self.compile(c), self.compile(v)) for c, v in node.whens]
        default = self.compile(node.default) if node.default is not None else None
        operand = self.compile(node.operand) if node.operand is not None else None

        def case(r: Row) -> Any:
            subject = operand(r) if operand is not None else UNDEF
            for cond, result in whens:
                test = cond(r)
                hit = js_strict_eq(subject, test) if operand is not None else js_bool(test)
                if hit and not is_null(test):
                    return result(r)
            return default(r) if default is not None else UNDEF

        return case

    def _cast(self, node: n.Cast) -> Fn:
        inner = self.compile(node.operand)
        target = node.type

        def cast(r: Row) -> Any:
            value = inner(r)
            if is_null(value):
                return value
            if target in ("INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT"):
                number = js_number(value)
                return int(number) if number == number and abs(number) != float("inf") else number
            if target in ("FLOAT", "DOUBLE", "DECIMAL", "NUMBER", "NUMERIC", "REAL"):
                return normalize_number(js_number(value))
            if target in ("STRING", "VARCHAR", "CHAR", "TEXT", "NVARCHAR"):
                return js_str(value)
            if target in ("BOOLEAN", "BOOL"):
                return js_bool(value)
            return value

        return cast


def js_str_or_empty(value: Any) -> str:
    """Return the text ``||`` concatenates: nulls as the empty string."""
    return "" if is_null(value) else js_str(value)


def truth(value: Any) -> bool:
    """Tell whether a WHERE/HAVING/ON value keeps the row (unknown does not)."""
    return value is True or (value is not None and value is not UNDEF and js_bool(value))


class _GroupCompiler(Compiler):
    """Compile AGGR's argument: names read the group's results, as alasql's ``g['name']``.

    The group holds the grouped columns and the select list's aggregates by their keys. HarperDB
    still checks every name against the tables first (``unknown column``), so only a key that is
    also an attribute can be read.
    """

    def __init__(self, parent: Compiler) -> None:
        super().__init__(parent.scope, grouped=True)
        self.aggregates = parent.aggregates
        self.after = parent.after
        self.slots = parent.slots

    def _column(self, node: n.Column) -> Fn:
        if self.scope is None:
            raise SqlError(f"unknown column {node.name}")
        self.scope.resolve(node)
        name = node.name
        return lambda r: r[-1][-1].get(name, UNDEF)
