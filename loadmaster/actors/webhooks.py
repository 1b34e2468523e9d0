"""Webhooks: when a job with a ``notify_url`` ends, its final record is POSTed there as JSON.

Up to ``ATTEMPTS`` attempts, ``TIMEOUT`` seconds each, waiting ``BACKOFF`` seconds and then
twice as long before each retry (on a timer, so no thread sleeps); a 2xx answer ends it. With a
secret, the body is signed: ``X-Loadmaster-Signature: sha256=<hex HMAC-SHA256 of the body>``.
For a job of a non-super user every attempt goes through the guarded client of
:mod:`loadmaster.jobs.outbound`: it connects only to addresses the URL rules allow, judged on
connect (a name resolving elsewhere by now does not help). How it went is reported as
``{"status": <last HTTP status or error>, "attempts": n}``.
"""

import contextlib
import hashlib
import hmac
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import msgspec

from loadmaster.actors.job_record import JobRecord, get_job_view
from loadmaster.actors.timers import call_later
from loadmaster.errors import InvalidRequestError
from loadmaster.jobs.outbound import fetch_client
from loadmaster.models import EMBEDDED_USER, User
from loadmaster.net_rules import Resolver, resolve
from loadmaster.settings import Settings

__all__ = ["ATTEMPTS", "BACKOFF", "SIGNATURE_HEADER", "TIMEOUT", "Notifier"]

log = logging.getLogger(__name__)

ATTEMPTS = 3
BACKOFF = 1.0
TIMEOUT = 10.0
SIGNATURE_HEADER = "x-loadmaster-signature"
_ENCODER = msgspec.json.Encoder()


class Notifier:
    """Sends webhooks from a small pool of threads; ``report(job_id, notify)`` gets results."""

    def __init__(
        self,
        report: Callable[[str, dict[str, Any]], None],
        settings: Settings,
        *,
        resolver: Resolver = resolve,
    ) -> None:
        self._report = report
        self._settings = settings
        secret = settings.webhook_secret
        self._secret = secret.encode() if secret else None
        self._resolver = resolver
        self._pool = ThreadPoolExecutor(2, thread_name_prefix="loadmaster-webhook")
        self._closed = False

    def send(self, record: JobRecord, *, any_address: bool) -> None:
        """POST ``record`` to its ``notify_url`` (``any_address``: a super user's job)."""
        if record.notify_url is None or self._closed:
            return
        body = _ENCODER.encode(get_job_view(record))
        headers = {"content-type": "application/json"}
        if self._secret is not None:
            digest = hmac.new(self._secret, body, hashlib.sha256).hexdigest()
            headers[SIGNATURE_HEADER] = f"sha256={digest}"
        caller = EMBEDDED_USER if any_address else User(username=record.user)
        self._submit(record.id, record.notify_url, body, headers, caller, 1)

    def _submit(self, *args: Any) -> None:
        if self._closed:
            return
        with contextlib.suppress(RuntimeError):  # shut down meanwhile
            self._pool.submit(self._attempt, *args)

    def _attempt(
        self,
        job_id: str,
        url: str,
        body: bytes,
        headers: dict[str, str],
        caller: User,
        attempt: int,
    ) -> None:
        status: int | str
        final = attempt >= ATTEMPTS
        try:
            with fetch_client(
                caller, self._settings, resolver=self._resolver, timeout=TIMEOUT
            ) as client:
                response = client.post(url, content=body, headers=headers)
            status = response.status_code
            final = final or 200 <= status < 300
        except InvalidRequestError as exc:
            status, final = exc.message, True
        except httpx.HTTPError as exc:
            status = str(exc) or type(exc).__name__
        if final:
            self._report(job_id, {"status": status, "attempts": attempt})
            return
        log.info("webhook of job %s failed (%s); retrying", job_id, status)
        retry = (job_id, url, body, headers, caller, attempt + 1)
        call_later(BACKOFF * 2 ** (attempt - 1), lambda: self._submit(*retry))

    def close(self) -> None:
        """Stop sending (pending attempts are dropped)."""
        self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)
