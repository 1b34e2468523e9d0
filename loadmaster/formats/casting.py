"""Cell typing of CSV loads: HarperDB's ``autoCast`` (spec §5.2) and JavaScript's conversions.

:func:`autocast` types one cell; :func:`cast_column` types a whole column of a batch at once,
which is how the parser uses it: a column of plain numbers is decoded by one msgspec call, a
column of booleans by one ``map``, a column of text autoCast leaves alone by one regex search;
other columns cost one :func:`autocast` call per distinct cell. :func:`js_to_number`,
:func:`js_string` and :func:`js_number` are JavaScript's own conversions, which the load
coercion and the export writers share.
"""

import json
import math
import re
from collections.abc import Sequence
from typing import Annotated, Any

import msgspec

from loadmaster.formats.dates import parse_js_date, to_iso_utc

#: JavaScript's ``String.prototype.trim`` whitespace (WhiteSpace and LineTerminator).
JS_WHITESPACE = (
    "\t\n\x0b\x0c\r \xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_WS = re.escape(JS_WHITESPACE)
_NAN = math.nan
_SAFE_INT = 2**53

#: ``AUTOCAST_COMMON_STRINGS`` (4.x): exact spellings only, ``True`` stays a string.
_COMMON: dict[str, Any] = {
    "true": True,
    "TRUE": True,
    "false": False,
    "FALSE": False,
    "undefined": None,
    "null": None,
    "NULL": None,
    "NaN": _NAN,
}
_MISSING = object()
_BOOLS = {"true": True, "TRUE": True, "false": False, "FALSE": False}
_BOOL_KEYS = frozenset(_BOOLS)
#: A cell can only become a number or a date if it starts with one of these.
_NUMBER_START = frozenset("0123456789+-." + JS_WHITESPACE)

# JavaScript's StringToNumber grammar (what ``Number(text)`` accepts), ASCII digits only.
_JS_NUMBER = re.compile(
    rf"[{_WS}]*(?:([+-]?)(Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    rf"|0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|0[bB]([01]+))[{_WS}]*"
)
# common_utils ISO_DATE: a date-time with seconds optional, fraction optional, zone required.
_ISO_DATE = re.compile(
    r"[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9](?::[0-5][0-9](?:\.[0-9]+)?)?"
    r"(?:[+-][0-2][0-9]:[0-5][0-9]|Z)"
)

# A column of plain numbers is typed by msgspec's JSON decoder in one call: JSON's number
# grammar without exponents is exactly autoCast's (no leading zeros, no "+"), integers keep
# exact values only up to 2**53 (beyond, JavaScript rounds: the per-cell path does that).
_NUMBER_CHARS = re.compile(r"[-0-9.,]*")
_NUMBERS = msgspec.json.Decoder(
    list[Annotated[int, msgspec.Meta(ge=-_SAFE_INT, le=_SAFE_INT)] | float]
)
# Finds a cell (each preceded by NUL) that autoCast might change. No match: the column stays.
_KEYWORDS = "true|TRUE|false|FALSE|null|NULL|undefined|NaN"
_MAYBE_CAST = re.compile(rf"\x00(?:[{_WS}]*[-+.0-9]|(?:{_KEYWORDS})(?=\x00|\Z))")
_MAYBE_CAST_JSON = re.compile(rf"\x00(?:[{_WS}]*[-+.0-9]|(?:{_KEYWORDS})(?=\x00|\Z)|[{{\[])")

_JSON_DECODER = msgspec.json.Decoder()


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _js_numeric(text: str) -> int | float | None:
    """Return ``Number(text)`` for text in JavaScript's numeric grammar, else None."""
    match = _JS_NUMBER.fullmatch(text)
    if match is None:
        return None
    sign, decimal, hexadecimal, octal, binary = match.groups()
    if decimal is not None:
        if decimal == "Infinity":
            return -math.inf if sign == "-" else math.inf
        if "." in decimal or "e" in decimal or "E" in decimal:
            return float(sign + decimal)
        value = int(decimal)
        value = -value if sign == "-" else value
    else:
        value = int(hexadecimal, 16) if hexadecimal else int(octal or binary, 8 if octal else 2)
    return value if -_SAFE_INT <= value <= _SAFE_INT else float(value)


def js_to_number(text: str) -> int | float:
    """Return JavaScript's ``Number(text)``: NaN when not numeric, 0 for blank text."""
    value = _js_numeric(text)
    if value is not None:
        return value
    return 0 if text.strip(JS_WHITESPACE) == "" else _NAN


def _autocast_number(text: str) -> int | float | None:
    """Apply ``autoCasterIsNumberCheck`` then ``Number``; None when the cell stays text."""
    if not text.startswith("0.") and (
        (text[0] == "0" and text != "0") or "e" in text or "E" in text
    ):
        return None
    value = _js_numeric(text)
    if value is None or (type(value) is float and not math.isfinite(value)):
        return None
    return value


def _date_cell(text: str) -> str | None:
    # HarperDB stores a Date, which every output renders as its ISO UTC string; a date V8
    # cannot build (month 13) is an Invalid Date, which JSON renders as null.
    ms = parse_js_date(text)
    return None if ms is None else to_iso_utc(ms)


