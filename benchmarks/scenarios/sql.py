"""Scenario ``sql``: the ``sql`` operation beside the NoSQL operation doing the same work.

* an indexed ``SELECT * ... WHERE age = 40`` (1/80 of the rows) beside ``search_by_value`` on
  the same condition, over the loaded table (``--rows``, 1M by default);
* ``SELECT COUNT(*)`` beside ``describe_table`` (which reads the record count);
* a join of two tables of up to 100k rows on their primary keys beside reading both tables
  with ``search_by_value id=*``;
* ``export_local`` JSON of ``SELECT * FROM data.bench`` beside the same export through
  ``search_by_value id=*`` (target: at least 80% of its rate).
"""

import time
from collections.abc import Callable
from typing import Any

from benchmarks.client import Client
from benchmarks.context import Context
from benchmarks.memory import Memory, memory_figures
from benchmarks.procs import loadmaster_server
from benchmarks.report import figure
from benchmarks.workload import (
    SEARCH_ALL,
    TABLE,
    count_exported,
    create_table,
    csv_file_body,
    loaded_data,
    timed_export,
    timed_load,
)

JOIN_ROWS = 100_000
EXPORT_RATIO = 0.8
QUERIES = 5


def _seconds(call: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Return the best of ``repeat`` timings of ``call`` (and its last answer)."""
    best = float("inf")
    answer: Any = None
    for _ in range(repeat):
        start = time.perf_counter()
        answer = call()
        best = min(best, time.perf_counter() - start)
    return best, answer


def _search(client: Client, table: str, attribute: str, value: Any) -> Any:
    return client.call(
        {
            "operation": "search_by_value",
            "table": table,
            "search_attribute": attribute,
            "search_value": value,
            "get_attributes": ["*"],
        }
    )


def _sql(client: Client, text: str) -> Any:
    return client.call({"operation": "sql", "sql": text})


WHERE = f"SELECT * FROM data.{TABLE} WHERE age = 40"  # noqa: S608 - constant text
COUNT = f"SELECT COUNT(*) FROM data.{TABLE}"  # noqa: S608
EVERYTHING = f"SELECT * FROM data.{TABLE}"  # noqa: S608


def _queries(ctx: Context, client: Client, rows: int) -> None:
    where, ref = [], []
    count, described = [], []
    for run in range(ctx.options.runs):
        ctx.log(f"sql run {run + 1}: indexed WHERE and COUNT(*) on {rows:,} rows")
        seconds, found = _seconds(lambda: _sql(client, WHERE), QUERIES)
        by_value, expected = _seconds(lambda: _search(client, TABLE, "age", 40), QUERIES)
        if len(found) != len(expected):
            raise RuntimeError(f"sql found {len(found)} rows, search_by_value {len(expected)}")
        where.append(seconds * 1000)
        ref.append(by_value * 1000)
        seconds, counted = _seconds(lambda: _sql(client, COUNT), QUERIES)
        if counted != [{"COUNT(*)": rows}]:
            raise RuntimeError(f"COUNT(*) answered {counted!r}")
        count.append(seconds * 1000)
        described.append(
            _seconds(lambda: client.call({"operation": "describe_table", "table": TABLE}), QUERIES)[
                0
            ]
            * 1000
        )
    note = f"{rows:,} rows, {len(expected):,} found; best of {QUERIES}"
    ctx.add(
        figure(
            "sql",
            "indexed SELECT * WHERE age = 40",
            "ms",
            where,
            reference="search_by_value age = 40",
            reference_runs=ref,
            max_ratio=1.5,
            target="≤ 1.5x search_by_value",
            note=note,
        )
    )
    ctx.add(
        figure(
            "sql",
            "SELECT COUNT(*)",
            "ms",
            count,
            reference="describe_table",
            reference_runs=described,
            note=f"{rows:,} rows; best of {QUERIES}",
        )
    )


def _join(ctx: Context) -> None:
    rows = min(ctx.options.rows, JOIN_ROWS)
    csv = ctx.csv(rows)
    ours, ref = [], []
    with (
        ctx.scratch("sql-join") as data,
        loadmaster_server(data / "data") as server,
        server.client() as client,
    ):
        for table in ("ja", "jb"):
            create_table(client, table)
            timed_load(client, {**csv_file_body(csv), "table": table}, rows)
        text = "SELECT a.id, a.name, b.city FROM data.ja a INNER JOIN data.jb b ON a.id = b.id"
        for run in range(ctx.options.runs):
            ctx.log(f"sql run {run + 1}: join of two {rows:,}-row tables")
            seconds, joined = _seconds(lambda: _sql(client, text), 1)
            if len(joined) != rows:
                raise RuntimeError(f"join gave {len(joined)} rows, expected {rows}")
            ours.append(seconds * 1000)
            ref.append(
                _seconds(
                    lambda: (_search(client, "ja", "id", "*"), _search(client, "jb", "id", "*")), 1
                )[0]
                * 1000
            )
    ctx.add(
        figure(
            "sql",
            "INNER JOIN on primary keys",
            "ms",
            ours,
            reference="search_by_value id=* of both tables",
            reference_runs=ref,
            note=f"two {rows:,}-row tables, {rows:,} rows out",
        )
    )


def _exports(ctx: Context, rows: int, fmt: str) -> None:
    data = loaded_data(ctx, rows)
    ours, ref = [], []
    our_memory: list[Memory] = []
    ref_memory: list[Memory] = []
    for run in range(ctx.options.runs):
        ctx.log(f"sql run {run + 1}: export_local {fmt} via sql and via search_by_value")
        for search, rates, memories in (
            ({"operation": "sql", "sql": EVERYTHING}, ours, our_memory),
            (SEARCH_ALL, ref, ref_memory),
        ):
            with (
                ctx.scratch("sql-export") as out,
                loadmaster_server(data) as server,
                server.client() as client,
            ):
                body = {
                    "operation": "export_local",
                    "format": fmt,
                    "path": str(out),
                    "filename": "bench",
                    "search_operation": search,
                }
                rate, memory, _ = timed_export(client, body, rows, server)
                memories.append(memory)
                if count_exported(out / f"bench.{fmt}", fmt) != rows:
                    raise RuntimeError("the export did not write every row")
                rates.append(rate)
    ctx.add(
        figure(
            "sql",
            f"export_local {fmt} rows/s",
            "rows/s",
            ours,
            reference=f"export_local {fmt} via search_by_value id=*",
            reference_runs=ref,
            min_ratio=EXPORT_RATIO,
            target=f"≥ {EXPORT_RATIO:.0%} of search_by_value",
            note=f"{rows:,} rows, {EVERYTHING}",
        )
    )
    if fmt != "json":
        return
    for fig in memory_figures(
        "sql",
        our_memory,
        reference="export via search_by_value",
        reference_memories=ref_memory,
        max_ratio=1.5,
        label="(SQL export)",
    ):
        ctx.add(fig)


def sql(ctx: Context) -> None:
    """Measure the sql operation and SQL exports beside their NoSQL counterparts."""
    rows = ctx.options.rows
    data = loaded_data(ctx, rows)
    with loadmaster_server(data) as server, server.client() as client:
        _queries(ctx, client, rows)
    _join(ctx)
    _exports(ctx, rows, "json")
    _exports(ctx, rows, "csv")
