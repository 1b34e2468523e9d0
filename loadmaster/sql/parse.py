"""Turn SQL text into a :mod:`loadmaster.sql.nodes` statement, with HarperDB's parse errors.

sqlglot parses, in a MySQL-based dialect (backticks quote names, double quotes make strings,
as in alasql) whose function table is emptied so every call keeps the name as written; the
keys of result rows are built from those names. Before parsing, ``[name]`` is rewritten to
a backticked name and ``SELECT TOP n`` to a LIMIT, the two alasql forms MySQL lacks.
"""

import re
from typing import Any

import sqlglot
from sqlglot import TokenType, exp
from sqlglot.dialects.mysql import MySQL
from sqlglot.errors import ParseError, TokenError

from loadmaster.errors import SEARCH_PROBLEM, InvalidRequestError, ServerError, SqlParseError
from loadmaster.sql import nodes as n
from loadmaster.sql.build import build_statement

__all__ = ["MISSING_SQL", "parse_sql"]

MISSING_SQL = "The 'sql' parameter is missing from the request body"
_TROUBLE = (
    "We had trouble parsing your request. Please ensure your SQL is valid. "
    "Try adding backticks to reserved words and schema table references."
)
_SUFFIX = (
    ". Please ensure your SQL is valid. "
    "Try adding backticks to reserved words and schema table references."
)
_PROCESSING = "There was an error processing your request. Check logs and try again."
_KINDS = ("select", "insert", "update", "delete")
_STATEMENT_WORDS = frozenset(
    {"select", "insert", "update", "delete", "create", "drop", "show", "with", "alter", "use"}
)
_STATEMENT_WORDS_TUPLE = tuple(_STATEMENT_WORDS)
#: alasql keywords that cannot name a database, table or column unless quoted.
RESERVED = frozenset(
    """all and as asc between by call case create delete desc distinct drop else end exists
    from full group having in inner insert into is join key left like limit not null offset
    on or order outer right select set table then top union update values when where with""".split()  # noqa: SIM905 - a word list reads best as text
)
_TOP = re.compile(r"^(\s*select\s+(?:distinct\s+)?)top\s+(\d+)\s+", re.IGNORECASE)


class _Dialect(MySQL):
    class Tokenizer(MySQL.Tokenizer):
        KEYWORDS = {**MySQL.Tokenizer.KEYWORDS, "||": TokenType.DPIPE}

    class Parser(MySQL.Parser):  # type: ignore[misc,valid-type]
        FUNCTIONS = {k: v for k, v in MySQL.Parser.FUNCTIONS.items() if k == "COUNT"}
        FUNCTION_PARSERS = {
            k: v for k, v in MySQL.Parser.FUNCTION_PARSERS.items() if k in ("CAST", "CONVERT")
        }
        NO_PAREN_FUNCTIONS: dict[Any, Any] = {}
        # alasql's || concatenates; MySQL's is OR.
        DISJUNCTION = {k: v for k, v in MySQL.Parser.DISJUNCTION.items() if k != TokenType.DPIPE}

        def _parse_convert(self, strict: bool, safe: bool | None = None) -> Any:
            # alasql's CONVERT(type, expression), T-SQL's order (MySQL's is the other way).
            del strict, safe
            to = self._parse_types()
            if to is None or not self._match(TokenType.COMMA):
                self.raise_error("Expected a type, then a comma")
            this = self._parse_assignment()
            if self._match(TokenType.COMMA):
                self.raise_error("CONVERT with a style is not available")
            return self.expression(exp.Cast(this=this, to=to))

        def _parse_bitwise(self) -> Any:
            this = super()._parse_bitwise()
            while self._match(TokenType.DPIPE):
                this = self.expression(exp.DPipe(this=this, expression=super()._parse_bitwise()))
            return this


def _rewrite(text: str) -> tuple[str, int | None]:
    """Replace ``[name]`` by a backticked name outside string literals; lift ``TOP n``."""
    out: list[str] = []
    quote: str | None = None
    for ch in text:
        if quote is not None:
            if ch == quote:
                quote = None
            out.append(ch)
        elif ch in "'\"`":
            quote = ch
            out.append(ch)
        elif ch in "[]":
            out.append("`")
        else:
            out.append(ch)
    rewritten = "".join(out)
    top = _TOP.match(rewritten)
    if top is None:
        return rewritten, None
    return top.group(1) + " " * (top.end() - top.end(1)) + rewritten[top.end() :], int(top.group(2))


