"""Scenario ``get_job_during_load``: get_job latency while a ``--rows`` load runs in the server.

A client polls get_job for the running job every 2 ms (one keep-alive connection) until the
job ends; the same client then makes as many requests to the idle server as the reference.
"""

import time

from benchmarks.client import TERMINAL, Client
from benchmarks.context import Context
from benchmarks.procs import loadmaster_server
from benchmarks.report import figure, percentile
from benchmarks.workload import create_table, csv_file_body, job_timeout

P99_TARGET_MS = 50.0
STRETCH_MS = 10.0
_PAUSE = 0.002
_MAX_REQUESTS = 200_000


def _poll(
    client: Client, job_id: str, *, until_end: bool, count: int, timeout: float
) -> list[float]:
    latencies: list[float] = []
    deadline = time.monotonic() + timeout
    while len(latencies) < min(count, _MAX_REQUESTS) and time.monotonic() < deadline:
        start = time.perf_counter()
        record = client.get_job(job_id)
        latencies.append((time.perf_counter() - start) * 1e3)
        if until_end and record.get("status") in TERMINAL:
            if record.get("status") != "COMPLETE":
                raise RuntimeError(f"load failed: {record.get('message')}")
            return latencies
        time.sleep(_PAUSE)
    if until_end:
        raise TimeoutError(f"load still running after {timeout:.0f} s")
    return latencies


def get_job_during_load(ctx: Context) -> None:
    """Measure get_job p50/p99 during a load, beside the same requests to the idle server."""
    rows = ctx.options.rows
    path = ctx.csv(rows)
    busy: list[list[float]] = []
    idle: list[list[float]] = []
    for run in range(ctx.options.runs):
        ctx.log(f"get_job_during_load run {run + 1}: {rows:,}-row load")
        with (
            ctx.scratch("during-load") as work,
            loadmaster_server(work / "data") as server,
            server.client() as client,
        ):
            create_table(client)
            job_id = client.submit(csv_file_body(path))
            busy.append(
                _poll(
                    client, job_id, until_end=True, count=_MAX_REQUESTS, timeout=job_timeout(rows)
                )
            )
            idle.append(_poll(client, job_id, until_end=False, count=len(busy[-1]), timeout=120.0))
    count = min(len(b) for b in busy)
    for pct in (50, 99):
        target = f"< {P99_TARGET_MS:.0f} ms (stretch < {STRETCH_MS:.0f} ms)" if pct == 99 else "-"
        ctx.add(
            figure(
                "get_job_during_load",
                f"get_job p{pct} during a {rows:,}-row load",
                "ms",
                [percentile(b, pct) for b in busy],
                reference="same requests, idle server",
                reference_runs=[percentile(i, pct) for i in idle],
                target=target,
                maximum=P99_TARGET_MS if pct == 99 else None,
                note=f"≥ {count:,} requests per run, one every 2 ms",
            )
        )
    worst = [max(b) for b in busy]
    ctx.add(
        figure(
            "get_job_during_load",
            "get_job max during the load",
            "ms",
            worst,
            reference="idle server max",
            reference_runs=[max(i) for i in idle],
            target="-",
        )
    )
