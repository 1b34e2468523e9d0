"""The parse worker: a process that turns CSV or JSON bytes into prepared insert batches.

A bulk load in one process is bound by one core and, through the GIL, slows every API answer
while it runs. The job's thread therefore only feeds raw chunks to this process and commits
what comes back; parsing, typing, key building, sorting and encoding run here, on the other
core, overlapped with the commits.

It runs as ``python -m loadmaster.jobs.parse_worker`` and speaks length-prefixed frames
(:mod:`frames`) on stdin and stdout: first the msgpack :class:`Options`, then bytes tagged by
their first byte: ``D`` + data, ``E`` (end of input), ``X`` (the source failed: stop without
writing the partial batch). It answers with msgpack :data:`Reply` frames (a tagged union).
"""

import sys
import time
from collections.abc import Callable, Iterator
from typing import IO, Any, Literal

import msgspec

from loadmaster.errors import LoadAbortedError, LoadmasterError
from loadmaster.formats import CsvStream, check_column_names, coerce_records
from loadmaster.formats.anomalies import Anomaly, OnError, RowChecks
from loadmaster.formats.json_rows import JsonRows
from loadmaster.jobs.frames import read_frame, write_frame
from loadmaster.storage import PreparedBatch, TableLayout, prepare_inserts

DATA, END, ABORT = b"D", b"E", b"X"


class Options(msgspec.Struct, kw_only=True):
    """What the worker is asked to do."""

    layout: TableLayout
    action: str
    batch_rows: int
    column_types: dict[str, str]
    #: What counts as a faulty row and what is done with one (see RowChecks).
    primary_key: str | None = None
    on_error: OnError = "continue"
    max_errors: int | None = None
    #: Parse and check only: batches carry their row count, no records.
    validate_only: bool = False
    #: ``csv``, or ``json``: NDJSON or a top-level array (only an array with ``array_only``).
    format: Literal["csv", "json"] = "csv"
    array_only: bool = False
    #: JSON: records per HarperDB chunk, whose first record is checked (0: the whole batch).
    chunk_rows: int = 0


#: Keys per separately decoded piece of a batch: the job's thread holds the GIL while it
#: decodes, and 800,000 keys in one call would stall API answers for ~40 ms.
PIECE = 16_384


class WireBatch(msgspec.Struct, kw_only=True):
    """A :class:`PreparedBatch` as sent: its key lists cut into separately encoded pieces."""

    new_attributes: list[tuple[str, int]]
    used_attributes: list[tuple[str, int]]
    ts: float
    records: int
    keys: list[msgspec.Raw]
    values: list[msgspec.Raw]
    index_keys: list[msgspec.Raw]
    index_pks: list[msgspec.Raw]


def _pieces(items: list[bytes]) -> list[msgspec.Raw]:
    return [msgspec.Raw(_encode(items[i : i + PIECE])) for i in range(0, len(items), PIECE)]


def _joined(pieces: list[msgspec.Raw]) -> list[bytes]:
    items: list[bytes] = []
    for piece in pieces:
        items += _decode_keys(piece)
    return items


def to_wire(batch: PreparedBatch) -> WireBatch:
    """Cut a prepared batch into pieces for sending."""
    return WireBatch(
        new_attributes=batch.new_attributes,
        used_attributes=batch.used_attributes,
        ts=batch.ts,
        records=batch.records,
        keys=_pieces(batch.keys),
        values=_pieces(batch.values),
        index_keys=_pieces(batch.index_keys),
        index_pks=_pieces(batch.index_pks),
    )


def from_wire(wire: WireBatch) -> PreparedBatch:
    """Decode a sent batch piece by piece (other threads run between the pieces)."""
    return PreparedBatch(
        new_attributes=wire.new_attributes,
        used_attributes=wire.used_attributes,
        ts=wire.ts,
        records=wire.records,
        keys=_joined(wire.keys),
        values=_joined(wire.values),
        index_keys=_joined(wire.index_keys),
        index_pks=_joined(wire.index_pks),
    )


class _Reply(msgspec.Struct, kw_only=True, omit_defaults=True, tag_field="kind"):
    """What every answer of the worker carries: the anomalies found since the previous one,
    with how many rows were rejected and how many were faulty meanwhile."""

    anomalies: list[Anomaly] = []
    rejected: int = 0
    faulty: int = 0


class Batch(_Reply, tag="batch"):
    """A parsed batch: prepared inserts, records for the general write path, or (in a dry
    run) only its row count."""

    prepared: WireBatch | None = None
    #: Records as parsed (msgpack), when the batch needs the general write path.
    records: bytes | None = None
    rows: int = 0


