"""A request body handed from the event loop to a job's thread, chunk by chunk, bounded.

The event loop puts chunks as the client sends them and waits (without a thread) while the
queue is full; the job's thread takes them as it parses. So an upload of any size holds at
most ``MAX_CHUNKS`` chunks in memory, and a slow table slows the client down (TCP
backpressure) instead of filling the server's memory.
"""

import asyncio
import threading
from collections import deque
from collections.abc import Iterator

from loadmaster.errors import UploadInterruptedError
from loadmaster.jobs.context import JobContext

__all__ = ["MAX_CHUNKS", "BodyStream"]

#: Chunks held at once (Hypercorn hands over at most 64 KiB per chunk).
MAX_CHUNKS = 16
#: How often a job waiting for the client checks whether it was asked to stop.
_CANCEL_CHECK = 0.5


class BodyStream:
    """One body: :meth:`put` on the event loop, :meth:`chunks` on the job's thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, size: int | None) -> None:
        self._loop = loop
        self._size = size
        self._queue: deque[bytes] = deque()
        self._ready = threading.Condition()
        self._space = asyncio.Event()
        self._ended = False
        self._error: BaseException | None = None
        #: The job stopped reading (it ended): later chunks are dropped.
        self.abandoned = False

    async def put(self, chunk: bytes) -> bool:
        """Queue a chunk, waiting while the queue is full; False once the job stopped reading."""
        while True:
            with self._ready:
                if self.abandoned:
                    return False
                if len(self._queue) < MAX_CHUNKS:
                    self._queue.append(chunk)
                    self._ready.notify()
                    return True
                self._space.clear()
            await self._space.wait()

    def end(self, error: BaseException | None = None) -> None:
        """Mark the body complete, or cut off with ``error`` (raised in the job)."""
        with self._ready:
            self._ended = True
            self._error = error
            self._ready.notify()

    def abandon(self) -> None:
        """Stop taking chunks (the job ended): drop queued ones, let :meth:`put` return False."""
        with self._ready:
            self.abandoned = True
            self._queue.clear()
            self._ready.notify_all()
        self._loop.call_soon_threadsafe(self._space.set)

    def chunks(self, job: JobContext) -> Iterator[bytes]:
        """Yield the body's chunks as they arrive, reporting bytes read; run on the job thread.

        Raises:
            UploadInterruptedError: The client went away before the body was complete.
            JobCancelledError: The job was asked to stop while waiting for the client.
        """
        done = 0
        job.progress(bytes_read=0, **({"bytes_total": self._size} if self._size else {}))
        try:
            while True:
                with self._ready:
                    while not self._queue and not self._ended and not self.abandoned:
                        self._ready.wait(_CANCEL_CHECK)
                        job.check_cancelled()
                    if self.abandoned:
                        return
                    if self._queue:
                        chunk = self._queue.popleft()
                    elif self._error is not None:
                        raise UploadInterruptedError(
                            f"The upload was cut off after {done} bytes: {self._error}"
                        ) from self._error
                    else:
                        return
                self._loop.call_soon_threadsafe(self._space.set)
                done += len(chunk)
                job.progress(bytes_read=done)
                yield chunk
        finally:
            self.abandon()
