"""Scalar functions: alasql's built-ins, HarperDB's additions, and how a call's name resolves."""

import math
import random
import re
import uuid
from collections.abc import Callable
from typing import Any

import jsonata  # type: ignore[import-untyped]

from loadmaster.sql.dates import DATE_FUNCTIONS, DATE_PARTS
from loadmaster.sql.geo import GEO_FUNCTIONS
from loadmaster.sql.jsvalues import (
    UNDEF,
    is_null,
    is_number,
    js_bool,
    js_lt,
    js_number,
    js_str,
    normalize_number,
)

__all__ = ["AGGREGATES", "HARPER_FUNCTIONS", "SCALARS", "SearchJsonError", "resolve_function"]

#: HarperDB's own aggregates (mathjs), registered only all-lower and all-upper.
_HARPER_AGGREGATES = frozenset({"MEDIAN", "MEAN", "MODE", "MAD", "PROD"})
#: Aggregate functions (alasql's and HarperDB's), by upper-case name.
AGGREGATES = frozenset(
    {"COUNT", "SUM", "AVG", "MIN", "MAX", "ARRAY", "FIRST", "LAST", "GROUP_CONCAT", "AGGR"}
    | {"STDEV", "STDEVP", "VAR", "VARP"}
    | _HARPER_AGGREGATES
)


class SearchJsonError(Exception):
    """An expression alasql would throw on (a bad SEARCH_JSON expression)."""


def _num_fn(fn: Callable[[float], Any]) -> Callable[..., Any]:
    def call(value: Any = UNDEF, *_: Any) -> Any:
        if is_null(value):
            return UNDEF if value is UNDEF else None
        number = js_number(value)
        if math.isnan(number):
            return math.nan
        return normalize_number(fn(number))

    return call


def _round(value: Any, digits: Any = 0) -> Any:
    if is_null(value):
        return None
    number, places = js_number(value), int(js_number(digits))
    factor = 10**places
    return normalize_number(math.floor(number * factor + 0.5) / factor)


def _substring(value: Any, start: Any, length: Any = None) -> Any:
    if is_null(value):
        return None
    text, begin = js_str(value), int(js_number(start)) - 1
    begin = max(begin, 0)
    return text[begin:] if length is None else text[begin : begin + int(js_number(length))]


def _concat(*args: Any) -> str:
    return "".join(js_str(a) for a in args if not is_null(a))


def _concat_ws(sep: Any, *args: Any) -> str:
    return js_str(sep).join(js_str(a) for a in args if not is_null(a))


def _coalesce(*args: Any) -> Any:
    for arg in args:
        if not is_null(arg):
            return arg
    return UNDEF


def _nullif(a: Any, b: Any) -> Any:
    return None if a == b else a


def _iif(cond: Any, yes: Any, no: Any = UNDEF) -> Any:
    return yes if js_bool(cond) else no


def _instr(text: Any, part: Any) -> int:
    return js_str(text).find(js_str(part)) + 1


def _replace(text: Any, old: Any, new: Any) -> Any:
    if is_null(text):
        return None
    return js_str(text).replace(js_str(old), js_str(new))


def _greatest(*args: Any) -> Any:
    best = UNDEF
    for arg in args:
        if best is UNDEF or js_lt(best, arg):
            best = arg
    return best


def _least(*args: Any) -> Any:
    best = UNDEF
    for arg in args:
        if best is UNDEF or js_lt(arg, best):
            best = arg
    return best


def _regexp_like(text: Any, pattern: Any, flags: Any = "") -> bool:
    ignore = re.IGNORECASE if "i" in js_str(flags) else 0
    return re.search(js_str(pattern), js_str(text), ignore) is not None


def _distinct_array(values: Any) -> Any:
    if not isinstance(values, list):
        return values
    out: list[Any] = []
    for value in values:
        if value not in out:
            out.append(value)
    return out


_COMPILED: dict[str, Any] = {}


def search_json(expression: Any, value: Any) -> Any:
    """Evaluate a JSONata expression against a value, as HarperDB's SEARCH_JSON does."""
    if not isinstance(expression, str) or expression == "":
        raise SearchJsonError("search json expression must be a non-empty string")
    compiled = _COMPILED.get(expression)
    if compiled is None:
        try:
            compiled = jsonata.Jsonata(expression)
        except Exception as exc:
            raise SearchJsonError(str(exc)) from exc
        if len(_COMPILED) < 256:
            _COMPILED[expression] = compiled
    try:
        result = compiled.evaluate(None if is_null(value) else value)
    except Exception as exc:
        raise SearchJsonError(str(exc)) from exc
    return UNDEF if result is None else result


