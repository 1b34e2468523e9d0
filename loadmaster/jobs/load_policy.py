"""What a load does with faulty rows (``on_error``, ``max_errors``) and whether it writes at all
(``validate_only``): the request's options, their checks, and the messages they end with.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from loadmaster import wording
from loadmaster.errors import LoadAbortedError
from loadmaster.formats.anomalies import ON_ERROR, Anomaly, OnError, RowChecks
from loadmaster.jobs.row_errors import ErrorRecorder


@dataclass(frozen=True, slots=True)
class LoadOptions:
    """A load request's error policy and dry-run flag (checked by :func:`option_problems`)."""

    on_error: OnError = "continue"
    max_errors: int | None = None
    validate_only: bool = False

    def checks(self, primary_key: str | None) -> RowChecks:
        """Return what the parser checks; a dry run reads on past faulty rows as ``skip``
        does, so that it sees the whole source."""
        on_error = self.on_error
        if self.validate_only and on_error == "continue":
            on_error = "skip"
        return RowChecks(primary_key=primary_key, on_error=on_error, max_errors=self.max_errors)


DEFAULT_OPTIONS = LoadOptions()


def option_problems(on_error: Any, max_errors: Any, validate_only: Any) -> list[str]:
    """Check the load options of a request; return the problems (empty when fine)."""
    problems = []
    if on_error is not None and on_error not in ON_ERROR:
        problems.append(f"'on_error' must be one of [{', '.join(ON_ERROR)}]")
    if max_errors is not None:
        if type(max_errors) is not int or max_errors < 0:
            problems.append("'max_errors' must be a non-negative integer")
        elif on_error != "skip":
            problems.append("'max_errors' needs 'on_error': 'skip'")
    if validate_only is not None and type(validate_only) is not bool:
        problems.append("'validate_only' must be a boolean")
    return problems


def load_options(on_error: Any, max_errors: Any, validate_only: Any) -> LoadOptions:
    """Build the options of a request that :func:`option_problems` accepted."""
    return LoadOptions(
        on_error=on_error if on_error is not None else "continue",
        max_errors=max_errors,
        validate_only=bool(validate_only),
    )


class _Parser(Protocol):
    rejected: int
    faulty_rows: int

    def take_anomalies(self) -> list[Anomaly]: ...

    def batches(self, size: int) -> Iterator[list[dict[str, Any]]]: ...


def recorded_batches(
    parser: _Parser, recorder: ErrorRecorder, size: int
) -> Iterator[list[dict[str, Any]]]:
    """Yield the parser's batches, storing the anomalies it found before each one (and those
    of a stop: :class:`LoadAbortedError` passes through once they are stored)."""
    seen = [0, 0]

    def store() -> None:
        rejected, faulty = parser.rejected, parser.faulty_rows
        recorder.record(parser.take_anomalies(), rejected - seen[0], faulty - seen[1])
        seen[:] = [rejected, faulty]

    try:
        for batch in parser.batches(size):
            store()
            yield batch
    except LoadAbortedError:
        store()
        raise
    store()


def aborted(exc: LoadAbortedError, written: int) -> LoadAbortedError:
    """Add to a stop's message how many records were loaded before it."""
    return LoadAbortedError(wording.already_loaded(exc.message, written))


def validated_message(records: int, recorder: ErrorRecorder) -> str:
    """Word the end of a dry run: every row read, and how many of them had a fault."""
    log = recorder.log
    return wording.validated(records + log.rejected, log.faulty_rows)
