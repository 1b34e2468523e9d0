"""Job control (issue 12): ``cancel_latency``, ``search_jobs_page`` and ``follow_job``.

* ``cancel_latency``: how long after ``cancel_job`` answers a running load, export and
  delete end (from the server's own ``end_datetime``); target ≤ 1 s.
* ``search_jobs_page``: one filtered ``search_jobs`` page over ``--job-records`` (100,000)
  job records, beside a ``get_job`` on the same server; target < 20 ms.
* ``follow_job``: the server CPU spent while 20 clients follow one load to its end by plain
  polling (every 50 ms), by long-poll (``get_job`` with ``wait``) and by server-sent events.
"""

import contextlib
import http.client
import os
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.client import Client, OperationError
from benchmarks.context import Context
from benchmarks.procs import HOST, Server, loadmaster_server
from benchmarks.report import figure
from benchmarks.workload import SEARCH_ALL, TABLE, create_table, csv_file_body, job_timeout

CANCEL_TARGET_MS = 1_000.0
PAGE_TARGET_MS = 20.0
FOLLOWERS = 20
POLL_INTERVAL = 0.05
_PAGES = 50


def _cancel_after_start(client: Client, body: dict[str, Any]) -> float | None:
    """Submit a job, cancel it once it reports progress; return ms from the answer to its end.

    None when the job ended before the cancel reached it.
    """
    job_id = client.submit(body)
    deadline = time.monotonic() + 60
    while client.get_job(job_id).get("processed", 0) == 0:
        if time.monotonic() > deadline:
            raise TimeoutError("the job never reported progress")
        time.sleep(0.005)
    try:
        client.call({"operation": "cancel_job", "id": job_id})
    except OperationError as exc:
        if exc.status == 409:
            return None
        raise
    answered = time.time()
    record = client.wait(job_id, 60, interval=0.005)
    if not record.get("cancelled"):
        return None
    return max(0.0, record["end_datetime"] - answered * 1000)


def cancel_latency(ctx: Context) -> None:
    """Measure cancel → end for a running csv_file_load, export_local and delete."""
    rows = ctx.options.rows
    path = ctx.csv(rows)
    results: dict[str, list[float]] = {"csv_file_load": [], "export_local": [], "delete": []}
    with (
        ctx.scratch("cancel") as work,
        loadmaster_server(work / "data") as server,
        server.client(timeout=job_timeout(rows)) as client,
    ):
        create_table(client)
        client.run_job(csv_file_body(path), job_timeout(rows))
        create_table(client, "cancelled")
        for run in range(ctx.options.runs):
            ctx.log(f"cancel_latency run {run + 1}")
            load = {**csv_file_body(path), "table": "cancelled"}
            export = {
                "operation": "export_local",
                "format": "json",
                "path": str(work),
                "filename": f"x{run}",
                "search_operation": SEARCH_ALL,
            }
            delete = {"operation": "delete_records_before", "table": TABLE, "date": "3000-01-01"}
            for kind, body in (("csv_file_load", load), ("export_local", export)):
                ms = _cancel_after_start(client, body)
                if ms is not None:
                    results[kind].append(ms)
            if run == ctx.options.runs - 1:  # deleting empties the table: last
                ms = _cancel_after_start(client, delete)
                if ms is not None:
                    results["delete"].append(ms)
    for kind, runs in results.items():
        if runs:
            ctx.add(
                figure(
                    "cancel_latency",
                    f"{kind}: cancel answered → job ended",
                    "ms",
                    runs,
                    target=f"≤ {CANCEL_TARGET_MS:,.0f} ms",
                    maximum=CANCEL_TARGET_MS,
                    note=f"{rows:,} rows",
                )
            )


def _job_records(data: Path, count: int) -> None:
    """Write ``count`` finished job records straight into a new data directory."""
    from loadmaster.actors.job_record import job_table
    from loadmaster.storage import Store

    types = ("csv_file_load", "csv_data_load", "export_local", "import_from_s3")
    base = int(time.time() * 1000) - count * 1000
    with Store.open(data) as store:
        table = job_table(store)
        batch: list[dict[str, Any]] = []
        for n in range(count):
            created = base + n * 1000
            batch.append(
                {
                    "id": str(uuid.UUID(int=n + 1)),
                    "type": types[n % len(types)],
                    "user": f"user{n % 5}",
                    "status": "ERROR" if n % 10 == 0 else "COMPLETE",
                    "message": "done",
                    "created_datetime": created,
                    "start_datetime": created,
                    "end_datetime": created + 500,
                    "database": "data",
                    "table": f"t{n % 20}",
                }
            )
            if len(batch) == 10_000:
                table.write(batch, "insert")
                batch = []
        if batch:
            table.write(batch, "insert")


