"""Order-preserving, typed key encoding for LMDB keys.

An encoded key is one tag byte followed by a payload, so that comparing the bytes compares the
values: ``null < false < true < numbers < strings``.

* Numbers (``int`` and ``float`` alike) share one tag and compare numerically. The payload is the
  IEEE-754 double with its sign bit flipped (all bits flipped for negatives), big-endian. An int
  that a double cannot hold exactly is encoded as the largest double below it plus an 8-byte
  suffix with the difference, so distinct ints keep distinct, correctly ordered keys. NaN sorts
  below every number; ``-0.0`` encodes as ``0.0``.
* Strings are the tag plus UTF-8 (byte order is code point order) with no terminator, so the
  encoding of a prefix is a byte prefix of the encoding (``starts_with`` is a ``set_range``).

LMDB refuses keys longer than :data:`MAX_KEY_SIZE`; index keys are truncated to that length and
their matches re-checked against the record, primary keys that long are refused.
"""

import math
import struct
from collections.abc import Sequence
from typing import Any, Final

__all__ = [
    "KIND_BOOL",
    "KIND_NULL",
    "KIND_NUMBER",
    "KIND_STRING",
    "MAX_KEY_SIZE",
    "NAN_KEY",
    "STR_TAG",
    "decode_key",
    "encode_key",
    "encode_number",
    "key_kind",
]

MAX_KEY_SIZE: Final = 511
"""LMDB's compiled-in key limit (``env.max_key_size()``), which also bounds dupsort values."""

NULL_TAG: Final = b"\x10"
FALSE_TAG: Final = b"\x20"
TRUE_TAG: Final = b"\x21"
NUM_TAG: Final = b"\x30"
STR_TAG: Final = b"\x40"

KIND_NULL: Final = 0x10
KIND_BOOL: Final = 0x20
KIND_NUMBER: Final = 0x30
KIND_STRING: Final = 0x40

_NUM: Final = 0x30
_STR: Final = 0x40
_SIGN: Final = 1 << 63
_ALL: Final = (1 << 64) - 1
_SAFE: Final = 1 << 53
_INT_AS_INT: Final = float(1 << 64)

_pack_d = struct.Struct(">d").pack
_unpack_d = struct.Struct(">d").unpack
_unpack_q = struct.Struct(">Q").unpack
_pack_tq = struct.Struct(">cQ").pack
_pack_tqq = struct.Struct(">cQQ").pack
_unpack_qq = struct.Struct(">QQ").unpack

NAN_KEY: Final = NUM_TAG + bytes(8)
"""Below the key of ``-inf`` (whose flipped bits are ``0x000F...``)."""


def _double_key(x: float) -> bytes:
    (u,) = _unpack_q(_pack_d(x))
    return _pack_tq(NUM_TAG, u ^ _ALL if u & _SIGN else u | _SIGN)


def _big_int_key(value: int) -> bytes:
    try:
        d = float(value)
    except OverflowError:
        raise ValueError(f"integer too large to encode as a key: {value}") from None
    if int(d) > value:
        d = math.nextafter(d, -math.inf)
    diff = value - int(d)
    if diff == 0:
        return _double_key(d)
    if diff >= _SIGN:
        raise ValueError(f"integer too large to encode as a key: {value}")
    (u,) = _unpack_q(_pack_d(d))
    return _pack_tqq(NUM_TAG, u ^ _ALL if u & _SIGN else u | _SIGN, diff)


def encode_number(value: int | float) -> bytes:
    """Encode an int or float (not a bool) as an order-preserving number key."""
    if type(value) is float:
        if value != value:
            return NAN_KEY
        # Adding 0.0 turns -0.0 into 0.0 and leaves every other float unchanged.
        return _double_key(value + 0.0)
    if -_SAFE <= value <= _SAFE:
        return _double_key(value)
    return _big_int_key(int(value))


