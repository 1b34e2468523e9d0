"""The client: operations, jobs and their progress, loads and exports, over httpx."""

import os
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import IO, Any
from urllib.parse import quote

import httpx
import msgspec

from loadmaster.client.records import Job, error_from_answer
from loadmaster.client.sources import export_body, is_remote, load_body, upload_of
from loadmaster.errors import ConnectionFailedError, InvalidRequestError, NotFoundError

__all__ = ["Client", "ProgressCallback"]

ProgressCallback = Callable[[Job], None]
_JOB = msgspec.json.Decoder(Job)
_JOBS = msgspec.json.Decoder(list[Job])
#: Seconds one long-poll ``get_job`` asks the server to hold the answer.
LONG_POLL = 30.0
#: Backoff between polls when the server answers at once (it does not long-poll).
_POLL_MIN, _POLL_MAX = 0.1, 2.0


class _NoEventRouteError(Exception):
    """The server has no ``/jobs/<id>/events`` route (an older one, or HarperDB)."""


class Client:
    """A client of one server.

    Args:
        url: The server's base URL, e.g. ``http://127.0.0.1:9925``.
        user: User name for Basic authentication (with ``password``).
        password: Its password.
        token: An operation token, sent as ``Authorization: Bearer``.
        timeout: Seconds for connecting and for each read of an ordinary request.
    """

    def __init__(
        self,
        url: str,
        *,
        user: str | None = None,
        password: str | None = None,
        token: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        auth = httpx.BasicAuth(user, password or "") if user is not None and not token else None
        self.url = url.rstrip("/")
        self._timeout = timeout
        self._http = httpx.Client(base_url=self.url, headers=headers, auth=auth, timeout=timeout)
        self._events_route: bool | None = None

    # --- plumbing -----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise ConnectionFailedError(f"{self.url} did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise ConnectionFailedError(f"cannot reach {self.url}: {exc}") from exc
        if response.status_code >= 400:
            raise error_from_answer(response.status_code, _decoded(response))
        return response

    # --- the Operations API -------------------------------------------------------------------

    def operation(self, body: dict[str, Any], *, timeout: float | None = None) -> Any:
        """Run one operation and return its answer body.

        Raises:
            LoadmasterError: The server refused it (the subclass of its status, its message).
            ConnectionFailedError: The server could not be reached.
        """
        extra = {} if timeout is None else {"timeout": timeout}
        return _decoded(self._request("POST", "/", json=body, **extra))

    def submit(self, body: dict[str, Any]) -> str:
        """Run a job operation and return the id of the job it started."""
        answer = self.operation(body)
        job_id = answer.get("job_id") if isinstance(answer, dict) else None
        if not isinstance(job_id, str):
            raise InvalidRequestError(f"operation {body.get('operation')!r} started no job")
        return job_id

    def job(self, job_id: str) -> Job:
        """Return a job's record."""
        response = self._request("POST", "/", json={"operation": "get_job", "id": job_id})
        return _first_job(response.content, job_id)

    def jobs(self, **filters: Any) -> list[Job]:
        """Return one page of ``search_jobs`` (filters: status, type, user, limit, next…)."""
        return self.jobs_page(**filters)[0]

    def jobs_page(self, **filters: Any) -> tuple[list[Job], str | None]:
        """Return one page of ``search_jobs`` and the cursor of the next (None after the last)."""
        answer = self.operation({"operation": "search_jobs", **filters})
        cursor = answer.get("next")
        return msgspec.convert(answer.get("jobs", []), list[Job]), cursor

    def iter_jobs(self, **filters: Any) -> Iterator[Job]:
        """Yield every job ``search_jobs`` matches, asking page by page (``limit`` per page)."""
        query = dict(filters)
        while True:
            page, cursor = self.jobs_page(**query)
            yield from page
            if not cursor or not page:
                return
            query["next"] = cursor

    def cancel(self, job_id: str) -> str:
        """Cancel a queued or running job; return the server's message."""
        answer = self.operation({"operation": "cancel_job", "id": job_id})
        return str(answer.get("message", answer))

    def sql(self, text: str) -> Any:
        """Run one SQL statement; return its answer (rows for a SELECT)."""
        return self.operation({"operation": "sql", "sql": text})

    # --- waiting ------------------------------------------------------------------------------

    def wait(
        self,
        job_id: str,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Job:
        """Wait until a job ends and return its final record.

        Follows the job's server-sent events (``GET /jobs/<id>/events``); a server without
        them is asked with long-polling ``get_job`` (``wait``), backing off when it answers at
        once. Never polls in a tight loop.

        Raises:
            TimeoutError: The job did not end within ``timeout`` seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        if self._events_route is not False:
            try:
                return self._follow_events(job_id, deadline, on_progress)
            except _NoEventRouteError:
                self._events_route = False
        return self._poll(job_id, deadline, on_progress)

    def _follow_events(
        self, job_id: str, deadline: float | None, on_progress: ProgressCallback | None
    ) -> Job:
        while True:
            remaining = _remaining(deadline, job_id)
            read = httpx.Timeout(self._timeout, read=remaining)
            try:
                with self._http.stream(
                    "GET", f"/jobs/{quote(job_id, safe='')}/events", timeout=read
                ) as response:
                    if response.status_code == 404 and not _is_json(response):
                        raise _NoEventRouteError
                    if response.status_code >= 400:
                        response.read()
                        raise error_from_answer(response.status_code, _decoded(response))
                    self._events_route = True
                    for event, data in _events(response.iter_lines()):
                        job = _JOB.decode(data)
                        if event == "done" or job.finished:
                            return job
                        if on_progress is not None:
                            on_progress(job)
            except httpx.TimeoutException as exc:
                if deadline is not None and time.monotonic() >= deadline:
                    raise TimeoutError(f"job {job_id} did not end within the timeout") from exc
            except httpx.HTTPError as exc:
                raise ConnectionFailedError(f"cannot reach {self.url}: {exc}") from exc
            # The stream ended without the end of the job (a restart?): follow it again.

    def _poll(
        self, job_id: str, deadline: float | None, on_progress: ProgressCallback | None
    ) -> Job:
        pause = _POLL_MIN
        while True:
            remaining = _remaining(deadline, job_id)
            hold = LONG_POLL if remaining is None else min(LONG_POLL, remaining)
            asked = time.monotonic()
            response = self._request(
                "POST",
                "/",
                json={"operation": "get_job", "id": job_id, "wait": hold},
                timeout=httpx.Timeout(self._timeout, read=hold + self._timeout),
            )
            job = _first_job(response.content, job_id)
            if job.finished:
                return job
            if on_progress is not None:
                on_progress(job)
            if time.monotonic() - asked < hold / 2:
                # Answered long before the wait was over: no long-poll here, so back off.
                time.sleep(min(pause, max(0.0, _remaining(deadline, job_id) or pause)))
                pause = min(pause * 1.5, _POLL_MAX)

    # --- conveniences -------------------------------------------------------------------------

    def load(
        self,
        source: str | os.PathLike[str] | IO[bytes],
        table: str,
        database: str = "data",
        action: str = "insert",
        *,
        format: str | None = None,  # noqa: A002 - the CLI's and the server's word
        on_upload: Callable[[int, int | None], None] | None = None,
        **options: Any,
    ) -> str:
        """Start loading ``source`` into a table; return the job id.

        ``source`` is a local file (or a binary stream such as stdin), streamed through
        ``PUT /load/<database>/<table>``; an ``http(s)://`` URL (csv_url_load, or
        json_url_load for ``.json``/``.ndjson``/``.jsonl``); ``s3://bucket/key``
        (import_from_s3 with the AWS environment's credentials); or ``server:/path``, a file
        on the server's disk. ``format`` is ``csv`` or ``ndjson`` (default: by suffix);
        ``options`` are further request fields (``on_error``, ``encoding``, ``job_key``…).
        ``on_upload(sent, total)`` is called as a local file is sent.
        """
        if isinstance(source, str) and is_remote(source):
            return self.submit(load_body(source, table, database, action, format, options))
        upload = upload_of(source, format)
        params = {"action": action, **{k: _param(v) for k, v in options.items()}}
        path = f"/load/{quote(database, safe='')}/{quote(table, safe='')}"

        def body() -> Iterator[bytes]:
            for chunk in upload.chunks():
                yield chunk
                if on_upload is not None:
                    on_upload(upload.sent, upload.size)

        try:
            response = self._request(
                "PUT",
                path,
                params=params,
                content=body(),
                headers={
                    **upload.headers,
                    **({"content-length": str(upload.size)} if upload.size is not None else {}),
                },
                timeout=httpx.Timeout(self._timeout, write=None, read=None),
            )
        finally:
            if isinstance(source, str | os.PathLike):
                upload.stream.close()
        answer = _decoded(response)
        return str(answer["job_id"])

    def export(
        self,
        table: str,
        to: str,
        format: str = "json",  # noqa: A002 - the server's word
        database: str = "data",
        *,
        sql: str | None = None,
        **options: Any,
    ) -> str:
        """Start exporting a table (or ``sql``'s rows) and return the job id.

        ``to`` is ``s3://bucket/key`` (export_to_s3 with the AWS environment's credentials)
        or a path on the server's disk (export_local; ``server:`` may prefix it).
        """
        if sql is not None:
            search: dict[str, Any] = {"operation": "sql", "sql": sql}
        else:
            described = self.operation(
                {"operation": "describe_table", "database": database, "table": table}
            )
            search = {
                "operation": "search_by_value",
                "database": database,
                "table": table,
                "search_attribute": described["hash_attribute"],
                "search_value": "*",
                "get_attributes": ["*"],
            }
        return self.submit(export_body(to, format, search, options))


def _decoded(response: httpx.Response) -> Any:
    try:
        return msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        return response.text


def _is_json(response: httpx.Response) -> bool:
    content_type: str = response.headers.get("content-type", "")
    return content_type.startswith("application/json")


def _first_job(content: bytes, job_id: str) -> Job:
    jobs = _JOBS.decode(content)
    if not jobs:
        raise NotFoundError(f"Job {job_id} not found")
    return jobs[0]


def _remaining(deadline: float | None, job_id: str) -> float | None:
    if deadline is None:
        return None
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError(f"job {job_id} did not end within the timeout")
    return remaining


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _events(lines: Iterator[str]) -> Iterator[tuple[str, str]]:
    """Yield (event, data) of a server-sent event stream."""
    event, data = "message", list[str]()
    for line in lines:
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        yield event, "\n".join(data)
