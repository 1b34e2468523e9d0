"""HarperDB's JSON imports as a format: a top-level JSON array of objects, split as it streams.

The array is split into elements incrementally (strings, escapes and nesting tracked across
chunk boundaries), so an object of any size is read in constant memory; string values holding
JSON objects or arrays are parsed at any depth (HarperDB's ``autoCastJSONDeep``). An array
that is not valid JSON raises :class:`JsonArrayError` naming the line; for a load
(``faults``), an element that is not an object or has a null or empty primary key is judged
as :mod:`.json_faults` does.
"""

import re
from collections.abc import Iterable
from typing import Any

import msgspec

from loadmaster.errors import JsonArrayError
from loadmaster.formats.anomalies import RowFaults
from loadmaster.formats.casting import json_cell
from loadmaster.formats.json_faults import judged, keys_faulty


def cast_json_strings(value: dict[str, Any] | list[Any]) -> None:
    """Parse, in place, every string value at any depth that holds a JSON object or array."""
    items: Iterable[tuple[Any, Any]] = value.items() if type(value) is dict else enumerate(value)
    for slot, item in items:
        kind = type(item)
        if kind is str:
            if item[:1] in _JSON_STARTS:
                value[slot] = json_cell(item)
        elif kind is dict or kind is list:
            cast_json_strings(item)


_JSON_STARTS = frozenset(("{", "["))
_BEFORE, _INSIDE, _AFTER = 0, 1, 2
_WS = b" \t\r\n"
_SKIP_WS = re.compile(rb"[ \t\r\n]*+")
_BOM = b"\xef\xbb\xbf"
# Everything up to the next bracket that is not inside a string (strings skipped whole).
_NEXT_BRACKET = re.compile(rb'(?:"(?:[^"\\]++|\\.)*+"|[^\[\]{}"]++)*+([\[\]{}])', re.S)
# What may follow an element's closing brace: another element, the array's end, or more data.
_AFTER_ELEMENT = re.compile(rb"[ \t\r\n]*+(?:,[ \t\r\n]*+\{|\]|\Z)")
# A string starting with { or [ (or escaped, so possibly): the only text the JSON cast changes.
_MAYBE_JSON_TEXT = (b'"{', b'"[', b'"\\u')
_RECORDS = msgspec.json.Decoder(list[dict[str, Any]])
_ANY = msgspec.json.Decoder()
# A string (skipped whole), a bracket or a comma: enough to cut a region into its elements.
_TOKEN = re.compile(rb'"(?:[^"\\]++|\\.)*+"|[\[\]{},]', re.S)
# msgspec names where decoding failed as "(byte N)" of the text it was given.
_AT_BYTE = re.compile(r" ?\(byte (\d+)\)$")
#: Braces looked at per guess before falling back to the scan.
_MAX_BRACES = 256


