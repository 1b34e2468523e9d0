"""The job runtime with real actors and real LMDB: outcomes, progress, shutdown, restart."""

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pykka
import pytest

from loadmaster.actors.job import JobActor
from loadmaster.actors.job_record import job_table
from loadmaster.actors.system import JobSystem
from loadmaster.errors import InvalidRequestError, PermissionDeniedError
from loadmaster.jobs.context import JobContext
from loadmaster.models import EMBEDDED_USER
from loadmaster.settings import Settings
from loadmaster.storage import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "data") as opened:
        yield opened


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data=tmp_path / "data", job_stop_grace=0.5)


@pytest.fixture
def jobs(store: Store, settings: Settings) -> Iterator[JobSystem]:
    system = JobSystem(store, settings)
    system.start()
    try:
        yield system
    finally:
        system.stop()


def submit(jobs: JobSystem, run: Any) -> str:
    return jobs.submit(type="test_job", user=EMBEDDED_USER, request={"x": 1}, run=run)


def test_string_result_completes_with_that_message(jobs: JobSystem) -> None:
    job_id = submit(jobs, lambda job: "all done")
    record = jobs.wait(job_id, 10)
    assert record is not None
    assert (record["status"], record["message"]) == ("COMPLETE", "all done")
    assert "result" not in record
    assert list(record)[:1] == ["id"]
    assert record["type"] == "test_job"


def test_other_result_completes_with_result(jobs: JobSystem) -> None:
    job_id = submit(jobs, lambda job: {"path": "/x"})
    record = jobs.wait(job_id, 10)
    assert record is not None
    assert record["message"] == f"Successfully completed job: {job_id}"
    assert record["result"] == {"path": "/x"}


def test_raising_job_ends_as_error(jobs: JobSystem) -> None:
    def boom(job: JobContext) -> str:
        raise ZeroDivisionError("division by zero")

    record = jobs.wait(submit(jobs, boom), 10)
    assert record is not None
    assert (record["status"], record["message"]) == ("ERROR", "division by zero")

    def refused(job: JobContext) -> str:
        raise PermissionDeniedError([], ["Attribute 'a' does not exist on 'd.t'"])

    record = jobs.wait(submit(jobs, refused), 10)
    assert record is not None
    assert record["message"] == {
        "error": PermissionDeniedError.GENERIC,
        "unauthorized_access": [],
        "invalid_schema_items": ["Attribute 'a' does not exist on 'd.t'"],
    }


def test_progress_is_visible_while_running(jobs: JobSystem) -> None:
    reported = threading.Event()
    release = threading.Event()

    def slow(job: JobContext) -> str:
        job.progress(processed=10, total=100)
        reported.set()
        assert release.wait(10)
        job.progress(processed=100)
        return "ok"

    job_id = submit(jobs, slow)
    assert reported.wait(10)
    running = jobs.get(job_id)
    assert running is not None
    assert running["status"] == "IN_PROGRESS"
    assert list(running)[:6] == [
        "id",
        "type",
        "start_datetime",
        "created_datetime",
        "status",
        "user",
    ]
    assert "message" not in running
    assert "end_datetime" not in running
    # The first report is relayed at once; the registry may be a message behind, so wait for it.
    release.set()
    record = jobs.wait(job_id, 10)
    assert record is not None
    assert (record["processed"], record["total"]) == (100, 100)


def test_shutdown_interrupts_running_jobs(store: Store, settings: Settings) -> None:
    started = threading.Event()
    hung_release = threading.Event()

    def cooperative(job: JobContext) -> str:
        started.set()
        while True:
            job.progress(processed=1)
            job.cancelled.wait(0.01)

    def hung(job: JobContext) -> str:
        hung_release.wait(30)
        return "too late"

    system = JobSystem(store, settings)
    system.start()
    try:
        first = submit(system, cooperative)
        second = submit(system, hung)
        assert started.wait(10)
    finally:
        system.stop()
    # The hung job outlived the shutdown; let it finish so that no actor is left behind.
    hung_release.set()
    for ref in pykka.ActorRegistry.get_by_class(JobActor):
        ref.stop(block=True, timeout=10)
    table = job_table(store)
    for job_id in (first, second):
        (record,) = table.get([job_id])
        assert record["status"] == "ERROR"
        assert record["message"] == (
            "Job was interrupted: the server shut down before it finished. Rerun the operation."
        )
        assert record["request"] is None


def test_restart_settles_unfinished_jobs(store: Store, settings: Settings) -> None:
    table = job_table(store)
    table.write(
        [
            {"id": "a", "status": "IN_PROGRESS", "type": "csv_file_load", "start_datetime": 1},
            {"id": "b", "status": "CREATED", "type": "csv_file_load", "start_datetime": 2},
            {"id": "c", "status": "COMPLETE", "type": "csv_file_load", "message": "fine"},
        ],
        "insert",
    )
    system = JobSystem(store, settings)
    system.start()
    try:
        for job_id in ("a", "b"):
            record = system.get(job_id)
            assert record is not None
            assert record["status"] == "ERROR"
            assert record["message"].startswith("Job was interrupted: ")
            assert record["message"].endswith(". Rerun the operation.")
        done = system.get("c")
        assert done is not None
        assert done["message"] == "fine"
    finally:
        system.stop()


