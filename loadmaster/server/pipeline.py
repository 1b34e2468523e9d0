"""One HTTP request body through the Operations API: decode, authenticate, run.

The embedded core (:class:`loadmaster.instance.Instance`) knows nothing of HTTP; this module
adds what only a request over the wire has: credentials in an ``Authorization`` header or in
the body, the client's address (failed logins are counted per address too), and the choice
between answering on the event loop and handing the request to a worker thread.
"""

from typing import TYPE_CHECKING, Any

from loadmaster.errors import (
    InvalidJSONError,
    InvalidRequestError,
    LoadmasterError,
    MalformedBodyError,
    ServerError,
)
from loadmaster.operations import dispatch, schema
from loadmaster.operations.deferred import Deferred
from loadmaster.server.credentials import (
    TOKEN_OPERATIONS,
    authenticate,
    authenticate_token_request,
    cached_caller,
)

if TYPE_CHECKING:
    from loadmaster.instance import Instance

__all__ = ["INLINE_MAX_BODY", "INLINE_OPERATIONS", "Answered", "Pipeline"]

#: Operations answered on the event loop (see :meth:`Pipeline.inline`); a body bigger than
#: ``INLINE_MAX_BODY`` (a csv_data_load with its data) is decoded on a worker thread.
INLINE_OPERATIONS = frozenset(
    {
        schema.GetJob,
        schema.CsvDataLoad,
        schema.CsvFileLoad,
        schema.CsvUrlLoad,
        schema.ImportFromS3,
        schema.DeleteRecordsBefore,
        schema.DeleteFilesBefore,
        schema.ExportLocal,
        schema.ExportToS3,
    }
)
INLINE_MAX_BODY = 64 << 10


class Answered:
    """An answer that is complete: the body to send."""

    __slots__ = ("body",)

    def __init__(self, body: Any) -> None:
        self.body = body


class Pipeline:
    """Runs request bodies of one instance, as its HTTP server receives them."""

    def __init__(self, instance: "Instance") -> None:
        self._instance = instance
        self._users = instance.users

    def inline(self, raw: bytes, authorization: str | None) -> Answered | Deferred | None:
        """Start a request on the event loop when that cannot block; else return None.

        Small bodies of a caller whose Basic credentials are cached (no hashing) qualify when
        the operation is ``get_job`` (it reads the registry's published records, never waiting
        on a lock or the disk) or submits a job (checks, then a message to the supervisor).
        Skipping the hand-off to a worker thread halves their cost. A job's answer is due
        once its record is on disk: the result is then a :class:`Deferred` to await.
        Anything else, including every error, goes the general way (:meth:`handle`).
        """
        if len(raw) > INLINE_MAX_BODY:
            return None
        user = cached_caller(self._users, authorization)
        if user is None:
            return None
        try:
            op = dispatch.decode(raw)
        except LoadmasterError:
            return None
        if type(op) not in INLINE_OPERATIONS:
            return None
        try:
            result = dispatch.begin(op, self._instance.context(user))
        except LoadmasterError:
            return None
        return result if isinstance(result, Deferred) else Answered(result)

    def handle(self, raw: bytes, authorization: str | None, client: str | None = None) -> Any:
        """Decode, authenticate and run one request body; return its answer body, or the
        :class:`Deferred` answer to await (a started job, a long-poll), holding no thread.

        Blocks (password hashing, actor answers): call it from a worker thread.

        Args:
            raw: The request body.
            authorization: The ``Authorization`` header, if any.
            client: The client's address; failed logins are counted per address too.
        """
        try:
            op = dispatch.decode(raw)
        except (MalformedBodyError, InvalidJSONError):
            raise
        except (InvalidRequestError, ServerError):
            # The body names an unknown operation or has a bad field: the caller must still
            # prove who they are before learning that.
            authenticate(self._users, authorization, dispatch.body_credentials(raw), client)
            raise
        if isinstance(op, TOKEN_OPERATIONS):
            # These authenticate their own body: credentials, or a refresh token.
            op, user = authenticate_token_request(self._users, op, authorization, client)
        else:
            credentials = None
            if isinstance(op.username, str) and isinstance(op.password, str):
                credentials = (op.username, op.password)
            user = authenticate(self._users, authorization, credentials, client)
        # A deferred answer (a started job, a long-poll) is awaited by the caller.
        return dispatch.begin(op, self._instance.context(user))
