"""Processes the harness starts: loadmaster servers, reference servers; ports and memory.

Every process is started by a context manager and killed in its ``finally``; everything binds
127.0.0.1 only.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from benchmarks.client import Client
from benchmarks.memory import MemoryWatch

ADMIN_USER = "HDB_ADMIN"
ADMIN_PASSWORD = "pw"  # noqa: S105 - throwaway servers on loopback
HOST = "127.0.0.1"
_START_TIMEOUT = 60.0
_STOP_TIMEOUT = 15.0


def free_port() -> int:
    """Return a TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def two_cores() -> bool:
    """Tell whether CPU 0 and CPU 1 both exist for pinning a server and its load generator."""
    return hasattr(os, "sched_getaffinity") and {0, 1} <= os.sched_getaffinity(0)


def pinned(cmd: Sequence[str], cpu: int | None) -> list[str]:
    """Prefix ``cmd`` with ``taskset`` to run it on one CPU, when asked and possible."""
    if cpu is None or not two_cores() or shutil.which("taskset") is None:
        return list(cmd)
    return ["taskset", "-c", str(cpu), *cmd]


def _loadmaster_cmd() -> list[str]:
    script = Path(sys.executable).with_name("loadmaster")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "loadmaster"]


def _stop(proc: "subprocess.Popen[bytes]") -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(_STOP_TIMEOUT)


def _wait_ready(proc: "subprocess.Popen[bytes]", port: int, log: Path, path: str) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(f"server exited with {proc.returncode} during start:\n{tail}")
        try:
            with Client(HOST, port, timeout=2.0) as client:
                if client.get(path) == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"server on port {port} not ready after {_START_TIMEOUT:.0f} s")


class Server:
    """A server subprocess on 127.0.0.1, with its pid, port and a client factory."""

    def __init__(self, proc: "subprocess.Popen[bytes]", port: int, log: Path) -> None:
        self.proc = proc
        self.port = port
        self.log = log

    @property
    def pid(self) -> int:
        """Return the server's process id (``taskset`` execs it, so the pid is the same)."""
        return self.proc.pid

    @property
    def url(self) -> str:
        """Return ``http://127.0.0.1:<port>``."""
        return f"http://{HOST}:{self.port}"

    def client(self, timeout: float = 120.0) -> Client:
        """Return a keep-alive client authenticated as the admin user."""
        return Client(HOST, self.port, user=ADMIN_USER, password=ADMIN_PASSWORD, timeout=timeout)

    def memory(self) -> MemoryWatch:
        """Return a watch of this server's peak memory (use it as a context manager)."""
        return MemoryWatch(self.pid)


@contextmanager
def loadmaster_server(
    data: Path, *, cpu: int | None = None, env: dict[str, str] | None = None
) -> Iterator[Server]:
    """Run ``loadmaster serve`` on a free port over ``data``; stop it on exit."""
    data.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = data.with_name(data.name + ".log")
    cmd = [*_loadmaster_cmd(), "serve", "--host", HOST, "--port", str(port), "--data", str(data)]
    full_env = {**os.environ, "LOADMASTER_ADMIN_PASSWORD": ADMIN_PASSWORD, **(env or {})}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            pinned(cmd, cpu), stdout=out, stderr=subprocess.STDOUT, env=full_env
        )
    try:
        _wait_ready(proc, port, log, "/health")
        yield Server(proc, port, log)
    finally:
        _stop(proc)


@contextmanager
def python_server(
    args: Sequence[str], workdir: Path, *, cpu: int | None = None, path: str = "/"
) -> Iterator[Server]:
    """Run ``python <args>`` as a reference server; stop it on exit.

    ``{port}`` in ``args`` is replaced by the free port chosen for it.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = workdir / f"server-{port}.log"
    cmd = [sys.executable, *(a.replace("{port}", str(port)) for a in args)]
    with log.open("wb") as out:
        proc = subprocess.Popen(pinned(cmd, cpu), stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_ready(proc, port, log, path)
        yield Server(proc, port, log)
    finally:
        _stop(proc)
