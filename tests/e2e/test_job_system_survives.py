"""Over real HTTP: no request and no full disk stops the job system for everyone."""

import errno
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from loadmaster.instance import Instance
from loadmaster.storage import Table
from tests.remote_fixtures import s3_admin, s3_request

pytestmark = pytest.mark.e2e
pytest_plugins = ["tests.remote_fixtures"]

BIG = 18446744073709551616


def _submit(h1: httpx.Client, **body: Any) -> str:
    response = h1.post("/", json=body)
    assert response.status_code == 200, response.text
    job_id: str = response.json()["job_id"]
    return job_id


def _job(instance: Instance, job_id: str) -> dict[str, Any]:
    record = instance.wait_for_job(job_id, 30)
    assert record is not None
    return record


def test_a_request_holding_a_huge_integer_is_recorded_and_jobs_keep_working(
    instance: Instance, h1: httpx.Client, moto_endpoint: str, s3_bucket: str
) -> None:
    s3_admin(moto_endpoint).put_object(Bucket=s3_bucket, Key="in.csv", Body=b"id,n\n1,a\n")
    h1.post("/", json={"operation": "create_table", "table": "t", "primary_key": "id"})
    s3 = s3_request(s3_bucket, "in.csv", endpoint_url=moto_endpoint, extra=BIG)
    s3[str(BIG)] = [BIG, {"deeper": -BIG}]
    body = {"operation": "import_from_s3", "table": "t", "s3": s3, "surprise": BIG}
    # Over HTTP the body may be refused (numbers are bounded at the door), never a 500.
    answer = h1.post("/", json=body)
    assert answer.status_code in (200, 400), answer.text
    # In-process nothing bounds the number: the job record is built from known fields only.
    job_id = instance.operation(body)["job_id"]
    record = _job(instance, job_id)
    assert (record["status"], record["message"]) == (
        "COMPLETE",
        "successfully loaded 1 of 1 records",
    )
    # Everyone's later jobs still run.
    after = _submit(h1, operation="csv_data_load", table="t", data="id,n\n2,b\n")
    assert _job(instance, after)["message"] == "successfully loaded 1 of 1 records"
    response = h1.post("/", json={"operation": "get_job", "id": job_id})
    assert response.json()[0]["status"] == "COMPLETE"


def test_a_load_that_fills_the_disk_ends_error_and_the_server_goes_on(
    instance: Instance, h1: httpx.Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h1.post("/", json={"operation": "create_table", "table": "big", "primary_key": "id"})
    path = tmp_path / "rows.csv"
    path.write_text("id,name\n" + "".join(f"{n},name{n}\n" for n in range(50_000)))
    original = Table.write
    full = {"on": True}

    def write(table: Table, records: Sequence[Mapping[str, Any]], action: Any, **kw: Any) -> Any:
        # The first batch fits; the disk is full from the second on.
        if table.name == "big" and full["on"] and table.record_count() > 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(table, records, action, **kw)

    monkeypatch.setattr(Table, "write", write)
    job_id = _submit(h1, operation="csv_file_load", table="big", file_path=str(path))
    record = _job(instance, job_id)
    assert record["status"] == "ERROR"
    assert "No space left on device" in record["message"]
    assert record["message"].endswith("(after loading 20000 records)")
    # The server stays up, and once space is freed loads work again without a restart.
    full["on"] = False
    again = _submit(h1, operation="csv_data_load", table="big", data="id\n999999\n")
    assert _job(instance, again)["message"] == "successfully loaded 1 of 1 records"
