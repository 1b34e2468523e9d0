"""read_audit_log and delete_audit_logs_before over real HTTP (ops-more §1, §2)."""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import loadmaster
from loadmaster.instance import Instance
from tests.conftest import ADMIN_AUTH, basic

pytestmark = pytest.mark.e2e

GENERIC = "This operation is not authorized due to role restrictions and/or invalid database items"
DISABLED = "To use this operation audit log must be enabled in harperdb-config.yaml"


def post(client: httpx.Client, **body: Any) -> tuple[int, Any]:
    response = client.post("/", json=body)
    return response.status_code, response.json()


def ok(client: httpx.Client, **body: Any) -> Any:
    status, answer = post(client, **body)
    assert status == 200, answer
    return answer


def finished(instance: Instance, answer: dict[str, Any]) -> dict[str, Any]:
    assert answer["message"] == f"Starting job with id {answer['job_id']}"
    record = instance.wait_for_job(answer["job_id"], timeout=60)
    assert record is not None
    return record


@pytest.fixture
def dev(h1: httpx.Client) -> httpx.Client:
    ok(h1, operation="create_table", schema="dev", table="dog", primary_key="id")
    return h1


def audit(client: httpx.Client, **body: Any) -> Any:
    return ok(client, operation="read_audit_log", schema="dev", table="dog", **body)


def test_every_write_is_one_transaction_oldest_first(dev: httpx.Client) -> None:
    ok(
        dev,
        operation="insert",
        schema="dev",
        table="dog",
        records=[{"id": 1, "name": "Penny"}, {"id": 2, "name": "Kato", "age": 6}],
    )
    ok(dev, operation="update", schema="dev", table="dog", records=[{"id": 1, "breed": "Mutt"}])
    upserted = ok(
        dev,
        operation="upsert",
        schema="dev",
        table="dog",
        records=[{"id": 4}, {"id": 5}, {"name": "no id"}],
    )
    assert upserted["upserted_hashes"] == [4, 5, None]
    ok(dev, operation="delete", schema="dev", table="dog", hash_values=[2, 1])

    log = audit(dev)
    assert [e["operation"] for e in log] == ["insert", "update", "upsert", "delete"]
    first = log[0]
    assert list(first) == ["operation", "user_name", "timestamp", "hash_values", "records"]
    assert first["user_name"] == "HDB_ADMIN"
    assert first["hash_values"] == [1, 2]
    assert [r["name"] for r in first["records"]] == ["Penny", "Kato"]
    assert all(r["__updatedtime__"] == first["timestamp"] for r in first["records"])
    assert log[1]["records"][0] == {
        **first["records"][0],
        "breed": "Mutt",
        "__updatedtime__": log[1]["timestamp"],
    }
    generated = log[2]["hash_values"]
    assert generated[:2] == [4, 5]
    assert isinstance(generated[2], int)
    assert log[2]["records"][2]["id"] == generated[2]
    assert log[3]["hash_values"] == [2, 1]
    assert log[3]["records"] == [None, None]


def test_timestamp_ranges_and_limit(dev: httpx.Client) -> None:
    for i in range(4):
        ok(dev, operation="insert", schema="dev", table="dog", records=[{"id": i}])
    stamps = [e["timestamp"] for e in audit(dev)]
    assert len(stamps) == 4
    assert audit(dev, search_type="timestamp", search_values=[]) == audit(dev)
    assert [e["hash_values"] for e in audit(dev, search_values=[stamps[2]])] == [[2], [3]]
    ranged = audit(dev, search_type="timestamp", search_values=[stamps[1], stamps[2]])
    assert [e["hash_values"] for e in ranged] == [[1], [2]]
    assert audit(dev, search_values=[stamps[2], stamps[1]]) == []
    assert [e["hash_values"] for e in audit(dev, limit=2)] == [[0], [1]]
    assert [e["hash_values"] for e in audit(dev, search_values=[str(stamps[3])])] == [[3]]


