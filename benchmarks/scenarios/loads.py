"""Scenario ``csv_file_load``: 1M rows, submit → COMPLETE over HTTP, beside the raw pipelines.

Also ``rss``: with ``--rows-rss N``, the same load (and both exports) at N rows, to show that
peak memory does not grow with the input.
"""

from pathlib import Path
from typing import Any

from benchmarks import datagen, reference
from benchmarks.context import Context
from benchmarks.memory import Memory, memory_figures
from benchmarks.report import figure, skipped
from benchmarks.scenarios.exports import export_rates
from benchmarks.workload import (
    TABLE,
    Load,
    alternating_loads,
    csv_file_body,
    load_in_fresh_server,
    load_kept,
)

RATE_TARGET = 100_000
NAIVE_RATIO = 1.3
MEMORY_TARGET_MB = 300.0
#: Peak memory at N rows may exceed the 1M figure by this factor and still count as constant.
GROWTH = 1.15
#: json_file_load of NDJSON must reach this share of csv_file_load's rate.
JSON_RATIO = 0.8
#: A dry run (validate_only) must be at least as fast as the load it checks.
VALIDATE_RATIO = 1.0


def csv_file_load(ctx: Context) -> None:
    """Measure csv_file_load of ``--rows`` rows with peak memory, beside raw and naive pipelines."""
    rows = ctx.options.rows
    path = ctx.csv(rows)
    ours: list[float] = []
    memories: list[Memory] = []
    raw: list[float] = []
    naive: list[float] = []
    for run in range(ctx.options.runs):
        ctx.log(f"csv_file_load run {run + 1}: {rows:,} rows")
        rate, memory = load_in_fresh_server(ctx, "csv-file-load", lambda: csv_file_body(path), rows)
        ours.append(rate)
        memories.append(memory)
        ctx.log(f"  loadmaster {rate:,.0f} rows/s, {memory.describe()}; raw and naive pipelines")
        with ctx.scratch("raw-pipeline") as data:
            written, seconds = reference.raw_csv_load(path, data)
            raw.append(written / seconds)
        with ctx.scratch("naive-pipeline") as data:
            written, seconds = reference.naive_csv_load(path, data)
            naive.append(written / seconds)
    ctx.memo["csv_file_load"] = ours
    ctx.memo["csv_file_load_memory"] = memories
    note = f"{rows:,} rows, every attribute indexed"
    ctx.add(
        figure(
            "csv_file_load",
            "rows/s",
            "rows/s",
            ours,
            reference="naive same-index pipeline",
            reference_runs=naive,
            target=f"≥ {RATE_TARGET:,} rows/s and ≥ {NAIVE_RATIO}x naive",
            minimum=RATE_TARGET,
            min_ratio=NAIVE_RATIO,
            note=note,
        )
    )
    ctx.add(
        figure(
            "csv_file_load",
            "rows/s vs raw pipeline",
            "rows/s",
            ours,
            reference="raw pipeline, no index",
            reference_runs=raw,
            target="- (ceiling without indexes)",
            note=note,
        )
    )
    for fig in memory_figures("csv_file_load", memories, target_mb=MEMORY_TARGET_MB):
        ctx.add(fig)


def json_file_load(ctx: Context) -> None:
    """Measure json_file_load of the same rows as NDJSON, beside csv_file_load in this run."""
    rows = ctx.options.rows
    path = ctx.cached(
        f"ndjson-{rows}", lambda: datagen.write_ndjson(ctx.tmp / f"people_{rows}.ndjson", rows)
    )
    csv_path = ctx.csv(rows)
    ours, csv_runs = alternating_loads(
        ctx,
        "json_file_load",
        Load("json-file-load", lambda: _json_body(path)),
        Load("csv-beside-json", lambda: csv_file_body(csv_path)),
    )
    ctx.add(
        figure(
            "json_file_load",
            "rows/s",
            "rows/s",
            ours,
            reference="csv_file_load of the same rows",
            reference_runs=csv_runs,
            target=f"≥ {JSON_RATIO}x csv_file_load",
            min_ratio=JSON_RATIO,
            note=f"{rows:,} rows as NDJSON, every attribute indexed",
        )
    )


def csv_validate_only(ctx: Context) -> None:
    """Measure a validate_only csv_file_load (a dry run) beside the load, in this run."""
    rows = ctx.options.rows
    path = ctx.csv(rows)
    body = {**csv_file_body(path), "validate_only": True}
    ours, loads = alternating_loads(
        ctx,
        "csv_validate_only",
        Load("csv-validate-only", lambda: body),
        Load("csv-beside-validate", lambda: csv_file_body(path)),
    )
    ctx.add(
        figure(
            "csv_validate_only",
            "rows/s",
            "rows/s",
            ours,
            reference="csv_file_load of the same rows",
            reference_runs=loads,
            target=f"≥ {VALIDATE_RATIO}x csv_file_load",
            min_ratio=VALIDATE_RATIO,
            note=f"{rows:,} rows read and checked, nothing written",
        )
    )


def _json_body(path: Path) -> dict[str, Any]:
    return {"operation": "json_file_load", "table": TABLE, "file_path": str(path)}


def rss(ctx: Context) -> None:
    """Load and export ``--rows-rss`` rows once; compare peak memory with the ``--rows`` runs."""
    big, small = ctx.options.rows_rss, ctx.options.rows
    if not big:
        ctx.add(skipped("rss", "not requested: pass --rows-rss 5000000"))
        return
    if "csv_file_load_memory" not in ctx.memo:
        ctx.log(f"rss: measuring the {small:,}-row load once for comparison")
        small_path = ctx.csv(small)
        _, memory = load_in_fresh_server(ctx, "rss-small", lambda: csv_file_body(small_path), small)
        ctx.memo["csv_file_load_memory"] = [memory]
    ctx.log(f"rss: csv_file_load of {big:,} rows")
    rate, memory = load_kept(ctx, big)
    _compare(ctx, "csv_file_load", [memory], "csv_file_load_memory", f"{rate:,.0f} rows/s")
    for fmt in ("json", "csv"):
        ctx.log(f"rss: export_local {fmt} of {big:,} rows")
        rates, memories = export_rates(ctx, fmt, big, runs=1)
        key = f"export_local_{fmt}_memory"
        if key not in ctx.memo:
            _, ctx.memo[key] = export_rates(ctx, fmt, small, runs=1)
        _compare(ctx, f"export_local_{fmt}", memories, key, f"{rates[0]:,.0f} rows/s")


def _compare(ctx: Context, what: str, memories: list[Memory], small_key: str, rate: str) -> None:
    big, small = ctx.options.rows_rss or 0, ctx.options.rows
    for fig in memory_figures(
        "rss",
        memories,
        target_mb=MEMORY_TARGET_MB,
        reference=f"{what} at {small:,} rows",
        reference_memories=ctx.memo[small_key],
        max_ratio=GROWTH,
        label=f"of {what} at {big:,} rows",
    ):
        fig.note = f"{rate}; {fig.note}"
        ctx.add(fig)
