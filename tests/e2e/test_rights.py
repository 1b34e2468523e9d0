"""Nobody reads or writes where they don't belong: the attacks of issue 10 (items 5 and 6)
over real HTTP against a real server, each now answered safely.

Every connection these tests could make goes to 127.0.0.0/8: the URL refusals are checked
against a listening socket that counts the connections it was sent.
"""

import logging
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import loadmaster
from loadmaster.errors import FileOutsideRootsError
from loadmaster.instance import Instance
from loadmaster.server.serve import BackgroundServer
from tests.conftest import ADMIN_AUTH, ADMIN_PASSWORD, basic
from tests.remote_fixtures import HttpSource

pytestmark = pytest.mark.e2e
pytest_plugins = ["tests.remote_fixtures"]

GENERIC = "This operation is not authorized due to role restrictions and/or invalid database items"
FETCHES = "(server-side fetches reach only public addresses)"
SHADOW = "root:$6$saltsalt$hashhashhashhash:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"
LOG_LINE = (
    "WARNING loadmaster.instance: created super user HDB_ADMIN with password "
    "s3cr3t-Pa55w0rd (also in /srv/data/admin-password)\n"
)


def table(**crud: bool) -> dict[str, Any]:
    grants = {"read": False, "insert": False, "update": False, "delete": False, **crud}
    return {**grants, "attribute_permissions": []}


class Api:
    """A client posting operations as one caller."""

    def __init__(self, url: str, authorization: str) -> None:
        self.client = httpx.Client(base_url=url, headers={"authorization": authorization})

    def post(self, body: dict[str, Any]) -> tuple[int, Any]:
        response = self.client.post("/", json=body)
        return response.status_code, response.json()

    def ok(self, body: dict[str, Any]) -> Any:
        status, answer = self.post(body)
        assert status == 200, answer
        return answer


class Site:
    """A server with a dog table, its super user, and users of two roles."""

    def __init__(self, instance: Instance, server: BackgroundServer) -> None:
        self.instance = instance
        self.server = server
        self.admin = Api(server.url, ADMIN_AUTH)
        self.admin.ok({"operation": "create_table", "table": "dog", "primary_key": "id"})
        roles = {
            "inserter": {"data": {"tables": {"dog": table(insert=True)}}},
            "reader": {"data": {"tables": {"dog": table(read=True)}}},
        }
        self.users: dict[str, Api] = {}
        for name, permission in roles.items():
            self.admin.ok({"operation": "add_role", "role": name, "permission": permission})
            self.admin.ok(
                {"operation": "add_user", "username": name, "password": "pw", "role": name}
                | {"active": True}
            )
            self.users[name] = Api(server.url, basic(name, "pw"))

    def close(self) -> None:
        for api in (self.admin, *self.users.values()):
            api.client.close()

    def jobs(self) -> list[Any]:
        return list(
            self.admin.ok(
                {
                    "operation": "search_jobs_by_start_date",
                    "from_date": "2000-01-01",
                    "to_date": "2100-01-01",
                }
            )
        )

    def finished(self, answer: dict[str, Any]) -> dict[str, Any]:
        record = self.instance.wait_for_job(answer["job_id"], 30)
        assert record is not None
        return record


@pytest.fixture
def site(instance: Instance, server: BackgroundServer) -> Iterator[Site]:
    site = Site(instance, server)
    yield site
    site.close()


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A socket listening on 127.0.0.1 that never accepts on its own."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.settimeout(0.0)  # non-blocking accept()
        yield sock


def connections(sock: socket.socket) -> int:
    """Count the connections waiting in the listener's backlog."""
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


def outside(path: Path | str) -> tuple[int, dict[str, str]]:
    return 403, {"error": f"File path '{path}' is outside the allowed file roots"}


def file_load(path: Path | str) -> dict[str, Any]:
    return {
        "operation": "csv_file_load",
        "table": "dog",
        "action": "insert",
        "file_path": str(path),
    }


# --- item 5: file roots ------------------------------------------------------------------------


