"""Streaming CSV parsing that reads files as HarperDB's papaparse 5.5.3 does (spec §5.1).

``csv.reader`` does the tokenising (quotes, ``""`` escapes, quoted newlines, all three line
endings) over lines from an incremental UTF-8 decoder; this module adds what papaparse does
differently: the delimiter guess, the header row (duplicates renamed ``name_1``...), skipping
only truly empty lines, ragged rows (missing keys, ``__parsed_extra``) and cell typing, done a
column at a time per batch (:func:`loadmaster.jobs.casting.cast_column`).

Known differences from papaparse, all on malformed or unusual input: every file may mix
``\\n``, ``\\r\\n`` and ``\\r`` (papaparse picks one per file); text after a closing quote is
appended to the cell; a quoted header behind a BOM loses its quotes.
"""

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import chain, islice, pairwise, repeat
from typing import Any, TextIO

from loadmaster.errors import InvalidRequestError
from loadmaster.jobs.casting import (
    JS_WHITESPACE,
    autocast,
    cast_column,
    coerce_column,
    coerce_typed,
    json_cell,
)

# An unterminated quote makes the rest of the input one cell (as in papaparse), and a file's
# cells may be large: lift csv's 128 KiB cell limit for the process.
csv.field_size_limit(2**31 - 1)

#: Delimiters papaparse tries, in its order; ``,`` when none fits.
DELIMITERS = (",", "\t", "|", ";", "\x1e", "\x1f")
PARSED_EXTRA = "__parsed_extra"
_SNIFF_CHARS = 64 * 1024
_READ_SIZE = 256 * 1024
_PREVIEW_ROWS = 10
_SLICE_ROWS = 500
_COLUMN_NAME = re.compile(r"[\x20-\x2E\x30-\x5F\x61-\x7E]*")
_QUOTED = re.compile(r'"[\s\S]*?"')
#: Characters of a refused column name shown in the error.
_SHOWN_NAME = 40


def check_column_names(names: Iterable[str]) -> None:
    """Refuse a load whose column names are not printable ASCII without ``/`` or backtick.

    Raises:
        InvalidRequestError: ``Invalid column name '<col>', cancelling load operation``.
    """
    for name in names:
        if not _COLUMN_NAME.fullmatch(name):
            # A header is a file's first line: show only enough of it to find the column.
            shown = name if len(name) <= _SHOWN_NAME else f"{name[:_SHOWN_NAME]}..."
            raise InvalidRequestError(f"Invalid column name '{shown}', cancelling load operation")


def _guess_line_ending(text: str) -> str:
    """Return the line ending papaparse's ``guessLineEndings`` picks for a first chunk."""
    text = _QUOTED.sub("", text[: 1 << 20])
    by_cr = text.split("\r")
    by_lf = text.split("\n")
    if len(by_cr) == 1 or (len(by_lf) > 1 and len(by_lf[0]) < len(by_cr[0])):
        return "\n"
    with_lf = sum(1 for part in by_cr if part[:1] == "\n")
    return "\r\n" if with_lf >= len(by_cr) / 2 else "\r"


def _quoted_field(text: str, start: int, delimiter: str, newline: str) -> tuple[str, str, int]:
    """Read a quoted field opened at ``start`` as papaparse's ``Parser`` does.

    Return the field, what ends it (``delimiter``, ``newline`` or ``""`` at the end of the
    input) and where the next field starts. Whitespace between the closing quote and the
    next delimiter or newline is skipped; a quote followed by anything else is not closing.
    """
    size, quote = len(text), start
    while True:
        quote = text.find('"', quote + 1)
        if quote == -1:  # unterminated: the rest of the input is the field
            return text[start + 1 :], "", size
        if quote == size - 1:
            return text[start + 1 : quote], "", size
        if text[quote + 1] == '"':
            quote += 1
            continue
        found = [i for i in (text.find(delimiter, quote), text.find(newline, quote)) if i != -1]
        after = quote + 1
        if found and text[after : min(found)].strip(JS_WHITESPACE) == "":
            after = min(found)
        for ending in (delimiter, newline):
            if text.startswith(ending, after):
                return text[start + 1 : quote], ending, after + len(ending)


def _preview(text: str, delimiter: str, newline: str) -> list[list[str]]:
    """Return the first rows as papaparse's ``Parser`` (``preview: 10``) splits them."""
    if '"' not in text:
        return [line.split(delimiter) for line in text.split(newline)[:_PREVIEW_ROWS]]
    rows: list[list[str]] = []
    row: list[str] = []
    size, cursor = len(text), 0
    while len(rows) < _PREVIEW_ROWS:
        if cursor < size and text[cursor] == '"':
            field, ending, cursor = _quoted_field(text, cursor, delimiter, newline)
        else:
            at_delimiter, at_newline = text.find(delimiter, cursor), text.find(newline, cursor)
            if at_delimiter != -1 and (at_newline == -1 or at_delimiter < at_newline):
                field, ending, cursor = text[cursor:at_delimiter], delimiter, at_delimiter + 1
            elif at_newline != -1:
                field, ending, cursor = text[cursor:at_newline], newline, at_newline + len(newline)
            else:
                field, ending, cursor = text[cursor:], "", size
        row.append(field)
        if ending != delimiter:
            rows.append(row)
            row = []
            if not ending:
                break
    return rows


