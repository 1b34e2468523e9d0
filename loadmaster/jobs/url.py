"""The csv_url_load and json_url_load jobs: stream a download straight into a table.

The body is never written to disk: httpx yields it in chunks and the loader parses and writes
them as they arrive, so memory stays constant whatever the size of the file. A body sent with
``Content-Encoding: gzip`` is inflated by httpx; a gzip or zstd file is told by its bytes.
"""

import itertools
import re
import socket
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from loadmaster.errors import FetchRefusedError, UrlLoadError
from loadmaster.jobs.context import JobContext
from loadmaster.jobs.csv_load import load_csv_chunks
from loadmaster.jobs.jsonload import load_json_chunks
from loadmaster.jobs.load_policy import DEFAULT_OPTIONS, LoadOptions
from loadmaster.jobs.outbound import fetch_client, shown_url
from loadmaster.names import ACTIONS, Action
from loadmaster.net_rules import Resolver, resolve

#: Content types HarperDB accepts; parameters such as ``; charset=utf-8`` are accepted too
#: (HarperDB compares the whole header, rejecting them: upstream issue #1041).
CSV_CONTENT_TYPES = frozenset(
    {"text/csv", "application/octet-stream", "text/plain", "application/vnd.ms-excel"}
)
#: Compressed files are accepted whatever they hold (loadmaster's addition).
COMPRESSED_CONTENT_TYPES = frozenset(
    {"application/gzip", "application/x-gzip", "application/zstd", "application/x-zstd"}
)
JSON_CONTENT_TYPES = frozenset(
    {
        "application/json",
        "application/x-ndjson",
        "application/ndjson",
        "application/jsonl",
        "application/json-seq",
        "text/plain",
        "application/octet-stream",
    }
)
# RFC 3986: a scheme, then characters a URI may hold (joi's ``uri()`` rule, simplified).
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")


def validate_url_load(
    table: Any, csv_url: Any, action: Any, passthrough_headers: Any = None, field: str = "csv_url"
) -> list[str]:
    """Check a csv_url_load request as joi does; return the problems (empty when fine).

    The caller joins them with ``". "`` (joi with ``abortEarly: false``); ``field`` names the
    URL's field (``json_url`` for json_url_load).
    """
    problems: list[str] = []
    if table is None:
        problems.append("'table' is required")
    elif not isinstance(table, str):
        problems.append("'table' must be a string")
    elif table == "":
        problems.append("'table' is not allowed to be empty")
    if csv_url is None:
        problems.append(f"'{field}' is required")
    elif not isinstance(csv_url, str):
        problems.append(f"'{field}' must be a string")
    elif csv_url == "":
        problems.append(f"'{field}' is not allowed to be empty")
    elif _URI.fullmatch(csv_url) is None:
        problems.append(f"'{field}' must be a valid url")
    if action not in ACTIONS:
        problems.append("'action' must be one of [insert, update, upsert]")
    if passthrough_headers is not None and not isinstance(passthrough_headers, dict):
        problems.append("'passthrough_headers' must be of type object")
    return problems


def load_csv_url(
    job: JobContext,
    url: str,
    *,
    headers: Mapping[str, Any] | None,
    db: str,
    table: str,
    action: Action,
    encoding: str = "utf-8",
    fmt: str = "csv",
    resolver: Resolver = resolve,
    options: LoadOptions = DEFAULT_OPTIONS,
) -> str:
    """Run csv_url_load (or json_url_load, ``fmt="json"``): GET the URL and stream its body
    into the table.

    Args:
        job: The job's context (settings give the timeouts and redirect limit).
        url: The CSV's URL (http or https).
        headers: ``passthrough_headers``: sent with the request, never recorded.
        db: The database.
        table: The table.
        action: insert, update or upsert.
        encoding: The body's text encoding.
        fmt: ``csv`` or ``json`` (NDJSON or an array).
        resolver: How host names become addresses, for callers who are not super users
            (whose fetches reach only public addresses, see :mod:`outbound`).
        options: What to do with faulty rows; whether to write at all.

    Returns:
        ``successfully loaded N of M records``.

    Raises:
        UrlLoadError: the source failed, with HarperDB's message where it has one.
    """
    settings = job.settings
    read_timeout = settings.source_read_timeout
    timeout = httpx.Timeout(
        connect=settings.source_connect_timeout, read=read_timeout, write=read_timeout, pool=None
    )
    shown = shown_url(url)
    label = "JSON" if fmt == "json" else "CSV"
    try:
        sent = httpx.Headers({str(k): str(v) for k, v in (headers or {}).items()})
    except UnicodeError as exc:
        raise UrlLoadError(
            f"{label} Load failed from URL: {shown}, passthrough_headers must be ASCII text"
        ) from exc
    try:
        with (
            fetch_client(
                job.user,
                settings,
                resolver=resolver,
                timeout=timeout,
                follow_redirects=True,
                max_redirects=settings.max_redirects,
            ) as client,
            client.stream("GET", url, headers=sent) as response,
        ):
            _check_response(response, shown, label)
            chunks = _body(response, shown, job, label)
            first = next(chunks, b"")
            if not first:
                raise UrlLoadError(f"{label} Load failed from URL: {shown}, no {fmt} found at url")
            load = load_json_chunks if fmt == "json" else load_csv_chunks
            return load(
                job,
                itertools.chain((first,), chunks),
                db=db,
                table=table,
                action=action,
                encoding=encoding,
                options=options,
            )
    except httpx.HTTPError as exc:
        raise _failure(exc, url, shown, job, label) from exc
    except httpx.InvalidURL as exc:
        raise UrlLoadError(f"{label} Load failed from URL: {shown}, {exc}") from exc
    except FetchRefusedError as exc:  # the first host or a redirect's, on connect
        raise UrlLoadError(f"{label} Load failed from URL: {shown}, {exc.message}") from exc


