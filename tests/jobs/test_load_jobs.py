"""csv_data_load and csv_file_load as jobs: submit through the embedded API, wait, check."""

from pathlib import Path
from typing import Any

import pytest

from loadmaster.errors import InvalidRequestError, LoadmasterError
from loadmaster.instance import Instance
from tests.conftest import run_job


def rows(instance: Instance, table: str = "t", **extra: Any) -> list[dict[str, Any]]:
    found = instance.operation(
        {
            "operation": "search_by_value",
            "table": table,
            "search_attribute": "id",
            "search_value": "*",
            **extra,
        }
    )
    return sorted(found, key=lambda r: str(r["id"]))


@pytest.fixture
def table(instance: Instance) -> Instance:
    instance.operation({"operation": "create_table", "table": "t", "primary_key": "id"})
    return instance


def test_csv_data_load_types_and_message(table: Instance) -> None:
    data = 'id,name,n,flag,zip,blob\n1,a,1.5,true,007,"{""a"":1}"\n2,b,-3,FALSE,1e5,\n'
    record = run_job(table, operation="csv_data_load", table="t", data=data)
    assert record["status"] == "COMPLETE"
    assert record["message"] == "successfully loaded 2 of 2 records"
    assert record["type"] == "csv_data_load"
    assert record["user"] == "HDB_ADMIN"
    assert "request" not in record
    assert record["end_datetime"] >= record["start_datetime"] >= record["created_datetime"]
    one, two = rows(table, get_attributes=["id", "name", "n", "flag", "zip", "blob"])
    assert one == {"id": 1, "name": "a", "n": 1.5, "flag": True, "zip": "007", "blob": '{"a":1}'}
    assert two == {"id": 2, "name": "b", "n": -3, "flag": False, "zip": "1e5", "blob": ""}


def test_csv_data_load_empty_and_header_only(table: Instance) -> None:
    for data in ("", "id,name\n"):
        record = run_job(table, operation="csv_data_load", table="t", data=data)
        assert (record["status"], record["message"]) == (
            "COMPLETE",
            "No records parsed from csv file.",
        )


def test_csv_data_load_counts_skipped_rows_in_total(table: Instance) -> None:
    run_job(table, operation="csv_data_load", table="t", data="id,v\n1,a\n")
    record = run_job(table, operation="csv_data_load", table="t", data="id,v\n1,b\n2,c\n")
    assert record["message"] == "successfully loaded 1 of 2 records"
    record = run_job(
        table, operation="csv_data_load", table="t", action="update", data="id,v\n1,z\n3,q\n"
    )
    assert record["message"] == "successfully loaded 1 of 2 records"
    assert [r["v"] for r in rows(table)] == ["z", "c"]


def test_invalid_column_name_fails_the_job_and_writes_nothing(table: Instance) -> None:
    record = run_job(table, operation="csv_data_load", table="t", data="id,s/ome=attribute\n1,2\n")
    assert record["status"] == "ERROR"
    assert record["message"] == "Invalid column name 's/ome=attribute', cancelling load operation"
    assert rows(table) == []


def test_update_without_primary_key_fails(table: Instance) -> None:
    record = run_job(table, operation="csv_data_load", table="t", action="update", data="name\nx\n")
    assert record["status"] == "ERROR"
    assert record["message"] == (
        "a valid hash attribute must be provided with update record, check log for more info"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"data": "id\n1\n"}, "Table can't be blank"),
        ({"table": "t"}, "Data  is required"),
        (
            {"table": "t", "data": "x", "action": "merge"},
            "Action is required and must be either insert, update, or upsert",
        ),
        ({"table": "nope", "data": "id\n1\n"}, "Table 'data.nope' does not exist"),
        ({"table": "t", "database": "nodb", "data": "id\n1\n"}, "database 'nodb' does not exist"),
    ],
)
def test_csv_data_load_synchronous_checks(
    table: Instance, body: dict[str, Any], message: str
) -> None:
    with pytest.raises(LoadmasterError) as caught:
        table.operation({"operation": "csv_data_load", **body})
    assert caught.value.status_code == 400
    assert caught.value.message == message


def test_csv_file_load_streams_a_file(table: Instance, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    lines = ["id,name,score,note"]
    lines += [f'{i},name {i},{i / 4},"multi\nline {i}, with comma"' for i in range(1, 45_001)]
    path.write_text("\n".join(lines) + "\n")
    record = run_job(table, operation="csv_file_load", table="t", file_path=str(path))
    assert record["status"] == "COMPLETE", record
    assert record["message"] == "successfully loaded 45000 of 45000 records"
    assert record["processed"] == 45_000
    assert record["bytes_read"] == record["bytes_total"] == path.stat().st_size
    found = table.operation(
        {"operation": "search_by_id", "table": "t", "ids": [44_999], "get_attributes": ["*"]}
    )
    assert found[0]["note"] == "multi\nline 44999, with comma"
    assert found[0]["score"] == 44_999 / 4


def test_csv_file_load_file_errors(table: Instance, tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        table.operation(
            {"operation": "csv_file_load", "table": "t", "file_path": str(tmp_path / "no.csv")}
        )
    assert caught.value.message == f"No such file or directory {tmp_path / 'no.csv'}"
    with pytest.raises(InvalidRequestError) as caught:
        table.operation({"operation": "csv_file_load", "table": "t"})
    assert caught.value.message == "File path  is required"
    record = run_job(table, operation="csv_file_load", table="t", file_path=str(tmp_path))
    assert (record["status"], record["message"]) == (
        "ERROR",
        "EISDIR: illegal operation on a directory, read",
    )


def test_binary_file_fails_clearly_and_loads_nothing(table: Instance, tmp_path: Path) -> None:
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64)
    record = run_job(table, operation="csv_file_load", table="t", file_path=str(path))
    assert record["status"] == "ERROR"
    assert isinstance(record["message"], str)
    assert record["message"]
    assert rows(table) == []


def test_jobs_for_missing_things_never_create_records(table: Instance) -> None:
    with pytest.raises(LoadmasterError):
        table.operation({"operation": "csv_data_load", "table": "zzz", "data": "id\n1\n"})
    everything = table.operation(
        {"operation": "search_jobs_by_start_date", "from_date": "2000", "to_date": "3000"}
    )
    assert everything == []
