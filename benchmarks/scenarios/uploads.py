"""Scenario ``upload_load``: the bench CSV streamed through ``PUT /load/data/bench``.

Timed from the first byte sent to the job's COMPLETE, beside csv_file_load of the same file in
the same run (target: at least 80% of its rate), with the server's peak memory (the body
streams through a bounded queue, so it must stay as flat as a file load's).
"""

import base64
import http.client
import json
import time
from pathlib import Path

from benchmarks.context import Context
from benchmarks.memory import memory_figures
from benchmarks.procs import ADMIN_PASSWORD, ADMIN_USER, HOST, Server, loadmaster_server
from benchmarks.report import figure
from benchmarks.workload import (
    TABLE,
    create_table,
    csv_file_body,
    job_timeout,
    load_in_fresh_server,
)

UPLOAD_RATIO = 0.8
#: Bytes per write of the upload (http.client's default of 8 KiB costs a syscall per row).
BLOCK = 1 << 20


def _upload(server: Server, path: Path, timeout: float) -> str:
    """PUT the file (streamed from disk); return the job id."""
    token = base64.b64encode(f"{ADMIN_USER}:{ADMIN_PASSWORD}".encode()).decode()
    conn = http.client.HTTPConnection(HOST, server.port, timeout=timeout, blocksize=BLOCK)
    try:
        with path.open("rb") as body:
            conn.request(
                "PUT",
                f"/load/data/{TABLE}",
                body=body,
                headers={
                    "Authorization": f"Basic {token}",
                    "Content-Type": "text/csv",
                    "Content-Length": str(path.stat().st_size),
                },
            )
        response = conn.getresponse()
        answer = json.loads(response.read())
    finally:
        conn.close()
    if response.status != 200:
        raise RuntimeError(f"upload answered {response.status}: {answer}")
    return str(answer["job_id"])


def upload_load(ctx: Context) -> None:
    """Measure an upload of ``--rows`` rows beside csv_file_load of the same file."""
    rows = ctx.options.rows
    path = ctx.csv(rows)
    ours: list[float] = []
    memories = []
    file_runs: list[float] = []
    for run in range(ctx.options.runs):
        ctx.log(f"upload_load run {run + 1}: {rows:,} rows, then csv_file_load")
        timeout = job_timeout(rows)
        with (
            ctx.scratch("upload-load") as data,
            loadmaster_server(data / "data") as server,
            server.client(timeout=timeout) as client,
        ):
            create_table(client)
            with server.memory() as watch:
                start = time.perf_counter()
                job_id = _upload(server, path, timeout)
                # A fresh connection: the server closes one left idle during the upload.
                with server.client(timeout=timeout) as waiter:
                    record = waiter.wait(job_id, timeout)
                seconds = time.perf_counter() - start
            if record.get("status") != "COMPLETE":
                raise RuntimeError(f"upload job failed: {record.get('message')}")
            with server.client(timeout=timeout) as checker:
                count = checker.call({"operation": "describe_table", "table": TABLE})[
                    "record_count"
                ]
            if count != rows:
                raise RuntimeError(f"upload: table holds {count} records, expected {rows}")
        ours.append(rows / seconds)
        memories.append(watch.result())
        file_rate, _ = load_in_fresh_server(
            ctx, "csv-beside-upload", lambda: csv_file_body(path), rows
        )
        file_runs.append(file_rate)
        ctx.log(f"  upload {rows / seconds:,.0f} rows/s, csv_file_load {file_rate:,.0f} rows/s")
    ctx.add(
        figure(
            "upload_load",
            "rows/s",
            "rows/s",
            ours,
            reference="csv_file_load of the same file",
            reference_runs=file_runs,
            target=f"≥ {UPLOAD_RATIO}x csv_file_load",
            min_ratio=UPLOAD_RATIO,
            note=f"{rows:,} rows, PUT /load/data/{TABLE}, every attribute indexed",
        )
    )
    for fig in memory_figures("upload_load", memories):
        ctx.add(fig)