def test_username_search_groups_by_user(instance: Instance, dev: httpx.Client) -> None:
    ok(dev, operation="add_role", role="writer", permission=WRITER)
    ok(dev, operation="add_user", role="writer", username="etl", password="pw", active=True)
    ok(dev, operation="insert", schema="dev", table="dog", records=[{"id": 1}])
    with httpx.Client(
        base_url=str(dev.base_url), headers={"authorization": basic("etl", "pw")}
    ) as etl:
        ok(etl, operation="insert", schema="dev", table="dog", records=[{"id": 2}])
        ok(etl, operation="update", schema="dev", table="dog", records=[{"id": 1, "by": "etl"}])
    found = audit(dev, search_type="username", search_values=["HDB_ADMIN", "etl", "nobody"])
    assert list(found) == ["HDB_ADMIN", "etl"]
    assert [e["hash_values"] for e in found["HDB_ADMIN"]] == [[1]]
    assert [(e["operation"], e["user_name"]) for e in found["etl"]] == [
        ("insert", "etl"),
        ("update", "etl"),
    ]
    assert audit(dev, search_type="username") == {}


WRITER = {
    "super_user": False,
    "dev": {
        "tables": {
            "dog": {
                "read": True,
                "insert": True,
                "update": True,
                "delete": False,
                "attribute_permissions": [],
            }
        }
    },
}


def test_hash_value_search_is_each_records_history(dev: httpx.Client) -> None:
    ok(dev, operation="upsert", schema="dev", table="dog", records=[{"id": 1, "name": "a"}])
    ok(dev, operation="update", schema="dev", table="dog", records=[{"id": 1, "name": "b"}])
    ok(dev, operation="insert", schema="dev", table="dog", records=[{"id": "blerrr"}])
    ok(dev, operation="delete", schema="dev", table="dog", hash_values=[1])
    found = audit(dev, search_type="hash_value", search_values=[1, "blerrr", "2", 999])
    assert list(found) == ["1", "blerrr", "2", "999"]
    history = found["1"]
    assert [e["operation"] for e in history] == ["upsert", "upsert", "delete"]
    assert list(history[0]) == ["operation", "timestamp", "user_name", "hash_values", "records"]
    assert [e["records"][0] and e["records"][0]["name"] for e in history] == ["a", "b", None]
    assert all(e["hash_values"] == [1] for e in history)
    assert found["blerrr"][0]["operation"] == "upsert"  # inserts are reported as upserts here
    assert found["2"] == []
    assert found["999"] == []


def test_read_audit_log_errors(instance: Instance, dev: httpx.Client) -> None:
    base = {"operation": "read_audit_log"}
    cases: list[tuple[dict[str, Any], int, dict[str, Any]]] = [
        ({"database": "dev", "table": "dog"}, 500, {"error": "database is required"}),
        ({"table": "dog"}, 500, {"error": "database is required"}),
        ({"schema": "dev"}, 500, {"error": "table is required"}),
        ({"schema": "nope", "table": "dog"}, 404, {"error": "database 'nope' does not exist"}),
        ({"schema": "dev", "table": "cat"}, 404, {"error": "Table 'dev.cat' does not exist"}),
        (
            {"schema": "dev", "table": "dog", "search_type": "color"},
            500,
            {"error": "Invalid searchType 'color'"},
        ),
        (
            {"schema": "dev", "table": "dog", "search_type": "hash_value"},
            500,
            {"error": "t.search_values is not iterable"},
        ),
        (
            {"schema": "dev", "table": "dog", "search_values": "everything"},
            500,
            {"error": "t.search_values is not iterable"},
        ),
        (
            {"schema": "dev", "table": "dog", "search_type": {"deep": [[[1]]]}},
            500,
            {"error": "Invalid searchType '[object Object]'"},
        ),
    ]
    for extra, status, body in cases:
        assert post(dev, **base, **extra) == (status, body), extra
    status, answer = post(dev, **base, schema="dev", table="dog", search_values=["soon"])
    assert status == 400
    assert "soon" in answer["error"]
    status, answer = post(dev, **base, schema="dev", table="dog", limit="lots")
    assert (status, answer) == (400, {"error": "'limit' must be a non-negative integer"})
    assert post(dev, **base, schema="dev", table="dog", search_values=[1e308]) == (200, [])
    # Numbers beyond 64 bits are refused by the one bounded decode of every body (issue 10).
    status, answer = post(dev, **base, schema="dev", table="dog", search_values=[10**400])
    assert status == 400
    assert "18446744073709551615" in answer["error"]
    # System tables answer too (loadmaster does not audit them: see the README).
    assert post(dev, **base, schema="system", table="hdb_role", limit=1) == (200, [])


