"""The faulty rows of a JSON source: a line that is not JSON, a value that is not an object,
a primary key that is null or empty.

The splitters (:mod:`.ndjson`, :mod:`.json_array`) decode a chunk's records in one call and
ask :func:`keys_faulty` about them, which costs no Python per record; only a chunk with a
fault is then decoded value by value, each value judged by :func:`judged` (or
:func:`unparsable`) at its line, as the load's :class:`~.anomalies.RowFaults` say.
"""

from itertools import repeat
from typing import Any, Final

from loadmaster.formats import anomalies as a
from loadmaster.formats.anomalies import RowFaults

#: Bytes of a faulty value decoded to show it (a character takes at most 4).
_SHOWN_BYTES: Final = 4 * a.VALUE_CHARS
_ABSENT: Final = object()


def shown(text: bytes) -> str:
    """Return the start of a faulty value's source text, as an anomaly shows it."""
    return text[:_SHOWN_BYTES].decode("utf-8", "replace").strip()


def keys_faulty(records: list[dict[str, Any]], primary_key: str | None) -> bool:
    """Tell whether any of these records has a null or empty primary key (absent is fine:
    the table then makes one up, as HarperDB does)."""
    if primary_key is None:
        return False
    keys = list(map(dict.get, records, repeat(primary_key), repeat(_ABSENT)))
    return None in keys or "" in keys


def judged(faults: RowFaults, value: Any, line: int, text: bytes) -> bool:
    """Return whether a decoded JSON value is a record to load, counting its fault if any.

    Args:
        faults: The load's faults and policy.
        value: The decoded value.
        line: The 1-based line where it begins.
        text: Its source text (shown when it is not an object).
    """
    if type(value) is not dict:
        return faults.fault(a.anomaly(line, None, a.NOT_AN_OBJECT, shown(text)), loadable=False)
    primary_key = faults.checks.primary_key
    if primary_key is not None:
        key = value.get(primary_key, _ABSENT)
        if key is None:
            found = a.anomaly(line, primary_key, a.NULL_PRIMARY_KEY, "null")
            return faults.fault(found, loadable=True)
        if key == "":
            found = a.anomaly(line, primary_key, a.EMPTY_PRIMARY_KEY, "")
            return faults.fault(found, loadable=True)
    return True


def unparsable(faults: RowFaults, line: int, text: bytes) -> None:
    """Count a line that is not JSON: it cannot be loaded."""
    faults.fault(a.anomaly(line, None, a.INVALID_JSON, shown(text)), loadable=False)
