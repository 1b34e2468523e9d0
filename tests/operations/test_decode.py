"""The one decode of a request body: its limits, exactly at their edges."""

import pytest

from loadmaster.errors import InvalidJSONError, MalformedBodyError, ServerError
from loadmaster.operations import dispatch
from loadmaster.operations.dispatch import MAX_DEPTH, MAX_INT, MIN_INT
from loadmaster.operations.schema import GetJob, Insert


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_nesting_up_to_the_limit_is_accepted_and_one_more_is_not() -> None:
    assert dispatch.parse(nested(MAX_DEPTH)) is not None
    with pytest.raises(InvalidJSONError, match="nested too deeply"):
        dispatch.parse(nested(MAX_DEPTH + 1))
    with pytest.raises(InvalidJSONError, match="nested too deeply"):
        dispatch.parse(b'{"a": {"b": ' + nested(MAX_DEPTH - 1) + b"}}")


def test_integers_must_fit_in_64_bits() -> None:
    assert dispatch.parse(f"[{MIN_INT}, {MAX_INT}]".encode()) == [MIN_INT, MAX_INT]
    for bad in (MIN_INT - 1, MAX_INT + 1):
        with pytest.raises(InvalidJSONError, match="Integer out of range"):
            dispatch.parse(f'{{"a": [{{"b": {bad}}}]}}'.encode())
    with pytest.raises(InvalidJSONError, match="Integer out of range"):
        dispatch.parse(str(MAX_INT + 1).encode())


@pytest.mark.parametrize(
    "raw", [b"1e999999", b"[1e309]", b"[1,]", b'{"operation": 0.66', b'"\xff"', b"", b"nul"]
)
def test_what_is_not_json_is_an_invalid_json_error(raw: bytes) -> None:
    with pytest.raises(InvalidJSONError):
        dispatch.decode(raw)


def test_a_body_is_decoded_into_its_operation() -> None:
    assert dispatch.decode(b'{"operation": "get_job", "id": "x"}') == GetJob(id="x")
    op = dispatch.decode(b'{"operation": "insert", "records": [{"id": 18446744073709551615}]}')
    assert isinstance(op, Insert)
    assert op.records == [{"id": MAX_INT}]
    with pytest.raises(MalformedBodyError):
        dispatch.decode(b"[1]")
    with pytest.raises(ServerError):
        dispatch.decode(b'{"operation": 5}')


def test_body_credentials_come_from_the_decoded_body() -> None:
    assert dispatch.body_credentials({"username": "a", "password": "b"}) == ("a", "b")
    assert dispatch.body_credentials({"username": "a", "password": 1}) is None
    assert dispatch.body_credentials([1]) is None
