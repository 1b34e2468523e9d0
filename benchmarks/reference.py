"""The raw building blocks loadmaster is measured against, written directly on lmdb + msgspec.

- ``raw_putmulti``: records → msgpack → ``putmulti`` with 8-byte int keys, 10k per txn.
- ``raw_csv_load``: ``csv.reader`` → ``msgspec.convert`` → msgpack → ``putmulti``, no index.
- ``naive_csv_load`` / ``naive_insert``: HarperDB's layout done naively: a primary db plus one
  dupsort index db per attribute (including ``__createdtime__`` and ``__updatedtime__``),
  10k rows per txn, unsorted puts, keys built row by row (reference/limits/bench_index_writes.py).
- ``build_table`` + ``raw_export``: scan the primary db, decode msgpack, encode JSON or CSV
  into a file.

These use no loadmaster code on purpose: they are the floor loadmaster is compared with.
"""

import csv
import itertools
import struct
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import lmdb
import msgspec

BATCH = 10_000
MAP_SIZE = 64 * 1024**3
INDEXED = ("name", "age", "score", "active", "city", "note", "__createdtime__", "__updatedtime__")
PRIMARY_DB = b"t"
_TRUE = {"true": True, "false": False}
_pack_id = struct.Struct(">Q").pack
_pack_d = struct.Struct(">d").pack
_unpack_q = struct.Struct(">Q").unpack
_SIGN = 1 << 63
_ALL = (1 << 64) - 1
_MAX_KEY = 500  # LMDB keys stop at 511 bytes


class RecRow(msgspec.Struct, array_like=True):
    """A CSV row of the benchmark data set, converted from its list of strings in one call."""

    id: int
    name: str
    age: int
    score: float
    active: bool
    city: str
    note: str


_ENCODE = msgspec.msgpack.Encoder().encode


def _open(path: Path, max_dbs: int) -> lmdb.Environment:
    path.mkdir(parents=True, exist_ok=True)
    return lmdb.open(str(path), map_size=MAP_SIZE, max_dbs=max_dbs)


def _csv_batches(csv_path: Path, size: int = BATCH) -> Iterator[list[list[str]]]:
    with csv_path.open(newline="", encoding="utf-8") as source:
        reader = csv.reader(source)
        next(reader)
        while rows := list(itertools.islice(reader, size)):
            yield rows


def raw_putmulti(records: list[dict[str, Any]], path: Path) -> float:
    """Write records as msgpack under 8-byte int keys, 10k per txn; return the seconds."""
    env = _open(path, 2)
    try:
        db = env.open_db(PRIMARY_DB)
        start = time.perf_counter()
        for i in range(0, len(records), BATCH):
            items = [(_pack_id(r["id"]), _ENCODE(r)) for r in records[i : i + BATCH]]
            with env.begin(write=True, db=db) as txn:
                txn.cursor().putmulti(items)
        return time.perf_counter() - start
    finally:
        env.close()


def raw_csv_load(csv_path: Path, path: Path) -> tuple[int, float]:
    """Run the raw CSV → LMDB pipeline, no index; return the rows written and the seconds."""
    env = _open(path, 2)
    convert = msgspec.convert
    written = 0
    try:
        db = env.open_db(PRIMARY_DB)
        start = time.perf_counter()
        for rows in _csv_batches(csv_path):
            recs = [convert(row, RecRow, strict=False) for row in rows]
            items = [(_pack_id(r.id), _ENCODE(r)) for r in recs]
            with env.begin(write=True, db=db) as txn:
                written += txn.cursor().putmulti(items)[1]
        return written, time.perf_counter() - start
    finally:
        env.close()


# --- HarperDB's layout, done naively ------------------------------------------------------


def _enc_num(x: float) -> bytes:
    (u,) = _unpack_q(_pack_d(x))
    return b"\x03" + _pack_id(u ^ _ALL if u & _SIGN else u | _SIGN)


def enc_key(value: Any) -> bytes:
    """Encode one value as an order-preserving key: null < false < true < numbers < strings."""
    kind = type(value)
    if kind is str:
        key: bytes = b"\x04" + value.encode()
        return key if len(key) <= _MAX_KEY else key[:_MAX_KEY]
    if kind is int or kind is float:
        return _enc_num(value)
    if kind is bool:
        return b"\x02" if value else b"\x01"
    if value is None:
        return b"\x00"
    raise TypeError(kind)


