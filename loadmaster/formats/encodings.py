"""Text encodings of sources: everything reaches the parsers as UTF-8.

UTF-8 (the default) passes through untouched, at no cost; other encodings are transcoded
chunk by chunk with an incremental decoder, so a character cut by a chunk boundary is kept.
A UTF-16 byte-order mark is recognised without being told.
"""

import codecs
import itertools
from collections.abc import Iterable, Iterator
from typing import Any

from loadmaster.errors import InvalidRequestError

__all__ = ["ENCODINGS", "check_encoding", "utf8_chunks"]

# Bytes the source's encoding cannot decode are passed on as one byte that is never UTF-8
# (0xFF, through a lone surrogate and ``surrogateescape``): the CSV parser then replaces it
# by U+FFFD, as for a UTF-8 source, and reports it as an invalid byte.
_INVALID_MARK = "\udcff"
_MARK_INVALID = "loadmaster-mark-invalid"


def _mark_invalid(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return _INVALID_MARK, exc.end


codecs.register_error(_MARK_INVALID, _mark_invalid)

#: The ``encoding`` values a load accepts, and the codec each one names.
ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf-16": "utf-16",
    "utf-16le": "utf-16-le",
    "utf-16be": "utf-16-be",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
    "cp1252": "cp1252",
    "windows-1252": "cp1252",
}
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def check_encoding(value: Any) -> str:
    """Check a load's ``encoding`` field; return the codec's name (``utf-8`` when absent).

    Raises:
        InvalidRequestError: The encoding is not one loadmaster reads.
    """
    if value is None:
        return "utf-8"
    codec = ENCODINGS.get(value.lower()) if isinstance(value, str) else None
    if codec is None:
        accepted = ", ".join(sorted({"utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"}))
        raise InvalidRequestError(f"'encoding' must be one of [{accepted}]")
    return codec


def utf8_chunks(chunks: Iterable[bytes], codec: str = "utf-8") -> Iterator[bytes]:
    """Yield the source as UTF-8; a UTF-16 BOM switches to UTF-16 whatever ``codec`` says.

    Bytes the source's encoding cannot decode become U+FFFD, as for UTF-8 sources.
    """
    source = iter(chunks)
    first = b""
    for chunk in source:
        first += chunk
        if len(first) >= 2:
            break
    if first[:2] in _UTF16_BOMS:
        codec = "utf-16"
    if codec in ("utf-8", "utf-8-sig"):
        # The parsers read UTF-8 themselves (a BOM dropped, bad bytes replaced).
        if first:
            yield first
        yield from source
        return
    decoder = codecs.getincrementaldecoder(codec)(errors=_MARK_INVALID)
    for chunk in itertools.chain((first,), source):
        text = decoder.decode(chunk)
        if text:
            yield text.encode("utf-8", "surrogateescape")
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail.encode("utf-8", "surrogateescape")
