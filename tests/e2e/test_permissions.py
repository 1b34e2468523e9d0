"""Users, roles, tokens and permissions over real HTTP against a real server.

Every role shape below is tried on every operation it may and may not run, and each refusal
is compared with HarperDB's exact 403 body.
"""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

import loadmaster
from loadmaster.auth.throttle import LoginThrottle
from loadmaster.auth.tokens import KEY_FILE, TokenSigner, load_or_create_key
from loadmaster.instance import Instance
from loadmaster.server.serve import BackgroundServer
from tests.conftest import ADMIN_AUTH, ADMIN_PASSWORD, basic

pytestmark = pytest.mark.e2e

GENERIC = "This operation is not authorized due to role restrictions and/or invalid database items"
INVALID_TOKEN = (401, {"error": "invalid token"})


def table(
    read: bool = False,
    insert: bool = False,
    update: bool = False,
    delete: bool = False,
    attributes: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "read": read,
        "insert": insert,
        "update": update,
        "delete": delete,
        "attribute_permissions": attributes or [],
    }


def attr(name: str, *, read: bool = False, insert: bool = False, update: bool = False) -> Any:
    return {"attribute_name": name, "read": read, "insert": insert, "update": update}


ROLES: dict[str, dict[str, Any]] = {
    "reader": {"data": {"tables": {"dog": table(read=True)}}},
    "inserter": {"data": {"tables": {"dog": table(insert=True)}}},
    "loader": {"data": {"tables": {"dog": table(read=True, insert=True, update=True)}}},
    "deleter": {"data": {"tables": {"dog": table(delete=True)}}},
    "limited": {
        "data": {
            "tables": {
                "dog": table(
                    read=True,
                    insert=True,
                    update=True,
                    attributes=[
                        attr("name", read=True, insert=True, update=True),
                        attr("age", read=True),
                    ],
                )
            }
        }
    },
    "blind": {"data": {"tables": {"dog": table()}}},
    "builder": {"structure_user": ["data"]},
}


def denied(
    unauthorized: list[Any] | None = None, invalid: list[str] | None = None
) -> tuple[int, dict[str, Any]]:
    return 403, {
        "error": GENERIC,
        "unauthorized_access": unauthorized or [],
        "invalid_schema_items": invalid or [],
    }


def restricted(name: str) -> tuple[int, dict[str, Any]]:
    return denied([f"Operation '{name}' is restricted to 'super_user' roles"])


def lacks(*permissions: str) -> tuple[int, dict[str, Any]]:
    return denied(
        [
            {
                "schema": "data",
                "table": "dog",
                "required_table_permissions": list(permissions),
                "required_attribute_permissions": [],
            }
        ]
    )


class Api:
    """A client posting operations as one caller."""

    def __init__(self, url: str, authorization: str | None) -> None:
        headers = {"authorization": authorization} if authorization else {}
        self.client = httpx.Client(base_url=url, headers=headers)

    def post(self, body: dict[str, Any], **kwargs: Any) -> tuple[int, Any]:
        response = self.client.post("/", json=body, **kwargs)
        return response.status_code, response.json()

    def ok(self, body: dict[str, Any]) -> Any:
        status, answer = self.post(body)
        assert status == 200, answer
        return answer


@pytest.fixture
def admin(server: BackgroundServer) -> Iterator[Api]:
    api = Api(server.url, ADMIN_AUTH)
    yield api
    api.client.close()


class Users(dict[str, Api]):
    """One user per role shape, each created (with its role) when first asked for."""

    def __init__(self, admin: Api, url: str) -> None:
        super().__init__()
        self.admin = admin
        self.url = url

    def __missing__(self, name: str) -> Api:
        self.admin.ok({"operation": "add_role", "role": name, "permission": ROLES[name]})
        self.admin.ok(
            {
                "operation": "add_user",
                "username": name,
                "password": f"{name}-pw",
                "role": name,
                "active": True,
            }
        )
        api = self[name] = Api(self.url, basic(name, f"{name}-pw"))
        return api


@pytest.fixture
def setup(admin: Api, server: BackgroundServer) -> Iterator[Users]:
    """A dog table with one record, a cat table, and users of the role shapes on demand."""
    admin.ok({"operation": "create_table", "table": "dog", "primary_key": "id"})
    admin.ok({"operation": "create_table", "table": "cat", "primary_key": "id"})
    admin.ok(
        {
            "operation": "insert",
            "table": "dog",
            "records": [{"id": 1, "name": "Rex", "age": 3, "owner": "Ann"}],
        }
    )
    users = Users(admin, server.url)
    yield users
    for api in users.values():
        api.client.close()


