"""Streaming CSV parsing that reads files as HarperDB's papaparse 5.5.3 does (spec §5.1).

``csv.reader`` does the tokenising (quotes, ``""`` escapes, quoted newlines, all three line
endings) over lines from an incremental UTF-8 decoder; this module adds what papaparse does
differently: the delimiter guess (:mod:`.csv_dialect`), the header row (duplicates renamed
``name_1``..., :mod:`.csv_header`), skipping only truly empty lines, ragged rows (missing
keys, ``__parsed_extra``) and cell typing, done a column at a time per batch
(:func:`loadmaster.formats.casting.cast_column`).

Known differences from papaparse, all on malformed or unusual input: every file may mix
``\\n``, ``\\r\\n`` and ``\\r`` (papaparse picks one per file); text after a closing quote is
appended to the cell; a quoted header behind a BOM loses its quotes.
"""

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import chain, islice
from typing import Any, TextIO

from loadmaster.errors import InvalidRequestError
from loadmaster.formats.casting import autocast, cast_column, json_cell
from loadmaster.formats.csv_dialect import guess_delimiter
from loadmaster.formats.csv_header import record_builder, rename_duplicates
from loadmaster.formats.load_coercion import coerce_column, coerce_typed

# An unterminated quote makes the rest of the input one cell (as in papaparse), and a file's
# cells may be large: lift csv's 128 KiB cell limit for the process.
csv.field_size_limit(2**31 - 1)

PARSED_EXTRA = "__parsed_extra"
_SNIFF_CHARS = 64 * 1024
_READ_SIZE = 256 * 1024
_SLICE_ROWS = 500


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
        self._build = record_builder([])
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
        self._header = names if skipped_empty else rename_duplicates(names)
        self._column_types = [self._types.get(name) for name in self._header]
        self._build = record_builder(self._header)
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
            are coerced with :func:`loadmaster.formats.load_coercion.coerce_typed` instead of
            autocast.
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
