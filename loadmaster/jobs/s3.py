"""The S3 jobs: import_from_s3 (a CSV or JSON object) and export_to_s3 (a multipart upload).

Objects are streamed both ways, never held whole in memory or written to a temp file. The
request's credentials are used for that job's client only: they are not logged, stored or put
in a message.
"""

import contextlib
import functools
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from loadmaster.errors import InvalidRequestError, S3Error
from loadmaster.jobs.context import JobContext
from loadmaster.jobs.csv_load import (
    READ_CHUNK,
    load_csv_chunks,
)
from loadmaster.jobs.export import (
    ExportRequest,
    check_format,
    encode,
    file_suffix,
    found_records,
)
from loadmaster.jobs.jsonload import load_json_chunks
from loadmaster.jobs.load_policy import DEFAULT_OPTIONS, LoadOptions
from loadmaster.names import Action
from loadmaster.settings import Settings

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client
    from types_boto3_s3.type_defs import CompletedPartTypeDef

S3_FIELDS = ("aws_access_key_id", "aws_secret_access_key", "bucket", "key", "region")
#: The formats a key names by its extension (after a compression suffix, if any); HarperDB
#: knows the first two.
EXTENSIONS = {".csv": "csv", ".json": "json", ".ndjson": "json", ".jsonl": "json"}
COMPRESSION_SUFFIXES = (".gz", ".zst", ".zstd")
#: Bytes per uploaded part of an export (S3's minimum is 5 MiB, except for the last part).
PART_SIZE = 8 << 20
#: Parts of an export being sent at once while the next is encoded.
UPLOADS_IN_FLIGHT = 2
_CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv",
    "ndjson": "application/x-ndjson",
    "gzip": "application/gzip",
}
_SESSION_LOCK = threading.Lock()


# --- request checks -----------------------------------------------------------------------


def _blank(value: Any) -> bool:
    # validate.js "presence, allowEmpty: false": whitespace-only text and {} / [] are empty.
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    return isinstance(value, (dict, list)) and not value


def _extension(key: str) -> str:
    # Node's path.extname: a leading dot names a hidden file, not an extension. A compression
    # suffix is looked through (``dogs.csv.gz`` is a CSV; its bytes say it is gzip).
    base = key.rpartition("/")[2]
    for suffix in COMPRESSION_SUFFIXES:
        if base.endswith(suffix) and len(base) > len(suffix):
            base = base[: -len(suffix)]
            break
    dot = base.rfind(".")
    return base[dot:] if dot > 0 else ""


def validate_s3(s3: Any) -> list[str]:
    """Check import_from_s3's ``s3`` object as validate.js does; return the problems.

    The caller adds the table and action problems and joins them all with ``","``.
    """
    problems = ["S3 can't be blank"] if _blank(s3) else []
    fields = s3 if isinstance(s3, dict) else {}
    for name in S3_FIELDS:
        label = "S3 " + name.replace("_", " ")
        value = fields.get(name)
        if _blank(value):
            problems.append(f"{label} can't be blank")
        elif not isinstance(value, str):
            problems.append(f"{label}  must be a 'String' value")
        elif name == "key" and _extension(value) not in EXTENSIONS:
            problems.append(
                "S3 key must include one of the following valid file extensions - '.csv', '.json'"
            )
    return problems


def _export_fields(s3: Any) -> dict[str, Any]:
    """Check export_to_s3's ``s3`` object inside the job, worded as HarperDB's export.js."""
    if not isinstance(s3, dict) or not s3:
        raise InvalidRequestError("S3 object is missing.")
    for name in S3_FIELDS:
        if not s3.get(name):
            raise InvalidRequestError(f"{name} is missing.")
    return s3


# --- client --------------------------------------------------------------------------------


