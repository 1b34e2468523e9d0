"""Which addresses a server-side fetch may reach: public ones, and the hosts allowed anyway.

A URL load, a webhook or any other fetch the server makes for a caller who is not a super
user must not reach the server itself, other services on its loopback, the private network
around it, link-local services (cloud metadata at 169.254.169.254) or multicast groups.
:func:`judge` says whether a host is such a place, on the addresses it resolves to; callers
connect only to the addresses it returned, so a name cannot resolve elsewhere a second time
(DNS rebinding). The resolver is injectable, so the rules are tested without DNS or traffic.

A leaf module: the standard library only.
"""

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["AllowList", "Judgement", "Resolver", "address_kind", "judge", "resolve"]

#: Turns a host and port into the addresses to connect to (``socket.getaddrinfo`` by
#: default); raises ``OSError`` when the name does not resolve.
Resolver = Callable[[str, int], Sequence[str]]

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# Prefixes whose addresses carry an IPv4 address a gateway would forward to: NAT64's
# well-known prefix (RFC 6052, last 32 bits) and 6to4 (RFC 3056, bits 16-48).
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_6TO4 = ipaddress.IPv6Network("2002::/16")


def resolve(host: str, port: int) -> list[str]:
    """Resolve a host as the operating system does (numeric forms such as ``2130706433``
    or ``0x7f.1`` included); return its distinct addresses, in the resolver's order."""
    found: dict[str, None] = {}
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        found[str(sockaddr[0])] = None
    return list(found)


def address_kind(address: str) -> str | None:
    """Return why a fetch may not reach an address (``"loopback"``, ``"private"``,
    ``"link-local"``, ``"multicast"``, ``"unspecified"`` or ``"reserved"``), or None when
    it is public. IPv6 forms that embed an IPv4 address are judged on that address."""
    ip = _embedded_ipv4(ipaddress.ip_address(address))
    # The order picks the most telling word: ::1 is also "reserved", 127.0.0.1 "private".
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_reserved:
        return "reserved"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "reserved"
    return None


def _embedded_ipv4(ip: _Address) -> _Address:
    if not isinstance(ip, ipaddress.IPv6Address):
        return ip
    ip = ipaddress.IPv6Address(ip.packed)  # drops a scope id (fe80::1%eth0)
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(ip.packed[12:])
    if ip in _6TO4:
        return ipaddress.IPv4Address(ip.packed[2:6])
    return ip


@dataclass(frozen=True)
class AllowList:
    """Hosts fetches may reach anyway: names (matched against the URL's host) and addresses
    or networks (matched against the URL's host and the addresses a name resolves to)."""

    names: frozenset[str] = frozenset()
    networks: tuple[_Network, ...] = ()

    @classmethod
    def parse(cls, text: str | None) -> "AllowList":
        """Read a list separated by commas or whitespace: ``files.internal, 10.0.5.0/24``."""
        names: set[str] = set()
        networks: list[_Network] = []
        for entry in (text or "").replace(",", " ").split():
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                names.add(_normal(entry))
        return cls(frozenset(names), tuple(networks))

    def allows_name(self, host: str) -> bool:
        """Tell whether a URL's host is listed by name."""
        return _normal(host) in self.names

    def allows_address(self, address: str) -> bool:
        """Tell whether an address lies in a listed address or network."""
        ip = ipaddress.ip_address(address)
        return any(ip in network for network in self.networks)


class Judgement(NamedTuple):
    """What :func:`judge` found: the addresses to connect to, or why none may be."""

    #: The addresses to connect to, in the resolver's order; empty when refused.
    addresses: tuple[str, ...]
    #: Why the host may not be reached (``is a loopback address``, ``resolves to a private
    #: address``), or None.
    refusal: str | None


def judge(host: str, port: int, *, allow: AllowList, resolver: Resolver = resolve) -> Judgement:
    """Judge a host a fetch would connect to.

    A literal address is judged as it is; a name on every address it resolves to, and it
    is refused when any of them may not be reached (a resolver may answer in any order).
    A name in the allow list is resolved but not judged.

    Args:
        host: The URL's host (brackets of an IPv6 literal allowed).
        port: The port the fetch would connect to.
        allow: The hosts allowed anyway.
        resolver: How names become addresses.

    Raises:
        OSError: The name does not resolve (from the resolver).
    """
    bare = host.strip("[]")
    try:
        ipaddress.ip_address(bare)
    except ValueError:
        addresses, verb = tuple(resolver(bare, port)), "resolves to"
    else:
        addresses, verb = (bare,), "is"
    if not addresses:
        return Judgement((), "resolves to no address")
    if allow.allows_name(bare):
        return Judgement(addresses, None)
    for address in addresses:
        kind = None if allow.allows_address(address) else address_kind(address)
        if kind is not None:
            article = "an" if kind[0] in "aeiou" else "a"
            return Judgement((), f"{verb} {article} {kind} address")
    return Judgement(addresses, None)


def _normal(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()