def _check_response(response: httpx.Response, shown: str, label: str) -> None:
    if response.status_code != 200:
        raise UrlLoadError(
            f"{label} Load failed from URL: {shown}, status code: {response.status_code}, "
            f"message: {response.reason_phrase}"
        )
    content_type = response.headers.get("content-type")
    media_type = (content_type or "").partition(";")[0].strip().lower()
    accepted = JSON_CONTENT_TYPES if label == "JSON" else CSV_CONTENT_TYPES
    if media_type not in accepted and media_type not in COMPRESSED_CONTENT_TYPES:
        # Node prints a missing header as ``undefined``.
        raise UrlLoadError(
            f"{label} Load failed from URL: {shown}, unsupported content type: "
            f"{content_type if content_type is not None else 'undefined'}"
        )


def _body(response: httpx.Response, shown: str, job: JobContext, label: str) -> Iterator[bytes]:
    """Yield the body in chunks, reporting bytes; network failures become our errors here,
    inside the iteration, so that the loader can add how many records it had committed."""
    length = response.headers.get("content-length")
    total = int(length) if length is not None and length.isdigit() else None
    if total is not None:
        job.progress(bytes_read=0, bytes_total=total)
    try:
        # As they arrive: a fixed chunk size would hold back rows received before a failure.
        for chunk in response.iter_bytes():
            job.progress(bytes_read=response.num_bytes_downloaded)
            yield chunk
    except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
        received = response.num_bytes_downloaded
        expected = f" of {total}" if total is not None else ""
        raise UrlLoadError(
            f"{label} Load failed from URL: {shown}, connection closed after "
            f"{received}{expected} bytes"
        ) from exc
    except httpx.HTTPError as exc:
        raise _failure(exc, str(response.url), shown, job, label) from exc


def _failure(
    exc: httpx.HTTPError, url: str, shown: str, job: JobContext, label: str
) -> UrlLoadError:
    """Word a failure before the body started as Node's HTTP client (or clearly) would."""
    prefix = f"{label} Load failed from URL: {shown}"
    if isinstance(exc, httpx.ConnectTimeout):
        seconds = job.settings.source_connect_timeout
        return UrlLoadError(f"{prefix}, timed out after {seconds:g} s connecting")
    if isinstance(exc, httpx.ReadTimeout):
        seconds = job.settings.source_read_timeout
        return UrlLoadError(f"{prefix}, timed out after {seconds:g} s waiting for data")
    if isinstance(exc, httpx.TooManyRedirects):
        return UrlLoadError(
            f"{prefix}, too many redirects (more than {job.settings.max_redirects})"
        )
    if isinstance(exc, httpx.UnsupportedProtocol):
        return UrlLoadError(f"{prefix}, unsupported protocol: {urlsplit(url).scheme}:")
    if isinstance(exc, httpx.ConnectError):
        target = _target(exc.request.url if _has_request(exc) else httpx.URL(url))
        if _caused_by(exc, ConnectionRefusedError):
            return UrlLoadError(f"connect ECONNREFUSED {target}")
        if _caused_by(exc, socket.gaierror):
            host = exc.request.url.host if _has_request(exc) else urlsplit(url).hostname
            return UrlLoadError(f"getaddrinfo ENOTFOUND {host}")
        return UrlLoadError(f"{prefix}, cannot connect to {target}: {exc}")
    return UrlLoadError(f"{prefix}, {str(exc) or type(exc).__name__}")


def _has_request(exc: httpx.HTTPError) -> bool:
    try:
        exc.request  # noqa: B018 - the property raises when no request is attached
    except RuntimeError:
        return False
    return True


def _target(url: httpx.URL) -> str:
    port = url.port if url.port is not None else (443 if url.scheme == "https" else 80)
    return f"{url.host}:{port}"


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