def _timed(client: Client, body: dict[str, Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    answer = client.call(body)
    return (time.perf_counter() - start) * 1e3, answer


def search_jobs_page(ctx: Context) -> None:
    """Measure one filtered search_jobs page, and paging on, over many job records."""
    count = ctx.options.job_records
    with ctx.scratch("search-jobs") as work:
        ctx.log(f"writing {count:,} job records")
        _job_records(work / "data", count)
        started = time.perf_counter()
        with loadmaster_server(work / "data") as server, server.client() as client:
            ready_s = time.perf_counter() - started
            some_id = str(uuid.UUID(int=1))
            pages: list[float] = []
            deep: list[float] = []
            gets: list[float] = []
            for run in range(ctx.options.runs):
                ctx.log(f"search_jobs_page run {run + 1}")
                body = {"operation": "search_jobs", "status": "ERROR", "type": "csv_file_load"}
                times = []
                for _ in range(_PAGES):
                    ms, answer = _timed(client, {**body, "limit": 100})
                    times.append(ms)
                pages.append(statistics.median(times))
                cursor = answer["next"]
                times = []
                for _ in range(_PAGES):
                    if cursor is None:
                        break
                    ms, answer = _timed(client, {**body, "limit": 100, "next": cursor})
                    times.append(ms)
                    cursor = answer["next"]
                deep.append(statistics.median(times) if times else 0.0)
                gets.append(
                    statistics.median(
                        _timed(client, {"operation": "get_job", "id": some_id})[0]
                        for _ in range(_PAGES)
                    )
                )
    note = f"{count:,} job records; status + type filter, 100 per page"
    ctx.add(
        figure(
            "search_jobs_page",
            "first page",
            "ms",
            pages,
            reference="get_job on the same server",
            reference_runs=gets,
            target=f"< {PAGE_TARGET_MS:.0f} ms",
            maximum=PAGE_TARGET_MS,
            note=note,
        )
    )
    ctx.add(
        figure(
            "search_jobs_page",
            "next pages (cursor)",
            "ms",
            deep,
            target=f"< {PAGE_TARGET_MS:.0f} ms",
            maximum=PAGE_TARGET_MS,
            note=note,
        )
    )
    ctx.add(figure("search_jobs_page", "server start with those records", "s", [ready_s]))


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _poller(server: Server, job_id: str) -> int:
    with server.client() as client:
        count = 1
        while client.get_job(job_id).get("status") not in ("COMPLETE", "ERROR"):
            time.sleep(POLL_INTERVAL)
            count += 1
        return count


def _long_poller(server: Server, job_id: str) -> int:
    with server.client() as client:
        count = 1
        body = {"operation": "get_job", "id": job_id, "wait": 60}
        while client.call(body)[0].get("status") not in ("COMPLETE", "ERROR"):
            count += 1
        return count


def _listener(server: Server, job_id: str) -> int:
    conn = http.client.HTTPConnection(HOST, server.port, timeout=120)
    headers = server.client().headers
    conn.request("GET", f"/jobs/{job_id}/events", headers=headers)
    response = conn.getresponse()
    events = 0
    try:
        while line := response.readline():
            if line.startswith(b"event: "):
                events += 1
                if line.strip() == b"event: done":
                    break
    finally:
        conn.close()
    return events


def _follow(server: Server, body: dict[str, Any], follower: Callable[[Server, str], int]) -> float:
    """Run one load with FOLLOWERS following it; return the server CPU seconds it took."""
    with server.client() as client:
        with contextlib.suppress(OperationError):
            client.call({"operation": "drop_table", "table": TABLE})
        create_table(client)
        before = _cpu_seconds(server.pid)
        job_id = client.submit(body)
        threads = [
            threading.Thread(target=follower, args=(server, job_id)) for _ in range(FOLLOWERS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(600)
    # A fresh connection: the first one idled past the server's keep-alive meanwhile.
    with server.client() as client:
        client.wait(job_id, 600, interval=0.5)
    return _cpu_seconds(server.pid) - before


def follow_job(ctx: Context) -> None:
    """Measure server CPU while 20 followers poll, long-poll or listen to one load."""
    rows = ctx.options.rows
    path = ctx.csv(rows)
    modes: dict[str, Callable[[Server, str], int]] = {
        "none": lambda _server, _job: 0,
        "plain polling": _poller,
        "long-poll": _long_poller,
        "server-sent events": _listener,
    }
    cpu: dict[str, list[float]] = {name: [] for name in modes}
    with ctx.scratch("follow") as work, loadmaster_server(work / "data") as server:
        for run in range(ctx.options.runs):
            for name, follower in modes.items():
                ctx.log(f"follow_job run {run + 1}: {name}")
                cpu[name].append(_follow(server, csv_file_body(path), follower))
    base = cpu.pop("none")
    extra = {
        name: [max(0.0, c - b) for c, b in zip(runs, base, strict=True)]
        for name, runs in cpu.items()
    }
    for name in ("long-poll", "server-sent events"):
        ctx.add(
            figure(
                "follow_job",
                f"{name}: extra server CPU, {FOLLOWERS} followers",
                "s",
                extra[name],
                reference=f"plain polling every {POLL_INTERVAL * 1000:.0f} ms",
                reference_runs=extra["plain polling"],
                target="below polling",
                note=f"one csv_file_load of {rows:,} rows; "
                f"load alone {statistics.median(base):.2f} s CPU",
            )
        )
