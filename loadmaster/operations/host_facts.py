"""Facts about the host and this process for ``system_information``, from the standard library
and ``/proc`` (Linux); on other systems the ``/proc`` figures are left out or zero.

The shapes follow HarperDB's (the ``systeminformation`` npm package's) key names.
"""

import os
import platform
import pwd
import resource
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_STARTED = time.time()
_ARCH = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "i686": "ia32", "armv7l": "arm"}


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _pairs(text: str, separator: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(separator)
        if sep:
            found.setdefault(name.strip(), value.strip().strip('"'))
    return found


def system() -> dict[str, Any]:
    """Describe the operating system and the runtime."""
    release = _pairs(_read("/etc/os-release"), "=")
    return {
        "platform": sys.platform,
        "distro": release.get("NAME", platform.system()),
        "release": release.get("VERSION_ID", platform.release()),
        "codename": release.get("VERSION_CODENAME", ""),
        "kernel": platform.release(),
        "arch": _ARCH.get(platform.machine().lower(), platform.machine()),
        "hostname": socket.gethostname(),
        "fqdn": socket.getfqdn(),
        "node_version": "",
        "npm_version": "",
        "python_version": platform.python_version(),
    }


def _timezone_name() -> str:
    if os.environ.get("TZ"):
        return os.environ["TZ"].lstrip(":")
    name = _read("/etc/timezone").strip()
    if name:
        return name
    try:
        target = os.readlink("/etc/localtime")
    except OSError:
        return time.tzname[0]
    return target.split("zoneinfo/", 1)[-1]


def clock() -> dict[str, Any]:
    """Return the time, the host's uptime and its time zone."""
    uptime = _read("/proc/uptime").split()
    offset = time.strftime("%z")
    return {
        "current": int(time.time() * 1000),
        "uptime": float(uptime[0]) if uptime else time.time() - _STARTED,
        "timezone": f"UTC{offset}",
        "timezoneName": _timezone_name(),
    }


def _cpu_times() -> list[list[int]]:
    rows = []
    for line in _read("/proc/stat").splitlines():
        if line.startswith("cpu"):
            rows.append([int(v) for v in line.split()[1:]])
    return rows


def _load(times: list[int]) -> dict[str, float]:
    total = sum(times) or 1
    user, nice, system_, idle = [*times, 0, 0, 0, 0][:4]
    irq = sum(times[5:7]) if len(times) >= 7 else 0
    steal = times[7] if len(times) > 7 else 0
    return {
        "load": 100.0 * (total - idle) / total,
        "loadUser": 100.0 * user / total,
        "loadSystem": 100.0 * system_ / total,
        "loadNice": 100.0 * nice / total,
        "loadIdle": 100.0 * idle / total,
        "loadIrq": 100.0 * irq / total,
        "loadSteal": 100.0 * steal / total,
    }


def cpu() -> dict[str, Any]:
    """Describe the processors and their load (since boot)."""
    info = _read("/proc/cpuinfo")
    blocks = [_pairs(block, ":") for block in info.split("\n\n") if block.strip()]
    first = blocks[0] if blocks else {}
    speeds = [float(b["cpu MHz"]) / 1000 for b in blocks if "cpu MHz" in b]
    cores = os.cpu_count() or len(blocks) or 1
    physical = {(b.get("physical id"), b.get("core id")) for b in blocks} if blocks else set()
    times = _cpu_times()
    total = _load(times[0]) if times else _load([])
    per_cpu = [_load(row) for row in times[1:]]
    speed = round(sum(speeds) / len(speeds), 2) if speeds else 0.0
    return {
        "manufacturer": first.get("vendor_id", platform.processor()),
        "brand": first.get("model name", platform.processor()),
        "vendor": first.get("vendor_id", ""),
        "speed": speed,
        "speedMin": min(speeds, default=0.0),
        "speedMax": max(speeds, default=0.0),
        "cores": cores,
        "physicalCores": len(physical) or cores,
        "performanceCores": len(physical) or cores,
        "efficiencyCores": 0,
        "processors": len({b.get("physical id") for b in blocks}) or 1,
        "flags": first.get("flags", ""),
        "virtualization": "hypervisor" in first.get("flags", "").split(),
        "cpu_speed": {
            "min": min(speeds, default=0.0),
            "max": max(speeds, default=0.0),
            "avg": speed,
            "cores": speeds,
        },
        "current_load": {
            "avgLoad": os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0,
            "currentLoad": total["load"],
            "currentLoadUser": total["loadUser"],
            "currentLoadSystem": total["loadSystem"],
            "currentLoadNice": total["loadNice"],
            "currentLoadIdle": total["loadIdle"],
            "currentLoadIrq": total["loadIrq"],
            "currentLoadSteal": total["loadSteal"],
            "cpus": per_cpu,
        },
    }


def _rss() -> int:
    status = _pairs(_read("/proc/self/status"), ":")
    if "VmRSS" in status:
        return int(status["VmRSS"].split()[0]) * 1024
    # ru_maxrss is the peak, in KiB on Linux: the best a system without /proc offers.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def memory() -> dict[str, int]:
    """Return the host's memory figures and this process's resident size, in bytes."""
    kib = {k: int(v.split()[0]) * 1024 for k, v in _pairs(_read("/proc/meminfo"), ":").items()}
    total = kib.get("MemTotal", 0)
    free = kib.get("MemFree", 0)
    available = kib.get("MemAvailable", free)
    swap_total = kib.get("SwapTotal", 0)
    swap_free = kib.get("SwapFree", 0)
    return {
        "total": total,
        "free": free,
        "used": total - free,
        "active": total - available,
        "available": available,
        "buffcache": kib.get("Buffers", 0) + kib.get("Cached", 0) + kib.get("SReclaimable", 0),
        "reclaimable": kib.get("SReclaimable", 0),
        "swaptotal": swap_total,
        "swapused": swap_total - swap_free,
        "swapfree": swap_free,
        "writeback": kib.get("Writeback", 0),
        "dirty": kib.get("Dirty", 0),
        "rss": _rss(),
    }


def disk(path: Path) -> dict[str, Any]:
    """Describe the file system holding the data directory."""
    try:
        stat = os.statvfs(path)
    except OSError:
        return {}
    size = stat.f_blocks * stat.f_frsize
    available = stat.f_bavail * stat.f_frsize
    used = size - stat.f_bfree * stat.f_frsize
    return {
        "size": [
            {
                "mount": str(path),
                "size": size,
                "used": used,
                "available": available,
                "use": round(100.0 * used / size, 2) if size else 0.0,
            }
        ]
    }


def _default_interface() -> str:
    for line in _read("/proc/net/route").splitlines()[1:]:
        fields = line.split()
        if len(fields) > 2 and fields[1] == "00000000":
            return fields[0]
    return ""


def _interface_stats() -> Iterator[dict[str, Any]]:
    for line in _read("/proc/net/dev").splitlines()[2:]:
        name, _, counters = line.partition(":")
        values = [int(v) for v in counters.split()]
        if len(values) >= 16:
            yield {
                "iface": name.strip(),
                "rx_bytes": values[0],
                "rx_dropped": values[3],
                "rx_errors": values[2],
                "tx_bytes": values[8],
                "tx_dropped": values[11],
                "tx_errors": values[10],
            }


def network() -> dict[str, Any]:
    """Describe the network interfaces and their counters."""
    try:
        names = [name for _, name in socket.if_nameindex()]
    except OSError:
        names = []
    return {
        "default_interface": _default_interface(),
        "latency": {},
        "interfaces": [{"iface": n, "ifaceName": n} for n in names],
        "stats": list(_interface_stats()),
        "connections": [],
    }


def processes() -> dict[str, Any]:
    """Describe this server process (HarperDB lists its own processes as ``core``)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    elapsed = max(time.time() - _STARTED, 1e-6)
    total = memory()["total"] or 1
    try:
        user = pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        user = str(os.getuid())
    return {
        "core": [
            {
                "pid": os.getpid(),
                "parentPid": os.getppid(),
                "name": "loadmaster",
                "cpu": round(100.0 * (usage.ru_utime + usage.ru_stime) / elapsed, 2),
                "mem": round(100.0 * _rss() / total, 2),
                "started": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(_STARTED)),
                "state": "running",
                "user": user,
                "command": sys.executable,
                "params": " ".join(sys.argv[1:]),
                "path": str(Path(sys.executable).parent),
            }
        ],
        "clustering": [],
    }


def threads() -> list[dict[str, Any]]:
    """List this process's threads."""
    return [
        {"threadId": t.native_id, "name": t.name, "daemon": t.daemon} for t in threading.enumerate()
    ]
