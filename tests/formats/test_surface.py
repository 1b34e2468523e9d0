"""The formats package offers what its __all__ says, and nothing moves silently."""

from loadmaster import formats


def test_public_surface() -> None:
    assert sorted(formats.__all__) == [
        "CsvStream",
        "JsonArrayError",
        "JsonArraySplitter",
        "check_column_names",
        "coerce_typed",
        "column_types",
        "iter_csv",
        "iter_json_array",
        "parse_csv_text",
        "parse_js_date",
        "parse_moment_iso",
        "to_iso_utc",
    ]
    for name in formats.__all__:
        assert hasattr(formats, name), name
