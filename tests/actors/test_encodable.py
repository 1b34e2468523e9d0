"""Decoded JSON made storable: what msgpack cannot encode becomes text."""

import msgspec

from loadmaster.actors.encodable import MAX_DEPTH, encodable


def test_values_msgpack_cannot_encode_become_text() -> None:
    big = 1 << 64
    value = {"n": big, "ok": [1, -(1 << 63), (1 << 64) - 1, 1.5, None, True], 7: "seven"}
    safe = encodable(value)
    assert safe == {
        "n": str(big),
        "ok": [1, -(1 << 63), (1 << 64) - 1, 1.5, None, True],
        "7": "seven",
    }
    msgspec.msgpack.encode(safe)


def test_deep_nesting_is_cut() -> None:
    deep: object = "leaf"
    for _ in range(MAX_DEPTH + 5):
        deep = [deep]
    msgspec.msgpack.encode(encodable(deep))