def insert(record: dict[str, Any]) -> dict[str, Any]:
    return {"operation": "insert", "table": "dog", "records": [record]}


READ_DOG = {"operation": "search_by_id", "table": "dog", "ids": [1], "get_attributes": ["id"]}


#: (role, body, expected): expected is ``(status, body)``, or None for "200, whatever answer".
CASES: list[tuple[str, dict[str, Any], tuple[int, Any] | None]] = [
    ("reader", READ_DOG, (200, [{"id": 1}])),
    ("reader", {"operation": "describe_table", "table": "dog"}, None),
    (
        "reader",
        {
            "operation": "search_by_value",
            "table": "dog",
            "search_attribute": "id",
            "search_value": 1,
        },
        None,
    ),
    ("reader", insert({"id": 2}), lacks("insert")),
    ("reader", {"operation": "delete", "table": "dog", "ids": [1]}, lacks("delete")),
    (
        "reader",
        {"operation": "search_by_id", "table": "cat", "ids": [1]},
        denied(invalid=["Table 'data.cat' does not exist"]),
    ),
    (
        "reader",
        {"operation": "describe_table", "schema": "other", "table": "dog"},
        denied(invalid=["database 'other' does not exist"]),
    ),
    (
        "reader",
        {"operation": "describe_database", "database": "other"},
        denied(invalid=["database 'other' does not exist"]),
    ),
    (
        "reader",
        {"operation": "create_table", "table": "t", "primary_key": "id"},
        restricted("createTable"),
    ),
    ("reader", {"operation": "drop_table", "table": "dog"}, restricted("dropTable")),
    ("reader", {"operation": "create_database", "database": "x"}, restricted("createSchema")),
    (
        "reader",
        {
            "operation": "add_user",
            "username": "x",
            "password": "y",
            "role": "reader",
            "active": True,
        },
        restricted("addUser"),
    ),
    (
        "reader",
        {"operation": "alter_user", "username": "reader", "active": False},
        restricted("alterUser"),
    ),
    ("reader", {"operation": "drop_user", "username": "reader"}, restricted("dropUser")),
    ("reader", {"operation": "list_users"}, restricted("listUsersExternal")),
    ("reader", {"operation": "add_role", "role": "x", "permission": {}}, restricted("addRole")),
    (
        "reader",
        {"operation": "alter_role", "id": "x", "permission": {}},
        restricted("alterRole"),
    ),
    ("reader", {"operation": "drop_role", "id": "x"}, restricted("dropRole")),
    ("reader", {"operation": "list_roles"}, restricted("listRoles")),
    (
        "reader",
        {
            "operation": "search_jobs_by_start_date",
            "from_date": "2020-01-01",
            "to_date": "2030-01-01",
        },
        restricted("handleGetJobsByStartDate"),
    ),
    (
        "reader",
        {"operation": "delete_records_before", "table": "dog", "date": "2020-01-01"},
        restricted("deleteFilesBefore"),
    ),
    (
        "reader",
        {
            "operation": "export_local",
            "format": "json",
            "path": "/tmp",
            "search_operation": {
                "operation": "search_by_value",
                "table": "dog",
                "search_attribute": "id",
                "search_value": "*",
            },
        },
        restricted("export_local"),
    ),
    ("reader", {"operation": "get_job", "id": "nope"}, (200, [])),
    ("inserter", insert({"id": 2, "name": "Ida"}), None),
    ("inserter", READ_DOG, lacks("read")),
    ("inserter", {"operation": "describe_table", "table": "dog"}, lacks("read")),
    (
        "inserter",
        {"operation": "upsert", "table": "dog", "records": [{"id": 1}]},
        lacks("update"),
    ),
    (
        "inserter",
        {"operation": "update", "table": "dog", "records": [{"id": 1}]},
        lacks("update"),
    ),
    (
        "inserter",
        {"operation": "csv_data_load", "table": "dog", "action": "update", "data": "id\n5\n"},
        lacks("update"),
    ),
    (
        "inserter",
        {"operation": "csv_data_load", "table": "dog", "action": "upsert", "data": "id\n5\n"},
        lacks("update"),
    ),
    ("deleter", {"operation": "delete", "table": "dog", "ids": [1]}, None),
    (
        "loader",
        {"operation": "csv_data_load", "table": "dog", "action": "upsert", "data": "id\n5\n"},
        None,
    ),
    ("loader", {"operation": "upsert", "table": "dog", "records": [{"id": 6}]}, None),
    # Allowed by the role, but a fetch of a user who is not a super user stays outside.
    (
        "loader",
        {"operation": "csv_url_load", "table": "dog", "csv_url": "http://127.0.0.1:9/d.csv"},
        (
            400,
            {
                "error": "URL 'http://127.0.0.1:9/d.csv' is not allowed: its host is a loopback "
                "address (server-side fetches reach only public addresses)"
            },
        ),
    ),
    ("loader", {"operation": "delete", "table": "dog", "ids": [1]}, lacks("delete")),
    ("deleter", READ_DOG, lacks("read")),
    ("blind", READ_DOG, denied(invalid=["database 'data' does not exist"])),
    (
        "blind",
        {"operation": "describe_database"},
        denied(invalid=["database 'data' does not exist"]),
    ),
    ("limited", insert({"id": 3, "name": "Max"}), None),
    (
        "limited",
        insert({"id": 3, "owner": "Bo"}),
        denied(invalid=["Attribute 'owner' does not exist on 'data.dog'"]),
    ),
    (
        "limited",
        insert({"id": 3, "color": "red"}),
        denied(invalid=["Attribute 'color' does not exist on 'data.dog'"]),
    ),
    (
        "limited",
        insert({"id": 3, "age": 4}),
        denied(
            [
                {
                    "schema": "data",
                    "table": "dog",
                    "required_table_permissions": [],
                    "required_attribute_permissions": [
                        {"attribute_name": "age", "required_permissions": ["insert"]}
                    ],
                }
            ]
        ),
    ),
    (
        "limited",
        {**READ_DOG, "get_attributes": ["owner"]},
        denied(invalid=["Attribute 'owner' does not exist on 'data.dog'"]),
    ),
    (
        "limited",
        {
            "operation": "search_by_conditions",
            "table": "dog",
            "conditions": [
                {"search_attribute": "owner", "search_type": "equals", "search_value": "Ann"}
            ],
        },
        denied(invalid=["Attribute 'owner' does not exist on 'data.dog'"]),
    ),
    (
        "limited",
        {**READ_DOG, "get_attributes": ["name", "age"]},
        (200, [{"name": "Rex", "age": 3}]),
    ),
    (
        "builder",
        {"operation": "create_table", "table": "bird", "primary_key": "id"},
        (200, {"message": "table 'data.bird' successfully created."}),
    ),
    (
        "builder",
        {
            "operation": "create_table",
            "database": "other",
            "table": "bird",
            "primary_key": "id",
        },
        restricted("createTable"),
    ),
    (
        "builder",
        {"operation": "create_database", "database": "other"},
        restricted("createSchema"),
    ),
    ("builder", {"operation": "delete", "table": "dog", "ids": [1]}, None),
]


