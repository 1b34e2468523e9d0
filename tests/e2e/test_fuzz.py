"""A seeded fuzzer over every operation, through a real server, as a super and a restricted user.

Bodies are built from each operation's Struct fields with hostile values (wrong types, huge
and tiny numbers, deep nesting, odd strings, unknown keys) and some are then broken as bytes
(truncated, invalid UTF-8, nested too deep). No answer may be a 5xx other than HarperDB's
documented ones, no body may show a traceback or Python's internals, every job started must
end, and afterwards the server answers and a new job completes.

Harmless by construction: file paths are inside the test's temp directory, URLs and S3
endpoints are a closed port on 127.0.0.1, and the names of the two fuzzing users are never
generated, so the fuzzer cannot lock itself out.
"""

import json
import random
import re
import socket
import string
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

import loadmaster
from loadmaster.auth.throttle import LoginThrottle
from loadmaster.instance import Instance
from loadmaster.operations.table import OPERATIONS
from tests.conftest import basic

pytestmark = pytest.mark.e2e

SEED = 20261201
BODIES_PER_USER = 1100
BROKEN_BYTES = 250
#: HarperDB's documented 500s (spec/harperdb-jobs.md §12, spec/harperdb-ops-more.md); any
#: other 5xx is a failure.
DOCUMENTED_500 = re.compile(
    r"'operation' must be a string|Invalid job ID specified\.|"
    r"there was an error searching for jobs\.  Please check the log for details\.|"
    r"There was an error searching jobs by date: Error: Invalid '(from|to)' date, .*|"
    r"unknown attribute '.*'|database is required|table is required|Invalid searchType '.*'|"
    r"t\.search_values is not iterable|A\.name\.match is not a function|"
    r"('database' must be a string\. )?'table' must be a string|'database' must be a string|"
    r"'limit' must be greater than or equal to 1|'offset' must be greater than or equal to 0|"
    r"'(get_attributes|hash_values)' must be (an array|strings or numbers)|"
    r"'get_attributes' must contain at least 1 item|'get_attributes' is required|"
    r"If role is specified, it cannot be empty\.|"
    r"nothing to update, must supply active, role or password to update",
    re.DOTALL,
)
INTERNAL = re.compile(
    r"Traceback|File \"/|Internal server error|NoneType|object has no attribute|"
    r"object is not|not subscriptable|unhashable|KeyError|TypeError|AttributeError|"
    r"ValueError|RecursionError|msgspec|lmdb\.|pykka",
)
PROTECTED_USERS = ("HDB_ADMIN", "fuzzer")
YES, NO = True, False
RESTRICTED = {
    "super_user": False,
    "data": {
        "tables": {
            "dog": {
                "read": True,
                "insert": True,
                "update": False,
                "delete": False,
                "attribute_permissions": [],
            }
        }
    },
}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class Values:
    """Random values, generic and per field, from one seeded generator."""

    def __init__(self, rng: random.Random, tmp: Path, port: int) -> None:
        self.rng = rng
        self.tmp = tmp
        self.local = f"http://127.0.0.1:{port}"
        self.fields: dict[str, Callable[[], Any]] = {
            "table": lambda: self.pick("dog", "cat", "missing", "", "dog`", "a/b"),
            "database": lambda: self.pick("data", "dev", "system", "", "nope"),
            "schema": lambda: self.pick("data", "dev", "system", ""),
            "username": lambda: self.pick("nobody", "fuzz_other", self.text()),
            "password": lambda: self.pick("pw", "", self.text()),
            "role": lambda: self.pick("fuzz_role", "super_user", "restricted", self.text()),
            "id": lambda: self.pick("", "fuzz_role", "restricted", self.text()),
            "active": lambda: self.pick(YES, NO),
            "action": lambda: self.pick("insert", "update", "upsert", "delete"),
            "format": lambda: self.pick("csv", "json", "xml"),
            "operator": lambda: self.pick("and", "or", "xor"),
            "date": self.date,
            "from_date": self.date,
            "to_date": self.date,
            "data": self.csv,
            "records": self.records,
            "ids": self.keys,
            "hash_values": self.keys,
            "get_attributes": lambda: self.pick(["*"], ["id", "name"], ["nope"], []),
            "search_attribute": self.attribute,
            "attribute": self.attribute,
            "hash_attribute": self.attribute,
            "primary_key": self.attribute,
            "search_value": lambda: self.pick("*", "Pen*", 1, [1, 5], None),
            "conditions": self.conditions,
            "permission": self.permission,
            "search_operation": self.search,
            "s3": self.s3,
            "csv_url": self.url,
            "file_path": self.file_path,
            "path": self.directory,
            "filename": lambda: self.pick("x", "y.csv", "", "dogs"),
            "passthrough_headers": lambda: self.pick({"x-a": "b"}, {}, {"x": 1}),
        }

    def pick(self, *options: Any) -> Any:
        return options[self.rng.randrange(len(options))]

    def text(self) -> str:
        rng = self.rng
        alphabet = string.ascii_letters + string.digits + " *`/.:-_'\"\\\x00é€😀"
        return "".join(rng.choice(alphabet) for _ in range(rng.choice((0, 1, 5, 20, 300))))

    def scalar(self) -> Any:
        rng = self.rng
        return self.pick(
            None,
            YES,
            NO,
            0,
            -1,
            rng.randint(-(10**6), 10**6),
            2**31,
            2**63 - 1,
            -(2**63),
            2**64 - 1,
            0.5,
            -0.0,
            1e308,
            5e-324,
            self.text(),
            "*",
            "",
            "2026-01-01",
        )

    def any(self, depth: int = 0) -> Any:
        rng = self.rng
        roll = rng.random()
        if depth > 3 or roll < 0.6:
            return self.scalar()
        if roll < 0.8:
            return [self.any(depth + 1) for _ in range(rng.randrange(4))]
        return {self.text()[:10]: self.any(depth + 1) for _ in range(rng.randrange(4))}

    def field(self, name: str) -> Any:
        special = self.fields.get(name)
        if special is not None and self.rng.random() < 0.75:
            return special()
        if any(part in name for part in ("url", "endpoint", "host", "path", "file", "dir")):
            # A field this fuzzer does not know (yet) that may reach the network or the
            # disk: never a string.
            return self.pick(None, 0, 1.5, [1], {"a": 1}, YES)
        if name in ("s3", "search_operation", "csv_url"):
            return self.pick(None, 0, [], {}, YES)
        return self.any()

    def date(self) -> Any:
        return self.pick("2026-01-01", "2026-01-01T00:00:00Z", "yesterday", "", 1767225600000)

    def attribute(self) -> Any:
        return self.pick("id", "name", "age", "__createdtime__", "", "a`b", "x" * 600)

    def keys(self) -> Any:
        return [self.pick(1, 2, "1", None, 2**64 - 1, [1]) for _ in range(self.rng.randrange(4))]

    def csv(self) -> Any:
        rows = self.rng.randrange(6)
        body = "id,name,age\n" + "".join(f"{i},{self.text()[:8]},{i}\n" for i in range(rows))
        return self.pick(body, "", "id\n", '"open\n1,2', "a,a,a\n1,2,3\n", self.text())

    def records(self) -> Any:
        rng = self.rng
        return [
            {self.pick("id", "name", "age", self.text()[:8]): self.any(2) for _ in range(3)}
            for _ in range(rng.randrange(4))
        ]

    def conditions(self) -> Any:
        return [
            {
                "search_attribute": self.attribute(),
                "search_type": self.pick(
                    "equals", "between", "starts_with", "greater_than", "contains", "nope"
                ),
                "search_value": self.pick(1, [1, 5], "a", None, [], {"x": 1}),
            }
            for _ in range(self.rng.randrange(3))
        ]

    def permission(self) -> Any:
        return self.pick(
            {"super_user": False, "data": {"tables": {"dog": {"read": self.pick(YES, 1)}}}},
            {"super_user": self.pick(YES, NO, "yes")},
            {"structure_user": self.pick(YES, ["data"], "x")},
            {"data": {"tables": {"dog": {"attribute_permissions": self.any()}}}},
        )

    def search(self) -> Any:
        body: dict[str, Any] = {
            "operation": self.pick(
                "search_by_value", "search_by_hash", "search_by_conditions", "sql", "nope"
            ),
            "table": self.fields["table"](),
            "search_attribute": self.attribute(),
            "search_value": "*",
        }
        if self.rng.random() < 0.5:
            body[self.pick("ids", "conditions", "get_attributes", "x")] = self.any()
        return body

    def s3(self) -> dict[str, Any]:
        s3: dict[str, Any] = {
            "aws_access_key_id": "fuzz",
            "aws_secret_access_key": "fuzz",
            "bucket": self.pick("b", "", "a/b"),
            "key": self.pick("x.csv", "x.json", "x.txt", ""),
            "region": self.pick("us-east-1", ""),
        }
        if self.rng.random() < 0.3:
            del s3[self.pick("bucket", "key", "region")]
        if self.rng.random() < 0.3:
            s3[self.pick("bucket", "key", "extra")] = self.any()
        # Only ever a closed port on loopback, whatever else the object holds.
        s3["endpoint_url"] = self.local
        return s3

    def url(self) -> Any:
        return self.pick(f"{self.local}/x.csv", self.local, "not a url", "ftp://127.0.0.1/x", "", 5)

    def file_path(self) -> Any:
        return self.pick(
            str(self.tmp / "dogs.csv"),
            str(self.tmp / "missing.csv"),
            str(self.tmp),
            str(self.tmp / "empty.csv"),
            "",
        )

    def directory(self) -> Any:
        return self.pick(str(self.tmp / "exports"), str(self.tmp / "missing"), str(self.tmp), "")


