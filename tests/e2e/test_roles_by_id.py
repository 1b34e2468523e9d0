"""Roles by id over real HTTP (ops-more §5): ids are names, HarperDB's answers and envelopes."""

from pathlib import Path
from typing import Any

import httpx
import pytest

import loadmaster
from tests.conftest import ADMIN_AUTH, ADMIN_PASSWORD
from tests.e2e.answers import as_user, denied, ok, post

pytestmark = pytest.mark.e2e

MINIMAL = {"super_user": False}


def table(read: bool = True) -> dict[str, Any]:
    return {
        "read": read,
        "insert": False,
        "update": False,
        "delete": False,
        "attribute_permissions": [],
    }


@pytest.fixture
def dev(h1: httpx.Client) -> httpx.Client:
    ok(h1, {"operation": "create_table", "database": "dev", "table": "dog", "primary_key": "id"})
    ok(
        h1,
        {
            "operation": "insert",
            "database": "dev",
            "table": "dog",
            "records": [{"id": 1, "name": "Penny"}],
        },
    )
    return h1


def test_a_role_id_is_its_name(h1: httpx.Client) -> None:
    answer = ok(h1, {"operation": "add_role", "role": "sqlp_r_min", "permission": MINIMAL})
    assert list(answer) == ["role", "permission", "id", "__updatedtime__", "__createdtime__"]
    assert (answer["role"], answer["id"], answer["permission"]) == (
        "sqlp_r_min",
        "sqlp_r_min",
        MINIMAL,
    )
    named = ok(
        h1,
        {
            "operation": "add_role",
            "role": "sqlp_r_named",
            "id": "custom-id-1",
            "permission": MINIMAL,
        },
    )
    assert list(named) == ["role", "id", "permission", "__updatedtime__", "__createdtime__"]
    assert named["id"] == "custom-id-1"


def test_add_role_refusals(h1: httpx.Client) -> None:
    ok(h1, {"operation": "add_role", "role": "sqlp_r_min", "permission": MINIMAL})
    assert post(h1, {"operation": "add_role", "role": "sqlp_r_min", "permission": MINIMAL}) == (
        409,
        {"error": "A role with name 'sqlp_r_min' already exists"},
    )
    # An id taken under another name: the request is echoed and nothing is stored.
    echoed = {
        "operation": "add_role",
        "role": "sqlp_r_other",
        "id": "sqlp_r_min",
        "permission": MINIMAL,
    }
    assert post(h1, echoed) == (
        200,
        {"role": "sqlp_r_other", "id": "sqlp_r_min", "permission": MINIMAL},
    )
    assert "sqlp_r_other" not in [r["role"] for r in ok(h1, {"operation": "list_roles"})]
    status, body = post(h1, {"operation": "add_role", "role": "x"})
    assert (status, body["error"], body["main_permissions"]) == (
        400,
        "Errors in the role permissions JSON provided",
        ["Permission can't be blank"],
    )


def test_alter_role_by_id(h1: httpx.Client) -> None:
    ok(h1, {"operation": "add_role", "role": "sqlp_r_min", "permission": MINIMAL})
    altered = ok(
        h1,
        {
            "operation": "alter_role",
            "id": "sqlp_r_min",
            "role": "sqlp_r_min_renamed",
            "permission": MINIMAL,
        },
    )
    assert list(altered) == ["id", "role", "permission", "__updatedtime__", "__createdtime__"]
    assert (altered["id"], altered["role"]) == ("sqlp_r_min", "sqlp_r_min_renamed")
    assert post(
        h1, {"operation": "alter_role", "id": "sqlp_r_min_renamed", "permission": MINIMAL}
    ) == (
        400,
        {"error": "Invalid role id"},
    )
    status, body = post(h1, {"operation": "alter_role", "permission": MINIMAL})
    assert (status, body["main_permissions"]) == (400, ["Id can't be blank"])
    status, body = post(h1, {"operation": "alter_role", "id": "sqlp_r_min"})
    assert (status, body["main_permissions"]) == (400, ["Permission can't be blank"])
    # The renamed role is dropped by its id, and answered by its current name.
    assert ok(h1, {"operation": "drop_role", "id": "sqlp_r_min"}) == {
        "message": "sqlp_r_min_renamed successfully deleted"
    }


def test_drop_role_refusals(h1: httpx.Client) -> None:
    assert post(h1, {"operation": "drop_role", "role": "super_user"}) == (
        400,
        {"statusCode": 400, "error": "Bad Request", "message": "Id can't be blank"},
    )
    assert post(h1, {"operation": "drop_role", "id": "nope"}) == (404, {"error": "Role not found"})
    assert post(h1, {"operation": "drop_role", "id": "super_user"}) == (
        409,
        {"error": "Cannot drop role super_user as it has active user(s) tied to this role"},
    )