def guess_delimiter(text: str) -> str:
    """Pick the delimiter as papaparse's ``guessDelimiter`` does on a first chunk.

    The winner gives the most fields per row on average (more than 1.99) over the first ten
    non-empty rows without a larger change in field count between rows than an earlier
    candidate; ``,`` when no candidate qualifies.
    """
    newline = _guess_line_ending(text)
    best, best_delta, best_average = ",", 0, 0.0
    for delimiter in DELIMITERS:
        rows = [r for r in _preview(text, delimiter, newline) if r != [""]] if text else []
        delta = sum(abs(len(a) - len(b)) for a, b in pairwise(rows))
        average = sum(map(len, rows)) / len(rows) if rows else 0.0
        if average > 1.99 and (
            not best_average or (delta <= best_delta and average > best_average)
        ):
            best, best_delta, best_average = delimiter, delta, average
    return best


def _rename_duplicates(names: list[str]) -> list[str]:
    """Rename repeated header names ``name_1``, ``name_2``... as papaparse 5.5 does."""
    seen: dict[str, int] = {}
    used = set(names)
    renamed = []
    for name in names:
        new = name
        if count := seen.get(name, 0):
            while f"{name}_{count}" in used:
                count += 1
            new = f"{name}_{count}"
            used.add(new)
        seen[name] = seen.get(name, 0) + 1
        renamed.append(new)
        used.add(name)
    return renamed


_Builder = Callable[[Sequence[Sequence[Any]]], list[dict[str, Any]]]


def _record_builder(names: list[str]) -> _Builder:
    """Return a function turning typed columns into records keyed by ``names``.

    For up to 255 columns it is generated code with a dict display per row, whose constant
    keys make building a record about twice as fast as ``dict(zip(names, row))``.
    """
    if not names or len(names) > 255:
        return lambda columns: list(map(dict, map(zip, repeat(names), zip(*columns, strict=True))))
    values = "".join(f"v{i}, " for i in range(len(names)))
    items = ", ".join(f"{name!r}: v{i}" for i, name in enumerate(names))
    source = f"lambda columns: [{{{items}}} for {values}in zip(*columns, strict=True)]"
    # Safe to evaluate: the only inputs are repr() literals of the names.
    builder: _Builder = eval(source, {"zip": zip})  # noqa: S307
    return builder


