"""Permissions of restricted roles and the system database rules (sql spec §13, §14)."""

from typing import Any

from loadmaster.instance import Instance
from tests.sql.conftest import answer, role_user

GENERIC = "This operation is not authorized due to role restrictions and/or invalid database items"
SYSTEM_TEXT = (
    "The 'system' database, tables and records are used internally by HarperDB and cannot be "
    "updated or removed."
)


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


ROLE = {
    "sqlp": {
        "tables": {
            "strs": table(insert=True),
            "breed": table(read=True, attributes=[attr("name", read=True)]),
            "dog": table(
                read=True,
                insert=True,
                update=True,
                attributes=[
                    attr("dog_name", read=True, insert=True, update=True),
                    attr("age", read=True),
                    attr("weight_lbs", insert=True),
                ],
            ),
        }
    },
    "sqlq": {"tables": {"owner": table(read=True, attributes=[attr("name")])}},
}
USER = role_user(ROLE)


def refused(unauthorized: list[Any] | None = None, invalid: list[str] | None = None) -> Any:
    body = {
        "error": GENERIC,
        "unauthorized_access": unauthorized or [],
        "invalid_schema_items": invalid or [],
    }
    return 403, body


def needs(db: str, t: str, *perms: str) -> dict[str, Any]:
    return {
        "schema": db,
        "table": t,
        "required_table_permissions": list(perms),
        "required_attribute_permissions": [],
    }


def test_restricted_role(dogs: Instance) -> None:
    cases = {
        "SELECT * FROM sqlp.strs": refused([needs("sqlp", "strs", "read")]),
        "SELECT * FROM sqlp.nums": refused(invalid=["Table 'sqlp.nums' does not exist"]),
        "SELECT * FROM sqlp.nosuch": refused(invalid=["Table 'sqlp.nosuch' does not exist"]),
        "SELECT * FROM nodb.t": refused(invalid=["database 'nodb' does not exist"]),
        "SELECT id FROM sqlp.dog WHERE owner_id = 1": refused(
            invalid=["Attribute 'owner_id' does not exist on 'sqlp.dog'"]
        ),
        "SELECT weight_lbs FROM sqlp.dog": refused(
            [
                {
                    "schema": "sqlp",
                    "table": "dog",
                    "required_table_permissions": [],
                    "required_attribute_permissions": [
                        {"attribute_name": "weight_lbs", "required_permissions": ["read"]}
                    ],
                }
            ]
        ),
        "SELECT * FROM sqlq.owner": [],
        "SELECT 1 + 1 AS two": [{"two": 2}],
        "SELECT * FROM dog": [],
        "INSERT INTO sqlp.dog (id, dog_name) VALUES (99, 'x')": {
            "message": "inserted 1 of 1 records",
            "inserted_hashes": [99],
            "skipped_hashes": [],
        },
        "INSERT INTO sqlp.dog (id, brandnew) VALUES (98, 'x')": refused(
            invalid=["Attribute 'brandnew' does not exist on 'sqlp.dog'"]
        ),
        "INSERT INTO sqlp.dog (id, __updatedtime__) VALUES (97, 1)": refused(
            invalid=["Attribute '__updatedtime__' does not exist on 'sqlp.dog'"]
        ),
        "INSERT INTO sqlp.breed (id, name) VALUES (98, 'x')": refused(
            [needs("sqlp", "breed", "insert")]
        ),
        "UPDATE sqlp.dog SET dog_name = 'y' WHERE owner_id = 1": refused(
            invalid=["Attribute 'owner_id' does not exist on 'sqlp.dog'"]
        ),
        "DELETE FROM sqlp.dog WHERE id = 1": refused([needs("sqlp", "dog", "delete")]),
        "SELECT * FROM system.hdb_user": refused([needs("system", "hdb_user", "read")]),
        "UPDATE system.hdb_user SET active = false": (403, {"error": SYSTEM_TEXT}),
    }
    assert {sql: answer(dogs, sql, USER) for sql in cases} == cases


def test_star_is_narrowed(dogs: Instance) -> None:
    breeds = answer(dogs, "SELECT * FROM sqlp.breed", USER)
    assert breeds[0] == {"name": "LABRADOR", "id": 1}
    [dog] = answer(dogs, "SELECT * FROM sqlp.dog WHERE id = 1", USER)
    assert dog == {"dog_name": "Harper", "age": 5, "id": 1}
    stamps = role_user(
        {
            "sqlp": {
                "tables": {
                    "breed": table(
                        read=True,
                        attributes=[
                            attr("__createdtime__", read=True),
                            attr("name", read=True),
                            attr("id", read=True),
                        ],
                    )
                }
            }
        }
    )
    [breed] = answer(dogs, "SELECT * FROM sqlp.breed WHERE id = 1", stamps)
    assert list(breed) == ["id", "__createdtime__", "name"]


def test_cross_database_join_lists_table_and_attribute_problems(dogs: Instance) -> None:
    found = answer(
        dogs,
        "SELECT d.dog_name, o.name FROM sqlp.dog d JOIN sqlq.owner o ON d.owner_id = o.id",
        USER,
    )
    assert found == refused(
        invalid=[
            "Attribute 'owner_id' does not exist on 'sqlp.dog'",
            "Attribute 'name' does not exist on 'sqlq.owner'",
            "Attribute 'id' does not exist on 'sqlq.owner'",
        ]
    )
    mixed = answer(
        dogs, "SELECT d.dog_name FROM sqlp.dog d JOIN sqlq.owner o ON d.dog_name = o.name", USER
    )
    assert mixed == refused(invalid=["Attribute 'name' does not exist on 'sqlq.owner'"])


def test_timestamps_listed_by_the_role(dogs: Instance) -> None:
    user = role_user(
        {
            "sqlp": {
                "tables": {
                    "breed": table(
                        read=True,
                        insert=True,
                        attributes=[
                            attr("__createdtime__", read=True),
                            attr("name", read=True, insert=True),
                        ],
                    )
                }
            }
        }
    )
    assert answer(dogs, "INSERT INTO sqlp.breed (id, __createdtime__) VALUES (50, 1)", user) == (
        403,
        {
            "error": "Internal timestamp attributes - '__createdtime_' and '__updatedtime__' - "
            "cannot be inserted to or updated by HDB users."
        },
    )
    unlimited = role_user({"sqlp": {"tables": {"breed": table(read=True, insert=True)}}})
    inserted = answer(
        dogs, "INSERT INTO sqlp.breed (id, __createdtime__) VALUES (51, 1)", unlimited
    )
    assert inserted["inserted_hashes"] == [51]


def test_system_database_for_super_users(dogs: Instance) -> None:
    users = answer(dogs, "SELECT username, active, role FROM system.hdb_user")
    assert users == [{"username": "HDB_ADMIN", "active": True, "role": "super_user"}]
    [admin] = answer(dogs, "SELECT * FROM system.hdb_user")
    assert "password" not in admin
    assert answer(dogs, "SELECT * FROM system.nosuch") == refused(
        invalid=["Table 'system.nosuch' does not exist"]
    )
    assert answer(dogs, "INSERT INTO system.hdb_nodes (name) VALUES ('x')") == refused(
        [needs("system", "hdb_nodes", "insert")]
    )
    assert answer(dogs, "DELETE FROM system.hdb_user") == (403, {"error": SYSTEM_TEXT})