@pytest.mark.parametrize("role", list(ROLES))
def test_role_shapes(setup: Users, role: str) -> None:
    """Run every case of one role; report all mismatches at once."""
    mismatches = []
    cases = [(body, expected) for case_role, body, expected in CASES if case_role == role]
    assert cases
    for body, expected in cases:
        status, answer = setup[role].post(body)
        if (expected is None and status != 200) or (
            expected is not None and (status, answer) != expected
        ):
            mismatches.append((body, (status, answer), expected))
    assert mismatches == []


def test_super_user_passes_everything(admin: Api, setup: Users) -> None:
    for name in ROLES:
        setup[name].ok({"operation": "user_info"})
    assert admin.ok({"operation": "delete", "table": "cat", "ids": [1]})["deleted_hashes"] == [1]
    assert len(admin.ok({"operation": "list_users"})) == len(ROLES) + 1


def test_a_user_without_a_role(admin: Api, server: BackgroundServer) -> None:
    admin.ok({"operation": "add_role", "role": "temp", "permission": {}})
    temp_id = next(r["id"] for r in admin.ok({"operation": "list_roles"}) if r["role"] == "temp")
    body = {"operation": "add_user", "username": "orphan", "password": "pw", "role": "temp"}
    admin.ok({**body, "active": False})
    admin.ok({"operation": "drop_role", "id": temp_id})
    admin.ok({"operation": "alter_user", "username": "orphan", "active": True})
    orphan = Api(server.url, basic("orphan", "pw"))
    assert orphan.post({"operation": "describe_all"}) == denied(
        ["User orphan has no role or permissions.  Please assign the user a valid role."]
    )


