"""Load jobs report faulty rows on the job record and by get_job_errors, and obey on_error.

Every case runs on both paths: in-process (small files) and through the parse worker.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import loadmaster
from loadmaster.errors import InvalidRequestError
from loadmaster.instance import Instance
from loadmaster.jobs.row_errors import delete_job_errors, read_job_errors
from loadmaster.models import Role, User

# Lines: 1 header, 2-3 a quoted CRLF cell, 4 short, 5 long, 6 empty id, 7 fine, 8 bad byte,
# 9 fine, 10 an unterminated quote swallowing 11 and 12.
SOURCE = (
    b'id,name,note\r\n1,a,"multi\r\nline"\r\n2,b\r\n3,c,d,e\r\n,empty,x\r\n6,f,x\r\n'
    b'7,caf\xe9,x\r\n8,h,x\r\n9,"open\r\n10,z,y\r\n11,q,r\r\n'
)
ERRORS = [
    {"line": 4, "column": "note", "reason": "too few fields", "value": "2,b"},
    {"line": 5, "column": None, "reason": "too many fields", "value": "e"},
    {"line": 6, "column": "id", "reason": "empty primary key", "value": ""},
    {"line": 8, "column": "name", "reason": "invalid bytes for the encoding", "value": "caf\ufffd"},
    {
        "line": 10,
        "column": "name",
        "reason": "unterminated quote",
        "value": "open\r\n10,z,y\r\n11,q,r\r\n",
    },
]
BOB = User(
    username="bob",
    role=Role(
        role="loader",
        id="loader",
        permission={
            "super_user": False,
            "data": {
                "tables": {
                    "t": {
                        "read": True,
                        "insert": True,
                        "update": True,
                        "delete": False,
                        "attribute_permissions": [],
                    }
                }
            },
        },
    ),
)


@pytest.fixture(params=["in_process", "worker"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Instance]:
    threshold = 0 if request.param == "worker" else -1
    with loadmaster.open(
        tmp_path / "d",
        admin_password="pw",
        parallel_load_min_bytes=threshold,
        file_roots=str(tmp_path),  # the non-super user's loads read the test's files
    ) as db:
        db.operation({"operation": "create_table", "table": "t", "primary_key": "id"})
        yield db


@pytest.fixture
def serial(tmp_path: Path) -> Iterator[Instance]:
    with loadmaster.open(tmp_path / "s", admin_password="pw", parallel_load_min_bytes=-1) as db:
        db.operation({"operation": "create_table", "table": "t", "primary_key": "id"})
        yield db


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "bad.csv"
    path.write_bytes(SOURCE)
    return path


def run(db: Instance, user: User | None = None, **body: Any) -> dict[str, Any]:
    answer = db.operation({"table": "t", **body}, user=user)
    assert answer["message"] == f"Starting job with id {answer['job_id']}"
    db.wait_for_job(answer["job_id"], timeout=60)
    (record,) = db.operation({"operation": "get_job", "id": answer["job_id"]}, user=user)
    return dict(record)


def ids(db: Instance) -> list[Any]:
    found = db.operation(
        {
            "operation": "search_by_value",
            "table": "t",
            "search_attribute": "id",
            "search_value": "*",
        }
    )
    return sorted((r["id"] for r in found), key=lambda v: (type(v).__name__, v))


def test_continue_loads_what_harperdb_loads_and_reports_every_fault(
    db: Instance, source: Path
) -> None:
    record = run(db, operation="csv_file_load", file_path=str(source))
    assert record["status"] == "COMPLETE"
    assert record["message"] == "successfully loaded 8 of 8 records"
    assert (record["error_count"], record["rejected"]) == (5, 0)
    assert record["errors"] == ERRORS
    assert ids(db) == [1, 2, 3, 6, 7, 8, 9, ""]
    assert "warnings" not in record


def test_skip_leaves_faulty_rows_out_and_reads_on(db: Instance, source: Path) -> None:
    record = run(db, operation="csv_file_load", file_path=str(source), on_error="skip")
    assert record["message"] == "successfully loaded 5 of 5 records"
    assert (record["error_count"], record["rejected"]) == (5, 5)
    assert ids(db) == [1, 6, 8, 10, 11]


def test_abort_ends_error_naming_the_line_and_what_was_loaded(db: Instance, source: Path) -> None:
    record = run(db, operation="csv_file_load", file_path=str(source), on_error="abort")
    assert record["status"] == "ERROR"
    assert record["message"] == (
        "Load aborted at line 4: too few fields (column 'note'); 1 records were already loaded"
    )
    assert record["errors"] == ERRORS[:1]
    assert ids(db) == [1]


def test_max_errors_ends_error_once_passed(db: Instance, source: Path) -> None:
    record = run(
        db, operation="csv_file_load", file_path=str(source), on_error="skip", max_errors=2
    )
    assert record["status"] == "ERROR"
    assert record["message"] == (
        "Load aborted: more than 2 rows were rejected, the last at line 6: empty primary key "
        "(column 'id'); 1 records were already loaded"
    )
    assert record["rejected"] == 3


def test_validate_only_reads_everything_and_writes_nothing(db: Instance, source: Path) -> None:
    record = run(db, operation="csv_file_load", file_path=str(source), validate_only=True)
    assert record["status"] == "COMPLETE"
    assert record["message"] == "validated 10 records, 5 with errors"
    assert (record["error_count"], record["rejected"]) == (5, 5)
    assert record["errors"] == ERRORS
    assert ids(db) == []


def test_clean_load_shows_zero_faults(serial: Instance, tmp_path: Path) -> None:
    path = tmp_path / "clean.csv"
    path.write_text("id,v\n1,a\n2,b\n")
    record = run(serial, operation="csv_file_load", file_path=str(path))
    assert record["message"] == "successfully loaded 2 of 2 records"
    assert (record["error_count"], record["rejected"], record["errors"]) == (0, 0, [])


def test_data_load_drops_extra_cells_as_file_loads_do(serial: Instance) -> None:
    data = SOURCE.decode("utf-8", "replace")
    record = run(serial, operation="csv_data_load", data=data, on_error="continue")
    assert record["message"] == "successfully loaded 8 of 8 records"
    # A text in the request has no bytes to be invalid.
    assert record["errors"] == [e for e in ERRORS if e["line"] != 8]
    (three,) = serial.operation({"operation": "search_by_id", "table": "t", "ids": [3]})
    assert "__parsed_extra" not in three
    assert three["note"] == "d"
    skipped = run(serial, operation="csv_data_load", data="id,v\n20,a,b\n21,c\n", on_error="skip")
    assert skipped["message"] == "successfully loaded 1 of 1 records"
    aborted = run(serial, operation="csv_data_load", data="id,v\n30,a\n31\n", on_error="abort")
    assert aborted["message"] == (
        "Load aborted at line 3: too few fields (column 'v'); 0 records were already loaded"
    )
    assert 30 not in ids(serial)


def test_get_job_errors_pages_in_line_order_and_hides_other_users_jobs(
    db: Instance, source: Path
) -> None:
    record = run(db, operation="csv_file_load", file_path=str(source))
    page = db.operation(
        {"operation": "get_job_errors", "id": record["id"], "offset": 1, "limit": 2}
    )
    assert page == {"errors": ERRORS[1:3], "total": 5}
    everything = db.operation({"operation": "get_job_errors", "id": record["id"]})
    assert everything == {"errors": ERRORS, "total": 5}
    hidden = db.operation({"operation": "get_job_errors", "id": record["id"]}, user=BOB)
    assert hidden == {"errors": [], "total": 0}
    own = run(db, user=BOB, operation="csv_file_load", file_path=str(source), action="insert")
    mine = db.operation({"operation": "get_job_errors", "id": own["id"]}, user=BOB)
    assert mine["total"] == 5
    assert db.operation({"operation": "get_job_errors", "id": "nope"}) == {"errors": [], "total": 0}


GET_JOB_ERRORS_REFUSALS = [
    ({}, "'id' is required"),
    ({"id": 5}, "'id' must be a job id (a non-empty string)"),
    ({"id": "x", "offset": -1}, "'offset' must be a non-negative integer"),
    ({"id": "x", "limit": 10**9}, "'limit' must be an integer from 1 to 1000"),
    ({"id": "x", "limit": 0}, "'limit' must be an integer from 1 to 1000"),
    ({"id": "x", "offset": "1"}, "'offset' must be a non-negative integer"),
]


def test_get_job_errors_refuses_bad_fields(serial: Instance) -> None:
    for body, error in GET_JOB_ERRORS_REFUSALS:
        with pytest.raises(InvalidRequestError) as caught:
            serial.operation({"operation": "get_job_errors", **body})
        assert (caught.value.message, caught.value.status_code) == (error, 400)


OPTION_REFUSALS = [
    ({"on_error": 5}, "'on_error' must be one of [continue, skip, abort]"),
    ({"on_error": "ignore"}, "'on_error' must be one of [continue, skip, abort]"),
    ({"on_error": "skip", "max_errors": -1}, "'max_errors' must be a non-negative integer"),
    ({"on_error": "skip", "max_errors": True}, "'max_errors' must be a non-negative integer"),
    ({"max_errors": 3}, "'max_errors' needs 'on_error': 'skip'"),
    ({"validate_only": "yes"}, "'validate_only' must be a boolean"),
]


def test_bad_options_are_refused_before_any_job(serial: Instance, source: Path) -> None:
    s3 = dict.fromkeys(("aws_access_key_id", "aws_secret_access_key", "bucket", "region"), "x")
    for fields, error in OPTION_REFUSALS:
        for body in (
            {"operation": "csv_file_load", "file_path": str(source)},
            {"operation": "csv_data_load", "data": "id\n1\n"},
            {"operation": "csv_url_load", "csv_url": "http://127.0.0.1:9/x.csv"},
            {"operation": "import_from_s3", "s3": {**s3, "key": "k.csv"}},
        ):
            with pytest.raises(InvalidRequestError) as caught:
                serial.operation({**body, "table": "t", **fields})
            assert caught.value.message == error
            assert caught.value.status_code == 400
    # The job system keeps running.
    assert run(serial, operation="csv_file_load", file_path=str(source))["status"] == "COMPLETE"


def test_unknown_fields_are_named_on_the_answer_and_the_record(
    serial: Instance, source: Path
) -> None:
    answer = serial.operation(
        {
            "operation": "csv_file_load",
            "table": "t",
            "file_path": str(source),
            "acton": "upsert",
            "hdb_user": {},
        }
    )
    warnings = ["unknown field 'acton' ignored", "unknown field 'hdb_user' ignored"]
    assert answer["warnings"] == warnings
    serial.wait_for_job(answer["job_id"], timeout=60)
    (record,) = serial.operation({"operation": "get_job", "id": answer["job_id"]})
    assert record["warnings"] == warnings
    # Any job operation, not only loads.
    export = serial.operation(
        {
            "operation": "export_local",
            "format": "json",
            "path": str(source.parent),
            "search_operation": {"operation": "sql", "sql": "select 1"},
            "formt": "csv",
        }
    )
    assert export["warnings"] == ["unknown field 'formt' ignored"]


def test_errors_are_deleted_with_their_job(serial: Instance, source: Path) -> None:
    first = run(serial, operation="csv_file_load", file_path=str(source))
    second = run(serial, operation="csv_file_load", file_path=str(source), validate_only=True)
    store = serial.store
    assert delete_job_errors(store, [first["id"]]) == 5
    assert read_job_errors(store, first["id"]) == []
    assert len(read_job_errors(store, second["id"])) == 5


def test_typed_columns_are_coerced_once_alike_on_both_paths(db: Instance, tmp_path: Path) -> None:
    db.operation(
        {
            "operation": "create_table",
            "table": "typed",
            "primary_key": "id",
            "attributes": [
                {"name": "id", "type": "Int"},
                {"name": "when", "type": "Date"},
                {"name": "n", "type": "Int"},
            ],
        }
    )
    path = tmp_path / "typed.csv"
    path.write_text("id,when,n\n1,2024-05-06T07:08:09Z,3000000000\n2,1700000000000,7\n")
    record = run(db, operation="csv_file_load", table="typed", file_path=str(path))
    assert record["message"] == "successfully loaded 2 of 2 records", record
    found = db.operation({"operation": "search_by_id", "table": "typed", "ids": [1, 2]})
    # The load's coercion only: a Date stays the ISO text it gives, an Int has no int32 bound.
    assert [(r["when"], r["n"]) for r in found] == [
        ("2024-05-06T07:08:09.000Z", 3000000000),
        ("2023-11-14T22:13:20.000Z", 7),
    ]