def test_refused_to_other_roles(dev: httpx.Client) -> None:
    ok(dev, operation="add_role", role="writer", permission=WRITER)
    ok(dev, operation="add_user", role="writer", username="etl", password="pw", active=True)
    with httpx.Client(
        base_url=str(dev.base_url), headers={"authorization": basic("etl", "pw")}
    ) as etl:
        for operation, name in (
            ("read_audit_log", "readAuditLog"),
            ("delete_audit_logs_before", "deleteAuditLogsBefore"),
        ):
            assert post(etl, operation=operation, schema="dev", table="dog", timestamp=1) == (
                403,
                {
                    "error": GENERIC,
                    "unauthorized_access": [
                        f"Operation '{name}' is restricted to 'super_user' roles"
                    ],
                    "invalid_schema_items": [],
                },
            )


def test_a_table_created_without_audit_records_nothing(dev: httpx.Client) -> None:
    ok(dev, operation="create_table", schema="dev", table="quiet", primary_key="id", audit=False)
    ok(dev, operation="insert", schema="dev", table="quiet", records=[{"id": 1}])
    assert ok(dev, operation="read_audit_log", schema="dev", table="quiet") == []
    described = ok(dev, operation="describe_table", schema="dev", table="quiet")
    assert described["audit"] is False
    assert described["db_audit_size"] == 0
    loud = ok(dev, operation="describe_table", schema="dev", table="dog")
    assert loud["audit"] is True


def test_loads_and_delete_records_before_are_recorded(
    instance: Instance, dev: httpx.Client, tmp_path: Path
) -> None:
    path = tmp_path / "dogs.csv"
    path.write_text("id,name\n" + "".join(f"{i},dog{i}\n" for i in range(30)))
    answer = ok(dev, operation="csv_file_load", schema="dev", table="dog", file_path=str(path))
    assert finished(instance, answer)["status"] == "COMPLETE"
    answer = ok(
        dev,
        operation="csv_data_load",
        schema="dev",
        table="dog",
        action="upsert",
        data="id,name\n1,renamed\n",
    )
    assert finished(instance, answer)["status"] == "COMPLETE"
    answer = ok(
        dev, operation="delete_records_before", schema="dev", table="dog", date="2999-01-01"
    )
    assert finished(instance, answer)["message"] == "30 of 30 records successfully deleted"
    log = audit(dev)
    assert [(e["operation"], e["user_name"]) for e in log] == [
        ("insert", "HDB_ADMIN"),
        ("upsert", "HDB_ADMIN"),
        ("delete", "HDB_ADMIN"),
    ]
    assert sorted(log[0]["hash_values"]) == list(range(30))
    assert log[1]["records"][0]["name"] == "renamed"
    assert sorted(log[2]["hash_values"]) == list(range(30))


