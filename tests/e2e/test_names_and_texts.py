"""Numeric names (ops-more §7) and HarperDB's validation texts and statuses (§9), over HTTP."""

from typing import Any

import httpx
import pytest

from loadmaster.server.serve import BackgroundServer
from tests.conftest import ADMIN_AUTH
from tests.e2e.answers import as_user, denied, ok, post

pytestmark = pytest.mark.e2e

INVALID_NULL = (
    "Invalid hash value: 'null' is not a valid hash attribute value, check log for more info"
)
UPDATE_KEY = "a valid hash attribute must be provided with update record, check log for more info"


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"operation": "create_database", "database": 1123}, 400, "'database' must be a string"),
        ({"operation": "create_schema", "schema": 1123}, 400, "'schema' must be a string"),
        (
            {"operation": "create_table", "database": 1123, "table": 1, "primary_key": "id"},
            400,
            "'database' must be a string. 'schema' must be a string. 'table' must be a string",
        ),
        (
            {"operation": "create_table", "schema": 1123, "table": 1, "primary_key": "id"},
            400,
            "'schema' must be a string. 'table' must be a string",
        ),
        (
            {"operation": "create_table", "database": "1123", "table": "2", "primary_key": 7},
            400,
            "'primary_key' must be a string",
        ),
        (
            {"operation": "describe_table", "database": 1123, "table": 1},
            400,
            "'database' must be a string. 'table' must be a string",
        ),
        (
            {"operation": "describe_table", "schema": 1123, "table": 1},
            400,
            "'table' must be a string",
        ),
        ({"operation": "describe_database", "database": 1123}, 400, "'database' must be a string"),
        (
            {"operation": "drop_table", "database": 1123, "table": 1},
            400,
            "'database' must be a string. 'table' must be a string",
        ),
        (
            {"operation": "drop_table", "schema": 1123, "table": 1},
            400,
            "'schema' must be a string. 'table' must be a string",
        ),
        ({"operation": "drop_schema", "schema": 1123}, 400, "'schema' must be a string"),
        (
            {"operation": "drop_attribute", "database": "1123", "table": "1", "attribute": 4289},
            400,
            "'attribute' must be a string",
        ),
        (
            {"operation": "create_attribute", "database": "1123", "table": "1", "attribute": 4289},
            500,
            "A.name.match is not a function",
        ),
        (
            {
                "operation": "search_by_hash",
                "database": 1123,
                "table": 1,
                "hash_values": [1],
                "get_attributes": ["*"],
            },
            500,
            "'database' must be a string. 'table' must be a string",
        ),
    ],
)
def test_names_must_be_strings(
    h1: httpx.Client, body: dict[str, Any], status: int, error: str
) -> None:
    assert post(h1, body) == (status, {"error": error})


def test_numeric_strings_are_names(h1: httpx.Client) -> None:
    assert ok(h1, {"operation": "create_database", "database": "1123"}) == {
        "message": "database '1123' successfully created"
    }
    table = {"database": "1123", "table": "1"}
    assert ok(h1, {"operation": "create_table", **table, "primary_key": "id"}) == {
        "message": "table '1123.1' successfully created."
    }
    assert ok(h1, {"operation": "create_attribute", **table, "attribute": "4289"}) == {
        "message": "attribute '1123.1.4289' successfully created."
    }
    # Numbers are names too where HarperDB accepts them: an insert into 1123.1.
    inserted = ok(
        h1,
        {
            "operation": "insert",
            "database": 1123,
            "table": 1,
            "records": [{"id": 1, "4289": "x", "12": 3}],
        },
    )
    assert inserted["inserted_hashes"] == [1]
    assert list(ok(h1, {"operation": "describe_database", "database": "1123"})) == ["1"]
    unknown = {"operation": "search_by_hash", **table, "hash_values": [1], "get_attributes": [4289]}
    assert post(h1, unknown) == (500, {"error": "unknown attribute '4289'"})
    found = ok(
        h1, {"operation": "search_by_hash", **table, "hash_values": [1], "get_attributes": ["4289"]}
    )
    assert found == [{"4289": "x"}]
    assert ok(h1, {"operation": "drop_attribute", **table, "attribute": "4289"}) == {
        "message": "successfully deleted attribute '4289'"
    }
    assert ok(h1, {"operation": "drop_table", **table}) == {
        "message": "successfully deleted table '1123.1'"
    }
    assert ok(h1, {"operation": "drop_schema", "schema": "1123"}) == {
        "message": "successfully deleted '1123'"
    }


