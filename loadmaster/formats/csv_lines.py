"""The physical lines of a CSV source: counted, bad bytes noted, the end of input marked.

``csv.reader`` reads lines from :meth:`Lines.feed`, which hands them over a list at a time
(one Python step per 256 KiB, nothing per line) and ends with the line :data:`END`. That line
tells how the input ended, exactly and for free: after a complete last row it comes back as a
row ``[END]`` of its own; inside a quoted field that never closed, it is glued to the end of
that field's text (``csv.reader`` gives no other sign of an unterminated quote).

Bytes that are not UTF-8 are replaced by U+FFFD as Node's decoder does, through an error
handler that counts them, so clean input costs nothing extra; the lines of a read where a
replacement happened are the ones looked at for the character.
"""

import codecs
import io
import threading
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TextIO

#: The last line fed to the reader; no real input holds these noncharacters in this order.
END = "\ufdd0\ufdd1\ufdd2end of input\ufdd2\ufdd1\ufdd0"
#: The error handler to decode CSV bytes with (``errors=DECODE_ERRORS``).
DECODE_ERRORS = "loadmaster-csv-replace"
REPLACEMENT = "\ufffd"
_READ_HINT = 256 * 1024
_counts = threading.local()


def _replace_counting(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _counts.errors = getattr(_counts, "errors", 0) + 1
    return REPLACEMENT, exc.end


codecs.register_error(DECODE_ERRORS, _replace_counting)


def _decode_errors() -> int:
    return getattr(_counts, "errors", 0)


class Lines:
    """The lines of one text, fed to a CSV reader, with the line number they start after.

    Args:
        text: The text, as a stream opened with ``newline=""`` (line ends kept as they are).
        base: How many lines of the source precede this text (a parse restarted part-way).
        bad_lines: Where to note the lines holding a replaced byte (shared by restarts).
    """

    def __init__(
        self,
        text: TextIO,
        *,
        base: int = 0,
        bad_lines: list[int] | None = None,
        source: "ChunkReader | None" = None,
    ) -> None:
        self._text = text
        self._source = source
        self.base = base
        #: Lines handed over so far (not counting :data:`END`).
        self.count = 0
        #: Whether :data:`END` has been handed over.
        self.ended = False
        self.bad_lines: list[int] = [] if bad_lines is None else bad_lines
        self._head: list[list[str]] = []
        self._suspect = False

    @classmethod
    def of_string(cls, text: str, *, base: int = 0, bad_lines: list[int] | None = None) -> "Lines":
        """Return the lines of an in-memory text."""
        return cls(io.StringIO(text, newline=""), base=base, bad_lines=bad_lines)

    def _read(self) -> list[str]:
        before = _decode_errors()
        lines = self._text.readlines(_READ_HINT)
        if self._source is not None and self._source.failure is not None:
            if lines and lines[-1][-1:] not in ("\n", "\r"):
                lines.pop()  # cut short by the failure
            if not lines:
                raise self._source.failure
        replaced = _decode_errors() != before
        # The decoder reads ahead: a byte replaced during this read may sit in the next one.
        if replaced or self._suspect:
            first = self.base + self.count + 1
            self.bad_lines += [first + i for i, line in enumerate(lines) if REPLACEMENT in line]
        self._suspect = replaced
        self.count += len(lines)
        return lines

    def head(self, chars: int) -> str:
        """Return at least ``chars`` characters of whole lines from the start (or all of it);
        they are still fed to the reader."""
        size = 0
        while size < chars:
            lines = self._read()
            if not lines:
                break
            self._head.append(lines)
            size += sum(map(len, lines))
        return "".join("".join(lines) for lines in self._head)

    def feed(self) -> Iterator[list[str]]:
        """Yield the lines, a list at a time, then ``[END]``."""
        yield from self._head
        self._head = []
        while lines := self._read():
            yield lines
        self.ended = True
        yield [END]

    def bad_between(self, first: int, last: int) -> bool:
        """Tell whether a line from ``first`` to ``last`` (absolute) holds a replaced byte."""
        bad = self.bad_lines
        if not bad:
            return False
        at = bisect_left(bad, first)
        return at < len(bad) and bad[at] <= last


def line_breaks(row: Sequence[str]) -> int:
    """Return how many line breaks the cells of a row hold (``\\r\\n`` counts one)."""
    text = "\x00".join(row)
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def ends_with_break(text: str) -> bool:
    """Tell whether a text ends with a line break."""
    return text[-1:] in ("\n", "\r")


def after_first_line(text: str) -> str | None:
    """Return what follows the first line break of ``text`` (None when it has none)."""
    cut = min((i for i in (text.find("\n"), text.find("\r")) if i != -1), default=-1)
    if cut == -1:
        return None
    return text[cut + (2 if text.startswith("\r\n", cut) else 1) :]


class ChunkReader(io.RawIOBase):
    """A raw binary stream over an iterable of byte chunks, counting the bytes it takes.

    When the chunks fail, the stream ends there and keeps the exception as :attr:`failure`:
    :class:`Lines` then hands over the complete lines read before it and raises it, as
    reading line by line would have, instead of losing the lines of the read it broke.
    """

    def __init__(self, chunks: Iterable[bytes]) -> None:
        super().__init__()
        self._chunks = iter(chunks)
        self._pending = memoryview(b"")
        self.bytes_read = 0
        self.failure: Exception | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            if self.failure is not None:
                return 0
            try:
                chunk = next(self._chunks, None)
            except Exception as exc:  # noqa: BLE001 - re-raised by Lines, after the lines before
                self.failure = exc
                return 0
            if chunk is None:
                return 0
            self.bytes_read += len(chunk)
            self._pending = memoryview(chunk).cast("B")
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size
