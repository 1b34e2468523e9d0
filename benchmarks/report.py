"""Figures, their statistics, and the two outputs: a Markdown table and ``latest.json``."""

import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import msgspec

Status = Literal["ok", "skipped", "failed"]


class Figure(msgspec.Struct, kw_only=True):
    """One measured figure, with its reference measured in the same run and its target."""

    scenario: str
    metric: str
    unit: str
    status: Status = "ok"
    runs: list[float] = []
    median: float | None = None
    min: float | None = None
    max: float | None = None
    reference: str | None = None
    reference_runs: list[float] = []
    reference_median: float | None = None
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""


def percentile(values: Sequence[float], pct: float) -> float:
    """Return the nearest-rank percentile of ``values`` (``pct`` in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


def figure(
    scenario: str,
    metric: str,
    unit: str,
    runs: Sequence[float],
    *,
    reference: str | None = None,
    reference_runs: Sequence[float] = (),
    target: str = "",
    minimum: float | None = None,
    maximum: float | None = None,
    min_ratio: float | None = None,
    max_ratio: float | None = None,
    note: str = "",
) -> Figure:
    """Build a figure from its runs; check it against absolute and relative bounds.

    Args:
        scenario: Scenario name, as given on the command line.
        metric: What was measured, e.g. ``rows/s`` or ``p99 submit latency``.
        unit: Unit of the runs.
        runs: One value per run.
        reference: Name of the reference measured in the same run.
        reference_runs: The reference's values, one per run.
        target: The target as text.
        minimum: The median must be at least this.
        maximum: The median must be at most this.
        min_ratio: ``median / reference median`` must be at least this.
        max_ratio: ``median / reference median`` must be at most this.
        note: Anything else worth reading beside the figure.
    """
    med = statistics.median(runs)
    ref_med = statistics.median(reference_runs) if reference_runs else None
    ratio = med / ref_med if ref_med else None
    checks: list[bool] = []
    if minimum is not None:
        checks.append(med >= minimum)
    if maximum is not None:
        checks.append(med <= maximum)
    if ratio is not None and min_ratio is not None:
        checks.append(ratio >= min_ratio)
    if ratio is not None and max_ratio is not None:
        checks.append(ratio <= max_ratio)
    return Figure(
        scenario=scenario,
        metric=metric,
        unit=unit,
        runs=[float(v) for v in runs],
        median=med,
        min=min(runs),
        max=max(runs),
        reference=reference,
        reference_runs=[float(v) for v in reference_runs],
        reference_median=ref_med,
        ratio=ratio,
        target=target,
        met=all(checks) if checks else None,
        note=note,
    )


def skipped(scenario: str, reason: str, status: Status = "skipped") -> Figure:
    """Record a scenario that could not be measured, with the reason."""
    return Figure(scenario=scenario, metric="-", unit="", status=status, note=reason)


def failed(scenario: str, exc: BaseException) -> Figure:
    """Record a scenario that broke: the error's first and last lines are enough for the table."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()] or [repr(exc)]
    reason = lines[0] if len(lines) == 1 else f"{lines[0]} ... {lines[-1]}"
    return skipped(scenario, f"failed: {type(exc).__name__}: {reason}"[:300], "failed")


def _num(value: float | None, unit: str, *, show_unit: bool = True) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif unit == "ms" or abs(value) < 10:
        text = f"{value:,.2f}"
    else:
        text = f"{value:,.1f}"
    return f"{text} {unit}" if show_unit and unit else text


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(figures: Sequence[Figure], header: dict[str, Any]) -> str:
    """Render the figures as a Markdown table, preceded by a line about the machine and run."""
    lines = [
        f"Machine: {header['cores']} cores ({header['cpu']}), Python {header['python']}; "
        f"rows: {header['rows']:,}; runs: {header['runs']}{' (quick)' if header['quick'] else ''}; "
        f"{header['date']}",
        "",
        "| scenario | metric | median | min-max | reference (same run) | ratio | target | met "
        "| notes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        if f.status != "ok":
            lines.append(f"| {f.scenario} | {f.status} | - | - | - | - | - | - | {_cell(f.note)} |")
            continue
        low, high = _num(f.min, f.unit, show_unit=False), _num(f.max, f.unit, show_unit=False)
        spread = f"{low}-{high}" if len(f.runs) > 1 else "(1 run)"
        ref = f"{f.reference}: {_num(f.reference_median, f.unit)}" if f.reference else "-"
        ratio = f"{f.ratio:.2f}x" if f.ratio is not None else "-"
        met = {True: "yes", False: "**no**", None: "-"}[f.met]
        lines.append(
            f"| {f.scenario} | {_cell(f.metric)} | {_num(f.median, f.unit)} | {spread} | "
            f"{_cell(ref)} | {ratio} | {_cell(f.target)} | {met} | {_cell(f.note)} |"
        )
    return "\n".join(lines)


def cpu_model() -> str:
    """Return the CPU model name, or the platform's processor string."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def header(*, rows: int, runs: int, quick: bool) -> dict[str, Any]:
    """Describe the machine and the run, for both outputs."""
    return {
        "cores": os.cpu_count(),
        "cpu": cpu_model(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "rows": rows,
        "runs": runs,
        "quick": quick,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def write_json(path: Path, figures: Sequence[Figure], head: dict[str, Any], **extra: Any) -> None:
    """Write every figure and the run's description as JSON (for comparing runs later)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {**head, **extra, "figures": msgspec.to_builtins(list(figures))}
    path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
