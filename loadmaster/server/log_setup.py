"""The server's logging: a level, and lines as text or as one JSON object each.

Access and job log lines carry their fields in ``extra={"event": {...}}``: the text format
shows the message only, the JSON format adds the fields as keys of the line's object.
"""

import logging
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

import msgspec

from loadmaster.settings import LOG_LEVELS as LEVELS

__all__ = ["LEVELS", "JsonFormatter", "TextFormatter", "configure_logging"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_ENCODER = msgspec.json.Encoder()


class _Seconds:
    """The text of a time to the second, made once per second: every access log line needs
    one, and ``strftime`` is a good part of a line's cost."""

    __slots__ = ("_convert", "_format", "_last")

    def __init__(self, fmt: str, convert: Callable[[float], time.struct_time]) -> None:
        self._format = fmt
        self._convert = convert
        # One tuple, so that threads logging at once never pair a second with another's text.
        self._last = (-1, "")

    def text(self, created: float) -> str:
        second = int(created)
        last = self._last
        if last[0] != second:
            last = self._last = (second, time.strftime(self._format, self._convert(created)))
        return last[1]


class TextFormatter(logging.Formatter):
    """The text format (:data:`TEXT_FORMAT`), its time made as :class:`logging.Formatter`
    makes it, once per second."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)
        self._seconds = _Seconds(self.default_time_format, self.converter)

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a text line: what the standard formatter makes of it."""
        if record.exc_info or record.exc_text or record.stack_info:
            return super().format(record)
        record.message = record.getMessage()
        record.asctime = self.formatTime(record)
        return f"{record.asctime} {record.levelname} {record.name}: {record.message}"

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        """Return the record's time as ``2026-12-01 12:00:00,123`` (local time)."""
        if datefmt:
            return super().formatTime(record, datefmt)
        return f"{self._seconds.text(record.created)},{int(record.msecs):03d}"


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object: time, level, logger, message and its fields."""

    def __init__(self) -> None:
        super().__init__()
        self._seconds = _Seconds("%Y-%m-%dT%H:%M:%S", time.gmtime)

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a JSON line (without the newline)."""
        line: dict[str, Any] = {
            "time": f"{self._seconds.text(record.created)}.{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        event = getattr(record, "event", None)
        if isinstance(event, dict):
            line.update(event)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return _ENCODER.encode(line).decode()


def configure_logging(level: str, log_format: str, stream: TextIO | None = None) -> None:
    """Send every log line to ``stream`` (stderr) at ``level``, as text or JSON.

    Raises:
        ValueError: An unknown level or format.
    """
    name = level.upper()
    if name not in LEVELS:
        raise ValueError(f"invalid log level {level!r}: use one of {', '.join(LEVELS)}")
    if log_format not in ("text", "json"):
        raise ValueError(f"invalid log format {log_format!r}: use text or json")
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(name)
