"""Run a CSV load with a parse worker process: this thread feeds bytes and commits batches."""

import contextlib
import logging
import os
import select
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Literal

import msgspec

from loadmaster.errors import LoadAbortedError, WorkerError
from loadmaster.formats import column_types
from loadmaster.jobs import parse_worker
from loadmaster.jobs.context import JobContext
from loadmaster.jobs.frames import read_frame, write_frame
from loadmaster.jobs.load_policy import DEFAULT_OPTIONS, LoadOptions
from loadmaster.jobs.row_errors import ErrorRecorder
from loadmaster.storage import StaleLayoutError, Table

log = logging.getLogger(__name__)

#: Rows per write transaction. The worker's parsing of the next batch overlaps this commit,
#: so bigger transactions gain nothing measurable here (1M rows: 132k rows/s at 15k and at
#: 50k), while memory grows with them (server + worker peak: 201 MB at 15k, 435 MB at 50k).
BATCH_ROWS = 15000
_POLL = 0.25
_TIMESTAMPS = ("__createdtime__", "__updatedtime__")
# The worker must import this very loadmaster, wherever it is run from.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


class _Feeder(threading.Thread):
    """Send the source's chunks to the worker; remember how the source ended."""

    def __init__(self, chunks: Iterable[bytes], outbox: IO[bytes]) -> None:
        super().__init__(name="loadmaster-feed", daemon=True)
        self._chunks = chunks
        self._outbox = outbox
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for chunk in self._chunks:
                write_frame(self._outbox, parse_worker.DATA + chunk)
            write_frame(self._outbox, parse_worker.END)
        except (BrokenPipeError, ConnectionResetError, ValueError):
            # The worker is gone or its pipe was closed (it failed, or the job is being torn
            # down); the job's thread learns why from the worker's reply or its exit.
            pass
        except BaseException as exc:  # noqa: BLE001 - the job's thread re-raises it
            self.error = exc
            with contextlib.suppress(OSError, ValueError):
                write_frame(self._outbox, parse_worker.ABORT)
        finally:
            with contextlib.suppress(OSError, ValueError):
                self._outbox.close()


def _start_worker() -> "subprocess.Popen[bytes]":
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (_PACKAGE_ROOT, env.get("PYTHONPATH"))))
    return subprocess.Popen(
        [sys.executable, "-m", "loadmaster.jobs.parse_worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )


def _commit(target: Table, reply: parse_worker.Batch, action: str, user: str) -> int:
    if reply.prepared is not None:
        prepared = parse_worker.from_wire(reply.prepared)
        try:
            return target.apply(prepared, user=user)
        except StaleLayoutError:
            # Another writer added attributes meanwhile: write this batch the general way.
            decoded = [msgspec.msgpack.decode(v) for v in prepared.values]
            records = [{k: v for k, v in r.items() if k not in _TIMESTAMPS} for r in decoded]
            return len(target.write(records, "insert", user=user, coerced=True).written)
    if reply.records is None:
        raise WorkerError("the parse worker sent an empty batch")
    records = parse_worker.decode_records(reply.records)
    return len(target.write(records, action, user=user, coerced=True).written)  # type: ignore[arg-type]


def _wait_readable(job: JobContext, stream: IO[bytes], process: "subprocess.Popen[bytes]") -> None:
    while not select.select([stream], [], [], _POLL)[0]:
        job.check_cancelled()
        if process.poll() is not None:
            return  # whatever it wrote last is still readable; EOF tells the rest


def commit_batches(
    job: JobContext,
    chunks: Iterable[bytes],
    *,
    db: str,
    table: str,
    action: str,
    options: LoadOptions = DEFAULT_OPTIONS,
    recorder: ErrorRecorder | None = None,
    source_format: Literal["csv", "json"] = "csv",
    array_only: bool = False,
    chunk_rows: int = 0,
) -> Iterator[tuple[int, int]]:
    """Parse ``chunks`` (CSV, or JSON with ``source_format="json"``) in a worker process and
    commit its batches here. JSON records are checked per ``chunk_rows`` (HarperDB checks the
    first record of each of its chunks), inside batches of :data:`BATCH_ROWS`.

    Yields ``(written, rows)`` per committed batch (nothing is written with
    ``validate_only``); the faulty rows the worker found go to ``recorder``. The worker and
    the feeding thread are stopped whatever happens, including when the job is cancelled or
    this generator closed.

    Raises:
        LoadAbortedError: the worker stopped at a faulty row (after its last good batch).
    """
    target = job.store.table(db, table)
    checks = options.checks(target.primary_key)
    recorder = recorder if recorder is not None else ErrorRecorder(job)
    request = parse_worker.Options(
        layout=target.layout(),
        action=action,
        batch_rows=BATCH_ROWS,
        column_types=column_types(target),
        primary_key=checks.primary_key,
        on_error=checks.on_error,
        max_errors=checks.max_errors,
        validate_only=options.validate_only,
        format=source_format,
        array_only=array_only,
        chunk_rows=chunk_rows,
    )
    process = _start_worker()
    inbox, outbox = process.stdout, process.stdin
    assert inbox is not None  # noqa: S101 - made with PIPE
    assert outbox is not None  # noqa: S101 - made with PIPE
    feeder: _Feeder | None = None
    try:
        write_frame(outbox, msgspec.msgpack.encode(request))
        feeder = _Feeder(chunks, outbox)
        feeder.start()
        while True:
            _wait_readable(job, inbox, process)
            try:
                reply = parse_worker.decode_reply(read_frame(inbox))
            except EOFError as exc:
                raise WorkerError(
                    f"The parse worker process exited unexpectedly (exit code {process.wait(5)})"
                ) from exc
            recorder.record(reply.anomalies, reply.rejected, reply.faulty)
            if isinstance(reply, parse_worker.Done):
                break
            if isinstance(reply, parse_worker.Stopped):
                raise LoadAbortedError(reply.error)
            if isinstance(reply, parse_worker.Failed):
                raise WorkerError(reply.error)
            if options.validate_only:
                yield 0, reply.rows
                continue
            yield _commit(target, reply, action, job.user.username), reply.rows
        feeder.join()
        if feeder.error is not None:
            raise feeder.error
    except BrokenPipeError as exc:
        raise WorkerError("The parse worker process exited unexpectedly") from exc
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(5)
        with contextlib.suppress(OSError, ValueError):
            inbox.close()
        if feeder is not None:
            feeder.join(5)
            if feeder.is_alive():
                log.warning("the source of job %s did not stop feeding in time", job.job_id)
        else:
            with contextlib.suppress(OSError, ValueError):
                outbox.close()
