"""Exports whose search_operation is ``sql``: checked before the job, rows streamed (§15)."""

import gzip
from pathlib import Path
from typing import Any

import msgspec
import pytest

from loadmaster.errors import InvalidRequestError, LoadmasterError, PermissionDeniedError
from loadmaster.formats import iter_csv
from loadmaster.instance import Instance
from loadmaster.models import User
from tests.sql.conftest import dog_reader, role_user

READER = role_user(dog_reader())


def export(
    instance: Instance,
    path: Path,
    sql: Any,
    fmt: str = "json",
    user: User | None = None,
) -> dict[str, Any]:
    body = {
        "operation": "export_local",
        "format": fmt,
        "path": str(path),
        "filename": "out",
        "search_operation": {"operation": "sql", "sql": sql},
    }
    started = instance.operation(body, user=user)
    record = instance.wait_for_job(started["job_id"], timeout=30)
    assert record is not None
    return record


def test_json_and_csv(dogs: Instance, tmp_path: Path) -> None:
    sql = "SELECT id, dog_name, age FROM sqlp.dog WHERE age > 4 ORDER BY id"
    record = export(dogs, tmp_path, sql)
    assert record["status"] == "COMPLETE", record
    assert record["result"] == {
        "message": "Successfully exported JSON locally.",
        "path": str(tmp_path / "out.json"),
    }
    text = (tmp_path / "out.json").read_text()
    assert text.startswith('[{"id":1,"dog_name":"Harper","age":5},')
    assert [r["id"] for r in msgspec.json.decode(text)] == [1, 5, 10, 200]
    assert export(dogs, tmp_path, sql, "csv")["status"] == "COMPLETE"
    assert (tmp_path / "out.csv").read_text() == (
        '"id","dog_name","age"\n1,"Harper",5\n5,"Kato",5\n10,"Penny",6\n200,"Rosco",7'
    )


def test_ndjson_gzip(dogs: Instance, tmp_path: Path) -> None:
    body = {
        "operation": "export_local",
        "format": "ndjson",
        "compress": "gzip",
        "path": str(tmp_path),
        "filename": "lines",
        "search_operation": {"operation": "sql", "sql": "SELECT id FROM sqlp.dog LIMIT 2"},
    }
    record = dogs.wait_for_job(dogs.operation(body)["job_id"], timeout=30)
    assert record is not None
    assert record["status"] == "COMPLETE", record
    [written] = list(tmp_path.glob("lines.*"))
    assert gzip.decompress(written.read_bytes()).decode().split() == ['{"id":1}', '{"id":2}']


def test_checked_before_the_job(dogs: Instance, tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError, match=r"^The 'sql' parameter is missing"):
        export(dogs, tmp_path, None)
    with pytest.raises(InvalidRequestError, match=r"^Invalid SQL at: SELEC \* FROM"):
        export(dogs, tmp_path, "SELEC * FROM sqlp.dog")
    with pytest.raises(PermissionDeniedError) as refused:
        export(dogs, tmp_path, "SELECT * FROM sqlp.breed", user=READER)
    assert refused.value.invalid_schema_items == ["Table 'sqlp.breed' does not exist"]


def test_non_super_users_export_what_they_may_read(dogs: Instance, tmp_path: Path) -> None:
    # Users who are not super users write only inside the file roots (<data>/files/).
    files = Path(dogs.settings.data) / "files"
    record = export(dogs, files, "SELECT id FROM sqlp.dog LIMIT 2", user=READER)
    assert record["status"] == "COMPLETE", record
    assert (files / "out.json").read_text() == '[{"id":1},{"id":2}]'
    nosql = {
        "operation": "export_local",
        "format": "json",
        "path": str(files),
        "search_operation": {
            "operation": "search_by_value",
            "database": "sqlp",
            "table": "dog",
            "search_attribute": "id",
            "search_value": "*",
        },
    }
    with pytest.raises(LoadmasterError) as restricted:
        dogs.operation(nosql, user=READER)
    assert restricted.value.body()["unauthorized_access"] == [
        "Operation 'export_local' is restricted to 'super_user' roles"
    ]


def test_runtime_errors_and_writes_end_in_the_job(dogs: Instance, tmp_path: Path) -> None:
    record = export(dogs, tmp_path, "SELECT * FROM sqlp.nosuch")
    assert record["status"] == "ERROR"
    assert record["message"] == "Table 'sqlp.nosuch' does not exist"
    record = export(dogs, tmp_path, "UPDATE sqlp.dog SET age = 8 WHERE id = 1")
    assert record["status"] == "COMPLETE", record
    assert msgspec.json.decode((tmp_path / "out.json").read_text()) == [
        {"message": "updated 1 of 1 records", "update_hashes": [1], "skipped_hashes": []}
    ]


NAMES_ONLY = role_user(dog_reader("dog_name"))


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM sqlp.dog",
        "SELECT notes, id, dog_name FROM sqlp.dog WHERE age >= 4 LIMIT 3 OFFSET 1",
        "SELECT id, notes FROM sqlp.dog WHERE dog_name LIKE '%a%'",
    ],
)
def test_streamed_records_export_as_the_sql_answer(
    dogs: Instance, tmp_path: Path, sql: str
) -> None:
    # Plain-column SELECTs hand the export their stored records; every format must still
    # show exactly the rows and keys of the sql operation (nulls for missing attributes).
    rows = dogs.operation({"operation": "sql", "sql": sql})
    assert export(dogs, tmp_path, sql)["status"] == "COMPLETE"
    assert msgspec.json.decode((tmp_path / "out.json").read_text()) == rows
    assert export(dogs, tmp_path, sql, "csv")["status"] == "COMPLETE"
    # The CSV of the shaped rows, as the writer renders them.
    expected = b"".join(iter_csv(rows, columns=list(rows[0]))).decode()
    assert (tmp_path / "out.csv").read_text() == expected
    assert expected.count("\n") == len(rows)


def test_streamed_star_export_shows_only_what_the_role_reads(
    dogs: Instance, tmp_path: Path
) -> None:
    files = Path(dogs.settings.data) / "files"
    for fmt in ("json", "csv"):
        record = export(dogs, files, "SELECT * FROM sqlp.dog LIMIT 2", fmt, user=NAMES_ONLY)
        assert record["status"] == "COMPLETE", record
    assert msgspec.json.decode((files / "out.json").read_text()) == [
        {"dog_name": "Harper", "id": 1},
        {"dog_name": "Penny", "id": 2},
    ]
    assert (files / "out.csv").read_text() == '"dog_name","id"\n"Harper",1\n"Penny",2'
