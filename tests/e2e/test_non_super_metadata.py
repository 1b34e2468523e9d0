"""What other roles than super users see of databases and tables (ops-more §10), over HTTP."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.answers import as_user, denied, lacks, ok, post

pytestmark = pytest.mark.e2e


def grant(*attributes: dict[str, Any]) -> dict[str, Any]:
    flags = {"read": True, "insert": False, "update": False, "delete": False}
    return {**flags, "attribute_permissions": list(attributes)}


@pytest.fixture
def reader(h1: httpx.Client) -> Iterator[httpx.Client]:
    for table in ("dog", "cat", "owner", "gone"):
        ok(
            h1,
            {"operation": "create_table", "database": "dev", "table": table, "primary_key": "id"},
        )
    ok(h1, {"operation": "create_table", "database": "hidden", "table": "t", "primary_key": "id"})
    records = [{"id": 1, "name": "Penny", "age": 5, "chip": "x"}]
    for table in ("dog", "cat"):
        ok(h1, {"operation": "insert", "database": "dev", "table": table, "records": records})
    name_only = {"attribute_name": "name", "read": True, "insert": False, "update": False}
    tables = {"dog": grant(), "cat": grant(name_only), "gone": grant()}
    ok(h1, {"operation": "add_role", "role": "viewer", "permission": {"dev": {"tables": tables}}})
    user = {"username": "viewer", "password": "viewer-pw", "role": "viewer", "active": True}
    ok(h1, {"operation": "add_user", **user})
    # The role lists a table that is dropped afterwards: it no longer exists.
    ok(h1, {"operation": "drop_table", "database": "dev", "table": "gone"})
    with as_user(h1, "viewer", "viewer-pw") as client:
        yield client


def test_unlisted_tables_and_databases_do_not_exist(reader: httpx.Client) -> None:
    assert post(
        reader, {"operation": "describe_table", "database": "dev", "table": "owner"}
    ) == denied(invalid=["Table 'dev.owner' does not exist"])
    assert post(
        reader, {"operation": "describe_table", "database": "hidden", "table": "t"}
    ) == denied(invalid=["database 'hidden' does not exist"])
    assert post(reader, {"operation": "describe_database", "database": "hidden"}) == denied(
        invalid=["database 'hidden' does not exist"]
    )


def test_listed_tables_show_what_the_role_lists(reader: httpx.Client) -> None:
    cat = ok(reader, {"operation": "describe_table", "database": "dev", "table": "cat"})
    assert [a["attribute"] for a in cat["attributes"]] == ["id", "name"]
    everything = ok(reader, {"operation": "describe_all"})
    assert list(everything) == ["dev"]
    assert sorted(everything["dev"]) == ["cat", "dog"]
    # A table whose role entry lists no attributes is described without any.
    assert everything["dev"]["dog"]["attributes"] == []
    assert [a["attribute"] for a in everything["dev"]["cat"]["attributes"]] == ["id", "name"]


def test_searches_of_missing_tables(h1: httpx.Client, reader: httpx.Client) -> None:
    body = {"operation": "search_by_id", "database": "dev", "table": "gone", "ids": [1]}
    assert post(h1, body) == (404, {"error": "Table 'dev.gone' does not exist"})
    assert post(reader, body) == denied(invalid=["Table 'dev.gone' does not exist"])
    elsewhere = {**body, "database": "nodb"}
    assert post(h1, elsewhere) == (404, {"error": "database 'nodb' does not exist"})
    assert post(reader, elsewhere) == denied(invalid=["database 'nodb' does not exist"])
    assert post(
        reader, {**body, "table": "dog", "operation": "insert", "records": [{"id": 2}]}
    ) == lacks("dev", "dog", "insert")
