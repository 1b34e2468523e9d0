"""Coercion of values to the declared types of schema-defined tables' attributes.

HarperDB coerces typed attributes on two paths, which word a refusal differently and, for most
types, also read values differently: an insert (``Value "abc" in property age must be an
integer ...``) and the cells of a CSV load (``Invalid value for attribute age: "abc",
expecting Int``). One :func:`coercer` serves both: the :class:`Wording` passed to it says how
a refusal is worded and how each type reads a value. :data:`INSERT` lives here, where writes
use it; the CSV-load wording lives with the formats it reads values by
(:mod:`loadmaster.formats.load_coercion`), as storage imports no formats.
"""

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import msgspec

from loadmaster.errors import InvalidRequestError

__all__ = ["INSERT", "Coerce", "Refuse", "Wording", "boolean_rule", "coercer"]

#: Coerce ``(value, attribute)`` to a type; raise the wording's refusal when it does not fit.
Coerce = Callable[[Any, str], Any]
#: Build the refusal of ``(value, attribute)``.
Refuse = Callable[[Any, str], InvalidRequestError]


@dataclass(frozen=True, eq=False)
class Wording:
    """How one of HarperDB's coercion paths words a refusal and reads each declared type.

    Attributes:
        refusal: Given a type's ``must`` text, return the function that builds its refusal.
        rules: Per type key, the type's ``must`` text (what a refusal says the value must
            be) and a factory that turns the type's :data:`Refuse` into its :data:`Coerce`.
        other: What coerces a value of an undeclared or unknown type.
        fold_case: Whether type names are matched in any case (keys are then lower case).
    """

    refusal: Callable[[str], Refuse]
    rules: Mapping[str, tuple[str, Callable[[Refuse], Coerce]]]
    other: Coerce
    fold_case: bool


@lru_cache(maxsize=256)  # type names are few; a bound keeps odd ones from piling up
def coercer(type_name: str | None, wording: Wording | None = None) -> Coerce:
    """Return the function that coerces a value to ``type_name`` as ``wording`` reads it.

    ``wording`` defaults to :data:`INSERT`. The returned function takes ``(value, attribute)``
    and raises :class:`InvalidRequestError` in the wording's words when the value does not
    fit; types the wording has no rule for get its ``other`` function.
    """
    wording = INSERT if wording is None else wording
    if type_name is None:
        return wording.other
    rule = wording.rules.get(type_name.lower() if wording.fold_case else type_name)
    if rule is None:
        return wording.other
    must, make = rule
    return make(wording.refusal(must))


def boolean_rule(refuse: Refuse) -> Coerce:
    """Return the Boolean rule both wordings share: ``true``/``false`` in any case, or a bool."""

    def coerce(value: Any, attribute: str) -> Any:
        if value is None or value == "" or type(value) is bool:
            return None if value == "" else value
        if type(value) is str:
            lowered = value.lower()
            if lowered == "true":
                return True
            if lowered == "false":
                return False
        raise refuse(value, attribute)

    return coerce


# The insert wording.

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


def _insert_refusal(must: str) -> Refuse:
    def refuse(value: Any, attribute: str) -> InvalidRequestError:
        return InvalidRequestError(f"Value {_shown(value)} in property {attribute} {must}")

    return refuse


def _integer(bounds: tuple[int, int] | None) -> Callable[[Refuse], Coerce]:
    def make(refuse: Refuse) -> Coerce:
        def coerce(value: Any, attribute: str) -> Any:
            if value is None or value == "":
                return None
            t = type(value)
            if t is int:
                result = value
            elif (t is float and value.is_integer()) or (t is str and _INT_TEXT.fullmatch(value)):
                result = int(value)
            else:
                raise refuse(value, attribute)
            if bounds is not None and not bounds[0] <= result <= bounds[1]:
                raise refuse(value, attribute)
            return result

        return coerce

    return make


def _float(refuse: Refuse) -> Coerce:
    def coerce(value: Any, attribute: str) -> Any:
        if value is None or value == "":
            return None
        t = type(value)
        if t is float:
            return value
        if t is int:
            return float(value)
        if t is str and _FLOAT_TEXT.fullmatch(value):
            return float(value)
        raise refuse(value, attribute)

    return coerce


def _string(refuse: Refuse) -> Coerce:
    def coerce(value: Any, attribute: str) -> Any:
        t = type(value)
        if t is str or value is None:
            return value
        if t is bool:
            return "true" if value else "false"
        if t is int or t is float:
            return _shown(value)
        raise refuse(value, attribute)

    return coerce


def _date(refuse: Refuse) -> Coerce:
    def coerce(value: Any, attribute: str) -> Any:
        if value is None or value == "":
            return None
        t = type(value)
        if (t is int or t is float) and math.isfinite(value):
            return value
        if t is str:
            try:
                parsed = dt.datetime.fromisoformat(value)
            except ValueError:
                raise refuse(value, attribute) from None
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=dt.UTC)
            return parsed.timestamp() * 1000
        raise refuse(value, attribute)

    return coerce


def _any(value: Any, _attribute: str) -> Any:
    return value


_MUST_INTEGER = "must be an integer"
_MUST_NUMBER = "must be a number"

#: The insert wording (``insert``, ``update``, ``upsert``): ``Value <json> in property <a>
#: must be ...``; type names in any case; Int and Long within their bit widths; Date as epoch
#: ms; undeclared types (Any) unchanged.
INSERT = Wording(
    refusal=_insert_refusal,
    rules={
        "int": (f"{_MUST_INTEGER} (from -2147483648 to 2147483647)", _integer(_INT32)),
        "long": (_MUST_INTEGER, _integer(_INT64)),
        "bigint": (_MUST_INTEGER, _integer(None)),
        "float": (_MUST_NUMBER, _float),
        "number": (_MUST_NUMBER, _float),
        "string": ("must be a string", _string),
        "boolean": ("must be a boolean", boolean_rule),
        "date": ("must be a date", _date),
    },
    other=_any,
    fold_case=True,
)
