"""Anomalies found while reading a load's source: what is wrong with a row, and where.

Every reader of a load (CSV, JSON) reports the rows it finds at fault as :class:`Anomaly`
values: the 1-based line of the row's first physical line in the source, the column where
known, a short reason from the constants below, and the offending value cut to
:data:`VALUE_CHARS` characters. An :class:`AnomalyLog` counts them and keeps the first
:data:`KEPT` in line order, which is what a job record shows; every anomaly also goes to the
job's error table (``loadmaster.jobs.row_errors``).

What a reader does with a faulty row is the request's ``on_error`` (:data:`ON_ERROR`):
``continue`` loads what HarperDB would load, ``skip`` leaves the row out, ``abort`` stops the
load at the first anomaly.
"""

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

import msgspec

from loadmaster import wording
from loadmaster.errors import LoadAbortedError

#: Longest value kept in an anomaly.
VALUE_CHARS: Final = 200
#: Anomalies shown on a job record, the first in line order.
KEPT: Final = 100

#: The policies of ``on_error``, the default first.
ON_ERROR: Final = ("continue", "skip", "abort")
OnError = Literal["continue", "skip", "abort"]

TOO_MANY_FIELDS: Final = "too many fields"
TOO_FEW_FIELDS: Final = "too few fields"
UNTERMINATED_QUOTE: Final = "unterminated quote"
EMPTY_PRIMARY_KEY: Final = "empty primary key"
NULL_PRIMARY_KEY: Final = "null primary key"
INVALID_BYTES: Final = "invalid bytes for the encoding"
INVALID_JSON: Final = "not valid JSON"
NOT_AN_OBJECT: Final = "not a JSON object"


class Anomaly(msgspec.Struct, frozen=True, kw_only=True, order=True):
    """One fault of one row: where it is, what it is, and the value at fault (cut short).

    Anomalies order by line, then column, then reason.
    """

    line: int
    column: str | None
    reason: str
    value: str

    def describe(self) -> str:
        """Word the anomaly for a message: ``line 400: unterminated quote (column 'note')``."""
        where = f" (column '{self.column}')" if self.column is not None else ""
        return f"line {self.line}: {self.reason}{where}"


def anomaly(line: int, column: str | None, reason: str, value: str) -> Anomaly:
    """Build an anomaly, cutting ``value`` to :data:`VALUE_CHARS` characters."""
    return Anomaly(line=line, column=column, reason=reason, value=value[:VALUE_CHARS])


class AnomalyLog:
    """Count anomalies and rows rejected because of them; keep the first :data:`KEPT` by line.

    Readers may report anomalies out of line order (a worker's batches, a resynchronised
    parse): :attr:`first` is always the :data:`KEPT` lowest lines seen.
    """

    def __init__(self, kept: int = KEPT) -> None:
        self._kept = kept
        self._heap: list[tuple[int, int, Anomaly]] = []  # (-line, -seq, anomaly): a max-heap
        self.count = 0
        self.rejected = 0
        self.faulty_rows = 0

    def add(self, anomalies: Iterable[Anomaly]) -> None:
        """Count anomalies, keeping them if they are among the first by line."""
        heap = self._heap
        for found in anomalies:
            self.count += 1
            entry = (-found.line, -self.count, found)
            if len(heap) < self._kept:
                heapq.heappush(heap, entry)
            elif entry > heap[0]:
                heapq.heapreplace(heap, entry)

    @property
    def first(self) -> list[Anomaly]:
        """Return the kept anomalies in line order (ties in the order they were found)."""
        return [found for _, _, found in sorted(self._heap, reverse=True)]


@dataclass(frozen=True, slots=True)
class RowChecks:
    """What counts as a faulty row beyond its shape, and what is done with one.

    Attributes:
        primary_key: The table's primary key: an empty or null cell in its column is a fault.
        on_error: ``continue`` keeps faulty rows as HarperDB reads them; ``skip`` leaves them
            out (counted in ``rejected``) and reads on from the line after an unterminated
            quote's; ``abort`` stops at the first (:class:`LoadAbortedError`).
        max_errors: With ``skip``, stop once more rows than this were left out.
    """

    primary_key: str | None = None
    on_error: OnError = "continue"
    max_errors: int | None = None


class RowFaults:
    """What a reader found at fault so far, judged by its :class:`RowChecks`.

    A reader calls :meth:`fault` for each faulty row and keeps the row only when it answers
    True; :attr:`stop` is set once the load must end (``abort``, or ``max_errors`` passed),
    and the reader then stops reading, after handing over the rows before it.
    """

    def __init__(self, checks: RowChecks) -> None:
        self.checks = checks
        #: Rows left out because of a fault.
        self.rejected = 0
        #: Rows with at least one fault.
        self.faulty_rows = 0
        #: Why the load must end, once it must.
        self.stop: LoadAbortedError | None = None
        self._found: list[Anomaly] = []

    def take_anomalies(self) -> list[Anomaly]:
        """Return the anomalies found since the last call."""
        found, self._found = self._found, []
        return found

    def fault(self, *found: Anomaly, loadable: bool) -> bool:
        """Count one faulty row; return whether it is loaded.

        Args:
            found: The row's faults (at least one); a stop names the first.
            loadable: The row can be loaded as it is (``continue`` loads it); a row that
                cannot (not JSON, not an object) is rejected under ``continue`` too.
        """
        self._found += found
        self.faulty_rows += 1
        policy = self.checks.on_error
        if loadable and policy == "continue":
            return True
        if policy == "abort":
            self.stop = LoadAbortedError(wording.aborted_at(found[0].describe()))
            return False
        self.rejected += 1
        limit = self.checks.max_errors
        if limit is not None and self.rejected > limit:
            self.stop = LoadAbortedError(wording.too_many_rejected(limit, found[0].describe()))
        return False
