"""The CSV-load wording of typed-attribute coercion (``Table.coerceType``, spec §5.2).

A load coerces a schema-defined table's typed columns by the one coercion of
:mod:`loadmaster.storage.coerce`, with :data:`LOAD` as its wording. Besides the wording of a
refusal (``Invalid value for attribute <a>: "<value>", expecting <type>``), a load reads most
types as JavaScript does, which is why its rules live here, beside JavaScript's conversions.
"""

import re
from collections.abc import Sequence
from typing import Any

from loadmaster.errors import InvalidRequestError
from loadmaster.formats.casting import JS_WHITESPACE, autocast, js_string, js_to_number
from loadmaster.formats.dates import parse_js_date, to_iso_utc
from loadmaster.storage import Table
from loadmaster.storage.coerce import Coerce, Refuse, Wording, boolean_rule, coercer

_INTEGER_TEXT = re.compile(r"-?[0-9]+")
_BASE36_PREFIX = re.compile(r"[+-]?[0-9a-zA-Z]+")
_INT_CELL = r"-?(?:0|[1-9][0-9]{0,14})"
_INT_COLUMN = re.compile(rf"{_INT_CELL}(?:\x00{_INT_CELL})*")
_NAN = float("nan")


def column_types(table: Table) -> dict[str, str]:
    """Return attribute → declared type for the columns a load into ``table`` coerces.

    Only a schema-defined table has them, and ``Any`` columns are autocast instead.
    """
    if not table.schema_defined:
        return {}
    return {a.name: a.type for a in table.attributes() if a.type not in (None, "Any")}


def _load_refusal(must: str) -> Refuse:
    def refuse(value: Any, attribute: str) -> InvalidRequestError:
        return InvalidRequestError(
            f'Invalid value for attribute {attribute}: "{js_string(value)}", {must}'
        )

    return refuse


def _blank(value: Any) -> bool:
    return value is None or (value == "" and isinstance(value, str))


def _integer(refuse: Refuse) -> Coerce:
    def coerce(value: Any, attribute: str) -> Any:
        if _blank(value):
            return None
        if isinstance(value, str):
            if value[:1] == "$":  # HarperDB's compact base-36 form, read like parseInt
                digits = _BASE36_PREFIX.match(value[1:].lstrip(JS_WHITESPACE))
                if digits is None:
                    raise refuse(value, attribute)
                return _base36_prefix(digits.group(), value, refuse, attribute)
            if _INTEGER_TEXT.fullmatch(value):
                return int(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            return value
        elif isinstance(value, float) and value.is_integer():
            return int(value)
        raise refuse(value, attribute)

    return coerce


def _base36_prefix(text: str, original: str, refuse: Refuse, attribute: str) -> int:
    sign = -1 if text[0] == "-" else 1
    body = text.lstrip("+-")
    valid = ""
    for char in body:
        if not char.isascii() or not char.isalnum():
            break
        valid += char
    if not valid:
        raise refuse(original, attribute)
    return sign * int(valid, 36)


def _float(refuse: Refuse) -> Coerce:
    def coerce(value: Any, attribute: str) -> Any:
        if _blank(value):
            return None
        number: float
        if isinstance(value, str):
            number = float(js_to_number(value))
        elif isinstance(value, (int, float)):
            number = float(value)
        else:
            number = _NAN
        if number != number:
            raise refuse(value, attribute)
        return number

    return coerce


def _date(refuse: Refuse) -> Coerce:
    def coerce(value: Any, attribute: str) -> Any:
        if _blank(value):
            return None
        if isinstance(value, bool):
            raise refuse(value, attribute)
        ms: float | None
        if isinstance(value, (int, float)):
            ms = float(value)
        elif isinstance(value, str):
            number = js_to_number(value)
            if number == number:
                ms = float(number)
            else:
                ms = parse_js_date(value if value.endswith("Z") else value + "Z")
                if ms is None:  # a zone already given, like +01:00, must not get another
                    ms = parse_js_date(value)
        else:
            ms = None
        if ms is None or ms != ms or abs(ms) > 8.64e15:
            raise refuse(value, attribute)
        return to_iso_utc(ms)

    return coerce


def _big_int(refuse: Refuse) -> Coerce:
    def coerce(value: Any, attribute: str) -> Any:
        if _blank(value):
            return None
        if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip(JS_WHITESPACE)):
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise refuse(value, attribute)

    return coerce


def _string(_refuse: Refuse) -> Coerce:
    def coerce(value: Any, _attribute: str) -> Any:
        if value is None or isinstance(value, (dict, list)):
            return value
        return js_string(value)

    return coerce


def _any(_refuse: Refuse) -> Coerce:
    def coerce(value: Any, _attribute: str) -> Any:
        return autocast(value) if isinstance(value, str) else value

    return coerce


def _other(value: Any, _attribute: str) -> Any:
    return None if _blank(value) else value


#: The CSV-load wording: ``Invalid value for attribute <a>: "<value>", expecting <type>``;
#: type names as written; Int and Long without bit-width bounds (and HarperDB's ``$base36``
#: form); Float as JavaScript's ``Number``; Date as epoch ms or ISO text (``Z`` assumed),
#: given as the ISO UTC string; Any autocast; ``''`` becomes None for every type but String
#: and Any, unknown types included.
LOAD = Wording(
    refusal=_load_refusal,
    rules={
        "Int": ("expecting Int", _integer),
        "Long": ("expecting Long", _integer),
        "Float": ("expecting Float", _float),
        "Boolean": ("expecting Boolean", boolean_rule),
        "String": ("expecting String", _string),
        "Any": ("expecting Any", _any),
        "BigInt": ("expecting BigInt", _big_int),
        "Date": ("expecting Date", _date),
    },
    other=_other,
    fold_case=False,
)


def coerce_typed(value: Any, type_name: str, attribute: str) -> Any:
    """Coerce a cell to a schema-defined attribute's type as a load does (see :data:`LOAD`).

    ``''`` becomes None for every type but String and Any. Int and Long take only ``-?\\d+``
    (or HarperDB's ``$base36`` form) and integral numbers; Float takes what JavaScript's
    ``Number`` reads; Boolean takes ``true``/``false`` in any case; Date takes epoch ms or
    ISO text (``Z`` assumed) and gives the ISO UTC string; BigInt takes ``-?\\d+``; String
    gives text; Any is autocast. Values that are already typed (JSON imports, or cells
    autocast first) are accepted when they fit.

    Raises:
        InvalidRequestError: ``Invalid value for attribute <a>: "<value>", expecting <type>``.
    """
    return coercer(type_name, LOAD)(value, attribute)


def coerce_column(cells: Sequence[str], type_name: str, attribute: str) -> list[Any]:
    """Coerce a column of cells of one typed attribute (see :func:`coerce_typed`)."""
    if type_name in ("Int", "Long") and cells:
        joined = "\x00".join(cells)
        if joined.count("\x00") == len(cells) - 1 and _INT_COLUMN.fullmatch(joined):
            return list(map(int, cells))
    coerce = coercer(type_name, LOAD)
    return [coerce(cell, attribute) for cell in cells]


def coerce_records(records: list[dict[str, Any]], types: dict[str, str]) -> None:
    """Coerce cells of typed attributes in place (``Invalid value for attribute ...``)."""
    for record in records:
        for name, kind in types.items():
            if name in record:
                record[name] = coerce_typed(record[name], kind, name)
