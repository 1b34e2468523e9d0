"""add_role / alter_role permission JSON checks: every problem listed, worded as HarperDB."""

from typing import Any

import pytest

from loadmaster.errors import LoadmasterError
from loadmaster.instance import Instance

PERMS_ERROR = "Errors in the role permissions JSON provided"


@pytest.fixture
def db(instance: Instance) -> Instance:
    instance.operation({"operation": "create_table", "table": "dog", "primary_key": "id"})
    instance.operation({"operation": "insert", "table": "dog", "records": [{"id": 1, "name": "a"}]})
    return instance


def refusal(db: Instance, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    with pytest.raises(LoadmasterError) as caught:
        db.operation(body)
    return caught.value.status_code, caught.value.body()


def table(**overrides: Any) -> dict[str, Any]:
    grant: dict[str, Any] = {
        "read": True,
        "insert": True,
        "update": True,
        "delete": True,
        "attribute_permissions": [],
    }
    grant.update(overrides)
    return grant


def test_unknown_attribute_is_listed_under_its_table(db: Instance) -> None:
    permission = {
        "super_user": False,
        "data": {
            "tables": {
                "dog": table(
                    attribute_permissions=[
                        {"attribute_name": "nope", "read": True, "insert": True, "update": True}
                    ]
                )
            }
        },
    }
    assert refusal(db, {"operation": "add_role", "role": "r", "permission": permission}) == (
        400,
        {
            "error": PERMS_ERROR,
            "main_permissions": [],
            "schema_permissions": {
                "data_dog": ["Invalid attribute 'nope' in 'attribute_permissions'"]
            },
        },
    )


def test_every_problem_is_gathered(db: Instance) -> None:
    permission = {
        "super_user": "yes",
        "cluster_user": 1,
        "structure_user": "x",
        "nodb": {"tables": {}},
        "data": {
            "tables": {
                "cat": table(),
                "dog": {
                    "read": "true",
                    "bogus": True,
                    "attribute_permissions": [
                        {"attribute_name": "name", "read": True, "insert": 1, "color": True},
                        {"read": True},
                    ],
                },
            }
        },
    }
    status, body = refusal(db, {"operation": "add_role", "permission": permission})
    assert status == 400
    assert body["main_permissions"] == [
        "Role can't be blank",
        "Value for 'super_user' permission must be a boolean",
        "Value for 'cluster_user' permission must be a boolean",
        "Value for 'structure_user' permission must be a boolean or Array",
        "database 'nodb' does not exist",
        "Table 'data.cat' does not exist",
    ]
    assert body["schema_permissions"] == {
        "data_dog": [
            "Invalid table permission key value 'bogus'",
            "Table READ permission must be a boolean",
            "Missing table INSERT permission",
            "Missing table UPDATE permission",
            "Missing table DELETE permission",
            "Invalid attribute permission key value 'color'",
            "INSERT attribute permission for 'name' must be a boolean",
            "UPDATE attribute permission missing for 'name'",
            "Permission object in 'attribute_permission' missing an 'attribute_name'",
        ]
    }


@pytest.mark.parametrize(
    ("permission", "main", "tables"),
    [
        (None, ["Permission can't be blank"], {}),
        ("all", ["Value for 'permission' must be an object of role and database permissions"], {}),
        (
            {"super_user": True, "data": {"tables": {}}},
            ["Roles with 'super_user' set to true cannot have other permissions set."],
            {},
        ),
        ({"system": {"tables": {}}}, ["database 'system' does not exist"], {}),
        ({"structure_user": ["data", "nodb"]}, ["database 'nodb' does not exist"], {}),
        (
            {
                "data": {
                    "tables": {
                        "dog": {"read": True, "insert": True, "update": True, "delete": True}
                    }
                }
            },
            [],
            {"data_dog": ["Missing 'attribute_permissions' array"]},
        ),
        (
            {"data": {"tables": {"dog": table(attribute_permissions={})}}},
            [],
            {"data_dog": ["Value for 'attribute_permissions' must be an array"]},
        ),
        (
            {
                "data": {
                    "tables": {
                        "dog": table(
                            update=False,
                            attribute_permissions=[
                                {
                                    "attribute_name": "name",
                                    "read": True,
                                    "insert": True,
                                    "update": True,
                                }
                            ],
                        )
                    }
                }
            },
            [],
            {
                "data_dog": [
                    "You have a conflict with TABLE permissions for 'data.dog' being false and "
                    "ATTRIBUTE permissions being true"
                ]
            },
        ),
    ],
)
def test_permission_shapes(
    db: Instance, permission: Any, main: list[str], tables: dict[str, list[str]]
) -> None:
    body = {"operation": "add_role", "role": "r", "permission": permission}
    assert refusal(db, body) == (
        400,
        {"error": PERMS_ERROR, "main_permissions": main, "schema_permissions": tables},
    )


def test_role_names_and_ids_must_be_word_characters(db: Instance) -> None:
    body = {"operation": "add_role", "role": "a b", "id": "x/y", "permission": {}}
    assert refusal(db, body)[1]["main_permissions"] == ["Role is invalid", "Id is invalid"]


def test_alter_role_needs_an_id(db: Instance) -> None:
    body = {"operation": "alter_role", "permission": {"super_user": False}}
    assert refusal(db, body)[1]["main_permissions"] == ["Id can't be blank"]


def test_valid_shapes_are_accepted(db: Instance) -> None:
    for name, permission in {
        "reader": {"super_user": False, "data": {"tables": {"dog": table(insert=False)}}},
        "structure": {"structure_user": ["data"]},
        "builder": {"structure_user": True},
        "cluster": {"cluster_user": True},
        "nulled": {"data": {"tables": {"dog": table(attribute_permissions=None)}}},
    }.items():
        answer = db.operation({"operation": "add_role", "role": name, "permission": permission})
        assert answer["role"] == name
        assert answer["permission"] == permission
