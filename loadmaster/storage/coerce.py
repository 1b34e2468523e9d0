"""Value coercion for the typed attributes of schema-defined tables (the ``insert`` wording)."""

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any

import msgspec

from loadmaster.errors import InvalidRequestError

__all__ = ["coercer"]

_INT_TEXT = re.compile(r"-?\d+")
_FLOAT_TEXT = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_json = msgspec.json.Encoder()


def _shown(value: Any) -> str:
    try:
        return _json.encode(value).decode()
    except (TypeError, ValueError, OverflowError):
        return repr(value)


def _fail(value: Any, attribute: str, must: str) -> InvalidRequestError:
    return InvalidRequestError(f"Value {_shown(value)} in property {attribute} {must}")


def _integer(bounds: tuple[int, int] | None, must: str) -> Callable[[Any, str], Any]:
    def coerce(value: Any, attribute: str) -> Any:
        if value is None or value == "":
            return None
        t = type(value)
        if t is int:
            result = value
        elif (t is float and value.is_integer()) or (t is str and _INT_TEXT.fullmatch(value)):
            result = int(value)
        else:
            raise _fail(value, attribute, must)
        if bounds is not None and not bounds[0] <= result <= bounds[1]:
            raise _fail(value, attribute, must)
        return result

    return coerce


def _float(value: Any, attribute: str) -> Any:
    if value is None or value == "":
        return None
    t = type(value)
    if t is float:
        return value
    if t is int:
        return float(value)
    if t is str and _FLOAT_TEXT.fullmatch(value):
        return float(value)
    raise _fail(value, attribute, "must be a number")


def _string(value: Any, attribute: str) -> Any:
    t = type(value)
    if t is str or value is None:
        return value
    if t is bool:
        return "true" if value else "false"
    if t is int or t is float:
        return _shown(value)
    raise _fail(value, attribute, "must be a string")


def _boolean(value: Any, attribute: str) -> Any:
    if value is None or value == "" or type(value) is bool:
        return None if value == "" else value
    if type(value) is str:
        lowered = value.lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
    raise _fail(value, attribute, "must be a boolean")


def _date(value: Any, attribute: str) -> Any:
    if value is None or value == "":
        return None
    t = type(value)
    if (t is int or t is float) and math.isfinite(value):
        return value
    if t is str:
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise _fail(value, attribute, "must be a date") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        return parsed.timestamp() * 1000
    raise _fail(value, attribute, "must be a date")


def _any(value: Any, _attribute: str) -> Any:
    return value


_COERCERS: dict[str, Callable[[Any, str], Any]] = {
    "int": _integer(_INT32, "must be an integer (from -2147483648 to 2147483647)"),
    "long": _integer(_INT64, "must be an integer"),
    "bigint": _integer(None, "must be an integer"),
    "float": _float,
    "number": _float,
    "string": _string,
    "boolean": _boolean,
    "date": _date,
}


def coercer(type_name: str | None) -> Callable[[Any, str], Any]:
    """Return the function that coerces a value to ``type_name`` (identity for other types).

    The returned function takes ``(value, attribute)`` and raises
    :class:`InvalidRequestError` with HarperDB's ``insert`` wording when the value does not fit.
    """
    if type_name is None:
        return _any
    return _COERCERS.get(type_name.lower(), _any)
