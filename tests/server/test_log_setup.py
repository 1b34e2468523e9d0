"""The text format writes times as logging's own Formatter does, made once per second."""

import logging
import sys

from loadmaster.server.log_setup import TEXT_FORMAT, JsonFormatter, TextFormatter


def _record(created: float) -> logging.LogRecord:
    record = logging.LogRecord("loadmaster.access", logging.INFO, __file__, 1, "a %s", ("b",), None)
    record.created = created
    record.msecs = int((created - int(created)) * 1000) + 0.0
    return record


def test_text_lines_are_those_of_the_standard_formatter() -> None:
    ours, standard = TextFormatter(), logging.Formatter(TEXT_FORMAT)
    for created in (1_764_590_400.123, 1_764_590_400.987, 1_764_590_401.004, 1_700_000_000.5):
        record = _record(created)
        assert ours.format(record) == standard.format(_record(created))
    try:
        raise ValueError("boom")
    except ValueError:
        failed = _record(1_764_590_400.5)
        failed.exc_info = sys.exc_info()
        assert ours.format(failed) == standard.format(failed)
        assert "ValueError: boom" in ours.format(failed)
    assert ours.formatTime(_record(1_764_590_400.1), "%H") == standard.formatTime(
        _record(1_764_590_400.1), "%H"
    )


def test_json_lines_keep_their_utc_time() -> None:
    formatter = JsonFormatter()
    assert '"time":"2025-12-01T12:00:00.125Z"' in formatter.format(_record(1_764_590_400.125))
    assert '"time":"2025-12-01T12:00:01.500Z"' in formatter.format(_record(1_764_590_401.5))