def excerpt(text: str, position: int) -> str:
    """Build the jison-style excerpt around ``position``: up to 20 characters either side."""
    before = text[:position].replace("\n", "")
    shown = ("..." if len(before) > 20 else "") + before[-20:]
    after = text[position:]
    upcoming = after[:20] + ("..." if len(after) > 20 else "")
    return shown + upcoming.replace("\n", "")


def _error_at(text: str, position: int) -> SqlParseError:
    return SqlParseError(f"Invalid SQL at: {excerpt(text, max(0, position))}{_SUFFIX}")


def _offset(text: str, line: int, col: int) -> int:
    lines = text.split("\n")
    return sum(len(x) + 1 for x in lines[: line - 1]) + col


def _failure_position(text: str, error: ParseError) -> int:
    first = text.split(None, 1)[0].lower() if text.split() else ""
    if first not in _STATEMENT_WORDS:
        # jison stops at the token after an unknown first word ("SELEC * ..." fails at "*").
        match = re.match(r"\S+\s*", text)
        return match.end() if match else 0
    details = error.errors[0] if error.errors else {}
    line, col = details.get("line"), details.get("col")
    highlight = str(details.get("highlight") or "")
    if not isinstance(line, int) or not isinstance(col, int):
        return len(text)
    end = _offset(text, line, col)
    if str(details.get("description", "")).startswith("Required keyword"):
        # The construct is incomplete: jison fails on the token after it.
        rest = text[end:]
        return end + len(rest) - len(rest.lstrip())
    return end - len(highlight)


def _number_table(error: ParseError) -> str | None:
    """Return the number written where a table belongs (``FROM 1123.1``): alasql reads it as
    a table without a database part."""
    details = error.errors[0] if error.errors else {}
    description = str(details.get("description", ""))
    if description.startswith("Expected table name") and "TokenType.NUMBER" in description:
        return str(details.get("highlight"))
    return None


def _unterminated(text: str) -> int:
    quote: str | None = None
    start = len(text)
    for i, ch in enumerate(text):
        if quote is None and ch in "'\"`":
            quote, start = ch, i
        elif ch == quote:
            quote = None
    return start


def _check_reserved(tree: exp.Expression, text: str) -> None:
    for ident in tree.find_all(exp.Identifier):
        if not ident.quoted and str(ident.this).lower() in RESERVED:
            raise _error_at(text, int(ident.meta.get("start", 0)))


def parse_sql(value: Any) -> n.Statement:
    """Parse the ``sql`` field of a request into a statement.

    Raises:
        InvalidRequestError: ``sql`` is missing, not a string, or does not parse (400).
        ServerError: ``sql`` is only whitespace, or the statement is of an unsupported kind
            (500, HarperDB's texts).
    """
    if value is None or value == "":
        raise InvalidRequestError(MISSING_SQL)
    if not isinstance(value, str):
        raise InvalidRequestError(_TROUBLE)
    text = value.strip()
    if text == "":
        raise ServerError(_PROCESSING)
    rewritten, top = _rewrite(text)
    try:
        trees = sqlglot.parse(rewritten, read=_Dialect)
    except TokenError as exc:
        raise _error_at(text, _unterminated(text)) from exc
    except ParseError as exc:
        number = _number_table(exc)
        if number is not None:
            raise ServerError(f"schema not defined for table {number}") from exc
        raise _error_at(text, _failure_position(rewritten, exc)) from exc
    tree = trees[0] if trees else None
    if not isinstance(tree, exp.Expression) or isinstance(tree, exp.Subquery | exp.Paren):
        raise _error_at(text, 0)
    first = text.split(None, 1)[0].lower()
    if first not in _STATEMENT_WORDS and not first.startswith(_STATEMENT_WORDS_TUPLE):
        match = re.match(r"\S+\s*", text)
        raise _error_at(text, match.end() if match else 0)
    _check_reserved(tree, text)
    kind = text.split(" ", 1)[0].lower()
    if kind not in _KINDS:
        raise ServerError(f"unsupported SQL type {kind} in SQL: [object Object]")
    statement = build_statement(tree, kind, top)
    if statement is None:
        raise ServerError(SEARCH_PROBLEM)
    return statement