@pytest.fixture
def dog(h1: httpx.Client) -> httpx.Client:
    ok(h1, {"operation": "create_table", "table": "dog", "primary_key": "id"})
    ok(h1, {"operation": "insert", "table": "dog", "records": [{"id": 1, "name": "Penny"}]})
    return h1


def write(client: httpx.Client, operation: str, *records: dict[str, Any]) -> tuple[int, Any]:
    return post(client, {"operation": operation, "table": "dog", "records": list(records)})


def test_write_texts(dog: httpx.Client) -> None:
    long_name = "é" * 126
    assert write(dog, "insert", {"id": 2, long_name: 1}) == (
        400,
        {
            "error": f"transaction aborted due to attribute name {long_name} being too long. "
            "Attribute names cannot be longer than 250 bytes."
        },
    )
    assert write(dog, "insert", {"id": 2, "a" * 250: 1})[0] == 200
    assert write(dog, "insert", {"id": 3, "a/b": 1}) == (
        400,
        {"error": "Attribute names cannot include backticks or forward slashes"},
    )
    for key in ("", None):
        assert write(dog, "update", {"id": 1, "name": "x"}, {"id": key}) == (
            400,
            {"error": UPDATE_KEY},
        )
    assert write(dog, "update", {"name": "no key"}) == (400, {"error": UPDATE_KEY})
    assert ok(dog, {"operation": "search_by_id", "table": "dog", "ids": [1]})[0]["name"] == "Penny"
    assert write(dog, "upsert", {"id": "null"}) == (
        400,
        {"error": INVALID_NULL},
    )
    assert write(dog, "upsert", {"id": None}) == (
        200,
        {"message": "upserted 1 of 1 records", "upserted_hashes": [None]},
    )
    assert write(dog, "upsert", {"id": ""}) == (
        200,
        {"message": "upserted 1 of 1 records", "upserted_hashes": [""]},
    )
    assert write(dog, "insert", {"id": ""})[1]["skipped_hashes"] == [""]


def test_search_texts(dog: httpx.Client) -> None:
    by_hash = {"operation": "search_by_hash", "table": "dog", "hash_values": [1]}
    assert post(dog, {**by_hash, "get_attributes": "*"}) == (
        500,
        {"error": "'get_attributes' must be an array"},
    )
    assert post(dog, {**by_hash, "get_attributes": [{}]}) == (
        500,
        {"error": "'get_attributes' must be strings or numbers"},
    )
    assert post(dog, {**by_hash, "get_attributes": []}) == (
        500,
        {"error": "'get_attributes' must contain at least 1 item"},
    )
    assert post(dog, by_hash) == (500, {"error": "'get_attributes' is required"})
    assert post(dog, {**by_hash, "hash_values": 1, "get_attributes": ["*"]}) == (
        500,
        {"error": "'hash_values' must be an array"},
    )
    assert post(dog, {**by_hash, "hash_values": [{}], "get_attributes": ["*"]}) == (
        500,
        {"error": "'hash_values' must be strings or numbers"},
    )
    by_value = {
        "operation": "search_by_value",
        "table": "dog",
        "search_attribute": "id",
        "search_value": "*",
    }
    assert post(dog, {**by_value, "get_attributes": "*"}) == (
        500,
        {"error": "'get_attributes' must be an array"},
    )
    conditions = [{"search_attribute": "id", "search_type": "equals", "search_value": 1}]
    by_conditions = {"operation": "search_by_conditions", "table": "dog", "conditions": conditions}
    assert post(dog, {**by_conditions, "get_attributes": "*"}) == (
        400,
        {"error": "'get_attributes' must be an array"},
    )


def test_alter_user_texts(dog: httpx.Client) -> None:
    alter = {"operation": "alter_user", "username": "HDB_ADMIN"}
    assert post(dog, {**alter, "role": "", "active": True}) == (
        500,
        {"error": "If role is specified, it cannot be empty."},
    )
    nothing = (500, {"error": "nothing to update, must supply active, role or password to update"})
    assert post(dog, {**alter, "role": ""}) == nothing
    assert post(dog, alter) == nothing
    assert post(dog, {**alter, "role": "ghost"}) == (
        404,
        {"error": "Update failed.  Requested 'ghost' role not found."},
    )
    assert ok(dog, {**alter, "username": "nobody", "active": True}) == {
        "message": "updated 0 of 1 records",
        "txn_time": 0,
        "update_hashes": [],
        "skipped_hashes": ["nobody"],
    }


