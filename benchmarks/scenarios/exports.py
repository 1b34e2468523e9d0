"""Scenarios ``export_local_json`` and ``export_local_csv``: the whole table to a local file.

The reference scans a raw LMDB table of the same records (timestamps included), decodes each
msgpack value and encodes the file with msgspec's JSON encoder or ``csv.writer``.
"""

from pathlib import Path

from benchmarks import reference
from benchmarks.context import Context
from benchmarks.memory import Memory, memory_figures
from benchmarks.procs import loadmaster_server
from benchmarks.report import figure
from benchmarks.workload import SEARCH_ALL, count_exported, loaded_data, timed_export

RATE_TARGET = 300_000


def export_rates(ctx: Context, fmt: str, rows: int, runs: int) -> tuple[list[float], list[Memory]]:
    """Run ``runs`` export_local jobs of the loaded table, each in a fresh server.

    Returns:
        The rows per second and the server's peak memory, one per run.
    """
    data = loaded_data(ctx, rows)
    rates: list[float] = []
    memories: list[Memory] = []
    for run in range(runs):
        with (
            ctx.scratch(f"export-{fmt}") as out,
            loadmaster_server(data) as server,
            server.client() as client,
        ):
            body = {
                "operation": "export_local",
                "format": fmt,
                "path": str(out),
                "filename": f"bench_{run}",
                "search_operation": SEARCH_ALL,
            }
            rate, memory, result = timed_export(client, body, rows, server)
            written = (
                Path(result["path"]) if isinstance(result, dict) else out / f"bench_{run}.{fmt}"
            )
            found = count_exported(written, fmt)
            if found != rows:
                raise RuntimeError(f"export_local {fmt} wrote {found} records, expected {rows}")
        rates.append(rate)
        memories.append(memory)
    return rates, memories


def reference_source(ctx: Context, rows: int) -> Path:
    """Return a raw LMDB table of the ``rows``-row data set (built once per run)."""

    def build() -> Path:
        path = ctx.keep("raw-table")
        reference.build_table(ctx.csv(rows), path)
        return path

    return ctx.cached(f"raw-table-{rows}", build)


def reference_rates(ctx: Context, fmt: str, rows: int, runs: int) -> list[float]:
    """Run the raw scan + decode + encode reference ``runs`` times; return rows/s per run."""
    source = reference_source(ctx, rows)
    rates = []
    for _ in range(runs):
        with ctx.scratch("raw-export") as out:
            written, seconds = reference.raw_export(source, fmt, out / f"raw.{fmt}")
            rates.append(written / seconds)
    return rates


def _export_local(ctx: Context, fmt: str) -> None:
    rows = ctx.options.rows
    loaded_data(ctx, rows)
    reference_source(ctx, rows)
    ours: list[float] = []
    memories: list[Memory] = []
    raw: list[float] = []
    for run in range(ctx.options.runs):
        ctx.log(f"export_local {fmt} run {run + 1}: {rows:,} rows")
        rates, run_memories = export_rates(ctx, fmt, rows, runs=1)
        ours += rates
        memories += run_memories
        raw += reference_rates(ctx, fmt, rows, runs=1)
    ctx.memo[f"export_local_{fmt}"] = ours
    ctx.memo[f"export_local_{fmt}_memory"] = memories
    scenario = f"export_local_{fmt}"
    note = f"{rows:,} rows, search_by_value id=*"
    ctx.add(
        figure(
            scenario,
            "rows/s",
            "rows/s",
            ours,
            reference=f"raw LMDB scan + msgpack decode + {fmt} encode",
            reference_runs=raw,
            target=f"≥ {RATE_TARGET:,} rows/s",
            minimum=RATE_TARGET,
            note=note,
        )
    )
    for fig in memory_figures(scenario, memories):
        ctx.add(fig)


def export_local_json(ctx: Context) -> None:
    """Measure export_local of the whole table as JSON."""
    _export_local(ctx, "json")


def export_local_csv(ctx: Context) -> None:
    """Measure export_local of the whole table as CSV."""
    _export_local(ctx, "csv")
