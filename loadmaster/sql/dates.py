"""HarperDB's SQL date functions: moment.js parsing and formatting, computed in UTC."""

import calendar
import re
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from loadmaster.sql.jsvalues import UNDEF, is_number, normalize_number

__all__ = ["DATE_FUNCTIONS", "DATE_PARTS", "to_datetime"]

_LOOSE = re.compile(
    r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?(?:[T ](\d{1,2})(?::(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)
_UNITS = {
    "y": "years", "year": "years", "years": "years",
    "q": "quarters", "quarter": "quarters", "quarters": "quarters",
    "M": "months", "month": "months", "months": "months",
    "w": "weeks", "week": "weeks", "weeks": "weeks",
    "d": "days", "day": "days", "days": "days",
    "h": "hours", "hour": "hours", "hours": "hours",
    "m": "minutes", "minute": "minutes", "minutes": "minutes",
    "s": "seconds", "second": "seconds", "seconds": "seconds",
    "ms": "milliseconds", "millisecond": "milliseconds", "milliseconds": "milliseconds",
}  # fmt: skip
_FIXED_MS = {
    "weeks": 604_800_000,
    "days": 86_400_000,
    "hours": 3_600_000,
    "minutes": 60_000,
    "seconds": 1000,
    "milliseconds": 1,
}
_TOKENS = re.compile(
    r"\[[^\]]*\]|YYYY|YY|MMMM|MMM|MM|M|DDDD|DD|D|dddd|ddd|d|HH|H|hh|h|mm|m|ss|s|SSS|SS|S|A|a|ZZ|Z|x|X"
)


def _unit(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return _UNITS.get(value) or _UNITS.get(value.lower())


def to_datetime(value: Any) -> datetime | None:
    """Read a date as moment does: epoch milliseconds, ISO text, or ``YYYY-M-D``; None if not."""
    if is_number(value):
        try:
            return datetime.fromtimestamp(value / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    match = _LOOSE.match(value.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    if zone and zone.upper() != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        moment -= sign * offset
    return moment


def epoch_ms(moment: datetime) -> int | float:
    """Return a datetime as epoch milliseconds (an int when whole)."""
    return normalize_number(round(moment.timestamp() * 1000, 3))


def _now_ms() -> int:
    return int(time.time() * 1000)


def _iso(moment: datetime, offset_minutes: int = 0) -> str:
    local = moment.astimezone(timezone(timedelta(minutes=offset_minutes)))
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return (
        local.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{local.microsecond // 1000:03d}{sign}"
        + (f"{hours:02d}{minutes:02d}")
    )


def format_moment(moment: datetime, fmt: str) -> str:
    """Format a UTC datetime with moment.js tokens."""
    ms = moment.microsecond // 1000
    values = {
        "YYYY": f"{moment.year:04d}", "YY": f"{moment.year % 100:02d}",
        "MMMM": calendar.month_name[moment.month], "MMM": calendar.month_abbr[moment.month],
        "MM": f"{moment.month:02d}", "M": str(moment.month),
        "DDDD": f"{moment.timetuple().tm_yday:03d}",
        "DD": f"{moment.day:02d}", "D": str(moment.day),
        "dddd": calendar.day_name[moment.weekday()], "ddd": calendar.day_abbr[moment.weekday()],
        "d": str((moment.weekday() + 1) % 7),
        "HH": f"{moment.hour:02d}", "H": str(moment.hour),
        "hh": f"{(moment.hour % 12) or 12:02d}", "h": str((moment.hour % 12) or 12),
        "mm": f"{moment.minute:02d}", "m": str(moment.minute),
        "ss": f"{moment.second:02d}", "s": str(moment.second),
        "SSS": f"{ms:03d}", "SS": f"{ms // 10:02d}", "S": str(ms // 100),
        "A": "AM" if moment.hour < 12 else "PM", "a": "am" if moment.hour < 12 else "pm",
        "ZZ": "+0000", "Z": "+00:00",
        "x": str(int(moment.timestamp() * 1000)), "X": str(int(moment.timestamp())),
    }  # fmt: skip

    def token(match: re.Match[str]) -> str:
        text = match.group(0)
        return text[1:-1] if text.startswith("[") else values[text]

    return _TOKENS.sub(token, fmt)


def _add(moment: datetime, amount: Any, unit: str) -> datetime:
    if unit in ("years", "quarters", "months"):
        months = int(amount) * {"years": 12, "quarters": 3, "months": 1}[unit]
        total = moment.year * 12 + moment.month - 1 + months
        year, month = divmod(total, 12)
        day = min(moment.day, calendar.monthrange(year, month + 1)[1])
        return moment.replace(year=year, month=month + 1, day=day)
    return moment + timedelta(milliseconds=float(amount) * _FIXED_MS[unit])


def _date(*args: Any) -> Any:
    moment = to_datetime(args[0]) if args else datetime.now(UTC)
    return UNDEF if moment is None else _iso(moment)


def _date_format(value: Any, fmt: Any = "YYYY-MM-DDTHH:mm:ssZ") -> Any:
    moment = to_datetime(value)
    return UNDEF if moment is None else format_moment(moment, str(fmt))


def _date_add(value: Any, amount: Any, unit: Any, sign: int = 1) -> Any:
    moment, name = to_datetime(value), _unit(unit)
    if moment is None or name is None or not is_number(amount):
        return UNDEF
    return epoch_ms(_add(moment, sign * amount, name))


def _date_sub(value: Any, amount: Any, unit: Any) -> Any:
    return _date_add(value, amount, unit, -1)


def _months_between(a: datetime, b: datetime) -> float:
    whole = (a.year - b.year) * 12 + (a.month - b.month)
    anchor = _add(b, whole, "months")
    if anchor > a:
        whole -= 1
        anchor = _add(b, whole, "months")
    following = _add(b, whole + 1, "months")
    span = (following - anchor).total_seconds()
    return whole + ((a - anchor).total_seconds() / span if span else 0.0)


def _date_diff(a: Any, b: Any, unit: Any = None) -> Any:
    first, second = to_datetime(a), to_datetime(b)
    if first is None or second is None:
        return UNDEF
    millis = (first - second) / timedelta(milliseconds=1)
    if unit is None:
        return normalize_number(millis)
    name = _unit(unit)
    if name is None:
        return normalize_number(millis)
    if name in _FIXED_MS:
        return normalize_number(millis / _FIXED_MS[name])
    months = _months_between(first, second)
    return normalize_number(months / {"years": 12, "quarters": 3, "months": 1}[name])


_PARTS = {
    "year": lambda m: f"{m.year:04d}",
    "month": lambda m: f"{m.month:02d}",
    "day": lambda m: f"{m.day:02d}",
    "hour": lambda m: f"{m.hour:02d}",
    "minute": lambda m: f"{m.minute:02d}",
    "second": lambda m: f"{m.second:02d}",
    "millisecond": lambda m: f"{m.microsecond // 1000:03d}",
}


def _extract(value: Any, part: Any) -> Any:
    moment = to_datetime(value)
    getter = _PARTS.get(str(part).lower())
    if moment is None or getter is None:
        return UNDEF
    return getter(moment)


def _offset_utc(value: Any, offset: Any) -> Any:
    moment = to_datetime(value)
    if moment is None or not is_number(offset):
        return UNDEF
    minutes = int(offset * 60) if -16 < offset < 16 else int(offset)
    return _iso(moment, minutes)


def _current_date() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


def _current_time() -> str:
    now = datetime.now(UTC)
    return now.strftime("%H:%M:%S.") + f"{now.microsecond // 1000:03d}"


def _server_time() -> str:
    now = datetime.now().astimezone()
    offset = now.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    return _iso(now, minutes)


def _part(getter: Any) -> Any:
    def part(value: Any) -> Any:
        moment = to_datetime(value)
        return UNDEF if moment is None else getter(moment)

    return part


#: alasql's date-part built-ins (numbers; the server's local time is UTC here).
DATE_PARTS: dict[str, Any] = {
    "YEAR": _part(lambda m: m.year),
    "MONTH": _part(lambda m: m.month),
    "DAY": _part(lambda m: m.day),
    "HOUR": _part(lambda m: m.hour),
    "MINUTE": _part(lambda m: m.minute),
    "SECOND": _part(lambda m: m.second),
    "DAYOFWEEK": _part(lambda m: (m.weekday() + 1) % 7 + 1),
    "WEEKDAY": _part(lambda m: m.weekday()),
}
#: HarperDB's date functions by upper-case name.
DATE_FUNCTIONS: dict[str, Any] = {
    "NOW": _now_ms,
    "GETDATE": _now_ms,
    "CURRENT_TIMESTAMP": _now_ms,
    "CURRENT_DATE": _current_date,
    "CURRENT_TIME": _current_time,
    "DATE": _date,
    "DATE_FORMAT": _date_format,
    "DATE_ADD": _date_add,
    "DATE_SUB": _date_sub,
    "DATE_DIFF": _date_diff,
    "DATEDIFF": _date_diff,
    "EXTRACT": _extract,
    "OFFSET_UTC": _offset_utc,
    "GET_SERVER_TIME": _server_time,
}
