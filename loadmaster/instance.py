"""A running loadmaster: storage, users and the job system, reachable in-process or over HTTP."""

import logging
import threading
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from loadmaster.actors.system import JobSystem
from loadmaster.auth.users import UserStore
from loadmaster.errors import (
    InvalidJSONError,
    InvalidRequestError,
    LoadmasterError,
    MalformedBodyError,
    ServerError,
)
from loadmaster.models import EMBEDDED_USER, User
from loadmaster.operations import dispatch, schema
from loadmaster.operations.context import Context
from loadmaster.server.auth import (
    TOKEN_OPERATIONS,
    authenticate,
    authenticate_token_request,
    cached_caller,
)
from loadmaster.settings import Settings
from loadmaster.storage import Store

if TYPE_CHECKING:
    from loadmaster.server.serve import BackgroundServer

log = logging.getLogger(__name__)


#: Returned by :meth:`Instance.handle_inline` when the request must take the general path.
NOT_INLINE: Any = object()
#: Operations answered on the event loop (see :meth:`Instance.handle_inline`); a body bigger
#: than ``INLINE_MAX_BODY`` (a csv_data_load with its data) is decoded on a worker thread.
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


class Instance:
    """One loadmaster over one data directory.

    Use :func:`loadmaster.open` to get one. ``operation()`` runs an Operations API body
    in-process; ``serve()`` also answers it over HTTP from a background thread.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        data = Path(settings.data)
        data.mkdir(parents=True, exist_ok=True)
        self.store = Store.open(data, map_size=settings.map_size)
        self._servers: list[BackgroundServer] = []
        self._closed = False
        self._lock = threading.Lock()
        try:
            self.users = UserStore(self.store)
            generated = self.users.bootstrap(data, settings.admin_password)
            if generated is not None:
                log.warning(
                    "created super user HDB_ADMIN with password %s (also in %s)",
                    generated,
                    data / "admin-password",
                )
            self.jobs = JobSystem(self.store, settings)
            self.jobs.start()
        except BaseException:
            self.store.close()
            raise

    def context(self, user: User) -> Context:
        """Return the handler context for a caller."""
        return Context(
            store=self.store, jobs=self.jobs, users=self.users, settings=self.settings, user=user
        )

    def operation(self, body: dict[str, Any], *, user: User | None = None) -> Any:
        """Run one Operations API body and return its answer.

        Args:
            body: The request body, e.g. ``{"operation": "describe_all"}``.
            user: The caller; by default the process itself, as a super user.

        Raises:
            LoadmasterError: The operation failed; the error carries the HTTP status and
                message the server would answer with.
        """
        op = dispatch.convert(body)
        return dispatch.execute(op, self.context(user or EMBEDDED_USER))

    def wait_for_job(self, job_id: str, timeout: float = 60.0) -> dict[str, Any] | None:
        """Wait until a job is COMPLETE or ERROR and return its get_job record.

        Raises:
            TimeoutError: The job did not end in time.
        """
        return self.jobs.wait(job_id, timeout)

    def handle_inline(self, raw: bytes, authorization: str | None) -> Any:
        """Start a request on the event loop when that cannot block; else ``NOT_INLINE``.

        Small bodies of a caller whose Basic credentials are cached (no hashing) qualify when
        the operation is ``get_job`` (it reads the registry's published records, never waiting
        on a lock or the disk) or submits a job (checks, then a message to the supervisor).
        Skipping the hand-off to a worker thread halves their cost. A job's answer is due
        once its record is on disk: the result is then a :class:`Submitted` to await.
        Anything else, including every error, goes the general way.
        """
        if len(raw) > INLINE_MAX_BODY:
            return NOT_INLINE
        user = cached_caller(self.users, authorization)
        if user is None:
            return NOT_INLINE
        try:
            op = dispatch.decode(raw)
        except LoadmasterError:
            return NOT_INLINE
        if type(op) not in INLINE_OPERATIONS:
            return NOT_INLINE
        try:
            return dispatch.begin(op, self.context(user))
        except LoadmasterError:
            return NOT_INLINE

    def handle(self, raw: bytes, authorization: str | None, client: str | None = None) -> Any:
        """Decode, authenticate and run one HTTP request body; return its answer body.

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
            authenticate(self.users, authorization, dispatch.body_credentials(raw), client)
            raise
        if isinstance(op, TOKEN_OPERATIONS):
            # These authenticate their own body: credentials, or a refresh token.
            op, user = authenticate_token_request(self.users, op, authorization, client)
        else:
            credentials = None
            if isinstance(op.username, str) and isinstance(op.password, str):
                credentials = (op.username, op.password)
            user = authenticate(self.users, authorization, credentials, client)
        return dispatch.execute(op, self.context(user))

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> "BackgroundServer":
        """Serve the Operations API over HTTP from a background thread; return the server."""
        from loadmaster.server.serve import BackgroundServer

        server = BackgroundServer(self, host=host, port=port)
        server.start()
        self._servers.append(server)
        return server

    def close(self) -> None:
        """Stop serving, stop the jobs, close storage; in reverse order of start."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            for server in reversed(self._servers):
                server.stop()
            self._servers.clear()
            self.jobs.stop()
        finally:
            self.store.close()

    def __enter__(self) -> "Instance":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_instance(path: str | Path | None = None, **settings: Any) -> Instance:
    """Open (creating if needed) a loadmaster data directory and start its services."""
    if path is not None:
        settings["data"] = path
    return Instance(Settings.from_env(**settings))