def test_an_insert_only_user_reads_no_file_outside_the_roots(
    site: Site, data_dir: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "etc" / "shadow"
    secret.parent.mkdir()
    secret.write_text(SHADOW)
    files = data_dir / "files"
    (files / "shadow-link.csv").symlink_to(secret)
    inserter = site.users["inserter"]
    for path in (
        secret,
        files / "shadow-link.csv",  # a symlink inside the root
        f"{files}/../../etc/shadow",  # climbing out of it
        tmp_path / "etc" / "missing",  # a missing file gets the same answer
        tmp_path / "etc",
    ):
        assert inserter.post(file_load(path)) == outside(path)
        assert inserter.post({**file_load(path), "operation": "json_file_load"}) == outside(path)
    assert site.jobs() == []
    # Inside the root the load works, and the header is never echoed in full.
    (files / "dogs.csv").write_text("id,name\n1,Rex\n")
    record = site.finished(inserter.ok(file_load(files / "dogs.csv")))
    assert (record["status"], record["message"]) == (
        "COMPLETE",
        "successfully loaded 1 of 1 records",
    )
    (files / "log.csv").write_text(LOG_LINE + "the next line\n")
    record = site.finished(inserter.ok(file_load(files / "log.csv")))
    assert (record["status"], record["message"]) == (
        "ERROR",
        "Invalid column name 'WARNING loadmaster.instance: created sup...', "
        "cancelling load operation",
    )


def test_harperdbs_permission_checks_come_first(site: Site, tmp_path: Path) -> None:
    denied = {
        "error": GENERIC,
        "unauthorized_access": [
            {
                "schema": "data",
                "table": "dog",
                "required_table_permissions": ["insert"],
                "required_attribute_permissions": [],
            }
        ],
        "invalid_schema_items": [],
    }
    assert site.users["reader"].post(file_load(tmp_path / "x.csv")) == (403, denied)


def test_a_super_user_keeps_harperdbs_freedom_without_roots(site: Site, tmp_path: Path) -> None:
    elsewhere = tmp_path / "dogs.csv"
    elsewhere.write_text("id\n5\n")
    assert site.finished(site.admin.ok(file_load(elsewhere)))["status"] == "COMPLETE"
    missing = tmp_path / "missing.csv"
    assert site.admin.post(file_load(missing)) == (
        400,
        {"error": f"No such file or directory {missing}"},
    )


def test_configured_roots_confine_everyone(tmp_path: Path) -> None:
    root = tmp_path / "exchange"
    root.mkdir()
    (root / "dogs.csv").write_text("id\n1\n")
    (tmp_path / "other.csv").write_text("id\n2\n")
    with loadmaster.open(tmp_path / "data", admin_password="pw", file_roots=str(root)) as db:
        db.operation({"operation": "create_table", "table": "dog", "primary_key": "id"})
        answer = db.operation(file_load(root / "dogs.csv"))
        assert db.wait_for_job(answer["job_id"], 30)["status"] == "COMPLETE"
        with pytest.raises(FileOutsideRootsError) as caught:
            db.operation(file_load(tmp_path / "other.csv"))
        assert (caught.value.status_code, caught.value.message) == (
            403,
            f"File path '{tmp_path / 'other.csv'}' is outside the allowed file roots",
        )
        with pytest.raises(FileOutsideRootsError):
            db.operation(export_body(tmp_path, "dogs"))
        answer = db.operation(export_body(root, "dogs-out"))
        assert db.wait_for_job(answer["job_id"], 30)["status"] == "COMPLETE"
        assert (root / "dogs-out.json").read_text() == '[{"id":1}]'


def export_body(path: Path, filename: str) -> dict[str, Any]:
    return {
        "operation": "export_local",
        "format": "json",
        "path": str(path),
        "filename": filename,
        "search_operation": {
            "operation": "search_by_value",
            "table": "dog",
            "search_attribute": "id",
            "search_value": "*",
            "get_attributes": ["id"],
        },
    }


def test_export_filenames_never_leave_path(site: Site, tmp_path: Path) -> None:
    target = tmp_path / "exports"
    target.mkdir()
    (target / "sub").mkdir()
    before = sorted(p.name for p in tmp_path.rglob("*"))
    for filename in ("../x", "/tmp/x", "sub/x", "a\\x", "x\x00y", "..", "a..b"):
        assert site.admin.post(export_body(target, filename)) == (
            400,
            {
                "error": "filename must name a file in 'path': it may not contain "
                "'/', '\\', '..' or NUL"
            },
        ), filename
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert site.jobs() == []


def test_exports_are_private_to_the_servers_user(site: Site, tmp_path: Path) -> None:
    site.admin.ok({"operation": "insert", "table": "dog", "records": [{"id": 1}]})
    target = tmp_path / "exports"
    target.mkdir()
    old = target / "dogs.json"
    old.write_text("old")
    old.chmod(0o644)
    record = site.finished(site.admin.ok(export_body(target, "dogs")))
    assert record["status"] == "COMPLETE", record
    # The partial file was created 0600 and renamed into place, replacing the old one.
    assert old.stat().st_mode & 0o777 == 0o600
    assert old.read_text() == '[{"id":1}]'
    assert os.listdir(target) == ["dogs.json"]


def test_the_admin_password_is_not_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with loadmaster.open(tmp_path / "data"):
        pass
    password = (tmp_path / "data" / "admin-password").read_text().strip()
    assert password
    assert password not in caplog.text
    assert str(tmp_path / "data" / "admin-password") in caplog.text


# --- item 6: server-side fetches stay outside ------------------------------------------------


def url_load(url: str) -> dict[str, Any]:
    return {"operation": "csv_url_load", "table": "dog", "action": "insert", "csv_url": url}


def refused(url: str, verb: str = "is") -> tuple[int, dict[str, str]]:
    return 400, {
        "error": f"URL '{url}' is not allowed: its host {verb} a loopback address {FETCHES}"
    }


def test_a_user_cannot_reach_the_server_or_other_loopback_services(
    site: Site, listener: socket.socket
) -> None:
    inserter = site.users["inserter"]
    own = f"{site.server.url}/"
    other_port = listener.getsockname()[1]
    other = f"http://127.0.0.1:{other_port}/"
    # The same refusal for the server's own port and for another one: no port scan.
    assert inserter.post(url_load(own)) == refused(own)
    assert inserter.post(url_load(other)) == refused(other)
    json_load = {"operation": "json_url_load", "table": "dog", "action": "insert"}
    assert inserter.post({**json_load, "json_url": other}) == refused(other)
    for url, verb in [
        (f"http://localhost:{other_port}/", "resolves to"),
        (f"http://2130706433:{other_port}/", "resolves to"),
        (f"http://0x7f.1:{other_port}/", "resolves to"),
        (f"http://[::1]:{other_port}/", "is"),
        (f"http://[::ffff:127.0.0.1]:{other_port}/", "is"),
    ]:
        assert inserter.post(url_load(url)) == refused(url, verb)
    for url, kind in [
        (f"http://0.0.0.0:{other_port}/", "an unspecified"),
        (f"http://[::]:{other_port}/", "an unspecified"),
        ("http://169.254.169.254/latest/meta-data/", "a link-local"),
        ("http://10.0.0.1/a.csv", "a private"),
    ]:
        status, answer = inserter.post(url_load(url))
        assert (status, answer["error"]) == (
            400,
            f"URL '{url}' is not allowed: its host is {kind} address {FETCHES}",
        )
    s3 = {
        "aws_access_key_id": "AKID",
        "aws_secret_access_key": "secret",
        "bucket": "b",
        "key": "dogs.csv",
        "region": "us-east-1",
        "endpoint_url": other,
    }
    s3_load = {"operation": "import_from_s3", "table": "dog", "action": "insert", "s3": s3}
    assert inserter.post(s3_load) == refused(other)
    assert connections(listener) == 0
    assert site.jobs() == []
    # The job system still runs for everyone, the refused user included.
    answer = inserter.ok(
        {"operation": "csv_data_load", "table": "dog", "action": "insert", "data": "id\n3\n"}
    )
    assert site.finished(answer)["status"] == "COMPLETE"


@pytest.fixture
def allowing(tmp_path: Path) -> Iterator[Site]:
    """A server whose fetches may reach 127.0.0.1 (standing in for a public host)."""
    with loadmaster.open(
        tmp_path / "data",
        admin_password=ADMIN_PASSWORD,
        url_allow_hosts="127.0.0.1",
        parallel_load_min_bytes=-1,  # small loads: no worker process to start
    ) as db:
        site = Site(db, db.serve("127.0.0.1", 0))
        yield site
        site.close()


def test_a_redirect_from_an_allowed_host_to_loopback_ends_the_job(
    allowing: Site, http_source: HttpSource
) -> None:
    inserter = allowing.users["inserter"]
    good = http_source.add("/dogs.csv", b"id\n1\n")
    assert allowing.finished(inserter.ok(url_load(good)))["status"] == "COMPLETE"
    target = f"http://127.0.0.2:{http_source.port}/dogs.csv"
    url = http_source.add("/old", status=302, content_type=None, headers={"Location": target})
    record = allowing.finished(inserter.ok(url_load(url)))
    assert (record["status"], record["message"]) == (
        "ERROR",
        f"CSV Load failed from URL: {url}, URL '{target}' is not allowed: its host is a "
        f"loopback address {FETCHES}",
    )
    assert [r.get("Host") for r in http_source.received][-1] == f"127.0.0.1:{http_source.port}"
    assert len(http_source.received) == 2  # /dogs.csv, /old: never the redirect's target
