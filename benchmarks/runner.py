"""The command line: pick scenarios, run them, print the table, write ``latest.json``."""

import argparse
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from benchmarks import report
from benchmarks.context import Context, Options
from benchmarks.scenarios import SCENARIOS

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
_QUICK_ROWS = 100_000
T = TypeVar("T")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure loadmaster beside its raw building blocks, in the same run.",
    )
    parser.add_argument(
        "scenarios", nargs="*", metavar="SCENARIO", help=f"default: all of {', '.join(SCENARIOS)}"
    )
    parser.add_argument(
        "--rows", type=int, help="rows for loads and exports (1,000,000; quick 100,000)"
    )
    parser.add_argument(
        "--runs", type=int, help="runs per figure; the median is reported (3; quick 1)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="one run, smaller sizes: under 2 minutes"
    )
    parser.add_argument("--insert-rows", type=int, default=100_000, help="records for insert")
    parser.add_argument(
        "--rows-rss", type=int, help="also load and export this many rows once to check peak memory"
    )
    parser.add_argument(
        "--wrk-seconds", type=float, help="seconds per get_job load run (5; quick 2)"
    )
    parser.add_argument("--small-jobs", type=int, help="small jobs per run (50; quick 20)")
    parser.add_argument("--burst", type=int, default=200, help="jobs submitted at once in burst")
    parser.add_argument(
        "--job-records", type=int, help="job records for search_jobs_page (100,000; quick 10,000)"
    )
    parser.add_argument(
        "--json", type=Path, default=RESULTS, help=f"JSON output (default {RESULTS})"
    )
    parser.add_argument("--tmp", type=Path, help="where to put scratch data (default: system temp)")
    return parser


def options(args: argparse.Namespace) -> Options:
    """Resolve the defaults that depend on ``--quick``."""
    quick = bool(args.quick)

    def pick(value: T | None, normal: T, fast: T) -> T:
        if value is not None:
            return value
        return fast if quick else normal

    return Options(
        rows=pick(args.rows, 1_000_000, _QUICK_ROWS),
        runs=pick(args.runs, 3, 1),
        quick=quick,
        insert_rows=args.insert_rows,
        rows_rss=args.rows_rss,
        wrk_seconds=pick(args.wrk_seconds, 5.0, 2.0),
        small_jobs=pick(args.small_jobs, 50, 20),
        burst=args.burst,
        job_records=pick(args.job_records, 100_000, 10_000),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen scenarios; return 0 when every one ran (targets missed still return 0)."""
    args = _parser().parse_args(argv)
    unknown = [s for s in args.scenarios if s not in SCENARIOS]
    if unknown:
        _parser().error(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    chosen = args.scenarios or list(SCENARIOS)
    opts = options(args)
    sizes = (
        opts.rows,
        opts.runs,
        opts.insert_rows,
        opts.small_jobs,
        opts.burst,
        opts.wrk_seconds,
        opts.job_records,
    )
    if min(sizes) <= 0 or (opts.rows_rss is not None and opts.rows_rss <= 0):
        _parser().error("sizes, counts and durations must be positive")
    head = report.header(rows=opts.rows, runs=opts.runs, quick=opts.quick)
    ctx = Context(opts, args.tmp)
    started = time.monotonic()
    failed = 0
    try:
        for name in chosen:
            ctx.log(f"scenario {name}")
            try:
                SCENARIOS[name](ctx)
            except Exception as exc:  # noqa: BLE001 - one broken scenario must not stop the rest
                failed += 1
                traceback.print_exc(file=sys.stderr)
                ctx.add(report.failed(name, exc))
    finally:
        ctx.close()
    elapsed = time.monotonic() - started
    print(report.markdown(ctx.figures, head))
    print(f"\n{len(chosen)} scenario(s) in {elapsed:.0f} s; JSON in {args.json}")
    report.write_json(
        args.json,
        ctx.figures,
        head,
        scenarios=chosen,
        seconds=round(elapsed, 1),
        options=vars(opts),
    )
    return 1 if failed else 0
