"""Parsing: the ``sql`` field, parse-error excerpts, statement kinds (sql spec §1, §2)."""

from typing import Any

import pytest

from loadmaster.errors import LoadmasterError
from loadmaster.sql import nodes as n
from loadmaster.sql.parse import excerpt, parse_sql

SUFFIX = (
    ". Please ensure your SQL is valid. "
    "Try adding backticks to reserved words and schema table references."
)
TROUBLE = (
    "We had trouble parsing your request. Please ensure your SQL is valid. "
    "Try adding backticks to reserved words and schema table references."
)


def failure(value: Any) -> tuple[int, str]:
    with pytest.raises(LoadmasterError) as caught:
        parse_sql(value)
    return caught.value.status_code, caught.value.message


def test_the_sql_field() -> None:
    missing = (400, "The 'sql' parameter is missing from the request body")
    assert failure(None) == missing
    assert failure("") == missing
    assert failure(5) == (400, TROUBLE)
    assert failure(["SELECT 1"]) == (400, TROUBLE)
    assert failure("   ") == (
        500,
        "There was an error processing your request. Check logs and try again.",
    )


def test_parse_error_excerpts() -> None:
    cases = {
        "SELEC * FROM sqlp.dog": "SELEC * FROM sqlp.dog",
        "SELECT * FROM sqlp.dog WHERE": "... FROM sqlp.dog WHERE",
        "SELECT * FROM call.aggr": "SELECT * FROM call.aggr",
        "SELECT * FROM order.group": "SELECT * FROM order.group",
        "SELECT * FROM sqlp.dog WHERE dog_name = 'abc": "...og WHERE dog_name = 'abc",
    }
    for sql, shown in cases.items():
        assert failure(sql) == (400, f"Invalid SQL at: {shown}{SUFFIX}"), sql
    assert failure("(SELECT 1)")[0] == 400
    assert failure("SELECT * FROM 1123.1") == (500, "schema not defined for table 1123.1")


def test_excerpt_is_jison_style() -> None:
    assert excerpt("abc", 0) == "abc"
    assert excerpt("x" * 30 + "y" * 30, 30) == "..." + "x" * 20 + "y" * 20 + "..."


def test_statement_kinds() -> None:
    def kind(sql: str) -> str:
        return failure(sql)[1]

    assert kind("CREATE TABLE x.y (a INT)") == "unsupported SQL type create in SQL: [object Object]"
    assert kind("DROP TABLE x.y") == "unsupported SQL type drop in SQL: [object Object]"
    assert kind("SHOW TABLES") == "unsupported SQL type show in SQL: [object Object]"
    assert kind("WITH x AS (SELECT 1) SELECT * FROM x").startswith("unsupported SQL type with")
    assert kind("SELECT\nid FROM sqlp.dog") == (
        "unsupported SQL type select\nid in SQL: [object Object]"
    )
    assert failure("SELECT 1 UNION SELECT 2")[0] == 500
    assert failure("SELECT * FROM a.b, c.d")[0] == 500


def test_quoting_and_names() -> None:
    statement = parse_sql(
        "SELECT age AS `alter`, * FROM `call`.`aggr` AS `and` WHERE `all` > 3 "
        "ORDER BY `and`.`all` DESC"
    )
    assert isinstance(statement, n.Select)
    assert statement.table == n.TableRef("aggr", "call", "and")
    assert statement.items[0].alias == "alter"
    bracketed = parse_sql("SELECT [Inserted] FROM [db].[t] WHERE [Inserted] = true")
    assert isinstance(bracketed, n.Select)
    assert bracketed.items[0].expr == n.Column("Inserted")
    quoted = parse_sql('SELECT "dog_name" FROM sqlp.dog')
    assert isinstance(quoted, n.Select)
    assert quoted.items[0].expr == n.Literal("dog_name")


def test_top_and_first_statement_only() -> None:
    top = parse_sql("SELECT TOP 3 id FROM sqlp.dog")
    assert isinstance(top, n.Select)
    assert top.limit == 3
    first = parse_sql("SELECT 1; SELECT 2")
    assert isinstance(first, n.Select)
    assert first.items == (n.SelectItem(n.Literal(1)),)
    assert isinstance(parse_sql("select *from sqlp.dog where id = 4"), n.Select)
