"""Over real HTTP: a load names unknown fields, and its faulty rows are read by get_job_errors."""

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
