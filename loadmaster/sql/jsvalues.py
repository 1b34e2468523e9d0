"""JavaScript value semantics, as alasql applies them to WHERE, ORDER BY and arithmetic.

Values are what records hold (None, bool, int, float, str, list, dict) plus :data:`UNDEF`, the
value of an expression JavaScript would call ``undefined`` (a NULL literal, a CASE without a
matching branch); it is left out of result rows, where ``None`` is written as ``null``.
"""

import math
import re
from functools import cmp_to_key
from typing import Any, Final

import msgspec

__all__ = [
    "UNDEF",
    "auto_cast_json",
    "js_add",
    "js_bool",
    "js_loose_eq",
    "js_lt",
    "js_number",
    "js_str",
    "js_strict_eq",
    "normalize_number",
    "order_key",
]


class _Undefined:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDEF"

    def __bool__(self) -> bool:
        return False


UNDEF: Final = _Undefined()
_NUMERIC = re.compile(r"^[+-]?(\d+\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?|Infinity)$", re.IGNORECASE)
_MAX_SAFE = 2**53


def is_number(value: Any) -> bool:
    """Tell whether a value is a JavaScript number (bools are not)."""
    return type(value) is int or type(value) is float


def is_null(value: Any) -> bool:
    """Tell whether a value is null or undefined."""
    return value is None or value is UNDEF


def normalize_number(value: float | int) -> float | int:
    """Return an integral float as an int, as JavaScript prints ``4 / 2`` as ``2``."""
    if type(value) is float and value.is_integer() and abs(value) < _MAX_SAFE:
        return int(value)
    return value


def js_number(value: Any) -> float | int:
    """Convert a value as JavaScript's ``Number()`` does."""
    if type(value) is int or type(value) is float:
        return value
    if type(value) is bool:
        return int(value)
    if value is None:
        return 0
    if type(value) is str:
        text = value.strip()
        if text == "":
            return 0
        if _NUMERIC.match(text):
            return normalize_number(float(text))
        if text[:2].lower() == "0x":
            try:
                return int(text, 16)
            except ValueError:
                return math.nan
        return math.nan
    if isinstance(value, list):
        return js_number(js_str(value)) if len(value) <= 1 else math.nan
    return math.nan


def js_str(value: Any) -> str:
    """Convert a value as JavaScript's ``String()`` does."""
    if type(value) is str:
        return value
    if type(value) is bool:
        return "true" if value else "false"
    if value is None:
        return "null"
    if value is UNDEF:
        return "undefined"
    if type(value) is int:
        return str(value)
    if type(value) is float:
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    if isinstance(value, list):
        return ",".join("" if is_null(v) else js_str(v) for v in value)
    return "[object Object]"


def js_bool(value: Any) -> bool:
    """Convert a value as JavaScript's ``Boolean()`` does."""
    if type(value) is float and math.isnan(value):
        return False
    if isinstance(value, list | dict):
        return True
    return bool(value)


def js_strict_eq(a: Any, b: Any) -> bool:
    """JavaScript ``===`` between two non-null values (objects never equal a copy)."""
    if is_number(a):
        return is_number(b) and a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, list | dict):
        return a is b
    return bool(a == b)


def _primitive(value: Any) -> Any:
    return js_str(value) if isinstance(value, list | dict) else value


def js_loose_eq(a: Any, b: Any) -> bool:
    """JavaScript ``==`` between two non-null values."""
    if type(a) is type(b) or (is_number(a) and is_number(b)):
        return js_strict_eq(a, b)
    if isinstance(a, list | dict) and isinstance(b, list | dict):
        return a is b
    a, b = _primitive(a), _primitive(b)
    if type(a) is str and type(b) is str:
        return a == b
    return js_number(a) == js_number(b)


def js_lt(a: Any, b: Any) -> bool:
    """JavaScript ``a < b``: strings by code unit, everything else as numbers."""
    a, b = _primitive(a), _primitive(b)
    if type(a) is str and type(b) is str:
        return a < b
    x, y = js_number(a), js_number(b)
    return x < y


def js_add(a: Any, b: Any) -> Any:
    """JavaScript ``a + b``: concatenation when either side is a string, else a sum."""
    a, b = _primitive(a), _primitive(b)
    if type(a) is str or type(b) is str:
        return js_str(a) + js_str(b)
    return normalize_number(js_number(a) + js_number(b))


def _sort_value(value: Any) -> Any:
    # alasql orders by ``value || ''``: every falsy value sorts as the empty string.
    return value if js_bool(value) else ""


def _compare(a: Any, b: Any) -> int:
    if js_lt(a, b):
        return -1
    if js_lt(b, a):
        return 1
    return 0


_COMPARE_KEY = cmp_to_key(_compare)


def order_key(value: Any) -> Any:
    """Return a sort key ordering values as alasql's ORDER BY does (loose JS comparison)."""
    return _COMPARE_KEY(_sort_value(value))


def fast_order_keys(values: list[Any]) -> list[Any] | None:
    """Return plain sort keys when every value is a number or falsy, or every one a string;
    None when the values are mixed and need :func:`order_key`."""
    if all(is_number(v) or not js_bool(v) for v in values):
        return [v if is_number(v) and not math.isnan(v) else 0 for v in values]
    if all(type(v) is str for v in values):
        return values
    return None


def auto_cast_json(value: Any) -> Any:
    """Return what HarperDB's ``autoCastJSON`` makes of a value: a string running from ``{``
    to ``}`` or from ``[`` to ``]`` that holds JSON becomes the value it holds; anything else
    (a space around it included) stays as it is."""
    if not (isinstance(value, str) and value[:1] + value[-1:] in ("{}", "[]")):
        return value
    try:
        return msgspec.json.decode(value)
    except msgspec.DecodeError:
        return value
