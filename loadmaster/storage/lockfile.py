"""One process per data directory: an exclusive ``flock`` on ``<data>/loadmaster.lock``.

Two servers on one directory would each settle the other's running jobs as interrupted and
write the same LMDB environments from two processes. The lock is taken before anything in the
directory is opened, and the kernel drops it when its holder exits, even by ``kill -9``.
"""

import contextlib
import fcntl
import os
from pathlib import Path

from loadmaster.errors import DataDirectoryInUseError

LOCK_FILE = "loadmaster.lock"


class DataDirectoryLock:
    """The held lock of one data directory; :meth:`release` it when closing.

    Raises:
        DataDirectoryInUseError: Another process (or another open instance of this one)
            holds the lock; the message names the directory and the holder's pid.
    """

    def __init__(self, data: Path) -> None:
        self.path = data / LOCK_FILE
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            raise DataDirectoryInUseError(
                f"data directory {data} is in use by another loadmaster (pid {holder})"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd: int | None = fd

    def release(self) -> None:
        """Release the lock (idempotent); the file stays, its pid is stale from now on."""
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def _read_pid(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    except OSError:
        return "unknown"
    return text if text.isdigit() else "unknown"
