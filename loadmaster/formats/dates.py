"""ISO-8601 dates as HarperDB reads them: moment's strict ISO parser and V8's ``Date.parse``.

Everything is plain calendar arithmetic on epoch milliseconds (proleptic Gregorian, any year),
because JavaScript dates reach years Python's ``datetime`` cannot (year 0, ±6-digit years).
Only "local time" asks the operating system, through :func:`_local_wall_to_epoch_ms`.
"""

import re
from datetime import datetime, timedelta
from typing import Any

_MS_PER_DAY = 86_400_000
#: JavaScript's Date range: ±100,000,000 days around the epoch.
_MAX_MS = 8.64e15
_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 - a naive wall clock on purpose (local time)

# moment 2.30's ISO-8601 detection (``configFromISO``). The leading ``\s*`` and the
# ``\s*`` before ``Z`` of moment's regexes are left out: strict mode rejects the skipped
# characters anyway (``charsLeftOver``).
_EXTENDED = re.compile(
    r"((?:[+-]\d{6}|\d{4})-(?:\d\d-\d\d|W\d\d-\d|W\d\d|\d\d\d|\d\d))"
    r"(?:(T| )(\d\d(?::\d\d(?::\d\d(?:[.,]\d+)?)?)?)([+-]\d\d(?::?\d\d)?|Z)?)?",
    re.ASCII,
)
_BASIC = re.compile(
    r"((?:[+-]\d{6}|\d{4})(?:\d\d\d\d|W\d\d\d|W\d\d|\d\d\d|\d\d|))"
    r"(?:(T| )(\d\d(?:\d\d(?:\d\d(?:[.,]\d+)?)?)?)([+-]\d\d(?::?\d\d)?|Z)?)?",
    re.ASCII,
)
# (found by, must match whole, kind, time allowed), in moment's order: the first format whose
# pattern occurs anywhere in the date part is chosen, then strict parsing needs all of it.
_DATE_FORMATS: tuple[tuple[re.Pattern[str], re.Pattern[str], str, bool], ...] = tuple(
    (re.compile(pattern, re.ASCII), re.compile(pattern, re.ASCII), kind, time_ok)
    for pattern, kind, time_ok in (
        (r"[+-]\d{6}-\d\d-\d\d", "ymd", True),
        (r"\d{4}-\d\d-\d\d", "ymd", True),
        (r"\d{4}-W\d\d-\d", "week", True),
        (r"\d{4}-W\d\d", "week", False),
        (r"\d{4}-\d{3}", "ordinal", True),
        (r"\d{4}-\d\d", "ym", False),
        (r"[+-]\d{10}", "ymd", True),
        (r"\d{8}", "ymd", True),
        (r"\d{4}W\d{3}", "week", True),
        (r"\d{4}W\d{2}", "week", False),
        (r"\d{7}", "ordinal", True),
        (r"\d{6}", "ym", False),
        (r"\d{4}", "y", False),
    )
)

# V8's ES5 ISO format (date-only is UTC, date-time without a zone is local time).
_ES5 = re.compile(
    r"([+-]\d{6}|\d{4})(?:-(\d\d)(?:-(\d\d))?)?"
    r"(?:T(\d\d):(\d\d)(?::(\d\d)(?:\.(\d+))?)?(Z|[+-]\d\d:\d\d)?)?",
    re.ASCII,
)
# Forms moment accepts that V8's legacy parser still reads: a space separator, an offset
# without a colon. Without a zone they are local time.
_LEGACY = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d+))?)?(Z|[+-]\d\d:?\d\d)?",
    re.ASCII,
)


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Return days since 1970-01-01 of a proleptic Gregorian date (day may overflow)."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468 + day - 1


def _civil_from_days(days: int) -> tuple[int, int, int]:
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month, day


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if _is_leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _iso_week_monday(week_year: int) -> int:
    """Return the day number of the Monday of ISO week 1 (the week holding January 4th)."""
    jan4 = _days_from_civil(week_year, 1, 4)
    return jan4 - (jan4 + 3) % 7


