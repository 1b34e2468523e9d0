"""Answers that are due later: a started job is answered once its record is on disk.

A handler returns a :class:`Deferred` instead of its answer when the answer waits for the
job runtime. Threads call :meth:`Deferred.wait`; the event loop awaits
:meth:`Deferred.wait_async`, so no thread is held meanwhile; both then read ``answer``.
"""

import asyncio
from concurrent.futures import Future
from typing import Any

from loadmaster import wording
from loadmaster.errors import ServerError, ServiceUnavailableError

__all__ = ["Deferred", "Submitted"]

NOT_IN_TIME = "The job system did not answer in time"


class Deferred:
    """An answer that is due once something else happened."""

    __slots__ = ()

    @property
    def answer(self) -> Any:
        """Return the answer (after :meth:`wait` or :meth:`wait_async`)."""
        raise NotImplementedError

    def wait(self) -> None:
        """Block until the answer is due."""
        raise NotImplementedError

    async def wait_async(self) -> None:
        """Wait, on an event loop, until the answer is due."""
        raise NotImplementedError


class Submitted(Deferred):
    """A job that was started: its id, and the future of its IN_PROGRESS record on disk.

    HarperDB answers a submit only once the record is IN_PROGRESS (spec §12.1). The future
    gives the id of the user's existing job instead when the submit's ``job_key`` had one.
    """

    __slots__ = ("_job_key", "_persisted", "_timeout", "job_id", "warnings")

    def __init__(
        self,
        job_id: str,
        persisted: "Future[str | None]",
        timeout: float,
        job_key: str | None = None,
        warnings: list[str] | None = None,
    ) -> None:
        self.job_id = job_id
        self.warnings = warnings or []
        self._persisted = persisted
        self._timeout = timeout
        self._job_key = job_key

    @property
    def answer(self) -> dict[str, Any]:
        """Return HarperDB's answer to the submit (once the record is on disk)."""
        existing = self._persisted.result(timeout=0)
        if existing is not None and self._job_key is not None:
            return {
                "message": wording.job_key_exists(self._job_key),
                "job_id": existing,
                "existing": True,
            }
        answer: dict[str, Any] = {
            "message": wording.started(self.job_id),
            "job_id": self.job_id,
        }
        if self.warnings:
            answer["warnings"] = self.warnings
        return answer

    def wait(self) -> None:
        """Block until the record is on disk.

        Raises:
            ServerError: It could not be written. ServiceUnavailableError: not in time.
        """
        try:
            self._persisted.result(timeout=self._timeout)
        except TimeoutError as exc:
            raise ServiceUnavailableError(NOT_IN_TIME) from exc
        except Exception as exc:
            raise ServerError(f"There was an error executing job: {_reason(exc)}") from exc

    async def wait_async(self) -> None:
        """Wait, on an event loop, until the record is on disk (errors as :meth:`wait`)."""
        try:
            await asyncio.wait_for(asyncio.wrap_future(self._persisted), self._timeout)
        except TimeoutError as exc:
            raise ServiceUnavailableError(NOT_IN_TIME) from exc
        except Exception as exc:
            raise ServerError(f"There was an error executing job: {_reason(exc)}") from exc


def _reason(exc: BaseException) -> str:
    message = getattr(exc, "message", None)
    return message if isinstance(message, str) else str(exc) or type(exc).__name__
