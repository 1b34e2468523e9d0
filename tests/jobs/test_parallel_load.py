"""CSV loads through the parse worker process give exactly what in-process loads give."""

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import loadmaster
from loadmaster.instance import Instance
from loadmaster.jobs.context import JobCancelledError
from loadmaster.jobs.parallel_load import BATCH_ROWS, WorkerError, commit_batches
from tests.conftest import run_job
from tests.remote_fixtures import make_job


def everything(db: Instance, table: str) -> list[str]:
    found = db.operation(
        {
            "operation": "search_by_value",
            "table": table,
            "search_attribute": "id",
            "search_value": "*",
        }
    )
    return sorted(
        repr(sorted((k, v) for k, v in r.items() if not k.startswith("__"))) for r in found
    )


@pytest.fixture
def worker_db(tmp_path: Path) -> Iterator[Instance]:
    with loadmaster.open(tmp_path / "w", admin_password="pw", parallel_load_min_bytes=0) as db:
        yield db


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "sample.csv"
    rows = ["id,name,score,ok,blob,extra"]
    # 50,000 rows: three full worker batches (parallel_load.BATCH_ROWS) and a partial one.
    rows += [
        f'{i},"n {i}, with ""quotes""\nand a newline",{i / 3},{"true" if i % 2 else "FALSE"},'
        f'"{{""k"": {i}}}",{"" if i % 5 else "007"}'
        for i in range(1, 50_001)
    ]
    rows.append("50001,short")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_worker_load_equals_in_process_load(
    worker_db: Instance, sample: Path, tmp_path: Path
) -> None:
    assert 3 * BATCH_ROWS < 50_000  # the sample crosses several batch boundaries
    worker_db.operation({"operation": "create_table", "table": "t", "primary_key": "id"})
    record = run_job(worker_db, operation="csv_file_load", table="t", file_path=str(sample))
    assert record["status"] == "COMPLETE", record
    assert record["message"] == "successfully loaded 50001 of 50001 records"
    with loadmaster.open(tmp_path / "s", admin_password="pw", parallel_load_min_bytes=-1) as serial:
        serial.operation({"operation": "create_table", "table": "t", "primary_key": "id"})
        expected = run_job(serial, operation="csv_file_load", table="t", file_path=str(sample))
        assert expected["message"] == record["message"]
        assert everything(worker_db, "t") == everything(serial, "t")
        described = worker_db.operation({"operation": "describe_table", "table": "t"})
        assert [a["attribute"] for a in described["attributes"]] == [
            a["attribute"]
            for a in serial.operation({"operation": "describe_table", "table": "t"})["attributes"]
        ]
    (one,) = worker_db.operation({"operation": "search_by_id", "table": "t", "ids": [5]})
    assert one["blob"] == {"k": 5}
    assert one["extra"] == "007"
    found = worker_db.operation(
        {
            "operation": "search_by_conditions",
            "table": "t",
            "conditions": [
                {"search_attribute": "score", "search_type": "between", "search_value": [10, 11]}
            ],
            "get_attributes": ["id"],
        }
    )
    assert sorted(r["id"] for r in found) == [30, 31, 32, 33]


def test_worker_load_skips_existing_and_updates(worker_db: Instance, tmp_path: Path) -> None:
    worker_db.operation({"operation": "create_table", "table": "t", "primary_key": "id"})
    worker_db.operation({"operation": "insert", "table": "t", "records": [{"id": 2, "v": "old"}]})
    path = tmp_path / "a.csv"
    path.write_text("id,v\n1,a\n2,b\n3,c\n")
    record = run_job(worker_db, operation="csv_file_load", table="t", file_path=str(path))
    assert record["message"] == "successfully loaded 2 of 3 records"
    path.write_text("id,v\n2,new\n9,none\n")
    record = run_job(
        worker_db, operation="csv_file_load", table="t", file_path=str(path), action="update"
    )
    assert record["message"] == "successfully loaded 1 of 2 records"
    path.write_text("v\nno id\n")
    record = run_job(worker_db, operation="csv_file_load", table="t", file_path=str(path))
    assert record["message"] == "successfully loaded 1 of 1 records"
    values = sorted(
        str(r.get("v"))
        for r in worker_db.operation(
            {
                "operation": "search_by_value",
                "table": "t",
                "search_attribute": "id",
                "search_value": "*",
            }
        )
    )
    assert values == ["a", "c", "new", "no id"]