def bodies(values: Values, count: int) -> Iterator[bytes]:
    rng = values.rng
    names = sorted(OPERATIONS)
    for _ in range(count):
        name = rng.choice(names)
        fields = [f.name for f in msgspec.structs.fields(OPERATIONS[name].type)]
        body: dict[str, Any] = {"operation": name}
        for field in fields:
            if rng.random() < 0.7:
                body[field] = values.field(field)
        if rng.random() < 0.2:
            body[values.pick("hdb_user", "bypass_auth", "extra", "operation2")] = values.any()
        for protected in PROTECTED_USERS:
            # Never alter or drop the fuzzing users themselves.
            if body.get("username") == protected:
                body["username"] = "nobody"
        yield json.dumps(body).encode()


def broken(raw: bytes, rng: random.Random) -> bytes:
    kind = rng.randrange(6)
    if kind == 0:
        return raw[: rng.randrange(len(raw))]
    if kind == 1:
        at = rng.randrange(len(raw))
        return raw[:at] + bytes([rng.choice((0x80, 0xFF, 0xC3, 0x00))]) + raw[at:]
    if kind == 2:
        depth = rng.choice((129, 1000, 5000))
        return raw[:-1] + b', "x": ' + b"[" * depth + b"]" * depth + b"}"
    if kind == 3:
        return raw[:-1] + b', "x": 1e999999}'
    if kind == 4:
        return raw[:-1] + b', "x": [' + b"9" * rng.choice((20, 400, 5000)) + b"]}"
    return raw.replace(b'"', b"", 1)


