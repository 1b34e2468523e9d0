"""export_local and delete_records_before as jobs, through the embedded API."""

import csv
import io
import math
import time
from pathlib import Path
from typing import Any

import msgspec
import pytest

from loadmaster.errors import InvalidRequestError
from loadmaster.formats.dates import to_iso_utc
from loadmaster.instance import Instance
from tests.conftest import run_job


@pytest.fixture
def filled(instance: Instance) -> Instance:
    instance.operation({"operation": "create_table", "table": "t", "primary_key": "id"})
    records = [
        {"id": i, "name": f"n{i}", "zip": "0012" if i == 1 else f"{i}", "score": i / 2}
        for i in range(1, 1001)
    ]
    records[1]["tags"] = ["a", "b"]
    records[2]["name"] = 'say "hi", ok'
    records[3]["name"] = ""
    instance.operation({"operation": "insert", "table": "t", "records": records})
    return instance


ALL = {"operation": "search_by_value", "table": "t", "search_attribute": "id", "search_value": "*"}


def test_export_local_json(filled: Instance, tmp_path: Path) -> None:
    record = run_job(
        filled,
        operation="export_local",
        format="json",
        path=str(tmp_path) + "/",
        filename="out",
        search_operation={**ALL, "get_attributes": ["id", "name", "tags"]},
    )
    assert record["status"] == "COMPLETE", record
    assert record["message"] == f"Successfully completed job: {record['id']}"
    target = str(tmp_path / "out.json")
    assert record["result"] == {"message": "Successfully exported JSON locally.", "path": target}
    raw = Path(target).read_bytes()
    assert raw.startswith(b'[{"id":1,')
    assert raw.endswith(b"}]")
    assert b"\n" not in raw
    exported = msgspec.json.decode(raw)
    assert len(exported) == 1000
    assert exported[1] == {"id": 2, "name": "n2", "tags": ["a", "b"]}
    assert exported[0] == {"id": 1, "name": "n1", "tags": None}


def test_export_local_csv_round_trips(filled: Instance, tmp_path: Path) -> None:
    record = run_job(
        filled,
        operation="export_local",
        format="csv",
        path=str(tmp_path),
        filename="x.csv",
        search_operation={**ALL, "get_attributes": ["id", "name", "zip", "score"]},
    )
    target = tmp_path / "x.csv.csv"
    assert record["result"]["path"] == str(target)
    text = target.read_text()
    assert not text.endswith("\n")
    lines = text.split("\n")
    assert lines[0] == '"id","name","zip","score"'
    assert lines[1] == '1,"n1","0012",0.5'
    assert lines[3] == '3,"say ""hi"", ok","3",1.5'
    assert lines[4] == '4,"","4",2'
    parsed = list(csv.reader(io.StringIO(text)))
    assert len(parsed) == 1001


def test_export_local_errors_end_the_job(filled: Instance, tmp_path: Path) -> None:
    def message(**body: Any) -> Any:
        record = run_job(filled, operation="export_local", **body)
        assert record["status"] == "ERROR"
        return record["message"]

    missing = str(tmp_path / "missing")
    assert message(format="json", path=missing, search_operation=ALL) == (
        f"path '{missing}' does not exist"
    )
    afile = tmp_path / "file"
    afile.write_text("x")
    assert message(format="json", path=str(afile), search_operation=ALL) == (
        f"path '{afile}' is not a directory, please supply a valid folder path"
    )
    assert message(format="xml", path=str(tmp_path), search_operation=ALL) == (
        "format invalid. must be one of the following values: json, csv"
    )
    assert message(path=str(tmp_path), search_operation=ALL) == "format missing"
    assert message(format="json", path=str(tmp_path)) == (
        "Cannot read properties of undefined (reading 'operation')"
    )
    with pytest.raises(InvalidRequestError, match=r"^Invalid SQL at: x"):
        message(
            format="json", path=str(tmp_path), search_operation={"operation": "sql", "sql": "x"}
        )
    assert message(
        format="json", path=str(tmp_path), search_operation={**ALL, "table": "nope"}
    ) == ("Table 'data.nope' does not exist")


