"""Over real HTTP: a load names unknown fields, and its faulty rows are read by get_job_errors."""

from typing import Any

import httpx

from loadmaster.instance import Instance
from tests.e2e.answers import ok, post


def test_load_over_http_warns_reports_and_refuses_bad_options(
    h1: httpx.Client, instance: Instance
) -> None:
    ok(h1, {"operation": "create_table", "table": "t", "primary_key": "id"})
    started = ok(
        h1,
        {
            "operation": "csv_data_load",
            "table": "t",
            "data": "id,v\r\n1,a\r\n2\r\n",
            "acton": "upsert",
        },
    )
    assert started["warnings"] == ["unknown field 'acton' ignored"]
    instance.wait_for_job(started["job_id"], timeout=60)
    (record,) = ok(h1, {"operation": "get_job", "id": started["job_id"]})
    assert record["message"] == "successfully loaded 2 of 2 records"
    assert record["warnings"] == ["unknown field 'acton' ignored"]
    assert record["errors"] == [
        {"line": 3, "column": "v", "reason": "too few fields", "value": "2"}
    ]
    page = ok(h1, {"operation": "get_job_errors", "id": started["job_id"], "limit": 1})
    assert page == {"errors": record["errors"], "total": 1}
    status, answer = post(
        h1, {"operation": "csv_data_load", "table": "t", "data": "id\n1\n", "on_error": 5}
    )
    assert (status, answer) == (400, {"error": "'on_error' must be one of [continue, skip, abort]"})


CSV_BODY = b"id,v\n1,a\n2\n,c\n4,d\n"
NDJSON_BODY = b'{"id":1,"v":"a"}\n{"id":\n{"id":"","v":"c"}\n{"id":4,"v":"d"}\n'


def upload(
    h1: httpx.Client, instance: Instance, query: str, body: bytes, media: str
) -> dict[str, Any]:
    answer = h1.put(f"/load/data/t?{query}", content=body, headers={"content-type": media})
    assert answer.status_code == 200, answer.text
    job_id = answer.json()["job_id"]
    instance.wait_for_job(job_id, timeout=60)
    (record,) = ok(h1, {"operation": "get_job", "id": job_id})
    return dict(record)


def stored(h1: httpx.Client) -> list[Any]:
    found = ok(
        h1,
        {
            "operation": "search_by_value",
            "table": "t",
            "search_attribute": "v",
            "search_value": "*",
        },
    )
    return sorted(r["v"] for r in found)


def test_uploads_take_on_error_and_validate_only(h1: httpx.Client, instance: Instance) -> None:
    ok(h1, {"operation": "create_table", "table": "t", "primary_key": "id"})
    record = upload(h1, instance, "validate_only=true", NDJSON_BODY, "application/x-ndjson")
    assert (record["status"], record["message"]) == (
        "COMPLETE",
        "validated 4 records, 2 with errors",
    )
    assert record["errors"] == [
        {"line": 2, "column": None, "reason": "not valid JSON", "value": '{"id":'},
        {"line": 3, "column": "id", "reason": "empty primary key", "value": ""},
    ]
    assert stored(h1) == []
    record = upload(h1, instance, "on_error=abort", NDJSON_BODY, "application/x-ndjson")
    assert (record["status"], record["message"]) == (
        "ERROR",
        "Load aborted at line 2: not valid JSON; 1 records were already loaded",
    )
    record = upload(h1, instance, "on_error=skip&action=upsert", CSV_BODY, "text/csv")
    assert record["message"] == "successfully loaded 2 of 2 records"
    assert (record["error_count"], record["rejected"]) == (2, 2)
    assert [e["reason"] for e in record["errors"]] == ["too few fields", "empty primary key"]
    record = upload(h1, instance, "on_error=skip&max_errors=1", NDJSON_BODY, "application/jsonl")
    assert (record["status"], record["message"]) == (
        "ERROR",
        "Load aborted: more than 1 rows were rejected, the last at line 3: empty primary key "
        "(column 'id'); 0 records were already loaded",
    )
    assert stored(h1) == ["a", "d"]


def test_uploads_refuse_bad_options_as_loads_do(h1: httpx.Client, instance: Instance) -> None:
    ok(h1, {"operation": "create_table", "table": "t", "primary_key": "id"})
    for query, error in [
        ("on_error=ignore", "'on_error' must be one of [continue, skip, abort]"),
        ("on_error=skip&max_errors=-1", "'max_errors' must be a non-negative integer"),
        ("on_error=skip&max_errors=ten", "'max_errors' must be a non-negative integer"),
        ("max_errors=3", "'max_errors' needs 'on_error': 'skip'"),
        ("validate_only=yes", "'validate_only' must be a boolean"),
    ]:
        answer = h1.put(
            f"/load/data/t?{query}", content=CSV_BODY, headers={"content-type": "text/csv"}
        )
        assert (answer.status_code, answer.json()) == (400, {"error": error})
    assert stored(h1) == []
    # The server keeps taking uploads.
    assert upload(h1, instance, "", CSV_BODY, "text/csv")["status"] == "COMPLETE"