def test_get_job_id_checks(tmp_path: Path) -> None:
    import loadmaster
    from loadmaster.errors import ServerError

    with loadmaster.open(tmp_path / "other", admin_password="x") as db:
        with pytest.raises(InvalidRequestError, match="'id' is required"):
            db.operation({"operation": "get_job"})
        for bad in (None, ""):
            with pytest.raises(ServerError, match=r"Invalid job ID specified\."):
                db.operation({"operation": "get_job", "id": bad})
        with pytest.raises(ServerError, match=r"there was an error searching for jobs\.  Please"):
            db.operation({"operation": "get_job", "id": [1]})
        assert db.operation({"operation": "get_job", "id": 5}) == []
        assert db.operation({"operation": "get_job", "id": "nope"}) == []


def test_search_jobs_by_start_date(tmp_path: Path) -> None:
    import loadmaster
    from loadmaster.errors import ServerError

    with loadmaster.open(tmp_path / "other", admin_password="x") as db:
        db.operation({"operation": "create_table", "table": "t", "primary_key": "id"})
        ids = []
        for n in range(3):
            answer = db.operation(
                {"operation": "csv_data_load", "table": "t", "data": f"id\n{n}\n"}
            )
            ids.append(answer["job_id"])
            db.wait_for_job(answer["job_id"], 10)
        rows = db.operation(
            {"operation": "search_jobs_by_start_date", "from_date": "2000-01-01", "to_date": "3000"}
        )
        assert [r["id"] for r in rows] == ids
        assert list(rows[0]) == [
            "id",
            "created_datetime",
            "end_datetime",
            "message",
            "start_datetime",
            "status",
            "type",
            "user",
            "start_datetime_converted",
            "end_datetime_converted",
        ]
        assert rows[0]["start_datetime_converted"].endswith("Z")
        first = rows[0]["start_datetime"]
        from loadmaster.formats.dates import to_iso_utc

        exclusive = db.operation(
            {
                "operation": "search_jobs_by_start_date",
                "from_date": to_iso_utc(first),
                "to_date": "3000",
            }
        )
        assert first not in [r["start_datetime"] for r in exclusive]
        with pytest.raises(ServerError) as caught:
            db.operation(
                {"operation": "search_jobs_by_start_date", "from_date": "x", "to_date": "2"}
            )
        assert caught.value.message == (
            "There was an error searching jobs by date: Error: Invalid 'from' date, "
            "must be in ISO-8601 format (YYYY-MM-DD)."
        )
        with pytest.raises(ServerError) as caught:
            db.operation(
                {"operation": "search_jobs_by_start_date", "from_date": "2020", "to_date": 5}
            )
        assert caught.value.message.endswith("'to' date, must be in ISO-8601 format (YYYY-MM-DD)")


def test_jobs_beyond_the_limit_wait_their_turn(store: Store, tmp_path: Path) -> None:
    settings = Settings(data=tmp_path / "data", job_stop_grace=0.5, max_running_jobs=1)
    release = threading.Event()
    started: list[str] = []

    def first(job: JobContext) -> str:
        started.append("first")
        assert release.wait(10)
        return "first done"

    def second(job: JobContext) -> str:
        started.append("second")
        return "second done"

    system = JobSystem(store, settings)
    system.start()
    try:
        one, two = submit(system, first), submit(system, second)
        queued = system.get(two)
        assert queued is not None
        # Issue 12: a job waiting for a slot is CREATED, first in line, not yet started.
        assert queued["status"] == "CREATED"
        assert queued["queue_position"] == 1
        assert "start_datetime" not in queued
        assert started in ([], ["first"])  # the second may not start while the first runs
        release.set()
        record = system.wait(two, 10)
        assert record is not None
        assert record["message"] == "second done"
        assert "queue_position" not in record
        assert record["start_datetime"] >= record["created_datetime"]
        assert started == ["first", "second"]
        done = system.get(one)
        assert done is not None
        assert done["message"] == "first done"
    finally:
        release.set()
        system.stop()


def test_shutdown_settles_queued_jobs(store: Store, tmp_path: Path) -> None:
    settings = Settings(data=tmp_path / "data", job_stop_grace=0.5, max_running_jobs=1)
    running = threading.Event()

    def blocker(job: JobContext) -> str:
        running.set()
        job.cancelled.wait(10)
        job.check_cancelled()
        return "unreachable"

    system = JobSystem(store, settings)
    system.start()
    try:
        submit(system, blocker)
        assert running.wait(10)
        waiting = submit(system, lambda job: "never ran")
    finally:
        system.stop()
    (record,) = job_table(store).get([waiting])
    assert record["status"] == "ERROR"
    assert record["message"].startswith("Job was interrupted: the server shut down")


def test_a_record_that_cannot_be_written_fails_the_submit_as_harperdb_words_it() -> None:
    import asyncio
    from concurrent.futures import Future

    from loadmaster.errors import ServerError, ServiceUnavailableError
    from loadmaster.operations.deferred import Submitted

    failed: Future[None] = Future()
    failed.set_exception(OSError("disk full"))
    with pytest.raises(ServerError, match="There was an error executing job: disk full"):
        Submitted("x", failed, 1.0).wait()
    with pytest.raises(ServerError, match="There was an error executing job: disk full"):
        asyncio.run(Submitted("x", failed, 1.0).wait_async())
    with pytest.raises(ServiceUnavailableError):
        Submitted("x", Future(), 0.01).wait()
    done: Future[None] = Future()
    done.set_result(None)
    submitted = Submitted("abc", done, 1.0)
    submitted.wait()
    assert submitted.answer == {"message": "Starting job with id abc", "job_id": "abc"}
