"""Scenarios ``small_job`` (smallest job, submit → COMPLETE) and ``burst`` (200 jobs at once)."""

import time
from collections.abc import Callable
from typing import Any

import msgspec

import loadmaster
from benchmarks.client import Client
from benchmarks.context import Context
from benchmarks.loadgen import burst as send_burst
from benchmarks.procs import ADMIN_PASSWORD, loadmaster_server, python_server
from benchmarks.report import figure, percentile
from benchmarks.workload import TABLE, create_table

P50_TARGET_MS = 20.0
BURST_P99_TARGET_MS = 50.0
_WARMUP = 3
#: Pause between get_job polls while waiting for a small job over HTTP.
_POLL = 0.001


def _one_row(row_id: int) -> dict[str, Any]:
    return {"operation": "csv_data_load", "table": TABLE, "data": f"id,name\n{row_id},x\n"}


def _insert_one(row_id: int) -> dict[str, Any]:
    return {"operation": "insert", "table": TABLE, "records": [{"id": row_id, "name": "x"}]}


def _ms(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1e3


def _embedded_job(db: loadmaster.Instance, row_id: int) -> None:
    job_id = db.operation(_one_row(row_id))["job_id"]
    record = db.wait_for_job(job_id, 30.0)
    if record is None or record.get("status") != "COMPLETE":
        raise RuntimeError(f"small job ended as {record}")


def _http_job(client: Client, row_id: int) -> None:
    job_id = client.submit(_one_row(row_id))
    record = client.wait(job_id, 30.0, interval=_POLL)
    if record.get("status") != "COMPLETE":
        raise RuntimeError(f"small job ended as {record}")


def _measure(
    count: int, runs: int, job: Callable[[int], None], ref: Callable[[int], None]
) -> tuple[list[list[float]], list[list[float]]]:
    """Run ``count`` jobs and ``count`` reference calls per run, interleaved."""
    next_id = iter(range(1, 10**9))
    for _ in range(_WARMUP):
        job(next(next_id))
        ref(next(next_id))
    jobs: list[list[float]] = []
    refs: list[list[float]] = []
    for _ in range(runs):
        jobs.append([])
        refs.append([])
        for _ in range(count):
            job_id, ref_id = next(next_id), next(next_id)
            jobs[-1].append(_ms(lambda: job(job_id)))  # noqa: B023 - called at once
            refs[-1].append(_ms(lambda: ref(ref_id)))  # noqa: B023 - called at once
    return jobs, refs


def _figures(ctx: Context, mode: str, jobs: list[list[float]], refs: list[list[float]]) -> None:
    count = len(jobs[0])
    for pct in (50, 99):
        target = f"p50 < {P50_TARGET_MS:.0f} ms" if pct == 50 else "-"
        ctx.add(
            figure(
                "small_job",
                f"{mode} p{pct}, submit → COMPLETE",
                "ms",
                [percentile(r, pct) for r in jobs],
                reference=f"1-record insert, {mode}",
                reference_runs=[percentile(r, pct) for r in refs],
                target=target,
                maximum=P50_TARGET_MS if pct == 50 else None,
                note=f"csv_data_load of 1 row, {count} jobs per run",
            )
        )


def small_job(ctx: Context) -> None:
    """Measure the smallest job's latency, embedded and over HTTP, beside a 1-record insert."""
    count, runs = ctx.options.small_jobs, ctx.options.runs
    ctx.log(f"small_job embedded: {runs} x {count} jobs")
    with (
        ctx.scratch("small-job") as data,
        loadmaster.open(data, admin_password=ADMIN_PASSWORD) as db,
    ):
        db.operation({"operation": "create_table", "table": TABLE, "primary_key": "id"})
        jobs, refs = _measure(
            count, runs, lambda i: _embedded_job(db, i), lambda i: db.operation(_insert_one(i))
        )
    _figures(ctx, "embedded", jobs, refs)
    ctx.log(f"small_job HTTP: {runs} x {count} jobs")
    with (
        ctx.scratch("small-job-http") as work,
        loadmaster_server(work / "data") as server,
        server.client() as client,
    ):
        create_table(client)
        jobs, refs = _measure(
            count, runs, lambda i: _http_job(client, i), lambda i: client.call(_insert_one(i))
        )
    _figures(ctx, "HTTP", jobs, refs)


def _burst_once(
    client: Client, port: int, table: str, count: int
) -> tuple[list[float], int, float]:
    """Send ``count`` one-row loads at once; return submit latencies (ms), jobs complete, and
    the seconds from the burst to the last job's end."""
    create_table(client, table)
    bodies = [msgspec.json.encode({**_one_row(i), "table": table}) for i in range(1, count + 1)]
    wall = time.time()
    answers = send_burst(port, bodies, client.headers)
    ids = [a.get("job_id") if isinstance(a, dict) else None for _, _, a in answers]
    if any(status != 200 for _, status, _ in answers) or None in ids or len(set(ids)) != count:
        bad = [(s, a) for _, s, a in answers if s != 200][:3]
        raise RuntimeError(f"burst: not every submit got its own job id: {bad}")
    complete, last_end = 0, wall
    for job_id in ids:
        record = client.wait(str(job_id), 120.0, interval=0.01)
        complete += record.get("status") == "COMPLETE"
        last_end = max(last_end, float(record.get("end_datetime") or 0) / 1000)
    described = client.call({"operation": "describe_table", "table": table})
    if described.get("record_count") != complete:
        raise RuntimeError(
            f"burst: {complete} jobs COMPLETE but {described.get('record_count')} rows"
        )
    return [s * 1e3 for s, _, _ in answers], complete, last_end - wall


def burst(ctx: Context) -> None:
    """Submit ``--burst`` one-row jobs at once over HTTP; all must complete; p99 submit latency."""
    count, runs = ctx.options.burst, ctx.options.runs
    p99: list[float] = []
    ref_p99: list[float] = []
    complete: list[float] = []
    drained: list[float] = []
    with (
        ctx.scratch("burst") as work,
        loadmaster_server(work / "data") as server,
        python_server(
            ["-m", "benchmarks.trivial_server", "--port", "{port}"], work, path="/health"
        ) as ref,
        server.client() as client,
    ):
        for run in range(runs):
            ctx.log(f"burst run {run + 1}: {count} jobs at once")
            latencies, done, seconds = _burst_once(client, server.port, f"burst_{run}", count)
            p99.append(percentile(latencies, 99))
            complete.append(done)
            drained.append(seconds)
            trivial = send_burst(ref.port, [b'{"id": 1}'] * count, client.headers)
            ref_p99.append(percentile([s * 1e3 for s, _, _ in trivial], 99))
    ctx.add(
        figure(
            "burst",
            f"p99 submit latency, {count} jobs at once",
            "ms",
            p99,
            reference=f"trivial endpoint, {count} POSTs at once",
            reference_runs=ref_p99,
            target=f"< {BURST_P99_TARGET_MS:.0f} ms",
            maximum=BURST_P99_TARGET_MS,
            note=f"all COMPLETE {min(drained):.2f}-{max(drained):.2f} s after the burst",
        )
    )
    ctx.add(
        figure(
            "burst",
            "jobs COMPLETE",
            "jobs",
            complete,
            target=f"{count} of {count}, none lost",
            minimum=count,
        )
    )
