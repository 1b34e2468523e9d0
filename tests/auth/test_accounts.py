"""Users and roles through the operations, in-process: answers, errors, invariants."""

from typing import Any

import pytest

from loadmaster.errors import AuthenticationError, LoadmasterError
from loadmaster.instance import Instance
from tests.conftest import ADMIN_PASSWORD

READER = {
    "super_user": False,
    "data": {
        "tables": {
            "dog": {
                "read": True,
                "insert": False,
                "update": False,
                "delete": False,
                "attribute_permissions": [],
            }
        }
    },
}


def system_tables(*, read: bool) -> dict[str, Any]:
    """The system entry HarperDB shows in a user's role (ops-more §5.6)."""
    grant = {"read": read, "insert": False, "update": False, "delete": False}
    tables = ("hdb_role", "hdb_user", "hdb_job")
    return {"tables": {t: {**grant, "attribute_permissions": []} for t in tables}}


@pytest.fixture
def db(instance: Instance) -> Instance:
    instance.operation({"operation": "create_table", "table": "dog", "primary_key": "id"})
    return instance


def refusal(db: Instance, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    with pytest.raises(LoadmasterError) as caught:
        db.operation(body)
    return caught.value.status_code, caught.value.body()


def add_reader(db: Instance, name: str = "reader") -> dict[str, Any]:
    answer: dict[str, Any] = db.operation(
        {"operation": "add_role", "role": name, "permission": READER}
    )
    return answer


def add_user(db: Instance, username: str, role: str = "reader", active: bool = True) -> None:
    db.operation(
        {
            "operation": "add_user",
            "username": username,
            "password": f"{username}-pw",
            "role": role,
            "active": active,
        }
    )


def test_add_role_answers_with_the_record(db: Instance) -> None:
    answer = add_reader(db)
    assert list(answer) == ["role", "permission", "id", "__updatedtime__", "__createdtime__"]
    assert (answer["role"], answer["permission"]) == ("reader", READER)
    assert answer in db.operation({"operation": "list_roles"})
    given = db.operation(
        {"operation": "add_role", "role": "r2", "id": "r2-id", "permission": READER}
    )
    assert given["id"] == "r2-id"


def test_role_names_are_unique(db: Instance) -> None:
    add_reader(db)
    assert refusal(db, {"operation": "add_role", "role": "reader", "permission": READER}) == (
        409,
        {"error": "A role with name 'reader' already exists"},
    )


def test_alter_and_drop_role(db: Instance) -> None:
    role_id = add_reader(db)["id"]
    altered = db.operation(
        {"operation": "alter_role", "id": role_id, "role": "viewer", "permission": READER}
    )
    assert (altered["id"], altered["role"]) == (role_id, "viewer")
    assert refusal(db, {"operation": "alter_role", "id": "nope", "permission": READER}) == (
        400,
        {"error": "Invalid role id"},
    )
    assert db.operation({"operation": "drop_role", "id": role_id}) == {
        "message": "viewer successfully deleted"
    }
    assert refusal(db, {"operation": "drop_role", "id": role_id}) == (
        404,
        {"error": "Role not found"},
    )
    assert refusal(db, {"operation": "drop_role"}) == (
        400,
        {"statusCode": 400, "error": "Bad Request", "message": "Id can't be blank"},
    )


def test_a_role_held_by_an_active_user_cannot_be_dropped(db: Instance) -> None:
    role_id = add_reader(db)["id"]
    add_user(db, "bob")
    assert refusal(db, {"operation": "drop_role", "id": role_id}) == (
        409,
        {"error": "Cannot drop role reader as it has active user(s) tied to this role"},
    )
    db.operation({"operation": "alter_user", "username": "bob", "active": False})
    assert db.operation({"operation": "drop_role", "id": role_id}) == {
        "message": "reader successfully deleted"
    }


def test_add_user_answers_and_errors(db: Instance) -> None:
    add_reader(db)
    body = {"operation": "add_user", "username": "bob", "password": "pw", "active": True}
    assert db.operation({**body, "role": "reader"}) == {"message": "bob successfully added"}
    assert refusal(db, {**body, "role": "reader"}) == (409, {"error": "User bob already exists"})
    assert refusal(db, {**body, "username": "eve", "role": "ghost"}) == (
        404,
        {"error": "ghost role not found"},
    )
    assert refusal(db, {**body, "username": "eve", "role": "reader", "password": ""}) == (
        400,
        {"error": "Password can't be blank"},
    )
    assert refusal(db, {"operation": "add_user", "active": "yes"}) == (
        400,
        {
            "error": "Username can't be blank,Password can't be blank,Role can't be blank,"
            "Active must be a boolean"
        },
    )


def test_users_are_listed_without_secrets(db: Instance) -> None:
    role = add_reader(db)
    add_user(db, "bob")
    db.operation(
        {"operation": "create_authentication_tokens", "username": "bob", "password": "bob-pw"}
    )
    users = {u["username"]: u for u in db.operation({"operation": "list_users"})}
    bob = users["bob"]
    assert list(bob)[:3] == ["username", "active", "role"]
    assert bob["role"] == {**role, "permission": {**READER, "system": system_tables(read=False)}}
    assert bob["active"] is True
    assert "password" not in bob
    assert "refresh_token" not in bob
    assert users["HDB_ADMIN"]["role"]["permission"] == {
        "super_user": True,
        "system": system_tables(read=True),
    }


def test_user_info_describes_the_caller(db: Instance) -> None:
    add_reader(db)
    add_user(db, "bob")
    bob = db.users.authenticate("bob", "bob-pw")
    info = db.operation({"operation": "user_info"}, user=bob)
    assert list(info) == ["active", "username", "role"]
    assert (info["active"], info["username"]) == (True, "bob")
    assert list(info["role"]) == ["permission", "role", "id", "__updatedtime__", "__createdtime__"]
    assert info["role"]["permission"] == {**READER, "system": system_tables(read=False)}


def test_alter_user_changes_password_role_and_active(db: Instance) -> None:
    add_reader(db)
    add_reader(db, "other")
    add_user(db, "bob")
    assert db.users.authenticate("bob", "bob-pw").username == "bob"
    answer = db.operation(
        {"operation": "alter_user", "username": "bob", "password": "new", "role": "other"}
    )
    assert answer == {
        "message": "updated 1 of 1 records",
        "txn_time": 0,
        "update_hashes": ["bob"],
        "skipped_hashes": [],
    }
    with pytest.raises(AuthenticationError, match=r"^Login failed$"):
        db.users.authenticate("bob", "bob-pw")
    bob = db.users.authenticate("bob", "new")
    assert bob.role is not None
    assert bob.role.role == "other"
    db.operation({"operation": "alter_user", "username": "bob", "active": False})
    with pytest.raises(AuthenticationError, match=r"^Cannot complete request: User is inactive$"):
        db.users.authenticate("bob", "new")


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({}, 400, "username is required"),
        # ops-more §9: HarperDB answers these two with a 500.
        (
            {"username": "bob"},
            500,
            "nothing to update, must supply active, role or password to update",
        ),
        ({"username": "bob", "password": " "}, 400, "password cannot be an empty string"),
        ({"username": "bob", "active": "no"}, 400, "active must be true or false"),
        (
            {"username": "bob", "role": "", "active": True},
            500,
            "If role is specified, it cannot be empty.",
        ),
        (
            {"username": "bob", "role": "ghost"},
            404,
            "Update failed.  Requested 'ghost' role not found.",
        ),
    ],
)
def test_alter_user_errors(db: Instance, body: dict[str, Any], status: int, error: str) -> None:
    add_reader(db)
    add_user(db, "bob")
    assert refusal(db, {"operation": "alter_user", **body}) == (status, {"error": error})