class _Naive:
    """An environment with the primary db and one dupsort db per indexed attribute."""

    def __init__(self, path: Path) -> None:
        self.env = _open(path, len(INDEXED) + 2)
        self.primary = self.env.open_db(PRIMARY_DB)
        self.indexes = [self.env.open_db(f"t.{a}".encode(), dupsort=True) for a in INDEXED]

    def write(self, records: Iterable[dict[str, Any]]) -> int:
        primary: list[tuple[bytes, bytes]] = []
        index: list[list[tuple[bytes, bytes]]] = [[] for _ in INDEXED]
        pairs = list(zip(INDEXED, index, strict=True))
        for rec in records:
            pk = enc_key(rec["id"])
            primary.append((pk, _ENCODE(rec)))
            for attr, items in pairs:
                items.append((enc_key(rec[attr]), pk))
        with self.env.begin(write=True) as txn:
            written: int = txn.cursor(db=self.primary).putmulti(primary)[1]
            for db, items in zip(self.indexes, index, strict=True):
                txn.cursor(db=db).putmulti(items)
        return written

    def close(self) -> None:
        self.env.close()


def _stamped(row: list[str], ts: float) -> dict[str, Any]:
    return {
        "id": int(row[0]),
        "name": row[1],
        "age": int(row[2]),
        "score": float(row[3]),
        "active": _TRUE[row[4]],
        "city": row[5],
        "note": row[6],
        "__createdtime__": ts,
        "__updatedtime__": ts,
    }


def naive_csv_load(csv_path: Path, path: Path) -> tuple[int, float]:
    """Run the naive same-index CSV → LMDB pipeline; return the rows written and the seconds."""
    store = _Naive(path)
    written = 0
    try:
        start = time.perf_counter()
        for rows in _csv_batches(csv_path):
            ts = time.time() * 1000
            written += store.write(_stamped(row, ts) for row in rows)
        return written, time.perf_counter() - start
    finally:
        store.close()


def naive_insert(records: list[dict[str, Any]], path: Path) -> float:
    """Write records with the naive same-index layout, 10k per txn; return the seconds."""
    store = _Naive(path)
    try:
        start = time.perf_counter()
        for i in range(0, len(records), BATCH):
            ts = time.time() * 1000
            stamp = {"__createdtime__": ts, "__updatedtime__": ts}
            store.write({**r, **stamp} for r in records[i : i + BATCH])
        return time.perf_counter() - start
    finally:
        store.close()


# --- export -------------------------------------------------------------------------------


def build_table(csv_path: Path, path: Path) -> int:
    """Write the CSV's records with both timestamps, no index (the source of ``raw_export``)."""
    env = _open(path, len(INDEXED) + 2)
    written = 0
    try:
        db = env.open_db(PRIMARY_DB)
        for rows in _csv_batches(csv_path):
            ts = time.time() * 1000
            items = [(_pack_id(int(row[0])), _ENCODE(_stamped(row, ts))) for row in rows]
            with env.begin(write=True, db=db) as txn:
                written += txn.cursor().putmulti(items)[1]
        return written
    finally:
        env.close()


def raw_export(path: Path, fmt: str, out: Path) -> tuple[int, float]:
    """Scan the primary db, decode each record, write JSON or CSV; return rows and seconds."""
    env = lmdb.open(str(path), map_size=MAP_SIZE, max_dbs=len(INDEXED) + 2, readonly=True)
    decode = msgspec.msgpack.Decoder().decode
    json_encode = msgspec.json.Encoder().encode
    rows = 0
    try:
        db = env.open_db(PRIMARY_DB, create=False)
        start = time.perf_counter()
        with env.begin(db=db, buffers=False) as txn, out.open("wb") as sink:
            values = txn.cursor().iternext(keys=False, values=True)
            if fmt == "json":
                sink.write(b"[")
                while batch := [decode(v) for v in itertools.islice(values, BATCH)]:
                    sink.write((b"," if rows else b"") + json_encode(batch)[1:-1])
                    rows += len(batch)
                sink.write(b"]")
            else:
                text = _TextSink(sink)
                writer = csv.writer(text, lineterminator="\n")
                columns: list[str] | None = None
                while batch := [decode(v) for v in itertools.islice(values, BATCH)]:
                    if columns is None:
                        columns = sorted(batch[0])
                        writer.writerow(columns)
                    writer.writerows([[r.get(c) for c in columns] for r in batch])
                    rows += len(batch)
                text.flush()
        return rows, time.perf_counter() - start
    finally:
        env.close()


class _TextSink:
    """A text file-like object over a binary sink, buffered per batch (csv.writer wants str)."""

    def __init__(self, sink: Any) -> None:
        self._sink = sink
        self._parts: list[str] = []
        self._size = 0

    def write(self, text: str) -> int:
        self._parts.append(text)
        self._size += len(text)
        if self._size > 1 << 20:
            self.flush()
        return len(text)

    def flush(self) -> None:
        self._sink.write("".join(self._parts).encode())
        self._parts.clear()
        self._size = 0