class Done(_Reply, tag="done"):
    """The source ended (or was aborted by the job): nothing more follows."""


class Stopped(_Reply, tag="stop"):
    """The load stopped at a faulty row, as its error policy asks."""

    error: str


class Failed(_Reply, tag="error"):
    """The worker failed: the job ends ERROR with this message."""

    error: str
    error_type: str = ""


#: One answer of the worker.
Reply = Batch | Done | Stopped | Failed


class SourceAbortedError(Exception):
    """Raised in the worker when the job's source failed part-way."""


_encode = msgspec.msgpack.Encoder().encode
_decode_keys = msgspec.msgpack.Decoder(list[bytes]).decode
_decode_reply = msgspec.msgpack.Decoder(Reply).decode


def _chunks(inbox: IO[bytes]) -> Iterator[bytes]:
    while True:
        message = read_frame(inbox)
        tag = message[:1]
        if tag == DATA:
            yield message[1:]
        elif tag == END:
            return
        else:
            raise SourceAbortedError


def _json_checked(
    batch: list[dict[str, Any]], options: Options
) -> tuple[list[dict[str, Any]], LoadmasterError | None]:
    """Check and coerce a JSON batch chunk by chunk, as the in-process load does per batch.

    JSON records need not share keys, so HarperDB checks the first record of each chunk; a
    failing chunk ends the load after the chunks before it, which are returned to be written.
    """
    every = options.chunk_rows or len(batch)
    done = 0
    try:
        for at in range(0, len(batch), every):
            chunk = batch[at : at + every]
            check_column_names(list(chunk[0]))
            coerce_records(chunk, options.column_types)
            done = at + len(chunk)
    except LoadmasterError as exc:
        return batch[:done], exc
    return batch, None


def _send_batch(
    send: Callable[[Reply], None], batch: list[dict[str, Any]], options: Options
) -> None:
    if options.validate_only:
        send(Batch(rows=len(batch)))
        return
    inserts = options.action == "insert"
    prepared = prepare_inserts(options.layout, batch, time.time() * 1000) if inserts else None
    if prepared is not None:
        send(Batch(prepared=to_wire(prepared), rows=len(batch)))
    else:
        send(Batch(records=_encode(batch), rows=len(batch)))


def main(inbox: IO[bytes], outbox: IO[bytes]) -> None:
    """Run the worker until its input ends or fails; always send a final reply."""

    stream: CsvStream | JsonRows | None = None
    seen = [0, 0]

    def send(reply: Reply) -> None:
        if stream is not None:  # with what was found since the last reply
            rejected, faulty = stream.rejected, stream.faulty_rows
            reply.anomalies = stream.take_anomalies()
            reply.rejected, reply.faulty = rejected - seen[0], faulty - seen[1]
            seen[:] = [rejected, faulty]
        write_frame(outbox, _encode(reply))

    try:
        options = msgspec.msgpack.decode(read_frame(inbox), type=Options)
        checks = RowChecks(
            primary_key=options.primary_key,
            on_error=options.on_error,
            max_errors=options.max_errors,
        )
        if options.format == "json":
            stream = JsonRows(_chunks(inbox), checks=checks, array_only=options.array_only)
        else:
            stream = CsvStream(
                _chunks(inbox),
                keep_parsed_extra=False,
                json_cells=True,
                column_types=options.column_types or None,
                checks=checks,
            )
        csv = stream if isinstance(stream, CsvStream) else None
        checked = False
        for batch in stream.batches(options.batch_rows):
            if csv is None:
                batch, failure = _json_checked(batch, options)
                if failure is not None:
                    if batch:
                        _send_batch(send, batch, options)
                    raise failure
            elif not checked:
                check_column_names(csv.header)
                checked = True
            _send_batch(send, batch, options)
        send(Done())
    except SourceAbortedError:
        send(Done())
    except LoadAbortedError as exc:
        send(Stopped(error=exc.message))
    except LoadmasterError as exc:
        send(Failed(error_type=type(exc).__name__, error=exc.message))
    except Exception as exc:  # noqa: BLE001 - every failure must reach the job as its message
        send(Failed(error=str(exc) or repr(exc)))
    finally:
        outbox.close()


def decode_reply(raw: bytes) -> Reply:
    """Decode one reply of the worker."""
    return _decode_reply(raw)


def decode_records(raw: bytes) -> list[dict[str, Any]]:
    """Decode the records of a batch sent for the general write path."""
    records: list[dict[str, Any]] = msgspec.msgpack.decode(raw)
    return records


if __name__ == "__main__":
    main(sys.stdin.buffer, sys.stdout.buffer)