class _ChunkReader(io.RawIOBase):
    """A raw binary stream over an iterable of byte chunks, counting the bytes it takes."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        super().__init__()
        self._chunks = iter(chunks)
        self._pending = memoryview(b"")
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self.bytes_read += len(chunk)
            self._pending = memoryview(chunk).cast("B")
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


class _Parser:
    """Header, delimiter (``,`` until the header is read) and typed records of CSV lines."""

    def __init__(
        self,
        lines: TextIO,
        *,
        keep_parsed_extra: bool,
        json_cells: bool,
        column_types: Mapping[str, str] | None,
    ) -> None:
        self._lines = lines
        self._keep_extra = keep_parsed_extra
        self._json = json_cells
        self._types = dict(column_types or {})
        self._reader: Iterator[list[str]] | None = None
        self._header: list[str] = []
        self._column_types: list[str | None] = []
        self._build = _record_builder([])
        self.delimiter = ","
        self.rows = 0

    @property
    def header(self) -> list[str]:
        """Return the column names (reads the start of the input on first use)."""
        return self.read_header()

    def read_header(self) -> list[str]:
        """Read the head, guess the delimiter, read and return the header row (``[]`` if none)."""
        if self._reader is not None:
            return self._header
        head: list[str] = []
        size = 0
        for line in self._lines:
            head.append(line)
            size += len(line)
            if size >= _SNIFF_CHARS:
                break
        self.delimiter = guess_delimiter("".join(head))
        reader = csv.reader(chain(head, self._lines), delimiter=self.delimiter, strict=False)
        self._reader = reader
        skipped_empty = False
        while True:
            rows = self._read(reader, 1)
            if not rows:
                return self._header
            if rows[0] and rows[0] != [""]:
                break
            skipped_empty = True
        names = [name[1:] if name[:1] == "\ufeff" else name for name in rows[0]]
        # papaparse renames duplicates only when the header is the very first row it parsed.
        self._header = names if skipped_empty else _rename_duplicates(names)
        self._column_types = [self._types.get(name) for name in self._header]
        self._build = _record_builder(self._header)
        return self._header

    @staticmethod
    def _read(reader: Iterator[list[str]], count: int) -> list[list[str]]:
        try:
            return list(islice(reader, count))
        except csv.Error as exc:
            raise InvalidRequestError(f"CSV parse error: {exc}") from exc

    def batches(self, size: int) -> Iterator[list[dict[str, Any]]]:
        """Yield lists of exactly ``size`` typed records (the last one may be shorter).

        Raises:
            InvalidRequestError: a typed column's cell does not fit its type.
        """
        if size < 1:
            raise ValueError("batch size must be at least 1")
        self.read_header()
        reader = self._reader
        if reader is None or not self._header:
            return
        while True:
            batch: list[dict[str, Any]] = []
            while len(batch) < size:
                # Rows are cast a slice at a time so that the row lists die young: kept for a
                # whole batch, they would be promoted and trigger full garbage collections.
                rows = self._read(reader, min(size - len(batch), _SLICE_ROWS))
                if not rows:
                    break
                batch.extend(self._records(rows))
            if not batch:
                return
            self.rows += len(batch)
            yield batch

    def _records(self, rows: list[list[str]]) -> list[dict[str, Any]]:
        width = len(self._header)
        if width == 1:
            rows = [row for row in rows if row and row != [""]]
        if set(map(len, rows)) == {width}:
            return self._regular(rows)
        records: list[dict[str, Any]] = []
        run: list[list[str]] = []
        for row in rows:
            if len(row) == width:
                run.append(row)
                continue
            if run:
                records.extend(self._regular(run))
                run = []
            if row and row != [""]:
                records.append(self._ragged(row))
        if run:
            records.extend(self._regular(run))
        return records

    def _regular(self, rows: list[list[str]]) -> list[dict[str, Any]]:
        if not rows:
            return []
        columns = [self._column(i, cells) for i, cells in enumerate(zip(*rows, strict=True))]
        return self._build(columns)

    def _column(self, index: int, cells: Sequence[str]) -> Sequence[Any]:
        kind = self._column_types[index]
        if kind is None:
            return cast_column(cells, json_cells=self._json)
        values = coerce_column(cells, kind, self._header[index])
        if self._json:
            values = [json_cell(v) if isinstance(v, str) else v for v in values]
        return values

    def _cell(self, index: int, text: str) -> Any:
        kind = self._column_types[index]
        if kind is None:
            return autocast(text, json_cells=self._json)
        value = coerce_typed(text, kind, self._header[index])
        return json_cell(value) if self._json and isinstance(value, str) else value

    def _ragged(self, row: list[str]) -> dict[str, Any]:
        header = self._header
        width = len(header)
        record = {header[i]: self._cell(i, row[i]) for i in range(min(width, len(row)))}
        if len(row) > width and self._keep_extra:
            record[PARSED_EXTRA] = [autocast(c, json_cells=self._json) for c in row[width:]]
        return record


class CsvStream(_Parser):
    """Parse CSV from byte chunks (a file, an HTTP or S3 body) into typed records, streamed.

    The text is decoded as UTF-8 (a leading BOM dropped, bad bytes replaced, as Node's
    decoder does), the delimiter is guessed from the first 64 KiB, the first non-empty row is
    the :attr:`header`, and :meth:`batches` yields typed records; :attr:`rows` counts them and
    :attr:`bytes_read` the input taken so far. Memory stays at about one read buffer plus
    one batch, whatever the input size.

    Args:
        chunks: The input, in byte chunks of any size.
        keep_parsed_extra: Keep a long row's extra cells as ``__parsed_extra`` (csv_data_load
            keeps them, file loads drop them).
        json_cells: Parse cells that look like JSON objects or arrays (file loads do).
        column_types: Declared types of a schema-defined table's attributes; those columns
            are coerced with :func:`loadmaster.jobs.casting.coerce_typed` instead of autocast.
    """

    def __init__(
        self,
        chunks: Iterable[bytes],
        *,
        keep_parsed_extra: bool = False,
        json_cells: bool = True,
        column_types: Mapping[str, str] | None = None,
    ) -> None:
        self._source = _ChunkReader(chunks)
        buffered = io.BufferedReader(self._source, _READ_SIZE)
        text = io.TextIOWrapper(buffered, encoding="utf-8-sig", errors="replace", newline="")
        super().__init__(
            text,
            keep_parsed_extra=keep_parsed_extra,
            json_cells=json_cells,
            column_types=column_types,
        )

    @property
    def bytes_read(self) -> int:
        """Return how many input bytes have been taken from the chunks so far."""
        return self._source.bytes_read


def parse_csv_text(
    text: str,
    *,
    keep_parsed_extra: bool = True,
    json_cells: bool = False,
    column_types: Mapping[str, str] | None = None,
) -> tuple[list[str], list[dict[str, Any]]]:
    """Parse a whole CSV string (csv_data_load); return its header and typed records."""
    if text[:1] == "\ufeff":
        text = text[1:]
    parser = _Parser(
        io.StringIO(text, newline=""),
        keep_parsed_extra=keep_parsed_extra,
        json_cells=json_cells,
        column_types=column_types,
    )
    header = parser.read_header()
    records: list[dict[str, Any]] = []
    for batch in parser.batches(50_000):
        records.extend(batch)
    return header, records