def test_delete_audit_logs_before(instance: Instance, dev: httpx.Client) -> None:
    for i in range(3):
        ok(dev, operation="insert", schema="dev", table="dog", records=[{"id": i}])
    stamps = [e["timestamp"] for e in audit(dev)]
    answer = ok(
        dev,
        operation="delete_audit_logs_before",
        schema="dev",
        table="dog",
        timestamp=str(stamps[2]),
    )
    record = finished(instance, answer)
    assert record["status"] == "COMPLETE"
    assert record["message"] == f"Successfully completed job: {answer['job_id']}"
    assert "result" not in record
    assert [e["hash_values"] for e in audit(dev)] == [[2]]
    assert [list(h) for h in audit(dev, search_type="hash_value", search_values=[0]).values()] == [
        []
    ]
    future = time.time() * 1000 + 86_400_000
    answer = ok(
        dev, operation="delete_audit_logs_before", database="dev", table="dog", timestamp=future
    )
    assert finished(instance, answer)["status"] == "COMPLETE"
    assert audit(dev) == []
    negative = ok(
        dev, operation="delete_audit_logs_before", schema="dev", table="dog", timestamp=-1
    )
    assert finished(instance, negative)["status"] == "COMPLETE"


def test_delete_audit_logs_before_checks_and_failures(
    instance: Instance, dev: httpx.Client
) -> None:
    base = {"operation": "delete_audit_logs_before", "schema": "dev"}
    assert post(dev, **base, table="dog") == (400, {"error": "'timestamp' is required"})
    assert post(dev, **base, table="dog", timestamp="yesterday") == (
        400,
        {"error": "'timestamp' is invalid"},
    )
    assert post(dev, **base, table="dog", timestamp={"a": [1]}) == (
        400,
        {"error": "'timestamp' is invalid"},
    )
    assert post(dev, **base, timestamp=1) == (400, {"error": "'table' is required"})
    missing = ok(
        dev, operation="delete_audit_logs_before", schema="dev", table="nosuch", timestamp=1
    )
    record = finished(instance, missing)
    assert (record["status"], record["message"]) == ("ERROR", "Table 'dev.nosuch' does not exist")
    no_db = ok(dev, operation="delete_audit_logs_before", table="dog", timestamp=1)
    record = finished(instance, no_db)
    assert (record["status"], record["message"]) == ("ERROR", "database 'data' does not exist")


@pytest.fixture
def unaudited(tmp_path: Path) -> Iterator[httpx.Client]:
    with loadmaster.open(
        tmp_path / "d", admin_password="test-admin-password", audit_log=False
    ) as db:
        server = db.serve("127.0.0.1", 0)
        with httpx.Client(base_url=server.url, headers={"authorization": ADMIN_AUTH}) as client:
            yield client


def test_the_setting_turns_the_audit_log_off(unaudited: httpx.Client) -> None:
    ok(unaudited, operation="create_table", schema="dev", table="dog", primary_key="id")
    assert ok(unaudited, operation="describe_table", schema="dev", table="dog")["audit"] is False
    assert post(unaudited, operation="read_audit_log", schema="dev", table="dog") == (
        400,
        {"error": DISABLED},
    )
    config = ok(unaudited, operation="get_configuration")
    assert config["logging"]["auditLog"] is False
    ok(
        unaudited,
        operation="create_table",
        schema="dev",
        table="kept",
        primary_key="id",
        audit=True,
    )
    assert ok(unaudited, operation="describe_table", schema="dev", table="kept")["audit"] is True


def test_sql_writes_are_recorded_as_their_operation(dev: httpx.Client) -> None:
    ok(dev, operation="sql", sql="INSERT INTO dev.dog (id, name) VALUES (1, 'a'), (2, 'b')")
    ok(dev, operation="sql", sql="UPDATE dev.dog SET name = 'z' WHERE id = 1")
    ok(dev, operation="sql", sql="DELETE FROM dev.dog WHERE id = 2")
    log = audit(dev)
    assert [(e["operation"], e["user_name"], e["hash_values"]) for e in log] == [
        ("insert", "HDB_ADMIN", [1, 2]),
        ("update", "HDB_ADMIN", [1]),
        ("delete", "HDB_ADMIN", [2]),
    ]
    assert log[1]["records"][0]["name"] == "z"
    assert log[2]["records"] == [None]
