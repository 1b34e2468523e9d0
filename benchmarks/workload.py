"""Workloads shared by scenarios: a fresh server with the table, a load, an export."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.client import Client
from benchmarks.context import Context
from benchmarks.memory import Memory
from benchmarks.procs import Server, loadmaster_server

TABLE = "bench"
#: Every export reads the whole table, as HarperDB's reference figures did.
SEARCH_ALL = {
    "operation": "search_by_value",
    "table": TABLE,
    "search_attribute": "id",
    "search_value": "*",
    "get_attributes": ["*"],
}


def job_timeout(rows: int) -> float:
    """Return a generous bound for one job over ``rows`` rows (HarperDB's pace, plus slack)."""
    return 120.0 + rows / 2_000


def create_table(client: Client, table: str = TABLE) -> None:
    """Create ``data.<table>`` with primary key ``id``."""
    client.call({"operation": "create_table", "table": table, "primary_key": "id"})


def timed_load(client: Client, body: dict[str, Any], rows: int) -> float:
    """Run a load job (submit → COMPLETE); return the seconds; raise unless all rows loaded."""
    seconds, _ = client.run_job(body, job_timeout(rows))
    records = client.call({"operation": "describe_table", "table": body["table"]})
    count = records.get("record_count") if isinstance(records, dict) else None
    expected = 0 if body.get("validate_only") else rows  # a dry run writes nothing
    if count != expected:
        raise RuntimeError(f"{body['operation']}: table holds {count} records, expected {expected}")
    return seconds


def load_in_fresh_server(
    ctx: Context,
    name: str,
    body: Callable[[], dict[str, Any]],
    rows: int,
    env: dict[str, str] | None = None,
) -> tuple[float, Memory]:
    """Start a server on an empty data dir, create the table, run one load job.

    Returns:
        The rows per second and the server's peak memory during the load.
    """
    with (
        ctx.scratch(name) as data,
        loadmaster_server(data / "data", env=env) as server,
        server.client(timeout=job_timeout(rows)) as client,
    ):
        create_table(client)
        with server.memory() as watch:
            seconds = timed_load(client, body(), rows)
        return rows / seconds, watch.result()


@dataclass(frozen=True)
class Load:
    """One side of a paired measurement: its name (also its scratch folder), body and env."""

    name: str
    body: Callable[[], dict[str, Any]]
    env: dict[str, str] | None = None


def alternating_loads(
    ctx: Context, scenario: str, ours: Load, reference: Load
) -> tuple[list[float], list[float]]:
    """Run ``ours`` then ``reference``, each in a fresh server, ``--runs`` times.

    Alternating makes a noisy machine slow both alike.

    Returns:
        The rows per second of each run of ``ours`` and of ``reference``.
    """
    rows = ctx.options.rows
    mine: list[float] = []
    theirs: list[float] = []
    for run in range(ctx.options.runs):
        ctx.log(f"{scenario} run {run + 1}: {rows:,} rows, {ours.name}, then {reference.name}")
        for side, rates in ((ours, mine), (reference, theirs)):
            rate, _ = load_in_fresh_server(ctx, side.name, side.body, rows, env=side.env)
            rates.append(rate)
        ctx.log(f"  {ours.name} {mine[-1]:,.0f} rows/s, {reference.name} {theirs[-1]:,.0f} rows/s")
    return mine, theirs


def csv_file_body(path: Path) -> dict[str, Any]:
    """Return the csv_file_load request for ``path`` into the bench table."""
    return {"operation": "csv_file_load", "table": TABLE, "file_path": str(path)}


def load_kept(ctx: Context, rows: int) -> tuple[float, Memory]:
    """Load ``rows`` rows into a data dir kept for the run (then the one ``loaded_data`` returns).

    Returns:
        As ``load_in_fresh_server``: rows per second and peak memory.
    """
    csv = ctx.csv(rows)
    data = ctx.keep("loaded") / "data"
    ctx.log(f"loading {rows:,} rows into a data dir kept for exports")
    with (
        loadmaster_server(data) as server,
        server.client(timeout=job_timeout(rows)) as client,
    ):
        create_table(client)
        with server.memory() as watch:
            seconds = timed_load(client, csv_file_body(csv), rows)
        memory = watch.result()
    ctx.memo[_loaded_key(rows)] = data
    return rows / seconds, memory


def _loaded_key(rows: int) -> str:
    return f"loaded-data-{rows}"


def loaded_data(ctx: Context, rows: int) -> Path:
    """Return a data dir (kept for the whole run) whose bench table holds ``rows`` rows.

    Export runs each start a fresh server over it, so that a server's peak memory is the
    export's own and not what a load left behind.
    """
    if _loaded_key(rows) not in ctx.memo:
        load_kept(ctx, rows)
    path: Path = ctx.memo[_loaded_key(rows)]
    return path


def count_exported(path: Path, fmt: str) -> int:
    """Count the records in an export file without decoding it (the data has no braces)."""
    count = 0
    marker = b"{" if fmt == "json" else b"\n"
    with path.open("rb") as source:
        while block := source.read(1 << 22):
            count += block.count(marker)
    return count


def timed_export(
    client: Client, body: dict[str, Any], rows: int, server: Server
) -> tuple[float, Memory, Any]:
    """Run an export job; return (rows/s, the server's peak memory, the job's result)."""
    with server.memory() as watch:
        seconds, record = client.run_job(body, job_timeout(rows))
    return rows / seconds, watch.result(), record.get("result")
