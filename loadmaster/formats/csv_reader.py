"""Streaming CSV parsing that reads files as HarperDB's papaparse 5.5.3 does (spec §5.1).

``csv.reader`` does the tokenising (quotes, ``""`` escapes, quoted newlines, all three line
endings) over the lines of :mod:`.csv_lines`; this module adds what papaparse does
differently: the delimiter guess (:mod:`.csv_dialect`), the header row (duplicates renamed
``name_1``..., :mod:`.csv_header`), skipping only truly empty lines, ragged rows (missing
keys, ``__parsed_extra``) and cell typing, done a column at a time per batch
(:func:`loadmaster.formats.casting.cast_column`).

Every row at fault is found as it is read (:mod:`.anomalies`): more or fewer fields than the
header, an unterminated quote, an empty or null primary key, bytes invalid in UTF-8. A slice
of rows that has none costs one set of lengths and two scans of the primary key's column;
only a slice with a fault is looked at row by row, and only then are its rows' line numbers
worked out (from the line breaks inside their cells). What is done with a faulty row is the
``on_error`` policy of :class:`RowChecks`.

Known differences from papaparse, all on malformed or unusual input: every file may mix
``\\n``, ``\\r\\n`` and ``\\r`` (papaparse picks one per file); text after a closing quote is
appended to the cell; a quoted header behind a BOM loses its quotes.
"""

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import chain, islice
from typing import Any

from loadmaster.errors import InvalidRequestError
from loadmaster.formats import anomalies as a
from loadmaster.formats.anomalies import RowChecks, RowFaults
from loadmaster.formats.casting import autocast, cast_column, json_cell
from loadmaster.formats.csv_dialect import guess_delimiter
from loadmaster.formats.csv_header import record_builder, rename_duplicates
from loadmaster.formats.csv_lines import (
    DECODE_ERRORS,
    END,
    REPLACEMENT,
    ChunkReader,
    Lines,
    after_first_line,
    ends_with_break,
    line_breaks,
)
from loadmaster.formats.load_coercion import coerce_column, coerce_typed

# An unterminated quote makes the rest of the input one cell (as in papaparse), and a file's
# cells may be large: lift csv's 128 KiB cell limit for the process.
csv.field_size_limit(2**31 - 1)

PARSED_EXTRA = "__parsed_extra"
_SNIFF_CHARS = 64 * 1024
_READ_SIZE = 256 * 1024
_SLICE_ROWS = 500
_NULL_TEXTS = frozenset({"null", "NULL", "undefined"})


