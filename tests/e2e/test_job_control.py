"""Job control over real HTTP: cancel, the queue, search_jobs, delete_job, job_key, timeouts,
progress, long-poll and server-sent events (issue 12)."""

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pykka
import pytest

import loadmaster
from loadmaster.actors.job import JobActor
from loadmaster.instance import Instance
from loadmaster.jobs import csv_load, s3 as s3_job
from loadmaster.jobs.context import JobContext
from loadmaster.server.serve import BackgroundServer
from tests.conftest import ADMIN_AUTH, ADMIN_PASSWORD, basic
from tests.remote_fixtures import s3_admin, s3_request

pytestmark = pytest.mark.e2e
pytest_plugins = ["tests.remote_fixtures"]


def _post(http: httpx.Client, **body: Any) -> httpx.Response:
    return http.post("/", json=body)


def _submit(http: httpx.Client, **body: Any) -> str:
    response = _post(http, **body)
    assert response.status_code == 200, response.text
    job_id: str = response.json()["job_id"]
    return job_id


def _wait_for(instance: Instance, job_id: str, done: Callable[[dict[str, Any]], bool]) -> None:
    """Wait (on the job's change futures, no polling) until its record satisfies ``done``."""
    while True:
        change = instance.jobs.next_change(job_id)
        record = instance.jobs.get(job_id)
        assert record is not None
        if done(record):
            return
        change.result(timeout=30)


def _rows(path: Path, count: int, filler: int = 0) -> Path:
    pad = "x" * filler
    with path.open("w") as out:
        out.write("id,name,score\n")
        out.writelines(f"{n},name-{n}{pad},{n % 97}\n" for n in range(count))
    return path


