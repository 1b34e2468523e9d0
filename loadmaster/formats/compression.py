"""Compressed sources: gzip and zstd, told by their magic bytes and inflated as they stream.

A source is looked at, not trusted by its name: the first bytes say whether it is gzip
(``1f 8b``), zstd (``28 b5 2f fd``) or plain. Inflating happens chunk by chunk, so a file of
any size costs one chunk of memory; the sources count the compressed bytes they read, so a
job's ``bytes_read`` / ``bytes_total`` stay truthful.
"""

import itertools
import zlib
from collections.abc import Iterable, Iterator

import zstandard

from loadmaster.errors import InvalidRequestError

__all__ = ["GZIP_MAGIC", "ZSTD_MAGIC", "decompressed", "gzip_chunks"]

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
#: Most bytes one inflate step may produce: a tiny, hugely compressed chunk (a "zip bomb")
#: is inflated in pieces of this size, never all at once.
_STEP = 4 << 20
_ZSTD_STEP = 512


def decompressed(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Yield the source's bytes, inflated when they are gzip or zstd (else as they are).

    Raises:
        InvalidRequestError: The compressed data is corrupt or cut short.
    """
    source = iter(chunks)
    head = b""
    for chunk in source:
        head += chunk
        if len(head) >= len(ZSTD_MAGIC):
            break
    if head.startswith(GZIP_MAGIC):
        yield from _gunzip(head, source)
    elif head.startswith(ZSTD_MAGIC):
        yield from _unzstd(head, source)
    else:
        if head:
            yield head
        yield from source


def _gunzip(head: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    pending = head
    in_member = False
    try:
        while True:
            while pending:
                in_member = True
                out = inflater.decompress(pending, _STEP)
                pending = inflater.unconsumed_tail
                if out:
                    yield out
                if inflater.eof:
                    # Concatenated members (``cat a.gz b.gz``) are one stream, as to gzip -d;
                    # zero padding after the last member is ignored, as gzip -d does.
                    pending = inflater.unused_data + pending
                    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
                    in_member = False
                    if not pending.strip(b"\x00"):
                        pending = b""
            chunk = next(rest, None)
            if chunk is None:
                break
            pending = chunk
    except zlib.error as exc:
        raise InvalidRequestError(f"The gzip source is corrupt: {exc}") from exc
    if in_member:
        raise InvalidRequestError("The gzip source ends before its data does")


def _unzstd(head: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    decompressor = zstandard.ZstdDecompressor()
    inflater = decompressor.decompressobj()
    in_frame = False
    try:
        for chunk in itertools.chain((head,), rest):
            pending = memoryview(chunk)
            while pending:
                # A zstd block of 128 KiB may be a few bytes (RLE), so small steps of input
                # bound what one step may produce (_ZSTD_STEP bytes in: at most ~16 MiB out).
                piece, pending = pending[:_ZSTD_STEP], pending[_ZSTD_STEP:]
                in_frame = True
                out = inflater.decompress(piece)
                if out:
                    yield out
                if inflater.eof:
                    # Concatenated frames (``zstd -c a b``) are one stream, as to zstd -d.
                    pending = memoryview(inflater.unused_data + bytes(pending))
                    inflater = decompressor.decompressobj()
                    in_frame = False
    except zstandard.ZstdError as exc:
        raise InvalidRequestError(f"The zstd source is corrupt: {exc}") from exc
    if in_frame:
        raise InvalidRequestError("The zstd source ends before its data does")


def gzip_chunks(chunks: Iterable[bytes], level: int = 6) -> Iterator[bytes]:
    """Compress chunks into one gzip stream (for exports), chunk by chunk."""
    deflater = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    for chunk in chunks:
        out = deflater.compress(chunk)
        if out:
            yield out
    yield deflater.flush()
