"""The server's logging: a level, and lines as text or as one JSON object each.

Access and job log lines carry their fields in ``extra={"event": {...}}``: the text format
shows the message only, the JSON format adds the fields as keys of the line's object.
"""

import logging
import sys
import time
from typing import Any, TextIO

import msgspec

__all__ = ["LEVELS", "JsonFormatter", "configure_logging"]

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_ENCODER = msgspec.json.Encoder()


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object: time, level, logger, message and its fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a JSON line (without the newline)."""
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
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
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(name)
