"""The ``sql`` operation over real HTTP (HTTP/1.1 and h2c) against a real Hypercorn server."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from loadmaster.instance import Instance
from loadmaster.server.serve import BackgroundServer
from tests.conftest import ADMIN_AUTH, basic
from tests.sql.conftest import dog_reader

pytestmark = pytest.mark.e2e

READ_DOGS = dog_reader("dog_name")


@pytest.fixture
def server(dogs: Instance) -> BackgroundServer:
    return dogs.serve("127.0.0.1", 0)


@pytest.fixture
def client(server: BackgroundServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers={"authorization": ADMIN_AUTH}) as http:
        yield http


def test_select_over_h2c(server: BackgroundServer) -> None:
    with httpx.Client(
        base_url=server.url, http1=False, http2=True, headers={"authorization": ADMIN_AUTH}
    ) as h2:
        response = h2.post("/", json={"operation": "sql", "sql": "SELECT id FROM sqlp.dog LIMIT 2"})
    assert response.http_version == "HTTP/2"
    assert response.json() == [{"id": 1}, {"id": 2}]


def post(client: httpx.Client, body: dict[str, Any], auth: str | None = None) -> tuple[int, Any]:
    headers = {"authorization": auth} if auth else {}
    response = client.post("/", json=body, headers=headers)
    return response.status_code, response.json()


def sql(client: httpx.Client, text: Any, auth: str | None = None) -> tuple[int, Any]:
    return post(client, {"operation": "sql", "sql": text}, auth)


def test_select_over_http(client: httpx.Client) -> None:
    status, rows = sql(client, "SELECT id, dog_name AS name FROM sqlp.dog WHERE age = 5")
    assert status == 200
    assert rows == [{"id": 1, "name": "Harper"}, {"id": 5, "name": "Kato"}]
    assert sql(client, "SELECT COUNT(*) FROM sqlp.dog") == (200, [{"COUNT(*)": 7}])
    status, joined = sql(
        client,
        "SELECT d.id, o.name FROM sqlp.dog d INNER JOIN sqlq.owner o ON d.owner_id = o.id "
        "WHERE d.id < 4",
    )
    assert (status, joined) == (200, [{"id": 1, "name": "Zach"}, {"id": 3, "name": "Kyle"}])


def test_geo_over_http(client: httpx.Client) -> None:
    # The spec's geoDistance example; NaN (a value Turf cannot read) is JSON null on the wire.
    status, rows = sql(
        client,
        "SELECT geoDistance('[-104.979127,39.761563]','[-77.035248,38.889475]','miles') AS d, "
        "geoArea('not geojson') AS bad, geoConvert('[1,2]','point') AS p",
    )
    assert status == 200
    assert rows == [
        {
            "d": 1488.6913067538915,
            "bad": None,
            "p": {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Point", "coordinates": [1, 2]},
            },
        }
    ]


def test_errors_over_http(client: httpx.Client) -> None:
    assert sql(client, None) == (
        400,
        {"error": "The 'sql' parameter is missing from the request body"},
    )
    status, body = sql(client, "SELECT * FROM sqlp.dog WHERE")
    assert status == 400
    assert body["error"].startswith("Invalid SQL at: ... FROM sqlp.dog WHERE. Please ensure")
    assert sql(client, "SELECT * FROM sqlp.nosuch") == (
        404,
        {"error": "Table 'sqlp.nosuch' does not exist"},
    )
    assert sql(client, "SELECT nosuch FROM sqlp.dog") == (500, {"error": "unknown column nosuch"})
    assert sql(client, "DROP TABLE sqlp.dog") == (
        500,
        {"error": "unsupported SQL type drop in SQL: [object Object]"},
    )


def test_writes_over_http(client: httpx.Client) -> None:
    assert sql(client, "INSERT INTO sqlp.breed (id, name) VALUES (40, 'AKITA')") == (
        200,
        {"message": "inserted 1 of 1 records", "inserted_hashes": [40], "skipped_hashes": []},
    )
    assert sql(client, "UPDATE sqlp.breed SET name = LOWER(name) WHERE id = 40")[1] == {
        "message": "updated 1 of 1 records",
        "update_hashes": [40],
        "skipped_hashes": [],
    }
    assert sql(client, "SELECT name FROM sqlp.breed WHERE id = 40") == (200, [{"name": "akita"}])
    assert sql(client, "DELETE FROM sqlp.breed WHERE id = 40")[1]["message"] == (
        "1 of 1 record successfully deleted"
    )


def test_restricted_role_over_http(client: httpx.Client, data_dir: Path) -> None:
    post(client, {"operation": "add_role", "role": "dogreader", "permission": READ_DOGS})
    post(
        client,
        {
            "operation": "add_user",
            "username": "reader",
            "password": "reader-pw",
            "role": "dogreader",
            "active": True,
        },
    )
    auth = basic("reader", "reader-pw")
    status, rows = sql(client, "SELECT * FROM sqlp.dog WHERE id = 1", auth)
    assert (status, rows) == (200, [{"dog_name": "Harper", "id": 1}])
    status, body = sql(client, "SELECT age FROM sqlp.dog", auth)
    assert status == 403
    assert body["invalid_schema_items"] == ["Attribute 'age' does not exist on 'sqlp.dog'"]
    status, body = sql(client, "SELECT * FROM sqlq.owner", auth)
    assert status == 403
    assert body["invalid_schema_items"] == ["database 'sqlq' does not exist"]
    export = {
        "operation": "export_local",
        "format": "json",
        # Users who are not super users write only inside the file roots (<data>/files/).
        "path": str(data_dir / "files"),
        "filename": "mine",
        "search_operation": {"operation": "sql", "sql": "SELECT dog_name FROM sqlp.dog LIMIT 1"},
    }
    status, started = post(client, export, auth)
    assert status == 200, started
    status, jobs = post(client, {"operation": "get_job", "id": started["job_id"]}, auth)
    assert status == 200
    assert jobs[0]["user"] == "reader"


def test_export_over_http(client: httpx.Client, dogs: Instance, tmp_path: Path) -> None:
    body = {
        "operation": "export_local",
        "format": "json",
        "path": str(tmp_path),
        "filename": "all",
        "search_operation": {"operation": "sql", "sql": "SELECT id FROM sqlp.dog"},
    }
    status, started = post(client, body)
    assert status == 200
    record = dogs.wait_for_job(started["job_id"], timeout=30)
    assert record is not None
    assert record["status"] == "COMPLETE"
    exported = msgspec.json.decode((tmp_path / "all.json").read_bytes())
    assert [r["id"] for r in exported] == [1, 2, 3, 4, 5, 10, 200]
    bad = {**body, "search_operation": {"operation": "sql", "sql": "SELEC 1"}}
    status, error = post(client, bad)
    assert status == 400
    assert error["error"].startswith("Invalid SQL at: SELEC 1.")