class JsonArraySplitter:
    """Cut a top-level JSON array of objects, fed in chunks, into decoded records.

    It holds about one chunk plus one element, whatever the size of the array. Each chunk's
    complete elements are decoded by one msgspec call. Where they end is first guessed (the
    last ``}`` that may close an element; ``[`` + prefix + ``]`` decodes only when the guess is
    right), which costs nothing in Python per record; when guesses fail, the chunk is scanned
    for brackets outside strings, keeping the scan's place across chunks for huge elements.

    Without ``faults`` an element that is not an object raises :class:`JsonArrayError`; with
    them it is counted there and left out, and the elements after a stop are not read.
    """

    def __init__(
        self, *, guesses: int = 3, cast_json: bool = True, faults: RowFaults | None = None
    ) -> None:
        self._pending = b""
        self._state = _BEFORE
        self._first = True
        self._resume: tuple[int, int] | None = None
        self._guesses = guesses
        self._cast_json = cast_json
        self._faults = faults
        self._primary_key = faults.checks.primary_key if faults is not None else None
        #: The line where ``_pending`` begins.
        self._line = 1

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        """Add a chunk; return the records it completed."""
        if self._state == _AFTER:
            if chunk.strip(_WS):
                raise JsonArrayError("Invalid JSON: unexpected data after the array")
            return []
        self._pending += chunk
        if self._state == _BEFORE and not self._open():
            return []
        start = self._start()
        if start < 0:
            return []
        end, records = self._guess(start) if self._resume is None else (-1, [])
        if end < 0:
            end = self._scan(start)
            if end < 0:
                return []
            records = self._decode(memoryview(self._pending)[start:end], start)
        self._line += self._pending.count(b"\n", 0, end)
        self._pending = self._pending[end:]
        self._first = False
        self._start()
        return records

    def close(self) -> list[dict[str, Any]]:
        """End the input; raise unless the array was complete (an empty input is none)."""
        records: list[dict[str, Any]] = []
        # Elements that are not objects may still wait before the array's end.
        while self._state == _INSIDE and (self._faults is None or self._faults.stop is None):
            waiting = len(self._pending)
            records += self.feed(b"")
            if len(self._pending) == waiting:
                break
        if self._state == _INSIDE:
            raise JsonArrayError("Invalid JSON: the array is incomplete")
        if self._state == _BEFORE and self._pending.strip(_WS + _BOM):
            raise JsonArrayError("Invalid JSON: expected a top-level array")
        return records

    def _error(self, reason: str, at: int) -> JsonArrayError:
        """Word a fault of the array's text at ``_pending[at]``, naming its line."""
        line = self._line + self._pending.count(b"\n", 0, at)
        return JsonArrayError(f"Invalid JSON: {reason} (line {line})")

    def _open(self) -> bool:
        buf = self._pending
        if buf.startswith(_BOM):
            buf = buf[len(_BOM) :]
        elif _BOM.startswith(buf):
            return False
        at = _SKIP_WS.match(buf).end()  # type: ignore[union-attr]
        if at == len(buf):
            return False
        if buf[at] != ord("["):
            raise JsonArrayError("Invalid JSON: expected a top-level array of objects")
        self._line += buf.count(b"\n", 0, at)
        self._pending = buf[at + 1 :]
        self._state = _INSIDE
        return True

    def _start(self) -> int:
        """Return where the next element starts, or -1 when more data is needed (or the
        array just ended)."""
        buf = self._pending
        at = _SKIP_WS.match(buf).end()  # type: ignore[union-attr]
        if at == len(buf):
            return -1
        if not self._first and buf[at] != ord("]"):
            if buf[at] != ord(","):
                raise self._error("expected ',' or ']' between elements", at)
            at = _SKIP_WS.match(buf, at + 1).end()  # type: ignore[union-attr]
            if at == len(buf):
                return -1
            if buf[at] == ord("]"):
                raise self._error("trailing comma in the array", at)
        if buf[at] == ord("]"):
            if buf[at + 1 :].strip(_WS):
                raise self._error("unexpected data after the array", at + 1)
            self._pending = b""
            self._state = _AFTER
            return -1
        return at

    def _guess(self, start: int) -> tuple[int, list[dict[str, Any]]]:
        buf = self._pending
        tries = self._guesses
        brace = buf.rfind(b"}", start)
        for _ in range(_MAX_BRACES):
            if brace < 0 or tries == 0:
                break
            if _AFTER_ELEMENT.match(buf, brace + 1) is not None:
                tries -= 1
                try:
                    return brace + 1, self._decode(
                        memoryview(buf)[start : brace + 1], start, guessing=True
                    )
                except msgspec.DecodeError:
                    pass  # a brace inside an element or a string: try an earlier one
            brace = buf.rfind(b"}", start, brace)
        return -1, []

    def _scan(self, start: int) -> int:
        buf = self._pending
        pos, depth = self._resume or (start, 0)
        cut = -1
        next_bracket = _NEXT_BRACKET.match
        while (found := next_bracket(buf, pos)) is not None:
            pos = found.end()
            if buf[pos - 1] in b"[{":
                depth += 1
                continue
            depth -= 1
            if depth == 0:
                cut = pos
            elif depth < 0:
                if cut < 0:
                    # No object before the array's end: other values, judged for a load;
                    # else decoding says what is wrong.
                    if self._faults is not None:
                        cut = pos - 1
                        break
                    self._decode(memoryview(buf)[start : pos - 1], start)
                    raise self._error("unbalanced brackets in the array", pos - 1)
                break  # the array's own closing bracket, handled by _start
        self._resume = (pos, depth) if cut < 0 else None
        return cut

    def _decode(
        self, region: memoryview, start: int, *, guessing: bool = False
    ) -> list[dict[str, Any]]:
        """Decode the elements of ``_pending[start:]`` that ``region`` holds."""
        faults = self._faults
        try:
            text = b"".join((b"[", region, b"]"))
            records = _RECORDS.decode(text)
        except msgspec.ValidationError as exc:
            if faults is None:
                raise JsonArrayError(f"Invalid JSON: records must be objects ({exc})") from exc
            records = self._one_by_one(faults, text[1:-1], start, guessing=guessing)
        except msgspec.DecodeError as exc:
            if guessing:
                raise
            raise self._malformed(exc, text[1:-1], start) from exc
        else:
            if faults is not None and keys_faulty(records, self._primary_key):
                records = self._one_by_one(faults, text[1:-1], start, guessing=guessing)
        if self._cast_json and any(mark in text for mark in _MAYBE_JSON_TEXT):
            for record in records:
                cast_json_strings(record)
        return records

    def _one_by_one(
        self, faults: RowFaults, region: bytes, start: int, *, guessing: bool
    ) -> list[dict[str, Any]]:
        """Decode a region's elements one at a time and judge each at its line (a region
        with a fault, for a load)."""
        values: list[tuple[Any, int, bytes]] = []
        line = self._line + self._pending.count(b"\n", 0, start)
        seen = 0
        for begin, end in _elements(region):
            part = region[begin:end]
            try:
                value = _ANY.decode(part)
            except msgspec.DecodeError as exc:
                if guessing:
                    raise  # the guessed end was wrong: judge nothing yet
                raise self._malformed(exc, region, start) from exc
            first = begin + len(part) - len(part.lstrip(_WS))
            line += region.count(b"\n", seen, first)
            seen = first
            values.append((value, line, part))
        records = []
        for value, line, part in values:
            if judged(faults, value, line, part):
                records.append(value)
            if faults.stop is not None:
                break
        return records

    def _malformed(self, exc: msgspec.DecodeError, region: bytes, start: int) -> JsonArrayError:
        """Word msgspec's failure on ``region`` (at ``_pending[start]``) with its line."""
        reason = str(exc)
        found = _AT_BYTE.search(reason)
        at = min(max(int(found.group(1)) - 1, 0), len(region)) if found is not None else 0
        line = self._line + self._pending.count(b"\n", 0, start) + region.count(b"\n", 0, at)
        return JsonArrayError(f"Invalid JSON: {_AT_BYTE.sub('', reason)} (line {line})")


def _elements(region: bytes) -> list[tuple[int, int]]:
    """Return where each element of a region of array elements begins and ends."""
    bounds = []
    depth = begin = 0
    for token in _TOKEN.finditer(region):
        mark = region[token.start()]
        if mark in b"[{":
            depth += 1
        elif mark in b"]}":
            depth -= 1
        elif mark == ord(",") and depth == 0:
            bounds.append((begin, token.start()))
            begin = token.end()
    bounds.append((begin, len(region)))
    return bounds
