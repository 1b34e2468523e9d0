"""Where server-side requests may go: the address rule for URLs given by non-super users.

A URL a client gives (a webhook's ``notify_url``, later a ``csv_url``) makes the server connect
somewhere. For callers who are not super users, a host that is, or resolves to, a loopback,
private, link-local, multicast, reserved or unspecified address is refused, so nobody reaches
the server's own ports or its network through it. Hosts in ``allow_hosts`` are allowed anyway.
The resolver is a parameter, so that the rule is tested without connecting anywhere.
"""

import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import SplitResult, urlsplit

from loadmaster.errors import InvalidRequestError

__all__ = ["Resolver", "check_scheme", "check_url", "refused_kind", "system_resolver"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: host, port → the addresses it resolves to.
Resolver = Callable[[str, int], list[IPAddress]]


def system_resolver(host: str, port: int) -> list[IPAddress]:
    """Resolve a host name with the system resolver (every address it has)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def refused_kind(address: IPAddress) -> str | None:
    """Name the kind of an address a non-super user may not reach, or None if it is public."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for kind, flagged in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    ):
        if flagged:
            return kind
    return None


def check_scheme(url: str, *, field: str) -> "SplitResult":
    """Check that a URL is http(s) and names a host (the only rule for super users).

    Raises:
        InvalidRequestError: It does not.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRequestError(f"'{field}' must be an http or https URL")
    return parts


def check_url(
    url: str,
    *,
    field: str,
    resolver: Resolver = system_resolver,
    allow_hosts: Iterable[str] = (),
) -> list[IPAddress]:
    """Check a non-super user's URL: http(s), and a host that resolves to public addresses only.

    Returns:
        The addresses the host resolved to (all of them allowed).

    Raises:
        InvalidRequestError: The URL is not http(s), names no host, does not resolve, or its
            host is or resolves to an address of a refused kind.
    """
    parts = check_scheme(url, field=field)
    host = str(parts.hostname)
    if host.lower() in {h.lower() for h in allow_hosts}:
        return []
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise InvalidRequestError(f"'{field}' has an invalid port") from exc
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            addresses = resolver(host, port)
        except OSError as exc:
            raise InvalidRequestError(f"'{field}' host '{host}' does not resolve") from exc
    for address in addresses:
        kind = refused_kind(address)
        if kind is not None:
            raise InvalidRequestError(
                f"'{field}' host '{host}' is not allowed: {address} is a {kind} address"
            )
    return addresses
