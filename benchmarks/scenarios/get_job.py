"""Scenario ``get_job``: get_job over one HTTP/1.1 connection, beside a trivial endpoint.

Both servers run on CPU 1 and the load tool (wrk, or a Python client when wrk cannot be had)
on CPU 0, so that neither steals the other's core.
"""

import msgspec

from benchmarks.context import Context
from benchmarks.loadgen import LoadResult, hammer
from benchmarks.procs import loadmaster_server, python_server
from benchmarks.report import figure
from benchmarks.workload import TABLE, create_table

RATE_TARGET = 2_500
TRIVIAL_RATIO = 0.75


def _check(result: LoadResult, what: str) -> None:
    if result.errors:
        raise RuntimeError(f"{what}: {result.errors} failed requests under {result.tool}")


def get_job(ctx: Context) -> None:
    """Measure get_job requests per second and latency beside a trivial Starlette endpoint."""
    seconds = ctx.options.wrk_seconds
    ours: list[LoadResult] = []
    trivial: list[LoadResult] = []
    with (
        ctx.scratch("get-job") as work,
        loadmaster_server(work / "data", cpu=1) as server,
        python_server(
            ["-m", "benchmarks.trivial_server", "--port", "{port}"], work, cpu=1, path="/health"
        ) as ref,
    ):
        with server.client() as client:
            create_table(client)
            _, record = client.run_job(
                {"operation": "csv_data_load", "table": TABLE, "data": "id,name\n1,a\n"}, 60
            )
            body = msgspec.json.encode({"operation": "get_job", "id": record["id"]})
            headers = client.headers
        for run in range(ctx.options.runs):
            ctx.log(f"get_job run {run + 1}: {seconds:.0f} s each against loadmaster and trivial")
            ours.append(hammer(server.port, body, headers, seconds, work))
            _check(ours[-1], "get_job")
            trivial.append(hammer(ref.port, body, headers, seconds, work))
            _check(trivial[-1], "trivial endpoint")
    tool = ours[0].tool
    ctx.add(
        figure(
            "get_job",
            f"req/s, 1 connection ({tool})",
            "req/s",
            [r.rps for r in ours],
            reference="trivial Starlette POST / on the same Hypercorn config",
            reference_runs=[r.rps for r in trivial],
            target=f"≥ {RATE_TARGET:,} req/s and ≥ {TRIVIAL_RATIO:.0%} of trivial",
            minimum=RATE_TARGET,
            min_ratio=TRIVIAL_RATIO,
        )
    )
    for pct in ("p50", "p99"):
        ctx.add(
            figure(
                "get_job",
                f"{pct} latency under that load",
                "ms",
                [getattr(r, f"{pct}_ms") for r in ours],
                reference="trivial endpoint",
                reference_runs=[getattr(r, f"{pct}_ms") for r in trivial],
                target="-",
            )
        )
