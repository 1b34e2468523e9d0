"""Record and primary-key encoding shared by writes and reads."""

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from loadmaster.errors import InvalidRequestError
from loadmaster.storage.keys import MAX_KEY_SIZE, encode_key

__all__ = ["decode_record", "decode_records", "encode_pk", "encode_records", "lookup_pk"]

# msgpack holds ints in [-2**63, 2**64 - 1]; a key outside that could not be stored.
_INT_MIN = -(2**63)
_INT_MAX = 2**64 - 1
_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder()
_json = msgspec.json.Encoder()

decode_record = _decoder.decode


def decode_records(values: list[bytes]) -> list[dict[str, Any]]:
    """Decode stored records (msgpack maps) in one call per batch."""
    return list(map(_decoder.decode, values))


def encode_records(records: Sequence[Mapping[str, Any]]) -> list[bytes]:
    """Encode records as msgpack; refuse values msgpack cannot hold with a 400."""
    try:
        return list(map(_encoder.encode, records))
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidRequestError(f"Invalid record value: {exc}") from exc


def _shown(value: Any) -> str:
    try:
        return _json.encode(value).decode()
    except (TypeError, ValueError, OverflowError):
        return repr(value)


def encode_pk(value: Any) -> bytes:
    """Encode a primary key value, refusing what cannot be one.

    Raises:
        InvalidRequestError: not a str, a 64-bit int or a finite float, or longer than
            LMDB's key limit.
    """
    t = type(value)
    if (
        t is str
        or (t is int and _INT_MIN <= value <= _INT_MAX)
        or (t is float and value - value == 0.0)
    ):
        try:
            key = encode_key(value)
        except ValueError:
            pass
        else:
            if len(key) <= MAX_KEY_SIZE:
                return key
    raise InvalidRequestError(f"Invalid primary key value: {_shown(value)}")


def lookup_pk(value: Any) -> bytes | None:
    """Encode a primary key to look up, or ``None`` when no record can have it."""
    try:
        return encode_pk(value)
    except InvalidRequestError:
        return None