def json_cell(text: str) -> Any:
    """Parse a cell that looks like a JSON object or array (``autoCastJSON``), else keep it."""
    if not text or not (
        (text[0] == "{" and text[-1] == "}") or (text[0] == "[" and text[-1] == "]")
    ):
        return text
    try:
        return _JSON_DECODER.decode(text)
    except msgspec.DecodeError:
        pass
    # msgspec refuses numbers JSON.parse still reads (1e400, giant integers).
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError:
        return text


def autocast(text: str, *, json_cells: bool = False) -> Any:
    """Type one CSV cell as HarperDB's ``autoCast`` does (spec §5.2).

    ``""`` stays ``""``; ``true``/``TRUE``/``false``/``FALSE`` become booleans; ``null``,
    ``NULL`` and ``undefined`` become None; ``NaN`` becomes NaN; decimal numbers (also with
    surrounding whitespace, a sign, hex after whitespace) become int, or float when written
    with a dot or exponent; leading zeros and exponents stay text (except ``0.…``); an ISO
    date-time with a zone becomes its ISO UTC string. With ``json_cells``, text that looks
    like a JSON object or array is parsed (file, URL and S3 loads).
    """
    if not text:
        return text
    common = _COMMON.get(text, _MISSING)
    if common is not _MISSING:
        return common
    first = text[0]
    if first in _NUMBER_START:
        number = _autocast_number(text)
        if number is not None:
            return number
        if _ISO_DATE.fullmatch(text):
            return _date_cell(text)
    elif json_cells and (first == "{" or first == "["):
        return json_cell(text)
    return text


def _number_column(cells: Sequence[str]) -> list[int | float] | None:
    text = ",".join(cells)
    if not _NUMBER_CHARS.fullmatch(text):
        return None
    try:
        numbers = _NUMBERS.decode("[" + text + "]")
    except msgspec.DecodeError:
        return None
    # A comma inside a cell would add elements: equal counts prove a one-to-one split.
    return numbers if len(numbers) == len(cells) else None


def cast_column(cells: Sequence[str], *, json_cells: bool = False) -> Sequence[Any]:
    """Autocast a column of cells; return the cells themselves when none changes."""
    count = len(cells)
    if not count:
        return cells
    first = cells[0][:1]
    if first and first in "-0123456789":
        numbers = _number_column(cells)
        if numbers is not None:
            return numbers
    joined = "\x00".join(cells)
    if joined.count("\x00") == count - 1:  # no cell holds a NUL, so the split is exact
        finder = _MAYBE_CAST_JSON if json_cells else _MAYBE_CAST
        if finder.search("\x00" + joined) is None:
            return cells
    distinct = set(cells)
    if distinct <= _BOOL_KEYS:
        return list(map(_BOOLS.__getitem__, cells))
    typed = {cell: autocast(cell, json_cells=json_cells) for cell in distinct}
    if all(typed[cell] is cell for cell in distinct):
        return cells
    if json_cells and any(isinstance(v, (dict, list)) for v in typed.values()):
        # Parse per cell so that equal cells do not share one mutable object.
        return [autocast(cell, json_cells=True) for cell in cells]
    return list(map(typed.__getitem__, cells))


def cast_rows(rows: Sequence[Sequence[str]], *, json_cells: bool = False) -> list[list[Any]]:
    """Autocast every cell of a list of rows, a column at a time when all rows are as wide."""
    if len({len(row) for row in rows}) != 1:
        return [[autocast(cell, json_cells=json_cells) for cell in row] for row in rows]
    columns = [cast_column(cells, json_cells=json_cells) for cells in zip(*rows, strict=True)]
    return [list(row) for row in zip(*columns, strict=True)]


def js_number(value: float) -> str:
    """Format a float as JavaScript's ``Number.prototype.toString`` does (``3``, ``1e+21``)."""
    if value != value:
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    text = repr(value)
    if "e" not in text:
        return text[:-2] if text.endswith(".0") else text
    # Same shortest digits as JavaScript; only the layout differs (JS keeps up to 21 digits).
    mantissa, exponent = text.split("e")
    sign = "-" if mantissa[0] == "-" else ""
    digits = mantissa.lstrip("-").replace(".", "").rstrip("0") or "0"
    size, point = len(digits), int(exponent) + 1
    if size <= point <= 21:
        body = digits + "0" * (point - size)
    elif 0 < point <= 21:
        body = f"{digits[:point]}.{digits[point:]}"
    elif -6 < point <= 0:
        body = "0." + "0" * -point + digits
    else:
        fraction = f".{digits[1:]}" if size > 1 else ""
        body = f"{digits[0]}{fraction}e{'+' if point > 0 else '-'}{abs(point - 1)}"
    return sign + body


def js_string(value: Any) -> str:
    """Render a value as JavaScript's ``String(value)`` would (for error messages)."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return js_number(value)
    if isinstance(value, (list, tuple)):
        return ",".join("" if v is None else js_string(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)