def s3_client(s3: Mapping[str, Any], settings: Settings) -> "S3Client":
    """Build an S3 client for one job from the request's credentials and region.

    The endpoint is ``s3["endpoint_url"]``, else the server's ``s3_endpoint_url``, else AWS;
    an endpoint is addressed path-style, which S3-compatible stores (MinIO, moto) expect.
    """
    endpoint = s3.get("endpoint_url") or settings.s3_endpoint_url
    config = Config(
        connect_timeout=settings.source_connect_timeout,
        read_timeout=settings.source_read_timeout,
        retries={"max_attempts": 3, "mode": "standard"},
        s3={"addressing_style": "path"} if endpoint else None,
        # botocore >= 1.36 adds a CRC32 of every uploaded part; S3 needs none (SigV4 signs
        # the payload's SHA-256 over plain HTTP, TLS protects it over HTTPS), and it cost a
        # third of export_to_s3's time. Downloads are still checked where S3 sends sums.
        request_checksum_calculation="when_required",
    )
    try:
        # Sessions are not thread-safe, clients are; sharing one session saves loading the
        # S3 model (~0.1 s) per job. Credentials go to the client, never to the session.
        with _SESSION_LOCK:
            return _shared_session().client(
                "s3",
                region_name=str(s3["region"]),
                endpoint_url=str(endpoint) if endpoint else None,
                aws_access_key_id=str(s3["aws_access_key_id"]),
                aws_secret_access_key=str(s3["aws_secret_access_key"]),
                aws_session_token=str(s3["aws_session_token"])
                if s3.get("aws_session_token")
                else None,
                config=config,
            )
    except (BotoCoreError, ValueError) as exc:
        raise S3Error(str(exc)) from exc


@functools.cache
def _shared_session() -> boto3.session.Session:
    return boto3.session.Session()


def _aws_error(exc: ClientError | BotoCoreError) -> S3Error:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        message = error.get("Message") or error.get("Code") or str(exc)
        return S3Error(message)
    return S3Error(str(exc))


# --- import --------------------------------------------------------------------------------


def import_from_s3(
    job: JobContext,
    s3: Mapping[str, Any],
    *,
    db: str,
    table: str,
    action: Action,
    encoding: str = "utf-8",
    options: LoadOptions = DEFAULT_OPTIONS,
) -> str:
    """Run import_from_s3: stream a ``.csv`` or a JSON object (``.json``, ``.ndjson``,
    ``.jsonl``; each also gzip- or zstd-compressed) into a table.

    Returns:
        ``successfully loaded N of M records``.

    Raises:
        S3Error: S3 failed; the message is AWS's (``The specified key does not exist.``).
    """
    client = s3_client(s3, job.settings)
    key = str(s3["key"])
    try:
        answer = client.get_object(Bucket=str(s3["bucket"]), Key=key)
    except (ClientError, BotoCoreError) as exc:
        raise _aws_error(exc) from exc
    body = answer["Body"]
    try:
        chunks = _object_chunks(body.iter_chunks(READ_CHUNK), answer["ContentLength"], job)
        extension = _extension(key)
        if EXTENSIONS.get(extension) == "json":
            return load_json_chunks(
                job,
                chunks,
                db=db,
                table=table,
                action=action,
                encoding=encoding,
                array_only=extension == ".json",
                options=options,
            )
        return load_csv_chunks(
            job, chunks, db=db, table=table, action=action, encoding=encoding, options=options
        )
    finally:
        body.close()


def _object_chunks(chunks: Iterator[bytes], total: int, job: JobContext) -> Iterator[bytes]:
    done = 0
    job.progress(bytes_read=0, bytes_total=total)
    try:
        for chunk in chunks:
            done += len(chunk)
            job.progress(bytes_read=done)
            yield chunk
    except (ClientError, BotoCoreError) as exc:
        raise _aws_error(exc) from exc


# --- export --------------------------------------------------------------------------------


def export_to_s3(
    job: JobContext, op: ExportRequest, *, part_size: int = PART_SIZE
) -> dict[str, Any]:
    """Run export_to_s3: upload a search result as ``<s3.key>.<format>``, streamed.

    Parts of at least ``part_size`` bytes are uploaded while the next ones are encoded, so
    memory stays at a few parts; an export smaller than one part is a single PUT. A failed
    upload is aborted.

    Returns:
        The upload's answer as AWS SDK v3 gives it: ``$metadata``, ``ETag`` (quoted),
        ``Bucket``, ``Key``, ``Location``, and ``VersionId`` on a versioned bucket.
    """
    fmt = check_format(op.format)
    s3 = _export_fields(op.s3)
    found = found_records(job, op)
    client = s3_client(s3, job.settings)
    bucket, key = str(s3["bucket"]), str(s3["key"]) + file_suffix(fmt, op.compress)
    upload = _Upload(client, bucket, key, _CONTENT_TYPES[op.compress or fmt])
    try:
        buffer = bytearray()
        for chunk in encode(fmt, found, job, op.compress):
            buffer += chunk
            if len(buffer) >= part_size:
                upload.part(bytes(buffer))
                buffer.clear()
        answer = upload.finish(bytes(buffer))
    except (ClientError, BotoCoreError) as exc:
        upload.abort()
        raise _aws_error(exc) from exc
    except BaseException:
        upload.abort()
        raise
    return _result(answer, bucket, key, client.meta.endpoint_url, str(s3["region"]))


