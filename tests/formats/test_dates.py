"""Dates as HarperDB reads them: moment's strict ISO-8601, V8's Date.parse, toISOString."""

import time
from collections.abc import Iterator
from typing import Any

import pytest

from loadmaster.formats.dates import parse_js_date, parse_moment_iso, to_iso_utc


def _set_zone(monkeypatch: pytest.MonkeyPatch, zone: str) -> Iterator[None]:
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    yield from _set_zone(monkeypatch, "UTC")


@pytest.fixture
def kolkata(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # +05:30 all year: local-time results do not depend on daylight saving rules.
    yield from _set_zone(monkeypatch, "Asia/Kolkata")


def _iso(ms: float | None) -> str | None:
    return None if ms is None else to_iso_utc(ms)


@pytest.mark.usefixtures("utc")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-01-25", "2021-01-25T00:00:00.000Z"),
        ("2021", "2021-01-01T00:00:00.000Z"),
        ("2021-01", "2021-01-01T00:00:00.000Z"),
        ("20210125", "2021-01-25T00:00:00.000Z"),
        ("202101", "2021-01-01T00:00:00.000Z"),
        ("2021-01-25 10:00", "2021-01-25T10:00:00.000Z"),
        ("2021-01-25T10", "2021-01-25T10:00:00.000Z"),
        ("2021-01-25T22:05:27.464Z", "2021-01-25T22:05:27.464Z"),
        ("2021-01-25T22:05:27.464+0000", "2021-01-25T22:05:27.464Z"),
        ("2021-01-25T22:05:27.464+00:00", "2021-01-25T22:05:27.464Z"),
        ("2021-01-25T22:05:27.4649Z", "2021-01-25T22:05:27.464Z"),
        ("2021-01-25T22:05:27,5Z", "2021-01-25T22:05:27.500Z"),
        ("2021-01-25T10:00:00+05:30", "2021-01-25T04:30:00.000Z"),
        ("2021-01-25T10:00-05", "2021-01-25T15:00:00.000Z"),
        ("20210125T1000Z", "2021-01-25T10:00:00.000Z"),
        ("2021-W04", "2021-01-25T00:00:00.000Z"),
        ("2021-W04-3", "2021-01-27T00:00:00.000Z"),
        ("2021W04", "2021-01-25T00:00:00.000Z"),
        ("2021W047", "2021-01-31T00:00:00.000Z"),
        ("2020-W53", "2020-12-28T00:00:00.000Z"),
        ("2021-025", "2021-01-25T00:00:00.000Z"),
        ("2021025", "2021-01-25T00:00:00.000Z"),
        ("2020-366", "2020-12-31T00:00:00.000Z"),
        ("2020-02-29", "2020-02-29T00:00:00.000Z"),
        ("+002021-01-25", "2021-01-25T00:00:00.000Z"),
        ("2021-01-25T24:00", "2021-01-26T00:00:00.000Z"),
    ],
)
def test_moment_accepts_iso_forms(text: str, expected: str) -> None:
    assert _iso(parse_moment_iso(text)) == expected


@pytest.mark.parametrize(
    "value",
    [
        "2021-13-01",
        "2021-00-10",
        "2021-02-29",
        "2021-04-31",
        "2021-01-32",
        "yesterday",
        "",
        "2021-W53",
        "2021-W04-8",
        "2021-366",
        "2021-000",
        "2021-01-25T24:01",
        "2021-01-25T10:60",
        "2021-01-25T10:00:61",
        "2021-01-25T1000",
        "2021-01Z",
        "2021-01-25Z",
        "2021-01T10:00",
        "2021T10:00",
        " 2021-01-25",
        "2021-01-25 ",
        "2021-01-25T10:00 Z",
        "2021/01/25",
        "25-01-2021",
        "+2021-01-25",
        2021,
        1611612327464,
        1.5,
        None,
        ["2021"],
    ],
)
def test_moment_rejects(value: Any) -> None:
    assert parse_moment_iso(value) is None


@pytest.mark.usefixtures("kolkata")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-01-25", "2021-01-24T18:30:00.000Z"),
        ("2021-01-25 10:00", "2021-01-25T04:30:00.000Z"),
        ("2021-W04", "2021-01-24T18:30:00.000Z"),
        ("2021-01-25T10:00Z", "2021-01-25T10:00:00.000Z"),
        ("2021-01-25T10:00+01:00", "2021-01-25T09:00:00.000Z"),
    ],
)
def test_moment_reads_zoneless_text_as_local_time(text: str, expected: str) -> None:
    assert _iso(parse_moment_iso(text)) == expected


@pytest.mark.usefixtures("kolkata")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Date-only ISO is UTC, a date-time without a zone is local time (ES5).
        ("2021-01-25", "2021-01-25T00:00:00.000Z"),
        ("2021", "2021-01-01T00:00:00.000Z"),
        ("2021-01", "2021-01-01T00:00:00.000Z"),
        ("2021-01-25T10:00", "2021-01-25T04:30:00.000Z"),
        ("2021-01-25T10:00:05.123", "2021-01-25T04:30:05.123Z"),
        ("2021-01-25T10:00Z", "2021-01-25T10:00:00.000Z"),
        ("2021-01-25T10:00:00-02:00", "2021-01-25T12:00:00.000Z"),
        ("2021-01-25T22:05:27.4649Z", "2021-01-25T22:05:27.464Z"),
        # V8's legacy parser: a space separator (local), an offset without a colon.
        ("2021-01-25 10:00", "2021-01-25T04:30:00.000Z"),
        ("2021-01-25T10:00:00+0000", "2021-01-25T10:00:00.000Z"),
        # V8 lets days 29-31 roll over into the next month.
        ("2021-02-31", "2021-03-03T00:00:00.000Z"),
        ("+002021-01-25T00:00Z", "2021-01-25T00:00:00.000Z"),
    ],
)
def test_js_date_parse(text: str, expected: str) -> None:
    assert _iso(parse_js_date(text)) == expected


@pytest.mark.parametrize(
    "text",
    ["20210125", "2021-W04", "2021-025", "2021-13-01", "2021-01-32", "-000000-01-01", "nope", ""],
)
def test_js_date_parse_rejects(text: str) -> None:
    assert parse_js_date(text) is None


@pytest.mark.parametrize(
    ("ms", "expected"),
    [
        (0, "1970-01-01T00:00:00.000Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (1611613284781, "2021-01-25T22:21:24.781Z"),
        (1795883876309.4229, "2026-11-28T16:37:56.309Z"),
        (951782400000, "2000-02-29T00:00:00.000Z"),
        (-62198755200000, "-000001-01-01T00:00:00.000Z"),
        (-62167219200000, "0000-01-01T00:00:00.000Z"),
        (253402300800000, "+010000-01-01T00:00:00.000Z"),
        (8.64e15, "+275760-09-13T00:00:00.000Z"),
        (-8.64e15, "-271821-04-20T00:00:00.000Z"),
    ],
)
def test_to_iso_utc(ms: float, expected: str) -> None:
    assert to_iso_utc(ms) == expected


@pytest.mark.parametrize("ms", [float("nan"), 8.64e15 + 1, float("inf")])
def test_to_iso_utc_rejects_invalid_times(ms: float) -> None:
    with pytest.raises(ValueError, match="Invalid time value"):
        to_iso_utc(ms)
