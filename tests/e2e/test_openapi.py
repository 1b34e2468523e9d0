"""``GET /openapi.json`` is a valid OpenAPI 3.1 document generated from the operation table."""

import httpx
import pytest
from openapi_spec_validator import validate

from loadmaster.operations.table import OPERATIONS
from loadmaster.server.serve import BackgroundServer

pytestmark = pytest.mark.e2e


def test_the_document_is_valid_and_lists_every_operation(server: BackgroundServer) -> None:
    answer = httpx.get(server.url + "/openapi.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    document = answer.json()
    validate(document)
    assert document["openapi"] == "3.1.0"
    body = document["paths"]["/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["discriminator"]["propertyName"] == "operation"
    mapping = body["discriminator"]["mapping"]
    assert sorted(mapping) == sorted(OPERATIONS)
    assert len(body["oneOf"]) == len(OPERATIONS)
    schemas = document["components"]["schemas"]
    for name, ref in mapping.items():
        schema = schemas[ref.rsplit("/", 1)[1]]
        # Each operation's schema pins its own tag, so the discriminator is truthful.
        assert schema["properties"]["operation"] == {"enum": [name]}
        assert "operation" in schema["required"]
    get_job = schemas[mapping["get_job"].rsplit("/", 1)[1]]
    assert "id" in get_job["properties"]
    for path in ("/health", "/metrics", "/openapi.json"):
        assert path in document["paths"]


def test_a_broken_document_is_refused_by_the_validator(server: BackgroundServer) -> None:
    document = httpx.get(server.url + "/openapi.json").json()
    document["paths"]["/"]["post"]["requestBody"]["content"] = "application/json"
    with pytest.raises(Exception, match="application/json"):
        validate(document)
