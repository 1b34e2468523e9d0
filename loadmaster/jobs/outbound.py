"""Server-side fetches of callers who are not super users reach public addresses only.

:mod:`loadmaster.net_rules` judges a host; this module applies it to a URL at submit (400
when the answer is known then) and to every connection an httpx client makes, redirects
included. The transport resolves a host once, judges those addresses and connects to one of
them, never resolving the name again, so a name that answers differently the second time
(DNS rebinding) gains nothing. Super users are not limited, as in HarperDB. Every fetch
made for a caller (URL loads, later ones) gets its client from :func:`fetch_client`.
"""

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from loadmaster.errors import FetchRefusedError
from loadmaster.models import User
from loadmaster.net_rules import AllowList, Resolver, judge, resolve
from loadmaster.settings import Settings

__all__ = ["GuardedTransport", "check_url", "fetch_client", "shown_url"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def shown_url(url: str) -> str:
    """Return the URL as messages show it: a password in its user info is masked."""
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[bad": nothing to mask, httpx will say what is wrong
        return url
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def refused(url: str, refusal: str) -> FetchRefusedError:
    """Word the refusal of a URL whose host may not be reached."""
    return FetchRefusedError(
        f"URL '{shown_url(url)}' is not allowed: its host {refusal} "
        "(server-side fetches reach only public addresses)"
    )


def check_url(url: str, user: User, settings: Settings, *, resolver: Resolver = resolve) -> None:
    """Refuse, at submit, a URL whose host is or resolves to an address the caller's fetches
    may not reach. A URL that cannot be judged yet (it does not parse, its name does not
    resolve) passes: the fetch then fails with its own message, or is refused on connect.

    Raises:
        FetchRefusedError: The host may not be reached (400).
    """
    if user.super_user:
        return
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return
    if not parsed.host:
        return
    allow = AllowList.parse(settings.url_allow_hosts)
    if allow.allows_name(parsed.host):
        return
    try:
        judgement = judge(parsed.host, _port(parsed), allow=allow, resolver=resolver)
    except OSError:
        return
    if judgement.refusal is not None:
        raise refused(url, judgement.refusal)


def _port(url: httpx.URL) -> int:
    return url.port if url.port is not None else _DEFAULT_PORTS.get(url.scheme, 0)


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport that connects only to addresses :func:`net_rules.judge` allowed.

    Each request's host is resolved once and judged; the request is then sent to one of
    those addresses (the next one when a connection fails), with the name kept in the
    ``Host`` header and, over TLS, as the server name the certificate is checked against.
    """

    def __init__(
        self,
        *,
        allow: AllowList,
        resolver: Resolver = resolve,
        **transport: Any,
    ) -> None:
        self._allow = allow
        self._resolver = resolver
        self._inner = httpx.HTTPTransport(**transport)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send a request to a checked address of its host.

        Raises:
            FetchRefusedError: The host (first or after a redirect) may not be reached.
            httpx.ConnectError: The name does not resolve, or no address answers.
        """
        url = request.url
        if url.scheme not in _DEFAULT_PORTS or not url.host:
            return self._inner.handle_request(request)  # httpx words what is wrong
        try:
            judgement = judge(url.host, _port(url), allow=self._allow, resolver=self._resolver)
        except OSError as exc:
            raise httpx.ConnectError(f"cannot resolve {url.host}: {exc}", request=request) from exc
        if judgement.refusal is not None:
            raise refused(str(url), judgement.refusal)
        failure: httpx.ConnectError | None = None
        for address in judgement.addresses:
            try:
                return self._inner.handle_request(_pinned(request, address))
            except httpx.ConnectError as exc:
                failure = exc
        assert failure is not None  # noqa: S101 - judge() returned at least one address
        raise failure

    def close(self) -> None:
        """Close the connections."""
        self._inner.close()


def _pinned(request: httpx.Request, address: str) -> httpx.Request:
    """Return the request addressed to ``address``; ``Host`` and the TLS name unchanged."""
    extensions = dict(request.extensions)
    if request.url.scheme == "https":
        extensions["sni_hostname"] = request.url.host
    return httpx.Request(
        request.method,
        request.url.copy_with(host=address),
        headers=request.headers,
        stream=request.stream,
        extensions=extensions,
    )


def fetch_client(
    user: User,
    settings: Settings,
    *,
    resolver: Resolver = resolve,
    **client: Any,
) -> httpx.Client:
    """Return the httpx client a fetch for ``user`` uses: unlimited for super users,
    else connecting only to addresses the rules allow (proxies from the environment are
    not used then: they would resolve names themselves)."""
    if user.super_user:
        return httpx.Client(**client)
    allow = AllowList.parse(settings.url_allow_hosts)
    return httpx.Client(transport=GuardedTransport(allow=allow, resolver=resolver), **client)
