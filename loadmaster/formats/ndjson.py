"""NDJSON (JSON Lines) as a format: one JSON object per line, split as it streams.

Complete lines of a chunk are decoded by one msgspec call (the newlines turned into commas
of one array), which costs nothing in Python per record; only when that fails, or a primary
key is null or empty, are the lines decoded one by one: to name the first bad one, or, for a
load (``faults``), to judge each as :mod:`.json_faults` does. Blank lines are skipped;
``\\r\\n`` works.
"""

from typing import Any

import msgspec

from loadmaster.errors import JsonArrayError
from loadmaster.formats.anomalies import RowFaults
from loadmaster.formats.json_array import (
    _MAYBE_JSON_TEXT,
    _RECORDS,
    JsonArraySplitter,
    cast_json_strings,
)
from loadmaster.formats.json_faults import judged, keys_faulty, unparsable

__all__ = ["NdjsonSplitter", "json_splitter"]

_BOM = b"\xef\xbb\xbf"
_ANY = msgspec.json.Decoder()


class NdjsonSplitter:
    """Cut NDJSON, fed in chunks, into decoded records (holds at most one partial line).

    Without ``faults`` a bad line raises :class:`JsonArrayError`; with them it is counted
    there and left out, and the lines after a stop are not read.
    """

    def __init__(self, *, cast_json: bool = True, faults: RowFaults | None = None) -> None:
        self._pending = b""
        self._lines = 0
        self._first = True
        self._cast_json = cast_json
        self._faults = faults
        self._primary_key = faults.checks.primary_key if faults is not None else None

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        """Add a chunk; return the records of the lines it completed."""
        data = self._pending + chunk if self._pending else chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            self._pending = data
            return []
        self._pending = data[cut + 1 :]
        return self._decode(data[: cut + 1])

    def close(self) -> list[dict[str, Any]]:
        """End the input; return the records of a last line without a newline."""
        rest, self._pending = self._pending, b""
        return self._decode(rest) if rest.strip() else []

    def _decode(self, body: bytes) -> list[dict[str, Any]]:
        if self._first:
            self._first = False
            if body.startswith(_BOM):
                body = body[len(_BOM) :]
        first_line = self._lines + 1
        self._lines += body.count(b"\n")
        text = body.strip()
        try:
            records = _RECORDS.decode(b"".join((b"[", text.replace(b"\n", b","), b"]")))
        except (msgspec.DecodeError, msgspec.ValidationError):
            records = self._line_by_line(body, first_line)
        else:
            # One record per line (``{..},{..}`` on one line is not NDJSON), no faulty key.
            lines = text.count(b"\n") + 1 if text else 0
            if len(records) != lines or keys_faulty(records, self._primary_key):
                records = self._line_by_line(body, first_line)
        if self._cast_json and any(mark in body for mark in _MAYBE_JSON_TEXT):
            for record in records:
                cast_json_strings(record)
        return records

    def _line_by_line(self, body: bytes, first_line: int) -> list[dict[str, Any]]:
        faults = self._faults
        records: list[dict[str, Any]] = []
        for number, line in enumerate(body.split(b"\n"), first_line):
            if not line.strip():
                continue
            try:
                value = _ANY.decode(line)
            except msgspec.DecodeError as exc:
                if faults is None:
                    raise JsonArrayError(f"Invalid JSON on line {number}: {exc}") from exc
                unparsable(faults, number, line)
            else:
                if faults is not None:
                    if judged(faults, value, number, line):
                        records.append(value)
                elif isinstance(value, dict):
                    records.append(value)
                else:
                    raise JsonArrayError(f"Invalid JSON on line {number}: not an object")
            if faults is not None and faults.stop is not None:
                break
        return records


class _Either:
    """Waits for the first byte that is not blank, then splits as an array or as NDJSON."""

    def __init__(self, *, cast_json: bool, faults: RowFaults | None) -> None:
        self._cast_json = cast_json
        self._faults = faults
        self._head = b""
        self._splitter: JsonArraySplitter | NdjsonSplitter | None = None

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        """Add a chunk; return the records it completed."""
        if self._splitter is not None:
            return self._splitter.feed(chunk)
        self._head += chunk
        start = self._head[len(_BOM) :] if self._head.startswith(_BOM) else self._head
        text = start.lstrip()
        if not text:
            return []
        if text[:1] == b"[":
            self._splitter = JsonArraySplitter(cast_json=self._cast_json, faults=self._faults)
        else:
            self._splitter = NdjsonSplitter(cast_json=self._cast_json, faults=self._faults)
        head, self._head = self._head, b""
        return self._splitter.feed(head)

    def close(self) -> list[dict[str, Any]]:
        """End the input."""
        return self._splitter.close() if self._splitter is not None else []


def json_splitter(*, cast_json: bool = True, faults: RowFaults | None = None) -> _Either:
    """Return a splitter for a JSON source: a top-level array or NDJSON, decided by its
    first byte that is not blank (``[`` means an array); ``faults`` as the splitters take."""
    return _Either(cast_json=cast_json, faults=faults)
