"""The role model on real tables: visibility, table permissions, attribute rules."""

from typing import Any

import pytest

from loadmaster.auth import permissions as p
from loadmaster.errors import PermissionDeniedError
from loadmaster.instance import Instance
from loadmaster.models import SUPER_ROLE, Role, User
from loadmaster.storage import Table


def user(permission: dict[str, Any]) -> User:
    return User(username="u", role=Role(role="r", id="r", permission=permission))


def grant(attributes: list[dict[str, Any]] | None = None, **crud: bool) -> dict[str, Any]:
    table: dict[str, Any] = {"read": False, "insert": False, "update": False, "delete": False}
    table.update(crud)
    table["attribute_permissions"] = attributes or []
    return table


def attr(name: str, *, read: bool = False, insert: bool = False, update: bool = False) -> Any:
    return {"attribute_name": name, "read": read, "insert": insert, "update": update}


@pytest.fixture
def dog(instance: Instance) -> Table:
    instance.operation({"operation": "create_table", "table": "dog", "primary_key": "id"})
    instance.operation({"operation": "create_table", "table": "cat", "primary_key": "id"})
    instance.operation(
        {"operation": "insert", "table": "dog", "records": [{"id": 1, "name": "a", "age": 2}]}
    )
    return instance.store.table("data", "dog")


def denied(call: Any, *args: Any) -> dict[str, Any]:
    with pytest.raises(PermissionDeniedError) as caught:
        call(*args)
    body = caught.value.body()
    return {k: body[k] for k in ("unauthorized_access", "invalid_schema_items")}


def test_hidden_database_and_table_are_reported_as_missing() -> None:
    reader = user({"data": {"tables": {"dog": grant(read=True), "cat": grant()}}})
    assert denied(p.check_table, reader, "other", "dog", ["read"]) == {
        "unauthorized_access": [],
        "invalid_schema_items": ["database 'other' does not exist"],
    }
    assert denied(p.check_table, reader, "data", "cat", ["read"]) == {
        "unauthorized_access": [],
        "invalid_schema_items": ["Table 'data.cat' does not exist"],
    }
    assert denied(p.check_table, reader, "data", "bird", ["read"])["invalid_schema_items"] == [
        "Table 'data.bird' does not exist"
    ]
    assert not p.database_visible(user({"data": {"tables": {"cat": grant()}}}), "data")


def test_only_missing_table_permissions_are_listed() -> None:
    inserter = user({"data": {"tables": {"dog": grant(insert=True)}}})
    p.check_table(inserter, "data", "dog", ["insert"])
    assert denied(p.check_table, inserter, "data", "dog", ["insert", "update"]) == {
        "unauthorized_access": [
            {
                "schema": "data",
                "table": "dog",
                "required_table_permissions": ["update"],
                "required_attribute_permissions": [],
            }
        ],
        "invalid_schema_items": [],
    }


def test_super_users_and_structure_users_pass() -> None:
    admin = User(username="a", role=SUPER_ROLE)
    p.check_table(admin, "any", "thing", ["delete"])
    builder = user({"structure_user": ["data"]})
    p.check_table(builder, "data", "dog", ["read", "insert", "update", "delete"])
    assert p.structure_allows(builder, "createTable", "data")
    assert not p.structure_allows(builder, "createTable", "other")
    assert not p.structure_allows(builder, "createSchema", "data")
    assert p.structure_allows(user({"structure_user": True}), "dropSchema", "x")
    assert not p.structure_allows(builder, "addUser", "data")


def test_attribute_rules_hide_unlisted_and_new_attributes(dog: Table) -> None:
    role = user(
        {
            "data": {
                "tables": {
                    "dog": grant([attr("name", read=True, insert=True)], read=True, insert=True)
                }
            }
        }
    )
    p.check_attribute_write(role, dog, ["id", "name", "__createdtime__"], "insert")
    assert denied(p.check_attribute_write, role, dog, ["name", "age", "color"], "insert") == {
        "unauthorized_access": [],
        "invalid_schema_items": [
            "Attribute 'age' does not exist on 'data.dog'",
            "Attribute 'color' does not exist on 'data.dog'",
        ],
    }
    assert denied(p.check_attribute_write, role, dog, ["name"], "upsert") == {
        "unauthorized_access": [
            {
                "schema": "data",
                "table": "dog",
                "required_table_permissions": [],
                "required_attribute_permissions": [
                    {"attribute_name": "name", "required_permissions": ["update"]}
                ],
            }
        ],
        "invalid_schema_items": [],
    }


def test_records_are_checked_by_the_union_of_their_attributes(dog: Table) -> None:
    role = user(
        {"data": {"tables": {"dog": grant([attr("name", insert=True)], read=True, insert=True)}}}
    )
    p.check_records_write(role, dog, [{"id": 1}, {"name": "a", "__updatedtime__": 1}], "insert")
    assert denied(p.check_records_write, role, dog, [{"id": 1}, {"age": 2}], "insert") == {
        "unauthorized_access": [],
        "invalid_schema_items": ["Attribute 'age' does not exist on 'data.dog'"],
    }

    class Untouchable:
        def __iter__(self) -> Any:
            raise AssertionError("records were read although attributes are not limited")

    free = user({"data": {"tables": {"dog": grant(insert=True)}}})
    p.check_records_write(free, dog, Untouchable(), "insert")


def test_without_attribute_permissions_every_attribute_follows_the_table(dog: Table) -> None:
    role = user({"data": {"tables": {"dog": grant(read=True, insert=True)}}})
    assert p.table_rules(role, dog) is None
    p.check_attribute_write(role, dog, ["brand_new"], "insert")
    assert p.readable_attributes(role, dog, ["*"]) == ["*"]


def test_star_reads_only_readable_attributes_and_the_primary_key(dog: Table) -> None:
    role = user({"data": {"tables": {"dog": grant([attr("age", read=True)], read=True)}}})
    assert p.readable_attributes(role, dog, ["*"]) == ["id", "age"]
    assert p.readable_attributes(role, dog, ["age"]) == ["age"]
    stamped = user(
        {
            "data": {
                "tables": {
                    "dog": grant(
                        [attr("age", read=True), attr("__createdtime__", read=True)], read=True
                    )
                }
            }
        }
    )
    assert p.readable_attributes(stamped, dog, ["*"]) == ["id", "__createdtime__", "age"]
    admin = User(username="a", role=SUPER_ROLE)
    assert p.readable_attributes(admin, dog, ["*"]) == ["*"]


def test_timestamps_are_read_only_even_when_granted(dog: Table) -> None:
    role = user(
        {
            "data": {
                "tables": {
                    "dog": grant(
                        [attr("__updatedtime__", read=True, insert=True, update=True)],
                        read=True,
                        insert=True,
                        update=True,
                    )
                }
            }
        }
    )
    rules = p.table_rules(role, dog)
    assert rules is not None
    assert rules.rule("__updatedtime__") == p.AttributeRule(read=True)


def test_describe_shows_only_visible_tables_and_attributes(instance: Instance, dog: Table) -> None:
    role = user(
        {"data": {"tables": {"dog": grant([attr("name", read=True)], read=True), "cat": grant()}}}
    )
    described = {n: instance.store.table("data", n).describe() for n in ("dog", "cat")}
    shown = p.visible_tables(role, "data", described)
    assert list(shown) == ["dog"]
    assert [a["attribute"] for a in shown["dog"]["attributes"]] == ["id", "name"]
    assert p.visible_databases(role, ["data", "other"]) == ["data"]
    admin = User(username="a", role=SUPER_ROLE)
    assert p.visible_tables(admin, "data", described) is described