class _Upload:
    """A multipart upload, started on the first part; parts are sent by worker threads while
    the caller encodes the next one, at most ``UPLOADS_IN_FLIGHT`` at a time (bounded memory)."""

    def __init__(self, client: "S3Client", bucket: str, key: str, content_type: str) -> None:
        self._client = client
        self._bucket = bucket
        self._key = key
        self._content_type = content_type
        self._upload_id: str | None = None
        self._parts: list[CompletedPartTypeDef] = []
        self._numbered = 0
        self._pool: ThreadPoolExecutor | None = None
        self._sending: deque[Future[CompletedPartTypeDef]] = deque()

    def part(self, data: bytes) -> None:
        """Send one part (any but the last)."""
        if self._pool is None:
            started = self._client.create_multipart_upload(
                Bucket=self._bucket, Key=self._key, ContentType=self._content_type
            )
            self._upload_id = started["UploadId"]
            self._pool = ThreadPoolExecutor(UPLOADS_IN_FLIGHT, thread_name_prefix="s3-upload")
        while len(self._sending) >= UPLOADS_IN_FLIGHT:
            self._parts.append(self._sending.popleft().result())
        self._numbered += 1
        self._sending.append(self._pool.submit(self._send, self._numbered, data))

    def _send(self, number: int, data: bytes) -> "CompletedPartTypeDef":
        assert self._upload_id is not None  # noqa: S101 - parts follow the upload's start
        sent = self._client.upload_part(
            Bucket=self._bucket, Key=self._key, UploadId=self._upload_id,
            PartNumber=number, Body=data,
        )  # fmt: skip
        return {"ETag": sent["ETag"], "PartNumber": number}

    def finish(self, last: bytes) -> dict[str, Any]:
        """Send the rest and complete the upload (or PUT a small export); return S3's answer."""
        if self._upload_id is None:
            put = self._client.put_object(
                Bucket=self._bucket, Key=self._key, Body=last, ContentType=self._content_type
            )
            return dict(put)
        if last:
            self.part(last)
        while self._sending:
            self._parts.append(self._sending.popleft().result())
        self._close_pool()
        done = self._client.complete_multipart_upload(
            Bucket=self._bucket, Key=self._key, UploadId=self._upload_id,
            MultipartUpload={"Parts": self._parts},
        )  # fmt: skip
        self._upload_id = None
        return dict(done)

    def abort(self) -> None:
        """Abandon a started upload (S3 would otherwise keep its parts, and bill them)."""
        for sending in self._sending:
            sending.exception()  # wait: a part sent after the abort would start a new upload
        self._sending.clear()
        self._close_pool()
        if self._upload_id is not None:
            upload_id, self._upload_id = self._upload_id, None
            # The original failure is what the job reports, not a failed clean-up.
            with contextlib.suppress(ClientError, BotoCoreError):
                self._client.abort_multipart_upload(
                    Bucket=self._bucket, Key=self._key, UploadId=upload_id
                )

    def _close_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


def _location(endpoint: str | None, bucket: str, key: str, region: str) -> str:
    path = "/".join(quote(segment, safe="-_.~") for segment in key.split("/"))
    name = quote(bucket, safe="-_.~")
    if endpoint is None or endpoint.endswith(".amazonaws.com"):
        return f"https://{name}.s3.{region}.amazonaws.com/{path}"
    # A custom endpoint is addressed path-style (as the SDK's forcePathStyle Location is).
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}/{name}/{path}"


def _result(
    answer: Mapping[str, Any], bucket: str, key: str, endpoint: str | None, region: str
) -> dict[str, Any]:
    meta = answer.get("ResponseMetadata", {})
    result: dict[str, Any] = {
        "$metadata": {
            "httpStatusCode": meta.get("HTTPStatusCode", 200),
            "requestId": meta.get("RequestId"),
            "attempts": meta.get("RetryAttempts", 0) + 1,
            "totalRetryDelay": 0,
        },
        "ETag": answer.get("ETag"),
    }
    for name in (
        "ChecksumCRC32",
        "ChecksumCRC32C",
        "ChecksumCRC64NVME",
        "ChecksumSHA1",
        "ChecksumSHA256",
    ):
        if answer.get(name):
            result[name] = answer[name]
    result.update(Bucket=bucket, Key=key, Location=_location(endpoint, bucket, key, region))
    if answer.get("VersionId"):
        result["VersionId"] = answer["VersionId"]
    return result
