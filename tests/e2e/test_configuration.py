"""get_configuration and system_information over real HTTP (ops-more §3, §4)."""

from typing import Any

import httpx
import pytest

from loadmaster.instance import Instance
from tests.conftest import ADMIN_PASSWORD, basic

pytestmark = pytest.mark.e2e

GENERIC = "This operation is not authorized due to role restrictions and/or invalid database items"
SECTIONS = [
    "system",
    "time",
    "cpu",
    "memory",
    "disk",
    "network",
    "harperdb_processes",
    "table_size",
    "metrics",
    "threads",
]


def post(client: httpx.Client, **body: Any) -> tuple[int, Any]:
    response = client.post("/", json=body)
    return response.status_code, response.json()


def test_get_configuration_answers_what_clients_read(h1: httpx.Client) -> None:
    response = h1.post("/", json={"operation": "get_configuration"})
    assert response.status_code == 200
    config = response.json()
    assert config["authentication"]["authorizeLocal"] is False
    assert config["operationsApi"]["network"]["port"]
    assert config["operationsApi"]["network"]["cors"] is False
    assert isinstance(config["componentsRoot"], str)
    assert config["localStudio"] == {"enabled": False}
    assert "maxSize" in config["logging"]["rotation"]
    assert config["logging"]["auditLog"] is True
    assert config["logging"]["auditRetention"] == "3d"
    assert config["threads"]["count"] >= 1
    assert config["authentication"]["operationTokenTimeout"] == "1d"
    assert config["authentication"]["refreshTokenTimeout"] == "30d"
    # No secret ever appears: not the admin password, not the token key.
    assert ADMIN_PASSWORD not in response.text
    assert "jwt" not in response.text.lower()
    assert "password" not in response.text.lower()


def test_system_information_sections(h1: httpx.Client) -> None:
    h1.post("/", json={"operation": "create_table", "table": "dog", "primary_key": "id"})
    h1.post("/", json={"operation": "insert", "table": "dog", "records": [{"id": 1}, {"id": 2}]})
    status, info = post(h1, operation="system_information")
    assert status == 200
    assert list(info) == SECTIONS
    assert info["metrics"]["data"]["tables"]["dog"]["entryCount"] == 2
    assert set(info["metrics"]["data"]["tables"]["dog"]) == {
        "treeDepth",
        "treeBranchPageCount",
        "treeLeafPageCount",
        "entryCount",
        "overflowPages",
    }
    assert info["harperdb_processes"]["core"][0]["pid"] > 0
    assert info["harperdb_processes"]["clustering"] == []
    assert info["table_size"] == []
    assert isinstance(info["threads"], list)
    assert set(info["network"]) >= {"default_interface", "latency", "interfaces", "stats"}
    for key in ("platform", "distro", "release", "kernel", "arch", "hostname", "node_version"):
        assert isinstance(info["system"][key], str)
    for other in ({}, {"attributes": []}, {"attributes": "memory"}):
        status, again = post(h1, operation="system_information", **other)
        assert (status, list(again)) == (200, SECTIONS)


def test_system_information_attributes(h1: httpx.Client) -> None:
    status, info = post(h1, operation="system_information", attributes=["memory", "time"])
    assert status == 200
    assert list(info) == ["memory", "time"]
    assert set(info["time"]) >= {"current", "uptime", "timezone", "timezoneName"}
    assert isinstance(info["time"]["current"], int)
    assert info["time"]["timezone"].startswith("UTC")
    memory = info["memory"]
    for key in (
        "total",
        "free",
        "used",
        "active",
        "swaptotal",
        "swapused",
        "swapfree",
        "available",
    ):
        assert isinstance(memory[key], int)
    assert memory["total"] >= memory["free"] >= 0
    assert post(h1, operation="system_information", attributes=["nope"]) == (200, {})
    status, metrics = post(
        h1, operation="system_information", attributes=["database_metrics", 7, {"x": [[]]}]
    )
    assert (status, list(metrics)) == (200, ["metrics"])


def test_both_are_for_super_users(instance: Instance, h1: httpx.Client) -> None:
    permission = {"super_user": False, "structure_user": True}
    assert post(h1, operation="add_role", role="builder", permission=permission)[0] == 200
    user = {"username": "bob", "password": "pw", "role": "builder", "active": True}
    assert post(h1, operation="add_user", **user)[0] == 200
    auth = {"authorization": basic("bob", "pw")}
    with httpx.Client(base_url=str(h1.base_url), headers=auth) as bob:
        for operation, name in (
            ("get_configuration", "getConfiguration"),
            ("system_information", "systemInformation"),
        ):
            assert post(bob, operation=operation) == (
                403,
                {
                    "error": GENERIC,
                    "unauthorized_access": [
                        f"Operation '{name}' is restricted to 'super_user' roles"
                    ],
                    "invalid_schema_items": [],
                },
            )