def _local_wall_to_epoch_ms(wall_ms: int) -> int:
    """Turn a wall-clock time (ms, counted as if it were UTC) into epoch ms in local time."""
    seconds, rest = divmod(wall_ms, 1000)
    try:
        local = _EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        # Outside datetime's years 1..9999: take the offset at the nearest representable date.
        edge = datetime(9999, 12, 31) if seconds > 0 else datetime(1, 1, 2)  # noqa: DTZ001
        offset = int((edge - _EPOCH).total_seconds()) - int(edge.timestamp())
        return (seconds - offset) * 1000 + rest
    return int(local.timestamp()) * 1000 + rest


def _fraction_ms(digits: str | None) -> int:
    # moment: toInt(('0.' + digits) * 1000), truncating; the float product is the same in Python.
    return int(float("0." + digits) * 1000) if digits else 0


def _offset_minutes(zone: str) -> int:
    """Return a zone's offset in minutes: ``Z``, ``±HH``, ``±HHMM`` or ``±HH:MM``."""
    if zone == "Z":
        return 0
    digits = zone[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) > 2 else 0)
    return -minutes if zone[0] == "-" else minutes


def _moment_date(part: str, with_time: bool) -> int | None:
    """Return the day number of moment's ISO date forms, or None when invalid."""
    for found_by, whole, kind, time_ok in _DATE_FORMATS:  # noqa: B007 - used after the loop
        if found_by.search(part):
            break
    else:
        return None
    if (with_time and not time_ok) or not whole.fullmatch(part):
        return None
    if kind == "ymd":
        extended = part[-3] == "-"
        year = int(part[:-6] if extended else part[:-4])
        month = int(part[-5:-3] if extended else part[-4:-2])
        day = int(part[-2:])
        if not 1 <= month <= 12 or not 1 <= day <= _days_in_month(year, month):
            return None
        return _days_from_civil(year, month, day)
    year = int(part[:4])
    if kind in ("ym", "y"):
        month = int(part[-2:]) if kind == "ym" else 1
        return _days_from_civil(year, month, 1) if 1 <= month <= 12 else None
    if kind == "ordinal":
        ordinal = int(part[-3:])
        if not 1 <= ordinal <= (366 if _is_leap(year) else 365):
            return None
        return _days_from_civil(year, 1, 1) + ordinal - 1
    # ISO week: GGGG-[W]WW[-E]; the weekday defaults to Monday.
    digits = part[4:].replace("-", "").lstrip("W")
    week = int(digits[:2])
    weekday = int(digits[2:]) if len(digits) > 2 else 1
    weeks = (_iso_week_monday(year + 1) - _iso_week_monday(year)) // 7
    if not 1 <= week <= weeks or not 1 <= weekday <= 7:
        return None
    return _iso_week_monday(year) + (week - 1) * 7 + weekday - 1


def _moment_time(part: str) -> int | None:
    """Return ms since midnight for moment's ISO time forms, or None when out of range."""
    clock, _, fraction = part.replace(",", ".").partition(".")
    clock = clock.replace(":", "")
    hour = int(clock[:2])
    minute = int(clock[2:4] or 0)
    second = int(clock[4:6] or 0)
    millis = _fraction_ms(fraction)
    if minute > 59 or second > 59:
        return None
    if hour > 24 or (hour == 24 and (minute or second or millis)):
        return None
    return ((hour * 60 + minute) * 60 + second) * 1000 + millis


