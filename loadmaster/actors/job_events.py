"""Job events: a job started or ended, told to listeners (the job log, the server's metrics).

The runtime reports two moments of each job to :class:`JobEvents`: its start (with the request
it runs, for the table it works on) and its final record. Listeners get a :class:`JobEvent`
on the thread that reported it (the registry's), so they must be quick and must not block.
"""

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

log = logging.getLogger("loadmaster.jobs")

__all__ = ["JobEvent", "JobEventListener", "JobEvents", "log_job_event"]


class JobEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A job that started (``status`` ``IN_PROGRESS`` or ``CREATED`` while queued) or ended."""

    id: str
    type: str
    user: str
    status: str
    database: str | None = None
    table: str | None = None
    #: Records loaded, exported or deleted (as the job's ``processed`` counter says).
    records: int | None = None
    rejected: int | None = None
    #: Seconds from the job's start to its end (ended jobs only).
    duration: float | None = None
    message: str | None = None


JobEventListener = Callable[[JobEvent], None]


def _target(request: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    """Return the (database, table) a job's request works on, where it names one."""
    if not request:
        return None, None
    source: Mapping[str, Any] = request
    search = request.get("search_operation")
    if request.get("table") is None and isinstance(search, Mapping):
        source = search
    database = source.get("database") or source.get("schema")
    table = source.get("table")
    if table is None:
        return None, None
    return (str(database) if database is not None else "data"), str(table)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(message: Any) -> str | None:
    if message is None or isinstance(message, str):
        return message
    return msgspec.json.encode(message).decode()  # HarperDB's permission-failure object


class JobEvents:
    """Turns what the runtime reports into :class:`JobEvent` and tells every listener."""

    def __init__(self) -> None:
        self._listeners: list[JobEventListener] = [log_job_event]
        self._targets: dict[str, tuple[str | None, str | None]] = {}
        self._lock = threading.Lock()

    def add_listener(self, listener: JobEventListener) -> None:
        """Tell ``listener`` of every job that starts or ends from now on."""
        with self._lock:
            self._listeners = [*self._listeners, listener]

    def remove_listener(self, listener: JobEventListener) -> None:
        """Stop telling ``listener``."""
        with self._lock:
            self._listeners = [x for x in self._listeners if x is not listener]

    def started(
        self, job_id: str, job_type: str, user: str, request: Mapping[str, Any] | None, status: str
    ) -> None:
        """Report a job whose record was just written (``IN_PROGRESS``, or queued)."""
        database, table = _target(request)
        with self._lock:
            self._targets[job_id] = (database, table)
        self._tell(
            JobEvent(
                id=job_id, type=job_type, user=user, status=status, database=database, table=table
            )
        )

    def ended(self, record: Mapping[str, Any]) -> None:
        """Report a job's final record (a get_job view: COMPLETE or ERROR)."""
        job_id = str(record.get("id"))
        with self._lock:
            database, table = self._targets.pop(job_id, (None, None))
        start, end = _count(record.get("start_datetime")), _count(record.get("end_datetime"))
        duration = (end - start) / 1000 if start is not None and end is not None else None
        message = record.get("message")
        self._tell(
            JobEvent(
                id=job_id,
                type=str(record.get("type")),
                user=str(record.get("user")),
                status=str(record.get("status")),
                database=database,
                table=table,
                records=_count(record.get("processed")),
                rejected=_count(record.get("rejected")),
                duration=duration,
                message=_text(message),
            )
        )

    def _tell(self, event: JobEvent) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                log.exception("a job event listener failed")


def log_job_event(event: JobEvent) -> None:
    """Write the log line of a job's start or end (``extra["event"]`` has its fields)."""
    finished = event.duration is not None or event.status in ("COMPLETE", "ERROR")
    level = logging.WARNING if event.status == "ERROR" else logging.INFO
    if not log.isEnabledFor(level):
        return
    fields = msgspec.structs.asdict(event)
    fields = {key: value for key, value in fields.items() if value is not None}
    table = f"{event.database}.{event.table}" if event.table is not None else "-"
    if not finished:
        log.info(
            "job %s started: %s by %s on %s",
            event.id,
            event.type,
            event.user,
            table,
            extra={"event": {"event": "job_started", **fields}},
        )
        return
    duration = f"{event.duration:.3f}s" if event.duration is not None else "-"
    log.log(
        level,
        "job %s %s: %s by %s on %s, %s records%s in %s: %s",
        event.id,
        event.status,
        event.type,
        event.user,
        table,
        event.records if event.records is not None else 0,
        f" ({event.rejected} rejected)" if event.rejected else "",
        duration,
        event.message,
        extra={"event": {"event": "job_ended", **fields}},
    )
