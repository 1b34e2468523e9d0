"""A JSON source read as a load's rows: records in batches, its faulty rows found and judged.

:class:`JsonRows` reads NDJSON or a top-level array from byte chunks, :class:`RecordRows` an
array of objects already decoded (``json_data_load``'s ``data``); both count their faults
and apply the load's :class:`~.anomalies.RowChecks` as :class:`~.anomalies.RowFaults` do,
and hand them over with ``take_anomalies``, as the CSV parser does.
"""

from collections.abc import Iterable, Iterator
from typing import Any

from loadmaster.formats.anomalies import RowChecks, RowFaults
from loadmaster.formats.json_array import JsonArraySplitter
from loadmaster.formats.json_faults import judged, keys_faulty
from loadmaster.formats.ndjson import json_splitter

__all__ = ["JsonRows", "RecordRows"]


class JsonRows(RowFaults):
    """Read JSON from byte chunks (UTF-8) into batches of records, as a load's rows.

    Args:
        chunks: The source.
        checks: The primary key and what to do with faulty rows.
        array_only: Accept only a top-level array (HarperDB's ``.json`` imports); else
            NDJSON or an array, told by the first byte that is not blank.
        cast_json: Parse string values holding JSON objects or arrays.
    """

    def __init__(
        self,
        chunks: Iterable[bytes],
        *,
        checks: RowChecks,
        array_only: bool = False,
        cast_json: bool = True,
    ) -> None:
        super().__init__(checks)
        self._chunks = chunks
        self._splitter = (
            JsonArraySplitter(cast_json=cast_json, faults=self)
            if array_only
            else json_splitter(cast_json=cast_json, faults=self)
        )

    def batches(self, size: int) -> Iterator[list[dict[str, Any]]]:
        """Yield lists of ``size`` records (the last one may be shorter).

        Raises:
            JsonArrayError: the array is not valid JSON (naming the line).
            LoadAbortedError: a faulty row under ``abort``, or too many under ``max_errors``
                (raised after the records before it were yielded).
        """
        pending: list[dict[str, Any]] = []
        for chunk in self._chunks:
            pending += self._splitter.feed(chunk)
            if self.stop is not None:
                break
            if len(pending) >= size:
                full = len(pending) - len(pending) % size
                for at in range(0, full, size):
                    yield pending[at : at + size]
                pending = pending[full:]
        else:
            pending += self._splitter.close()
        for at in range(0, len(pending), size):
            yield pending[at : at + size]
        if self.stop is not None:
            raise self.stop


class RecordRows(RowFaults):
    """Decoded records as a load's rows; a record's ``line`` is its 1-based place."""

    def __init__(self, records: list[dict[str, Any]], *, checks: RowChecks) -> None:
        super().__init__(checks)
        self._records = records

    def batches(self, size: int) -> Iterator[list[dict[str, Any]]]:
        """Yield lists of ``size`` records, as :meth:`JsonRows.batches` does."""
        records, primary_key = self._records, self.checks.primary_key
        for at in range(0, len(records), size):
            batch = records[at : at + size]
            if keys_faulty(batch, primary_key):
                kept = []
                for line, record in enumerate(batch, at + 1):
                    if judged(self, record, line, b""):
                        kept.append(record)
                    if self.stop is not None:
                        break
                batch = kept
            if batch:
                yield batch
            if self.stop is not None:
                raise self.stop
