"""Cell typing: HarperDB's autoCast (spec §5.2), its column form, coercion to declared types."""

import math
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from loadmaster.errors import InvalidRequestError
from loadmaster.formats.casting import (
    autocast,
    cast_column,
    cast_rows,
    js_number,
    js_string,
    js_to_number,
    json_cell,
)
from loadmaster.formats.load_coercion import coerce_column, coerce_typed

AUTOCAST = [
    ("", ""),
    ("true", True),
    ("TRUE", True),
    ("false", False),
    ("FALSE", False),
    ("True", "True"),
    ("False", "False"),
    ("yes", "yes"),
    ("null", None),
    ("NULL", None),
    ("undefined", None),
    ("Null", "Null"),
    ("17", 17),
    ("-3", -3),
    ("+5", 5),
    ("0", 0),
    ("-0", 0),
    ("1.50", 1.5),
    ("0.5", 0.5),
    ("-0.5", -0.5),
    (".5", 0.5),
    ("5.", 5.0),
    (" 17 ", 17),
    ("\t17\n", 17),
    ("\xa017", 17),
    ("-007", -7),
    ("0.5e3", 500.0),
    ("007", "007"),
    ("0012", "0012"),
    ("00.5", "00.5"),
    ("1e5", "1e5"),
    ("1e3", "1e3"),
    ("1E5", "1E5"),
    ("Infinity", "Infinity"),
    ("-Infinity", "-Infinity"),
    ("0x1A", "0x1A"),
    (" 0x1A", 26),
    ("1_000", "1_000"),
    ("1,000", "1,000"),
    ("١٢", "١٢"),
    ("12345678901234567890", 12345678901234567890.0),
    ("9007199254740993", 9007199254740992.0),
    ("9007199254740992", 9007199254740992),
    ("2021-01-25T22:05:27.464Z", "2021-01-25T22:05:27.464Z"),
    ("2021-01-25T22:05:27Z", "2021-01-25T22:05:27.000Z"),
    ("2021-01-25T10:00+05:30", "2021-01-25T04:30:00.000Z"),
    ("2021-01-25T10:00:00.1234-01:00", "2021-01-25T11:00:00.123Z"),
    ("2021-01-25T10:00", "2021-01-25T10:00"),
    ("2021-01-25", "2021-01-25"),
    ("2021-01-25T10:00+0530", "2021-01-25T10:00+0530"),
    ("2021-19-01T00:00Z", None),
    ('{"a":1}', '{"a":1}'),
    ("[1,2]", "[1,2]"),
    ("abc", "abc"),
    ("  ", "  "),
]


@pytest.mark.parametrize(("text", "expected"), AUTOCAST)
def test_autocast(text: str, expected: Any) -> None:
    value = autocast(text)
    assert value == expected
    assert type(value) is type(expected)


def test_autocast_nan() -> None:
    assert math.isnan(autocast("NaN"))
    assert autocast("nan") == "nan"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a":1}', {"a": 1}),
        ("[1,2]", [1, 2]),
        ('[{"a":[true,null]}]', [{"a": [True, None]}]),
        ("{}", {}),
        ("{bad}", "{bad}"),
        ("[1,2", "[1,2"),
        ("{NaN}", "{NaN}"),
        ("[NaN]", "[NaN]"),
        (" [1]", " [1]"),
        ("[1e400]", [math.inf]),
        ("[123456789012345678901234567890]", [123456789012345678901234567890]),
    ],
)
def test_json_cells_only_when_asked(text: str, expected: Any) -> None:
    assert autocast(text, json_cells=True) == expected
    assert autocast(text) == text
    assert json_cell(text) == expected


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (("1", "2", "3"), [1, 2, 3]),
        (("1.5", "2", "-3.25"), [1.5, 2, -3.25]),
        (("true", "FALSE"), [True, False]),
        (("a", "b"), ("a", "b")),
        (("a", "1", "007", "", "null", "1e3"), ["a", 1, "007", "", None, "1e3"]),
        (("1,2", "3"), ["1,2", 3]),
        (("9007199254740993", "1"), [9007199254740992.0, 1]),
        (("a\x00b", "1"), ["a\x00b", 1]),
        ((), ()),
    ],
)
def test_cast_column(cells: tuple[str, ...], expected: Any) -> None:
    assert cast_column(cells) == expected


def test_cast_column_keeps_untouched_text_as_is() -> None:
    cells = ("alice", "bob", "  carol", "")
    assert cast_column(cells) is cells


def test_cast_column_json_cells_are_not_shared() -> None:
    first, second = cast_column(('{"a":1}', '{"a":1}'), json_cells=True)
    assert first == second == {"a": 1}
    assert first is not second


def test_cast_rows() -> None:
    rows = [["1", "a", "true"], ["2.5", "", "null"]]
    assert cast_rows(rows) == [[1, "a", True], [2.5, "", None]]
    assert cast_rows([["1"], ["2", "x"]]) == [[1], [2, "x"]]
    assert cast_rows([]) == []
    assert cast_rows([['{"a":1}']], json_cells=True) == [[{"a": 1}]]


