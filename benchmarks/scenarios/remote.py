"""Scenarios ``csv_url_load``, ``import_from_s3`` and ``export_to_s3``, against loopback servers.

The URL source is ``python -m http.server``; the S3 server is moto's, both subprocesses on
127.0.0.1. Each is compared with its local twin (csv_file_load, export_local) measured in the
same run. When loadmaster answers ``Operation '<op>' not found`` the scenario is skipped.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.context import Context
from benchmarks.memory import Memory, memory_figures
from benchmarks.procs import Server, loadmaster_server, python_server
from benchmarks.report import figure, skipped
from benchmarks.scenarios.exports import export_rates
from benchmarks.workload import (
    SEARCH_ALL,
    TABLE,
    count_exported,
    csv_file_body,
    load_in_fresh_server,
    loaded_data,
    timed_export,
)

RATIO_TARGET = 0.8
MEMORY_TARGET_MB = 300.0
BUCKET = "loadmaster-bench"
REGION = "us-east-1"
_KEYS = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}


def _available(ctx: Context, operation: str) -> bool:
    def probe() -> dict[str, bool]:
        names = ("csv_url_load", "import_from_s3", "export_to_s3")
        with (
            ctx.scratch("probe") as work,
            loadmaster_server(work / "data") as server,
            server.client() as client,
        ):
            return {name: client.has_operation(name) for name in names}

    found: dict[str, bool] = ctx.cached("remote-operations", probe)
    if not found[operation]:
        ctx.add(skipped(operation, f"not available: Operation '{operation}' not found"))
    return found[operation]


@contextmanager
def _s3(ctx: Context) -> Iterator[tuple[Server, Any]]:
    import boto3
    from botocore.config import Config

    with (
        ctx.scratch("moto") as work,
        python_server(
            ["-m", "moto.server", "-H", "127.0.0.1", "-p", "{port}"], work, path="/moto-api/"
        ) as server,
    ):
        client = boto3.client(
            "s3",
            endpoint_url=server.url,
            region_name=REGION,
            config=Config(s3={"addressing_style": "path"}),
            aws_access_key_id=_KEYS["aws_access_key_id"],
            aws_secret_access_key=_KEYS["aws_secret_access_key"],
        )
        client.create_bucket(Bucket=BUCKET)
        yield server, client


def _s3_object(server: Server, key: str) -> dict[str, str]:
    return {**_KEYS, "bucket": BUCKET, "key": key, "region": REGION, "endpoint_url": server.url}


def _load_figures(
    ctx: Context, scenario: str, ours: list[float], memories: list[Memory], file_runs: list[float]
) -> None:
    rows = ctx.options.rows
    ctx.add(
        figure(
            scenario,
            "rows/s",
            "rows/s",
            ours,
            reference="csv_file_load of the same file",
            reference_runs=file_runs,
            target=f"≥ {RATIO_TARGET:.0%} of csv_file_load",
            min_ratio=RATIO_TARGET,
            note=f"{rows:,} rows",
        )
    )
    for fig in memory_figures(scenario, memories, target_mb=MEMORY_TARGET_MB):
        ctx.add(fig)


def _loads(
    ctx: Context, scenario: str, name: str, body: dict[str, Any], env: dict[str, str] | None
) -> None:
    rows = ctx.options.rows
    path = ctx.csv(rows)
    earlier = ctx.memo.get("csv_file_load")
    ours: list[float] = []
    memories: list[Memory] = []
    file_runs: list[float] = list(earlier) if earlier else []
    for run in range(ctx.options.runs):
        ctx.log(f"{scenario} run {run + 1}: {rows:,} rows")
        rate, memory = load_in_fresh_server(ctx, name, lambda: body, rows, env=env)
        ours.append(rate)
        memories.append(memory)
        if not earlier:
            file_rate, _ = load_in_fresh_server(ctx, "file-twin", lambda: csv_file_body(path), rows)
            file_runs.append(file_rate)
    _load_figures(ctx, scenario, ours, memories, file_runs)


def csv_url_load(ctx: Context) -> None:
    """Measure csv_url_load of the data set served by a loopback http.server."""
    if not _available(ctx, "csv_url_load"):
        return
    path = ctx.csv(ctx.options.rows)
    root = ctx.keep("web")
    try:
        os.link(path, root / path.name)
    except OSError:
        (root / path.name).symlink_to(path)
    with python_server(
        ["-m", "http.server", "{port}", "--bind", "127.0.0.1", "--directory", str(root)],
        root.parent,
    ) as web:
        body = {"operation": "csv_url_load", "table": TABLE, "csv_url": f"{web.url}/{path.name}"}
        _loads(ctx, "csv_url_load", "csv-url-load", body, None)


def import_from_s3(ctx: Context) -> None:
    """Measure import_from_s3 of the data set from a loopback moto S3 server."""
    if not _available(ctx, "import_from_s3"):
        return
    path = ctx.csv(ctx.options.rows)
    with _s3(ctx) as (server, s3):
        s3.upload_file(str(path), BUCKET, path.name)
        body = {"operation": "import_from_s3", "table": TABLE, "s3": _s3_object(server, path.name)}
        env = {"LOADMASTER_S3_ENDPOINT_URL": server.url}
        _loads(ctx, "import_from_s3", "import-from-s3", body, env)


def _count_object(s3: Any, key: str, fmt: str, scratch: Path) -> int:
    target = scratch / f"check.{fmt}"
    s3.download_file(BUCKET, key, str(target))
    try:
        return count_exported(target, fmt)
    finally:
        target.unlink()


def export_to_s3(ctx: Context) -> None:
    """Measure export_to_s3 (JSON and CSV) of the loaded table into a loopback moto bucket."""
    if not _available(ctx, "export_to_s3"):
        return
    rows = ctx.options.rows
    data = loaded_data(ctx, rows)
    with _s3(ctx) as (moto, s3), ctx.scratch("s3-check") as scratch:
        for fmt in ("json", "csv"):
            earlier = ctx.memo.get(f"export_local_{fmt}")
            ours: list[float] = []
            memories: list[Memory] = []
            local: list[float] = list(earlier) if earlier else []
            for run in range(ctx.options.runs):
                ctx.log(f"export_to_s3 {fmt} run {run + 1}: {rows:,} rows")
                body = {
                    "operation": "export_to_s3",
                    "format": fmt,
                    "s3": _s3_object(moto, f"bench_{run}"),
                    "search_operation": SEARCH_ALL,
                }
                with loadmaster_server(data) as server, server.client() as client:
                    rate, memory, result = timed_export(client, body, rows, server)
                key = result.get("Key") if isinstance(result, dict) else None
                key = key if isinstance(key, str) else f"bench_{run}.{fmt}"
                found = _count_object(s3, key, fmt, scratch)
                s3.delete_object(Bucket=BUCKET, Key=key)
                if found != rows:
                    raise RuntimeError(f"export_to_s3 {fmt} wrote {found} records, expected {rows}")
                ours.append(rate)
                memories.append(memory)
                if not earlier:
                    local += export_rates(ctx, fmt, rows, runs=1)[0]
            ctx.add(
                figure(
                    f"export_to_s3_{fmt}",
                    "rows/s",
                    "rows/s",
                    ours,
                    reference=f"export_local {fmt}",
                    reference_runs=local,
                    target=f"≥ {RATIO_TARGET:.0%} of export_local",
                    min_ratio=RATIO_TARGET,
                    note=f"{rows:,} rows",
                )
            )
            for fig in memory_figures(f"export_to_s3_{fmt}", memories):
                ctx.add(fig)