class _Parser(RowFaults):
    """Header, delimiter (``,`` until the header is read) and typed records of CSV lines."""

    def __init__(
        self,
        lines: Lines,
        *,
        keep_parsed_extra: bool,
        json_cells: bool,
        column_types: Mapping[str, str] | None,
        checks: RowChecks | None = None,
    ) -> None:
        self._lines = lines
        self._keep_extra = keep_parsed_extra
        self._json = json_cells
        self._types = dict(column_types or {})
        super().__init__(checks or RowChecks())
        self._reader: Iterator[list[str]] | None = None
        self._header: list[str] = []
        self._column_types: list[str | None] = []
        self._build = record_builder([])
        self._pk: int | None = None
        self._pk_untyped = True
        self.delimiter = ","
        #: Records yielded so far.
        self.rows = 0

    @property
    def header(self) -> list[str]:
        """Return the column names (reads the start of the input on first use)."""
        return self.read_header()

    def _new_reader(self, lines: Lines) -> Iterator[list[str]]:
        self._lines = lines
        self._reader = csv.reader(
            chain.from_iterable(lines.feed()), delimiter=self.delimiter, strict=False
        )
        return self._reader

    def read_header(self) -> list[str]:
        """Read the head, guess the delimiter, read and return the header row (``[]`` if none)."""
        if self._reader is not None:
            return self._header
        self.delimiter = guess_delimiter(self._lines.head(_SNIFF_CHARS))
        reader = self._new_reader(self._lines)
        skipped_empty = False
        while True:
            rows = self._read(reader, 1)
            if not rows or rows[0] == [END]:
                return self._header
            if self._lines.ended and rows[0] and rows[0][-1].endswith(END):
                # The header's quote never closed: it swallowed the whole input.
                rows[0][-1] = rows[0][-1][: -len(END)]
                self._found.append(
                    a.anomaly(1, None, a.UNTERMINATED_QUOTE, rows[0][-1])  # first row: line 1
                )
            if rows[0] and rows[0] != [""]:
                break
            skipped_empty = True
        names = [name[1:] if name[:1] == "\ufeff" else name for name in rows[0]]
        # papaparse renames duplicates only when the header is the very first row it parsed.
        self._header = names if skipped_empty else rename_duplicates(names)
        self._column_types = [self._types.get(name) for name in self._header]
        self._build = record_builder(self._header)
        pk = self.checks.primary_key
        if pk is not None and pk in self._header:
            self._pk = self._header.index(pk)
            self._pk_untyped = self._column_types[self._pk] in (None, "Any")
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
            LoadAbortedError: a faulty row under ``abort``, or too many under ``max_errors``
                (raised after the good rows before it were yielded).
        """
        if size < 1:
            raise ValueError("batch size must be at least 1")
        self.read_header()
        if self._reader is None or not self._header:
            return
        while True:
            batch: list[dict[str, Any]] = []
            while len(batch) < size and self.stop is None:
                # Rows are cast a slice at a time so that the row lists die young: kept for a
                # whole batch, they would be promoted and trigger full garbage collections.
                reader, lines = self._reader, self._lines
                before = lines.base + reader.line_num  # type: ignore[attr-defined]
                rows = self._read(reader, min(size - len(batch), _SLICE_ROWS))
                if not rows:
                    break
                consumed = lines.base + reader.line_num - before  # type: ignore[attr-defined]
                batch.extend(self._records(rows, before + 1, consumed, lines))
            if batch:
                self.rows += len(batch)
                yield batch
            if self.stop is not None:
                raise self.stop
            if not batch:
                return

    def _records(
        self, rows: list[list[str]], first: int, consumed: int, lines: Lines
    ) -> list[dict[str, Any]]:
        open_quote = False
        if lines.ended:  # this slice holds the end of the input: see csv_lines
            last = rows[-1]
            if last == [END]:
                rows.pop()
            elif last and last[-1].endswith(END):
                last[-1] = last[-1][: -len(END)]
                open_quote = True
            consumed -= 1
        width = len(self._header)
        if not open_quote and not lines.bad_between(first, first + consumed - 1):
            plain = [row for row in rows if row and row != [""]] if width == 1 else rows
            if set(map(len, plain)) <= {width}:
                records = self._regular(plain, checked=True)
                if records is not None:
                    return records
        return self._checked(rows, first, consumed, open_quote, lines)

    def _checked(
        self, rows: list[list[str]], first: int, consumed: int, open_quote: bool, lines: Lines
    ) -> list[dict[str, Any]]:
        """Build the records of a slice that has a fault, row by row, as the policy says."""
        width = len(self._header)
        records: list[dict[str, Any]] = []
        run: list[list[str]] = []
        line = first
        for index, row in enumerate(rows):
            start, line = line, line + 1 + (line_breaks(row) if consumed != len(rows) else 0)
            if not row or row == [""]:
                continue
            unterminated = open_quote and index == len(rows) - 1
            faults = self._faults(row, start, line - 1, unterminated, lines)
            if not faults or self.fault(*faults, loadable=True):
                if len(row) == width:
                    run.append(row)
                    continue
                records += self._regular(run) or []
                run = []
                records.append(self._ragged(row))
                continue
            records += self._regular(run) or []
            run = []
            if self.stop is not None:
                return records
            if unterminated:
                self._resync(row[-1], faults[0].line)
        records += self._regular(run) or []
        return records

    def _faults(
        self, row: list[str], start: int, end: int, unterminated: bool, lines: Lines
    ) -> list[a.Anomaly]:
        header = self._header
        width, count = len(header), len(row)
        faults: list[a.Anomaly] = []
        if unterminated:
            cell = row[-1]
            # The field began where its line breaks, counted back from the end, say.
            began = self._lines_end(lines) - line_breaks([cell]) + ends_with_break(cell)
            column = header[count - 1] if count <= width else None
            faults.append(a.anomaly(began, column, a.UNTERMINATED_QUOTE, cell))
        if unterminated:
            pass  # the row's shape is the swallowed input's, not a fault of its own
        elif count > width:
            extra = self.delimiter.join(row[width:])
            faults.append(a.anomaly(start, None, a.TOO_MANY_FIELDS, extra))
        elif count < width:
            faults.append(
                a.anomaly(start, header[count], a.TOO_FEW_FIELDS, self.delimiter.join(row))
            )
        pk = self._pk
        if pk is not None and pk < count:
            cell = row[pk]
            if cell == "":
                faults.append(a.anomaly(start, header[pk], a.EMPTY_PRIMARY_KEY, cell))
            elif self._pk_untyped and cell in _NULL_TEXTS:
                faults.append(a.anomaly(start, header[pk], a.NULL_PRIMARY_KEY, cell))
        if lines.bad_between(start, end):
            for index, cell in enumerate(row):
                if REPLACEMENT in cell:
                    column = header[index] if index < width else None
                    faults.append(a.anomaly(start, column, a.INVALID_BYTES, cell))
                    break
        return faults

    @staticmethod
    def _lines_end(lines: Lines) -> int:
        return lines.base + lines.count

    def _resync(self, cell: str, began: int) -> None:
        """Read on from the line after the one where an unterminated quote opened.

        Inside a quoted field that never closed, every quote of the source was doubled (a
        single one would have closed it), so the field's text with its quotes doubled again
        is the source's text from there to the end.
        """
        rest = after_first_line(cell)
        if rest:
            bad = self._lines.bad_lines
            self._new_reader(Lines.of_string(rest.replace('"', '""'), base=began, bad_lines=bad))

    def _regular(
        self, rows: list[list[str]], *, checked: bool = False
    ) -> list[dict[str, Any]] | None:
        """Type rows as wide as the header; with ``checked``, None if a primary key is faulty."""
        if not rows:
            return []
        columns = [self._column(i, cells) for i, cells in enumerate(zip(*rows, strict=True))]
        if checked and self._pk is not None:
            keys = columns[self._pk]
            if None in keys or "" in keys:
                return None
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
    :attr:`bytes_read` the input taken so far; :meth:`take_anomalies` gives the faulty rows
    found. Memory stays at about one read buffer plus one batch, whatever the input size.

    Args:
        chunks: The input, in byte chunks of any size.
        keep_parsed_extra: Keep a long row's extra cells as ``__parsed_extra`` (csv_data_load
            keeps them, file loads drop them).
        json_cells: Parse cells that look like JSON objects or arrays (file loads do).
        column_types: Declared types of a schema-defined table's attributes; those columns
            are coerced with :func:`loadmaster.formats.load_coercion.coerce_typed` instead of
            autocast.
        checks: The primary key to check and what to do with faulty rows.
    """

    def __init__(
        self,
        chunks: Iterable[bytes],
        *,
        keep_parsed_extra: bool = False,
        json_cells: bool = True,
        column_types: Mapping[str, str] | None = None,
        checks: RowChecks | None = None,
    ) -> None:
        self._source = ChunkReader(chunks)
        buffered = io.BufferedReader(self._source, _READ_SIZE)
        text = io.TextIOWrapper(buffered, encoding="utf-8-sig", errors=DECODE_ERRORS, newline="")
        super().__init__(
            Lines(text, source=self._source),
            keep_parsed_extra=keep_parsed_extra,
            json_cells=json_cells,
            column_types=column_types,
            checks=checks,
        )

    @property
    def bytes_read(self) -> int:
        """Return how many input bytes have been taken from the chunks so far."""
        return self._source.bytes_read


