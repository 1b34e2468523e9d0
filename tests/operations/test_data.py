"""Databases, tables and records through the embedded API (same code as HTTP after decoding)."""

import pytest

from loadmaster.errors import (
    InvalidRequestError,
    LoadmasterError,
    NotFoundError,
    PermissionDeniedError,
)
from loadmaster.instance import Instance


def op(instance: Instance, **body: object) -> object:
    return instance.operation(dict(body))


def error_of(instance: Instance, **body: object) -> tuple[int, str]:
    with pytest.raises(LoadmasterError) as caught:
        instance.operation(dict(body))
    return caught.value.status_code, caught.value.message


@pytest.fixture
def dogs(instance: Instance) -> Instance:
    op(instance, operation="create_table", database="dev", table="dog", primary_key="id")
    op(
        instance,
        operation="insert",
        database="dev",
        table="dog",
        records=[
            {"id": 1, "name": "Penny", "age": 5, "breed": "mutt"},
            {"id": 2, "name": "Harper", "age": 3, "breed": "husky"},
            {"id": 3, "name": "Alby", "age": 9, "breed": "husky"},
        ],
    )
    return instance


def test_create_and_drop_database(instance: Instance) -> None:
    assert op(instance, operation="create_database", database="dev") == {
        "message": "database 'dev' successfully created"
    }
    assert error_of(instance, operation="create_database", database="dev") == (
        400,
        "database 'dev' already exists",
    )
    assert op(instance, operation="drop_schema", schema="dev") == {
        "message": "successfully deleted 'dev'"
    }
    assert error_of(instance, operation="drop_database", database="dev") == (
        404,
        "database 'dev' does not exist",
    )


def test_create_table_rules(instance: Instance) -> None:
    assert op(instance, operation="create_table", table="cat", hash_attribute="id") == {
        "message": "table 'data.cat' successfully created."
    }
    assert error_of(instance, operation="create_table", table="cat", primary_key="id") == (
        400,
        "Table 'cat' already exists in 'data'",
    )
    assert error_of(instance, operation="create_table", table="x") == (
        400,
        "'primary_key' is required",
    )
    assert error_of(instance, operation="create_table", primary_key="id") == (
        400,
        "'table' is required",
    )
    status, message = error_of(instance, operation="create_table", table="a/b", primary_key="id")
    assert (status, message) == (400, "Table names cannot include backticks or forward slashes")


def test_insert_skips_existing_and_reports(dogs: Instance) -> None:
    answer = op(
        dogs,
        operation="insert",
        database="dev",
        table="dog",
        records=[{"id": 1, "name": "again"}, {"id": 4, "name": "Four"}],
    )
    assert answer == {
        "message": "inserted 1 of 2 records",
        "inserted_hashes": [4],
        "skipped_hashes": [1],
    }
    found = op(dogs, operation="search_by_id", database="dev", table="dog", ids=[1])
    assert isinstance(found, list)
    assert found[0]["name"] == "Penny"


def test_insert_without_ids_generates_them(dogs: Instance) -> None:
    answer = op(dogs, operation="insert", database="dev", table="dog", records=[{"name": "anon"}])
    assert answer == {
        "message": "inserted 1 of 1 records",
        "inserted_hashes": [None],
        "skipped_hashes": [],
    }
    found = op(
        dogs,
        operation="search_by_value",
        database="dev",
        table="dog",
        search_attribute="name",
        search_value="anon",
    )
    assert isinstance(found, list)
    assert isinstance(found[0]["id"], int)


def test_update_merges_and_skips_missing(dogs: Instance) -> None:
    answer = op(
        dogs,
        operation="update",
        database="dev",
        table="dog",
        records=[{"id": 1, "age": 6}, {"id": 99, "age": 1}],
    )
    assert answer == {
        "message": "updated 1 of 2 records",
        "update_hashes": [1],
        "skipped_hashes": [99],
    }
    # ops-more §9: search_by_hash requires get_attributes (500 without).
    found = op(
        dogs,
        operation="search_by_hash",
        database="dev",
        table="dog",
        hash_values=[1],
        get_attributes=["*"],
    )
    assert isinstance(found, list)
    assert (found[0]["name"], found[0]["age"]) == ("Penny", 6)
    assert error_of(
        dogs, operation="update", database="dev", table="dog", records=[{"age": 1}]
    ) == (
        400,
        "a valid hash attribute must be provided with update record, check log for more info",
    )


def test_upsert_and_delete(dogs: Instance) -> None:
    answer = op(
        dogs,
        operation="upsert",
        database="dev",
        table="dog",
        records=[{"id": 1, "age": 7}, {"id": 5, "name": "Five"}],
    )
    assert answer == {"message": "upserted 2 of 2 records", "upserted_hashes": [1, 5]}
    answer = op(dogs, operation="delete", database="dev", table="dog", ids=[5, 77])
    assert answer == {
        "message": "2 of 2 records successfully deleted",
        "deleted_hashes": [5, 77],
        "skipped_hashes": [],
    }
    answer = op(dogs, operation="delete", database="dev", table="dog", hash_values=[2])
    assert isinstance(answer, dict)
    assert answer["message"] == "1 of 1 record successfully deleted"
    assert op(dogs, operation="search_by_id", database="dev", table="dog", ids=[2, 5]) == []