def test_an_inactive_user_is_refused(admin: Api, setup: Users) -> None:
    reader = setup["reader"]
    admin.ok({"operation": "alter_user", "username": "reader", "active": False})
    assert reader.post(READ_DOG) == (
        401,
        {"error": "Cannot complete request: User is inactive"},
    )


def test_user_info_is_open_to_everyone(setup: Users) -> None:
    info = setup["reader"].ok({"operation": "user_info"})
    assert info["username"] == "reader"
    permission = dict(info["role"]["permission"])
    # ops-more §5.6: the role is shown with every system table, all flags false.
    assert set(permission.pop("system")["tables"]) == {"hdb_role", "hdb_user", "hdb_job"}
    assert permission == ROLES["reader"]
    assert "password" not in info


# --- reads and describes filtered by the role (need the lead's data.py / ddl.py integration) --


def test_star_reads_only_readable_attributes(setup: Users) -> None:
    answer = setup["limited"].ok(
        {"operation": "search_by_id", "table": "dog", "ids": [1], "get_attributes": ["*"]}
    )
    assert answer == [{"id": 1, "name": "Rex", "age": 3}]
    by_value = setup["limited"].ok(
        {
            "operation": "search_by_value",
            "table": "dog",
            "search_attribute": "id",
            "search_value": "*",
        }
    )
    assert by_value == [{"id": 1, "name": "Rex", "age": 3}]


def test_describe_shows_only_permitted_tables(setup: Users) -> None:
    everything = setup["limited"].ok({"operation": "describe_all"})
    assert list(everything) == ["data"]
    assert list(everything["data"]) == ["dog"]
    shown = [a["attribute"] for a in everything["data"]["dog"]["attributes"]]
    assert shown == ["id", "name", "age"]
    assert list(setup["reader"].ok({"operation": "describe_database"})) == ["dog"]
    assert setup["blind"].ok({"operation": "describe_all"}) == {}


# --- jobs ------------------------------------------------------------------------------------


def test_jobs_run_as_their_caller_and_stay_private(
    instance: Instance, admin: Api, setup: Users
) -> None:
    loader, other = setup["loader"], setup["limited"]
    answer = loader.ok(
        {
            "operation": "csv_data_load",
            "table": "dog",
            "action": "insert",
            "data": "id,name\n7,Tod\n",
        }
    )
    job_id = answer["job_id"]
    record = instance.wait_for_job(job_id, 30)
    assert record is not None
    assert (record["status"], record["user"]) == ("COMPLETE", "loader")
    assert loader.ok({"operation": "get_job", "id": job_id})[0]["id"] == job_id
    assert other.ok({"operation": "get_job", "id": job_id}) == []
    assert admin.ok({"operation": "get_job", "id": job_id})[0]["user"] == "loader"


def test_a_load_without_action_needs_insert_and_update(setup: Users) -> None:
    body = {"operation": "csv_data_load", "table": "dog", "data": "id\n8\n"}
    assert setup["inserter"].post(body) == lacks("update")
    assert setup["inserter"].post({**body, "action": "insert"})[0] == 200
    assert setup["reader"].post(body) == lacks("insert", "update")
    url_load = {"operation": "csv_url_load", "table": "dog", "csv_url": "http://127.0.0.1:9/d.csv"}
    assert setup["inserter"].post(url_load) == lacks("update")


@pytest.mark.parametrize("source", ["csv_data_load", "csv_file_load"])
def test_a_load_refused_by_an_attribute_permission_ends_as_error(
    instance: Instance, setup: Users, data_dir: Path, source: str
) -> None:
    csv = "id,owner\n9,Zed\n"
    body: dict[str, Any] = {"operation": source, "table": "dog", "action": "insert"}
    if source == "csv_data_load":
        body["data"] = csv
    else:
        path = data_dir / "files" / "dogs.csv"  # the file root of users who are not super
        path.write_text(csv)
        body["file_path"] = str(path)
    answer = setup["limited"].ok(body)
    record = instance.wait_for_job(answer["job_id"], 30)
    assert record is not None
    assert record["status"] == "ERROR"
    assert record["message"] == {
        "error": GENERIC,
        "unauthorized_access": [],
        "invalid_schema_items": ["Attribute 'owner' does not exist on 'data.dog'"],
    }
    assert instance.operation({"operation": "search_by_id", "table": "dog", "ids": [9]}) == []


