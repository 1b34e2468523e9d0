"""``get_configuration``: the server's settings in the shape of HarperDB's config (ops-more §3).

Only real settings are reported, under HarperDB's camelCase keys where one exists; secrets (the
admin password, the token signing key, S3 credentials) are never part of the answer.
"""

import logging
from pathlib import Path
from typing import Any

from loadmaster.operations import schema as s
from loadmaster.operations.handler_context import Context
from loadmaster.operations.table import operation
from loadmaster.settings import Settings

_LEVELS = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warn",
    logging.ERROR: "error",
    logging.CRITICAL: "fatal",
}


def duration(seconds: int) -> str:
    """Word seconds as HarperDB words timeouts: ``1d``, ``12h``, ``30m`` or ``45s``."""
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def configuration(settings: Settings) -> dict[str, Any]:
    """Return the configuration object ``get_configuration`` answers with."""
    root = Path(settings.data).resolve()
    address = f"{settings.host}:{settings.port}"
    tls = settings.certfile is not None
    origins = settings.cors_origin_list
    level = _LEVELS.get(logging.getLogger().getEffectiveLevel(), "warn")
    return {
        "authentication": {
            "authorizeLocal": False,
            "enableSessions": False,
            "operationTokenTimeout": duration(settings.operation_token_ttl),
            "refreshTokenTimeout": duration(settings.refresh_token_ttl),
        },
        "componentsRoot": str(root / "components"),
        "localStudio": {"enabled": False},
        "logging": {
            "auditAuthEvents": {"logFailed": False, "logSuccessful": False},
            "auditLog": settings.audit_log,
            "auditRetention": settings.audit_retention,
            "file": False,
            "level": level,
            "root": None,
            "rotation": {
                "enabled": False,
                "compress": False,
                "interval": None,
                "maxSize": None,
                "path": None,
            },
            "stdStreams": True,
        },
        "operationsApi": {
            "network": {
                "cors": bool(origins),
                "corsAccessList": origins,
                "domainSocket": None,
                "port": address,
                "securePort": address if tls else None,
                "http2": True,
            },
        },
        "rootPath": str(root),
        "storage": {"path": str(root / "data"), "writeAsync": False, "compression": False},
        "threads": {"count": 1, "debug": False},
        "tls": {
            "certificate": None if settings.certfile is None else str(settings.certfile),
            "privateKey": None if settings.keyfile is None else str(settings.keyfile),
        },
        "jobs": {"maxRunning": settings.max_running_jobs},
    }


@operation(s.GetConfiguration, super_user="getConfiguration")
def get_configuration(_op: s.GetConfiguration, ctx: Context) -> dict[str, Any]:
    """Return the server's configuration (HarperDB's keys; no secrets)."""
    return configuration(ctx.settings)