def test_missing_table_statuses_differ_by_operation(instance: Instance) -> None:
    assert error_of(instance, operation="insert", table="nope", records=[]) == (
        400,
        "Table 'data.nope' does not exist",
    )
    assert error_of(instance, operation="insert", database="nodb", table="t", records=[]) == (
        400,
        "database 'nodb' does not exist",
    )
    assert error_of(instance, operation="describe_table", table="nope")[0] == 404
    missing = {"table": "nope", "hash_values": [1], "get_attributes": ["*"]}
    assert error_of(instance, operation="search_by_hash", **missing)[0] == 404
    assert error_of(instance, operation="drop_table", table="nope")[0] == 404


def test_records_checks(dogs: Instance) -> None:
    assert error_of(dogs, operation="insert", database="dev", table="dog") == (
        400,
        "'records' is required",
    )
    assert error_of(dogs, operation="insert", database="dev", table="dog", records={}) == (
        400,
        "'records' must be an array",
    )
    assert error_of(
        dogs, operation="insert", database="dev", table="dog", records=[{"a/b": 1}]
    ) == (400, "Attribute names cannot include backticks or forward slashes")


def test_search_by_value_wildcards_and_get_attributes(dogs: Instance) -> None:
    def names(value: object) -> list[str]:
        found = op(
            dogs,
            operation="search_by_value",
            database="dev",
            table="dog",
            search_attribute="name",
            search_value=value,
            get_attributes=["id", "name"],
        )
        assert isinstance(found, list)
        return sorted(r["name"] for r in found)

    assert names("*") == ["Alby", "Harper", "Penny"]
    assert names("H*") == ["Harper"]
    assert names("*y") == ["Alby", "Penny"]
    assert names("*nn*") == ["Penny"]
    assert names("Alby") == ["Alby"]


def test_star_attributes_are_null_filled_in_table_order(dogs: Instance) -> None:
    op(dogs, operation="insert", database="dev", table="dog", records=[{"id": 10, "x": 1}])
    found = op(dogs, operation="search_by_id", database="dev", table="dog", ids=[10])
    assert isinstance(found, list)
    keys = list(found[0])
    assert keys[:3] == ["id", "__createdtime__", "__updatedtime__"]
    assert keys[3:] == ["name", "age", "breed", "x"]
    assert found[0]["name"] is None


def test_search_by_conditions(dogs: Instance) -> None:
    found = op(
        dogs,
        operation="search_by_conditions",
        database="dev",
        table="dog",
        operator="and",
        conditions=[
            {"search_attribute": "breed", "search_type": "equals", "search_value": "husky"},
            {"search_attribute": "age", "search_type": "greater_than", "search_value": 4},
        ],
        get_attributes=["name"],
    )
    assert found == [{"name": "Alby"}]
    found = op(
        dogs,
        operation="search_by_conditions",
        database="dev",
        table="dog",
        operator="or",
        conditions=[
            {"search_attribute": "age", "search_type": "between", "search_value": [4, 6]},
            {
                "operator": "and",
                "conditions": [
                    {"search_attribute": "name", "search_type": "starts_with", "search_value": "A"}
                ],
            },
        ],
        sort={"attribute": "age", "descending": True},
        get_attributes=["name", "age"],
    )
    assert found == [{"name": "Alby", "age": 9}, {"name": "Penny", "age": 5}]
    status, message = error_of(
        dogs,
        operation="search_by_conditions",
        database="dev",
        table="dog",
        conditions=[{"search_attribute": "age", "search_type": "bigger", "search_value": 1}],
    )
    # ops-more §8.2: HarperDB's wording (this was loadmaster's own list of the types).
    assert (status, message) == (400, 'Unknown query comparator "bigger"')


def test_describe_table_and_attributes(dogs: Instance) -> None:
    described = op(dogs, operation="describe_table", database="dev", table="dog")
    assert isinstance(described, dict)
    assert described["schema"] == "dev"
    assert described["name"] == "dog"
    assert described["hash_attribute"] == "id"
    assert described["record_count"] == 3
    assert [a["attribute"] for a in described["attributes"]] == [
        "id",
        "__createdtime__",
        "__updatedtime__",
        "name",
        "age",
        "breed",
    ]
    assert op(
        dogs, operation="create_attribute", database="dev", table="dog", attribute="color"
    ) == {"message": "attribute 'dev.dog.color' successfully created."}
    assert op(dogs, operation="drop_attribute", database="dev", table="dog", attribute="ghost") == {
        "message": "successfully deleted attribute 'ghost'"
    }
    everything = op(dogs, operation="describe_all")
    assert isinstance(everything, dict)
    assert list(everything) == ["dev"]
    assert list(everything["dev"]) == ["dog"]


def test_unknown_operation_and_bad_body(instance: Instance) -> None:
    # delete_job exists since issue 12; update_job is still unrouted, as in HarperDB.
    assert error_of(instance, operation="update_job", id="x") == (
        400,
        "Operation 'update_job' not found",
    )
    with pytest.raises(InvalidRequestError, match="must include an 'operation'"):
        instance.operation({"table": "x"})


def test_system_database_is_reserved(instance: Instance) -> None:
    # ops-more §6.3: HarperDB's 403 refusal (this was a 400 of loadmaster's own wording).
    with pytest.raises(PermissionDeniedError) as refused:
        instance.operation({"operation": "drop_database", "database": "system"})
    assert refused.value.status_code == 403
    assert refused.value.body() == {
        "error": "The 'system' database, tables and records are used internally by HarperDB "
        "and cannot be updated or removed."
    }
    with pytest.raises(NotFoundError):
        instance.operation({"operation": "describe_database", "database": "nowhere"})
