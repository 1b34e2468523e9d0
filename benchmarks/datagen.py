"""The deterministic 7-column data set of PERFORMANCE.md, as records or as a CSV file."""

import csv
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

HEADER = ("id", "name", "age", "score", "active", "city", "note")
SEED = 42
CITIES = (
    "Springfield", "Shelbyville", "Ogdenville", "North Haverbrook", "Capital City", "Brockway",
    "Cypress Creek", "Waverly Hills", "Monroe", "Paris", "Berlin", "Tokyo", "Lagos", "Lima",
    "Oslo", "Quito", "Hanoi", "Cairo", "Perth", "Dublin",
)  # fmt: skip
FIRST = (
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "oscar",
)  # fmt: skip
LAST = (
    "smith",
    "jones",
    "brown",
    "taylor",
    "wilson",
    "davies",
    "evans",
    "thomas",
    "johnson",
    "roberts",
)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_CHUNK = 10_000


def _notes(rnd: random.Random) -> list[str]:
    # Letters at both ends, so that no loader's whitespace handling changes a value.
    alphabet = _LETTERS + "     "
    return [
        rnd.choice(_LETTERS) + "".join(rnd.choices(alphabet, k=48)) + rnd.choice(_LETTERS)
        for _ in range(1000)
    ]


def rows(n: int, seed: int = SEED, start: int = 1) -> Iterator[list[list[Any]]]:
    """Yield the data set in chunks of typed rows ``[id, name, age, score, active, city, note]``.

    Args:
        n: Number of rows.
        seed: Seed of the pseudo-random columns (score, note); the same seed gives the same rows.
        start: The first id; ids are consecutive integers.
    """
    rnd = random.Random(seed)
    notes = _notes(rnd)
    for base in range(start, start + n, _CHUNK):
        end = min(base + _CHUNK, start + n)
        yield [
            [
                i,
                f"{FIRST[i % 12]} {LAST[(i // 12) % 10]}",
                18 + (i * 7919) % 80,
                round(rnd.random() * 100, 3),
                i % 3 != 0,
                CITIES[(i * 31) % 20],
                notes[i % 1000],
            ]
            for i in range(base, end)
        ]


def records(n: int, seed: int = SEED, start: int = 1) -> list[dict[str, Any]]:
    """Return the data set as a list of record dicts (for ``insert``)."""
    return [dict(zip(HEADER, row, strict=True)) for chunk in rows(n, seed, start) for row in chunk]


def write_csv(path: Path, n: int, seed: int = SEED) -> Path:
    """Write the data set as CSV (a header, then ``n`` rows; booleans as ``true``/``false``)."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        for chunk in rows(n, seed):
            for row in chunk:
                row[4] = "true" if row[4] else "false"
            writer.writerows(chunk)
    return path


def write_ndjson(path: Path, n: int, seed: int = SEED) -> Path:
    """Write the same data set as NDJSON (one object per line; booleans as JSON booleans)."""

    encode_lines = msgspec.json.Encoder().encode_lines
    with path.open("wb") as out:
        for chunk in rows(n, seed):
            out.write(encode_lines([dict(zip(HEADER, row, strict=True)) for row in chunk]))
    return path
