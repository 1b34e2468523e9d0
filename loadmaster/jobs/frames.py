"""Length-prefixed frames over a byte stream (the pipes to and from the parse worker)."""

import struct
from typing import IO

_HEADER = struct.Struct(">I")


def write_frame(stream: IO[bytes], payload: bytes) -> None:
    """Write one frame and flush it."""
    stream.write(_HEADER.pack(len(payload)))
    stream.write(payload)
    stream.flush()


def read_frame(stream: IO[bytes]) -> bytes:
    """Read one frame.

    Raises:
        EOFError: The stream ended, at a frame boundary or inside one.
    """
    header = _read_exactly(stream, _HEADER.size)
    return _read_exactly(stream, _HEADER.unpack(header)[0])


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise EOFError("the stream ended")
    return data
