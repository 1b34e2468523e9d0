"""Helpers of the compatibility tests: post a body, get HarperDB's status and JSON answer."""

from typing import Any

import httpx

from tests.conftest import basic

GENERIC = "This operation is not authorized due to role restrictions and/or invalid database items"
SYSTEM_REFUSAL = (
    "The 'system' database, tables and records are used internally by HarperDB and cannot be "
    "updated or removed."
)


def post(client: httpx.Client, body: dict[str, Any], **headers: str) -> tuple[int, Any]:
    """Post an operation; return the status and the decoded JSON body."""
    response = client.post("/", json=body, headers=headers)
    return response.status_code, response.json()


def ok(client: httpx.Client, body: dict[str, Any]) -> Any:
    """Post an operation that must succeed; return its JSON body."""
    status, answer = post(client, body)
    assert status == 200, answer
    return answer


def as_user(client: httpx.Client, username: str, password: str) -> httpx.Client:
    """Return a client of the same server that authenticates as another user."""
    return httpx.Client(
        base_url=client.base_url, headers={"authorization": basic(username, password)}
    )


def denied(unauthorized: list[Any] | None = None, invalid: list[str] | None = None) -> Any:
    """Return HarperDB's 403 permission object."""
    return (
        403,
        {
            "error": GENERIC,
            "unauthorized_access": unauthorized or [],
            "invalid_schema_items": invalid or [],
        },
    )


def lacks(db: str, table: str, *needs: str) -> Any:
    """Return the 403 of a role without some table permissions."""
    entry = {
        "schema": db,
        "table": table,
        "required_table_permissions": list(needs),
        "required_attribute_permissions": [],
    }
    return denied([entry])
