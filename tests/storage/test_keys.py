"""Order-preserving key encoding."""

import itertools
import math
from functools import cmp_to_key
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from loadmaster.storage import decode_key, encode_key
from loadmaster.storage.keys import MAX_KEY_SIZE, NAN_KEY

_INT64 = st.integers(min_value=-(2**63), max_value=2**64 - 1)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    _INT64,
    st.integers(min_value=2**52, max_value=2**56),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, math.inf, -math.inf, 2.0**53, 2.0**63]),
    st.text(),
)


def _rank(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool):
        return 1
    if isinstance(value, int | float):
        return 2
    return 3


def _python_order(a: Any, b: Any) -> int:
    """null < False < True < numbers (numeric, NaN first) < strings (code point order)."""
    ra, rb = _rank(a), _rank(b)
    if ra != rb:
        return ra - rb
    if ra == 2:
        a_nan, b_nan = a != a, b != b
        if a_nan or b_nan:
            return int(b_nan) - int(a_nan) if a_nan != b_nan else 0
    if a == b:
        return 0
    return -1 if a < b else 1


@settings(max_examples=300, derandomize=True, database=None)
@given(st.lists(scalars, max_size=40))
def test_byte_order_is_value_order(values: list[Any]) -> None:
    by_value = sorted(values, key=cmp_to_key(_python_order))
    by_key = sorted(values, key=encode_key)
    # Equal values (1 and 1.0, 0.0 and -0.0) may appear in either order: compare keys, which
    # must then be equal too.
    assert [encode_key(v) for v in by_value] == [encode_key(v) for v in by_key]
    for a, b in itertools.pairwise(by_value):
        assert (encode_key(a) == encode_key(b)) == (_python_order(a, b) == 0)


@settings(derandomize=True, database=None)
@given(scalars)
def test_round_trip(value: Any) -> None:
    decoded = decode_key(encode_key(value))
    if isinstance(value, float) and math.isnan(value):
        assert math.isnan(decoded)
    else:
        assert decoded == value
        assert type(decoded) is type(value) or {type(decoded), type(value)} <= {int, float}
        assert encode_key(decoded) == encode_key(value)


@settings(derandomize=True, database=None)
@given(_INT64, _INT64)
def test_distinct_ints_get_distinct_keys(a: int, b: int) -> None:
    assert (encode_key(a) == encode_key(b)) == (a == b)
    assert (encode_key(a) < encode_key(b)) == (a < b)


@settings(derandomize=True, database=None)
@given(st.text(), st.text())
def test_string_prefix_is_key_prefix(prefix: str, rest: str) -> None:
    assert encode_key(prefix + rest).startswith(encode_key(prefix))


def test_fixed_points() -> None:
    assert encode_key(-0.0) == encode_key(0.0) == encode_key(0)
    assert encode_key(1) == encode_key(1.0)
    assert encode_key(math.nan) == NAN_KEY < encode_key(-math.inf)
    false, true = False, True
    assert encode_key(None) < encode_key(false) < encode_key(true) < NAN_KEY
    assert encode_key(math.inf) < encode_key("")
    assert encode_key(2**53) < encode_key(2**53 + 1) < encode_key(2**53 + 2)
    assert encode_key(-(2**53) - 2) < encode_key(-(2**53) - 1) < encode_key(-(2**53))
    assert decode_key(encode_key(2**53 + 1)) == 2**53 + 1
    assert decode_key(encode_key(1.5)) == 1.5


def test_refuses_unencodable_values() -> None:
    with pytest.raises(TypeError):
        encode_key({"a": 1})
    with pytest.raises(TypeError):
        encode_key([1])
    with pytest.raises(ValueError):
        encode_key(10**400)
    with pytest.raises(ValueError):
        decode_key(b"\x99")


def test_max_key_size_is_lmdbs() -> None:
    assert MAX_KEY_SIZE == 511
