"""One typed-attribute coercion, two wordings: an insert's and a CSV load's (spec §5.2)."""

import pytest

from loadmaster.errors import InvalidRequestError
from loadmaster.formats.load_coercion import LOAD
from loadmaster.storage.coerce import coercer


def test_one_coercer_words_a_refusal_by_its_wording() -> None:
    with pytest.raises(InvalidRequestError) as insert:
        coercer("Int")("abc", "age")
    assert insert.value.message == (
        'Value "abc" in property age must be an integer (from -2147483648 to 2147483647)'
    )
    with pytest.raises(InvalidRequestError) as load:
        coercer("Int", LOAD)("abc", "age")
    assert load.value.message == 'Invalid value for attribute age: "abc", expecting Int'


def test_the_wordings_read_some_types_differently() -> None:
    assert coercer("Date")("2021-01-25T22:21:24Z", "d") == 1611613284000.0
    assert coercer("Date", LOAD)("2021-01-25T22:21:24Z", "d") == "2021-01-25T22:21:24.000Z"
    assert coercer("Int", LOAD)(2**40, "n") == 2**40
    with pytest.raises(InvalidRequestError):
        coercer("Int")(2**40, "n")
    assert coercer("int", LOAD)("x", "n") == "x"  # a load matches type names as written
    assert coercer("Boolean")("TRUE", "b") is coercer("Boolean", LOAD)("TRUE", "b") is True
