"""The data set of the sql spec's examples, in a real instance over a temp dir."""

from collections.abc import Callable
from typing import Any

import pytest

from loadmaster.errors import LoadmasterError
from loadmaster.instance import Instance
from loadmaster.models import Role, User

DOGS = [
    {
        "id": 5,
        "dog_name": "Kato",
        "age": 5,
        "breed_id": 1,
        "owner_id": 2,
        "weight_lbs": 40,
        "adorable": True,
        "birth": "2019-07-01",
    },
    {
        "id": 3,
        "dog_name": "Sam",
        "age": 4,
        "breed_id": 9,
        "owner_id": 1,
        "weight_lbs": 30,
        "adorable": True,
        "birth": "2018-01-15",
    },
    {
        "id": 10,
        "dog_name": "Penny",
        "age": 6,
        "breed_id": 3,
        "owner_id": 3,
        "weight_lbs": 50,
        "adorable": False,
        "birth": "2017-03-03",
    },
    {
        "id": 1,
        "dog_name": "Harper",
        "age": 5,
        "breed_id": 1,
        "owner_id": 2,
        "weight_lbs": 55,
        "adorable": True,
        "notes": "the first",
        "info": {"lang": "en", "meta": {"isbn": "x1"}},
        "keywords": [{"name": "superhero"}, {"name": "super power"}, {"name": "cape"}],
    },
    {
        "id": 2,
        "dog_name": "Penny",
        "age": 3,
        "breed_id": 9,
        "owner_id": None,
        "weight_lbs": 60,
        "keywords": [{"name": "garden"}],
    },
    {
        "id": 200,
        "dog_name": "Rosco",
        "age": 7,
        "breed_id": 2,
        "owner_id": 4,
        "weight_lbs": 33,
        "adorable": True,
    },
    {
        "id": 4,
        "dog_name": "Billy",
        "age": 1,
        "breed_id": 3,
        "owner_id": 1,
        "weight_lbs": 25,
        "adorable": True,
        "info": {"lang": "de"},
    },
]
BREEDS = [
    (1, "LABRADOR", "L"),
    (2, "PUG", "S"),
    (3, "BEAGLE", "M"),
    (9, "MUTT", "M"),
    (7, "POODLE", "M"),
]
OWNERS = [(1, "Kyle"), (2, "Zach"), (3, "David"), (4, "Jo")]
STRS = [("b", 3), ("a", 4), ("C", 5), ("011", 6), ("10", -1), ("9", -2), ("aa", 7)]
NUMS = [3, -1, 1.5, 2, 0, 10, 4294967296]

Sql = Callable[..., Any]


def load(instance: Instance) -> None:
    """Create and fill the example tables."""
    run = instance.operation
    for db, table, key in (
        ("sqlp", "dog", "id"),
        ("sqlp", "breed", "id"),
        ("sqlq", "owner", "id"),
        ("sqlp", "strs", "code"),
        ("sqlp", "nums", "id"),
        ("sqlp", "empty", "id"),
        ("call", "aggr", "all"),
    ):
        run({"operation": "create_table", "database": db, "table": table, "primary_key": key})

    def insert(db: str, table: str, records: list[dict[str, Any]]) -> None:
        run({"operation": "insert", "database": db, "table": table, "records": records})

    insert("sqlp", "dog", DOGS)
    insert("sqlp", "breed", [{"id": i, "name": n, "size": s} for i, n, s in BREEDS])
    insert("sqlq", "owner", [{"id": i, "name": n} for i, n in OWNERS])
    insert("sqlp", "strs", [{"code": c, "val": v} for c, v in STRS])
    insert("sqlp", "nums", [{"id": i, "n": 1} for i in NUMS])
    insert("call", "aggr", [{"all": i, "age": i * 10} for i in range(1, 7)])


@pytest.fixture
def dogs(instance: Instance) -> Instance:
    load(instance)
    return instance


def dog_reader(*readable: str) -> dict[str, Any]:
    """Return a permission object reading only ``sqlp.dog`` (only ``readable``, if named)."""
    attributes = [
        {"attribute_name": name, "read": True, "insert": False, "update": False}
        for name in readable
    ]
    table = {"read": True, "insert": False, "update": False, "delete": False}
    return {"sqlp": {"tables": {"dog": {**table, "attribute_permissions": attributes}}}}


def role_user(permission: dict[str, Any], name: str = "limited") -> User:
    """Return a caller holding a role with this permission object."""
    return User(username=name, role=Role(role=name, id=name, permission=permission))


def answer(instance: Instance, sql: Any, user: User | None = None) -> Any:
    """Run a ``sql`` operation; a failure is returned as ``(status, body)``."""
    try:
        return instance.operation({"operation": "sql", "sql": sql}, user=user)
    except LoadmasterError as exc:
        return exc.status_code, exc.body()


def ids(rows: Any, key: str = "id") -> Any:
    """Return the ``key`` of each row (or the error unchanged)."""
    return [r[key] for r in rows] if isinstance(rows, list) else rows


def where(instance: Instance, clause: str, table: str = "sqlp.dog") -> Any:
    """Return the ids ``SELECT id FROM <table> WHERE <clause>`` finds."""
    return ids(answer(instance, f"SELECT id FROM {table} WHERE {clause}"))  # noqa: S608