def encode_number_column(prefix: bytes, values: Sequence[Any]) -> list[bytes] | None:
    """Encode a column of numbers as ``prefix`` + number key, in a few C-level passes.

    Returns None unless every value is an int or float in ``[0, 2**53]`` (the common case of
    ids, counts and measures), for which the key is the big-endian double with its sign bit
    set; callers then fall back to :func:`encode_number` per value.
    """
    n = len(values)
    if not n or not set(map(type, values)) <= _NUMBER_TYPES:
        return None
    total = sum(values)
    if total != total or min(values) < 0 or max(values) > _SAFE:  # NaN, negatives, big ints
        return None
    head = prefix + NUM_TAG
    packed = struct.pack(f">{n}d", *values)
    flagged = (int.from_bytes(packed, "big") | _sign_mask(n)).to_bytes(8 * n, "big")
    return [head + flagged[i : i + 8] for i in range(0, 8 * n, 8)]


def _sign_mask(n: int) -> int:
    """Return an int with the top bit of each of ``n`` 8-byte groups set (cached per n)."""
    mask = _SIGN_MASKS.get(n)
    if mask is None:
        mask = int.from_bytes(b"\x80\x00\x00\x00\x00\x00\x00\x00" * n, "big")
        if len(_SIGN_MASKS) > 16:
            _SIGN_MASKS.clear()
        _SIGN_MASKS[n] = mask
    return mask


_SIGN_MASKS: dict[int, int] = {}
_NUMBER_TYPES: Final = frozenset({int, float})


def encode_key(value: Any) -> bytes:
    """Encode a scalar as order-preserving key bytes.

    Args:
        value: ``None``, a bool, an int, a float or a str.

    Returns:
        The tagged key bytes (not truncated; callers enforce :data:`MAX_KEY_SIZE`).

    Raises:
        TypeError: the value is not one of the types above.
        ValueError: an int is too large to be ordered among doubles.
    """
    t = type(value)
    if t is str:
        encoded: bytes = value.encode()
        return STR_TAG + encoded
    if t is int:
        if -_SAFE <= value <= _SAFE:
            return _double_key(value)
        return _big_int_key(value)
    if t is float:
        if value != value:
            return NAN_KEY
        return _double_key(value + 0.0)
    if value is None:
        return NULL_TAG
    if t is bool:
        return TRUE_TAG if value else FALSE_TAG
    # Subclasses (IntEnum, str enums) are rare; keep them off the exact-type fast path.
    if isinstance(value, bool):
        return TRUE_TAG if value else FALSE_TAG
    if isinstance(value, str):
        return STR_TAG + str.encode(value)
    if isinstance(value, int | float):
        return encode_number(float(value) if isinstance(value, float) else int(value))
    raise TypeError(f"cannot encode a key from {t.__name__}")


def _decode_double(bits: int) -> float:
    u = bits ^ _SIGN if bits & _SIGN else bits ^ _ALL
    (d,) = _unpack_d(u.to_bytes(8, "big"))
    return float(d)


def decode_key(key: bytes) -> Any:
    """Decode key bytes made by :func:`encode_key`.

    Integral numbers below 2**64 in magnitude come back as ``int`` (an int and the equal float
    share one key), other numbers as ``float``.

    Raises:
        ValueError: the bytes are not a key made by :func:`encode_key`.
    """
    if not key:
        raise ValueError("empty key")
    tag = key[0]
    if tag == _STR:
        return key[1:].decode()
    if tag == _NUM:
        if key == NAN_KEY:
            return math.nan
        if len(key) == 17:
            hi, diff = _unpack_qq(key[1:])
            return int(_decode_double(hi)) + diff
        if len(key) != 9:
            raise ValueError("malformed number key")
        (bits,) = _unpack_q(key[1:])
        d = _decode_double(bits)
        if d.is_integer() and abs(d) < _INT_AS_INT:
            return int(d)
        return d
    if key == NULL_TAG:
        return None
    if key == FALSE_TAG:
        return False
    if key == TRUE_TAG:
        return True
    raise ValueError(f"unknown key tag {tag:#x}")


def key_kind(key: bytes) -> int:
    """Return the kind (``KIND_*``) of an encoded key: booleans share one kind."""
    tag = key[0]
    return KIND_BOOL if tag == 0x21 else tag
