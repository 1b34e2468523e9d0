"""HarperDB's JSON imports as a format: a top-level JSON array of objects, split as it streams.

The array is split into elements incrementally (strings, escapes and nesting tracked across
chunk boundaries), so an object of any size is read in constant memory; string values holding
JSON objects or arrays are parsed at any depth (HarperDB's ``autoCastJSONDeep``).
"""

import re
from collections.abc import Iterable
from typing import Any

import msgspec

from loadmaster.errors import JsonArrayError
from loadmaster.formats.casting import json_cell


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
#: Braces looked at per guess before falling back to the scan.
_MAX_BRACES = 256


class JsonArraySplitter:
    """Cut a top-level JSON array of objects, fed in chunks, into decoded records.

    It holds about one chunk plus one element, whatever the size of the array. Each chunk's
    complete elements are decoded by one msgspec call. Where they end is first guessed (the
    last ``}`` that may close an element; ``[`` + prefix + ``]`` decodes only when the guess is
    right), which costs nothing in Python per record; when guesses fail, the chunk is scanned
    for brackets outside strings, keeping the scan's place across chunks for huge elements.
    """

    def __init__(self, *, guesses: int = 3, cast_json: bool = True) -> None:
        self._pending = b""
        self._state = _BEFORE
        self._first = True
        self._resume: tuple[int, int] | None = None
        self._guesses = guesses
        self._cast_json = cast_json

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
            records = self._decode(memoryview(self._pending)[start:end])
        self._pending = self._pending[end:]
        self._first = False
        self._start()
        return records

    def close(self) -> list[dict[str, Any]]:
        """End the input; raise unless the array was complete (an empty input is none)."""
        if self._state == _INSIDE:
            raise JsonArrayError("Invalid JSON: the array is incomplete")
        if self._state == _BEFORE and self._pending.strip(_WS + _BOM):
            raise JsonArrayError("Invalid JSON: expected a top-level array")
        return []

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
                raise JsonArrayError("Invalid JSON: expected ',' or ']' between elements")
            at = _SKIP_WS.match(buf, at + 1).end()  # type: ignore[union-attr]
            if at == len(buf):
                return -1
            if buf[at] == ord("]"):
                raise JsonArrayError("Invalid JSON: trailing comma in the array")
        if buf[at] == ord("]"):
            if buf[at + 1 :].strip(_WS):
                raise JsonArrayError("Invalid JSON: unexpected data after the array")
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
                        memoryview(buf)[start : brace + 1], guessing=True
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
                    # No object before the array's end: decoding says what is wrong.
                    self._decode(memoryview(buf)[start : pos - 1])
                    raise JsonArrayError("Invalid JSON: unbalanced brackets in the array")
                break  # the array's own closing bracket, handled by _start
        self._resume = (pos, depth) if cut < 0 else None
        return cut

    def _decode(self, region: memoryview, *, guessing: bool = False) -> list[dict[str, Any]]:
        try:
            text = b"".join((b"[", region, b"]"))
            records = _RECORDS.decode(text)
        except msgspec.ValidationError as exc:
            raise JsonArrayError(f"Invalid JSON: records must be objects ({exc})") from exc
        except msgspec.DecodeError as exc:
            if guessing:
                raise
            raise JsonArrayError(f"Invalid JSON: {exc}") from exc
        if self._cast_json and any(mark in text for mark in _MAYBE_JSON_TEXT):
            for record in records:
                cast_json_strings(record)
        return records
