"""Server settings, from CLI flags and ``LOADMASTER_*`` environment variables."""

import os
from collections.abc import Mapping
from pathlib import Path

import msgspec

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
    #: Largest accepted request body (HarperDB allows 1 GiB).
    max_body_bytes: int = 1 << 30
    #: Seconds an HTTP handler waits for an actor's answer before answering 503.
    ask_timeout: float = 30.0
    #: S3-compatible endpoint used when a request's ``s3`` object names none.
    s3_endpoint_url: str | None = None
    #: Seconds to wait for a URL/S3 source to connect, and between bytes once connected.
    source_connect_timeout: float = 10.0
    source_read_timeout: float = 60.0
    #: Redirects a csv_url_load follows before failing.
    max_redirects: int = 5
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

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> "Settings":
        """Build settings from ``LOADMASTER_*`` variables, then apply non-None overrides."""
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for field in msgspec.structs.fields(cls):
            raw = environ.get(_ENV_PREFIX + field.name.upper())
            if raw is not None and raw != "":
                values[field.name] = raw
        if "s3_endpoint_url" not in values and environ.get("AWS_ENDPOINT_URL_S3"):
            values["s3_endpoint_url"] = environ["AWS_ENDPOINT_URL_S3"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        for name in _PATH_FIELDS:
            if isinstance(values.get(name), str):
                values[name] = Path(str(values[name]))
        try:
            return msgspec.convert(values, cls, strict=False)
        except msgspec.ValidationError as exc:
            raise ValueError(f"invalid setting: {exc}") from exc