def test_export_local_into_an_unwritable_place_fails_like_node(filled: Instance) -> None:
    record = run_job(
        filled,
        operation="export_local",
        format="json",
        path="/proc",
        filename="x",
        search_operation=ALL,
    )
    assert record["status"] == "ERROR"
    assert record["message"].startswith("E")
    assert record["message"].endswith(", open '/proc/x.json'")


def test_delete_records_before(filled: Instance) -> None:
    cut = filled.operation({"operation": "search_by_id", "table": "t", "ids": [1000]})
    boundary = math.ceil(cut[0]["__createdtime__"]) + 1
    while time.time() * 1000 <= boundary + 1:
        pass  # let the clock pass the boundary (a couple of ms) so the next insert is later
    filled.operation({"operation": "insert", "table": "t", "records": [{"id": 5000}]})
    date = to_iso_utc(boundary)
    record = run_job(filled, operation="delete_records_before", table="t", date=date)
    assert record["status"] == "COMPLETE", record
    assert record["message"] == "1000 of 1000 records successfully deleted"
    left = filled.operation({**ALL})
    assert [r["id"] for r in left] == [5000]
    record = run_job(filled, operation="delete_files_before", table="t", date="2001-01-01")
    assert (record["type"], record["message"]) == (
        "delete_files_before",
        "No records found to delete",
    )


def test_delete_records_before_checks(filled: Instance) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        filled.operation({"operation": "delete_records_before", "table": "t", "date": "nope"})
    assert caught.value.message == "'date' must be in ISO 8601 date format"
    with pytest.raises(InvalidRequestError) as caught:
        filled.operation({"operation": "delete_records_before"})
    assert caught.value.message == "'table' is required. 'date' is required"
    record = run_job(filled, operation="delete_records_before", table="nope", date="2020-01-01")
    assert (record["status"], record["message"]) == ("ERROR", "Table 'data.nope' does not exist")


@pytest.mark.parametrize(
    ("search", "exported"),
    [
        ({**ALL, "search_attribute": "name", "search_value": "n1*"}, 112),
        ({**ALL, "search_attribute": "score", "search_value": 10}, 1),
        (
            {
                "operation": "search_by_conditions",
                "table": "t",
                "conditions": [
                    {
                        "search_attribute": "score",
                        "search_type": "between",
                        "search_value": [10, 20],
                    }
                ],
                "limit": 15,
            },
            15,
        ),
        ({"operation": "sql", "sql": "SELECT id, name FROM data.t WHERE score = 250"}, 1),
        ({"operation": "sql", "sql": "SELECT * FROM data.t LIMIT 10 OFFSET 995"}, 5),
    ],
)
def test_an_export_of_an_indexed_condition_knows_its_total(
    filled: Instance, tmp_path: Path, search: dict[str, Any], exported: int
) -> None:
    record = run_job(
        filled, operation="export_local", format="json", path=str(tmp_path), search_operation=search
    )
    assert record["status"] == "COMPLETE", record
    written = msgspec.json.decode(Path(record["result"]["path"]).read_bytes())
    assert len(written) == exported
    assert (record["processed"], record["total"], record["percent"]) == (exported, exported, 100.0)


@pytest.mark.parametrize(
    "search",
    [
        {**ALL, "search_attribute": "name", "search_value": "*1*"},  # contains: no cheap count
        {"operation": "sql", "sql": "SELECT * FROM data.t WHERE name = 'n5' OR score = 1"},
    ],
)
def test_an_export_whose_count_needs_the_records_has_no_total(
    filled: Instance, tmp_path: Path, search: dict[str, Any]
) -> None:
    record = run_job(
        filled, operation="export_local", format="json", path=str(tmp_path), search_operation=search
    )
    assert record["status"] == "COMPLETE", record
    assert record["processed"] > 0
    assert "total" not in record
