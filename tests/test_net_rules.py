"""The address rule of server-side requests, with an injected resolver (nothing is connected)."""

import ipaddress

import pytest

from loadmaster.errors import InvalidRequestError
from loadmaster.net_rules import check_url, refused_kind


def resolver_to(*addresses: str):  # type: ignore[no-untyped-def]
    def resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        return [ipaddress.ip_address(a) for a in addresses]

    return resolve


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.7", "private"),
        ("172.16.5.5", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("::ffff:127.0.0.1", "loopback"),
        ("93.184.216.34", None),
        ("2606:4700::1111", None),
    ],
)
def test_refused_kinds(address: str, kind: str | None) -> None:
    assert refused_kind(ipaddress.ip_address(address)) == kind


def test_a_host_resolving_to_any_refused_address_is_refused() -> None:
    public = resolver_to("93.184.216.34")
    assert check_url("https://hooks.example.com/x", field="notify_url", resolver=public)
    rebinding = resolver_to("93.184.216.34", "10.0.0.8")
    with pytest.raises(InvalidRequestError) as refused:
        check_url("https://hooks.example.com/x", field="notify_url", resolver=rebinding)
    assert refused.value.message == (
        "'notify_url' host 'hooks.example.com' is not allowed: 10.0.0.8 is a private address"
    )
    for url in ("http://169.254.169.254/latest", "http://[::1]:9925/", "http://224.0.0.1/"):
        with pytest.raises(InvalidRequestError, match="is not allowed"):
            check_url(url, field="notify_url", resolver=public)
    allowed = check_url(
        "http://intranet.local/",
        field="notify_url",
        resolver=rebinding,
        allow_hosts=["Intranet.local"],
    )
    assert allowed == []
    for bad in ("ftp://example.com/", "http:///x", "not a url"):
        with pytest.raises(InvalidRequestError, match="must be an http or https URL"):
            check_url(bad, field="notify_url", resolver=public)


def test_a_host_that_does_not_resolve_is_refused() -> None:
    def fails(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        raise OSError("no such host")

    with pytest.raises(InvalidRequestError, match="does not resolve"):
        check_url("http://nowhere.invalid/", field="notify_url", resolver=fails)
