"""CORS over real HTTP: preflight and origin echo for configured origins only (issue 13 §8)."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import loadmaster
from tests.conftest import ADMIN_AUTH, ADMIN_PASSWORD

pytestmark = pytest.mark.e2e

STUDIO = "https://studio.harperdb.io"
PREFLIGHT = {
    "access-control-request-method": "POST",
    "access-control-request-headers": "authorization, content-type",
}


@pytest.fixture
def cors_url(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    origins: str = request.param
    with loadmaster.open(tmp_path / "d", admin_password=ADMIN_PASSWORD, cors_origins=origins) as db:
        yield db.serve("127.0.0.1", 0).url


@pytest.mark.parametrize("cors_url", [f"{STUDIO}, http://localhost:3000"], indirect=True)
def test_listed_origins_are_echoed(cors_url: str) -> None:
    with httpx.Client(base_url=cors_url) as client:
        preflight = client.options("/", headers={"origin": STUDIO, **PREFLIGHT})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == STUDIO
        allowed = preflight.headers["access-control-allow-headers"].lower()
        assert "authorization" in allowed
        assert "content-type" in allowed
        assert "POST" in preflight.headers["access-control-allow-methods"]

        answer = client.post(
            "/",
            json={"operation": "describe_all"},
            headers={"origin": "http://localhost:3000", "authorization": ADMIN_AUTH},
        )
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == "http://localhost:3000"
        config = client.post(
            "/", json={"operation": "get_configuration"}, headers={"authorization": ADMIN_AUTH}
        ).json()
        assert config["operationsApi"]["network"]["cors"] is True
        assert config["operationsApi"]["network"]["corsAccessList"] == [
            STUDIO,
            "http://localhost:3000",
        ]

        other = "https://evil.example"
        refused = client.options("/", headers={"origin": other, **PREFLIGHT})
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers
        answered = client.post(
            "/",
            json={"operation": "describe_all"},
            headers={"origin": other, "authorization": ADMIN_AUTH},
        )
        assert answered.status_code == 200
        assert "access-control-allow-origin" not in answered.headers


@pytest.mark.parametrize("cors_url", ["*"], indirect=True)
def test_any_origin_when_star_is_listed(cors_url: str) -> None:
    with httpx.Client(base_url=cors_url) as client:
        preflight = client.options("/", headers={"origin": "https://any.example", **PREFLIGHT})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "*"
        error = client.post("/", json={"operation": "nope"}, headers={"origin": "https://a.b"})
        assert error.status_code == 401
        assert error.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("cors_url", [""], indirect=True)
def test_no_cors_headers_by_default(cors_url: str) -> None:
    with httpx.Client(base_url=cors_url) as client:
        preflight = client.options("/", headers={"origin": STUDIO, **PREFLIGHT})
        assert preflight.status_code == 405
        assert "access-control-allow-origin" not in preflight.headers
        answer = client.post(
            "/",
            json={"operation": "describe_all"},
            headers={"origin": STUDIO, "authorization": ADMIN_AUTH},
        )
        assert answer.status_code == 200
        assert "access-control-allow-origin" not in answer.headers
