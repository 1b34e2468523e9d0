"""Scenario ``insert``: 10,000-record ``insert`` operations, embedded, beside raw putmulti."""

import time
from pathlib import Path
from typing import Any

import loadmaster
from benchmarks import datagen, reference
from benchmarks.context import Context
from benchmarks.procs import ADMIN_PASSWORD
from benchmarks.report import figure
from benchmarks.workload import TABLE

BATCH = 10_000


def _loadmaster_insert(records: list[dict[str, Any]], data: Path) -> float:
    # Fresh dicts per run, built before the clock starts, in case an insert keeps them.
    bodies = [
        {
            "operation": "insert",
            "table": TABLE,
            "records": [dict(r) for r in records[i : i + BATCH]],
        }
        for i in range(0, len(records), BATCH)
    ]
    with loadmaster.open(data, admin_password=ADMIN_PASSWORD) as db:
        db.operation({"operation": "create_table", "table": TABLE, "primary_key": "id"})
        start = time.perf_counter()
        for body in bodies:
            answer = db.operation(body)
            expected = f"inserted {len(body['records'])} of {len(body['records'])} records"
            if answer.get("message") != expected:
                raise RuntimeError(f"insert answered {answer.get('message')!r}")
        return time.perf_counter() - start


def insert(ctx: Context) -> None:
    """Measure embedded insert throughput beside raw and naive-index LMDB writes."""
    n = ctx.options.insert_rows
    records = datagen.records(n)
    ours: list[float] = []
    raw: list[float] = []
    naive: list[float] = []
    for run in range(ctx.options.runs):
        ctx.log(f"insert run {run + 1}: {n:,} records")
        with ctx.scratch("insert") as data:
            ours.append(n / _loadmaster_insert(records, data))
        with ctx.scratch("raw-putmulti") as data:
            raw.append(n / reference.raw_putmulti(records, data))
        with ctx.scratch("naive-insert") as data:
            naive.append(n / reference.naive_insert(records, data))
    note = f"{n:,} records in {BATCH:,}-record inserts"
    ctx.add(
        figure(
            "insert",
            "records/s",
            "rec/s",
            ours,
            reference="raw LMDB putmulti, no index",
            reference_runs=raw,
            target="- (no target; raw putmulti is the ceiling)",
            note=note,
        )
    )
    ctx.add(
        figure(
            "insert",
            "records/s vs same indexes",
            "rec/s",
            ours,
            reference="naive same-index putmulti",
            reference_runs=naive,
            target="-",
            note=note,
        )
    )
