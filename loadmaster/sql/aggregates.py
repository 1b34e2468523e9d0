"""Aggregate functions over the values of a group (§7)."""

import math
import statistics
from collections.abc import Callable
from typing import Any

import msgspec

from loadmaster.sql.jsvalues import UNDEF, is_null, is_number, js_str, normalize_number

__all__ = ["aggregate", "hashable"]

_ENCODE = msgspec.json.Encoder().encode


def hashable(value: Any) -> Any:
    """Return a dict key telling values apart as JavaScript's ``===`` would for scalars."""
    if type(value) is bool:
        return ("b", value)
    if is_number(value):
        return ("n", value)
    if type(value) is str:
        return ("s", value)
    if is_null(value):
        return ("z",)
    return ("j", _ENCODE(value))


def _numbers(values: list[Any]) -> list[float | int]:
    return [v for v in values if is_number(v) and not math.isnan(v)]


def _present(values: list[Any]) -> list[Any]:
    return [v for v in values if not is_null(v)]


def _count(values: list[Any]) -> int:
    return len(_present(values))


def _sum(values: list[Any]) -> Any:
    return normalize_number(sum(_numbers(values)))


def _avg(values: list[Any]) -> Any:
    numbers = _numbers(values)
    return normalize_number(sum(numbers) / len(numbers)) if numbers else UNDEF


def _min(values: list[Any]) -> Any:
    numbers = _numbers(values)
    return min(numbers) if numbers else None


def _max(values: list[Any]) -> Any:
    numbers = _numbers(values)
    return max(numbers) if numbers else None


def _median(values: list[Any]) -> Any:
    numbers = _numbers(values)
    return normalize_number(statistics.median(numbers)) if numbers else None


def _mad(values: list[Any]) -> Any:
    # mathjs's mad: the median of the absolute deviations from the median.
    numbers = _numbers(values)
    if not numbers:
        return None
    middle = statistics.median(numbers)
    return normalize_number(statistics.median([abs(v - middle) for v in numbers]))


def _mode(values: list[Any]) -> Any:
    present = _present(values)
    if not present:
        return None
    counts: dict[Any, tuple[int, Any]] = {}
    for v in present:
        key = hashable(v)
        counts[key] = (counts.get(key, (0, v))[0] + 1, v)
    top = max(c for c, _ in counts.values())
    return [v for c, v in counts.values() if c == top]


def _prod(values: list[Any]) -> Any:
    numbers = _numbers(values)
    return normalize_number(math.prod(numbers)) if numbers else None


def _spread(fn: Callable[[list[float | int]], float], least: int) -> Callable[[list[Any]], Any]:
    def run(values: list[Any]) -> Any:
        numbers = _numbers(values)
        return normalize_number(fn(numbers)) if len(numbers) >= least else None

    return run


_FUNCTIONS: dict[str, Callable[[list[Any]], Any]] = {
    "STDEV": _spread(statistics.stdev, 2),
    "STDEVP": _spread(statistics.pstdev, 1),
    "VAR": _spread(statistics.variance, 2),
    "VARP": _spread(statistics.pvariance, 1),
    "COUNT": _count,
    "SUM": _sum,
    "AVG": _avg,
    "MEAN": _avg,
    "MIN": _min,
    "MAX": _max,
    "MEDIAN": _median,
    "MODE": _mode,
    "MAD": _mad,
    "PROD": _prod,
    "ARRAY": lambda vs: [v for v in vs if v is not UNDEF],
    "FIRST": lambda vs: vs[0] if vs else UNDEF,
    "LAST": lambda vs: vs[-1] if vs else UNDEF,
    "GROUP_CONCAT": lambda vs: ",".join(js_str(v) for v in _present(vs)),
}


def aggregate(name: str, values: list[Any], *, distinct: bool = False) -> Any:
    """Compute one aggregate over a group's values (``DISTINCT`` drops repeats first)."""
    upper = name.upper()
    if distinct:
        seen: dict[Any, Any] = {}
        for v in _present(values):
            seen.setdefault(hashable(v), v)
        values = list(seen.values())
    return _FUNCTIONS[upper](values)
