"""The ``system`` database over real HTTP (ops-more §6; hardening issue item 9)."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.answers import SYSTEM_REFUSAL, as_user, denied, lacks, ok, post

pytestmark = pytest.mark.e2e

LAST_SUPER_USER = (
    "Rejected: this change would leave the instance with no active super_user. "
    "Grant super_user to another active user first."
)

REFUSED = (403, {"error": SYSTEM_REFUSAL})
READER = {
    "dev": {
        "tables": {
            "dog": {
                "read": True,
                "insert": True,
                "update": True,
                "delete": True,
                "attribute_permissions": [],
            }
        }
    }
}
METADATA = denied(["Your role does not have permission to view database metadata for 'system'"])


def system(operation: str, table: str | None = None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"operation": operation, "database": "system", **fields}
    if table is not None:
        body["table"] = table
    return body


@pytest.fixture
def admin(h1: httpx.Client) -> httpx.Client:
    ok(h1, {"operation": "create_table", "database": "dev", "table": "dog", "primary_key": "id"})
    ok(h1, {"operation": "add_role", "role": "reader", "permission": READER})
    user = {"username": "rd", "password": "rd-pw", "role": "reader", "active": True}
    ok(h1, {"operation": "add_user", **user})
    return h1


@pytest.fixture
def reader(admin: httpx.Client) -> Iterator[httpx.Client]:
    with as_user(admin, "rd", "rd-pw") as client:
        yield client


def test_super_users_describe_the_system_database(admin: httpx.Client) -> None:
    described = ok(admin, system("describe_database"))
    assert {"hdb_job", "hdb_role", "hdb_user"} <= set(described)
    assert described["hdb_user"]["schema"] == "system"
    user_table = ok(admin, system("describe_table", "hdb_user"))
    assert (user_table["schema"], user_table["name"]) == ("system", "hdb_user")
    assert user_table["hash_attribute"] == "username"
    assert {"username", "role", "active", "password"} <= {
        a["attribute"] for a in user_table["attributes"]
    }
    assert ok(admin, system("describe_schema"))["hdb_role"]["hash_attribute"] == "id"
    assert post(admin, system("describe_table", "nosuch")) == denied(
        invalid=["Table 'system.nosuch' does not exist"]
    )
    assert "system" not in ok(admin, {"operation": "describe_all"})


def test_other_roles_see_no_system_metadata(reader: httpx.Client) -> None:
    assert post(reader, system("describe_database")) == METADATA
    assert post(reader, {"operation": "describe_schema", "schema": "system"}) == METADATA
    assert post(reader, system("describe_table", "hdb_user")) == METADATA
    assert post(reader, system("describe_table")) == METADATA
    assert post(reader, system("describe_table", "nosuch")) == denied(
        invalid=["Table 'system.nosuch' does not exist"]
    )
    assert "system" not in ok(reader, {"operation": "describe_all"})


def test_super_users_read_system_tables_without_secrets(admin: httpx.Client) -> None:
    ok(admin, {"operation": "create_authentication_tokens", "username": "rd", "password": "rd-pw"})
    users = ok(
        admin, system("search_by_value", "hdb_user", search_attribute="username", search_value="*")
    )
    by_name = {u["username"]: u for u in users}
    assert set(by_name) == {"HDB_ADMIN", "rd"}
    assert (by_name["rd"]["role"], by_name["rd"]["active"]) == ("reader", True)
    for user in users:
        assert not {"password", "refresh_token", "hash_function"} & set(user)
    named = ok(
        admin,
        system(
            "search_by_hash",
            "hdb_user",
            hash_values=["rd"],
            get_attributes=["username", "password"],
        ),
    )
    assert named == [{"username": "rd"}]
    conditions = [{"search_attribute": "role", "search_type": "equals", "search_value": "reader"}]
    found = ok(admin, system("search_by_conditions", "hdb_user", conditions=conditions))
    assert [u["username"] for u in found] == ["rd"]
    roles = ok(admin, system("search_by_id", "hdb_role", ids=["super_user"]))
    assert roles[0]["permission"] == {"super_user": True}
    assert post(admin, system("search_by_id", "nosuch", ids=[1])) == denied(
        invalid=["Table 'system.nosuch' does not exist"]
    )


def test_hdb_job_is_readable_while_the_registry_writes_it(admin: httpx.Client) -> None:
    started = ok(
        admin,
        {"operation": "csv_data_load", "database": "dev", "table": "dog", "data": "id\n1\n2\n"},
    )
    jobs = ok(admin, system("search_by_id", "hdb_job", ids=[started["job_id"]]))
    assert [j["id"] for j in jobs] == [started["job_id"]]
    assert jobs[0]["type"] == "csv_data_load"


def test_other_roles_cannot_read_system_tables(reader: httpx.Client) -> None:
    body = system("search_by_value", "hdb_user", search_attribute="username", search_value="*")
    assert post(reader, body) == lacks("system", "hdb_user", "read")
    assert post(reader, system("search_by_id", "hdb_job", ids=["x"])) == lacks(
        "system", "hdb_job", "read"
    )


@pytest.mark.parametrize("table", ["hdb_job", "hdb_info"])
def test_nobody_writes_the_other_system_tables(
    admin: httpx.Client, reader: httpx.Client, table: str
) -> None:
    for client in (admin, reader):
        assert post(client, system("insert", table, records=[{"id": "x"}])) == lacks(
            "system", table, "insert"
        )
        assert post(client, system("update", table, records=[{"id": "x"}])) == REFUSED
        assert post(client, system("upsert", table, records=[{"id": "x"}])) == REFUSED
        assert post(client, system("delete", table, ids=["x"])) == REFUSED


def test_other_roles_cannot_write_users_or_roles(reader: httpx.Client) -> None:
    for table in ("hdb_user", "hdb_role", "hdb_nodes"):
        assert post(reader, system("insert", table, records=[{"id": "x"}])) == lacks(
            "system", table, "insert"
        )
        assert post(reader, system("update", table, records=[{"id": "x"}])) == REFUSED
        assert post(reader, system("upsert", table, records=[{"id": "x"}])) == REFUSED
        assert post(reader, system("delete", table, ids=["x"])) == REFUSED


def test_system_structure_is_never_changed(admin: httpx.Client, reader: httpx.Client) -> None:
    for client in (admin, reader):
        assert post(client, system("drop_table", "hdb_user")) == REFUSED
        assert post(client, system("drop_attribute", "hdb_user", attribute="role")) == REFUSED
        assert post(client, system("drop_database")) == REFUSED
        assert post(client, {"operation": "drop_schema", "schema": "system"}) == REFUSED
        assert post(client, system("create_attribute", "hdb_user", attribute="x")) == lacks(
            "system", "hdb_user", "insert"
        )
    assert post(admin, system("create_database")) == (
        400,
        {"error": "database 'system' already exists"},
    )
    # A deviation: HarperDB creates the table, which can then never be dropped.
    assert post(admin, system("create_table", "mine", primary_key="id")) == REFUSED
    assert post(reader, system("create_table", "mine", primary_key="id")) == denied(
        ["Operation 'createTable' is restricted to 'super_user' roles"]
    )
    assert post(admin, system("csv_data_load", "hdb_user", data="username\nx\n")) == lacks(
        "system", "hdb_user", "insert", "update"
    )
    assert ok(admin, system("describe_table", "hdb_user"))["record_count"] == 2


def test_user_records_are_written_as_add_user_and_alter_user_do(admin: httpx.Client) -> None:
    record = {"username": "nosql", "password": "plain-pw", "role": "reader", "active": True}
    assert ok(admin, system("insert", "hdb_user", records=[record])) == {
        "message": "inserted 1 of 1 records",
        "inserted_hashes": ["nosql"],
        "skipped_hashes": [],
    }
    assert ok(admin, system("insert", "hdb_user", records=[record]))["skipped_hashes"] == ["nosql"]
    with as_user(admin, "nosql", "plain-pw") as nosql:  # the password was hashed, not stored
        assert ok(nosql, {"operation": "user_info"})["role"]["id"] == "reader"
        assert ok(
            admin, system("update", "hdb_user", records=[{"username": "nosql", "active": False}])
        )["update_hashes"] == ["nosql"]
        assert post(nosql, {"operation": "user_info"}) == (
            401,
            {"error": "Cannot complete request: User is inactive"},
        )
    bad_role = {**record, "username": "ghost", "role": "no-role"}
    assert post(admin, system("insert", "hdb_user", records=[bad_role])) == (
        404,
        {"error": "no-role role not found"},
    )
    no_password = {"username": "nopw", "role": "reader", "active": True}
    assert post(admin, system("insert", "hdb_user", records=[no_password])) == (
        400,
        {"error": "Password can't be blank"},
    )
    assert post(admin, system("insert", "hdb_user", records=[{**record, "hash": "x"}]))[0] == 400
    assert ok(admin, system("delete", "hdb_user", ids=["nosql"]))["message"] == (
        "1 of 1 record successfully deleted"
    )
    assert ok(admin, system("search_by_id", "hdb_user", ids=["nosql"])) == []


def test_the_last_super_user_stays(admin: httpx.Client) -> None:
    last = (409, {"error": LAST_SUPER_USER})
    assert (
        post(
            admin,
            system("update", "hdb_user", records=[{"username": "HDB_ADMIN", "active": False}]),
        )
        == last
    )
    assert (
        post(
            admin,
            system("update", "hdb_user", records=[{"username": "HDB_ADMIN", "role": "reader"}]),
        )
        == last
    )
    assert post(admin, system("delete", "hdb_user", ids=["HDB_ADMIN"])) == last
    demote = {"id": "super_user", "permission": {"super_user": False}}
    assert post(admin, system("update", "hdb_role", records=[demote])) == last
    assert ok(admin, {"operation": "user_info"})["username"] == "HDB_ADMIN"


def test_role_records_are_written_as_add_role_and_alter_role_do(admin: httpx.Client) -> None:
    role = {"role": "nosql_role", "permission": READER}
    assert ok(admin, system("insert", "hdb_role", records=[role]))["inserted_hashes"] == [
        "nosql_role"
    ]
    stored = ok(admin, system("search_by_id", "hdb_role", ids=["nosql_role"]))
    assert (stored[0]["role"], stored[0]["permission"]) == ("nosql_role", READER)
    status, body = post(
        admin, system("insert", "hdb_role", records=[{"role": "bad", "permission": {"nodb": {}}}])
    )
    assert (status, body["main_permissions"]) == (400, ["database 'nodb' does not exist"])
    renamed = {"id": "nosql_role", "role": "renamed"}
    assert ok(admin, system("update", "hdb_role", records=[renamed]))["update_hashes"] == [
        "nosql_role"
    ]
    assert (
        ok(admin, system("search_by_id", "hdb_role", ids=["nosql_role"]))[0]["permission"] == READER
    )
    assert ok(admin, system("update", "hdb_role", records=[{"id": "nope", "role": "x"}]))[
        "skipped_hashes"
    ] == ["nope"]
    ok(
        admin,
        {
            "operation": "add_user",
            "username": "holder",
            "password": "pw",
            "role": "renamed",
            "active": True,
        },
    )
    assert post(admin, system("delete", "hdb_role", ids=["nosql_role"])) == (
        409,
        {"error": "Cannot drop role renamed as it has active user(s) tied to this role"},
    )
    ok(admin, {"operation": "drop_user", "username": "holder"})
    ok(admin, system("delete", "hdb_role", ids=["nosql_role"]))
    assert "nosql_role" not in [r["id"] for r in ok(admin, {"operation": "list_roles"})]


def test_delete_records_before_on_system(admin: httpx.Client, reader: httpx.Client) -> None:
    body = system("delete_records_before", "hdb_user", date="2020-01-01")
    assert post(admin, body) == REFUSED
    assert post(admin, {**body, "operation": "delete_files_before"}) == REFUSED
    assert post(reader, {**body, "table": "hdb_job"}) == denied(
        ["Operation 'deleteFilesBefore' is restricted to 'super_user' roles"]
    )


def test_delete_records_before_cleans_finished_jobs(admin: httpx.Client) -> None:
    old = system("delete_records_before", "hdb_job", date="2000-01-01")
    started = ok(admin, old)
    assert started["message"] == f"Starting job with id {started['job_id']}"
    assert _wait(admin, started["job_id"])["message"] == "No records found to delete"
    loaded = ok(
        admin, {"operation": "csv_data_load", "database": "dev", "table": "dog", "data": "id\n1\n"}
    )
    assert _wait(admin, loaded["job_id"])["status"] == "COMPLETE"
    cleanup = ok(admin, system("delete_records_before", "hdb_job", date="2999-01-01"))
    done = _wait(admin, cleanup["job_id"])
    # Every finished job went (the first cleanup and the load); the running cleanup stayed.
    assert (done["status"], done["message"]) == ("COMPLETE", "2 of 2 records successfully deleted")
    assert ok(admin, {"operation": "get_job", "id": loaded["job_id"]}) == []
    assert [
        j["id"]
        for j in ok(
            admin, system("search_by_value", "hdb_job", search_attribute="id", search_value="*")
        )
    ] == [cleanup["job_id"]]
    after = ok(
        admin, {"operation": "csv_data_load", "database": "dev", "table": "dog", "data": "id\n2\n"}
    )
    assert _wait(admin, after["job_id"])["status"] == "COMPLETE"


def _wait(client: httpx.Client, job_id: str) -> dict[str, Any]:
    """Follow a job as clients do, until it ends (each get_job answers at once)."""
    for _ in range(2000):
        record = ok(client, {"operation": "get_job", "id": job_id})[0]
        if record["status"] in ("COMPLETE", "ERROR"):
            return dict(record)
    raise AssertionError(f"job {job_id} did not end")
