"""Load generators: wrk (installed when missing), a pinned Python fallback, and a burst client."""

import asyncio
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.procs import HOST, pinned

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


class LoadResult:
    """What one load run measured: throughput, latency percentiles and failures."""

    def __init__(self, rps: float, p50_ms: float, p99_ms: float, errors: int, tool: str) -> None:
        self.rps = rps
        self.p50_ms = p50_ms
        self.p99_ms = p99_ms
        self.errors = errors
        self.tool = tool


def _apt(*args: str) -> bool:
    try:
        done = subprocess.run(["apt-get", *args], capture_output=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@functools.cache
def ensure_wrk() -> str | None:
    """Return the path of ``wrk``, installing Debian's package when missing; None if impossible."""
    found = shutil.which("wrk")
    if found or shutil.which("apt-get") is None or os.geteuid() != 0:
        return found
    print("wrk missing: apt-get install -y wrk", file=sys.stderr)
    if not _apt("install", "-y", "wrk"):
        _apt("update")
        _apt("install", "-y", "wrk")
    return shutil.which("wrk")


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", value)
    if not match:
        raise ValueError(f"unknown wrk latency {value!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def _wrk(
    wrk: str, port: int, body: bytes, headers: dict[str, str], seconds: float, workdir: Path
) -> LoadResult:
    script = workdir / "post.lua"
    lines = ['wrk.method = "POST"', f"wrk.body = {_lua_string(body.decode())}"]
    lines += [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()]
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cmd = [wrk, "-t1", "-c1", f"-d{max(1, round(seconds))}s", "--latency", "-s", str(script)]
    out = subprocess.run(
        pinned([*cmd, f"http://{HOST}:{port}/"], 0),
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"\s50%\s+(\S+)", out)
    p99 = re.search(r"\s99%\s+(\S+)", out)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    failed = re.search(r"Socket errors:.*?(\d+) read, (\d+) write, (\d+) timeout", out)
    if not (rps and p50 and p99):
        raise RuntimeError(f"cannot read wrk output:\n{out}")
    errors = int(bad.group(1)) if bad else 0
    if failed:
        errors += sum(int(g) for g in failed.groups())
    return LoadResult(float(rps.group(1)), _ms(p50.group(1)), _ms(p99.group(1)), errors, "wrk")


def _python(port: int, body: bytes, headers: dict[str, str], seconds: float) -> LoadResult:
    args = json.dumps(
        {"port": port, "body": body.decode(), "headers": headers, "seconds": seconds, "cpu": 0}
    )
    out = subprocess.run(
        pinned([sys.executable, "-m", "benchmarks.pyload", args], 0),
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    res = json.loads(out)
    return LoadResult(res["rps"], res["p50_ms"], res["p99_ms"], res["errors"], "python client")


def hammer(
    port: int, body: bytes, headers: dict[str, str], seconds: float, workdir: Path
) -> LoadResult:
    """POST ``body`` to ``/`` over one HTTP/1.1 connection for ``seconds``, from CPU 0."""
    wrk = ensure_wrk()
    if wrk is not None:
        return _wrk(wrk, port, body, headers, seconds, workdir)
    return _python(port, body, headers, seconds)


# --- burst -------------------------------------------------------------------------------


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def _burst(
    port: int, requests: Sequence[bytes], seconds: float
) -> list[tuple[float, int, bytes]]:
    go = asyncio.Event()
    conns: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def one(
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], raw: bytes
    ) -> tuple[float, int, bytes]:
        reader, writer = conn
        await go.wait()
        start = time.perf_counter()
        writer.write(raw)
        await writer.drain()
        status, body = await _read_response(reader)
        return time.perf_counter() - start, status, body

    tasks: list[asyncio.Task[tuple[float, int, bytes]]] = []
    try:
        async with asyncio.timeout(seconds):
            # Every connection is open before the first byte is sent: the burst measures
            # the server's answers, not its accept queue.
            for _ in requests:
                conns.append(await asyncio.open_connection(HOST, port))
            tasks = [asyncio.create_task(one(c, r)) for c, r in zip(conns, requests, strict=True)]
            await asyncio.sleep(0)
            go.set()
            return await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        for _, writer in conns:
            writer.close()
        await asyncio.gather(*(w.wait_closed() for _, w in conns), return_exceptions=True)


def burst(
    port: int, bodies: Sequence[bytes], headers: dict[str, str], timeout: float = 60.0
) -> list[tuple[float, int, Any]]:
    """Open one connection per body, then send them all at once.

    Returns:
        Per request: the seconds from its send to its answer, the status, the decoded answer.
    """
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    requests = [
        f"POST / HTTP/1.1\r\nHost: {HOST}:{port}\r\n{head}Content-Length: {len(b)}\r\n\r\n".encode()
        + b
        for b in bodies
    ]
    results = asyncio.run(_burst(port, requests, timeout))
    return [(s, status, json.loads(body) if body else None) for s, status, body in results]
