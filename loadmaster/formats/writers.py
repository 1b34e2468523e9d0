"""Export encoders (spec §7): a compact JSON array and json2csv 5.0.7's CSV, both streamed.

Records are encoded a chunk at a time. The CSV writer formats a chunk column by column: a
column whose cells share one type (all text, all integers, all floats, all booleans) is
formatted with C-level ``map`` calls and one ``%`` template per line; only mixed columns pay
a Python call per cell.
"""

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import chain, islice
from operator import itemgetter
from typing import Any

import msgspec

from loadmaster.formats.casting import js_number
from loadmaster.formats.dates import to_iso_utc


def _encode_other(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise NotImplementedError(f"cannot encode {type(value).__name__} as JSON")


_JSON = msgspec.json.Encoder(enc_hook=_encode_other)


def iter_json_array(
    records: Iterable[Mapping[str, Any]], *, chunk_records: int = 1000
) -> Iterator[bytes]:
    """Encode records as one compact JSON array, ``[{...},{...}]``, a chunk at a time.

    No whitespace or newline; ``[]`` for no records; NaN and infinities become ``null``.
    """
    records = iter(records)
    opener = b"["
    while batch := list(islice(records, chunk_records)):
        body = _JSON.encode(batch)
        yield opener + memoryview(body)[1:-1]
        opener = b","
    yield b"[]" if opener == b"[" else b"]"


def iter_ndjson(
    records: Iterable[Mapping[str, Any]], *, chunk_records: int = 1000
) -> Iterator[bytes]:
    """Encode records as NDJSON: one compact JSON object per line, each line ended by ``\n``."""
    records = iter(records)
    encode_lines = _JSON.encode_lines
    while batch := list(islice(records, chunk_records)):
        yield encode_lines(batch)


_BOOL_TEXT = {True: "true", False: "false"}
_json_encode = msgspec.json.Encoder().encode


def _json_text(value: Any) -> str:
    """Return ``JSON.stringify(value)`` with json2csv's unquoting of a JSON string."""
    text = _JSON.encode(value).decode()
    if len(text) > 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1]
    return text


def csv_cell(value: Any) -> str:
    """Format one value as a json2csv 5.0.7 cell (strings quoted, null and missing empty)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return '"' + str.replace(value, '"', '""') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return js_number(float(value))
    if isinstance(value, datetime):  # a JavaScript Date: JSON.stringify gives its ISO string
        text = to_iso_utc(value.timestamp() * 1000)
    else:
        text = _json_text(value)
    return '"' + text.replace('"', '""') + '"'


def _float_column(values: Sequence[float]) -> list[str]:
    # msgspec prints the shortest round-trip digits, in decimal from 1e-6 on, as JavaScript
    # does, and 7x faster than repr(); integral values (``3.0``), exponents and non-finite
    # values (``null``) are fixed up one by one.
    joined = _json_encode(values)[1:-1].decode() + ","
    texts = joined[:-1].split(",")
    if ".0," in joined or "e" in joined or "n" in joined:
        return [
            js_number(v) if ("e" in t or "n" in t or t.endswith(".0")) else t
            for v, t in zip(values, texts, strict=True)
        ]
    return texts


def _format_column(values: Sequence[Any]) -> tuple[bool, bool, Sequence[Any]]:
    """Format a column of a chunk; return (wrap in quotes, has a null, cells for ``%s``)."""
    kinds = set(map(type, values))
    if len(kinds) == 1:
        kind = kinds.pop()
        if kind is str:
            if '"' in "".join(values):
                return True, False, [v.replace('"', '""') for v in values]
            return True, False, values
        if kind is int:
            return False, False, values
        if kind is float:
            return False, False, _float_column(values)
        if kind is bool:
            return False, False, list(map(_BOOL_TEXT.__getitem__, values))
        kinds.add(kind)
    return False, type(None) in kinds, list(map(csv_cell, values))


def _csv_lines(batch: list[Any], columns: Sequence[str]) -> list[str]:
    getter = itemgetter(*columns)
    try:
        rows = list(map(getter, batch))
    except (KeyError, IndexError, TypeError):
        rows = [tuple(map(record.get, columns)) for record in batch]
    else:
        if len(columns) == 1:
            rows = [(value,) for value in rows]
    formatted = [_format_column(values) for values in zip(*rows, strict=True)]
    template = ",".join('"%s"' if quoted else "%s" for quoted, _, _ in formatted)
    lines = list(map(template.__mod__, zip(*(cells for _, _, cells in formatted), strict=True)))
    if all(has_null for _, has_null, _ in formatted):
        # json2csv drops a row whose every cell is null or missing.
        lines = [
            line for line, row in zip(lines, rows, strict=True) if any(v is not None for v in row)
        ]
    return lines


def iter_csv(
    records: Iterable[Mapping[str, Any]],
    *,
    columns: Sequence[str] | None = None,
    chunk_records: int = 1000,
) -> Iterator[bytes]:
    """Encode records as CSV the way HarperDB's json2csv 5.0.7 export does.

    The header quotes every name (``"id","name"``); strings are quoted with ``""`` escapes
    (so ``"0012"`` and ``""``), numbers and booleans are bare (floats as JavaScript prints
    them, NaN as ``NaN``), null and missing values give an empty cell, objects and arrays
    their JSON text, quoted. A row whose cells are all empty is left out, as json2csv does.
    Rows are joined with ``\\n`` and there is no newline at the end.

    Columns are ``columns`` when given (the header is written even when there are no
    records, as json2csv does with declared fields), else the first record's keys (keys seen
    only in later records are dropped; no records give no output at all).
    """
    records = iter(records)
    if columns is None:
        first = next(records, None)
        if first is None:
            return
        names = list(first.keys())
        records = chain((first,), records)
    else:
        names = list(columns)
    if not names:
        return
    yield ",".join(map(csv_cell, names)).encode()
    while batch := list(islice(records, chunk_records)):
        lines = _csv_lines(batch, names)
        if lines:
            yield ("\n" + "\n".join(lines)).encode()