_CELL = st.one_of(
    st.sampled_from([c for c, _ in AUTOCAST] + ["NaN", "1", "0", "-1", "2.5", '{"x":[1]}']),
    st.from_regex(r"[-+ .0-9eE,]{0,6}", fullmatch=True),
    st.integers(min_value=-(2**60), max_value=2**60).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.text(max_size=5),
)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(_CELL, max_size=8), st.booleans())
def test_cast_column_matches_autocast_per_cell(cells: list[str], json_cells: bool) -> None:
    expected = [autocast(c, json_cells=json_cells) for c in cells]
    got = list(cast_column(tuple(cells), json_cells=json_cells))
    assert [type(v) for v in got] == [type(v) for v in expected]
    assert [("nan" if v != v else v) for v in got] == [("nan" if v != v else v) for v in expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", 12), ("  ", 0), ("", 0), ("0x10", 16), ("0b11", 3), ("0o17", 15), ("1e3", 1000.0)],
)
def test_js_to_number(text: str, expected: float) -> None:
    assert js_to_number(text) == expected


def test_js_to_number_nan() -> None:
    assert math.isnan(js_to_number("12px"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3.0, "3"),
        (1.5, "1.5"),
        (-2.5, "-2.5"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (123456789012345680000.0, "123456789012345680000"),
        (1e16, "10000000000000000"),
        (1.5e-7, "1.5e-7"),
        (1e-7, "1e-7"),
        (0.00001, "0.00001"),
        (1.234e-5, "0.00001234"),
        (-0.0, "0"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (float("nan"), "NaN"),
        (float("inf"), "Infinity"),
        (float("-inf"), "-Infinity"),
    ],
)
def test_js_number(value: float, expected: str) -> None:
    assert js_number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("x", "x"), (None, "null"), (True, "true"), (7, "7"), (2.0, "2"), ([1, None], "1,")],
)
def test_js_string(value: Any, expected: str) -> None:
    assert js_string(value) == expected


COERCE = [
    ("17", "Int", 17),
    ("-3", "Int", -3),
    ("007", "Int", 7),
    (17, "Int", 17),
    (17.0, "Int", 17),
    ("$z", "Long", 35),
    ("$10", "Long", 36),
    ("", "Int", None),
    (None, "Int", None),
    ("1.5", "Float", 1.5),
    (" 17 ", "Float", 17.0),
    ("1e3", "Float", 1000.0),
    (2, "Float", 2.0),
    ("", "Float", None),
    ("true", "Boolean", True),
    ("FALSE", "Boolean", False),
    ("True", "Boolean", True),
    (False, "Boolean", False),
    ("", "Boolean", None),
    ("abc", "String", "abc"),
    ("", "String", ""),
    (17, "String", "17"),
    (1.5, "String", "1.5"),
    (True, "String", "true"),
    ("", "Any", ""),
    ("17", "Any", 17),
    ("abc", "Any", "abc"),
    ("123456789012345678901234567890", "BigInt", 123456789012345678901234567890),
    ("1611613284781", "Date", "2021-01-25T22:21:24.781Z"),
    ("2021-01-25T22:21:24.781", "Date", "2021-01-25T22:21:24.781Z"),
    ("2021-01-25T10:00:00+01:00", "Date", "2021-01-25T09:00:00.000Z"),
    (1611613284781, "Date", "2021-01-25T22:21:24.781Z"),
    ("", "Date", None),
    ("x", "ID", "x"),
]


@pytest.mark.parametrize(("value", "type_name", "expected"), COERCE)
def test_coerce_typed(value: Any, type_name: str, expected: Any) -> None:
    result = coerce_typed(value, type_name, "attr")
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("value", "type_name", "shown"),
    [
        ("abc", "Int", "abc"),
        ("1.5", "Int", "1.5"),
        ("1e3", "Long", "1e3"),
        (1.5, "Int", "1.5"),
        (True, "Int", "true"),
        ("$!", "Long", "$!"),
        ("abc", "Float", "abc"),
        ("12px", "Float", "12px"),
        ("yes", "Boolean", "yes"),
        ("1", "Boolean", "1"),
        ("1.5", "BigInt", "1.5"),
        ("soon", "Date", "soon"),
    ],
)
def test_coerce_typed_refuses(value: Any, type_name: str, shown: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        coerce_typed(value, type_name, "age")
    assert caught.value.message == (
        f'Invalid value for attribute age: "{shown}", expecting {type_name}'
    )
    assert caught.value.status_code == 400


def test_coerce_column() -> None:
    assert coerce_column(("1", "2"), "Int", "n") == [1, 2]
    assert coerce_column(("007", ""), "Int", "n") == [7, None]
    assert coerce_column(("a", ""), "String", "s") == ["a", ""]
    with pytest.raises(InvalidRequestError, match='Invalid value for attribute n: "x"'):
        coerce_column(("1", "x"), "Int", "n")