#: alasql built-ins, by upper-case name (names are case-insensitive).
SCALARS: dict[str, Callable[..., Any]] = {
    "UPPER": lambda v: None if is_null(v) else js_str(v).upper(),
    "UCASE": lambda v: None if is_null(v) else js_str(v).upper(),
    "LOWER": lambda v: None if is_null(v) else js_str(v).lower(),
    "LCASE": lambda v: None if is_null(v) else js_str(v).lower(),
    "LEN": lambda v: None if is_null(v) else len(js_str(v)),
    "LENGTH": lambda v: None if is_null(v) else len(js_str(v)),
    "SUBSTRING": _substring,
    "SUBSTR": _substring,
    "MID": _substring,
    "TRIM": lambda v: None if is_null(v) else js_str(v).strip(),
    "LTRIM": lambda v: None if is_null(v) else js_str(v).lstrip(),
    "RTRIM": lambda v: None if is_null(v) else js_str(v).rstrip(),
    "REPLACE": _replace,
    "CONCAT": _concat,
    "CONCAT_WS": _concat_ws,
    "INSTR": _instr,
    "ABS": _num_fn(abs),
    "CEIL": _num_fn(math.ceil),
    "CEILING": _num_fn(math.ceil),
    "FLOOR": _num_fn(math.floor),
    "ROUND": _round,
    "SQRT": _num_fn(lambda x: math.sqrt(x) if x >= 0 else math.nan),
    "EXP": _num_fn(math.exp),
    "POWER": lambda a, b: normalize_number(js_number(a) ** js_number(b)),
    "RANDOM": lambda *_: random.random(),  # noqa: S311 - SQL RANDOM() is not for secrets
    "GREATEST": _greatest,
    "LEAST": _least,
    "COALESCE": _coalesce,
    "IFNULL": _coalesce,
    "ISNULL": _coalesce,
    "NULLIF": _nullif,
    "IIF": _iif,
    "UUID": lambda: str(uuid.uuid4()),
    "NEWID": lambda: str(uuid.uuid4()),
    "REGEXP_LIKE": _regexp_like,
    "ASCII": lambda v: ord(js_str(v)[0]) if js_str(v) else None,
    "CHAR": lambda v: chr(int(js_number(v))),
    **DATE_PARTS,
}
#: HarperDB's own functions, by upper-case name: registered in upper and lower case only.
HARPER_FUNCTIONS: dict[str, Callable[..., Any]] = {
    **DATE_FUNCTIONS,
    "SEARCH_JSON": search_json,
    "DISTINCT_ARRAY": _distinct_array,
}


_GEO_BY_UPPER = {name.upper(): name for name in GEO_FUNCTIONS}
#: Date functions alasql also has built in (so any spelling works, printed upper-cased).
_ALASQL_DATES = frozenset(
    {"NOW", "GETDATE", "CURRENT_TIMESTAMP", "DATE_ADD", "DATE_SUB", "DATEDIFF"}
)


def resolve_function(written: str) -> tuple[str, Callable[..., Any] | None]:
    """Resolve a called name to ``(key name, function)``.

    HarperDB's functions keep the spelling as written (only all-lower and all-upper exist);
    alasql's built-ins are case-insensitive and print upper-cased; any other name is unknown
    to alasql, which then drops the name and keeps the parenthesised arguments (None).
    """
    upper = written.upper()
    geo = _GEO_BY_UPPER.get(upper)
    if geo is not None and written in (geo, upper, written.lower()):
        return written, GEO_FUNCTIONS[geo]
    if upper in HARPER_FUNCTIONS and written in (upper, written.lower()):
        return written, HARPER_FUNCTIONS[upper]
    if upper in _ALASQL_DATES:
        return upper, HARPER_FUNCTIONS[upper]
    if upper in SCALARS:
        return upper, SCALARS[upper]
    if upper in AGGREGATES:
        return upper, None
    return "", None


def is_aggregate(written: str) -> bool:
    """Tell whether a called name is an aggregate function."""
    upper = written.upper()
    if upper in _HARPER_AGGREGATES:
        return written in (upper, written.lower())
    return upper in AGGREGATES


def numeric(value: Any) -> bool:
    """Tell whether a value counts in SUM/AVG/MIN/MAX (numbers only)."""
    return is_number(value) and not math.isnan(value)
