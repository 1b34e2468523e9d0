"""The in-memory job index: pages in creation order, filters, cursors, changes."""

from loadmaster.actors.job_index import JobFilter, JobIndex
from loadmaster.actors.job_record import JobRecord


def _record(
    n: int, status: str = "COMPLETE", kind: str = "csv_file_load", user: str = "a"
) -> JobRecord:
    return JobRecord(
        id=f"job-{n:03}", type=kind, user=user, status=status, created_datetime=1000 + n
    )


def test_pages_follow_creation_order_both_ways_without_repeats() -> None:
    index = JobIndex()
    for n in range(10):
        index.put(_record(n))
    first, cursor = index.page(JobFilter(), descending=True, after=None, limit=4)
    assert first == ["job-009", "job-008", "job-007", "job-006"]
    index.put(_record(50))  # a new job: not on later pages of this walk
    second, cursor = index.page(JobFilter(), descending=True, after=cursor, limit=4)
    assert second == ["job-005", "job-004", "job-003", "job-002"]
    last, cursor = index.page(JobFilter(), descending=True, after=cursor, limit=4)
    assert (last, cursor) == (["job-001", "job-000"], None)
    ascending, _ = index.page(JobFilter(), descending=False, after=None, limit=3)
    assert ascending == ["job-000", "job-001", "job-002"]


def test_filters_and_status_changes() -> None:
    index = JobIndex()
    for n in range(6):
        index.put(_record(n, status="ERROR" if n % 2 else "COMPLETE", user="b" if n > 3 else "a"))
    errors = JobFilter(statuses=frozenset({"ERROR"}))
    assert index.page(errors, descending=False, after=None, limit=10)[0] == [
        "job-001",
        "job-003",
        "job-005",
    ]
    index.put(_record(1, status="COMPLETE"))
    assert index.page(errors, descending=False, after=None, limit=10)[0] == ["job-003", "job-005"]
    mine = JobFilter(user="b", from_ms=1005)
    assert index.page(mine, descending=False, after=None, limit=10)[0] == ["job-005"]
    index.remove("job-005")
    assert index.page(mine, descending=False, after=None, limit=10)[0] == []
    assert len(index) == 5


def test_bulk_load_matches_puts() -> None:
    rows = [
        {
            "id": f"job-{n:03}",
            "status": "COMPLETE",
            "type": "t",
            "user": "a",
            "created_datetime": 9 - n,
        }
        for n in range(5)
    ]
    index = JobIndex()
    index.load(rows)
    assert index.page(JobFilter(), descending=False, after=None, limit=10)[0] == [
        "job-004",
        "job-003",
        "job-002",
        "job-001",
        "job-000",
    ]
