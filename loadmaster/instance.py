"""A running loadmaster: storage, users and the job system, reachable in-process or over HTTP."""

import logging
import threading
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from loadmaster import package
from loadmaster.actors.audit_retention import AuditRetention, retention_seconds
from loadmaster.actors.system import JobSystem
from loadmaster.auth.users import UserStore
from loadmaster.jobs.file_roots import create_default_root
from loadmaster.models import EMBEDDED_USER, User
from loadmaster.operations import dispatch
from loadmaster.operations.handler_context import Context
from loadmaster.settings import Settings
from loadmaster.storage import Store
from loadmaster.storage.lockfile import DataDirectoryLock

log = logging.getLogger(__name__)


class HttpServer(Protocol):
    """What :meth:`Instance.serve` returns: a running HTTP server of the instance."""

    @property
    def url(self) -> str:
        """Return the base URL, e.g. ``http://127.0.0.1:9925``."""

    def stop(self) -> None:
        """Stop serving."""


class Instance:
    """One loadmaster over one data directory.

    Use :func:`loadmaster.open` to get one. ``operation()`` runs an Operations API body
    in-process; ``serve()`` also answers it over HTTP from a background thread (the HTTP
    side, credentials included, lives in ``loadmaster.server``).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        retention = retention_seconds(settings.audit_retention)
        data = Path(settings.data)
        data.mkdir(parents=True, exist_ok=True)
        # First of all: a directory another process serves is left exactly as it is.
        self._dir_lock = DataDirectoryLock(data)
        self._servers: list[HttpServer] = []
        self._closed = False
        self._lock = threading.Lock()
        try:
            create_default_root(settings)
            self.store = Store.open(data, map_size=settings.map_size)
        except BaseException:
            self._dir_lock.release()
            raise
        self.audit_retention = AuditRetention(self.store, retention)
        try:
            create_default_root(settings)
            self.users = UserStore(self.store)
            generated = self.users.bootstrap(data, settings.admin_password)
            if generated is not None:
                # Never the password itself: logs are read by more people than the file.
                log.warning(
                    "created super user HDB_ADMIN; its generated password is in %s (mode 0600)",
                    data / "admin-password",
                )
            self.jobs = JobSystem(self.store, settings)
            self.jobs.start()
            self.audit_retention.start()
        except BaseException:
            self.store.close()
            self._dir_lock.release()
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

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> HttpServer:
        """Serve the Operations API over HTTP from a background thread; return the server."""
        factory = package.server_factory()
        if factory is None:
            raise RuntimeError("no HTTP server is available: import loadmaster first")
        server: HttpServer = factory(self, host, port)
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
            self.audit_retention.stop()
            self.jobs.stop()
        finally:
            try:
                self.store.close()
            finally:
                self._dir_lock.release()

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
