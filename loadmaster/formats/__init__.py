"""HarperDB's data formats, read and written as HarperDB does, with no job or table state.

CSV is parsed as papaparse 5.5.3 parses it (:class:`CsvStream` for byte chunks,
:func:`parse_csv_text` for a whole text, :func:`check_column_names` for HarperDB's column-name
rule), its cells typed by HarperDB's ``autoCast`` and a schema-defined table's typed columns
coerced in the CSV-load wording (:func:`coerce_typed`, :func:`column_types`). JSON imports
are split by :class:`JsonArraySplitter` (arrays) and :class:`NdjsonSplitter` (JSON lines),
:func:`json_splitter` telling which; exports are written by :func:`iter_csv`,
:func:`iter_json_array` and :func:`iter_ndjson`; sources are inflated by
:func:`decompressed` (gzip, zstd) and read as UTF-8 by :func:`utf8_chunks`; dates are read
as moment and V8 read them (:func:`parse_moment_iso`,
:func:`parse_js_date`) and written as JavaScript's ``toISOString`` (:func:`to_iso_utc`).
"""

from loadmaster.errors import JsonArrayError
from loadmaster.formats.compression import decompressed, gzip_chunks
from loadmaster.formats.csv_header import check_column_names
from loadmaster.formats.csv_reader import CsvStream, parse_csv_text
from loadmaster.formats.dates import parse_js_date, parse_moment_iso, to_iso_utc
from loadmaster.formats.encodings import check_encoding, utf8_chunks
from loadmaster.formats.json_array import JsonArraySplitter
from loadmaster.formats.load_coercion import coerce_records, coerce_typed, column_types
from loadmaster.formats.ndjson import NdjsonSplitter, json_splitter
from loadmaster.formats.writers import iter_csv, iter_json_array, iter_ndjson

__all__ = [
    "CsvStream",
    "JsonArrayError",
    "JsonArraySplitter",
    "NdjsonSplitter",
    "check_column_names",
    "check_encoding",
    "coerce_records",
    "coerce_typed",
    "column_types",
    "decompressed",
    "gzip_chunks",
    "iter_csv",
    "iter_json_array",
    "iter_ndjson",
    "json_splitter",
    "parse_csv_text",
    "parse_js_date",
    "parse_moment_iso",
    "to_iso_utc",
    "utf8_chunks",
]