def test_drop_user(db: Instance) -> None:
    add_reader(db)
    add_user(db, "bob")
    db.users.authenticate("bob", "bob-pw")  # now cached
    assert db.operation({"operation": "drop_user", "username": "bob"}) == {
        "message": "bob successfully deleted"
    }
    with pytest.raises(AuthenticationError, match=r"^Login failed$"):
        db.users.authenticate("bob", "bob-pw")
    assert refusal(db, {"operation": "drop_user", "username": "bob"}) == (
        404,
        {"error": "User bob does not exist"},
    )


def test_the_last_active_super_user_is_kept(db: Instance) -> None:
    last = (
        409,
        {
            "error": "Rejected: this change would leave the instance with no active super_user. "
            "Grant super_user to another active user first."
        },
    )
    add_reader(db)
    assert refusal(db, {"operation": "drop_user", "username": "HDB_ADMIN"}) == last
    assert (
        refusal(db, {"operation": "alter_user", "username": "HDB_ADMIN", "active": False}) == last
    )
    assert (
        refusal(db, {"operation": "alter_user", "username": "HDB_ADMIN", "role": "reader"}) == last
    )
    assert (
        refusal(
            db, {"operation": "alter_role", "id": "super_user", "permission": {"super_user": False}}
        )
        == last
    )
    add_user(db, "root", role="super_user")
    assert db.operation({"operation": "drop_user", "username": "HDB_ADMIN"}) == {
        "message": "HDB_ADMIN successfully deleted"
    }
    assert db.users.authenticate("root", "root-pw").super_user


def test_user_and_role_changes_clear_cached_credentials(db: Instance) -> None:
    role_id = add_reader(db)["id"]
    add_user(db, "bob")
    before = db.users.authenticate("bob", "bob-pw")
    assert before.role is not None
    assert before.role.permission == READER
    writer = {"super_user": False, "structure_user": True}
    db.operation({"operation": "alter_role", "id": role_id, "permission": writer})
    after = db.users.authenticate("bob", "bob-pw")
    assert after.role is not None
    assert after.role.permission == writer


def test_passwords_are_stored_only_as_salted_scrypt(db: Instance) -> None:
    add_reader(db)
    add_user(db, "bob")
    add_user(db, "eve")
    db.operation({"operation": "alter_user", "username": "eve", "password": "bob-pw"})
    records = {r["username"]: r for r in db.store.table("system", "hdb_user").scan()}
    assert records["bob"]["password"].startswith("scrypt$")
    assert records["bob"]["password"] != records["eve"]["password"]
    assert ADMIN_PASSWORD not in str(records)
    assert "bob-pw" not in str(records)