# --- tokens ----------------------------------------------------------------------------------


def tokens_for(server: BackgroundServer, username: str, password: str) -> dict[str, str]:
    response = httpx.post(
        server.url + "/",
        json={
            "operation": "create_authentication_tokens",
            "username": username,
            "password": password,
        },
    )
    assert response.status_code == 200, response.text
    answer: dict[str, str] = response.json()
    return answer


def user_tokens(setup: Users, name: str) -> dict[str, str]:
    """Return tokens of the user of a role shape (created if needed), from its password."""
    setup[name]  # created on first use
    response = httpx.post(
        setup.url + "/",
        json={
            "operation": "create_authentication_tokens",
            "username": name,
            "password": f"{name}-pw",
        },
    )
    assert response.status_code == 200, response.text
    answer: dict[str, str] = response.json()
    return answer


def bearer(server: BackgroundServer, token: str) -> Api:
    return Api(server.url, f"Bearer {token}")


def test_tokens_need_no_header_and_work_as_bearer(server: BackgroundServer, setup: Users) -> None:
    tokens = user_tokens(setup, "reader")
    assert set(tokens) == {"operation_token", "refresh_token"}
    reader = bearer(server, tokens["operation_token"])
    assert reader.post(READ_DOG) == (200, [{"id": 1}])
    assert reader.post(insert({"id": 2})) == lacks("insert")


def test_wrong_credentials_for_tokens(server: BackgroundServer, setup: Users) -> None:
    for body in (
        {"username": "reader", "password": "wrong"},
        {"username": "nobody", "password": "x"},
        {"username": "reader"},
    ):
        response = httpx.post(
            server.url + "/", json={"operation": "create_authentication_tokens", **body}
        )
        assert (response.status_code, response.json()) == (401, {"error": "invalid credentials"})


def test_tokens_for_the_caller_of_a_basic_request(server: BackgroundServer, setup: Users) -> None:
    tokens = setup["reader"].ok({"operation": "create_authentication_tokens"})
    assert bearer(server, tokens["operation_token"]).ok({"operation": "user_info"})["username"] == (
        "reader"
    )


def test_refresh_as_bearer_or_in_the_body(server: BackgroundServer, setup: Users) -> None:
    refresh = user_tokens(setup, "reader")["refresh_token"]
    by_header = bearer(server, refresh).ok({"operation": "refresh_operation_token"})
    by_body = Api(server.url, None).ok(
        {"operation": "refresh_operation_token", "refresh_token": refresh}
    )
    for answer in (by_header, by_body):
        assert list(answer) == ["operation_token"]
        assert bearer(server, answer["operation_token"]).post(READ_DOG)[0] == 200


def test_a_token_of_one_kind_is_not_the_other(server: BackgroundServer, setup: Users) -> None:
    tokens = user_tokens(setup, "reader")
    assert bearer(server, tokens["refresh_token"]).post(READ_DOG) == INVALID_TOKEN
    assert bearer(server, tokens["operation_token"]).post(
        {"operation": "refresh_operation_token"}
    ) == (INVALID_TOKEN)


def test_a_newer_refresh_token_replaces_the_older(server: BackgroundServer, setup: Users) -> None:
    older = user_tokens(setup, "reader")["refresh_token"]
    newer = user_tokens(setup, "reader")["refresh_token"]
    assert bearer(server, older).post({"operation": "refresh_operation_token"}) == INVALID_TOKEN
    assert bearer(server, newer).post({"operation": "refresh_operation_token"})[0] == 200