def test_worker_load_reports_a_bad_header_and_writes_nothing(
    worker_db: Instance, tmp_path: Path
) -> None:
    worker_db.operation({"operation": "create_table", "table": "t", "primary_key": "id"})
    path = tmp_path / "bad.csv"
    path.write_text("id,a/b\n1,2\n")
    record = run_job(worker_db, operation="csv_file_load", table="t", file_path=str(path))
    assert (record["status"], record["message"]) == (
        "ERROR",
        "Invalid column name 'a/b', cancelling load operation",
    )
    assert worker_db.operation({"operation": "describe_table", "table": "t"})["record_count"] == 0


def test_cancelling_a_worker_load_stops_it(tmp_path: Path) -> None:
    with loadmaster.open(tmp_path / "d", admin_password="pw") as db:
        db.operation({"operation": "create_table", "table": "t", "primary_key": "id"})
        job = make_job(db.store)
        release = threading.Event()

        def stalled() -> Iterator[bytes]:
            yield b"id,name\n1,a\n"
            release.wait(30)

        commits = commit_batches(job, stalled(), db="data", table="t", action="insert")
        job.cancelled.set()
        with pytest.raises(JobCancelledError):
            next(commits)
        release.set()
        assert db.store.table("data", "t").record_count() == 0


def _parse_workers() -> list[int]:
    """Return the pids of this process's parse workers (children running the module)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == os.getpid() and b"loadmaster.jobs.parse_worker" in cmdline:
            found.append(int(entry.name))
    return found


def test_a_worker_that_dies_ends_the_job_as_error(tmp_path: Path) -> None:
    with loadmaster.open(tmp_path / "d", admin_password="pw") as db:
        db.operation({"operation": "create_table", "table": "t", "primary_key": "id"})
        job = make_job(db.store)
        fed = threading.Event()
        release = threading.Event()

        def stalled() -> Iterator[bytes]:
            yield b"id,name\n1,a\n"
            fed.set()
            release.wait(30)

        commits = commit_batches(job, stalled(), db="data", table="t", action="insert")
        outcome: list[BaseException] = []

        def drive() -> None:
            try:
                list(commits)
            except BaseException as exc:  # noqa: BLE001 - the test inspects it
                outcome.append(exc)

        driver = threading.Thread(target=drive)
        driver.start()
        try:
            assert fed.wait(30)
            (pid,) = _parse_workers()
            os.kill(pid, signal.SIGKILL)
            driver.join(30)
        finally:
            release.set()
            driver.join(30)
        (failure,) = outcome
        assert isinstance(failure, WorkerError)
        assert str(failure).startswith("The parse worker process exited unexpectedly")
        assert db.store.table("data", "t").record_count() == 0


def test_json_worker_load_equals_in_process_load(worker_db: Instance, tmp_path: Path) -> None:
    # NDJSON whose records do not share keys, with JSON held in strings (autocast), across
    # several worker batches; and an array (a .json source) through commit_batches itself.
    lines = [
        f'{{"id": {i}, "name": "n {i}", "blob": "{{\\"k\\": {i}}}"'
        + (f', "extra{i % 3}": {i / 4}' if i % 7 == 0 else "")
        + "}"
        for i in range(1, 40_001)
    ]
    path = tmp_path / "rows.ndjson"
    path.write_text("\n".join(lines) + "\n")
    assert len(lines) > 2 * BATCH_ROWS  # several batches
    worker_db.operation({"operation": "create_table", "table": "t", "primary_key": "id"})
    record = run_job(worker_db, operation="json_file_load", table="t", file_path=str(path))
    assert record["message"] == "successfully loaded 40000 of 40000 records"
    with loadmaster.open(tmp_path / "s", admin_password="pw", parallel_load_min_bytes=-1) as serial:
        serial.operation({"operation": "create_table", "table": "t", "primary_key": "id"})
        expected = run_job(serial, operation="json_file_load", table="t", file_path=str(path))
        assert expected["message"] == record["message"]
        assert everything(worker_db, "t") == everything(serial, "t")
    (one,) = worker_db.operation({"operation": "search_by_id", "table": "t", "ids": [14]})
    assert (one["blob"], one["extra2"]) == ({"k": 14}, 3.5)
    worker_db.operation({"operation": "create_table", "table": "a", "primary_key": "id"})
    job = make_job(worker_db.store)
    commits = commit_batches(
        job,
        [b'[{"id": 1, "v": "x"},\n {"id": 2, "v": "y"}]'],
        db="data",
        table="a",
        action="insert",
        source_format="json",
        array_only=True,
    )
    assert list(commits) == [(2, 2)]
    assert everything(worker_db, "a") == [
        repr([("id", 1), ("v", "x")]),
        repr([("id", 2), ("v", "y")]),
    ]
