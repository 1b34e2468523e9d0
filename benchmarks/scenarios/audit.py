"""Scenario ``csv_file_load_audit``: the same csv_file_load with the audit log on and off.

Runs alternate (on, off, on, off, ...) so that a noisy machine slows both alike; the target is
PERFORMANCE.md's: with the audit log on, at least 90% of the rate with it off.
"""

from benchmarks.context import Context
from benchmarks.report import figure
from benchmarks.workload import Load, alternating_loads, csv_file_body

MIN_RATIO = 0.9
_OFF = {"LOADMASTER_AUDIT_LOG": "false"}


def csv_file_load_audit(ctx: Context) -> None:
    """Measure csv_file_load of ``--rows`` rows with the audit log on, beside it off."""
    rows = ctx.options.rows
    path = ctx.csv(rows)
    on, off = alternating_loads(
        ctx,
        "csv_file_load_audit",
        Load("audit-on", lambda: csv_file_body(path)),
        Load("audit-off", lambda: csv_file_body(path), env=_OFF),
    )
    ctx.add(
        figure(
            "csv_file_load_audit",
            "rows/s, audit log on",
            "rows/s",
            on,
            reference="the same load, audit log off",
            reference_runs=off,
            target=f"≥ {MIN_RATIO:.0%} of the rate with it off",
            min_ratio=MIN_RATIO,
            note=f"{rows:,} rows, every attribute indexed; one audit entry per batch",
        )
    )
