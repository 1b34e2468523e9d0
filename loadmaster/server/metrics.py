"""``GET /metrics``: jobs and HTTP requests in the Prometheus text format (prometheus-client).

Each app has its own registry (tests run many servers in one process). Jobs are counted from
the job events of the instance (:mod:`loadmaster.actors.job_events`), requests by the access
log middleware (:mod:`loadmaster.server.access_log`), a batch at a time.
"""

import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from loadmaster.actors.job_events import JobEvent
from loadmaster.errors import LoadmasterError
from loadmaster.server.credentials import Credentials

if TYPE_CHECKING:
    from loadmaster.instance import Instance

__all__ = ["Metrics"]

#: Which counter a finished job's ``processed`` records go to, by its type's prefix.
_RECORD_KINDS = (("export", "exported"), ("delete", "deleted"))
#: Job durations run from milliseconds (a tiny load) to hours (a huge one).
_JOB_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 14400)
_HTTP_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30)


class Metrics:
    """The metrics of one app, and the job listener and request observer that feed them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.jobs = Counter(
            "loadmaster_jobs", "Jobs that ended, by type and status", ("type", "status"), registry=r
        )
        self.jobs_started = Counter(
            "loadmaster_jobs_started", "Jobs started, by type", ("type",), registry=r
        )
        self.running = Gauge("loadmaster_jobs_running", "Jobs running now", registry=r)
        self.queued = Gauge(
            "loadmaster_jobs_queued", "Jobs waiting for a free slot (CREATED)", registry=r
        )
        self.loaded = Counter(
            "loadmaster_records_loaded", "Records loaded by finished load jobs", registry=r
        )
        self.exported = Counter(
            "loadmaster_records_exported", "Records exported by finished export jobs", registry=r
        )
        self.deleted = Counter(
            "loadmaster_records_deleted", "Records deleted by finished delete jobs", registry=r
        )
        self.rejected = Counter(
            "loadmaster_rejected_rows", "Source rows rejected by finished load jobs", registry=r
        )
        self.job_duration = Histogram(
            "loadmaster_job_duration_seconds",
            "Seconds from a job's start to its end, by type and status",
            ("type", "status"),
            buckets=_JOB_BUCKETS,
            registry=r,
        )
        self.requests = Counter(
            "loadmaster_http_requests",
            "HTTP requests answered, by operation (or route) and status",
            ("operation", "status"),
            registry=r,
        )
        self.latency = Histogram(
            "loadmaster_http_request_duration_seconds",
            "Seconds to answer an HTTP request, by operation (or route)",
            ("operation",),
            buckets=_HTTP_BUCKETS,
            registry=r,
        )
        self._request_children: dict[tuple[str, int], tuple[Any, Any]] = {}
        #: Called before each scrape: requests waiting to be counted are counted first.
        self._before_scrape: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        #: The state each job was last seen in (CREATED or IN_PROGRESS), until it ends.
        self._states: dict[str, str] = {}

    def on_job_event(self, event: JobEvent) -> None:
        """Count a job that started or ended (a job event listener)."""
        with self._lock:
            before = self._states.pop(event.id, None)
            if event.status in ("CREATED", "IN_PROGRESS"):
                self._states[event.id] = event.status
            self._move(before, -1)
            self._move(self._states.get(event.id), +1)
        if event.status == "IN_PROGRESS" and before != "IN_PROGRESS":
            self.jobs_started.labels(event.type).inc()
        if event.status not in ("COMPLETE", "ERROR"):
            return
        self.jobs.labels(event.type, event.status).inc()
        if event.duration is not None:
            self.job_duration.labels(event.type, event.status).observe(event.duration)
        if event.rejected:
            self.rejected.inc(event.rejected)
        if event.records:
            counter = self.loaded
            for prefix, kind in _RECORD_KINDS:
                if event.type.startswith(prefix):
                    counter = self.exported if kind == "exported" else self.deleted
            counter.inc(event.records)

    def _move(self, state: str | None, step: int) -> None:
        if state == "IN_PROGRESS":
            self.running.inc(step)
        elif state == "CREATED":
            self.queued.inc(step)

    def before_scrape(self, flush: Callable[[], None]) -> None:
        """Have ``flush`` called before each scrape (it counts the requests it holds)."""
        self._before_scrape.append(flush)

    def scrape(self) -> bytes:
        """Return every metric in the Prometheus text format (call it on the event loop)."""
        for flush in self._before_scrape:
            flush()
        return generate_latest(self.registry)

    def observe_request(self, operation: str, status: int, seconds: float) -> None:
        """Count one answered HTTP request (the labelled children are looked up once)."""
        children = self._request_children.get((operation, status))
        if children is None:
            children = self._request_children[(operation, status)] = (
                self.requests.labels(operation, str(status)),
                self.latency.labels(operation),
            )
        children[0].inc()
        children[1].observe(seconds)

    def endpoint(
        self,
        instance: "Instance",
        credentials: Credentials,
        render_error: Callable[[LoadmasterError], Response],
    ) -> Callable[[Request], Awaitable[Response]]:
        """Return the ``GET /metrics`` handler of this registry."""
        return MetricsEndpoint(self, instance, credentials, render_error).answer


class MetricsEndpoint:
    """``GET /metrics``: the registry as Prometheus text; authenticated unless public."""

    def __init__(
        self,
        metrics: Metrics,
        instance: "Instance",
        credentials: Credentials,
        render_error: Callable[[LoadmasterError], Response],
    ) -> None:
        self._metrics = metrics
        self._render_error = render_error
        self._credentials = credentials
        self._public = instance.settings.metrics_public

    async def answer(self, request: Request) -> Response:
        """Answer one scrape."""
        if not self._public:
            authorization = request.headers.get("authorization")
            client = request.client.host if request.client is not None else None
            try:
                await self._credentials.header_user(authorization, client)
            except LoadmasterError as exc:
                return self._render_error(exc)
        body = self._metrics.scrape()
        return Response(body, headers={"content-type": CONTENT_TYPE_LATEST})