class Gate:
    """Hold csv_data_load jobs until released; each records that it started."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, cooperative: bool = False) -> None:
        self.release = threading.Event()
        self.started: list[str] = []
        self.running = threading.Semaphore(0)
        original = csv_load.load_csv_text

        def held(job: JobContext, data: str, **kwargs: Any) -> str:
            self.started.append(job.job_id)
            self.running.release()
            if cooperative:
                while not self.release.is_set():
                    job.check_cancelled()
                    job.cancelled.wait(0.01)
            else:
                assert self.release.wait(30)
            return original(job, data, **kwargs)

        monkeypatch.setattr(csv_load, "load_csv_text", held)

    def wait_started(self, n: int = 1) -> None:
        for _ in range(n):
            assert self.running.acquire(timeout=30)


def _stop_leftover_actors() -> None:
    for ref in pykka.ActorRegistry.get_by_class(JobActor):
        ref.stop(block=True, timeout=30)


@pytest.fixture
def small_instance(tmp_path: Path) -> Iterator[Instance]:
    with loadmaster.open(
        tmp_path / "data", admin_password=ADMIN_PASSWORD, max_running_jobs=2, job_stop_grace=0.5
    ) as db:
        yield db


@pytest.fixture
def small_http(small_instance: Instance) -> Iterator[httpx.Client]:
    server = small_instance.serve("127.0.0.1", 0)
    with httpx.Client(
        base_url=server.url, headers={"authorization": ADMIN_AUTH}, timeout=60
    ) as client:
        yield client


def _metric(http: httpx.Client, name: str) -> float:
    for line in http.get("/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in /metrics")


def _table(http: httpx.Client, name: str = "t") -> None:
    assert _post(http, operation="create_table", table=name, primary_key="id").status_code == 200


# --- cancel ---------------------------------------------------------------------------------


def test_cancel_a_million_row_load_on_the_worker_path(
    instance: Instance, h1: httpx.Client, tmp_path: Path
) -> None:
    _table(h1, "big")
    path = _rows(tmp_path / "big.csv", 1_000_000)
    job_id = _submit(h1, operation="csv_file_load", table="big", file_path=str(path))
    _wait_for(instance, job_id, lambda r: r.get("processed", 0) > 0)
    answer = _post(h1, operation="cancel_job", id=job_id)
    assert (answer.status_code, answer.json()) == (200, {"message": f"Cancelling job {job_id}"})
    record = instance.wait_for_job(job_id, 60)
    assert record is not None
    assert record["status"] == "ERROR"
    assert record["cancelled"] is True
    assert record["cancelled_by"] == "HDB_ADMIN"
    loaded = record["processed"]
    assert 0 < loaded < 1_000_000
    assert record["message"] == f"Job was cancelled by HDB_ADMIN (after loading {loaded} records)"
    # What was committed before stays.
    described = _post(h1, operation="describe_table", table="big").json()
    assert described["record_count"] == loaded
    again = _post(h1, operation="cancel_job", id=job_id)
    assert (again.status_code, again.json()) == (
        409,
        {"error": f"Job {job_id} has already finished"},
    )


def test_cancel_an_export_to_s3_aborts_its_upload(
    instance: Instance,
    h1: httpx.Client,
    tmp_path: Path,
    moto_endpoint: str,
    s3_bucket: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _table(h1, "src")
    # Wide rows: more than one 8 MiB part, and progress checks after it, in few rows.
    path = _rows(tmp_path / "src.csv", 40_000, filler=300)
    load = _submit(h1, operation="csv_file_load", table="src", file_path=str(path))
    assert instance.wait_for_job(load, 60)["status"] == "COMPLETE"  # type: ignore[index]
    first_part = threading.Event()
    cancel_sent = threading.Event()
    original = s3_job._Upload.part

    def part(upload: Any, data: bytes) -> None:
        original(upload, data)
        first_part.set()
        assert cancel_sent.wait(30)

    monkeypatch.setattr(s3_job._Upload, "part", part)
    job_id = _submit(
        h1,
        operation="export_to_s3",
        format="json",
        s3=s3_request(s3_bucket, "out", endpoint_url=moto_endpoint),
        search_operation={
            "operation": "search_by_value",
            "table": "src",
            "search_attribute": "id",
            "search_value": "*",
        },
    )
    assert first_part.wait(30)
    assert _post(h1, operation="cancel_job", id=job_id).status_code == 200
    cancel_sent.set()
    record = instance.wait_for_job(job_id, 60)
    assert record is not None
    assert record["status"] == "ERROR"
    assert record["message"].startswith("Job was cancelled by HDB_ADMIN (after exporting ")
    admin = s3_admin(moto_endpoint)
    assert admin.list_objects_v2(Bucket=s3_bucket).get("KeyCount", 0) == 0
    assert admin.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []


def test_cancel_and_delete_follow_visibility(instance: Instance, h1: httpx.Client) -> None:
    _table(h1)
    _post(
        h1,
        operation="add_role",
        role="loader",
        permission={
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
            }
        },
    )
    _post(h1, operation="add_user", role="loader", username="ann", password="pw", active=True)
    admin_job = _submit(h1, operation="csv_data_load", table="t", data="id\n1\n")
    instance.wait_for_job(admin_job, 30)
    with httpx.Client(
        base_url=str(h1.base_url), headers={"authorization": basic("ann", "pw")}
    ) as ann:
        for operation in ("cancel_job", "delete_job"):
            refused = _post(ann, operation=operation, id=admin_job)
            assert (refused.status_code, refused.json()) == (
                404,
                {"error": f"Job {admin_job} not found"},
            )
        own = _submit(ann, operation="csv_data_load", table="t", data="id\n2\n")
        instance.wait_for_job(own, 30)
        page = _post(ann, operation="search_jobs").json()
        assert [job["id"] for job in page["jobs"]] == [own]
        assert _post(ann, operation="delete_job", id=own).json() == {
            "message": f"Job {own} deleted"
        }
        assert _post(ann, operation="get_job", id=own).json() == []
    missing = _post(h1, operation="cancel_job", id="nope")
    assert (missing.status_code, missing.json()) == (404, {"error": "Job nope not found"})
    assert _post(h1, operation="cancel_job").json() == {"error": "'id' is required"}


# --- the queue, timeouts, long-poll ---------------------------------------------------------


def test_jobs_above_the_limit_are_created_with_a_queue_position(
    small_instance: Instance, small_http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(monkeypatch)
    _table(small_http)
    try:
        ids = [
            _submit(small_http, operation="csv_data_load", table="t", data=f"id\n{n}\n")
            for n in range(5)
        ]
        gate.wait_started(2)
        records = [_post(small_http, operation="get_job", id=i).json()[0] for i in ids]
        assert [r["status"] for r in records] == ["IN_PROGRESS"] * 2 + ["CREATED"] * 3
        assert [r.get("queue_position") for r in records] == [None, None, 1, 2, 3]
        assert all("start_datetime" not in r for r in records[2:])
        assert _metric(small_http, "loadmaster_jobs_queued") == 3
        assert _metric(small_http, "loadmaster_jobs_running") == 2
        # A queued job can be cancelled; the ones behind it move up.
        assert _post(small_http, operation="cancel_job", id=ids[2]).status_code == 200
        cancelled = small_instance.wait_for_job(ids[2], 30)
        assert cancelled is not None
        assert cancelled["message"] == "Job was cancelled by HDB_ADMIN (after loading 0 records)"
        _wait_for(small_instance, ids[4], lambda r: r.get("queue_position") == 2)
        # Long-poll: answered when the job has finished, holding no thread meanwhile.
        with ThreadPoolExecutor(1) as pool:
            polled = pool.submit(_post, small_http, operation="get_job", id=ids[4], wait=60)
            gate.release.set()
            final = polled.result(timeout=60).json()[0]
        assert final["status"] == "COMPLETE"
        assert final["start_datetime"] >= final["created_datetime"]
        ended = [small_instance.wait_for_job(job_id, 30) for job_id in ids]
        # The supervisor starts queued jobs in their order (it stamps start_datetime as it
        # does); their threads then reach the gate in either order.
        assert gate.started[:2] == ids[:2]
        assert sorted(gate.started[2:]) == sorted([ids[3], ids[4]])
        assert ended[3] is not None
        assert ended[4] is not None
        assert ended[3]["start_datetime"] <= ended[4]["start_datetime"]
        assert _metric(small_http, "loadmaster_jobs_queued") == 0
        assert _metric(small_http, "loadmaster_jobs_running") == 0
        # A wait that is over answers the record as it is.
        short = _post(small_http, operation="get_job", id=ids[0], wait=0.01).json()
        assert short[0]["status"] == "COMPLETE"
        bad = _post(small_http, operation="get_job", id=ids[0], wait=61)
        assert (bad.status_code, bad.json()) == (
            400,
            {"error": "'wait' must be a number of seconds from 0 to 60"},
        )
    finally:
        gate.release.set()


def test_a_job_past_its_timeout_ends_error_and_a_hung_one_frees_its_slot(
    small_instance: Instance, small_http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    _table(small_http)
    cooperative = Gate(monkeypatch, cooperative=True)
    job_id = _submit(small_http, operation="csv_data_load", table="t", data="id\n1\n", timeout=0.2)
    record = small_instance.wait_for_job(job_id, 30)
    assert record is not None
    assert record["status"] == "ERROR"
    assert record["message"] == "Job exceeded its timeout of 0.2 s (after loading 0 records)"
    assert record["timeout"] == 0.2
    cooperative.release.set()  # the next gate wraps this one: let it through
    hung = Gate(monkeypatch)
    try:
        stuck = [
            _submit(small_http, operation="csv_data_load", table="t", data="id\n2\n", timeout=0.1)
            for _ in range(2)
        ]
        for job_id in stuck:
            record = small_instance.wait_for_job(job_id, 30)
            assert record is not None
            assert record["message"].startswith("Job exceeded its timeout of 0.1 s")
        # Both slots were held by hung jobs; they were freed, so a new job runs.
        hung.release.set()
        after = _submit(small_http, operation="csv_data_load", table="t", data="id\n3\n")
        done = small_instance.wait_for_job(after, 30)
        assert done is not None
        assert done["status"] == "COMPLETE"
    finally:
        hung.release.set()
        cooperative.release.set()
        _stop_leftover_actors()
    bad = _post(small_http, operation="csv_data_load", table="t", data="id\n1\n", timeout=-1)
    assert (bad.status_code, bad.json()) == (
        400,
        {"error": "'timeout' must be a positive number of seconds"},
    )


# --- search_jobs ----------------------------------------------------------------------------


def test_search_jobs_filters_and_pages_while_jobs_arrive(
    instance: Instance, h1: httpx.Client
) -> None:
    _table(h1)
    ok = [_submit(h1, operation="csv_data_load", table="t", data=f"id\n{n}\n") for n in range(5)]
    failed = _submit(h1, operation="csv_data_load", table="t", data="id\n1\n", action="update")
    gone = _submit(h1, operation="delete_records_before", table="nope", date="2020-01-01")
    for job_id in [*ok, failed, gone]:
        instance.wait_for_job(job_id, 30)
    errors = _post(h1, operation="search_jobs", status="ERROR").json()
    assert {j["id"] for j in errors["jobs"]} == {gone}
    by_type = _post(h1, operation="search_jobs", type=["delete_records_before"]).json()
    assert [j["id"] for j in by_type["jobs"]] == [gone]
    seen: list[str] = []
    page = _post(h1, operation="search_jobs", type="csv_data_load", limit=2).json()
    while True:
        seen += [j["id"] for j in page["jobs"]]
        # New jobs arriving meanwhile neither repeat nor hide older ones.
        _submit(h1, operation="csv_data_load", table="t", data="id\n99\n")
        if page["next"] is None:
            break
        page = _post(
            h1, operation="search_jobs", type="csv_data_load", limit=2, next=page["next"]
        ).json()
    assert seen == [failed, *reversed(ok)]
    ascending = _post(h1, operation="search_jobs", order="asc", limit=3).json()
    assert [j["id"] for j in ascending["jobs"]] == ok[:3]
    assert _post(h1, operation="search_jobs", table="t", database="data").json()["jobs"]
    assert _post(h1, operation="search_jobs", table="other").json() == {"jobs": [], "next": None}
    window = _post(h1, operation="search_jobs", from_date="3000-01-01").json()
    assert window == {"jobs": [], "next": None}
    for body, message in (
        ({"status": "DONE"}, "Unknown job status 'DONE'"),
        ({"type": ["csv_data_load", "x"]}, "Unknown job type 'x'"),
        ({"limit": 1001}, "'limit' must be an integer from 1 to 1000"),
        ({"order": "up"}, "'order' must be 'desc' or 'asc'"),
        ({"next": "zz"}, "'next' must be a cursor given by search_jobs"),
        ({"from_date": "yesterday"}, "'from_date' must be an ISO 8601 date, not 'yesterday'"),
    ):
        refused = _post(h1, operation="search_jobs", **body)
        assert (refused.status_code, refused.json()) == (400, {"error": message})


# --- job_key --------------------------------------------------------------------------------


def test_two_simultaneous_submits_with_one_job_key_start_one_job(
    instance: Instance, h1: httpx.Client, server: BackgroundServer
) -> None:
    _table(h1)
    body = {"operation": "csv_data_load", "table": "t", "data": "id\n1\n", "job_key": "nightly-1"}
    barrier = threading.Barrier(2)

    def submit() -> dict[str, Any]:
        with httpx.Client(base_url=server.url, headers={"authorization": ADMIN_AUTH}) as client:
            barrier.wait(10)
            answer: dict[str, Any] = client.post("/", json=body).json()
            return answer

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: submit(), range(2)))
    assert answers[0]["job_id"] == answers[1]["job_id"]
    job_id = answers[0]["job_id"]
    assert sorted(a["message"] for a in answers) == [
        "Job with key nightly-1 already exists",
        f"Starting job with id {job_id}",
    ]
    assert [a.get("existing") for a in answers].count(True) == 1
    record = instance.wait_for_job(job_id, 30)
    assert record is not None
    assert record["job_key"] == "nightly-1"
    later = _post(h1, **body).json()
    assert later == {
        "message": "Job with key nightly-1 already exists",
        "job_id": job_id,
        "existing": True,
    }
    # Once its record is deleted, the key starts a new job.
    assert _post(h1, operation="delete_job", id=job_id).status_code == 200
    fresh = _post(h1, **body).json()
    assert fresh["message"] == f"Starting job with id {fresh['job_id']}"
    assert fresh["job_id"] != job_id
    long_key = _post(h1, **{**body, "job_key": "k" * 201})
    assert long_key.json() == {"error": "'job_key' must be a string of 1 to 200 characters"}


def test_delete_job_refuses_a_running_job(
    instance: Instance, h1: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(monkeypatch)
    _table(h1)
    try:
        job_id = _submit(h1, operation="csv_data_load", table="t", data="id\n1\n")
        gate.wait_started()
        refused = _post(h1, operation="delete_job", id=job_id)
        assert (refused.status_code, refused.json()) == (
            409,
            {"error": f"Job {job_id} has not finished"},
        )
    finally:
        gate.release.set()
    instance.wait_for_job(job_id, 30)
    assert _post(h1, operation="delete_job", id=job_id).status_code == 200
    assert _post(h1, operation="delete_job", id=job_id).status_code == 404


# --- progress and server-sent events --------------------------------------------------------


def test_twenty_event_stream_listeners_follow_one_job_to_its_end(
    instance: Instance, h1: httpx.Client, server: BackgroundServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(monkeypatch)
    _table(h1)
    token = _post(
        h1, operation="create_authentication_tokens", username="HDB_ADMIN", password=ADMIN_PASSWORD
    ).json()["operation_token"]
    job_id = _submit(h1, operation="csv_data_load", table="t", data="id\n1\n2\n")
    gate.wait_started()
    connected = threading.Barrier(21)

    def listen(n: int) -> list[tuple[str, dict[str, Any]]]:
        import json

        params = {"token": token} if n % 2 else {}
        headers = {} if n % 2 else {"authorization": ADMIN_AUTH}
        events: list[tuple[str, dict[str, Any]]] = []
        with (
            httpx.Client(base_url=server.url, timeout=60) as client,
            client.stream(
                "GET", f"/jobs/{job_id}/events", params=params, headers=headers
            ) as response,
        ):
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            name = ""
            for line in response.iter_lines():
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    events.append((name, json.loads(line[6:])))
                    if len(events) == 1:
                        connected.wait(30)
        return events

    try:
        with ThreadPoolExecutor(20) as pool:
            streams = [pool.submit(listen, n) for n in range(20)]
            connected.wait(30)
            gate.release.set()
            results = [s.result(timeout=60) for s in streams]
    finally:
        gate.release.set()
    for events in results:
        assert events[0][0] == "progress"
        assert events[0][1]["status"] == "IN_PROGRESS"
        assert events[-1][0] == "done"
        assert events[-1][1]["status"] == "COMPLETE"
        assert events[-1][1]["percent"] == 100.0
        assert [name for name, _ in events].count("done") == 1
    unknown = httpx.get(f"{server.url}/jobs/nope/events", headers={"authorization": ADMIN_AUTH})
    assert (unknown.status_code, unknown.json()) == (404, {"error": "Job nope not found"})
    anonymous = httpx.get(f"{server.url}/jobs/{job_id}/events")
    assert (anonymous.status_code, anonymous.json()) == (401, {"error": "Must login"})


def test_an_export_of_a_whole_table_knows_its_total(
    instance: Instance, h1: httpx.Client, tmp_path: Path
) -> None:
    _table(h1)
    data = "id\n" + "".join(f"{n}\n" for n in range(25))
    instance.wait_for_job(_submit(h1, operation="csv_data_load", table="t", data=data), 30)
    search = {"operation": "search_by_value", "table": "t", "search_attribute": "id"}
    job_id = _submit(
        h1,
        operation="export_local",
        format="json",
        path=str(tmp_path),
        search_operation={**search, "search_value": "*"},
    )
    record = instance.wait_for_job(job_id, 30)
    assert record is not None
    assert (record["status"], record["processed"], record["total"]) == ("COMPLETE", 25, 25)
    assert record["percent"] == 100.0