class CsvText(_Parser):
    """Parse a whole CSV string (csv_data_load) as :class:`CsvStream` parses bytes."""

    def __init__(
        self,
        text: str,
        *,
        keep_parsed_extra: bool = True,
        json_cells: bool = False,
        column_types: Mapping[str, str] | None = None,
        checks: RowChecks | None = None,
    ) -> None:
        super().__init__(
            Lines.of_string(text[1:] if text[:1] == "\ufeff" else text),
            keep_parsed_extra=keep_parsed_extra,
            json_cells=json_cells,
            column_types=column_types,
            checks=checks,
        )

    def records(self) -> list[dict[str, Any]]:
        """Return every record (see :meth:`batches` for what may be raised)."""
        records: list[dict[str, Any]] = []
        for batch in self.batches(50_000):
            records.extend(batch)
        return records


def parse_csv_text(
    text: str,
    *,
    keep_parsed_extra: bool = True,
    json_cells: bool = False,
    column_types: Mapping[str, str] | None = None,
) -> tuple[list[str], list[dict[str, Any]]]:
    """Parse a whole CSV string (csv_data_load); return its header and typed records."""
    parser = CsvText(
        text,
        keep_parsed_extra=keep_parsed_extra,
        json_cells=json_cells,
        column_types=column_types,
    )
    header = parser.read_header()
    return header, parser.records()
