"""The JSON array splitter of JSON imports, and HarperDB's deep JSON cast of string values."""

import json
import random
from typing import Any

import pytest

from loadmaster.formats.json_array import JsonArrayError, JsonArraySplitter, cast_json_strings


def _random_value(rnd: random.Random, depth: int = 0) -> Any:
    roll = rnd.random()
    if depth < 3 and roll < 0.15:
        return {_random_text(rnd): _random_value(rnd, depth + 1) for _ in range(rnd.randint(0, 3))}
    if depth < 3 and roll < 0.3:
        return [_random_value(rnd, depth + 1) for _ in range(rnd.randint(0, 3))]
    if roll < 0.65:
        return _random_text(rnd)
    return rnd.choice([0, -7, 2.5, 1e300, True, False, None, 1 << 40])


def _random_text(rnd: random.Random) -> str:
    return "".join(rnd.choice('ab{}[],:"\\\n\té✓') for _ in range(rnd.randint(0, 6)))


@pytest.mark.parametrize("guesses", [0, 3])
def test_splitter_matches_a_whole_decode_for_any_chunking(guesses: int) -> None:
    rnd = random.Random(guesses)  # noqa: S311 - reproducible test data
    for _ in range(400):
        records = [
            {_random_text(rnd): _random_value(rnd) for _ in range(rnd.randint(0, 4))}
            for _ in range(rnd.randint(0, 10))
        ]
        indent = rnd.choice([None, 1])
        data = json.dumps(records, indent=indent, ensure_ascii=rnd.random() < 0.5).encode()
        cuts = sorted(rnd.sample(range(len(data) + 1), min(len(data) + 1, rnd.randint(0, 9))))
        splitter = JsonArraySplitter(guesses=guesses, cast_json=False)
        out: list[dict[str, Any]] = []
        for start, end in zip([0, *cuts], [*cuts, len(data)], strict=True):
            out += splitter.feed(data[start:end])
        out += splitter.close()
        assert out == records


def test_splitter_holds_only_about_a_chunk() -> None:
    splitter = JsonArraySplitter()
    record = b'{"id": 1, "nested": {"x": [1, 2, {"y": "}"}]}, "s": "]},{"}'
    total = len(splitter.feed(b"[" + record))
    for _ in range(2000):
        total += len(splitter.feed(b"," + record + b"," + record))
        assert len(splitter._pending) < 4 * len(record)
    total += len(splitter.feed(b"]")) + len(splitter.close())
    assert total == 4001


def split_all(data: bytes) -> list[dict[str, Any]]:
    splitter = JsonArraySplitter()
    return splitter.feed(data) + splitter.close()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'[{"a":1},]', "Invalid JSON: trailing comma in the array"),
        (b'[{"a":1} x', "Invalid JSON: expected ',' or ']' between elements"),
        (b"[1, 2]", "Invalid JSON: records must be objects"),
        (b'[{"a":1}] {}', "Invalid JSON: unexpected data after the array"),
        (b'[{"a":1}}]', "Invalid JSON: expected ',' or ']' between elements"),
        (b"nope", "Invalid JSON: expected a top-level array of objects"),
    ],
)
def test_splitter_errors(data: bytes, message: str) -> None:
    with pytest.raises(JsonArrayError) as caught:
        split_all(data)
    assert caught.value.message.startswith(message)


def test_splitter_empty_input_and_bom() -> None:
    assert JsonArraySplitter().close() == []
    splitter = JsonArraySplitter()
    assert splitter.feed(b"\xef\xbb") == []
    assert splitter.feed(b'\xbf [ {"a": 1} ] ') == [{"a": 1}]
    assert splitter.close() == []


def test_cast_json_strings_is_harperdb_autocast_json_deep() -> None:
    record: dict[str, Any] = {
        "a": '{"x": "[1]"}',
        "b": ["[1, 2]", {"c": "{bad"}],
        "d": "{}x",
        "e": 5,
    }
    cast_json_strings(record)
    # Parsed text is not cast again, as autoCastJSONDeep does not recurse into it.
    assert record == {"a": {"x": "[1]"}, "b": [[1, 2], {"c": "{bad"}], "d": "{}x", "e": 5}
