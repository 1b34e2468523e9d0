"""One LMDB environment: its transactions, named databases and map growth.

Every transaction of this process goes through :class:`Env`, which lets map growth and dropping
named databases wait until no transaction is open (``mdb_env_set_mapsize`` and ``mdb_drop`` would
pull pages out from under open readers). Transactions are short: nothing here keeps one open
across a ``yield``, so no caller can hold one while it waits for a write of its own.
"""

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import lmdb

from loadmaster.errors import StorageError

__all__ = ["Env", "WriteTxn"]

_T = TypeVar("_T")

_MAX_DBS = 4096
_MAX_READERS = 1024


class _Gate:
    """Let any number of transactions in, or one exclusive holder once they have left."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._active = 0
        self._exclusive = False

    def enter(self) -> None:
        with self._cond:
            while self._exclusive:
                self._cond.wait()
            self._active += 1

    def leave(self) -> None:
        with self._cond:
            self._active -= 1
            if not self._active:
                self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            while self._exclusive:
                self._cond.wait()
            self._exclusive = True
            while self._active:
                self._cond.wait()
        try:
            yield
        finally:
            with self._cond:
                self._exclusive = False
                self._cond.notify_all()


class WriteTxn:
    """A write transaction in progress, with hooks that run only once it has committed."""

    __slots__ = ("_after", "txn")

    def __init__(self, txn: "lmdb.Transaction[bytes]") -> None:
        self.txn = txn
        self._after: list[Callable[[], None]] = []

    def after_commit(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` after a successful commit (never after an abort or a retry)."""
        self._after.append(hook)


class Env:
    """Wrap one LMDB environment: serialised writes, map growth, short read transactions."""

    def __init__(self, path: str | os.PathLike[str], *, map_size: int) -> None:
        os.makedirs(path, exist_ok=True)
        try:
            self._env = lmdb.open(
                os.fspath(path),
                map_size=map_size,
                max_dbs=_MAX_DBS,
                max_readers=_MAX_READERS,
                sync=True,
                writemap=False,
                lock=True,
                subdir=True,
            )
        except lmdb.Error as exc:
            raise StorageError(f"cannot open LMDB environment at {path}: {exc}") from exc
        self._gate = _Gate()
        # LMDB has one writer per environment anyway; holding this lock for the whole write
        # also makes the in-memory catalog updates of a commit atomic for other writers.
        self._write_lock = threading.RLock()
        self._closed = False
        self._in_write = threading.local()

    @property
    def path(self) -> str:
        """Return the directory of the environment."""
        return self._env.path()

    @property
    def lmdb_env(self) -> "lmdb.Environment":
        """Return the raw environment (for stats only)."""
        return self._env

    def close(self) -> None:
        """Close the environment once every transaction has ended; idempotent."""
        with self._write_lock, self._gate.exclusive():
            if not self._closed:
                self._closed = True
                self._env.close()

    def last_commit(self) -> int:
        """Return the id of the last transaction committed to the environment (by any
        process): what was read since it was taken is still current while it is unchanged."""
        if self._closed:
            raise StorageError("the store is closed")
        try:
            return int(self._env.info()["last_txnid"])
        except lmdb.Error as exc:
            raise StorageError(f"LMDB read failed: {exc}") from exc

    def open_db(self, txn: WriteTxn, name: bytes, *, dupsort: bool = False) -> "lmdb._Database":
        """Open (creating) a named database inside a write transaction."""
        return self._env.open_db(name, txn=txn.txn, create=True, dupsort=dupsort)

    @contextmanager
    def read(self) -> Iterator["lmdb.Transaction[bytes]"]:
        """Open a short read-only transaction (never hold it across a ``yield``)."""
        self._gate.enter()
        try:
            if self._closed:
                raise StorageError("the store is closed")
            txn = self._env.begin(buffers=False)
            try:
                yield txn
            finally:
                txn.abort()
        except lmdb.Error as exc:
            raise StorageError(f"LMDB read failed: {exc}") from exc
        finally:
            self._gate.leave()

    def write(self, body: Callable[[WriteTxn], _T], *, exclusive: bool = False) -> _T:
        """Run ``body`` in one write transaction and commit it.

        When the map is full the transaction is aborted, the map doubled and ``body`` run again
        from the start, so ``body`` must not change anything outside the transaction except
        through :meth:`WriteTxn.after_commit`.

        Args:
            body: builds the transaction; its return value is returned.
            exclusive: wait until no other transaction of this process is open (needed when the
                body drops named databases).
        """
        with self._write_lock:
            if getattr(self._in_write, "active", False):
                raise StorageError("nested write transaction")
            self._in_write.active = True
            try:
                while True:
                    try:
                        return self._attempt(body, exclusive=exclusive)
                    except lmdb.MapFullError:
                        self._grow()
            finally:
                self._in_write.active = False

    def _attempt(self, body: Callable[[WriteTxn], _T], *, exclusive: bool) -> _T:
        if exclusive:
            with self._gate.exclusive():
                return self._run(body)
        self._gate.enter()
        try:
            return self._run(body)
        finally:
            self._gate.leave()

    def _run(self, body: Callable[[WriteTxn], _T]) -> _T:
        if self._closed:
            raise StorageError("the store is closed")
        txn = self._env.begin(write=True)
        wtxn = WriteTxn(txn)
        try:
            result = body(wtxn)
            txn.commit()
        except lmdb.MapFullError:
            txn.abort()
            raise
        except lmdb.Error as exc:
            txn.abort()
            raise StorageError(f"LMDB write failed: {exc}") from exc
        except BaseException:
            txn.abort()
            raise
        for hook in wtxn._after:
            hook()
        return result

    def _grow(self) -> None:
        with self._gate.exclusive():
            size = self._env.info()["map_size"]
            try:
                self._env.set_mapsize(size * 2)
            except lmdb.Error as exc:
                raise StorageError(f"cannot grow the LMDB map: {exc}") from exc
