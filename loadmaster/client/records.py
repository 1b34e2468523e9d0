"""What the client returns: job records as a typed Struct, and errors as loadmaster errors."""

from typing import Any

import msgspec

from loadmaster.errors import (
    AuthenticationError,
    ConflictError,
    InvalidRequestError,
    LoadmasterError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    ServerError,
    ServiceUnavailableError,
    UnsupportedMediaTypeError,
)

__all__ = ["FINISHED", "Job", "error_from_answer"]

FINISHED = frozenset({"COMPLETE", "ERROR"})


class Job(msgspec.Struct, frozen=True, kw_only=True):
    """A job record as ``get_job`` answers it; fields a server does not send are None."""

    id: str
    status: str
    type: str | None = None
    user: str | None = None
    #: The final message: text, or HarperDB's permission-failure object.
    message: Any = None
    result: Any = None
    created_datetime: int | None = None
    start_datetime: int | None = None
    end_datetime: int | None = None
    processed: int | None = None
    total: int | None = None
    percent: float | None = None
    rate: float | None = None
    eta_seconds: float | None = None
    bytes_read: int | None = None
    bytes_total: int | None = None
    queue_position: int | None = None
    rejected: int | None = None
    error_count: int | None = None
    errors: list[dict[str, Any]] | None = None
    warnings: list[str] | None = None
    cancelled: bool | None = None
    cancelled_by: str | None = None

    @property
    def finished(self) -> bool:
        """Tell whether the job has ended (COMPLETE or ERROR)."""
        return self.status in FINISHED

    @property
    def progress(self) -> float | None:
        """Return the fraction done (0 to 1), when the server knows it."""
        if self.percent is not None:
            return self.percent / 100
        if self.total:
            return (self.processed or 0) / self.total
        if self.bytes_total:
            return (self.bytes_read or 0) / self.bytes_total
        return None


_BY_STATUS: dict[int, type[LoadmasterError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    500: ServerError,
    503: ServiceUnavailableError,
}


def error_from_answer(status: int, body: Any) -> LoadmasterError:
    """Return the loadmaster error of an error answer (status and decoded body)."""
    if isinstance(body, dict):
        message = body.get("error")
        if not isinstance(message, str):
            message = body.get("message")
    else:
        message = body
    if not isinstance(message, str):
        message = msgspec.json.encode(message).decode()
    if status == 403 and isinstance(body, dict):
        refused = PermissionDeniedError(
            body.get("unauthorized_access"), body.get("invalid_schema_items")
        )
        refused.message = message
        return refused
    cls = _BY_STATUS.get(status, LoadmasterError)
    return cls(message, status_code=status)