TOKENS = {"operation": "create_authentication_tokens"}


@pytest.mark.parametrize(
    ("body", "header", "status", "error"),
    [
        ({}, False, 401, "Must login"),
        ({"username": "", "password": ""}, False, 401, "Must login"),
        ({"username": "HDB_ADMIN"}, False, 401, "invalid credentials"),
        ({"password": "x"}, False, 401, "invalid credentials"),
        ({"username": "HDB_ADMIN", "password": "wrong"}, False, 401, "invalid credentials"),
        (
            {"username": "HDB_ADMIN", "password": ""},
            False,
            400,
            "'password' is not allowed to be empty",
        ),
        ({"username": "", "password": "x"}, False, 400, "'username' is not allowed to be empty"),
        (
            {"username": "", "password": ""},
            True,
            400,
            "'username' is not allowed to be empty. 'password' is not allowed to be empty",
        ),
    ],
)
def test_token_texts(
    server: BackgroundServer, body: dict[str, Any], header: bool, status: int, error: str
) -> None:
    headers = {"authorization": ADMIN_AUTH} if header else {}
    with httpx.Client(base_url=server.url, headers=headers) as client:
        assert post(client, {**TOKENS, **body}) == (status, {"error": error})


def test_tokens_for_the_basic_header_without_body_credentials(h1: httpx.Client) -> None:
    assert set(ok(h1, TOKENS)) == {"operation_token", "refresh_token"}


def _writer(h1: httpx.Client, name: str, listed: list[str]) -> httpx.Client:
    grants = [{"attribute_name": a, "read": True, "insert": True, "update": True} for a in listed]
    table = {"read": True, "insert": True, "update": True, "delete": False}
    permission = {
        "super_user": False,
        "data": {"tables": {"dog": {**table, "attribute_permissions": grants}}},
    }
    ok(h1, {"operation": "add_role", "role": name, "permission": permission})
    user = {"username": name, "password": "pw", "role": name, "active": True}
    ok(h1, {"operation": "add_user", **user})
    return as_user(h1, name, "pw")


STAMP_TEXT = (
    "Internal timestamp attributes - '__createdtime_' and '__updatedtime__' - cannot be "
    "inserted to or updated by HDB users."
)


def test_timestamp_writes_by_roles(dog: httpx.Client) -> None:
    stamped = {"id": 1, "name": "x", "__createdtime__": 5, "__updatedtime__": 6}
    # Super users: the values are ignored, the server's timestamps kept.
    assert write(dog, "update", stamped)[0] == 200
    assert write(dog, "insert", {**stamped, "id": 2})[0] == 200
    stored = ok(dog, {"operation": "search_by_id", "table": "dog", "ids": [1, 2]})
    assert all(r["__createdtime__"] > 6 and r["__updatedtime__"] > 6 for r in stored)
    lists_it = _writer(dog, "lists_it", ["name", "__createdtime__"])
    lists_other = _writer(dog, "lists_other", ["name"])
    lists_none = _writer(dog, "lists_none", [])
    for action in ("insert", "update", "upsert"):
        record = {"id": 3, "__createdtime__": 5}
        assert write(lists_it, action, record) == (403, {"error": STAMP_TEXT})
        assert write(lists_other, action, record) == denied(
            invalid=["Attribute '__createdtime__' does not exist on 'data.dog'"]
        )
        assert write(lists_other, action, {"id": 3, "__updatedtime__": 5}) == denied(
            invalid=["Attribute '__updatedtime__' does not exist on 'data.dog'"]
        )
    assert ok(dog, {"operation": "search_by_id", "table": "dog", "ids": [3]}) == []
    assert write(lists_none, "insert", {"id": 3, "__createdtime__": 5})[0] == 200
    assert write(lists_none, "update", {"id": 3, "__updatedtime__": 5})[0] == 200
    stored = ok(dog, {"operation": "search_by_id", "table": "dog", "ids": [3]})
    assert stored[0]["__createdtime__"] > 5
    assert stored[0]["__updatedtime__"] > 5
    assert write(lists_it, "insert", {"id": 4, "name": "fine"})[0] == 200
    for client in (lists_it, lists_other, lists_none):
        client.close()
