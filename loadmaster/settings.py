"""Server settings, from CLI flags and ``LOADMASTER_*`` environment variables."""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from loadmaster.errors import ConfigurationError

#: The log levels ``LOADMASTER_LOG_LEVEL`` (``--log-level``) takes.
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_ENV_PREFIX = "LOADMASTER_"
_PATH_FIELDS = ("data", "certfile", "keyfile")


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a loadmaster instance can be configured with.

    Each field can be set by a ``LOADMASTER_<FIELD>`` environment variable, and the CLI flags
    override those.
    """

    data: Path = Path("./data")
    host: str = "127.0.0.1"
    port: int = 9925
    certfile: Path | None = None
    keyfile: Path | None = None
    admin_password: str | None = None
    #: Log level (DEBUG, INFO, WARNING, ERROR) and format (``text``, or ``json``: one object
    #: a line) of ``loadmaster serve``.
    log_level: str = "INFO"
    log_format: str = "text"
    #: Answer ``GET /metrics`` without credentials (for a scraper on a trusted network).
    metrics_public: bool = False
    #: Largest accepted request body (HarperDB allows 1 GiB).
    max_body_bytes: int = 1 << 30
    #: Largest body read before the caller is known (no valid Authorization header): enough
    #: for credentials in the body.
    max_unauthenticated_body_bytes: int = 1 << 20
    #: Seconds a request body may take to arrive in full (408 after that).
    body_timeout: float = 60.0
    #: Bytes per second a body must keep up on average, after a few seconds' grace (408).
    body_min_rate: int = 1024
    #: Seconds an HTTP handler waits for an actor's answer before answering 503.
    ask_timeout: float = 30.0
    #: S3-compatible endpoint used when a request's ``s3`` object names none.
    s3_endpoint_url: str | None = None
    #: Seconds to wait for a URL/S3 source to connect, and between bytes once connected.
    source_connect_timeout: float = 10.0
    source_read_timeout: float = 60.0
    #: Redirects a csv_url_load follows before failing.
    max_redirects: int = 5
    #: Directories (separated by ``os.pathsep``) every server-side file path must resolve
    #: into; unset, super users may use any path and others only ``<data>/files/``.
    file_roots: str | None = None
    #: Hosts (names, addresses or CIDR networks; commas or spaces between) that fetches of
    #: callers who are not super users may reach although they are not public.
    url_allow_hosts: str | None = None
    #: Operation and refresh token lifetimes, in seconds.
    operation_token_ttl: int = 86_400
    refresh_token_ttl: int = 30 * 86_400
    #: Jobs run at once; later ones wait in submit order (their records say IN_PROGRESS).
    max_running_jobs: int = 8
    #: Seconds a running job gets at shutdown to stop before it is settled as ERROR (also
    #: after a cancel or a timeout: then it is settled and its slot freed).
    job_stop_grace: float = 10.0
    #: Seconds any job may run (its own ``timeout`` wins); None: no limit.
    job_timeout: float | None = None
    #: Finished job records older than this many days are deleted (hourly); 0 keeps them.
    job_retention_days: float = 30.0
    #: Signs webhook bodies (HMAC-SHA256) when set.
    webhook_secret: str | None = None
    #: Parse CSV loads of at least this many bytes (or of unknown size) in a worker process
    #: (the other core) while the job's thread commits; -1 never does.
    parallel_load_min_bytes: int = 8 << 20
    #: Initial LMDB map size per environment (address space; grows on demand).
    map_size: int = 1 << 40
    #: HarperDB's ``logging.auditLog``: whether new tables record an audit log by default
    #: (``create_table``'s ``audit`` overrides it) and whether the audit operations run.
    audit_log: bool = True
    #: HarperDB's ``logging.auditRetention``: audit entries older than this are purged in the
    #: background (a number and a unit: ``s``, ``m``, ``h``, ``d`` or ``w``, e.g. ``3d``).
    audit_retention: str = "3d"
    #: Origins allowed to call the Operations API from a browser, comma-separated (``*`` for
    #: any); empty: no CORS headers.
    cors_origins: str = ""

    @property
    def cors_origin_list(self) -> list[str]:
        """Return the origins of ``cors_origins`` (empty: no CORS)."""
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        flags: Mapping[str, str] | None = None,
        **overrides: object,
    ) -> "Settings":
        """Build settings from ``LOADMASTER_*`` variables, then apply non-None overrides.

        Args:
            environ: The environment (``os.environ`` by default).
            flags: The command-line flag each override came from, named in errors.
            overrides: Settings given directly (CLI flags, ``loadmaster.open`` keywords).

        Raises:
            ConfigurationError: A value is not of its type or out of its range, naming the
                variable or flag and the accepted values; or only one of certfile/keyfile.
        """
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for field in msgspec.structs.fields(cls):
            raw = environ.get(_ENV_PREFIX + field.name.upper())
            if raw is not None and raw != "":
                values[field.name] = raw
        if "s3_endpoint_url" not in values and environ.get("AWS_ENDPOINT_URL_S3"):
            values["s3_endpoint_url"] = environ["AWS_ENDPOINT_URL_S3"]
        given = {k: v for k, v in overrides.items() if v is not None}
        values.update(given)
        for name in _PATH_FIELDS:
            if isinstance(values.get(name), str):
                values[name] = Path(str(values[name]))
        fields = {f.name: f for f in msgspec.structs.fields(cls)}
        for name, value in values.items():
            if name not in fields:
                raise ConfigurationError(f"unknown setting {name!r}")
            field = fields[name]
            try:
                converted: Any = msgspec.convert(value, field.type, strict=False)
            except msgspec.ValidationError as exc:
                raise ConfigurationError(
                    _invalid(name, value, given, flags or {}, _accepted(name, field.type))
                ) from exc
            values[name] = converted
            limits = _LIMITS.get(name)
            if limits is not None and not limits[0] <= converted <= limits[1]:
                raise ConfigurationError(
                    _invalid(name, value, given, flags or {}, _accepted(name, field.type))
                )
        settings = cls(**values)  # type: ignore[arg-type]
        if (settings.certfile is None) != (settings.keyfile is None):
            one, other = ("certfile", "keyfile")[:: 1 if settings.keyfile is None else -1]
            raise ConfigurationError(
                f"{_source(one, given, flags or {})} is set without a {other}: TLS needs both "
                "--certfile and --keyfile (LOADMASTER_CERTFILE and LOADMASTER_KEYFILE)"
            )
        return settings


#: Accepted ranges of numeric settings (inclusive); a value outside stops the start.
_LIMITS: dict[str, tuple[float, float]] = {
    "port": (0, 65535),
    "max_body_bytes": (1, float("inf")),
    "max_unauthenticated_body_bytes": (1, float("inf")),
    "body_timeout": (0.001, float("inf")),
    "body_min_rate": (0, float("inf")),
    "ask_timeout": (0.001, float("inf")),
    "source_connect_timeout": (0.001, float("inf")),
    "source_read_timeout": (0.001, float("inf")),
    "max_redirects": (0, 100),
    "operation_token_ttl": (1, float("inf")),
    "refresh_token_ttl": (1, float("inf")),
    "max_running_jobs": (1, 10_000),
    "job_stop_grace": (0, float("inf")),
    "parallel_load_min_bytes": (-1, float("inf")),
    "map_size": (1 << 20, float("inf")),
}


def _source(name: str, given: Mapping[str, object], flags: Mapping[str, str]) -> str:
    env = _ENV_PREFIX + name.upper()
    if name in given:
        return flags.get(name, f"the setting {name}")
    return env


def _accepted(name: str, kind: object) -> str:
    low, high = _LIMITS.get(name, (None, None))
    text = str(kind)
    if "int" in text:
        noun = "an integer"
    elif "float" in text:
        noun = "a number"
    elif "Path" in text:
        return "a path"
    else:
        return "a string"
    if low is not None and high is not None and high != float("inf"):
        return f"{noun} from {low:g} to {high:g}"
    if low is not None:
        return f"{noun} of at least {low:g}"
    return noun


def _invalid(
    name: str, value: object, given: Mapping[str, object], flags: Mapping[str, str], ok: str
) -> str:
    return f"invalid {_source(name, given, flags)}={value!s}: expected {ok}"
