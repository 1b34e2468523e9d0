"""The formats package offers what its __all__ says, and nothing moves silently."""

from loadmaster import formats


def test_public_surface() -> None:
    assert sorted(formats.__all__) == [
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
    for name in formats.__all__:
        assert hasattr(formats, name), name