def parse_moment_iso(text: Any) -> float | None:
    """Parse a date as ``moment(text, moment.ISO_8601, true)`` does; return epoch ms or None.

    Accepts the ISO-8601 forms moment knows (calendar, ordinal, week dates; basic and
    extended; times to any fraction; ``Z``, ``±HH``, ``±HHMM``, ``±HH:MM``). A string without
    an offset is read in the server's local time. Anything that is not a valid string
    (numbers, None, ``2021-13-01``, ``yesterday``) gives None.
    """
    if not isinstance(text, str):
        return None
    match = _EXTENDED.fullmatch(text) or _BASIC.fullmatch(text)
    if match is None:
        return None
    date_part, _, time_part, zone = match.groups()
    days = _moment_date(date_part, time_part is not None)
    time_ms = _moment_time(time_part) if time_part is not None else 0
    if days is None or time_ms is None:
        return None
    wall = days * _MS_PER_DAY + time_ms
    epoch = _local_wall_to_epoch_ms(wall) if zone is None else wall - _offset_minutes(zone) * 60_000
    return float(epoch) if abs(epoch) <= _MAX_MS else None


def _v8_date_time(
    year: int, month: int, day: int, clock: tuple[str | None, ...], zone: str | None, local: bool
) -> float | None:
    """Assemble a V8 date; days 1-31 roll over into the next month as V8 lets them."""
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        return None
    hour_s, minute_s, second_s, fraction = clock
    hour, minute, second = int(hour_s or 0), int(minute_s or 0), int(second_s or 0)
    millis = int((fraction or "0")[:3].ljust(3, "0"))
    if minute > 59 or second > 59 or hour > 24 or (hour == 24 and (minute or second or millis)):
        return None
    wall = _days_from_civil(year, month, day) * _MS_PER_DAY
    wall += ((hour * 60 + minute) * 60 + second) * 1000 + millis
    if zone is not None:
        offset = _offset_minutes(zone)
        if abs(offset) // 60 > 23 or abs(offset) % 60 > 59:
            return None
        epoch = wall - offset * 60_000
    elif local:
        epoch = _local_wall_to_epoch_ms(wall)
    else:
        epoch = wall
    return float(epoch) if abs(epoch) <= _MAX_MS else None


def parse_js_date(text: str) -> float | None:
    """Parse a date as JavaScript's ``Date.parse`` does for ISO-8601 text; return ms or None.

    A date-only string is UTC, a date-time without a zone is local time (ES5 rules). Forms
    V8 reads only through its legacy parser are covered where moment also accepts them (a
    space instead of ``T``, ``±HHMM`` offsets); other forms (week, ordinal and basic dates)
    give None, which makes a ``createdTime < NaN`` search match nothing, as in HarperDB.
    """
    match = _ES5.fullmatch(text)
    if match is not None:
        year_s, month_s, day_s, *clock_and_zone = match.groups()
        if year_s == "-000000":
            return None
        hour = clock_and_zone[0]
        return _v8_date_time(
            int(year_s),
            int(month_s or 1),
            int(day_s or 1),
            tuple(clock_and_zone[:4]),
            clock_and_zone[4],
            local=hour is not None,
        )
    match = _LEGACY.fullmatch(text)
    if match is None:
        return None
    year_s, month_s, day_s, *clock_and_zone = match.groups()
    return _v8_date_time(
        int(year_s),
        int(month_s),
        int(day_s),
        tuple(clock_and_zone[:4]),
        clock_and_zone[4],
        local=True,
    )


def to_iso_utc(ms: float) -> str:
    """Format epoch ms as JavaScript's ``Date.toISOString`` does: ``2021-01-25T22:21:24.781Z``.

    Raises:
        ValueError: when ``ms`` is NaN or outside JavaScript's date range (JS: RangeError).
    """
    if ms != ms or abs(ms) > _MAX_MS:
        raise ValueError("Invalid time value")
    days, rest = divmod(int(ms), _MS_PER_DAY)
    year, month, day = _civil_from_days(days)
    hour, rest = divmod(rest, 3_600_000)
    minute, rest = divmod(rest, 60_000)
    second, millis = divmod(rest, 1000)
    sign = "" if 0 <= year <= 9999 else ("+" if year > 0 else "-")
    year_text = f"{sign}{abs(year):0{6 if sign else 4}d}"
    return f"{year_text}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}.{millis:03d}Z"
