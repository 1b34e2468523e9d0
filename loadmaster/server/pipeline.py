"""One HTTP request body through the Operations API: decode, authenticate, run.

The embedded core (:class:`loadmaster.instance.Instance`) knows nothing of HTTP; this module
adds what only a request over the wire has: credentials in an ``Authorization`` header or in
the body, the client's address (failed logins are counted per address too), and the choice
between answering on the event loop and handing the request to a worker thread.
"""

from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool

from loadmaster.actors.system import Submitted
from loadmaster.errors import InvalidRequestError, MalformedBodyError, ServerError
from loadmaster.operations import dispatch, schema
from loadmaster.server.credentials import Credentials, HeaderCaller

if TYPE_CHECKING:
    from loadmaster.instance import Instance

__all__ = ["INLINE_MAX_BODY", "INLINE_OPERATIONS", "Pipeline"]

#: Operations answered on the event loop: ``get_job`` reads the registry's published records,
#: never waiting on a lock or the disk, and a job submit is checks, then a message to the
#: supervisor; skipping the hand-off to a worker thread halves their cost. A body bigger than
#: ``INLINE_MAX_BODY`` (a csv_data_load with its data) is decoded on a worker thread.
INLINE_OPERATIONS = frozenset(
    {
        schema.GetJob,
        schema.CsvDataLoad,
        schema.CsvFileLoad,
        # Not schema.CsvUrlLoad: its submit may resolve a host name (see jobs/outbound.py).
        schema.ImportFromS3,
        schema.DeleteRecordsBefore,
        schema.DeleteFilesBefore,
        schema.ExportLocal,
        schema.ExportToS3,
    }
)
INLINE_MAX_BODY = 64 << 10


class Pipeline:
    """Runs request bodies of one instance, as its HTTP server receives them."""

    def __init__(self, instance: "Instance") -> None:
        self._instance = instance
        self.credentials = Credentials(instance.users)

    async def answer(self, raw: bytes, header: HeaderCaller, client: str | None) -> Any:
        """Decode, authenticate and run one request body; return its answer body.

        Args:
            raw: The request body.
            header: What the ``Authorization`` header said (checked before the body was read).
            client: The client's address; failed logins are counted per address too.
        """
        small = len(raw) <= INLINE_MAX_BODY
        body = dispatch.parse(raw) if small else await run_in_threadpool(dispatch.parse, raw)
        try:
            op = dispatch.operation_of(body)
        except MalformedBodyError:
            raise
        except (InvalidRequestError, ServerError):
            # The body names an unknown operation or has a bad field: the caller must still
            # prove who they are before learning that.
            await self.credentials.plain(header, dispatch.body_credentials(body), client)
            raise
        op, user = await self.credentials.caller(op, header, client)
        ctx = self._instance.context(user)
        if small and type(op) in INLINE_OPERATIONS:
            result = dispatch.begin(op, ctx)
            if isinstance(result, Submitted):
                await result.wait_async()
                return result.answer
            return result
        return await run_in_threadpool(dispatch.execute, op, ctx)
