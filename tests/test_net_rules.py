"""The address rules of server-side fetches, judged with injected resolvers: nothing here
connects anywhere, and the only real resolutions are of numeric forms and ``localhost``."""

from collections.abc import Sequence

import pytest

from loadmaster.net_rules import AllowList, Judgement, address_kind, judge, resolve

NOTHING = AllowList()


class Answers:
    """A resolver answering fixed addresses per name, counting its calls."""

    def __init__(self, **names: Sequence[str]) -> None:
        self.names = {name.replace("_", "."): list(found) for name, found in names.items()}
        self.calls: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        name = host.lower().rstrip(".")
        if name not in self.names:
            raise OSError(f"unknown host {host}")
        return self.names[name]


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("64:ff9b::7f00:1", "loopback"),  # NAT64 of 127.0.0.1
        ("2002:7f00:1::1", "loopback"),  # 6to4 of 127.0.0.1
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("::ffff:0.0.0.0", "unspecified"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("::ffff:10.0.0.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("::ffff:169.254.169.254", "link-local"),
        ("224.0.0.1", "multicast"),
        ("233.252.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("ff02::1", "multicast"),
        ("ff0e::1", "multicast"),
        ("100.64.0.1", "reserved"),  # carrier-grade NAT
        ("240.0.0.1", "reserved"),
        ("::127.0.0.1", "reserved"),  # IPv4-compatible, deprecated
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
        ("::ffff:8.8.8.8", None),
        ("64:ff9b::808:808", None),
    ],
)
def test_address_kinds(address: str, kind: str | None) -> None:
    assert address_kind(address) == kind


def test_literal_addresses_are_judged_without_resolving() -> None:
    resolver = Answers()
    assert judge("10.0.0.7", 80, allow=NOTHING, resolver=resolver) == Judgement(
        (), "is a private address"
    )
    assert judge("[::1]", 80, allow=NOTHING, resolver=resolver).refusal == "is a loopback address"
    assert judge("0.0.0.0", 80, allow=NOTHING, resolver=resolver).refusal == (
        "is an unspecified address"
    )
    assert judge("8.8.4.4", 443, allow=NOTHING, resolver=resolver) == Judgement(("8.8.4.4",), None)
    assert resolver.calls == []


@pytest.mark.parametrize(
    ("answers", "refusal"),
    [
        (["10.20.30.40"], "resolves to a private address"),
        (["169.254.169.254"], "resolves to a link-local address"),
        (["224.0.0.251"], "resolves to a multicast address"),
        (["::ffff:192.168.0.1"], "resolves to a private address"),
        (["0.0.0.0"], "resolves to an unspecified address"),
        # One bad address among good ones refuses the name: the order of answers is the
        # resolver's, so an attacker could put it first.
        (["8.8.8.8", "127.0.0.1"], "resolves to a loopback address"),
        ([], "resolves to no address"),
    ],
)
def test_names_are_judged_on_every_address(answers: list[str], refusal: str) -> None:
    resolver = Answers(files_example=answers)
    assert judge("files.example", 8080, allow=NOTHING, resolver=resolver) == Judgement((), refusal)
    assert resolver.calls == [("files.example", 8080)]


def test_a_public_name_gives_its_addresses_to_connect_to() -> None:
    resolver = Answers(files_example=["8.8.8.8", "2606:4700:4700::1111"])
    assert judge("files.example", 80, allow=NOTHING, resolver=resolver) == Judgement(
        ("8.8.8.8", "2606:4700:4700::1111"), None
    )


def test_an_unresolvable_name_raises() -> None:
    with pytest.raises(OSError, match="unknown host"):
        judge("nowhere.example", 80, allow=NOTHING, resolver=Answers())


def test_allowed_names_are_resolved_but_not_judged() -> None:
    resolver = Answers(files_internal=["10.0.0.1"], a_files_internal=["10.0.0.2"])
    allow = AllowList.parse("Files.Internal, other.internal")
    assert judge("files.internal.", 80, allow=allow, resolver=resolver) == Judgement(
        ("10.0.0.1",), None
    )
    assert judge("FILES.internal", 80, allow=allow, resolver=resolver).refusal is None
    # A name is not a suffix rule.
    assert judge("a.files.internal", 80, allow=allow, resolver=resolver).refusal == (
        "resolves to a private address"
    )


def test_allowed_addresses_and_networks_cover_names_resolving_into_them() -> None:
    allow = AllowList.parse("10.0.5.0/24 192.168.7.7,[fd00::5]")
    resolver = Answers(files_internal=["10.0.5.9"], other_internal=["10.0.6.1"])
    assert judge("files.internal", 80, allow=allow, resolver=resolver) == Judgement(
        ("10.0.5.9",), None
    )
    assert judge("other.internal", 80, allow=allow, resolver=resolver).refusal == (
        "resolves to a private address"
    )
    assert judge("192.168.7.7", 80, allow=allow, resolver=resolver).refusal is None
    assert judge("192.168.7.8", 80, allow=allow, resolver=resolver).refusal == (
        "is a private address"
    )
    assert judge("[fd00::5]", 80, allow=allow, resolver=resolver).refusal is None


def test_allow_list_parsing() -> None:
    assert AllowList.parse(None) == AllowList()
    assert AllowList.parse("") == AllowList()
    parsed = AllowList.parse(" a.example ,, 10.0.0.1 ")
    assert parsed.names == frozenset({"a.example"})
    assert [str(n) for n in parsed.networks] == ["10.0.0.1/32"]


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "017700000001", "127.1", "localhost"])
def test_the_systems_resolver_reads_numeric_forms(host: str) -> None:
    # Numeric forms are decoded by the C library itself, and localhost is in /etc/hosts: no
    # DNS query leaves the machine.
    assert "127.0.0.1" in resolve(host, 80)
    assert judge(host, 80, allow=NOTHING).refusal == "resolves to a loopback address"
