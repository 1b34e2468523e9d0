"""Where a load comes from and an export goes to: local files, URLs, S3, the server's disk.

Turns the client's ``load``/``export`` arguments into an upload (a local file or a stream) or
an operation body. S3 credentials are the AWS environment's (boto3's usual chain: variables,
``~/.aws``, instance roles), sent with the request for that job only.
"""

import os
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import urlsplit

from loadmaster.errors import InvalidRequestError

__all__ = ["Upload", "export_body", "is_remote", "load_body", "s3_object", "upload_of"]

SERVER_PREFIX = "server:"
CHUNK = 1 << 20
_JSON_SUFFIXES = (".json", ".ndjson", ".jsonl")
_MEDIA_TYPES = {"csv": "text/csv", "ndjson": "application/x-ndjson"}


class Upload:
    """A local file or stream to send to ``PUT /load/<database>/<table>``."""

    def __init__(self, stream: IO[bytes], size: int | None, fmt: str, gzip: bool) -> None:
        self.stream = stream
        self.size = size
        self.format = fmt
        self.gzip = gzip
        self.sent = 0

    @property
    def headers(self) -> dict[str, str]:
        """Return the content type (and encoding) headers of the body."""
        headers = {"content-type": _MEDIA_TYPES[self.format]}
        if self.gzip:
            headers["content-encoding"] = "gzip"
        return headers

    def chunks(self) -> Iterator[bytes]:
        """Yield the body in 1 MiB chunks, counting what was sent."""
        while chunk := self.stream.read(CHUNK):
            self.sent += len(chunk)
            yield chunk


def _format_of(name: str, fmt: str | None) -> tuple[str, bool]:
    """Return (csv|ndjson, gzipped) from an explicit format or the name's suffixes."""
    lower = name.lower()
    gzip = lower.endswith(".gz")
    if gzip:
        lower = lower[:-3]
    if fmt is not None:
        if fmt not in _MEDIA_TYPES:
            raise InvalidRequestError(f"format must be csv or ndjson, not {fmt!r}")
        return fmt, gzip
    return ("ndjson" if lower.endswith(_JSON_SUFFIXES) else "csv"), gzip


def upload_of(source: str | os.PathLike[str] | IO[bytes], fmt: str | None) -> Upload:
    """Open a local path (or take a binary stream, such as stdin) for an upload.

    Raises:
        InvalidRequestError: The file does not exist or the format is unknown.
    """
    if not isinstance(source, str | os.PathLike):
        kind, gzip = _format_of(getattr(source, "name", "") or "", fmt)
        return Upload(source, None, kind, gzip)
    path = Path(source)
    kind, gzip = _format_of(path.name, fmt)
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise InvalidRequestError(f"cannot read {path}: {exc.strerror}") from exc
    return Upload(stream, path.stat().st_size, kind, gzip)


def s3_object(url: str) -> dict[str, Any]:
    """Return the ``s3`` object of a request for ``s3://bucket/key``, with AWS credentials.

    Raises:
        InvalidRequestError: A malformed URL, or no credentials in the environment.
    """
    parts = urlsplit(url)
    bucket, key = parts.netloc, parts.path.lstrip("/")
    if not bucket or not key:
        raise InvalidRequestError(f"an S3 URL is s3://bucket/key, not {url!r}")
    import boto3.session  # only S3 sources pay for importing boto3

    session = boto3.session.Session()
    credentials = session.get_credentials()
    if credentials is None:
        raise InvalidRequestError(
            "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or a profile)"
        )
    frozen = credentials.get_frozen_credentials()
    s3: dict[str, Any] = {
        "aws_access_key_id": frozen.access_key,
        "aws_secret_access_key": frozen.secret_key,
        "bucket": bucket,
        "key": key,
        "region": session.region_name or "us-east-1",
    }
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        s3["endpoint_url"] = endpoint
    return s3


def load_body(
    source: str, table: str, database: str, action: str, fmt: str | None, options: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the operation body that loads a URL, an S3 object or a file on the server."""
    body: dict[str, Any] = {"database": database, "table": table, "action": action, **options}
    if source.startswith(("http://", "https://")):
        kind, _ = _format_of(urlsplit(source).path, fmt)
        if kind == "ndjson":
            return {"operation": "json_url_load", "json_url": source, **body}
        return {"operation": "csv_url_load", "csv_url": source, **body}
    if source.startswith("s3://"):
        return {"operation": "import_from_s3", "s3": s3_object(source), **body}
    if source.startswith(SERVER_PREFIX):
        path = source[len(SERVER_PREFIX) :]
        kind, _ = _format_of(path, fmt)
        operation = "json_file_load" if kind == "ndjson" else "csv_file_load"
        return {"operation": operation, "file_path": path, **body}
    raise InvalidRequestError(f"not a URL, S3 or server source: {source!r}")


def is_remote(source: object) -> bool:
    """Tell whether a load source is read by the server (URL, S3, server path)."""
    return isinstance(source, str) and source.startswith(
        ("http://", "https://", "s3://", SERVER_PREFIX)
    )


def export_body(
    to: str, fmt: str, search_operation: dict[str, Any], options: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the export_to_s3 or export_local body writing ``search_operation``'s rows to ``to``.

    A local ``to`` is a path on the server's disk (``server:`` may prefix it); a suffix naming
    the format is dropped, since the server adds it.
    """
    if to.startswith("s3://"):
        s3 = s3_object(to)
        s3["key"] = s3["key"].removesuffix(f".{fmt}")
        return {
            "operation": "export_to_s3",
            "format": fmt,
            "s3": s3,
            "search_operation": search_operation,
            **options,
        }
    target = PurePosixPath(to.removeprefix(SERVER_PREFIX))
    name = target.name.removesuffix(f".{fmt}")
    if not name:
        raise InvalidRequestError(f"an export target names a file: {to!r}")
    return {
        "operation": "export_local",
        "format": fmt,
        "path": str(target.parent),
        "filename": name,
        "search_operation": search_operation,
        **options,
    }
