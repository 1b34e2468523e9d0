"""The parse worker: a process that turns CSV bytes into prepared insert batches.

A bulk load in one process is bound by one core and, through the GIL, slows every API answer
while it runs. The job's thread therefore only feeds raw chunks to this process and commits
what comes back; parsing, typing, key building, sorting and encoding run here, on the other
core, overlapped with the commits.

It runs as ``python -m loadmaster.jobs.parse_worker`` and speaks length-prefixed frames
(:mod:`frames`) on stdin and stdout: first the msgpack :class:`Options`, then bytes tagged by
their first byte: ``D`` + data, ``E`` (end of input), ``X`` (the source failed: stop without
writing the partial batch). It answers with msgpack :class:`Reply` frames.
"""

import sys
import time
from collections.abc import Iterator
from typing import IO, Any

import msgspec

from loadmaster.errors import LoadmasterError
from loadmaster.jobs.csvparse import CsvStream, check_column_names
from loadmaster.jobs.frames import read_frame, write_frame
from loadmaster.storage import PreparedBatch, TableLayout, prepare_inserts

DATA, END, ABORT = b"D", b"E", b"X"


class Options(msgspec.Struct, kw_only=True):
    """What the worker is asked to do."""

    layout: TableLayout
    action: str
    batch_rows: int
    column_types: dict[str, str]


class Reply(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One answer of the worker: a batch, the end, or an error."""

    kind: str  # "batch" | "done" | "error"
    prepared: PreparedBatch | None = None
    #: Records as parsed (msgpack), when the batch needs the general write path.
    records: bytes | None = None
    rows: int = 0
    error_type: str | None = None
    error: str | None = None


class SourceAbortedError(Exception):
    """Raised in the worker when the job's source failed part-way."""


_encode = msgspec.msgpack.Encoder().encode
_encode_records = _encode


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


def main(inbox: IO[bytes], outbox: IO[bytes]) -> None:
    """Run the worker until its input ends or fails; always send a final reply."""

    def send(reply: Reply) -> None:
        write_frame(outbox, _encode(reply))

    try:
        options = msgspec.msgpack.decode(read_frame(inbox), type=Options)
        stream = CsvStream(
            _chunks(inbox),
            keep_parsed_extra=False,
            json_cells=True,
            column_types=options.column_types or None,
        )
        inserts = options.action == "insert"
        checked = False
        for batch in stream.batches(options.batch_rows):
            if not checked:
                check_column_names(stream.header)
                checked = True
            prepared = (
                prepare_inserts(options.layout, batch, time.time() * 1000) if inserts else None
            )
            if prepared is not None:
                reply = Reply(kind="batch", prepared=prepared, rows=len(batch))
            else:
                reply = Reply(kind="batch", records=_encode_records(batch), rows=len(batch))
            send(reply)
        send(Reply(kind="done"))
    except SourceAbortedError:
        send(Reply(kind="done"))
    except LoadmasterError as exc:
        send(Reply(kind="error", error_type=type(exc).__name__, error=exc.message))
    except Exception as exc:  # noqa: BLE001 - every failure must reach the job as its message
        send(Reply(kind="error", error_type="", error=str(exc) or repr(exc)))
    finally:
        outbox.close()


def decode_reply(raw: bytes) -> Reply:
    """Decode one reply of the worker."""
    return msgspec.msgpack.decode(raw, type=Reply)


def decode_records(raw: bytes) -> list[dict[str, Any]]:
    """Decode the records of a batch sent for the general write path."""
    records: list[dict[str, Any]] = msgspec.msgpack.decode(raw)
    return records


if __name__ == "__main__":
    main(sys.stdin.buffer, sys.stdout.buffer)