def test_tampered_and_foreign_tokens_are_refused(
    instance: Instance, server: BackgroundServer, setup: Users
) -> None:
    token = user_tokens(setup, "reader")["operation_token"]
    header, _payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode({**claims, "username": "HDB_ADMIN"}, "x" * 64, "HS256")
    forged_payload = forged.split(".")[1]
    tampered = ".".join((header, forged_payload, signature))
    foreign = jwt.encode({**claims, "username": "HDB_ADMIN"}, "y" * 64, "HS256")
    for bad in (tampered, foreign, token[:-2], "a.b.c"):
        assert bearer(server, bad).post(READ_DOG) == INVALID_TOKEN


def test_a_dropped_or_deactivated_users_tokens_are_refused(
    admin: Api, server: BackgroundServer, setup: Users
) -> None:
    reader = user_tokens(setup, "reader")
    loader = user_tokens(setup, "loader")
    assert bearer(server, reader["operation_token"]).post(READ_DOG)[0] == 200
    admin.ok({"operation": "drop_user", "username": "reader"})
    assert bearer(server, reader["operation_token"]).post(READ_DOG) == INVALID_TOKEN
    assert bearer(server, reader["refresh_token"]).post(
        {"operation": "refresh_operation_token"}
    ) == (INVALID_TOKEN)
    admin.ok({"operation": "alter_user", "username": "loader", "active": False})
    assert bearer(server, loader["operation_token"]).post(READ_DOG) == INVALID_TOKEN


def test_token_lifetimes_are_configurable_and_expiry_is_enforced(tmp_path: Path) -> None:
    with loadmaster.open(
        tmp_path / "d", admin_password="pw", operation_token_ttl=60, refresh_token_ttl=300
    ) as db:
        server = db.serve()
        tokens = tokens_for(server, "HDB_ADMIN", "pw")
        for name, ttl in (("operation_token", 60), ("refresh_token", 300)):
            claims = jwt.decode(tokens[name], options={"verify_signature": False})
            assert claims["exp"] - claims["iat"] == ttl
        api = bearer(server, tokens["operation_token"])
        assert api.post({"operation": "describe_all"}) == (200, {})
        issued = time.time()
        db.users.tokens.clock = lambda: issued + 62  # past the operation token's end
        assert api.post({"operation": "describe_all"}) == INVALID_TOKEN
        refreshed = bearer(server, tokens["refresh_token"]).ok(
            {"operation": "refresh_operation_token"}
        )
        assert bearer(server, refreshed["operation_token"]).post({"operation": "describe_all"}) == (
            200,
            {},
        )
        db.users.tokens.clock = lambda: issued + 302
        assert bearer(server, tokens["refresh_token"]).post(
            {"operation": "refresh_operation_token"}
        ) == (INVALID_TOKEN)


def test_the_key_is_kept_in_the_data_directory(tmp_path: Path) -> None:
    data = tmp_path / "d"
    with loadmaster.open(data, admin_password="pw") as db:
        tokens = tokens_for(db.serve(), "HDB_ADMIN", "pw")
    assert (data / KEY_FILE).stat().st_mode & 0o777 == 0o600
    past = TokenSigner(load_or_create_key(data), clock=lambda: 0.0).issue(
        "HDB_ADMIN", "operation", 60
    )
    with loadmaster.open(data, admin_password="pw") as db:
        server = db.serve()
        assert (
            bearer(server, tokens["operation_token"]).post({"operation": "describe_all"})[0] == 200
        )
        assert bearer(server, past).post({"operation": "describe_all"}) == INVALID_TOKEN


# --- failed logins ---------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.slept: list[float] = []
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_failed_logins_slow_down_that_user_only(
    instance: Instance, server: BackgroundServer, setup: Users
) -> None:
    reader, loader = setup["reader"], setup["loader"]
    recorder = Recorder()
    instance.users.throttle = LoginThrottle(clock=recorder.clock, sleep=recorder.sleep)
    wrong = Api(server.url, basic("reader", "wrong"))
    for _ in range(7):
        assert wrong.post(READ_DOG) == (401, {"error": "Login failed"})
    assert recorder.slept == [0.5, 1.0]
    assert loader.post(READ_DOG)[0] == 200
    assert Api(server.url, basic("HDB_ADMIN", ADMIN_PASSWORD)).post(READ_DOG)[0] == 200
    assert recorder.slept == [0.5, 1.0]
    assert reader.post(READ_DOG)[0] == 200
    assert recorder.slept == [0.5, 1.0, 2.0]
    assert wrong.post(READ_DOG)[0] == 401
    assert recorder.slept == [0.5, 1.0, 2.0]