def test_inactive_users_do_not_block_a_drop(dev: httpx.Client) -> None:
    ok(
        dev,
        {
            "operation": "add_role",
            "role": "reader",
            "permission": {"dev": {"tables": {"dog": table()}}},
        },
    )
    user = {
        "operation": "add_user",
        "username": "rd",
        "password": "rd-pw",
        "role": "reader",
        "active": True,
    }
    ok(dev, user)
    assert post(dev, {"operation": "drop_role", "id": "reader"})[0] == 409
    ok(dev, {"operation": "alter_user", "username": "rd", "active": False})
    assert ok(dev, {"operation": "drop_role", "id": "reader"}) == {
        "message": "reader successfully deleted"
    }


def test_list_roles_has_the_builtins_in_id_order(h1: httpx.Client) -> None:
    ok(h1, {"operation": "add_role", "role": "zeta", "permission": MINIMAL})
    ok(h1, {"operation": "add_role", "role": "alpha", "permission": MINIMAL})
    roles = ok(h1, {"operation": "list_roles"})
    assert [r["id"] for r in roles] == ["alpha", "cluster_user", "super_user", "zeta"]
    by_id = {r["id"]: r for r in roles}
    assert by_id["cluster_user"]["permission"] == {"cluster_user": True}
    assert by_id["super_user"]["permission"] == {"super_user": True}
    assert by_id["super_user"]["role"] == "super_user"


def test_users_take_role_names_and_show_system_tables(dev: httpx.Client) -> None:
    ok(
        dev,
        {
            "operation": "add_role",
            "role": "reader",
            "id": "reader-id",
            "permission": {"dev": {"tables": {"dog": table()}}},
        },
    )
    user = {"operation": "add_user", "username": "rd", "password": "rd-pw", "active": True}
    assert post(dev, {**user, "role": "reader-id"}) == (404, {"error": "reader-id role not found"})
    assert ok(dev, {**user, "role": "reader"}) == {"message": "rd successfully added"}
    stored = ok(
        dev, {"operation": "search_by_id", "database": "system", "table": "hdb_user", "ids": ["rd"]}
    )
    assert stored[0]["role"] == "reader-id"
    users = {u["username"]: u for u in ok(dev, {"operation": "list_users"})}
    reader_system = users["rd"]["role"]["permission"]["system"]["tables"]
    admin_system = users["HDB_ADMIN"]["role"]["permission"]["system"]["tables"]
    flags = {"insert": False, "update": False, "delete": False, "attribute_permissions": []}
    assert reader_system["hdb_user"] == {"read": False, **flags}
    assert admin_system["hdb_user"] == {"read": True, **flags}
    assert set(admin_system) == {"hdb_job", "hdb_role", "hdb_user"}
    with as_user(dev, "rd", "rd-pw") as rd:
        info = ok(rd, {"operation": "user_info"})
        assert info["role"]["id"] == "reader-id"
        assert info["role"]["permission"]["system"]["tables"]["hdb_role"]["read"] is False
        assert post(rd, {"operation": "list_users"}) == denied(
            ["Operation 'listUsersExternal' is restricted to 'super_user' roles"]
        )


def test_roles_stored_with_uuid_ids_keep_working(tmp_path: Path) -> None:
    """Data directories of earlier versions hold roles whose ids are uuids: they stay as they
    are (clients kept those ids), and the built-in cluster_user role is added."""
    data = tmp_path / "old"
    legacy = "0b7d3f7e-2c4c-4a8e-9d43-0f7c5d1c8a11"
    with loadmaster.open(data, admin_password=ADMIN_PASSWORD) as db:
        db.store.table("system", "hdb_role").write(
            [{"id": legacy, "role": "legacy", "permission": MINIMAL}], "insert"
        )
        db.store.table("system", "hdb_role").delete(["cluster_user"])
    with loadmaster.open(data, admin_password=ADMIN_PASSWORD) as db:
        server = db.serve("127.0.0.1", 0)  # stopped when the instance closes
        with httpx.Client(base_url=server.url, headers={"authorization": ADMIN_AUTH}) as client:
            ids = [r["id"] for r in ok(client, {"operation": "list_roles"})]
            assert ids == sorted([legacy, "cluster_user", "super_user"])
            altered = ok(client, {"operation": "alter_role", "id": legacy, "permission": MINIMAL})
            assert (altered["id"], altered["role"]) == (legacy, "legacy")
            assert ok(client, {"operation": "drop_role", "id": legacy}) == {
                "message": "legacy successfully deleted"
            }