@pytest.fixture
def target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Instance]:
    # botocore must never look for credentials or metadata off this machine.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    files = tmp_path / "files"
    (files / "exports").mkdir(parents=True)
    (files / "dogs.csv").write_text("id,name,age\n1,Penny,3\n2,Rex,5\n")
    (files / "empty.csv").write_text("")
    with loadmaster.open(
        tmp_path / "d",
        admin_password="pw",
        s3_endpoint_url=f"http://127.0.0.1:{closed_port()}",
        source_connect_timeout=0.5,
        source_read_timeout=1,
    ) as db:
        clock = [0.0]

        def sleep(seconds: float) -> None:
            clock[0] += seconds

        # Wrong body credentials are frequent here: count them, wait on a fake clock.
        db.users.throttle = LoginThrottle(clock=lambda: clock[0], sleep=sleep)
        db.operation({"operation": "create_table", "table": "dog", "primary_key": "id"})
        db.operation({"operation": "insert", "table": "dog", "records": [{"id": 1, "name": "a"}]})
        db.operation({"operation": "add_role", "role": "restricted", "permission": RESTRICTED})
        db.operation(
            {
                "operation": "add_user",
                "username": "fuzzer",
                "password": "fuzz-pw",
                "role": "restricted",
                "active": True,
            }
        )
        yield db


def test_fuzzed_bodies_never_break_the_server(target: Instance, tmp_path: Path) -> None:
    rng = random.Random(SEED)  # noqa: S311 - a reproducible fuzzer, not a secret
    values = Values(rng, tmp_path / "files", closed_port())
    server = target.serve()
    failures: list[str] = []
    jobs: list[str] = []
    sent = 0
    for auth in (basic("HDB_ADMIN", "pw"), basic("fuzzer", "fuzz-pw")):
        with httpx.Client(
            base_url=server.url,
            headers={"authorization": auth, "content-type": "application/json"},
            timeout=30,
        ) as client:
            for index, raw in enumerate(bodies(values, BODIES_PER_USER)):
                if index < BROKEN_BYTES:
                    raw = broken(raw, rng)
                response = client.post("/", content=raw)
                sent += 1
                text = response.text
                error = response.json().get("error") if response.status_code >= 400 else None
                if response.status_code >= 500 and not (
                    response.status_code == 500
                    and isinstance(error, str)
                    and DOCUMENTED_500.fullmatch(error)
                ):
                    failures.append(f"{response.status_code} {text[:200]} <- {raw[:300]!r}")
                if INTERNAL.search(text):
                    failures.append(f"internal text {text[:200]} <- {raw[:300]!r}")
                if response.status_code == 200 and '"job_id"' in text:
                    jobs.append(response.json()["job_id"])
    assert sent >= 2000
    assert failures == []
    for job_id in jobs:
        record = target.wait_for_job(job_id, 30)
        assert record is not None
        assert record["status"] in ("COMPLETE", "ERROR")
        assert not INTERNAL.search(json.dumps(record.get("message"))), record
    # Afterwards the server still answers everyone, and a new job completes.
    with httpx.Client(
        base_url=server.url, headers={"authorization": basic("HDB_ADMIN", "pw")}
    ) as c:
        assert c.get("/health").text == "HarperDB is running."
        c.post("/", json={"operation": "create_table", "table": "after", "primary_key": "id"})
        job = c.post(
            "/",
            json={"operation": "csv_data_load", "table": "after", "data": "id,name\n1,a\n"},
        ).json()
        record = target.wait_for_job(job["job_id"], 30)
        assert record is not None
        assert (record["status"], record["message"]) == (
            "COMPLETE",
            "successfully loaded 1 of 1 records",
        )
