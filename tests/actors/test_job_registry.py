"""The registry never stops on a failed write: disk full, a poison record, a full disk at start."""

import errno
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from loadmaster.actors.job_index import JobFilter
from loadmaster.actors.job_record import job_table
from loadmaster.actors.system import JobSystem
from loadmaster.jobs.context import JobContext
from loadmaster.models import EMBEDDED_USER
from loadmaster.settings import Settings
from loadmaster.storage import Store, Table

ENOSPC = "[Errno 28] No space left on device"


class FailingJobWrites:
    """Make writes to ``system.hdb_job`` fail while ``full`` is set (or ``once`` more times)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.full = threading.Event()
        self.once = 0
        self.failed = 0
        self.written = threading.Condition()
        self.writes = 0
        original = Table.write
        outer = self

        def write(
            table: Table, records: Sequence[Mapping[str, Any]], action: Any, **kw: Any
        ) -> Any:
            if table.name == "hdb_job" and (outer.full.is_set() or outer.once > 0):
                outer.once = max(0, outer.once - 1)
                outer.failed += 1
                raise OSError(errno.ENOSPC, "No space left on device")
            result = original(table, records, action, **kw)
            if table.name == "hdb_job":
                with outer.written:
                    outer.writes += 1
                    outer.written.notify_all()
            return result

        monkeypatch.setattr(Table, "write", write)

    def wait_until(self, written: Callable[[], bool], timeout: float = 10) -> None:
        """Wait until ``written()`` is true, checking after each successful job-record write."""
        with self.written:
            assert self.written.wait_for(written, timeout)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "data") as opened:
        yield opened


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data=tmp_path / "data", job_stop_grace=0.5)


@pytest.fixture
def disk(monkeypatch: pytest.MonkeyPatch) -> FailingJobWrites:
    return FailingJobWrites(monkeypatch)


@pytest.fixture
def jobs(store: Store, settings: Settings, disk: FailingJobWrites) -> Iterator[JobSystem]:
    system = JobSystem(store, settings)
    system.start()
    try:
        yield system
    finally:
        system.stop()


def _start(jobs: JobSystem, run: Any, request: dict[str, Any] | None = None) -> tuple[str, Any]:
    return jobs.start_job(type="test_job", user=EMBEDDED_USER, request=request or {}, run=run)


def test_a_write_that_fails_once_fails_that_submit_only(
    jobs: JobSystem, store: Store, disk: FailingJobWrites
) -> None:
    ran = threading.Event()

    def job(_: JobContext) -> str:
        return "ran"

    def never(_: JobContext) -> str:
        ran.set()
        return "should not run"

    disk.once = 1
    failed_id, failed = _start(jobs, never)
    with pytest.raises(OSError, match="No space left on device"):
        failed.result(timeout=10)
    # The next submit is written and runs, and the failed one is settled, never run.
    done = jobs.wait(jobs.submit(type="test_job", user=EMBEDDED_USER, request={}, run=job), 10)
    assert done is not None
    assert done["message"] == "ran"
    record = jobs.wait(failed_id, 10)
    assert record is not None
    assert record["status"] == "ERROR"
    assert record["message"] == (
        f"There was an error running test_job job with id {failed_id} - {ENOSPC}"
    )
    (stored,) = job_table(store).get([failed_id])
    assert stored["status"] == "ERROR"
    assert stored.get("request") is None
    assert not ran.is_set()


def test_a_full_disk_fails_submits_until_space_is_freed_and_then_retries_alone(
    jobs: JobSystem, store: Store, disk: FailingJobWrites
) -> None:
    release = threading.Event()
    running = threading.Event()

    def long(job: JobContext) -> str:
        running.set()
        assert release.wait(10)
        job.progress(processed=5)
        return "long done"

    long_id = jobs.submit(type="test_job", user=EMBEDDED_USER, request={}, run=long)
    assert running.wait(10)
    disk.full.set()
    for _ in range(3):
        _, future = _start(jobs, lambda _: "never")
        with pytest.raises(OSError):
            future.result(timeout=10)
    # The running job ends while the disk is full: its end is shown, and kept to be written.
    release.set()
    record = jobs.wait(long_id, 10)
    assert record is not None
    assert record["status"] == "COMPLETE"
    assert job_table(store).get([long_id])[0]["status"] == "IN_PROGRESS"
    # Space is freed: the registry writes what it kept on its own (no message needed) ...
    disk.full.clear()
    disk.wait_until(lambda: job_table(store).get([long_id])[0]["status"] == "COMPLETE")
    # ... and submits work again, without a restart.
    job_id = jobs.submit(type="test_job", user=EMBEDDED_USER, request={}, run=lambda _: "ok")
    done = jobs.wait(job_id, 10)
    assert done is not None
    assert done["message"] == "ok"
    assert disk.failed >= 3


def test_a_record_that_cannot_be_encoded_is_stored_as_text_and_others_are_written(
    jobs: JobSystem, store: Store, disk: FailingJobWrites
) -> None:
    poison = jobs.submit(
        type="test_job", user=EMBEDDED_USER, request={}, run=lambda _: {"n": 1 << 70}
    )
    fine = jobs.submit(type="test_job", user=EMBEDDED_USER, request={}, run=lambda _: "fine")
    for job_id in (poison, fine):
        assert jobs.wait(job_id, 10) is not None
    table = job_table(store)
    disk.wait_until(lambda: all(r["status"] == "COMPLETE" for r in table.get([poison, fine])))
    (stored,) = table.get([poison])
    assert stored["status"] == "COMPLETE"
    assert stored["result"] == {"n": str(1 << 70)}
    after = jobs.submit(type="test_job", user=EMBEDDED_USER, request={}, run=lambda _: "after")
    record = jobs.wait(after, 10)
    assert record is not None
    assert record["message"] == "after"


def test_start_on_a_full_disk_settles_in_memory_and_writes_once_space_is_freed(
    store: Store, settings: Settings, disk: FailingJobWrites
) -> None:
    table = job_table(store)
    table.write(
        [{"id": "a", "status": "IN_PROGRESS", "type": "csv_file_load", "user": "u"}], "insert"
    )
    disk.full.set()
    system = JobSystem(store, settings)
    system.start()
    try:
        record = system.get("a")
        assert record is not None
        assert record["status"] == "ERROR"
        assert record["message"].startswith("Job was interrupted: ")
        assert table.get(["a"])[0]["status"] == "IN_PROGRESS"
        disk.full.clear()
        disk.wait_until(lambda: table.get(["a"])[0]["status"] == "ERROR")
        job_id = system.submit(type="test_job", user=EMBEDDED_USER, request={}, run=lambda _: "x")
        assert system.wait(job_id, 10) is not None
    finally:
        system.stop()


def test_finished_records_past_retention_are_deleted_at_start(store: Store, tmp_path: Path) -> None:
    from loadmaster.actors.job_record import now_ms

    day = 86_400_000
    table = job_table(store)
    table.write(
        [
            {
                "id": "old",
                "status": "ERROR",
                "type": "t",
                "user": "u",
                "end_datetime": now_ms() - 31 * day,
            },
            {
                "id": "new",
                "status": "COMPLETE",
                "type": "t",
                "user": "u",
                "end_datetime": now_ms() - day,
            },
        ],
        "insert",
    )
    keep = JobSystem(store, Settings(data=tmp_path / "data", job_retention_days=0))
    keep.start()
    try:
        assert keep.get("old") is not None
    finally:
        keep.stop()
    system = JobSystem(store, Settings(data=tmp_path / "data", job_retention_days=30))
    system.start()
    try:
        assert system.get("old") is None
        assert system.get("new") is not None
        page, _ = system.search_page(JobFilter(), descending=True, after=None, limit=10)
        assert [job["id"] for job in page] == ["new"]
    finally:
        system.stop()


def test_progress_shows_percent_rate_and_time_left(jobs: JobSystem) -> None:
    step = threading.Event()
    reported = threading.Event()

    def counted(job: JobContext) -> str:
        job.progress(processed=0, total=1000)
        for done in (250, 500):
            assert step.wait(10)
            step.clear()
            job._reported_at = 0.0  # relay every report: the test drives the pace
            job.progress(processed=done)
            reported.set()
        assert step.wait(10)
        return "counted"

    job_id = jobs.submit(type="test_job", user=EMBEDDED_USER, request={}, run=counted)
    for _ in range(2):
        step.set()
        assert reported.wait(10)
        reported.clear()
    record = None
    while record is None or record.get("processed") != 500:
        change = jobs.next_change(job_id)
        record = jobs.get(job_id)
        if record is not None and record.get("processed") != 500:
            change.result(timeout=10)
    assert record["total"] == 1000
    assert record["percent"] == 50.0
    assert record["rate"] > 0
    assert record["eta_seconds"] >= 0
    step.set()
    done = jobs.wait(job_id, 10)
    assert done is not None
    assert done["percent"] == 100.0
    assert "rate" not in done
    assert "eta_seconds" not in done


def test_a_job_end_is_written_with_no_other_message_and_found_after_a_restart(
    store: Store, settings: Settings, disk: FailingJobWrites
) -> None:
    table = job_table(store)
    system = JobSystem(store, settings)
    system.start()
    try:
        job_id = system.submit(type="test_job", user=EMBEDDED_USER, request={}, run=lambda _: "ok")
        # Answered only once on disk; its end follows when the changes have settled.
        assert table.get([job_id])[0]["status"] in ("IN_PROGRESS", "COMPLETE")
        disk.wait_until(lambda: table.get([job_id])[0]["status"] == "COMPLETE")
    finally:
        system.stop()
    again = JobSystem(store, settings)
    again.start()
    try:
        record = again.get(job_id)
        assert record is not None
        assert (record["status"], record["message"]) == ("COMPLETE", "ok")
    finally:
        again.stop()
