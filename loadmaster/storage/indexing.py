"""Index keys of a table's composite index db.

An index key is the attribute's 2-byte id followed by the value's key (:mod:`keys`), truncated to
LMDB's key limit; the dup data is the encoded primary key. Scalars (null, booleans, numbers,
strings) are indexed; dicts, lists and other values are stored in the record but not indexed, so
conditions on them are answered by scanning. A missing attribute has no index entry.
"""

from collections.abc import Iterable, Sequence
from itertools import repeat
from typing import Any, Final

from loadmaster.storage.keys import (
    FALSE_TAG,
    MAX_KEY_SIZE,
    STR_TAG,
    TRUE_TAG,
    encode_key,
    encode_number,
    encode_number_column,
)

__all__ = ["MISSING", "constant_pairs", "index_column", "index_key", "index_pairs", "is_truncated"]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
"""Marks an attribute a record does not have (``None`` is a value: it is indexed as null)."""

_SCALARS: Final = frozenset({str, int, float, bool, type(None)})
_NUMBERS: Final = frozenset({int, float})


def is_truncated(key: bytes) -> bool:
    """Tell whether an index key may have lost bytes to the key limit (re-check the record)."""
    return len(key) >= MAX_KEY_SIZE


def index_key(prefix: bytes, value: Any) -> bytes | None:
    """Return the index key of one value, or ``None`` when the value is not indexed."""
    if type(value) not in _SCALARS:
        if value is MISSING or isinstance(value, dict | list | tuple):
            return None
        try:
            key = prefix + encode_key(value)
        except (TypeError, ValueError):
            return None
        return key[:MAX_KEY_SIZE]
    try:
        key = prefix + encode_key(value)
    except ValueError:
        return None
    return key if len(key) <= MAX_KEY_SIZE else key[:MAX_KEY_SIZE]


def index_column(prefix: bytes, values: Sequence[Any]) -> list[bytes | None]:
    """Return the index keys of one attribute's values across a batch of records.

    Strings and numbers take C-level paths (``map``) because this runs once per attribute per
    write batch on the ingest hot path.
    """
    kinds = set(map(type, values))
    if kinds == {str}:
        head = prefix + STR_TAG
        keys: list[bytes | None] = list(map(head.__add__, map(str.encode, values)))
        if max(map(len, keys)) > MAX_KEY_SIZE:  # type: ignore[arg-type]
            keys = [k[:MAX_KEY_SIZE] if k is not None else None for k in keys]
        return keys
    if kinds == {bool}:
        true, false = prefix + TRUE_TAG, prefix + FALSE_TAG
        return [true if v else false for v in values]
    if kinds <= _NUMBERS:
        fast = encode_number_column(prefix, values)
        distinct = set(values)
        if len(distinct) * 2 <= len(values):
            # Equal ints and floats share a key, so one memo entry per distinct number is safe.
            memo = {v: prefix + encode_number(v) for v in distinct}
            return list(map(memo.__getitem__, values))
        if fast is not None:
            return fast  # type: ignore[return-value]
        try:
            return list(map(prefix.__add__, map(encode_number, values)))
        except ValueError:
            pass
    return [index_key(prefix, v) for v in values]


def index_pairs(
    prefix: bytes, values: Sequence[Any], pks: Sequence[bytes]
) -> Iterable[tuple[bytes, bytes]]:
    """Return ``(index key, primary key)`` pairs for one attribute, skipping unindexed values."""
    keys = index_column(prefix, values)
    if None in keys:
        return [(k, p) for k, p in zip(keys, pks, strict=True) if k is not None]
    return zip(keys, pks, strict=True)  # type: ignore[arg-type]


def constant_pairs(key: bytes, pks: Sequence[bytes]) -> Iterable[tuple[bytes, bytes]]:
    """Return pairs for an attribute whose value is the same in every record (timestamps)."""
    return zip(repeat(key, len(pks)), pks, strict=True)
