"""INSERT, UPDATE and DELETE with HarperDB's answers (sql spec §10-§12)."""

from typing import Any

import pytest

from loadmaster.instance import Instance
from tests.sql.conftest import answer

INSERT_PROBLEM = (
    500,
    {"error": "There was a problem performing this insert. Please check the logs and try again."},
)


@pytest.fixture
def writes(dogs: Instance) -> Instance:
    dogs.operation(
        {"operation": "create_table", "database": "sqlp", "table": "writes", "primary_key": "id"}
    )
    return dogs


def row(instance: Instance, key: Any) -> Any:
    rows = instance.operation(
        {"operation": "search_by_id", "database": "sqlp", "table": "writes", "ids": [key]}
    )
    return rows[0] if rows else None


def test_insert(writes: Instance) -> None:
    first = answer(
        writes,
        "INSERT INTO sqlp.writes (id, name, n, up, d) VALUES "
        "(1, 'one', 2 + 3, UPPER('x'), DATE_FORMAT(1585699200000, 'dddd')), "
        "(2, null, 10 / 4, 'y', 0)",
    )
    assert first == {
        "message": "inserted 2 of 2 records",
        "inserted_hashes": [1, 2],
        "skipped_hashes": [],
    }
    assert {k: row(writes, 1)[k] for k in ("name", "n", "up", "d")} == {
        "name": "one",
        "n": 5,
        "up": "X",
        "d": "Wednesday",
    }
    assert row(writes, 2)["name"] is None
    assert answer(writes, "INSERT INTO sqlp.writes (id, name) VALUES (1,'dup'),(5,'five')") == {
        "message": "inserted 1 of 2 records",
        "inserted_hashes": [5],
        "skipped_hashes": [1],
    }
    assert answer(writes, "INSERT INTO sqlp.writes (id) VALUES ('6')")["inserted_hashes"] == ["6"]
    generated = answer(writes, "INSERT INTO sqlp.writes (name) VALUES ('nokey')")
    assert generated["inserted_hashes"] == [None]
    stamped = answer(
        writes, "INSERT INTO sqlp.writes (id, __createdtime__) VALUES (7, 'bad value')"
    )
    assert stamped["inserted_hashes"] == [7]
    assert isinstance(row(writes, 7)["__createdtime__"], float)


def test_insert_errors(writes: Instance) -> None:
    cases = {
        "INSERT INTO sqlp.writes (id, `a/b`) VALUES (1, 2)": (
            400,
            {"error": "Attribute names cannot include backticks or forward slashes"},
        ),
        "INSERT INTO sqlp.writes (id, name) VALUES (1)": INSERT_PROBLEM,
        "INSERT INTO sqlp.writes (id, name) VALUES (1, id)": INSERT_PROBLEM,
        "INSERT INTO sqlp.writes (id) SELECT id FROM sqlp.dog": INSERT_PROBLEM,
        "INSERT INTO sqlp.writes VALUES (1)": (
            500,
            {"error": "Cannot read properties of undefined (reading 'map')"},
        ),
        "INSERT INTO writes (id) VALUES (1)": (400, {"error": "database 'data' does not exist"}),
        "INSERT INTO sqlp.nosuch (id) VALUES (1)": (
            400,
            {"error": "Table 'sqlp.nosuch' does not exist"},
        ),
        "INSERT INTO nosuch.t (id) VALUES (1)": (
            400,
            {"error": "database 'nosuch' does not exist"},
        ),
    }
    assert {sql: answer(writes, sql) for sql in cases} == cases
    long = "x" * 251
    assert answer(writes, f"INSERT INTO sqlp.writes (id, {long}) VALUES (1, 2)") == (  # noqa: S608
        400,
        {
            "error": f"transaction aborted due to attribute name {long} being too long. "
            "Attribute names cannot be longer than 250 bytes."
        },
    )
    assert row(writes, 1) is None


def test_update(writes: Instance) -> None:
    answer(
        writes,
        "INSERT INTO sqlp.writes (id, n, name) VALUES (1, 1, 'a'), (2, 2, 'b'), ('6', 6, 'c')",
    )
    multiply = "UPDATE sqlp.writes SET n = n * 10, shout = UPPER(name) WHERE id = 1"
    assert answer(writes, multiply) == {
        "message": "updated 1 of 1 records",
        "update_hashes": [1],
        "skipped_hashes": [],
    }
    assert (row(writes, 1)["n"], row(writes, 1)["shout"]) == (10, "A")
    quoted = "UPDATE sqlp.writes SET n = 0 WHERE id IN ('1','2')"
    assert answer(writes, quoted)["update_hashes"] == [1, 2]
    assert answer(writes, "UPDATE sqlp.writes SET n = 0 WHERE id = '1'")["message"] == (
        "updated 0 of 0 records"
    )
    everything = answer(
        writes, "UPDATE sqlp.writes SET a = false, b = 0, c = null, d = '', e = undefined"
    )
    assert everything["update_hashes"] == [1, 2, "6"]
    assert {k: row(writes, 2)[k] for k in "abcde"} == {
        "a": False,
        "b": 0,
        "c": None,
        "d": "",
        "e": None,
    }
    assert answer(writes, "UPDATE sqlp.writes SET id = 500 WHERE id = 2") == {
        "message": "updated 0 of 1 records",
        "update_hashes": [],
        "skipped_hashes": [500],
    }
    errors = {
        "UPDATE sqlp.writes SET `a/b` = 1": (
            400,
            {"error": "Attribute names cannot include backticks or forward slashes"},
        ),
        "UPDATE sqlp.writes SET n = 1 WHERE nosuch = 1": (500, {"error": "unknown column nosuch"}),
        "UPDATE sqlp.nosuch SET n = 1": (500, {"error": "table sqlp.nosuch does not exist"}),
        "UPDATE writes SET n = 1": (500, {"error": "schema undefined does not exist"}),
    }
    assert {sql: answer(writes, sql) for sql in errors} == errors


def test_delete(writes: Instance) -> None:
    answer(writes, "INSERT INTO sqlp.writes (id, name) VALUES (5, 'x lower'), ('6', 'y'), (7, 'z')")
    assert answer(writes, "DELETE FROM sqlp.writes WHERE id IN ('5','6')") == {
        "message": "1 of 1 record successfully deleted",
        "deleted_hashes": [5],
        "skipped_hashes": [],
    }
    assert answer(writes, "DELETE FROM sqlp.writes WHERE name LIKE '%lower'")["message"] == (
        "0 of 0 records successfully deleted"
    )
    assert answer(writes, "DELETE FROM sqlp.writes") == {
        "message": "2 of 2 records successfully deleted",
        "deleted_hashes": ["6", 7],
        "skipped_hashes": [],
    }
    errors = {
        "DELETE FROM sqlp.nosuch": (500, {"error": "table sqlp.nosuch does not exist"}),
        "DELETE FROM writes": (500, {"error": "schema undefined does not exist"}),
        "DELETE FROM sqlp.writes WHERE nosuch = 1": (500, {"error": "unknown column nosuch"}),
    }
    assert {sql: answer(writes, sql) for sql in errors} == errors


def test_reserved_names(dogs: Instance) -> None:
    assert answer(dogs, "UPDATE `call`.`aggr` SET age = 0 WHERE `all` = 1")["update_hashes"] == [1]
    assert answer(dogs, "DELETE FROM [call].[aggr] WHERE [all] = 2")["deleted_hashes"] == [2]
